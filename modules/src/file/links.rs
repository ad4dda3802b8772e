//! state=link (a symlink, target stored verbatim) and state=hard (a hard link to a
//! file inside the root). A wrong link is replaced; a file or empty directory only
//! with `force: true`, as in Ansible.

use super::tree::kind_name;
use super::Task;
use crate::host::{Kind, Meta};
use crate::{Change, Diff, ModuleError, Op, Plan};
use std::path::{Path, PathBuf};

impl Task<'_> {
    pub(super) fn plan_link(&self) -> Result<Plan, ModuleError> {
        let place = self.place(false)?;
        let meta = self.host.lstat_canonical(&place)?;
        let src = match (&self.args.src, &meta) {
            (Some(src), _) => PathBuf::from(src),
            (
                None,
                Some(Meta {
                    kind: Kind::Symlink(current),
                    ..
                }),
            ) => current.clone(),
            (None, _) => {
                return Err(ModuleError::invalid(
                    "src",
                    "state=link needs src, the target of the link",
                ))
            }
        };
        self.expect_parent_dir(&place)?;
        if !self.force() {
            self.expect_link_target(&place, &src)?;
        }
        let (before, mut ops) = match &meta {
            None => ("state: absent\n".to_string(), Vec::new()),
            Some(meta) => match &meta.kind {
                Kind::Symlink(current) if *current == src => {
                    return self.keep_link(&place, meta, &src)
                }
                Kind::Symlink(current) => (
                    format!("state: link\nsrc: {}\n", current.display()),
                    Vec::new(),
                ),
                _ => self.make_way(&place, meta, "symlink")?,
            },
        };
        ops.push(Op::Symlink {
            path: place.clone(),
            target: src.clone(),
        });
        self.push_owner(&place, &mut ops);
        let change = Change {
            summary: format!("link {} -> {}", self.shown(), src.display()),
            diff: Some(Diff::of_path(
                self.shown(),
                before,
                format!("state: link\nsrc: {}\n", src.display()),
            )),
            ops,
        };
        let size = src.as_os_str().len() as u64;
        let after = self.after("link", None, 0o777, size);
        let plan = self.finish(Plan::change(vec![change]), &after)?;
        Ok(plan.with_data("src", src.display().to_string()))
    }

    /// The link is right; only its owner may differ.
    fn keep_link(&self, place: &Path, meta: &Meta, src: &Path) -> Result<Plan, ModuleError> {
        let changes = self.attr_change(place, meta)?.into_iter().collect();
        let after = self.after("link", Some(meta), 0o777, meta.size);
        let plan = self.finish(Plan::change(changes), &after)?;
        Ok(plan.with_data("src", src.display().to_string()))
    }

    /// Without force, the link must point at something (relative to its directory).
    fn expect_link_target(&self, place: &Path, src: &Path) -> Result<(), ModuleError> {
        let from = place.parent().unwrap_or(Path::new("/")).join(src);
        if self.host.exists(&from)? {
            return Ok(());
        }
        Err(ModuleError::Failed(format!(
            "src file {} does not exist, use force: true if you really want to create the link {}",
            src.display(),
            self.shown()
        )))
    }

    pub(super) fn plan_hard(&self) -> Result<Plan, ModuleError> {
        let src = self.args.src.as_deref().ok_or_else(|| {
            ModuleError::invalid("src", "state=hard needs src, the file to link to")
        })?;
        let src = Path::new("/").join(src);
        let source = match self.host.stat(&src)? {
            None => {
                return Err(ModuleError::Failed(format!(
                    "src file {} does not exist",
                    src.display()
                )))
            }
            Some(meta) if meta.is_dir() => {
                return Err(ModuleError::Failed(format!(
                    "cannot hard link directory {}",
                    src.display()
                )))
            }
            Some(meta) => meta,
        };
        let place = self.place(false)?;
        self.expect_parent_dir(&place)?;
        let meta = self.host.lstat_canonical(&place)?;
        let (before, mut ops) = match &meta {
            None => ("state: absent\n".to_string(), Vec::new()),
            Some(meta) if (meta.dev, meta.ino) == (source.dev, source.ino) => {
                return self.keep_hard(&place, &source, &src)
            }
            Some(meta) if meta.is_symlink() || (meta.is_file() && meta.nlink > 1) => {
                (format!("state: {}\n", kind_name(meta)), Vec::new())
            }
            Some(meta) => self.make_way(&place, meta, "hard link")?,
        };
        ops.push(Op::Hardlink {
            path: place.clone(),
            target: src.clone(),
        });
        let mut changes = vec![Change {
            summary: format!("hard link {} -> {}", self.shown(), src.display()),
            diff: Some(Diff::of_path(
                self.shown(),
                before,
                format!("state: hard\nsrc: {}\n", src.display()),
            )),
            ops,
        }];
        changes.extend(self.attr_change(&place, &source)?);
        let mode = self.wanted_mode(source.mode, false)?.unwrap_or(source.mode);
        let after = self.after("hard", Some(&source), mode, source.size);
        let plan = self.finish(Plan::change(changes), &after)?;
        Ok(plan.with_data("src", src.display().to_string()))
    }

    fn keep_hard(&self, place: &Path, source: &Meta, src: &Path) -> Result<Plan, ModuleError> {
        let changes = self.attr_change(place, source)?.into_iter().collect();
        let mode = self.wanted_mode(source.mode, false)?.unwrap_or(source.mode);
        let after = self.after("hard", Some(source), mode, source.size);
        let plan = self.finish(Plan::change(changes), &after)?;
        Ok(plan.with_data("src", src.display().to_string()))
    }

    /// A file or directory stands where a link goes: refused without `force`; a
    /// directory must be empty and is removed first (rename cannot replace it).
    fn make_way(
        &self,
        place: &Path,
        meta: &Meta,
        what: &str,
    ) -> Result<(String, Vec<Op>), ModuleError> {
        let kind = kind_name(meta);
        if !self.force() {
            return Err(ModuleError::Failed(format!(
                "refusing to convert from {kind} to {what} for {} (use force: true)",
                self.shown()
            )));
        }
        let mut ops = Vec::new();
        if meta.is_dir() {
            if !self.host.read_dir(place)?.unwrap_or_default().is_empty() {
                return Err(ModuleError::Failed(format!(
                    "the directory {} is not empty, refusing to convert it",
                    self.shown()
                )));
            }
            ops.push(Op::Remove {
                path: place.to_path_buf(),
            });
        }
        Ok((format!("state: {kind}\n"), ops))
    }

    /// A new link or file belongs to us; give it the wanted owner (lchown).
    pub(super) fn push_owner(&self, place: &Path, ops: &mut Vec<Op>) {
        if self.owner.uid.is_some() || self.owner.gid.is_some() {
            ops.push(Op::Chown {
                path: place.to_path_buf(),
                owner: self.owner,
            });
        }
    }
}
