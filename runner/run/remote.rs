//! The seam between the executor and its connections (issue 17). The executor never
//! knows how a host is reached: for a host whose inventory target is `machine` or
//! `ssh` it holds a [`RemoteHost`], which starts one agent session per become (the
//! connecting user, root, another user: run/becoming.rs) through the run's
//! [`Connector`] the first time a task needs it (on the worker thread of that host's
//! step, so hosts connect in parallel under `-f`), sends it module requests, plugin
//! runs and fact requests (and uri/wait_for, which act on the target, and fetch, whose
//! file comes back in chunks), and says `Bye` to each when the run ends. The connector
//! is built by the binary from runner/connection/ (above this
//! room); whatever goes wrong on the way is an [`Unreachable`] for the request in
//! hand, and the host's next request (if `ignore_unreachable` kept it) connects anew.
//!
//! Under `--check` each session's agent keeps its own overlay; the host's
//! predictions are still one: what a session recorded comes back with its request,
//! goes into the host's [`Predictions`], and the host's other sessions get what they
//! have not seen before their next request (machinist_modules::host::predictions).
//! This machine's agents share the run's own Host's overlay that way.
//!
//! [`Site`] is where one host's tasks act: a Host of this process (`/`, a
//! `machinist_root`, a `root:`), or a remote host through its agent. A local task
//! whose become is another user than root acts through an agent too, started on
//! this machine as that user ([`RemoteHost::this_machine`], one for the run).

use super::module_run::{ModuleEvent, ModuleRequest, ModuleRun};
use super::outcome::Outcome;
use crate::inventory::connection::{Become, Connection, Target};
use machinist_modules::host::predictions::{Predictions, Recorded};
use machinist_modules::Host;
use serde_json::{Map, Value as Json};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// A target that cannot be reached, or a session that broke: which host, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host}: {message}")]
pub struct Unreachable {
    pub host: String,
    pub message: String,
}

impl Unreachable {
    pub fn new(host: &str, message: impl Into<String>) -> Unreachable {
        Unreachable {
            host: host.to_string(),
            message: message.into(),
        }
    }
}

/// The runner's actions that act on the target (as Ansible runs them there): run by
/// the executor on a local Host, by the agent on its own otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TargetAction {
    Uri,
    WaitFor,
    /// A background job's state (run/jobs.rs), asked where the job runs.
    AsyncStatus,
}

impl TargetAction {
    pub fn name(self) -> &'static str {
        match self {
            TargetAction::Uri => "uri",
            TargetAction::WaitFor => "wait_for",
            TargetAction::AsyncStatus => "async_status",
        }
    }
}

/// `action` with its rendered arguments on `host` (the controller's, or an agent's).
pub fn act_on_target(action: TargetAction, args: Map<String, Json>, host: &Host) -> Outcome {
    let decoded = Json::Object(args);
    let name = action.name();
    match action {
        TargetAction::Uri => match serde_json::from_value::<super::uri::Args>(decoded) {
            Ok(parsed) => super::uri::request(&parsed, host),
            Err(err) => Outcome::failed(format!("{name}: {err}")),
        },
        TargetAction::WaitFor => match serde_json::from_value::<super::wait_for::Args>(decoded) {
            Ok(parsed) => super::wait_for::wait(&parsed, host),
            Err(err) => Outcome::failed(format!("{name}: {err}")),
        },
        // The jobs of this process, whatever root it acts in.
        TargetAction::AsyncStatus => match decoded {
            Json::Object(args) => super::jobs::async_status(&args),
            _ => Outcome::failed(format!("{name}: arguments must be a mapping")),
        },
    }
}

/// A plugin module's run on the target, as runner/run/plugin.rs prepared it.
pub struct RemotePlugin<'a> {
    pub name: &'a str,
    /// Its executable, on the controller (the agent runs its cached copy).
    pub program: &'a Path,
    /// The JSON request.
    pub request: &'a [u8],
    pub args_file: bool,
    pub timeout: Option<std::time::Duration>,
    /// A root inside the agent's (`root:`).
    pub root: Option<&'a Path>,
}

