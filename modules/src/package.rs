//! The `package` module (Ansible's `ansible.builtin.package`): the generic package
//! task, handed to the target's package manager. The manager is chosen from the
//! target's os-release (read through the Host, so a root bootstrapped earlier in a
//! check run counts): Arch and its derivatives (`ID=arch`, or `arch` in `ID_LIKE`) get
//! the `pacman` module; any other target is refused with what it is, since no other
//! manager is implemented.

pub mod doc;

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
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Packages (a list or a comma-separated string).
    #[serde(deserialize_with = "crate::pacman::names::list")]
    pub name: Vec<String>,
    pub state: pacman::State,
    /// The manager to use: `auto` (from os-release) or `pacman`.
    #[serde(default, rename = "use")]
    pub manager: Manager,
}

pub struct PackageModule;

impl Module for PackageModule {
    type Args = Args;
    const NAME: &'static str = "package";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.manager == Manager::Auto {
            let (id, like) = os_release(host)?;
            let arch = id == "arch" || like.split_whitespace().any(|word| word == "arch");
            if !arch {
                let id = if id.is_empty() {
                    "unknown (no os-release)"
                } else {
                    &id
                };
                return Err(ModuleError::Failed(format!(
                    "package: the target's distribution is {id}; only pacman (Arch Linux and \
                     its derivatives) is implemented — use the command module with its \
                     package manager"
                )));
            }
        }
        let pacman_args = pacman::Args {
            name: args.name.clone(),
            state: args.state,
            ..pacman::Args::default()
        };
        PacmanModule.plan(&pacman_args, host)
    }
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
