//! The `-i` sources, each read as ansible-core's inventory manager reads it: a comma
//! list (`web1,web2,`: a source that is no file and holds a comma), a folder (its
//! entries in name order, hidden ones, `group_vars`, `host_vars`, `vars_plugins` and
//! Ansible's ignored extensions skipped, subfolders read the same way), or a file:
//! YAML when its extension is `.yml`, `.yaml`, `.json` or none and it holds a mapping,
//! INI otherwise. What Ansible would hand to a plugin machinist has not (an inventory
//! script, a `plugin:` configuration, TOML) is refused with a clear error, never
//! skipped.

use super::data::{Data, UNGROUPED};
use super::{host_names, ini, yaml};
use crate::error::{Diagnostic, InputError, SourceMap};
use crate::yaml::{self as yaml_tree, Node, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Extensions ansible-core skips in an inventory folder (`INVENTORY_IGNORE_EXTS`).
const IGNORED_EXTENSIONS: [&str; 12] = [
    ".pyc", ".pyo", ".swp", ".bak", "~", ".rpm", ".md", ".txt", ".rst", ".orig", ".cfg", ".retry",
];
const IGNORED_NAMES: [&str; 3] = ["host_vars", "group_vars", "vars_plugins"];
const YAML_EXTENSIONS: [&str; 3] = [".yaml", ".yml", ".json"];

pub struct Loaded {
    pub data: Data,
    pub vars_dirs: Vec<PathBuf>,
    pub warnings: Vec<String>,
}

struct Reader<'a> {
    data: Data,
    warnings: Vec<String>,
    map: &'a SourceMap,
}

pub fn load(sources: &[String], map: &SourceMap) -> Result<Loaded, InputError> {
    let mut reader = Reader {
        data: Data::default(),
        warnings: Vec::new(),
        map,
    };
    let mut vars_dirs = Vec::new();
    for source in sources {
        let path = Path::new(source);
        if !path.exists() && source.contains(',') {
            reader.comma_list(source);
            continue;
        }
        let metadata = std::fs::metadata(path).map_err(|err| {
            Diagnostic::bare(format!(
                "-i {source}: {err} (an inventory is a file, a folder or a comma list such as `web1,web2,`)"
            ))
        })?;
        let absolute = std::path::absolute(path).unwrap_or_else(|_| path.to_path_buf());
        if metadata.is_dir() {
            reader.folder(&absolute)?;
            vars_dirs.push(absolute);
        } else {
            reader.file(&absolute)?;
            vars_dirs.push(absolute.parent().unwrap_or(Path::new("/")).to_path_buf());
        }
    }
    Ok(Loaded {
        data: reader.data,
        vars_dirs,
        warnings: reader.warnings,
    })
}

impl Reader<'_> {
    /// ansible-core's host_list plugin: each name (with an optional port), in
    /// `ungrouped`; ranges are not expanded here.
    fn comma_list(&mut self, list: &str) {
        for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
            let (host, port) = match host_names::split_port(name) {
                Some((host, port)) if !host.contains('[') => (host, port),
                _ => (name.to_string(), None),
            };
            if self.data.hosts.contains_key(&host) {
                continue;
            }
            self.data.add_host(&host, Some(UNGROUPED), None);
            if let Some(port) = port {
                let node = super::plain_node(Value::Int(port.into()), None);
                self.data.set_host_var(&host, "ansible_port", node);
            }
        }
    }

    fn folder(&mut self, dir: &Path) -> Result<(), InputError> {
        let read =
            |err: std::io::Error| Diagnostic::bare(format!("cannot read {}: {err}", dir.display()));
        let mut names: Vec<String> = std::fs::read_dir(dir)
            .map_err(read)?
            .map(|entry| entry.map(|e| e.file_name().to_string_lossy().into_owned()))
            .collect::<Result<_, _>>()
            .map_err(read)?;
        names.sort();
        for name in names {
            if name.starts_with('.')
                || IGNORED_NAMES.contains(&name.as_str())
                || IGNORED_EXTENSIONS.iter().any(|ext| name.ends_with(ext))
            {
                continue;
            }
            let path = dir.join(&name);
            if path.is_dir() {
                self.folder(&path)?;
            } else {
                self.file(&path)?;
            }
        }
        Ok(())
    }

    fn file(&mut self, path: &Path) -> Result<(), InputError> {
        let shown = path.display();
        let bytes = crate::input::read(path, crate::input::MAX_TEXT_BYTES)
            .map_err(|err| Diagnostic::bare(err.to_string()))?;
        if bytes.starts_with(b"#!") {
            return Err(InputError::from(Diagnostic::bare(format!(
                "{shown}: inventory scripts are not supported (this file starts with #!); \
                 write the inventory as INI or YAML"
            ))));
        }
        let extension = path
            .extension()
            .map(|ext| format!(".{}", ext.to_string_lossy()))
            .unwrap_or_default();
        if extension == ".toml" {
            return Err(InputError::from(Diagnostic::bare(format!(
                "{shown}: TOML inventories are not supported; write the inventory as INI or YAML"
            ))));
        }
        let mut text = String::from_utf8(bytes)
            .map_err(|_| Diagnostic::bare(format!("{shown}: an inventory is UTF-8 text")))?;
        if crate::vault::envelope::is_vaulted(text.as_bytes()) {
            text = crate::vault::decrypt(&text).map_err(|err| {
                Diagnostic::bare(format!(
                    "{shown}: cannot open this vaulted inventory: {err}"
                ))
            })?;
        }
        self.map.insert(path, Arc::from(text.as_str()));
        let yaml_like = extension.is_empty() || YAML_EXTENSIONS.contains(&extension.as_str());
        let mut yaml_error = None;
        if yaml_like {
            let file: Arc<Path> = Arc::from(path);
            match yaml_tree::parse(&file, &text) {
                Ok(docs) => match docs.into_iter().next() {
                    Some(
                        doc @ Node {
                            value: Value::Map(_),
                            ..
                        },
                    ) => {
                        tracing::debug!(file = %shown, "YAML inventory");
                        return yaml::read(&doc, path, &mut self.data, &mut self.warnings);
                    }
                    _ => {
                        yaml_error = Some(Diagnostic::bare(format!(
                            "{shown}: a YAML inventory is a mapping of groups (`all:`)"
                        )))
                    }
                },
                Err(diag) => yaml_error = Some(diag),
            }
        }
        match ini::read(&text, path, &mut self.data) {
            Ok(()) => {
                tracing::debug!(file = %shown, "INI inventory");
                Ok(())
            }
            // A file named as YAML that is neither: the YAML error says more.
            Err(diag) => Err(InputError::from(match yaml_error {
                Some(yaml_error) if extension.len() > 1 => yaml_error,
                _ => diag,
            })),
        }
    }
}
