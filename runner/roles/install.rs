//! `machinist role install`: make a roles folder hold exactly the roles asked for.
//!
//! For each role: the version to install is the lock's pin (unless `--update` or the
//! requirement changed), else what the version resolves to now. A role whose install
//! record already matches is left alone; anything else is fetched into a staging folder
//! and swapped in whole. Then the roles it depends on (see `requirements::of_role`) are
//! installed the same way, unless `--no-deps`; a role asked for by name at the top wins
//! over a dependency of the same name. The lock (every role, dependencies too) is
//! rewritten (only if it changed) once every role is in.

use super::error::RoleError;
use super::fetch;
use super::git;
use super::lockfile::{self as lock, Pin, Pinned, LOCK_FILE, RECORD_FILE};
use super::requirements::{self, Requirement};
use super::source::{self, Source};
use super::staging::RolesDir;
use crate::error::{Diagnostic, InputError, SourceMap};
use std::collections::VecDeque;
use std::path::{Path, PathBuf};

/// What the user asked for.
#[derive(Debug, Clone, Default)]
pub struct Options {
    pub role_file: Option<PathBuf>,
    pub roles: Vec<String>,
    pub roles_path: Option<PathBuf>,
    pub force: bool,
    pub update: bool,
    /// Install only the roles asked for, not what they depend on.
    pub no_deps: bool,
}

/// What an install is doing, for the printer.
#[derive(Debug)]
pub enum Event<'a> {
    /// Another install holds the roles folder.
    Waiting(&'a Path),
    /// A temp folder an interrupted install left was removed.
    RemovedStale(&'a Path),
    SkippedCollections,
    Fetching {
        name: &'a str,
        src: &'a str,
    },
    Installed {
        role: &'a Pinned,
        dest: &'a Path,
        previous: Option<&'a Pinned>,
    },
    AlreadyInstalled {
        role: &'a Pinned,
    },
    LockWritten(&'a Path),
    /// A role the installed role `of` depends on is installed next.
    Dependency {
        name: &'a str,
        of: &'a str,
    },
    /// `of` depends on `wanted`, but a role of that name from another source or
    /// version is already asked for: that one (`kept`) is installed.
    DependencyConflict {
        wanted: &'a Requirement,
        of: &'a str,
        kept: &'a Requirement,
    },
}

const DEFAULT_ROLE_FILE: &str = "requirements.yml";

/// Install what `options` asks for, telling `on` as it goes.
pub fn install(
    options: &Options,
    sources: &SourceMap,
    on: &mut dyn FnMut(Event),
) -> Result<(), RoleError> {
    let role_file =
        match (&options.role_file, options.roles.is_empty()) {
            (Some(file), _) => Some(file.clone()),
            (None, true) if Path::new(DEFAULT_ROLE_FILE).is_file() => {
                Some(PathBuf::from(DEFAULT_ROLE_FILE))
            }
            (None, true) => return Err(InputError::from(Diagnostic::bare(
                "nothing to install: give -r requirements.yml, or roles as SRC[,VERSION[,NAME]]",
            ))
            .into()),
            (None, false) => None,
        };
    // Relative: `roles/` and `machinist.lock` print as the user would write them.
    let base = role_file
        .as_ref()
        .and_then(|file| file.parent())
        .map(Path::to_path_buf)
        .unwrap_or_default();
    let (wanted, locked) = match &role_file {
        Some(file) => {
            let reqs = requirements::read(file, sources)?;
            if reqs.has_collections {
                on(Event::SkippedCollections);
            }
            let lock_path = base.join(LOCK_FILE);
            let locked = if options.update {
                None
            } else {
                lock::read_lock(&lock_path, sources)?
            };
            (reqs.roles, locked.unwrap_or_default())
        }
        None => (requirements::from_args(&options.roles, &base)?, Vec::new()),
    };
    let roles_path = options
        .roles_path
        .clone()
        .unwrap_or_else(|| base.join("roles"));
    let (mut dir, stale) = RolesDir::open(&roles_path, &mut || on(Event::Waiting(&roles_path)))?;
    for path in &stale {
        on(Event::RemovedStale(path));
    }
    let mut pinned = Vec::new();
    // Every role asked for is known before any dependency, so those win.
    let mut known: Vec<Requirement> = wanted.clone();
    let mut queue: VecDeque<(Requirement, Option<String>)> =
        wanted.into_iter().map(|req| (req, None)).collect();
    while let Some((req, of)) = queue.pop_front() {
        if let Some(of) = &of {
            on(Event::Dependency {
                name: &req.name,
                of,
            });
        }
        let lock = locked
            .iter()
            .find(|l| l.name == req.name && l.src == req.src && l.version == req.version);
        pinned.push(install_one(
            &req,
            lock.map(|l| &l.pin),
            &mut dir,
            options.force,
            on,
        )?);
        if options.no_deps {
            continue;
        }
        for dependency in requirements::of_role(&dir.path().join(&req.name), sources)? {
            match known.iter().find(|k| k.name == dependency.name) {
                Some(kept) if kept.src == dependency.src && kept.version == dependency.version => {}
                Some(kept) => on(Event::DependencyConflict {
                    wanted: &dependency,
                    of: &req.name,
                    kept,
                }),
                None => {
                    known.push(dependency.clone());
                    queue.push_back((dependency, Some(req.name.clone())));
                }
            }
        }
    }
    if role_file.is_some() {
        let lock_path = base.join(LOCK_FILE);
        let changed = lock::write_if_changed(&lock_path, &lock::lock_text(&pinned))
            .map_err(RoleError::io(&lock_path))?;
        if changed {
            on(Event::LockWritten(&lock_path));
        }
    }
    Ok(())
}

/// What is known about one role before it is installed.
struct Job<'a> {
    req: &'a Requirement,
    /// The lock's pin for it (unless `--update` or the requirement changed).
    locked: Option<&'a Pin>,
    /// Its install record, whatever it was installed from.
    record: Option<Pinned>,
    /// The installed role, if installed from this very requirement (and no `--force`).
    current: Option<Pinned>,
}

impl Job<'_> {
    fn pinned(&self, pin: Pin) -> Pinned {
        Pinned {
            name: self.req.name.clone(),
            src: self.req.src.clone(),
            version: self.req.version.clone(),
            pin,
        }
    }
}

