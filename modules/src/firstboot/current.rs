//! What a root has now, read from the files its settings live in, through the Host
//! (so check mode sees what earlier tasks "wrote"): the locale file, /etc/vconsole.conf,
//! the /etc/localtime link, /etc/hostname, /etc/machine-id and root's /etc/shadow field.

use crate::{Host, ModuleError};
use std::path::Path;

/// A file's text, `None` when absent.
fn text(host: &Host, path: &str) -> Result<Option<String>, ModuleError> {
    Ok(host
        .read_file(Path::new(path))?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
}

/// The value of `KEY=value` in an environment-style file (quotes removed).
pub fn assignment(content: &str, key: &str) -> Option<String> {
    content.lines().rev().find_map(|line| {
        let value = line.trim().strip_prefix(key)?.strip_prefix('=')?;
        Some(value.trim().trim_matches(['"', '\'']).to_string())
    })
}

/// `LANG` of the locale file.
pub fn locale(host: &Host, file: &str) -> Result<Option<String>, ModuleError> {
    Ok(text(host, file)?.and_then(|content| assignment(&content, "LANG")))
}

/// `KEYMAP` of the keymap file (/etc/vconsole.conf).
pub fn keymap(host: &Host, file: &str) -> Result<Option<String>, ModuleError> {
    Ok(text(host, file)?.and_then(|content| assignment(&content, "KEYMAP")))
}

/// The zone /etc/localtime links to (`Europe/Berlin` of `../usr/share/zoneinfo/…`).
pub fn timezone(host: &Host) -> Result<Option<String>, ModuleError> {
    Ok(host
        .read_link(Path::new("/etc/localtime"))?
        .and_then(|target| zone_of(&target.to_string_lossy())))
}

pub fn zone_of(target: &str) -> Option<String> {
    let (_, zone) = target.split_once("zoneinfo/")?;
    (!zone.is_empty()).then(|| zone.to_string())
}

/// The first name in /etc/hostname (comments and blank lines skipped).
pub fn hostname(host: &Host) -> Result<Option<String>, ModuleError> {
    Ok(text(host, "/etc/hostname")?.and_then(|content| {
        content
            .lines()
            .map(str::trim)
            .find(|line| !line.is_empty() && !line.starts_with('#'))
            .map(str::to_string)
    }))
}

pub fn machine_id(host: &Host) -> Result<Option<String>, ModuleError> {
    Ok(text(host, "/etc/machine-id")?
        .map(|content| content.trim().to_string())
        .filter(|id| !id.is_empty()))
}

/// /etc/shadow as it is (for the prediction of its new content) and root's hash field.
pub fn shadow(host: &Host) -> Result<Option<String>, ModuleError> {
    text(host, "/etc/shadow")
}

pub fn root_hash(shadow: &str) -> Option<&str> {
    shadow
        .lines()
        .find_map(|line| line.strip_prefix("root:"))
        .map(|rest| rest.split(':').next().unwrap_or_default())
}

/// /etc/shadow with root's hash replaced (or a root line added), as systemd-firstboot
/// leaves it.
pub fn with_root_hash(shadow: Option<&str>, hash: &str) -> String {
    let mut replaced = false;
    let mut lines: Vec<String> = shadow
        .unwrap_or_default()
        .lines()
        .map(|line| match line.strip_prefix("root:") {
            Some(rest) if !replaced => {
                replaced = true;
                let after = rest.split_once(':').map_or("", |(_, after)| after);
                format!("root:{hash}:{after}")
            }
            _ => line.to_string(),
        })
        .collect();
    if !replaced {
        let days = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| since.as_secs() / 86_400);
        lines.insert(0, format!("root:{hash}:{days}::::::"));
    }
    lines.iter().map(|line| format!("{line}\n")).collect()
}
