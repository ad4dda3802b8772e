//! Ansible's keywords machinist does not implement are load errors, never accepted and
//! ignored (issue 13): a pasted task with `delegate_to: db1` must not run here and say
//! `ok`. Each is refused with the issue it waits for. `connection` is accepted where
//! its value makes it a true no-op (`local`); `become`, `become_user` and
//! `become_method` must be a boolean and names (what a host's connection cannot
//! honour is refused when the task runs there); any other value is refused.
//! docs/ansible-differences.md lists them.

use super::Loader;
use crate::playbook::keywords::{self, Parse};
use crate::yaml::{Key, Node, Value};

/// Modules Ansible users reach for that machinist refuses until an issue adds them.
/// apt_key (deprecated by Ansible and Debian): deb822_repository's `signed_by` or
/// get_url into /etc/apt/keyrings does its work.
const MODULES_WAITING: &[(&str, u32)] = &[("apt_key", 15)];

/// The issue a refused module name waits for.
pub(super) fn module_waiting_for(name: &str) -> Option<u32> {
    let short = machinist_modules::registry::unqualified(name);
    MODULES_WAITING
        .iter()
        .find(|(module, _)| *module == short)
        .map(|(_, issue)| *issue)
}

impl Loader {
    /// Refuse, in the keys of a play, block, task or role entry (`what`), every
    /// keyword machinist does not implement and every no-op keyword whose value would
    /// make it one that does something.
    pub(super) fn refuse_unsupported(&mut self, entries: &[(Key, Node)], what: &str) {
        for (key, value) in entries {
            let name = key.name.as_str();
            if let Some(issue) = keywords::waiting_for(name) {
                self.error(
                    &key.span,
                    format!(
                        "'{name}' on a {what} is not supported yet (issue #{issue}); \
                         machinist refuses it rather than ignore it"
                    ),
                );
                continue;
            }
            let no_op =
                keywords::get(name).is_some_and(|k| matches!(k.parse, Parse::NoOp | Parse::Become));
            if let Some(why) = no_op.then(|| not_a_no_op(name, value)).flatten() {
                self.error(
                    &value.span,
                    match name.starts_with("become") {
                        true => why,
                        false => format!("{why}: not supported yet (issue #17); machinist runs as the user that starts it, on this machine"),
                    },
                );
            }
        }
    }
}

/// Why a `become*`/`connection` value is refused, if it is.
fn not_a_no_op(name: &str, value: &Node) -> Option<String> {
    let literal = match &value.value {
        Value::Str(text) if !crate::template::Templates::is_template(text) => Some(text.as_str()),
        _ => None,
    };
    match name {
        // Checked per host where the task runs (run/becoming.rs): what a connection
        // cannot honour is refused there.
        "become" => match value.value {
            Value::Bool(_) => None,
            _ => Some("'become' that is not a literal true or false".into()),
        },
        "become_user" | "become_method" => match &value.value {
            Value::Str(text) if !text.is_empty() => None,
            _ => Some(format!(
                "'{name}' that is not a user or method name (or a template of one)"
            )),
        },
        "connection" => match literal {
            Some("local") => None,
            Some(other) => Some(format!("'connection: {other}' (only local is)")),
            None => Some("'connection' that is not a literal name".into()),
        },
        _ => None,
    }
}
