//! Ansible's collection filters: `combine` (recursive, list_merge), `dict2items`,
//! `items2dict`, `flatten`, the set operations (order-preserving, case-sensitive as
//! ansible-core's), `extract`, `subelements`, `product`, `zip_longest` and `random`.

use std::collections::HashSet;

use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};

use super::filters::invalid;
use super::python_random::PyRandom;
use super::python_set::{python_order, SetOp};
use super::value_format::{py_repr, py_str, py_type_name};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("combine", combine);
    env.add_filter("dict2items", dict2items);
    env.add_filter("items2dict", items2dict);
    env.add_filter("flatten", flatten_filter);
    env.add_filter("union", |a: Value, b: Value| set_op(&a, &b, SetOp::Union));
    env.add_filter("intersect", |a: Value, b: Value| {
        set_op(&a, &b, SetOp::Intersect)
    });
    env.add_filter("difference", |a: Value, b: Value| {
        set_op(&a, &b, SetOp::Difference)
    });
    env.add_filter("symmetric_difference", |a: Value, b: Value| {
        set_op(&a, &b, SetOp::Symmetric)
    });
    env.add_filter("extract", extract);
    env.add_filter("subelements", subelements);
    env.add_filter("product", product);
    env.add_filter("zip_longest", zip_longest);
    env.add_filter("random", random);
    env.add_filter("shuffle", shuffle);
    env.add_filter("rekey_on_member", rekey_on_member);
}

/// ansible-core's `rekey_on_member(data, key, duplicates='error')`: a mapping of the
/// dictionaries of `data` (a list, or a mapping's values) by their `key` member.
fn rekey_on_member(
    data: Value,
    key: Value,
    duplicates: Option<String>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let duplicates = match duplicates {
        Some(duplicates) => Some(duplicates),
        None => kwargs.get::<Option<String>>("duplicates")?,
    };
    kwargs.assert_all_used()?;
    let overwrite = match duplicates.as_deref() {
        None | Some("error") => false,
        Some("overwrite") => true,
        Some(other) => {
            return Err(invalid(format!(
                "duplicates parameter to rekey_on_member has unknown value '{other}'"
            )))
        }
    };
    let members = match data.kind() {
        ValueKind::Map => entries(&data).into_iter().map(|(_, v)| v).collect(),
        ValueKind::Seq | ValueKind::Iterable => items(&data)?,
        _ => return Err(invalid("Type is not a valid list, set, or dict")),
    };
    let mut rekeyed: Vec<(Value, Value)> = Vec::new();
    for member in members {
        if !is_map(&member) {
            return Err(invalid("List item is not a valid dict"));
        }
        let found = member.get_item(&key).unwrap_or_default();
        if found.is_undefined() {
            return Err(invalid(format!("Key {} was not found.", py_repr(&key))));
        }
        match rekeyed.iter_mut().find(|(k, _)| *k == found) {
            Some(_) if !overwrite => {
                return Err(invalid(format!(
                    "Key {} is not unique, cannot convert to dict.",
                    py_repr(&found)
                )))
            }
            Some(entry) => entry.1 = member,
            None => rekeyed.push((found, member)),
        }
    }
    Ok(Value::from_iter(rekeyed))
}

/// Ansible's `product`: `itertools.product(a, *others, repeat=N)` as a list of lists.
fn product(first: Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let repeat = kwargs.get::<Option<usize>>("repeat")?.unwrap_or(1);
    kwargs.assert_all_used()?;
    let mut pools = vec![items(&first)?];
    for other in others.iter() {
        pools.push(items(other)?);
    }
    let pools: Vec<Vec<Value>> = (0..repeat).flat_map(|_| pools.iter().cloned()).collect();
    Ok(Value::from(cartesian(&pools)))
}

/// Every combination of one item from each pool, in order (`itertools.product`).
pub(crate) fn cartesian(pools: &[Vec<Value>]) -> Vec<Value> {
    let mut rows: Vec<Vec<Value>> = vec![Vec::new()];
    for pool in pools {
        rows = rows
            .iter()
            .flat_map(|row| {
                pool.iter().map(move |item| {
                    let mut next = row.clone();
                    next.push(item.clone());
                    next
                })
            })
            .collect();
    }
    rows.into_iter().map(Value::from).collect()
}

