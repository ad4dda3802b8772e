//! The `unarchive` module (Ansible's `ansible.builtin.unarchive`): a tar (plain, .gz,
//! .xz, .zst, .bz2) or zip archive unpacked into `dest` inside the root. The archive is
//! read in Rust (unarchive/read.rs) and every member becomes an op the Host applies
//! (atomic writes, in-root resolution), so no external tar writes into a root; members
//! that would land outside `dest` are refused. Idempotent by comparing contents: a
//! member already there with the same content, type, mode and owner is left alone.
//!
//! `src` is on the controller (the runner finds it in files/ beside the playbook or
//! role and hands over its path) unless `remote_src`: then it is a path inside the
//! target, or an http(s) URL downloaded while planning. Differences from Ansible: the
//! members' modification times are not restored (the comparison is by content), and
//! of `extra_opts` only `--strip-components` is taken.

pub(crate) mod doc;
mod read;
#[cfg(test)]
mod tests;

use crate::file::{attrs_owner_id, IdArg, ModeArg};
use crate::host::{Kind, Meta};
use crate::{http, mode, Change, Diff, Host, Module, ModuleError, Op, Ownership, Plan};
use read::{Format, Member, MemberKind};
use serde::Deserialize;
use std::collections::HashSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// The largest archive read (as the runner's cap on a `src:` file).
pub const MAX_ARCHIVE: u64 = 256 << 20;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The archive: a file in files/ on the controller, or with `remote_src` a path in
    /// the target or an http(s) URL.
    pub src: String,
    /// An existing directory to unpack into.
    pub dest: String,
    #[serde(default)]
    pub remote_src: bool,
    /// Do nothing (skipped) when this path exists in the target.
    pub creates: Option<String>,
    #[serde(default)]
    pub extra_opts: Vec<String>,
    #[serde(default)]
    pub list_files: bool,
    /// Members (glob patterns on their names) not unpacked.
    #[serde(default)]
    pub exclude: Vec<String>,
    /// Only these members (glob patterns on their names) are unpacked.
    #[serde(default)]
    pub include: Vec<String>,
    #[serde(default)]
    pub keep_newer: bool,
    #[serde(default = "yes")]
    pub validate_certs: bool,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
}

fn yes() -> bool {
    true
}

pub struct UnarchiveModule;

impl Module for UnarchiveModule {
    type Args = Args;
    const NAME: &'static str = "unarchive";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let strip = strip_components(&args.extra_opts)?;
        if args.keep_newer {
            return Err(ModuleError::invalid(
                "keep_newer",
                "keep_newer is not supported: machinist compares members by content, not by time",
            ));
        }
        if !args.include.is_empty() && !args.exclude.is_empty() {
            return Err(ModuleError::invalid(
                "include",
                "parameters are mutually exclusive: exclude|include",
            ));
        }
        let include = patterns(&args.include, "include")?;
        let exclude = patterns(&args.exclude, "exclude")?;
        if let Some(creates) = &args.creates {
            if host.exists(&Path::new("/").join(creates))? {
                return Ok(Plan::skipped(format!("skipped, since {creates} exists")));
            }
        }
        let dest = Path::new("/").join(&args.dest);
        match host.stat(&dest)? {
            Some(meta) if meta.is_dir() => {}
            _ => {
                return Err(ModuleError::Failed(format!(
                    "dest '{}' must be an existing dir",
                    dest.display()
                )))
            }
        }
        let bytes = archive_bytes(args, host)?;
        let format = Format::detect(&bytes).ok_or_else(|| {
            ModuleError::Failed(format!(
                "Failed to find handler for \"{}\": not a tar (plain, gz, xz, zst, bz2) or zip archive",
                args.src
            ))
        })?;
        let members: Vec<Member> = read::members(&bytes, format, strip)?
            .into_iter()
            .filter(|member| {
                (include.is_empty() || named(&include, &member.name))
                    && !named(&exclude, &member.name)
            })
            .collect();
        tracing::debug!(
            src = %args.src,
            handler = format.handler(),
            members = members.len(),
            "archive read"
        );
        let owner = Ownership {
            uid: attrs_owner_id(host, args.owner.as_ref(), "owner")?,
            gid: attrs_owner_id(host, args.group.as_ref(), "group")?,
        };
        let planner = Planner {
            args,
            host,
            dest: &dest,
            owner,
        };
        let mut plan = planner.plan(&members)?;
        plan = plan
            .with_data("dest", dest.display().to_string())
            .with_data("src", &args.src)
            .with_data("handler", format.handler());
        if args.list_files {
            let names: Vec<&str> = members.iter().map(|m| m.name.as_str()).collect();
            plan = plan.with_data("files", names);
        }
        Ok(plan)
    }
}

