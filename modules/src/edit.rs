//! What the text-file editors (lineinfile, blockinfile, replace) share: the file read
//! through the Host (symlinks followed inside the root), and the plan that writes the
//! edited content whole — missing parent directories, `backup`, `validate`, and the
//! file-common arguments (mode, owner, group) — with Ansible's diff headers
//! (`PATH (content)`, `PATH (file attributes)`) and message tails.

use crate::file::attrs::owner_id;
use crate::file::{backup_name, IdArg, ModeArg};
use crate::host::{effective_ids, Meta};
use crate::{mode, Change, Diff, Host, ModuleError, Op, Ownership, Plan};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The arguments every editor takes beside its own.
pub(crate) struct Common<'a> {
    pub backup: bool,
    pub validate: Option<&'a str>,
    pub mode: Option<&'a ModeArg>,
    pub owner: Option<&'a IdArg>,
    pub group: Option<&'a IdArg>,
    pub unsafe_writes: Option<bool>,
}

/// The file an editor works on.
pub(crate) struct TextFile<'a> {
    host: &'a Host,
    /// The path as written, made absolute (messages, diff headers).
    pub shown: String,
    /// The canonical in-root path, the final symlink followed.
    place: PathBuf,
    pub meta: Option<Meta>,
}

/// What an editor made of the content.
pub(crate) struct Edit {
    pub before: Vec<u8>,
    pub after: Vec<u8>,
    /// Whether the content is to be written (a created empty file counts).
    pub changed: bool,
    /// Ansible's message for the content change (`line added`); empty when none.
    pub msg: String,
    /// Create missing parent directories before writing a new file.
    pub make_parents: bool,
    /// The content diff's header, as the module's Ansible counterpart names it.
    pub header: DiffHeader,
}

/// How an editor's Ansible counterpart heads its content diff.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum DiffHeader {
    /// `PATH (content)` (lineinfile, blockinfile, ini_file).
    Content,
    /// The path (replace, assemble).
    Path,
    /// None: Ansible's bare `--- before` (pam_limits).
    Bare,
}

/// The plan, and the backup it makes (for the result's `backup`/`backup_file` key).
pub(crate) struct Planned {
    pub plan: Plan,
    pub backup: Option<String>,
}

