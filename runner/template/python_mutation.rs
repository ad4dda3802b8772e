//! Python's mutating list and dict methods, which real roles' templates call to build
//! values in a loop (`{% set _ = ports.append(p) %}`, `{% set _ = cfg.update({k: v}) %}`,
//! `ns.items.extend(…)`); ansible-core 2.19 runs them on the template's own lists and
//! dicts. minijinja's values are immutable, so a template that names one of these
//! methods has each of its list and dict literals made a mutable one before it
//! compiles (`[…]` becomes `__machinist_mutable([…])`, and so does `dict(…)`): [`PyList`] and [`PyDict`] read
//! as a sequence and a mapping everywhere, and take `append`, `extend`, `insert`,
//! `pop`, `remove`, `clear`, `sort`, `reverse`, `copy` (lists) and `update`,
//! `setdefault`, `pop`, `popitem`, `clear`, `copy` (dicts) with Python's results. Other
//! methods (`index`, `get`, `items`…) fall through to python_methods.rs and pycompat.
//! Lists and dicts that come from variables stay immutable: mutating one is refused as
//! an unknown method (ansible-core would change the copy the template sees only).

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::{Arc, Mutex, MutexGuard};

use indexmap::IndexMap;
use minijinja::machinery::ast::Expr;
use minijinja::value::{from_args, Enumerator, Kwargs, Object, ObjectRepr, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};

use super::filters::invalid;
use super::source_edits::{self, range, Edit};
use super::value_format::py_repr;

const MUTABLE: &str = "__machinist_mutable";

const MUTATING_METHODS: &[&str] = &[
    ".append(",
    ".extend(",
    ".insert(",
    ".pop(",
    ".remove(",
    ".clear(",
    ".sort(",
    ".reverse(",
    ".update(",
    ".setdefault(",
    ".popitem(",
    ".copy(",
];

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_function(MUTABLE, |value: Value| mutable_copy(&value));
}

