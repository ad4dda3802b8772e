//! The package_facts module (Ansible's `ansible.builtin.package_facts`): the target's
//! installed packages as the fact `packages`, each name holding a list of
//! `{name, version, arch, …, source}` as ansible-core's backends report them. They are
//! read from the package managers' own databases through the Host (confined to the
//! root, no program run): dpkg's status file and apt's lists for `apt` (dpkg.rs,
//! apt_lists.rs), pacman's local
//! database for `pacman` (pacman.rs). Nothing changes.
//!
//! Ansible's other backends (rpm, apk, portage, pkg, pkg_info) are refused by name;
//! `auto` tries Ansible's order and refuses a target whose first manager is one of them.

mod apt_lists;
pub(crate) mod doc;
pub(crate) mod dpkg;
mod pacman;

use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(default = "auto", deserialize_with = "crate::pacman::names::list")]
    pub manager: Vec<String>,
    #[serde(default)]
    pub strategy: Strategy,
}

fn auto() -> Vec<String> {
    vec!["auto".into()]
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    /// The first manager that has packages.
    #[default]
    First,
    /// Every manager that has packages, their lists joined.
    All,
}

/// Ansible's backends, in the order `auto` tries them (its sorted names).
const ANSIBLE_MANAGERS: &[&str] = &["apk", "apt", "pacman", "pkg", "pkg_info", "portage", "rpm"];

/// Names Ansible takes for a backend of another name.
const ALIASES: &[(&str, &str)] = &[
    ("dnf", "rpm"),
    ("dnf5", "rpm"),
    ("yum", "rpm"),
    ("zypper", "rpm"),
    ("pkg5", "pkg"),
    ("pkgng", "pkg"),
    ("openbsd_pkg", "pkg_info"),
];

/// The program whose presence in the target says a backend is there (Ansible's CLI).
fn program_of(manager: &str) -> &'static [&'static str] {
    match manager {
        "apk" => &["apk"],
        "apt" => &["apt", "apt-get", "aptitude"],
        "pacman" => &["pacman"],
        "pkg" => &["pkg"],
        "pkg_info" => &["pkg_info"],
        "portage" => &["qlist"],
        "rpm" => &["rpm"],
        _ => &[],
    }
}

const BIN_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

pub struct PackageFactsModule;

impl Module for PackageFactsModule {
    type Args = Args;
    const NAME: &'static str = "package_facts";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let asked: Vec<String> = args.manager.iter().map(|m| m.to_lowercase()).collect();
        let mut managers: Vec<String> = asked.iter().filter(|m| *m != "auto").cloned().collect();
        let auto = asked.iter().any(|m| m == "auto");
        if auto {
            // Ansible keeps the user's order, then every backend.
            let at = asked.iter().position(|m| m == "auto").unwrap_or(0);
            managers = asked[..at].to_vec();
            managers.extend(ANSIBLE_MANAGERS.iter().map(|m| m.to_string()));
            managers.extend(asked[at + 1..].iter().filter(|m| *m != "auto").cloned());
        }
        let unsupported: Vec<&str> = managers
            .iter()
            .map(String::as_str)
            .filter(|m| !ANSIBLE_MANAGERS.contains(m) && !ALIASES.iter().any(|(a, _)| a == m))
            .collect();
        if !unsupported.is_empty() {
            let msg = if auto {
                "Could not auto detect a usable package manager, check warnings for details."
                    .to_string()
            } else {
                format!(
                    "Unsupported package managers requested: {}",
                    unsupported.join(", ")
                )
            };
            return Err(ModuleError::Failed(msg));
        }

        let mut packages: Map<String, Value> = Map::new();
        let mut warnings = Vec::new();
        let mut found = 0;
        let mut seen: Vec<&str> = Vec::new();
        for name in &managers {
            if args.strategy == Strategy::First && found > 0 {
                break;
            }
            let manager = ALIASES
                .iter()
                .find(|(alias, _)| alias == name)
                .map_or(name.as_str(), |(_, real)| real);
            if seen.contains(&manager) {
                continue;
            }
            seen.push(manager);
            if !available(host, manager)? {
                if asked.iter().any(|m| m == name) {
                    warnings.push(format!(
                        "Requested package manager {name} was not usable by this module: \
                         Failed to find required executable \"{}\"",
                        program_of(manager)[0]
                    ));
                }
                continue;
            }
            let listed = match manager {
                "apt" => dpkg::installed(host)?,
                "pacman" => pacman::installed(host)?,
                other => {
                    return Err(ModuleError::Refused(format!(
                        "the target has {other} ({}): machinist's package_facts reads apt's \
                         and pacman's databases only",
                        program_of(other)[0]
                    )))
                }
            };
            tracing::debug!(manager, count = listed.len(), "installed packages read");
            if listed.is_empty() {
                warnings.push(format!("Found \"{manager}\" but no associated packages"));
                continue;
            }
            found += 1;
            for package in listed {
                let name = package["name"].as_str().unwrap_or_default().to_string();
                match packages.get_mut(&name) {
                    Some(Value::Array(list)) => list.push(package),
                    _ => {
                        packages.insert(name, Value::Array(vec![package]));
                    }
                }
            }
        }
        if found == 0 {
            let listed: Vec<String> = managers.iter().map(|m| format!("'{m}'")).collect();
            return Err(ModuleError::Failed(format!(
                "Could not detect a supported package manager from the following list: [{}], \
                 or the required Python library is not installed. Check warnings for details.",
                listed.join(", ")
            )));
        }
        let mut plan = Plan::ok().with_data("ansible_facts", json!({ "packages": packages }));
        for warning in warnings {
            plan = plan.with_warning(warning);
        }
        Ok(plan)
    }
}

/// Whether the backend's program is in the target, where Ansible's `get_bin_path`
/// looks.
fn available(host: &Host, manager: &str) -> Result<bool, ModuleError> {
    for program in program_of(manager) {
        for dir in BIN_DIRS {
            let path = Path::new(dir).join(program);
            if host.stat(&path)?.is_some_and(|meta| meta.is_file()) {
                return Ok(true);
            }
        }
    }
    Ok(false)
}

#[cfg(test)]
mod tests;
