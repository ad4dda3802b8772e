//! The `with_<lookup>` loops of older playbooks, as ansible-core turns each one's
//! rendered value into items: `with_items` (one level flattened; a string is one
//! item), `with_dict`, `with_subelements`, `with_nested`/`with_cartesian`,
//! `with_together`, `with_sequence`, `with_indexed_items`, `with_fileglob` and
//! `with_first_found` (which search the controller: Templates::legacy_loop_items). `loop` and `with_list`
//! take a list as it is and are not here.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Error, ErrorKind, Value};

use super::collections::{items, subelement_pairs, zipped};
use super::sequences::{dict_lookup, sequence_lookup};

/// The lookup a `with_` keyword names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LegacyLoop {
    Items,
    Dict,
    Subelements,
    Nested,
    Together,
    Sequence,
    IndexedItems,
    /// `with_fileglob`: files found on the controller, so it needs the run's
    /// variables (`playbook_dir`, `role_path`): [`super::Templates::loop_items`].
    Fileglob,
    /// `with_first_found`: the first file found on the controller, searched for in
    /// the folder the task's action names (vars/, templates/, else files/).
    FirstFound,
    /// `with_random_choice`: one of the items at random (none when there are none).
    RandomChoice,
}

/// The value's items for that lookup, or the message of why it has none.
pub fn legacy_items(kind: LegacyLoop, value: &Value) -> Result<Vec<Value>, String> {
    legacy(kind, value).map_err(|err| match err.detail() {
        Some(detail) => detail.to_string(),
        None => err.to_string(),
    })
}

pub(crate) fn legacy(kind: LegacyLoop, value: &Value) -> Result<Vec<Value>, Error> {
    let terms = || -> Result<Vec<Value>, Error> {
        match value.kind() {
            ValueKind::Seq | ValueKind::Iterable => items(value),
            ValueKind::None | ValueKind::Undefined => Ok(Vec::new()),
            _ => Ok(vec![value.clone()]),
        }
    };
    match kind {
        LegacyLoop::Fileglob | LegacyLoop::FirstFound => Err(Error::new(
            ErrorKind::InvalidOperation,
            "with_fileglob and with_first_found need the run's variables \
             (Templates::legacy_loop_items)",
        )),
        LegacyLoop::Items => Ok(flatten_once(terms()?)),
        LegacyLoop::RandomChoice => {
            use rand::seq::SliceRandom;
            Ok(terms()?
                .choose(&mut rand::thread_rng())
                .cloned()
                .into_iter()
                .collect())
        }
        LegacyLoop::Dict => dict_lookup(std::slice::from_ref(value)),
        LegacyLoop::Sequence => {
            sequence_lookup(&terms()?, &Kwargs::from_iter(Vec::<(&str, Value)>::new()))
        }
        LegacyLoop::IndexedItems => Ok(flatten_once(terms()?)
            .into_iter()
            .enumerate()
            .map(|(index, item)| Value::from(vec![Value::from(index), item]))
            .collect()),
        LegacyLoop::Nested => nested(lists(terms()?)?),
        LegacyLoop::Together => Ok(zipped(&lists(terms()?)?, &Value::from(()))),
        LegacyLoop::Subelements => {
            let terms = terms()?;
            let (obj, path, flags) = match terms.as_slice() {
                [obj, path] => (obj, path, None),
                [obj, path, flags] => (obj, path, Some(flags)),
                _ => {
                    return Err(invalid(
                        "subelements lookup expects a list of two or three items: \
                         the list, the subkey and optionally {'skip_missing': true}",
                    ))
                }
            };
            let skip_missing = flags
                .map(|flags| flags.get_attr("skip_missing").unwrap_or_default().is_true())
                .unwrap_or(false);
            let keys: Vec<String> = match path.as_str() {
                Some(path) => path.split('.').map(str::to_string).collect(),
                None => Vec::new(),
            };
            // The lookup (unlike the filter) leaves the list it walks out of the element.
            Ok(subelement_pairs(obj, path, skip_missing)?
                .into_iter()
                .map(|pair| {
                    let element = pair.get_item_by_index(0).unwrap_or_default();
                    let item = pair.get_item_by_index(1).unwrap_or_default();
                    Value::from(vec![without_path(&element, &keys), item])
                })
                .collect())
        }
    }
}

