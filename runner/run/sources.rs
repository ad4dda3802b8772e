//! The runner's half of `file`, `copy`, `template` and `unit`: it reads `src:` from
//! files/ and renders `template:` from templates/ into `content`, so the module itself
//! only ever plans bytes (modules know nothing about templates or the controller's
//! folders).

use super::Executor;
use crate::playbook::model::Task;
use crate::sources::{find, SourceKind};
use crate::template::FileOptions;
use crate::vault::Opened;
use machinist_modules::Builtin;
use minijinja::Value;
use serde_json::{Map, Value as Json};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl Executor<'_> {
    pub(super) fn resolve_sources(
        &self,
        task: &Task,
        builtin: Builtin,
        args: &mut Map<String, Json>,
        ctx: &Value,
    ) -> Result<(), String> {
        if !builtin.reads_sources() {
            return Ok(());
        }
        if builtin == Builtin::Copy {
            // ansible-core's copy writes a list or mapping `content` as JSON.
            if let Some(content @ (Json::Array(_) | Json::Object(_))) = args.get_mut("content") {
                *content = Json::String(crate::template::json_dumps(content));
            }
        }
        if builtin == Builtin::Template {
            if let Some(src) = args.remove("src") {
                args.insert("template".into(), src);
            }
        }
        let options = FileOptions {
            trim_blocks: take_bool(args, "trim_blocks").unwrap_or(true),
            lstrip_blocks: take_bool(args, "lstrip_blocks").unwrap_or(false),
        };
        if let Some(name) = args.remove("template") {
            let name = text(&name, "template")?;
            let (path, source) = self.controller_file(task, SourceKind::Template, &name)?;
            let rendered = self
                .templates
                .render_file(&path.display().to_string(), &source.text, ctx, options)
                .map_err(|err| self.located(&task.span, err.to_string()))?;
            // A vaulted template's rendering is a secret too.
            args.insert("content".into(), Json::String(source.derive(rendered)));
            return Ok(());
        }
        let links = matches!(
            args.get("state").and_then(Json::as_str),
            Some("link") | Some("hard")
        );
        if links {
            return Ok(());
        }
        let Some(src) = args.remove("src") else {
            return Ok(());
        };
        let name = text(&src, "src")?;
        let (_, content) = self.controller_file(task, SourceKind::File, &name)?;
        args.insert("content".into(), Json::String(content.text.clone()));
        let dest_key = ["dest", "path", "name"]
            .into_iter()
            .find(|k| args.contains_key(*k));
        if let Some(Json::String(dest)) = dest_key.and_then(|k| args.get_mut(k)) {
            if dest.ends_with('/') {
                let base = std::path::Path::new(&name)
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_default();
                dest.push_str(&base);
            }
        }
        Ok(())
    }
}

impl Executor<'_> {
    /// A `src:`/`template:` file of the playbook or role, found and read once per run
    /// (the controller's files do not change while it runs).
    fn controller_file(
        &self,
        task: &Task,
        kind: SourceKind,
        name: &str,
    ) -> Result<(PathBuf, Arc<Opened>), String> {
        let key = SourceKey {
            kind,
            origin: task.origin.dir.clone(),
            beside: task.span.file.parent().map(Path::to_path_buf),
            name: name.to_string(),
        };
        if let Some(found) = self.controller_files.borrow().get(&key) {
            return found.clone();
        }
        let found = find(&task.origin, &task.span.file, kind, name)
            .map_err(|msg| self.located(&task.span, msg))
            .and_then(|path| {
                let limit = match kind {
                    SourceKind::Template => crate::input::MAX_TEXT_BYTES,
                    SourceKind::File => crate::input::MAX_SOURCE_BYTES,
                };
                let bytes = crate::input::read(&path, limit)
                    .map_err(|err| self.located(&task.span, err.to_string()))?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    format!(
                        "{}: binary files cannot be copied yet (only UTF-8 text)",
                        path.display()
                    )
                })?;
                // A vaulted source is copied or rendered decrypted, as Ansible's.
                let opened = crate::vault::open_if_vaulted(text).map_err(|err| {
                    self.located(&task.span, format!("{}: {err}", path.display()))
                })?;
                Ok((path, Arc::new(opened)))
            });
        self.controller_files
            .borrow_mut()
            .insert(key, found.clone());
        found
    }
}

/// What identifies a controller file lookup.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct SourceKey {
    kind: SourceKind,
    origin: PathBuf,
    beside: Option<PathBuf>,
    name: String,
}

/// Controller files found and read in this run.
pub(super) type ControllerFiles =
    RefCell<HashMap<SourceKey, Result<(PathBuf, Arc<Opened>), String>>>;

fn take_bool(args: &mut Map<String, Json>, key: &str) -> Option<bool> {
    args.remove(key).and_then(|v| v.as_bool())
}

fn text(value: &Json, what: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{what} must be a file name"))
}
