//! Ansible's (and Jinja2's) conversion filters with their semantics: `bool` (the
//! well-known spellings only), `mandatory`, `ternary`, `string`, and Jinja2's
//! forgiving `int`/`float` and Python-printing `join`, which minijinja's builtins
//! do differently.

use minijinja::value::{from_args, Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};

use super::filters::{invalid, text};
use super::value_format::py_repr;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("bool", to_bool);
    env.add_filter("mandatory", mandatory);
    env.add_filter("ternary", ternary);
    env.add_filter("string", string);
    env.add_filter("int", to_int);
    env.add_filter("float", to_float);
    env.add_filter("join", join);
}

/// Ansible's `bool`: the well-known spellings only; anything else is an error.
pub(crate) fn to_bool(value: Value) -> Result<bool, Error> {
    let refuse = || {
        invalid(format!(
            "bool: {} is not a boolean (accepted: true/false, yes/no, on/off, y/n, 1/0, '')",
            py_repr(&value)
        ))
    };
    match value.kind() {
        ValueKind::Undefined => Err(Error::from(ErrorKind::UndefinedError)),
        ValueKind::Bool => Ok(value.is_true()),
        ValueKind::Number => {
            let number = f64::try_from(value.clone()).unwrap_or(f64::NAN);
            if number == 1.0 {
                Ok(true)
            } else if number == 0.0 {
                Ok(false)
            } else {
                Err(refuse())
            }
        }
        ValueKind::String => {
            let lowered = value.as_str().unwrap_or_default().to_lowercase();
            match lowered.as_str() {
                "yes" | "on" | "true" | "1" | "y" => Ok(true),
                "no" | "off" | "false" | "0" | "n" | "" => Ok(false),
                _ => Err(refuse()),
            }
        }
        _ => Err(refuse()),
    }
}

fn mandatory(value: Value, msg: Option<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let msg = match msg {
        Some(msg) => Some(msg),
        None => kwargs.get::<Option<String>>("msg")?,
    };
    kwargs.assert_all_used()?;
    if !value.is_undefined() {
        return Ok(value);
    }
    Err(match msg {
        Some(msg) => invalid(msg),
        // The engine names the variable from this.
        None => Error::new(ErrorKind::UndefinedError, "mandatory variable not defined"),
    })
}

/// Ansible's `ternary(true_val, false_val, none_val=None)`, each by position or
/// by name.
fn ternary(value: Value, args: Rest<Value>) -> Result<Value, Error> {
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    let (positional, kwargs): (&[Value], Kwargs) = from_args(&args)?;
    let mut given: [Option<Value>; 3] = Default::default();
    for (index, name) in ["true_val", "false_val", "none_val"].iter().enumerate() {
        given[index] = match positional.get(index) {
            Some(value) => Some(value.clone()),
            None => kwargs.get::<Option<Value>>(name)?,
        };
    }
    kwargs.assert_all_used()?;
    if positional.len() > given.len() {
        return Err(invalid("ternary takes at most 3 arguments".to_string()));
    }
    let [true_val, false_val, none_val] = given;
    let (Some(true_val), Some(false_val)) = (true_val, false_val) else {
        return Err(Error::from(ErrorKind::MissingArgument));
    };
    Ok(match none_val {
        Some(none_val) if value.is_none() && !none_val.is_none() => none_val,
        _ if value.is_true() => true_val,
        _ => false_val,
    })
}

fn string(value: Value) -> Result<Value, Error> {
    if value.kind() == ValueKind::String {
        return Ok(value);
    }
    text(&value).map(Value::from)
}

