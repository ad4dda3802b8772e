//! The keywords of runs on many hosts (issue 16), read: a play's `serial`, `order`,
//! `max_fail_percentage` and `force_handlers`; a play's, block's or task's
//! `run_once`, `delegate_to`, `delegate_facts`, `throttle` and `any_errors_fatal`
//! ([`Fleet`]); and `local_action`, turned into its module and `delegate_to: localhost`
//! before the task is read.

use super::Loader;
use crate::playbook::model::{BatchSize, Fleet, HostOrder};
use crate::yaml::{Key, Node, Value};

impl Loader {
    /// The [`Fleet`] keywords written on `node` (a play, block or task).
    pub(super) fn fleet(&mut self, node: &Node) -> Fleet {
        Fleet {
            run_once: node.get("run_once").map(|b| self.boolean(b)),
            delegate_to: node.get("delegate_to").and_then(|d| self.string(d)),
            delegate_facts: node.get("delegate_facts").map(|b| self.boolean(b)),
            throttle: node.get("throttle").and_then(|t| self.count(t)),
            any_errors_fatal: node.get("any_errors_fatal").map(|b| self.boolean(b)),
        }
    }

    /// `serial`: a number of hosts, a percentage (`"30%"`), or a list of them.
    pub(super) fn batches(&mut self, node: &Node) -> Vec<BatchSize> {
        let items = match &node.value {
            Value::Seq(items) => items.iter().collect(),
            _ => vec![node],
        };
        items
            .into_iter()
            .filter_map(|item| self.batch_size(item))
            .collect()
    }

    fn batch_size(&mut self, node: &Node) -> Option<BatchSize> {
        let percent = |text: &str| text.trim().strip_suffix('%')?.trim().parse::<u32>().ok();
        match &node.value {
            Value::Int(hosts) if *hosts >= 0 => usize::try_from(*hosts).ok().map(BatchSize::Hosts),
            Value::Str(text) if percent(text).is_some() => percent(text).map(BatchSize::Percent),
            Value::Str(text) if text.trim().parse::<usize>().is_ok() => {
                text.trim().parse().ok().map(BatchSize::Hosts)
            }
            _ => {
                self.error(
                    &node.span,
                    format!(
                        "serial is a number of hosts, a percentage (\"30%\") or a list of them, found {}",
                        node.kind()
                    ),
                );
                None
            }
        }
    }

    /// `max_fail_percentage`: a number from 0 to 100.
    pub(super) fn percentage(&mut self, node: &Node) -> Option<f64> {
        let value = match &node.value {
            Value::Int(n) => Some(*n as f64),
            Value::Float(f) => Some(*f),
            Value::Str(text) => text.trim().trim_end_matches('%').parse::<f64>().ok(),
            _ => None,
        };
        match value {
            Some(value) if (0.0..=100.0).contains(&value) => Some(value),
            _ => {
                self.error(
                    &node.span,
                    format!(
                        "max_fail_percentage is a number from 0 to 100, found {}",
                        node.kind()
                    ),
                );
                None
            }
        }
    }

    /// `throttle`: a positive whole number (0: no limit, as Ansible).
    pub(super) fn count(&mut self, node: &Node) -> Option<usize> {
        match &node.value {
            Value::Int(n) if *n >= 0 => usize::try_from(*n).ok().filter(|n| *n > 0),
            _ => {
                self.error(
                    &node.span,
                    format!("throttle is a whole number of hosts, found {}", node.kind()),
                );
                None
            }
        }
    }

    /// `order`: how the play takes its hosts.
    pub(super) fn host_order(&mut self, node: &Node) -> HostOrder {
        let name = self.string(node).unwrap_or_default();
        match HostOrder::NAMES.iter().find(|(known, _)| *known == name) {
            Some((_, order)) => *order,
            None => {
                let names: Vec<&str> = HostOrder::NAMES.iter().map(|(n, _)| *n).collect();
                self.error(
                    &node.span,
                    format!("order '{name}' is not one of {}", names.join(", ")),
                );
                HostOrder::Inventory
            }
        }
    }

    /// `strategy`: linear is what every play does; free and host_pinned (whose
    /// results are the same, only the hosts' pace differs) run as linear and say so;
    /// anything else is refused.
    pub(super) fn strategy(&mut self, node: &Node) -> Option<String> {
        let name = self.string(node)?;
        match name.trim() {
            "linear" | "ansible.builtin.linear" => None,
            "free" | "host_pinned" | "ansible.builtin.free" | "ansible.builtin.host_pinned" => {
                Some(name.trim().to_string())
            }
            "debug" | "ansible.builtin.debug" => {
                self.error(
                    &node.span,
                    "strategy 'debug' (Ansible's interactive debugger) is not supported",
                );
                None
            }
            _ => {
                self.error(
                    &node.span,
                    format!("strategy '{name}' is not one of linear, free, host_pinned"),
                );
                None
            }
        }
    }

    /// `local_action: copy dest=…` or `local_action: {module: copy, dest: …}`: the
    /// module written into the task as its own key, and `delegate_to: localhost`
    /// (both refused when the task names a module or a delegate of its own).
    pub(super) fn local_action(&mut self, node: &mut Node) {
        self.module_keyword(node, "action", false);
        self.module_keyword(node, "local_action", true);
    }

    /// `action:` or `local_action:` (`keyword`) turned into the module as its own key;
    /// `to_localhost` adds `delegate_to: localhost`.
    fn module_keyword(&mut self, node: &mut Node, keyword: &str, to_localhost: bool) {
        let Some(local) = node.take(keyword) else {
            return;
        };
        let delegated = node.get("delegate_to").map(|d| d.span.clone());
        if let (true, Some(span)) = (to_localhost, &delegated) {
            self.error(
                span,
                "a task with local_action runs on localhost: it takes no delegate_to",
            );
        }
        let (module, args) = match local.value {
            Value::Str(text) => {
                let text = text.trim_start();
                let (module, rest) = text.split_once(char::is_whitespace).unwrap_or((text, ""));
                let args = Node {
                    value: Value::Str(rest.trim().to_string()),
                    span: local.span.clone(),
                };
                (module.to_string(), args)
            }
            Value::Map(mut entries) => {
                let Some(at) = entries
                    .iter()
                    .position(|(key, _)| key.name.as_str() == "module")
                else {
                    self.error(
                        &local.span,
                        format!("{keyword} as a mapping needs a 'module'"),
                    );
                    return;
                };
                let (_, module) = entries.remove(at);
                let Some(module) = module.as_str().map(str::to_string) else {
                    self.error(
                        &module.span,
                        format!("{keyword}'s module is a module's name"),
                    );
                    return;
                };
                let args = Node {
                    value: Value::Map(entries),
                    span: local.span.clone(),
                };
                (module, args)
            }
            _ => {
                self.error(
                    &local.span,
                    format!(
                        "{keyword} is a module with its arguments, found {}",
                        local.kind()
                    ),
                );
                return;
            }
        };
        if module.is_empty() {
            self.error(&local.span, format!("{keyword} names no module"));
            return;
        }
        let span = local.span.clone();
        if let Value::Map(entries) = &mut node.value {
            entries.push((Key::new(module.as_str(), span.clone()), args));
            if !to_localhost || delegated.is_some() {
                return;
            }
            entries.push((
                Key::new("delegate_to", span.clone()),
                Node {
                    value: Value::Str("localhost".into()),
                    span,
                },
            ));
        }
    }
}
