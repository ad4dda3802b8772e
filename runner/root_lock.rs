//! One writer per target root: two runs against the same root — or against a root
//! and a root inside it (`--root /A` and `--root /A/b`) — never interleave their
//! writes. A run takes an exclusive lock on its root before its first task; a
//! `--check` run takes a shared one (check runs coexist, and never see a real run's
//! half-way state). A second run waits, saying which pid holds the lock, or with
//! `--no-wait` fails at once (exit 1: the playbook is fine, the machine is busy).
//!
//! The lock is flock(2) on a file outside the root, named by a hash of the root's
//! canonical path and holding that path: a container root cannot hold, replace or
//! remove it (a lock inside the root would be the container's to tamper with, and
//! roots without /run, or not bootstrapped yet, have nowhere to put one). The kernel
//! drops the lock when its holder exits, however it exits, so there is never a stale
//! lock to clean up; the files stay (a few bytes each, in a tmpfs for root).
//!
//! Nested roots: a run holds only its own root's file, but takes it under the
//! folder's registry lock (`.registry`, flock held for the moment of taking), after
//! trying, in its own mode and without waiting, every other file whose root is above
//! or below its own: a conflicting holder there means wait (all released, tried again
//! later: nothing is held while waiting, so no deadlock). As every run takes its file
//! under the registry lock, a run that comes later finds the held file in its turn.
//!
//! Other users: the folder is 0700 and the files 0600, root's own for root's runs, so
//! no other user can open a file to flock it (and block root's runs), nor read the
//! paths in them. Nothing in a file names a pid.
//!
//! The folder: `$MACHINIST_LOCK_DIR` if set; `/run/machinist/locks` for root;
//! `$XDG_RUNTIME_DIR/machinist/locks` for other users; else
//! `$TMPDIR/machinist-UID/locks`. It is created 0700 and refused unless it is this
//! user's and closed to others.

use crate::events::LockWait;
use rustix::fs::{flock, FlockOperation, Mode, OFlags};
use rustix::io::Errno;
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{DirBuilderExt, MetadataExt};
use std::path::{Component, Path, PathBuf};
use std::time::Duration;

/// How often a waiting run tries the lock again (and looks for SIGINT/SIGTERM).
const RETRY: Duration = Duration::from_millis(50);

/// What a run is about to do to the root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Access {
    /// Write (a real run): alone.
    Exclusive,
    /// Only read (`--check`): alongside other readers, never beside a writer.
    Shared,
}

