//! `include_vars`: the variables of a YAML file of the controller, read when the task
//! runs, so its name may be templated with facts (`"{{ ansible_facts.os_family }}.yml"`,
//! the way real roles pick their per-distribution variables). The file is found as
//! Ansible finds it: the role's (or the playbook's) `vars/` folder, that folder itself,
//! then beside the task file. Its variables stay lazy (a value that is a template is
//! rendered where it is used) and sit with the facts, above task vars and below role
//! parameters and extra vars; `name:` puts them all under one variable instead.
//! `dir:` reads a folder instead, as Ansible's walk does: every file below it (to
//! `depth`), folders and files in name order, later files over earlier, filtered by
//! `files_matching`, `ignore_files` and `extensions`. Ansible's `hash_behaviour` is
//! refused at load (an unknown argument), never ignored.

use super::outcome::Outcome;
use super::step::{located, Step};
use crate::playbook::load::{Loader, VarsFile};
use crate::playbook::sources::{find, SourceKind};
use crate::vars::Layer;
use crate::yaml::Node;
use serde_json::Value as Json;
use std::path::{Path, PathBuf};

impl Step<'_> {
    pub(super) fn include_vars(&mut self, args: &Node) -> Outcome {
        let task = self.task;
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let files = match (rendered.get("file"), rendered.get("dir")) {
            (Some(_), Some(_)) => {
                return Outcome::failed(located(
                    &task.span,
                    "You are mixing file only and dir only arguments, these are incompatible"
                        .into(),
                ))
            }
            (None, Some(Json::String(dir))) => match self.vars_dir_files(dir, &rendered) {
                Ok(files) => files,
                Err(msg) => return Outcome::failed(located(&task.span, msg)),
            },
            (Some(Json::String(file)), None) => {
                match find(&task.origin, &task.span.file, SourceKind::Vars, file) {
                    Ok(path) => vec![path],
                    Err(msg) => return Outcome::failed(located(&task.span, msg)),
                }
            }
            _ => {
                return Outcome::failed(located(
                    &task.span,
                    "include_vars needs a file (`include_vars: NAME.yml`, `file: NAME.yml`) \
                     or a folder (`dir: NAME`)"
                        .into(),
                ))
            }
        };
        let mut vars: Vec<(String, Node)> = Vec::new();
        for path in &files {
            let loader = Loader::new(self.shared.sources.clone(), self.shared.extra_vars);
            let VarsFile { vars: more, .. } = match loader.vars_file(path, &task.span) {
                Ok(loaded) => loaded,
                Err(err) => return Outcome::failed(err.to_string()),
            };
            // As Python's dict.update: a name seen before keeps its place.
            for (name, node) in more {
                match vars.iter_mut().find(|(known, _)| *known == name) {
                    Some(slot) => slot.1 = node,
                    None => vars.push((name, node)),
                }
            }
        }
        let (layer, facts) = match rendered.get("name") {
            Some(Json::String(name)) => {
                let doc = Node {
                    value: crate::yaml::Value::Map(
                        vars.iter()
                            .map(|(key, node)| {
                                let key = crate::yaml::Key::new(key.as_str(), node.span.clone());
                                (key, node.clone())
                            })
                            .collect(),
                    ),
                    span: task.span.clone(),
                };
                let facts = serde_json::json!({ name.as_str(): doc.to_json() });
                (Layer::from_nodes(&[(name.clone(), doc)]), facts)
            }
            Some(other) => {
                return Outcome::failed(located(
                    &task.span,
                    format!("include_vars: 'name' is a variable name, found {other}"),
                ))
            }
            None => {
                let facts: serde_json::Map<String, Json> = vars
                    .iter()
                    .map(|(name, node)| (name.clone(), node.to_json()))
                    .collect();
                (Layer::from_nodes(&vars), Json::Object(facts))
            }
        };
        tracing::debug!(files = ?files, "include_vars");
        self.set_facts(&layer);
        let mut outcome = Outcome::ok();
        outcome.data.insert("ansible_facts".into(), facts);
        let included = files
            .into_iter()
            .map(|path| {
                Json::String(
                    std::path::absolute(&path)
                        .unwrap_or(path)
                        .display()
                        .to_string(),
                )
            })
            .collect();
        outcome
            .data
            .insert("ansible_included_var_files".into(), Json::Array(included));
        outcome
    }

    /// The files `dir:` reads, in Ansible's order. In a role the folder is below its
    /// vars/ (`vars/…` names it from the role's folder); in a playbook it is beside the
    /// task's file.
    fn vars_dir_files(
        &self,
        dir: &str,
        args: &serde_json::Map<String, Json>,
    ) -> Result<Vec<PathBuf>, String> {
        let task = self.task;
        let dir = match (&task.origin.role, Path::new(dir)) {
            (_, path) if path.is_absolute() => path.to_path_buf(),
            (Some(_), path) if dir.split('/').next() == Some("vars") => task.origin.dir.join(path),
            (Some(_), path) => task.origin.dir.join("vars").join(path),
            (None, path) => task.span.file.parent().unwrap_or(Path::new(".")).join(path),
        };
        if !dir.exists() {
            return Err(format!("{} directory does not exist", dir.display()));
        }
        if !dir.is_dir() {
            return Err(format!("{} is not a directory", dir.display()));
        }
        let options = DirOptions::of(args)?;
        let mut folders = Vec::new();
        walk(&dir, &mut folders);
        folders.sort_by(|a, b| a.0.as_os_str().cmp(b.0.as_os_str()));
        let mut files = Vec::new();
        for (folder, mut names) in folders {
            let depth = folder
                .strip_prefix(&dir)
                .map_or(0, |rel| rel.components().count())
                + 1;
            if options.depth != 0 && depth > options.depth {
                continue;
            }
            names.sort();
            for name in names {
                if options.skipped(&name) {
                    continue;
                }
                if !options.extension_known(&name) {
                    if options.ignore_unknown_extensions {
                        continue;
                    }
                    return Err(format!(
                        "{} does not have a valid extension: {}",
                        folder.join(&name).display(),
                        options.extensions.join(", ")
                    ));
                }
                files.push(folder.join(name));
            }
        }
        Ok(files)
    }
}

