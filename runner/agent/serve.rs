//! The agent's loop (`machinist agent`, started by a connection on the target): it
//! says it has started, takes the hello, opens its Host (the target's `/`, or the
//! `machinist_root` named, confined as a local run's), and then serves requests one
//! at a time until `Bye` or the end of its input. Each module run goes through the
//! same `run_module` a local run uses; its events are sent as they happen.
//!
//! The protocol owns the agent's stdin and stdout, so nothing else may touch them: at
//! start both are moved to new descriptors, and fd 0 and 1 become /dev/null, so a
//! program a task runs (or anything printing by mistake) cannot corrupt the stream.
//! The agent writes nothing on the target but the tasks' effects: no log, no state;
//! its diagnostics go to stderr, which the connection carries back.

use super::file_transfer::{self, Received, TransferError};
use super::frame::{read_message, write_message, FrameError};
use super::identity::{self, VERSION};
use super::message::{AgentEvent, FileAnnounce, Reply, Request};
use crate::run::module_run::{run_module, ModuleEvent, ModuleRequest, ModuleRun};
use machinist_modules::{Builtin, Host, HostOptions};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::fd::OwnedFd;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum AgentError {
    #[error("cannot set up the agent's channel: {0}")]
    Channel(io::Error),
    #[error("{0}")]
    Frame(#[from] FrameError),
    #[error("{0}")]
    Transfer(#[from] TransferError),
    #[error("cannot answer the controller: {0}")]
    Write(#[from] io::Error),
    #[error("{0}")]
    Refused(String),
}

/// Serve on this process's stdin and stdout (moved aside first; see the header).
pub fn serve_stdio() -> Result<(), AgentError> {
    let (input, output) = take_stdio().map_err(AgentError::Channel)?;
    serve(
        &mut BufReader::with_capacity(64 * 1024, File::from(input)),
        &mut BufWriter::with_capacity(64 * 1024, File::from(output)),
    )
}

/// Move stdin and stdout to new descriptors, and put /dev/null in their place.
fn take_stdio() -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::io::{dup, fcntl_setfd, FdFlags};
    let input = dup(rustix::stdio::stdin())?;
    let output = dup(rustix::stdio::stdout())?;
    for fd in [&input, &output] {
        fcntl_setfd(fd, FdFlags::CLOEXEC)?;
    }
    let null = File::options().read(true).write(true).open("/dev/null")?;
    rustix::stdio::dup2_stdin(&null)?;
    rustix::stdio::dup2_stdout(&null)?;
    Ok((input, output))
}

/// The session: the greeting, the hello, then requests until `Bye` or the end.
pub fn serve(input: &mut impl Read, output: &mut impl Write) -> Result<(), AgentError> {
    write_message(
        output,
        &Reply::Started {
            version: VERSION.into(),
            pid: std::process::id(),
        },
    )?;
    let host = match read_message(input)? {
        Request::Hello {
            version,
            content_hash,
            root,
        } => {
            if let Some(message) = hello_refused(&version, &content_hash) {
                return refuse(output, message);
            }
            match Host::new(HostOptions { root }) {
                Ok(host) => host,
                Err(err) => return refuse(output, format!("cannot open the target's root: {err}")),
            }
        }
        other => {
            return refuse(
                output,
                format!("a request before the hello: {}", other.kind()),
            )
        }
    };
    write_message(output, &Reply::Ready)?;
    let chroot_warned = std::sync::Mutex::new(Vec::new());
    let mut roots = Roots::default();
    tracing::debug!(root = %host.root().display(), "agent ready");
    loop {
        let request = match read_message(input) {
            Ok(request) => request,
            // The controller went away: nothing is half done between requests.
            Err(FrameError::Closed) => return Ok(()),
            Err(err) => return refuse(output, err.to_string()),
        };
        match request {
            Request::Hello { .. } => return refuse(output, "a second hello".into()),
            Request::Bye => return Ok(()),
            Request::RunAction { action, args, root } => {
                let outcome = match roots.host(&host, root) {
                    Ok(inside) => crate::run::remote::act_on_target(action, args, inside),
                    Err(message) => crate::run::Outcome::failed(message),
                };
                let run = ModuleRun::Done(outcome);
                write_message(output, &Reply::Ran { run })?;
            }
            Request::GatherFacts => {
                let facts = crate::facts::gather(&host)
                    .iter()
                    .map(|(key, value)| (key.clone(), crate::vars::to_json(value)))
                    .collect();
                write_message(output, &Reply::Facts { facts })?;
            }
            Request::Fetch {
                src,
                have_sha1,
                send,
                root,
            } => {
                let inside = match roots.host(&host, root) {
                    Ok(inside) => inside,
                    Err(message) => {
                        let found = crate::run::fetch::Found::Unreadable { message };
                        let sending = false;
                        write_message(output, &Reply::Fetched { found, sending })?;
                        continue;
                    }
                };
                fetch(inside, &src, have_sha1.as_deref(), send, output)?;
            }
            Request::RunModule {
                module,
                args,
                check,
                keys_read,
                files,
                root,
            } => {
                let run = module_request(input, module, args, check, keys_read, &files)?;
                let run = match (run, roots.host(&host, root)) {
                    (Ok((request, _received)), Ok(inside)) => {
                        run_streaming(inside, &request, output, &chroot_warned)?
                    }
                    (Ok(_), Err(message)) => ModuleRun::Done(crate::run::Outcome::failed(message)),
                    (Err(message), _) => ModuleRun::BadArgs {
                        field: None,
                        message,
                    },
                };
                write_message(output, &Reply::Ran { run })?;
            }
        }
    }
}

/// A fetch: what is at `src`, then (when it is to be sent) its bytes as Data frames
/// as they are read, and `sent`.
fn fetch(
    host: &Host,
    src: &str,
    have: Option<&str>,
    send: bool,
    output: &mut impl Write,
) -> Result<(), AgentError> {
    use crate::run::fetch;
    let found = fetch::probe(host, src);
    let sending = fetch::to_send(&found, have, send);
    write_message(output, &Reply::Fetched { found, sending })?;
    if !sending {
        return Ok(());
    }
    let mut broken = None;
    let error = fetch::stream(host, src, |chunk| {
        for piece in chunk.chunks(super::frame::MAX_FRAME - 1) {
            super::frame::write_frame(output, super::frame::Kind::Data, piece)
                .inspect_err(|err| broken = Some(err.kind()))?;
        }
        Ok(())
    })
    .err();
    if let Some(kind) = broken {
        // The controller is gone: nothing more can be said.
        return Err(AgentError::Write(std::io::Error::from(kind)));
    }
    write_message(output, &Reply::Sent { error })?;
    Ok(())
}

/// The Hosts of the roots inside the agent's that requests named (`root:`), one per
/// root for the session: they share the agent's check-mode overlay, as a local run's.
#[derive(Default)]
struct Roots(Vec<(PathBuf, Host)>);

impl Roots {
    /// The Host a request acts on: the agent's, or one inside it.
    fn host<'h>(&'h mut self, base: &'h Host, root: Option<PathBuf>) -> Result<&'h Host, String> {
        let Some(root) = root else {
            return Ok(base);
        };
        let at = match self.0.iter().position(|(known, _)| *known == root) {
            Some(at) => at,
            None => {
                let inside = base
                    .within(&root)
                    .map_err(|err| format!("root {}: {err}", root.display()))?;
                self.0.push((root, inside));
                self.0.len() - 1
            }
        };
        Ok(&self.0[at].1)
    }
}

/// Why the hello is refused, if it is.
fn hello_refused(version: &str, content_hash: &str) -> Option<String> {
    if version != VERSION {
        return Some(format!(
            "the agent is machinist {VERSION}, the controller machinist {version}"
        ));
    }
    match identity::own_hash() {
        Ok(own) if own == content_hash => None,
        Ok(own) => Some(format!(
            "the agent's executable has sha256 {own}, the controller's {content_hash}"
        )),
        Err(err) => Some(format!("cannot read the agent's own executable: {err}")),
    }
}

fn refuse(output: &mut impl Write, message: String) -> Result<(), AgentError> {
    write_message(
        output,
        &Reply::Refused {
            message: message.clone(),
        },
    )?;
    Err(AgentError::Refused(message))
}

/// The module request, with the sent files received and their names in the
/// arguments; `Err` for a request the agent will not run (its files are still read,
/// so the stream stays in step).
#[allow(clippy::type_complexity)]
fn module_request(
    input: &mut impl Read,
    module: String,
    mut args: serde_json::Map<String, serde_json::Value>,
    check: bool,
    keys_read: bool,
    files: &[FileAnnounce],
) -> Result<Result<(ModuleRequest, Vec<Received>), String>, AgentError> {
    let Some(builtin) = Builtin::from_name(&module) else {
        for announce in files {
            file_transfer::receive(input, announce)?;
        }
        return Ok(Err(format!("the agent has no module {module}")));
    };
    // A controller file is only ever one sent with the request, never a path of the
    // target the request names.
    let allowed = file_transfer::controller_file_args(builtin, &args);
    let unsent = allowed
        .iter()
        .find(|arg| args.contains_key(**arg) && !files.iter().any(|f| f.arg == **arg));
    let mut received = Vec::new();
    let mut unexpected = None;
    for announce in files {
        let file = file_transfer::receive(input, announce)?;
        if !allowed.contains(&announce.arg.as_str()) {
            unexpected = Some(announce.arg.clone());
        }
        args.insert(announce.arg.clone(), file.path().into());
        received.push(file);
    }
    if args.contains_key(machinist_modules::file::RUNNER_TREE_ARG) {
        // Its paths would be the controller's: never read on the target.
        return Ok(Err(
            "a copy of a directory is not sent to an agent (not supported over a connection)"
                .to_string(),
        ));
    }
    if let Some(arg) = unsent {
        return Ok(Err(format!(
            "{arg} names a controller file that was not sent"
        )));
    }
    if let Some(arg) = unexpected {
        return Ok(Err(format!("{module} takes no controller file as {arg}")));
    }
    let request = ModuleRequest {
        builtin,
        args,
        check,
        keys_read,
    };
    Ok(Ok((request, received)))
}

/// Run the module, sending its events as they happen.
fn run_streaming(
    host: &Host,
    request: &ModuleRequest,
    output: &mut impl Write,
    chroot_warned: &std::sync::Mutex<Vec<std::path::PathBuf>>,
) -> Result<ModuleRun, AgentError> {
    let mut failed_write = None;
    let mut send = |event: AgentEvent| {
        if failed_write.is_none() {
            failed_write = write_message(output, &Reply::Event { event }).err();
        }
    };
    let run = run_module(host, request, &mut |event| match event {
        ModuleEvent::Warning(message) => send(AgentEvent::Warning { message }),
        ModuleEvent::Progress(progress) => send(progress.into()),
        // The ops stay here (what they do is in the outcome); that commands run
        // with chroot is said, once per root, as a local run says it.
        ModuleEvent::Applying(ops) => {
            if let Some(message) = crate::run::chroot_warning(host, ops, chroot_warned) {
                send(AgentEvent::Warning { message });
            }
        }
    });
    match failed_write {
        Some(err) => Err(err.into()),
        None => Ok(run),
    }
}
