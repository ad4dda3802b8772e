//! Plugin modules (a playbook's `library/`) on a target: the controller announces the
//! plugin's executable by sha256, and the agent runs its copy cached by that hash in
//! its private cache folder, `~/.cache/machinist/plugins/SHA256` (beside an ssh
//! agent's own cache, `~/.cache/machinist/agent`). The folder is made 0700 and
//! checked to be the agent user's own folder, mode 0700, not a link, before each
//! use; a cached copy is read back and hashed before each run, and a missing or
//! altered one is received again (written to a temp file in the folder, checked,
//! renamed). The bytes cross the connection only when the copy is not there.

use super::file_transfer::{self, TransferError};
use super::message::FileAnnounce;
use machinist_modules::source::hex;
use sha2::{Digest, Sha256};
use std::fs::{DirBuilder, File};
use std::io::{self, Read};
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Below the agent user's home.
const CACHE: &str = ".cache/machinist/plugins";

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

/// The cached copy of `program`, if it is there with exactly the announced bytes.
pub fn lookup(folder: &Path, program: &FileAnnounce) -> Option<PathBuf> {
    let path = folder.join(&program.sha256);
    let file = File::options()
        .read(true)
        .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
        .open(&path)
        .ok()?;
    let meta = file.metadata().ok()?;
    if !meta.is_file() || meta.uid() != rustix::process::geteuid().as_raw() {
        return None;
    }
    let (size, sha256) = digest(file).ok()?;
    let same = size == program.size && hex(&sha256) == program.sha256;
    tracing::debug!(path = %path.display(), same, "a cached plugin checked");
    same.then_some(path)
}

/// Receive the announced bytes into the cache; the cached copy's path.
pub fn store(
    folder: &Path,
    input: &mut impl Read,
    program: &FileAnnounce,
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
    part.persist(&path).map_err(|err| at_folder(err.error))?;
    tracing::debug!(path = %path.display(), "a plugin cached");
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

fn digest(mut file: File) -> io::Result<(u64, [u8; 32])> {
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
            lookup(folder.path(), &program).is_none(),
            "nothing cached yet"
        );
        // An altered copy under the right name is not run.
        std::fs::write(folder.path().join(&program.sha256), "#!/bin/sh\nrm -rf ~\n")?;
        assert!(lookup(folder.path(), &program).is_none());
        // Nor a link to the right bytes.
        std::fs::remove_file(folder.path().join(&program.sha256))?;
        std::fs::write(folder.path().join("elsewhere"), "#!/bin/sh\necho '{}'\n")?;
        std::os::unix::fs::symlink("elsewhere", folder.path().join(&program.sha256))?;
        assert!(lookup(folder.path(), &program).is_none());
        std::fs::remove_file(folder.path().join(&program.sha256))?;
        std::fs::write(
            folder.path().join(&program.sha256),
            "#!/bin/sh\necho '{}'\n",
        )?;
        assert_eq!(
            lookup(folder.path(), &program),
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
        let path = store(folder.path(), &mut frames.as_slice(), &program)?;
        assert_eq!(path, folder.path().join(&program.sha256));
        assert_eq!(std::fs::metadata(&path)?.mode() & 0o777, 0o700);
        assert_eq!(lookup(folder.path(), &program), Some(path));
        // Bytes that are not the announced ones are never stored.
        let other = announce(b"#!/bin/sh\nexit 1\n");
        assert!(store(folder.path(), &mut frames.as_slice(), &other).is_err());
        assert!(!folder.path().join(&other.sha256).exists());
        Ok(())
    }
}
