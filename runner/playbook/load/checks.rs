//! Shapes of a task that YAML accepts and a task cannot mean, refused instead of
//! silently dropping half of what was written (found by the bad-input corpus,
//! tests/bad-input/): a block, import or include with a module or an unknown keyword
//! beside it, two loop keywords on one task, and an empty playbook file. And one
//! mistake gives one error: a handler that failed to load does not also make every
//! task notifying it "notify a handler this play does not define".

use super::Loader;
use crate::error::Diagnostic;
use crate::playbook::keywords::{self, Places};
use crate::playbook::model::{Action, Task, TaskKind};
use crate::yaml::{Key, Node, Value};
use machinist_modules::args::did_you_mean;
use std::path::Path;

impl Loader {
    /// After the kind of a task is known: what else in it would be ignored.
    pub(super) fn check_task_shape(&mut self, entries: &[(Key, Node)], kind: &TaskKind) {
        let loops: Vec<&Key> = entries
            .iter()
            .map(|(key, _)| key)
            .filter(|key| keywords::is_loop(&key.name))
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
        let structural =
            |name: &str| keywords::is_structural(machinist_modules::registry::unqualified(name));
        let Some((what, _)) = entries.iter().find(|(key, _)| structural(&key.name)) else {
            return;
        };
        let what = what.name.clone();
        let short_what = machinist_modules::registry::unqualified(&what);
        if matches!(short_what, "block" | "import_tasks" | "import_role") {
            self.check_block_keywords(entries, short_what);
        }
        let include = matches!(short_what, "include_tasks" | "include_role");
        for (key, _) in entries {
            let name = key.name.as_str();
            if let Some(issue) = keywords::waiting_at(name, Places::INCLUDE).filter(|_| include) {
                self.error(
                    &key.span,
                    format!(
                        "'{name}' on {short_what} is not supported yet (issue #{issue}); put it \
                         on the included tasks"
                    ),
                );
                continue;
            }
            if include
                && !structural(name)
                && keywords::is_task_keyword(name)
                && !keywords::is_read_at(name, Places::INCLUDE)
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
            if keywords::is_task_keyword(name)
                || structural(name)
                || keywords::waiting_for(name).is_some()
            {
                continue;
            }
            if Action::from_name(name).is_some() {
                self.error(
                    &key.span,
                    format!("a task with '{what}' runs no module; '{name}' belongs in a task of its own"),
                );
            } else {
                let hint = did_you_mean(name, keywords::task_keywords())
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
            if let Some(issue) = keywords::waiting_at(name, Places::BLOCK) {
                self.error(
                    &key.span,
                    format!(
                        "'{name}' on {what} is not supported yet (issue #{issue}); put it on \
                         the tasks it brings in"
                    ),
                );
            } else if keywords::is_task_keyword(name)
                && !keywords::is_structural(name)
                && !keywords::is_read_at(name, Places::BLOCK)
            {
                self.error(
                    &key.span,
                    format!(
                        "'{name}' is not a keyword of {what} (as in Ansible); put it on the \
                         tasks it brings in"
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
