//! Argument options in Ansible's `argument_spec` shape (`type`, `required`,
//! `default`, `choices`, `elements`, `aliases`, `no_log`, `description`): parsed from
//! a role's meta/argument_specs.yml (playbook/argspec.rs) and a plugin's NAME.yml
//! (plugins/spec.rs), and values type-checked against them, by the same functions.

use crate::error::{Diagnostic, Span};
use crate::template::Templates;
use crate::yaml::{Node, Value as YamlValue};
use minijinja::value::ValueKind;

/// The option types known (Ansible's names).
pub(crate) const TYPES: &[&str] = &["str", "int", "float", "bool", "list", "dict", "path", "raw"];
const OPTION_KEYS: &[&str] = &[
    "type",
    "required",
    "default",
    "choices",
    "elements",
    "description",
    "options",
    "aliases",
    "version_added",
    "no_log",
];

#[derive(Debug, Clone)]
pub struct ArgOption {
    pub name: String,
    pub span: Span,
    /// str, int, float, bool, list, dict, path, raw (Ansible's names).
    pub kind: String,
    pub elements: Option<String>,
    pub required: bool,
    pub default: Option<Node>,
    pub choices: Vec<Node>,
    /// Other names of the option (plugin arguments).
    pub aliases: Vec<String>,
    /// Its value is a secret: masked in results.
    pub no_log: bool,
    pub description: Option<String>,
}

/// A mapping of option name → definition (`type`, `required`, `default`, `choices`,
/// `elements`, `aliases`, `no_log`, `description`), Ansible's shape.
pub fn parse_options(node: &Node, errors: &mut Vec<Diagnostic>) -> Vec<ArgOption> {
    let mut options = Vec::new();
    let Some(entries) = node.as_map() else {
        if node.value != YamlValue::Null {
            errors.push(Diagnostic::at(
                &node.span,
                format!("options are a mapping of names, found {}", node.kind()),
            ));
        }
        return options;
    };
    for (key, def) in entries {
        let text = |name: &str| def.get(name).and_then(Node::as_str).map(str::to_string);
        let kind = text("type").unwrap_or_else(|| "str".into());
        if !TYPES.contains(&kind.as_str()) {
            errors.push(Diagnostic::at(
                &def.get("type").map_or(&key.span, |n| &n.span).clone(),
                format!(
                    "unknown argument type '{kind}' (one of: {})",
                    TYPES.join(", ")
                ),
            ));
        }
        if let Some(map) = def.as_map() {
            for (k, _) in map {
                if !OPTION_KEYS.contains(&k.name.as_str()) {
                    errors.push(Diagnostic::at(
                        &k.span,
                        format!("unknown argument spec key '{}'", k.name),
                    ));
                }
            }
        }
        let flag = |name: &str| {
            def.get(name)
                .is_some_and(|n| n.value == YamlValue::Bool(true))
        };
        options.push(ArgOption {
            name: key.name.to_string(),
            span: key.span.clone(),
            kind,
            elements: text("elements"),
            required: flag("required"),
            default: def.get("default").cloned(),
            choices: def
                .get("choices")
                .and_then(Node::as_seq)
                .map(<[Node]>::to_vec)
                .unwrap_or_default(),
            aliases: def
                .get("aliases")
                .map(|list| names(list, errors))
                .unwrap_or_default(),
            no_log: flag("no_log"),
            description: def.get("description").map(description),
        });
    }
    options
}

/// A list of names (`aliases: [dest, name]`).
fn names(node: &Node, errors: &mut Vec<Diagnostic>) -> Vec<String> {
    let names: Option<Vec<String>> = node.as_seq().and_then(|items| {
        items
            .iter()
            .map(|n| n.as_str().map(str::to_string))
            .collect()
    });
    names.unwrap_or_else(|| {
        errors.push(Diagnostic::at(&node.span, "aliases are a list of names"));
        Vec::new()
    })
}

