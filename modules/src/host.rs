//! The Host: where a task acts. Root-confined file access, command execution in the
//! target, and the check-mode overlay that lets later tasks see what earlier ones
//! "wrote" without a byte reaching the disk.
//!
//! Every path a module names is an absolute path inside the root (a relative one is
//! relative to the root's `/`). Resolution never leaves the root: `..` at the root
//! stays there and an absolute symlink target starts again at the root, as with
//! openat2's RESOLVE_IN_ROOT. Reads look at the overlay first, then the disk; `apply`
//! of a task in check mode (the flag comes with each call, never from the Host) only
//! records into the overlay.

pub mod bounded;
mod caches;
mod details;
mod disk;
mod exec;
mod jail;
mod overlay;
mod path;
mod plugin;
mod reload;
mod shared;

pub use details::{Details, Extra, Timestamp};
pub use exec::Exec;
pub use jail::{clean_env, ControllerPath, TOOL_ROOT};
pub use plugin::{PluginCall, PluginRun, NSPAWN_PLUGIN_DIR};

use crate::progress::ProgressCounter;
use crate::source::FileDigest;
use crate::{passwd, ModuleError, Op, OpOutput, Ownership, Progress};
use caches::{Applying, Caches};
use disk::Disk;
use overlay::{Attrs, Node, Seen, OVERLAY_DEV};
use rustix::io::Errno;
use shared::SharedOverlay;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// How a Host is set up.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The target's `/` (`/` for localhost, a container rootfs otherwise). It need not
    /// exist yet (a bootstrap task may create it); until it does, every path is absent.
    pub root: PathBuf,
}

impl HostOptions {
    /// A host on `root`.
    pub fn new(root: impl Into<PathBuf>) -> HostOptions {
        HostOptions { root: root.into() }
    }
}

impl Default for HostOptions {
    fn default() -> HostOptions {
        HostOptions::new("/")
    }
}

/// The type of a path, as `lstat` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    /// A symbolic link and its target, as stored.
    Symlink(PathBuf),
    /// A device, fifo or socket.
    Other,
}

/// What `lstat`/`stat` tell about a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub kind: Kind,
    /// Permission bits (`0o7777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    /// Device and inode: two paths with the same pair are hard links of one file.
    pub dev: u64,
    pub ino: u64,
    pub nlink: u64,
}

impl Meta {
    pub fn is_dir(&self) -> bool {
        self.kind == Kind::Dir
    }

    pub fn is_file(&self) -> bool {
        self.kind == Kind::File
    }

    pub fn is_symlink(&self) -> bool {
        matches!(self.kind, Kind::Symlink(_))
    }

    /// Whether this is on the disk, not only in check mode's overlay (what a program
    /// run now would find).
    pub fn on_disk(&self) -> bool {
        self.dev != OVERLAY_DEV
    }
}

/// The target's /etc/passwd and /etc/group texts (`None`: not there).
pub(crate) type NameDatabases = (Option<Arc<str>>, Option<Arc<str>>);

pub struct Host {
    options: HostOptions,
    /// How to run programs; `None`: [`Exec::auto`] at each run (a root bootstrapped
    /// during the run becomes an OS tree).
    exec: Option<Exec>,
    disk: Disk,
    overlay: SharedOverlay,
    /// Whether a unit file changed since the manager last reloaded (see `reload`).
    reload_owed: AtomicBool,
    /// lstat answers and /etc/passwd, /etc/group as last read (see `caches`).
    caches: Caches,
}

impl std::fmt::Debug for Host {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Host")
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// What an op "produced" in check mode: nothing, and for a program that would have
/// run, rc 0 (as Ansible reports a command in check mode).
fn checked_output(op: &Op) -> OpOutput {
    OpOutput {
        rc: matches!(op, Op::Run(_)).then_some(0),
        ..OpOutput::default()
    }
}

/// This process's effective uid and gid, which own what it creates. Asked once: a
/// plan asks for every file, and machinist never changes them.
pub(crate) fn effective_ids() -> (u32, u32) {
    static IDS: std::sync::OnceLock<(u32, u32)> = std::sync::OnceLock::new();
    *IDS.get_or_init(|| {
        (
            rustix::process::geteuid().as_raw(),
            rustix::process::getegid().as_raw(),
        )
    })
}

fn os_error(path: &Path, errno: Errno) -> ModuleError {
    ModuleError::io(path, std::io::Error::from(errno))
}

impl Host {
    pub fn new(options: HostOptions) -> Result<Host, ModuleError> {
        match std::fs::metadata(&options.root) {
            Ok(meta) if !meta.is_dir() => return Err(os_error(&options.root, Errno::NOTDIR)),
            _ => {}
        }
        Ok(Host {
            exec: None,
            disk: Disk::new(options.root.clone()),
            options,
            overlay: SharedOverlay::new(),
            reload_owed: AtomicBool::new(false),
            caches: Caches::default(),
        })
    }

