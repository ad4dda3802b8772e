//! The archive module (community.general.archive): paths of the target (globs, less
//! `exclude_path`) packed into a tar (plain, gz, bz2, xz, zst) or zip at `dest`, or one
//! file compressed; sources read through the Host, the archive built in memory
//! (archive/build.rs) and written by the file module's planning, so check mode
//! predicts it and a root is never left for a tool to write into.
//!
//! Whether it changed is decided as community.general decides: the members' checksums
//! (a tar header's chksum, a zip member's CRC; a compressed single file's CRC-32) of
//! the archive there and of the one built. When they are the same the archive is left
//! as it is (community.general rewrites it with the same members), so the second run
//! changes no byte.

mod build;
mod sums;

use crate::file::{self, IdArg, ModeArg};
use crate::{Host, Module, ModuleError, Op, Plan};
use serde::Deserialize;
use serde_json::{json, Value as Json};
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Paths (or globs with `*`/`?`) to pack.
    #[serde(deserialize_with = "crate::find::list")]
    pub path: Vec<String>,
    pub dest: Option<String>,
    #[serde(default)]
    pub format: Format,
    /// Paths (or globs) taken out of `path`'s.
    #[serde(default, deserialize_with = "crate::find::list")]
    pub exclude_path: Vec<String>,
    /// fnmatch patterns of members left out.
    #[serde(default, deserialize_with = "optional_list")]
    pub exclusion_patterns: Option<Vec<String>>,
    #[serde(default)]
    pub force_archive: bool,
    #[serde(default)]
    pub remove: bool,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    Bz2,
    #[default]
    Gz,
    Tar,
    Xz,
    Zip,
    /// Not in community.general: zstd, as `tar --zstd` writes it.
    Zst,
}

impl Format {
    fn name(self) -> &'static str {
        match self {
            Format::Bz2 => "bz2",
            Format::Gz => "gz",
            Format::Tar => "tar",
            Format::Xz => "xz",
            Format::Zip => "zip",
            Format::Zst => "zst",
        }
    }

    /// A format that packs members (a single file is still packed as one).
    fn is_container(self) -> bool {
        matches!(self, Format::Tar | Format::Zip)
    }
}

fn optional_list<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Option<Vec<String>>, D::Error> {
    crate::find::list(de).map(Some)
}

/// community.general's states of dest.
const ARCHIVED: &str = "archive";
const COMPRESSED: &str = "compress";
const INCOMPLETE: &str = "incomplete";
const ABSENT: &str = "absent";

pub struct ArchiveModule;

