//! Getting a role's files out of a tarball (the real `tar`) or a local folder (a copy),
//! and the digests that pin them: the sha256 of the tarball, or of the folder's tree.

use super::error::RoleError;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn hash_file(hasher: &mut Sha256, path: &Path) -> Result<(), RoleError> {
    let mut file = std::fs::File::open(path).map_err(RoleError::io(path))?;
    let mut buf = vec![0; 64 * 1024];
    loop {
        let n = file.read(&mut buf).map_err(RoleError::io(path))?;
        if n == 0 {
            return Ok(());
        }
        hasher.update(&buf[..n]);
    }
}

/// The sha256 of a file, in hex.
pub fn sha256_file(path: &Path) -> Result<String, RoleError> {
    let mut hasher = Sha256::new();
    hash_file(&mut hasher, path)?;
    Ok(hex(&hasher.finalize()))
}

/// The entries of `dir` in name order, without `.git` and install records.
fn entries(dir: &Path) -> Result<Vec<PathBuf>, RoleError> {
    let mut names = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(RoleError::io(dir))? {
        let entry = entry.map_err(RoleError::io(dir))?;
        let name = entry.file_name();
        if name != ".git" && name != super::lockfile::RECORD_FILE {
            names.push(entry.path());
        }
    }
    names.sort();
    Ok(names)
}

/// The sha256 of a folder's tree: every path (sorted), its kind, whether it is
/// executable, and its content or link target. `.git` is left out.
pub fn tree_sha256(dir: &Path) -> Result<String, RoleError> {
    let mut hasher = Sha256::new();
    hash_tree(&mut hasher, dir, dir)?;
    Ok(hex(&hasher.finalize()))
}

fn hash_tree(hasher: &mut Sha256, root: &Path, dir: &Path) -> Result<(), RoleError> {
    for path in entries(dir)? {
        let meta = std::fs::symlink_metadata(&path).map_err(RoleError::io(&path))?;
        let rel = path.strip_prefix(root).unwrap_or(&path);
        hasher.update(rel.as_os_str().as_encoded_bytes());
        if meta.is_dir() {
            hasher.update(b"\0dir\0");
            hash_tree(hasher, root, &path)?;
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(RoleError::io(&path))?;
            hasher.update(b"\0link\0");
            hasher.update(target.as_os_str().as_encoded_bytes());
        } else if meta.is_file() {
            let exec = meta.permissions().mode() & 0o111 != 0;
            hasher.update(if exec {
                &b"\0exec\0"[..]
            } else {
                &b"\0file\0"[..]
            });
            hasher.update(meta.len().to_le_bytes());
            hash_file(hasher, &path)?;
        }
        hasher.update(b"\0");
    }
    Ok(())
}

/// Copy a folder's files, links and modes into `dest` (created), without `.git`.
pub fn copy_dir(src: &Path, dest: &Path) -> Result<(), RoleError> {
    std::fs::create_dir(dest).map_err(RoleError::io(dest))?;
    for path in entries(src)? {
        let Some(name) = path.file_name() else {
            continue;
        };
        let to = dest.join(name);
        let meta = std::fs::symlink_metadata(&path).map_err(RoleError::io(&path))?;
        if meta.is_dir() {
            copy_dir(&path, &to)?;
        } else if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).map_err(RoleError::io(&path))?;
            std::os::unix::fs::symlink(target, &to).map_err(RoleError::io(&to))?;
        } else if meta.is_file() {
            std::fs::copy(&path, &to).map_err(RoleError::io(&to))?;
        }
    }
    let mode = std::fs::metadata(src)
        .map_err(RoleError::io(src))?
        .permissions();
    std::fs::set_permissions(dest, mode).map_err(RoleError::io(dest))
}

/// Extract `archive` into `dest` (created) with the real `tar`, which refuses members
/// that climb out with `..`. Returns the role's folder: `dest`, or its only child when
/// the archive wraps everything in one top folder (as GitHub's archives do).
pub fn extract(archive: &Path, dest: &Path) -> Result<PathBuf, RoleError> {
    std::fs::create_dir(dest).map_err(RoleError::io(dest))?;
    let output = Command::new("tar")
        .arg("-xf")
        .arg(archive)
        .arg("-C")
        .arg(dest)
        .arg("--no-same-owner")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| RoleError::Tar {
            archive: archive.to_path_buf(),
            status: "not run".into(),
            stderr: format!("cannot run tar: {err}"),
        })?;
    if !output.status.success() {
        return Err(RoleError::Tar {
            archive: archive.to_path_buf(),
            status: output.status.to_string(),
            stderr: String::from_utf8_lossy(&output.stderr).trim().to_string(),
        });
    }
    let top = entries(dest)?;
    match top.as_slice() {
        [only] if only.is_dir() && !only.is_symlink() && !is_role_folder(only) => Ok(only.clone()),
        _ => Ok(dest.to_path_buf()),
    }
}

/// Whether `path` is named like one of the folders of a role (so it is not a wrapper).
fn is_role_folder(path: &Path) -> bool {
    path.file_name()
        .is_some_and(|n| n == "tests" || super::ROLE_FOLDERS.iter().any(|f| n == *f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_digest_sees_content_and_exec_bits_but_not_git() {
        let dir = tempfile::tempdir().unwrap();
        let role = dir.path().join("r");
        std::fs::create_dir_all(role.join("tasks")).unwrap();
        std::fs::write(role.join("tasks/main.yml"), "- debug: msg=x\n").unwrap();
        let first = tree_sha256(&role).unwrap();
        std::fs::create_dir(role.join(".git")).unwrap();
        std::fs::write(role.join(".git/HEAD"), "x").unwrap();
        assert_eq!(tree_sha256(&role).unwrap(), first);
        std::fs::set_permissions(
            role.join("tasks/main.yml"),
            std::fs::Permissions::from_mode(0o755),
        )
        .unwrap();
        assert_ne!(tree_sha256(&role).unwrap(), first);
        copy_dir(&role, &dir.path().join("copy")).unwrap();
        assert_eq!(
            tree_sha256(&dir.path().join("copy")).unwrap(),
            tree_sha256(&role).unwrap()
        );
        assert!(!dir.path().join("copy/.git").exists());
    }
}