/// One agent session on one host, as the executor uses it.
pub trait RemoteTarget: Send {
    /// Run one module on the target (the controller files its arguments name are
    /// sent along); its warnings and progress go to `on_event` as they come.
    /// `root`: a root inside the agent's (a `root:` keyword), where it acts.
    fn run_module(
        &mut self,
        request: &ModuleRequest,
        root: Option<&Path>,
        on_event: &mut dyn FnMut(ModuleEvent),
    ) -> Result<ModuleRun, Unreachable>;
    /// One of the runner's actions that act on the target (uri, wait_for).
    fn run_action(
        &mut self,
        action: TargetAction,
        args: &Map<String, Json>,
        root: Option<&Path>,
    ) -> Result<Outcome, Unreachable>;
    /// Run a plugin module on the target: what it printed and how it ended, or why
    /// it did not run.
    fn run_plugin(
        &mut self,
        call: &RemotePlugin,
    ) -> Result<Result<machinist_modules::host::bounded::Bounded, String>, Unreachable>;
    /// The target's facts, as `ansible_*` variables and `ansible_facts`.
    fn gather_facts(
        &mut self,
        gathering: &crate::facts::Gathering,
    ) -> Result<Map<String, Json>, Unreachable>;
    /// fetch: what is at `src`, and its bytes to `sink` as they arrive when `send`
    /// and its sha1 is not `have_sha1` (runner/run/fetch.rs).
    fn fetch(
        &mut self,
        src: &str,
        have_sha1: Option<&str>,
        send: bool,
        root: Option<&Path>,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<super::fetch::Fetched, Unreachable>;
    /// The control socket (`ControlPath`, with its `%C`) of the ssh connection the
    /// session goes through, for a program of this machine that reaches the host
    /// through it (synchronize's rsync); `None` for a machine connection.
    fn ssh_control_path(&self) -> Option<PathBuf> {
        None
    }
    /// Hand the agent what the host's other sessions recorded in check mode.
    fn send_predictions(&mut self, entries: Vec<Recorded>) -> Result<(), Unreachable>;
    /// What the agent recorded in check mode since the last call.
    fn take_predictions(&mut self) -> Vec<Recorded>;
    /// Say goodbye to the agent and end the connection.
    fn close(self: Box<Self>);
}

/// Starts the agent of a host from its target, as the target's `become_` (the
/// binary's, from runner/connection/).
#[derive(Clone)]
pub struct Connector(pub Arc<ConnectFn>);

type ConnectFn = dyn Fn(&Target) -> Result<Box<dyn RemoteTarget>, Unreachable> + Send + Sync;

impl std::fmt::Debug for Connector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Connector")
    }
}

/// An agent session: the become it runs as (`None`: the connecting user), and how
/// far it has seen the host's predictions.
struct Session {
    becoming: Option<Become>,
    agent: Box<dyn RemoteTarget>,
    seen: usize,
}

/// A host reached through an agent: its target, and its sessions for the run.
pub struct RemoteHost {
    target: Target,
    connector: Connector,
    /// Its agent sessions, one per become, each once started (gone again after it
    /// broke).
    sessions: Mutex<Vec<Session>>,
    /// What its sessions recorded in check mode (see the header).
    predictions: Predictions,
}

impl RemoteHost {
    pub fn new(target: Target, connector: Connector) -> RemoteHost {
        RemoteHost::with_predictions(target, connector, Predictions::new())
    }

    fn with_predictions(
        target: Target,
        connector: Connector,
        predictions: Predictions,
    ) -> RemoteHost {
        RemoteHost {
            target,
            connector,
            sessions: Mutex::new(Vec::new()),
            predictions,
        }
    }

    /// This machine, reached through agents started here as other users than root
    /// (a local task's `become_user`: run/becoming.rs), one per user; their check-mode
    /// predictions and those of `local` (the run's own Host) are one.
    pub fn this_machine(connector: Connector, local: &Host) -> RemoteHost {
        let target = Target {
            host: "localhost".into(),
            connection: Connection::Local,
            root: None,
            address: "localhost".into(),
            port: None,
            user: None,
            machine_pid: None,
            private_key_file: None,
            ssh_common_args: Vec::new(),
            ssh_extra_args: Vec::new(),
            become_: None,
            become_vars: Default::default(),
            become_password: None,
        };
        RemoteHost::with_predictions(target, connector, local.predictions())
    }

    pub fn target(&self) -> &Target {
        &self.target
    }

    /// `work` on the session running as `becoming`, started first if need be. A
    /// session that cannot start or breaks is closed; the next request (a host kept
    /// in the play by `ignore_unreachable`) tries to connect again, as Ansible does.
    fn with_session<T>(
        &self,
        becoming: Option<&Become>,
        work: impl FnOnce(&mut dyn RemoteTarget) -> Result<T, Unreachable>,
    ) -> Result<T, Unreachable> {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = match sessions
            .iter()
            .position(|session| session.becoming.as_ref() == becoming)
        {
            Some(at) => at,
            None => {
                let user = becoming.map_or("the connecting user", |become_| become_.user.as_str());
                tracing::debug!(host = %self.target.host, connection = self.target.connection.name(), user, "connecting");
                let target = Target {
                    become_: becoming.cloned(),
                    ..self.target.clone()
                };
                sessions.push(Session {
                    becoming: becoming.cloned(),
                    agent: (self.connector.0)(&target)?,
                    seen: 0,
                });
                sessions.len() - 1
            }
        };
        let session = &mut sessions[at];
        let result = self.caught_up(session).and_then(|()| {
            let result = work(session.agent.as_mut());
            let recorded = session.agent.take_predictions();
            session.seen = self.predictions.add(recorded, session.seen);
            result
        });
        if result.is_err() {
            let broken = sessions.remove(at);
            broken.agent.close();
        }
        result
    }

