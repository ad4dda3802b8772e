//! Jinja2 builtins whose minijinja versions answer differently, as the expression
//! matrix (tests/expression_matrix.rs) found against ansible-core: `min` and `max`
//! compare strings without case by default, `last` of a mapping is its last key,
//! `tojson` is Jinja's HTML-safe `json.dumps` (sorted keys, `", "` separators, ASCII),
//! and the `number` and `sequence` tests follow Python's types (a boolean is a number,
//! a string and a mapping are sequences).

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filters::invalid;
use super::pyjson;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("min", |value: Value, kwargs: Kwargs| {
        extreme(&value, &kwargs, std::cmp::Ordering::Less)
    });
    env.add_filter("max", |value: Value, kwargs: Kwargs| {
        extreme(&value, &kwargs, std::cmp::Ordering::Greater)
    });
    env.add_filter("last", last);
    env.add_filter("tojson", |value: Value, indent: Option<usize>| {
        let options = pyjson::Options {
            indent,
            sort_keys: true,
            ensure_ascii: true,
        };
        let text = pyjson::dumps(&value, &options)?;
        Ok::<_, Error>(
            text.replace('<', "\\u003c")
                .replace('>', "\\u003e")
                .replace('&', "\\u0026")
                .replace('\'', "\\u0027"),
        )
    });
    env.add_test("number", |value: Value| {
        matches!(value.kind(), ValueKind::Number | ValueKind::Bool)
    });
    env.add_test("sequence", |value: Value| {
        matches!(
            value.kind(),
            ValueKind::String | ValueKind::Seq | ValueKind::Map | ValueKind::Bytes
        )
    });
}

/// Jinja's `do_min`/`do_max(value, case_sensitive=False, attribute=None)`.
fn extreme(value: &Value, kwargs: &Kwargs, wanted: std::cmp::Ordering) -> Result<Value, Error> {
    let case_sensitive: Option<bool> = kwargs.get("case_sensitive")?;
    let attribute: Option<Value> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    let key = |item: &Value| -> Result<Value, Error> {
        let item = match &attribute {
            Some(attr) => attribute_of(item, attr)?,
            None => item.clone(),
        };
        Ok(match item.as_str() {
            Some(text) if !case_sensitive.unwrap_or(false) => Value::from(text.to_lowercase()),
            _ => item,
        })
    };
    let mut best: Option<(Value, Value)> = None;
    for item in value.try_iter()? {
        let item_key = key(&item)?;
        best = match best {
            None => Some((item, item_key)),
            Some((best_item, best_key)) => {
                if !comparable(&item_key, &best_key) {
                    return Err(invalid(format!(
                        "'<' not supported between instances of '{}' and '{}'",
                        super::value_format::py_type_name(&item_key),
                        super::value_format::py_type_name(&best_key)
                    )));
                }
                if item_key.cmp(&best_key) == wanted {
                    Some((item, item_key))
                } else {
                    Some((best_item, best_key))
                }
            }
        };
    }
    Ok(best.map(|(item, _)| item).unwrap_or_default())
}

/// `attribute='a.b'` or an index, as Jinja's `make_attrgetter`.
fn attribute_of(item: &Value, attr: &Value) -> Result<Value, Error> {
    let Some(path) = attr.as_str() else {
        return item.get_item(attr);
    };
    let mut current = item.clone();
    for part in path.split('.') {
        current = match part.parse::<i64>() {
            Ok(index) => current.get_item(&Value::from(index))?,
            Err(_) => current.get_attr(part)?,
        };
    }
    Ok(current)
}

/// Whether Python orders the two (numbers with numbers, strings with strings,
/// lists with lists).
fn comparable(a: &Value, b: &Value) -> bool {
    let class = |v: &Value| match v.kind() {
        ValueKind::Number | ValueKind::Bool => 0,
        ValueKind::String => 1,
        ValueKind::Seq => 2,
        _ => 3,
    };
    class(a) == class(b) && class(a) != 3
}

/// Jinja's `do_last`: the last item of a sequence, the last key of a mapping, the
/// last character of a string; undefined when empty.
fn last(value: Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String => Ok(value
            .as_str()
            .and_then(|s| s.chars().next_back())
            .map(|c| Value::from(c.to_string()))
            .unwrap_or_default()),
        ValueKind::Map | ValueKind::Seq | ValueKind::Iterable => {
            Ok(value.try_iter()?.last().unwrap_or_default())
        }
        _ => Err(invalid(format!(
            "'{}' object is not reversible",
            super::value_format::py_type_name(&value)
        ))),
    }
}
