//! The `pacman` module (Ansible's `community.general.pacman`): packages of the target
//! present, at their latest version, or absent; the package databases refreshed and
//! the system upgraded — with the real pacman, on the machine's own `/` directly, and
//! for an offline root from the controller with `--root ROOT` (the root's database,
//! cache and pacman.conf when it has one; the controller's /etc/pacman.conf otherwise),
//! as pacstrap does, the paths pacman follows checked first.
//!
//! Planning only reads: it reuses pacstrap's sync databases in a temporary dbpath
//! (refreshed when `update_cache` asks, seeded from the root's copies) and the root's
//! local database read through the Host, and asks `pacman -Sp`/`-Sup`/`-Rp` there what
//! the real run would install, upgrade or remove — the exact package list, dependencies
//! included. Check mode records the predicted local database entries in the overlay,
//! and on an offline root the packages' own trees as pacstrap predicts them (its
//! `predicted` module), so later tasks of the same run see the packages and their
//! files.

pub mod doc;
pub(crate) mod names;
#[cfg(test)]
mod tests;

use crate::pacstrap::{dest::Dest, local, predicted, sync};
use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Place, Plan, RunSpec};
use serde::Deserialize;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

const LOCAL_DB: &str = "/var/lib/pacman/local";
const SYNC_DB: &str = "/var/lib/pacman/sync";
const DB_LOCK: &str = "/var/lib/pacman/db.lck";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Installed,
    Latest,
    Absent,
    Removed,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Packages or groups (a list or a comma-separated string).
    #[serde(
        default,
        alias = "pkg",
        alias = "package",
        deserialize_with = "names::list"
    )]
    pub name: Vec<String>,
    #[serde(default)]
    pub state: State,
    /// Removing: ignore dependencies (`-dd`); installing: overwrite conflicting files
    /// (`--overwrite '*'`).
    #[serde(default)]
    pub force: bool,
    /// Removing: no .pacsave copies of changed configuration files (`--nosave`).
    #[serde(default)]
    pub remove_nosave: bool,
    /// More arguments for the install or remove run (shell words).
    #[serde(default)]
    pub extra_args: String,
    /// Refresh the package databases first (`pacman -Sy`).
    #[serde(default, alias = "update-cache")]
    pub update_cache: bool,
    #[serde(default)]
    pub update_cache_extra_args: String,
    /// Upgrade every package (`pacman -Su`).
    #[serde(default)]
    pub upgrade: bool,
    #[serde(default)]
    pub upgrade_extra_args: String,
    /// machinist's own, as pacstrap's: a pacman.conf of the controller naming the
    /// repositories (see [`Target::new`] for what is read without it).
    #[serde(default)]
    pub pacman_conf: Option<String>,
}

pub struct PacmanModule;

impl Module for PacmanModule {
    type Args = Args;
    const NAME: &'static str = "pacman";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.name.is_empty() && !args.update_cache && !args.upgrade {
            return Err(ModuleError::invalid(
                "name",
                "give name, update_cache or upgrade",
            ));
        }
        if let Some(bad) = args.name.iter().find(|n| n.starts_with('-')) {
            return Err(ModuleError::invalid(
                "name",
                format!("'{bad}' is not a package name (options go in extra_args)"),
            ));
        }
        let target = Target::new(host, args)?;
        if host.lstat(Path::new(DB_LOCK))?.is_some() {
            return Err(ModuleError::Failed(format!(
                "{}: pacman's lock exists: another pacman is working on this root, or one \
                 was killed; remove the file once no pacman runs there",
                host.root().join(DB_LOCK.trim_start_matches('/')).display()
            )));
        }
        let installed = installed_versions(host)?;
        let sync = if args.update_cache {
            sync::SyncDbs::open(host, &target.conf, Path::new(LOCAL_DB), Path::new(SYNC_DB))?
        } else {
            sync::SyncDbs::open_as_is(host, &target.conf, Path::new(LOCAL_DB), Path::new(SYNC_DB))?
        };
        let mut changes = Vec::new();
        let mut plan = Plan::ok();
        let refreshed = match args.update_cache {
            true => sync.refreshed(host, Path::new(SYNC_DB))?,
            false => Vec::new(),
        };
        let cache_updated = !refreshed.is_empty();
        if cache_updated {
            changes.push(target.refresh_change(host, args, refreshed)?);
        }
        plan = plan.with_data("cache_updated", cache_updated);
        let mut changed_packages: Vec<String> = Vec::new();
        if args.upgrade {
            let mut upgrades = sync
                .print(host, &print_args(&["-Sup"], "%n %v %l", &[]))
                .map_err(|reason| ModuleError::Failed(format!("pacman -Su: {reason}")))?;
            upgrades.retain(|t| installed.get(&t.name) != Some(&t.version));
            if !upgrades.is_empty() {
                changed_packages.extend(upgrades.iter().map(|t| t.name.clone()));
                changes.push(target.install_change(
                    host,
                    "upgrade",
                    &upgrades,
                    &installed,
                    vec!["-Su".into()],
                    &args.upgrade_extra_args,
                )?);
            }
        }
        let (msg, package_change) = match args.state {
            State::Present | State::Installed | State::Latest if !args.name.is_empty() => {
                let (msg, change) = target.install(host, args, &sync, &installed)?;
                (Some(msg), change)
            }
            State::Absent | State::Removed if !args.name.is_empty() => {
                let (msg, change) = target.remove(host, args, &sync, &installed)?;
                (Some(msg), change)
            }
            _ => (None, None),
        };
        if let Some((change, names)) = package_change {
            changed_packages.extend(names);
            changes.push(change);
        }
        plan = plan.with_data("packages", &changed_packages);
        if let Some(msg) = msg {
            plan = plan.with_msg(msg);
        }
        plan.changes = changes;
        Ok(plan)
    }
}

