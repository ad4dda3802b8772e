//! The check-mode overlay: what earlier tasks "did", kept in memory, keyed by canonical
//! in-root path, and laid over the disk for every later read. A directory made here
//! hides whatever the disk has below it (it did not exist there, or was removed first);
//! a removed path hides itself and everything below. Beside the files, it keeps what
//! `systemctl enable|disable|mask` would have left units in, since systemctl itself
//! only ever sees the disk.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::ops::Bound;
use std::path::{Path, PathBuf};

use super::details::Timestamp;
use super::predictions::{Journaled, Recorded};

/// The device number overlay objects report (no real device has it).
pub const OVERLAY_DEV: u64 = u64::MAX;

/// Mode, owner and identity of an object made in the overlay.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Attrs {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub ino: u64,
}

/// What the overlay knows about one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Node {
    /// Removed: nothing here, nor below.
    Absent,
    File {
        content: Vec<u8>,
        attrs: Attrs,
    },
    /// A file a check-mode copy would write: a controller file's bytes (read only if
    /// a later task reads it).
    Copied {
        source: crate::source::SourceFile,
        attrs: Attrs,
    },
    Dir {
        attrs: Attrs,
    },
    Symlink {
        target: PathBuf,
        attrs: Attrs,
    },
    /// A hard link: the same object as the (canonical) path `to`.
    Hardlink {
        to: PathBuf,
    },
    /// The disk's object, with changed attributes.
    Changed {
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    },
}

/// Where to look for a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Seen {
    Absent,
    Node(Node),
    /// The overlay knows nothing: ask the disk.
    Disk,
}

#[derive(Debug, Default, Clone)]
pub struct Overlay {
    nodes: BTreeMap<PathBuf, Node>,
    /// By the unit's root (canonical, like `nodes`), then `scope/unit`: the word
    /// `systemctl is-enabled` would print.
    enablement: BTreeMap<(PathBuf, String), String>,
    /// Access and modification times set on a path (`None`: as the disk has it).
    times: BTreeMap<PathBuf, Times>,
    /// The roots (canonical) of hosts where a program run was recorded, not run: what
    /// it would have changed there is unknown.
    unrun: BTreeSet<PathBuf>,
    last_ino: u64,
    /// What was recorded, for the other processes acting on the same machine
    /// (predictions.rs); `None`: nobody asked.
    journal: Option<Journal>,
}

/// The entries recorded since the journal started, less the first `taken` of them.
#[derive(Debug, Default, Clone)]
struct Journal {
    entries: Vec<Journaled>,
    taken: usize,
}

/// Access and modification times recorded for a path.
pub type Times = (Option<Timestamp>, Option<Timestamp>);

impl Overlay {
    /// Keep a journal of what is recorded (see predictions.rs), from now on; started
    /// late, it opens with what the overlay holds already.
    pub fn start_journal(&mut self) {
        if self.journal.is_some() {
            return;
        }
        let mut entries: Vec<Journaled> = self
            .nodes
            .iter()
            .map(|(path, node)| Journaled::Put {
                path: path.clone(),
                node: node.clone(),
            })
            .collect();
        let times = self.times.iter().map(|(path, (atime, mtime))| {
            Journaled::Other(Recorded::SetTimes {
                path: path.clone(),
                atime: *atime,
                mtime: *mtime,
            })
        });
        let enablement = self.enablement.iter().map(|((root, unit), state)| {
            Journaled::Other(Recorded::Enablement {
                root: root.clone(),
                unit: unit.clone(),
                state: Some(state.clone()),
            })
        });
        let unrun = self
            .unrun
            .iter()
            .map(|root| Journaled::Other(Recorded::Unrun { root: root.clone() }));
        entries.extend(times.chain(enablement).chain(unrun));
        self.journal = Some(Journal { entries, taken: 0 });
    }

    /// A copy without the journal (a scratch view's, whose records stay its own).
    pub fn unjournaled(&self) -> Overlay {
        Overlay {
            journal: None,
            ..self.clone()
        }
    }

