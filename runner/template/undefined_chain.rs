//! Attribute chains through undefined, as Ansible has them: `foo.bar.baz |
//! default('x')` gives `x` when `foo` has no `bar` (or there is no `foo`), and
//! `foo.bar.baz is defined` is false, while every other use of such a value (printed,
//! iterated, tested for truth, given to a filter) still fails naming the missing part.
//!
//! minijinja's strict undefined fails at the second lookup (`.baz` of an undefined
//! `foo.bar`), and its chainable undefined is lenient everywhere else. So, before it
//! compiles, each chain that is the operand of `default`/`d` or of the tests
//! `defined`/`undefined` is rewritten (source_edits.rs) into a call of [`CHAIN`]:
//! `foo.bar['k'].baz` becomes `__machinist_chain(foo, 'bar', ['k'], 'baz')` (an
//! attribute as its name, an item as a one-element list), which walks the links and
//! gives undefined at the first one missing. Nothing else is rewritten, so the rest of
//! a template keeps strict undefined.

use std::borrow::Cow;

use minijinja::machinery::ast::Expr;
use minijinja::value::{Rest, Value, ValueKind};
use minijinja::Environment;

use super::source_edits::{self, range, Edit};

/// The global a rewritten chain calls.
const CHAIN: &str = "__machinist_chain";

/// Filters and tests that take an undefined value and so see a chain whole.
const GUARDED_FILTERS: &[&str] = &["default", "d"];
const GUARDED_TESTS: &[&str] = &["defined", "undefined"];

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(CHAIN, chain);
}

/// `root` followed along `links`: a string is an attribute, a one-element list an
/// item; undefined from the first link that is missing on.
fn chain(root: Value, links: Rest<Value>) -> Value {
    let mut value = root;
    for link in links.iter() {
        if value.is_undefined() {
            break;
        }
        let next = match (link.kind(), link.as_str()) {
            (_, Some(name)) => value.get_attr(name),
            (ValueKind::Seq, None) => link
                .get_item_by_index(0)
                .and_then(|key| value.get_item(&key)),
            _ => Ok(Value::UNDEFINED),
        };
        value = next.unwrap_or(Value::UNDEFINED);
    }
    value
}

