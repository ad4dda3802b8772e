//! `set_stats` (ansible.builtin.set_stats): statistics a playbook keeps for the whole
//! run, per host or for the run (`_run`), set or aggregated as ansible-core's
//! AggregateStats does, and handed to the reporters with the recap (report/custom_stats.rs prints
//! Ansible's `CUSTOM STATS:` block when `show_custom_stats` is on).
//!
//! The step renders the arguments into a [`StatsChange`] (it touches no host); the
//! executor applies it to the run's [`CustomStats`] for the entered host, or for every
//! host of the batch when the task is `run_once`, as ansible-core's strategy does with
//! `get_task_hosts`.

use super::outcome::Outcome;
use super::step::Step;
use crate::yaml::Node;
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

/// The key of the statistics kept for the run rather than for one host.
pub const RUN_KEY: &str = "_run";

/// What one `set_stats` step asks of the run's statistics.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct StatsChange {
    pub data: Map<String, Json>,
    pub per_host: bool,
    pub aggregate: bool,
}

/// The run's custom statistics: `_run` or a host name → name → value.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CustomStats {
    pub by_host: IndexMap<String, Map<String, Json>>,
}

impl CustomStats {
    /// Apply one change for `hosts` (used when the change is per host).
    pub(super) fn apply(&mut self, change: &StatsChange, hosts: &[String]) {
        let owners: Vec<&str> = if change.per_host {
            hosts.iter().map(String::as_str).collect()
        } else {
            vec![RUN_KEY]
        };
        for owner in owners {
            for (name, value) in &change.data {
                if change.aggregate {
                    self.update(owner, name, value);
                } else {
                    self.set(owner, name, value.clone());
                }
            }
        }
    }

    /// AggregateStats.set_custom_stats.
    fn set(&mut self, owner: &str, name: &str, value: Json) {
        self.by_host
            .entry(owner.to_string())
            .or_default()
            .insert(name.to_string(), value);
    }

    /// AggregateStats.update_custom_stats: a new name is set; a value of another type
    /// than the kept one is dropped; mappings are merged recursively (merge_hash),
    /// everything else added with Python's `+`.
    fn update(&mut self, owner: &str, name: &str, value: &Json) {
        let kept = self
            .by_host
            .get_mut(owner)
            .and_then(|stats| stats.get_mut(name));
        let Some(kept) = kept else {
            self.set(owner, name, value.clone());
            return;
        };
        if let Some(sum) = python_plus(kept, value) {
            *kept = sum;
        }
    }
}

/// `old += new` when `isinstance(new, type(old))`, as Python computes it; `None`
/// when ansible-core keeps `old` (other types, or a `+` Python would refuse).
fn python_plus(old: &Json, new: &Json) -> Option<Json> {
    match (old, new) {
        (Json::Object(old), Json::Object(new)) => Some(Json::Object(merge_hash(old, new))),
        (Json::Array(old), Json::Array(new)) => {
            Some(Json::Array(old.iter().chain(new).cloned().collect()))
        }
        (Json::String(old), Json::String(new)) => Some(Json::String(format!("{old}{new}"))),
        // bool is a subclass of int: `1 += True` is 2, `True += True` is 2.
        (Json::Bool(old), Json::Bool(new)) => Some(Json::from(i64::from(*old) + i64::from(*new))),
        (Json::Number(old), Json::Bool(new)) if old.is_i64() || old.is_u64() => {
            add_integers(old, &serde_json::Number::from(i64::from(*new)))
        }
        (Json::Number(old), Json::Number(new)) => {
            let old_int = old.is_i64() || old.is_u64();
            let new_int = new.is_i64() || new.is_u64();
            match (old_int, new_int) {
                (true, true) => add_integers(old, new),
                (false, false) => {
                    let sum = old.as_f64().unwrap_or(0.0) + new.as_f64().unwrap_or(0.0);
                    serde_json::Number::from_f64(sum).map(Json::Number)
                }
                // An int is no float and a float no int in Python.
                _ => None,
            }
        }
        _ => None,
    }
}

fn add_integers(old: &serde_json::Number, new: &serde_json::Number) -> Option<Json> {
    match (old.as_i64(), new.as_i64()) {
        (Some(old), Some(new)) => old.checked_add(new).map(Json::from),
        _ => old
            .as_u64()
            .zip(new.as_u64())
            .and_then(|(old, new)| old.checked_add(new))
            .map(Json::from),
    }
}

/// ansible's merge_hash(x, y) with its defaults: y's keys over x's, mappings in both
/// merged recursively, lists replaced.
fn merge_hash(old: &Map<String, Json>, new: &Map<String, Json>) -> Map<String, Json> {
    let mut merged = old.clone();
    for (key, value) in new {
        let joined = match (merged.get(key), value) {
            (Some(Json::Object(kept)), Json::Object(value)) => {
                Json::Object(merge_hash(kept, value))
            }
            _ => value.clone(),
        };
        merged.insert(key.clone(), joined);
    }
    merged
}

