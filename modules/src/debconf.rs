//! The `debconf` module (Ansible's `ansible.builtin.debconf`): one answer of a
//! package's debconf question set (pre-seeding or changing it), or the package's
//! answers read. Planning asks `debconf-show NAME` in the target (read-only: debconf
//! opens its database for reading) and, for a password, reads debconf's
//! passwords.dat through the Host (debconf-show hides passwords); the answer is set
//! with `debconf-set-selections` fed the line on stdin (never in argv or logs), in the
//! target: in a root, the root's own debconf. ok/changed as Ansible decides: booleans
//! compared lowercased, a multiselect list compared sorted, a question the package
//! does not show is changed.

pub mod doc;

use crate::{Change, Diff, Host, Module, ModuleError, Op, Plan, RunSpec};
use serde::Deserialize;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::Path;

const PASSWORDS: &str = "/var/cache/debconf/passwords.dat";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Vtype {
    Boolean,
    Error,
    Multiselect,
    Note,
    Password,
    Seen,
    Select,
    String,
    Text,
    Title,
}

impl Vtype {
    fn word(self) -> &'static str {
        match self {
            Vtype::Boolean => "boolean",
            Vtype::Error => "error",
            Vtype::Multiselect => "multiselect",
            Vtype::Note => "note",
            Vtype::Password => "password",
            Vtype::Seen => "seen",
            Vtype::Select => "select",
            Vtype::String => "string",
            Vtype::Text => "text",
            Vtype::Title => "title",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The package whose questions these are.
    #[serde(alias = "pkg")]
    pub name: String,
    #[serde(default, alias = "selection", alias = "setting")]
    pub question: Option<String>,
    #[serde(default)]
    pub vtype: Option<Vtype>,
    /// A string, a boolean, a number, or (multiselect) a list.
    #[serde(default, alias = "answer")]
    pub value: Option<Value>,
    /// Leave the question unseen (`debconf-set-selections -u`).
    #[serde(default)]
    pub unseen: bool,
}

pub struct DebconfModule;

impl Module for DebconfModule {
    type Args = Args;
    const NAME: &'static str = "debconf";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.name.is_empty()
            || args.name.starts_with('-')
            || args.name.contains(char::is_whitespace)
        {
            return Err(ModuleError::invalid(
                "name",
                format!("'{}' is not a package name", args.name),
            ));
        }
        let previous = selections(host, &args.name)?;
        let (question, vtype, value) = match (&args.question, args.vtype, &args.value) {
            (None, None, None) => {
                return Ok(Plan::ok().with_msg("").with_data("current", &previous));
            }
            (Some(question), Some(vtype), Some(value)) => (question, vtype, value),
            _ => {
                return Err(ModuleError::invalid(
                    "question",
                    "parameters are required together: question, vtype, value",
                ))
            }
        };
        if question.contains(char::is_whitespace) || question.is_empty() {
            return Err(ModuleError::invalid(
                "question",
                format!("'{question}' is not a debconf question"),
            ));
        }
        let wanted = Answer::of(value, vtype)?;
        if wanted.text().contains(['\n', '\r']) {
            // debconf-set-selections reads one answer a line: a newline would set
            // another question.
            return Err(ModuleError::invalid(
                "value",
                "a debconf answer is one line: the value holds a line break",
            ));
        }
        let changed = match previous.get(question) {
            None => true,
            Some(shown) => {
                let existing = match vtype {
                    Vtype::Boolean => Answer::Text(shown.to_lowercase()),
                    Vtype::Password => Answer::Text(password(host, question)?),
                    Vtype::Multiselect if matches!(wanted, Answer::List(_)) => {
                        let mut items: Vec<String> =
                            shown.split(',').map(|i| i.trim().to_string()).collect();
                        items.sort();
                        Answer::List(items)
                    }
                    _ => Answer::Text(shown.clone()),
                };
                existing != wanted
            }
        };
        if !changed {
            return Ok(Plan::ok().with_msg("").with_data("current", &previous));
        }
        let text = wanted.text();
        let secret = vtype == Vtype::Password;
        // A password is never shown: not in the result, not in the diff.
        let shown_value = |value: String| match secret && !value.is_empty() {
            true => "********".to_string(),
            false => value,
        };
        let before: BTreeMap<String, String> = BTreeMap::from([(
            question.clone(),
            shown_value(previous.get(question).cloned().unwrap_or_default()),
        )]);
        let current = BTreeMap::from([(question.clone(), shown_value(text.clone()))]);
        let mut argv = vec!["debconf-set-selections".to_string()];
        if args.unseen {
            argv.push("-u".into());
        }
        let line = format!("{} {question} {} {text}", args.name, vtype.word());
        let shown = |map: &BTreeMap<String, String>| -> String {
            map.iter().map(|(q, v)| format!("{q}: {v}\n")).collect()
        };
        let change = Change {
            summary: format!("set {question}"),
            diff: Some(Diff {
                before_header: format!("debconf {}", args.name),
                after_header: format!("debconf {}", args.name),
                before: shown(&before),
                after: shown(&current),
            }),
            ops: vec![Op::Run(RunSpec {
                argv,
                stdin: Some(line.into_bytes()),
                env: vec![("LC_ALL".into(), "C".into())],
                ..RunSpec::default()
            })],
        };
        Ok(Plan::change(vec![change])
            .with_data("current", &current)
            .with_data("previous", &before))
    }
}

