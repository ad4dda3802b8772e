//! Why a module could not plan or the host could not apply: typed, with the path or
//! argument concerned, so the runner can attach the task's source location.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum ModuleError {
    /// The arguments were well-typed but do not make sense together.
    #[error("{message}")]
    InvalidArgs {
        /// The argument at fault, when one is.
        field: Option<String>,
        message: String,
    },
    /// Reading or changing the target failed.
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// A path would resolve outside the target root.
    #[error("{path}: refusing to leave the target root ({reason})")]
    Escape { path: PathBuf, reason: String },
    /// A signal asked the run to stop: `done` of `total` operations were carried out
    /// (each one whole), the rest were not started.
    #[error("interrupted by {signal}: {done} of {total} operations done, the rest not started")]
    Interrupted {
        signal: String,
        done: usize,
        total: usize,
    },
    /// The module ran and failed (a command exited non-zero, a tool refused).
    #[error("{0}")]
    Failed(String),
    /// `validate` refused the new content: the file was not replaced (Ansible reports
    /// the task failed and not changed).
    #[error("{0}")]
    Refused(String),
    /// The `validate` command exited non-zero on the new content (not written): what
    /// it said, for the result (copy's and template's `exit_status`, `stdout`, `stderr`).
    #[error("failed to validate: rc:{} error:{stderr}", rc.map_or("none".to_string(), |rc| rc.to_string()))]
    Invalidated {
        rc: Option<i32>,
        stdout: String,
        stderr: String,
    },
}

impl ModuleError {
    pub fn invalid(field: &str, message: impl Into<String>) -> ModuleError {
        ModuleError::InvalidArgs {
            field: Some(field.to_string()),
            message: message.into(),
        }
    }

    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> ModuleError {
        ModuleError::Io {
            path: path.into(),
            source,
        }
    }
}