/// `--strip-components=N` (or `--strip-components N`); every other option refused.
fn strip_components(extra_opts: &[String]) -> Result<usize, ModuleError> {
    let mut strip = 0;
    let mut opts = extra_opts.iter();
    while let Some(opt) = opts.next() {
        let value = match opt.strip_prefix("--strip-components") {
            Some(rest) if rest.starts_with('=') => rest[1..].to_string(),
            Some("") => opts.next().cloned().unwrap_or_default(),
            _ => {
                return Err(ModuleError::invalid(
                    "extra_opts",
                    format!(
                        "extra_opts '{opt}' is not supported: machinist reads archives itself \
                         and takes only --strip-components=N"
                    ),
                ))
            }
        };
        strip = value.parse().map_err(|_| {
            ModuleError::invalid(
                "extra_opts",
                format!("--strip-components needs a number, not '{value}'"),
            )
        })?;
    }
    Ok(strip)
}

fn patterns(globs: &[String], field: &str) -> Result<Vec<glob::Pattern>, ModuleError> {
    globs
        .iter()
        .map(|text| {
            glob::Pattern::new(text)
                .map_err(|err| ModuleError::invalid(field, format!("{text}: {err}")))
        })
        .collect()
}

/// Whether a pattern names the member or a folder it is in (as tar's member names and
/// `--exclude` patterns take a folder with everything below it).
fn named(patterns: &[glob::Pattern], name: &str) -> bool {
    let name = name.trim_start_matches("./").trim_end_matches('/');
    let mut prefix = name;
    loop {
        if patterns.iter().any(|pattern| pattern.matches(prefix)) {
            return true;
        }
        match prefix.rsplit_once('/') {
            Some((parent, _)) => prefix = parent,
            None => return false,
        }
    }
}

/// The archive's bytes: the controller's file, the target's, or a download.
fn archive_bytes(args: &Args, host: &Host) -> Result<Vec<u8>, ModuleError> {
    let src = args.src.as_str();
    if args.remote_src && (src.starts_with("http://") || src.starts_with("https://")) {
        let response = http::send(&http::Request {
            method: "GET",
            url: src,
            headers: &[],
            body: None,
            timeout: Duration::from_secs(10),
            validate_certs: args.validate_certs,
            auth: None,
            force_basic_auth: false,
            follow_redirects: true,
            user_agent: "ansible-httpget",
            limit: MAX_ARCHIVE,
        })
        .map_err(|err| ModuleError::Failed(err.to_string()))?;
        if response.status != 200 {
            return Err(ModuleError::Failed(format!(
                "Failure downloading {}, HTTP {}",
                http::mask_url(src),
                response.status
            )));
        }
        return Ok(response.body);
    }
    if args.remote_src {
        let path = Path::new("/").join(src);
        return host.read_file(&path)?.ok_or_else(|| {
            ModuleError::Failed(format!("Source '{}' does not exist", path.display()))
        });
    }
    // The runner resolved src to the controller's file (files/ of the playbook or role).
    let path = Path::new(src);
    if !path.is_absolute() {
        return Err(ModuleError::invalid(
            "src",
            "src must be resolved by the runner to a file on the controller before planning",
        ));
    }
    let file = std::fs::File::open(path).map_err(|err| ModuleError::io(path, err))?;
    let mut bytes = Vec::new();
    std::io::Read::read_to_end(&mut std::io::Read::take(&file, MAX_ARCHIVE + 1), &mut bytes)
        .map_err(|err| ModuleError::io(path, err))?;
    if bytes.len() as u64 > MAX_ARCHIVE {
        return Err(ModuleError::Failed(format!(
            "{}: archives larger than {MAX_ARCHIVE} bytes are refused",
            path.display()
        )));
    }
    Ok(bytes)
}

/// The changes that make `dest` hold the members.
struct Planner<'a> {
    args: &'a Args,
    host: &'a Host,
    dest: &'a Path,
    /// `owner`/`group` asked for (ids of the target).
    owner: Ownership,
}