impl<'a> TextFile<'a> {
    /// The file at `path`; a directory or special file is refused as Ansible does.
    pub fn open(host: &'a Host, path: &str) -> Result<TextFile<'a>, ModuleError> {
        if path.trim().is_empty() {
            return Err(ModuleError::invalid("path", "path is empty"));
        }
        let absolute = Path::new("/").join(path);
        let place = host.resolve(&absolute)?;
        let meta = host.lstat_canonical(&place)?;
        let shown = absolute.to_string_lossy().into_owned();
        match &meta {
            Some(meta) if meta.is_dir() => Err(ModuleError::Failed(format!(
                "Path {shown} is a directory !"
            ))),
            Some(meta) if !meta.is_file() => Err(ModuleError::Failed(format!(
                "Path {shown} is not a regular file"
            ))),
            _ => Ok(TextFile {
                host,
                shown,
                place,
                meta,
            }),
        }
    }

    /// Whether the folder a new file would be written in exists (the final link of
    /// the path followed, inside the root).
    pub fn parent_is_dir(&self) -> Result<bool, ModuleError> {
        let Some(parent) = self.place.parent() else {
            return Ok(true);
        };
        Ok(self
            .host
            .lstat_canonical(parent)?
            .is_some_and(|meta| meta.is_dir()))
    }

    /// The current content; `None` when the file does not exist.
    pub fn content(&self) -> Result<Option<Vec<u8>>, ModuleError> {
        match self.meta {
            None => Ok(None),
            Some(_) => self.host.read_canonical(&self.place),
        }
    }

    /// The plan carrying out `edit` with the common arguments.
    pub fn plan(&self, edit: Edit, common: &Common) -> Result<Planned, ModuleError> {
        if common.unsafe_writes == Some(true) {
            return Err(ModuleError::invalid(
                "unsafe_writes",
                "unsafe_writes: true is not supported: machinist always replaces files atomically",
            ));
        }
        let validate = common.validate.map(validate_argv).transpose()?;
        let wanted = Ownership {
            uid: owner_id(self.host, common.owner, "owner")?,
            gid: owner_id(self.host, common.group, "group")?,
        };
        // What the file has, or what a new one would get (0644, our own ids).
        let (ours_uid, ours_gid) = effective_ids();
        let (base_mode, base_uid, base_gid) = match &self.meta {
            Some(meta) => (meta.mode, meta.uid, meta.gid),
            None => (0o644, ours_uid, ours_gid),
        };
        let mode = common
            .mode
            .map(|wanted| wanted.resolve(base_mode, false))
            .transpose()?
            .unwrap_or(base_mode);
        let uid = wanted.uid.unwrap_or(base_uid);
        let gid = wanted.gid.unwrap_or(base_gid);
        let attrs = self.attr_diff((base_mode, base_uid, base_gid), (mode, uid, gid))?;

        let mut changes = Vec::new();
        let mut backup = None;
        if edit.changed {
            let mut ops = Vec::new();
            if self.meta.is_none() && edit.make_parents {
                ops.extend(self.missing_parents()?);
            }
            if common.backup && self.meta.is_some() {
                let to = backup_name(&self.place, SystemTime::now());
                ops.push(Op::Backup {
                    path: self.place.clone(),
                    to: to.clone(),
                });
                backup = Some(to.display().to_string());
            }
            let owner = Ownership {
                uid: Some(uid),
                gid: Some(gid),
            };
            ops.push(match validate {
                None => Op::WriteFile {
                    path: self.place.clone(),
                    content: edit.after.clone(),
                    mode,
                    owner,
                },
                Some(validate) => Op::WriteValidated {
                    path: self.place.clone(),
                    content: edit.after.clone(),
                    mode,
                    owner,
                    validate,
                },
            });
            let header = match edit.header {
                DiffHeader::Content => format!("{} (content)", self.shown),
                DiffHeader::Path => self.shown.clone(),
                DiffHeader::Bare => String::new(),
            };
            changes.push(Change {
                summary: format!("{}: {}", self.shown, edit.msg),
                diff: Some(Diff {
                    before_header: header.clone(),
                    after_header: header,
                    before: String::from_utf8_lossy(&edit.before).into_owned(),
                    after: String::from_utf8_lossy(&edit.after).into_owned(),
                }),
                ops,
            });
        }
        let mut msg = edit.msg;
        if let Some((diff, ops)) = attrs {
            if !msg.is_empty() {
                msg.push_str(" and ");
            }
            msg.push_str("ownership, perms or SE linux context changed");
            changes.push(Change {
                summary: format!("{}: file attributes", self.shown),
                diff: Some(diff),
                // A rewrite carries mode and owner already.
                ops: if edit.changed { Vec::new() } else { ops },
            });
        }
        Ok(Planned {
            plan: Plan::change(changes).with_msg(msg),
            backup,
        })
    }

    /// The attribute diff and the ops that set them, when `wanted` differs from `now`.
    fn attr_diff(
        &self,
        now: (u32, u32, u32),
        wanted: (u32, u32, u32),
    ) -> Result<Option<(Diff, Vec<Op>)>, ModuleError> {
        if now == wanted {
            return Ok(None);
        }
        let mut before = String::new();
        let mut after = String::new();
        let mut ops = Vec::new();
        if now.1 != wanted.1 || now.2 != wanted.2 {
            let name = |id: u32, user: bool| -> Result<String, ModuleError> {
                let found = if user {
                    self.host.user_name(id)?
                } else {
                    self.host.group_name(id)?
                };
                Ok(found.unwrap_or_else(|| id.to_string()))
            };
            if now.1 != wanted.1 {
                before.push_str(&format!("owner: {}\n", name(now.1, true)?));
                after.push_str(&format!("owner: {}\n", name(wanted.1, true)?));
            }
            if now.2 != wanted.2 {
                before.push_str(&format!("group: {}\n", name(now.2, false)?));
                after.push_str(&format!("group: {}\n", name(wanted.2, false)?));
            }
            ops.push(Op::Chown {
                path: self.place.clone(),
                owner: Ownership {
                    uid: (now.1 != wanted.1).then_some(wanted.1),
                    gid: (now.2 != wanted.2).then_some(wanted.2),
                },
            });
        }
        if now.0 != wanted.0 {
            before.push_str(&format!("mode: {}\n", mode::format(now.0)));
            after.push_str(&format!("mode: {}\n", mode::format(wanted.0)));
            ops.push(Op::Chmod {
                path: self.place.clone(),
                mode: wanted.0,
            });
        }
        let header = format!("{} (file attributes)", self.shown);
        let diff = Diff {
            before_header: header.clone(),
            after_header: header,
            before,
            after,
        };
        Ok(Some((diff, ops)))
    }

    /// Mkdir ops for the missing directories above a new file, outermost first.
    fn missing_parents(&self) -> Result<Vec<Op>, ModuleError> {
        missing_parents(self.host, &self.place)
    }
}

/// Mkdir ops (0755) for the missing directories above `place` (a canonical in-root
/// path), outermost first; an error when one of them is not a directory.
pub(crate) fn missing_parents(host: &Host, place: &Path) -> Result<Vec<Op>, ModuleError> {
    let mut missing = Vec::new();
    let mut parent = place.parent();
    while let Some(dir) = parent {
        match host.lstat_canonical(dir)? {
            Some(meta) if meta.is_dir() => break,
            Some(_) => {
                return Err(ModuleError::Failed(format!(
                    "Error creating {}: not a directory",
                    dir.display()
                )))
            }
            None => missing.push(Op::Mkdir {
                path: dir.to_path_buf(),
                mode: 0o755,
                owner: Ownership::default(),
            }),
        }
        parent = dir.parent();
    }
    missing.reverse();
    Ok(missing)
}

/// `validate` as a program and its arguments, `%s` standing for the new file; Ansible
/// refuses a command without `%s`. The words are split as Ansible's run_command
/// splits a string (shlex, no shell).
pub(crate) fn validate_argv(validate: &str) -> Result<Vec<String>, ModuleError> {
    if !validate.contains("%s") {
        return Err(ModuleError::invalid(
            "validate",
            format!("validate must contain %s: {validate}"),
        ));
    }
    let argv = crate::shell_words::split(validate)
        .map_err(|err| ModuleError::invalid("validate", format!("validate: {err}")))?;
    if argv.is_empty() {
        return Err(ModuleError::invalid("validate", "validate is empty"));
    }
    Ok(argv)
}

/// Split content into lines, each keeping its ending: `\n`, `\r\n` or `\r` (Python's
/// `bytes.splitlines(True)`).
pub(crate) fn splitlines(content: &[u8]) -> Vec<Vec<u8>> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut at = 0;
    while at < content.len() {
        let end = match content[at] {
            b'\n' => at + 1,
            b'\r' if content.get(at + 1) == Some(&b'\n') => at + 2,
            b'\r' => at + 1,
            _ => {
                at += 1;
                continue;
            }
        };
        lines.push(content[start..end].to_vec());
        start = end;
        at = end;
    }
    if start < content.len() {
        lines.push(content[start..].to_vec());
    }
    lines
}

