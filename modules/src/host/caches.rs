//! What a Host remembers of the disk between two applies: `lstat` answers, resolved
//! (canonical) paths and the passwd/group databases.
//!
//! Every task resolves and checks the same parents (/etc, /srv/app…), each an
//! openat2, fstat and close; between two applies the tree does not change, so each is
//! asked once (at most [`MAX_REMEMBERED`] paths). A task resolves its path several
//! times (place, lstat, read), each a walk of every component: the answer is
//! remembered too, as it only depends on the lstat answers and the check-mode overlay,
//! which change only while ops apply; a path whose parent is remembered to resolve to
//! itself is resolved in one step (`Host::canonical`).
//!
//! A regular file that was lstat-ed is read next, most of the time (a file task looks
//! at its path, then compares the content): the O_PATH descriptor of the last one is
//! kept ([`Pinned`]), so the read reopens that inode instead of resolving the path
//! again (an openat2, an fstat and a close fewer per file).
//!
//! Any Host's apply may change any other Host's tree (a play on / writes into a
//! container's rootfs that a `root:` play reads), so one process-wide generation,
//! bumped by every apply, forgets every Host's caches; while any apply runs nothing
//! is read from or put into them, and no file is held pinned (an unmount must not
//! find it busy).

use super::disk::Pinned;
use super::Meta;
use foldhash::HashMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Paths remembered per map at most: a run that plans ten thousand files without
/// applying anything (a rerun) would otherwise keep every one of them. When a map is
/// full it starts again empty; the parents every task shares come back at once.
const MAX_REMEMBERED: usize = 4096;

/// Remember `value` under `key`, starting the map again when it is full.
fn remember<V>(map: &mut HashMap<OsString, V>, key: &Path, value: V) {
    if map.len() >= MAX_REMEMBERED {
        map.clear();
    }
    map.insert(key.as_os_str().to_os_string(), value);
}

/// Bumped when an apply starts and when it ends.
static GENERATION: AtomicU64 = AtomicU64::new(0);
/// How many applies are running now.
static APPLYING: AtomicUsize = AtomicUsize::new(0);

/// The file pinned last, by any Host: which Host's caches pinned it, in which
/// generation, at which canonical path.
struct PinnedAt {
    caches: u64,
    generation: u64,
    canonical: OsString,
    pinned: Pinned,
}

static PINNED: Mutex<Option<PinnedAt>> = Mutex::new(None);

/// Gives each Host's caches an id for [`PINNED`].
static NEXT_CACHES_ID: AtomicU64 = AtomicU64::new(0);

fn pinned_slot() -> MutexGuard<'static, Option<PinnedAt>> {
    PINNED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// An apply in progress: caches are off until it is dropped.
pub struct Applying(());

impl Applying {
    pub fn start() -> Applying {
        APPLYING.fetch_add(1, Ordering::SeqCst);
        GENERATION.fetch_add(1, Ordering::SeqCst);
        pinned_slot().take();
        Applying(())
    }
}

impl Drop for Applying {
    fn drop(&mut self) {
        GENERATION.fetch_add(1, Ordering::SeqCst);
        APPLYING.fetch_sub(1, Ordering::SeqCst);
    }
}

#[derive(Default)]
struct Remembered {
    generation: u64,
    // Keyed by the paths' bytes: hashing a `Path` walks it component by component,
    // which cost more than the lookups saved. (Two spellings of one path are two
    // keys with the same answer.)
    stats: HashMap<OsString, Option<Meta>>,
    /// Canonical paths by the path asked for: `[0]` final symlink kept, `[1]` followed.
    resolved: [HashMap<OsString, PathBuf>; 2],
    databases: HashMap<&'static str, Option<Arc<str>>>,
}

/// One Host's caches.
pub struct Caches {
    remembered: Mutex<Remembered>,
    /// This Host's id in [`PINNED`].
    id: u64,
}

impl Default for Caches {
    fn default() -> Caches {
        Caches {
            remembered: Mutex::default(),
            id: NEXT_CACHES_ID.fetch_add(1, Ordering::Relaxed),
        }
    }
}

