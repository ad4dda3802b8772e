//! The tempfile module (Ansible's `ansible.builtin.tempfile`): a new, empty file (0600)
//! or directory (0700) with an unpredictable name in the target's temp folder (`/tmp`
//! inside the root, or `path`), its path registered as `path`. Like Ansible's, it
//! always changes: each run makes another one. The name is drawn while planning, so
//! `--check` reports the path the run would make (and later tasks of the check run
//! see it in the overlay); the file is written as any other file of the Host, so a
//! name planted in a shared folder is replaced, never followed.

pub(crate) mod doc;

use crate::{Change, Host, Module, ModuleError, Op, Ownership, Plan};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    File,
    Directory,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default)]
    pub state: State,
    /// The folder to make it in (inside the root); the target's `/tmp` when absent.
    pub path: Option<String>,
    #[serde(default = "ansible_prefix")]
    pub prefix: String,
    #[serde(default)]
    pub suffix: String,
}

fn ansible_prefix() -> String {
    "ansible.".into()
}

/// Where a temp file goes when `path` is not given.
pub const TEMP_FOLDER: &str = "/tmp";

/// Python's `tempfile` names: eight characters of this alphabet.
const NAME_CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_";
const NAME_LEN: usize = 8;
/// Names tried before giving up (Python's `TMP_MAX` is far more; a clash is rare).
const ATTEMPTS: usize = 100;

pub struct TempfileModule;

impl Module for TempfileModule {
    type Args = Args;
    const NAME: &'static str = "tempfile";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        for (name, value) in [("prefix", &args.prefix), ("suffix", &args.suffix)] {
            if value.contains('/') {
                return Err(ModuleError::InvalidArgs {
                    field: Some(name.into()),
                    message: format!("{name} must be a valid file name component, got '{value}'"),
                });
            }
        }
        let folder = Path::new("/").join(args.path.as_deref().unwrap_or(TEMP_FOLDER));
        match host.stat(&folder)? {
            Some(meta) if meta.is_dir() => {}
            _ => {
                return Err(ModuleError::Failed(format!(
                    "[Errno 2] No such file or directory: '{}'",
                    folder.display()
                )))
            }
        }
        let path = free_name(host, &folder, args)?;
        let (what, op) = match args.state {
            State::File => (
                "file",
                Op::WriteFile {
                    path: path.clone(),
                    content: Vec::new(),
                    mode: 0o600,
                    owner: Ownership::default(),
                },
            ),
            State::Directory => (
                "directory",
                Op::Mkdir {
                    path: path.clone(),
                    mode: 0o700,
                    owner: Ownership::default(),
                },
            ),
        };
        let shown = path.display().to_string();
        tracing::debug!(path = %shown, what, "temporary path drawn");
        Ok(Plan::change(vec![Change {
            summary: format!("create temporary {what} {shown}"),
            diff: None,
            ops: vec![op],
        }])
        .with_data("path", shown))
    }
}

/// A name in `folder` that nothing has (in the overlay first, as every read).
fn free_name(host: &Host, folder: &Path, args: &Args) -> Result<PathBuf, ModuleError> {
    for _ in 0..ATTEMPTS {
        let name = format!("{}{}{}", args.prefix, random_name()?, args.suffix);
        let path = folder.join(name);
        if host.lstat(&path)?.is_none() {
            return Ok(path);
        }
    }
    Err(ModuleError::Failed(format!(
        "No usable temporary file name found in {}",
        folder.display()
    )))
}

pub(crate) fn random_name() -> Result<String, ModuleError> {
    let mut bytes = [0u8; NAME_LEN];
    let mut filled = 0;
    while filled < NAME_LEN {
        filled +=
            rustix::rand::getrandom(&mut bytes[filled..], rustix::rand::GetRandomFlags::empty())
                .map_err(|err| ModuleError::Failed(format!("cannot draw a random name: {err}")))?;
    }
    Ok(bytes
        .iter()
        .map(|byte| char::from(NAME_CHARS[usize::from(*byte) % NAME_CHARS.len()]))
        .collect())
}

#[cfg(test)]
mod tests;
