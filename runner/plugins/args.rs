//! A plugin's arguments against its `argument_spec`: before the run (names, and the
//! values written without templates: located errors, exit 4), and again once
//! rendered (every value; then aliases resolved, defaults filled in and values
//! converted to their declared type, so the plugin gets what its spec promises).
//! The type checks are the role argument specs' own (`arg_options::fits_node`).

use super::Plugin;
use crate::arg_options::fits_node;
use crate::arg_options::ArgOption;
use crate::error::{Diagnostic, Span};
use crate::yaml::{Key, Node, Value};
use machinist_modules::args::did_you_mean;
use serde_json::{Map, Value as Json};

/// Check a task's arguments, as written, against the plugin's spec (if it has one).
pub fn check_written(plugin: &Plugin, module: &str, args: &Node, errors: &mut Vec<Diagnostic>) {
    let (Some(options), Some(entries)) = (plugin.options(), args.as_map()) else {
        return;
    };
    let mut given: Vec<(&ArgOption, &Key)> = Vec::new();
    for (key, value) in entries {
        let Some(option) = lookup(options, &key.name) else {
            let names = options
                .iter()
                .flat_map(|o| std::iter::once(&o.name).chain(&o.aliases))
                .map(String::as_str);
            let hint = did_you_mean(&key.name, names)
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
            errors.push(Diagnostic::at(
                &key.span,
                format!("unknown argument '{}' for module {module}{hint}", key.name),
            ));
            continue;
        };
        if let Some((_, first)) = given.iter().find(|(o, _)| o.name == option.name) {
            errors.push(Diagnostic::at(
                &key.span,
                format!(
                    "module {module}: argument '{}' is given twice (as '{}' and '{}')",
                    option.name, first.name, key.name
                ),
            ));
        }
        given.push((option, key));
        if !value.is_templated() {
            if let Err(why) = fits_node(option, value) {
                errors.push(Diagnostic::at(
                    &value.span,
                    format!("module {module}: argument '{}' {why}", option.name),
                ));
            }
        }
    }
    for option in options.iter().filter(|o| o.required) {
        if !given.iter().any(|(o, _)| o.name == option.name) {
            errors.push(Diagnostic::at(
                &args.span,
                format!(
                    "module {module}: missing required argument '{}'",
                    option.name
                ),
            ));
        }
    }
}

/// Why rendered arguments do not fit: the argument at fault (as written) and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ArgProblem {
    pub key: Option<String>,
    pub message: String,
}

/// The rendered arguments as the plugin gets them: canonical names, defaults, and
/// values of the declared types. A null value counts as not given (as in Ansible).
pub fn prepare(
    options: &[ArgOption],
    rendered: Map<String, Json>,
    span: &Span,
) -> Result<Map<String, Json>, ArgProblem> {
    let problem = |key: Option<&str>, message: String| ArgProblem {
        key: key.map(str::to_string),
        message,
    };
    let mut out = Map::new();
    for (key, value) in rendered {
        let Some(option) = lookup(options, &key) else {
            return Err(problem(Some(&key), format!("unknown argument '{key}'")));
        };
        if value.is_null() {
            continue;
        }
        if out.contains_key(&option.name) {
            let message = format!("argument '{}' is given twice", option.name);
            return Err(problem(Some(&key), message));
        }
        fits_node(option, &node_of(&value, span))
            .map_err(|why| problem(Some(&key), format!("argument '{}' {why}", option.name)))?;
        out.insert(option.name.clone(), convert(&option.kind, value));
    }
    for option in options {
        if out.contains_key(&option.name) {
            continue;
        }
        match &option.default {
            Some(default) => {
                out.insert(
                    option.name.clone(),
                    convert(&option.kind, default.to_json()),
                );
            }
            None if option.required => {
                let message = format!("missing required argument '{}'", option.name);
                return Err(problem(None, message));
            }
            None => {}
        }
    }
    Ok(out)
}

