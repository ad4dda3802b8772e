//! The sync databases, queried without touching the new root: refreshed (`pacman -Sy`)
//! into a temporary dbpath, seeded with the root's own copies so a root that is up to
//! date downloads nothing, and asked which names are packages or groups and what
//! `pacman -Sp` would install on top of the root's local database.
//!
//! The root is read only through the Host (its overlay first): the sync databases and
//! the local database's entries are copied into the temporary dbpath, so pacman never
//! reaches the root itself while a task plans. The refresh is a read of the
//! repositories into that private folder, gone when the plan is made; the root's own
//! databases are refreshed by the tool the apply runs (pacstrap, `pacman -Sy`).

use crate::host::ControllerPath;
use crate::{Host, ModuleError, OpOutput, Place, RunSpec};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// A temporary dbpath: `sync/` refreshed from the repositories of a pacman.conf, and
/// `local` the root's own database (read-only) or empty.
pub struct SyncDbs {
    dir: tempfile::TempDir,
    conf: PathBuf,
}

/// One package `pacman -Sp` would install.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub name: String,
    pub version: String,
    /// Where pacman gets the package file (`file:///…`, `https://…`).
    pub location: Option<String>,
}

/// The wanted names, groups expanded: real packages, and names no repository has as a
/// package or group (virtual ones such as `sh`, satisfied by a provider).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Wanted {
    pub packages: Vec<String>,
    pub virtual_names: Vec<String>,
}

impl Wanted {
    pub fn all(&self) -> impl Iterator<Item = &String> {
        self.packages.iter().chain(&self.virtual_names)
    }
}

impl SyncDbs {
    /// Refresh the databases of `conf` into a new temporary dbpath, seeded from
    /// `seed_sync` (the root's var/lib/pacman/sync, inside the root) when it has them;
    /// `local` is the root's var/lib/pacman/local, inside the root. pacman and the
    /// seeding `cp` reach the root only from their jail (host/jail.rs).
    pub fn open(
        host: &Host,
        conf: &Path,
        local: &Path,
        seed_sync: &Path,
    ) -> Result<SyncDbs, ModuleError> {
        SyncDbs::open_seeded(host, conf, local, seed_sync, true)
    }

    /// [`SyncDbs::open`] without a refresh: the root's databases as they are (what
    /// pacman without `-y` uses), the `*.db` files of `in_root_sync` read through the
    /// Host (so check mode sees a refresh an earlier task predicted). None is an error.
    pub fn open_as_is(
        host: &Host,
        conf: &Path,
        local: &Path,
        in_root_sync: &Path,
    ) -> Result<SyncDbs, ModuleError> {
        SyncDbs::open_seeded(host, conf, local, in_root_sync, false)
    }

    fn open_seeded(
        host: &Host,
        conf: &Path,
        local: &Path,
        seed_sync: &Path,
        refresh: bool,
    ) -> Result<SyncDbs, ModuleError> {
        let dir = tempfile::Builder::new()
            .prefix("machinist-pacman-")
            .tempdir()
            .map_err(|err| ModuleError::io(std::env::temp_dir(), err))?;
        let sync = SyncDbs {
            conf: conf.to_path_buf(),
            dir,
        };
        let sync_dir = sync.dir.path().join("sync");
        std::fs::create_dir(&sync_dir).map_err(|err| ModuleError::io(&sync_dir, err))?;
        copy_local_db(host, local, &sync.dir.path().join("local"))?;
        let seeded = seed_through(host, seed_sync, &sync_dir)?;
        if !refresh {
            if seeded == 0 {
                return Err(ModuleError::Failed(format!(
                    "{}: no package databases (refresh them first: update_cache)",
                    seed_sync.display()
                )));
            }
            return Ok(sync);
        }
        let refreshed = sync.pacman(host, &["-Sy", "--noconfirm"])?;
        if refreshed.rc != Some(0) && seeded == 0 {
            return Err(ModuleError::Failed(format!(
                "pacman --config {} -Sy (into a temporary dbpath) failed: {}",
                conf.display(),
                refreshed.said()
            )));
        }
        Ok(sync)
    }

