//! What the controller and the agent say to each other, as JSON messages in frames
//! (runner/agent/frame.rs). The agent speaks first ([`Reply::Started`], so a
//! controller that waits behind `sudo` knows when the agent is there), the controller
//! says [`Request::Hello`], then asks for module runs and facts; each run's reply is
//! its events in order, then [`Reply::Ran`].

use crate::run::fetch::Found;
use crate::run::module_run::ModuleRun;
use crate::run::remote::TargetAction;
use machinist_modules::{Progress, ProgressUnit};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};
use std::path::PathBuf;

/// Controller → agent.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Request {
    /// The first request: who the controller is, and where the agent acts.
    Hello {
        /// The controller's `machinist --version`: the agent refuses another one.
        version: String,
        /// The sha256 of the controller's executable, hex: the agent refuses to serve
        /// when its own differs.
        content_hash: String,
        /// The target's `/` (`machinist_root`), or `/`.
        root: PathBuf,
    },
    /// Run one module (the executor's [`crate::run::module_run::ModuleRequest`]).
    RunModule {
        module: String,
        args: Map<String, Json>,
        check: bool,
        keys_read: bool,
        /// Controller files the arguments name, whose bytes follow this message as
        /// Data frames, in this order.
        files: Vec<FileAnnounce>,
        /// A root inside the agent's (a `root:` keyword), where the module acts.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root: Option<PathBuf>,
    },
    /// One of the runner's actions that act on the target (uri, wait_for), with its
    /// rendered arguments; answered with `ran` (`done`).
    RunAction {
        action: TargetAction,
        args: Map<String, Json>,
        /// A root inside the agent's (a `root:` keyword).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root: Option<PathBuf>,
    },
    /// The target's facts (runner/facts.rs), as `ansible_*` variables.
    GatherFacts,
    /// fetch: what is at `src` (answered with `fetched`), and when `send` and its
    /// sha1 is not `have_sha1`, its bytes as Data frames, ended by `sent`.
    Fetch {
        src: String,
        have_sha1: Option<String>,
        send: bool,
        /// A root inside the agent's (a `root:` keyword).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root: Option<PathBuf>,
    },
    /// The end of the session: the agent exits 0.
    Bye,
}

impl Request {
    /// Its name in messages (never its content: arguments may be secrets).
    pub fn kind(&self) -> &'static str {
        match self {
            Request::Hello { .. } => "hello",
            Request::RunModule { .. } => "run_module",
            Request::RunAction { .. } => "run_action",
            Request::GatherFacts => "gather_facts",
            Request::Fetch { .. } => "fetch",
            Request::Bye => "bye",
        }
    }
}

/// A controller file sent with a request: the argument it replaces, and its bytes'
/// size and sha256 (checked when they have all arrived).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAnnounce {
    pub arg: String,
    pub size: u64,
    pub sha256: String,
}

/// Agent → controller.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Reply {
    /// The agent is up and reads requests.
    Started {
        version: String,
        pid: u32,
    },
    /// The hello is accepted.
    Ready,
    /// Something that happened while a module ran.
    Event {
        event: AgentEvent,
    },
    /// How the module's run ended.
    Ran {
        run: ModuleRun,
    },
    Facts {
        facts: Map<String, Json>,
    },
    /// What a fetch found, and whether its bytes follow as Data frames.
    Fetched {
        found: Found,
        sending: bool,
    },
    /// The end of a fetch's Data frames: `error` when reading broke on the way.
    Sent {
        error: Option<String>,
    },
    /// The agent cannot go on (a version or hash that differs, a request it cannot
    /// read, a root it cannot open); it exits after saying so.
    Refused {
        message: String,
    },
}

impl Reply {
    /// Its name in messages (never its content: results may hold secrets).
    pub fn kind(&self) -> &'static str {
        match self {
            Reply::Started { .. } => "started",
            Reply::Ready => "ready",
            Reply::Event { .. } => "event",
            Reply::Ran { .. } => "ran",
            Reply::Facts { .. } => "facts",
            Reply::Fetched { .. } => "fetched",
            Reply::Sent { .. } => "sent",
            Reply::Refused { .. } => "refused",
        }
    }
}

/// The events of a module run that cross the connection: the ops themselves stay on
/// the target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum AgentEvent {
    Warning {
        message: String,
    },
    Progress {
        done: u64,
        total: u64,
        what: String,
        unit: ProgressUnit,
    },
}

impl From<Progress> for AgentEvent {
    fn from(progress: Progress) -> AgentEvent {
        AgentEvent::Progress {
            done: progress.done,
            total: progress.total,
            what: progress.what,
            unit: progress.unit,
        }
    }
}
