//! One agent on one target, seen from the controller: the process a connection
//! started (nsenter for a machine, ssh for a host), its greeting and the hello, then
//! one request at a time. Two threads read what the agent says (its replies, and its
//! stderr, kept for messages and shown with `-vv`) into one channel, so the
//! controller can wait for either: the greeting or sudo's password prompt while it
//! starts, the events and the end of a run after. A request's controller files
//! (copy's, a copied directory's, a plugin's executable) are announced by sha256 and
//! sent when the agent asks for them (`need`: it has not kept them, and their dest
//! does not hold them already). Anything that breaks the session
//! (the process gone, the stream cut or garbled) is [`Unreachable`], with what the
//! agent and the tool that started it said last.

use super::Unreachable;
use crate::agent::file_transfer;
use crate::agent::frame::{read_incoming, write_message, FrameError, Incoming};
use crate::agent::identity::{AgentExe, VERSION};
use crate::agent::message::{AgentEvent, FileAnnounce, Reply, Request};
use crate::run::fetch::Fetched;
use crate::run::module_run::{ModuleRequest, ModuleRun};
use crate::run::outcome::Outcome;
use crate::run::remote::{RemotePlugin, TargetAction};
use machinist_modules::file::copy_tree::CopyTree;
use machinist_modules::file::RUNNER_TREE_ARG;
use machinist_modules::host::bounded::Bounded;
use machinist_modules::host::predictions::Recorded;
use machinist_modules::source::SourceFile;
use serde_json::{Map, Value as Json};
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender};
use std::time::{Duration, Instant};

/// How long an agent may take to start (an ssh login, a first sudo).
const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The most of the agent's stderr kept for a message.
const STDERR_TAIL: usize = 4096;
/// What the reading threads may have heard ahead of the controller: a fetch's Data
/// frames wait here (at most this many, each at most a frame), so memory does not
/// grow with the file when the controller writes slower than the agent sends.
const HEARD_AHEAD: usize = 16;

/// What the session starts with: the agent's executable and the target's root.
#[derive(Debug, Clone)]
pub struct Setup {
    /// The executable the agent is (`AgentExe::own()` but in tests).
    pub agent: AgentExe,
    pub root: PathBuf,
}

/// The password to give sudo when it asks (its prompt, as set with `-p`).
pub struct BecomePrompt<'a> {
    pub prompt: &'a str,
    pub password: &'a str,
}

enum Heard {
    /// Boxed: a module's outcome is large, the other variants small.
    Reply(Box<Reply>),
    /// A Data frame's bytes (a fetch's file).
    Data(Vec<u8>),
    /// The reply stream ended or broke.
    Ended(FrameError),
    Stderr(Vec<u8>),
}

pub struct AgentSession {
    /// Who the agent works for, in messages (`web1`, `machine box`).
    name: String,
    child: Child,
    input: BufWriter<ChildStdin>,
    heard: Receiver<Heard>,
    stderr: Vec<u8>,
    /// Controller files sent so far, and their bytes (the agent asks only for
    /// those it does not have).
    sent: (u64, u64),
    /// What the agent recorded in check mode and the controller has not taken yet.
    predicted: Vec<Recorded>,
}

