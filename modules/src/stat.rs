//! The stat module (Ansible's `ansible.builtin.stat`): everything Ansible reports about
//! one path of the target, read through the Host (the check-mode overlay included),
//! under the result key `stat`. It never changes anything: always `ok`.
//!
//! Differences, documented in docs/ansible-differences.md: `get_mime` is off unless
//! asked (Ansible's default is on; it runs `file` in the target), so is
//! `get_attributes` (lsattr in the target), and readable/writeable/executable are
//! worked out from the mode bits for the running user (no ACLs, no read-only mounts).

pub(crate) mod doc;

use crate::host::{effective_ids, Details, Kind};
use crate::{Host, Module, ModuleError, Plan, RunSpec};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::path::Path;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    Md5,
    #[default]
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(alias = "dest", alias = "name")]
    pub path: String,
    #[serde(default)]
    pub follow: bool,
    #[serde(default = "yes")]
    pub get_checksum: bool,
    #[serde(default, alias = "mime", alias = "mime_type", alias = "mime-type")]
    pub get_mime: bool,
    #[serde(default, alias = "attr", alias = "attributes")]
    pub get_attributes: bool,
    #[serde(default, alias = "checksum", alias = "checksum_algo")]
    pub checksum_algorithm: Algorithm,
}

fn yes() -> bool {
    true
}

pub struct StatModule;

impl Module for StatModule {
    type Args = Args;
    const NAME: &'static str = "stat";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let path = Path::new("/").join(&args.path);
        let Some(details) = host.details(&path, args.follow)? else {
            return Ok(Plan::ok().with_data("stat", json!({"exists": false})));
        };
        let mut stat = format_output(&args.path, &details);
        // Permissions of what the path leads to, as os.access sees them.
        let followed = match details.meta.kind {
            Kind::Symlink(_) => host.stat(&path)?,
            _ => Some(details.meta.clone()),
        };
        let (readable, writeable, executable) =
            followed.as_ref().map_or((false, false, false), access);
        stat.insert("readable".into(), json!(readable));
        stat.insert("writeable".into(), json!(writeable));
        stat.insert("executable".into(), json!(executable));
        if let Kind::Symlink(target) = &details.meta.kind {
            let source = host.resolve(&path)?;
            stat.insert("lnk_source".into(), json!(source.to_string_lossy()));
            stat.insert("lnk_target".into(), json!(target.to_string_lossy()));
        }
        if let Some(name) = host.user_name(details.meta.uid)? {
            stat.insert("pw_name".into(), json!(name));
        }
        if let Some(name) = host.group_name(details.meta.gid)? {
            stat.insert("gr_name".into(), json!(name));
        }
        if details.meta.is_file() && readable && args.get_checksum {
            let content = host.read_file(&details.canonical)?.unwrap_or_default();
            let digest = checksum(args.checksum_algorithm, &content);
            stat.insert("checksum".into(), json!(digest));
        }
        if args.get_mime {
            let (mimetype, charset) = mime(host, &details.canonical);
            stat.insert("mimetype".into(), json!(mimetype));
            stat.insert("charset".into(), json!(charset));
        }
        if args.get_attributes {
            let (version, flags) = attributes(host, &details.canonical);
            let names: Vec<&str> = flags.chars().filter_map(attribute_name).collect();
            stat.insert("version".into(), json!(version));
            stat.insert("attributes".into(), json!(names));
            stat.insert("attr_flags".into(), json!(flags));
        }
        Ok(Plan::ok().with_data("stat", Value::Object(stat)))
    }
}

/// `lsattr -vd PATH` run in the target, as Ansible's get_file_attributes runs it:
/// the version and the flags (dashes dropped); nothing when it cannot tell.
fn attributes(host: &Host, canonical: &Path) -> (Option<String>, String) {
    let spec = RunSpec {
        argv: vec![
            "lsattr".into(),
            "-vd".into(),
            canonical.to_string_lossy().into_owned(),
        ],
        ..RunSpec::default()
    };
    match host.query(&spec) {
        Ok(output) if output.rc == Some(0) => {
            let mut words = output.stdout.split(' ').filter(|word| !word.is_empty());
            let version = words.next().map(|v| v.trim().to_string());
            let flags = words.next().unwrap_or_default().replace('-', "");
            (version, flags.trim().to_string())
        }
        _ => (None, String::new()),
    }
}

/// Ansible's names of lsattr's flags (FILE_ATTRIBUTES).
fn attribute_name(flag: char) -> Option<&'static str> {
    Some(match flag {
        'A' => "noatime",
        'a' => "append",
        'c' => "compressed",
        'C' => "nocow",
        'd' => "nodump",
        'D' => "dirsync",
        'e' => "extents",
        'E' => "encrypted",
        'h' => "blocksize",
        'i' => "immutable",
        'I' => "indexed",
        'j' => "journalled",
        'N' => "inline",
        's' => "zero",
        'S' => "synchronous",
        't' => "notail",
        'T' => "blockroot",
        'u' => "undelete",
        'X' => "compressedraw",
        'Z' => "compresseddirty",
        _ => return None,
    })
}

