//! How values print. ansible-core renders with Python's `str()`: booleans are
//! `True`/`False`, none prints as nothing at the top level, and lists and dicts use
//! Python's `repr` (`['a', 'b']`, `{'k': 'v'}`, `None` inside them).

use std::fmt::Write;

use minijinja::value::ValueKind;
use minijinja::{Error, Output, State, Value};

/// The environment's formatter: what `{{ value }}` writes (noted for
/// [`with_single_emission`] when one is watching).
pub(crate) fn formatter(out: &mut Output, _state: &State, value: &Value) -> Result<(), Error> {
    EMISSIONS.with_borrow_mut(|watched| {
        if let Some(emissions) = watched {
            if value.is_none() {
                emissions.nones += 1;
            } else {
                emissions.count += 1;
                emissions.last = Some(value.clone());
            }
        }
    });
    refuse_undefined_items(value)?;
    write_py_str(out, value).map_err(Error::from)
}

/// A list holding Ansible's undefined (an item `map(attribute=…)` found no attribute
/// on) fails once it is printed or is a task's value, as in ansible-core; only
/// `select('defined')`-style filtering, `length`, indexing or `first` read it safely.
pub(crate) fn refuse_undefined_items(value: &Value) -> Result<(), Error> {
    if value.kind() == ValueKind::Seq {
        if let Ok(items) = value.try_iter() {
            for item in items {
                if item.is_undefined() {
                    return Err(Error::new(
                        minijinja::ErrorKind::UndefinedError,
                        "a list item is undefined (an item without the attribute map() read)",
                    ));
                }
            }
        }
    }
    Ok(())
}

/// The `{{ }}` outputs of the render being watched on this thread.
#[derive(Default)]
struct Emissions {
    count: usize,
    last: Option<Value>,
    /// `{{ }}`s that printed none: Jinja's native concatenation leaves them out.
    nones: usize,
}

thread_local! {
    static EMISSIONS: std::cell::RefCell<Option<Emissions>> = const { std::cell::RefCell::new(None) };
}

/// `render`'s result, and the value of its `{{ }}` output when it made exactly one
/// (Jinja's native rendering keeps a template whose output is one node as that value:
/// `{% set ns = … %}{% for … %}…{% endfor %}{{ ns.out }}` is a list in ansible-core).
/// `{{ }}`s that printed none do not count (`{{ none }}{{ [1] }}` is the list); none
/// printed makes none (the caller's text check keeps text written around tags). The caller still checks that the text is that value's alone
/// (no text around it).
pub(crate) fn with_single_emission<T>(render: impl FnOnce() -> T) -> (T, Option<Value>) {
    let outer = EMISSIONS.replace(Some(Emissions::default()));
    let result = render();
    let seen = EMISSIONS.replace(outer);
    let single = seen.and_then(|e| match e.count {
        // No `{{ }}` printed (or only nones): Jinja's native rendering of a template
        // with no output at all is none too (`{% if false %}x{% endif %}`).
        0 => Some(Value::from(())),
        1 => e.last,
        _ => None,
    });
    (result, single)
}

/// `render`'s result, and whether it printed any `{{ }}` value but none. A template
/// file that printed none and no text of its own is none to ansible-core, which adds
/// no trailing newlines to it (a file of macro definitions renders empty).
pub(crate) fn with_any_emission<T>(render: impl FnOnce() -> T) -> (T, bool) {
    let outer = EMISSIONS.replace(Some(Emissions::default()));
    let result = render();
    let seen = EMISSIONS.replace(outer);
    (result, seen.is_some_and(|e| e.count > 0))
}

/// [`py_str`] written to `out`: strings and integers, most of what templates print,
/// as they are (no String made for them), the rest through `py_str`.
pub(crate) fn write_py_str(out: &mut impl Write, value: &Value) -> std::fmt::Result {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => Ok(()),
        ValueKind::String => out.write_str(value.as_str().unwrap_or_default()),
        ValueKind::Number if value.is_integer() => write!(out, "{value}"),
        _ => out.write_str(&py_str(value)),
    }
}

