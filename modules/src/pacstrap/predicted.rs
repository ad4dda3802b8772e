//! What pacstrap leaves in the new root, for check mode: each package's own tree read
//! from its archive (the package file pacman would install: a `file://` repository's,
//! or one already in a package cache), so the tasks after a predicted pacstrap plan
//! against what the real run will find — `/root` as the filesystem package makes it
//! (0750), not as missing; `/etc/locale.gen` with the lines glibc ships; os-release.
//!
//! Directories and symlinks come from the archive's mtree (`bsdtar --format=mtree`,
//! type, mode, owner and link only); regular files only for the small files a later
//! task may read (under etc/, and os-release), extracted into a temporary folder.
//! Whatever already exists in the root is left as it is (pacman keeps it, or writes a
//! `.pacnew`); a package whose file cannot be found is not predicted at all (its
//! packages list in the diff still is), which the plan's trace says.

use super::dest::Dest;
use super::sync::Target;
use crate::host::ControllerPath;
use crate::{Host, ModuleError, Op, Ownership, Place, RunSpec};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Files read from a package into the prediction: the ones later tasks read.
const CONTENT_PREFIXES: &[&str] = &["etc/", "usr/lib/os-release"];
/// A predicted file larger than this is left out (configuration files are small).
const CONTENT_LIMIT: u64 = 1 << 20;
/// Where pacman keeps downloaded packages, on the controller.
const HOST_CACHE: &str = "/var/cache/pacman/pkg";

/// One entry of a package's tree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    /// Relative to the new root (`etc/passwd`).
    pub path: String,
    pub kind: Kind,
    pub mode: u32,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Kind {
    Dir,
    File,
    Link(String),
}

/// The predicted ops for the packages about to be installed, in install order.
pub fn tree_ops(host: &Host, dest: &Dest, targets: &[Target]) -> Result<Vec<Op>, ModuleError> {
    let scratch = tempfile::Builder::new()
        .prefix("machinist-pacstrap-")
        .tempdir()
        .map_err(|err| ModuleError::io(std::env::temp_dir(), err))?;
    let mut entries = Vec::new();
    let mut contents = Vec::new();
    for (index, target) in targets.iter().enumerate() {
        let Some(package) = package_file(host, dest, target)? else {
            tracing::debug!(
                package = %target.name,
                "no package file on this machine: its files are not predicted"
            );
            continue;
        };
        let listed = mtree(host, &package)?;
        let folder = scratch.path().join(index.to_string());
        contents.extend(extract_small_files(host, &package, &folder, &listed)?);
        entries.extend(listed);
    }
    ops(host, dest, &entries, &contents)
}

/// A package file as bsdtar, jailed (host/jail.rs), reaches it: a path in its jail,
/// and the controller file bound there, if it is one.
struct PackageFile {
    path: PathBuf,
    bound: Option<ControllerPath>,
}

/// Where the package file is: a `file://` location, or a package cache (this
/// machine's, or the new root's own, looked up through the Host and read by bsdtar
/// in its jail).
fn package_file(
    host: &Host,
    dest: &Dest,
    target: &Target,
) -> Result<Option<PackageFile>, ModuleError> {
    let on_controller = |path: PathBuf| {
        path.is_file().then(|| PackageFile {
            bound: Some(ControllerPath::read_only(&path)),
            path,
        })
    };
    let Some(location) = target.location.as_deref() else {
        return Ok(None);
    };
    if let Some(path) = location.strip_prefix("file://") {
        return Ok(on_controller(PathBuf::from(path)));
    }
    let Some(name) = location.rsplit('/').next().filter(|name| !name.is_empty()) else {
        return Ok(None);
    };
    if let Some(found) = on_controller(Path::new(HOST_CACHE).join(name)) {
        return Ok(Some(found));
    }
    let own = dest.inside("var/cache/pacman/pkg").join(name);
    Ok(host
        .stat(&own)?
        .filter(|meta| meta.is_file())
        .map(|_| PackageFile {
            path: host.tool_path(&own),
            bound: None,
        }))
}

/// The package's tree, its metadata files (`.PKGINFO`, `.MTREE`, …) left out.
fn mtree(host: &Host, package: &PackageFile) -> Result<Vec<Entry>, ModuleError> {
    let output = host.query(&RunSpec {
        argv: vec![
            "bsdtar".into(),
            "-cf".into(),
            "-".into(),
            "--format=mtree".into(),
            "--options=!all,type,mode,link,uid,gid".into(),
            format!("@{}", package.path.display()),
        ],
        env: vec![("LC_ALL".into(), "C".into())],
        place: Place::Controller,
        controller_paths: package.bound.iter().cloned().collect(),
        ..RunSpec::default()
    })?;
    if output.rc != Some(0) {
        return Err(ModuleError::Failed(format!(
            "bsdtar (reading {} for check mode): {}",
            package.path.display(),
            output.said()
        )));
    }
    Ok(parse_mtree(&output.stdout))
}