/// Ansible's `zip_longest`: `itertools.zip_longest(*lists, fillvalue=None)`.
fn zip_longest(first: Value, others: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let fill = kwargs
        .get::<Option<Value>>("fillvalue")?
        .unwrap_or(Value::from(()));
    kwargs.assert_all_used()?;
    let mut lists = vec![items(&first)?];
    for other in others.iter() {
        lists.push(items(other)?);
    }
    Ok(Value::from(zipped(&lists, &fill)))
}

/// The lists side by side, the short ones filled (`itertools.zip_longest`).
pub(crate) fn zipped(lists: &[Vec<Value>], fill: &Value) -> Vec<Value> {
    let longest = lists.iter().map(Vec::len).max().unwrap_or(0);
    let rows = (0..longest).map(|at| {
        Value::from(
            lists
                .iter()
                .map(|list| list.get(at).cloned().unwrap_or_else(|| fill.clone()))
                .collect::<Vec<_>>(),
        )
    });
    rows.collect()
}

/// Ansible's `random`: an item of a list, or a number below an integer end
/// (`start` and `step` as `random.randrange`); `seed` makes it repeatable.
/// ansible-core's `random(end, start=None, step=None, seed=None)`: `randrange` of an
/// integer, `choice` of a sequence; with a seed, Python's seeded sequence
/// (python_random.rs), so a host gets the value Ansible gives it.
fn random(
    value: Value,
    start: Option<i64>,
    step: Option<i64>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    use rand::Rng;
    let seed = kwargs.get::<Option<Value>>("seed")?;
    // `random(start=10, step=10)`: the keywords name the same parameters.
    let start = start.or(kwargs.get::<Option<i64>>("start")?);
    let step = step.or(kwargs.get::<Option<i64>>("step")?);
    kwargs.assert_all_used()?;
    let mut seeded = match seed.filter(|s| !s.is_none()) {
        Some(seed) => Some(PyRandom::new(&seed)?),
        None => None,
    };
    if let Some(end) = value.as_i64().filter(|_| value.kind() == ValueKind::Number) {
        let start = start.unwrap_or(0);
        let step = step.filter(|s| *s != 0).unwrap_or(1);
        if let Some(rng) = seeded.as_mut() {
            return rng.randrange(start, end, step).map(Value::from);
        }
        if step <= 0 || end <= start {
            return Err(Error::new(
                ErrorKind::InvalidOperation,
                format!("random: empty range for randrange({start}, {end}, {step})"),
            ));
        }
        let choices = (end - start + step - 1) / step;
        return Ok(Value::from(
            start + step * rand::thread_rng().gen_range(0..choices),
        ));
    }
    if start.is_some_and(|s| s != 0) || step.is_some_and(|s| s != 0) {
        return Err(invalid(
            "start and step can only be used with integer values",
        ));
    }
    let pool = items(&value)?;
    let picked = match seeded.as_mut() {
        Some(rng) => rng.choice(&pool).cloned(),
        None => {
            use rand::seq::SliceRandom;
            pool.choose(&mut rand::thread_rng()).cloned()
        }
    };
    picked.ok_or_else(|| {
        Error::new(
            ErrorKind::InvalidOperation,
            "random: Cannot choose from an empty sequence",
        )
    })
}

/// ansible-core's `shuffle(mylist, seed=None)`: the items in a random order (with a
/// truthy seed, Python's seeded order); a value that is not iterable comes back as it
/// is.
fn shuffle(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let seed = kwargs.get::<Option<Value>>("seed")?;
    kwargs.assert_all_used()?;
    let Ok(mut pool) = items(&value) else {
        return Ok(value);
    };
    match seed.filter(|s| s.is_true()) {
        Some(seed) => PyRandom::new(&seed)?.shuffle(&mut pool),
        None => {
            use rand::seq::SliceRandom;
            pool.shuffle(&mut rand::thread_rng());
        }
    }
    Ok(Value::from(pool))
}

