//! Where roles are looked for, in order: `roles/` beside the playbook, each folder of
//! `MACHINIST_ROLES_PATH` (colon separated), then of Ansible's `ANSIBLE_ROLES_PATH`,
//! then of `roles_path` in ansible.cfg (runner/ansible_cfg.rs),
//! `~/.local/share/machinist/roles`, then `/usr/share/machinist/roles` (where an Arch
//! package installs shared roles).

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// ansible.cfg's `roles_path`, set once by the command before anything loads.
static CONFIGURED: OnceLock<Vec<PathBuf>> = OnceLock::new();

/// The folders ansible.cfg's `roles_path` names (the first call wins).
pub fn configure(dirs: Vec<PathBuf>) {
    let _ = CONFIGURED.set(dirs);
}

/// The folders searched for roles of a playbook in `playbook_dir`, in order.
pub fn role_dirs(playbook_dir: &Path) -> Vec<PathBuf> {
    let mut dirs = vec![playbook_dir.join("roles")];
    for variable in ["MACHINIST_ROLES_PATH", "ANSIBLE_ROLES_PATH"] {
        if let Some(paths) = std::env::var_os(variable) {
            dirs.extend(std::env::split_paths(&paths).filter(|p| !p.as_os_str().is_empty()));
        }
    }
    dirs.extend(CONFIGURED.get().into_iter().flatten().cloned());
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(Path::new(&home).join(".local/share/machinist/roles"));
    }
    dirs.push(PathBuf::from("/usr/share/machinist/roles"));
    dirs
}

/// The folder of role `name`: a path (absolute, or with a `/`, relative to the
/// playbook), or the first `DIR/name` of [`role_dirs`] that exists. The error lists
/// every place looked.
pub fn find_role(playbook_dir: &Path, name: &str) -> Result<PathBuf, Vec<PathBuf>> {
    if name.contains('/') {
        let path = playbook_dir.join(name);
        return if path.is_dir() {
            Ok(path)
        } else {
            Err(vec![path])
        };
    }
    let candidates: Vec<PathBuf> = role_dirs(playbook_dir)
        .into_iter()
        .map(|dir| dir.join(name))
        .collect();
    match candidates.iter().find(|p| p.is_dir()) {
        Some(found) => Ok(found.clone()),
        None => Err(candidates),
    }
}