    /// The journal's entries from now on go nowhere: those recorded so far, taken out.
    pub fn take_journal(&mut self) -> Vec<Recorded> {
        match &mut self.journal {
            None => Vec::new(),
            Some(journal) => {
                journal.taken += journal.entries.len();
                let entries = std::mem::take(&mut journal.entries);
                entries.into_iter().map(Journaled::into_recorded).collect()
            }
        }
    }

    /// The entries after `cursor` (counted from the journal's start), and where it ends.
    pub fn journal_since(&self, cursor: usize) -> (Vec<Recorded>, usize) {
        let Some(journal) = &self.journal else {
            return (Vec::new(), 0);
        };
        let end = journal.taken + journal.entries.len();
        let from = cursor.clamp(journal.taken, end) - journal.taken;
        let entries = journal.entries[from..].iter().cloned();
        (entries.map(Journaled::into_recorded).collect(), end)
    }

    /// Record what another process recorded, journaled again only if `journaled`;
    /// where the journal stood before and after.
    pub fn import(&mut self, entries: Vec<Recorded>, journaled: bool) -> (usize, usize) {
        let kept = if journaled { None } else { self.journal.take() };
        let start = self.journal_since(usize::MAX).1;
        for entry in entries {
            self.apply(entry);
        }
        let end = self.journal_since(usize::MAX).1;
        if kept.is_some() {
            self.journal = kept;
        }
        (start, end)
    }

    fn apply(&mut self, entry: Recorded) {
        match entry {
            Recorded::Put { path, node } => match node.into_node() {
                Some(node) => {
                    if let Node::File { attrs, .. }
                    | Node::Dir { attrs }
                    | Node::Symlink { attrs, .. } = &node
                    {
                        self.last_ino = self.last_ino.max(attrs.ino);
                    }
                    self.put(&path, node);
                }
                None => self.forget(&path),
            },
            Recorded::ChangeAttrs {
                path,
                mode,
                uid,
                gid,
            } => self.change_attrs(&path, mode, uid, gid),
            Recorded::Forget { path } => self.forget(&path),
            Recorded::SetTimes { path, atime, mtime } => self.set_times(&path, atime, mtime),
            Recorded::Enablement { root, unit, state } => {
                self.set_enablement(&root, &unit, state.as_deref())
            }
            Recorded::Unrun { root } => self.record_unrun(&root),
        }
    }

    fn journal(&mut self, entry: impl FnOnce() -> Journaled) {
        if let Some(journal) = &mut self.journal {
            journal.entries.push(entry());
        }
    }

    /// A fresh inode number for an object made in the overlay.
    pub fn next_ino(&mut self) -> u64 {
        self.last_ino += 1;
        self.last_ino
    }

    /// What the overlay says about a canonical path.
    /// Whether nothing was recorded (a real run): every path is as the disk has it.
    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn lookup(&self, canonical: &Path) -> Seen {
        // A real run records nothing: every read asks the disk.
        if self.nodes.is_empty() {
            return Seen::Disk;
        }
        let mut ancestors: Vec<&Path> = canonical.ancestors().skip(1).collect();
        ancestors.reverse();
        let mut hidden_below = false;
        for ancestor in ancestors {
            match self.nodes.get(ancestor) {
                None | Some(Node::Changed { .. }) => {}
                Some(Node::Dir { .. }) => hidden_below = true,
                Some(_) => return Seen::Absent,
            }
        }
        match self.nodes.get(canonical) {
            Some(Node::Absent) => Seen::Absent,
            Some(node) => Seen::Node(node.clone()),
            None if hidden_below => Seen::Absent,
            None => Seen::Disk,
        }
    }

    /// What an earlier task of this check run left a unit's enablement in.
    pub fn enablement(&self, root: &Path, unit: &str) -> Option<&str> {
        self.enablement
            .get(&(root.to_path_buf(), unit.to_string()))
            .map(String::as_str)
    }

    /// Remember a unit's predicted enablement (`None`: not known, ask systemctl).
    pub fn set_enablement(&mut self, root: &Path, unit: &str, state: Option<&str>) {
        self.journal(|| {
            Journaled::Other(Recorded::Enablement {
                root: root.to_path_buf(),
                unit: unit.to_string(),
                state: state.map(str::to_string),
            })
        });
        let key = (root.to_path_buf(), unit.to_string());
        match state {
            Some(state) => self.enablement.insert(key, state.to_string()),
            None => self.enablement.remove(&key),
        };
    }

