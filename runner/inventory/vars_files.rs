//! `group_vars/` and `host_vars/` beside an inventory or a playbook, found as
//! ansible-core's host_group_vars plugin finds them (plugins/vars/host_group_vars.py,
//! DataLoader.find_vars_files): for a group or host NAME, the first of `NAME`,
//! `NAME.yml`, `NAME.yaml`, `NAME.json` that exists; a folder of that name gives all
//! its files (name order, subfolders too; hidden, `~` backups and other extensions
//! skipped), a later file's variables replacing an earlier one's. Files are read as
//! `vars_files` are, so vaulted files and `!vault` values work the same.

use crate::error::{Diagnostic, InputError, SourceMap, Span, SpanFile};
use crate::playbook::load::Loader;
use crate::yaml::Node;
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};

const EXTENSIONS: [&str; 4] = ["", ".yml", ".yaml", ".json"];

/// The names to look for.
pub struct Entities {
    pub groups: Vec<String>,
    pub hosts: Vec<String>,
}

/// The variables found in one folder's `group_vars/` and `host_vars/`.
#[derive(Debug, Default)]
pub struct VarsDir {
    groups: HashMap<String, Vec<(String, Node)>>,
    hosts: HashMap<String, Vec<(String, Node)>>,
}

impl VarsDir {
    pub fn group(&self, name: &str) -> &[(String, Node)] {
        self.groups.get(name).map_or(&[], Vec::as_slice)
    }

    pub fn host(&self, name: &str) -> &[(String, Node)] {
        self.hosts.get(name).map_or(&[], Vec::as_slice)
    }
}

pub fn read(dir: &Path, entities: &Entities, map: &SourceMap) -> Result<VarsDir, InputError> {
    let mut errors = Vec::new();
    let mut read_kind = |kind: &str, names: &[String]| {
        let mut found = HashMap::new();
        let folder = dir.join(kind);
        let Ok(listing) = std::fs::read_dir(&folder) else {
            return found;
        };
        let present: HashSet<String> = listing
            .filter_map(Result::ok)
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        for name in names {
            if name.starts_with('/') {
                continue;
            }
            let Some(first) = EXTENSIONS
                .iter()
                .map(|ext| format!("{name}{ext}"))
                .find(|candidate| present.contains(candidate))
            else {
                continue;
            };
            let path = folder.join(first);
            let files = match path.is_dir() {
                true => files_below(&path),
                false => vec![path],
            };
            let mut vars: Vec<(String, Node)> = Vec::new();
            for file in files {
                match read_file(&file, map) {
                    Ok(read) => {
                        for (var, value) in read {
                            vars.retain(|(known, _)| *known != var);
                            vars.push((var, value));
                        }
                    }
                    Err(InputError(diags)) => errors.extend(diags),
                }
            }
            if !vars.is_empty() {
                tracing::debug!(%name, folder = %folder.display(), "inventory variables");
                found.insert(name.clone(), vars);
            }
        }
        found
    };
    let groups = read_kind("group_vars", &entities.groups);
    let hosts = read_kind("host_vars", &entities.hosts);
    if errors.is_empty() {
        Ok(VarsDir { groups, hosts })
    } else {
        Err(InputError(errors))
    }
}

/// The variable files of a folder, in name order, subfolders (without an extension)
/// in their place.
fn files_below(dir: &Path) -> Vec<PathBuf> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|listing| {
            listing
                .filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    let mut files = Vec::new();
    for name in names {
        if name.starts_with('.') || name.ends_with('~') {
            continue;
        }
        let path = dir.join(&name);
        let extension = path
            .extension()
            .map(|e| format!(".{}", e.to_string_lossy()))
            .unwrap_or_default();
        if path.is_dir() {
            if extension.is_empty() {
                files.extend(files_below(&path));
            }
        } else if path.is_file() && EXTENSIONS.contains(&extension.as_str()) {
            files.push(path);
        }
    }
    files
}

fn read_file(path: &Path, map: &SourceMap) -> Result<Vec<(String, Node)>, InputError> {
    let site = Span {
        file: SpanFile::of(path),
        line: 1,
        col: 1,
        len: 1,
    };
    let extra = crate::vars::Layer::default();
    let loaded = Loader::new(map.clone(), &extra).vars_file(path, &site)?;
    if loaded.doc.is_some_and(|doc| {
        !matches!(
            doc.value,
            crate::yaml::Value::Map(_) | crate::yaml::Value::Null
        )
    }) {
        return Err(Diagnostic::at(&site, "a variables file holds a mapping").into());
    }
    Ok(loaded.vars)
}
