//! The runner's half of `file`, `copy`, `template` and `unit`: it finds `src:` in
//! files/ and renders `template:` from templates/ into `content`, so the module itself
//! only ever plans bytes (modules know nothing about templates or the controller's
//! folders). A copy's `src:` is handed over as the path it was found at
//! (`_copy_from`): the module streams it, never whole in memory, binary or not; a
//! directory is walked (sources/tree.rs) into `_copy_tree`. With `remote_src` copy's
//! `src:` is left as written: a path on the target, which the module reads there.
//! script's file (its line's first word) is found as copy's `src` and handed over
//! as `_script_from`.

mod tree;

use super::step::{located, Step};
use crate::playbook::model::Task;
use crate::playbook::sources::{find, script_name, SourceKind};
use crate::template::FileOptions;
use crate::vault::Opened;
use machinist_modules::Builtin;
use minijinja::Value;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

impl Step<'_> {
    pub(super) fn resolve_sources(
        &self,
        builtin: Builtin,
        args: &mut Map<String, Json>,
    ) -> Result<(), String> {
        let (task, ctx) = (self.task, self.ctx);
        if builtin == Builtin::Unarchive {
            return self.resolve_archive(task, args);
        }
        if builtin == Builtin::Script {
            return self.resolve_script(task, args);
        }
        if builtin == Builtin::Synchronize {
            return self.resolve_tree(task, args);
        }
        if !builtin.reads_sources() {
            return Ok(());
        }
        // Only this function sets it (a task's own, templated in, names no file).
        for runner_arg in ["_copy_from", machinist_modules::file::RUNNER_TREE_ARG] {
            if args.remove(runner_arg).is_some() {
                return Err(located(
                    &task.span,
                    format!("unknown argument '{runner_arg}'"),
                ));
            }
        }
        // Ansible's copy follows the source's links (local_follow, default yes), or
        // with local_follow: false copies them as links (a copied directory's).
        let local_follow = match args.remove("local_follow") {
            None => true,
            Some(_) if builtin != Builtin::Copy => {
                return Err(located(
                    &task.span,
                    format!("{} takes no local_follow (copy's)", builtin.name()),
                ));
            }
            Some(follow) => truthy(&follow),
        };
        // copy's `remote_src`: src is a path on the target, which the module reads
        // there (through its Host, in the agent over a connection): nothing to find.
        if let Some(remote) = args.remove("remote_src") {
            if builtin != Builtin::Copy {
                return Err(located(
                    &task.span,
                    format!("{} takes no remote_src (copy's)", builtin.name()),
                ));
            }
            if truthy(&remote) {
                if !local_follow {
                    return Err(located(
                        &task.span,
                        "local_follow: false with remote_src is not supported: a symlink inside a remote_src directory is refused".into(),
                    ));
                }
                args.insert("remote_src".into(), Json::Bool(true));
                return Ok(());
            }
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
        let newline_sequence = match args.remove("newline_sequence") {
            None => "\n",
            Some(value) => value
                .as_str()
                .and_then(crate::template::newline_sequence)
                .ok_or_else(|| {
                    located(
                        &task.span,
                        format!("newline_sequence must be '\\n', '\\r' or '\\r\\n', not {value}"),
                    )
                })?,
        };
        let options = FileOptions {
            trim_blocks: take_bool(args, "trim_blocks").unwrap_or(true),
            lstrip_blocks: take_bool(args, "lstrip_blocks").unwrap_or(false),
            newline_sequence,
        };
        if let Some(name) = args.remove("template") {
            let name = text(&name, "template")?;
            let (path, source) = self.controller_file(task, SourceKind::Template, &name)?;
            preserve_mode(args, &path);
            let ctx = with_template_vars(ctx, &path, args);
            let rendered = self
                .templates()
                .render_file(&path.display().to_string(), &source.text, &ctx, options)
                .map_err(|err| located(&task.span, err.to_string()))?;
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
        let found = find(&task.origin, &task.span.file, SourceKind::File, &name)
            .map_err(|msg| located(&task.span, msg))?;
        if found.is_dir() {
            if builtin != Builtin::Copy {
                return Err(located(
                    &task.span,
                    crate::playbook::sources::not_a_file(&found),
                ));
            }
            // rsync's rule, as Ansible's: `DIR/` copies the contents, `DIR` the folder.
            let tree = tree::walk(&found, name.ends_with('/'), local_follow)
                .map_err(|msg| located(&task.span, msg))?;
            let tree = serde_json::to_value(tree).map_err(|err| err.to_string())?;
            args.insert(machinist_modules::file::RUNNER_TREE_ARG.into(), tree);
            return Ok(());
        }
        preserve_mode(args, &found);
        if matches!(builtin, Builtin::Copy | Builtin::File) && !vaulted(&found) {
            // Copied streamed by the module: never read whole here (binary too).
            let path = std::path::absolute(&found).unwrap_or(found);
            args.insert(
                "_copy_from".into(),
                Json::String(path.to_string_lossy().into_owned()),
            );
        } else {
            // A vaulted source is read whole, to be copied decrypted.
            let (_, content) = self.controller_file(task, SourceKind::File, &name)?;
            args.insert("content".into(), Json::String(content.text.clone()));
        }
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

/// `mode: preserve` of copy and template: the controller source's own mode, as
/// ansible-core gives it to the file it writes.
fn preserve_mode(args: &mut Map<String, Json>, source: &Path) {
    use std::os::unix::fs::PermissionsExt;
    if args.get("mode").and_then(Json::as_str) != Some("preserve") {
        return;
    }
    if let Ok(meta) = std::fs::metadata(source) {
        let mode = meta.permissions().mode() & 0o7777;
        args.insert("mode".into(), Json::String(format!("{mode:04o}")));
    }
}

/// What ansible-core's template module adds for its template (over the task's own
/// variables): `ansible_managed` and the `template_*` facts about the file.
fn with_template_vars(ctx: &Value, path: &Path, args: &Map<String, Json>) -> Value {
    let dest = ["dest", "path", "name"]
        .into_iter()
        .find_map(|key| args.get(key).and_then(Json::as_str))
        .unwrap_or_default();
    let template = crate::template::file_vars(path, Some(dest));
    minijinja::value::merge_maps([template, ctx.clone()])
}

impl Step<'_> {
    /// unarchive's `src` on the controller (no `remote_src`): found as copy's is and
    /// handed over as its path; the module reads the archive (binary, perhaps large)
    /// itself.
    fn resolve_archive(&self, task: &Task, args: &mut Map<String, Json>) -> Result<(), String> {
        if args.get("remote_src").is_some_and(truthy) {
            return Ok(());
        }
        let Some(src) = args.get_mut("src") else {
            return Ok(());
        };
        let name = text(src, "src")?;
        let path = find(&task.origin, &task.span.file, SourceKind::File, &name)
            .and_then(|path| {
                path.canonicalize()
                    .map_err(|err| format!("{}: {err}", path.display()))
            })
            .map_err(|msg| located(&task.span, msg))?;
        *src = Json::String(path.display().to_string());
        Ok(())
    }

    /// synchronize's relative `src`: found as copy's is (files/ of the role or beside
    /// the playbook), its trailing `/` kept (rsync copies a folder's contents then),
    /// as Ansible's action plugin does; an absolute one is left as written.
    fn resolve_tree(&self, task: &Task, args: &mut Map<String, Json>) -> Result<(), String> {
        let Some(src) = args.get_mut("src") else {
            return Ok(());
        };
        let name = text(src, "src")?;
        // Pulled, src is a path on the host.
        let pulled = args.get("mode").and_then(Json::as_str) == Some("pull");
        if name.starts_with('/') || name.is_empty() || pulled {
            return Ok(());
        }
        let Some(src) = args.get_mut("src") else {
            return Ok(());
        };
        let found = find(&task.origin, &task.span.file, SourceKind::File, &name)
            .map_err(|msg| located(&task.span, msg))?;
        let mut path = std::path::absolute(&found)
            .unwrap_or(found)
            .display()
            .to_string();
        if name.ends_with('/') && !path.ends_with('/') {
            path.push('/');
        }
        *src = Json::String(path);
        Ok(())
    }

    /// script's file: the first word of its command line, found in files/ as copy's
    /// `src` and handed over as its path (`_script_from`); the module sends it.
    fn resolve_script(&self, task: &Task, args: &mut Map<String, Json>) -> Result<(), String> {
        use machinist_modules::script::RUNNER_ARG;
        if args.remove(RUNNER_ARG).is_some() {
            return Err(located(
                &task.span,
                format!("unknown argument '{RUNNER_ARG}'"),
            ));
        }
        let line = args
            .get("_raw_params")
            .or_else(|| args.get("cmd"))
            .and_then(Json::as_str)
            .unwrap_or_default();
        let Some(name) = script_name(line) else {
            // The module says what is wrong with the line.
            return Ok(());
        };
        let found = find(&task.origin, &task.span.file, SourceKind::File, &name)
            .map_err(|msg| located(&task.span, msg))?;
        if found.is_dir() {
            return Err(located(
                &task.span,
                crate::playbook::sources::not_a_file(&found),
            ));
        }
        if vaulted(&found) {
            return Err(located(
                &task.span,
                format!("{}: a vaulted script is not supported", found.display()),
            ));
        }
        let path = std::path::absolute(&found).unwrap_or(found);
        args.insert(
            RUNNER_ARG.into(),
            Json::String(path.to_string_lossy().into_owned()),
        );
        Ok(())
    }

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
        if let Some(found) = self
            .shared
            .controller_files
            .lock()
            .ok()
            .and_then(|files| files.get(&key).cloned())
        {
            return found;
        }
        let found = find(&task.origin, &task.span.file, kind, name)
            .map_err(|msg| located(&task.span, msg))
            .and_then(|path| {
                let limit = match kind {
                    SourceKind::Template | SourceKind::Vars => crate::input::MAX_TEXT_BYTES,
                    SourceKind::File => crate::input::MAX_SOURCE_BYTES,
                };
                let bytes = crate::input::read(&path, limit)
                    .map_err(|err| located(&task.span, err.to_string()))?;
                let text = String::from_utf8(bytes).map_err(|_| {
                    format!(
                        "{}: binary files cannot be copied yet (only UTF-8 text)",
                        path.display()
                    )
                })?;
                // A vaulted source is copied or rendered decrypted, as Ansible's.
                let opened = crate::vault::open_if_vaulted(text)
                    .map_err(|err| located(&task.span, format!("{}: {err}", path.display())))?;
                Ok((path, Arc::new(opened)))
            });
        if let Ok(mut files) = self.shared.controller_files.lock() {
            files.insert(key, found.clone());
        }
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

/// Controller files found and read in this run (by every host's steps).
pub(super) type ControllerFiles = Mutex<HashMap<SourceKey, Result<(PathBuf, Arc<Opened>), String>>>;

/// A boolean argument that is set: `true`, or one of Ansible's yes-strings.
pub(super) fn truthy(value: &Json) -> bool {
    match value {
        Json::Bool(b) => *b,
        Json::String(s) => matches!(s.to_ascii_lowercase().as_str(), "yes" | "true" | "on" | "1"),
        _ => false,
    }
}

/// Whether a controller file is an Ansible vault (its first bytes say so); one that
/// cannot be read is left for the copy to report.
pub(super) fn vaulted(path: &Path) -> bool {
    use std::io::Read;
    let Ok(file) = crate::input::open_regular(path) else {
        return false;
    };
    let mut head = Vec::new();
    let _ = file.take(4096).read_to_end(&mut head);
    crate::vault::envelope::is_vaulted(&head)
}

fn take_bool(args: &mut Map<String, Json>, key: &str) -> Option<bool> {
    args.remove(key).and_then(|v| v.as_bool())
}

fn text(value: &Json, what: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{what} must be a file name"))
}
