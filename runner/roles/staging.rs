//! Atomic installs into a roles folder. A role is built in a `.machinist-tmp-*` folder
//! beside its destination and renamed into place (an atomic exchange when it replaces
//! one), so a role folder is always whole: the old role or the new one. The role search
//! never looks at dot-folders, and an install holds an exclusive lock on the roles
//! folder while it works, so every temp folder it finds there was left by an install
//! that died, and is removed.

use super::error::RoleError;
use rustix::fs::{FlockOperation, RenameFlags, CWD};
use std::fs::File;
use std::path::{Path, PathBuf};

pub const TEMP_PREFIX: &str = ".machinist-tmp-";
const LOCK_NAME: &str = ".machinist-install-lock";

/// A roles folder locked for installing.
pub struct RolesDir {
    path: PathBuf,
    _lock: File,
    next: u32,
}

/// A temp folder in a roles folder, removed when dropped unless it was moved in place.
pub struct Staging {
    pub path: PathBuf,
}

impl Drop for Staging {
    fn drop(&mut self) {
        remove(&self.path);
    }
}

fn remove(path: &Path) {
    if path.is_dir() && !path.is_symlink() {
        let _ = std::fs::remove_dir_all(path);
    } else {
        let _ = std::fs::remove_file(path);
    }
}

impl RolesDir {
    /// Create and lock `path`, waiting for another install into it to finish
    /// (`waiting` is told first), then remove what interrupted installs left there.
    /// Returns the folder and the leftovers it removed.
    pub fn open(
        path: &Path,
        waiting: &mut dyn FnMut(),
    ) -> Result<(RolesDir, Vec<PathBuf>), RoleError> {
        std::fs::create_dir_all(path).map_err(RoleError::io(path))?;
        let lock_path = path.join(LOCK_NAME);
        let lock = File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(RoleError::io(&lock_path))?;
        if rustix::fs::flock(&lock, FlockOperation::NonBlockingLockExclusive).is_err() {
            waiting();
            rustix::fs::flock(&lock, FlockOperation::LockExclusive)
                .map_err(|e| RoleError::io(&lock_path)(e.into()))?;
        }
        let mut stale = Vec::new();
        for entry in std::fs::read_dir(path).map_err(RoleError::io(path))? {
            let entry = entry.map_err(RoleError::io(path))?;
            if entry.file_name().to_string_lossy().starts_with(TEMP_PREFIX) {
                remove(&entry.path());
                stale.push(entry.path());
            }
        }
        stale.sort();
        Ok((
            RolesDir {
                path: path.to_path_buf(),
                _lock: lock,
                next: 0,
            },
            stale,
        ))
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// A fresh temp path (not created) for building role `name`.
    pub fn staging(&mut self, name: &str) -> Staging {
        self.next += 1;
        let path = self.path.join(format!(
            "{TEMP_PREFIX}{name}-{}-{}",
            std::process::id(),
            self.next
        ));
        remove(&path);
        Staging { path }
    }

    /// Move `built` (inside a staging folder or one itself) to `name`, atomically
    /// replacing what is there.
    pub fn replace(&self, built: &Path, name: &str) -> Result<(), RoleError> {
        replace(built, &self.path.join(name))
    }
}

/// Move the folder `built` to `dest`, replacing what is there in one atomic exchange
/// (where the filesystem has `RENAME_EXCHANGE`). The old content is removed after.
pub fn replace(built: &Path, dest: &Path) -> Result<(), RoleError> {
    if std::fs::symlink_metadata(dest).is_err() {
        return std::fs::rename(built, dest).map_err(RoleError::io(dest));
    }
    if rustix::fs::renameat_with(CWD, built, CWD, dest, RenameFlags::EXCHANGE).is_ok() {
        remove(built);
        return Ok(());
    }
    // No RENAME_EXCHANGE here: move the old folder aside first. An interruption between
    // the two renames leaves no folder, never half of one.
    let name = dest
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let aside = Staging {
        path: dest.with_file_name(format!("{TEMP_PREFIX}{name}-{}-old", std::process::id())),
    };
    remove(&aside.path);
    std::fs::rename(dest, &aside.path).map_err(RoleError::io(dest))?;
    std::fs::rename(built, dest).map_err(RoleError::io(dest))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_whole_roles_and_cleans_leftovers() {
        let dir = tempfile::tempdir().unwrap();
        let roles = dir.path().join("roles");
        std::fs::create_dir_all(roles.join(".machinist-tmp-web-1-1/tasks")).unwrap();
        let (mut rd, stale) = RolesDir::open(&roles, &mut || {}).unwrap();
        assert_eq!(stale, [roles.join(".machinist-tmp-web-1-1")]);
        for content in ["one", "two"] {
            let staging = rd.staging("web");
            std::fs::create_dir(&staging.path).unwrap();
            std::fs::write(staging.path.join("f"), content).unwrap();
            rd.replace(&staging.path, "web").unwrap();
        }
        assert_eq!(std::fs::read_to_string(roles.join("web/f")).unwrap(), "two");
        let mut left: Vec<_> = std::fs::read_dir(&roles)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        left.sort();
        assert_eq!(left, [".machinist-install-lock", "web"]);
    }
}
