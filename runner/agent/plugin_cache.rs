//! Plugin modules (a playbook's `library/`) on a target: the controller announces the
//! plugin's executable by sha256, and the agent runs its copy cached by that hash in
//! its private cache folder, `~/.cache/machinist/plugins/SHA256` (beside an ssh
//! agent's own cache, `~/.cache/machinist/agent`). The folder is made 0700 and
//! checked to be the agent user's own folder, mode 0700, not a link, before each
//! use; a cached copy is read back and hashed before each run, and a missing or
//! altered one is received again (written to a temp file in the folder, checked,
//! renamed). The bytes cross the connection only when the copy is not there.
//!
//! The cache keeps the [`KEPT_PLUGINS`] most recently used copies (a use touches the
//! copy's mtime): storing a new one removes the older ones, except any copy a
//! session still holds. A session holds each copy it used until it ends ([`InUse`]:
//! a shared `flock` on the copy, taken before it is checked); the pruner removes a
//! copy only under an exclusive `flock` it gets without waiting, so another agent of
//! the same user, running now, never loses the plugin it is about to run.

use super::file_transfer::{self, TransferError};
use super::message::FileAnnounce;
use machinist_modules::source::hex;
use rustix::fs::FlockOperation;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fs::{DirBuilder, File};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// Below the agent user's home.
const CACHE: &str = ".cache/machinist/plugins";

/// How many copies the cache keeps: storing a new one removes the least recently
/// used past this many (but none a session holds).
pub const KEPT_PLUGINS: usize = 16;

/// The cached copies a session used, each held (a shared lock) until it ends.
#[derive(Default)]
pub struct InUse(HashMap<String, File>);

impl InUse {
    fn hold(&mut self, sha256: &str, file: File) {
        self.0.insert(sha256.to_string(), file);
    }
}

/// The cache folder, made if missing and checked (see the header); why not otherwise.
pub fn folder() -> Result<PathBuf, String> {
    let home = std::env::var_os("HOME")
        .filter(|home| !home.is_empty())
        .ok_or("the agent has no HOME for its plugin cache")?;
    let folder = Path::new(&home).join(CACHE);
    DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&folder)
        .map_err(|err| format!("cannot make the plugin cache {}: {err}", folder.display()))?;
    let meta =
        std::fs::symlink_metadata(&folder).map_err(|err| format!("{}: {err}", folder.display()))?;
    let euid = rustix::process::geteuid().as_raw();
    if !meta.is_dir() || meta.uid() != euid || meta.mode() & 0o077 != 0 {
        return Err(format!(
            "the plugin cache {} must be a folder of uid {euid} with mode 0700 (it is not: machinist will not run plugins from it)",
            folder.display()
        ));
    }
    Ok(folder)
}

/// The cached copy of `program`, if it is there with exactly the announced bytes;
/// held by `in_use` from now on (its mtime says it was just used).
pub fn lookup(folder: &Path, program: &FileAnnounce, in_use: &mut InUse) -> Option<PathBuf> {
    let path = folder.join(&program.sha256);
    let file = open_held(&path)?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.uid() != rustix::process::geteuid().as_raw() {
        return None;
    }
    let (size, sha256) = digest(&file).ok()?;
    let same = size == program.size && hex(&sha256) == program.sha256;
    tracing::debug!(path = %path.display(), same, "a cached plugin checked");
    if !same {
        return None;
    }
    if let Err(err) = file.set_modified(SystemTime::now()) {
        tracing::debug!(path = %path.display(), %err, "a cached plugin's use not noted");
    }
    in_use.hold(&program.sha256, file);
    Some(path)
}

/// `path` opened (never through a link) and held with a shared lock, if it is still
/// the file at `path` once held (a pruner may have removed it meanwhile).
fn open_held(path: &Path) -> Option<File> {
    let file = File::options()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
        .ok()?;
    rustix::fs::flock(&file, FlockOperation::LockShared).ok()?;
    let held = file.metadata().ok()?;
    let now = std::fs::symlink_metadata(path).ok()?;
    (held.dev() == now.dev() && held.ino() == now.ino()).then_some(file)
}

/// Remove the copies past the [`KEPT_PLUGINS`] most recently used, but `keep` and
/// any copy a session holds; how many were removed.
pub fn prune(folder: &Path, keep: &str) -> usize {
    let Ok(entries) = std::fs::read_dir(folder) else {
        return 0;
    };
    let mut copies: Vec<(SystemTime, String)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| {
            let name = entry.file_name().into_string().ok()?;
            let hashed = name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit());
            let meta = entry.metadata().ok()?;
            (hashed && meta.is_file()).then_some((meta.modified().ok()?, name))
        })
        .collect();
    copies.sort_by(|a, b| b.cmp(a));
    let mut removed = 0;
    for (_, name) in copies.iter().skip(KEPT_PLUGINS) {
        if name != keep && remove_unheld(&folder.join(name)) {
            removed += 1;
        }
    }
    tracing::debug!(folder = %folder.display(), removed, "the plugin cache pruned");
    removed
}

