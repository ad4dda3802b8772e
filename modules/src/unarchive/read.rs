//! Archives read in Rust: tar (plain, gzip, xz, zstd, bzip2, told apart by their magic
//! bytes) and zip, into a list of [`Member`]s with safe relative paths. Nothing here
//! touches a disk: the unarchive module plans writes of these members through the Host,
//! so no external tar ever writes into a (possibly hostile) root.
//!
//! A member whose path is absolute or climbs out with `..`, or that lies under a
//! symlink member of the same archive, is refused: the archive could otherwise write
//! outside `dest`.

use crate::ModuleError;
use std::io::{Cursor, Read};
use std::path::{Component, Path, PathBuf};

/// The most bytes all members may unpack to together (a zip or gzip bomb stops here).
pub const MAX_UNPACKED: u64 = 1 << 30;

/// What one member is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberKind {
    File(Vec<u8>),
    Dir,
    Symlink(PathBuf),
    /// A hard link to another member (its path relative to dest).
    Hardlink(PathBuf),
}

/// One member of an archive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Relative to dest, normal components only.
    pub path: PathBuf,
    /// The name as stored (what `list_files` shows).
    pub name: String,
    pub kind: MemberKind,
    /// Permission bits as stored.
    pub mode: u32,
    /// Owner as stored (tar only).
    pub ids: Option<(u32, u32)>,
}

/// Which reader an archive needs (Ansible's handler names, for the result).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Tar,
    TarGz,
    TarXz,
    TarZst,
    TarBz2,
    Zip,
}

impl Format {
    pub fn detect(bytes: &[u8]) -> Option<Format> {
        let starts = |magic: &[u8]| bytes.starts_with(magic);
        if starts(&[0x1f, 0x8b]) {
            Some(Format::TarGz)
        } else if starts(&[0xfd, b'7', b'z', b'X', b'Z', 0]) {
            Some(Format::TarXz)
        } else if starts(&[0x28, 0xb5, 0x2f, 0xfd]) {
            Some(Format::TarZst)
        } else if starts(b"BZh") {
            Some(Format::TarBz2)
        } else if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
            Some(Format::Zip)
        } else if bytes.get(257..262) == Some(b"ustar") {
            Some(Format::Tar)
        } else {
            None
        }
    }

    /// The name Ansible's result gives the reader (`handler`).
    pub fn handler(self) -> &'static str {
        match self {
            Format::Zip => "ZipArchive",
            Format::Tar => "TarArchive",
            Format::TarGz => "TgzArchive",
            Format::TarXz => "TarXzArchive",
            Format::TarZst => "TarZstdArchive",
            Format::TarBz2 => "TarBzipArchive",
        }
    }
}

/// Every member of the archive, in archive order, with `strip` leading components
/// removed (members left with no path are dropped, as tar's --strip-components does).
pub fn members(bytes: &[u8], format: Format, strip: usize) -> Result<Vec<Member>, ModuleError> {
    let members = match format {
        Format::Zip => zip_members(bytes)?,
        Format::Tar => tar_members(bytes)?,
        Format::TarGz => tar_members(flate2::read::MultiGzDecoder::new(bytes))?,
        Format::TarXz => tar_members(liblzma::read::XzDecoder::new(bytes))?,
        Format::TarZst => tar_members(
            zstd::stream::read::Decoder::new(bytes).map_err(|err| unreadable(err.to_string()))?,
        )?,
        Format::TarBz2 => tar_members(bzip2::read::BzDecoder::new(bytes))?,
    };
    let mut kept = Vec::with_capacity(members.len());
    let mut links: Vec<PathBuf> = Vec::new();
    for mut member in members {
        let Some(path) = stripped(&member.path, strip) else {
            continue;
        };
        member.path = path;
        if let MemberKind::Hardlink(target) = &member.kind {
            let target = stripped(target, strip).ok_or_else(|| {
                unsafe_member(&member.name, "a hard link to a member stripped away")
            })?;
            member.kind = MemberKind::Hardlink(target);
        }
        if links.iter().any(|link| member.path.starts_with(link)) {
            return Err(unsafe_member(
                &member.name,
                "it lies under a symlink of the archive",
            ));
        }
        if matches!(member.kind, MemberKind::Symlink(_)) {
            links.push(member.path.clone());
        }
        kept.push(member);
    }
    Ok(kept)
}

fn unreadable(message: String) -> ModuleError {
    ModuleError::Failed(format!("cannot read the archive: {message}"))
}

fn unsafe_member(name: &str, why: &str) -> ModuleError {
    ModuleError::Failed(format!("refusing archive member '{name}': {why}"))
}

