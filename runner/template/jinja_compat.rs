//! Jinja2 builtins whose minijinja versions answer differently, as the expression
//! matrix (tests/expression_matrix.rs) found against ansible-core: `min` and `max`
//! compare strings without case by default, `last` of a mapping is its last key,
//! `tojson` is Jinja's HTML-safe `json.dumps` (sorted keys, `", "` separators, ASCII),
//! and the tests follow Python's types: a boolean is a number, a string and a mapping
//! are sequences, `lower`/`upper` read any value as `str()`, `odd`/`even`/
//! `divisibleby` want numbers, comparisons (`ge`, `lt`, …) and `contains` fail on
//! types Python cannot compare or search, as ansible-core's do.

use minijinja::value::{from_args, Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, State, Value};

use super::filters::{invalid, keywords_as_positions};
use super::pyjson;
use super::value_format::{py_text, py_type_name};
use std::cmp::Ordering;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("min", |value: Value, kwargs: Kwargs| {
        extreme(&value, &kwargs, std::cmp::Ordering::Less)
    });
    env.add_filter("max", |value: Value, kwargs: Kwargs| {
        extreme(&value, &kwargs, std::cmp::Ordering::Greater)
    });
    env.add_filter("last", last);
    env.add_filter("unique", unique);
    // Jinja's dictsort(value, case_sensitive=False, by='key', reverse=False) by
    // position as well: minijinja's takes keywords only.
    env.add_filter("dictsort", |value: Value, args: Rest<Value>| {
        let (positional, kwargs): (&[Value], Kwargs) = from_args(&args)?;
        let mut named: Vec<(String, Value)> = Vec::new();
        for (name, given) in ["case_sensitive", "by", "reverse"].iter().zip(positional) {
            if kwargs.has(name) {
                return Err(invalid(format!(
                    "dictsort: got multiple values for argument '{name}'"
                )));
            }
            named.push((name.to_string(), given.clone()));
        }
        if positional.len() > 3 {
            return Err(Error::from(minijinja::ErrorKind::TooManyArguments));
        }
        for name in kwargs.args() {
            named.push((name.to_string(), kwargs.get::<Value>(name)?));
        }
        minijinja::filters::dictsort(&value, named.into_iter().collect())
    });
    for name in ["default", "d"] {
        env.add_filter(
            name,
            keywords_as_positions(
                Value::from_function(minijinja::filters::default),
                vec![
                    ("default_value", Value::from("")),
                    ("boolean", Value::from(false)),
                ],
            ),
        );
    }
    env.add_filter("tojson", |value: Value, indent: Option<usize>| {
        let options = pyjson::Options {
            indent,
            sort_keys: true,
            ensure_ascii: true,
            separators: None,
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
    env.add_test("lower", |value: Value| cased(&py_text(&value), false));
    env.add_test("upper", |value: Value| cased(&py_text(&value), true));
    env.add_test("odd", |value: Value| {
        Ok::<_, Error>(remainder(&value, 2.0, "odd")? == 1.0)
    });
    env.add_test("even", |value: Value| {
        Ok::<_, Error>(remainder(&value, 2.0, "even")? == 0.0)
    });
    let divisibleby = keywords_as_positions(
        Value::from_function(|value: Value, by: Value| {
            let by = number(&by, "divisibleby")?;
            Ok::<_, Error>(remainder(&value, by, "divisibleby")? == 0.0)
        }),
        vec![("num", Value::UNDEFINED)],
    );
    env.add_test("divisibleby", move |state: &State, args: Rest<Value>| {
        divisibleby(state, args).map(|answer| answer.is_true())
    });
    for (names, wanted) in [
        (&["ge", ">="][..], &[Ordering::Greater, Ordering::Equal][..]),
        (&["gt", "greaterthan", ">"][..], &[Ordering::Greater][..]),
        (&["le", "<="][..], &[Ordering::Less, Ordering::Equal][..]),
        (&["lt", "lessthan", "<"][..], &[Ordering::Less][..]),
    ] {
        for name in names {
            env.add_test(*name, move |a: Value, b: Value| {
                if !comparable(&a, &b) {
                    return Err(invalid(format!(
                        "'{name}' not supported between instances of '{}' and '{}'",
                        py_type_name(&a),
                        py_type_name(&b)
                    )));
                }
                Ok(wanted.contains(&py_cmp(&a, &b)))
            });
        }
    }
    env.add_test("contains", |seq: Value, item: Value| match seq.kind() {
        ValueKind::String => match (seq.as_str(), item.as_str()) {
            (Some(text), Some(part)) => Ok(text.contains(part)),
            _ => Err(invalid(format!(
                "'in <string>' requires string as left operand, not {}",
                py_type_name(&item)
            ))),
        },
        ValueKind::Seq | ValueKind::Map | ValueKind::Iterable => {
            Ok(seq.try_iter()?.any(|x| x == item))
        }
        _ => Err(invalid(format!(
            "argument of type '{}' is not iterable",
            py_type_name(&seq)
        ))),
    });
    env.add_test("sequence", |value: Value| {
        matches!(
            value.kind(),
            ValueKind::String | ValueKind::Seq | ValueKind::Map | ValueKind::Bytes
        )
    });
}

/// Python's `str.islower()`/`isupper()`: some cased character, none of the other case.
fn cased(text: &str, upper: bool) -> bool {
    let mut any = false;
    for c in text.chars() {
        if c.is_lowercase() || c.is_uppercase() {
            any = true;
            if c.is_uppercase() != upper {
                return false;
            }
        }
    }
    any
}

fn number(value: &Value, test: &str) -> Result<f64, Error> {
    match value.kind() {
        ValueKind::Bool => Ok(f64::from(u8::from(value.is_true()))),
        ValueKind::Number => {
            f64::try_from(value.clone()).map_err(|_| invalid(format!("{test}: not a number")))
        }
        _ => Err(invalid(format!(
            "{test}: unsupported operand type(s) for %: '{}' and 'int'",
            py_type_name(value)
        ))),
    }
}

/// Python's `value % by` (the sign of the divisor).
fn remainder(value: &Value, by: f64, test: &str) -> Result<f64, Error> {
    let value = number(value, test)?;
    if by == 0.0 {
        return Err(invalid(format!("{test}: integer modulo by zero")));
    }
    Ok(value - by * (value / by).floor())
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
                        py_type_name(&item_key),
                        py_type_name(&best_key)
                    )));
                }
                if py_cmp(&item_key, &best_key) == wanted {
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
pub(crate) fn attribute_of(item: &Value, attr: &Value) -> Result<Value, Error> {
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

/// Python's order of two comparable values: a boolean is the number 0 or 1.
fn py_cmp(a: &Value, b: &Value) -> Ordering {
    let as_number = |v: &Value| match v.kind() {
        ValueKind::Bool => Value::from(i64::from(v.is_true())),
        _ => v.clone(),
    };
    if let (Some(a), Some(b)) = (datetime(a), datetime(b)) {
        return a.order(b);
    }
    as_number(a).cmp(&as_number(b))
}

fn datetime(value: &Value) -> Option<&super::datetime::DateTime> {
    value.downcast_object_ref::<super::datetime::DateTime>()
}

/// Whether Python orders the two (numbers with numbers, strings with strings,
/// lists with lists).
pub(crate) fn comparable(a: &Value, b: &Value) -> bool {
    let class = |v: &Value| match v.kind() {
        ValueKind::Number | ValueKind::Bool => 0,
        ValueKind::String => 1,
        ValueKind::Seq => 2,
        _ if datetime(v).is_some() => 4,
        _ => 3,
    };
    class(a) == class(b) && class(a) != 3
}

/// Jinja's `do_unique(value, case_sensitive=False, attribute=None)`: the first of
/// each item, strings compared without case unless `case_sensitive` is truthy (as
/// Python reads it: `'true'` is).
fn unique(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let case_sensitive = kwargs
        .get::<Option<Value>>("case_sensitive")?
        .is_some_and(|v| v.is_true());
    let attribute: Option<Value> = kwargs.get("attribute")?;
    kwargs.assert_all_used()?;
    super::python_iteration::iterable(Some(&value), "unique")?;
    let mut seen: Vec<Value> = Vec::new();
    let mut out = Vec::new();
    for item in value.try_iter()? {
        let key = match &attribute {
            Some(attr) => attribute_of(&item, attr)?,
            None => item.clone(),
        };
        let key = match key.as_str() {
            Some(text) if !case_sensitive => Value::from(text.to_lowercase()),
            _ => key,
        };
        if !seen.contains(&key) {
            seen.push(key);
            out.push(item);
        }
    }
    Ok(Value::from(out))
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
            py_type_name(&value)
        ))),
    }
}