/// Install one role; what it is pinned to now.
fn install_one(
    req: &Requirement,
    locked: Option<&Pin>,
    dir: &mut RolesDir,
    force: bool,
    on: &mut dyn FnMut(Event),
) -> Result<Pinned, RoleError> {
    let dest = dir.path().join(&req.name);
    if std::fs::symlink_metadata(&dest).is_ok() && !dest.join(RECORD_FILE).exists() && !force {
        return Err(RoleError::NotOurs(dest));
    }
    // An unreadable record counts as none: the role is reinstalled.
    let record = lock::read_record(&dest).ok().flatten();
    let current = record
        .clone()
        .filter(|r| !force && r.src == req.src && r.version == req.version);
    let job = Job {
        req,
        locked,
        record,
        current,
    };
    match &req.source {
        Source::Git { url } => install_git(&job, url, dir, on),
        Source::Tarball { path } => {
            let pin = Pin::Sha256(fetch::sha256_file(path)?);
            install_content(&job, pin, dir, on, &|to| fetch::extract(path, to))
        }
        Source::Dir { path } => {
            let pin = Pin::TreeSha256(fetch::tree_sha256(path)?);
            install_content(&job, pin, dir, on, &|to| {
                fetch::copy_dir(path, to).map(|()| to.to_path_buf())
            })
        }
    }
}

