//! The `package` module (Ansible's `ansible.builtin.package`): the generic package
//! task, handed to the target's package manager. The manager is chosen from the
//! target's os-release (read through the Host, so a root bootstrapped earlier in a
//! check run counts): Arch and its derivatives (`ID=arch`, or `arch` in `ID_LIKE`) get
//! the `pacman` module, Debian and its derivatives (`ID=debian`, or `debian` in
//! `ID_LIKE`: Ubuntu, …) the `apt` module; any other target is refused with what it
//! is, since no other manager is implemented.

pub mod doc;

use crate::apt::{self, AptModule};
use crate::pacman::{self, PacmanModule};
use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Manager {
    #[default]
    Auto,
    Pacman,
    Apt,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Packages (a list or a comma-separated string).
    #[serde(deserialize_with = "crate::pacman::names::list")]
    pub name: Vec<String>,
    pub state: pacman::State,
    /// The manager to use: `auto` (from os-release), `pacman` or `apt`.
    #[serde(default, rename = "use")]
    pub manager: Manager,
}

pub struct PackageModule;

impl Module for PackageModule {
    type Args = Args;
    const NAME: &'static str = "package";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let manager = match args.manager {
            Manager::Auto => detect(host)?,
            chosen => chosen,
        };
        tracing::debug!(?manager, "package: the manager");
        match manager {
            Manager::Apt => {
                let state = match args.state {
                    pacman::State::Present | pacman::State::Installed => apt::State::Present,
                    pacman::State::Latest => apt::State::Latest,
                    pacman::State::Absent | pacman::State::Removed => apt::State::Absent,
                };
                let apt_args = apt::Args {
                    name: args.name.clone(),
                    state,
                    dpkg_options: "force-confdef,force-confold".into(),
                    lock_timeout: 60,
                    ..apt::Args::default()
                };
                AptModule.plan(&apt_args, host)
            }
            _ => {
                let pacman_args = pacman::Args {
                    name: args.name.clone(),
                    state: args.state,
                    ..pacman::Args::default()
                };
                PacmanModule.plan(&pacman_args, host)
            }
        }
    }
}

/// The manager of the target's distribution (`use: auto`).
fn detect(host: &Host) -> Result<Manager, ModuleError> {
    let (id, like) = os_release(host)?;
    let is = |family: &str| id == family || like.split_whitespace().any(|word| word == family);
    if is("arch") {
        return Ok(Manager::Pacman);
    }
    if is("debian") {
        return Ok(Manager::Apt);
    }
    let id = if id.is_empty() {
        "unknown (no os-release)"
    } else {
        &id
    };
    Err(ModuleError::Failed(format!(
        "package: the target's distribution is {id}; only pacman (Arch Linux and its \
         derivatives) and apt (Debian and its derivatives) are implemented — use the \
         command module with its package manager"
    )))
}

/// `ID` and `ID_LIKE` of the target's os-release.
fn os_release(host: &Host) -> Result<(String, String), ModuleError> {
    for path in ["/etc/os-release", "/usr/lib/os-release"] {
        let Some(bytes) = host.read_file(Path::new(path))? else {
            continue;
        };
        let text = String::from_utf8_lossy(&bytes);
        let field = |key: &str| {
            text.lines()
                .find_map(|line| line.strip_prefix(key)?.strip_prefix('='))
                .map(|value| value.trim().trim_matches(['"', '\'']).to_string())
                .unwrap_or_default()
        };
        return Ok((field("ID"), field("ID_LIKE")));
    }
    Ok((String::new(), String::new()))
}
