//! `include_vars`: the variables of a YAML file of the controller, read when the task
//! runs, so its name may be templated with facts (`"{{ ansible_facts.os_family }}.yml"`,
//! the way real roles pick their per-distribution variables). The file is found as
//! Ansible finds it: the role's (or the playbook's) `vars/` folder, that folder itself,
//! then beside the task file. Its variables stay lazy (a value that is a template is
//! rendered where it is used) and sit with the facts, above task vars and below role
//! parameters and extra vars; `name:` puts them all under one variable instead.
//! Ansible's `dir`, `depth`, `files_matching`, `ignore_files`, `extensions`,
//! `ignore_unknown_extensions` and `hash_behaviour` are refused at load (unknown
//! arguments), never ignored.

use super::outcome::Outcome;
use super::step::{located, Step};
use crate::playbook::load::{Loader, VarsFile};
use crate::playbook::sources::{find, SourceKind};
use crate::vars::Layer;
use crate::yaml::Node;
use serde_json::Value as Json;

impl Step<'_> {
    pub(super) fn include_vars(&mut self, args: &Node) -> Outcome {
        let task = self.task;
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let Some(file) = rendered.get("file").and_then(Json::as_str) else {
            return Outcome::failed(located(
                &task.span,
                "include_vars needs a file: `include_vars: NAME.yml` or `file: NAME.yml`".into(),
            ));
        };
        let path = match find(&task.origin, &task.span.file, SourceKind::Vars, file) {
            Ok(path) => path,
            Err(msg) => return Outcome::failed(located(&task.span, msg)),
        };
        let loader = Loader::new(self.shared.sources.clone(), self.shared.extra_vars);
        let VarsFile { vars, doc } = match loader.vars_file(&path, &task.span) {
            Ok(loaded) => loaded,
            Err(err) => return Outcome::failed(err.to_string()),
        };
        let (layer, facts) = match rendered.get("name") {
            Some(Json::String(name)) => {
                let doc = doc.unwrap_or_else(|| Node {
                    value: crate::yaml::Value::Map(Vec::new()),
                    span: task.span.clone(),
                });
                let facts = serde_json::json!({ name.as_str(): doc.to_json() });
                (Layer::from_nodes(&[(name.clone(), doc)]), facts)
            }
            Some(other) => {
                return Outcome::failed(located(
                    &task.span,
                    format!("include_vars: 'name' is a variable name, found {other}"),
                ))
            }
            None => {
                let facts: serde_json::Map<String, Json> = vars
                    .iter()
                    .map(|(name, node)| (name.clone(), node.to_json()))
                    .collect();
                (Layer::from_nodes(&vars), Json::Object(facts))
            }
        };
        tracing::debug!(file = %path.display(), "include_vars");
        self.set_facts(&layer);
        let mut outcome = Outcome::ok();
        outcome.data.insert("ansible_facts".into(), facts);
        outcome.data.insert(
            "ansible_included_var_files".into(),
            Json::Array(vec![Json::String(
                std::path::absolute(&path)
                    .unwrap_or(path)
                    .display()
                    .to_string(),
            )]),
        );
        outcome
    }
}
