//! What can go wrong in `machinist role …`, typed so the command can pick the exit code:
//! bad input (a requirements or lock file, an unknown version) is 4 and carries file:line:col
//! when it comes from a file; git, tar and the filesystem failing are 1.

use crate::error::InputError;
use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum RoleError {
    /// What the user wrote is wrong: nothing was installed for the entry it names.
    #[error("{0}")]
    Input(#[from] InputError),
    #[error(transparent)]
    Git(#[from] GitError),
    #[error("{archive}: tar failed ({status}): {stderr}")]
    Tar {
        archive: PathBuf,
        status: String,
        stderr: String,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A folder machinist did not install is in the way.
    #[error("{0} exists and was not installed by machinist (no .machinist-install.yml); use --force to replace it")]
    NotOurs(PathBuf),
    /// `role init` over an existing role.
    #[error("{0} already exists; use --force to replace it")]
    Exists(PathBuf),
}

/// A `git` command that failed, with what it said.
#[derive(Debug, thiserror::Error)]
#[error("`{command}` failed: {detail}")]
pub struct GitError {
    pub command: String,
    pub detail: String,
}

impl RoleError {
    pub fn io(path: impl Into<PathBuf>) -> impl FnOnce(std::io::Error) -> RoleError {
        let path = path.into();
        move |source| RoleError::Io { path, source }
    }

    /// 4 for bad input, 1 for everything else.
    pub fn exit_code(&self) -> u8 {
        match self {
            RoleError::Input(_) => 4,
            _ => 1,
        }
    }
}