/// bsdtar's mtree lines: `./etc/passwd mode=644 gid=0 uid=0 type=file`.
pub fn parse_mtree(text: &str) -> Vec<Entry> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let name = crate::mount::unescape(words.next()?);
            let path = name.strip_prefix("./")?.trim_end_matches('/').to_string();
            if path.is_empty() || path.starts_with('.') || path.split('/').any(|p| p == "..") {
                return None;
            }
            let mut kind = None;
            let mut link = None;
            let mut mode = None;
            let (mut uid, mut gid) = (None, None);
            for word in words {
                let (key, value) = word.split_once('=')?;
                match key {
                    "type" => kind = Some(value.to_string()),
                    "link" => link = Some(crate::mount::unescape(value)),
                    "mode" => mode = u32::from_str_radix(value, 8).ok(),
                    "uid" => uid = value.parse().ok(),
                    "gid" => gid = value.parse().ok(),
                    _ => {}
                }
            }
            let kind = match kind.as_deref()? {
                "dir" => Kind::Dir,
                "file" => Kind::File,
                "link" => Kind::Link(link?),
                _ => return None,
            };
            Some(Entry {
                path,
                kind,
                mode: mode.unwrap_or(0o644),
                uid,
                gid,
            })
        })
        .collect()
}

fn wants_content(entry: &Entry) -> bool {
    entry.kind == Kind::File
        && CONTENT_PREFIXES
            .iter()
            .any(|prefix| entry.path.starts_with(prefix) || entry.path == *prefix)
}

/// The wanted small files of one package, extracted into `folder` and read back
/// (regular files only: a link extracted there is never followed).
fn extract_small_files(
    host: &Host,
    package: &PackageFile,
    folder: &Path,
    listed: &[Entry],
) -> Result<Vec<(String, Vec<u8>)>, ModuleError> {
    let wanted: Vec<&Entry> = listed.iter().filter(|e| wants_content(e)).collect();
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    std::fs::create_dir(folder).map_err(|err| ModuleError::io(folder, err))?;
    let mut argv = vec![
        "bsdtar".to_string(),
        "-xf".into(),
        package.path.display().to_string(),
        "-C".into(),
        folder.display().to_string(),
        "--no-same-owner".into(),
    ];
    for entry in &wanted {
        argv.push("--include".into());
        argv.push(entry.path.clone());
    }
    // Names the archive spells otherwise (`./etc/…`) are simply not extracted.
    let mut controller_paths: Vec<ControllerPath> = package.bound.iter().cloned().collect();
    controller_paths.push(ControllerPath::writable(folder));
    host.query(&RunSpec {
        argv,
        env: vec![("LC_ALL".into(), "C".into())],
        place: Place::Controller,
        controller_paths,
        ..RunSpec::default()
    })?;
    let mut read = Vec::new();
    for entry in wanted {
        let path = folder.join(&entry.path);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if !meta.is_file() || meta.len() > CONTENT_LIMIT {
            continue;
        }
        let content = std::fs::read(&path).map_err(|err| ModuleError::io(&path, err))?;
        read.push((entry.path.clone(), content));
    }
    Ok(read)
}

/// The ops: directories parents first, then links and files; only where the root
/// has nothing yet and the parent is a directory made here or already there.
fn ops(
    host: &Host,
    dest: &Dest,
    entries: &[Entry],
    contents: &[(String, Vec<u8>)],
) -> Result<Vec<Op>, ModuleError> {
    let mut dirs: Vec<&Entry> = entries.iter().filter(|e| e.kind == Kind::Dir).collect();
    dirs.sort_by_key(|entry| (entry.path.matches('/').count(), entry.path.clone()));
    let mut known: BTreeSet<String> = BTreeSet::new();
    let mut ops = Vec::new();
    let mut seen = BTreeSet::new();
    let parent_known = |known: &BTreeSet<String>, path: &str| -> Result<bool, ModuleError> {
        let Some((parent, _)) = path.rsplit_once('/') else {
            return Ok(true);
        };
        if known.contains(parent) {
            return Ok(true);
        }
        Ok(host
            .lstat(&dest.inside(parent))?
            .is_some_and(|meta| meta.is_dir()))
    };
    for entry in dirs {
        if !seen.insert(entry.path.clone()) || !parent_known(&known, &entry.path)? {
            continue;
        }
        let inside = dest.inside(&entry.path);
        match host.lstat(&inside)? {
            Some(meta) if meta.is_dir() => {}
            Some(_) => continue,
            None => ops.push(Op::Predicted(Box::new(Op::Mkdir {
                path: inside,
                mode: entry.mode,
                owner: owner(entry),
            }))),
        }
        known.insert(entry.path.clone());
    }
    for entry in entries.iter().filter(|e| e.kind != Kind::Dir) {
        if !seen.insert(entry.path.clone()) || !parent_known(&known, &entry.path)? {
            continue;
        }
        let inside = dest.inside(&entry.path);
        if host.lstat(&inside)?.is_some() {
            continue;
        }
        match &entry.kind {
            Kind::Link(target) => ops.push(Op::Predicted(Box::new(Op::Symlink {
                path: inside,
                target: PathBuf::from(target),
            }))),
            Kind::File => {
                let Some((_, content)) = contents.iter().find(|(path, _)| *path == entry.path)
                else {
                    continue;
                };
                ops.push(Op::Predicted(Box::new(Op::WriteFile {
                    path: inside,
                    content: content.clone(),
                    mode: entry.mode,
                    owner: owner(entry),
                })));
            }
            Kind::Dir => {}
        }
    }
    Ok(ops)
}

fn owner(entry: &Entry) -> Ownership {
    Ownership {
        uid: entry.uid,
        gid: entry.gid,
    }
}