/// Python's `str(value)`, except that none (and undefined) print as nothing.
pub(crate) fn py_str(value: &Value) -> String {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => String::new(),
        ValueKind::String => value.as_str().unwrap_or_default().to_string(),
        ValueKind::Bytes => String::from_utf8_lossy(value.as_bytes().unwrap_or_default()).into(),
        ValueKind::Bool
        | ValueKind::Number
        | ValueKind::Seq
        | ValueKind::Map
        | ValueKind::Iterable => py_repr(value),
        _ => value.to_string(),
    }
}

/// Python's `str(value)` for `| string` and joins: like [`py_str`] but none is `None`.
pub(crate) fn py_text(value: &Value) -> String {
    if value.is_none() {
        "None".to_string()
    } else {
        py_str(value)
    }
}

/// Python's `repr(value)`.
pub(crate) fn py_repr(value: &Value) -> String {
    let mut out = String::new();
    write_repr(&mut out, value);
    out
}

/// `repr` cut to about `max` characters, for error messages.
pub(crate) fn repr_truncated(value: &Value, max: usize) -> String {
    let text = py_repr(value);
    if text.chars().count() <= max {
        return text;
    }
    let mut cut: String = text.chars().take(max).collect();
    cut.push_str("[...]");
    cut
}

/// Python's type name of a value (`str`, `int`, `list`…), as `type_debug` prints it.
pub(crate) fn py_type_name(value: &Value) -> &'static str {
    match value.kind() {
        ValueKind::Undefined => "AnsibleUndefined",
        ValueKind::None => "NoneType",
        ValueKind::Bool => "bool",
        ValueKind::Number if value.is_integer() => "int",
        ValueKind::Number => "float",
        ValueKind::String => "str",
        ValueKind::Bytes => "bytes",
        ValueKind::Seq | ValueKind::Iterable => "list",
        ValueKind::Map => "dict",
        _ if value
            .downcast_object_ref::<super::datetime::DateTime>()
            .is_some() =>
        {
            "datetime"
        }
        _ if value.downcast_object_ref::<super::TimeDelta>().is_some() => "timedelta",
        _ => "object",
    }
}

fn write_repr(out: &mut String, value: &Value) {
    match value.kind() {
        ValueKind::Undefined | ValueKind::None => out.push_str("None"),
        ValueKind::Bool => out.push_str(if value.is_true() { "True" } else { "False" }),
        ValueKind::Number => out.push_str(&py_number(value)),
        ValueKind::String => write_str_repr(out, value.as_str().unwrap_or_default()),
        ValueKind::Bytes => {
            out.push('b');
            write_str_repr(
                out,
                &String::from_utf8_lossy(value.as_bytes().unwrap_or_default()),
            );
        }
        ValueKind::Seq | ValueKind::Iterable => {
            out.push('[');
            if let Ok(items) = value.try_iter() {
                for (i, item) in items.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &item);
                }
            }
            out.push(']');
        }
        ValueKind::Map => {
            out.push('{');
            if let Ok(keys) = value.try_iter() {
                for (i, key) in keys.enumerate() {
                    if i > 0 {
                        out.push_str(", ");
                    }
                    write_repr(out, &key);
                    out.push_str(": ");
                    write_repr(out, &value.get_item(&key).unwrap_or_default());
                }
            }
            out.push('}');
        }
        _ => match value.downcast_object_ref::<super::datetime::DateTime>() {
            Some(datetime) => out.push_str(&datetime.repr()),
            None => {
                let _ = write!(out, "{value}");
            }
        },
    }
}

/// A number as Python prints it (`1`, `1.5`, `1.0`, `1e+16`, `inf`).
pub(crate) fn py_number(value: &Value) -> String {
    if value.is_integer() {
        return value.to_string();
    }
    match f64::try_from(value.clone()) {
        Ok(f) => py_float(f),
        Err(_) => value.to_string(),
    }
}