/// `source` with each guarded chain written as a call of [`CHAIN`]; `template`: a
/// template (else a bare expression). A source that names no guard is not parsed.
pub(crate) fn rewritten(source: Cow<'_, str>, template: bool) -> Cow<'_, str> {
    if !names_a_guard(&source) || !(source.contains('.') || source.contains('[')) {
        return source;
    }
    let original = source.clone();
    let out = source_edits::rewritten(source, template, &visit);
    if matches!(out, Cow::Borrowed(_)) || parses(&out, template) {
        return out;
    }
    // An edit this module got wrong must not break a template that worked.
    tracing::debug!(source = %original, "undefined chain rewrite did not parse; left as written");
    original
}

fn parses(source: &str, template: bool) -> bool {
    let wrapped;
    let text = if template {
        source
    } else {
        wrapped = format!("{{{{ ({source}) }}}}");
        &wrapped
    };
    minijinja::machinery::parse(text, "<check>", Default::default(), Default::default()).is_ok()
}

/// Whether the source may use `default`, `d`, `defined` or `undefined` (a cheap
/// look before parsing).
fn names_a_guard(source: &str) -> bool {
    if source.contains("default") || source.contains("defined") {
        return true;
    }
    source.match_indices('|').any(|(at, _)| {
        let rest = source[at + 1..].trim_start();
        rest.starts_with('d') && !rest[1..].starts_with(|c: char| c.is_alphanumeric() || c == '_')
    })
}

fn visit(node: &Expr, source: &str, edits: &mut Vec<Edit>) {
    match node {
        Expr::Filter(f) if GUARDED_FILTERS.contains(&f.name) => {
            if let Some(operand) = &f.expr {
                chain_edits(operand, source, edits);
            }
        }
        Expr::Test(t) if GUARDED_TESTS.contains(&t.name) => chain_edits(&t.expr, source, edits),
        _ => {}
    }
}

/// The edits that turn the chain `node` (if it is one) into a call of [`CHAIN`]; none
/// when its source is not laid out as expected.
fn chain_edits(node: &Expr, source: &str, edits: &mut Vec<Edit>) {
    // (attribute name or None for an item, the link's node), outermost first.
    let mut links = Vec::new();
    let mut root = node;
    loop {
        match root {
            Expr::GetAttr(g) => {
                links.push((Some(g.name), root));
                root = &g.expr;
            }
            Expr::GetItem(g) => {
                links.push((None, root));
                root = &g.expr;
            }
            _ => break,
        }
    }
    let Some(&(_, innermost)) = links.last() else {
        return;
    };
    let mut planned: Vec<(usize, usize, Cow<'static, str>)> =
        vec![(start_of(innermost), 0, Cow::Borrowed("__machinist_chain("))];
    let mut previous_end = range(root.span()).1;
    for &(name, link) in links.iter().rev() {
        let end = range(link.span()).1;
        let Some(between) = source.get(previous_end..end) else {
            return;
        };
        // Closing parentheses of the part before stay where they are.
        let lead = between.len()
            - between
                .trim_start_matches(|c: char| c.is_whitespace() || c == ')')
                .len();
        let at = previous_end + lead;
        let rest = &between[lead..];
        match name {
            Some(name) => {
                if rest.strip_prefix('.').map(str::trim) != Some(name) {
                    return;
                }
                planned.push((at, end - at, Cow::Owned(format!(", '{name}'"))));
            }
            // `a['k']` keeps its brackets, `a.0` gets them.
            None if rest.starts_with('[') && rest.ends_with(']') => {
                planned.push((at, 1, Cow::Borrowed(", [")));
            }
            None if rest.starts_with('.') => {
                planned.push((at, 1, Cow::Borrowed(", [")));
                planned.push((end, 0, Cow::Borrowed("]")));
            }
            None => return,
        }
        previous_end = end;
    }
    planned.push((previous_end, 0, Cow::Borrowed(")")));
    for (at, remove, insert) in planned {
        let order = edits.len();
        edits.push(Edit {
            at,
            remove,
            insert,
            order,
        });
    }
}

/// Where an expression starts: minijinja's span of a postfix expression (`a.b`,
/// `f(x).y`) may start at a later token, its leftmost part's does not.
fn start_of(node: &Expr) -> usize {
    let own = range(node.span()).0;
    let leftmost = match node {
        Expr::GetAttr(g) => Some(&g.expr),
        Expr::GetItem(g) => Some(&g.expr),
        Expr::Slice(s) => Some(&s.expr),
        Expr::Call(c) => Some(&c.expr),
        Expr::Filter(f) => f.expr.as_ref(),
        Expr::Test(t) => Some(&t.expr),
        Expr::BinOp(b) => Some(&b.left),
        Expr::Compare(c) => Some(&c.expr),
        Expr::IfExpr(i) => Some(&i.true_expr),
        _ => None,
    };
    leftmost.map_or(own, |part| own.min(start_of(part)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(source: &str) -> String {
        rewritten(Cow::Borrowed(source), true).into_owned()
    }

    #[test]
    fn guarded_chains_become_calls() {
        assert_eq!(
            template("{{ foo.bar.baz | default('x') }}"),
            "{{ __machinist_chain(foo, 'bar', 'baz') | default('x') }}"
        );
        assert_eq!(
            template("{{ foo.bar['k'].v | d(1) }}"),
            "{{ __machinist_chain(foo, 'bar', ['k'], 'v') | d(1) }}"
        );
        assert_eq!(
            template("{{ a.0.x is defined }}"),
            "{{ __machinist_chain(a, [0], 'x') is defined }}"
        );
        assert_eq!(
            template("{{ (a | d({})).b.c | default(2) }}"),
            "{{ __machinist_chain((a | d({})), 'b', 'c') | default(2) }}"
        );
        assert_eq!(
            template("{{ x.get('a').b is undefined }}"),
            "{{ __machinist_chain(x.get('a'), 'b') is undefined }}"
        );
        assert_eq!(
            template("{{ h[a.b.c | d('k')].x | d }}"),
            "{{ __machinist_chain(h, [__machinist_chain(a, 'b', 'c') | d('k')], 'x') | d }}"
        );
        assert_eq!(
            rewritten(Cow::Borrowed("foo.bar.baz is defined and x"), false),
            "__machinist_chain(foo, 'bar', 'baz') is defined and x"
        );
    }

    #[test]
    fn other_uses_are_left_strict() {
        for source in [
            "{{ foo.bar.baz }}",
            "{{ foo.bar.baz | length }}",
            "{% if foo.bar %}{{ foo | default(1) }}{% endif %}",
            "{{ foo | d }}",
            "{{ dict.items() | list }}",
        ] {
            assert_eq!(template(source), source);
        }
    }

    #[test]
    fn the_chain_gives_undefined_from_the_first_missing_link() {
        let env = {
            let mut env = Environment::new();
            env.set_undefined_behavior(minijinja::UndefinedBehavior::Strict);
            register(&mut env);
            env
        };
        let render = |source: &str| {
            env.render_str(
                &template(source),
                minijinja::context! { foo => minijinja::context! { bar => minijinja::context! { k => 3 } }, items => vec![vec![1, 2]] },
            )
        };
        assert_eq!(render("{{ foo.bar.k | d(0) }}").ok().as_deref(), Some("3"));
        assert_eq!(
            render("{{ foo.nope.k.j | d(0) }}").ok().as_deref(),
            Some("0")
        );
        assert_eq!(
            render("{{ none_here.a.b | d('y') }}").ok().as_deref(),
            Some("y")
        );
        assert_eq!(
            render("{{ items[0][1] | d(0) }}").ok().as_deref(),
            Some("2")
        );
        assert_eq!(
            render("{{ items[0][5] is defined }}").ok().as_deref(),
            Some("False")
        );
        assert!(render("{{ foo.nope.k }}").is_err());
    }
}
