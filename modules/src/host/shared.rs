//! The check-mode overlay as hosts hold it: one overlay per run, shared by the host of
//! the run's root and every host made inside it with `Host::within` (a container's
//! rootfs under /var/lib/machines). What a play "wrote" into the container's tree in
//! check mode is then seen by the play that configures the container, as it will be on
//! disk in a real run.
//!
//! Keys of the shared overlay are canonical paths in the frame of the outermost host;
//! each host translates its own canonical paths by its base (`/` for the outermost).

use super::overlay::{Node, Overlay, Seen};
use super::path::relative_to_root;
use std::borrow::Cow;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

#[derive(Debug, Default)]
pub struct SharedOverlay {
    overlay: Arc<Mutex<Overlay>>,
    /// Where this host's `/` is in the overlay's frame.
    base: PathBuf,
}

impl SharedOverlay {
    pub fn new() -> SharedOverlay {
        SharedOverlay {
            overlay: Arc::default(),
            base: PathBuf::from("/"),
        }
    }

    /// The overlay as seen from a directory of this host (a canonical path).
    pub fn within(&self, canonical: &Path) -> SharedOverlay {
        SharedOverlay {
            overlay: Arc::clone(&self.overlay),
            base: self.key(canonical).into_owned(),
        }
    }

    /// A copy of the overlay as it is now, on its own from here on (a scratch host's).
    pub fn snapshot(&self) -> SharedOverlay {
        SharedOverlay {
            overlay: Arc::new(Mutex::new(self.lock().unjournaled())),
            base: self.base.clone(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Overlay> {
        // A panic while holding the lock cannot leave the map half-updated.
        self.overlay
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// This host's canonical path in the overlay's frame.
    fn key<'a>(&self, canonical: &'a Path) -> Cow<'a, Path> {
        if self.base == Path::new("/") {
            return Cow::Borrowed(canonical);
        }
        if canonical == Path::new("/") {
            return Cow::Owned(self.base.clone());
        }
        Cow::Owned(self.base.join(relative_to_root(canonical)))
    }

    /// An overlay path back in this host's frame; `None` when it lies outside.
    fn unkey(&self, key: &Path) -> Option<PathBuf> {
        let inside = key.strip_prefix(&self.base).ok()?;
        Some(Path::new("/").join(inside))
    }

    /// Whether nothing was recorded in any host's tree.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    pub fn lookup(&self, canonical: &Path) -> Seen {
        match self.lock().lookup(&self.key(canonical)) {
            // A hard link to a file outside this host's root: only the disk can tell.
            Seen::Node(Node::Hardlink { to }) => match self.unkey(&to) {
                Some(to) => Seen::Node(Node::Hardlink { to }),
                None => Seen::Disk,
            },
            seen => seen,
        }
    }

    pub fn put(&self, canonical: &Path, node: Node) {
        let node = match node {
            Node::Hardlink { to } => Node::Hardlink {
                to: self.key(&to).into_owned(),
            },
            node => node,
        };
        self.lock().put(&self.key(canonical), node);
    }

    pub fn forget(&self, canonical: &Path) {
        self.lock().forget(&self.key(canonical));
    }

    pub fn children(&self, canonical: &Path) -> (Vec<OsString>, Vec<OsString>) {
        self.lock().children(&self.key(canonical))
    }

    pub fn change_attrs(
        &self,
        canonical: &Path,
        mode: Option<u32>,
        uid: Option<u32>,
        gid: Option<u32>,
    ) {
        self.lock()
            .change_attrs(&self.key(canonical), mode, uid, gid);
    }

    pub fn times(&self, canonical: &Path) -> Option<super::overlay::Times> {
        self.lock().times(&self.key(canonical))
    }

    pub fn set_times(
        &self,
        canonical: &Path,
        atime: Option<super::details::Timestamp>,
        mtime: Option<super::details::Timestamp>,
    ) {
        self.lock().set_times(&self.key(canonical), atime, mtime);
    }

    pub fn next_ino(&self) -> u64 {
        self.lock().next_ino()
    }

    /// The predicted enablement of `unit` (`scope/name`) in this host's root.
    pub fn enablement(&self, unit: &str) -> Option<String> {
        self.lock().enablement(&self.base, unit).map(str::to_string)
    }

    pub fn set_enablement(&self, unit: &str, state: Option<&str>) {
        self.lock().set_enablement(&self.base, unit, state);
    }

    /// Remember that a program was recorded, not run, on this host.
    pub fn record_unrun(&self) {
        self.lock().record_unrun(&self.base);
    }

    /// Journal what is recorded from now on, in any host's tree (predictions.rs).
    pub fn start_journal(&self) {
        self.lock().start_journal();
    }

    pub fn take_journal(&self) -> Vec<super::predictions::Recorded> {
        self.lock().take_journal()
    }

    pub fn journal_since(&self, cursor: usize) -> (Vec<super::predictions::Recorded>, usize) {
        self.lock().journal_since(cursor)
    }

    /// Take in another process's records (keys in the outermost frame, as they are
    /// journaled); where the journal stood before and after.
    pub fn import(
        &self,
        entries: Vec<super::predictions::Recorded>,
        journaled: bool,
    ) -> (usize, usize) {
        self.lock().import(entries, journaled)
    }

    /// Whether anything recorded, not applied, lies in this host's tree (see
    /// [`Overlay::recorded_in`]).
    pub fn holds_records(&self) -> bool {
        self.lock().recorded_in(&self.base)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::overlay::Attrs;

    fn dir() -> Node {
        Node::Dir {
            attrs: Attrs {
                mode: 0o755,
                uid: 0,
                gid: 0,
                ino: 1,
            },
        }
    }

    #[test]
    fn a_host_within_sees_the_outer_hosts_records() {
        let outer = SharedOverlay::new();
        outer.put(Path::new("/var/lib/machines/box"), dir());
        let inner = outer.within(Path::new("/var/lib/machines/box"));
        assert_eq!(inner.lookup(Path::new("/")), Seen::Node(dir()));
        inner.put(Path::new("/etc"), dir());
        assert_eq!(
            outer.lookup(Path::new("/var/lib/machines/box/etc")),
            Seen::Node(dir())
        );
        let (added, _) = outer.children(Path::new("/var/lib/machines/box"));
        assert_eq!(added, vec![OsString::from("etc")]);
    }

    #[test]
    fn records_are_told_by_the_tree_they_lie_in() {
        let outer = SharedOverlay::new();
        let inner = outer.within(Path::new("/var/lib/machines/box"));
        let other = outer.within(Path::new("/var/lib/machines/other"));
        assert!(!outer.holds_records() && !inner.holds_records());
        inner.put(Path::new("/etc"), dir());
        assert!(outer.holds_records() && inner.holds_records());
        assert!(!other.holds_records());
        // A program not run on the outer host may have changed any tree inside it.
        let fresh = SharedOverlay::new();
        let boxed = fresh.within(Path::new("/var/lib/machines/box"));
        boxed.record_unrun();
        assert!(!fresh.holds_records());
        fresh.record_unrun();
        assert!(fresh.within(Path::new("/srv")).holds_records());
        boxed.set_enablement("system/x.service", Some("enabled"));
        assert!(boxed.holds_records());
    }

    #[test]
    fn hard_links_are_translated_both_ways() {
        let outer = SharedOverlay::new();
        let inner = outer.within(Path::new("/m/box"));
        inner.put(
            Path::new("/etc/b"),
            Node::Hardlink {
                to: PathBuf::from("/etc/a"),
            },
        );
        assert_eq!(
            outer.lookup(Path::new("/m/box/etc/b")),
            Seen::Node(Node::Hardlink {
                to: PathBuf::from("/m/box/etc/a")
            })
        );
        assert_eq!(
            inner.lookup(Path::new("/etc/b")),
            Seen::Node(Node::Hardlink {
                to: PathBuf::from("/etc/a")
            })
        );
        outer.put(
            Path::new("/m/box/etc/c"),
            Node::Hardlink {
                to: PathBuf::from("/etc/hosts"),
            },
        );
        assert_eq!(inner.lookup(Path::new("/etc/c")), Seen::Disk);
    }
}