/// Python's `repr(float)`: shortest round-trip digits, exponent form below 1e-4 and
/// from 1e16 on.
pub(crate) fn py_float(f: f64) -> String {
    if f.is_nan() {
        return "nan".to_string();
    }
    if f.is_infinite() {
        return if f < 0.0 { "-inf" } else { "inf" }.to_string();
    }
    if f == 0.0 {
        return if f.is_sign_negative() { "-0.0" } else { "0.0" }.to_string();
    }
    let sci = format!("{f:e}");
    let (mantissa, exponent) = sci.split_once('e').unwrap_or((&sci, "0"));
    let exponent: i32 = exponent.parse().unwrap_or(0);
    if (-4..16).contains(&exponent) {
        let mut plain = format!("{f}");
        if !plain.contains('.') {
            plain.push_str(".0");
        }
        plain
    } else {
        let sign = if exponent < 0 { '-' } else { '+' };
        format!("{mantissa}e{sign}{:02}", exponent.abs())
    }
}

/// Python's `repr(str)`: single quotes unless the text has a `'` and no `"`.
pub(crate) fn write_str_repr(out: &mut String, text: &str) {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    out.push(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if !is_printable(c) => {
                let code = u32::from(c);
                let _ = if code < 0x100 {
                    write!(out, "\\x{code:02x}")
                } else if code < 0x10000 {
                    write!(out, "\\u{code:04x}")
                } else {
                    write!(out, "\\U{code:08x}")
                };
            }
            c => out.push(c),
        }
    }
    out.push(quote);
}

/// Python's `str.isprintable` for one character, for the characters that matter in
/// practice: controls, separators other than the space, and format characters.
fn is_printable(c: char) -> bool {
    let code = u32::from(c);
    !(code < 0x20
        || (0x7f..=0xa0).contains(&code)
        || code == 0xad
        || (0x2000..=0x200f).contains(&code)
        || (0x2028..=0x202f).contains(&code)
        || (0x205f..=0x2064).contains(&code)
        || code == 0x3000
        || code == 0xfeff
        || (0xd800..=0xdfff).contains(&code)
        || (0xe000..=0xf8ff).contains(&code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats_print_like_python() {
        assert_eq!(py_float(1.0), "1.0");
        assert_eq!(py_float(1.5), "1.5");
        assert_eq!(py_float(0.1), "0.1");
        assert_eq!(py_float(1e16), "1e+16");
        assert_eq!(py_float(1.5e-5), "1.5e-05");
        assert_eq!(py_float(0.0001), "0.0001");
        assert_eq!(py_float(123456789.125), "123456789.125");
        assert_eq!(py_float(-2.5e20), "-2.5e+20");
    }

    #[test]
    fn strings_repr_like_python() {
        let repr = |s: &str| {
            let mut out = String::new();
            write_str_repr(&mut out, s);
            out
        };
        assert_eq!(repr("a"), "'a'");
        assert_eq!(repr("it's"), "\"it's\"");
        assert_eq!(repr("it's \"x\""), "'it\\'s \"x\"'");
        assert_eq!(repr("a\nb\\"), "'a\\nb\\\\'");
        assert_eq!(repr("\u{1b}[0m"), "'\\x1b[0m'");
        assert_eq!(repr("héllo"), "'héllo'");
    }

    #[test]
    fn containers_repr_like_python() {
        let value = Value::from_serialize(serde_json::json!({
            "a": [1, 2.5, true, null, "x"],
            "b": {"c": false}
        }));
        assert_eq!(
            py_str(&value),
            "{'a': [1, 2.5, True, None, 'x'], 'b': {'c': False}}"
        );
        assert_eq!(py_str(&Value::from(())), "");
        assert_eq!(py_str(&Value::from(true)), "True");
    }
}
