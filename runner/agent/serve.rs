//! The agent's loop (`machinist agent`, started by a connection on the target): it
//! says it has started, takes the hello, opens its Host (the target's `/`, or the
//! `machinist_root` named, confined as a local run's), and then serves requests one
//! at a time until `Bye` or the end of its input. Each module run goes through the
//! same `run_module` a local run uses; its events are sent as they happen. The
//! controller files a request names are announced by hash: the agent asks (`need`)
//! only for those it has not kept and does not find at their dest (kept.rs); plugin
//! modules run from its plugin cache (plugin_cache.rs). What a request recorded in
//! the check-mode overlay is said before its last reply, and what the host's other
//! sessions recorded comes in as `predictions` (run/remote.rs).
//!
//! The protocol owns the agent's stdin and stdout, so nothing else may touch them: at
//! start both are moved to new descriptors, and fd 0 and 1 become /dev/null, so a
//! program a task runs (or anything printing by mistake) cannot corrupt the stream.
//! The agent writes nothing on the target but the tasks' effects: no log, no state;
//! its diagnostics go to stderr, which the connection carries back.

use super::file_transfer::{self, Received, TransferError};
use super::frame::{read_message, write_message, FrameError};
use super::identity::{self, VERSION};
use super::kept::{self, Kept};
use super::message::{AgentEvent, FileAnnounce, PluginEnd, Reply, Request};
use super::plugin_cache;
use crate::run::module_run::{run_module, ModuleEvent, ModuleRequest, ModuleRun};
use machinist_modules::file::copy_tree::CopyTree;
use machinist_modules::file::RUNNER_TREE_ARG;
use machinist_modules::host::bounded::{Ended, Limits};
use machinist_modules::host::PluginCall;
use machinist_modules::{Builtin, Host, HostOptions};
use serde_json::{Map, Value as Json};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::os::fd::OwnedFd;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Open files the agent leaves for itself beyond a copied directory's.
const SPARE_OPEN_FILES: u64 = 64;

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
    raise_open_files_limit();
    let served = serve(
        &mut BufReader::with_capacity(64 * 1024, File::from(input)),
        &mut BufWriter::with_capacity(64 * 1024, File::from(output)),
    );
    // The session's `async:` jobs end with it (run/jobs.rs).
    crate::run::jobs::stop_all();
    served
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

/// A copied directory's files are held open until its task is done: the soft limit
/// of open files is raised to the hard one.
fn raise_open_files_limit() {
    use rustix::process::{getrlimit, setrlimit, Resource};
    let mut limit = getrlimit(Resource::Nofile);
    if limit.current != limit.maximum {
        limit.current = limit.maximum;
        if let Err(err) = setrlimit(Resource::Nofile, limit) {
            tracing::debug!(%err, "the open files limit stays");
        }
    }
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
            if let Some(message) = hello_refused(&version, content_hash.as_deref()) {
                return refuse(output, message);
            }
            match Host::new(HostOptions { root }) {
                Ok(host) => {
                    host.journal_predictions();
                    host
                }
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
    let mut kept = Kept::default();
    let mut plugins_in_use = plugin_cache::InUse::default();
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
            Request::Predictions { entries } => host.import_predictions(entries),
            Request::RunAction { action, args, root } => {
                let outcome = match roots.host(&host, root) {
                    Ok(inside) => crate::run::remote::act_on_target(action, args, inside),
                    Err(message) => crate::run::Outcome::failed(message),
                };
                let run = ModuleRun::Done(outcome);
                say_predicted(&host, output)?;
                write_message(output, &Reply::Ran { run })?;
            }
            Request::GatherFacts { gathering } => {
                let facts = crate::facts::gather(&host, &gathering)
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
                async_limit,
                timeout,
            } => {
                let run = match roots.host(&host, root) {
                    Err(message) => ModuleRun::Done(crate::run::Outcome::failed(message)),
                    Ok(inside) => {
                        let asked = Asked {
                            module,
                            args,
                            check,
                            keys_read,
                            async_limit,
                            timeout,
                        };
                        match module_request(input, output, &mut kept, inside, asked, &files)? {
                            Ok((request, _received)) => {
                                run_streaming(inside, &request, output, &chroot_warned)?
                            }
                            Err(message) => ModuleRun::BadArgs {
                                field: None,
                                message,
                            },
                        }
                    }
                };
                say_predicted(&host, output)?;
                write_message(output, &Reply::Ran { run })?;
            }
            Request::RunPlugin {
                name,
                program,
                request,
                args_file,
                timeout_ms,
                root,
            } => {
                let end = match roots.host(&host, root) {
                    Err(message) => PluginEnd::NotRun { message },
                    Ok(inside) => {
                        let call = PluginCall {
                            program: Path::new(""),
                            request: request.as_bytes(),
                            args_file,
                            limits: Limits {
                                timeout: timeout_ms.map(Duration::from_millis),
                                max_stdout: crate::plugins::MAX_STDOUT,
                                max_stderr: crate::plugins::MAX_STDERR,
                            },
                        };
                        let plugin = (name.as_str(), &program);
                        run_plugin(input, output, inside, plugin, &call, &mut plugins_in_use)?
                    }
                };
                say_predicted(&host, output)?;
                write_message(output, &Reply::PluginRan { end })?;
            }
        }
    }
}

