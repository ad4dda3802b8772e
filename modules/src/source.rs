//! A controller file copied into the target (`copy: src=…`), never read whole: it is
//! hashed once when opened, compared and written in chunks, so a copy's memory does
//! not grow with the file, and binary files are copied byte for byte. Diffs of such
//! files (binary, or over [`DIFF_LIMIT`]) are summaries: size and sha256.

use rustix::fs::{FileType, Mode, OFlags};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Files (and contents) larger than this get a summary instead of a text diff.
pub const DIFF_LIMIT: u64 = 1024 * 1024;

/// The size of the chunks a file is read in.
const CHUNK: usize = 64 * 1024;

/// An open regular file of the controller, with its size and digest.
#[derive(Debug, Clone)]
pub struct SourceFile {
    file: Arc<File>,
    /// Where it was found (for messages).
    pub path: PathBuf,
    pub size: u64,
    pub sha256: [u8; 32],
    /// Whether it is UTF-8 text (a text diff is possible).
    pub text: bool,
}

/// Two sources are the same when their bytes are.
impl PartialEq for SourceFile {
    fn eq(&self, other: &SourceFile) -> bool {
        self.size == other.size && self.sha256 == other.sha256
    }
}

impl Eq for SourceFile {}

impl SourceFile {
    /// Open `path` without blocking (a FIFO never hangs the run), refuse anything but
    /// a regular file, and read it once for its digest.
    pub fn open(path: &Path) -> io::Result<SourceFile> {
        let fd = rustix::fs::open(
            path,
            OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
            Mode::empty(),
        )?;
        SourceFile::from_fd(fd, path)
    }

    /// An open file as a source (a target's file, opened inside its root, for copy's
    /// `remote_src`); `path` names it in messages. Refused unless a regular file;
    /// read once for its digest.
    pub fn from_fd(fd: std::os::fd::OwnedFd, path: &Path) -> io::Result<SourceFile> {
        let stat = rustix::fs::fstat(&fd)?;
        if FileType::from_raw_mode(stat.st_mode) != FileType::RegularFile {
            return Err(io::Error::other(format!(
                "{} is not a regular file; machinist refuses to read it",
                path.display()
            )));
        }
        let mut source = SourceFile {
            file: Arc::new(File::from(fd)),
            path: path.to_path_buf(),
            size: 0,
            sha256: [0; 32],
            text: true,
        };
        let mut digest = Sha256::new();
        let mut size = 0u64;
        let mut utf8 = Utf8Check::default();
        source.chunks(|chunk| {
            digest.update(chunk);
            size += chunk.len() as u64;
            utf8.feed(chunk);
            Ok(())
        })?;
        source.size = size;
        source.sha256 = digest.finalize().into();
        source.text = utf8.finish();
        Ok(source)
    }

    /// Every byte of the file, in order, chunk by chunk (read at offsets: clones of
    /// one source never disturb each other).
    pub fn chunks(&self, mut each: impl FnMut(&[u8]) -> io::Result<()>) -> io::Result<()> {
        let mut buffer = vec![0; CHUNK];
        let mut offset = 0u64;
        loop {
            let read = match self.file.read_at(&mut buffer, offset) {
                Ok(0) => return Ok(()),
                Ok(read) => read,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
                Err(err) => return Err(err),
            };
            offset += read as u64;
            each(&buffer[..read])?;
        }
    }

    /// The whole content (for a small text file's diff, or a check-mode read).
    pub fn read_all(&self) -> io::Result<Vec<u8>> {
        let mut content = Vec::with_capacity(usize::try_from(self.size).unwrap_or(0));
        self.chunks(|chunk| {
            content.extend_from_slice(chunk);
            Ok(())
        })?;
        Ok(content)
    }

    /// Whether `content` is exactly this file's bytes.
    pub fn same_as(&self, content: &[u8]) -> io::Result<bool> {
        Ok(content.len() as u64 == self.size && sha256(content) == self.sha256)
    }
}

/// A file of the target as a copy's source (copy's `remote_src`): the file itself,
/// streamed, or the bytes an earlier task of a check run recorded there.
#[derive(Debug, Clone)]
pub enum TargetSource {
    Open(SourceFile),
    Recorded(Vec<u8>),
}

/// The sha256 of some bytes.
pub fn sha256(content: &[u8]) -> [u8; 32] {
    Sha256::digest(content).into()
}

/// A digest as hex.
pub fn hex(digest: &[u8; 32]) -> String {
    digest.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// What a diff shows of a file too big or not text: `(binary, N bytes, sha256 H)`.
pub fn summary(text: bool, size: u64, digest: &[u8; 32]) -> String {
    let kind = if text { "" } else { "binary, " };
    format!("({kind}{size} bytes, sha256 {})\n", hex(digest))
}

/// What [`crate::Host::file_digest`] tells of a file in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileDigest {
    pub size: u64,
    pub sha256: [u8; 32],
    pub text: bool,
}

/// UTF-8 validity of a stream read in chunks (a character may straddle two).
#[derive(Default)]
pub(crate) struct Utf8Check {
    carry: Vec<u8>,
    bad: bool,
}

impl Utf8Check {
    pub(crate) fn feed(&mut self, chunk: &[u8]) {
        if self.bad {
            return;
        }
        let joined;
        let bytes = if self.carry.is_empty() {
            chunk
        } else {
            self.carry.extend_from_slice(chunk);
            joined = std::mem::take(&mut self.carry);
            &joined[..]
        };
        match std::str::from_utf8(bytes) {
            Ok(_) => self.carry.clear(),
            // Cut short at the end: the rest comes with the next chunk.
            Err(err) if err.error_len().is_none() => {
                self.carry = bytes[err.valid_up_to()..].to_vec();
            }
            Err(_) => self.bad = true,
        }
    }

    pub(crate) fn finish(self) -> bool {
        !self.bad && self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_is_checked_across_chunks() {
        let text = "é".repeat(10);
        let mut check = Utf8Check::default();
        for byte in text.as_bytes() {
            check.feed(std::slice::from_ref(byte));
        }
        assert!(check.finish());
        let mut check = Utf8Check::default();
        check.feed(&[0xc3]);
        assert!(!check.finish());
        let mut check = Utf8Check::default();
        check.feed(&[0xff, b'a']);
        assert!(!check.finish());
    }

    #[test]
    fn a_source_is_hashed_and_read_in_chunks() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("blob");
        let bytes: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes)?;
        let source = SourceFile::open(&path)?;
        assert_eq!(source.size, bytes.len() as u64);
        assert_eq!(source.sha256, sha256(&bytes));
        assert!(!source.text);
        assert_eq!(source.read_all()?, bytes);
        assert!(source.same_as(&bytes)?);
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(rustix::fs::CWD, &fifo, Mode::from_raw_mode(0o600))?;
        assert!(SourceFile::open(&fifo).is_err());
        Ok(())
    }
}