    /// A host on a directory inside this one's root (a container's rootfs, for a play
    /// with `root:`), resolved inside this root and sharing its check-mode overlay: a
    /// rootfs "created" by an earlier play in check mode exists for the plays that
    /// configure it. Programs run the way [`Exec::auto`] picks for it.
    pub fn within(&self, path: &Path) -> Result<Host, ModuleError> {
        let canonical = self.resolve(path)?;
        if let Some(meta) = self.stat(&canonical)? {
            if !meta.is_dir() {
                return Err(os_error(&canonical, Errno::NOTDIR));
            }
        }
        let root = match path::relative_to_root(&canonical) {
            relative if relative == Path::new(".") => self.options.root.clone(),
            relative => self.options.root.join(relative),
        };
        Ok(Host {
            exec: None,
            disk: Disk::new(root.clone()),
            options: HostOptions { root },
            overlay: self.overlay.within(&canonical),
            reload_owed: AtomicBool::new(false),
            caches: Caches::default(),
        })
    }

    pub fn root(&self) -> &Path {
        &self.options.root
    }

    /// The root as a [`Place::Controller`](crate::Place::Controller) tool is handed it:
    /// `/` for the machine itself, [`TOOL_ROOT`] (where its jail binds the root)
    /// otherwise.
    pub fn tool_root(&self) -> &Path {
        if self.is_offline() {
            Path::new(TOOL_ROOT)
        } else {
            Path::new("/")
        }
    }

    /// An in-root path as a [`Place::Controller`](crate::Place::Controller) tool
    /// reaches it (below [`Host::tool_root`]).
    pub fn tool_path(&self, in_root: &Path) -> PathBuf {
        self.tool_root()
            .join(in_root.strip_prefix("/").unwrap_or(in_root))
    }

    /// The enablement an earlier task recorded (check mode) for `unit` (`scope/name`),
    /// if one did (see [`Op::PredictedEnablement`]).
    pub fn predicted_enablement(&self, unit: &str) -> Option<String> {
        self.overlay.enablement(unit)
    }

    /// Whether this Host's tree holds what earlier tasks' recorded (check-mode) ops
    /// would have done and the disk does not show: a file written, a unit enabled, a
    /// program not run. A tool that reads the disk (systemctl) cannot see it, so a
    /// module that finds nothing there predicts from this answer, never from a mode.
    pub fn holds_predictions(&self) -> bool {
        self.overlay.holds_records()
    }

    /// Whether the root is a tree of files rather than this running machine: any root
    /// but the machine's own `/`. No service manager runs there; tools get `--root`.
    pub fn is_offline(&self) -> bool {
        !exec::is_host_root(&self.options.root)
    }

    /// Whether the root exists on disk now (a bootstrap task may not have made it yet).
    pub fn root_exists(&self) -> bool {
        std::fs::metadata(&self.options.root).is_ok_and(|meta| meta.is_dir())
    }

    /// Whether a unit file or drop-in was written, linked or removed (by any task)
    /// since the last `systemctl daemon-reload` on this host: the manager has not seen
    /// it yet. See the `reload` module for the bookkeeping.
    pub fn daemon_reload_owed(&self) -> bool {
        self.reload_owed.load(Ordering::Relaxed)
    }

    /// Run programs this way instead of choosing with [`Exec::auto`] at each run.
    pub fn with_exec(mut self, exec: Exec) -> Host {
        self.exec = Some(exec);
        self
    }

    /// How programs run in this target now, for reports.
    pub fn exec(&self) -> Exec {
        self.exec.unwrap_or_else(|| Exec::auto(&self.options.root))
    }

    /// The canonical in-root path: every symlink followed inside the root, the final
    /// one included; missing components are kept as written.
    pub fn resolve(&self, path: &Path) -> Result<PathBuf, ModuleError> {
        self.canonical(path, true)
    }

    /// The path's metadata without following a final symlink; `None` if absent.
    pub fn lstat(&self, path: &Path) -> Result<Option<Meta>, ModuleError> {
        self.lstat_canonical(&self.canonical(path, false)?)
    }

    /// The path's metadata, following symlinks inside the root; `None` if absent
    /// (a dangling link included).
    pub fn stat(&self, path: &Path) -> Result<Option<Meta>, ModuleError> {
        self.lstat_canonical(&self.canonical(path, true)?)
    }

    /// Whether the path exists, following symlinks inside the root.
    pub fn exists(&self, path: &Path) -> Result<bool, ModuleError> {
        Ok(self.stat(path)?.is_some())
    }

    /// The target of the symlink at `path`; `None` if absent or not a symlink.
    pub fn read_link(&self, path: &Path) -> Result<Option<PathBuf>, ModuleError> {
        Ok(self.lstat(path)?.and_then(|meta| match meta.kind {
            Kind::Symlink(target) => Some(target),
            _ => None,
        }))
    }