/// A held lock; dropping it (or exiting) releases it.
#[derive(Debug)]
pub struct RootLock {
    _file: File,
    /// The root's canonical path, the lock's key.
    pub root: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum LockError {
    #[error("{root} is in use: {holders} holds its lock ({lock_file}); not waiting (--no-wait)")]
    Busy {
        root: String,
        holders: String,
        lock_file: String,
    },
    #[error("cannot lock {root}: {path}: {source}")]
    Io {
        root: String,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// How a lock attempt ended.
#[derive(Debug)]
pub enum Locked {
    Held(RootLock),
    /// SIGINT/SIGTERM came while waiting: nothing was run.
    Interrupted,
}

/// Where lock files live (see the module header).
pub fn lock_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("MACHINIST_LOCK_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let uid = rustix::process::geteuid();
    if uid.is_root() {
        return PathBuf::from("/run/machinist/locks");
    }
    if let Some(dir) = std::env::var_os("XDG_RUNTIME_DIR").filter(|d| !d.is_empty()) {
        return Path::new(&dir).join("machinist/locks");
    }
    std::env::temp_dir()
        .join(format!("machinist-{}", uid.as_raw()))
        .join("locks")
}

/// The root's canonical path: symlinks of its existing part resolved, the rest (a root
/// a bootstrap task will create) normalised as written.
pub fn canonical_root(root: &Path) -> PathBuf {
    let absolute = std::path::absolute(root).unwrap_or_else(|_| root.to_path_buf());
    let mut existing = absolute.as_path();
    let mut rest = Vec::new();
    loop {
        if let Ok(real) = std::fs::canonicalize(existing) {
            let mut path = real;
            for component in rest.iter().rev() {
                match component {
                    Component::ParentDir => {
                        path.pop();
                    }
                    Component::Normal(name) => path.push(name),
                    _ => {}
                }
            }
            return path;
        }
        match (existing.parent(), existing.components().next_back()) {
            (Some(parent), Some(last)) => {
                rest.push(last);
                existing = parent;
            }
            _ => return absolute,
        }
    }
}

/// The lock file of a root in `dir`.
pub fn lock_file(dir: &Path, root: &Path) -> PathBuf {
    let digest = Sha256::digest(canonical_root(root).as_os_str().as_encoded_bytes());
    let name: String = digest[..12].iter().map(|b| format!("{b:02x}")).collect();
    dir.join(format!("{name}.lock"))
}

/// The registry lock's name in the lock folder (taken only while a run takes its own).
const REGISTRY: &str = ".registry";

/// Lock `root` for `access`. `held`: the roots this process holds already (never a
/// conflict with itself). When another run holds it, or a root above or below it:
/// with `wait`, call `waiting` once and poll until it is free (or a signal asks to
/// stop); without, fail at once.
pub fn acquire(
    root: &Path,
    access: Access,
    wait: bool,
    held: &[PathBuf],
    mut waiting: impl FnMut(&LockWait),
) -> Result<Locked, LockError> {
    let dir = lock_dir();
    let canonical = canonical_root(root);
    let path = lock_file(&dir, root);
    let shown = root.display().to_string();
    let io = |path: &Path, source: std::io::Error| LockError::Io {
        root: shown.clone(),
        path: path.to_path_buf(),
        source,
    };
    make_dir(&dir).map_err(|err| io(&dir, err))?;
    let registry_path = dir.join(REGISTRY);
    let mut told = false;
    loop {
        let registry = open(&registry_path).map_err(|err| io(&registry_path, err))?;
        flock(&registry, FlockOperation::LockExclusive)
            .map_err(|err| io(&registry_path, err.into()))?;
        let file = open(&path).map_err(|err| io(&path, err))?;
        note_root(&file, &canonical).map_err(|err| io(&path, err))?;
        let busy = if try_lock(&file, access).map_err(|err| io(&path, err))? {
            match related_conflict(&dir, &canonical, held, access).map_err(|err| io(&dir, err))? {
                None => {
                    return Ok(Locked::Held(RootLock {
                        _file: file,
                        root: canonical,
                    }));
                }
                Some(conflict) => {
                    drop(file);
                    conflict
                }
            }
        } else {
            (file, path.clone())
        };
        // Nothing is held while waiting.
        drop(registry);
        let (mut busy_file, busy_path) = busy;
        let holders = holders(&mut busy_file);
        if !wait {
            return Err(LockError::Busy {
                root: shown,
                holders: describe(&holders),
                lock_file: busy_path.display().to_string(),
            });
        }
        if !told {
            told = true;
            waiting(&LockWait {
                root: shown.clone(),
                holders,
                lock_file: busy_path.display().to_string(),
            });
        }
        if crate::signals::pending().is_some() {
            return Ok(Locked::Interrupted);
        }
        std::thread::sleep(RETRY);
    }
}

/// Take `file` for `access` without waiting: `false` when another holds it.
fn try_lock(file: &File, access: Access) -> std::io::Result<bool> {
    let operation = match access {
        Access::Exclusive => FlockOperation::NonBlockingLockExclusive,
        Access::Shared => FlockOperation::NonBlockingLockShared,
    };
    match flock(file, operation) {
        Ok(()) => Ok(true),
        Err(Errno::WOULDBLOCK) => Ok(false),
        Err(err) => Err(err.into()),
    }
}

/// Write the root's path into its lock file, unless it is there already (a file of an
/// older machinist holds a pid: replaced). Under the registry lock.
fn note_root(mut file: &File, canonical: &Path) -> std::io::Result<()> {
    let want = canonical.as_os_str().as_encoded_bytes();
    let mut have = Vec::new();
    file.rewind()?;
    (&mut file)
        .take(want.len() as u64 + 1)
        .read_to_end(&mut have)?;
    if have != want {
        file.set_len(0)?;
        file.rewind()?;
        file.write_all(want)?;
    }
    Ok(())
}

/// The first lock file of a root above or below `canonical` (not one of `held`) that
/// another run holds in a mode that excludes `access`: tried in that mode without
/// waiting, released at once. Under the registry lock.
fn related_conflict(
    dir: &Path,
    canonical: &Path,
    held: &[PathBuf],
    access: Access,
) -> std::io::Result<Option<(File, PathBuf)>> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.extension().map_or(true, |ext| ext != "lock") {
            continue;
        }
        let Ok(file) = open_existing(&path) else {
            continue;
        };
        let mut text = Vec::new();
        (&file).take(PATH_MAX).read_to_end(&mut text)?;
        let other = PathBuf::from(std::ffi::OsStr::from_bytes(&text));
        let related = other != canonical
            && other.is_absolute()
            && (other.starts_with(canonical) || canonical.starts_with(&other));
        if !related || held.contains(&other) {
            continue;
        }
        if try_lock(&file, access)? {
            flock(&file, FlockOperation::Unlock)?;
        } else {
            return Ok(Some((file, path)));
        }
    }
    Ok(None)
}

/// The longest path a lock file holds.
const PATH_MAX: u64 = 4096;

fn describe(holders: &[u32]) -> String {
    match holders {
        [] => "another machinist run".into(),
        [pid] => format!("pid {pid}"),
        pids => {
            let pids: Vec<String> = pids.iter().map(u32::to_string).collect();
            format!("pids {}", pids.join(", "))
        }
    }
}

/// Create the lock folder 0700 (and the folders above it that are missing); it must be
/// this user's. A default folder left open by an older machinist (0755) is closed; a
/// `MACHINIST_LOCK_DIR` the user chose is never chmodded (it could be /tmp), only
/// refused when others may write in it.
fn make_dir(dir: &Path) -> std::io::Result<()> {
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(dir)?;
    let meta = std::fs::symlink_metadata(dir)?;
    let ours = meta.uid() == rustix::process::geteuid().as_raw();
    let chosen = std::env::var_os("MACHINIST_LOCK_DIR").is_some_and(|d| !d.is_empty());
    if !meta.is_dir() || !ours || (chosen && meta.mode() & 0o022 != 0) {
        return Err(std::io::Error::other(format!(
            "{} is not a private folder of this user",
            dir.display()
        )));
    }
    if !chosen && meta.mode() & 0o077 != 0 {
        std::fs::set_permissions(dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;
    }
    Ok(())
}

/// A lock file, created 0600 if missing; never through a symlink, and refused unless
/// it is a regular file of this user (an older machinist's 0644 file is closed now).
fn open(path: &Path) -> std::io::Result<File> {
    let fd = rustix::fs::open(
        path,
        OFlags::RDWR | OFlags::CREATE | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::from_raw_mode(0o600),
    )?;
    private_file(File::from(fd), path)
}

/// An existing lock file, for trying it: as [`open`], never created.
fn open_existing(path: &Path) -> std::io::Result<File> {
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NONBLOCK,
        Mode::empty(),
    )?;
    private_file(File::from(fd), path)
}

fn private_file(file: File, path: &Path) -> std::io::Result<File> {
    let meta = file.metadata()?;
    if !meta.is_file() || meta.uid() != rustix::process::geteuid().as_raw() {
        return Err(std::io::Error::other(format!(
            "{} is not a lock file of this user",
            path.display()
        )));
    }
    if meta.mode() & 0o077 != 0 {
        file.set_permissions(std::os::unix::fs::PermissionsExt::from_mode(0o600))?;
    }
    Ok(file)
}

/// The pids holding a lock on `file`, from /proc/locks.
fn holders(file: &mut File) -> Vec<u32> {
    let Ok(meta) = file.metadata() else {
        return Vec::new();
    };
    let table = std::fs::read_to_string("/proc/locks").unwrap_or_default();
    let dev = (rustix::fs::major(meta.dev()), rustix::fs::minor(meta.dev()));
    let mut pids = holders_in(&table, Some(dev), meta.ino());
    if pids.is_empty() {
        pids = holders_in(&table, None, meta.ino());
    }
    pids
}

/// Parse /proc/locks lines (`1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF`) for the
/// holders (not the waiters, `1: -> FLOCK …`) of inode `ino` on device `dev`.
fn holders_in(table: &str, dev: Option<(u32, u32)>, ino: u64) -> Vec<u32> {
    let mut pids = Vec::new();
    for line in table.lines() {
        let fields: Vec<&str> = line.split_whitespace().collect();
        if fields.get(1) != Some(&"FLOCK") {
            continue;
        }
        let (Some(pid), Some(place)) = (fields.get(4), fields.get(5)) else {
            continue;
        };
        let parts: Vec<&str> = place.split(':').collect();
        let [major, minor, inode] = parts[..] else {
            continue;
        };
        let same_dev = dev.map_or(true, |(want_major, want_minor)| {
            u32::from_str_radix(major, 16) == Ok(want_major)
                && u32::from_str_radix(minor, 16) == Ok(want_minor)
        });
        if same_dev && inode.parse() == Ok(ino) {
            if let Ok(pid) = pid.parse::<u32>() {
                if pid != 0 && pid != std::process::id() && !pids.contains(&pid) {
                    pids.push(pid);
                }
            }
        }
    }
    pids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_locks_lines_name_the_holders_not_the_waiters() {
        let table = "1: FLOCK  ADVISORY  WRITE 4321 08:01:77 0 EOF\n\
                     1: -> FLOCK  ADVISORY  WRITE 999 08:01:77 0 EOF\n\
                     2: POSIX  ADVISORY  WRITE 555 08:01:77 0 EOF\n\
                     3: FLOCK  ADVISORY  READ 1234 08:01:78 0 EOF\n\
                     4: FLOCK  ADVISORY  READ 42 0a:02:77 0 EOF\n";
        assert_eq!(holders_in(table, Some((8, 1)), 77), vec![4321]);
        assert_eq!(holders_in(table, Some((10, 2)), 77), vec![42]);
        assert_eq!(holders_in(table, None, 77), vec![4321, 42]);
        assert!(holders_in(table, Some((8, 1)), 79).is_empty());
    }

    #[test]
    fn one_root_one_lock_file_whatever_path_names_it() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("machines/one");
        std::fs::create_dir_all(&root)?;
        std::os::unix::fs::symlink(dir.path().join("machines"), dir.path().join("alias"))?;
        let locks = Path::new("/locks");
        let by_alias = lock_file(locks, &dir.path().join("alias/one"));
        assert_eq!(lock_file(locks, &root), by_alias);
        assert_eq!(lock_file(locks, &root.join("../one/.")), by_alias);
        assert_ne!(lock_file(locks, &dir.path().join("machines/two")), by_alias);
        // A root that does not exist yet is keyed by where it will be.
        assert_eq!(
            canonical_root(&dir.path().join("alias/new/x")),
            std::fs::canonicalize(dir.path())?.join("machines/new/x")
        );
        Ok(())
    }
}
