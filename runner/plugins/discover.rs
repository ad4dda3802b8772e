//! Where plugin modules are looked for, first match wins: the role's `library/` (for
//! the role's own tasks), `library/` beside the playbook, then each folder of
//! `MACHINIST_LIBRARY` (colon separated, like PATH). A plugin is a file named exactly
//! after the module (letters, digits, `_` and `-`); NAME.yml beside it is its spec.

use super::Protocol;
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// Scripts larger than this are not searched for `WANT_JSON`.
const MAX_SCRIPT_BYTES: u64 = 16 * 1024 * 1024;

/// The folders searched for a task's plugins, in order.
pub fn library_dirs(playbook_dir: &Path, role_dir: Option<&Path>) -> Vec<PathBuf> {
    let mut dirs: Vec<PathBuf> = role_dir
        .map(|role| role.join("library"))
        .into_iter()
        .collect();
    let beside = playbook_dir.join("library");
    if !dirs.contains(&beside) {
        dirs.push(beside);
    }
    dirs.extend(env_dirs());
    dirs
}

/// The folders of `MACHINIST_LIBRARY`.
pub fn env_dirs() -> Vec<PathBuf> {
    std::env::var_os("MACHINIST_LIBRARY")
        .map(|paths| {
            std::env::split_paths(&paths)
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// Whether `name` can be a plugin's name (and so a file name without tricks).
pub fn is_plugin_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('-')
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
}

/// The first file named `name` in `dirs`: `Ok` if it is executable, `Err` with its
/// path if it is not (a forgotten `chmod +x` is an error, not a silent miss).
pub fn find(name: &str, dirs: &[PathBuf]) -> Option<Result<PathBuf, PathBuf>> {
    if !is_plugin_name(name) {
        return None;
    }
    dirs.iter().map(|dir| dir.join(name)).find_map(|path| {
        let meta = std::fs::metadata(&path).ok()?;
        if !meta.is_file() {
            return None;
        }
        Some(if meta.permissions().mode() & 0o111 != 0 {
            Ok(path)
        } else {
            Err(path)
        })
    })
}

/// Every plugin in `dirs` (name, executable), the first of each name, sorted by name.
pub fn all(dirs: &[PathBuf]) -> Vec<(String, PathBuf)> {
    let mut found: Vec<(String, PathBuf)> = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(|entry| entry.ok()?.file_name().into_string().ok())
            .filter(|name| is_plugin_name(name))
            .collect();
        names.sort();
        for name in names {
            if found.iter().any(|(n, _)| *n == name) {
                continue;
            }
            if let Some(Ok(path)) = find(&name, std::slice::from_ref(dir)) {
                found.push((name, path));
            }
        }
    }
    found.sort();
    found
}

/// Ansible's contract for non-Python modules: a script (`#!`) that contains the
/// word `WANT_JSON` gets an arguments file; anything else gets JSON on stdin.
pub fn protocol(path: &Path) -> std::io::Result<Protocol> {
    let mut bytes = Vec::new();
    crate::input::open_regular(path)
        .map_err(std::io::Error::other)?
        .take(MAX_SCRIPT_BYTES)
        .read_to_end(&mut bytes)?;
    let wants = bytes.starts_with(b"#!") && bytes.windows(9).any(|w| w == b"WANT_JSON");
    Ok(if wants {
        Protocol::WantJson
    } else {
        Protocol::Stdin
    })
}

/// NAME.yml (or NAME.yaml) beside the plugin, if there is one.
pub fn spec_file(plugin: &Path) -> Option<PathBuf> {
    ["yml", "yaml"]
        .iter()
        .map(|ext| plugin.with_extension(ext))
        .find(|path| path.is_file())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(dir: &Path, name: &str, text: &str, mode: u32) -> std::io::Result<PathBuf> {
        std::fs::create_dir_all(dir)?;
        let path = dir.join(name);
        std::fs::write(&path, text)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
        Ok(path)
    }

    #[test]
    fn first_folder_wins_and_non_executables_are_reported() -> Result<(), Box<dyn std::error::Error>>
    {
        let tmp = tempfile::tempdir()?;
        let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
        let in_b = file(&b, "m", "#!/bin/sh\n", 0o755)?;
        file(&b, "m.yml", "{}", 0o644)?;
        let dirs = [a.clone(), b.clone()];
        assert_eq!(find("m", &dirs), Some(Ok(in_b.clone())));
        let in_a = file(&a, "m", "#!/bin/sh\n", 0o644)?;
        assert_eq!(find("m", &dirs), Some(Err(in_a)));
        assert_eq!(find("m.yml", &dirs), None);
        assert_eq!(find("../b/m", &dirs), None);
        assert_eq!(all(&dirs), vec![("m".to_string(), in_b)]);
        Ok(())
    }

    #[test]
    fn want_json_scripts_are_recognised() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let ansible = file(tmp.path(), "a", "#!/bin/sh\n# WANT_JSON\n", 0o755)?;
        let plain = file(tmp.path(), "b", "#!/bin/sh\ncat\n", 0o755)?;
        let binary = file(tmp.path(), "c", "\x7fELF WANT_JSON", 0o755)?;
        assert_eq!(protocol(&ansible)?, Protocol::WantJson);
        assert_eq!(protocol(&plain)?, Protocol::Stdin);
        assert_eq!(protocol(&binary)?, Protocol::Stdin);
        Ok(())
    }

    #[test]
    fn role_library_comes_first_then_the_playbook() {
        let dirs = library_dirs(Path::new("/p"), Some(Path::new("/p/roles/r")));
        assert_eq!(dirs[0], Path::new("/p/roles/r/library"));
        assert_eq!(dirs[1], Path::new("/p/library"));
    }
}
