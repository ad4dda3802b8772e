//! NAME.yml, the spec beside a plugin: `supports_check_mode: true` (else the plugin
//! is skipped in check mode), `argument_spec` (Ansible's shape; when given, the only
//! arguments accepted), and what `machinist doc` shows (`short_description`,
//! `description`, `supports_diff`, `examples`). Mistakes in it are located errors:
//! a misspelt `supports_check_mode` must not quietly turn check mode off.

use super::Spec;
use crate::arg_options::{self, fits_node};
use crate::error::Diagnostic;
use crate::yaml::{Node, Value};
use machinist_modules::args::did_you_mean;
use std::path::Path;

const KEYS: &[&str] = &[
    "short_description",
    "description",
    "supports_check_mode",
    "supports_diff",
    "argument_spec",
    "examples",
    "notes",
    "author",
    "version_added",
    "requirements",
];

/// Read a parsed NAME.yml (its first document; `None` for an empty file).
pub fn parse(file: &Path, doc: Option<&Node>, errors: &mut Vec<Diagnostic>) -> Spec {
    let mut spec = Spec {
        file: file.to_path_buf(),
        short_description: None,
        description: None,
        supports_check_mode: false,
        supports_diff: false,
        options: None,
        examples: None,
    };
    let Some(doc) = doc else { return spec };
    let Some(entries) = doc.as_map() else {
        errors.push(Diagnostic::at(
            &doc.span,
            format!("a plugin spec is a mapping, found {}", doc.kind()),
        ));
        return spec;
    };
    for (key, value) in entries {
        match key.name.as_str() {
            "short_description" => spec.short_description = text(value, errors),
            "description" => spec.description = text(value, errors),
            "examples" => spec.examples = text(value, errors),
            "supports_check_mode" => spec.supports_check_mode = flag(value, errors),
            "supports_diff" => spec.supports_diff = flag(value, errors),
            "argument_spec" => {
                let options = arg_options::parse_options(value, errors);
                check_options(&options, errors);
                spec.options = Some(options);
            }
            name if KEYS.contains(&name) => {}
            name => {
                let hint = did_you_mean(name, KEYS.iter().copied())
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_default();
                errors.push(Diagnostic::at(
                    &key.span,
                    format!("unknown plugin spec key '{name}'{hint}"),
                ));
            }
        }
    }
    spec
}

/// Defaults fit their own option, and no name or alias is used twice.
fn check_options(options: &[crate::arg_options::ArgOption], errors: &mut Vec<Diagnostic>) {
    let mut seen: Vec<&str> = Vec::new();
    for option in options {
        for name in std::iter::once(&option.name).chain(&option.aliases) {
            if seen.contains(&name.as_str()) {
                errors.push(Diagnostic::at(
                    &option.span,
                    format!("argument name '{name}' is used twice in this argument_spec"),
                ));
            }
            seen.push(name);
        }
        if let Some(default) = &option.default {
            // An unknown type is reported by itself.
            let known = arg_options::TYPES.contains(&option.kind.as_str());
            if let Err(why) =
                fits_node(option, default).or_else(|why| if known { Err(why) } else { Ok(()) })
            {
                errors.push(Diagnostic::at(
                    &default.span,
                    format!("the default of '{}' {why}", option.name),
                ));
            }
            if option.required {
                errors.push(Diagnostic::at(
                    &default.span,
                    format!(
                        "'{}' is required, so its default is never used",
                        option.name
                    ),
                ));
            }
        }
    }
}

fn text(node: &Node, errors: &mut Vec<Diagnostic>) -> Option<String> {
    match &node.value {
        Value::Str(s) => Some(s.clone()),
        Value::Seq(items) if items.iter().all(|n| n.as_str().is_some()) => Some(
            items
                .iter()
                .filter_map(Node::as_str)
                .collect::<Vec<_>>()
                .join("\n"),
        ),
        Value::Null => None,
        _ => {
            errors.push(Diagnostic::at(
                &node.span,
                format!("expected text, found {}", node.kind()),
            ));
            None
        }
    }
}

fn flag(node: &Node, errors: &mut Vec<Diagnostic>) -> bool {
    match node.value {
        Value::Bool(b) => b,
        _ => {
            errors.push(Diagnostic::at(
                &node.span,
                format!("expected true or false, found {}", node.kind()),
            ));
            false
        }
    }
}
