//! apt's installed packages as ansible-core's apt backend reports them (python-apt's
//! cache, `is_installed`), read from dpkg's status database: `name` (with `:ARCH` for
//! a foreign architecture, as apt names those), `version` (with its epoch), `arch`,
//! `category` (the section) and `origin` (both as apt's lists say, apt_lists.rs),
//! `source: apt`.

use super::apt_lists::{self, Key};
use crate::{Host, ModuleError};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::path::Path;

const STATUS: &str = "/var/lib/dpkg/status";

/// Every installed package of the target's dpkg database, sorted by name, with the
/// section and origin apt's lists give its version.
pub fn installed(host: &Host) -> Result<Vec<Value>, ModuleError> {
    let bytes = host.read_file(Path::new(STATUS))?.unwrap_or_default();
    let mut packages = from_status(&String::from_utf8_lossy(&bytes));
    let key = |package: &Value| -> Key {
        let text = |field: &str| package[field].as_str().unwrap_or_default().to_string();
        let name = text("name");
        let bare = name.split(':').next().unwrap_or_default().to_string();
        (bare, text("version"), text("arch"))
    };
    let wanted: HashMap<Key, ()> = packages.iter().map(|p| (key(p), ())).collect();
    let archived = apt_lists::archived(host, &wanted)?;
    for package in &mut packages {
        let (category, origin) = match archived.get(&key(package)) {
            Some((section, origin)) => (Value::from(section.clone()), Value::from(origin.clone())),
            None => (package["category"].clone(), Value::from("")),
        };
        package["category"] = category;
        package["origin"] = origin;
    }
    Ok(packages)
}

/// The installed packages of a status file's text.
pub fn from_status(text: &str) -> Vec<Value> {
    let stanzas: Vec<Vec<(&str, &str)>> = text
        .split("\n\n")
        .map(fields)
        .filter(|fields| !fields.is_empty())
        .collect();
    let field = |stanza: &[(&str, &str)], name: &str| -> Option<String> {
        stanza
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.to_string())
    };
    // The native architecture: dpkg's own (apt names packages of it without `:ARCH`).
    let native = stanzas
        .iter()
        .find(|stanza| field(stanza, "Package").as_deref() == Some("dpkg"))
        .and_then(|stanza| field(stanza, "Architecture"));
    let mut packages: Vec<Value> = stanzas
        .iter()
        .filter(|stanza| field(stanza, "Status").is_some_and(|status| is_installed(&status)))
        .filter_map(|stanza| {
            let name = field(stanza, "Package")?;
            let arch = field(stanza, "Architecture").unwrap_or_default();
            let name = match &native {
                Some(native) if arch != "all" && &arch != native => format!("{name}:{arch}"),
                _ => name,
            };
            Some(json!({
                "name": name,
                "version": field(stanza, "Version").unwrap_or_default(),
                "arch": arch,
                "category": field(stanza, "Section").unwrap_or_default(),
                "source": "apt",
            }))
        })
        .collect();
    packages.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    packages
}

/// A package apt counts as installed: dpkg knows a current version of it (any state
/// but not-installed and config-files).
fn is_installed(status: &str) -> bool {
    let state = status.split_whitespace().nth(2).unwrap_or_default();
    !matches!(state, "not-installed" | "config-files" | "")
}

/// A stanza's fields (continuation lines are not needed and skipped).
pub(crate) fn fields(stanza: &str) -> Vec<(&str, &str)> {
    stanza
        .lines()
        .filter(|line| !line.starts_with([' ', '\t']))
        .filter_map(|line| {
            let (key, value) = line.split_once(':')?;
            Some((key.trim(), value.trim()))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn installed_stanzas_become_apts_packages() {
        let status = "Package: dpkg\nStatus: install ok installed\nPriority: required\nSection: admin\nArchitecture: amd64\nVersion: 1.21.22\nDescription: x\n more\n\n\
            Package: gone\nStatus: deinstall ok config-files\nSection: libs\nArchitecture: amd64\nVersion: 1\n\n\
            Package: libc6\nStatus: install ok installed\nSection: libs\nArchitecture: i386\nVersion: 2.36-9\n\n\
            Package: adduser\nStatus: hold ok installed\nSection: admin\nArchitecture: all\nVersion: 1:3.134\n";
        assert_eq!(
            from_status(status),
            [
                json!({"name": "adduser", "version": "1:3.134", "arch": "all", "category": "admin", "source": "apt"}),
                json!({"name": "dpkg", "version": "1.21.22", "arch": "amd64", "category": "admin", "source": "apt"}),
                json!({"name": "libc6:i386", "version": "2.36-9", "arch": "i386", "category": "libs", "source": "apt"}),
            ]
        );
    }
}
