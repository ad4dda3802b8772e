//! Role argument specs (meta/argument_specs.yml, Ansible's format): parsed when the
//! role is loaded, and checked before the first task of the run, with located errors.
//! Ansible checks them only when the role starts (and only if asked); we always do.
//! The options themselves (Ansible's `argument_spec` shape, which plugin modules
//! declare too) are parsed and type-checked by `crate::arg_options`.

use super::model::{ArgSpec, RoleScope};
use crate::arg_options::{fits_node, fits_value, parse_options};
use crate::error::Diagnostic;
use crate::vars::Layer;
use crate::yaml::Node;
use std::path::Path;

/// The options of entry point `entry` (`main`, or a `tasks_from` name) in a parsed
/// argument_specs.yml; `None` when the file does not describe that entry point.
pub fn parse(
    file: &Path,
    doc: &Node,
    entry: &str,
    errors: &mut Vec<Diagnostic>,
) -> Option<ArgSpec> {
    let specs = doc.get("argument_specs")?;
    let point = specs.get(entry)?;
    let options = match point.get("options") {
        Some(options) => parse_options(options, errors),
        None => Vec::new(),
    };
    Some(ArgSpec {
        file: file.to_path_buf(),
        entry: entry.to_string(),
        short_description: point
            .get("short_description")
            .and_then(Node::as_str)
            .map(str::to_string),
        options,
        options_node: point.get("options").cloned(),
    })
}

/// Check one use of a role against its spec. `play_vars` are the play's own
/// variables (they reach the role too); extra vars win over everything.
pub fn check(
    scope: &RoleScope,
    play_vars: &[(String, Node)],
    extra: &Layer,
    errors: &mut Vec<Diagnostic>,
) {
    let Some(spec) = &scope.spec else {
        return;
    };
    for option in &spec.options {
        if let Some(value) = extra.get(&option.name) {
            if let Err(why) = fits_value(option, value) {
                errors.push(Diagnostic::at(
                    &scope.span,
                    format!("role {}: -e {}: {why}", scope.name, option.name),
                ));
            }
            continue;
        }
        let found = scope
            .sources
            .iter()
            .chain(play_vars.iter())
            .find(|(name, _)| *name == option.name)
            .map(|(_, node)| node)
            .or(option.default.as_ref());
        match found {
            None if option.required => errors.push(Diagnostic::at(
                &scope.span,
                format!(
                    "role {}: required argument '{}' is not set (see {}:{})",
                    scope.name,
                    option.name,
                    spec.file.display(),
                    option.span.line
                ),
            )),
            None => {}
            Some(node) if node.is_templated() => {}
            Some(node) => {
                if let Err(why) = fits_node(option, node) {
                    errors.push(Diagnostic::at(
                        &node.span,
                        format!("role {}: argument '{}' {why}", scope.name, option.name),
                    ));
                }
            }
        }
    }
}
