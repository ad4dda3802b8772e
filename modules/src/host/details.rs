//! Host::details: what `stat` reports beyond [`Meta`] — the file type bits that tell
//! devices, fifos and sockets apart, the three times, blocks and the device number —
//! read through the same in-root resolution, the overlay first. An object made in the
//! check-mode overlay has no disk times: it reports the time it is asked about, as a
//! file written at that moment would.

use super::overlay::{Node, Seen};
use super::{Host, Kind, Meta};
use crate::ModuleError;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds and nanoseconds since the epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Timestamp {
    pub secs: i64,
    pub nanos: i64,
}

impl Timestamp {
    /// As Python's float `st_mtime`.
    pub fn as_f64(self) -> f64 {
        self.secs as f64 + self.nanos as f64 / 1e9
    }

    pub fn now() -> Timestamp {
        let since = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default();
        Timestamp {
            secs: i64::try_from(since.as_secs()).unwrap_or(i64::MAX),
            nanos: i64::from(since.subsec_nanos()),
        }
    }
}

/// The rest of a stat(2) answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extra {
    /// `st_mode & S_IFMT`.
    pub file_type: u32,
    pub atime: Timestamp,
    pub mtime: Timestamp,
    pub ctime: Timestamp,
    pub blocks: u64,
    pub block_size: u64,
    pub rdev: u64,
}

/// One path's whole stat answer, and the canonical path it was found at.
#[derive(Debug, Clone)]
pub struct Details {
    pub canonical: PathBuf,
    pub meta: Meta,
    pub extra: Extra,
}

impl Host {
    /// The stat answer of `path` (the final symlink followed inside the root when
    /// `follow`); `None` when absent (a dangling link followed included).
    pub fn details(&self, path: &Path, follow: bool) -> Result<Option<Details>, ModuleError> {
        let canonical = self.canonical(path, follow)?;
        let Some(meta) = self.lstat_canonical(&canonical)? else {
            return Ok(None);
        };
        let from_disk = match self.seen(&canonical) {
            Seen::Disk | Seen::Node(Node::Changed { .. }) => self
                .disk
                .extra(&canonical)
                .map_err(|err| ModuleError::io(&canonical, err))?,
            _ => None,
        };
        let mut extra = from_disk.unwrap_or_else(|| made_extra(&meta));
        if let Some((atime, mtime)) = self.overlay.times(&canonical) {
            extra.atime = atime.unwrap_or(extra.atime);
            extra.mtime = mtime.unwrap_or(extra.mtime);
        }
        Ok(Some(Details {
            canonical,
            meta,
            extra,
        }))
    }
}

/// What an object made in the overlay reports.
fn made_extra(meta: &Meta) -> Extra {
    let file_type = match meta.kind {
        Kind::Dir => 0o040000,
        Kind::Symlink(_) => 0o120000,
        Kind::File | Kind::Other => 0o100000,
    };
    let now = Timestamp::now();
    Extra {
        file_type,
        atime: now,
        mtime: now,
        ctime: now,
        blocks: meta.size.div_ceil(4096) * 8,
        block_size: 4096,
        rdev: 0,
    }
}
