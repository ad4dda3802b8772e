//! Where a task's `src:` and `template:` files are found: Ansible's search order,
//! the role's (or playbook's) `files/` or `templates/` folder first, then the folder
//! itself. Used both by validation (missing files stop the run before it starts) and
//! by the executor.

use super::model::Origin;
use std::path::{Path, PathBuf};

/// The kind of source a task names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SourceKind {
    File,
    Template,
    /// An `include_vars` file (the `vars/` folder).
    Vars,
}

impl SourceKind {
    fn folder(self) -> &'static str {
        match self {
            SourceKind::File => "files",
            SourceKind::Template => "templates",
            SourceKind::Vars => "vars",
        }
    }
}

/// The candidates for `name`, in the order they are tried.
pub fn candidates(origin: &Origin, task_file: &Path, kind: SourceKind, name: &str) -> Vec<PathBuf> {
    let path = Path::new(name);
    if path.is_absolute() {
        return vec![path.to_path_buf()];
    }
    let mut dirs = vec![origin.dir.join(kind.folder()), origin.dir.clone()];
    if let Some(dir) = task_file.parent() {
        for candidate in [dir.join(kind.folder()), dir.to_path_buf()] {
            if !dirs.contains(&candidate) {
                dirs.push(candidate);
            }
        }
    }
    dirs.into_iter().map(|dir| dir.join(path)).collect()
}

/// The first existing candidate, or an error listing every place looked.
pub fn find(
    origin: &Origin,
    task_file: &Path,
    kind: SourceKind,
    name: &str,
) -> Result<PathBuf, String> {
    let candidates = candidates(origin, task_file, kind, name);
    for candidate in &candidates {
        if let Some(special) = crate::input::special_kind(candidate) {
            return Err(format!(
                "{} is {special}, not a regular file; machinist refuses to read it",
                candidate.display()
            ));
        }
        // A directory is found too (copy copies it; its callers refuse it elsewhere).
        if candidate.is_file() || (kind == SourceKind::File && candidate.is_dir()) {
            return Ok(candidate.clone());
        }
    }
    if let Some(found) = candidates.iter().find(|p| p.is_file()) {
        return Ok(found.clone());
    }
    let looked: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
    Err(format!(
        "could not find {} '{name}'; looked in: {}",
        match kind {
            SourceKind::File => "file",
            SourceKind::Template => "template",
            SourceKind::Vars => "vars file",
        },
        looked.join(", ")
    ))
}

/// The refusal of a directory where only copy takes one.
pub fn not_a_file(path: &Path) -> String {
    format!(
        "{} is a directory: only copy copies a directory (src: DIR, or DIR/ for its contents)",
        path.display()
    )
}

/// The script a script task's command line names: its first word, unquoted as
/// Python's shlex.split does (`None`: no word, or quotes that do not close).
pub fn script_name(line: &str) -> Option<String> {
    machinist_modules::shell_words::split(line.trim())
        .ok()?
        .into_iter()
        .next()
        .filter(|word| !word.is_empty())
}