impl Module for ArchiveModule {
    type Args = Args;
    const NAME: &'static str = "archive";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let (expanded, globby) = expand_paths(host, &args.path)?;
        let (expanded_exclude, _) = expand_paths(host, &args.exclude_path)?;
        let mut paths: Vec<String> = expanded
            .iter()
            .filter(|path| !expanded_exclude.contains(path))
            .cloned()
            .collect();
        paths.sort();
        paths.dedup();
        if paths.is_empty() {
            return Err(ModuleError::Failed(
                "Error, no source paths were found".into(),
            ));
        }
        let root = common_path(&paths);
        let first_is_dir = host.stat(Path::new(&paths[0]))?.is_some_and(|m| m.is_dir());
        let must_archive = args.force_archive || globby || first_is_dir || paths.len() > 1;
        let dest = match (&args.dest, must_archive) {
            (Some(dest), _) => dest.clone(),
            (None, false) => format!("{}.{}", paths[0], args.format.name()),
            (None, true) => {
                return Err(ModuleError::invalid(
                    "dest",
                    "Error, must specify \"dest\" when archiving multiple files or trees",
                ))
            }
        };
        if args.remove {
            for path in &paths {
                let inside = dest.starts_with(&format!("{}/", path.trim_end_matches('/')));
                if inside && host.stat(Path::new(path))?.is_some_and(|m| m.is_dir()) {
                    return Err(ModuleError::Failed(
                        "Error, created archive can not be contained in source paths when \
                         remove=true"
                            .into(),
                    ));
                }
            }
        }
        let mut targets = Vec::new();
        let mut missing = Vec::new();
        for path in &paths {
            if host.lstat(Path::new(path))?.is_some() {
                targets.push(path.clone());
            } else {
                missing.push(path.clone());
            }
        }
        let dest_path = Path::new(&dest);
        let result = |archived: &[String], state: &str| {
            json!({
                "archived": archived,
                "dest": dest,
                "dest_state": state,
                "arcroot": root,
                "missing": missing,
                "expanded_paths": expanded,
                "expanded_exclude_paths": expanded_exclude,
            })
        };
        if targets.is_empty() {
            let state = match host.exists(dest_path)? {
                true if is_archive(&dest) => ARCHIVED,
                true => COMPRESSED,
                false => ABSENT,
            };
            let plan = self.attributes(args, dest_path, host)?;
            return Ok(with_result(plan, result(&[], state)));
        }
        let patterns = args.exclusion_patterns.clone().unwrap_or_default();
        let (built, archived, state) = if must_archive || args.format.is_container() {
            let members = build::members(host, &targets, &root, must_archive)?;
            let (bytes, archived) = build::pack(host, &members, args.format, &patterns)?;
            let state = if must_archive && !missing.is_empty() {
                INCOMPLETE
            } else {
                ARCHIVED
            };
            (bytes, archived, state)
        } else {
            let content = host.read_file(Path::new(&targets[0]))?.ok_or_else(|| {
                ModuleError::Failed(format!(
                    "Unable to write to compressed file: {} is not a file",
                    targets[0]
                ))
            })?;
            let bytes = build::compress(&content, args.format)?;
            (bytes, vec![targets[0].clone()], COMPRESSED)
        };
        let existing = host.read_file(dest_path)?;
        let same = existing.as_deref().is_some_and(|old| {
            sums::checksums(old, args.format) == sums::checksums(&built, args.format)
        });
        tracing::debug!(dest = %dest, same, members = archived.len(), "archive built");
        let content = match (&existing, same) {
            (Some(old), true) => old.as_slice(),
            _ => built.as_slice(),
        };
        let mut plan = file::plan_bytes(&self.file_args(args, dest_path)?, content, host)?;
        if args.remove {
            let removals: Vec<Op> = targets
                .iter()
                .map(|path| Op::Remove {
                    path: PathBuf::from(path),
                })
                .collect();
            plan.changes.push(crate::Change {
                summary: format!("remove the archived sources: {}", targets.join(", ")),
                diff: None,
                ops: removals,
            });
        }
        Ok(with_result(plan, result(&archived, state)))
    }
}

impl ArchiveModule {
    fn file_args(&self, args: &Args, dest: &Path) -> Result<file::Args, ModuleError> {
        let mut wanted: file::Args = serde_json::from_value(json!({
            "path": dest.display().to_string(),
            "state": "file",
        }))
        .map_err(|err| ModuleError::Failed(format!("archive: {err}")))?;
        wanted.mode = args.mode.clone();
        wanted.owner = args.owner.clone();
        wanted.group = args.group.clone();
        wanted.force = Some(true);
        Ok(wanted)
    }

    /// Nothing to pack: dest's mode/owner/group still set when it exists.
    fn attributes(&self, args: &Args, dest: &Path, host: &Host) -> Result<Plan, ModuleError> {
        let wants_attributes = args.mode.is_some() || args.owner.is_some() || args.group.is_some();
        if !wants_attributes || !host.exists(dest)? {
            return Ok(Plan::ok());
        }
        let content = host.read_file(dest)?.unwrap_or_default();
        file::plan_bytes(&self.file_args(args, dest)?, &content, host)
    }
}