/// Where pacman acts: the root as the jailed tool reaches it (`None` on the
/// machine's own `/`) and the controller's pacman.conf it reads.
struct Target {
    root: Option<PathBuf>,
    conf: PathBuf,
}

impl Target {
    /// The configuration: `pacman_conf` (the controller's, bound into the jail with
    /// what it names); else, on an offline root with its own, the root's, read by the
    /// jailed pacman inside the root (its `Include`s reach only what the jail holds,
    /// its `file://` servers nothing of the controller); else /etc/pacman.conf.
    fn new(host: &Host, args: &Args) -> Result<Target, ModuleError> {
        let own = host.is_offline()
            && host
                .lstat(Path::new("/etc/pacman.conf"))?
                .is_some_and(|meta| meta.is_file());
        let conf = match (&args.pacman_conf, own) {
            (Some(conf), _) => PathBuf::from(conf),
            (None, true) => host.tool_path(Path::new("/etc/pacman.conf")),
            (None, false) => PathBuf::from("/etc/pacman.conf"),
        };
        Ok(Target {
            root: host.is_offline().then(|| host.tool_root().to_path_buf()),
            conf,
        })
    }

    /// An in-root path as pacman reaches it.
    fn real(&self, inside: &str) -> PathBuf {
        match &self.root {
            Some(root) => root.join(inside.trim_start_matches('/')),
            None => PathBuf::from(inside),
        }
    }

    /// pacman with the root's places and the words given.
    fn run(&self, words: Vec<String>, extra: &str) -> Result<Op, ModuleError> {
        let mut argv = vec!["pacman".to_string()];
        let place = match &self.root {
            Some(root) => {
                argv.extend([
                    "--root".into(),
                    root.display().to_string(),
                    "--dbpath".into(),
                    self.real("/var/lib/pacman").display().to_string(),
                    "--cachedir".into(),
                    self.real("/var/cache/pacman/pkg").display().to_string(),
                ]);
                Place::Controller
            }
            None => Place::Target,
        };
        argv.extend(["--config".into(), self.conf.display().to_string()]);
        let controller_paths = match place {
            Place::Controller => crate::pacstrap::controller::for_pacman(&self.conf),
            Place::Target => Vec::new(),
        };
        argv.push("--noconfirm".into());
        argv.extend(crate::shell_words::split(extra).map_err(|err| {
            ModuleError::invalid("extra_args", format!("cannot split '{extra}': {err}"))
        })?);
        argv.extend(words);
        Ok(Op::Run(RunSpec {
            argv,
            env: vec![("LC_ALL".into(), "C".into())],
            place,
            controller_paths,
            ..RunSpec::default()
        }))
    }

