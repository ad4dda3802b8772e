//! A controller file (copy's `src`) sent with a module request, streamed: the
//! controller reads it in pieces into Data frames; the agent writes them, as they
//! come, into an unnamed temporary file (O_TMPFILE in the target's temp folder:
//! nothing to clean up, nothing left if the agent dies), checks size and sha256, and
//! hands the module `/proc/self/fd/N`. Neither side holds the file whole.

use super::frame::{read_frame, write_frame, FrameError, Kind, MAX_FRAME};
use super::message::FileAnnounce;
use machinist_modules::source::{hex, SourceFile};
use machinist_modules::Builtin;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;

/// The bytes of one Data frame.
const PIECE: usize = MAX_FRAME - 1;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{0}")]
    Frame(#[from] FrameError),
    #[error("cannot hold a sent file in the target's temp folder {dir}: {source}")]
    TempFile { dir: String, source: io::Error },
    #[error("the sent file for {arg} is {got} bytes, {wanted} were announced")]
    Size { arg: String, got: u64, wanted: u64 },
    #[error("the sent file for {arg} does not have the announced sha256")]
    Digest { arg: String },
}

/// Send `source`'s bytes as Data frames: exactly the size announced, or an error (a
/// file that changed size since it was opened breaks the session, never its stream).
pub fn send(writer: &mut impl Write, source: &SourceFile) -> io::Result<()> {
    let mut left = source.size;
    source.chunks(|chunk| {
        for piece in chunk.chunks(PIECE) {
            if piece.len() as u64 > left {
                return Err(io::Error::other("the file grew while it was sent"));
            }
            write_frame(writer, Kind::Data, piece)?;
            left -= piece.len() as u64;
        }
        Ok(())
    })?;
    if left > 0 {
        return Err(io::Error::other("the file shrank while it was sent"));
    }
    Ok(())
}

/// The arguments of a module request that may name controller files, sent with it:
/// copy's `_copy_from` (the runner's name for `src`), and unarchive's `src` unless
/// `remote_src` (a path on the target, or a URL the target fetches).
pub fn controller_file_args(builtin: Builtin, args: &Map<String, Json>) -> Vec<&'static str> {
    match builtin {
        // remote_src as the module reads it: a boolean.
        Builtin::Unarchive if args.get("remote_src") != Some(&Json::Bool(true)) => vec!["src"],
        Builtin::Unarchive => Vec::new(),
        _ => machinist_modules::file::RUNNER_ARGS.to_vec(),
    }
}

/// A received file, open (its `/proc/self/fd/N` name lives as long as it does).
pub struct Received {
    file: File,
}

impl Received {
    /// The name the module opens it by.
    pub fn path(&self) -> String {
        format!("/proc/self/fd/{}", self.file.as_raw_fd())
    }
}

/// Receive the Data frames of `announce` into an unnamed temporary file.
pub fn receive(reader: &mut impl Read, announce: &FileAnnounce) -> Result<Received, TransferError> {
    let dir = std::env::temp_dir();
    let mut file = tempfile::tempfile_in(&dir).map_err(|source| TransferError::TempFile {
        dir: dir.display().to_string(),
        source,
    })?;
    let mut digest = Sha256::new();
    let mut got = 0u64;
    let mut frame = Vec::new();
    while got < announce.size {
        match read_frame(reader, &mut frame)? {
            Kind::Data => {}
            other => {
                return Err(FrameError::Unexpected {
                    got: other,
                    wanted: "file's data",
                }
                .into())
            }
        }
        got += frame.len() as u64;
        if got > announce.size {
            break;
        }
        digest.update(&frame);
        file.write_all(&frame)
            .map_err(|source| TransferError::TempFile {
                dir: dir.display().to_string(),
                source,
            })?;
    }
    if got != announce.size {
        return Err(TransferError::Size {
            arg: announce.arg.clone(),
            got,
            wanted: announce.size,
        });
    }
    if hex(&digest.finalize().into()) != announce.sha256 {
        return Err(TransferError::Digest {
            arg: announce.arg.clone(),
        });
    }
    Ok(Received { file })
}