impl Step<'_> {
    /// The set_stats action: `data` rendered (its keys too) and checked as variable
    /// names, `per_host` and `aggregate` read as Ansible's booleans; registered as
    /// ansible-core registers it (`ansible_stats`).
    pub(super) fn set_stats(&mut self, args: &Node) -> Outcome {
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let mut change = StatsChange {
            data: Map::new(),
            per_host: false,
            aggregate: true,
        };
        for (option, slot) in [
            ("per_host", &mut change.per_host),
            ("aggregate", &mut change.aggregate),
        ] {
            match rendered.get(option) {
                None | Some(Json::Null) => {}
                Some(value) => *slot = lenient_boolean(value),
            }
        }
        let data = match rendered.get("data") {
            None => Map::new(),
            Some(Json::Object(data)) => data.clone(),
            Some(_) => return Outcome::failed("The 'data' option needs to be a dictionary/hash"),
        };
        for (name, value) in data {
            let name = match self.variable_name(name) {
                Ok(name) => name,
                Err(msg) => return Outcome::failed(msg),
            };
            if !crate::playbook::load::is_identifier(&name) {
                return Outcome::failed(format!(
                    "Invalid variable name '{name}'. Variable names must be strings starting \
                     with a letter or underscore character, and contain only letters, numbers \
                     and underscores."
                ));
            }
            change.data.insert(name, value);
        }
        let mut outcome = Outcome::ok();
        outcome.data.insert(
            "ansible_stats".into(),
            serde_json::json!({
                "data": change.data,
                "per_host": change.per_host,
                "aggregate": change.aggregate,
            }),
        );
        if !change.data.is_empty() {
            self.stats = Some(change);
        }
        outcome
    }
}

/// ansible's `boolean(value, strict=False)`: its true words, anything else false.
fn lenient_boolean(value: &Json) -> bool {
    match value {
        Json::Bool(b) => *b,
        Json::Number(n) => n.as_f64() == Some(1.0),
        Json::String(text) => matches!(
            text.to_lowercase().trim(),
            "y" | "yes" | "on" | "1" | "true" | "t" | "1.0"
        ),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn change(data: Json, per_host: bool, aggregate: bool) -> StatsChange {
        let Json::Object(data) = data else {
            panic!("data is a mapping")
        };
        StatsChange {
            data,
            per_host,
            aggregate,
        }
    }

    #[test]
    fn aggregates_as_ansible_core() {
        let mut stats = CustomStats::default();
        let hosts = ["web1".to_string()];
        stats.apply(
            &change(
                json!({"n": 3, "l": ["a"], "s": "x", "m": {"a": {"b": 1}, "l": [1]}, "f": 1.5}),
                false,
                true,
            ),
            &hosts,
        );
        stats.apply(
            &change(
                json!({"n": 2, "l": ["b"], "s": "y", "m": {"a": {"c": 2}, "l": [2]}, "f": 1}),
                false,
                true,
            ),
            &hosts,
        );
        assert_eq!(
            Json::Object(stats.by_host[RUN_KEY].clone()),
            // A float kept is not added an int (isinstance(1, float) is false).
            json!({"n": 5, "l": ["a", "b"], "s": "xy", "m": {"a": {"b": 1, "c": 2}, "l": [2]}, "f": 1.5})
        );
    }

    #[test]
    fn per_host_and_set_replace() {
        let mut stats = CustomStats::default();
        let hosts = ["b".to_string(), "a".to_string()];
        stats.apply(&change(json!({"n": 1}), true, true), &hosts);
        stats.apply(&change(json!({"n": 1}), true, true), &hosts);
        stats.apply(&change(json!({"t": true}), true, false), &hosts[..1]);
        stats.apply(&change(json!({"t": [1]}), true, false), &hosts[..1]);
        assert_eq!(
            Json::Object(stats.by_host["b"].clone()),
            json!({"n": 2, "t": [1]})
        );
        assert_eq!(Json::Object(stats.by_host["a"].clone()), json!({"n": 2}));
        assert!(!stats.by_host.contains_key(RUN_KEY));
    }

    #[test]
    fn booleans_add_as_ints_and_mismatches_are_kept() {
        assert_eq!(python_plus(&json!(true), &json!(true)), Some(json!(2)));
        assert_eq!(python_plus(&json!(1), &json!(true)), Some(json!(2)));
        assert_eq!(python_plus(&json!(true), &json!(1)), None);
        assert_eq!(python_plus(&json!("a"), &json!(1)), None);
        assert_eq!(python_plus(&json!(null), &json!(null)), None);
    }

    #[test]
    fn lenient_booleans() {
        assert!(lenient_boolean(&json!("Yes")));
        assert!(lenient_boolean(&json!(1)));
        assert!(!lenient_boolean(&json!("maybe")));
        assert!(!lenient_boolean(&json!(0)));
    }
}
