//! Python operators minijinja does not have, rewritten into calls before a template
//! or expression compiles: `a - b` of two datetimes (template/datetime_minus.rs, in
//! what names `to_datetime` or `now(`) and `'fmt' % args`, Python's printf-style
//! formatting of a string literal (`'%02d' % item`, `'%s:%s' % (host, port)`), done by
//! the `format` filter. The syntax tree gives each operator's operands; a `-` becomes
//! a call of `__machinist_minus`, which leaves anything but datetimes to minijinja's
//! own `-`, and a `%` whose left side is a string literal a call of
//! `__machinist_percent`, which spreads a literal tuple (`(a, b)`) into arguments and
//! takes anything else as one, as Python does. What names neither is not parsed at
//! all (nearly every template); nor is a file it `{% include %}`s.

use std::borrow::Cow;

use minijinja::machinery::ast::{self, BinOpKind, Expr};
use minijinja::value::{Rest, Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State};

use super::source_edits::{self, range, Edit};

/// The global a rewritten `%` calls.
const PERCENT: &str = "__machinist_percent";

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(PERCENT, percent);
    env.add_filter("format", format);
}

/// Jinja's `format` filter, Python's `format % args`: minijinja's printf, with
/// Python's leniencies it lacks: a float given to `%d`/`%i`/`%u` is taken as its
/// integer part (`'%05d' | format(0.5)` is `00000`), and `%u` is `%d`.
fn format(state: &State, args: Rest<Value>) -> Result<Value, Error> {
    let Some((format, given)) = args.split_first() else {
        return Err(Error::from(ErrorKind::MissingArgument));
    };
    let (text, integers) = as_minijinja_printf(format.as_str().unwrap_or_default());
    let mut integers = integers.into_iter();
    let mut call = Vec::with_capacity(given.len());
    for value in given {
        let integer = integers.next().unwrap_or(false);
        let float = (integer && value.kind() == ValueKind::Number && !value.is_integer())
            .then(|| f64::try_from(value.clone()).ok())
            .flatten();
        call.push(match float {
            Some(float) => Value::from(float.trunc() as i64),
            None => value.clone(),
        });
    }
    let text = match format.is_safe() {
        true => Value::from_safe_string(text),
        false => Value::from(text),
    };
    minijinja::filters::format(state, &text, Rest(call))
}

/// A printf-style format with `%u` written `%d`, and for each argument it takes, in
/// order, whether it is converted as an integer (a `*` width or precision takes one).
fn as_minijinja_printf(format: &str) -> (String, Vec<bool>) {
    let mut text = String::with_capacity(format.len());
    let mut taken = Vec::new();
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        text.push(c);
        if c != '%' {
            continue;
        }
        if chars.peek() == Some(&'%') {
            text.push('%');
            chars.next();
            continue;
        }
        if chars.peek() == Some(&'(') {
            for c in chars.by_ref() {
                text.push(c);
                if c == ')' {
                    break;
                }
            }
        }
        for c in chars.by_ref() {
            match c {
                '#' | '0' | '-' | ' ' | '+' | '.' | 'h' | 'l' | 'L' | '1'..='9' => text.push(c),
                '*' => {
                    text.push(c);
                    taken.push(true);
                }
                conversion => {
                    text.push(if conversion == 'u' { 'd' } else { conversion });
                    taken.push(matches!(conversion, 'd' | 'i' | 'u'));
                    break;
                }
            }
        }
    }
    (text, taken)
}

/// `format % args` as Python's printf-style formatting, through the `format` filter:
/// a literal tuple's items are its arguments (`spread`); a mapping gives the
/// `%(name)s` keys; a list or mapping a format with no conversion leaves alone
/// (Python's quirk); anything else is one argument.
fn percent(state: &State, format: Value, args: Value, spread: bool) -> Result<Value, Error> {
    let text = format.as_str().unwrap_or_default();
    if text.contains("%(") && args.kind() == ValueKind::Map {
        let (positional, values) = by_name(text, &args)?;
        let mut call = vec![Value::from(positional)];
        call.extend(values.into_iter().map(as_python_shows));
        return state.apply_filter("format", &call);
    }
    let container = matches!(args.kind(), ValueKind::Seq | ValueKind::Map);
    if container && !spread && conversions(text) == 0 {
        return Ok(Value::from(text.replace("%%", "%")));
    }
    let wanted = conversions(text);
    let mut call = vec![format.clone()];
    match args.try_iter() {
        Ok(items) if spread => call.extend(items.map(as_python_shows)),
        _ => call.push(as_python_shows(args)),
    }
    let given = call.len() - 1;
    if given > wanted {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "not all arguments converted during string formatting",
        ));
    }
    if given < wanted {
        return Err(Error::new(
            ErrorKind::InvalidOperation,
            "not enough arguments for format string",
        ));
    }
    state.apply_filter("format", &call)
}