/// A copy of `element` without the last key of `keys` (inside the mappings the
/// others lead to).
fn without_path(element: &Value, keys: &[String]) -> Value {
    let Ok(mut json) = serde_json::to_value(element) else {
        return element.clone();
    };
    if let Some((last, parents)) = keys.split_last() {
        let mut at = &mut json;
        for key in parents {
            match at.get_mut(key) {
                Some(next) => at = next,
                None => return element.clone(),
            }
        }
        if let Some(map) = at.as_object_mut() {
            map.shift_remove(last);
        }
    }
    Value::from_serialize(json)
}

fn flatten_once(values: Vec<Value>) -> Vec<Value> {
    let mut flat = Vec::with_capacity(values.len());
    for value in values {
        match value.kind() {
            ValueKind::Seq => flat.extend(value.try_iter().into_iter().flatten()),
            _ => flat.push(value),
        }
    }
    flat
}

/// Each term as a list (a lone scalar is a list of one, as ansible-core's listify).
fn lists(terms: Vec<Value>) -> Result<Vec<Vec<Value>>, Error> {
    terms
        .into_iter()
        .map(|term| match term.kind() {
            ValueKind::Seq | ValueKind::Iterable => items(&term),
            _ => Ok(vec![term]),
        })
        .collect()
}

/// ansible-core's `nested` lookup: the combinations built list by list, each pair
/// flattened one level as it grows (`_combine`), and each result once more
/// (`_flatten`), so lists inside the lists are spread into the items.
fn nested(lists: Vec<Vec<Value>>) -> Result<Vec<Value>, Error> {
    let mut lists = lists.into_iter();
    let Some(mut combined) = lists.next() else {
        return Err(invalid(
            "with_nested requires at least one element in the nested list",
        ));
    };
    for next in lists {
        combined = combined
            .iter()
            .flat_map(|x| {
                next.iter()
                    .map(move |y| Value::from(flatten_items([x.clone(), y.clone()])))
            })
            .collect();
    }
    Ok(combined
        .into_iter()
        .map(|combination| match combination.kind() {
            ValueKind::Seq => {
                Value::from(flatten_items(combination.try_iter().into_iter().flatten()))
            }
            _ => Value::from(vec![combination]),
        })
        .collect())
}

/// `LookupBase._flatten`: the items, a list among them spread one level.
fn flatten_items(terms: impl IntoIterator<Item = Value>) -> Vec<Value> {
    let mut flat = Vec::new();
    for term in terms {
        match term.kind() {
            ValueKind::Seq => flat.extend(term.try_iter().into_iter().flatten()),
            _ => flat.push(term),
        }
    }
    flat
}

fn invalid(message: &str) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(kind: LegacyLoop, value: serde_json::Value) -> serde_json::Value {
        let items = legacy_items(kind, &Value::from_serialize(value)).unwrap();
        serde_json::to_value(items).unwrap()
    }

    #[test]
    fn each_with_keyword_gives_ansibles_items() {
        use serde_json::json;
        assert_eq!(run(LegacyLoop::Items, json!("one")), json!(["one"]));
        assert_eq!(
            run(LegacyLoop::Items, json!([1, [2, [3]]])),
            json!([1, 2, [3]])
        );
        assert_eq!(
            run(LegacyLoop::Dict, json!({"a": 1})),
            json!([{"key": "a", "value": 1}])
        );
        assert_eq!(
            run(LegacyLoop::Nested, json!([[1, 2], ["x"]])),
            json!([[1, "x"], [2, "x"]])
        );
        assert_eq!(
            run(LegacyLoop::Together, json!([[1, 2], ["x"]])),
            json!([[1, "x"], [2, null]])
        );
        assert_eq!(
            run(LegacyLoop::Sequence, json!("start=1 end=2")),
            json!(["1", "2"])
        );
        assert_eq!(
            run(LegacyLoop::IndexedItems, json!(["a", "b"])),
            json!([[0, "a"], [1, "b"]])
        );
        assert_eq!(
            run(
                LegacyLoop::Subelements,
                json!([[{"n": 1, "l": [7, 8]}], "l"])
            ),
            json!([[{"n": 1}, 7], [{"n": 1}, 8]])
        );
    }
}