/// Remove `path` if no session holds it (an exclusive lock, not waited for).
fn remove_unheld(path: &Path) -> bool {
    let Ok(file) = File::options()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(path)
    else {
        return false;
    };
    if rustix::fs::flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
        tracing::debug!(path = %path.display(), "a cached plugin in use stays");
        return false;
    }
    // Still the file locked (not one stored under the same name since)?
    let same = match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(held), Ok(now)) => held.dev() == now.dev() && held.ino() == now.ino(),
        _ => false,
    };
    same && std::fs::remove_file(path).is_ok()
}

/// Receive the announced bytes into the cache (then pruned), held by `in_use`; the
/// cached copy's path.
pub fn store(
    folder: &Path,
    input: &mut impl Read,
    program: &FileAnnounce,
    in_use: &mut InUse,
) -> Result<PathBuf, TransferError> {
    let at_folder = |source: io::Error| TransferError::TempFile {
        dir: folder.display().to_string(),
        source,
    };
    let mut part = tempfile::Builder::new()
        .prefix(".part-")
        .tempfile_in(folder)
        .map_err(at_folder)?;
    file_transfer::receive_into(input, program, part.as_file_mut())?;
    part.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o700))
        .map_err(at_folder)?;
    part.as_file().sync_all().map_err(at_folder)?;
    let path = folder.join(&program.sha256);
    // The writable descriptor goes first: an executable open for writing cannot run.
    drop(part.persist(&path).map_err(|err| at_folder(err.error))?);
    let held = open_held(&path).ok_or_else(|| {
        at_folder(io::Error::other(format!(
            "{} went away as it was stored",
            path.display()
        )))
    })?;
    in_use.hold(&program.sha256, held);
    tracing::debug!(path = %path.display(), "a plugin cached");
    prune(folder, &program.sha256);
    Ok(path)
}

/// When a plugin script could not start: its `#!` interpreter, if the Host has no
/// such file (the message then names it).
pub fn missing_interpreter(host: &machinist_modules::Host, program: &Path) -> Option<String> {
    let mut head = [0u8; 256];
    let read = File::open(program)
        .and_then(|mut f| f.read(&mut head))
        .ok()?;
    let line = head[..read].strip_prefix(b"#!")?;
    let line = line.split(|b| *b == b'\n').next()?;
    let interpreter = std::str::from_utf8(line).ok()?.split_whitespace().next()?;
    match host.exists(Path::new(interpreter)) {
        Ok(false) => Some(interpreter.to_string()),
        _ => None,
    }
}