    fn refresh_change(
        &self,
        host: &Host,
        args: &Args,
        refreshed: Vec<(String, Vec<u8>)>,
    ) -> Result<Change, ModuleError> {
        let mut ops = vec![self.run(vec!["-Sy".into()], &args.update_cache_extra_args)?];
        for dir in ["/var", "/var/lib", "/var/lib/pacman", SYNC_DB] {
            if host.lstat(Path::new(dir))?.is_none() {
                ops.push(Op::Predicted(Box::new(Op::Mkdir {
                    path: dir.into(),
                    mode: 0o755,
                    owner: Ownership::default(),
                })));
            }
        }
        let names: Vec<String> = refreshed
            .iter()
            .map(|(name, _)| format!("{name}\n"))
            .collect();
        ops.extend(refreshed.into_iter().map(|(name, content)| {
            Op::Predicted(Box::new(Op::WriteFile {
                path: Path::new(SYNC_DB).join(name),
                content,
                mode: 0o644,
                owner: Ownership::default(),
            }))
        }));
        Ok(Change {
            summary: "refresh the package databases".into(),
            diff: Some(Diff {
                before_header: "package databases".into(),
                after_header: "package databases".into(),
                before: String::new(),
                after: names.concat(),
            }),
            ops,
        })
    }

    /// Installing or upgrading `targets`: the run and the local database entries it
    /// leaves (old versions' entries gone).
    fn install_change(
        &self,
        host: &Host,
        verb: &str,
        targets: &[sync::Target],
        installed: &BTreeMap<String, String>,
        words: Vec<String>,
        extra: &str,
    ) -> Result<Change, ModuleError> {
        let mut run = self.run(words, extra)?;
        if let Op::Run(spec) = &mut run {
            // Progress as pacstrap's: pacman's `installing NAME...` lines.
            spec.progress = Some(crate::ProgressLines {
                total: targets.len() as u64,
                step: crate::pacstrap::installing,
            });
        }
        let mut ops = vec![run];
        for target in targets {
            if let Some(old) = installed.get(&target.name) {
                ops.push(Op::Predicted(Box::new(Op::Remove {
                    path: Path::new(LOCAL_DB).join(format!("{}-{old}", target.name)),
                })));
            }
        }
        ops.extend(local_entries(host, targets)?);
        if self.root.is_some() {
            // The packages' own trees, as pacstrap predicts them (its Dest refuses the
            // controller's own /: on a live system only the database is predicted).
            ops.extend(predicted::tree_ops(host, &Dest::new(host, "/")?, targets)?);
        }
        let before: String = targets
            .iter()
            .filter_map(|t| Some(format!("{} {}\n", t.name, installed.get(&t.name)?)))
            .collect();
        let after: String = targets
            .iter()
            .map(|t| format!("{} {}\n", t.name, t.version))
            .collect();
        let names: Vec<&str> = targets.iter().map(|t| t.name.as_str()).collect();
        Ok(Change {
            summary: format!("{verb} {}", names.join(" ")),
            diff: Some(Diff {
                before_header: "packages".into(),
                after_header: "packages".into(),
                before,
                after,
            }),
            ops,
        })
    }

    /// state present/latest: what `pacman -S --needed` installs for the names missing
    /// (all of them for latest: --needed leaves the up-to-date ones alone).
    fn install(
        &self,
        host: &Host,
        args: &Args,
        sync: &sync::SyncDbs,
        installed: &BTreeMap<String, String>,
    ) -> Result<Decided, ModuleError> {
        let wanted = sync.expand(host, &args.name, &[])?;
        let mut asked: Vec<String> = Vec::new();
        for name in wanted.all() {
            let present = installed.contains_key(name)
                || (wanted.virtual_names.contains(name) && sync.satisfied(host, name)?);
            if !present || (args.state == State::Latest && !wanted.virtual_names.contains(name)) {
                asked.push(name.clone());
            }
        }
        let mut targets = if asked.is_empty() {
            Vec::new()
        } else {
            sync.print_targets(host, &asked, &[])?
        };
        // pacman reads the local database on disk; in check mode the overlay may hold
        // what a task before this one "installed".
        targets.retain(|t| installed.get(&t.name) != Some(&t.version));
        if targets.is_empty() {
            let msg = match args.state {
                State::Latest => "package(s) already installed and up to date",
                _ => "package(s) already installed",
            };
            return Ok((msg.into(), None));
        }
        let mut words = vec!["-S".to_string(), "--needed".to_string()];
        if args.force {
            words.extend(["--overwrite".to_string(), "*".to_string()]);
        }
        words.push("--".into());
        words.extend(asked);
        let change = self.install_change(
            host,
            "install",
            &targets,
            installed,
            words,
            &args.extra_args,
        )?;
        let names: Vec<String> = targets.iter().map(|t| t.name.clone()).collect();
        let upgraded = names.iter().filter(|n| installed.contains_key(*n)).count();
        let msg = match upgraded {
            0 => format!("installed {} package(s)", names.len()),
            n => format!("installed {} package(s), upgraded {n}", names.len() - n),
        };
        Ok((msg, Some((change, names))))
    }

