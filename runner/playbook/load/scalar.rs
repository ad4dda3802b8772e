//! The values of keywords: strings, booleans, lists, conditions, seconds, variable
//! names and `vars:` mappings, `loop_control`, `until`/`retries`/`delay`, each
//! checked with a located error.

use super::Loader;
use crate::playbook::inherit::defaults_name;
use crate::playbook::model::{Async, Condition, LoopControl, Origin, Retry};
use crate::yaml::{Key, Node, Value};
use machinist_modules::args::did_you_mean;
use std::time::Duration;

impl Loader {
    /// A mapping of variables.
    pub fn vars(&mut self, node: &Node) -> Vec<(String, Node)> {
        match &node.value {
            Value::Map(entries) => entries
                .iter()
                .filter(|(k, _)| self.variable_name(k))
                .map(|(k, v)| (k.name.to_string(), v.clone()))
                .collect(),
            _ => self.not_vars(node),
        }
    }

    /// [`Loader::vars`] of a mapping the caller gives up (moved, not copied).
    pub(super) fn owned_vars(&mut self, node: Node) -> Vec<(String, Node)> {
        match node.value {
            Value::Map(entries) => entries
                .into_iter()
                .filter(|(k, _)| self.variable_name(k))
                .map(|(k, v)| (k.name.to_string(), v))
                .collect(),
            _ => self.not_vars(&node),
        }
    }

    /// Whether a vars key is a valid variable name; an error if not.
    pub(super) fn variable_name(&mut self, key: &Key) -> bool {
        let valid = is_identifier(&key.name);
        if !valid {
            self.error(
                &key.span,
                format!("'{}' is not a valid variable name", key.name),
            );
        }
        valid
    }

    /// The variables of a `vars:` that is not a mapping: none (an error unless null).
    pub(super) fn not_vars(&mut self, node: &Node) -> Vec<(String, Node)> {
        match &node.value {
            Value::Null => Vec::new(),
            _ => {
                self.error(
                    &node.span,
                    format!("vars is a mapping, found {}", node.kind()),
                );
                Vec::new()
            }
        }
    }

    pub(super) fn list(&mut self, node: &Node) -> Option<Vec<Node>> {
        match &node.value {
            Value::Seq(items) => Some(items.clone()),
            Value::Null => Some(Vec::new()),
            _ => {
                self.error(
                    &node.span,
                    format!("expected a list, found {}", node.kind()),
                );
                None
            }
        }
    }

    pub(super) fn loop_control(&mut self, node: &Node) -> LoopControl {
        let mut control = LoopControl {
            extended_allitems: true,
            ..LoopControl::default()
        };
        let Some(entries) = node.as_map() else {
            self.error(&node.span, "loop_control is a mapping");
            return control;
        };
        for (key, value) in entries {
            match key.name.as_str() {
                "loop_var" => control.loop_var = self.identifier(value),
                "index_var" => control.index_var = self.identifier(value),
                "label" => control.label = self.string(value),
                "pause" => control.pause = self.pause_seconds(value),
                "extended" => control.extended = self.boolean(value),
                "extended_allitems" => control.extended_allitems = self.boolean(value),
                "break_when" => control.break_when = self.conditions(value),
                _ => self.unknown_key(
                    key,
                    "loop_control",
                    [
                        "loop_var",
                        "index_var",
                        "label",
                        "pause",
                        "extended",
                        "extended_allitems",
                        "break_when",
                    ]
                    .into_iter(),
                ),
            }
        }
        control
    }

    pub(super) fn conditions(&mut self, node: &Node) -> Vec<Condition> {
        let one = |this: &mut Loader, n: &Node| -> Option<Condition> {
            let expr = match &n.value {
                Value::Str(s) => s.trim().to_string(),
                Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
                _ => {
                    this.error(
                        &n.span,
                        format!("a condition is an expression string, found {}", n.kind()),
                    );
                    return None;
                }
            };
            Some(Condition {
                expr,
                span: n.span.clone(),
            })
        };
        match &node.value {
            Value::Seq(items) => items.iter().filter_map(|n| one(self, n)).collect(),
            _ => one(self, node).into_iter().collect(),
        }
    }

    /// `loop:` written as a literal takes a list (as Ansible: "Invalid data passed to
    /// 'loop', it requires a list"); a template is checked when it renders.
    pub(super) fn literal_loop_is_a_list(&mut self, items: &Node) {
        let found = match &items.value {
            Value::Seq(_) | Value::Null => return,
            Value::Str(text) if crate::template::Templates::is_template(text) => return,
            _ => items.kind(),
        };
        self.error(
            &items.span,
            format!("loop: takes a list, found {found} (Ansible: \"Invalid data passed to 'loop', it requires a list\")"),
        );
    }

