//! The `authorized_key` module (Ansible's `ansible.posix.authorized_key`): SSH public
//! keys in a user's authorized_keys, present or absent, or exactly the given ones
//! (`exclusive`). The user's uid, gid and home come from the target's /etc/passwd read
//! through the Host (so an account a task before created in the same check run counts);
//! ~/.ssh (0700) and the file (0600) are written through the Host, owned by the user.
//!
//! Keys are matched by their type and base64 blob, as Ansible does: a key present with
//! other options or comment is rewritten in its place; new keys are appended; lines that
//! are not the given keys stay as they are (unless `exclusive`). Keys fetched from a URL
//! are refused: give the key text.

pub mod doc;
mod keys;
#[cfg(test)]
mod tests;

use crate::accounts::Accounts;
use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Plan};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub user: String,
    /// One key or several, a line each.
    pub key: String,
    /// The file (default ~USER/.ssh/authorized_keys).
    pub path: Option<String>,
    /// Create the file's directory (0700, the user's) when it is missing.
    #[serde(default = "yes")]
    pub manage_dir: bool,
    #[serde(default)]
    pub state: State,
    /// Options for every given key (`no-port-forwarding,from="10.0.0.1"`).
    pub key_options: Option<String>,
    /// The file holds exactly the given keys.
    #[serde(default)]
    pub exclusive: bool,
    /// The comment for every given key.
    pub comment: Option<String>,
}

fn yes() -> bool {
    true
}

pub struct AuthorizedKeyModule;

impl Module for AuthorizedKeyModule {
    type Args = Args;
    const NAME: &'static str = "authorized_key";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.key.starts_with("http://") || args.key.starts_with("https://") {
            return Err(ModuleError::invalid(
                "key",
                "keys from a URL are not supported: give the key text (a lookup can read it)",
            ));
        }
        let accounts = Accounts::read(host)?;
        let user = accounts
            .user(&args.user)
            .ok_or_else(|| ModuleError::Failed(format!("Failed to lookup user {}", args.user)))?;
        let wanted = keys::parse_given(
            &args.key,
            args.key_options.as_deref(),
            args.comment.as_deref(),
        )?;
        let path = match &args.path {
            Some(path) => PathBuf::from(path),
            None => Path::new(&user.home).join(".ssh/authorized_keys"),
        };
        let current = host
            .read_file(&path)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        let before = current.clone().unwrap_or_default();
        let after = match args.state {
            State::Present => keys::with_keys(&before, &wanted, args.exclusive),
            State::Absent => keys::without_keys(&before, &wanted),
        };
        let plan = Plan::ok()
            .with_data("user", &args.user)
            .with_data("key", &args.key)
            .with_data("key_options", &args.key_options)
            .with_data("keyfile", path.display().to_string())
            .with_data("path", &args.path)
            .with_data("manage_dir", args.manage_dir)
            .with_data("exclusive", args.exclusive)
            .with_data(
                "state",
                match args.state {
                    State::Present => "present",
                    State::Absent => "absent",
                },
            );
        if after == before && (current.is_some() || args.state == State::Absent) {
            return Ok(plan);
        }
        let owner = Ownership {
            uid: Some(user.uid),
            gid: Some(user.gid),
        };
        let mut ops = Vec::new();
        let dir = path.parent().unwrap_or(Path::new("/"));
        match host.stat(dir)? {
            Some(meta) if meta.is_dir() => {}
            Some(_) => {
                return Err(ModuleError::Failed(format!(
                    "{} is not a directory",
                    dir.display()
                )))
            }
            None if args.manage_dir => ops.push(Op::Mkdir {
                path: dir.to_path_buf(),
                mode: 0o700,
                owner,
            }),
            None => {
                return Err(ModuleError::Failed(format!(
                    "{} does not exist (manage_dir: true creates it)",
                    dir.display()
                )))
            }
        }
        let mode = match args.path {
            Some(_) => host.stat(&path)?.map_or(0o600, |meta| meta.mode),
            None => 0o600,
        };
        ops.push(Op::WriteFile {
            path: path.clone(),
            content: after.clone().into_bytes(),
            mode,
            owner,
        });
        Ok(Plan {
            changes: vec![Change {
                summary: format!("authorized keys of {} in {}", args.user, path.display()),
                diff: Some(Diff::of_path(&path.display().to_string(), before, after)),
                ops,
            }],
            ..plan
        })
    }
}
