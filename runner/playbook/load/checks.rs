//! Shapes of a task that YAML accepts and a task cannot mean, refused instead of
//! silently dropping half of what was written (found by the bad-input corpus,
//! tests/bad-input/): a block, import or include with a module or an unknown keyword
//! beside it, two loop keywords on one task, and an empty playbook file. And one
//! mistake gives one error: a handler that failed to load does not also make every
//! task notifying it "notify a handler this play does not define".

use super::{Loader, TASK_KEYS};
use crate::error::Diagnostic;
use crate::playbook::model::{is_loop_keyword, Action, Task, TaskKind};
use crate::yaml::{Key, Node, Value};
use machinist_modules::args::did_you_mean;
use std::path::Path;

/// The keys that make a task a block, an import or an include (they take no module).
const STRUCTURAL_KEYS: &[&str] = &[
    "block",
    "import_tasks",
    "include_tasks",
    "import_role",
    "include_role",
];

/// Task keywords a block or an import does not take, beside the loop keywords
/// (Ansible: "'loop' is not a valid attribute for a Block", "You cannot use loops on
/// 'import_tasks'"); they were accepted and ignored.
const NOT_FOR_BLOCKS: &[&str] = &[
    "loop_control",
    "register",
    "changed_when",
    "failed_when",
    "listen",
    "args",
];

/// Keywords Ansible's blocks and imports pass down to their tasks that machinist does
/// not yet.
const BLOCK_WAITING: &[(&str, u32)] = &[("notify", 15), ("timeout", 15)];

/// The keywords an `include_tasks` or `include_role` takes: Ansible's
/// `VALID_INCLUDE_KEYWORDS` (with the loop keywords, its `loop_with`; it says "'become' is not a valid attribute for a
/// TaskInclude" for any other), and machinist's `root`.
const INCLUDE_KEYWORDS: &[&str] = &[
    "name",
    "args",
    "ignore_errors",
    "loop_control",
    "no_log",
    "register",
    "tags",
    "timeout",
    "vars",
    "when",
    "root",
];

impl Loader {
    /// After the kind of a task is known: what else in it would be ignored.
    pub(super) fn check_task_shape(&mut self, entries: &[(Key, Node)], kind: &TaskKind) {
        let loops: Vec<&Key> = entries
            .iter()
            .map(|(key, _)| key)
            .filter(|key| is_loop_keyword(&key.name))
            .collect();
        if let [first, second, ..] = loops[..] {
            self.error(
                &second.span,
                format!(
                    "a task has one loop; this one has both '{}' and '{}'",
                    first.name, second.name
                ),
            );
        }
        if matches!(kind, TaskKind::Action { .. }) {
            return;
        }
        let structural = |name: &str| {
            let short = name.strip_prefix("ansible.builtin.").unwrap_or(name);
            STRUCTURAL_KEYS.contains(&short)
        };
        let Some((what, _)) = entries.iter().find(|(key, _)| structural(&key.name)) else {
            return;
        };
        let what = what.name.clone();
        let short_what = what.strip_prefix("ansible.builtin.").unwrap_or(&what);
        if matches!(short_what, "block" | "import_tasks" | "import_role") {
            self.check_block_keywords(entries, short_what);
        }
        let include = matches!(short_what, "include_tasks" | "include_role");
        for (key, _) in entries {
            let name = key.name.as_str();
            if include
                && !structural(name)
                && super::unsupported::waiting_for(name).is_none()
                && TASK_KEYS.contains(&name)
                && !INCLUDE_KEYWORDS.contains(&name)
                && !is_loop_keyword(name)
            {
                self.error(
                    &key.span,
                    format!(
                        "'{name}' is not a keyword of {short_what} (as in Ansible); \
                         put it on the included tasks, or use {}",
                        short_what.replace("include", "import")
                    ),
                );
                continue;
            }
            if TASK_KEYS.contains(&name)
                || structural(name)
                || super::unsupported::waiting_for(name).is_some()
            {
                continue;
            }
            if Action::from_name(name).is_some() {
                self.error(
                    &key.span,
                    format!("a task with '{what}' runs no module; '{name}' belongs in a task of its own"),
                );
            } else {
                let hint = did_you_mean(name, TASK_KEYS.iter().copied())
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_default();
                self.error(&key.span, format!("unknown task keyword '{name}'{hint}"));
            }
        }
    }

    /// Keywords of a block or an import (`what`) that would be ignored: refused.
    fn check_block_keywords(&mut self, entries: &[(Key, Node)], what: &str) {
        for (key, _) in entries {
            let name = key.name.as_str();
            if NOT_FOR_BLOCKS.contains(&name) || is_loop_keyword(name) {
                self.error(
                    &key.span,
                    format!(
                        "'{name}' is not a keyword of {what} (as in Ansible); put it on the \
                         tasks it brings in"
                    ),
                );
            } else if let Some((_, issue)) = BLOCK_WAITING.iter().find(|(k, _)| *k == name) {
                self.error(
                    &key.span,
                    format!(
                        "'{name}' on {what} is not supported yet (issue #{issue}); put it on \
                         the tasks it brings in"
                    ),
                );
            }
        }
    }

    /// A playbook file with no play at all is a mistake (Ansible: "Empty playbook").
    pub(super) fn check_not_empty(&mut self, path: &Path, docs: &[Node]) {
        if docs.iter().all(|doc| doc.value == Value::Null) {
            self.errors.push(Diagnostic::bare(format!(
                "{}: this playbook is empty; a playbook is a list of plays",
                path.display()
            )));
        }
    }

    /// `dependencies:` in a role's meta/main.yml must be a list of roles.
    pub(super) fn check_dependencies(&mut self, meta: Option<&Node>) {
        let Some(dependencies) = meta.and_then(|m| m.get("dependencies")) else {
            return;
        };
        if !matches!(dependencies.value, Value::Seq(_) | Value::Null) {
            self.error(
                &dependencies.span,
                format!(
                    "dependencies is a list of roles, found {}",
                    dependencies.kind()
                ),
            );
        }
    }

    /// Remember the names of the handlers written in `raw` that did not load.
    pub(super) fn note_broken_handlers(&mut self, raw: Option<&Node>, loaded: &[Task]) {
        let loaded: Vec<String> = loaded
            .iter()
            .flat_map(crate::playbook::model::handler_names)
            .collect();
        for handler in raw.and_then(Node::as_seq).unwrap_or_default() {
            let names = ["name", "listen"]
                .into_iter()
                .filter_map(|key| handler.get(key))
                .flat_map(|node| match &node.value {
                    Value::Str(name) => vec![name.clone()],
                    Value::Seq(items) => items
                        .iter()
                        .filter_map(|n| n.as_str().map(String::from))
                        .collect(),
                    _ => Vec::new(),
                });
            for name in names {
                if !loaded.contains(&name) {
                    self.broken_handlers.push(name);
                }
            }
        }
    }

    /// Drop "notifies handler 'X'" errors about handlers whose own error is reported.
    pub(super) fn drop_cascading_errors(&mut self) {
        let broken = std::mem::take(&mut self.broken_handlers);
        self.errors.retain(|diag| {
            !broken.iter().any(|name| {
                diag.message
                    .starts_with(&format!("notifies handler '{name}', "))
            })
        });
    }
}