    /// state absent: what `pacman -R` removes of the names that are installed.
    fn remove(
        &self,
        host: &Host,
        args: &Args,
        sync: &sync::SyncDbs,
        installed: &BTreeMap<String, String>,
    ) -> Result<Decided, ModuleError> {
        let present: Vec<String> = args
            .name
            .iter()
            .filter(|name| installed.contains_key(*name))
            .cloned()
            .collect();
        if present.is_empty() {
            return Ok(("package(s) already absent".into(), None));
        }
        let mut words = vec!["-R".to_string()];
        if args.force {
            words.extend(["-d".to_string(), "-d".to_string()]);
        }
        if args.remove_nosave {
            words.push("--nosave".into());
        }
        let extra = crate::shell_words::split(&args.extra_args).unwrap_or_default();
        // --nosave is refused with --print, and changes nothing of the list.
        let mut query: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|word| *word != "--nosave")
            .collect();
        query.push("-p");
        query.extend(extra.iter().map(String::as_str));
        let removed = sync
            .print(host, &print_args(&query, "%n %v", &present))
            .map_err(|reason| {
                ModuleError::Failed(format!(
                    "pacman cannot remove {}: {reason}",
                    present.join(" ")
                ))
            })?;
        words.push("--".into());
        words.extend(present.iter().cloned());
        let mut ops = vec![self.run(words, &args.extra_args)?];
        for target in &removed {
            if let Some(version) = installed.get(&target.name) {
                ops.push(Op::Predicted(Box::new(Op::Remove {
                    path: Path::new(LOCAL_DB).join(format!("{}-{version}", target.name)),
                })));
            }
        }
        let names: Vec<String> = removed.iter().map(|t| t.name.clone()).collect();
        let change = Change {
            summary: format!("remove {}", names.join(" ")),
            diff: Some(Diff {
                before_header: "packages".into(),
                after_header: "packages".into(),
                before: removed
                    .iter()
                    .map(|t| format!("{} {}\n", t.name, t.version))
                    .collect(),
                after: String::new(),
            }),
            ops,
        };
        Ok((
            format!("removed {} package(s)", names.len()),
            Some((change, names)),
        ))
    }
}

/// What a state decided: the result's message, and the change with the packages it
/// installs or removes (none when they are as wanted).
type Decided = (String, Option<(Change, Vec<String>)>);

/// `pacman ARGS --print-format FORMAT -- NAMES`.
fn print_args<'a>(args: &[&'a str], format: &'a str, names: &'a [String]) -> Vec<&'a str> {
    let mut all: Vec<&str> = args.to_vec();
    all.extend(["--print-format", format]);
    if !names.is_empty() {
        all.push("--");
        all.extend(names.iter().map(String::as_str));
    }
    all
}

/// The root's packages and their versions (`NAME` → `VERSION-RELEASE`), from its local
/// database read through the Host.
fn installed_versions(host: &Host) -> Result<BTreeMap<String, String>, ModuleError> {
    let Some(entries) = host.read_dir(Path::new(LOCAL_DB))? else {
        return Ok(BTreeMap::new());
    };
    Ok(entries
        .iter()
        .filter_map(|entry| {
            let entry = entry.to_string_lossy();
            let name = local::package_name(&entry)?;
            let version = entry.strip_prefix(name)?.strip_prefix('-')?;
            Some((name.to_string(), version.to_string()))
        })
        .collect())
}

/// The local database entries a run leaves for new packages, for later plans of a
/// check run (`NAME-VERSION/`, the folder and its parents).
fn local_entries(host: &Host, targets: &[sync::Target]) -> Result<Vec<Op>, ModuleError> {
    let mut ops = Vec::new();
    for dir in ["/var", "/var/lib", "/var/lib/pacman", LOCAL_DB] {
        if host.lstat(Path::new(dir))?.is_none() {
            ops.push(Op::Predicted(Box::new(Op::Mkdir {
                path: dir.into(),
                mode: 0o755,
                owner: Ownership::default(),
            })));
        }
    }
    ops.extend(targets.iter().map(|target| {
        Op::Predicted(Box::new(Op::Mkdir {
            path: Path::new(LOCAL_DB).join(format!("{}-{}", target.name, target.version)),
            mode: 0o755,
            owner: Ownership::default(),
        }))
    }));
    Ok(ops)
}