/// What planning found so far: ops, and the diff's two sides.
#[derive(Default)]
struct Found {
    ops: Vec<Op>,
    before: String,
    after: String,
    changed: usize,
    /// Directories that exist, or will once the ops ran (relative to dest).
    dirs: HashSet<PathBuf>,
}

impl Planner<'_> {
    fn plan(&self, members: &[Member]) -> Result<Plan, ModuleError> {
        let mut found = Found::default();
        found.dirs.insert(PathBuf::new());
        for member in members {
            self.parents(&member.path, &mut found)?;
            self.member(member, &mut found)?;
        }
        if found.ops.is_empty() {
            return Ok(Plan::ok());
        }
        let shown = self.dest.display().to_string();
        Ok(Plan::change(vec![Change {
            summary: format!(
                "unpack {} into {shown}: {} members to write",
                self.args.src, found.changed
            ),
            diff: Some(Diff::of_path(&shown, found.before, found.after)),
            ops: found.ops,
        }]))
    }

    /// Directories above a member that the archive does not list, as tar makes them.
    fn parents(&self, path: &Path, found: &mut Found) -> Result<(), ModuleError> {
        let mut missing = Vec::new();
        let mut parent = path.parent();
        while let Some(dir) = parent {
            if found.dirs.contains(dir) {
                break;
            }
            missing.push(dir.to_path_buf());
            parent = dir.parent();
        }
        for dir in missing.into_iter().rev() {
            let place = self.dest.join(&dir);
            match self.host.stat(&place)? {
                Some(meta) if meta.is_dir() => {}
                Some(_) => {
                    return Err(ModuleError::Failed(format!(
                        "{} is not a directory; cannot unpack below it",
                        place.display()
                    )))
                }
                None => {
                    found.ops.push(Op::Mkdir {
                        path: place.clone(),
                        mode: 0o755,
                        owner: self.owner,
                    });
                    note(found, &place, "absent", "directory, 0755".into());
                }
            }
            found.dirs.insert(dir);
        }
        Ok(())
    }

    fn member(&self, member: &Member, found: &mut Found) -> Result<(), ModuleError> {
        let place = self.dest.join(&member.path);
        let current = self.host.lstat(&place)?;
        let is_dir = matches!(member.kind, MemberKind::Dir);
        let mode = match &self.args.mode {
            Some(wanted) => wanted.resolve(member.mode, is_dir)?,
            None => member.mode,
        };
        let owner = Ownership {
            uid: self.owner.uid.or(member.ids.map(|ids| ids.0)),
            gid: self.owner.gid.or(member.ids.map(|ids| ids.1)),
        };
        let described = |what: &str| format!("{what}, {}", mode::format(mode));
        match &member.kind {
            MemberKind::Dir => {
                found.dirs.insert(member.path.clone());
                match current {
                    Some(meta) if meta.is_dir() => self.attrs(&place, &meta, mode, owner, found),
                    Some(meta) => {
                        self.replace(&place, &meta, found)?;
                        found.ops.push(Op::Mkdir {
                            path: place.clone(),
                            mode,
                            owner,
                        });
                        note(found, &place, &describe(&meta), described("directory"));
                        Ok(())
                    }
                    None => {
                        found.ops.push(Op::Mkdir {
                            path: place.clone(),
                            mode,
                            owner,
                        });
                        note(found, &place, "absent", described("directory"));
                        Ok(())
                    }
                }
            }
            MemberKind::File(content) => {
                let after = format!("file, {}, {} bytes", mode::format(mode), content.len());
                match current {
                    Some(meta) if meta.is_file() => {
                        let old = self.host.read_file(&place)?.unwrap_or_default();
                        if &old == content {
                            return self.attrs(&place, &meta, mode, owner, found);
                        }
                        found.ops.push(Op::WriteFile {
                            path: place.clone(),
                            content: content.clone(),
                            mode,
                            owner: Ownership {
                                uid: owner.uid.or(Some(meta.uid)),
                                gid: owner.gid.or(Some(meta.gid)),
                            },
                        });
                        note(found, &place, &describe(&meta), after);
                    }
                    Some(meta) => {
                        self.replace(&place, &meta, found)?;
                        found.ops.push(Op::WriteFile {
                            path: place.clone(),
                            content: content.clone(),
                            mode,
                            owner,
                        });
                        note(found, &place, &describe(&meta), after);
                    }
                    None => {
                        found.ops.push(Op::WriteFile {
                            path: place.clone(),
                            content: content.clone(),
                            mode,
                            owner,
                        });
                        note(found, &place, "absent", after);
                    }
                }
                Ok(())
            }
            MemberKind::Symlink(target) => {
                let after = format!("link to {}", target.display());
                match current {
                    Some(Meta {
                        kind: Kind::Symlink(now),
                        ..
                    }) if &now == target => Ok(()),
                    Some(meta) => {
                        self.replace(&place, &meta, found)?;
                        found.ops.push(Op::Symlink {
                            path: place.clone(),
                            target: target.clone(),
                        });
                        note(found, &place, &describe(&meta), after);
                        Ok(())
                    }
                    None => {
                        found.ops.push(Op::Symlink {
                            path: place.clone(),
                            target: target.clone(),
                        });
                        note(found, &place, "absent", after);
                        Ok(())
                    }
                }
            }
            MemberKind::Hardlink(to) => {
                let target = self.dest.join(to);
                let wanted = self.host.read_file(&target)?;
                let same = match &current {
                    Some(meta) if meta.is_file() => self.host.read_file(&place)? == wanted,
                    _ => false,
                };
                // A link to a member planned in this same run is "the same" once applied.
                let planned = found
                    .ops
                    .iter()
                    .any(|op| matches!(op, Op::WriteFile { path, .. } if *path == target));
                if same && !planned {
                    return Ok(());
                }
                if let Some(meta) = &current {
                    self.replace(&place, meta, found)?;
                }
                found.ops.push(Op::Hardlink {
                    path: place.clone(),
                    target: target.clone(),
                });
                let before = current.as_ref().map_or("absent".into(), describe);
                note(
                    found,
                    &place,
                    &before,
                    format!("hard link to {}", target.display()),
                );
                Ok(())
            }
        }
    }

    /// Remove what is in the way of a member (never a directory holding files).
    fn replace(&self, place: &Path, meta: &Meta, found: &mut Found) -> Result<(), ModuleError> {
        if meta.is_dir() {
            let empty = self
                .host
                .read_dir(place)?
                .map_or(true, |names| names.is_empty());
            if !empty {
                return Err(ModuleError::Failed(format!(
                    "{} is a directory; refusing to replace it with an archive member",
                    place.display()
                )));
            }
        }
        found.ops.push(Op::Remove {
            path: place.to_path_buf(),
        });
        Ok(())
    }

    /// Mode and owner of a member already there with the right content.
    fn attrs(
        &self,
        place: &Path,
        meta: &Meta,
        mode: u32,
        owner: Ownership,
        found: &mut Found,
    ) -> Result<(), ModuleError> {
        let uid = owner.uid.filter(|uid| *uid != meta.uid);
        let gid = owner.gid.filter(|gid| *gid != meta.gid);
        let mut before = Vec::new();
        let mut after = Vec::new();
        if uid.is_some() || gid.is_some() {
            found.ops.push(Op::Chown {
                path: place.to_path_buf(),
                owner: Ownership { uid, gid },
            });
            before.push(format!("owner {}:{}", meta.uid, meta.gid));
            after.push(format!(
                "owner {}:{}",
                uid.unwrap_or(meta.uid),
                gid.unwrap_or(meta.gid)
            ));
        }
        if mode != meta.mode {
            found.ops.push(Op::Chmod {
                path: place.to_path_buf(),
                mode,
            });
            before.push(format!("mode {}", mode::format(meta.mode)));
            after.push(format!("mode {}", mode::format(mode)));
        }
        if !after.is_empty() {
            note(found, place, &before.join(", "), after.join(", "));
        }
        Ok(())
    }
}

fn describe(meta: &Meta) -> String {
    match &meta.kind {
        Kind::File => format!("file, {}, {} bytes", mode::format(meta.mode), meta.size),
        Kind::Dir => format!("directory, {}", mode::format(meta.mode)),
        Kind::Symlink(target) => format!("link to {}", target.display()),
        Kind::Other => "special file".into(),
    }
}

/// One line on each side of the diff for a member that changes.
fn note(found: &mut Found, place: &Path, before: &str, after: String) {
    found.changed += 1;
    let _ = writeln!(found.before, "{}: {before}", place.display());
    let _ = writeln!(found.after, "{}: {after}", place.display());
}
