//! Reading the files a user hands machinist (playbooks, vars files, `-e @file`,
//! templates, `copy` sources, lookups) with a bound: a huge file, `/dev/zero` or a
//! FIFO given by mistake is refused with a message instead of eating the memory or
//! hanging the run. Every file is opened with O_NONBLOCK (opening a FIFO with no writer
//! would block for ever) and refused unless fstat says it is a regular file.

use std::io::Read;
use std::path::Path;

/// Playbooks, vars files and templates larger than this are refused (they are text
/// written by people: a real one is a few kilobytes).
pub const MAX_TEXT_BYTES: u64 = 16 * 1024 * 1024;

/// `copy` sources larger than this are refused (the content is held in memory).
pub const MAX_SOURCE_BYTES: u64 = 256 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is larger than {limit} bytes; machinist refuses to read it")]
    TooBig { path: String, limit: u64 },
    #[error("{path} is {kind}, not a regular file; machinist refuses to read it")]
    NotRegular { path: String, kind: &'static str },
    #[error("{path}:{line}:{col}: this file is not valid UTF-8")]
    NotUtf8 { path: String, line: u32, col: u32 },
}

/// The whole file, or an error if it is over `limit` bytes (however its size is told:
/// the read itself stops at the bound).
pub fn read(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let shown = || path.display().to_string();
    let io = |source| ReadError::Io {
        path: shown(),
        source,
    };
    let file = open_regular(path)?;
    let mut bytes = Vec::new();
    file.take(limit.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooBig {
            path: shown(),
            limit,
        });
    }
    Ok(bytes)
}

/// `path` opened for reading without blocking, if it is a regular file (symlinks
/// followed); a FIFO, socket, device or folder is refused before a byte is read.
pub fn open_regular(path: &Path) -> Result<std::fs::File, ReadError> {
    use rustix::fs::{FileType, Mode, OFlags};
    let io = |source: std::io::Error| ReadError::Io {
        path: path.display().to_string(),
        source,
    };
    let fd = rustix::fs::open(
        path,
        OFlags::RDONLY | OFlags::NONBLOCK | OFlags::CLOEXEC | OFlags::NOCTTY,
        Mode::empty(),
    )
    .map_err(|err| io(err.into()))?;
    let kind = FileType::from_raw_mode(
        rustix::fs::fstat(&fd)
            .map_err(|err| io(err.into()))?
            .st_mode,
    );
    let refused = match kind {
        FileType::RegularFile => None,
        FileType::Directory => Some("a folder"),
        FileType::Fifo => Some("a FIFO"),
        FileType::Socket => Some("a socket"),
        FileType::CharacterDevice => Some("a character device"),
        FileType::BlockDevice => Some("a block device"),
        FileType::Symlink | FileType::Unknown => Some("not a file"),
    };
    if let Some(kind) = refused {
        return Err(ReadError::NotRegular {
            path: path.display().to_string(),
            kind,
        });
    }
    // Reads of a regular file never block; clear the flag all the same.
    rustix::fs::fcntl_setfl(&fd, OFlags::empty()).map_err(|err| io(err.into()))?;
    Ok(std::fs::File::from(fd))
}

/// The kind of file `path` is when it exists and is not a regular file or a folder
/// (what [`open_regular`] refuses, said without opening it).
pub fn special_kind(path: &Path) -> Option<&'static str> {
    use std::os::unix::fs::FileTypeExt;
    let kind = std::fs::metadata(path).ok()?.file_type();
    if kind.is_fifo() {
        Some("a FIFO")
    } else if kind.is_socket() {
        Some("a socket")
    } else if kind.is_char_device() {
        Some("a character device")
    } else if kind.is_block_device() {
        Some("a block device")
    } else {
        None
    }
}

/// The whole file as UTF-8 text, within `limit` bytes.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    String::from_utf8(read(path, limit)?).map_err(|err| {
        let valid = &err.as_bytes()[..err.utf8_error().valid_up_to()];
        let line = valid.iter().filter(|b| **b == b'\n').count() as u32 + 1;
        let start = valid.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let col = String::from_utf8_lossy(&valid[start..]).chars().count() as u32 + 1;
        ReadError::NotUtf8 {
            path: path.display().to_string(),
            line,
            col,
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn devices_and_fifos_are_refused_without_blocking() -> Result<(), Box<dyn std::error::Error>> {
        let err = read(Path::new("/dev/zero"), 1024)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some(
                "/dev/zero is a character device, not a regular file; machinist refuses to read it"
            )
        );
        let dir = tempfile::tempdir()?;
        let fifo = dir.path().join("fifo");
        rustix::fs::mkfifoat(
            rustix::fs::CWD,
            &fifo,
            rustix::fs::Mode::from_raw_mode(0o600),
        )?;
        let err = read(&fifo, 1024).err().map(|e| e.to_string());
        assert_eq!(
            err,
            Some(format!(
                "{} is a FIFO, not a regular file; machinist refuses to read it",
                fifo.display()
            ))
        );
        assert_eq!(special_kind(&fifo), Some("a FIFO"));
        Ok(())
    }

    #[test]
    fn big_files_stop_at_the_bound() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("big");
        std::fs::write(&path, vec![b'x'; 2048])?;
        let err = read(&path, 1024).err().map(|e| e.to_string());
        assert_eq!(
            err,
            Some(format!(
                "{} is larger than 1024 bytes; machinist refuses to read it",
                path.display()
            ))
        );
        Ok(())
    }

    #[test]
    fn text_errors_say_where() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let path = dir.path().join("t.j2");
        std::fs::write(&path, b"ok\ncaf\xe9\n")?;
        let err = read_text(&path, 100).err().map(|e| e.to_string());
        assert_eq!(
            err,
            Some(format!(
                "{}:2:4: this file is not valid UTF-8",
                path.display()
            ))
        );
        std::fs::write(&path, "ok\n")?;
        assert_eq!(read_text(&path, 100)?, "ok\n");
        assert!(read_text(dir.path(), 100).is_err());
        Ok(())
    }
}
