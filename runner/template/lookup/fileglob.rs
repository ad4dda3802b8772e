//! `fileglob`: the controller's files matching a pattern. A bare pattern (`*.conf`) is
//! tried in the role's and the playbook's folders (files/ first, then the folder) and
//! the first folder with matches wins; a pattern with a folder is tried in the first
//! place that folder is found, as Ansible searches. Only regular files are returned,
//! sorted (Python's glob returns them in directory order).

use std::path::{Path, PathBuf};

use minijinja::{Error, State, Value};

use super::super::filters::{invalid, text};
use super::{search_places, var_path};

pub(super) fn fileglob(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    let mut results = Vec::new();
    for term in terms {
        let term = text(term)?;
        let path = Path::new(&term);
        let file = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let folders: Vec<PathBuf> = match path.parent().filter(|p| !p.as_os_str().is_empty()) {
            Some(dir) => search_places(state, &dir.to_string_lossy(), "files")
                .into_iter()
                .find(|place| place.is_dir())
                .into_iter()
                .collect(),
            None => ["role_path", "playbook_dir"]
                .iter()
                .filter_map(|name| var_path(state, name))
                .flat_map(|base| [base.join("files"), base])
                .collect(),
        };
        for folder in folders {
            let found = matches(&folder, &file)?;
            if !found.is_empty() {
                results.extend(found.into_iter().map(Value::from));
                break;
            }
        }
    }
    Ok(results)
}

fn matches(folder: &Path, file: &str) -> Result<Vec<String>, Error> {
    let pattern = glob::Pattern::escape(&folder.to_string_lossy()) + "/" + file;
    let paths = glob::glob(&pattern)
        .map_err(|err| invalid(format!("lookup('fileglob', '{file}'): {err}")))?;
    let mut found: Vec<String> = paths
        .filter_map(Result::ok)
        .filter(|path| path.is_file())
        .map(|path| path.display().to_string())
        .collect();
    found.sort();
    Ok(found)
}
