//! `machinist.lock` and the install record: what exactly was installed for each role.
//!
//! The lock sits beside requirements.yml and pins every role to a commit (git), a
//! sha256 (a tarball) or a tree sha256 (a local folder); with it, `role install`
//! reproduces the same roles anywhere. Each installed role also carries the same
//! fields in `.machinist-install.yml`, so `role list` can say where it came from and
//! `role install` can tell an up-to-date role from a stale one without fetching.
//! Both are YAML (the project's one data format), written with every string quoted.

use super::yaml_file::{self, YamlFile};
use crate::error::{Diagnostic, InputError, SourceMap};
use crate::yaml::{Node, Value};
use std::io::Write;
use std::path::Path;

pub const LOCK_FILE: &str = "machinist.lock";
pub const RECORD_FILE: &str = ".machinist-install.yml";
const LOCK_VERSION: i64 = 1;

/// What a role's content was pinned to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pin {
    /// A git commit id (40 hex digits).
    Commit(String),
    /// The sha256 of a tarball.
    Sha256(String),
    /// The sha256 of a local folder's files (see `fetch::tree_sha256`).
    TreeSha256(String),
}

impl Pin {
    fn key(&self) -> &'static str {
        match self {
            Pin::Commit(_) => "commit",
            Pin::Sha256(_) => "sha256",
            Pin::TreeSha256(_) => "tree_sha256",
        }
    }

    pub fn value(&self) -> &str {
        match self {
            Pin::Commit(v) | Pin::Sha256(v) | Pin::TreeSha256(v) => v,
        }
    }

    /// Short form for output: `0123456789ab`, `sha256:0123456789ab`.
    pub fn short(&self) -> String {
        let head: String = self.value().chars().take(12).collect();
        match self {
            Pin::Commit(_) => head,
            Pin::Sha256(_) => format!("sha256:{head}"),
            Pin::TreeSha256(_) => format!("tree sha256:{head}"),
        }
    }
}

/// One role as installed: its name, the `src` and `version` the user asked for (as
/// written), and what that resolved to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pinned {
    pub name: String,
    pub src: String,
    pub version: Option<String>,
    pub pin: Pin,
}

impl Pinned {
    /// `version @ pin` for output.
    pub fn describe(&self) -> String {
        match &self.version {
            Some(version) => format!("{version} @ {}", self.pin.short()),
            None => self.pin.short(),
        }
    }

    fn fields(&self, indent: &str, first: &str) -> String {
        let quote = |s: &str| serde_json::to_string(s).unwrap_or_default();
        let mut out = format!("{first}name: {}\n", quote(&self.name));
        out += &format!("{indent}src: {}\n", quote(&self.src));
        if let Some(version) = &self.version {
            out += &format!("{indent}version: {}\n", quote(version));
        }
        out += &format!("{indent}{}: {}\n", self.pin.key(), quote(self.pin.value()));
        out
    }

    fn from_node(file: &YamlFile, node: &Node) -> Result<Pinned, Diagnostic> {
        let entries = node.as_map().ok_or_else(|| {
            Diagnostic::at(
                &node.span,
                format!("expected a mapping, found {}", node.kind()),
            )
        })?;
        let (mut name, mut src, mut version, mut pin) = (None, None, None, None);
        for (key, value) in entries {
            let text = || {
                file.scalar(value).ok_or_else(|| {
                    Diagnostic::at(
                        &value.span,
                        format!("'{}' must be a string, found {}", key.name, value.kind()),
                    )
                })
            };
            match key.name.as_str() {
                "name" => name = Some(text()?),
                "src" => src = Some(text()?),
                "version" if value.value == Value::Null => {}
                "version" => version = Some(text()?),
                "commit" => pin = Some(Pin::Commit(text()?)),
                "sha256" => pin = Some(Pin::Sha256(text()?)),
                "tree_sha256" => pin = Some(Pin::TreeSha256(text()?)),
                other => {
                    return Err(Diagnostic::at(&key.span, format!("unknown key '{other}'")));
                }
            }
        }
        let missing =
            |what: &str| Diagnostic::at(&node.span, format!("this entry has no '{what}'"));
        Ok(Pinned {
            name: name.ok_or_else(|| missing("name"))?,
            src: src.ok_or_else(|| missing("src"))?,
            version,
            pin: pin.ok_or_else(|| missing("commit', 'sha256' or 'tree_sha256"))?,
        })
    }
}

