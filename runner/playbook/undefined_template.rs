//! The variables a template file reads on every rendering (issue 15), for the
//! load-time check of undefined variables (playbook/undefined.rs): a `template:` task
//! whose file reads a name nothing in the run defines fails before anything runs, at
//! the template's line.
//!
//! The template is parsed (minijinja's syntax tree) and only reads that surely happen
//! count: the `{{ }}` and statements at the top level, a `for`'s iterable, an `if`'s
//! condition, `with`, `set`, `filter` and call blocks' heads — never what is inside an
//! `if` or `for` body (a branch not taken, an empty loop), a macro's body (it may not
//! be called), the right side of `and`/`or` or the branches of `a if b else c`. An
//! expression with a guard (`default`, `is defined`, `mandatory`) is not read at
//! all. Every name the template itself assigns anywhere (`set`, loop targets,
//! macros and their arguments, `with`, `import … as`, `from … import`) counts as
//! defined, and a template that `extends` another is not checked (its parent decides
//! what renders). `{% include %}`d files are not read: they define nothing here.

use minijinja::machinery::ast::{self, BinOpKind, CallArg, Expr, Stmt};
use std::collections::HashSet;

/// A variable read on every rendering, and the line (of the body) that reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SureRead {
    pub name: String,
    pub line: usize,
}

/// Filters and tests that take an undefined value: an expression using one is not
/// checked. (Reads by a name held in a string, `vars[name]` or `lookup('vars', name)`,
/// read no variable of the syntax tree.)
const GUARDS: &[&str] = &["default", "d", "defined", "undefined", "mandatory"];

/// The names `body` (a template without its `#jinja2:` line) reads on every rendering
/// and does not define itself, in the order read; `None` when that cannot be known
/// (it does not parse, or it extends another template).
pub fn sure_reads(name: &str, body: &str) -> Option<Vec<SureRead>> {
    let tree =
        minijinja::machinery::parse(body, name, Default::default(), Default::default()).ok()?;
    let mut assigned = Assigned::default();
    assigned.stmt(&tree);
    if assigned.extends {
        return None;
    }
    let mut reads = Vec::new();
    sure_stmt(&tree, &mut reads);
    reads.retain(|read: &SureRead| !assigned.names.contains(&read.name));
    Some(reads)
}

/// Every name a template assigns anywhere.
#[derive(Default)]
struct Assigned {
    names: HashSet<String>,
    extends: bool,
}

impl Assigned {
    fn stmts(&mut self, stmts: &[Stmt]) {
        stmts.iter().for_each(|s| self.stmt(s));
    }

    fn stmt(&mut self, stmt: &Stmt) {
        match stmt {
            Stmt::Template(t) => self.stmts(&t.children),
            Stmt::ForLoop(f) => {
                self.target(&f.target);
                self.stmts(&f.body);
                self.stmts(&f.else_body);
            }
            Stmt::IfCond(i) => {
                self.stmts(&i.true_body);
                self.stmts(&i.false_body);
            }
            Stmt::WithBlock(w) => {
                w.assignments.iter().for_each(|(t, _)| self.target(t));
                self.stmts(&w.body);
            }
            Stmt::Set(s) => self.target(&s.target),
            Stmt::SetBlock(s) => {
                self.target(&s.target);
                self.stmts(&s.body);
            }
            Stmt::AutoEscape(a) => self.stmts(&a.body),
            Stmt::FilterBlock(f) => self.stmts(&f.body),
            Stmt::Block(b) => self.stmts(&b.body),
            Stmt::Import(i) => self.target(&i.name),
            Stmt::FromImport(f) => {
                for (name, alias) in &f.names {
                    self.target(alias.as_ref().unwrap_or(name));
                }
            }
            Stmt::Extends(_) => self.extends = true,
            Stmt::Macro(m) => self.macro_decl(m),
            Stmt::CallBlock(c) => self.macro_decl(&c.macro_decl),
            Stmt::EmitExpr(_)
            | Stmt::EmitRaw(_)
            | Stmt::Include(_)
            | Stmt::Continue(_)
            | Stmt::Break(_)
            | Stmt::Do(_) => {}
        }
    }

