//! The final tree of a run, as data both tools can be compared on: every path below
//! the run's base directory with its type, its mode (four octal digits), a file's
//! bytes (as text; the corpus writes text) and hard-link count when above one, and a
//! link's target. The base directory's own path is replaced by `[BASE]` in contents
//! and link targets, so trees from two temp directories compare equal.

use serde_json::{json, Map, Value};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

pub const BASE: &str = "[BASE]";

/// A JSON object from relative path to entry.
pub fn snapshot(base: &Path) -> Value {
    let mut tree = Map::new();
    walk(base, base, &mut tree);
    Value::Object(tree)
}

fn walk(base: &Path, dir: &Path, tree: &mut Map<String, Value>) {
    let Ok(read) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = read.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    let base_text = base.to_string_lossy().to_string();
    let placeholder = |text: &str| text.replace(&base_text, BASE);
    for path in paths {
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let rel = path
            .strip_prefix(base)
            .map(|p| p.to_string_lossy().to_string())
            .unwrap_or_default();
        let mode = format!("{:04o}", meta.permissions().mode() & 0o7777);
        let entry = if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path)
                .map(|t| t.to_string_lossy().to_string())
                .unwrap_or_default();
            json!({ "type": "link", "target": placeholder(&target) })
        } else if meta.is_dir() {
            walk(base, &path, tree);
            json!({ "type": "dir", "mode": mode })
        } else {
            let bytes = std::fs::read(&path).unwrap_or_default();
            let content = match String::from_utf8(bytes) {
                Ok(text) => placeholder(&text),
                Err(err) => format!("<{} bytes, not UTF-8>", err.as_bytes().len()),
            };
            let mut entry = json!({ "type": "file", "mode": mode, "content": content });
            if meta.nlink() > 1 {
                entry["nlink"] = meta.nlink().into();
            }
            entry
        };
        tree.insert(rel, entry);
    }
}