pub(crate) fn items(value: &Value) -> Result<Vec<Value>, Error> {
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    super::python_iteration::iterable(Some(value), "iterate")?;
    Ok(value.try_iter()?.collect())
}

fn entries(map: &Value) -> Vec<(Value, Value)> {
    map.try_iter()
        .map(|keys| {
            keys.map(|key| {
                let value = map.get_item(&key).unwrap_or_default();
                (key, value)
            })
            .collect()
        })
        .unwrap_or_default()
}

fn is_map(value: &Value) -> bool {
    value.kind() == ValueKind::Map
}

fn is_list(value: &Value) -> bool {
    matches!(value.kind(), ValueKind::Seq | ValueKind::Iterable)
}

/// How `combine` merges two lists found under the same key.
#[derive(Clone, Copy, PartialEq, Eq)]
enum ListMerge {
    Replace,
    Keep,
    Append,
    Prepend,
    AppendRp,
    PrependRp,
}

fn combine(terms: Rest<Value>, kwargs: Kwargs) -> Result<Value, Error> {
    let recursive = kwargs.get::<Option<bool>>("recursive")?.unwrap_or(false);
    let list_merge = match kwargs.get::<Option<String>>("list_merge")?.as_deref() {
        None | Some("replace") => ListMerge::Replace,
        Some("keep") => ListMerge::Keep,
        Some("append") => ListMerge::Append,
        Some("prepend") => ListMerge::Prepend,
        Some("append_rp") => ListMerge::AppendRp,
        Some("prepend_rp") => ListMerge::PrependRp,
        Some(other) => {
            return Err(invalid(format!(
                "combine: list_merge must be replace, keep, append, prepend, append_rp or prepend_rp, not '{other}'"
            )))
        }
    };
    kwargs.assert_all_used()?;
    // ansible-core flattens the terms one level, dropping nulls.
    let mut dicts = Vec::new();
    for term in terms.iter() {
        if is_list(term) {
            dicts.extend(items(term)?.into_iter().filter(|d| !d.is_none()));
        } else if !term.is_none() {
            dicts.push(term.clone());
        }
    }
    for dict in &dicts {
        if !is_map(dict) {
            return Err(invalid(format!(
                "combine: expected dictionaries, got {} ({})",
                py_type_name(dict),
                py_repr(dict)
            )));
        }
    }
    // Ansible merges from the highest priority (last) down.
    let mut rest = dicts.into_iter().rev();
    let Some(mut result) = rest.next() else {
        return Ok(Value::from_iter(Vec::<(Value, Value)>::new()));
    };
    for lower in rest {
        result = merge(&lower, &result, recursive, list_merge);
    }
    Ok(result)
}

/// ansible's `merge_hash(x, y)`: y's values win; x's key order is kept.
fn merge(x: &Value, y: &Value, recursive: bool, list_merge: ListMerge) -> Value {
    let mut merged = entries(x);
    for (key, y_value) in entries(y) {
        let Some(slot) = merged.iter_mut().find(|(k, _)| *k == key) else {
            merged.push((key, y_value));
            continue;
        };
        let x_value = &slot.1;
        slot.1 = if is_map(x_value) && is_map(&y_value) {
            if recursive {
                merge(x_value, &y_value, recursive, list_merge)
            } else {
                y_value
            }
        } else if is_list(x_value) && is_list(&y_value) {
            merge_lists(x_value, &y_value, list_merge)
        } else {
            y_value
        };
    }
    Value::from_iter(merged)
}

fn merge_lists(x: &Value, y: &Value, how: ListMerge) -> Value {
    let xs: Vec<Value> = x.try_iter().map(Iterator::collect).unwrap_or_default();
    let ys: Vec<Value> = y.try_iter().map(Iterator::collect).unwrap_or_default();
    let x_not_in_y = || xs.iter().filter(|v| !ys.contains(v)).cloned();
    let merged: Vec<Value> = match how {
        ListMerge::Replace => ys.clone(),
        ListMerge::Keep => xs.clone(),
        ListMerge::Append => xs.iter().chain(&ys).cloned().collect(),
        ListMerge::Prepend => ys.iter().chain(&xs).cloned().collect(),
        ListMerge::AppendRp => x_not_in_y().chain(ys.iter().cloned()).collect(),
        ListMerge::PrependRp => ys.iter().cloned().chain(x_not_in_y()).collect(),
    };
    Value::from(merged)
}