/// Ansible's `format_output`: the keys every existing path gets.
pub(crate) fn format_output(path: &str, details: &Details) -> Map<String, Value> {
    let meta = &details.meta;
    let extra = &details.extra;
    let mode = meta.mode;
    let kind = extra.file_type;
    let bit = |mask: u32| json!(mode & mask != 0);
    let mut out = Map::new();
    let mut put = |key: &str, value: Value| {
        out.insert(key.to_string(), value);
    };
    put("exists", json!(true));
    put("path", json!(path));
    put("mode", json!(format!("{:04o}", mode & 0o7777)));
    put("isdir", json!(kind == 0o040000));
    put("ischr", json!(kind == 0o020000));
    put("isblk", json!(kind == 0o060000));
    put("isreg", json!(kind == 0o100000));
    put("isfifo", json!(kind == 0o010000));
    put("islnk", json!(kind == 0o120000));
    put("issock", json!(kind == 0o140000));
    put("uid", json!(meta.uid));
    put("gid", json!(meta.gid));
    put("size", json!(meta.size));
    put("inode", json!(meta.ino));
    put("dev", json!(meta.dev));
    put("nlink", json!(meta.nlink));
    put("atime", json!(extra.atime.as_f64()));
    put("mtime", json!(extra.mtime.as_f64()));
    put("ctime", json!(extra.ctime.as_f64()));
    put("wusr", bit(0o200));
    put("rusr", bit(0o400));
    put("xusr", bit(0o100));
    put("wgrp", bit(0o020));
    put("rgrp", bit(0o040));
    put("xgrp", bit(0o010));
    put("woth", bit(0o002));
    put("roth", bit(0o004));
    put("xoth", bit(0o001));
    put("isuid", bit(0o4000));
    put("isgid", bit(0o2000));
    put("blocks", json!(extra.blocks));
    put("block_size", json!(extra.block_size));
    put("device_type", json!(extra.rdev));
    out
}

/// Read, write and execute permission for the running user, from the mode bits
/// (root reads and writes everything and executes what has an x bit, or a directory).
fn access(meta: &crate::host::Meta) -> (bool, bool, bool) {
    let (uid, gid) = effective_ids();
    let mode = meta.mode;
    if uid == 0 {
        return (true, true, meta.is_dir() || mode & 0o111 != 0);
    }
    let shift = if meta.uid == uid {
        6
    } else if meta.gid == gid {
        3
    } else {
        0
    };
    let bits = (mode >> shift) & 0o7;
    (bits & 4 != 0, bits & 2 != 0, bits & 1 != 0)
}

/// The hex digest Ansible's `digest_from_file` gives.
pub(crate) fn checksum(algorithm: Algorithm, content: &[u8]) -> String {
    use sha2::Digest;
    let hex = |bytes: &[u8]| bytes.iter().map(|b| format!("{b:02x}")).collect::<String>();
    match algorithm {
        Algorithm::Md5 => hex(&md5::Md5::digest(content)),
        Algorithm::Sha1 => hex(&sha1::Sha1::digest(content)),
        Algorithm::Sha224 => hex(&sha2::Sha224::digest(content)),
        Algorithm::Sha256 => hex(&sha2::Sha256::digest(content)),
        Algorithm::Sha384 => hex(&sha2::Sha384::digest(content)),
        Algorithm::Sha512 => hex(&sha2::Sha512::digest(content)),
    }
}

/// `file --mime-type --mime-encoding` run in the target, as Ansible runs it; `unknown`
/// for both when it cannot tell (no `file` in the target, an error).
fn mime(host: &Host, canonical: &Path) -> (String, String) {
    let unknown = || ("unknown".to_string(), "unknown".to_string());
    let spec = RunSpec {
        argv: vec![
            "file".into(),
            "--mime-type".into(),
            "--mime-encoding".into(),
            canonical.to_string_lossy().into_owned(),
        ],
        ..RunSpec::default()
    };
    let output = match host.query(&spec) {
        Ok(output) if output.rc == Some(0) => output,
        _ => return unknown(),
    };
    let Some((_, answer)) = output.stdout.trim_end().rsplit_once(':') else {
        return unknown();
    };
    let Some((mimetype, charset)) = answer.split_once(';') else {
        return unknown();
    };
    match charset.split_once('=') {
        Some((_, charset)) => (mimetype.trim().into(), charset.trim().into()),
        None => unknown(),
    }
}

#[cfg(test)]
mod tests;
