//! community.general's `_get_checksums`: what says whether an archive changed. A tar
//! (any compression): each member's name and header checksum; a zip: each member's
//! name and CRC; a compressed file that is no tar: the CRC-32 of what it holds; an
//! unreadable one: nothing.

use super::Format;
use std::collections::BTreeSet;
use std::io::{Cursor, Read};

/// The most bytes a dest is unpacked to for its checksums (a bomb stops here).
const MAX_UNPACKED: u64 = 1 << 30;

pub(super) type Checksums = BTreeSet<(String, u64)>;

pub(super) fn checksums(bytes: &[u8], format: Format) -> Checksums {
    if format == Format::Zip {
        return zip_checksums(bytes).unwrap_or_default();
    }
    let Some(data) = decompressed(bytes, format) else {
        return Checksums::new();
    };
    if let Some(members) = tar_checksums(&data) {
        return members;
    }
    if format == Format::Tar {
        // community.general fails to read a broken plain tar: nothing.
        return Checksums::new();
    }
    let mut crc = flate2::Crc::new();
    crc.update(&data);
    BTreeSet::from([(String::new(), u64::from(crc.sum()))])
}

fn decompressed(bytes: &[u8], format: Format) -> Option<Vec<u8>> {
    let reader: Box<dyn Read + '_> = match format {
        Format::Tar | Format::Zip => return Some(bytes.to_vec()),
        Format::Gz => Box::new(flate2::read::MultiGzDecoder::new(bytes)),
        Format::Bz2 => Box::new(bzip2::read::MultiBzDecoder::new(bytes)),
        Format::Xz => Box::new(liblzma::read::XzDecoder::new_multi_decoder(bytes)),
        Format::Zst => Box::new(zstd::stream::read::Decoder::new(bytes).ok()?),
    };
    let mut data = Vec::new();
    reader.take(MAX_UNPACKED).read_to_end(&mut data).ok()?;
    Some(data)
}

/// The members of a tar, or `None` when it is none (Python's tarfile refuses data
/// shorter than a header, or a bad header).
fn tar_checksums(data: &[u8]) -> Option<Checksums> {
    if data.len() < 512 {
        return None;
    }
    let mut archive = tar::Archive::new(Cursor::new(data));
    let mut sums = Checksums::new();
    for entry in archive.entries().ok()? {
        let entry = entry.ok()?;
        let name = entry
            .path()
            .ok()?
            .to_string_lossy()
            .trim_end_matches('/')
            .to_string();
        let sum = entry.header().cksum().ok()?;
        sums.insert((name, u64::from(sum)));
    }
    (!sums.is_empty()).then_some(sums)
}

fn zip_checksums(bytes: &[u8]) -> Option<Checksums> {
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).ok()?;
    let mut sums = Checksums::new();
    for index in 0..archive.len() {
        let member = archive.by_index_raw(index).ok()?;
        sums.insert((member.name().to_string(), u64::from(member.crc32())));
    }
    Some(sums)
}