/// A description: a string, or Ansible's list of paragraphs.
fn description(node: &Node) -> String {
    match &node.value {
        YamlValue::Seq(items) => items
            .iter()
            .filter_map(Node::as_str)
            .collect::<Vec<_>>()
            .join(" "),
        YamlValue::Str(text) => text.clone(),
        _ => node.to_json().to_string(),
    }
}

/// Whether a value fits an option: its type, its elements' type, its choices.
pub(crate) fn fits_node(option: &ArgOption, node: &Node) -> Result<(), String> {
    fits_kind(&option.kind, node)?;
    if let (Some(elements), Some(items)) = (&option.elements, node.as_seq()) {
        for item in items {
            fits_kind(elements, item).map_err(|why| format!("has an element that {why}"))?;
        }
    }
    if !option.choices.is_empty() && !option.choices.iter().any(|c| c.value == node.value) {
        let choices: Vec<String> = option
            .choices
            .iter()
            .map(|c| c.to_json().to_string())
            .collect();
        return Err(format!(
            "is {}, not one of: {}",
            node.to_json(),
            choices.join(", ")
        ));
    }
    Ok(())
}

fn fits_kind(kind: &str, node: &Node) -> Result<(), String> {
    let ok = match (kind, &node.value) {
        ("raw", _) => true,
        ("str" | "path", YamlValue::Str(_) | YamlValue::Int(_) | YamlValue::Float(_)) => true,
        ("int", YamlValue::Int(_)) => true,
        ("int", YamlValue::Str(s)) => s.parse::<i64>().is_ok(),
        ("float", YamlValue::Int(_) | YamlValue::Float(_)) => true,
        ("bool", YamlValue::Bool(_)) => true,
        ("bool", YamlValue::Str(s)) => is_boolean_spelling(s),
        ("bool", YamlValue::Int(n)) => *n == 0 || *n == 1,
        ("list", YamlValue::Seq(_)) => true,
        ("dict", YamlValue::Map(_)) => true,
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(format!("must be of type {kind}, found {}", node.kind()))
    }
}

/// The strings Ansible's `check_type_bool` converts (its `boolean()`, strict):
/// `yes`/`no`, `on`/`off`, `true`/`false`, `y`/`n`, `t`/`f`, `1`/`0`, any case.
fn is_boolean_spelling(text: &str) -> bool {
    matches!(
        text.to_ascii_lowercase().as_str(),
        "yes" | "no" | "on" | "off" | "true" | "false" | "y" | "n" | "t" | "f" | "1" | "0"
    )
}

pub(crate) fn fits_value(option: &ArgOption, value: &minijinja::Value) -> Result<(), String> {
    let ok = match (option.kind.as_str(), value.kind()) {
        ("raw", _) => true,
        (_, ValueKind::String) if value.as_str().is_some_and(Templates::is_template) => true,
        ("str" | "path", ValueKind::String | ValueKind::Number) => true,
        ("int", ValueKind::Number) => value.is_integer(),
        ("int", ValueKind::String) => value.as_str().is_some_and(|s| s.parse::<i64>().is_ok()),
        ("float", ValueKind::Number) => true,
        ("bool", ValueKind::Bool) => true,
        ("bool", ValueKind::String) => value.as_str().is_some_and(is_boolean_spelling),
        ("bool", ValueKind::Number) => {
            matches!(f64::try_from(value.clone()), Ok(n) if n == 0.0 || n == 1.0)
        }
        ("list", ValueKind::Seq) => true,
        ("dict", ValueKind::Map) => true,
        _ => false,
    };
    if !ok {
        return Err(format!(
            "must be of type {}, found {}",
            option.kind,
            value.kind()
        ));
    }
    if option.choices.is_empty() {
        return Ok(());
    }
    let given = serde_json::to_value(value).unwrap_or_default();
    let choices: Vec<serde_json::Value> = option.choices.iter().map(|c| c.to_json()).collect();
    if choices.contains(&given) {
        return Ok(());
    }
    let shown: Vec<String> = choices.iter().map(|c| c.to_string()).collect();
    Err(format!("is {given}, not one of: {}", shown.join(", ")))
}
