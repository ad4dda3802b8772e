//! state=directory (mkdir -p, optionally `recurse` mode/owner below), state=absent
//! (remove, recursively) and state=touch (an empty file when missing).

use super::Task;
use crate::host::{Kind, Meta};
use crate::{Change, Diff, ModuleError, Op, Plan};
use std::path::{Path, PathBuf};

impl Task<'_> {
    pub(super) fn plan_directory(&self) -> Result<Plan, ModuleError> {
        let place = self.place(self.args.follow)?;
        // The place is canonical: when it is a directory, so is every prefix of it.
        let meta = match self.host.lstat_canonical(&place)? {
            Some(meta) if meta.is_dir() => meta,
            _ => return self.create_missing(&place),
        };
        let mut changes: Vec<Change> = self.attr_change(&place, &meta)?.into_iter().collect();
        if self.args.recurse {
            self.recurse_below(&place, &mut changes)?;
        }
        let mode = self.wanted_mode(meta.mode, true)?.unwrap_or(meta.mode);
        let after = self.after("directory", Some(&meta), mode, meta.size);
        self.finish(Plan::change(changes), &after)
    }

    /// The directories of `place` that are missing, first to last, made (an error
    /// when one of its prefixes is something else).
    fn create_missing(&self, place: &Path) -> Result<Plan, ModuleError> {
        let mut missing = Vec::new();
        let mut prefixes: Vec<&Path> = place.ancestors().filter(|p| p.parent().is_some()).collect();
        prefixes.reverse();
        for prefix in prefixes {
            if !missing.is_empty() {
                missing.push(prefix.to_path_buf());
                continue;
            }
            match self.host.lstat_canonical(prefix)? {
                None => missing.push(prefix.to_path_buf()),
                Some(meta) if meta.is_dir() => {}
                Some(_) => {
                    return Err(ModuleError::Failed(format!(
                        "{} exists and is not a directory (creating {})",
                        prefix.display(),
                        self.shown()
                    )))
                }
            }
        }
        if missing.is_empty() {
            return Err(ModuleError::Failed(format!(
                "{} vanished while planning",
                place.display()
            )));
        }
        self.create_directories(&missing)
    }

    /// mkdir -p: the missing parents get 0755 and our ownership, the leaf the wanted
    /// mode and owner. (Ansible gives every directory it creates the wanted mode and
    /// owner, so `mode: "0700"` on /srv/a/b can lock /srv; we deliberately do not.)
    fn create_directories(&self, missing: &[PathBuf]) -> Result<Plan, ModuleError> {
        let mode = self.new_mode(true)?;
        let leaf = missing.len().saturating_sub(1);
        let ops = missing
            .iter()
            .enumerate()
            .map(|(index, path)| Op::Mkdir {
                path: path.clone(),
                mode: if index == leaf { mode } else { 0o755 },
                owner: if index == leaf {
                    self.owner
                } else {
                    Default::default()
                },
            })
            .collect();
        let change = Change {
            summary: format!("create directory {}", self.shown()),
            diff: Some(Diff::of_path(
                self.shown(),
                "state: absent\n",
                format!("state: directory\nmode: {}\n", crate::mode::format(mode)),
            )),
            ops,
        };
        let after = self.after("directory", None, mode, 0);
        self.finish(Plan::change(vec![change]), &after)
    }

    /// Mode and owner of everything below `dir`; symlinks get an owner, not followed.
    fn recurse_below(&self, dir: &Path, changes: &mut Vec<Change>) -> Result<(), ModuleError> {
        for name in self.host.read_dir(dir)?.unwrap_or_default() {
            let path = dir.join(name);
            let Some(meta) = self.host.lstat_canonical(&path)? else {
                continue;
            };
            let shown = path.display().to_string();
            changes.extend(self.attr_change_named(&path, &shown, &meta)?);
            if meta.is_dir() {
                self.recurse_below(&path, changes)?;
            }
        }
        Ok(())
    }

    pub(super) fn plan_absent(&self) -> Result<Plan, ModuleError> {
        let place = self.place(false)?;
        let Some(meta) = self.host.lstat_canonical(&place)? else {
            return Ok(self.finish_absent(Plan::ok(), "absent"));
        };
        let change = Change {
            summary: format!("remove {}", self.shown()),
            diff: Some(Diff::of_path(
                self.shown(),
                format!("state: {}\n", kind_name(&meta)),
                "state: absent\n",
            )),
            ops: vec![Op::Remove { path: place }],
        };
        Ok(self.finish_absent(Plan::change(vec![change]), "absent"))
    }

    /// Missing: an empty file (changed). Present: only mode/owner are planned, and an
    /// unchanged path is `ok` (Ansible would bump the mtime and say `changed`).
    pub(super) fn plan_touch(&self) -> Result<Plan, ModuleError> {
        let place = self.place(self.args.follow)?;
        if let Some(meta) = self.host.lstat_canonical(&place)? {
            let changes = self.attr_change(&place, &meta)?.into_iter().collect();
            let mode = self
                .wanted_mode(meta.mode, meta.is_dir())?
                .unwrap_or(meta.mode);
            let after = self.after(kind_name(&meta), Some(&meta), mode, meta.size);
            return self.finish(Plan::change(changes), &after);
        }
        self.expect_parent_dir(&place)?;
        let mode = self.new_mode(false)?;
        let owned = self.owner.uid.is_some() || self.owner.gid.is_some();
        // setuid/setgid/sticky only once the file has its owner: chown clears them, and
        // a root-owned setuid file must not exist even for a moment.
        let special = mode & 0o7000;
        let mut ops = vec![Op::Touch {
            path: place.clone(),
            mode: if owned { mode & !0o7000 } else { mode },
        }];
        self.push_owner(&place, &mut ops);
        if owned && special != 0 {
            ops.push(Op::Chmod {
                path: place.clone(),
                mode,
            });
        }
        let change = Change {
            summary: format!("create empty file {}", self.shown()),
            diff: Some(Diff::of_path(
                self.shown(),
                "state: absent\n",
                "state: file\n",
            )),
            ops,
        };
        let after = self.after("file", None, mode, 0);
        self.finish(Plan::change(vec![change]), &after)
    }
}

/// The Ansible state name of what is at a path.
pub(super) fn kind_name(meta: &Meta) -> &'static str {
    match meta.kind {
        Kind::File if meta.nlink > 1 => "hard",
        Kind::File | Kind::Other => "file",
        Kind::Dir => "directory",
        Kind::Symlink(_) => "link",
    }
}