/// Jinja2's `int(value, default=0, base=10)`: Python's `int()`, then
/// `int(float())`, then the default.
fn to_int(
    value: Value,
    default: Option<i64>,
    base: Option<u32>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let default = match default {
        Some(default) => default,
        None => kwargs.get::<Option<i64>>("default")?.unwrap_or(0),
    };
    let base = match base {
        Some(base) => base,
        None => kwargs.get::<Option<u32>>("base")?.unwrap_or(10),
    };
    kwargs.assert_all_used()?;
    if !(2..=36).contains(&base) {
        return Err(invalid(format!(
            "int: base must be between 2 and 36, not {base}"
        )));
    }
    let parsed = match value.kind() {
        ValueKind::Undefined => return Err(Error::from(ErrorKind::UndefinedError)),
        ValueKind::Bool => Some(i64::from(value.is_true())),
        ValueKind::Number if value.is_integer() => return Ok(value),
        ValueKind::Number => f64::try_from(value.clone()).ok().and_then(truncate),
        ValueKind::String => {
            let text = value.as_str().unwrap_or_default();
            parse_int(text, base).or_else(|| parse_float(text).and_then(truncate))
        }
        _ => None,
    };
    Ok(Value::from(parsed.unwrap_or(default)))
}

fn truncate(f: f64) -> Option<i64> {
    let t = f.trunc();
    (t.is_finite() && t.abs() < 9.2e18).then_some(t as i64)
}

/// Python's `int(text, base)`: surrounding whitespace, a sign, `_` between digits
/// and a matching `0x`/`0o`/`0b` prefix are allowed.
fn parse_int(text: &str, base: u32) -> Option<i64> {
    let text = text.trim();
    let (negative, digits) = match text.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, text.strip_prefix('+').unwrap_or(text)),
    };
    let prefix = match base {
        16 => ["0x", "0X"],
        8 => ["0o", "0O"],
        2 => ["0b", "0B"],
        _ => ["", ""],
    };
    let digits = prefix
        .iter()
        .filter(|p| !p.is_empty())
        .find_map(|p| digits.strip_prefix(p))
        .unwrap_or(digits);
    if digits.is_empty()
        || digits.starts_with('_')
        || digits.ends_with('_')
        || digits.contains("__")
    {
        return None;
    }
    let magnitude = i64::from_str_radix(&digits.replace('_', ""), base).ok()?;
    Some(if negative { -magnitude } else { magnitude })
}

/// Python's `float(text)`.
fn parse_float(text: &str) -> Option<f64> {
    let text = text.trim();
    if text.is_empty() || text.starts_with('_') || text.ends_with('_') || text.contains("__") {
        return None;
    }
    text.replace('_', "").parse().ok()
}

/// Jinja2's `float(value, default=0.0)`.
fn to_float(value: Value, default: Option<f64>, kwargs: Kwargs) -> Result<Value, Error> {
    let default = match default {
        Some(default) => default,
        None => kwargs.get::<Option<f64>>("default")?.unwrap_or(0.0),
    };
    kwargs.assert_all_used()?;
    let parsed = match value.kind() {
        ValueKind::Undefined => return Err(Error::from(ErrorKind::UndefinedError)),
        ValueKind::Bool => Some(if value.is_true() { 1.0 } else { 0.0 }),
        ValueKind::Number => f64::try_from(value.clone()).ok(),
        ValueKind::String => parse_float(value.as_str().unwrap_or_default()),
        _ => None,
    };
    Ok(Value::from(parsed.unwrap_or(default)))
}

/// Jinja2's `join(d='', attribute=None)`, items printed as Python's `str()`.
fn join(value: Value, separator: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let separator = match separator {
        Some(separator) => separator,
        None => kwargs.get::<Option<String>>("d")?.unwrap_or_default(),
    };
    let attribute = kwargs.get::<Option<String>>("attribute")?;
    kwargs.assert_all_used()?;
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    super::python_iteration::iterable(Some(&value), "join")?;
    let items: Vec<Value> = match value.as_str() {
        Some(text) => text.chars().map(Value::from).collect(),
        None => value.try_iter()?.collect(),
    };
    let mut parts = Vec::with_capacity(items.len());
    for item in items {
        let item = match &attribute {
            Some(path) => {
                path.split('.')
                    .try_fold(item, |current, key| match key.parse::<usize>() {
                        Ok(index) if current.kind() == ValueKind::Seq => {
                            current.get_item_by_index(index)
                        }
                        _ => current.get_attr(key),
                    })?
            }
            None => item,
        };
        parts.push(text(&item)?);
    }
    Ok(parts.join(&separator))
}
