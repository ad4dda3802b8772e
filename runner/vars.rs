//! Variable scopes and their precedence, Ansible's order for the scopes that exist
//! here (lowest first): magic variables, play `vars`, `vars_prompt` answers, `vars_files`, block `vars`,
//! task `vars`, facts (gathered, `set_fact`, `register`), loop variables, extra vars.
//!
//! Variables are templated lazily, as in Ansible: `a: "{{ b }}-x"` means whatever `b`
//! is when a task uses `a`. Each task's context resolves templated values against the
//! merged scopes until nothing changes.

use crate::template::Templates;
use crate::yaml::{Node, Value as YamlValue};
use indexmap::IndexMap;
use minijinja::value::ValueKind;
use minijinja::Value;

/// One scope: names to values, and which of them still hold templates. Every task has
/// one and most are empty, so an empty layer is one null pointer (8 bytes, not 96).
#[derive(Debug, Clone, Default)]
pub struct Layer(Option<Box<Scope>>);

#[derive(Debug, Clone, Default)]
struct Scope {
    vars: IndexMap<String, Value>,
    templated: Vec<String>,
}

impl Layer {
    pub fn from_nodes(entries: &[(String, Node)]) -> Layer {
        let mut layer = Layer::default();
        for (name, node) in entries {
            layer.insert_raw(name, node_to_value(node), node.is_templated());
        }
        layer
    }

    /// A value that is final (a fact, a registered result, an extra var).
    pub fn set(&mut self, name: &str, value: Value) {
        self.insert_raw(name, value, false);
    }

    /// Add `over`'s variables on top of these; templated values stay lazy.
    pub fn extend(&mut self, over: &Layer) {
        for (name, value) in over.vars() {
            let templated = over.templated().any(|n| n == name);
            self.insert_raw(name, value.clone(), templated);
        }
    }

    fn insert_raw(&mut self, name: &str, value: Value, templated: bool) {
        let scope = self.0.get_or_insert_with(Box::default);
        scope.templated.retain(|n| n != name);
        if templated {
            scope.templated.push(name.to_string());
        }
        scope.vars.insert(name.to_string(), value);
    }

    pub fn get(&self, name: &str) -> Option<&Value> {
        self.0.as_ref()?.vars.get(name)
    }

    /// Whether some value still holds a template (rendered for each task).
    pub fn has_templates(&self) -> bool {
        self.templated().next().is_some()
    }

    pub fn is_empty(&self) -> bool {
        self.0.as_ref().map_or(true, |scope| scope.vars.is_empty())
    }

    pub fn clear(&mut self) {
        self.0 = None;
    }

