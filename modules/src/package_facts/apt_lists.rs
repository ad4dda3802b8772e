//! What python-apt adds to dpkg's record of an installed version: the archive it came
//! from. apt's downloaded lists (`/var/lib/apt/lists/*_Packages`, plain or compressed
//! as apt stores them: lz4, gz, xz, zst) give the version's `Section` as the archive
//! has it (its override, which dpkg's status may not show) and, through the list's
//! Release file, its `Origin`. A version no list holds keeps dpkg's section and has
//! the origin `""`, as apt reports one known only from dpkg's status.

use crate::{Host, ModuleError};
use std::collections::HashMap;
use std::io::Read;
use std::path::Path;

const LISTS: &str = "/var/lib/apt/lists";

/// (package, version, architecture) of an installed version.
pub type Key = (String, String, String);

/// An archive's word on a version: (section, origin).
pub type Archived = (String, String);

/// The archive's section and origin of each of `wanted` some list holds; the lists
/// are read in name order and the first that holds a version answers.
pub fn archived(
    host: &Host,
    wanted: &HashMap<Key, ()>,
) -> Result<HashMap<Key, Archived>, ModuleError> {
    let mut names: Vec<String> = host
        .read_dir(Path::new(LISTS))?
        .unwrap_or_default()
        .into_iter()
        .map(|name| name.to_string_lossy().into_owned())
        .collect();
    names.sort();
    let releases: Vec<(&str, String)> = names
        .iter()
        .filter_map(|name| {
            let prefix = name
                .strip_suffix("_InRelease")
                .or_else(|| name.strip_suffix("_Release"))?;
            Some((prefix, name.clone()))
        })
        .collect();
    let mut origins: HashMap<String, String> = HashMap::new();
    let mut found: HashMap<Key, Archived> = HashMap::new();
    for name in &names {
        let Some(text) = packages_text(host, name)? else {
            continue;
        };
        let release = releases
            .iter()
            .filter(|(prefix, _)| name.starts_with(&format!("{prefix}_")))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, release)| release.clone());
        let origin = match release {
            Some(release) => match origins.get(&release) {
                Some(origin) => origin.clone(),
                None => {
                    let origin = release_origin(host, &release)?;
                    origins.insert(release, origin.clone());
                    origin
                }
            },
            None => String::new(),
        };
        for stanza in text.split("\n\n") {
            let (mut package, mut version, mut arch, mut section) = ("", "", "", "");
            for line in stanza.lines() {
                if let Some((key, value)) = line.split_once(": ") {
                    match key {
                        "Package" => package = value.trim(),
                        "Version" => version = value.trim(),
                        "Architecture" => arch = value.trim(),
                        "Section" => section = value.trim(),
                        _ => {}
                    }
                }
            }
            let key = (package.to_string(), version.to_string(), arch.to_string());
            if wanted.contains_key(&key) && !found.contains_key(&key) {
                found.insert(key, (section.to_string(), origin.clone()));
            }
        }
    }
    Ok(found)
}

/// A Packages list's text, decompressed; `None` for any other file of the folder.
fn packages_text(host: &Host, name: &str) -> Result<Option<String>, ModuleError> {
    let Some((_, extension)) = name
        .rsplit_once("_Packages")
        .filter(|(_, extension)| matches!(*extension, "" | ".lz4" | ".gz" | ".xz" | ".zst"))
    else {
        return Ok(None);
    };
    let path = Path::new(LISTS).join(name);
    let Some(bytes) = host.read_file(&path)? else {
        return Ok(None);
    };
    let mut text = Vec::new();
    let read = match extension {
        ".lz4" => lz4_flex::frame::FrameDecoder::new(&bytes[..]).read_to_end(&mut text),
        ".gz" => flate2::read::GzDecoder::new(&bytes[..]).read_to_end(&mut text),
        ".xz" => liblzma::read::XzDecoder::new(&bytes[..]).read_to_end(&mut text),
        ".zst" => zstd::stream::read::Decoder::new(&bytes[..])
            .and_then(|mut decoder| decoder.read_to_end(&mut text)),
        _ => {
            text = bytes;
            Ok(0)
        }
    };
    read.map_err(|err| ModuleError::io(&path, err))?;
    // Tens of megabytes: kept as they are when UTF-8 (they are), not copied.
    Ok(Some(String::from_utf8(text).unwrap_or_else(|err| {
        String::from_utf8_lossy(err.as_bytes()).into_owned()
    })))
}

/// The `Origin:` of a Release or InRelease file (signed inline or not).
fn release_origin(host: &Host, name: &str) -> Result<String, ModuleError> {
    let bytes = host
        .read_file(&Path::new(LISTS).join(name))?
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    Ok(text
        .lines()
        .take_while(|line| !line.starts_with("-----BEGIN PGP SIGNATURE"))
        .find_map(|line| line.strip_prefix("Origin: "))
        .unwrap_or_default()
        .trim()
        .to_string())
}