/// The values of `no_log` options, to be masked wherever a result repeats them.
pub fn secrets(options: &[ArgOption], prepared: &Map<String, Json>) -> Vec<String> {
    options
        .iter()
        .filter(|o| o.no_log)
        .filter_map(|o| prepared.get(&o.name))
        .map(|value| match value {
            Json::String(s) => s.clone(),
            other => other.to_string(),
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn lookup<'a>(options: &'a [ArgOption], name: &str) -> Option<&'a ArgOption> {
    options
        .iter()
        .find(|o| o.name == name || o.aliases.iter().any(|a| a == name))
}

/// Ansible's conversions for values that fit: numbers given for strings, numeric
/// strings for numbers.
fn convert(kind: &str, value: Json) -> Json {
    match (kind, value) {
        ("str" | "path", Json::Number(n)) => Json::String(n.to_string()),
        ("int", Json::String(s)) => s.parse::<i64>().map_or(Json::String(s), Json::from),
        ("float", Json::Number(n)) => n
            .as_f64()
            .and_then(serde_json::Number::from_f64)
            .map_or(Json::Number(n), Json::Number),
        (_, value) => value,
    }
}

/// A rendered value as a node (at `span`), for the spec's type checks.
fn node_of(value: &Json, span: &Span) -> Node {
    let value = match value {
        Json::Null => Value::Null,
        Json::Bool(b) => Value::Bool(*b),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::String(s) => Value::Str(s.clone()),
        Json::Array(items) => Value::Seq(items.iter().map(|v| node_of(v, span)).collect()),
        Json::Object(map) => Value::Map(
            map.iter()
                .map(|(k, v)| {
                    let key = Key::new(k.as_str(), span.clone());
                    (key, node_of(v, span))
                })
                .collect(),
        ),
    };
    Node {
        value,
        span: span.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::path::Path;

    fn span() -> Span {
        Span {
            file: Path::new("t.yml").into(),
            line: 1,
            col: 1,
            len: 1,
        }
    }

    fn option(name: &str, kind: &str) -> ArgOption {
        ArgOption {
            name: name.into(),
            span: span(),
            kind: kind.into(),
            elements: None,
            required: false,
            default: None,
            choices: Vec::new(),
            aliases: Vec::new(),
            no_log: false,
            description: None,
        }
    }

    fn map(value: Json) -> Map<String, Json> {
        match value {
            Json::Object(map) => map,
            _ => Map::new(),
        }
    }

    #[test]
    fn aliases_defaults_and_conversions() {
        let mut path = option("path", "path");
        path.aliases = vec!["dest".into()];
        path.required = true;
        let mut count = option("count", "int");
        count.default = Some(node_of(&json!(3), &span()));
        let mut token = option("token", "str");
        token.no_log = true;
        let options = [path, count, token];
        let prepared = prepare(
            &options,
            map(json!({"dest": "/etc/x", "count": "5", "token": 42})),
            &span(),
        );
        assert_eq!(
            prepared,
            Ok(map(json!({"path": "/etc/x", "count": 5, "token": "42"})))
        );
        let defaults = prepare(&options, map(json!({"path": "/x"})), &span());
        assert_eq!(defaults, Ok(map(json!({"path": "/x", "count": 3}))));
        let secret = prepare(&options, map(json!({"path": "/x", "token": "s3"})), &span());
        assert_eq!(secrets(&options, &secret.unwrap_or_default()), ["s3"]);
    }

    #[test]
    fn wrong_types_choices_and_missing_arguments_are_named() {
        let mut state = option("state", "str");
        state.choices = vec![node_of(&json!("present"), &span())];
        let mut path = option("path", "path");
        path.required = true;
        let options = [state, path];
        let wrong = prepare(&options, map(json!({"path": [1]})), &span());
        assert_eq!(
            wrong.map_err(|p| p.message),
            Err("argument 'path' must be of type path, found a list".to_string())
        );
        let choice = prepare(
            &options,
            map(json!({"path": "/", "state": "gone"})),
            &span(),
        );
        assert!(choice.is_err_and(|p| p.message.contains("not one of: \"present\"")));
        let missing = prepare(&options, map(json!({"path": null})), &span());
        assert_eq!(
            missing.map_err(|p| p.message),
            Err("missing required argument 'path'".to_string())
        );
    }
}
