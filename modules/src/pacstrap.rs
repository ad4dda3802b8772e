//! The `pacstrap` module: a root filesystem from nothing, with the real `pacstrap`.
//!
//! Idempotent by comparing the wanted packages (groups expanded against the sync
//! databases, ignored ones left out) with the root's local database: when every one is
//! there the task is ok and pacstrap does not run; otherwise only the missing ones are
//! installed (`--needed`). Planning only reads: the sync databases are refreshed into a
//! temporary dbpath, and `pacman -Sp` there says what would be installed. In check mode
//! the predicted root (pacstrap's skeleton, the sync databases as the plan's refresh
//! found them, and the local database entries) goes into
//! the overlay, so the tasks that configure the new root plan against it — with the
//! packages' own trees where their files are at hand (predicted.rs).
//!
//! pacstrap runs jailed (host/jail.rs): a private mount and PID namespace that dies
//! with machinist, so its proc/sys/dev mounts never leak, not even when it is killed,
//! and the root's links lead nowhere on the controller; pacman is told to honour
//! `ignore` for real (`--ask`), and a check after the run proves it did.

pub(crate) mod controller;
pub(crate) mod dest;
pub mod doc;
mod flags;
pub(crate) mod local;
pub(crate) mod predicted;
pub(crate) mod sync;
#[cfg(test)]
mod tests;

use crate::host::ControllerPath;
use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Place, Plan, RunSpec, Verify};
use dest::Dest;
use serde::Deserialize;
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Where pacman keeps what is installed, below the new root.
const LOCAL_DB: &str = "var/lib/pacman/local";
/// Where pacman keeps the repositories' databases, below the new root.
const SYNC_DB: &str = "var/lib/pacman/sync";
/// The lock pacman holds while it changes a root.
const DB_LOCK: &str = "var/lib/pacman/db.lck";
/// The keyring `-K` creates, whose gpg-agent must not outlive the run.
const GNUPG_DIR: &str = "etc/pacman.d/gnupg";

/// pacman's `--ask` bit for "install an ignored package anyway?"
/// (ALPM_QUESTION_INSTALL_IGNOREPKG): with it set, `--noconfirm` answers no.
const ASK_SKIP_IGNORED: &str = "--ask=1";

/// The keyring of the new root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Keyring {
    /// A fresh keyring (`-K`); its gpg-agent is stopped afterwards.
    Init,
    /// The controller's keyring, when it has one (pacstrap's default).
    #[default]
    Copy,
    /// No keyring (`-G`).
    None,
}

/// The mirror list of the new root.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mirrorlist {
    /// The controller's /etc/pacman.d/mirrorlist (pacstrap's default).
    #[default]
    Copy,
    /// None (`-M`).
    None,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The new root, a path inside the target (`/var/lib/machines/NAME`).
    pub dest: String,
    /// Packages and groups to install.
    #[serde(default = "default_packages")]
    pub packages: Vec<String>,
    /// Packages never to install, even as members of a wanted group (`--ignore`).
    #[serde(default)]
    pub ignore: Vec<String>,
    /// Use the controller's package cache (`-c`).
    #[serde(default)]
    pub host_cache: bool,
    /// The pacman.conf to install with, a path on the controller (`-C`).
    pub pacman_conf: Option<String>,
    #[serde(default)]
    pub keyring: Keyring,
    #[serde(default)]
    pub mirrorlist: Mirrorlist,
    /// More arguments for pacman, after the packages (`--disable-download-timeout`).
    #[serde(default)]
    pub extra_args: Vec<String>,
}

fn default_packages() -> Vec<String> {
    vec!["base".to_string()]
}

pub struct PacstrapModule;

