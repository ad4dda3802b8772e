//! What a root has now, read from the files systemd-firstboot writes, through the Host
//! (so check mode sees what earlier tasks "wrote"): the locale file, /etc/vconsole.conf,
//! the /etc/localtime link, /etc/hostname, /etc/machine-id and root's /etc/shadow field.

use crate::{Host, HostOptions, ModuleError, Place, RunSpec};
use std::path::Path;

/// Where upstream systemd-firstboot writes the locale.
pub const LOCALE_CONF: &str = "/etc/locale.conf";
/// Where Debian's systemd-firstboot (252) writes it instead.
pub const DEFAULT_LOCALE: &str = "/etc/default/locale";

/// Where the installed systemd-firstboot writes the locale, found by letting it write
/// one into an empty scratch root.
pub fn locale_file() -> Result<&'static str, ModuleError> {
    let scratch = tempfile::Builder::new()
        .prefix("machinist-firstboot-")
        .tempdir()
        .map_err(|err| ModuleError::io(std::env::temp_dir(), err))?;
    // Jailed on the scratch root as any tool on a root is (see host/jail.rs).
    let scratch_host = Host::new(HostOptions::new(scratch.path()))?;
    let output = scratch_host.query(&RunSpec {
        argv: vec![
            "systemd-firstboot".into(),
            format!("--root={}", scratch_host.tool_root().display()),
            "--locale=C.UTF-8".into(),
        ],
        place: Place::Controller,
        ..RunSpec::default()
    })?;
    if output.rc != Some(0) {
        return Err(ModuleError::Failed(format!(
            "systemd-firstboot (probing where it writes the locale) failed: {}",
            output.stderr.trim()
        )));
    }
    let wrote = |path: &str| scratch.path().join(path.trim_start_matches('/')).exists();
    Ok(if wrote(DEFAULT_LOCALE) && !wrote(LOCALE_CONF) {
        DEFAULT_LOCALE
    } else {
        LOCALE_CONF
    })
}

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

/// `KEYMAP` of /etc/vconsole.conf.
pub fn keymap(host: &Host) -> Result<Option<String>, ModuleError> {
    Ok(text(host, "/etc/vconsole.conf")?.and_then(|content| assignment(&content, "KEYMAP")))
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
