//! Jinja2's sequence filters with Python's rules for what iterates, where minijinja's
//! builtins are more lenient (found by the expression matrix, tests/expression_matrix.rs):
//! none is not iterable (`none | list`, `sort`, `reverse`, `sum`, `batch`, `slice`,
//! `zip` fail, as in ansible-core); `select`, `reject`, `selectattr`, `rejectattr` and
//! `map` start with Jinja's `if value:` (so `0 | select` is `[]`), and an attribute an
//! item lacks is Ansible's undefined, an error once tested for truth; `sort` orders
//! only what Python orders; `reverse` of a mapping is its keys, last first; `indent`
//! wants a string; `is iterable` is false for none; `groupby`, `sort` and `sum` by an
//! attribute an item lacks fail; `map(attribute=…)` yields Ansible's undefined for such
//! an item, which only `select('defined')`/`reject('undefined')`, `length`, indexing
//! and `first` may meet (printing it, `list` or any other test fails). Each wrapper checks and then calls
//! minijinja's own filter, so the answers for valid input stay minijinja's.

use minijinja::value::{from_args, Kwargs, Rest, ValueKind};
use minijinja::{filters as builtin, Environment, Error, ErrorKind, State, Value};

use super::filters::{invalid, keywords_as_positions};
use super::jinja_compat::{attribute_of, comparable};
use super::value_format::{py_type_name, refuse_undefined_items};

