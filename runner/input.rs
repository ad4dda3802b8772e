//! Reading the files a user hands machinist (playbooks, vars files, `-e @file`,
//! templates, `copy` sources, lookups) with a bound: a huge file, `/dev/zero` or a
//! FIFO given by mistake is refused with a message instead of eating the memory.

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
    let file = std::fs::File::open(path).map_err(io)?;
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
    fn endless_files_stop_at_the_bound() {
        let err = read(Path::new("/dev/zero"), 1024)
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("/dev/zero is larger than 1024 bytes; machinist refuses to read it")
        );
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