    pub(super) fn unknown_key<'a>(
        &mut self,
        key: &Key,
        what: &str,
        known: impl Iterator<Item = &'a str>,
    ) {
        let hint = did_you_mean(&key.name, known)
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default();
        self.error(
            &key.span,
            format!("unknown {what} keyword '{}'{hint}", key.name),
        );
    }

    pub(super) fn string(&mut self, node: &Node) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            _ => {
                self.error(
                    &node.span,
                    format!("expected a string, found {}", node.kind()),
                );
                None
            }
        }
    }

    /// A positive whole number of seconds (`timeout: 30`).
    pub(super) fn seconds(&mut self, node: &Node) -> Option<Duration> {
        match node.value {
            Value::Int(seconds) if seconds > 0 => Some(Duration::from_secs(seconds.unsigned_abs())),
            _ => {
                self.error(
                    &node.span,
                    format!(
                        "timeout is a positive whole number of seconds, found {}",
                        node.kind()
                    ),
                );
                None
            }
        }
    }

    /// `until`, `retries` and `delay` of a task, if it has any of them.
    pub(super) fn retry(&mut self, node: &Node) -> Option<Retry> {
        let until = node.get("until");
        let retries = node.get("retries");
        let delay = node.get("delay");
        if until.is_none() && retries.is_none() && delay.is_none() {
            return None;
        }
        Some(Retry {
            until: until.map(|c| self.conditions(c)).unwrap_or_default(),
            retries: retries.and_then(|n| self.number_or_template(n, "retries", true)),
            delay: delay.and_then(|n| self.number_or_template(n, "delay", false)),
        })
    }

    /// `async` and `poll` of a task, if it has `async` (`poll` alone does nothing, as
    /// in Ansible).
    pub(super) fn asynchronous(&mut self, node: &Node) -> Option<Async> {
        let limit = self.number_or_template(node.get("async")?, "async", true)?;
        let poll = node
            .get("poll")
            .and_then(|n| self.number_or_template(n, "poll", true));
        Some(Async { limit, poll })
    }

    /// A number (`whole`: an integer) written as one, as text of one, or a template
    /// rendered when the task runs.
    fn number_or_template(&mut self, node: &Node, keyword: &str, whole: bool) -> Option<Node> {
        let fits = match &node.value {
            Value::Int(_) => true,
            Value::Float(f) => !whole && f.is_finite(),
            Value::Str(text) => {
                crate::template::Templates::is_template(text)
                    || text.trim().parse::<i64>().is_ok()
                    || (!whole && text.trim().parse::<f64>().is_ok_and(f64::is_finite))
            }
            _ => false,
        };
        if !fits {
            let what = if whole { "a whole number" } else { "a number" };
            self.error(
                &node.span,
                format!(
                    "{keyword} is {what}, or a template of one; found {}",
                    node.kind()
                ),
            );
            return None;
        }
        Some(node.clone())
    }

    /// `module_defaults:` (a mapping of module names to argument mappings, or a list
    /// of such mappings), checked: each name a module or action machinist has (as
    /// ansible-core cannot resolve others), each value a mapping. `group/NAME` is
    /// refused: ansible-core's action groups hold only other collections' modules.
    pub(super) fn module_defaults(&mut self, node: Option<&Node>, origin: &Origin) -> Vec<Node> {
        let Some(node) = node else {
            return Vec::new();
        };
        let dicts: Vec<&Node> = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Null => Vec::new(),
            _ => vec![node],
        };
        let mut checked = Vec::with_capacity(dicts.len());
        for dict in dicts {
            let Some(entries) = dict.as_map() else {
                self.error(
                    &dict.span,
                    format!(
                        "module_defaults is a mapping of module names to their arguments (or a list of them), found {}",
                        dict.kind()
                    ),
                );
                continue;
            };
            let mut fine = true;
            for (key, value) in entries {
                if key.name.starts_with("group/") {
                    self.error(
                        &key.span,
                        format!(
                            "module_defaults: '{}' is an action group; ansible-core's groups hold only other collections' modules, which machinist does not have (name the modules)",
                            key.name
                        ),
                    );
                    fine = false;
                } else if !self.is_module_name(defaults_name(&key.name), origin) {
                    self.error(
                        &key.span,
                        format!("module_defaults: no module or action '{}'", key.name),
                    );
                    fine = false;
                }
                match &value.value {
                    Value::Map(_) | Value::Null => {}
                    Value::Str(text) if crate::template::Templates::is_template(text) => {
                        self.error(
                            &value.span,
                            format!(
                                "module_defaults: the arguments of '{}' are a template; machinist takes a mapping here (templates inside it are fine)",
                                key.name
                            ),
                        );
                        fine = false;
                    }
                    _ => {
                        self.error(
                            &value.span,
                            format!(
                                "module_defaults: the arguments of '{}' are a mapping, found {}",
                                key.name,
                                value.kind()
                            ),
                        );
                        fine = false;
                    }
                }
            }
            if fine {
                checked.push(dict.clone());
            }
        }
        checked
    }

    pub(super) fn pause_seconds(&mut self, node: &Node) -> Option<f64> {
        match node.value {
            Value::Int(seconds) if seconds >= 0 => Some(seconds as f64),
            Value::Float(seconds) if seconds >= 0.0 && seconds.is_finite() => Some(seconds),
            _ => {
                self.error(
                    &node.span,
                    format!(
                        "loop_control.pause is a number of seconds, found {}",
                        node.kind()
                    ),
                );
                None
            }
        }
    }

    pub(super) fn identifier(&mut self, node: &Node) -> Option<String> {
        let name = self.string(node)?;
        if !is_identifier(&name) {
            self.error(&node.span, format!("'{name}' is not a valid variable name"));
            return None;
        }
        Some(name)
    }

    pub(super) fn boolean(&mut self, node: &Node) -> bool {
        match &node.value {
            Value::Bool(b) => *b,
            _ => {
                self.error(
                    &node.span,
                    format!("expected a boolean (true/false), found {}", node.kind()),
                );
                false
            }
        }
    }

    pub(super) fn string_list(&mut self, node: &Node) -> Vec<String> {
        match &node.value {
            Value::Seq(items) => items.iter().filter_map(|n| self.string(n)).collect(),
            Value::Str(s) => s
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            _ => {
                self.error(
                    &node.span,
                    format!("expected a string or a list, found {}", node.kind()),
                );
                Vec::new()
            }
        }
    }
}

/// Whether `name` can name a variable.
pub(crate) fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
