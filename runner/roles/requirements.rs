//! Ansible's requirements format, read with locations: a list of roles, or a mapping
//! with `roles:` (its `collections:` are not ours and are skipped). An entry is a
//! mapping (`src`, `name`, `version`, `scm`) or a string `SRC[,VERSION[,NAME]]`, the
//! form the command line takes too. Everything is checked before anything is installed.
//! An installed role's own dependencies are read the way ansible-galaxy reads them
//! (see [`of_role`]).

use super::source::{self, Source};
use super::yaml_file::{self, YamlFile};
use crate::error::{Diagnostic, InputError, SourceMap, Span};
use crate::yaml::{Node, Value};
use std::path::Path;

/// One role to install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Requirement {
    pub name: String,
    /// `src` as written (without a `,version,name` suffix); the lock records it so.
    pub src: String,
    pub version: Option<String>,
    pub source: Source,
    /// Where `src` (or the entry) was written; `None` on the command line.
    pub src_at: Option<Span>,
    /// Where `version` was written.
    pub version_at: Option<Span>,
}

impl Requirement {
    /// An error about this requirement, at `version` when `at_version`, else at `src`.
    pub fn error(&self, at_version: bool, message: String) -> InputError {
        InputError::from(self.diagnostic(at_version, message))
    }

    fn diagnostic(&self, at_version: bool, message: String) -> Diagnostic {
        let span = if at_version {
            self.version_at.as_ref().or(self.src_at.as_ref())
        } else {
            self.src_at.as_ref()
        };
        match span {
            Some(span) => Diagnostic::at(span, message),
            None => Diagnostic::bare(format!("role '{}' ({}): {message}", self.name, self.src)),
        }
    }
}

/// What a requirements file asks for.
#[derive(Debug, Default)]
pub struct Requirements {
    pub roles: Vec<Requirement>,
    /// It also listed collections, which machinist skips.
    pub has_collections: bool,
}

/// The fields of one entry before its source is decided.
struct Entry {
    src: String,
    name: Option<String>,
    version: Option<String>,
    scm: Option<String>,
    src_at: Option<Span>,
    name_at: Option<Span>,
    version_at: Option<Span>,
}

/// Parse `SRC[,VERSION[,NAME]]`.
fn entry_from_text(text: &str, at: Option<&Span>) -> Entry {
    let mut parts = text.split(',').map(str::trim);
    let src = parts.next().unwrap_or_default().to_string();
    let mut next = || parts.next().filter(|s| !s.is_empty()).map(str::to_string);
    let version = next();
    let name = next();
    Entry {
        src,
        version_at: version.as_ref().and(at.cloned()),
        name_at: name.as_ref().and(at.cloned()),
        name,
        version,
        scm: None,
        src_at: at.cloned(),
    }
}

/// What an entry's keys beyond `src`, `name`, `version` and `scm` are.
#[derive(Clone, Copy, PartialEq, Eq)]
enum OtherKeys {
    /// A requirements file: a typo, refused.
    Refused,
    /// A role's `dependencies:`: the role's parameters (`role:` names it).
    Parameters,
}

fn entry_from_map(
    file: &YamlFile,
    node: &Node,
    other_keys: OtherKeys,
) -> Result<Entry, Vec<Diagnostic>> {
    let mut errors = Vec::new();
    let mut entry = Entry {
        src: String::new(),
        name: None,
        version: None,
        scm: None,
        src_at: None,
        name_at: None,
        version_at: None,
    };
    for (key, value) in node.as_map().unwrap_or_default() {
        let ours = matches!(
            key.name.as_str(),
            "src" | "name" | "version" | "scm" | "role"
        );
        if value.value == Value::Null || (other_keys == OtherKeys::Parameters && !ours) {
            continue;
        }
        let Some(text) = file.scalar(value) else {
            errors.push(Diagnostic::at(
                &value.span,
                format!("'{}' must be a string, found {}", key.name, value.kind()),
            ));
            continue;
        };
        let at = Some(value.span.clone());
        match key.name.as_str() {
            "src" => (entry.src, entry.src_at) = (text, at),
            "name" => (entry.name, entry.name_at) = (Some(text), at),
            "role" if other_keys == OtherKeys::Parameters && entry.name.is_none() => {
                (entry.name, entry.name_at) = (Some(text), at)
            }
            "version" => (entry.version, entry.version_at) = (Some(text), at),
            "scm" => entry.scm = Some(text),
            _ if other_keys == OtherKeys::Parameters => {}
            other => errors.push(Diagnostic::at(
                &key.span,
                format!("unknown key '{other}' in a role requirement (expected src, name, version, scm)"),
            )),
        }
    }
    if entry.src.is_empty() {
        errors.push(match (&entry.name, &entry.name_at) {
            (Some(name), Some(at)) => Diagnostic::at(
                at,
                format!("'{name}' has no src; machinist does not download from Ansible Galaxy: give a git URL, a path or a tarball as src"),
            ),
            _ => Diagnostic::at(&node.span, "this role requirement has no src"),
        });
    }
    if errors.is_empty() {
        Ok(entry)
    } else {
        Err(errors)
    }
}