impl Caches {
    /// The caches as of now, or `None` while an apply runs.
    fn current(&self) -> Option<MutexGuard<'_, Remembered>> {
        if APPLYING.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let generation = GENERATION.load(Ordering::SeqCst);
        let mut remembered = self
            .remembered
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if remembered.generation != generation {
            *remembered = Remembered {
                generation,
                ..Remembered::default()
            };
        }
        Some(remembered)
    }

    /// `lstat` of `canonical`, asked of `ask` unless remembered.
    pub fn stat<E>(
        &self,
        canonical: &Path,
        ask: impl FnOnce() -> Result<Option<Meta>, E>,
    ) -> Result<Option<Meta>, E> {
        if let Some(known) = self
            .current()
            .and_then(|c| c.stats.get(canonical.as_os_str()).cloned())
        {
            return Ok(known);
        }
        let meta = ask()?;
        if let Some(mut remembered) = self.current() {
            remember(&mut remembered.stats, canonical, meta.clone());
        }
        Ok(meta)
    }

    /// The canonical form of `path` (`follow_final` as in `path::chase`), found by
    /// `chase` unless remembered. Errors are not remembered.
    pub fn canonical<E>(
        &self,
        path: &Path,
        follow_final: bool,
        chase: impl FnOnce() -> Result<PathBuf, E>,
    ) -> Result<PathBuf, E> {
        let slot = usize::from(follow_final);
        if let Some(known) = self
            .current()
            .and_then(|c| c.resolved[slot].get(path.as_os_str()).cloned())
        {
            return Ok(known);
        }
        let canonical = chase()?;
        if let Some(mut remembered) = self.current() {
            remember(&mut remembered.resolved[slot], path, canonical.clone());
        }
        Ok(canonical)
    }

    /// Whether `path` is remembered to resolve (symlinks followed) to itself, byte for
    /// byte: a canonical path with no symlink on the way. (Remember one with
    /// [`Caches::canonical`].)
    pub fn resolves_to_itself(&self, path: &Path) -> bool {
        self.current().is_some_and(|c| {
            c.resolved[1]
                .get(path.as_os_str())
                .is_some_and(|known| known.as_os_str() == path.as_os_str())
        })
    }

    /// Keep `pinned`, the regular file just lstat-ed at `canonical`, for a read that
    /// may follow (in place of the one pinned before).
    pub fn pin(&self, canonical: &Path, pinned: Pinned) {
        if APPLYING.load(Ordering::SeqCst) > 0 {
            return;
        }
        let generation = GENERATION.load(Ordering::SeqCst);
        *pinned_slot() = Some(PinnedAt {
            caches: self.id,
            generation,
            canonical: canonical.as_os_str().to_os_string(),
            pinned,
        });
    }

    /// The file pinned at `canonical` by this Host since the last apply, if it is the
    /// last one pinned (taken: a second read opens the path again).
    pub fn take_pinned(&self, canonical: &Path) -> Option<Pinned> {
        if APPLYING.load(Ordering::SeqCst) > 0 {
            return None;
        }
        let generation = GENERATION.load(Ordering::SeqCst);
        let mut slot = pinned_slot();
        let current = slot.as_ref().is_some_and(|at| {
            at.caches == self.id
                && at.generation == generation
                && at.canonical == canonical.as_os_str()
        });
        if current {
            slot.take().map(|at| at.pinned)
        } else {
            None
        }
    }

    /// The database at `path`, read by `read` unless remembered.
    pub fn database<E>(
        &self,
        path: &'static str,
        read: impl FnOnce() -> Result<Option<String>, E>,
    ) -> Result<Option<Arc<str>>, E> {
        if let Some(known) = self.current().and_then(|c| c.databases.get(path).cloned()) {
            return Ok(known);
        }
        let text: Option<Arc<str>> = read()?.map(Arc::from);
        if let Some(mut remembered) = self.current() {
            remembered.databases.insert(path, text.clone());
        }
        Ok(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn any_apply_forgets_every_hosts_answers() {
        let caches = Caches::default();
        let answer = |text: &str| Ok::<_, ()>(Some(text.to_string()));
        let database = |text: &str| {
            caches
                .database("/etc/passwd", || answer(text))
                .map(|db| db.map(|db| db.to_string()))
        };
        assert_eq!(database("a"), answer("a"));
        assert_eq!(database("b"), answer("a"));
        let applying = Applying::start();
        assert_eq!(database("c"), answer("c"));
        assert_eq!(database("d"), answer("d"));
        drop(applying);
        assert_eq!(database("e"), answer("e"));
    }

    #[test]
    fn resolved_paths_are_remembered_per_follow_until_an_apply() {
        let caches = Caches::default();
        let path = Path::new("/etc/resolv.conf");
        let answer = |to: &str| Ok::<_, ()>(PathBuf::from(to));
        assert_eq!(
            caches.canonical(path, true, || answer("/run/a")),
            answer("/run/a")
        );
        assert_eq!(
            caches.canonical(path, true, || answer("/run/b")),
            answer("/run/a")
        );
        assert_eq!(
            caches.canonical(path, false, || answer("/etc/x")),
            answer("/etc/x")
        );
        assert_eq!(caches.canonical(path, true, || Err(())), answer("/run/a"));
        drop(Applying::start());
        assert_eq!(
            caches.canonical(path, true, || answer("/run/c")),
            answer("/run/c")
        );
    }

    #[test]
    fn a_full_map_starts_again() {
        let caches = Caches::default();
        let answer = |n: usize| Ok::<_, ()>(PathBuf::from(format!("/{n}")));
        for n in 0..=MAX_REMEMBERED {
            let path = PathBuf::from(format!("/p{n}"));
            assert_eq!(caches.canonical(&path, true, || answer(n)), answer(n));
        }
        let first = Path::new("/p0");
        assert_eq!(caches.canonical(first, true, || answer(7)), answer(7));
    }
}