fn dict2items(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name = kwargs
        .get::<Option<String>>("key_name")?
        .unwrap_or_else(|| "key".into());
    let value_name = kwargs
        .get::<Option<String>>("value_name")?
        .unwrap_or_else(|| "value".into());
    kwargs.assert_all_used()?;
    if !is_map(&value) {
        return Err(invalid(format!(
            "dict2items requires a dictionary, got {} instead",
            py_type_name(&value)
        )));
    }
    let list: Vec<Value> = entries(&value)
        .into_iter()
        .map(|(k, v)| Value::from_iter([(key_name.as_str(), k), (value_name.as_str(), v)]))
        .collect();
    Ok(Value::from(list))
}

/// ansible-core's `items2dict`: `dict((item[key_name], item[value_name]) for item in
/// value)`; the names may be indexes of lists (`key_name=0, value_name=1`).
fn items2dict(value: Value, kwargs: Kwargs) -> Result<Value, Error> {
    let key_name = kwargs
        .get::<Option<Value>>("key_name")?
        .unwrap_or_else(|| Value::from("key"));
    let value_name = kwargs
        .get::<Option<Value>>("value_name")?
        .unwrap_or_else(|| Value::from("value"));
    kwargs.assert_all_used()?;
    if !is_list(&value) {
        return Err(invalid(format!(
            "items2dict requires a list, got {} instead",
            py_type_name(&value)
        )));
    }
    let not_dicts = || {
        invalid(format!(
            "items2dict requires a list of dictionaries, got {} instead",
            py_repr(&value)
        ))
    };
    let mut pairs = Vec::new();
    for item in items(&value)? {
        let field = |name: &Value| -> Result<Value, Error> {
            if is_map(&item) {
                return item
                    .get_item(name)
                    .ok()
                    .filter(|v| !v.is_undefined())
                    .ok_or_else(|| {
                        invalid(format!(
                            "items2dict requires each dictionary in the list to contain the keys '{}' and '{}', got {} instead",
                            py_str(&key_name),
                            py_str(&value_name),
                            py_repr(&value)
                        ))
                    });
            }
            if !is_list(&item) || !name.is_integer() {
                return Err(not_dicts());
            }
            item.get_item(name)
                .ok()
                .filter(|v| !v.is_undefined())
                .ok_or_else(|| invalid("list index out of range"))
        };
        pairs.push((field(&key_name)?, field(&value_name)?));
    }
    Ok(Value::from_iter(pairs))
}

fn flatten_filter(value: Value, levels: Option<i64>, kwargs: Kwargs) -> Result<Value, Error> {
    let levels = match levels {
        Some(levels) => Some(levels),
        None => kwargs.get::<Option<i64>>("levels")?,
    };
    let skip_nulls = kwargs.get::<Option<bool>>("skip_nulls")?.unwrap_or(true);
    kwargs.assert_all_used()?;
    let mut out = Vec::new();
    flatten(&value, levels, skip_nulls, &mut out)?;
    Ok(Value::from(out))
}

fn flatten(
    value: &Value,
    levels: Option<i64>,
    skip_nulls: bool,
    out: &mut Vec<Value>,
) -> Result<(), Error> {
    for element in items(value)? {
        if skip_nulls && (element.is_none() || matches!(element.as_str(), Some("None" | "null"))) {
            continue;
        }
        match levels {
            _ if !is_list(&element) => out.push(element),
            None => flatten(&element, None, skip_nulls, out)?,
            Some(n) if n >= 1 => flatten(&element, Some(n - 1), skip_nulls, out)?,
            Some(_) => out.push(element),
        }
    }
    Ok(())
}