    /// The whole content of a regular file (symlinks followed inside the root).
    pub fn read_file(&self, path: &Path) -> Result<Option<Vec<u8>>, ModuleError> {
        self.read_canonical(&self.canonical(path, true)?)
    }

    /// [`Host::read_file`] of a path that [`Host::resolve`] gave (or a prefix of one).
    pub(crate) fn read_canonical(&self, canonical: &Path) -> Result<Option<Vec<u8>>, ModuleError> {
        match self.seen(canonical) {
            Seen::Absent => Ok(None),
            Seen::Node(Node::File { content, .. }) => Ok(Some(content)),
            Seen::Node(Node::Copied { source, .. }) => source
                .read_all()
                .map(Some)
                .map_err(|err| ModuleError::io(&source.path, err)),
            Seen::Node(Node::Dir { .. }) => Err(os_error(canonical, Errno::ISDIR)),
            Seen::Node(Node::Hardlink { to }) => self.read_file(&to),
            Seen::Node(Node::Symlink { .. } | Node::Absent) => Ok(None),
            Seen::Node(Node::Changed { .. }) | Seen::Disk => {
                match self.caches.take_pinned(canonical) {
                    Some(pinned) => self.disk.read_pinned(canonical, pinned).map(Some),
                    None => self.disk.read_file(canonical),
                }
                .map_err(|err| ModuleError::io(canonical, err))
            }
        }
    }

    /// The size, sha256 and text-ness of a regular file (symlinks followed inside the
    /// root), read in chunks: never the whole file in memory. `None` if absent.
    pub fn file_digest(&self, path: &Path) -> Result<Option<FileDigest>, ModuleError> {
        let canonical = self.canonical(path, true)?;
        let of_bytes = |content: &[u8]| FileDigest {
            size: content.len() as u64,
            sha256: crate::source::sha256(content),
            text: std::str::from_utf8(content).is_ok(),
        };
        match self.seen(&canonical) {
            Seen::Absent => Ok(None),
            Seen::Node(Node::File { content, .. }) => Ok(Some(of_bytes(&content))),
            Seen::Node(Node::Copied { source, .. }) => Ok(Some(FileDigest {
                size: source.size,
                sha256: source.sha256,
                text: source.text,
            })),
            Seen::Node(Node::Dir { .. }) => Err(os_error(&canonical, Errno::ISDIR)),
            Seen::Node(Node::Hardlink { to }) => self.file_digest(&to),
            Seen::Node(Node::Symlink { .. } | Node::Absent) => Ok(None),
            Seen::Node(Node::Changed { .. }) | Seen::Disk => {
                let mut digest = <sha2::Sha256 as sha2::Digest>::new();
                let mut size = 0u64;
                let mut text = crate::source::Utf8Check::default();
                let found = self
                    .disk
                    .file_chunks(&canonical, |chunk| {
                        sha2::Digest::update(&mut digest, chunk);
                        size += chunk.len() as u64;
                        text.feed(chunk);
                    })
                    .map_err(|err| ModuleError::io(&canonical, err))?;
                Ok(found.then(|| FileDigest {
                    size,
                    sha256: sha2::Digest::finalize(digest).into(),
                    text: text.finish(),
                }))
            }
        }
    }

    /// The names in a directory (symlinks followed inside the root), sorted; `None` if
    /// absent, an error if it is not a directory.
    pub fn read_dir(&self, path: &Path) -> Result<Option<Vec<OsString>>, ModuleError> {
        let canonical = self.canonical(path, true)?;
        let Some(meta) = self.lstat_canonical(&canonical)? else {
            return Ok(None);
        };
        if !meta.is_dir() {
            return Err(os_error(&canonical, Errno::NOTDIR));
        }
        let (added, removed) = self.overlay.children(&canonical);
        let mut names = match self.seen(&canonical) {
            Seen::Node(Node::Dir { .. }) => Vec::new(),
            _ => self
                .disk
                .read_dir(&canonical)
                .map_err(|err| ModuleError::io(&canonical, err))?
                .unwrap_or_default(),
        };
        names.retain(|name| !removed.contains(name));
        names.extend(added);
        names.sort();
        names.dedup();
        Ok(Some(names))
    }

    /// The uid of a user in the target's /etc/passwd (a numeric string is the id
    /// itself); `None` when the user does not exist there.
    pub fn user_id(&self, name: &str) -> Result<Option<u32>, ModuleError> {
        self.id_in("/etc/passwd", name)
    }

    /// The gid of a group in the target's /etc/group (numeric strings pass through).
    pub fn group_id(&self, name: &str) -> Result<Option<u32>, ModuleError> {
        self.id_in("/etc/group", name)
    }

    /// The target's /etc/passwd and /etc/group as read, to look names up in later
    /// ([`passwd::name_of`]).
    pub(crate) fn name_databases(&self) -> Result<NameDatabases, ModuleError> {
        Ok((self.database("/etc/passwd")?, self.database("/etc/group")?))
    }