    fn macro_decl(&mut self, m: &ast::Macro) {
        self.names.insert(m.name.to_string());
        m.args.iter().for_each(|arg| self.target(arg));
        self.stmts(&m.body);
    }

    /// The variables an assignment target names (`x`, `k, v`, `ns.attr`'s `ns`).
    fn target(&mut self, target: &Expr) {
        match target {
            Expr::Var(v) => {
                self.names.insert(v.id.to_string());
            }
            Expr::List(l) => l.items.iter().for_each(|item| self.target(item)),
            Expr::GetAttr(g) => self.target(&g.expr),
            Expr::GetItem(g) => self.target(&g.expr),
            _ => {}
        }
    }
}

/// The reads of statements that run whenever `stmt` runs.
fn sure_stmt(stmt: &Stmt, reads: &mut Vec<SureRead>) {
    match stmt {
        Stmt::Template(t) => t.children.iter().for_each(|s| sure_stmt(s, reads)),
        Stmt::EmitExpr(e) => expression(&e.expr, reads),
        Stmt::ForLoop(f) => expression(&f.iter, reads),
        Stmt::IfCond(i) => expression(&i.expr, reads),
        Stmt::WithBlock(w) => {
            w.assignments.iter().for_each(|(_, e)| expression(e, reads));
            w.body.iter().for_each(|s| sure_stmt(s, reads));
        }
        Stmt::Set(s) => expression(&s.expr, reads),
        Stmt::SetBlock(s) => {
            if let Some(filter) = &s.filter {
                expression(filter, reads);
            }
            s.body.iter().for_each(|s| sure_stmt(s, reads));
        }
        Stmt::AutoEscape(a) => a.body.iter().for_each(|s| sure_stmt(s, reads)),
        Stmt::FilterBlock(f) => {
            expression(&f.filter, reads);
            f.body.iter().for_each(|s| sure_stmt(s, reads));
        }
        Stmt::Block(b) => b.body.iter().for_each(|s| sure_stmt(s, reads)),
        Stmt::Import(i) => expression(&i.expr, reads),
        Stmt::FromImport(f) => expression(&f.expr, reads),
        Stmt::Include(i) => expression(&i.name, reads),
        Stmt::CallBlock(c) => call_reads(&c.call, reads),
        Stmt::Do(d) => call_reads(&d.call, reads),
        Stmt::Extends(_)
        | Stmt::EmitRaw(_)
        | Stmt::Macro(_)
        | Stmt::Continue(_)
        | Stmt::Break(_) => {}
    }
}

fn call_reads(call: &ast::Spanned<ast::Call>, reads: &mut Vec<SureRead>) {
    let mut found = Vec::new();
    let mut guarded = false;
    Reader {
        reads: &mut found,
        guarded: &mut guarded,
    }
    .call(call);
    if !guarded {
        reads.extend(found);
    }
}

/// The sure reads of one expression: none when it has a guard anywhere.
fn expression(expr: &Expr, reads: &mut Vec<SureRead>) {
    let mut found = Vec::new();
    let mut guarded = false;
    Reader {
        reads: &mut found,
        guarded: &mut guarded,
    }
    .expr(expr);
    if !guarded {
        reads.extend(found);
    }
}

struct Reader<'a> {
    reads: &'a mut Vec<SureRead>,
    guarded: &'a mut bool,
}