fn install_git(
    job: &Job,
    url: &str,
    dir: &mut RolesDir,
    on: &mut dyn FnMut(Event),
) -> Result<Pinned, RoleError> {
    let req = job.req;
    if let Some(cur) = job
        .current
        .as_ref()
        .filter(|cur| git_unchanged(job, url, cur))
    {
        on(Event::AlreadyInstalled { role: cur });
        return Ok(cur.clone());
    }
    on(Event::Fetching {
        name: &req.name,
        src: &req.src,
    });
    let staging = dir.staging(&req.name);
    git::clone(url, &staging.path)?;
    let commit = resolve(job, &staging.path)?;
    let role = job.pinned(Pin::Commit(commit));
    if let Some(cur) = job.current.as_ref().filter(|c| c.pin == role.pin) {
        on(Event::AlreadyInstalled { role: cur });
        return Ok(cur.clone());
    }
    git::checkout(&staging.path, role.pin.value())?;
    let dot_git = staging.path.join(".git");
    std::fs::remove_dir_all(&dot_git).map_err(RoleError::io(&dot_git))?;
    put_in_place(dir, &staging.path, &role, job.record.as_ref(), on)?;
    Ok(role)
}

/// Install a tarball or a folder whose content digest is `pin`; `build` puts the files
/// into the folder it is given and returns the role's folder.
fn install_content(
    job: &Job,
    pin: Pin,
    dir: &mut RolesDir,
    on: &mut dyn FnMut(Event),
    build: &dyn Fn(&Path) -> Result<PathBuf, RoleError>,
) -> Result<Pinned, RoleError> {
    let req = job.req;
    if let Some(want) = job.locked.filter(|want| **want != pin) {
        return Err(req
            .error(
                false,
                format!(
                    "{} no longer matches machinist.lock ({}, now {}); run `machinist role install --update` to accept the change",
                    req.src,
                    want.short(),
                    pin.short()
                ),
            )
            .into());
    }
    if let Some(cur) = job.current.as_ref().filter(|c| c.pin == pin) {
        on(Event::AlreadyInstalled { role: cur });
        return Ok(cur.clone());
    }
    let role = job.pinned(pin);
    let staging = dir.staging(&req.name);
    let built = build(&staging.path)?;
    put_in_place(dir, &built, &role, job.record.as_ref(), on)?;
    Ok(role)
}

/// The installed role, if it is already what `req` (and the lock) want: decided from
/// the lock, the version itself (a commit id), or `git ls-remote`; `false` when only a
/// clone can tell.
fn git_unchanged(job: &Job, url: &str, current: &Pinned) -> bool {
    let Pin::Commit(have) = &current.pin else {
        return false;
    };
    let req = job.req;
    match job.locked {
        Some(Pin::Commit(want)) => want == have,
        Some(_) => false,
        None if source::names_commit(req.version.as_deref(), have) => true,
        None => git::ls_remote(url)
            .ok()
            .and_then(|refs| git::resolve_remote(&refs, req.version.as_deref()))
            .is_some_and(|commit| &commit == have),
    }
}

/// The commit to install from a fresh clone: the locked one (which must be there), or
/// the one the version names.
fn resolve(job: &Job, repo: &Path) -> Result<String, RoleError> {
    let req = job.req;
    if let Some(Pin::Commit(commit)) = job.locked {
        return match git::find_commit(repo, commit)? {
            Some(found) if &found == commit => Ok(found),
            _ => Err(req
                .error(false, format!(
                    "commit {commit} pinned by machinist.lock is not in {}; run `machinist role install --update` to move the pin",
                    req.src
                ))
                .into()),
        };
    }
    git::resolve(repo, req.version.as_deref())?.ok_or_else(|| {
        let message = match &req.version {
            Some(version) => format!(
                "version '{version}' is not a tag, branch or commit of {}",
                req.src
            ),
            None => format!("{} has no default branch to install", req.src),
        };
        req.error(true, message).into()
    })
}

/// Write the install record into `built` and swap it into the roles folder.
fn put_in_place(
    dir: &RolesDir,
    built: &Path,
    role: &Pinned,
    previous: Option<&Pinned>,
    on: &mut dyn FnMut(Event),
) -> Result<(), RoleError> {
    let record = built.join(RECORD_FILE);
    std::fs::write(&record, lock::record_text(role)).map_err(RoleError::io(&record))?;
    dir.replace(built, &role.name)?;
    on(Event::Installed {
        role,
        dest: &dir.path().join(&role.name),
        previous,
    });
    Ok(())
}