    /// Remember that a program was not run on the host whose root is `root`.
    pub fn record_unrun(&mut self, root: &Path) {
        self.journal(|| {
            Journaled::Other(Recorded::Unrun {
                root: root.to_path_buf(),
            })
        });
        self.unrun.insert(root.to_path_buf());
    }

    /// Whether anything was recorded that the disk of `root` (canonical) does not
    /// show: an object at or below it, a unit's enablement there, or a program not
    /// run on it or on a host whose tree holds it.
    pub fn recorded_in(&self, root: &Path) -> bool {
        let below = |path: &PathBuf| path.starts_with(root);
        self.nodes
            .range::<PathBuf, _>(root.to_path_buf()..)
            .next()
            .is_some_and(|(path, _)| below(path))
            || self
                .enablement
                .keys()
                .any(|(unit_root, _)| unit_root == root)
            || self
                .unrun
                .iter()
                .any(|host_root| root.starts_with(host_root))
    }

    /// Record a new object at a path, replacing what was there and below.
    pub fn put(&mut self, canonical: &Path, node: Node) {
        self.journal(|| Journaled::Put {
            path: canonical.to_path_buf(),
            node: node.clone(),
        });
        self.forget_below(canonical);
        self.forget_times(canonical);
        self.nodes.insert(canonical.to_path_buf(), node);
    }

    /// Record attribute changes of an existing object.
    pub fn change_attrs(
        &mut self,
        canonical: &Path,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) {
        self.journal(|| {
            Journaled::Other(Recorded::ChangeAttrs {
                path: canonical.to_path_buf(),
                mode,
                uid,
                gid,
            })
        });
        let entry = self
            .nodes
            .entry(canonical.to_path_buf())
            .or_insert(Node::Changed {
                mode: None,
                uid: None,
                gid: None,
            });
        match entry {
            Node::File { attrs, .. }
            | Node::Copied { attrs, .. }
            | Node::Dir { attrs }
            | Node::Symlink { attrs, .. } => {
                attrs.mode = mode.unwrap_or(attrs.mode);
                attrs.uid = uid.unwrap_or(attrs.uid);
                attrs.gid = gid.unwrap_or(attrs.gid);
            }
            Node::Changed {
                mode: old_mode,
                uid: old_uid,
                gid: old_gid,
            } => {
                *old_mode = mode.or(*old_mode);
                *old_uid = uid.or(*old_uid);
                *old_gid = gid.or(*old_gid);
            }
            Node::Absent | Node::Hardlink { .. } => {}
        }
    }

    /// The names the overlay adds to and removes from a directory's listing.
    pub fn children(&self, canonical: &Path) -> (Vec<OsString>, Vec<OsString>) {
        let mut added = Vec::new();
        let mut removed = Vec::new();
        let after = (Bound::Excluded(canonical.to_path_buf()), Bound::Unbounded);
        for (path, node) in self.nodes.range::<PathBuf, _>(after) {
            if !path.starts_with(canonical) {
                break;
            }
            if path.parent() != Some(canonical) {
                continue;
            }
            let Some(name) = path.file_name() else {
                continue;
            };
            match node {
                Node::Absent => removed.push(name.to_os_string()),
                Node::Changed { .. } => {}
                _ => added.push(name.to_os_string()),
            }
        }
        (added, removed)
    }

    /// Drop what the overlay says about a path and below (the disk changed there).
    pub fn forget(&mut self, canonical: &Path) {
        // A real run records nothing, so it has nothing to forget nor to say.
        if self.nodes.is_empty() && self.times.is_empty() {
            return;
        }
        self.journal(|| {
            Journaled::Other(Recorded::Forget {
                path: canonical.to_path_buf(),
            })
        });
        self.forget_below(canonical);
        self.forget_times(canonical);
        self.nodes.remove(canonical);
    }

    /// The times recorded for a path, if any.
    pub fn times(&self, canonical: &Path) -> Option<Times> {
        self.times.get(canonical).copied()
    }

