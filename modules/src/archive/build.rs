//! The archive built in memory: the members community.general would add (each target,
//! a folder's contents walked as os.walk walks them, top-down, each folder's
//! sub-folders then its files, names sorted), read through the Host, packed as a tar
//! (then compressed) or a zip, and a single file compressed.

use super::Format;
use crate::host::Kind;
use crate::{Host, ModuleError};
use std::io::Write;
use std::path::Path;

/// The most bytes of sources one archive may take (it is built in memory).
const MAX_SOURCES: u64 = 1 << 30;

/// One path to add, with the name it gets in the archive.
pub(super) struct Member {
    pub path: String,
    pub name: String,
    kind: Kind,
    mode: u32,
    uid: u32,
    gid: u32,
    size: u64,
    mtime: u64,
}

/// The members of `targets`, named relative to `root` (community.general's
/// strip_prefix); a folder target's contents, not the folder itself.
pub(super) fn members(
    host: &Host,
    targets: &[String],
    root: &str,
    _must_archive: bool,
) -> Result<Vec<Member>, ModuleError> {
    let mut members = Vec::new();
    for target in targets {
        let is_dir = host
            .stat(Path::new(target))?
            .is_some_and(|meta| meta.is_dir());
        if is_dir {
            walk(host, target, root, &mut members)?;
        } else {
            members.push(member(host, target, root)?);
        }
    }
    let total: u64 = members.iter().map(|m| m.size).sum();
    if total > MAX_SOURCES {
        return Err(ModuleError::Failed(format!(
            "the sources hold {total} bytes: archive builds at most {MAX_SOURCES} in memory"
        )));
    }
    Ok(members)
}

fn walk(host: &Host, dir: &str, root: &str, members: &mut Vec<Member>) -> Result<(), ModuleError> {
    let mut names = host.read_dir(Path::new(dir))?.unwrap_or_default();
    names.sort();
    let (mut dirs, mut files) = (Vec::new(), Vec::new());
    for name in names {
        let path = format!("{}/{}", dir.trim_end_matches('/'), name.to_string_lossy());
        // os.walk's is_dir follows a link: a link to a folder is a folder name (not
        // walked into).
        let is_dir = host
            .stat(Path::new(&path))?
            .is_some_and(|meta| meta.is_dir());
        if is_dir {
            dirs.push(path);
        } else {
            files.push(path);
        }
    }
    for path in dirs.iter().chain(&files) {
        members.push(member(host, path, root)?);
    }
    for path in &dirs {
        if !host
            .lstat(Path::new(path))?
            .is_some_and(|meta| meta.is_symlink())
        {
            walk(host, path, root, members)?;
        }
    }
    Ok(())
}

fn member(host: &Host, path: &str, root: &str) -> Result<Member, ModuleError> {
    let details = host.details(Path::new(path), false)?.ok_or_else(|| {
        ModuleError::Failed(format!("{path}: [Errno 2] No such file or directory"))
    })?;
    let name = path.strip_prefix(root).unwrap_or(path);
    Ok(Member {
        path: path.to_string(),
        name: name.trim_start_matches('/').to_string(),
        kind: details.meta.kind.clone(),
        mode: details.meta.mode,
        uid: details.meta.uid,
        gid: details.meta.gid,
        size: details.meta.size,
        mtime: u64::try_from(details.extra.mtime.secs).unwrap_or(0),
    })
}

