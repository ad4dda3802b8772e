//! The Host: where a task acts. Root-confined file access, command execution in the
//! target, and the check-mode overlay that lets later tasks see what earlier ones
//! "wrote" without a byte reaching the disk.

use crate::{ModuleError, Op, OpOutput};
use std::path::{Path, PathBuf};

/// How a Host is set up.
#[derive(Debug, Clone)]
pub struct HostOptions {
    /// The target's `/` (`/` for localhost, a container rootfs otherwise).
    pub root: PathBuf,
    /// Record ops in the overlay instead of applying them.
    pub check_mode: bool,
}

/// The type of a path, as `lstat` sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    File,
    Dir,
    Symlink(PathBuf),
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
}

pub struct Host {
    options: HostOptions,
}

impl Host {
    pub fn new(options: HostOptions) -> Result<Host, ModuleError> {
        Ok(Host { options })
    }

    pub fn root(&self) -> &Path {
        &self.options.root
    }

    pub fn check_mode(&self) -> bool {
        self.options.check_mode
    }

    /// The path's metadata without following a final symlink; `None` if absent.
    pub fn lstat(&self, path: &Path) -> Result<Option<Meta>, ModuleError> {
        Err(ModuleError::Failed(format!("{}: host not built yet", path.display())))
    }

    /// The whole content of a regular file (symlinks followed inside the root).
    pub fn read_file(&self, path: &Path) -> Result<Option<Vec<u8>>, ModuleError> {
        Err(ModuleError::Failed(format!("{}: host not built yet", path.display())))
    }

    /// Carry out ops: on disk, or into the overlay in check mode.
    pub fn apply(&self, ops: &[Op]) -> Result<Vec<OpOutput>, ModuleError> {
        let _ = ops;
        Err(ModuleError::Failed("host not built yet".into()))
    }

    /// Carry out ops on disk (`check == false`) or in the overlay (`check == true`),
    /// whatever the host's own mode: a task's `check_mode:` keyword overrides the run's.
    pub fn apply_as(&self, ops: &[Op], check: bool) -> Result<Vec<OpOutput>, ModuleError> {
        let _ = check;
        self.apply(ops)
    }
}