fn digest(mut file: &File) -> io::Result<(u64, [u8; 32])> {
    let mut digest = Sha256::new();
    let mut buffer = vec![0; 64 * 1024];
    let mut size = 0u64;
    loop {
        match file.read(&mut buffer) {
            Ok(0) => return Ok((size, digest.finalize().into())),
            Ok(read) => {
                size += read as u64;
                digest.update(&buffer[..read]);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announce(content: &[u8]) -> FileAnnounce {
        FileAnnounce {
            arg: "program".into(),
            entry: None,
            name: None,
            size: content.len() as u64,
            sha256: hex(&machinist_modules::source::sha256(content)),
        }
    }

    #[test]
    fn a_cached_copy_is_used_only_with_the_announced_bytes(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let folder = tempfile::tempdir()?;
        let program = announce(b"#!/bin/sh\necho '{}'\n");
        assert!(
            lookup(folder.path(), &program, &mut InUse::default()).is_none(),
            "nothing cached yet"
        );
        // An altered copy under the right name is not run.
        std::fs::write(folder.path().join(&program.sha256), "#!/bin/sh\nrm -rf ~\n")?;
        assert!(lookup(folder.path(), &program, &mut InUse::default()).is_none());
        // Nor a link to the right bytes.
        std::fs::remove_file(folder.path().join(&program.sha256))?;
        std::fs::write(folder.path().join("elsewhere"), "#!/bin/sh\necho '{}'\n")?;
        std::os::unix::fs::symlink("elsewhere", folder.path().join(&program.sha256))?;
        assert!(lookup(folder.path(), &program, &mut InUse::default()).is_none());
        std::fs::remove_file(folder.path().join(&program.sha256))?;
        std::fs::write(
            folder.path().join(&program.sha256),
            "#!/bin/sh\necho '{}'\n",
        )?;
        assert_eq!(
            lookup(folder.path(), &program, &mut InUse::default()),
            Some(folder.path().join(&program.sha256))
        );
        Ok(())
    }

    #[test]
    fn a_received_plugin_is_stored_0700_under_its_hash() -> Result<(), Box<dyn std::error::Error>> {
        use crate::agent::frame::{write_frame, Kind};
        let folder = tempfile::tempdir()?;
        let content = b"#!/bin/sh\necho '{}'\n";
        let program = announce(content);
        let mut frames = Vec::new();
        write_frame(&mut frames, Kind::Data, content)?;
        let in_use = &mut InUse::default();
        let path = store(folder.path(), &mut frames.as_slice(), &program, in_use)?;
        assert_eq!(path, folder.path().join(&program.sha256));
        assert_eq!(std::fs::metadata(&path)?.mode() & 0o777, 0o700);
        assert_eq!(lookup(folder.path(), &program, in_use), Some(path.clone()));
        // Held by the session, it still runs (no writable descriptor left open).
        let ran = std::process::Command::new(&path).output()?;
        assert_eq!(ran.stdout, b"{}\n");
        // Bytes that are not the announced ones are never stored.
        let other = announce(b"#!/bin/sh\nexit 1\n");
        assert!(store(folder.path(), &mut frames.as_slice(), &other, in_use).is_err());
        assert!(!folder.path().join(&other.sha256).exists());
        Ok(())
    }

    /// Store plugins `range` (by the number they print), the later used later; each
    /// held by `in_use`, or by a session of its own that ended.
    fn stored(
        folder: &Path,
        range: std::ops::Range<usize>,
        mut in_use: Option<&mut InUse>,
    ) -> Result<Vec<FileAnnounce>, Box<dyn std::error::Error>> {
        use crate::agent::frame::{write_frame, Kind};
        let start = SystemTime::now() - std::time::Duration::from_secs(3600);
        let mut announces = Vec::new();
        for n in range {
            let content = format!("#!/bin/sh\necho '{{\"n\": {n}}}'\n");
            let program = announce(content.as_bytes());
            let mut frames = Vec::new();
            write_frame(&mut frames, Kind::Data, content.as_bytes())?;
            let mut own = InUse::default();
            let holder = in_use.as_deref_mut().unwrap_or(&mut own);
            let path = store(folder, &mut frames.as_slice(), &program, holder)?;
            let used = start + std::time::Duration::from_secs(n as u64);
            File::options()
                .write(true)
                .open(&path)?
                .set_modified(used)?;
            announces.push(program);
        }
        Ok(announces)
    }

    fn cached(folder: &Path) -> usize {
        std::fs::read_dir(folder)
            .map(|entries| entries.filter(|entry| entry.is_ok()).count())
            .unwrap_or(0)
    }

    #[test]
    fn the_cache_keeps_the_most_recently_used_copies() -> Result<(), Box<dyn std::error::Error>> {
        let folder = tempfile::tempdir()?;
        let path = |program: &FileAnnounce| folder.path().join(&program.sha256);
        let announces = stored(folder.path(), 0..KEPT_PLUGINS + 4, None)?;
        // Each store pruned: the oldest went as the newer came.
        assert_eq!(cached(folder.path()), KEPT_PLUGINS);
        assert!(!path(&announces[3]).exists() && path(&announces[4]).exists());
        // The oldest left is used again: the next store removes the one after it.
        assert!(lookup(folder.path(), &announces[4], &mut InUse::default()).is_some());
        stored(folder.path(), 100..101, None)?;
        assert_eq!(cached(folder.path()), KEPT_PLUGINS);
        assert!(path(&announces[4]).exists());
        assert!(!path(&announces[5]).exists());
        Ok(())
    }

    #[test]
    fn a_copy_a_session_holds_is_never_pruned() -> Result<(), Box<dyn std::error::Error>> {
        let folder = tempfile::tempdir()?;
        // One running session stored (and holds) them all.
        let mut running = InUse::default();
        let announces = stored(folder.path(), 0..KEPT_PLUGINS + 4, Some(&mut running))?;
        assert_eq!(cached(folder.path()), KEPT_PLUGINS + 4, "none removed");
        assert_eq!(prune(folder.path(), ""), 0);
        // A copy another session holds stays too, once the first has ended.
        let mut other = InUse::default();
        let first = lookup(folder.path(), &announces[0], &mut other).ok_or("not cached")?;
        // (Held, not recent: its use is made the oldest again.)
        let long_ago = SystemTime::now() - std::time::Duration::from_secs(7200);
        File::options()
            .write(true)
            .open(&first)?
            .set_modified(long_ago)?;
        drop(running);
        assert_eq!(prune(folder.path(), ""), 3);
        for (n, program) in announces.iter().enumerate() {
            let kept = folder.path().join(&program.sha256).exists();
            assert_eq!(kept, n == 0 || n >= 4, "copy {n}");
        }
        drop(other);
        assert_eq!(prune(folder.path(), ""), 1);
        assert!(!first.exists());
        Ok(())
    }
}
