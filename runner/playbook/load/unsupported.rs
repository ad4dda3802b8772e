//! Ansible's keywords machinist does not implement are load errors, never accepted and
//! ignored (issue 13): a pasted task with `delegate_to: db1` must not run here and say
//! `ok`. Each is refused with the issue it waits for. A few keywords are accepted
//! where their value makes them a true no-op for a run as root on this machine
//! (`become` to root, `connection: local`); any other value is refused the same way.
//! docs/ansible-differences.md lists them.

use super::Loader;
use crate::playbook::keywords::{self, Parse};
use crate::yaml::{Key, Node, Value};

/// Modules Ansible users reach for that machinist refuses until an issue adds them.
const MODULES_WAITING: &[(&str, u32)] = &[];

/// The issue a refused module name waits for (none is refused this way today).
pub(super) fn module_waiting_for(name: &str) -> Option<u32> {
    let short = name.strip_prefix("ansible.builtin.").unwrap_or(name);
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
            let no_op = keywords::get(name).is_some_and(|k| k.parse == Parse::NoOp);
            if let Some(why) = no_op.then(|| not_a_no_op(name, value)).flatten() {
                self.error(
                    &value.span,
                    format!("{why}: not supported yet (issue #17); machinist runs as the user that starts it, on this machine"),
                );
            }
        }
    }
}

/// Why a `become*`/`connection` value is not a no-op here, if it is not.
fn not_a_no_op(name: &str, value: &Node) -> Option<String> {
    let literal = match &value.value {
        Value::Str(text) if !crate::template::Templates::is_template(text) => Some(text.as_str()),
        _ => None,
    };
    match name {
        "become" => match value.value {
            Value::Bool(false) => None,
            Value::Bool(true) if rustix::process::geteuid().is_root() => None,
            Value::Bool(true) => Some("'become: true' when machinist does not run as root".into()),
            _ => Some("'become' that is not a literal true or false".into()),
        },
        "become_user" => match literal {
            Some("root") => None,
            Some(user) => Some(format!(
                "'become_user: {user}' (only root, the user machinist runs as, is a no-op)"
            )),
            None => Some("'become_user' that is not a literal user name".into()),
        },
        "become_method" => match literal {
            Some(_) => None,
            None => Some("'become_method' that is not a literal name".into()),
        },
        "connection" => match literal {
            Some("local") => None,
            Some(other) => Some(format!("'connection: {other}' (only local is)")),
            None => Some("'connection' that is not a literal name".into()),
        },
        _ => None,
    }
}