impl AgentSession {
    /// Start `command` (which runs `machinist agent` on the target), wait for its
    /// greeting (answering `become`'s prompt if it comes first) and say hello.
    /// `copied`: the agent runs a copy of `setup.agent` (ssh's cache), so the hello
    /// names its sha256 for the agent to compare; otherwise it is the very open
    /// executable handed over (`machine`), and neither side hashes it.
    pub fn start(
        name: &str,
        mut command: Command,
        setup: &Setup,
        copied: bool,
        become_prompt: Option<BecomePrompt>,
    ) -> Result<AgentSession, Unreachable> {
        let unreachable = |message: String| Unreachable::new(name, message);
        tracing::debug!(host = name, ?command, "starting the agent");
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|err| {
                unreachable(format!("cannot start {:?}: {err}", command.get_program()))
            })?;
        let (Some(input), Some(output), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(unreachable("the agent's pipes are missing".into()));
        };
        let (send, heard) = sync_channel(HEARD_AHEAD);
        read_replies(output, send.clone());
        read_stderr(stderr, send);
        let mut session = AgentSession {
            name: name.to_string(),
            child,
            input: BufWriter::with_capacity(64 * 1024, input),
            heard,
            stderr: Vec::new(),
            sent: (0, 0),
            predicted: Vec::new(),
        };
        session.greeted(become_prompt)?;
        session.send(&Request::Hello {
            version: VERSION.into(),
            content_hash: match copied {
                true => Some(
                    setup
                        .agent
                        .sha256()
                        .map_err(|err| {
                            unreachable(format!("cannot read machinist's executable: {err}"))
                        })?
                        .to_string(),
                ),
                false => None,
            },
            root: setup.root.clone(),
        })?;
        match session.hear(Some(Instant::now() + START_TIMEOUT))? {
            Reply::Ready => Ok(session),
            other => Err(session.broken(format!("the hello answered with {}", other.kind()))),
        }
    }

    /// Wait for the agent's greeting, giving `become`'s password when its prompt
    /// comes first (once: a second prompt means the password was refused).
    fn greeted(&mut self, become_prompt: Option<BecomePrompt>) -> Result<(), Unreachable> {
        let deadline = Instant::now() + START_TIMEOUT;
        let mut answered = false;
        loop {
            let heard = self
                .heard
                .recv_timeout(deadline.saturating_duration_since(Instant::now()));
            let bytes = match heard {
                Ok(Heard::Stderr(bytes)) => bytes,
                heard => {
                    return match self.heard_as_reply(heard)? {
                        Reply::Started { version, pid } => {
                            tracing::debug!(host = %self.name, version, pid, "agent started");
                            Ok(())
                        }
                        other => {
                            Err(self.broken(format!("an agent greeting with {}", other.kind())))
                        }
                    }
                }
            };
            self.keep_stderr(&bytes);
            let Some(become_prompt) = &become_prompt else {
                continue;
            };
            let prompts = String::from_utf8_lossy(&self.stderr)
                .matches(become_prompt.prompt)
                .count();
            if prompts > 1 {
                return Err(self.broken("the become password was refused".into()));
            }
            if prompts == 1 && !answered {
                answered = true;
                let password = format!("{}\n", become_prompt.password);
                self.input
                    .write_all(password.as_bytes())
                    .and_then(|()| self.input.flush())
                    .map_err(|err| {
                        self.broken(format!("cannot answer the become prompt: {err}"))
                    })?;
            }
        }
    }

    /// Run one module on the target; its events go to `on_event` as they come.
    pub fn run_module(
        &mut self,
        request: &ModuleRequest,
        on_event: &mut dyn FnMut(AgentEvent),
    ) -> Result<ModuleRun, Unreachable> {
        self.run_module_in(request, None, on_event)
    }

    /// [`AgentSession::run_module`] in a root inside the agent's (`root:`).
    pub fn run_module_in(
        &mut self,
        request: &ModuleRequest,
        root: Option<&Path>,
        on_event: &mut dyn FnMut(AgentEvent),
    ) -> Result<ModuleRun, Unreachable> {
        let mut args = request.args.clone();
        let outgoing = match outgoing_files(request.builtin, &mut args) {
            Ok(outgoing) => outgoing,
            // The task fails, as a local run's would; the host is reachable.
            Err(message) => return Ok(ModuleRun::Done(Outcome::failed(message))),
        };
        self.send(&Request::RunModule {
            module: request.builtin.name().into(),
            args,
            check: request.check,
            keys_read: request.keys_read,
            files: outgoing.iter().map(|file| file.announce.clone()).collect(),
            root: root.map(Path::to_path_buf),
            async_limit: request.async_limit.map(|limit| limit.as_secs()),
            timeout: request.timeout.map(|limit| limit.as_secs()),
        })?;
        loop {
            match self.hear(None)? {
                Reply::Need { files } => self.send_files(&outgoing, &files)?,
                Reply::Event { event } => on_event(event),
                Reply::Ran { run } => return Ok(run),
                other => {
                    return Err(self.broken(format!("a module run answered with {}", other.kind())))
                }
            }
        }
    }

    /// The announced files the agent asked for, in its order.
    fn send_files(&mut self, outgoing: &[Outgoing], need: &[usize]) -> Result<(), Unreachable> {
        for at in need {
            let Some(file) = outgoing.get(*at) else {
                return Err(self.broken(format!("the agent asked for file {at}, not announced")));
            };
            let sent = file.send(&mut self.input);
            sent.map_err(|err| self.broken(format!("cannot send {}: {err}", file.path.display())))?;
            self.sent.0 += 1;
            self.sent.1 += file.announce.size;
        }
        self.input
            .flush()
            .map_err(|err| self.broken(format!("cannot send to the agent: {err}")))
    }

    /// Run a plugin module on the target: its executable announced by hash (sent when
    /// the agent's cache does not have it), its request and limits as a local run's.
    pub fn run_plugin(
        &mut self,
        call: &RemotePlugin,
    ) -> Result<Result<Bounded, String>, Unreachable> {
        let source = match SourceFile::open(call.program) {
            Ok(source) => source,
            Err(err) => return Ok(Err(format!("{}: {err}", call.program.display()))),
        };
        let program = Outgoing {
            announce: announce("program", None, &source),
            path: call.program.to_path_buf(),
            source: Some(source),
        };
        self.send(&Request::RunPlugin {
            name: call.name.to_string(),
            program: program.announce.clone(),
            // JSON text: UTF-8.
            request: String::from_utf8_lossy(call.request).into_owned(),
            args_file: call.args_file,
            timeout_ms: call
                .timeout
                .map(|timeout| timeout.as_millis().try_into().unwrap_or(u64::MAX)),
            root: call.root.map(Path::to_path_buf),
        })?;
        loop {
            match self.hear(None)? {
                Reply::Need { files } => self.send_files(std::slice::from_ref(&program), &files)?,
                Reply::PluginRan { end } => return Ok(end.into_output()),
                other => {
                    return Err(self.broken(format!("a plugin run answered with {}", other.kind())))
                }
            }
        }
    }

    /// One of the runner's actions that act on the target (uri, wait_for).
    pub fn run_action(
        &mut self,
        action: TargetAction,
        args: &Map<String, Json>,
        root: Option<&Path>,
    ) -> Result<Outcome, Unreachable> {
        self.send(&Request::RunAction {
            action,
            args: args.clone(),
            root: root.map(Path::to_path_buf),
        })?;
        match self.hear(None)? {
            Reply::Ran {
                run: ModuleRun::Done(outcome),
            } => Ok(outcome),
            other => Err(self.broken(format!("an action answered with {}", other.kind()))),
        }
    }

    /// The target's facts, as `ansible_*` variables and `ansible_facts`.
    pub fn gather_facts(
        &mut self,
        gathering: &crate::facts::Gathering,
    ) -> Result<Map<String, Json>, Unreachable> {
        self.send(&Request::GatherFacts {
            gathering: gathering.clone(),
        })?;
        match self.hear(None)? {
            Reply::Facts { facts } => Ok(facts),
            other => Err(self.broken(format!("facts answered with {}", other.kind()))),
        }
    }

    /// fetch: what is at `src` on the target, and (when `send` and its sha1 is not
    /// `have_sha1`) its bytes, handed to `sink` frame by frame as they arrive. A sink
    /// that fails is not called again, but the bytes are still read to the end, so the
    /// session stays in step; its error is the fetch's.
    pub fn fetch(
        &mut self,
        src: &str,
        have_sha1: Option<&str>,
        send: bool,
        root: Option<&Path>,
        sink: &mut dyn FnMut(&[u8]) -> io::Result<()>,
    ) -> Result<Fetched, Unreachable> {
        self.send(&Request::Fetch {
            src: src.to_string(),
            have_sha1: have_sha1.map(str::to_string),
            send,
            root: root.map(Path::to_path_buf),
        })?;
        let (found, sending) = match self.hear(None)? {
            Reply::Fetched { found, sending } => (found, sending),
            other => return Err(self.broken(format!("a fetch answered with {}", other.kind()))),
        };
        let mut fetched = Fetched {
            found,
            sent: sending,
            error: None,
        };
        if !sending {
            return Ok(fetched);
        }
        loop {
            match self.heard.recv() {
                Ok(Heard::Data(bytes)) => {
                    if fetched.error.is_none() {
                        fetched.error = sink(&bytes).err().map(|err| err.to_string());
                    }
                }
                Ok(Heard::Stderr(bytes)) => self.keep_stderr(&bytes),
                heard => {
                    match self.heard_as_reply(heard.map_err(|_| RecvTimeoutError::Disconnected))? {
                        Reply::Sent { error } => {
                            fetched.error = error.or(fetched.error);
                            return Ok(fetched);
                        }
                        other => {
                            return Err(
                                self.broken(format!("a fetch's data ended with {}", other.kind()))
                            )
                        }
                    }
                }
            }
        }
    }

    /// How many controller files were sent to the agent so far, and their bytes.
    pub fn files_sent(&self) -> (u64, u64) {
        self.sent
    }

    /// The process this session started here (the agent itself over a pipe; nsenter
    /// or ssh otherwise).
    pub fn process_id(&self) -> u32 {
        self.child.id()
    }

    /// Say goodbye and wait for the agent (and the tool that started it) to end.
    pub fn close(mut self) {
        tracing::debug!(host = %self.name, files = self.sent.0, bytes = self.sent.1, "controller files sent");
        let _ = write_message(&mut self.input, &Request::Bye);
        let deadline = Instant::now() + Duration::from_secs(5);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }

    /// Hand the agent what the host's other sessions recorded in check mode.
    pub fn send_predictions(&mut self, entries: Vec<Recorded>) -> Result<(), Unreachable> {
        self.send(&Request::Predictions { entries })
    }

    /// What the agent recorded in check mode since the last call.
    pub fn take_predictions(&mut self) -> Vec<Recorded> {
        std::mem::take(&mut self.predicted)
    }

    fn send(&mut self, request: &Request) -> Result<(), Unreachable> {
        write_message(&mut self.input, request)
            .map_err(|err| self.broken(format!("cannot send to the agent: {err}")))
    }

    /// The next reply (stderr kept on the way), or why there is none.
    fn hear(&mut self, deadline: Option<Instant>) -> Result<Reply, Unreachable> {
        loop {
            let heard = match deadline {
                None => self
                    .heard
                    .recv()
                    .map_err(|_| RecvTimeoutError::Disconnected),
                Some(deadline) => self
                    .heard
                    .recv_timeout(deadline.saturating_duration_since(Instant::now())),
            };
            match heard {
                Ok(Heard::Stderr(bytes)) => self.keep_stderr(&bytes),
                Ok(Heard::Reply(reply)) if matches!(*reply, Reply::Predicted { .. }) => {
                    if let Reply::Predicted { entries } = *reply {
                        self.predicted.extend(entries);
                    }
                }
                heard => return self.heard_as_reply(heard),
            }
        }
    }

    fn heard_as_reply(
        &mut self,
        heard: Result<Heard, RecvTimeoutError>,
    ) -> Result<Reply, Unreachable> {
        match heard {
            Ok(Heard::Reply(reply)) => match *reply {
                Reply::Refused { message } => {
                    Err(self.broken(format!("the agent refused: {message}")))
                }
                reply => Ok(reply),
            },
            Ok(Heard::Stderr(_)) => Err(self.broken("unexpected stderr".into())),
            Ok(Heard::Data(_)) => Err(self.broken("file data where a reply was expected".into())),
            Ok(Heard::Ended(FrameError::Closed)) | Err(RecvTimeoutError::Disconnected) => {
                Err(self.broken("the agent's connection closed".into()))
            }
            Ok(Heard::Ended(err)) => Err(self.broken(err.to_string())),
            Err(RecvTimeoutError::Timeout) => {
                Err(self.broken("the agent did not answer in time".into()))
            }
        }
    }

    fn keep_stderr(&mut self, bytes: &[u8]) {
        tracing::debug!(host = %self.name, "agent stderr: {}", String::from_utf8_lossy(bytes).trim_end());
        self.stderr.extend_from_slice(bytes);
        if self.stderr.len() > STDERR_TAIL {
            self.stderr.drain(..self.stderr.len() - STDERR_TAIL);
        }
    }

    /// The session is over: `what` went wrong, with the last the agent said on stderr.
    fn broken(&mut self, what: String) -> Unreachable {
        // What the process said as it ended comes just after the stream closed.
        let until = Instant::now() + Duration::from_millis(500);
        while let Ok(Heard::Stderr(bytes)) = self
            .heard
            .recv_timeout(until.saturating_duration_since(Instant::now()))
        {
            self.keep_stderr(&bytes);
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
        let said = String::from_utf8_lossy(&self.stderr).trim().to_string();
        let message = if said.is_empty() {
            what
        } else {
            format!("{what}: {said}")
        };
        Unreachable::new(&self.name, with_cannot_run_hint(message))
    }
}