    /// Which names are packages, which groups (members in repository order, ignored
    /// ones left out), and which neither.
    pub fn expand(
        &self,
        host: &Host,
        names: &[String],
        ignore: &[String],
    ) -> Result<Wanted, ModuleError> {
        let packages: BTreeSet<String> = self
            .succeeded(host, &["-Slq"])?
            .stdout
            .lines()
            .map(str::to_string)
            .collect();
        let groups = self.groups(host)?;
        let mut wanted = Wanted::default();
        let mut seen = BTreeSet::new();
        for name in names {
            if packages.contains(name) {
                if seen.insert(name.clone()) {
                    wanted.packages.push(name.clone());
                }
            } else if let Some(members) = groups.get(name) {
                for member in members {
                    if !ignore.contains(member) && seen.insert(member.clone()) {
                        wanted.packages.push(member.clone());
                    }
                }
            } else if seen.insert(name.clone()) {
                wanted.virtual_names.push(name.clone());
            }
        }
        Ok(wanted)
    }

    /// Whether the root's local database satisfies a name (`pacman -T`: providers count).
    pub fn satisfied(&self, host: &Host, name: &str) -> Result<bool, ModuleError> {
        Ok(self.pacman(host, &["-T", "--", name])?.rc == Some(0))
    }

    /// What `pacman -S --needed NAMES` would install in the root, dependencies included.
    pub fn print_targets(
        &self,
        host: &Host,
        names: &[String],
        ignore: &[String],
    ) -> Result<Vec<Target>, ModuleError> {
        let mut args = vec!["-Sp", "--print-format", "%n %v %l", "--needed"];
        let ignored: Vec<String> = ignore.iter().map(|n| format!("--ignore={n}")).collect();
        args.extend(ignored.iter().map(String::as_str));
        args.push("--");
        args.extend(names.iter().map(String::as_str));
        self.print(host, &args).map_err(|reason| {
            ModuleError::Failed(format!(
                "pacman cannot install {}: {reason}",
                names.join(" ")
            ))
        })
    }

    /// The `NAME VERSION` lines a `-p` operation (`-Sp`, `-Sup`, `-Rp`) prints with
    /// `--print-format '%n %v'` in ARGS, or what pacman said when it refused.
    pub fn print(&self, host: &Host, args: &[&str]) -> Result<Vec<Target>, String> {
        let output = self.pacman(host, args).map_err(|err| err.to_string())?;
        if output.rc != Some(0) {
            return Err(match (output.stdout.trim(), output.stderr.trim()) {
                ("", "") => output.said(),
                (out, err) => format!("{out}\n{err}").trim().to_string(),
            });
        }
        Ok(output
            .stdout
            .lines()
            .filter_map(|line| {
                let mut words = line.split(' ');
                Some(Target {
                    name: words.next()?.to_string(),
                    version: words.next()?.to_string(),
                    location: words.next().map(str::to_string),
                })
            })
            .collect())
    }

    /// The databases a refresh of the root would change (name, new content): the
    /// freshly refreshed copies that differ from the root's own in `root_sync` (read
    /// through the Host, so a refresh an earlier task predicted counts).
    pub fn refreshed(
        &self,
        host: &Host,
        root_sync: &Path,
    ) -> Result<Vec<(String, Vec<u8>)>, ModuleError> {
        let fresh_dir = self.dir.path().join("sync");
        let fresh =
            std::fs::read_dir(&fresh_dir).map_err(|err| ModuleError::io(&fresh_dir, err))?;
        let mut changed = Vec::new();
        for entry in fresh.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !name.ends_with(".db") {
                continue;
            }
            let new =
                std::fs::read(entry.path()).map_err(|err| ModuleError::io(entry.path(), err))?;
            let old = host.read_file(&root_sync.join(&name))?;
            if old.as_deref() != Some(new.as_slice()) {
                changed.push((name, new));
            }
        }
        changed.sort();
        Ok(changed)
    }

    /// Every group of the repositories with its members. pacman exits 1 and prints
    /// nothing when no repository has a group: that is no groups, not a failure.
    fn groups(&self, host: &Host) -> Result<BTreeMap<String, Vec<String>>, ModuleError> {
        let output = self.pacman(host, &["-Sgg"])?;
        let none = output.rc == Some(1)
            && output.stdout.trim().is_empty()
            && output.stderr.trim().is_empty();
        if output.rc == Some(0) || none {
            return Ok(parse_groups(&output.stdout));
        }
        Err(ModuleError::Failed(format!(
            "pacman -Sgg: {}",
            output.said()
        )))
    }

    fn succeeded(&self, host: &Host, args: &[&str]) -> Result<OpOutput, ModuleError> {
        let output = self.pacman(host, args)?;
        if output.rc == Some(0) {
            return Ok(output);
        }
        Err(ModuleError::Failed(format!(
            "pacman {}: {}",
            args.join(" "),
            output.said()
        )))
    }

    fn pacman(&self, host: &Host, args: &[&str]) -> Result<OpOutput, ModuleError> {
        let dbpath = self.dir.path();
        let mut argv: Vec<String> = vec![
            "pacman".into(),
            "--config".into(),
            self.conf.display().to_string(),
            "--dbpath".into(),
            dbpath.display().to_string(),
            "--logfile".into(),
            dbpath.join("pacman.log").display().to_string(),
        ];
        argv.extend(args.iter().map(|arg| arg.to_string()));
        let mut controller_paths = super::controller::for_pacman(&self.conf);
        controller_paths.push(ControllerPath::writable(dbpath));
        host.query(&RunSpec {
            argv,
            env: vec![("LC_ALL".into(), "C".into())],
            place: Place::Controller,
            controller_paths,
            ..RunSpec::default()
        })
    }
}