    /// The name of a uid in the target's /etc/passwd.
    pub fn user_name(&self, uid: u32) -> Result<Option<String>, ModuleError> {
        Ok(self
            .database("/etc/passwd")?
            .and_then(|db| passwd::name_of(&db, uid)))
    }

    /// The name of a gid in the target's /etc/group.
    pub fn group_name(&self, gid: u32) -> Result<Option<String>, ModuleError> {
        Ok(self
            .database("/etc/group")?
            .and_then(|db| passwd::name_of(&db, gid)))
    }

    /// Run a read-only query (`systemctl --root=ROOT is-enabled x`, `pacman -Q`) while
    /// planning, in check mode too: the caller promises it changes nothing.
    pub fn query(&self, spec: &crate::RunSpec) -> Result<OpOutput, ModuleError> {
        self.run(spec, &mut |_| {})
    }

    /// Run a plugin module (an executable on the controller) inside the target, the
    /// way programs run here, within `call.limits`. In check mode too: the plugin is
    /// told, and decides what that means.
    pub fn run_plugin(&self, call: &PluginCall) -> Result<PluginRun, ModuleError> {
        plugin::run(self.exec(), self.root(), call)
    }

    fn run(
        &self,
        spec: &crate::RunSpec,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<OpOutput, ModuleError> {
        let mut counter = spec.progress.map(ProgressCounter::new);
        let mut on_line = |line: &str| {
            if let Some(progress) = counter.as_mut().and_then(|counter| counter.line(line)) {
                on_progress(progress);
            }
        };
        match spec.place {
            crate::Place::Target => {
                exec::run_streaming(self.exec(), self.root(), spec, &mut on_line)
            }
            crate::Place::Controller => exec::run_tool_streaming(self.root(), spec, &mut on_line),
        }
    }

    /// Carry out ops in order: on disk (`check == false`), or into the overlay (`check
    /// == true`: the task at hand is in check mode; a `Run` does nothing and reports rc
    /// 0 with no output). Stops at the first error. A real change forgets what the
    /// overlay said about its path, so the disk shows.
    pub fn apply(&self, ops: &[Op], check: bool) -> Result<Vec<OpOutput>, ModuleError> {
        self.apply_with_progress(ops, check, &mut |_| {})
    }

    /// [`Host::apply`], telling `on_progress` how a long `Run` advances (for runs
    /// whose spec says how their output tells it).
    pub fn apply_with_progress(
        &self,
        ops: &[Op],
        check: bool,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<OpOutput>, ModuleError> {
        // While ops apply, the tree changes under every cache: see `caches`.
        let _applying = Applying::start();
        // `_applying` is dropped after the ops ran.
        self.apply_ops(ops, check, on_progress)
    }

    fn apply_ops(
        &self,
        ops: &[Op],
        check: bool,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<Vec<OpOutput>, ModuleError> {
        let mut outputs = Vec::with_capacity(ops.len());
        let mut a_run_failed = false;
        for (done, op) in ops.iter().enumerate() {
            // A signal stops the run between operations, never inside one; a task
            // whose first operation was about to start is let through (the runner
            // checks before each task and item).
            if let Some(signal) = crate::interrupt::pending().filter(|_| done > 0) {
                return Err(ModuleError::Interrupted {
                    signal: crate::interrupt::name(signal),
                    done,
                    total: ops.len(),
                });
            }
            let output = match op {
                _ if check => self.record(op).map(|()| checked_output(op))?,
                Op::Verify(verify) => {
                    if !a_run_failed {
                        verify.run(self)?;
                    }
                    OpOutput::default()
                }
                Op::Predicted(_) | Op::PredictedEnablement { .. } => OpOutput::default(),
                Op::Run(spec) => {
                    let output = self.run(spec, on_progress)?;
                    a_run_failed |= output.rc != Some(0);
                    output
                }
                _ => self.execute(op, on_progress)?,
            };
            self.keep_reload_books(op, &output);
            outputs.push(output);
        }
        Ok(outputs)
    }

    fn keep_reload_books(&self, op: &Op, output: &OpOutput) {
        if reload::changes_units(op) {
            self.reload_owed.store(true, Ordering::Relaxed);
        } else if reload::pays_reload(op, output) {
            self.reload_owed.store(false, Ordering::Relaxed);
        }
    }

    fn id_in(&self, database: &'static str, name: &str) -> Result<Option<u32>, ModuleError> {
        if let Ok(id) = name.parse() {
            return Ok(Some(id));
        }
        Ok(self
            .database(database)?
            .and_then(|db| passwd::id_of(&db, name)))
    }

    fn database(&self, path: &'static str) -> Result<Option<Arc<str>>, ModuleError> {
        self.caches.database(path, || {
            let content = self.read_file(Path::new(path))?;
            Ok(content.map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
        })
    }

    fn seen(&self, canonical: &Path) -> Seen {
        self.overlay.lookup(canonical)
    }

    fn canonical(&self, path: &Path, follow_final: bool) -> Result<PathBuf, ModuleError> {
        let symlink_at = |candidate: &Path| {
            Ok(self
                .lstat_canonical(candidate)?
                .and_then(|meta| match meta.kind {
                    Kind::Symlink(target) => Some(target),
                    _ => None,
                }))
        };
        self.caches.canonical(path, follow_final, || {
            match self.below_canonical_parent(path, follow_final, &symlink_at)? {
                Some(canonical) => Ok(canonical),
                None => path::chase(path, follow_final, symlink_at),
            }
        })
    }

    /// Whether the absolute `dir` resolves to itself: each ancestor below the nearest
    /// one known to (`/` always does) is spelt plainly (no `.`, `..` or `//`) and is
    /// not a symlink. What is learnt is remembered. Any doubt or error: `false`.
    fn resolves_to_itself(
        &self,
        dir: &Path,
        symlink_at: &impl Fn(&Path) -> Result<Option<PathBuf>, ModuleError>,
    ) -> bool {
        let mut unknown = Vec::new();
        let mut anchored = false;
        for ancestor in dir.ancestors() {
            // (Bytes: comparing Paths walks their components.)
            if ancestor.as_os_str() == "/" || self.caches.resolves_to_itself(ancestor) {
                anchored = true;
                break;
            }
            unknown.push(ancestor);
        }
        if !anchored {
            return false;
        }
        for ancestor in unknown.into_iter().rev() {
            let (Some(parent), Some(name)) = (ancestor.parent(), ancestor.file_name()) else {
                return false;
            };
            let plain = parent.join(name);
            if plain.as_os_str() != ancestor.as_os_str() || !matches!(symlink_at(&plain), Ok(None))
            {
                return false;
            }
            self.caches
                .canonical(&plain, true, || Ok::<_, ()>(plain.clone()))
                .ok();
        }
        true
    }

    /// `path` itself, when the disk alone decides (a real run: nothing in the overlay),
    /// it is spelt plainly and one openat2 with RESOLVE_NO_SYMLINKS finds it: no
    /// component is a symlink, so the chase would walk it unchanged. Its metadata and
    /// its ancestors (directories that resolve to themselves) are remembered: one
    /// openat2 instead of one per ancestor not known yet (a new directory's parent).
    /// `None`: the chase decides.
    fn found_without_symlinks(&self, path: &Path) -> Option<PathBuf> {
        if !path::is_plain(path) || !self.overlay.is_empty() {
            return None;
        }
        let (meta, pinned) = self.disk.lstat_without_symlinks(path)?;
        let _ = self.caches.stat(path, || Ok::<_, ()>(Some(meta)));
        if let Some(pinned) = pinned {
            self.caches.pin(path, pinned);
        }
        for ancestor in path.ancestors().skip(1) {
            if ancestor.as_os_str() == "/" || self.caches.resolves_to_itself(ancestor) {
                break;
            }
            let _ = self
                .caches
                .canonical(ancestor, true, || Ok::<_, ()>(ancestor.to_path_buf()));
        }
        Some(path.to_path_buf())
    }

    /// The chase of `path` in one step, when its parent is known to resolve to itself:
    /// no component of it is a symlink (one followed could not lead back to the same
    /// path without a loop), so the chase would walk it unchanged, with no hop, and
    /// only the final name is left. `None`: not known, or the final name is a symlink
    /// to follow; the whole chase decides.
    fn below_canonical_parent(
        &self,
        path: &Path,
        follow_final: bool,
        symlink_at: &impl Fn(&Path) -> Result<Option<PathBuf>, ModuleError>,
    ) -> Result<Option<PathBuf>, ModuleError> {
        let (Some(parent), Some(name)) = (path.parent(), path.file_name()) else {
            return Ok(None);
        };
        if !self.caches.resolves_to_itself(parent) {
            if let Some(found) = self.found_without_symlinks(path) {
                return Ok(Some(found));
            }
            if !self.resolves_to_itself(parent, symlink_at) {
                return Ok(None);
            }
        }
        let candidate = parent.join(name);
        if follow_final && symlink_at(&candidate)?.is_some() {
            return Ok(None);
        }
        Ok(Some(candidate))
    }

    /// Metadata of a canonical path in the effective tree (overlay over disk): what
    /// [`Host::lstat`] answers for a path that [`Host::resolve`] gave, or a prefix of
    /// one, without resolving it again.
    pub(crate) fn lstat_canonical(&self, canonical: &Path) -> Result<Option<Meta>, ModuleError> {
        let made = |kind, attrs: Attrs, size| Meta {
            kind,
            mode: attrs.mode,
            uid: attrs.uid,
            gid: attrs.gid,
            size,
            dev: OVERLAY_DEV,
            ino: attrs.ino,
            nlink: 1,
        };
        let on_disk = || {
            self.caches.stat(canonical, || {
                let found = self
                    .disk
                    .lstat_pinned(canonical)
                    .map_err(|err| ModuleError::io(canonical, err))?;
                Ok(found.map(|(meta, pinned)| {
                    if let Some(pinned) = pinned {
                        self.caches.pin(canonical, pinned);
                    }
                    meta
                }))
            })
        };
        Ok(match self.seen(canonical) {
            Seen::Absent | Seen::Node(Node::Absent) => None,
            Seen::Disk => on_disk()?,
            Seen::Node(Node::File { content, attrs }) => {
                Some(made(Kind::File, attrs, content.len() as u64))
            }
            Seen::Node(Node::Copied { source, attrs }) => {
                Some(made(Kind::File, attrs, source.size))
            }
            Seen::Node(Node::Dir { attrs }) => Some(made(Kind::Dir, attrs, 0)),
            Seen::Node(Node::Symlink { target, attrs }) => {
                let size = target.as_os_str().len() as u64;
                Some(made(Kind::Symlink(target), attrs, size))
            }
            Seen::Node(Node::Hardlink { to }) => self.lstat_canonical(&to)?,
            Seen::Node(Node::Changed { mode, uid, gid }) => on_disk()?.map(|meta| Meta {
                mode: mode.unwrap_or(meta.mode),
                uid: uid.unwrap_or(meta.uid),
                gid: gid.unwrap_or(meta.gid),
                ..meta
            }),
        })
    }

    fn execute(
        &self,
        op: &Op,
        on_progress: &mut dyn FnMut(Progress),
    ) -> Result<OpOutput, ModuleError> {
        let done = |result: std::io::Result<()>, canonical: &Path| {
            result.map_err(|err| ModuleError::io(canonical, err))?;
            self.overlay.forget(canonical);
            Ok(OpOutput::default())
        };
        match op {
            Op::WriteFile {
                path,
                content,
                mode,
                owner,
            } => {
                let canonical = self.named(path, true)?;
                let total = content.len() as u64;
                let large = content.len() >= crate::progress::LARGE_WRITE_BYTES;
                let mut on_written = |done: u64| {
                    if large {
                        on_progress(Progress {
                            done,
                            total,
                            what: format!("writing {}", path.display()),
                            unit: crate::ProgressUnit::Bytes,
                        });
                    }
                };
                done(
                    self.disk.write_file_reporting(
                        &canonical,
                        content,
                        *mode,
                        *owner,
                        &mut on_written,
                    ),
                    &canonical,
                )
            }
            Op::CopyFile {
                path,
                source,
                mode,
                owner,
            } => {
                let canonical = self.named(path, true)?;
                let large = source.size >= crate::progress::LARGE_WRITE_BYTES as u64;
                let mut copied = 0u64;
                let written = self
                    .disk
                    .write_file_with(&canonical, *mode, *owner, |file| {
                        source.chunks(|chunk| {
                            std::io::Write::write_all(file, chunk)?;
                            let before = copied;
                            copied += chunk.len() as u64;
                            // One event a MiB (the source reads smaller chunks).
                            let step = disk::WRITE_CHUNK_BYTES as u64;
                            let crossed = before / step != copied / step || copied == source.size;
                            if large && crossed {
                                on_progress(Progress {
                                    done: copied,
                                    total: source.size.max(copied),
                                    what: format!("writing {}", path.display()),
                                    unit: crate::ProgressUnit::Bytes,
                                });
                            }
                            Ok(())
                        })
                    });
                done(written, &canonical)
            }
            Op::WriteValidated {
                path,
                content,
                mode,
                owner,
                validate,
            } => {
                let canonical = self.named(path, true)?;
                let mut check = |temp: &Path| self.validate(validate, temp);
                let checked = self
                    .disk
                    .write_file_checked(&canonical, content, *mode, *owner, &mut check);
                match checked {
                    Ok(Err(refused)) => Err(ModuleError::Refused(refused)),
                    written => done(written.map(drop), &canonical),
                }
            }
            Op::Mkdir { path, mode, owner } => {
                let canonical = self.canonical(path, false)?;
                if canonical == Path::new("/") {
                    return Ok(OpOutput::default());
                }
                done(self.disk.mkdir(&canonical, *mode, *owner), &canonical)
            }
            Op::Symlink { path, target } => {
                let canonical = self.named(path, false)?;
                done(self.disk.symlink(&canonical, target), &canonical)
            }
            Op::Hardlink { path, target } => {
                let canonical = self.named(path, false)?;
                let target = self.named(target, true)?;
                done(self.disk.hardlink(&canonical, &target), &canonical)
            }
            Op::Remove { path } => {
                let canonical = self.named(path, false)?;
                done(self.disk.remove(&canonical), &canonical)
            }
            Op::Backup { path, to } => {
                let source = self.named(path, true)?;
                let (content, meta) = self.backup_source(&source)?;
                let to = self.named(to, false)?;
                let owner = Ownership {
                    uid: Some(meta.uid),
                    gid: Some(meta.gid),
                };
                done(self.disk.write_file(&to, &content, meta.mode, owner), &to)
            }
            Op::Chmod { path, mode } => {
                let canonical = self.canonical(path, false)?;
                done(self.disk.chmod(&canonical, *mode), &canonical)
            }
            Op::Chown { path, owner } => {
                let canonical = self.canonical(path, false)?;
                done(self.disk.chown(&canonical, *owner), &canonical)
            }
            Op::Touch { path, mode } => {
                let canonical = self.named(path, true)?;
                done(self.disk.touch(&canonical, *mode), &canonical)
            }
            Op::SetTimes { path, atime, mtime } => {
                let canonical = self.canonical(path, false)?;
                done(self.disk.set_times(&canonical, *atime, *mtime), &canonical)
            }
            Op::Run(spec) => self.run(spec, &mut |_| {}),
            Op::Verify(verify) => verify.run(self).map(|()| OpOutput::default()),
            Op::Predicted(_) | Op::PredictedEnablement { .. } => Ok(OpOutput::default()),
        }
    }

    /// Run `validate` (`%s`: the temp file, a path inside the root) in the target;
    /// Ansible's message when it fails.
    fn validate(&self, validate: &[String], temp: &Path) -> Result<(), String> {
        let temp = temp.to_string_lossy();
        let argv = validate
            .iter()
            .map(|word| word.replace("%s", &temp))
            .collect();
        let spec = crate::RunSpec {
            argv,
            ..crate::RunSpec::default()
        };
        tracing::debug!(argv = ?spec.argv, "validating the new content");
        match self.run(&spec, &mut |_| {}) {
            Ok(output) if output.rc == Some(0) => Ok(()),
            Ok(output) => Err(format!(
                "failed to validate: rc:{} error:{}",
                output.rc.map_or("none".to_string(), |rc| rc.to_string()),
                output.stderr
            )),
            Err(err) => Err(format!("failed to validate: {err}")),
        }
    }

    /// The canonical path of something that is replaced or removed: never `/` itself.
    fn named(&self, path: &Path, follow_final: bool) -> Result<PathBuf, ModuleError> {
        let canonical = self.canonical(path, follow_final)?;
        if canonical == Path::new("/") {
            return Err(ModuleError::Escape {
                path: path::absolute(path),
                reason: "the root directory itself cannot be replaced or removed".into(),
            });
        }
        Ok(canonical)
    }

    fn backup_source(&self, source: &Path) -> Result<(Vec<u8>, Meta), ModuleError> {
        let content = self.read_file(source)?;
        let meta = self.lstat_canonical(source)?;
        match (content, meta) {
            (Some(content), Some(meta)) if meta.is_file() => Ok((content, meta)),
            (_, Some(_)) => Err(os_error(source, Errno::INVAL)),
            _ => Err(os_error(source, Errno::NOENT)),
        }
    }

    /// Check mode: record what `op` would do, failing where the disk would fail.
    fn record(&self, op: &Op) -> Result<(), ModuleError> {
        match op {
            Op::WriteFile {
                path,
                content,
                mode,
                owner,
            }
            | Op::WriteValidated {
                path,
                content,
                mode,
                owner,
                ..
            } => {
                let canonical = self.named(path, true)?;
                self.expect_replaceable(&canonical)?;
                let attrs = self.new_attrs(*mode, *owner);
                let file = Node::File {
                    content: content.clone(),
                    attrs,
                };
                self.overlay.put(&canonical, file);
            }
            Op::CopyFile {
                path,
                source,
                mode,
                owner,
            } => {
                let canonical = self.named(path, true)?;
                self.expect_replaceable(&canonical)?;
                let attrs = self.new_attrs(*mode, *owner);
                let source = source.clone();
                self.overlay.put(&canonical, Node::Copied { source, attrs });
            }
            Op::Mkdir { path, mode, owner } => {
                let canonical = self.canonical(path, false)?;
                match self.lstat_canonical(&canonical)? {
                    Some(meta) if meta.is_dir() => {}
                    Some(_) => return Err(os_error(&canonical, Errno::EXIST)),
                    None => {
                        self.expect_parent_dir(&canonical)?;
                        let attrs = self.new_attrs(*mode, *owner);
                        self.overlay.put(&canonical, Node::Dir { attrs });
                    }
                }
            }
            Op::Symlink { path, target } => {
                let canonical = self.named(path, false)?;
                self.expect_replaceable(&canonical)?;
                let attrs = self.new_attrs(0o777, Ownership::default());
                let target = target.clone();
                self.overlay
                    .put(&canonical, Node::Symlink { target, attrs });
            }
            Op::Hardlink { path, target } => {
                let canonical = self.named(path, false)?;
                let target = self.named(target, true)?;
                match self.lstat_canonical(&target)? {
                    None => return Err(os_error(&target, Errno::NOENT)),
                    Some(meta) if meta.is_dir() => return Err(os_error(&target, Errno::PERM)),
                    Some(_) => {}
                }
                self.expect_replaceable(&canonical)?;
                let node = match self.seen(&target) {
                    Seen::Node(file @ (Node::File { .. } | Node::Copied { .. })) => file,
                    Seen::Node(Node::Hardlink { to }) => Node::Hardlink { to },
                    _ => Node::Hardlink { to: target },
                };
                self.overlay.put(&canonical, node);
            }
            Op::Remove { path } => {
                let canonical = self.named(path, false)?;
                self.overlay.put(&canonical, Node::Absent);
            }
            Op::Backup { path, to } => {
                let source = self.named(path, true)?;
                let (content, meta) = self.backup_source(&source)?;
                let to = self.named(to, false)?;
                self.expect_replaceable(&to)?;
                let attrs = Attrs {
                    mode: meta.mode,
                    uid: meta.uid,
                    gid: meta.gid,
                    ino: self.overlay.next_ino(),
                };
                self.overlay.put(&to, Node::File { content, attrs });
            }
            Op::Chmod { path, mode } => {
                let canonical = self.canonical(path, false)?;
                let meta = self.lstat_canonical(&canonical)?;
                match meta {
                    None => return Err(os_error(&canonical, Errno::NOENT)),
                    Some(meta) if meta.is_symlink() => {}
                    Some(_) => {
                        self.change_attrs(&canonical, Some(mode & 0o7777), Ownership::default())
                    }
                }
            }
            Op::Chown { path, owner } => {
                let canonical = self.canonical(path, false)?;
                if self.lstat_canonical(&canonical)?.is_none() {
                    return Err(os_error(&canonical, Errno::NOENT));
                }
                self.change_attrs(&canonical, None, *owner);
            }
            Op::Touch { path, mode } => {
                let canonical = self.named(path, true)?;
                if self.lstat_canonical(&canonical)?.is_none() {
                    self.expect_parent_dir(&canonical)?;
                    let attrs = self.new_attrs(*mode, Ownership::default());
                    let file = Node::File {
                        content: Vec::new(),
                        attrs,
                    };
                    self.overlay.put(&canonical, file);
                }
            }
            Op::SetTimes { path, atime, mtime } => {
                let canonical = self.canonical(path, false)?;
                if self.lstat_canonical(&canonical)?.is_none() {
                    return Err(os_error(&canonical, Errno::NOENT));
                }
                let at = |time: &Option<crate::TimeSpec>| match time {
                    None => None,
                    Some(crate::TimeSpec::Now) => Some(Timestamp::now()),
                    Some(crate::TimeSpec::At(at)) => Some(*at),
                };
                self.overlay.set_times(&canonical, at(atime), at(mtime));
            }
            Op::Predicted(op) => self.record(op)?,
            Op::PredictedEnablement { unit, state } => {
                self.overlay.set_enablement(unit, state.as_deref());
            }
            Op::Run(_) => self.overlay.record_unrun(),
            Op::Verify(_) => {}
        }
        Ok(())
    }

    fn change_attrs(&self, canonical: &Path, mode: Option<u32>, owner: Ownership) {
        let at = match self.seen(canonical) {
            Seen::Node(Node::Hardlink { to }) => to,
            _ => canonical.to_path_buf(),
        };
        self.overlay.change_attrs(&at, mode, owner.uid, owner.gid);
    }

    /// Attributes of an object this process would create: our own ids unless given.
    fn new_attrs(&self, mode: u32, owner: Ownership) -> Attrs {
        Attrs {
            mode: mode & 0o7777,
            uid: owner.uid.unwrap_or(effective_ids().0),
            gid: owner.gid.unwrap_or(effective_ids().1),
            ino: self.overlay.next_ino(),
        }
    }

    fn expect_parent_dir(&self, canonical: &Path) -> Result<(), ModuleError> {
        let parent = canonical.parent().unwrap_or(Path::new("/"));
        match self.lstat_canonical(parent)? {
            Some(meta) if meta.is_dir() => Ok(()),
            Some(_) => Err(os_error(parent, Errno::NOTDIR)),
            None => Err(os_error(parent, Errno::NOENT)),
        }
    }

    /// Something may be renamed over this path: its parent is a directory, and it is
    /// not a directory itself (rename(2) cannot replace one with a non-directory).
    fn expect_replaceable(&self, canonical: &Path) -> Result<(), ModuleError> {
        self.expect_parent_dir(canonical)?;
        match self.lstat_canonical(canonical)? {
            Some(meta) if meta.is_dir() => Err(os_error(canonical, Errno::ISDIR)),
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod race_tests;
#[cfg(test)]
mod tests;
