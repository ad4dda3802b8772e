//! `validate_argument_spec`: check variables against options in Ansible's
//! `argument_spec` shape when the task runs. A role with meta/argument_specs.yml gets
//! one as its first task (playbook/load/roles.rs), named and tagged as Ansible's
//! (`Validating arguments against arg spec 'main' - …`, `always`), so its output line
//! and recap count match; values that are templates, which the load-time check
//! (playbook/argspec.rs) cannot judge, are judged here once rendered.

use super::outcome::Outcome;
use super::step::Step;
use crate::arg_options::{fits_value, parse_options};
use crate::vars;
use crate::yaml::Node;
use serde_json::Value as Json;

impl Step<'_> {
    pub(super) fn validate_argument_spec(&mut self, args: &Node) -> Outcome {
        let Some(spec) = args.get("argument_spec") else {
            return Outcome::failed("validate_argument_spec needs 'argument_spec'");
        };
        let mut problems = Vec::new();
        let options = parse_options(spec, &mut problems);
        if !problems.is_empty() {
            let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Outcome::failed(text.join("\n"));
        }
        let provided = match args.get("provided_arguments") {
            Some(node) => match self.render_args(node) {
                Ok(rendered) => rendered,
                Err(msg) => return Outcome::failed(msg),
            },
            None => serde_json::Map::new(),
        };
        let mut errors = Vec::new();
        for option in &options {
            let value = match provided.get(&option.name) {
                Some(given) => Some(vars::from_json(given)),
                None if !self.defined(&option.name) => {
                    option.default.as_ref().map(vars::node_to_value)
                }
                None => match self.templates().eval(&option.name, self.ctx) {
                    Ok(value) if !value.is_undefined() => Some(value),
                    Ok(_) => option.default.as_ref().map(vars::node_to_value),
                    Err(err) => {
                        errors.push(format!("{}: {}", option.name, err.message));
                        continue;
                    }
                },
            };
            match value {
                None if option.required => {
                    errors.push(format!("missing required arguments: {}", option.name));
                }
                None => {}
                Some(value) => {
                    if let Err(why) = fits_value(option, &value) {
                        errors.push(format!("argument '{}' {why}", option.name));
                    }
                }
            }
        }
        tracing::debug!(
            options = options.len(),
            errors = errors.len(),
            "validate_argument_spec"
        );
        if !errors.is_empty() {
            let mut outcome = Outcome::failed(format!(
                "Validation of arguments failed:\n{}",
                errors.join("\n")
            ));
            outcome.data.insert(
                "argument_errors".into(),
                Json::Array(errors.into_iter().map(Json::String).collect()),
            );
            return outcome;
        }
        let mut outcome = Outcome::ok();
        outcome
            .data
            .insert("msg".into(), "The arg spec validation passed".into());
        outcome
    }

    /// Whether a variable of this name is set (its value may still be a template).
    fn defined(&self, name: &str) -> bool {
        self.ctx
            .get_attr(name)
            .is_ok_and(|value| !value.is_undefined())
    }
}