/// Copy the `*.db` files of the in-root directory `from`, read through the Host, into
/// `to`, keeping their modification times so `pacman -Sy` downloads only what changed.
/// How many were copied.
fn seed_through(host: &Host, from: &Path, to: &Path) -> Result<usize, ModuleError> {
    let Some(names) = host.read_dir(from)? else {
        return Ok(0);
    };
    let mut copied = 0;
    for name in names {
        let path = from.join(&name);
        if !path.extension().is_some_and(|ext| ext == "db") {
            continue;
        }
        let Some(details) = host.details(&path, true)?.filter(|d| d.meta.is_file()) else {
            continue;
        };
        let Some(content) = host.read_file(&path)? else {
            continue;
        };
        let target = to.join(&name);
        write_scratch(&target, &content, Some(details.extra.mtime))?;
        copied += 1;
    }
    tracing::debug!(from = %from.display(), copied, "seeded the sync databases from the root");
    Ok(copied)
}

/// The root's local database (`local`, inside the root) as pacman needs it to plan —
/// its version stamp and each entry's `desc` — read through the Host into the new
/// folder `to`. An entry only predicted (check mode: no `desc`) is left out: pacman
/// would refuse it, and the caller filters what the overlay says is installed.
fn copy_local_db(host: &Host, local: &Path, to: &Path) -> Result<(), ModuleError> {
    std::fs::create_dir(to).map_err(|err| ModuleError::io(to, err))?;
    let Some(names) = host.read_dir(local)? else {
        return Ok(());
    };
    for name in names {
        let entry = local.join(&name);
        if name == "ALPM_DB_VERSION" {
            if let Some(stamp) = host.read_file(&entry)? {
                write_scratch(&to.join(&name), &stamp, None)?;
            }
            continue;
        }
        if !host.lstat(&entry)?.is_some_and(|meta| meta.is_dir()) {
            continue;
        }
        let Some(desc) = host.read_file(&entry.join("desc"))? else {
            continue;
        };
        let folder = to.join(&name);
        std::fs::create_dir(&folder).map_err(|err| ModuleError::io(&folder, err))?;
        write_scratch(&folder.join("desc"), &desc, None)?;
    }
    Ok(())
}

/// A file of the temporary dbpath (the plan's own scratch, on the controller).
fn write_scratch(
    path: &Path,
    content: &[u8],
    mtime: Option<crate::host::Timestamp>,
) -> Result<(), ModuleError> {
    let failed = |err| ModuleError::io(path, err);
    std::fs::write(path, content).map_err(failed)?;
    if let Some(mtime) = mtime {
        let at = std::time::UNIX_EPOCH
            + std::time::Duration::new(
                u64::try_from(mtime.secs).unwrap_or(0),
                u32::try_from(mtime.nanos).unwrap_or(0),
            );
        let file = std::fs::File::options()
            .write(true)
            .open(path)
            .map_err(failed)?;
        file.set_modified(at).map_err(failed)?;
    }
    Ok(())
}

/// `pacman -Sgg` lines (`GROUP PACKAGE`) as each group's members, in order.
pub fn parse_groups(listing: &str) -> BTreeMap<String, Vec<String>> {
    let mut groups: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for line in listing.lines() {
        if let Some((group, member)) = line.split_once(' ') {
            groups
                .entry(group.to_string())
                .or_default()
                .push(member.trim().to_string());
        }
    }
    groups
}
