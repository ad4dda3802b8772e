//! What Python gives a Jinja2 template that minijinja does not: `dict()` built from
//! pairs or a mapping as well as keywords (`dict(keys | zip(values))`), list methods
//! beyond minijinja-contrib's (`index`, `count`), and the `string` test false for
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

/// minijinja-contrib's Python methods, then more of `str`'s
/// (template/python_str_methods.rs), `list.index` and `list.count`.
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
        return super::python_str_methods::call(text, method, args);
    }
    if method == "copy"
        && args.is_empty()
        && matches!(value.kind(), ValueKind::Seq | ValueKind::Map)
    {
        return super::python_mutation::mutable_copy(value);
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