impl Module for PacstrapModule {
    type Args = Args;
    const NAME: &'static str = "pacstrap";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        check_args(args)?;
        let dest = Dest::new(host, &args.dest)?;
        let lock = dest.inside(DB_LOCK);
        if host.lstat(&lock)?.is_some() {
            return Err(ModuleError::Failed(format!(
                "{}: pacman's lock exists: another pacman is working on this root, or one \
                 was killed; remove the file once no pacman runs there",
                dest.real_path(&lock).display()
            )));
        }
        let installed = local::installed(host, &dest.inside(LOCAL_DB))?;
        let conf = conf_of(args);
        let sync = sync::SyncDbs::open(host, &conf, &dest.inside(LOCAL_DB), &dest.inside(SYNC_DB))?;
        let wanted = sync.expand(host, &args.packages, &args.ignore)?;
        let intruders: Vec<&String> = args
            .ignore
            .iter()
            .filter(|name| installed.contains(*name))
            .collect();
        if !intruders.is_empty() {
            return Err(ModuleError::Failed(format!(
                "ignored packages are installed in {}: {}",
                dest.real.display(),
                join(intruders)
            )));
        }
        let mut present = installed.clone();
        for name in &wanted.virtual_names {
            if sync.satisfied(host, name)? {
                present.insert(name.clone());
            }
        }
        let all_wanted: Vec<String> = wanted.all().cloned().collect();
        let missing: Vec<String> = all_wanted
            .iter()
            .filter(|name| !present.contains(*name))
            .cloned()
            .collect();
        if missing.is_empty() {
            return Ok(Plan::ok()
                .with_data("dest", dest.inside.display().to_string())
                .with_data("packages", &all_wanted)
                .with_data("install", Vec::<String>::new()));
        }
        let install: Vec<sync::Target> = sync
            .print_targets(host, &missing, &args.ignore)?
            .into_iter()
            // pacman sees the root's database on disk; in check mode the overlay may
            // hold packages a task before this one "installed".
            .filter(|target| !args.ignore.contains(&target.name))
            .filter(|target| !installed.contains(&target.name))
            .collect();
        let names: Vec<&String> = install.iter().map(|target| &target.name).collect();
        let change = Change {
            summary: format!(
                "pacstrap {}: install {}",
                dest.inside.display(),
                join(&names)
            ),
            diff: Some(packages_diff(&dest, &all_wanted, &present)),
            ops: self.ops(host, args, &dest, &sync, &missing, &install)?,
        };
        Ok(Plan::change(vec![change])
            .with_msg(format!("install {}", join(&names)))
            .with_data("dest", dest.inside.display().to_string())
            .with_data("packages", &all_wanted)
            .with_data("install", &names))
    }
}

impl PacstrapModule {
    fn ops(
        &self,
        host: &Host,
        args: &Args,
        dest: &Dest,
        sync: &sync::SyncDbs,
        missing: &[String],
        install: &[sync::Target],
    ) -> Result<Vec<Op>, ModuleError> {
        let accepted = flags::Accepted::query(host)?;
        let mut ops = dest.mkdir_ops(host)?;
        let argv = flags::argv(&accepted, args, &dest.tool, missing)?;
        let mut controller_paths = controller::for_pacman(&conf_of(args));
        if args.host_cache && Path::new(controller::HOST_CACHE).is_dir() {
            controller_paths.push(ControllerPath::writable(controller::HOST_CACHE));
        }
        ops.push(Op::Run(RunSpec {
            argv,
            env: vec![("LC_ALL".into(), "C".into())],
            place: Place::Controller,
            controller_paths,
            progress: Some(crate::ProgressLines {
                total: install.len() as u64,
                step: installing,
            }),
            ..RunSpec::default()
        }));
        if args.keyring == Keyring::Init {
            ops.push(Op::Run(RunSpec {
                argv: vec![
                    "gpgconf".into(),
                    "--homedir".into(),
                    host.tool_path(&dest.inside(GNUPG_DIR))
                        .display()
                        .to_string(),
                    "--kill".into(),
                    "gpg-agent".into(),
                ],
                place: Place::Controller,
                ..RunSpec::default()
            }));
        }
        if !args.ignore.is_empty() {
            ops.push(Op::Verify(ignored_absent(dest, &args.ignore)));
        }
        ops.extend(dest.predicted_skeleton());
        // pacstrap refreshes the root's sync databases: as the plan's refresh found them.
        let root_sync = dest.inside(SYNC_DB);
        ops.extend(
            sync.refreshed(host, &root_sync)?
                .into_iter()
                .map(|(name, content)| {
                    Op::Predicted(Box::new(Op::WriteFile {
                        path: root_sync.join(name),
                        content,
                        mode: 0o644,
                        owner: Ownership::default(),
                    }))
                }),
        );
        ops.extend(predicted::tree_ops(host, dest, install)?);
        let local = dest.inside(LOCAL_DB);
        ops.extend(install.iter().map(|target| {
            Op::Predicted(Box::new(Op::Mkdir {
                path: local.join(format!("{}-{}", target.name, target.version)),
                mode: 0o755,
                owner: Ownership::default(),
            }))
        }));
        Ok(ops)
    }
}