fn requirement(entry: Entry, base: &Path) -> Result<Requirement, Diagnostic> {
    let fail = |at: &Option<Span>, message: String| match at {
        Some(span) => Diagnostic::at(span, message),
        None => Diagnostic::bare(format!("{}: {message}", entry.src)),
    };
    let source = source::classify(
        &entry.src,
        entry.scm.as_deref(),
        entry.version.is_some(),
        base,
    )
    .map_err(|message| fail(&entry.src_at, message))?;
    let (name, name_at) = match &entry.name {
        Some(name) => (name.clone(), &entry.name_at),
        None => (source::default_name(&entry.src), &entry.src_at),
    };
    if let Some(message) = source::invalid_name(&name) {
        return Err(fail(name_at, message));
    }
    if entry.version.as_deref() == Some("") {
        return Err(fail(&entry.version_at, "an empty version".into()));
    }
    Ok(Requirement {
        name,
        src: entry.src,
        version: entry.version,
        source,
        src_at: entry.src_at,
        version_at: entry.version_at,
    })
}

/// Check a whole list: every entry valid, no name twice.
fn finish(
    entries: Vec<Result<Entry, Vec<Diagnostic>>>,
    base: &Path,
) -> Result<Vec<Requirement>, InputError> {
    let mut roles: Vec<Requirement> = Vec::new();
    let mut errors = Vec::new();
    for entry in entries {
        match entry.map(|e| requirement(e, base)) {
            Ok(Ok(req)) => {
                if let Some(first) = roles.iter().find(|r| r.name == req.name) {
                    let line = first.src_at.as_ref().map(|s| format!(" (line {})", s.line));
                    errors.push(req.diagnostic(
                        false,
                        format!(
                            "role '{}' is required twice{}; give one of them another name",
                            req.name,
                            line.unwrap_or_default()
                        ),
                    ));
                } else {
                    roles.push(req);
                }
            }
            Ok(Err(diag)) => errors.push(diag),
            Err(diags) => errors.extend(diags),
        }
    }
    if errors.is_empty() {
        Ok(roles)
    } else {
        Err(InputError(errors))
    }
}

/// Read a requirements file; relative paths in it start from its folder.
pub fn read(path: &Path, sources: &SourceMap) -> Result<Requirements, InputError> {
    let file = yaml_file::read(path, sources)?;
    let base = path.parent().unwrap_or(Path::new("."));
    let doc = &file.doc;
    let mut has_collections = false;
    let list: &[Node] = match &doc.value {
        Value::Null => &[],
        Value::Seq(items) => items,
        Value::Map(entries) => {
            let mut roles: &[Node] = &[];
            for (key, value) in entries {
                match (key.name.as_str(), &value.value) {
                    ("roles", Value::Seq(items)) => roles = items,
                    ("roles" | "collections", Value::Null) => {}
                    ("collections", _) => has_collections = true,
                    ("roles", _) => {
                        return Err(Diagnostic::at(&value.span, format!("'roles' must be a list, found {}", value.kind())).into())
                    }
                    (other, _) => {
                        return Err(Diagnostic::at(&key.span, format!("unknown key '{other}' (a requirements file has 'roles' and 'collections')")).into())
                    }
                }
            }
            roles
        }
        _ => {
            return Err(Diagnostic::at(
                &doc.span,
                format!(
                    "a requirements file is a list of roles or a mapping with 'roles', found {}",
                    doc.kind()
                ),
            )
            .into())
        }
    };
    let entries = list
        .iter()
        .map(|item| match &item.value {
            Value::Str(text) => Ok(entry_from_text(text, Some(&item.span))),
            Value::Map(_) => entry_from_map(&file, item, OtherKeys::Refused),
            _ => Err(vec![Diagnostic::at(
                &item.span,
                format!(
                    "a role requirement is a mapping or a string, found {}",
                    item.kind()
                ),
            )]),
        })
        .collect();
    Ok(Requirements {
        roles: finish(entries, base)?,
        has_collections,
    })
}

