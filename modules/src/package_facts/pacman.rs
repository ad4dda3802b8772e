//! pacman's installed packages as ansible-core's pacman backend reports them (from
//! `pacman -Qi`): `name`, `version` (epoch:pkgver-pkgrel), `arch`, `provides` (the
//! provided names without their `=version`, or none), `source: pacman`. Read from the
//! local database each package's `desc` (`/var/lib/pacman/local/NAME-VER/desc`), the
//! file pacman -Qi reads.

use crate::{Host, ModuleError};
use serde_json::{json, Value};
use std::path::Path;

const LOCAL: &str = "/var/lib/pacman/local";

/// Every package of the target's local database, sorted by name (pacman's order).
pub fn installed(host: &Host) -> Result<Vec<Value>, ModuleError> {
    let mut entries: Vec<String> = host
        .read_dir(Path::new(LOCAL))?
        .unwrap_or_default()
        .into_iter()
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    entries.sort();
    let mut packages = Vec::new();
    for entry in entries {
        let desc = Path::new(LOCAL).join(&entry).join("desc");
        let Some(bytes) = host.read_file(&desc)? else {
            continue;
        };
        if let Some(package) = from_desc(&String::from_utf8_lossy(&bytes)) {
            packages.push(package);
        }
    }
    packages.sort_by(|a, b| a["name"].as_str().cmp(&b["name"].as_str()));
    Ok(packages)
}

/// One package from its desc file (`%NAME%` and its value lines, a blank line ends a
/// section).
pub fn from_desc(text: &str) -> Option<Value> {
    let section = |title: &str| -> Vec<&str> {
        let header = format!("%{title}%");
        text.lines()
            .skip_while(|line| *line != header)
            .skip(1)
            .take_while(|line| !line.is_empty())
            .collect()
    };
    let name = section("NAME").first()?.to_string();
    let provides: Vec<Value> = section("PROVIDES")
        .iter()
        .map(|provided| Value::from(provided.split('=').next().unwrap_or_default()))
        .collect();
    Some(json!({
        "name": name,
        "version": section("VERSION").first().copied().unwrap_or_default(),
        "arch": section("ARCH").first().copied().unwrap_or_default(),
        "provides": if provides.is_empty() { Value::Null } else { Value::Array(provides) },
        "source": "pacman",
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_desc_file_is_what_pacman_qi_shows() {
        let desc = "%NAME%\nsh\n\n%VERSION%\n1:5.2-3\n\n%ARCH%\nx86_64\n\n%PROVIDES%\nsh=5.2\nlibx.so=1-64\n\n%DEPENDS%\nglibc\n\n";
        assert_eq!(
            from_desc(desc),
            Some(
                json!({"name": "sh", "version": "1:5.2-3", "arch": "x86_64", "provides": ["sh", "libx.so"], "source": "pacman"})
            )
        );
        let plain = "%NAME%\nfilesystem\n\n%VERSION%\n2024-1\n\n%ARCH%\nany\n";
        assert_eq!(
            from_desc(plain).map(|p| p["provides"].clone()),
            Some(Value::Null)
        );
        assert_eq!(from_desc("%VERSION%\n1\n"), None);
    }
}
