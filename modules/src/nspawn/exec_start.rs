//! `exec_start`: extra flags for one container's `systemd-nspawn` command line, as a
//! drop-in override of systemd-nspawn@NAME.service — an empty `ExecStart=` (which
//! clears the template's), then the template's command line with the flags appended.
//!
//! The template's command line is read from the root's own unit files the way systemd
//! layers them: the first systemd-nspawn@.service found in the unit directories, then
//! its drop-ins (`systemd-nspawn@.service.d/*.conf`, by file name) where an empty
//! `ExecStart=` resets. So an admin's override of the template (the seed's step) is
//! kept, and the flags are added to it.

use crate::Host;
use crate::ModuleError;
use std::path::{Path, PathBuf};

const TEMPLATE: &str = "systemd-nspawn@.service";

/// systemd 252's command line, for a root that has no systemd-nspawn@.service yet.
pub const DEFAULT_EXEC_START: &str = "systemd-nspawn --quiet --keep-unit --boot --link-journal=try-guest --network-veth -U --settings=override --machine=%i";

/// Unit directories, in systemd's order of precedence for the unit file itself.
const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
];

/// The drop-in path for one container.
pub fn dropin_path(machine: &str) -> PathBuf {
    Path::new("/etc/systemd/system")
        .join(format!("systemd-nspawn@{machine}.service.d"))
        .join("exec-start.conf")
}

/// The drop-in's content: the template's command line with `flags` appended. `None`
/// as the second value when the template was found; else a note for a warning.
pub fn dropin(host: &Host, flags: &[String]) -> Result<(String, Option<String>), ModuleError> {
    let (base, note) = match template_exec_start(host)? {
        Some(base) => (base, None),
        None => (
            DEFAULT_EXEC_START.to_string(),
            Some(format!(
                "{TEMPLATE} is not installed in {} yet: exec_start extends systemd 252's command line",
                host.root().display()
            )),
        ),
    };
    let mut line = base;
    for flag in flags {
        line.push(' ');
        line.push_str(&quoted(flag));
    }
    Ok((format!("[Service]\nExecStart=\nExecStart={line}\n"), note))
}

/// The template's effective ExecStart, if the root has the template.
fn template_exec_start(host: &Host) -> Result<Option<String>, ModuleError> {
    let mut fragment = None;
    for dir in UNIT_DIRS {
        if let Some(bytes) = host.read_file(&Path::new(dir).join(TEMPLATE))? {
            fragment = Some(String::from_utf8_lossy(&bytes).into_owned());
            break;
        }
    }
    let Some(fragment) = fragment else {
        return Ok(None);
    };
    let mut exec_start = last_exec_start(&fragment, None);
    let mut dropins: Vec<(std::ffi::OsString, PathBuf)> = Vec::new();
    for dir in UNIT_DIRS {
        let dir = Path::new(dir).join(format!("{TEMPLATE}.d"));
        for name in host.read_dir(&dir).ok().flatten().unwrap_or_default() {
            let seen = dropins.iter().any(|(known, _)| *known == name);
            if name.to_string_lossy().ends_with(".conf") && !seen {
                dropins.push((name.clone(), dir.join(&name)));
            }
        }
    }
    dropins.sort();
    for (_, path) in dropins {
        if let Some(bytes) = host.read_file(&path)? {
            exec_start = last_exec_start(&String::from_utf8_lossy(&bytes), exec_start);
        }
    }
    Ok(exec_start)
}

/// Apply a file's `ExecStart=` lines (in [Service]) to the current value.
fn last_exec_start(text: &str, mut current: Option<String>) -> Option<String> {
    let mut in_service = false;
    for line in text.lines().map(str::trim) {
        if line.starts_with('[') {
            in_service = line == "[Service]";
            continue;
        }
        if !in_service {
            continue;
        }
        if let Some(value) = line.strip_prefix("ExecStart=") {
            let value = value.trim();
            current = (!value.is_empty()).then(|| value.to_string());
        }
    }
    current
}

/// A flag as one word of a unit file command line.
fn quoted(flag: &str) -> String {
    let plain = !flag.is_empty()
        && !flag
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | ';'));
    if plain {
        return flag.to_string();
    }
    let escaped = flag.replace('\\', "\\\\").replace('"', "\\\"");
    format!("\"{escaped}\"")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Sandbox, TestResult};

    #[test]
    fn appends_to_the_templates_effective_command_line() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::create_dir_all(sandbox.real("/usr/lib/systemd/system"))?;
        std::fs::write(
            sandbox.real("/usr/lib/systemd/system/systemd-nspawn@.service"),
            "[Service]\nExecStart=systemd-nspawn --boot --machine=%i\n",
        )?;
        let host = sandbox.host(false);
        let flags = vec!["--bind=/srv".to_string(), "a b".to_string()];
        let (content, note) = dropin(&host, &flags)?;
        assert_eq!(
            content,
            "[Service]\nExecStart=\nExecStart=systemd-nspawn --boot --machine=%i --bind=/srv \"a b\"\n"
        );
        assert_eq!(note, None);

        std::fs::create_dir_all(sandbox.real("/etc/systemd/system/systemd-nspawn@.service.d"))?;
        std::fs::write(
            sandbox.real("/etc/systemd/system/systemd-nspawn@.service.d/override.conf"),
            "[Service]\nExecStart=\nExecStart=systemd-nspawn -b --network-bridge=br0 -M %i\n",
        )?;
        // Written behind the first host's back: a new host sees it (a host remembers
        // the disk between its own applies).
        let (content, _) = dropin(&sandbox.host(false), &["-q".to_string()])?;
        assert!(
            content.ends_with("ExecStart=systemd-nspawn -b --network-bridge=br0 -M %i -q\n"),
            "{content}"
        );
        Ok(())
    }

    #[test]
    fn without_the_template_systemd_252s_line_is_used() -> TestResult {
        let sandbox = Sandbox::new()?;
        let (content, note) = dropin(&sandbox.host(false), &[])?;
        assert!(content.contains(DEFAULT_EXEC_START));
        assert!(note.is_some());
        Ok(())
    }

    #[test]
    fn drop_in_paths_are_per_container() {
        assert_eq!(
            dropin_path("box"),
            Path::new("/etc/systemd/system/systemd-nspawn@box.service.d/exec-start.conf")
        );
    }
}