/// `source` with its list and dict literals made mutable, when it calls a mutating
/// method at all; a variable whose method it calls (`users.append(u)`) is made a
/// mutable copy first: at the template's start when it is defined, in place in a
/// bare expression.
pub(crate) fn rewritten(source: Cow<'_, str>, template: bool) -> Cow<'_, str> {
    if !MUTATING_METHODS
        .iter()
        .any(|method| source.contains(method))
    {
        return source;
    }
    let receivers = RefCell::new(Vec::<String>::new());
    let edited = source_edits::rewritten(source, template, &|node, source, edits| {
        let wrapped = match node {
            // A tuple (in parentheses) is immutable in Python too.
            Expr::List(list) => Some(range(list.span()))
                .filter(|(start, _)| !source.get(*start..).is_some_and(|s| s.starts_with('('))),
            Expr::Map(map) => Some(range(map.span())),
            Expr::Const(constant)
                if matches!(constant.value.kind(), ValueKind::Seq | ValueKind::Map) =>
            {
                Some(range(constant.span()))
            }
            Expr::Call(call) => match &call.expr {
                Expr::Var(function) if function.id == "dict" => Some(range(call.span())),
                Expr::GetAttr(method) if is_mutating(method.name) => match &method.expr {
                    Expr::Var(var) if template => {
                        receivers.borrow_mut().push(var.id.to_string());
                        None
                    }
                    Expr::Var(var) => Some(range(var.span())),
                    _ => None,
                },
                _ => None,
            },
            _ => None,
        };
        if let Some((start, end)) = wrapped {
            let order = edits.len();
            edits.push(Edit {
                at: start,
                remove: 0,
                insert: Cow::Borrowed(concat!("__machinist_mutable", "(")),
                order,
            });
            edits.push(Edit {
                at: end,
                remove: 0,
                insert: Cow::Borrowed(")"),
                order: order + 1,
            });
        }
    });
    let mut receivers = receivers.into_inner();
    if receivers.is_empty() {
        return edited;
    }
    receivers.sort();
    receivers.dedup();
    let mut prefixed = String::new();
    for name in receivers {
        prefixed.push_str(&format!(
            "{{% if {name} is defined %}}{{% set {name} = {MUTABLE}({name}) %}}{{% endif %}}"
        ));
    }
    prefixed.push_str(&edited);
    Cow::Owned(prefixed)
}

fn is_mutating(method: &str) -> bool {
    MUTATING_METHODS
        .iter()
        .any(|m| m.strip_prefix('.').and_then(|m| m.strip_suffix('(')) == Some(method))
}

/// A mutable copy of a list or dict (the top level only); any other value as it is.
pub(crate) fn mutable_copy(value: &Value) -> Result<Value, Error> {
    Ok(match value.kind() {
        ValueKind::Seq => Value::from_object(PyList(Mutex::new(value.try_iter()?.collect()))),
        ValueKind::Map => {
            let mut entries = IndexMap::new();
            for key in value.try_iter()? {
                let item = value.get_item(&key)?;
                entries.insert(key, item);
            }
            Value::from_object(PyDict(Mutex::new(entries)))
        }
        _ => value.clone(),
    })
}

fn locked<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Python's index into a list of `len` items (negative from the end), if in range.
fn position(index: i64, len: usize) -> Option<usize> {
    let len = i64::try_from(len).ok()?;
    let index = if index < 0 { index + len } else { index };
    (0..len)
        .contains(&index)
        .then(|| usize::try_from(index).ok())
        .flatten()
}

/// A template's own list.
#[derive(Debug)]
pub(crate) struct PyList(Mutex<Vec<Value>>);

impl Object for PyList {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Seq
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let items = locked(&self.0);
        let index = position(key.as_i64()?, items.len())?;
        items.get(index).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(locked(&self.0).clone())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(locked(&self.0).len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut items = locked(&self.0);
        match method {
            "append" => {
                let (item,): (Value,) = from_args(args)?;
                items.push(item);
            }
            "extend" => {
                let (more,): (Value,) = from_args(args)?;
                items.extend(more.try_iter()?);
            }
            "insert" => {
                let (index, item): (i64, Value) = from_args(args)?;
                let len = i64::try_from(items.len()).unwrap_or(i64::MAX);
                let at = if index < 0 {
                    (index + len).max(0)
                } else {
                    index.min(len)
                };
                items.insert(usize::try_from(at).unwrap_or(0), item);
            }
            "pop" => {
                let (index,): (Option<i64>,) = from_args(args)?;
                if items.is_empty() {
                    return Err(invalid("pop from empty list"));
                }
                let at = position(index.unwrap_or(-1), items.len())
                    .ok_or_else(|| invalid("pop index out of range"))?;
                return Ok(items.remove(at));
            }
            "remove" => {
                let (item,): (Value,) = from_args(args)?;
                let at = items
                    .iter()
                    .position(|candidate| *candidate == item)
                    .ok_or_else(|| invalid("list.remove(x): x not in list"))?;
                items.remove(at);
            }
            "clear" => {
                from_args::<()>(args)?;
                items.clear();
            }
            "sort" => {
                let (kwargs,): (Kwargs,) = from_args(args)?;
                let reverse = kwargs.get::<Option<bool>>("reverse")?.unwrap_or(false);
                kwargs.assert_all_used()?;
                items.sort();
                if reverse {
                    items.reverse();
                }
            }
            "reverse" => {
                from_args::<()>(args)?;
                items.reverse();
            }
            "copy" => {
                from_args::<()>(args)?;
                return Ok(Value::from_object(PyList(Mutex::new(items.clone()))));
            }
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        }
        Ok(Value::from(()))
    }
}

/// A template's own dict.
#[derive(Debug)]
pub(crate) struct PyDict(Mutex<IndexMap<Value, Value>>);

impl Object for PyDict {
    fn repr(self: &Arc<Self>) -> ObjectRepr {
        ObjectRepr::Map
    }

    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        locked(&self.0).get(key).cloned()
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Values(locked(&self.0).keys().cloned().collect())
    }

    fn enumerator_len(self: &Arc<Self>) -> Option<usize> {
        Some(locked(&self.0).len())
    }

    fn call_method(
        self: &Arc<Self>,
        _state: &State<'_, '_>,
        method: &str,
        args: &[Value],
    ) -> Result<Value, Error> {
        let mut entries = locked(&self.0);
        match method {
            "update" => {
                let (other, kwargs): (Option<Value>, Kwargs) = from_args(args)?;
                if let Some(other) = other {
                    if other.kind() == ValueKind::Map {
                        for key in other.try_iter()? {
                            let item = other.get_item(&key)?;
                            entries.insert(key, item);
                        }
                    } else {
                        for pair in other.try_iter()? {
                            let (key, item) =
                                (pair.get_item_by_index(0)?, pair.get_item_by_index(1)?);
                            entries.insert(key, item);
                        }
                    }
                }
                for key in kwargs.args() {
                    entries.insert(Value::from(key), kwargs.get::<Value>(key)?);
                }
            }
            "setdefault" => {
                let (key, default): (Value, Option<Value>) = from_args(args)?;
                return Ok(entries
                    .entry(key)
                    .or_insert_with(|| default.unwrap_or(Value::from(())))
                    .clone());
            }
            "pop" => {
                let (key, default): (Value, Option<Value>) = from_args(args)?;
                return match (entries.shift_remove(&key), default) {
                    (Some(item), _) | (None, Some(item)) => Ok(item),
                    (None, None) => Err(invalid(format!("KeyError: {}", py_repr(&key)))),
                };
            }
            "popitem" => {
                from_args::<()>(args)?;
                let (key, item) = entries
                    .pop()
                    .ok_or_else(|| invalid("popitem(): dictionary is empty"))?;
                return Ok(Value::from(vec![key, item]));
            }
            "clear" => {
                from_args::<()>(args)?;
                entries.clear();
            }
            "copy" => {
                from_args::<()>(args)?;
                return Ok(Value::from_object(PyDict(Mutex::new(entries.clone()))));
            }
            _ => return Err(Error::from(ErrorKind::UnknownMethod)),
        }
        Ok(Value::from(()))
    }
}
