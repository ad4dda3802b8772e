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
//!
//! This file holds the Host and its types; the rooms: reads.rs (what plans read),
//! resolve.rs (in-root path resolution, cached), run.rs (programs), apply.rs (the one
//! walk over a task's ops, each op's paths resolved once), write.rs (an op on the
//! disk), record.rs (an op in the check-mode overlay), predictions.rs (the overlay's
//! journal, handed between processes acting on one machine).

mod apply;
pub mod bounded;
mod caches;
mod details;
mod disk;
mod exec;
mod jail;
mod overlay;
mod path;
mod plugin;
pub mod predictions;
mod pty;
mod reads;
mod record;
mod reload;
mod resolve;
mod run;
mod shared;
mod write;

pub use details::{Details, Extra, Timestamp};
pub use exec::Exec;
pub use jail::{clean_env, ControllerPath, TOOL_ROOT};
pub use plugin::{PluginCall, PluginRun, NSPAWN_PLUGIN_DIR};
pub use run::LogsHidden;

use crate::ModuleError;
use caches::Caches;
use disk::Disk;
use overlay::OVERLAY_DEV;
use rustix::io::Errno;
use shared::SharedOverlay;
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
    /// A `no_log` task is at work: logs name no argv or path (see `run`).
    logs_hidden: AtomicBool,
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

pub(super) fn os_error(path: &Path, errno: Errno) -> ModuleError {
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
            logs_hidden: AtomicBool::new(false),
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
            logs_hidden: AtomicBool::new(false),
            caches: Caches::default(),
        })
    }

    /// A throwaway view of this host (the disk, and the check-mode overlay as it is
    /// now) whose own overlay takes what is applied to it in check mode: a module that
    /// plans many paths (copy of a directory) plans each against what the ones before
    /// it would leave. Nothing applied to it reaches the disk or this host.
    pub fn scratch(&self) -> Host {
        Host {
            exec: None,
            disk: Disk::new(self.options.root.clone()),
            options: self.options.clone(),
            overlay: self.overlay.snapshot(),
            reload_owed: AtomicBool::new(false),
            logs_hidden: AtomicBool::new(false),
            caches: Caches::default(),
        }
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
}

#[cfg(test)]
mod race_tests;
#[cfg(test)]
mod tests;
