//! A remote host's target (read from its variables by inventory/connection.rs, the
//! one reading of them) reached: its agent started through `machine` or `ssh`, and
//! handed to the executor as a [`RemoteTarget`] (run/remote.rs, the seam). The run's
//! [`connector`] is what the binary gives the executor: it knows the agent's
//! executable and the `--become-password-file` password, and nothing else.

use super::machine;
use super::session::{AgentSession, Setup};
use super::ssh::{SshConnection, SshTarget};
use super::Unreachable;
use crate::agent::identity::AgentExe;
use crate::agent::message::AgentEvent;
use crate::inventory::connection::{Connection, Target};
use crate::run::module_run::{ModuleEvent, ModuleRequest, ModuleRun};
use crate::run::outcome::Outcome;
use crate::run::remote::{Connector, RemoteTarget, TargetAction};
use machinist_modules::Progress;
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// An agent started on a remote target, with the ssh connection it goes through.
pub struct Connected {
    pub session: AgentSession,
    ssh: Option<SshConnection>,
}

impl Connected {
    /// End the agent, then the multiplexed connection.
    pub fn close(self) {
        self.session.close();
        if let Some(ssh) = self.ssh {
            ssh.close();
        }
    }
}

/// Start the agent of `target` (a `machine` or `ssh` host; its `machinist_root` is
/// where the agent's Host acts).
pub fn connect(target: &Target, setup: &Setup) -> Result<Connected, Unreachable> {
    let setup = Setup {
        root: target.root.clone().unwrap_or_else(|| PathBuf::from("/")),
        ..setup.clone()
    };
    let name = &target.host;
    match target.connection {
        Connection::Machine => {
            let session = machine::start(name, &target.address, target.machine_pid, &setup)?;
            Ok(Connected { session, ssh: None })
        }
        Connection::Ssh => {
            let ssh = SshConnection::new(name, SshTarget::of(target))?;
            let session = ssh.start(&setup)?;
            Ok(Connected {
                session,
                ssh: Some(ssh),
            })
        }
        Connection::Local => Err(Unreachable::new(
            name,
            "a local host has no agent (the executor acts on it itself)",
        )),
    }
}

/// The run's connector: each remote host's agent is this executable,
/// `become_password` the password `--become-password-file` gave, for hosts whose
/// `ansible_become` has none of its own.
pub fn connector(become_password: Option<String>) -> Connector {
    Connector(Arc::new(move |target: &Target| {
        // Hashed on the first connection only: a run that reaches no agent never
        // reads its own executable (tens of megabytes).
        let agent = AgentExe::own().map_err(|err| {
            Unreachable::new(
                &target.host,
                format!("cannot read machinist's own executable: {err}"),
            )
        })?;
        let mut target = target.clone();
        if let Some(become_) = &mut target.become_ {
            if become_.password.is_none() {
                become_.password.clone_from(&become_password);
            }
        }
        let setup = Setup {
            agent,
            root: PathBuf::from("/"),
        };
        let connected = connect(&target, &setup)?;
        Ok(Box::new(connected) as Box<dyn RemoteTarget>)
    }))
}

impl RemoteTarget for Connected {
    fn run_module(
        &mut self,
        request: &ModuleRequest,
        root: Option<&Path>,
        on_event: &mut dyn FnMut(ModuleEvent),
    ) -> Result<ModuleRun, Unreachable> {
        self.session
            .run_module_in(request, root, &mut |event| match event {
                AgentEvent::Warning { message } => on_event(ModuleEvent::Warning(message)),
                AgentEvent::Progress {
                    done,
                    total,
                    what,
                    unit,
                } => on_event(ModuleEvent::Progress(Progress {
                    done,
                    total,
                    what,
                    unit,
                })),
            })
    }

    fn run_action(
        &mut self,
        action: TargetAction,
        args: &Map<String, Json>,
        root: Option<&Path>,
    ) -> Result<Outcome, Unreachable> {
        self.session.run_action(action, args, root)
    }

    fn gather_facts(&mut self) -> Result<Map<String, Json>, Unreachable> {
        self.session.gather_facts()
    }

    fn fetch(
        &mut self,
        src: &str,
        have_sha1: Option<&str>,
        send: bool,
        root: Option<&Path>,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<crate::run::fetch::Fetched, Unreachable> {
        self.session.fetch(src, have_sha1, send, root, sink)
    }

    fn close(self: Box<Self>) {
        Connected::close(*self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_connected_host_can_be_handed_to_its_own_thread() {
        // Issue 16's parallel hosts: each host's connection lives on its thread.
        fn send<T: Send>() {}
        send::<Connected>();
        send::<Target>();
    }
}
