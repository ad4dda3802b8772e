//! Reading the YAML files of role sharing (requirements.yml, machinist.lock, install
//! records) through the project's marked parser, so every error has a file:line:col and
//! the caret printer can quote the line.

use crate::error::{Diagnostic, InputError, SourceMap, Span};
use crate::yaml::{self, Node, Value};
use std::path::Path;
use std::sync::Arc;

/// Files larger than this are not requirements files.
const MAX_BYTES: u64 = 4 << 20;

/// A parsed YAML file: its first document (`Null` when empty) and its text.
pub struct YamlFile {
    pub doc: Node,
    pub text: Arc<str>,
}

/// Read and parse `path`; the text goes into `sources` for error carets.
pub fn read(path: &Path, sources: &SourceMap) -> Result<YamlFile, InputError> {
    let bare = |message: String| InputError::from(Diagnostic::bare(message));
    let meta = std::fs::metadata(path)
        .map_err(|err| bare(format!("cannot read {}: {err}", path.display())))?;
    if meta.len() > MAX_BYTES {
        return Err(bare(format!(
            "{} is {} bytes; refusing a file over {MAX_BYTES} bytes",
            path.display(),
            meta.len()
        )));
    }
    let bytes = std::fs::read(path)
        .map_err(|err| bare(format!("cannot read {}: {err}", path.display())))?;
    let text: Arc<str> = String::from_utf8(bytes)
        .map_err(|_| bare(format!("{} is not valid UTF-8", path.display())))?
        .into();
    let file: Arc<Path> = Arc::from(path);
    sources.insert(&file, text.clone());
    let mut docs = yaml::parse(&file, &text)?;
    let doc = if docs.is_empty() {
        Node {
            value: Value::Null,
            span: Span {
                file: file.into(),
                line: 1,
                col: 1,
                len: 1,
            },
        }
    } else {
        docs.swap_remove(0)
    };
    Ok(YamlFile { doc, text })
}

impl YamlFile {
    /// A scalar as the user wrote it: strings as they are, and numbers from the source
    /// text, so `version: 1.10` is "1.10" (Ansible would make it the float 1.1).
    pub fn scalar(&self, node: &Node) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                let line = self
                    .text
                    .lines()
                    .nth(node.span.line.checked_sub(1)? as usize)?;
                let start = node.span.col.checked_sub(1)? as usize;
                Some(
                    line.chars()
                        .skip(start)
                        .take(node.span.len as usize)
                        .collect(),
                )
            }
            _ => None,
        }
    }
}
