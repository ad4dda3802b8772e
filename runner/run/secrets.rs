//! Ansible's `no_log` for arguments: a module names its secret arguments
//! (`Builtin::secret_args`, firstboot's `root_password`), and their rendered values are
//! masked as `********` in everything the task's result could show — message, data,
//! diffs, failure details — whatever the module or a tool it ran put there.

use super::outcome::Outcome;
use machinist_modules::Builtin;
use serde_json::{Map, Value as Json};

use crate::revealed::MASK;

/// How much of a task's rendered arguments a `-vvv` log line shows.
const LOGGED_ARGS: usize = 4096;

/// The secret values of one task's arguments.
#[derive(Debug, Default)]
pub(super) struct Secrets {
    values: Vec<String>,
}

impl Secrets {
    pub(super) fn of(builtin: Builtin, rendered: &Map<String, Json>) -> Secrets {
        Secrets::named(builtin.secret_args(), rendered)
    }

    /// The values of the arguments `names` (a runner action's secrets: uri's password).
    pub(super) fn named(names: &[&str], rendered: &Map<String, Json>) -> Secrets {
        let mut values: Vec<String> = names
            .iter()
            .filter_map(|name| match rendered.get(*name)? {
                Json::String(text) => Some(text.clone()),
                Json::Number(number) => Some(number.to_string()),
                _ => None,
            })
            .filter(|value| !value.is_empty())
            .collect();
        // The longest first, so a secret containing another is masked whole.
        values.sort_by_key(|value| std::cmp::Reverse(value.len()));
        Secrets { values }
    }

    /// The outcome with every secret value masked.
    pub(super) fn masked(&self, mut outcome: Outcome) -> Outcome {
        if self.values.is_empty() {
            return outcome;
        }
        if let Some(msg) = &mut outcome.msg {
            *msg = self.text(msg);
        }
        for diff in &mut outcome.diff {
            for part in [
                &mut diff.before_header,
                &mut diff.after_header,
                &mut diff.before,
                &mut diff.after,
            ] {
                *part = self.text(part);
            }
        }
        for value in outcome.data.values_mut() {
            self.json(value);
        }
        if let Some(shown) = &mut outcome.shown {
            self.json(shown);
        }
        outcome
    }

    /// The rendered arguments as the `-vvv` log shows them: every secret value masked
    /// (vaulted ones are masked by the log's writer), a file's `content` as its size,
    /// nothing of them under `no_log`, and cut after [`LOGGED_ARGS`] bytes.
    pub(super) fn masked_args(&self, rendered: &Map<String, Json>, no_log: bool) -> String {
        if no_log {
            return "(hidden: no_log)".into();
        }
        let mut shown = rendered.clone();
        // A file's bytes are its own business (a private key, a rendered config):
        // their size is what a log needs.
        if let Some(Json::String(content)) = shown.get_mut("content") {
            *content = format!("({} bytes)", content.len());
        }
        let mut value = Json::Object(shown);
        self.json(&mut value);
        let mut text = value.to_string();
        if text.len() > LOGGED_ARGS {
            let mut end = LOGGED_ARGS;
            while !text.is_char_boundary(end) {
                end -= 1;
            }
            text.truncate(end);
            text.push('…');
        }
        text
    }

    fn text(&self, text: &str) -> String {
        self.values
            .iter()
            .fold(text.to_string(), |text, secret| text.replace(secret, MASK))
    }

    fn json(&self, value: &mut Json) {
        match value {
            Json::String(text) => *text = self.text(text),
            Json::Array(items) => items.iter_mut().for_each(|item| self.json(item)),
            Json::Object(map) => map.values_mut().for_each(|item| self.json(item)),
            Json::Null | Json::Bool(_) | Json::Number(_) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use machinist_modules::Diff;

    #[test]
    fn secret_values_are_masked_everywhere() {
        let mut rendered = Map::new();
        rendered.insert("root_password".into(), "hunter2".into());
        rendered.insert("hostname".into(), "box".into());
        let secrets = Secrets::of(Builtin::Firstboot, &rendered);
        let mut outcome = Outcome::failed("bad password hunter2");
        outcome.data.insert(
            "stderr_lines".into(),
            serde_json::json!(["x hunter2 y", "box"]),
        );
        outcome.diff.push(Diff::of_path("/etc/x", "", "hunter2\n"));
        let outcome = secrets.masked(outcome);
        assert_eq!(outcome.msg.as_deref(), Some("bad password ********"));
        assert_eq!(
            outcome.data["stderr_lines"],
            serde_json::json!(["x ******** y", "box"])
        );
        assert_eq!(outcome.diff[0].after, "********\n");
    }

    #[test]
    fn logged_arguments_mask_secrets_and_hide_all_under_no_log() {
        let mut rendered = Map::new();
        rendered.insert("root_password".into(), "hunter2".into());
        rendered.insert("hostname".into(), "box".into());
        rendered.insert("content".into(), "private\n".into());
        let secrets = Secrets::of(Builtin::Firstboot, &rendered);
        let logged = secrets.masked_args(&rendered, false);
        assert!(logged.contains("\"hostname\":\"box\""), "{logged}");
        assert!(logged.contains("\"content\":\"(8 bytes)\""), "{logged}");
        assert!(
            logged.contains(MASK) && !logged.contains("hunter2"),
            "{logged}"
        );
        let hidden = secrets.masked_args(&rendered, true);
        assert!(
            !hidden.contains("box") && !hidden.contains("hunter2"),
            "{hidden}"
        );
    }

    #[test]
    fn modules_without_secrets_are_untouched() {
        let mut rendered = Map::new();
        rendered.insert("root_password".into(), "hunter2".into());
        let secrets = Secrets::of(Builtin::File, &rendered);
        let outcome = secrets.masked(Outcome::failed("hunter2"));
        assert_eq!(outcome.msg.as_deref(), Some("hunter2"));
    }
}