/// How many arguments a printf-style format converts (`%%` none).
fn conversions(format: &str) -> usize {
    format.replace("%%", "").matches('%').count()
}

/// A list or mapping as the text Python's `%s` makes of it (`{'a': 1}`); the rest as is.
fn as_python_shows(value: Value) -> Value {
    match value.kind() {
        ValueKind::Seq | ValueKind::Map => Value::from(super::value_format::py_str(&value)),
        _ => value,
    }
}

/// A `%(name)s` format as a positional one, and the mapping's values in its order.
fn by_name(format: &str, mapping: &Value) -> Result<(String, Vec<Value>), Error> {
    let mut positional = String::with_capacity(format.len());
    let mut values = Vec::new();
    let mut rest = format;
    while let Some(at) = rest.find('%') {
        positional.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        if let Some(after_percent) = after.strip_prefix('%') {
            positional.push_str("%%");
            rest = after_percent;
        } else if let Some(named) = after.strip_prefix('(') {
            let close = named
                .find(')')
                .ok_or_else(|| Error::new(ErrorKind::InvalidOperation, "incomplete format key"))?;
            let key = &named[..close];
            let value = mapping
                .get_item(&Value::from(key))
                .ok()
                .filter(|value| !value.is_undefined())
                .ok_or_else(|| {
                    Error::new(ErrorKind::InvalidOperation, format!("KeyError: '{key}'"))
                })?;
            values.push(value);
            positional.push('%');
            rest = &named[close + 1..];
        } else {
            positional.push('%');
            rest = after;
        }
    }
    positional.push_str(rest);
    Ok((positional, values))
}

/// Whether `source` may hold a `%` after a string literal: a quote, then `%` not
/// closing a tag (`{% set a = 'x' %}`).
fn may_format_a_string(source: &str) -> bool {
    let bytes = source.as_bytes();
    bytes.iter().enumerate().any(|(at, byte)| {
        *byte == b'%'
            && bytes.get(at + 1) != Some(&b'}')
            && bytes[..at]
                .iter()
                .rev()
                .find(|b| !b.is_ascii_whitespace())
                .is_some_and(|b| matches!(b, b'\'' | b'"'))
    })
}

/// `source` with each `a - b` written `__machinist_minus(a, b)` when it names
/// `to_datetime` or `now(`, and each `'literal' % b` written `__machinist_percent(…)`;
/// `template`: a template (else a bare expression). What does not parse is left as it
/// is (compiling it reports the error; source_edits.rs).
pub(crate) fn rewritten(source: Cow<'_, str>, template: bool) -> Cow<'_, str> {
    let wanted = Wanted {
        minus: source.contains('-')
            && (source.contains("to_datetime")
                || source.contains("now(")
                || source.contains(".days")
                || source.contains(".seconds")
                || source.contains(".microseconds")
                || source.contains("total_seconds")
                || subtracts_names(&source)),
        percent: may_format_a_string(&source),
    };
    if !wanted.minus && !wanted.percent {
        return source;
    }
    source_edits::rewritten(source, template, &|node, source, edits| {
        if let Expr::BinOp(b) = node {
            match b.op {
                BinOpKind::Sub if wanted.minus => subtraction(b, source, edits),
                BinOpKind::Rem if wanted.percent => formatting(b, source, edits),
                _ => {}
            }
        }
    })
}

/// Whether `source` subtracts one name from another (`ended - started`): the two may
/// be datetimes kept in variables. A number on either side (`port - 1`) is left to
/// minijinja's own `-`.
fn subtracts_names(source: &str) -> bool {
    static NAMES: std::sync::LazyLock<Option<regex::Regex>> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"[A-Za-z_][\w.]*[\w\])]\s+-\s+\(*[A-Za-z_]").ok()
    });
    NAMES.as_ref().is_some_and(|names| names.is_match(source))
}

/// Which operators a source may hold that need rewriting.
#[derive(Clone, Copy)]
struct Wanted {
    minus: bool,
    percent: bool,
}

/// `left - right` → `__machinist_minus(left, right)`.
fn subtraction(node: &ast::Spanned<ast::BinOp>, source: &str, edits: &mut Vec<Edit>) {
    operator_call(
        node,
        source,
        edits,
        '-',
        concat!("__machinist_minus", "("),
        ")",
    );
}

