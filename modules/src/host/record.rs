//! A file-tree op recorded in the check-mode overlay, its paths already resolved
//! (apply.rs), failing where the disk would fail (a missing parent, a directory where
//! a file goes), so check mode predicts the real run's errors too.

use super::apply::Resolved;
use super::overlay::{Attrs, Node, Seen};
use super::{effective_ids, os_error, Host, Timestamp};
use crate::{ModuleError, Ownership, TimeSpec};
use rustix::io::Errno;
use std::path::Path;

impl Host {
    pub(super) fn record_resolved(&self, op: Resolved) -> Result<(), ModuleError> {
        match op {
            Resolved::Write {
                at,
                content,
                mode,
                owner,
                ..
            } => {
                self.expect_replaceable(&at)?;
                let attrs = self.new_attrs(mode, owner);
                let content = content.to_vec();
                self.overlay.put(&at, Node::File { content, attrs });
            }
            Resolved::Copy {
                at,
                source,
                mode,
                owner,
                ..
            } => {
                self.expect_replaceable(&at)?;
                let attrs = self.new_attrs(mode, owner);
                let source = source.clone();
                self.overlay.put(&at, Node::Copied { source, attrs });
            }
            Resolved::Mkdir { at, mode, owner } => match self.lstat_canonical(&at)? {
                Some(meta) if meta.is_dir() => {}
                Some(_) => return Err(os_error(&at, Errno::EXIST)),
                None => {
                    self.expect_parent_dir(&at)?;
                    let attrs = self.new_attrs(mode, owner);
                    self.overlay.put(&at, Node::Dir { attrs });
                }
            },
            Resolved::Symlink { at, target } => {
                self.expect_replaceable(&at)?;
                let attrs = self.new_attrs(0o777, Ownership::default());
                let target = target.to_path_buf();
                self.overlay.put(&at, Node::Symlink { target, attrs });
            }
            Resolved::Hardlink { at, target } => {
                match self.lstat_canonical(&target)? {
                    None => return Err(os_error(&target, Errno::NOENT)),
                    Some(meta) if meta.is_dir() => return Err(os_error(&target, Errno::PERM)),
                    Some(_) => {}
                }
                self.expect_replaceable(&at)?;
                let node = match self.seen(&target) {
                    Seen::Node(file @ (Node::File { .. } | Node::Copied { .. })) => file,
                    Seen::Node(Node::Hardlink { to }) => Node::Hardlink { to },
                    _ => Node::Hardlink { to: target },
                };
                self.overlay.put(&at, node);
            }
            Resolved::Remove { at } => self.overlay.put(&at, Node::Absent),
            Resolved::Backup { to, content, meta } => {
                self.expect_replaceable(&to)?;
                let attrs = Attrs {
                    mode: meta.mode,
                    uid: meta.uid,
                    gid: meta.gid,
                    ino: self.overlay.next_ino(),
                };
                self.overlay.put(&to, Node::File { content, attrs });
            }
            Resolved::Chmod { at, mode } => match self.lstat_canonical(&at)? {
                None => return Err(os_error(&at, Errno::NOENT)),
                Some(meta) if meta.is_symlink() => {}
                Some(_) => self.change_attrs(&at, Some(mode & 0o7777), Ownership::default()),
            },
            Resolved::Chown { at, owner } => {
                if self.lstat_canonical(&at)?.is_none() {
                    return Err(os_error(&at, Errno::NOENT));
                }
                self.change_attrs(&at, None, owner);
            }
            Resolved::Touch { at, mode } => {
                if self.lstat_canonical(&at)?.is_none() {
                    self.expect_parent_dir(&at)?;
                    let attrs = self.new_attrs(mode, Ownership::default());
                    let content = Vec::new();
                    self.overlay.put(&at, Node::File { content, attrs });
                }
            }
            Resolved::SetTimes { at, atime, mtime } => {
                if self.lstat_canonical(&at)?.is_none() {
                    return Err(os_error(&at, Errno::NOENT));
                }
                let at_time = |time: Option<TimeSpec>| match time {
                    None => None,
                    Some(TimeSpec::Now) => Some(Timestamp::now()),
                    Some(TimeSpec::At(at)) => Some(at),
                };
                self.overlay.set_times(&at, at_time(atime), at_time(mtime));
            }
        }
        Ok(())
    }

    fn change_attrs(&self, canonical: &Path, mode: Option<u32>, owner: Ownership) {
        let at = match self.seen(canonical) {
            Seen::Node(Node::Hardlink { to }) => to,
            _ => canonical.to_path_buf(),
        };
        self.overlay.change_attrs(&at, mode, owner.uid, owner.gid);
    }

    /// Attributes of an object this process would create: our own ids unless given.
    fn new_attrs(&self, mode: u32, owner: Ownership) -> Attrs {
        Attrs {
            mode: mode & 0o7777,
            uid: owner.uid.unwrap_or(effective_ids().0),
            gid: owner.gid.unwrap_or(effective_ids().1),
            ino: self.overlay.next_ino(),
        }
    }

    fn expect_parent_dir(&self, canonical: &Path) -> Result<(), ModuleError> {
        let parent = canonical.parent().unwrap_or(Path::new("/"));
        match self.lstat_canonical(parent)? {
            Some(meta) if meta.is_dir() => Ok(()),
            Some(_) => Err(os_error(parent, Errno::NOTDIR)),
            None => Err(os_error(parent, Errno::NOENT)),
        }
    }

    /// Something may be renamed over this path: its parent is a directory, and it is
    /// not a directory itself (rename(2) cannot replace one with a non-directory).
    fn expect_replaceable(&self, canonical: &Path) -> Result<(), ModuleError> {
        self.expect_parent_dir(canonical)?;
        match self.lstat_canonical(canonical)? {
            Some(meta) if meta.is_dir() => Err(os_error(canonical, Errno::ISDIR)),
            _ => Ok(()),
        }
    }
}