pub(crate) fn register(env: &mut Environment<'static>) {
    let iterating = [
        ("list", Value::from_function(builtin::list)),
        ("batch", Value::from_function(builtin::batch)),
        ("slice", Value::from_function(builtin::slice)),
        ("zip", Value::from_function(builtin::zip)),
    ];
    for (name, filter) in iterating {
        let filter = Value::from_function(keywords_as_positions(
            filter,
            match name {
                "batch" => vec![
                    ("linecount", Value::UNDEFINED),
                    ("fill_with", Value::from(())),
                ],
                "slice" => vec![("slices", Value::UNDEFINED), ("fill_with", Value::from(()))],
                _ => Vec::new(),
            },
        ));
        env.add_filter(name, move |state: &State, args: Rest<Value>| {
            iterable(args.first(), name)?;
            if matches!(name, "list" | "zip") {
                for value in args.iter() {
                    refuse_undefined_items(value)?;
                }
            }
            filter.call(state, &args)
        });
    }
    env.add_filter("sum", sum);
    let sort = Value::from_function(builtin::sort);
    env.add_filter("sort", move |state: &State, args: Rest<Value>| {
        iterable(args.first(), "sort")?;
        let (value, rest) = split(&args)?;
        let (_, kwargs): (&[Value], Kwargs) = from_args(rest)?;
        match kwargs.get::<Option<Value>>("attribute")? {
            Some(attr) => {
                // Jinja sorts by several attributes given as `'a,b'`.
                let names: Vec<Value> = match attr.as_str() {
                    Some(names) => names.split(',').map(|n| Value::from(n.trim())).collect(),
                    None => vec![attr],
                };
                for item in value.try_iter()? {
                    for name in &names {
                        attribute(&item, name)?;
                    }
                }
            }
            None => sortable(value)?,
        }
        sort.call(state, &args)
    });
    let groupby = Value::from_function(builtin::groupby);
    env.add_filter("groupby", move |state: &State, args: Rest<Value>| {
        let (value, rest) = split(&args)?;
        let (positional, kwargs): (&[Value], Kwargs) = from_args(rest)?;
        let attr = kwargs.get::<Option<Value>>("attribute")?;
        let default = kwargs.get::<Option<Value>>("default")?;
        let named = attr.as_ref().or(positional.first()).and_then(Value::as_str);
        if let Some(groups) = named.and_then(|name| group_numbers(value, name)) {
            return Ok(groups);
        }
        if let (Some(attr), None) = (attr.as_ref().or(positional.first()), default) {
            for item in value.try_iter()? {
                attribute(&item, attr)?;
            }
        }
        groupby.call(state, &args)
    });
    env.add_filter("reverse", reverse);
    env.add_filter("indent", |args: Rest<Value>| match args.first() {
        Some(text) if text.kind() == ValueKind::String => indent(&args),
        other => Err(invalid(format!(
            "indent: can only concatenate str (not \"{}\") to str",
            other.map_or("AnsibleUndefined", py_type_name)
        ))),
    });
    for (name, filter, by_attribute) in [
        ("select", Value::from_function(builtin::select), false),
        ("reject", Value::from_function(builtin::reject), false),
        (
            "selectattr",
            Value::from_function(builtin::selectattr),
            true,
        ),
        (
            "rejectattr",
            Value::from_function(builtin::rejectattr),
            true,
        ),
    ] {
        env.add_filter(name, move |state: &State, args: Rest<Value>| {
            let (value, rest) = split(&args)?;
            if !value.is_true() {
                return Ok(Value::from(Vec::<Value>::new()));
            }
            // Only `defined`/`undefined` may look at Ansible's undefined (an item's
            // missing attribute, or an item map(attribute=…) found none for); testing
            // it for truth or with any other test fails.
            let test = rest.get(usize::from(by_attribute)).and_then(Value::as_str);
            if !matches!(test, Some("defined" | "undefined")) {
                for item in value.try_iter()? {
                    match (by_attribute, rest.first()) {
                        (true, Some(attr)) => drop(attribute(&item, attr)?),
                        _ if item.is_undefined() => {
                            return Err(Error::from(ErrorKind::UndefinedError))
                        }
                        _ => {}
                    }
                }
            }
            filter.call(state, &args)
        });
    }
    let map = Value::from_function(builtin::map);
    env.add_filter("map", move |state: &State, args: Rest<Value>| {
        let (value, rest) = split(&args)?;
        if !value.is_true() {
            return Ok(Value::from(Vec::<Value>::new()));
        }
        let (positional, kwargs): (&[Value], Kwargs) = from_args(rest)?;
        if let Some(filter_name) = positional.first().and_then(Value::as_str) {
            // As Jinja2: `map('map', attribute='x')` hands the keywords to the named
            // filter (minijinja's map refuses them).
            let mut mapped = Vec::new();
            for item in value.try_iter()? {
                let call: Vec<Value> = std::iter::once(item)
                    .chain(rest[1..].iter().cloned())
                    .collect();
                mapped.push(state.apply_filter(filter_name, &call)?);
            }
            return Ok(Value::from(mapped));
        }
        let default = kwargs
            .get::<Option<Value>>("default")?
            .filter(|default| !default.is_none());
        if let (Some(attr), None) = (kwargs.get::<Option<Value>>("attribute")?, default) {
            // Jinja yields Ansible's undefined for an item without the attribute:
            // `select('defined')` drops it, `length` counts it, any other use fails.
            if attr.as_str().is_some() {
                return value
                    .try_iter()?
                    .map(|item| {
                        Ok(attribute_of(&item, &attr)
                            .ok()
                            .filter(|found| !found.is_undefined())
                            .unwrap_or(Value::UNDEFINED))
                    })
                    .collect::<Result<Vec<_>, Error>>()
                    .map(Value::from);
            }
        }
        map.call(state, &args)
    });
    env.add_test("iterable", |value: Value| {
        matches!(
            value.kind(),
            ValueKind::String
                | ValueKind::Bytes
                | ValueKind::Seq
                | ValueKind::Map
                | ValueKind::Iterable
        )
    });
}

/// The filtered value (undefined is an error) and the filter's other arguments.
fn split(args: &[Value]) -> Result<(&Value, &[Value]), Error> {
    match args.split_first() {
        Some((value, _)) if value.is_undefined() => Err(Error::from(ErrorKind::UndefinedError)),
        Some((value, rest)) => Ok((value, rest)),
        None => Err(Error::from(ErrorKind::MissingArgument)),
    }
}