/// The first occurrence of every value, in order.
fn unique(values: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut seen = HashSet::new();
    values
        .into_iter()
        .filter(|v| seen.insert(v.clone()))
        .collect()
}

/// ansible-core's `list(set(a) OP set(b))`: for integers in CPython's set order
/// (python_set.rs); for other items (unhashable ones, and strings, whose order
/// changes with every Python process) in the order of first appearance, as
/// ansible-core's fallback gives it.
fn set_op(a: &Value, b: &Value, op: SetOp) -> Result<Value, Error> {
    let a = items(a)?;
    let b = items(b)?;
    if let Some(ordered) = python_order(&a, &b, op) {
        return Ok(Value::from(ordered));
    }
    let result = match op {
        SetOp::Union => unique(a.into_iter().chain(b)),
        SetOp::Intersect => unique(a.into_iter().filter(|x| b.contains(x))),
        SetOp::Difference => unique(a.into_iter().filter(|x| !b.contains(x))),
        SetOp::Symmetric => {
            let both: Vec<Value> = a.iter().filter(|x| b.contains(x)).cloned().collect();
            unique(a.into_iter().chain(b))
                .into_iter()
                .filter(|x| !both.contains(x))
                .collect()
        }
    };
    Ok(Value::from(result))
}

fn extract(
    item: Value,
    container: Value,
    morekeys: Option<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let morekeys = match morekeys {
        Some(more) => Some(more),
        None => kwargs.get::<Option<Value>>("morekeys")?,
    };
    kwargs.assert_all_used()?;
    let mut keys = vec![item];
    match morekeys {
        None => {}
        Some(more) if is_list(&more) => keys.extend(items(&more)?),
        Some(more) => keys.push(more),
    }
    let mut value = container;
    for key in keys {
        value = value.get_item(&key).unwrap_or_default();
        if value.is_undefined() {
            break;
        }
    }
    Ok(value)
}

fn subelements(
    obj: Value,
    path: Value,
    skip_missing: Option<bool>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let skip_missing = match skip_missing {
        Some(skip) => skip,
        None => kwargs.get::<Option<bool>>("skip_missing")?.unwrap_or(false),
    };
    kwargs.assert_all_used()?;
    subelement_pairs(&obj, &path, skip_missing).map(Value::from)
}

/// Each element of `obj` paired with each item of its list at `path`.
pub(crate) fn subelement_pairs(
    obj: &Value,
    path: &Value,
    skip_missing: bool,
) -> Result<Vec<Value>, Error> {
    let elements = match obj.kind() {
        ValueKind::Map => entries(obj).into_iter().map(|(_, v)| v).collect(),
        ValueKind::Seq | ValueKind::Iterable => items(obj)?,
        _ => {
            return Err(invalid(
                "subelements: obj must be a list of dicts or a nested dict",
            ))
        }
    };
    let keys: Vec<Value> = match path.as_str() {
        Some(text) => text.split('.').map(Value::from).collect(),
        None if is_list(path) => items(path)?,
        None => {
            return Err(invalid(
                "subelements: subelements must be a list or a string",
            ))
        }
    };
    let mut results = Vec::new();
    for element in elements {
        let mut values = element.clone();
        for key in &keys {
            if !is_map(&values) {
                return Err(invalid(format!(
                    "subelements: the key {key} should point to a dictionary, got {}",
                    py_repr(&values)
                )));
            }
            let next = values.get_item(key).unwrap_or_default();
            if next.is_undefined() {
                if skip_missing {
                    values = Value::from(Vec::<Value>::new());
                    break;
                }
                return Err(invalid(format!(
                    "subelements: could not find {} key in iterated item {}",
                    py_repr(key),
                    py_repr(&values)
                )));
            }
            values = next;
        }
        if !is_list(&values) {
            return Err(invalid(format!(
                "subelements: the key {} should point to a list, got {}",
                py_repr(path),
                py_repr(&values)
            )));
        }
        for value in items(&values)? {
            results.push(Value::from(vec![element.clone(), value]));
        }
    }
    Ok(results)
}
