//! What the agent keeps of the controller files it was sent, so a file is not sent
//! again (issue 17): the controller announces each file by size and sha256, and the
//! agent asks for the bytes only when it has neither kept them this session nor finds
//! them at the dest already (a rerun of an unchanged copy sends a hash, not the file).
//!
//! Kept files are the unnamed temporary files they were received into (on disk, in
//! the target's temp folder, gone with the agent), bounded in number and bytes: the
//! oldest go first. Bytes taken from a dest are copied into such a file and checked
//! against the announced sha256 as they are copied, so what the module reads is
//! exactly what the controller has, whatever happens to the dest afterwards.

use super::file_transfer::{self, Received};
use super::message::FileAnnounce;
use machinist_modules::source::hex;
use machinist_modules::Host;
use sha2::{Digest, Sha256};
use std::collections::VecDeque;
use std::io::Write;
use std::path::Path;

/// At most this many files are kept for later requests.
const MAX_KEPT_FILES: usize = 64;
/// At most this many bytes (on the target's disk) are kept for later requests.
const MAX_KEPT_BYTES: u64 = 64 * 1024 * 1024;

/// The files kept for the session, oldest first.
#[derive(Default)]
pub struct Kept {
    files: VecDeque<(String, u64, Received)>,
    bytes: u64,
}

impl Kept {
    /// The kept file with these bytes, if one is.
    pub fn get(&mut self, announce: &FileAnnounce) -> Option<Received> {
        let at = self
            .files
            .iter()
            .position(|(sha256, size, _)| *sha256 == announce.sha256 && *size == announce.size)?;
        // The most recently used go last.
        let found = self.files.remove(at)?;
        let received = found.2.clone();
        self.files.push_back(found);
        Some(received)
    }

    /// Keep `received` (the bytes of `announce`) for later requests, if it fits.
    pub fn keep(&mut self, announce: &FileAnnounce, received: &Received) {
        if announce.size > MAX_KEPT_BYTES || self.get(announce).is_some() {
            return;
        }
        while self.files.len() >= MAX_KEPT_FILES || self.bytes + announce.size > MAX_KEPT_BYTES {
            let Some((_, size, _)) = self.files.pop_front() else {
                break;
            };
            self.bytes -= size;
        }
        self.bytes += announce.size;
        self.files
            .push_back((announce.sha256.clone(), announce.size, received.clone()));
    }
}

/// The announced bytes, copied from `path` in the Host when that file holds exactly
/// them; `None` otherwise (absent, another size or content, unreadable: the
/// controller sends them).
pub fn from_target(host: &Host, path: &Path, announce: &FileAnnounce) -> Option<Received> {
    match host.stat(path) {
        Ok(Some(meta)) if meta.is_file() && meta.size == announce.size => {}
        _ => return None,
    }
    let mut file = file_transfer::temp_file().ok()?;
    let mut digest = Sha256::new();
    let found = host
        .file_chunks(path, &mut |chunk| {
            digest.update(chunk);
            file.write_all(chunk)
        })
        .ok()?;
    let same = found && hex(&digest.finalize().into()) == announce.sha256;
    tracing::debug!(path = %path.display(), same, "a sent file looked for at its dest");
    same.then(|| file.into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn announce(content: &[u8]) -> FileAnnounce {
        FileAnnounce {
            arg: "_copy_from".into(),
            entry: None,
            name: None,
            size: content.len() as u64,
            sha256: hex(&machinist_modules::source::sha256(content)),
        }
    }

    #[test]
    fn the_oldest_kept_files_go_first() -> Result<(), Box<dyn std::error::Error>> {
        let mut kept = Kept::default();
        let first = announce(b"first");
        kept.keep(&first, &file_transfer::temp_file()?.into());
        for n in 0..MAX_KEPT_FILES {
            let other = announce(format!("other {n}").as_bytes());
            kept.keep(&other, &file_transfer::temp_file()?.into());
        }
        assert!(kept.get(&first).is_none());
        assert!(kept.get(&announce(b"other 1")).is_some());
        assert_eq!(kept.files.len(), MAX_KEPT_FILES);
        Ok(())
    }

    #[test]
    fn a_dest_with_the_same_bytes_gives_them_and_another_does_not(
    ) -> Result<(), Box<dyn std::error::Error>> {
        use std::io::Read;
        let root = tempfile::tempdir()?;
        std::fs::write(root.path().join("same"), "content\n")?;
        std::fs::write(root.path().join("other"), "contenT\n")?;
        let host = Host::new(machinist_modules::HostOptions {
            root: root.path().to_path_buf(),
        })?;
        let wanted = announce(b"content\n");
        assert!(from_target(&host, Path::new("/other"), &wanted).is_none());
        assert!(from_target(&host, Path::new("/missing"), &wanted).is_none());
        let found = from_target(&host, Path::new("/same"), &wanted).ok_or("not found")?;
        let mut read = String::new();
        std::fs::File::open(found.path())?.read_to_string(&mut read)?;
        assert_eq!(read, "content\n");
        Ok(())
    }
}
