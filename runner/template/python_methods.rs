//! What Python gives a Jinja2 template that minijinja does not: `dict()` built from
//! pairs or a mapping as well as keywords (`dict(keys | zip(values))`), list methods
//! beyond minijinja-contrib's (`index`, `count`), string methods it lacks
//! (`partition`, `rpartition`, `rsplit`, `zfill`, `removeprefix`, `removesuffix`),
//! and the `string` test false for
//! `omit` (a placeholder object in ansible-core, a marked string here).

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::OMIT;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function("dict", dict);
    env.add_test("string", |value: Value| {
        value.kind() == ValueKind::String && value.as_str() != Some(OMIT)
    });
}

/// Python's `dict(iterable_or_mapping, **kwargs)`.
fn dict(args: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let mut pairs: Vec<(Value, Value)> = Vec::new();
    match args.as_slice() {
        [] => {}
        [source] if source.kind() == ValueKind::Map => {
            for key in source.try_iter()? {
                let item = source.get_item(&key).unwrap_or_default();
                pairs.push((key, item));
            }
        }
        [source] => {
            for pair in source.try_iter()? {
                let items: Vec<Value> = pair.try_iter()?.collect();
                let [key, item] = <[Value; 2]>::try_from(items).map_err(|items| {
                    Error::new(
                        ErrorKind::InvalidOperation,
                        format!(
                            "dict(): sequence element has length {}; 2 is required",
                            items.len()
                        ),
                    )
                })?;
                pairs.push((key, item));
            }
        }
        _ => {
            return Err(Error::new(
                ErrorKind::TooManyArguments,
                "dict() takes at most one positional argument",
            ))
        }
    }
    for key in kwargs.args() {
        let item: Value = kwargs.get(key)?;
        pairs.push((Value::from(key), item));
    }
    // Later pairs replace earlier ones in place, as Python's dict keeps first positions.
    let mut merged: indexmap::IndexMap<Value, Value> = indexmap::IndexMap::new();
    for (key, item) in pairs {
        merged.insert(key, item);
    }
    Ok(Value::from_iter(merged))
}

/// minijinja-contrib's Python methods, then `list.index` and `list.count`.
pub(crate) fn call(
    state: &State,
    value: &Value,
    method: &str,
    args: &[Value],
) -> Result<Value, Error> {
    match minijinja_contrib::pycompat::unknown_method_callback(state, value, method, args) {
        Err(err) if err.kind() == ErrorKind::UnknownMethod => {}
        other => return other,
    }
    if let Some(text) = value.as_str() {
        return string_method(text, method, args);
    }
    if value.kind() != ValueKind::Seq {
        return Err(Error::from(ErrorKind::UnknownMethod));
    }
    match (method, args) {
        ("index", [needle]) => value
            .try_iter()?
            .position(|item| &item == needle)
            .map(Value::from)
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::InvalidOperation,
                    format!("{needle} is not in list"),
                )
            }),
        ("count", [needle]) => Ok(Value::from(
            value.try_iter()?.filter(|item| item == needle).count(),
        )),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

/// Python's `str` methods minijinja-contrib does not have.
fn string_method(text: &str, method: &str, args: &[Value]) -> Result<Value, Error> {
    let separator = |arg: &Value| match arg.as_str() {
        Some("") => Err(Error::new(ErrorKind::InvalidOperation, "empty separator")),
        Some(sep) => Ok(sep.to_string()),
        None => Err(Error::new(
            ErrorKind::InvalidOperation,
            "must be str, not ".to_string() + &super::value_format::py_type_name(arg),
        )),
    };
    let triple =
        |a: &str, b: &str, c: &str| Value::from(vec![a.to_string(), b.to_string(), c.to_string()]);
    match (method, args) {
        ("partition", [sep]) => {
            let sep = separator(sep)?;
            Ok(match text.split_once(sep.as_str()) {
                Some((head, tail)) => triple(head, &sep, tail),
                None => triple(text, "", ""),
            })
        }
        ("rpartition", [sep]) => {
            let sep = separator(sep)?;
            Ok(match text.rsplit_once(sep.as_str()) {
                Some((head, tail)) => triple(head, &sep, tail),
                None => triple("", "", text),
            })
        }
        ("rsplit", [sep, ..]) if !sep.is_none() && args.len() <= 2 => {
            let sep = separator(sep)?;
            let limit = match args.get(1) {
                Some(n) => i64::try_from(n.clone())?,
                None => -1,
            };
            let mut parts: Vec<&str> = match usize::try_from(limit) {
                Ok(n) => text.rsplitn(n + 1, sep.as_str()).collect(),
                Err(_) => text.rsplit(sep.as_str()).collect(),
            };
            parts.reverse();
            Ok(Value::from_iter(parts.into_iter().map(str::to_string)))
        }
        ("rsplit", []) => Ok(Value::from_iter(
            text.split_whitespace().map(str::to_string),
        )),
        ("zfill", [width]) => {
            let width = usize::try_from(width.clone())?;
            let count = text.chars().count();
            if count >= width {
                return Ok(Value::from(text));
            }
            let (sign, digits) = match text.strip_prefix(['+', '-']) {
                Some(rest) => (&text[..1], rest),
                None => ("", text),
            };
            Ok(Value::from(format!(
                "{sign}{}{digits}",
                "0".repeat(width - count)
            )))
        }
        ("removeprefix", [prefix]) => Ok(Value::from(
            text.strip_prefix(separator(prefix).unwrap_or_default().as_str())
                .unwrap_or(text),
        )),
        ("removesuffix", [suffix]) => Ok(Value::from(
            text.strip_suffix(separator(suffix).unwrap_or_default().as_str())
                .unwrap_or(text),
        )),
        _ => Err(Error::from(ErrorKind::UnknownMethod)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call_on(text: &str, method: &str, args: &[Value]) -> String {
        string_method(text, method, args).unwrap().to_string()
    }

    #[test]
    fn string_methods_answer_as_python() {
        let s = |v: &str| Value::from(v);
        assert_eq!(
            call_on("key=value=x", "partition", &[s("=")]),
            r#"["key", "=", "value=x"]"#
        );
        assert_eq!(call_on("abc", "partition", &[s("=")]), r#"["abc", "", ""]"#);
        assert_eq!(
            call_on("a.b.c", "rpartition", &[s(".")]),
            r#"["a.b", ".", "c"]"#
        );
        assert_eq!(
            call_on("abc", "rpartition", &[s(".")]),
            r#"["", "", "abc"]"#
        );
        assert_eq!(
            call_on("a.b.c", "rsplit", &[s("."), Value::from(1)]),
            r#"["a.b", "c"]"#
        );
        assert_eq!(call_on("a.b.c", "rsplit", &[s(".")]), r#"["a", "b", "c"]"#);
        assert_eq!(call_on("-42", "zfill", &[Value::from(5)]), "-0042");
        assert_eq!(call_on("7", "zfill", &[Value::from(3)]), "007");
        assert_eq!(call_on("v1.2", "removeprefix", &[s("v")]), "1.2");
        assert_eq!(call_on("app.conf", "removesuffix", &[s(".conf")]), "app");
        assert!(string_method("a", "partition", &[s("")]).is_err());
    }
}
