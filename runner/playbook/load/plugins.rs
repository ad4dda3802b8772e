//! Module names → actions, plugins included. A task's module key is a built-in or a
//! runner action, `library.NAME` (always a plugin), or a plugin found in the task's
//! library folders (`plugins::discover`). A plugin with the name of a built-in is an
//! error unless the task writes `library.NAME`: nothing is shadowed silently. Each
//! plugin's NAME.yml is read once per load, its mistakes located in it.

use super::Loader;
use crate::error::{Diagnostic, InputError, Span};
use crate::playbook::model::{Action, Origin};
use crate::plugins::{discover, spec, Plugin, QUALIFIER};
use crate::yaml::{Key, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// What a task's module key names.
pub(super) enum Resolved {
    Action(Action),
    /// Nothing by that name: maybe a misspelt keyword.
    Unknown,
    /// Something by that name that cannot be used; the error is recorded.
    Refused,
}

impl Loader {
    /// The folders searched for plugins of tasks from `origin`.
    pub(super) fn plugin_dirs(&self, origin: &Origin) -> Vec<PathBuf> {
        let base = self.library_base.as_ref().unwrap_or(&self.playbook_dir);
        let role = origin.role.as_ref().map(|role| role.path.as_path());
        discover::library_dirs(base, role)
    }

    /// Whether `name` names a module for tasks from `origin` (no errors recorded).
    pub(super) fn is_module_name(&self, name: &str, origin: &Origin) -> bool {
        Action::from_name(name).is_some()
            || name.starts_with(QUALIFIER)
            || discover::find(name, &self.plugin_dirs(origin)).is_some()
    }

    /// The plugin names a misspelt module key may have meant.
    pub(super) fn plugin_names(&self, origin: &Origin) -> Vec<String> {
        discover::all(&self.plugin_dirs(origin))
            .into_iter()
            .map(|(name, _)| name)
            .collect()
    }

    /// [`Loader::plugin_dirs`], computed again only when the library base or the
    /// role changes.
    fn memo_plugin_dirs(&mut self, origin: &Origin) -> Arc<[PathBuf]> {
        let base = self.library_base.as_ref().unwrap_or(&self.playbook_dir);
        let role = origin.role.as_ref().map(|role| role.path.as_path());
        if let Some((memo_base, memo_role, dirs)) = &self.plugin_dirs_memo {
            if memo_base == base && memo_role.as_deref() == role {
                return dirs.clone();
            }
        }
        let dirs: Arc<[PathBuf]> = self.plugin_dirs(origin).into();
        let key = (base.clone(), role.map(Path::to_path_buf));
        self.plugin_dirs_memo = Some((key.0, key.1, dirs.clone()));
        dirs
    }

    pub(super) fn resolve_module(&mut self, key: &Key, origin: &Origin) -> Resolved {
        let dirs = self.memo_plugin_dirs(origin);
        let looked = || {
            let dirs: Vec<String> = dirs.iter().map(|d| d.display().to_string()).collect();
            dirs.join(", ")
        };
        if let Some(name) = key.name.strip_prefix(QUALIFIER) {
            return match self.find_plugin(name, &dirs) {
                Some(found) => self.plugin_found(name, found, &key.span),
                None => {
                    let message = format!("no plugin module '{name}'; looked in: {}", looked());
                    self.error(&key.span, message);
                    Resolved::Refused
                }
            };
        }
        let found = self.find_plugin(&key.name, &dirs);
        match (Action::from_name(&key.name), found) {
            (Some(action), None) => Resolved::Action(action),
            (Some(_), Some(Ok(path) | Err(path))) => {
                self.error(
                    &key.span,
                    format!(
                        "the plugin {} has the name of the built-in module '{}'; write '{QUALIFIER}{}' to run the plugin, or rename it",
                        path.display(),
                        key.name,
                        key.name
                    ),
                );
                Resolved::Refused
            }
            (None, Some(found)) => self.plugin_found(&key.name, found, &key.span),
            (None, None) => Resolved::Unknown,
        }
    }

    /// [`discover::find`], asked once per name and folders while loading.
    fn find_plugin(&mut self, name: &str, dirs: &[PathBuf]) -> super::PluginLookup {
        let known = self
            .plugin_lookups
            .get(dirs)
            .and_then(|found| found.get(name));
        if let Some(known) = known {
            return known.clone();
        }
        let found = discover::find(name, dirs);
        self.plugin_lookups
            .entry(dirs.to_vec())
            .or_default()
            .insert(name.to_string(), found.clone());
        found
    }

    fn plugin_found(
        &mut self,
        name: &str,
        found: Result<PathBuf, PathBuf>,
        site: &Span,
    ) -> Resolved {
        match found {
            Ok(path) => match self.load_plugin(name, &path, Some(site)) {
                Some(plugin) => Resolved::Action(Action::Plugin(plugin)),
                None => Resolved::Refused,
            },
            Err(path) => {
                let message = format!(
                    "the plugin {} is not executable (chmod +x it)",
                    path.display()
                );
                self.error(site, message);
                Resolved::Refused
            }
        }
    }

    /// The plugin at `path` with its spec; `None` once its errors are recorded.
    fn load_plugin(&mut self, name: &str, path: &Path, site: Option<&Span>) -> Option<Arc<Plugin>> {
        // Absolute: the plugin runs from `/` (or inside the target).
        let absolute = std::path::absolute(path);
        let path = absolute.as_deref().unwrap_or(path);
        if let Some(known) = self.plugins.get(path) {
            return known.clone();
        }
        let before = self.errors.len();
        let protocol = discover::protocol(path)
            .map_err(|err| {
                let message = format!("cannot read the plugin {}: {err}", path.display());
                self.errors.push(match site {
                    Some(span) => Diagnostic::at(span, message),
                    None => Diagnostic::bare(message),
                });
            })
            .ok();
        let spec = discover::spec_file(path).map(|file| {
            let doc = self
                .read_yaml(&file, site)
                .and_then(|docs| docs.into_iter().next())
                .filter(|doc| doc.value != Value::Null);
            spec::parse(&file, doc.as_ref(), &mut self.errors)
        });
        let plugin = match protocol {
            Some(protocol) if self.errors.len() == before => Some(Arc::new(Plugin {
                name: name.to_string(),
                path: path.to_path_buf(),
                spec,
                protocol,
            })),
            _ => None,
        };
        self.plugins.insert(path.to_path_buf(), plugin.clone());
        plugin
    }

    /// Load one plugin and its spec on its own (for `machinist doc`).
    pub fn plugin(mut self, name: &str, path: &Path) -> Result<Arc<Plugin>, InputError> {
        match self.load_plugin(name, path, None) {
            Some(plugin) => Ok(plugin),
            None => Err(InputError(self.errors)),
        }
    }

    /// Runtime includes: look for plugins beside the playbook in `dir` (the included
    /// file's own folder may be a role's).
    pub fn with_library_base(mut self, dir: PathBuf) -> Loader {
        self.library_base = Some(dir);
        self
    }
}