/// Split content into lines, each keeping its line ending (Python's `readlines`).
pub(crate) fn lines_of(content: &[u8]) -> Vec<Vec<u8>> {
    content
        .split_inclusive(|byte| *byte == b'\n')
        .map(<[u8]>::to_vec)
        .collect()
}

/// A line without its `\n` (what a Python regex's `$` sees as the end).
pub(crate) fn without_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// A line without its `\r\n`/`\n`/`\r` endings (Python's `rstrip(b'\r\n')`).
pub(crate) fn rstrip_newlines(line: &[u8]) -> &[u8] {
    let end = line
        .iter()
        .rposition(|byte| *byte != b'\n' && *byte != b'\r')
        .map_or(0, |at| at + 1);
    &line[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_keep_their_endings() {
        assert_eq!(lines_of(b"a\nb"), vec![b"a\n".to_vec(), b"b".to_vec()]);
        assert!(lines_of(b"").is_empty());
        let split = splitlines(b"a\r\nb\rc\nd");
        assert_eq!(split, [&b"a\r\n"[..], b"b\r", b"c\n", b"d"]);
        assert_eq!(rstrip_newlines(b"x\r\n"), b"x");
        assert_eq!(without_newline(b"x\r\n"), b"x\r");
    }

    #[test]
    fn validate_needs_the_placeholder() {
        assert!(validate_argv("visudo -c").is_err());
        assert_eq!(
            validate_argv("visudo -cf %s").ok(),
            Some(vec!["visudo".into(), "-cf".into(), "%s".into()])
        );
    }
}