    /// Hand a session what the host's other sessions recorded since it last heard.
    fn caught_up(&self, session: &mut Session) -> Result<(), Unreachable> {
        let (entries, end) = self.predictions.since(session.seen);
        if !entries.is_empty() {
            tracing::debug!(host = %self.target.host, entries = entries.len(), "predictions handed to a session");
            session.agent.send_predictions(entries)?;
        }
        session.seen = end;
        Ok(())
    }

    pub fn run_module(
        &self,
        request: &ModuleRequest,
        root: Option<&Path>,
        becoming: Option<&Become>,
        on_event: &mut dyn FnMut(ModuleEvent),
    ) -> Result<ModuleRun, Unreachable> {
        self.with_session(becoming, |session| {
            session.run_module(request, root, on_event)
        })
    }

    pub fn run_action(
        &self,
        action: TargetAction,
        args: &Map<String, Json>,
        root: Option<&Path>,
        becoming: Option<&Become>,
    ) -> Result<Outcome, Unreachable> {
        self.with_session(becoming, |session| session.run_action(action, args, root))
    }

    /// A plugin module run on the target by the session running as `becoming`.
    pub fn run_plugin(
        &self,
        call: &RemotePlugin,
        becoming: Option<&Become>,
    ) -> Result<Result<machinist_modules::host::bounded::Bounded, String>, Unreachable> {
        self.with_session(becoming, |session| session.run_plugin(call))
    }

    /// The target's facts, gathered by the session running as `becoming`.
    pub fn gather_facts(
        &self,
        becoming: Option<&Become>,
        gathering: &crate::facts::Gathering,
    ) -> Result<Map<String, Json>, Unreachable> {
        self.with_session(becoming, |session| session.gather_facts(gathering))
    }

    /// The host's connection as synchronize's rsync reaches it over ssh: its target
    /// and the control socket of the connecting user's session (started if it was
    /// not); `None` for a machine connection.
    pub fn rsync_route(&self) -> Result<Option<(Target, PathBuf)>, Unreachable> {
        let control = self.with_session(None, |session| Ok(session.ssh_control_path()))?;
        Ok(control.map(|control| (self.target.clone(), control)))
    }

    /// fetch, by the session running as `becoming` (runner/run/fetch.rs).
    pub fn fetch(
        &self,
        src: &str,
        have_sha1: Option<&str>,
        send: bool,
        root: Option<&Path>,
        becoming: Option<&Become>,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> Result<super::fetch::Fetched, Unreachable> {
        self.with_session(becoming, |session| {
            session.fetch(src, have_sha1, send, root, sink)
        })
    }

    /// End every session started (`Bye`).
    pub fn close(&self) {
        let mut sessions = self
            .sessions
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        for Session {
            becoming, agent, ..
        } in sessions.drain(..)
        {
            let user = becoming
                .as_ref()
                .map_or("the connecting user", |become_| become_.user.as_str());
            tracing::debug!(host = %self.target.host, user, "closing the agent session");
            agent.close();
        }
    }
}

/// Where one host's tasks act (always behind an `Rc`: its size does not matter).
#[allow(clippy::large_enum_variant)]
pub enum Site {
    /// A Host of this process: `/`, the host's `machinist_root`, a `root:` in it.
    Local(Host),
    /// A host reached through an agent, and a root inside the agent's where the
    /// tasks act (a `root:` keyword), if one.
    Remote(Arc<RemoteHost>, Option<PathBuf>),
}

impl Site {
    /// The root its tasks act in, as the task sees it (`machinist_root`).
    pub fn root(&self) -> PathBuf {
        match self {
            Site::Local(host) => host.root().to_path_buf(),
            Site::Remote(remote, inner) => {
                let base = remote.target.root.as_deref().unwrap_or(Path::new("/"));
                match inner {
                    None => base.to_path_buf(),
                    Some(inner) => base.join(inner.strip_prefix("/").unwrap_or(inner)),
                }
            }
        }
    }

    /// The Host of this process, when the tasks act here.
    pub fn local(&self) -> Option<&Host> {
        match self {
            Site::Local(host) => Some(host),
            Site::Remote(..) => None,
        }
    }

    /// The remote host, when the tasks act through an agent.
    pub fn remote(&self) -> Option<&RemoteHost> {
        match self {
            Site::Local(_) => None,
            Site::Remote(remote, _) => Some(remote),
        }
    }

    /// A root inside this place (`root:` of a play, block or task).
    pub fn within(&self, path: &Path) -> Result<Site, String> {
        match self {
            Site::Local(host) => host
                .within(path)
                .map(Site::Local)
                .map_err(|err| err.to_string()),
            // Inside the agent's root, as a local root is inside the run's: the agent
            // keeps one Host per root for the session (runner/agent/serve.rs).
            Site::Remote(remote, _) => {
                Ok(Site::Remote(Arc::clone(remote), Some(path.to_path_buf())))
            }
        }
    }
}
