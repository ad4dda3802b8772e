//! The runner's half of `file`, `copy` and `template`: it reads `src:` from files/ and
//! renders `template:` from templates/ into `content`, so the module itself only ever
//! plans bytes (modules know nothing about templates or the controller's folders).

use super::Executor;
use crate::playbook::model::Task;
use crate::sources::{find, SourceKind};
use crate::template::FileOptions;
use machinist_modules::Builtin;
use minijinja::Value;
use serde_json::{Map, Value as Json};

impl Executor<'_> {
    pub(super) fn resolve_sources(
        &self,
        task: &Task,
        builtin: Builtin,
        args: &mut Map<String, Json>,
        ctx: &Value,
    ) -> Result<(), String> {
        if !matches!(builtin, Builtin::File | Builtin::Copy | Builtin::Template) {
            return Ok(());
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
            let path = find(&task.origin, &task.span.file, SourceKind::Template, &name)
                .map_err(|msg| self.located(&task.span, msg))?;
            let source = crate::input::read_text(&path, crate::input::MAX_TEXT_BYTES)
                .map_err(|err| self.located(&task.span, err.to_string()))?;
            // The error names the template file and line; the task's place comes first.
            let rendered = self
                .templates
                .render_file(&path.display().to_string(), &source, ctx, options)
                .map_err(|err| self.located(&task.span, err.to_string()))?;
            args.insert("content".into(), Json::String(rendered));
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
        let path = find(&task.origin, &task.span.file, SourceKind::File, &name)
            .map_err(|msg| self.located(&task.span, msg))?;
        let bytes = crate::input::read(&path, crate::input::MAX_SOURCE_BYTES)
            .map_err(|err| self.located(&task.span, err.to_string()))?;
        let content = String::from_utf8(bytes).map_err(|_| {
            format!(
                "{}: binary files cannot be copied yet (only UTF-8 text)",
                path.display()
            )
        })?;
        args.insert("content".into(), Json::String(content));
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

fn take_bool(args: &mut Map<String, Json>, key: &str) -> Option<bool> {
    args.remove(key).and_then(|v| v.as_bool())
}

fn text(value: &Json, what: &str) -> Result<String, String> {
    value
        .as_str()
        .map(str::to_string)
        .ok_or_else(|| format!("{what} must be a file name"))
}
