//! `machinist role list`: every role in the role search path (or the folders given),
//! with the version, commit and source its install record gives, and which roles an
//! earlier folder hides (the search takes the first `DIR/NAME` that exists).

use super::lockfile::{self as lock, Pinned};
use std::path::{Path, PathBuf};

/// One role folder.
#[derive(Debug)]
pub struct Listed {
    pub name: String,
    pub path: PathBuf,
    /// Its install record: `Ok(None)` when machinist did not install it.
    pub record: Result<Option<Pinned>, String>,
    /// The role of the same name the search finds first, if not this one.
    pub shadowed_by: Option<PathBuf>,
}

/// The roles of one folder of the search path.
#[derive(Debug)]
pub struct Folder {
    pub dir: PathBuf,
    pub roles: Vec<Listed>,
}

/// The roles in `dirs`, in search order; folders that do not exist are left out.
pub fn list(dirs: &[PathBuf]) -> Vec<Folder> {
    let mut seen: Vec<(String, PathBuf)> = Vec::new();
    let mut folders = Vec::new();
    for dir in dirs {
        let Ok(entries) = std::fs::read_dir(dir) else {
            continue;
        };
        let mut names: Vec<String> = entries
            .filter_map(Result::ok)
            .filter(|e| e.path().is_dir())
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .filter(|n| !n.starts_with('.'))
            .collect();
        names.sort();
        let roles = names
            .into_iter()
            .map(|name| {
                let path = dir.join(&name);
                let shadowed_by = seen
                    .iter()
                    .find(|(n, _)| *n == name)
                    .map(|(_, p)| p.clone());
                if shadowed_by.is_none() {
                    seen.push((name.clone(), path.clone()));
                }
                Listed {
                    record: lock::read_record(&path),
                    name,
                    path,
                    shadowed_by,
                }
            })
            .collect();
        folders.push(Folder {
            dir: dir.clone(),
            roles,
        });
    }
    folders
}

/// The folders `role list` shows: `given`, or the search path of `cwd`.
pub fn dirs(given: &[PathBuf], cwd: &Path) -> Vec<PathBuf> {
    if given.is_empty() {
        super::search::role_dirs(cwd)
    } else {
        given.to_vec()
    }
}
