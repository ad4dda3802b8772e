//! A controller file (copy's `src`, a copied directory's files, a plugin) sent with a
//! request, streamed: the controller announces it (size, sha256) and, when the agent
//! asks for it (it may have the bytes already: kept.rs), reads it in pieces into Data
//! frames; the agent writes them, as they come, into an unnamed temporary file
//! (O_TMPFILE in the target's temp folder: nothing to clean up, nothing left if the
//! agent dies), checks size and sha256, and hands the module `/proc/self/fd/N`.
//! Neither side holds the file whole.

use super::frame::{read_frame, write_frame, FrameError, Kind, MAX_FRAME};
use super::message::FileAnnounce;
use machinist_modules::source::{hex, SourceFile};
use machinist_modules::Builtin;
use serde_json::{Map, Value as Json};
use sha2::{Digest, Sha256};
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::AsRawFd;
use std::sync::Arc;

/// The bytes of one Data frame.
const PIECE: usize = MAX_FRAME - 1;

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{0}")]
    Frame(#[from] FrameError),
    #[error("cannot hold a sent file in the target's temp folder {dir}: {source}")]
    TempFile { dir: String, source: io::Error },
    #[error("cannot write a sent file: {0}")]
    Write(io::Error),
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
/// copy's `_copy_from` (the runner's name for `src`; none with `remote_src`), and
/// unarchive's `src` unless `remote_src` (a path on the target, or a URL the target
/// fetches), script's file (`_script_from`).
pub fn controller_file_args(builtin: Builtin, args: &Map<String, Json>) -> Vec<&'static str> {
    match builtin {
        // remote_src as the module reads it: a boolean.
        Builtin::Unarchive if args.get("remote_src") != Some(&Json::Bool(true)) => vec!["src"],
        Builtin::Unarchive => Vec::new(),
        Builtin::Script => vec![machinist_modules::script::RUNNER_ARG],
        // copy's remote_src: src is on the target; the agent reads it, nothing is sent.
        Builtin::Copy if args.get("remote_src") == Some(&Json::Bool(true)) => Vec::new(),
        // A copy of a directory: one file per entry of its tree.
        Builtin::Copy | Builtin::File
            if args.contains_key(machinist_modules::file::RUNNER_TREE_ARG) =>
        {
            vec![machinist_modules::file::RUNNER_TREE_ARG]
        }
        _ => machinist_modules::file::RUNNER_ARGS.to_vec(),
    }
}

/// A received file, open (its `/proc/self/fd/N` name lives as long as one of its
/// clones does: the agent's kept files and a request's share it).
#[derive(Clone)]
pub struct Received {
    file: Arc<File>,
}

impl Received {
    /// The name the module opens it by.
    pub fn path(&self) -> String {
        format!("/proc/self/fd/{}", self.file.as_raw_fd())
    }
}

/// An unnamed temporary file in the target's temp folder.
pub fn temp_file() -> Result<File, TransferError> {
    let dir = std::env::temp_dir();
    tempfile::tempfile_in(&dir).map_err(|source| TransferError::TempFile {
        dir: dir.display().to_string(),
        source,
    })
}

impl From<File> for Received {
    fn from(file: File) -> Received {
        Received {
            file: Arc::new(file),
        }
    }
}

/// Receive the Data frames of `announce` into an unnamed temporary file.
pub fn receive(reader: &mut impl Read, announce: &FileAnnounce) -> Result<Received, TransferError> {
    let mut file = temp_file()?;
    receive_into(reader, announce, &mut file)?;
    Ok(file.into())
}

/// Receive the Data frames of `announce` into `file`, checking their size and sha256.
pub fn receive_into(
    reader: &mut impl Read,
    announce: &FileAnnounce,
    file: &mut impl Write,
) -> Result<(), TransferError> {
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
        file.write_all(&frame).map_err(TransferError::Write)?;
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
    Ok(())
}
