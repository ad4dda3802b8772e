//! Rewriting a template's or expression's source before it compiles, where
//! minijinja's semantics differ from Jinja's in a way no filter or global can fix
//! (operator_calls.rs: `a - b` between datetimes, `'fmt' % args`; undefined_chain.rs:
//! an attribute chain under `default`): the source is
//! parsed, a visitor sees every expression of the syntax tree and asks for edits at
//! byte offsets, and the edits are applied from the end. What does not parse is left
//! as it is (compiling it reports the error).

use std::borrow::Cow;

use minijinja::machinery::ast::{self, CallArg, Expr, Stmt};

/// Replace `remove` bytes at `at` by `insert`; at one offset the edit pushed later
/// is applied first (so it ends up after the earlier one's text).
pub(crate) struct Edit {
    pub(crate) at: usize,
    pub(crate) remove: usize,
    pub(crate) insert: Cow<'static, str>,
    pub(crate) order: usize,
}

/// Asked about every expression of the tree (outer ones first) with the source the
/// offsets index; pushes the edits it wants.
pub(crate) type Visitor<'v> = &'v dyn Fn(&Expr, &str, &mut Vec<Edit>);

/// What an expression is parsed inside: engine.rs's `expression_wrapper`, whose
/// parentheses keep the expression whole.
const EXPRESSION_WRAPPER: (&str, &str) = ("{% set __machinist_edit_result = (", ") %}");

/// `source` with `visit`'s edits applied; `template`: a template (else a bare
/// expression).
pub(crate) fn rewritten<'s>(
    source: Cow<'s, str>,
    template: bool,
    visit: Visitor<'_>,
) -> Cow<'s, str> {
    let mut edits = Vec::new();
    if template {
        match minijinja::machinery::parse(
            &source,
            "<string>",
            Default::default(),
            Default::default(),
        ) {
            Ok(tree) => Walk {
                source: &source,
                visit,
                edits: &mut edits,
            }
            .stmt(&tree),
            Err(_) => return source,
        }
    } else {
        // Parsed inside the same `{% set … %}` the engine compiles an expression in
        // (minijinja's standalone expression parser panics on some inputs, `}}…`),
        // its offsets taken back to the expression's.
        let (open, close) = EXPRESSION_WRAPPER;
        let wrapped = format!("{open}{source}{close}");
        let Ok(tree) = minijinja::machinery::parse(
            &wrapped,
            "<expression>",
            Default::default(),
            Default::default(),
        ) else {
            return source;
        };
        Walk {
            source: &wrapped,
            visit,
            edits: &mut edits,
        }
        .stmt(&tree);
        if edits
            .iter()
            .any(|edit| edit.at < open.len() || edit.at + edit.remove > open.len() + source.len())
        {
            return source;
        }
        edits.iter_mut().for_each(|edit| edit.at -= open.len());
    }
    if edits.is_empty() {
        return source;
    }
    edits.sort_by(|a: &Edit, b: &Edit| b.at.cmp(&a.at).then(b.order.cmp(&a.order)));
    let mut out = source.into_owned();
    for edit in edits {
        out.replace_range(edit.at..edit.at + edit.remove, &edit.insert);
    }
    Cow::Owned(out)
}

/// Byte offsets of a node in the source.
pub(crate) fn range(span: minijinja::machinery::Span) -> (usize, usize) {
    (span.start_offset as usize, span.end_offset as usize)
}

struct Walk<'a> {
    source: &'a str,
    visit: Visitor<'a>,
    edits: &'a mut Vec<Edit>,
}

impl Walk<'_> {
    fn stmts(&mut self, list: &[Stmt]) {
        list.iter().for_each(|s| self.stmt(s));
    }

    fn stmt(&mut self, node: &Stmt) {
        match node {
            Stmt::Template(t) => self.stmts(&t.children),
            Stmt::EmitExpr(x) => self.expr(&x.expr),
            Stmt::ForLoop(f) => {
                self.expr(&f.iter);
                if let Some(filter) = &f.filter_expr {
                    self.expr(filter);
                }
                self.stmts(&f.body);
                self.stmts(&f.else_body);
            }
            Stmt::IfCond(i) => {
                self.expr(&i.expr);
                self.stmts(&i.true_body);
                self.stmts(&i.false_body);
            }
            Stmt::WithBlock(w) => {
                w.assignments.iter().for_each(|(_, x)| self.expr(x));
                self.stmts(&w.body);
            }
            Stmt::Set(s) => self.expr(&s.expr),
            Stmt::SetBlock(s) => {
                if let Some(filter) = &s.filter {
                    self.expr(filter);
                }
                self.stmts(&s.body);
            }
            Stmt::AutoEscape(a) => self.stmts(&a.body),
            Stmt::FilterBlock(f) => {
                self.expr(&f.filter);
                self.stmts(&f.body);
            }
            Stmt::Block(b) => self.stmts(&b.body),
            Stmt::Macro(m) => {
                m.defaults.iter().for_each(|x| self.expr(x));
                self.stmts(&m.body);
            }
            Stmt::CallBlock(c) => {
                self.call(&c.call);
                self.stmts(&c.macro_decl.body);
            }
            Stmt::Do(d) => self.call(&d.call),
            Stmt::EmitRaw(_)
            | Stmt::Import(_)
            | Stmt::FromImport(_)
            | Stmt::Extends(_)
            | Stmt::Include(_)
            | Stmt::Continue(_)
            | Stmt::Break(_) => {}
        }
    }

    fn call(&mut self, c: &ast::Call) {
        self.expr(&c.expr);
        self.args(&c.args);
    }

    fn args(&mut self, list: &[CallArg]) {
        for arg in list {
            match arg {
                CallArg::Pos(x)
                | CallArg::Kwarg(_, x)
                | CallArg::PosSplat(x)
                | CallArg::KwargSplat(x) => self.expr(x),
            }
        }
    }

    fn expr(&mut self, node: &Expr) {
        (self.visit)(node, self.source, self.edits);
        match node {
            Expr::Var(_) | Expr::Const(_) => {}
            Expr::Slice(s) => {
                self.expr(&s.expr);
                for part in [&s.start, &s.stop, &s.step].into_iter().flatten() {
                    self.expr(part);
                }
            }
            Expr::UnaryOp(u) => self.expr(&u.expr),
            Expr::BinOp(b) => {
                self.expr(&b.left);
                self.expr(&b.right);
            }
            Expr::Compare(c) => {
                self.expr(&c.expr);
                c.ops.iter().for_each(|op| self.expr(&op.expr));
            }
            Expr::IfExpr(i) => {
                self.expr(&i.test_expr);
                self.expr(&i.true_expr);
                if let Some(other) = &i.false_expr {
                    self.expr(other);
                }
            }
            Expr::Filter(f) => {
                if let Some(operand) = &f.expr {
                    self.expr(operand);
                }
                self.args(&f.args);
            }
            Expr::Test(t) => {
                self.expr(&t.expr);
                self.args(&t.args);
            }
            Expr::GetAttr(g) => self.expr(&g.expr),
            Expr::GetItem(g) => {
                self.expr(&g.expr);
                self.expr(&g.subscript_expr);
            }
            Expr::Call(c) => self.call(c),
            Expr::List(l) => l.items.iter().for_each(|x| self.expr(x)),
            Expr::Map(m) => {
                m.keys.iter().for_each(|x| self.expr(x));
                m.values.iter().for_each(|x| self.expr(x));
            }
        }
    }
}
