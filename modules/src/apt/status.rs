//! dpkg's status database as the apt module plans from it: which packages are
//! installed and at which version (package_facts' reading of it), which are removed
//! with their configuration files left; and the database a simulated run would
//! leave, recorded for later tasks of a check run.

use super::tool::Step;
use crate::package_facts::dpkg;
use crate::{Host, ModuleError, Op, Ownership};
use std::collections::BTreeMap;
use std::path::Path;

pub const STATUS: &str = "/var/lib/dpkg/status";

/// The target's dpkg database.
pub struct Status {
    text: String,
    /// Installed packages (`name`, `name:arch` for a foreign architecture) → version.
    pub installed: BTreeMap<String, String>,
}

impl Status {
    pub fn read(host: &Host) -> Result<Status, ModuleError> {
        let bytes = host.read_file(Path::new(STATUS))?.unwrap_or_default();
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let installed = dpkg::from_status(&text)
            .iter()
            .filter_map(|package| {
                Some((
                    package["name"].as_str()?.to_string(),
                    package["version"].as_str()?.to_string(),
                ))
            })
            .collect();
        Ok(Status { text, installed })
    }

    /// Whether dpkg keeps files of `name` (installed, or removed with its
    /// configuration files left): what a purge would still take away.
    pub fn has_files(&self, name: &str) -> bool {
        let bare = name.split(':').next().unwrap_or(name);
        self.installed.contains_key(name)
            || self.stanzas().any(|fields| {
                field(&fields, "Package") == Some(bare)
                    && field(&fields, "Status").is_some_and(|s| s.ends_with("config-files"))
            })
    }

    fn stanzas(&self) -> impl Iterator<Item = Vec<(&str, &str)>> {
        self.text.split("\n\n").map(dpkg::fields)
    }

    /// The database after `steps`, for check mode: installed packages at their new
    /// version, removed ones with only their configuration files, purged ones gone.
    pub fn predicted(&self, steps: &[Step]) -> Option<Op> {
        if steps.is_empty() {
            return None;
        }
        let mut stanzas: Vec<String> = Vec::new();
        let mut seen: Vec<&str> = Vec::new();
        for stanza in self.text.split("\n\n").filter(|s| !s.trim().is_empty()) {
            let fields = dpkg::fields(stanza);
            let name = field(&fields, "Package").unwrap_or_default();
            let arch = field(&fields, "Architecture").unwrap_or_default();
            let step = steps.iter().find(|step| step_is_for(step, name, arch));
            match step {
                None => stanzas.push(stanza.trim_end().to_string()),
                Some(Step::Purge { .. }) => seen.push(name),
                Some(Step::Remove { .. }) => {
                    seen.push(name);
                    stanzas.push(with_field(stanza, "Status", "deinstall ok config-files"));
                }
                Some(Step::Install { version, .. }) => {
                    seen.push(name);
                    let stanza = with_field(stanza, "Status", "install ok installed");
                    stanzas.push(with_field(&stanza, "Version", version));
                }
            }
        }
        for step in steps {
            if let Step::Install {
                name,
                version,
                arch,
            } = step
            {
                let bare = name.split(':').next().unwrap_or(name);
                if !seen.contains(&bare) {
                    stanzas.push(format!(
                        "Package: {bare}\nStatus: install ok installed\nArchitecture: {arch}\nVersion: {version}"
                    ));
                }
            }
        }
        let mut content = stanzas.join("\n\n");
        content.push('\n');
        Some(Op::Predicted(Box::new(Op::WriteFile {
            path: STATUS.into(),
            content: content.into_bytes(),
            mode: 0o644,
            owner: Ownership::default(),
        })))
    }
}

fn field<'a>(fields: &[(&'a str, &'a str)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| *value)
}

/// Whether a simulation step (`name` or `name:arch`) is about this stanza.
fn step_is_for(step: &Step, package: &str, arch: &str) -> bool {
    let name = match step {
        Step::Install { name, .. } | Step::Remove { name } | Step::Purge { name } => name,
    };
    match name.split_once(':') {
        Some((bare, on)) => bare == package && on == arch,
        None => name == package,
    }
}

/// The stanza with `key`'s line replaced (or added after `Package:`).
fn with_field(stanza: &str, key: &str, value: &str) -> String {
    let prefix = format!("{key}:");
    let mut lines: Vec<String> = stanza.trim_end().lines().map(str::to_string).collect();
    match lines.iter().position(|line| line.starts_with(&prefix)) {
        Some(at) => lines[at] = format!("{key}: {value}"),
        None => lines.insert(1.min(lines.len()), format!("{key}: {value}")),
    }
    lines.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_simulation_predicts_the_database() {
        let status = Status {
            text: "Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\nPackage: b\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n\nPackage: c\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n".into(),
            installed: BTreeMap::new(),
        };
        let steps = [
            Step::Install {
                name: "a".into(),
                version: "2".into(),
                arch: "all".into(),
            },
            Step::Remove { name: "b".into() },
            Step::Purge { name: "c".into() },
            Step::Install {
                name: "d".into(),
                version: "3".into(),
                arch: "amd64".into(),
            },
        ];
        let Some(Op::Predicted(op)) = status.predicted(&steps) else {
            panic!("no prediction");
        };
        let Op::WriteFile { content, .. } = *op else {
            panic!("not a write");
        };
        let text = String::from_utf8(content).unwrap();
        let installed: Vec<String> = dpkg::from_status(&text)
            .iter()
            .map(|p| {
                format!(
                    "{} {}",
                    p["name"].as_str().unwrap(),
                    p["version"].as_str().unwrap()
                )
            })
            .collect();
        assert_eq!(installed, ["a 2", "d 3"]);
        assert!(text.contains("Package: b\nStatus: deinstall ok config-files"));
        assert!(!text.contains("Package: c"));
    }
}