    pub fn remove(&mut self, name: &str) {
        if let Some(scope) = self.0.as_mut() {
            scope.vars.shift_remove(name);
            scope.templated.retain(|n| n != name);
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.vars().map(|(name, _)| name)
    }

    /// The variables, in the order they were first set.
    fn vars(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.0.iter().flat_map(|scope| {
            scope
                .vars
                .iter()
                .map(|(name, value)| (name.as_str(), value))
        })
    }

    /// The names whose values still hold templates.
    fn templated(&self) -> impl Iterator<Item = &str> {
        self.0
            .iter()
            .flat_map(|scope| scope.templated.iter().map(String::as_str))
    }
}

/// Merge `layers` (lowest precedence first) into one template context.
///
/// Templated values are rendered against the merged context; a value that cannot be
/// rendered (it uses a variable that is not defined yet) is left out, so a task that
/// uses it gets an "undefined" error naming it, while tasks that do not are unaffected.
pub fn context(layers: &[&Layer], templates: &Templates) -> Value {
    if layers
        .iter()
        .all(|layer| layer.templated().next().is_none())
    {
        // Nothing to render: the layers straight into the context (a later layer's
        // value replaces an earlier one's, as below). Collected first, so the map is
        // made at its size at once.
        let pairs: Vec<(&str, Value)> = layers
            .iter()
            .flat_map(|layer| layer.vars())
            .map(|(name, value)| (name, value.clone()))
            .collect();
        return Value::from_iter(pairs);
    }
    let mut merged: IndexMap<&str, Value> = IndexMap::new();
    let mut pending: Vec<&str> = Vec::new();
    for layer in layers {
        for (name, value) in layer.vars() {
            merged.insert(name, value.clone());
            pending.retain(|n| *n != name);
        }
        pending.extend(layer.templated());
    }
    if pending.is_empty() {
        return Value::from_iter(merged);
    }
    let mut unresolved: Vec<&str> = pending.clone();
    for _pass in 0..8 {
        let ctx = Value::from_iter(merged.iter().map(|(k, v)| (*k, v.clone())));
        let mut progress = false;
        let mut still = Vec::new();
        for name in &unresolved {
            let Some(raw) = layers.iter().rev().find_map(|l| l.get(name)) else {
                continue;
            };
            match templates.render_tree(raw, &ctx) {
                Ok(value) => {
                    if merged.get(name) != Some(&value) {
                        progress = true;
                    }
                    merged.insert(name, value);
                    if contains_template(merged.get(name)) {
                        still.push(*name);
                    }
                }
                Err(_) => still.push(*name),
            }
        }
        unresolved = still;
        if unresolved.is_empty() || !progress {
            break;
        }
    }
    for name in unresolved {
        let ctx = Value::from_iter(merged.iter().map(|(k, v)| (*k, v.clone())));
        let raw = layers.iter().rev().find_map(|l| l.get(name)).cloned();
        if let Some(raw) = raw {
            if templates.render_tree(&raw, &ctx).is_err() {
                merged.shift_remove(name);
            }
        }
    }
    Value::from_iter(merged)
}

fn contains_template(value: Option<&Value>) -> bool {
    value.is_some_and(|v| match v.kind() {
        ValueKind::String => v.as_str().is_some_and(Templates::is_template),
        ValueKind::Seq | ValueKind::Map => v
            .try_iter()
            .map(|mut it| {
                it.any(|item| {
                    let inner = if v.kind() == ValueKind::Map {
                        v.get_item(&item).unwrap_or_default()
                    } else {
                        item
                    };
                    contains_template(Some(&inner))
                })
            })
            .unwrap_or(false),
        _ => false,
    })
}

/// A YAML node as a template value.
pub fn node_to_value(node: &Node) -> Value {
    match &node.value {
        YamlValue::Null => Value::from(()),
        YamlValue::Bool(b) => Value::from(*b),
        YamlValue::Int(i) => Value::from(*i),
        YamlValue::Float(f) => Value::from(*f),
        YamlValue::Str(s) => Value::from(s.as_str()),
        YamlValue::Seq(items) => Value::from(items.iter().map(node_to_value).collect::<Vec<_>>()),
        // An integer key stays one, as Python's dict keeps it (`ports[443]`).
        YamlValue::Map(entries) => Value::from_iter(entries.iter().map(|(k, v)| {
            let key = match k.int {
                Some(int) => Value::from(int),
                None => Value::from(k.name.as_str()),
            };
            (key, node_to_value(v))
        })),
    }
}

/// A template value as JSON (module arguments, registered results, events).
pub fn to_json(value: &Value) -> serde_json::Value {
    match value.as_str() {
        // Most arguments are strings; the same JSON as serde's, without its machinery.
        Some(text) if value.kind() == ValueKind::String => {
            serde_json::Value::String(text.to_string())
        }
        _ if holds_objects(value) => json_walked(value),
        _ => serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
    }
}

/// Whether a value is, or holds, an object (a datetime) serde would write as its text.
fn holds_objects(value: &Value) -> bool {
    match value.kind() {
        ValueKind::Plain => true,
        ValueKind::Seq | ValueKind::Map => value
            .try_iter()
            .map(|mut keys| {
                keys.any(|key| {
                    let item = match value.kind() {
                        ValueKind::Map => value.get_item(&key).unwrap_or_default(),
                        _ => key,
                    };
                    holds_objects(&item)
                })
            })
            .unwrap_or(false),
        _ => false,
    }
}

/// [`to_json`] walked by hand: a datetime is its `isoformat()`, with a `T`, as
/// ansible-core's JSON writes it (its text, `str()`, has a space).
fn json_walked(value: &Value) -> serde_json::Value {
    if let Some(text) = crate::template::datetime_json_text(value) {
        return serde_json::Value::String(text);
    }
    match value.kind() {
        ValueKind::Seq => value
            .try_iter()
            .map(|items| items.map(|item| json_walked(&item)).collect())
            .unwrap_or_default(),
        ValueKind::Map => serde_json::Value::Object(
            value
                .try_iter()
                .map(|keys| {
                    keys.map(|key| {
                        let item = value.get_item(&key).unwrap_or_default();
                        let name = match to_json(&key) {
                            serde_json::Value::String(name) => name,
                            other => other.to_string(),
                        };
                        (name, json_walked(&item))
                    })
                    .collect()
                })
                .unwrap_or_default(),
        ),
        _ => serde_json::to_value(value).unwrap_or(serde_json::Value::Null),
    }
}

/// A rendered value as a variable keeps it: lists and mappings made plain ones (a
/// template's lazy sequence, `range()`, `[1] + [2]`, becomes a list), their keys as
/// they are (`{1: a}` keeps the integer), other values (a datetime) themselves.
pub fn settled(value: &Value) -> Value {
    match value.kind() {
        ValueKind::Seq | ValueKind::Iterable => Value::from(
            value
                .try_iter()
                .map(|items| items.map(|item| settled(&item)).collect::<Vec<_>>())
                .unwrap_or_default(),
        ),
        ValueKind::Map => Value::from_iter(value.try_iter().into_iter().flatten().map(|key| {
            let item = value.get_item(&key).unwrap_or_default();
            (key, settled(&item))
        })),
        _ => value.clone(),
    }
}

/// JSON as a template value.
pub fn from_json(value: &serde_json::Value) -> Value {
    Value::from_serialize(value)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml;
    use std::path::Path;
    use std::sync::Arc;

    fn layer(text: &str) -> Layer {
        let file: Arc<Path> = Arc::from(Path::new("v.yml"));
        let doc = yaml::parse(&file, text).unwrap().remove(0);
        let entries: Vec<(String, Node)> = doc
            .as_map()
            .unwrap()
            .iter()
            .map(|(k, v)| (k.name.to_string(), v.clone()))
            .collect();
        Layer::from_nodes(&entries)
    }

    #[test]
    fn higher_layers_win() {
        let templates = Templates::new();
        let play = layer("a: play\nb: play\n");
        let task = layer("b: task\n");
        let ctx = context(&[&play, &task], &templates);
        assert_eq!(ctx.get_attr("a").unwrap().as_str(), Some("play"));
        assert_eq!(ctx.get_attr("b").unwrap().as_str(), Some("task"));
    }

    #[test]
    fn templates_resolve_lazily_in_any_order() {
        let templates = Templates::new();
        let play = layer("a: \"{{ b }}-x\"\nb: \"{{ c }}\"\n");
        let task = layer("c: 1\n");
        let ctx = context(&[&play, &task], &templates);
        assert_eq!(ctx.get_attr("a").unwrap().to_string(), "1-x");
    }

    #[test]
    fn unresolvable_values_are_left_out() {
        let templates = Templates::new();
        let play = layer("a: \"{{ missing }}\"\nb: ok\n");
        let ctx = context(&[&play], &templates);
        assert!(ctx.get_attr("a").unwrap().is_undefined());
        assert_eq!(ctx.get_attr("b").unwrap().as_str(), Some("ok"));
    }
}
