//! A remote host's target (read from its variables by inventory/connection.rs, the
//! one reading of them) reached: its agent started through `machine` or `ssh` (or on
//! this machine as a local task's `become_user`), and
//! handed to the executor as a [`RemoteTarget`] (run/remote.rs, the seam), one per
//! become the host's tasks ask for. The run's [`connector`] is what the binary gives
//! the executor: it knows the agent's executable, the `--become-password-file`
//! password, and each ssh host's multiplexed connection, which the host's sessions
//! share (the last one closed ends it).

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
use machinist_modules::host::predictions::Recorded;
use machinist_modules::Progress;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, Weak};

/// An agent started on a remote target, with the ssh connection it goes through
/// (shared with the host's other sessions).
pub struct Connected {
    pub session: AgentSession,
    ssh: Option<Arc<SshConnection>>,
}

impl Connected {
    /// End the agent, then the multiplexed connection unless another session of
    /// the host still uses it.
    pub fn close(self) {
        self.session.close();
        drop(self.ssh);
    }
}

/// The multiplexed connections of the run's ssh hosts, while a session uses one.
type Masters = Mutex<HashMap<String, Weak<SshConnection>>>;

/// Start the agent of `target` (a `machine` or `ssh` host; its `machinist_root` is
/// where the agent's Host acts; its `become_` whom it runs as).
pub fn connect(target: &Target, setup: &Setup) -> Result<Connected, Unreachable> {
    connect_through(target, setup, &Masters::default())
}

/// [`connect`], an ssh host through its multiplexed connection in `masters` when
/// one of its sessions runs.
fn connect_through(
    target: &Target,
    setup: &Setup,
    masters: &Masters,
) -> Result<Connected, Unreachable> {
    let setup = Setup {
        root: target.root.clone().unwrap_or_else(|| PathBuf::from("/")),
        ..setup.clone()
    };
    let name = &target.host;
    match target.connection {
        Connection::Machine => {
            let user = target.become_.as_ref().map(|become_| become_.user.as_str());
            let session =
                machine::start_as(name, &target.address, target.machine_pid, user, &setup)?;
            Ok(Connected { session, ssh: None })
        }
        Connection::Ssh => {
            let ssh = shared_master(target, masters)?;
            let session = ssh.start_as(&setup, target.become_.as_ref())?;
            Ok(Connected {
                session,
                ssh: Some(ssh),
            })
        }
        // This machine as another user (a local task's become_user): the executor
        // acts as root itself, and as root needs no agent.
        Connection::Local => match &target.become_ {
            Some(become_) if become_.user != "root" => {
                let session = machine::start_here_as(name, &become_.user, &setup)?;
                Ok(Connected { session, ssh: None })
            }
            _ => Err(Unreachable::new(
                name,
                "a local host has no agent but another user's (the executor acts on it itself)",
            )),
        },
    }
}

/// The multiplexed connection of `target`'s host: the one its other sessions use, or
/// a new one. Keyed by how the host is reached, not by its become.
fn shared_master(target: &Target, masters: &Masters) -> Result<Arc<SshConnection>, Unreachable> {
    let ssh_target = SshTarget {
        become_: None,
        ..SshTarget::of(target)
    };
    let key = format!("{}\n{:?}", target.host, ssh_target);
    let mut masters = masters
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    masters.retain(|_, master| master.strong_count() > 0);
    if let Some(master) = masters.get(&key).and_then(Weak::upgrade) {
        return Ok(master);
    }
    let master = Arc::new(SshConnection::new(&target.host, ssh_target)?);
    masters.insert(key, Arc::downgrade(&master));
    Ok(master)
}

/// The run's connector: each remote host's agent is this executable,
/// `become_password` the password `--become-password-file` gave, for hosts whose
/// `ansible_become` has none of its own.
pub fn connector(become_password: Option<String>) -> Connector {
    let masters = Masters::default();
    Connector(Arc::new(move |target: &Target| {
        // Hashed by the first ssh connection only (once per run): a run that reaches
        // no ssh host never reads its own executable (megabytes).
        let agent = AgentExe::own();
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
        let connected = connect_through(&target, &setup, &masters)?;
        Ok(Box::new(connected) as Box<dyn RemoteTarget>)
    }))
}

impl RemoteTarget for Connected {
    fn ssh_control_path(&self) -> Option<PathBuf> {
        self.ssh.as_ref().map(|ssh| ssh.control_path())
    }

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

    fn run_plugin(
        &mut self,
        call: &crate::run::remote::RemotePlugin,
    ) -> Result<Result<machinist_modules::host::bounded::Bounded, String>, Unreachable> {
        self.session.run_plugin(call)
    }

    fn gather_facts(
        &mut self,
        gathering: &crate::facts::Gathering,
    ) -> Result<Map<String, Json>, Unreachable> {
        self.session.gather_facts(gathering)
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

    fn send_predictions(&mut self, entries: Vec<Recorded>) -> Result<(), Unreachable> {
        self.session.send_predictions(entries)
    }

    fn take_predictions(&mut self) -> Vec<Recorded> {
        self.session.take_predictions()
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