/// What the request in hand recorded in check mode, if anything, before its last
/// reply (the controller hands it to the host's other sessions).
fn say_predicted(host: &Host, output: &mut impl Write) -> Result<(), AgentError> {
    let entries = host.take_predictions();
    if !entries.is_empty() {
        write_message(output, &Reply::Predicted { entries })?;
    }
    Ok(())
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
fn hello_refused(version: &str, content_hash: Option<&str>) -> Option<String> {
    if version != VERSION {
        return Some(format!(
            "the agent is machinist {VERSION}, the controller machinist {version}"
        ));
    }
    let content_hash = content_hash?;
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

/// A module run as the controller asked for it.
struct Asked {
    module: String,
    args: Map<String, Json>,
    check: bool,
    keys_read: bool,
    async_limit: Option<u64>,
    timeout: Option<u64>,
}

/// The module request, with the files it names (kept, found at their dest, or asked
/// for and received) in its arguments; `Err` for a request the agent will not run
/// (then no file is asked for, so the stream stays in step).
#[allow(clippy::type_complexity)]
fn module_request(
    input: &mut impl Read,
    output: &mut impl Write,
    kept: &mut Kept,
    host: &Host,
    asked: Asked,
    files: &[FileAnnounce],
) -> Result<Result<(ModuleRequest, Vec<Received>), String>, AgentError> {
    let Asked {
        module,
        mut args,
        check,
        keys_read,
        async_limit,
        timeout,
    } = asked;
    let Some(builtin) = Builtin::from_name(&module) else {
        return Ok(Err(format!("the agent has no module {module}")));
    };
    let mut tree = match args.get(RUNNER_TREE_ARG) {
        None => None,
        Some(tree) => match serde_json::from_value::<CopyTree>(tree.clone()) {
            Ok(tree) => Some(tree),
            Err(err) => return Ok(Err(format!("{RUNNER_TREE_ARG}: {err}"))),
        },
    };
    if let Err(message) = files_match(builtin, &module, &args, tree.as_ref(), files) {
        return Ok(Err(message));
    }
    if tree.is_some() {
        if let Err(message) = enough_open_files(files) {
            return Ok(Err(message));
        }
    }
    // Where each file would land: a dest that holds its bytes already gives them.
    let dest = ["path", "dest", "name"]
        .into_iter()
        .find_map(|key| Some((key, args.get(key)?.as_str()?.to_string())));
    let mut found = Vec::with_capacity(files.len());
    for announce in files {
        let landing = match (&dest, announce.entry, &tree) {
            (Some((_, dest)), Some(entry), Some(tree)) => {
                Some(Path::new("/").join(dest).join(&tree.entries[entry].path))
            }
            (Some((key, dest)), None, None) if announce.arg == "_copy_from" => {
                let landing = copy_landing(host, dest, announce.name.as_deref());
                // The module takes the controller file's name for a directory dest,
                // not the name the agent opens it by.
                args.insert((*key).into(), landing.to_string_lossy().into_owned().into());
                Some(landing)
            }
            _ => None,
        };
        let have = kept.get(announce).or_else(|| {
            let received = kept::from_target(host, landing.as_deref()?, announce)?;
            kept.keep(announce, &received);
            Some(received)
        });
        found.push(have);
    }
    // Files with the same bytes are asked for once.
    let mut need: Vec<usize> = Vec::new();
    for at in (0..files.len()).filter(|at| found[*at].is_none()) {
        let same = |other: &usize| {
            files[*other].sha256 == files[at].sha256 && files[*other].size == files[at].size
        };
        if !need.iter().any(same) {
            need.push(at);
        }
    }
    tracing::debug!(
        files = files.len(),
        need = need.len(),
        "a module request's files"
    );
    if !need.is_empty() {
        write_message(
            output,
            &Reply::Need {
                files: need.clone(),
            },
        )?;
        let mut fresh = Vec::with_capacity(need.len());
        for at in need {
            let received = file_transfer::receive(input, &files[at])?;
            kept.keep(&files[at], &received);
            fresh.push((at, received));
        }
        for (announce, slot) in files.iter().zip(found.iter_mut()) {
            if slot.is_none() {
                *slot = fresh
                    .iter()
                    .find(|(at, _)| {
                        files[*at].sha256 == announce.sha256 && files[*at].size == announce.size
                    })
                    .map(|(_, received)| received.clone());
            }
        }
    }
    let Some(received) = found.into_iter().collect::<Option<Vec<Received>>>() else {
        return Ok(Err("a sent file went missing".into()));
    };
    for (announce, file) in files.iter().zip(&received) {
        match (&mut tree, announce.entry) {
            (Some(tree), Some(entry)) => tree.entries[entry].from = Some(file.path()),
            _ => {
                args.insert(announce.arg.clone(), file.path().into());
            }
        }
    }
    if let Some(tree) = tree {
        match serde_json::to_value(tree) {
            Ok(tree) => args.insert(RUNNER_TREE_ARG.into(), tree),
            Err(err) => return Ok(Err(format!("{RUNNER_TREE_ARG}: {err}"))),
        };
    }
    let request = ModuleRequest {
        builtin,
        args,
        check,
        keys_read,
        async_limit: async_limit.map(std::time::Duration::from_secs),
        timeout: timeout.map(std::time::Duration::from_secs),
    };
    Ok(Ok((request, received)))
}

/// Whether the announced files are exactly the controller files the arguments name:
/// a controller file is only ever one sent with the request, never a path of the
/// target the request names.
fn files_match(
    builtin: Builtin,
    module: &str,
    args: &Map<String, Json>,
    tree: Option<&CopyTree>,
    files: &[FileAnnounce],
) -> Result<(), String> {
    let allowed = file_transfer::controller_file_args(builtin, args);
    if let Some(announce) = files
        .iter()
        .find(|announce| !allowed.contains(&announce.arg.as_str()))
    {
        return Err(format!(
            "{module} takes no controller file as {}",
            announce.arg
        ));
    }
    if let Some(tree) = tree {
        let mut sent = vec![false; tree.entries.len()];
        for announce in files {
            match announce.entry {
                Some(at) if tree.entries.get(at).is_some_and(|e| e.from.is_some()) && !sent[at] => {
                    sent[at] = true
                }
                _ => {
                    return Err(format!(
                        "{RUNNER_TREE_ARG}: a file announced for no file entry"
                    ))
                }
            }
        }
        if let Some(entry) = tree
            .entries
            .iter()
            .zip(&sent)
            .find(|(entry, sent)| entry.from.is_some() && !**sent)
        {
            return Err(format!(
                "{RUNNER_TREE_ARG}: {} names a controller file that was not sent",
                entry.0.path
            ));
        }
        return Ok(());
    }
    if let Some(announce) = files.iter().find(|announce| announce.entry.is_some()) {
        return Err(format!("{} is not a copied directory's file", announce.arg));
    }
    if let Some(arg) = allowed
        .iter()
        .find(|arg| args.contains_key(**arg) && !files.iter().any(|f| f.arg == **arg))
    {
        return Err(format!("{arg} names a controller file that was not sent"));
    }
    Ok(())
}

/// A copied directory's files are all open until its task is done: refused when the
/// agent may not open that many.
fn enough_open_files(files: &[FileAnnounce]) -> Result<(), String> {
    let limit = rustix::process::getrlimit(rustix::process::Resource::Nofile).current;
    let mut distinct: Vec<&str> = files.iter().map(|f| f.sha256.as_str()).collect();
    distinct.sort_unstable();
    distinct.dedup();
    match limit {
        Some(limit) if distinct.len() as u64 + SPARE_OPEN_FILES > limit => Err(format!(
            "a copy of a directory of {} distinct files needs more open files than the agent may have ({limit})",
            distinct.len()
        )),
        _ => Ok(()),
    }
}

/// Where copy's single file lands: `dest`, or inside it with the controller file's
/// name when dest is a directory (as Ansible's copy; the module does the same with
/// the name it is given).
fn copy_landing(host: &Host, dest: &str, name: Option<&str>) -> PathBuf {
    let mut landing = Path::new("/").join(dest);
    let into_dir = host
        .stat(&landing)
        .ok()
        .flatten()
        .is_some_and(|meta| meta.is_dir());
    if let (true, Some(name)) = (into_dir, name) {
        landing.push(name);
    }
    landing
}

/// A plugin run (`call`, its program the cached copy's): its executable from the
/// cache (received first when missing), run by the Host as a local run's; how it
/// ended, or why it did not run.
fn run_plugin(
    input: &mut impl Read,
    output: &mut impl Write,
    host: &Host,
    plugin: (&str, &FileAnnounce),
    call: &PluginCall,
    in_use: &mut plugin_cache::InUse,
) -> Result<PluginEnd, AgentError> {
    let (name, program) = plugin;
    let folder = match plugin_cache::folder() {
        Ok(folder) => folder,
        Err(message) => return Ok(PluginEnd::NotRun { message }),
    };
    let path = match plugin_cache::lookup(&folder, program, in_use) {
        Some(path) => path,
        None => {
            write_message(output, &Reply::Need { files: vec![0] })?;
            plugin_cache::store(&folder, input, program, in_use)?
        }
    };
    let call = PluginCall {
        program: &path,
        ..call.clone()
    };
    let run = host.run_plugin(&call);
    let cannot_start = match &run {
        Err(_) => true,
        Ok(run) => run.output.ended == Ended::Exited(127) && run.output.stdout.is_empty(),
    };
    if cannot_start {
        if let Some(interpreter) = plugin_cache::missing_interpreter(host, &path) {
            return Ok(PluginEnd::NotRun {
                message: format!(
                    "plugin {name}: its interpreter {interpreter} is not on the target"
                ),
            });
        }
    }
    Ok(match run {
        Ok(run) => PluginEnd::from_output(&run.output),
        Err(err) => PluginEnd::NotRun {
            message: err.to_string(),
        },
    })
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
