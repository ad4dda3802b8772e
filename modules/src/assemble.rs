//! The assemble module (Ansible's `ansible.builtin.assemble`): a file of the target
//! made of the fragments of one of its directories, in name order, as Ansible joins
//! them (a newline after a fragment that lacks one, `delimiter` between fragments,
//! unescaped and ended by a newline), filtered by `regexp` and `ignore_hidden`. The
//! fragments are read through the Host (the check-mode overlay included); writing,
//! backup, validate and the file attributes are [`crate::edit`]'s. `remote_src: false`
//! (fragments on the controller) is refused.

pub(crate) mod doc;

use crate::edit::{Common, Edit, TextFile};
use crate::file::{IdArg, ModeArg};
use crate::{pyregex, Host, Module, ModuleError, Plan};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The directory of fragments, inside the target root.
    pub src: String,
    #[serde(alias = "path")]
    pub dest: String,
    pub delimiter: Option<String>,
    pub regexp: Option<String>,
    #[serde(default)]
    pub ignore_hidden: bool,
    #[serde(default = "yes")]
    pub remote_src: bool,
    /// Vault decryption of controller fragments: meaningless for fragments of the
    /// target, accepted as Ansible's module accepts it.
    #[serde(default = "yes")]
    pub decrypt: bool,
    #[serde(default)]
    pub backup: bool,
    pub validate: Option<String>,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
    pub unsafe_writes: Option<bool>,
}

fn yes() -> bool {
    true
}

pub struct AssembleModule;

impl Module for AssembleModule {
    type Args = Args;
    const NAME: &'static str = "assemble";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if !args.remote_src {
            return Err(ModuleError::invalid(
                "remote_src",
                "remote_src: false (fragments from the controller) is not supported: put the fragments in the target first (copy), then assemble them there",
            ));
        }
        let src = Path::new("/").join(&args.src);
        match host.stat(&src)? {
            None => {
                return Err(ModuleError::Failed(format!(
                    "Source ({}) does not exist",
                    args.src
                )))
            }
            Some(meta) if !meta.is_dir() => {
                return Err(ModuleError::Failed(format!(
                    "Source ({}) is not a directory",
                    args.src
                )))
            }
            Some(_) => {}
        }
        let regexp = args
            .regexp
            .as_deref()
            .map(|pattern| pyregex::compile(pattern, false))
            .transpose()
            .map_err(|err| ModuleError::invalid("regexp", err))?;
        let mut fragments = Vec::new();
        for name in host.read_dir(&src)?.unwrap_or_default() {
            let name = name.to_string_lossy().into_owned();
            if regexp
                .as_ref()
                .is_some_and(|re| !re.is_match(name.as_bytes()))
            {
                continue;
            }
            if args.ignore_hidden && name.starts_with('.') {
                continue;
            }
            let path = src.join(&name);
            if !host.stat(&path)?.is_some_and(|meta| meta.is_file()) {
                continue;
            }
            fragments.push(host.read_file(&path)?.unwrap_or_default());
        }
        let delimiter = args.delimiter.as_deref().map(unescape);
        let after = joined(&fragments, delimiter.as_deref());

        let file = TextFile::open(host, &args.dest)?;
        let original = file.content()?;
        let changed = original.as_deref() != Some(&after[..]);
        let common = Common {
            backup: args.backup,
            validate: args.validate.as_deref(),
            mode: args.mode.as_ref(),
            owner: args.owner.as_ref(),
            group: args.group.as_ref(),
            unsafe_writes: args.unsafe_writes,
        };
        let edit = Edit {
            before: original.unwrap_or_default(),
            after,
            changed,
            msg: String::new(),
            make_parents: false,
            header: crate::edit::DiffHeader::Path,
        };
        let planned = file.plan(edit, &common)?;
        let plan = planned
            .plan
            .with_msg("OK")
            .with_data("src", args.src.as_str())
            .with_data("dest", args.dest.as_str());
        Ok(match planned.backup {
            Some(backup) => plan.with_data("backup_file", backup),
            None => plan,
        })
    }
}

/// Ansible's `assemble_from_fragments`: a newline after a fragment that does not end
/// in one, the delimiter (followed by a newline unless it ends in one) between two.
fn joined(fragments: &[Vec<u8>], delimiter: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, fragment) in fragments.iter().enumerate() {
        if index > 0 {
            if !out.ends_with(b"\n") {
                out.push(b'\n');
            }
            if let Some(delimiter) = delimiter.filter(|d| !d.is_empty()) {
                out.extend_from_slice(delimiter);
                if !delimiter.ends_with(b"\n") {
                    out.push(b'\n');
                }
            }
        }
        out.extend_from_slice(fragment);
    }
    out
}

/// Python's `codecs.escape_decode`: `\n`, `\t`, `\r`, `\\`, quotes, `\xNN` and octal
/// escapes become their bytes; any other backslash stays as written.
fn unescape(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] != b'\\' || i + 1 == bytes.len() {
            out.push(bytes[i]);
            i += 1;
            continue;
        }
        let next = bytes[i + 1];
        let simple = match next {
            b'n' => Some(b'\n'),
            b't' => Some(b'\t'),
            b'r' => Some(b'\r'),
            b'a' => Some(0x07),
            b'b' => Some(0x08),
            b'f' => Some(0x0c),
            b'v' => Some(0x0b),
            b'\\' | b'\'' | b'"' => Some(next),
            _ => None,
        };
        if let Some(byte) = simple {
            out.push(byte);
            i += 2;
            continue;
        }
        if next == b'\n' {
            i += 2;
            continue;
        }
        let hex = bytes
            .get(i + 2..i + 4)
            .and_then(|h| std::str::from_utf8(h).ok());
        if let (b'x', Some(Ok(byte))) = (next, hex.map(|h| u8::from_str_radix(h, 16))) {
            out.push(byte);
            i += 4;
            continue;
        }
        let octal: Vec<u8> = bytes[i + 1..]
            .iter()
            .take(3)
            .take_while(|b| (b'0'..=b'7').contains(*b))
            .copied()
            .collect();
        if !octal.is_empty() {
            let value = octal
                .iter()
                .fold(0u32, |acc, d| acc * 8 + u32::from(d - b'0'));
            out.push((value & 0xff) as u8);
            i += 1 + octal.len();
            continue;
        }
        out.push(b'\\');
        i += 1;
    }
    out
}

#[cfg(test)]
mod tests;