/// Jinja's `sum(iterable, attribute=None, start=0)`: each item (or its attribute)
/// added to `start`; a list `start` concatenates lists (`sum(start=[])` flattens one
/// level, as roles use it).
fn sum(state: &State, args: Rest<Value>) -> Result<Value, Error> {
    iterable(args.first(), "sum")?;
    let (values, rest) = split(&args)?;
    let (positional, kwargs): (&[Value], Kwargs) = from_args(rest)?;
    let attribute_name = match kwargs.get::<Option<Value>>("attribute")? {
        Some(name) => Some(name),
        None => positional.first().cloned(),
    };
    let start = match kwargs.get::<Option<Value>>("start")? {
        Some(start) => start,
        None => positional.get(1).cloned().unwrap_or(Value::from(0)),
    };
    kwargs.assert_all_used()?;
    let mut items = Vec::new();
    for item in values.try_iter()? {
        items.push(match attribute_name.as_ref().filter(|a| !a.is_none()) {
            Some(name) => attribute(&item, name)?,
            None => item,
        });
    }
    if start.kind() != ValueKind::Seq {
        items.insert(0, start);
        return builtin::sum(state, Value::from(items));
    }
    let mut joined: Vec<Value> = start.try_iter()?.collect();
    for item in items {
        if item.kind() != ValueKind::Seq {
            return Err(invalid(format!(
                "sum: can only concatenate list (not \"{}\") to list",
                py_type_name(&item)
            )));
        }
        joined.extend(item.try_iter()?);
    }
    Ok(Value::from(joined))
}

/// Jinja's `do_indent(s, width=4, first=False, blank=False)`, quirk included: a newline
/// is added before the lines are split, so text ending in a newline keeps it (and
/// `to_nice_yaml | indent(2)` ends its last line as it did).
fn indent(args: &[Value]) -> Result<Value, Error> {
    let (value, rest) = split(args)?;
    let (positional, kwargs): (&[Value], Kwargs) = from_args(rest)?;
    let arg = |index: usize, name: &str| -> Result<Option<Value>, Error> {
        Ok(match kwargs.get::<Option<Value>>(name)? {
            Some(given) => Some(given),
            None => positional.get(index).cloned(),
        })
    };
    let indention = match arg(0, "width")? {
        None => "    ".to_string(),
        Some(width) if width.kind() == ValueKind::String => {
            width.as_str().unwrap_or_default().into()
        }
        Some(width) => " ".repeat(usize::try_from(width).unwrap_or(0)),
    };
    let first = arg(1, "first")?.is_some_and(|v| v.is_true());
    let blank = arg(2, "blank")?.is_some_and(|v| v.is_true());
    kwargs.assert_all_used()?;
    let text = format!("{}\n", value.as_str().unwrap_or_default());
    let lines = super::wordwrap::python_splitlines(&text);
    let mut out = if blank {
        lines.join(&format!("\n{indention}"))
    } else {
        let mut lines = lines.into_iter();
        let mut out = lines.next().unwrap_or_default().to_string();
        let others: Vec<String> = lines
            .map(|line| {
                if line.is_empty() {
                    String::new()
                } else {
                    format!("{indention}{line}")
                }
            })
            .collect();
        if !others.is_empty() {
            out.push('\n');
            out.push_str(&others.join("\n"));
        }
        out
    };
    if first {
        out.insert_str(0, &indention);
    }
    Ok(Value::from(out))
}

/// Python refuses to iterate none (minijinja iterates it as empty).
pub(crate) fn iterable(value: Option<&Value>, filter: &str) -> Result<(), Error> {
    match value {
        Some(value) if value.is_none() => Err(invalid(format!(
            "{filter}: 'NoneType' object is not iterable"
        ))),
        _ => Ok(()),
    }
}

/// `item.attr` as Jinja's `make_attrgetter` reads it (`a.b`, `a.0`); a missing one is
/// an error naming it.
/// A Python number's own attribute (`real`, `imag`; an int's `numerator`,
/// `denominator`), which Jinja's attribute lookup finds and minijinja's does not.
fn number_attribute(item: &Value, name: &str) -> Option<Value> {
    let int = item.is_integer();
    match (item.kind(), name) {
        (ValueKind::Number, "real") => Some(item.clone()),
        (ValueKind::Number, "imag") if int => Some(Value::from(0)),
        (ValueKind::Number, "imag") => Some(Value::from(0.0)),
        (ValueKind::Number, "numerator") if int => Some(item.clone()),
        (ValueKind::Number, "denominator") if int => Some(Value::from(1)),
        _ => None,
    }
}