/// `dir:`'s filters, as Ansible's include_vars reads them.
struct DirOptions {
    depth: usize,
    files_matching: Option<regex::bytes::Regex>,
    ignore_files: Vec<regex::bytes::Regex>,
    extensions: Vec<String>,
    ignore_unknown_extensions: bool,
}

impl DirOptions {
    fn of(args: &serde_json::Map<String, Json>) -> Result<DirOptions, String> {
        let regex = |pattern: &str| {
            machinist_modules::pyregex::compile(pattern, false)
                .map_err(|err| format!("Invalid regular expression: {pattern}: {err}"))
        };
        let list = |key: &str| -> Vec<String> {
            match args.get(key) {
                Some(Json::Array(items)) => items
                    .iter()
                    .map(|item| {
                        item.as_str()
                            .map_or_else(|| item.to_string(), str::to_string)
                    })
                    .collect(),
                Some(Json::String(one)) => vec![one.clone()],
                _ => Vec::new(),
            }
        };
        let depth = match args.get("depth") {
            None | Some(Json::Null) => 0,
            Some(value) => value
                .as_u64()
                .or_else(|| value.as_str().and_then(|s| s.parse().ok()))
                .ok_or_else(|| format!("include_vars: depth must be a number, not {value}"))?
                as usize,
        };
        let mut extensions = list("extensions");
        if extensions.is_empty() {
            extensions = ["json", "yaml", "yml"].map(String::from).to_vec();
        }
        Ok(DirOptions {
            depth,
            files_matching: args
                .get("files_matching")
                .and_then(Json::as_str)
                .map(regex)
                .transpose()?,
            ignore_files: list("ignore_files")
                .iter()
                .map(|pattern| regex(&format!("{pattern}$")))
                .collect::<Result<_, _>>()?,
            extensions,
            ignore_unknown_extensions: args
                .get("ignore_unknown_extensions")
                .is_some_and(|v| v == &Json::Bool(true)),
        })
    }

    fn skipped(&self, name: &str) -> bool {
        self.files_matching
            .as_ref()
            .is_some_and(|re| !re.is_match(name.as_bytes()))
            || self
                .ignore_files
                .iter()
                .any(|re| re.is_match(name.as_bytes()))
    }

    fn extension_known(&self, name: &str) -> bool {
        Path::new(name)
            .extension()
            .and_then(|ext| ext.to_str())
            .is_some_and(|ext| self.extensions.iter().any(|known| known == ext))
    }
}

/// Every folder below `dir` (symlinks followed, as Ansible's walk) with its files; a
/// folder reached again through a link is read once (a link to a parent is no loop).
fn walk(dir: &Path, found: &mut Vec<(PathBuf, Vec<String>)>) {
    walk_once(dir, found, &mut std::collections::HashSet::new());
}

fn walk_once(
    dir: &Path,
    found: &mut Vec<(PathBuf, Vec<String>)>,
    seen: &mut std::collections::HashSet<(u64, u64)>,
) {
    use std::os::unix::fs::MetadataExt;
    let Ok(meta) = std::fs::metadata(dir) else {
        return;
    };
    if !seen.insert((meta.dev(), meta.ino())) {
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files = Vec::new();
    let mut folders = Vec::new();
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            folders.push(path);
        } else if let Some(name) = entry.file_name().to_str() {
            files.push(name.to_string());
        }
    }
    found.push((dir.to_path_buf(), files));
    for folder in folders {
        walk_once(&folder, found, seen);
    }
}