/// A controller file a request names, as announced; read (again, for a copied
/// directory's files, which are not all held open) when the agent asks for it.
struct Outgoing {
    announce: FileAnnounce,
    path: PathBuf,
    source: Option<SourceFile>,
}

impl Outgoing {
    fn send(&self, writer: &mut impl Write) -> io::Result<()> {
        let reopened;
        let source = match &self.source {
            Some(source) => source,
            None => {
                reopened = SourceFile::open(&self.path)?;
                let same = reopened.size == self.announce.size
                    && machinist_modules::source::hex(&reopened.sha256) == self.announce.sha256;
                if !same {
                    return Err(io::Error::other("it changed while the run used it"));
                }
                &reopened
            }
        };
        file_transfer::send(writer, source)
    }
}

fn announce(arg: &str, entry: Option<usize>, source: &SourceFile) -> FileAnnounce {
    FileAnnounce {
        arg: arg.to_string(),
        entry,
        name: source
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned()),
        size: source.size,
        sha256: machinist_modules::source::hex(&source.sha256),
    }
}

/// The controller files a module request's arguments name (taken out of them: the
/// agent puts in its own names): copy's `_copy_from`, unarchive's `src`, each file
/// of a copied directory (`_copy_tree`, whose entries keep theirs). `Err`: one cannot
/// be opened (the task fails, as a local run's would).
fn outgoing_files(
    builtin: machinist_modules::Builtin,
    args: &mut Map<String, Json>,
) -> Result<Vec<Outgoing>, String> {
    let mut outgoing = Vec::new();
    for arg in file_transfer::controller_file_args(builtin, args) {
        if arg == RUNNER_TREE_ARG {
            let tree = args.get(arg).cloned().unwrap_or_default();
            let tree: CopyTree =
                serde_json::from_value(tree).map_err(|err| format!("{arg}: {err}"))?;
            for (at, entry) in tree.entries.iter().enumerate() {
                let Some(from) = &entry.from else {
                    continue;
                };
                let path = PathBuf::from(from);
                let source =
                    SourceFile::open(&path).map_err(|err| format!("{}: {err}", path.display()))?;
                outgoing.push(Outgoing {
                    announce: announce(arg, Some(at), &source),
                    path,
                    // Not held open: a tree may have thousands.
                    source: None,
                });
            }
            continue;
        }
        let Some(path) = args.remove(arg) else {
            continue;
        };
        let path = PathBuf::from(path.as_str().unwrap_or_default());
        let source = SourceFile::open(&path).map_err(|err| format!("{}: {err}", path.display()))?;
        outgoing.push(Outgoing {
            announce: announce(arg, None, &source),
            path,
            source: Some(source),
        });
    }
    Ok(outgoing)
}