/// The text of a lock file pinning `roles`, in their order.
pub fn lock_text(roles: &[Pinned]) -> String {
    let mut out = String::from(
        "# machinist.lock: the exact roles `machinist role install` installed for\n\
         # requirements.yml. Commit it; do not edit it. To move a role, change\n\
         # requirements.yml or run `machinist role install --update`.\n",
    );
    out += &format!("lock_version: {LOCK_VERSION}\nroles:\n");
    for role in roles {
        out += &role.fields("    ", "  - ");
    }
    out
}

/// The roles `path` pins; `Ok(None)` when there is no lock yet.
pub fn read_lock(path: &Path, sources: &SourceMap) -> Result<Option<Vec<Pinned>>, InputError> {
    if !path.exists() {
        return Ok(None);
    }
    let file = yaml_file::read(path, sources)?;
    let doc = &file.doc;
    let bad = |message: String| InputError::from(Diagnostic::at(&doc.span, message));
    if doc.as_map().is_none() {
        return Err(bad(format!(
            "a lock file is a mapping, found {}",
            doc.kind()
        )));
    }
    match doc.get("lock_version").map(|n| &n.value) {
        Some(Value::Int(LOCK_VERSION)) => {}
        _ => {
            return Err(bad(format!(
                "this lock file is not lock_version {LOCK_VERSION}; delete it and run `machinist role install` again"
            )))
        }
    }
    let mut roles = Vec::new();
    let mut errors = Vec::new();
    for item in doc.get("roles").and_then(Node::as_seq).unwrap_or_default() {
        match Pinned::from_node(&file, item) {
            Ok(pinned) => roles.push(pinned),
            Err(diag) => errors.push(diag),
        }
    }
    if errors.is_empty() {
        Ok(Some(roles))
    } else {
        Err(InputError(errors))
    }
}

/// The text of an install record.
pub fn record_text(pinned: &Pinned) -> String {
    let mut out =
        String::from("# Written by `machinist role install`: where this role came from.\n");
    out += &pinned.fields("", "");
    out
}

/// The install record of the role in `role_dir`: `Ok(None)` when it has none,
/// `Err` (why) when it has one that cannot be read.
pub fn read_record(role_dir: &Path) -> Result<Option<Pinned>, String> {
    let path = role_dir.join(RECORD_FILE);
    if !path.exists() {
        return Ok(None);
    }
    let file = yaml_file::read(&path, &SourceMap::default()).map_err(|e| e.to_string())?;
    Pinned::from_node(&file, &file.doc)
        .map(Some)
        .map_err(|e| e.to_string())
}

/// Write `text` to `path` through a temp file and a rename, unless it already holds
/// exactly that; whether it changed.
pub fn write_if_changed(path: &Path, text: &str) -> std::io::Result<bool> {
    if std::fs::read(path).is_ok_and(|old| old == text.as_bytes()) {
        return Ok(false);
    }
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let result = (|| {
        let mut file = std::fs::File::create(&tmp)?;
        file.write_all(text.as_bytes())?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map(|()| true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pinned() -> Vec<Pinned> {
        vec![
            Pinned {
                name: "web".into(),
                src: "git+file:///r/web.git".into(),
                version: Some("1.10".into()),
                pin: Pin::Commit("0123456789abcdef0123456789abcdef01234567".into()),
            },
            Pinned {
                name: "tar\"ball".into(),
                src: "./x.tar.gz".into(),
                version: None,
                pin: Pin::Sha256("ab".repeat(32)),
            },
        ]
    }

    #[test]
    fn lock_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        assert!(write_if_changed(&path, &lock_text(&pinned())).unwrap());
        assert!(!write_if_changed(&path, &lock_text(&pinned())).unwrap());
        let read = read_lock(&path, &SourceMap::default()).unwrap().unwrap();
        assert_eq!(read, pinned());
    }

    #[test]
    fn record_round_trips() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(RECORD_FILE), record_text(&pinned()[0])).unwrap();
        assert_eq!(read_record(dir.path()).unwrap(), Some(pinned()[0].clone()));
    }

    #[test]
    fn bad_lock_entries_have_locations() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join(LOCK_FILE);
        std::fs::write(
            &path,
            "lock_version: 1\nroles:\n  - name: x\n    src: y\n    comit: z\n",
        )
        .unwrap();
        let err = read_lock(&path, &SourceMap::default()).unwrap_err();
        assert!(
            err.to_string().ends_with(":5:5: unknown key 'comit'"),
            "{err}"
        );
    }
}