impl Reader<'_> {
    fn expr(&mut self, expr: &Expr) {
        match expr {
            Expr::Var(v) => {
                self.reads.push(SureRead {
                    name: v.id.to_string(),
                    line: usize::from(v.span().start_line),
                });
            }
            Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part);
                }
            }
            Expr::UnaryOp(u) => self.expr(&u.expr),
            Expr::BinOp(b) => {
                self.expr(&b.left);
                // The right side of `and`/`or` may not be evaluated; still look for guards.
                if matches!(b.op, BinOpKind::ScAnd | BinOpKind::ScOr) {
                    self.unsure(&b.right);
                } else {
                    self.expr(&b.right);
                }
            }
            Expr::Compare(c) => {
                self.expr(&c.expr);
                c.ops.iter().for_each(|op| self.expr(&op.expr));
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr);
                self.unsure(&i.true_expr);
                if let Some(other) = &i.false_expr {
                    self.unsure(other);
                }
            }
            Expr::Filter(f) => {
                self.name(f.name);
                if let Some(operand) = &f.expr {
                    self.expr(operand);
                }
                self.args(&f.args);
            }
            Expr::Test(t) => {
                self.name(t.name);
                self.expr(&t.expr);
                self.args(&t.args);
            }
            Expr::GetAttr(g) => self.expr(&g.expr),
            Expr::GetItem(g) => {
                self.expr(&g.expr);
                self.expr(&g.subscript_expr);
            }
            Expr::Call(c) => self.call(c),
            Expr::List(l) => l.items.iter().for_each(|item| self.expr(item)),
            Expr::Map(m) => {
                m.keys.iter().for_each(|k| self.expr(k));
                m.values.iter().for_each(|v| self.expr(v));
            }
        }
    }

    fn call(&mut self, call: &ast::Call) {
        self.expr(&call.expr);
        self.args(&call.args);
    }

    fn args(&mut self, args: &[CallArg]) {
        for arg in args {
            match arg {
                CallArg::Pos(e)
                | CallArg::Kwarg(_, e)
                | CallArg::PosSplat(e)
                | CallArg::KwargSplat(e) => self.expr(e),
            }
        }
    }

    /// A filter's or test's name: a guard makes the whole expression unsure.
    fn name(&mut self, name: &str) {
        let short = name.rsplit('.').next().unwrap_or(name);
        if GUARDS.contains(&short) {
            *self.guarded = true;
        }
    }

    /// A part that may not be evaluated: its reads are dropped, its guards kept.
    fn unsure(&mut self, expr: &Expr) {
        let mut dropped = Vec::new();
        Reader {
            reads: &mut dropped,
            guarded: self.guarded,
        }
        .expr(expr);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(body: &str) -> Vec<String> {
        sure_reads("t.j2", body)
            .expect("parses")
            .into_iter()
            .map(|r| r.name)
            .collect()
    }

    #[test]
    fn top_level_reads_count_and_branches_do_not() {
        assert_eq!(names("a={{ a }}\n{% if b %}{{ c }}{% endif %}"), ["a", "b"]);
        assert_eq!(names("{% for x in xs %}{{ x }}{{ y }}{% endfor %}"), ["xs"]);
        assert_eq!(names("{{ a or b }}{{ c if d else e }}"), ["a", "d"]);
    }

    #[test]
    fn names_the_template_defines_are_not_reads() {
        let body = "{% set n = 1 %}{{ n }}{% for k, v in d.items() %}{% endfor %}{{ k }}\
                    {% macro m(arg) %}{{ arg }}{{ inner }}{% endmacro %}{{ m(1) }}\
                    {% import 'x.j2' as lib %}{{ lib.f() }}{% from 'y.j2' import g as h %}{{ h() }}";
        assert_eq!(names(body), ["d"]);
    }

    #[test]
    fn guarded_expressions_are_not_read() {
        assert!(
            names("{{ a | default('x') }}{{ b is defined }}{{ c|ansible.builtin.d }}").is_empty()
        );
        assert!(names("{{ (a | d(1)) + b }}{{ c.d is undefined }}").is_empty());
        assert_eq!(names("{{ vars['x' + y] }}"), ["vars", "y"]);
    }

    #[test]
    fn lines_are_the_body_lines() {
        let reads = sure_reads("t.j2", "one\n\n{{ three }}\n").expect("parses");
        assert_eq!(reads[0].line, 3);
    }

    #[test]
    fn an_extending_template_is_not_known() {
        assert!(sure_reads("t.j2", "{% extends 'base' %}{{ x }}").is_none());
    }
}