/// The archive's bytes and the paths it holds (community.general's `archived`).
/// exclusion_patterns are fnmatch'ed against a tar member's name, a zip member's path,
/// as community.general does.
pub(super) fn pack(
    host: &Host,
    members: &[Member],
    format: Format,
    patterns: &[String],
) -> Result<(Vec<u8>, Vec<String>), ModuleError> {
    let excluded = |text: &str| {
        patterns
            .iter()
            .any(|pattern| crate::find::fnmatch(pattern.as_bytes(), text.as_bytes()))
    };
    let failed =
        |err: std::io::Error| ModuleError::Failed(format!("Error when writing archive: {err}"));
    let mut archived = Vec::new();
    if format == Format::Zip {
        let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        for member in members {
            if excluded(&member.path) {
                continue;
            }
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(member.mode)
                .last_modified_time(zip_time(member.mtime));
            // zipfile.write follows links.
            let followed = host.stat(Path::new(&member.path))?;
            let zip_failed = |err: zip::result::ZipError| {
                ModuleError::Failed(format!("Error when writing zip archive: {err}"))
            };
            match followed.map(|meta| meta.kind) {
                Some(Kind::Dir) => {
                    zip.add_directory(member.name.as_str(), options)
                        .map_err(zip_failed)?;
                    // community.general looks the folder up by its name without
                    // the `/` zipfile gives it: never found, never `archived`.
                    continue;
                }
                Some(_) => {
                    let content = host.read_file(Path::new(&member.path))?.unwrap_or_default();
                    zip.start_file(member.name.as_str(), options)
                        .map_err(zip_failed)?;
                    zip.write_all(&content).map_err(failed)?;
                }
                None => {
                    return Err(ModuleError::Failed(format!(
                        "Errors when writing archive: {}: [Errno 2] No such file or directory",
                        member.path
                    )))
                }
            }
            archived.push(member.path.clone());
        }
        let bytes = zip
            .finish()
            .map_err(|err| ModuleError::Failed(format!("Error when writing zip archive: {err}")))?
            .into_inner();
        return Ok((bytes, archived));
    }
    let mut tar = tar::Builder::new(Vec::new());
    for member in members {
        if excluded(&member.name) {
            continue;
        }
        let mut header = tar::Header::new_gnu();
        header.set_mode(member.mode);
        header.set_uid(u64::from(member.uid));
        header.set_gid(u64::from(member.gid));
        header.set_mtime(member.mtime);
        match &member.kind {
            Kind::Dir => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                let name = format!("{}/", member.name);
                tar.append_data(&mut header, name, std::io::empty())
                    .map_err(failed)?;
            }
            Kind::Symlink(target) => {
                header.set_entry_type(tar::EntryType::Symlink);
                header.set_size(0);
                tar.append_link(&mut header, &member.name, target)
                    .map_err(failed)?;
            }
            Kind::File => {
                let content = host.read_file(Path::new(&member.path))?.unwrap_or_default();
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(content.len() as u64);
                tar.append_data(&mut header, &member.name, content.as_slice())
                    .map_err(failed)?;
            }
            Kind::Other => {
                return Err(ModuleError::Failed(format!(
                "Errors when writing archive: {}: a device, fifo or socket is not archived here",
                member.path
            )))
            }
        }
        archived.push(member.path.clone());
    }
    let bytes = tar.into_inner().map_err(failed)?;
    Ok((compress(&bytes, format)?, archived))
}

/// `bytes` compressed in `format` (a plain tar or zip as it is).
pub(super) fn compress(bytes: &[u8], format: Format) -> Result<Vec<u8>, ModuleError> {
    let failed = |err: std::io::Error| {
        ModuleError::Failed(format!("Unable to write to compressed file: {err}"))
    };
    match format {
        Format::Tar | Format::Zip => Ok(bytes.to_vec()),
        Format::Gz => {
            // No name and time in the header: the same sources give the same bytes.
            let mut encoder = flate2::GzBuilder::new()
                .mtime(0)
                .write(Vec::new(), flate2::Compression::best());
            encoder.write_all(bytes).map_err(failed)?;
            encoder.finish().map_err(failed)
        }
        Format::Bz2 => {
            let mut encoder = bzip2::write::BzEncoder::new(Vec::new(), bzip2::Compression::best());
            encoder.write_all(bytes).map_err(failed)?;
            encoder.finish().map_err(failed)
        }
        Format::Xz => {
            let mut encoder = liblzma::write::XzEncoder::new(Vec::new(), 6);
            encoder.write_all(bytes).map_err(failed)?;
            encoder.finish().map_err(failed)
        }
        Format::Zst => zstd::encode_all(bytes, 0).map_err(failed),
    }
}

/// A zip member's time (UTC, as the target's clock reads it; zip cannot hold times
/// before 1980).
fn zip_time(mtime: u64) -> zip::DateTime {
    let days = i64::try_from(mtime / 86_400).unwrap_or(0);
    let secs = mtime % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    let narrow = |value: i64| u8::try_from(value).unwrap_or(0);
    zip::DateTime::from_date_and_time(
        u16::try_from(year).unwrap_or(1980),
        narrow(month),
        narrow(day),
        narrow(i64::try_from(secs / 3600).unwrap_or(0)),
        narrow(i64::try_from(secs % 3600 / 60).unwrap_or(0)),
        narrow(i64::try_from(secs % 60).unwrap_or(0)),
    )
    .unwrap_or_default()
}
