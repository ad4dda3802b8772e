//! Ansible's keywords machinist does not implement are load errors, never accepted and
//! ignored (issue 13): a pasted task with `delegate_to: db1` must not run here and say
//! `ok`. Each is refused with the issue it waits for. A few keywords are accepted
//! where their value makes them a true no-op for a run as root on this machine
//! (`become` to root, `connection: local`); any other value is refused the same way.
//! docs/ansible-differences.md lists them.

use super::Loader;
use crate::yaml::{Key, Node, Value};

/// Keywords of Ansible's plays, blocks, tasks and role entries (ansible-core 2.19's
/// `fattributes`) that machinist does not implement, with the issue each waits for:
/// #15 the language, #16 many hosts, #17 connections and privilege escalation.
const WAITING: &[(&str, u32)] = &[
    ("any_errors_fatal", 16),
    ("delegate_to", 16),
    ("delegate_facts", 16),
    ("run_once", 16),
    ("strategy", 16),
    ("serial", 16),
    ("max_fail_percentage", 16),
    ("throttle", 16),
    ("order", 16),
    ("ignore_unreachable", 16),
    ("force_handlers", 16),
    ("remote_user", 17),
    ("port", 17),
    ("become_exe", 17),
    ("become_flags", 17),
    ("until", 15),
    ("retries", 15),
    ("delay", 15),
    ("async", 15),
    ("poll", 15),
    ("module_defaults", 15),
    ("collections", 15),
    ("debugger", 15),
    ("action", 15),
    ("local_action", 15),
    ("fact_path", 15),
    ("gather_subset", 15),
    ("gather_timeout", 15),
];

/// Keywords a role entry takes in Ansible that machinist applies only to tasks,
/// plays and blocks so far (on a `roles:` entry they would otherwise become role
/// parameters, silently).
pub(super) const ROLE_ENTRY_WAITING: &[&str] = &[
    "check_mode",
    "diff",
    "environment",
    "ignore_errors",
    "no_log",
    "timeout",
];

/// Modules Ansible users reach for that machinist refuses until an issue adds them.
const MODULES_WAITING: &[(&str, u32)] = &[];

/// The issue an unimplemented Ansible keyword waits for (legacy `with_*` loops that
/// are not among the loop keywords included: `with_first_found`, `with_lines`, …).
pub(super) fn waiting_for(name: &str) -> Option<u32> {
    if name.starts_with("with_") && !crate::playbook::model::is_loop_keyword(name) {
        return Some(15);
    }
    WAITING
        .iter()
        .find(|(keyword, _)| *keyword == name)
        .map(|(_, issue)| *issue)
}

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
            if let Some(issue) = waiting_for(name) {
                self.error(
                    &key.span,
                    format!(
                        "'{name}' on a {what} is not supported yet (issue #{issue}); \
                         machinist refuses it rather than ignore it"
                    ),
                );
                continue;
            }
            if let Some(why) = not_a_no_op(name, value) {
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