/// A target that cannot run this build (another architecture, an older C library, no
/// loader) is told how to get one that runs.
fn with_cannot_run_hint(message: String) -> String {
    // nsenter's words when the loader is missing, the loader's when the C library is
    // too old, the kernel's (through a shell) for another architecture.
    let cannot_run = [
        "failed to execute",
        "GLIBC_",
        "Exec format error",
        "cannot execute",
    ];
    if cannot_run.iter().any(|sign| message.contains(sign)) {
        return format!(
            "{message} (this target cannot run this build of machinist: build a static \
             one, docs/connections.md)"
        );
    }
    message
}

impl Drop for AgentSession {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn read_replies(output: impl Read + Send + 'static, send: SyncSender<Heard>) {
    std::thread::spawn(move || {
        let mut output = BufReader::with_capacity(64 * 1024, output);
        loop {
            let heard = match read_incoming(&mut output) {
                Ok(Incoming::Message(reply)) => Heard::Reply(Box::new(reply)),
                Ok(Incoming::Data(bytes)) => Heard::Data(bytes),
                Err(err) => {
                    let _ = send.send(Heard::Ended(err));
                    return;
                }
            };
            if send.send(heard).is_err() {
                return;
            }
        }
    });
}

fn read_stderr(mut stderr: impl Read + Send + 'static, send: SyncSender<Heard>) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        loop {
            match stderr.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if send.send(Heard::Stderr(buf[..n].to_vec())).is_err() {
                        return;
                    }
                }
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(_) => return,
            }
        }
    });
}