/// An answer as Ansible compares it: text, or a multiselect list sorted.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Answer {
    Text(String),
    List(Vec<String>),
}

impl Answer {
    fn of(value: &Value, vtype: Vtype) -> Result<Answer, ModuleError> {
        let text = |value: &Value| match value {
            Value::String(text) => text.clone(),
            // Python's str() of the YAML value, as Ansible's raw argument gives it.
            Value::Bool(true) => "True".into(),
            Value::Bool(false) => "False".into(),
            Value::Null => "None".into(),
            other => other.to_string(),
        };
        Ok(match (value, vtype) {
            (Value::Array(items), Vtype::Multiselect) => {
                let mut items: Vec<String> = items.iter().map(text).collect();
                items.sort();
                Answer::List(items)
            }
            (Value::Array(_) | Value::Object(_), _) => {
                return Err(ModuleError::invalid(
                    "value",
                    "a list is a value only for vtype multiselect",
                ))
            }
            (value, Vtype::Boolean) => Answer::Text(text(value).to_lowercase()),
            (value, _) => Answer::Text(text(value)),
        })
    }

    /// The value as debconf-set-selections takes it.
    fn text(&self) -> String {
        match self {
            Answer::Text(text) => text.clone(),
            Answer::List(items) => items.join(", "),
        }
    }
}

/// `debconf-show NAME`: the package's questions and their shown values.
fn selections(host: &Host, name: &str) -> Result<BTreeMap<String, String>, ModuleError> {
    let output = host.query(&RunSpec {
        argv: vec!["debconf-show".into(), name.into()],
        env: vec![("LC_ALL".into(), "C".into())],
        ..RunSpec::default()
    })?;
    if output.rc != Some(0) {
        return Err(ModuleError::Failed(output.said()));
    }
    Ok(output
        .stdout
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            Some((
                key.trim_start_matches([' ', '*']).trim().to_string(),
                value.trim().to_string(),
            ))
        })
        .collect())
}

/// A password's value in debconf's passwords.dat ("" when it has none).
fn password(host: &Host, question: &str) -> Result<String, ModuleError> {
    let bytes = host.read_file(Path::new(PASSWORDS))?.unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .split("\n\n")
        .map(crate::package_facts::dpkg::fields)
        .find(|fields| fields.iter().any(|(k, v)| *k == "Name" && *v == question))
        .and_then(|fields| {
            fields
                .iter()
                .find(|(key, _)| *key == "Value")
                .map(|(_, value)| value.to_string())
        })
        .unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn answers_compare_as_ansibles() {
        assert_eq!(
            Answer::of(&json!(true), Vtype::Boolean).unwrap(),
            Answer::Text("true".into())
        );
        assert_eq!(
            Answer::of(&json!(["b", "a"]), Vtype::Multiselect).unwrap(),
            Answer::List(vec!["a".into(), "b".into()])
        );
        assert_eq!(
            Answer::of(&json!(["b", "a"]), Vtype::Multiselect)
                .unwrap()
                .text(),
            "a, b"
        );
        assert_eq!(
            Answer::of(&json!("fr_FR.UTF-8"), Vtype::Select).unwrap(),
            Answer::Text("fr_FR.UTF-8".into())
        );
        assert!(Answer::of(&json!(["x"]), Vtype::String).is_err());
    }
}