/// A member's path as a relative path of normal components; `..` or a root refused.
fn safe_path(name: &str) -> Result<PathBuf, ModuleError> {
    let mut path = PathBuf::new();
    for component in Path::new(name).components() {
        match component {
            Component::Normal(part) => path.push(part),
            Component::CurDir => {}
            Component::ParentDir => {
                return Err(unsafe_member(name, "its path climbs out with '..'"))
            }
            Component::RootDir | Component::Prefix(_) => {
                return Err(unsafe_member(name, "its path is absolute"))
            }
        }
    }
    Ok(path)
}

fn stripped(path: &Path, strip: usize) -> Option<PathBuf> {
    let rest: PathBuf = path.components().skip(strip).collect();
    (!rest.as_os_str().is_empty()).then_some(rest)
}

/// Counts unpacked bytes against [`MAX_UNPACKED`].
struct Budget(u64);

impl Budget {
    /// A member's content, read only as far as the budget left allows.
    fn read(&mut self, reader: impl Read, declared: u64) -> Result<Vec<u8>, ModuleError> {
        let left = MAX_UNPACKED - self.0;
        if declared > left {
            return Err(too_big());
        }
        let mut content = Vec::with_capacity(declared as usize);
        reader
            .take(left + 1)
            .read_to_end(&mut content)
            .map_err(|err| unreadable(err.to_string()))?;
        if content.len() as u64 > left {
            return Err(too_big());
        }
        self.0 += content.len() as u64;
        Ok(content)
    }
}

fn too_big() -> ModuleError {
    unreadable(format!("it unpacks to more than {MAX_UNPACKED} bytes"))
}

fn tar_members(reader: impl Read) -> Result<Vec<Member>, ModuleError> {
    let mut archive = tar::Archive::new(reader);
    let mut members = Vec::new();
    let mut budget = Budget(0);
    let entries = archive
        .entries()
        .map_err(|err| unreadable(err.to_string()))?;
    for entry in entries {
        let mut entry = entry.map_err(|err| unreadable(err.to_string()))?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        let path = safe_path(&name)?;
        let header = entry.header();
        let mode = header.mode().unwrap_or(0o644) & 0o7777;
        let ids = match (header.uid(), header.gid()) {
            (Ok(uid), Ok(gid)) => u32::try_from(uid).ok().zip(u32::try_from(gid).ok()),
            _ => None,
        };
        let link = || {
            entry
                .link_name_bytes()
                .map(|bytes| PathBuf::from(String::from_utf8_lossy(&bytes).into_owned()))
                .ok_or_else(|| unreadable(format!("link '{name}' has no target")))
        };
        let kind = match header.entry_type() {
            tar::EntryType::Regular | tar::EntryType::Continuous => {
                let declared = entry.size();
                MemberKind::File(budget.read(&mut entry, declared)?)
            }
            tar::EntryType::Directory => MemberKind::Dir,
            tar::EntryType::Symlink => MemberKind::Symlink(link()?),
            tar::EntryType::Link => {
                let target = link()?;
                MemberKind::Hardlink(safe_path(&target.to_string_lossy())?)
            }
            // pax and GNU long-name headers are read by the tar crate itself.
            tar::EntryType::XGlobalHeader | tar::EntryType::XHeader => continue,
            other => {
                return Err(ModuleError::Failed(format!(
                    "archive member '{name}' is a {other:?}: only files, directories and links are unpacked"
                )))
            }
        };
        members.push(Member {
            path,
            name,
            kind,
            mode,
            ids,
        });
    }
    Ok(members)
}

fn zip_members(bytes: &[u8]) -> Result<Vec<Member>, ModuleError> {
    let mut archive =
        zip::ZipArchive::new(Cursor::new(bytes)).map_err(|err| unreadable(err.to_string()))?;
    let mut members = Vec::with_capacity(archive.len());
    let mut budget = Budget(0);
    for index in 0..archive.len() {
        let mut file = archive
            .by_index(index)
            .map_err(|err| unreadable(err.to_string()))?;
        let name = file.name().to_string();
        let path = safe_path(&name)?;
        let unix = file.unix_mode();
        let is_symlink = unix.is_some_and(|mode| mode & 0o170000 == 0o120000);
        let kind = if file.is_dir() {
            MemberKind::Dir
        } else {
            let declared = file.size();
            let content = budget.read(&mut file, declared)?;
            if is_symlink {
                MemberKind::Symlink(PathBuf::from(
                    String::from_utf8_lossy(&content).into_owned(),
                ))
            } else {
                MemberKind::File(content)
            }
        };
        let default_mode = if matches!(kind, MemberKind::Dir) {
            0o755
        } else {
            0o644
        };
        members.push(Member {
            path,
            name,
            kind,
            mode: unix.map_or(default_mode, |mode| mode & 0o7777),
            ids: None,
        });
    }
    Ok(members)
}
