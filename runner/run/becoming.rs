//! The user a task's action runs as (issue 17): the task's `become`, `become_user`
//! and `become_method` (its own or its block's, include's or play's; the names
//! rendered with the host's variables), over the host's `ansible_become*`
//! variables, over the command line's `-b`, `--become-user`, `--become-method`.
//! A remote host's agent session is chosen by it (run/remote.rs keeps one per
//! become); this machine and a `machine` container act as root already, so become
//! to root is nothing there, and another user is refused at the task, never ignored.

use super::remote::Site;
use super::step::{located, Step};
use crate::inventory::connection::{Become, BecomeChoice, Connection, Target};
use crate::playbook::model::BecomeKeywords;
use crate::template::Templates;
use crate::vars;
use crate::yaml::{Node, Value as YamlValue};

impl Step<'_> {
    /// The become of this task's action where it acts: `None` runs it as the
    /// connecting user (this process, a machine's root agent); `Err` refuses it.
    pub(super) fn becoming(&self) -> Result<Option<Become>, String> {
        let keywords = self.become_keywords()?;
        let command_line = self.shared.command_line_become;
        let (target, become_) = match self.host {
            Site::Remote(remote, _) => {
                let target = remote.target();
                (target, target.becoming(&keywords, command_line))
            }
            Site::Local(_) => return self.local_becoming(&keywords),
        };
        match become_ {
            Some(become_) => match become_.refusal(target.connection) {
                Some(refusal) => Err(refusal),
                None => Ok(Some(become_)),
            },
            None => Ok(None),
        }
    }

    /// On this machine machinist acts as the user that started it: become to root
    /// is that user when it is root, and anything else is refused.
    fn local_becoming(&self, keywords: &BecomeChoice) -> Result<Option<Become>, String> {
        let host = self
            .ctx
            .get_attr("inventory_hostname")
            .ok()
            .and_then(|name| name.as_str().map(str::to_string))
            .unwrap_or_else(|| "localhost".into());
        let inventory = Target::read(&host, self.ctx)
            .map_err(|err| err.to_string())?
            .become_vars;
        let chosen = keywords
            .over(&inventory)
            .over(self.shared.command_line_become);
        if chosen.becomes != Some(true) {
            return Ok(None);
        }
        let become_ = Become {
            method: chosen.method.unwrap_or_else(|| "sudo".into()),
            user: chosen.user.unwrap_or_else(|| "root".into()),
            password: None,
        };
        if let Some(refusal) = become_.refusal(Connection::Local) {
            return Err(refusal);
        }
        if !rustix::process::geteuid().is_root() {
            return Err(format!(
                "become: true on {host}, where machinist does not run as root: machinist \
                 acts on this machine as the user that starts it (start it as root)"
            ));
        }
        Ok(None)
    }

    /// The task's become keywords, the names rendered with its variables.
    fn become_keywords(&self) -> Result<BecomeChoice, String> {
        let Some(keywords) = self.task.become_keywords() else {
            return Ok(BecomeChoice::default());
        };
        Ok(BecomeChoice {
            becomes: keywords.becomes,
            user: self.rendered_name("become_user", keywords.user.as_ref())?,
            method: self.rendered_name("become_method", keywords.method.as_ref())?,
        })
    }

    fn rendered_name(&self, keyword: &str, node: Option<&Node>) -> Result<Option<String>, String> {
        let Some(node) = node else {
            return Ok(None);
        };
        if let YamlValue::Str(text) = &node.value {
            if !Templates::is_template(text) {
                return Ok(Some(text.clone()));
            }
        }
        let rendered = self
            .templates()
            .render_tree(&vars::node_to_value(node), self.ctx)
            .map_err(|err| located(&node.span, format!("{keyword}: {err}")))?;
        match rendered.as_str() {
            Some(name) if !name.trim().is_empty() => Ok(Some(name.trim().to_string())),
            _ => Err(located(
                &node.span,
                format!("{keyword} must be a name, found '{rendered}'"),
            )),
        }
    }
}

/// The become a remote host's facts are gathered as: the play's (its names when
/// written literally; a templated one, rendered only for tasks, leaves the host's
/// own), over the host's `ansible_become*`, over the command line's. Facts do not
/// depend on the user; this only spares a session.
pub(super) fn for_facts(
    play: &BecomeKeywords,
    target: &Target,
    command_line: &BecomeChoice,
) -> Option<Become> {
    let literal = |node: Option<&Node>| match node.map(|node| &node.value) {
        Some(YamlValue::Str(text)) if !Templates::is_template(text) => Some(text.clone()),
        _ => None,
    };
    let keywords = BecomeChoice {
        becomes: play.becomes,
        user: literal(play.user.as_ref()),
        method: literal(play.method.as_ref()),
    };
    target
        .becoming(&keywords, command_line)
        .filter(|become_| become_.refusal(target.connection).is_none())
}