/// `'literal' % right` → `__machinist_percent('literal' , right, SPREAD)`, SPREAD
/// true when `right` is a tuple written in parentheses.
fn formatting(node: &ast::Spanned<ast::BinOp>, source: &str, edits: &mut Vec<Edit>) {
    if !matches!(&node.left, Expr::Const(c) if c.value.as_str().is_some()) {
        return;
    }
    let (right_start, _) = range(node.right.span());
    let tuple = matches!(&node.right, Expr::List(_))
        && source
            .get(right_start..)
            .is_some_and(|right| right.starts_with('('));
    let close = if tuple { ", true)" } else { ", false)" };
    operator_call(
        node,
        source,
        edits,
        '%',
        concat!("__machinist_percent", "("),
        close,
    );
}

/// A binary operation as a call: `open` where the operation starts, its `operator`
/// a comma, `close` where it ends.
fn operator_call(
    node: &ast::Spanned<ast::BinOp>,
    source: &str,
    edits: &mut Vec<Edit>,
    operator: char,
    open: &'static str,
    close: &'static str,
) {
    let (start, end) = range(node.span());
    let (_, left_end) = range(node.left.span());
    let (right_start, _) = range(node.right.span());
    let Some(between) = source.get(left_end..right_start) else {
        return;
    };
    let Some(at) = between.find(operator) else {
        return;
    };
    let order = edits.len();
    for (at, remove, insert) in [(start, 0, open), (left_end + at, 1, ","), (end, 0, close)] {
        edits.push(Edit {
            at,
            remove,
            insert: Cow::Borrowed(insert),
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
    fn a_name_minus_a_name_may_be_datetimes_a_number_is_not() {
        assert!(subtracts_names("took {{ ended - started }}"));
        assert!(subtracts_names("{{ (a.end - (b.start)) }}"));
        assert!(!subtracts_names("{{ port - 1 }}"));
        assert!(!subtracts_names("{{ 10 - count }} web-1 - 2"));
        assert_eq!(
            template("{{ ended - started }}"),
            "{{ __machinist_minus(ended , started) }}"
        );
    }

    #[test]
    fn subtractions_become_calls_only_where_to_datetime_is_named() {
        assert_eq!(template("{{ a - b }}"), "{{ a - b }}");
        assert_eq!(
            template("{{ ((a | to_datetime) - (b | to_datetime)).days }}"),
            "{{ (__machinist_minus((a | to_datetime) , (b | to_datetime))).days }}"
        );
        assert_eq!(
            template("{{ (x - 1) - y | to_datetime }}"),
            "{{ __machinist_minus((__machinist_minus(x , 1)) , y | to_datetime) }}"
        );
        assert_eq!(
            rewritten(Cow::Borrowed("(a|to_datetime) - b > 3"), false),
            "__machinist_minus((a|to_datetime) , b) > 3"
        );
        assert_eq!(
            rewritten(Cow::Borrowed("(a|to_datetime) - b"), false),
            "__machinist_minus((a|to_datetime) , b)"
        );
    }

    #[test]
    fn an_expression_that_does_not_parse_is_left_as_it_is() {
        // minijinja's standalone expression parser panicked on this (fuzzing).
        let odd = "}}9.*9/1[:m9*9/1] is flsy %%%ro m(a, b=2) %}{{ a }}-{{ to_datetime }} %}";
        assert_eq!(rewritten(Cow::Borrowed(odd), false), odd);
    }

    #[test]
    fn a_percent_after_a_string_literal_becomes_a_call() {
        assert_eq!(template("{{ a % b }}"), "{{ a % b }}");
        assert_eq!(
            template("{% set x = 'a' %}{{ x }}"),
            "{% set x = 'a' %}{{ x }}"
        );
        assert_eq!(
            template("{{ '%s:%d' % (host, port) }}"),
            "{{ __machinist_percent('%s:%d' , (host, port), true) }}"
        );
        assert_eq!(
            template("{{ '%02d' % item }}"),
            "{{ __machinist_percent('%02d' , item, false) }}"
        );
        assert_eq!(
            rewritten(Cow::Borrowed("'%s' % [1, 2]"), false),
            "__machinist_percent('%s' , [1, 2], false)"
        );
    }

    #[test]
    fn printf_formats_read_as_python_reads_them() {
        assert_eq!(
            as_minijinja_printf("%d|%5.1f|%-4i|%03u %%u %(n)s %*d"),
            (
                "%d|%5.1f|%-4i|%03d %%u %(n)s %*d".to_string(),
                vec![true, false, true, true, false, true, true]
            )
        );
        let env = crate::template::Templates::new();
        let rendered = |source: &str| {
            env.render_str(source, &minijinja::Value::UNDEFINED)
                .expect("renders")
        };
        assert_eq!(rendered("{{ '%05d' | format(0.5) }}"), "00000");
        assert_eq!(rendered("{{ '%u|%i' | format(7.9, -2.5) }}"), "7|-2");
        assert_eq!(rendered("{{ '%.1f' | format(2) }}"), "2.0");
    }
}
