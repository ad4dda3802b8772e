//! The files `machinist vault` reads and writes: stdin and stdout for `-`, writes
//! through a temp file and a rename with the old file's mode (0600 for a new one:
//! a decrypted file is never readable by more people than the vaulted one was), and
//! the private folder `edit` and `create` hand to $EDITOR.

use std::fs::{DirBuilder, File, OpenOptions};
use std::io::{Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use crate::input::{ReadError, MAX_TEXT_BYTES};

pub fn is_stdio(path: &Path) -> bool {
    path.as_os_str() == "-"
}

/// A file's bytes, or stdin's for `-`.
pub fn read(path: &Path) -> Result<Vec<u8>, ReadError> {
    if !is_stdio(path) {
        return crate::input::read(path, MAX_TEXT_BYTES);
    }
    let mut bytes = Vec::new();
    std::io::stdin()
        .lock()
        .take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| ReadError::Io {
            path: "stdin".into(),
            source,
        })?;
    if bytes.len() as u64 > MAX_TEXT_BYTES {
        return Err(ReadError::TooBig {
            path: "stdin".into(),
            limit: MAX_TEXT_BYTES,
        });
    }
    Ok(bytes)
}

/// Write `bytes` to `path` (stdout for `-`): old or new, never half, with the old
/// file's mode or 0600.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if is_stdio(path) {
        let mut out = std::io::stdout().lock();
        out.write_all(bytes)?;
        return out.flush();
    }
    let mode = std::fs::metadata(path).map_or(0o600, |meta| meta.permissions().mode() & 0o7777);
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.machinist-vault-{}~", std::process::id()));
    let result = (|| {
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&tmp)?;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// A folder only this user can enter, removed with what is in it when dropped:
/// where a plaintext waits for $EDITOR.
pub struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    pub fn new() -> std::io::Result<PrivateDir> {
        let base = std::env::temp_dir();
        let mut last = None;
        for _ in 0..16 {
            let path = base.join(format!(
                "machinist-vault-{}-{:016x}",
                std::process::id(),
                rand::random::<u64>()
            ));
            match DirBuilder::new().mode(0o700).create(&path) {
                Ok(()) => return Ok(PrivateDir { path }),
                Err(err) if err.kind() == std::io::ErrorKind::AlreadyExists => last = Some(err),
                Err(err) => return Err(err),
            }
        }
        Err(last.unwrap_or_else(|| std::io::Error::other("no temporary folder name was free")))
    }

    /// A new 0600 file in the folder, named like `original` (editors pick their
    /// syntax from the extension).
    pub fn file(&self, original: &Path, bytes: &[u8]) -> std::io::Result<PathBuf> {
        let name = original
            .file_name()
            .map_or_else(|| "vault".into(), |n| n.to_os_string());
        let path = self.path.join(name);
        let mut file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&path)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        Ok(path)
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        // Overwrite what the editor left before removing it (a plaintext).
        if let Ok(entries) = std::fs::read_dir(&self.path) {
            for entry in entries.flatten() {
                if let Ok(meta) = entry.metadata() {
                    if meta.is_file() {
                        if let Ok(mut file) = OpenOptions::new().write(true).open(entry.path()) {
                            let zeros = vec![0u8; meta.len() as usize];
                            let _ = file.write_all(&zeros).and_then(|()| file.sync_all());
                        }
                    }
                }
            }
        }
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// Whether `path` already exists (for `create`).
pub fn exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok()
}

/// Read a file the editor wrote back.
pub fn read_back(path: &Path) -> std::io::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    File::open(path)?
        .take(MAX_TEXT_BYTES + 1)
        .read_to_end(&mut bytes)?;
    Ok(bytes)
}