/// What an installed role needs installed too, as ansible-galaxy reads it: the roles
/// of its `meta/requirements.yml`, then those `dependencies:` of its `meta/main.yml`
/// that say where to get them (a `src`, or a `SRC[,VERSION[,NAME]]` string). A
/// dependency naming only a role (`- common`, `- role: common`) is not fetched: the
/// role search path finds it when a play runs. Relative sources start from the
/// role's folder (its meta/ for meta/requirements.yml, like any requirements file).
pub fn of_role(role: &Path, sources: &SourceMap) -> Result<Vec<Requirement>, InputError> {
    let mut roles = Vec::new();
    let role_requirements = role.join("meta/requirements.yml");
    if role_requirements.is_file() {
        roles = read(&role_requirements, sources)?.roles;
    }
    let meta = role.join("meta/main.yml");
    if !meta.is_file() {
        return Ok(roles);
    }
    let file = yaml_file::read(&meta, sources)?;
    let dependencies = file.doc.get("dependencies").and_then(Node::as_seq);
    let entries = dependencies
        .unwrap_or_default()
        .iter()
        .filter_map(|dependency| match &dependency.value {
            Value::Str(text) if names_a_source(text) => {
                Some(Ok(entry_from_text(text, Some(&dependency.span))))
            }
            Value::Map(_) if dependency.get("src").is_some() => {
                Some(entry_from_map(&file, dependency, OtherKeys::Parameters))
            }
            _ => None,
        })
        .collect();
    for dependency in finish(entries, role)? {
        if roles.iter().all(|known| known.name != dependency.name) {
            roles.push(dependency);
        }
    }
    Ok(roles)
}

/// Whether a string dependency says where to get the role, rather than naming one.
fn names_a_source(text: &str) -> bool {
    text.contains(',') || source::is_remote(text)
}

/// Requirements given on the command line as `SRC[,VERSION[,NAME]]`.
pub fn from_args(args: &[String], base: &Path) -> Result<Vec<Requirement>, InputError> {
    finish(
        args.iter().map(|a| Ok(entry_from_text(a, None))).collect(),
        base,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_text(text: &str) -> Result<Requirements, InputError> {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("local")).unwrap();
        let path = dir.path().join("requirements.yml");
        std::fs::write(&path, text).unwrap();
        read(&path, &SourceMap::default())
    }

    #[test]
    fn reads_both_shapes_and_keeps_versions_as_written() {
        let list = read_text("- src: git+https://h/web.git\n  version: 1.10\n- https://h/db,v2,database\n- src: ./local\n").unwrap();
        let got: Vec<_> = list
            .roles
            .iter()
            .map(|r| (r.name.as_str(), r.version.as_deref()))
            .collect();
        assert_eq!(
            got,
            [
                ("web", Some("1.10")),
                ("database", Some("v2")),
                ("local", None)
            ]
        );
        assert!(matches!(list.roles[2].source, Source::Dir { .. }));
        let map =
            read_text("roles:\n  - src: https://h/web\ncollections:\n  - community.general\n")
                .unwrap();
        assert_eq!(map.roles.len(), 1);
        assert!(map.has_collections);
    }

    #[test]
    fn errors_point_at_the_entry() {
        let err = read_text("- src: https://h/web\n- src: https://h/x\n  verison: 1\n- name: geerlingguy.apache\n- src: https://h/web\n").unwrap_err();
        let messages: Vec<String> = err
            .0
            .iter()
            .map(|d| {
                let s = d.span.as_ref().unwrap();
                format!("{}:{} {}", s.line, s.col, d.message)
            })
            .collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(
            messages[0].starts_with("3:3 unknown key 'verison'"),
            "{messages:?}"
        );
        assert!(
            messages[1].starts_with("4:9 'geerlingguy.apache' has no src"),
            "{messages:?}"
        );
        assert!(
            messages[2].starts_with("5:8 role 'web' is required twice (line 1)"),
            "{messages:?}"
        );
    }
}
