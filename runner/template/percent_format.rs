//! Python's `%` formatting of a string literal: `"%s-%s" % (a, b)`, `"%d%%" % 50`,
//! `"%(name)s" % mapping`, as Jinja evaluates it (Python's own operator).
//!
//! minijinja's `%` is the numeric remainder only, so before a template or expression
//! compiles, each `%` whose left side is a string literal is rewritten
//! (source_edits.rs) into a call of [`PERCENT`]: `__machinist_percent(fmt, args,
//! spread)`, `spread` true when `args` is written as a tuple `(a, b)` (its items are
//! the arguments; anything else is one argument, as Python takes a value that is not
//! a tuple). The formatting is the `format` filter's (printf style).

use std::borrow::Cow;

use minijinja::machinery::ast::{self, BinOpKind, Expr};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use super::source_edits::{self, range, Edit};

/// The global a rewritten `%` calls.
const PERCENT: &str = "__machinist_percent";

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(PERCENT, percent);
}

fn percent(state: &State, format: Value, args: Value, spread: bool) -> Result<Value, Error> {
    let text = format.as_str().unwrap_or_default();
    let mut call = vec![format.clone()];
    if spread && args.kind() == ValueKind::Seq {
        call.extend(args.try_iter()?);
    } else if !matches!(args.kind(), ValueKind::Seq | ValueKind::Map)
        || conversions(text) != Some(0)
    {
        // Python takes a list or mapping that no conversion reads as a mapping
        // nobody asked anything of (`'ab' % [1, 2]` is `ab`); any other value is one
        // argument.
        call.push(args);
    }
    if let Some(wanted) = conversions(text) {
        if call.len() - 1 > wanted {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                "not all arguments converted during string formatting",
            ));
        }
    }
    state.apply_filter("format", &call)
}

/// How many arguments a printf format takes (`%%` none, a `*` width or precision
/// one more); `None` for the mapping style (`%(name)s`).
fn conversions(format: &str) -> Option<usize> {
    let mut count = 0;
    let mut chars = format.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        match chars.next() {
            Some('%') => {}
            Some('(') => return None,
            Some(first) => {
                count += 1 + usize::from(first == '*');
                if first.is_ascii_alphabetic() {
                    continue;
                }
                // The rest of the spec up to its conversion letter.
                for c in chars.by_ref() {
                    count += usize::from(c == '*');
                    if c.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            None => {}
        }
    }
    Some(count)
}

/// `source` with each `'literal' % args` written as a call of [`PERCENT`];
/// `template`: a template (else a bare expression).
pub(crate) fn rewritten(source: Cow<'_, str>, template: bool) -> Cow<'_, str> {
    if !may_format(&source) {
        return source;
    }
    source_edits::rewritten(source, template, visit)
}

/// Whether a `%` follows a quote (a cheap look before parsing; `%}` ends a tag).
fn may_format(source: &str) -> bool {
    source.match_indices('%').any(|(at, _)| {
        !source[at + 1..].starts_with('}')
            && source[..at]
                .trim_end()
                .ends_with(|c: char| c == '\'' || c == '"')
    })
}

fn visit(node: &Expr, source: &str, edits: &mut Vec<Edit>) {
    if let Expr::BinOp(b) = node {
        let literal = matches!(&b.left, Expr::Const(c) if c.value.kind() == ValueKind::String);
        if matches!(b.op, BinOpKind::Rem) && literal {
            formatting(b, source, edits);
        }
    }
}

/// `left % right` → `__machinist_percent(left, right, spread)`.
fn formatting(node: &ast::Spanned<ast::BinOp>, source: &str, edits: &mut Vec<Edit>) {
    let (start, _) = range(node.left.span());
    let (_, left_end) = range(node.left.span());
    let (right_start, end) = range(node.right.span());
    let Some(between) = source.get(left_end..right_start) else {
        return;
    };
    let Some(sign) = between.find('%') else {
        return;
    };
    // A parenthesised tuple's span may leave out its parentheses: the call closes
    // after them.
    let rest = &source[end..];
    let closing = rest.len() - rest.trim_start_matches(')').len();
    let opening = between[sign + 1..].matches('(').count();
    let end = end + closing.min(opening);
    let tuple = source[left_end + sign + 1..].trim_start().starts_with('(');
    let spread = tuple && matches!(node.right, Expr::List(_));
    let order = edits.len();
    for (at, remove, insert) in [
        (start, 0, Cow::Borrowed("__machinist_percent(")),
        (left_end + sign, 1, Cow::Borrowed(",")),
        (
            end,
            0,
            Cow::Borrowed(if spread { ", true)" } else { ", false)" }),
        ),
    ] {
        edits.push(Edit {
            at,
            remove,
            insert,
            order,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn template(source: &str) -> String {
        rewritten(Cow::Borrowed(source), true).into_owned()
    }

    #[test]
    fn a_literal_formatted_with_percent_becomes_a_call() {
        assert_eq!(
            template("{{ '%s and %s' % ('a', 'b') }}"),
            "{{ __machinist_percent('%s and %s' , ('a', 'b'), true) }}"
        );
        assert_eq!(
            template("{{ \"%d%%\" % 50 }}"),
            "{{ __machinist_percent(\"%d%%\" , 50, false) }}"
        );
        assert_eq!(
            template("{% if x %}{{ a % 2 }}{% endif %}"),
            "{% if x %}{{ a % 2 }}{% endif %}"
        );
    }

    #[test]
    fn the_format_filter_formats() {
        let mut env = Environment::new();
        register(&mut env);
        let render = |source: &str| env.render_str(&template(source), ()).unwrap();
        assert_eq!(render("{{ '%s and %s' % ('a', 'b') }}"), "a and b");
        assert_eq!(render("{{ '%d%%' % 50 }}"), "50%");
        assert_eq!(render("{{ 'x=%(a)s' % {'a': 1} }}"), "x=1");
        assert_eq!(render("{{ '[%5.1f]' % 3.14159 }}"), "[  3.1]");
        assert_eq!(render("{{ '%s' % [1, 2] }}"), "[1, 2]");
        assert_eq!(render("{{ 'ab' % [1, 2] }}"), "ab");
        assert_eq!(render("{{ '3%%' % {'a': 1} }}"), "3%");
        assert!(env.render_str(&template("{{ 'ab' % 3 }}"), ()).is_err());
        assert_eq!(render("{{ '%s-%d' % ('a', 3) }}"), "a-3");
        assert_eq!(conversions("%-5s|%*d %%"), Some(3));
        assert!(env
            .render_str(&template("{{ '%s' % (1, 2) }}"), ())
            .is_err());
    }
}