/// The pacman.conf pacman and pacstrap are run with, on the controller.
fn conf_of(args: &Args) -> PathBuf {
    PathBuf::from(args.pacman_conf.as_deref().unwrap_or("/etc/pacman.conf"))
}

fn check_args(args: &Args) -> Result<(), ModuleError> {
    if args.packages.is_empty() {
        return Err(ModuleError::invalid("packages", "no packages to install"));
    }
    if let Some(both) = args.packages.iter().find(|name| args.ignore.contains(name)) {
        return Err(ModuleError::invalid(
            "ignore",
            format!("'{both}' is both wanted (packages) and ignored"),
        ));
    }
    check_names(args)
}

/// Package and group names follow pacman's grammar: ASCII letters, digits and
/// `@._+-`, not starting with `-` or `.` (so none reads as an option; options go in
/// `extra_args`).
pub(crate) fn check_names(args: &Args) -> Result<(), ModuleError> {
    let lists = [("packages", &args.packages), ("ignore", &args.ignore)];
    for (field, names) in lists {
        for name in names {
            let valid = !name.is_empty()
                && !name.starts_with(['-', '.'])
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "@._+-".contains(c));
            if !valid {
                return Err(ModuleError::invalid(
                    field,
                    format!(
                        "'{name}' is not a pacman package name (letters, digits and @._+-, \
                         not starting with '-' or '.'; options go in extra_args)"
                    ),
                ));
            }
        }
    }
    Ok(())
}

/// pacman's step lines without a terminal: `installing NAME...`.
pub(crate) fn installing(line: &str) -> Option<String> {
    let line = line.trim();
    ["installing ", "upgrading ", "reinstalling "]
        .iter()
        .find_map(|verb| {
            let name = line.strip_prefix(verb)?.strip_suffix("...")?;
            (!name.is_empty() && !name.contains(' ')).then(|| format!("{verb}{name}"))
        })
}

/// After the run: pacman's `--noconfirm` says yes to an ignored package pulled in by a
/// group or a dependency; `--ask` should have said no, and this proves it did.
fn ignored_absent(dest: &Dest, ignore: &[String]) -> Verify {
    let local = dest.inside(LOCAL_DB);
    let shown = dest.real.clone();
    let ignore = ignore.to_vec();
    Verify::new(
        format!("ignored packages absent from {}", shown.display()),
        move |host| {
            let installed = local::installed(host, &local)?;
            let found: Vec<&String> = ignore.iter().filter(|n| installed.contains(*n)).collect();
            if found.is_empty() {
                return Ok(());
            }
            Err(ModuleError::Failed(format!(
                "pacman installed ignored packages in {}: {} (pulled in by a group or a \
                 dependency); remove them and fix the package list",
                shown.display(),
                join(found)
            )))
        },
    )
}

/// `+ vim` for each wanted package the root lacks.
fn packages_diff(dest: &Dest, wanted: &[String], present: &BTreeSet<String>) -> Diff {
    let lines = |names: &mut dyn Iterator<Item = &String>| -> String {
        names.map(|name| format!("{name}\n")).collect()
    };
    let mut sorted = wanted.to_vec();
    sorted.sort();
    let shown = format!("{} packages", dest.inside.display());
    Diff {
        before_header: shown.clone(),
        after_header: shown,
        before: lines(&mut sorted.iter().filter(|name| present.contains(*name))),
        after: lines(&mut sorted.iter()),
    }
}

fn join<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> String {
    names
        .into_iter()
        .map(|name| name.as_ref().to_string())
        .collect::<Vec<_>>()
        .join(" ")
}