/// The plan with community.general's result keys over the file module's.
fn with_result(mut plan: Plan, result: Json) -> Plan {
    if let Json::Object(keys) = result {
        for (key, value) in keys {
            plan.data.insert(key, value);
        }
    }
    plan
}

/// community.general's expand_paths: a path with `*` or `?` globbed (Python's glob,
/// through the Host), the others as written; whether any was a glob.
fn expand_paths(host: &Host, paths: &[String]) -> Result<(Vec<String>, bool), ModuleError> {
    let mut expanded = Vec::new();
    let mut globby = false;
    for path in paths {
        if path.contains(['*', '?']) {
            globby = true;
            expanded.extend(glob(host, path)?);
        } else {
            expanded.push(path.clone());
        }
    }
    Ok((expanded, globby))
}

/// Python's glob.glob of an absolute pattern, read through the Host (sorted: Python
/// gives the directory's order).
fn glob(host: &Host, pattern: &str) -> Result<Vec<String>, ModuleError> {
    let wild = |text: &str| text.contains(['*', '?', '[']);
    let absolute = pattern.starts_with('/');
    let mut found = vec![String::new()];
    for name in pattern.split('/').filter(|name| !name.is_empty()) {
        let mut next = Vec::new();
        for dir in &found {
            let joined = |entry: &str| match (dir.is_empty(), absolute) {
                (true, true) => format!("/{entry}"),
                (true, false) => entry.to_string(),
                (false, _) => format!("{dir}/{entry}"),
            };
            if !wild(name) {
                next.push(joined(name));
                continue;
            }
            let listed = if dir.is_empty() {
                if absolute {
                    "/"
                } else {
                    "."
                }
            } else {
                dir
            };
            let Some(mut entries) = host.read_dir(Path::new(listed)).ok().flatten() else {
                continue;
            };
            entries.sort();
            for entry in entries {
                let entry = entry.to_string_lossy();
                let hidden = entry.starts_with('.') && !name.starts_with('.');
                if !hidden && crate::find::fnmatch(name.as_bytes(), entry.as_bytes()) {
                    next.push(joined(&entry));
                }
            }
        }
        found = next;
    }
    let mut matched = Vec::new();
    for path in found {
        if host.lstat(Path::new(&path))?.is_some() {
            matched.push(path);
        }
    }
    Ok(matched)
}

/// community.general's common_path: the folder all paths' folders share, with a
/// trailing `/` (os.path.commonprefix works on characters, as there).
fn common_path(paths: &[String]) -> String {
    let folders: Vec<String> = paths
        .iter()
        .map(|path| {
            let parent = match path.rfind('/') {
                Some(0) => "/".to_string(),
                Some(at) => path[..at].to_string(),
                None => String::new(),
            };
            python_join(&parent, "")
        })
        .collect();
    let mut prefix = folders.first().cloned().unwrap_or_default();
    for folder in &folders[1..] {
        let common = prefix
            .char_indices()
            .zip(folder.chars())
            .find(|((_, a), b)| a != b)
            .map_or(prefix.len().min(folder.len()), |((at, _), _)| at);
        prefix.truncate(common);
    }
    let dir = match prefix.rfind('/') {
        Some(0) => "/".to_string(),
        Some(at) => prefix[..at].to_string(),
        None => String::new(),
    };
    python_join(&dir, "")
}

/// os.path.join(a, b) for a relative b.
fn python_join(a: &str, b: &str) -> String {
    if a.is_empty() || a.ends_with('/') {
        format!("{a}{b}")
    } else {
        format!("{a}/{b}")
    }
}

/// community.general's is_archive: the name ends like an archive (any case).
fn is_archive(path: &str) -> bool {
    let name = path.rsplit('/').next().unwrap_or(path).to_lowercase();
    [
        ".tar", ".tar.gz", ".tar.bz2", ".tar.xz", ".tgz", ".tbz2", ".zip",
    ]
    .iter()
    .any(|end| name.ends_with(end))
}

pub(crate) mod doc;
#[cfg(test)]
mod tests;
