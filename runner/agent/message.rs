//! What the controller and the agent say to each other, as JSON messages in frames
//! (runner/agent/frame.rs). The agent speaks first ([`Reply::Started`], so a
//! controller that waits behind `sudo` knows when the agent is there), the controller
//! says [`Request::Hello`], then asks for module runs and facts; each run's reply is
//! its events in order, then [`Reply::Ran`].

use crate::run::fetch::Found;
use crate::run::module_run::ModuleRun;
use crate::run::remote::TargetAction;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine;
use machinist_modules::host::bounded::{Bounded, Ended};
use machinist_modules::host::predictions::Recorded;
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
        /// when its own differs. None when the agent is the controller's own open
        /// executable handed over (`machine`: nothing was copied, nothing to compare).
        #[serde(default)]
        content_hash: Option<String>,
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
        /// `async:` seconds: the agent runs the module as a background job of its own
        /// (run/jobs.rs) and answers at once with the job's id.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        async_limit: Option<u64>,
        /// `timeout:` seconds: the agent stops the module when they are over.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout: Option<u64>,
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
    /// Run a plugin module (runner/plugins/): its executable, announced by content
    /// hash (sent on `need` only, then cached in the agent's private cache folder),
    /// run by the agent's Host with the request the controller prepared; answered
    /// with `plugin_ran`.
    RunPlugin {
        /// The plugin's name, for messages.
        name: String,
        program: FileAnnounce,
        /// The JSON request (runner/plugins/protocol.rs).
        request: String,
        /// Ansible's WANT_JSON contract: the request goes in a file.
        args_file: bool,
        /// The task's `timeout:`, in milliseconds.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        timeout_ms: Option<u64>,
        /// A root inside the agent's (a `root:` keyword).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        root: Option<PathBuf>,
    },
    /// The target's facts (runner/facts.rs), as `ansible_*` variables.
    GatherFacts {
        #[serde(default)]
        gathering: crate::facts::Gathering,
    },
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
    /// What the host's other sessions recorded in check mode since this one last
    /// heard (machinist_modules::host::predictions), for its overlay; not answered.
    Predictions { entries: Vec<Recorded> },
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
            Request::RunPlugin { .. } => "run_plugin",
            Request::GatherFacts { .. } => "gather_facts",
            Request::Fetch { .. } => "fetch",
            Request::Predictions { .. } => "predictions",
            Request::Bye => "bye",
        }
    }
}

/// A controller file named by a request: the argument it replaces, and its bytes'
/// size and sha256. Its bytes follow as Data frames only when the agent asks for them
/// ([`Reply::Need`]): an agent that kept the same bytes, or whose dest already holds
/// them, does not (checked when they have all arrived, and when taken from the dest).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileAnnounce {
    pub arg: String,
    /// For `_copy_tree`: the index of the entry (a file) it is the source of.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entry: Option<usize>,
    /// The controller file's name (a copy into a directory dest takes it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
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
    /// The files of the request in hand whose bytes the agent does not have (indices
    /// in its announcement, ascending): the controller sends them now, as Data
    /// frames, in this order. Not sent when it has them all.
    Need {
        files: Vec<usize>,
    },
    /// How a plugin's run ended (or why it did not run).
    PluginRan {
        end: PluginEnd,
    },
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
    /// What the request in hand recorded in the agent's check-mode overlay, said
    /// before its last reply when it recorded anything: the controller hands it to
    /// the host's other sessions.
    Predicted {
        entries: Vec<Recorded>,
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
            Reply::Need { .. } => "need",
            Reply::PluginRan { .. } => "plugin_ran",
            Reply::Event { .. } => "event",
            Reply::Ran { .. } => "ran",
            Reply::Facts { .. } => "facts",
            Reply::Fetched { .. } => "fetched",
            Reply::Sent { .. } => "sent",
            Reply::Predicted { .. } => "predicted",
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

/// A plugin's run on the agent, as the controller reads it (runner/run/plugin.rs).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "end", rename_all = "snake_case", deny_unknown_fields)]
pub enum PluginEnd {
    /// It ran: its output (base64: a plugin may print anything) and how it ended.
    Ran {
        ended: PluginExit,
        stdout: String,
        stderr: String,
        stderr_cut: bool,
    },
    /// It could not be run (its cache, its interpreter): why.
    NotRun { message: String },
}

/// [`machinist_modules::host::bounded::Ended`] on the wire.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "how", rename_all = "snake_case", deny_unknown_fields)]
pub enum PluginExit {
    Exited { rc: i32 },
    Signaled { signal: i32 },
    TimedOut { after_ms: u64 },
    TooMuchOutput { cap: usize },
}

impl PluginEnd {
    pub fn from_output(output: &Bounded) -> PluginEnd {
        let ended = match output.ended {
            Ended::Exited(rc) => PluginExit::Exited { rc },
            Ended::Signaled(signal) => PluginExit::Signaled { signal },
            Ended::TimedOut(after) => PluginExit::TimedOut {
                after_ms: after.as_millis().try_into().unwrap_or(u64::MAX),
            },
            Ended::TooMuchOutput(cap) => PluginExit::TooMuchOutput { cap },
        };
        PluginEnd::Ran {
            ended,
            stdout: BASE64.encode(&output.stdout),
            stderr: BASE64.encode(&output.stderr),
            stderr_cut: output.stderr_cut,
        }
    }

    /// The output as the Host would have returned it, or why there is none.
    pub fn into_output(self) -> Result<Bounded, String> {
        let (ended, stdout, stderr, stderr_cut) = match self {
            PluginEnd::NotRun { message } => return Err(message),
            PluginEnd::Ran {
                ended,
                stdout,
                stderr,
                stderr_cut,
            } => (ended, stdout, stderr, stderr_cut),
        };
        let decode = |text: &str, what: &str| {
            BASE64.decode(text).map_err(|err| {
                format!("the agent sent a plugin's {what} that is not base64: {err}")
            })
        };
        Ok(Bounded {
            ended: match ended {
                PluginExit::Exited { rc } => Ended::Exited(rc),
                PluginExit::Signaled { signal } => Ended::Signaled(signal),
                PluginExit::TimedOut { after_ms } => {
                    Ended::TimedOut(std::time::Duration::from_millis(after_ms))
                }
                PluginExit::TooMuchOutput { cap } => Ended::TooMuchOutput(cap),
            },
            stdout: decode(&stdout, "stdout")?,
            stderr: decode(&stderr, "stderr")?,
            stderr_cut,
        })
    }
}
