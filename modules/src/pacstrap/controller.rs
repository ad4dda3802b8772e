//! What pacstrap and pacman need of the controller inside their jail (see
//! host/jail.rs), besides the root: the pacman.conf and the files it includes, the
//! local repositories it names (`Server = file:///…`), the controller's keyring and
//! mirror list (which pacstrap copies into a new root), its package cache, and what
//! downloading needs (DNS, CA certificates). Each is bound at its own path, read-only
//! but for the package cache.

use crate::host::ControllerPath;
use std::path::{Path, PathBuf};

/// What downloading from a mirror reads on the controller.
const NETWORK_FILES: &[&str] = &[
    "/etc/resolv.conf",
    "/etc/hosts",
    "/etc/nsswitch.conf",
    "/etc/ssl",
    "/etc/ca-certificates",
    "/etc/pki",
];

/// The controller's pacman folder: mirror list, keyring, included repository lists.
const PACMAN_DIR: &str = "/etc/pacman.d";
/// The controller's package cache (`host_cache: true`).
pub const HOST_CACHE: &str = "/var/cache/pacman/pkg";

/// The controller paths a jailed pacman reading `conf` needs.
pub fn for_pacman(conf: &Path) -> Vec<ControllerPath> {
    let mut paths: Vec<ControllerPath> = NETWORK_FILES
        .iter()
        .chain(&[PACMAN_DIR])
        .map(Path::new)
        .filter(|path| path.exists())
        .map(ControllerPath::read_only)
        .collect();
    let mut confs = vec![conf.to_path_buf()];
    let mut seen = Vec::new();
    while let Some(file) = confs.pop() {
        if seen.contains(&file) || seen.len() > 64 {
            continue;
        }
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue;
        };
        for (key, value) in settings(&text) {
            match key {
                "Include" => confs.push(PathBuf::from(value)),
                "Server" => {
                    if let Some(dir) = value.strip_prefix("file://") {
                        paths.push(ControllerPath::read_only(dir));
                    }
                }
                _ => {}
            }
        }
        seen.push(file);
    }
    paths.extend(seen.into_iter().map(ControllerPath::read_only));
    paths.retain(|bound| bound.path.is_absolute() && bound.path.exists());
    paths
}

/// `Key = value` lines of a pacman.conf.
fn settings(text: &str) -> impl Iterator<Item = (&str, &str)> {
    text.lines().filter_map(|line| {
        let (key, value) = line.split_once('=')?;
        Some((key.trim(), value.trim()))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn includes_and_local_servers_are_bound() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let repo = dir.path().join("repo");
        std::fs::create_dir(&repo)?;
        let list = dir.path().join("list");
        std::fs::write(&list, format!("Server = file://{}\n", repo.display()))?;
        let conf = dir.path().join("pacman.conf");
        std::fs::write(
            &conf,
            format!(
                "[core]\nInclude = {}\nServer = https://x/$repo\n",
                list.display()
            ),
        )?;
        let bound: Vec<PathBuf> = for_pacman(&conf).into_iter().map(|b| b.path).collect();
        for wanted in [&conf, &list, &repo] {
            assert!(bound.contains(wanted), "{wanted:?} not in {bound:?}");
        }
        assert!(!bound.iter().any(|path| path.ends_with("shadow")));
        Ok(())
    }
}