    /// Record times set on an existing path (`None` keeps what was there).
    pub fn set_times(
        &mut self,
        canonical: &Path,
        atime: Option<Timestamp>,
        mtime: Option<Timestamp>,
    ) {
        self.journal(|| {
            Journaled::Other(Recorded::SetTimes {
                path: canonical.to_path_buf(),
                atime,
                mtime,
            })
        });
        let entry = self.times.entry(canonical.to_path_buf()).or_default();
        entry.0 = atime.or(entry.0);
        entry.1 = mtime.or(entry.1);
    }

    /// Forget the times of a path and everything below (it was replaced or removed).
    fn forget_times(&mut self, canonical: &Path) {
        self.times.retain(|path, _| !path.starts_with(canonical));
    }

    fn forget_below(&mut self, canonical: &Path) {
        let after = (Bound::Excluded(canonical.to_path_buf()), Bound::Unbounded);
        let below: Vec<PathBuf> = self
            .nodes
            .range::<PathBuf, _>(after)
            .map(|(path, _)| path)
            .take_while(|path| path.starts_with(canonical))
            .cloned()
            .collect();
        for path in below {
            self.nodes.remove(&path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn attrs() -> Attrs {
        Attrs {
            mode: 0o755,
            uid: 0,
            gid: 0,
            ino: 1,
        }
    }

    #[test]
    fn unknown_paths_go_to_disk() {
        let overlay = Overlay::default();
        assert_eq!(overlay.lookup(Path::new("/etc/hostname")), Seen::Disk);
    }

    #[test]
    fn removal_hides_the_subtree() {
        let mut overlay = Overlay::default();
        overlay.put(Path::new("/etc"), Node::Absent);
        assert_eq!(overlay.lookup(Path::new("/etc")), Seen::Absent);
        assert_eq!(overlay.lookup(Path::new("/etc/x/y")), Seen::Absent);
        assert_eq!(overlay.lookup(Path::new("/etcetera")), Seen::Disk);
    }

    #[test]
    fn a_made_directory_hides_the_disk_below() {
        let mut overlay = Overlay::default();
        overlay.put(Path::new("/a"), Node::Absent);
        overlay.put(Path::new("/a"), Node::Dir { attrs: attrs() });
        let file = Node::File {
            content: b"x".to_vec(),
            attrs: attrs(),
        };
        overlay.put(Path::new("/a/f"), file.clone());
        assert_eq!(overlay.lookup(Path::new("/a/f")), Seen::Node(file));
        assert_eq!(overlay.lookup(Path::new("/a/g")), Seen::Absent);
        let (added, removed) = overlay.children(Path::new("/a"));
        assert_eq!(added, vec![OsString::from("f")]);
        assert!(removed.is_empty());
    }

    #[test]
    fn replacing_forgets_what_was_below() {
        let mut overlay = Overlay::default();
        overlay.put(Path::new("/a"), Node::Dir { attrs: attrs() });
        overlay.put(Path::new("/a/b"), Node::Dir { attrs: attrs() });
        overlay.put(Path::new("/a"), Node::Absent);
        assert_eq!(overlay.children(Path::new("/a")), (vec![], vec![]));
        assert_eq!(overlay.lookup(Path::new("/a/b")), Seen::Absent);
    }

    #[test]
    fn forgetting_shows_the_disk_again() {
        let mut overlay = Overlay::default();
        overlay.put(Path::new("/a"), Node::Dir { attrs: attrs() });
        overlay.put(Path::new("/a/b"), Node::Absent);
        overlay.forget(Path::new("/a"));
        assert_eq!(overlay.lookup(Path::new("/a/b")), Seen::Disk);
    }

    #[test]
    fn attribute_changes_accumulate() {
        let mut overlay = Overlay::default();
        overlay.change_attrs(Path::new("/f"), Some(0o600), None, None);
        overlay.change_attrs(Path::new("/f"), None, Some(33), None);
        let changed = Node::Changed {
            mode: Some(0o600),
            uid: Some(33),
            gid: None,
        };
        assert_eq!(overlay.lookup(Path::new("/f")), Seen::Node(changed));
    }
}
