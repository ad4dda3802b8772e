//! The user a task's action runs as (issue 17): the task's `become`, `become_user`
//! and `become_method` (its own or its block's, include's or play's; the names
//! rendered with the host's variables), over the host's `ansible_become*`
//! variables, over the command line's `-b`, `--become-user`, `--become-method`.
//! A remote host's agent session is chosen by it (run/remote.rs keeps one per
//! become); this machine and a `machine` container act as root already, so become
//! to root is nothing there. A container's other user is a second agent started
//! inside it; this machine's other user is an agent started here as that user
//! ([`Step::local_agent`] makes it the task's Site), when machinist runs as root and
//! the host acts on `/`; otherwise it is refused at the task, never ignored.

use super::remote::Site;
use super::step::{located, Step};
use crate::inventory::connection::{Become, BecomeChoice, Connection, Target};
use crate::playbook::model::{Action, BecomeKeywords, TaskKind};
use crate::template::Templates;
use crate::vars;
use crate::yaml::{Node, Value as YamlValue};
use std::path::Path;

impl<'a> Step<'a> {
    /// The become of this task's action where it acts: `None` runs it as the
    /// connecting user (this process, a machine's root agent); `Err` refuses it.
    pub(super) fn becoming(&self) -> Result<Option<Become>, String> {
        let keywords = self.become_keywords()?;
        let command_line = self.shared.command_line_become;
        let (target, become_) = match self.host {
            // This machine's agent as another user (chosen by `local_agent`).
            Site::Remote(remote, _) if remote.target().connection == Connection::Local => {
                return self.local_becoming(&keywords, Path::new("/"));
            }
            Site::Remote(remote, _) => {
                let target = remote.target();
                (target, target.becoming(&keywords, command_line))
            }
            Site::Local(host) => {
                return match self.local_becoming(&keywords, host.root())? {
                    None => Ok(None),
                    // Never run as root in place of the user.
                    Some(become_) => Err(format!(
                        "become_user {}: this run cannot start an agent on this machine",
                        become_.user
                    )),
                };
            }
        };
        match become_ {
            Some(become_) => match become_.refusal(target.connection) {
                Some(refusal) => Err(refusal),
                None => Ok(Some(become_)),
            },
            None => Ok(None),
        }
    }

    /// Where a task on this machine acts when its become is another user than root:
    /// the run's agents on this machine, which start one per user (`None`: where
    /// the step was told, its refusal included).
    pub(super) fn local_agent(&self) -> Option<&'a Site> {
        let Site::Local(host) = self.host else {
            return None;
        };
        let agent = self.shared.local_agent.as_ref()?;
        // Only the actions that act on the target ask for their become.
        let TaskKind::Action { action, .. } = &self.task.kind else {
            return None;
        };
        let acts = matches!(
            action,
            Action::Module(_)
                | Action::Plugin(_)
                | Action::Uri
                | Action::WaitFor
                | Action::AsyncStatus
                | Action::Setup
                | Action::Fetch
                | Action::WaitForConnection
        );
        if !acts {
            return None;
        }
        let keywords = self.become_keywords().ok()?;
        match self.local_becoming(&keywords, host.root()) {
            Ok(Some(_)) => Some(agent),
            _ => None,
        }
    }

    /// On this machine machinist acts as the user that started it: become to root
    /// is that user when it is root; become to another user, only when it is root,
    /// is an agent started as that user (`Some`), on the whole machine: a root tree
    /// (`root`, not `/`: `machinist_root`, a `root:`, `--root`) is root's. Decided
    /// once per step: the agent's Site is chosen only when the task's own root is `/`.
    fn local_becoming(
        &self,
        keywords: &BecomeChoice,
        root: &Path,
    ) -> Result<Option<Become>, String> {
        self.local_become
            .get_or_init(|| self.decide_local_becoming(keywords, root))
            .clone()
    }

    fn decide_local_becoming(
        &self,
        keywords: &BecomeChoice,
        root: &Path,
    ) -> Result<Option<Become>, String> {
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
        if !rustix::process::geteuid().is_root() {
            return Err(format!(
                "become: true (become_user {}) on {host}, where machinist does not run as \
                 root: machinist acts on this machine as the user that starts it and \
                 switches users only as root (start it as root, or reach the host over \
                 ssh)",
                become_.user
            ));
        }
        if become_.user == "root" {
            return Ok(None);
        }
        if root != Path::new("/") {
            return Err(format!(
                "become_user {} on {host}, whose tasks act inside the root {}: a root \
                 tree is root's, and another user's agent acts on the whole machine \
                 (drop machinist_root/root: for this task, or become_user: root)",
                become_.user,
                root.display()
            ));
        }
        Ok(Some(become_))
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