/// `groupby` of numbers by one of their attributes (`ints | groupby('real')`), as
/// Jinja's: sorted by it, each group `(grouper, list)`; `None` unless every item is
/// a number that has it.
fn group_numbers(value: &Value, name: &str) -> Option<Value> {
    let mut keyed: Vec<(Value, Value)> = value
        .try_iter()
        .ok()?
        .map(|item| number_attribute(&item, name).map(|key| (key, item)))
        .collect::<Option<_>>()?;
    keyed.sort_by(|a, b| a.0.cmp(&b.0));
    let mut groups: Vec<(Value, Vec<Value>)> = Vec::new();
    for (key, item) in keyed {
        match groups.last_mut() {
            Some((last, list)) if *last == key => list.push(item),
            _ => groups.push((key, vec![item])),
        }
    }
    let tuples = groups.into_iter().map(|(grouper, list)| {
        Value::from_object(GroupTuple {
            grouper,
            list: Value::from(list),
        })
    });
    Some(Value::from(tuples.collect::<Vec<_>>()))
}

/// One group of `groupby`: a pair, also `grouper` and `list` by name, as Jinja's.
#[derive(Debug)]
struct GroupTuple {
    grouper: Value,
    list: Value,
}

impl minijinja::value::Object for GroupTuple {
    fn repr(self: &std::sync::Arc<Self>) -> minijinja::value::ObjectRepr {
        minijinja::value::ObjectRepr::Seq
    }

    fn get_value(self: &std::sync::Arc<Self>, key: &Value) -> Option<Value> {
        match (key.as_usize(), key.as_str()) {
            (Some(0), None) | (None, Some("grouper")) => Some(self.grouper.clone()),
            (Some(1), None) | (None, Some("list")) => Some(self.list.clone()),
            _ => None,
        }
    }

    fn enumerate(self: &std::sync::Arc<Self>) -> minijinja::value::Enumerator {
        minijinja::value::Enumerator::Seq(2)
    }
}

fn attribute(item: &Value, path: &Value) -> Result<Value, Error> {
    let found = attribute_of(item, path).unwrap_or(Value::UNDEFINED);
    if found.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            format!("'{}' object has no attribute '{path}'", py_type_name(item)),
        ));
    }
    Ok(found)
}

/// Python's `sorted` compares neighbours with `<`: every item must be orderable
/// against the others (numbers with numbers, strings with strings, lists with lists of
/// orderable items); mappings and none never are.
fn sortable(value: &Value) -> Result<(), Error> {
    if value.kind() == ValueKind::String {
        return Ok(());
    }
    let items: Vec<Value> = value.try_iter()?.collect();
    let mixed = items
        .windows(2)
        .find(|pair| !comparable(&pair[0], &pair[1]) || !orderable(&pair[0], &pair[1]));
    if let Some(pair) = mixed {
        return Err(invalid(format!(
            "sort: '<' not supported between instances of '{}' and '{}'",
            py_type_name(&pair[1]),
            py_type_name(&pair[0])
        )));
    }
    Ok(())
}

/// Two lists compare item by item up to their first difference.
fn orderable(a: &Value, b: &Value) -> bool {
    if a.kind() != ValueKind::Seq {
        return true;
    }
    let (Ok(left), Ok(right)) = (a.try_iter(), b.try_iter()) else {
        return false;
    };
    for (x, y) in left.zip(right) {
        if x != y {
            return comparable(&x, &y) && orderable(&x, &y);
        }
    }
    true
}

/// Jinja's `do_reverse`: a string reversed, anything else iterated backwards (a
/// mapping's keys, last first); none and numbers are not reversible.
fn reverse(value: Value) -> Result<Value, Error> {
    match value.kind() {
        ValueKind::String | ValueKind::Seq | ValueKind::Iterable => builtin::reverse(&value),
        ValueKind::Map => {
            let mut keys: Vec<Value> = value.try_iter()?.collect();
            keys.reverse();
            Ok(Value::from(keys))
        }
        ValueKind::Undefined => Err(Error::from(ErrorKind::UndefinedError)),
        _ => Err(invalid(format!(
            "reverse: argument to reversed() must be a sequence, not '{}'",
            py_type_name(&value)
        ))),
    }
}
