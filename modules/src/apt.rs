//! The `apt` module (Ansible's `ansible.builtin.apt`): packages of a Debian target
//! installed (at a version), at the repositories' latest, or removed (purged); the
//! package lists refreshed when older than `cache_valid_time`; a `.deb` of the target
//! installed; the system upgraded; unneeded packages removed.
//!
//! Planning decides as Ansible's apt does, from dpkg's status database read through
//! the Host (so a check run sees what earlier tasks "installed") and apt's candidates
//! (`apt-cache policy`); `apt-get -s` (simulate) then says exactly what the run will
//! install and remove — dependencies included — for the diff (Ansible's `prepared`
//! text) and for the database a check run records. Queries keep apt's caches in
//! memory: planning writes nothing. When the task's own lists refresh is due, they
//! read the lists as it will leave them, refreshed into a temporary folder of the
//! target's /tmp (tool.rs `query_fresh`). The real run is apt-get with Ansible's options and
//! `DEBIAN_FRONTEND=noninteractive`, run inside the target: in a root, the root's own
//! apt-get in the root (see tool.rs), never the controller's.

pub mod doc;
mod status;
mod tool;
pub(crate) mod version;

use crate::{Change, Diff, Host, Module, ModuleError, Plan};
use serde::{Deserialize, Deserializer};
use status::Status;
use std::path::Path;
use version::Wanted;

const LISTS: &str = "/var/lib/apt/lists";
const UPDATE_STAMP: &str = "/var/lib/apt/periodic/update-success-stamp";
const DPKG_OPTIONS: &str = "force-confdef,force-confold";

/// `state`: Ansible's `build-dep` and `fixed` are not implemented (refused when the
/// playbook loads, as unknown values).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Latest,
    Absent,
}

/// `upgrade`: `no`, or how (`yes`/`safe`: `apt-get upgrade --with-new-pkgs`;
/// `full`/`dist`: `apt-get dist-upgrade`). A YAML boolean is taken as yes/no.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Upgrade {
    #[default]
    No,
    Yes,
    Safe,
    Full,
    Dist,
}

impl<'de> Deserialize<'de> for Upgrade {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Upgrade, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Given {
            Flag(bool),
            Word(String),
        }
        Ok(match Given::deserialize(deserializer)? {
            Given::Flag(false) => Upgrade::No,
            Given::Flag(true) => Upgrade::Yes,
            Given::Word(word) => match word.as_str() {
                "no" => Upgrade::No,
                "yes" => Upgrade::Yes,
                "safe" => Upgrade::Safe,
                "full" => Upgrade::Full,
                "dist" => Upgrade::Dist,
                other => {
                    return Err(serde::de::Error::custom(format!(
                        "upgrade: '{other}' is not one of no, yes, safe, full, dist"
                    )))
                }
            },
        })
    }
}

fn default_dpkg_options() -> String {
    DPKG_OPTIONS.into()
}

fn default_lock_timeout() -> u64 {
    60
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// Packages (`name`, `name=VERSION-GLOB`, `name>=VERSION`, `*` with latest).
    #[serde(
        default,
        alias = "pkg",
        alias = "package",
        deserialize_with = "crate::pacman::names::list"
    )]
    pub name: Vec<String>,
    #[serde(default)]
    pub state: State,
    #[serde(default, alias = "update-cache")]
    pub update_cache: Option<bool>,
    #[serde(default)]
    pub cache_valid_time: u64,
    #[serde(default)]
    pub purge: bool,
    #[serde(default)]
    pub autoremove: bool,
    #[serde(default, alias = "install-recommends")]
    pub install_recommends: Option<bool>,
    /// A .deb file of the target.
    #[serde(default)]
    pub deb: Option<String>,
    /// Accepted as Ansible's: apt-get is what runs here anyway.
    #[serde(default)]
    pub force_apt_get: bool,
    #[serde(default, alias = "default-release")]
    pub default_release: Option<String>,
    #[serde(default)]
    pub only_upgrade: bool,
    #[serde(
        default,
        alias = "allow-downgrade",
        alias = "allow_downgrades",
        alias = "allow-downgrades"
    )]
    pub allow_downgrade: bool,
    #[serde(default = "default_dpkg_options")]
    pub dpkg_options: String,
    #[serde(default)]
    pub upgrade: Upgrade,
    #[serde(default)]
    pub force: bool,
    #[serde(default, alias = "allow-unauthenticated")]
    pub allow_unauthenticated: bool,
    #[serde(default)]
    pub allow_change_held_packages: bool,
    #[serde(default)]
    pub fail_on_autoremove: bool,
    #[serde(default = "default_lock_timeout")]
    pub lock_timeout: u64,
}

pub struct AptModule;

impl Module for AptModule {
    type Args = Args;
    const NAME: &'static str = "apt";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        check(args)?;
        let mut plan = Plan::ok();
        let (update, cache_update_time) = cache_update(host, args)?;
        let update_due = update.is_some();
        if let Some(change) = update {
            plan.changes.push(change);
        }
        let refreshing = args.update_cache == Some(true) || args.cache_valid_time > 0;
        let nothing_else =
            args.name.is_empty() && args.upgrade == Upgrade::No && args.deb.is_none();
        if refreshing && nothing_else {
            return Ok(plan
                .with_data("cache_updated", update_due)
                .with_data("cache_update_time", cache_update_time));
        }
        let status = Status::read(host)?;
        // With a refresh due, the plan reads the lists as the refresh will leave them
        // (refreshed into a temporary folder of the target's /tmp: a tmpfs of its own
        // in systemd-nspawn, machinist's own on the machine's `/`); a chroot's /tmp is
        // the root's, so there the lists are read as they are.
        let fresh = update_due && host.exec() != crate::host::Exec::Chroot;
        let run = Run {
            args,
            host,
            status: &status,
            fresh,
        };
        if args.upgrade != Upgrade::No {
            plan.changes.extend(run.upgrade(args.upgrade)?);
            return Ok(plan);
        }
        if let Some(deb) = &args.deb {
            plan.changes.extend(run.deb(deb)?);
            return Ok(plan);
        }
        let all = args.name.iter().any(|name| name == "*");
        let names: Vec<String> = args.name.iter().filter(|n| *n != "*").cloned().collect();
        if all && args.state == State::Latest {
            if !names.is_empty() {
                return Err(ModuleError::Failed(
                    "unable to install additional packages when upgrading all installed packages"
                        .into(),
                ));
            }
            plan.changes.extend(run.upgrade(Upgrade::Yes)?);
            return Ok(plan);
        }
        let names = run.expand(&names)?;
        if names.is_empty() && args.autoremove {
            plan.changes.extend(run.autoremove()?);
            return Ok(plan);
        }
        match args.state {
            State::Present | State::Latest => {
                plan.changes
                    .extend(run.install(&names, update_due && !fresh)?);
                Ok(plan
                    .with_data("cache_updated", update_due)
                    .with_data("cache_update_time", cache_update_time))
            }
            State::Absent => {
                plan.changes.extend(run.remove(&names)?);
                Ok(plan)
            }
        }
    }
}

/// Ansible's argument rules: one of deb, name and upgrade; something to do; package
/// specs of one version each and no options among the names.
fn check(args: &Args) -> Result<(), ModuleError> {
    let given = [
        !args.name.is_empty(),
        args.deb.is_some(),
        args.upgrade != Upgrade::No,
    ];
    if given.iter().filter(|g| **g).count() > 1 {
        return Err(ModuleError::invalid(
            "name",
            "parameters are mutually exclusive: deb|package|upgrade",
        ));
    }
    if !given.iter().any(|g| *g) && !args.autoremove && args.update_cache.is_none() {
        return Err(ModuleError::invalid(
            "name",
            "one of the following is required: autoremove, deb, package, update_cache, upgrade",
        ));
    }
    for name in &args.name {
        if name.starts_with('-') {
            return Err(ModuleError::invalid(
                "name",
                format!("'{name}' is not a package name"),
            ));
        }
        if name.matches('=').count() > 1 {
            return Err(ModuleError::invalid(
                "name",
                format!("invalid package spec: {name}"),
            ));
        }
    }
    if args.deb.is_some() && args.state != State::Present {
        return Err(ModuleError::invalid(
            "deb",
            "deb only supports state=present",
        ));
    }
    Ok(())
}

/// The lists' refresh when asked and due (older than `cache_valid_time`, as Ansible
/// reads their age: the update-success stamp, else the lists folder), and the time of
/// the lists after this task (seconds since the epoch).
fn cache_update(host: &Host, args: &Args) -> Result<(Option<Change>, i64), ModuleError> {
    let mut mtime = 0.0;
    for place in [UPDATE_STAMP, LISTS] {
        if let Some(details) = host.details(Path::new(place), true)? {
            mtime = details.extra.mtime.as_f64();
            break;
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs_f64())
        .unwrap_or_default();
    let asked = args.update_cache == Some(true) || args.cache_valid_time > 0;
    if !asked || mtime + args.cache_valid_time as f64 >= now {
        return Ok((None, mtime as i64));
    }
    tracing::debug!(
        age_s = now - mtime,
        "apt: the package lists are due a refresh"
    );
    let change = Change {
        summary: "update the package lists".into(),
        diff: None,
        ops: vec![tool::run(vec![
            "apt-get".into(),
            "update".into(),
            "-q".into(),
        ])],
    };
    Ok((Some(change), now as i64))
}

/// Package names with fnmatch wildcards made the names apt knows (`apt*` only the
/// native architecture's, `apt*:i386` that one's), as Ansible's apt does.
fn expand(run: &Run, names: &[String]) -> Result<Vec<String>, ModuleError> {
    if !names.iter().any(|name| is_pattern(&version::split(name).0)) {
        return Ok(names.to_vec());
    }
    let known = run.query("apt-cache", &["pkgnames".into()])?;
    let mut known: Vec<&str> = known.lines().collect();
    known.sort_unstable();
    let mut expanded = Vec::new();
    for name in names {
        let (pattern, _) = version::split(name);
        if !is_pattern(&pattern) {
            expanded.push(name.clone());
            continue;
        }
        let matches: Vec<String> = known
            .iter()
            .filter(|known| pattern.contains(':') || !known.contains(':'))
            .filter(|known| crate::find::fnmatch(pattern.as_bytes(), known.as_bytes()))
            .map(|known| known.to_string())
            .collect();
        if matches.is_empty() {
            return Err(ModuleError::Failed(format!(
                "No package(s) matching '{pattern}' available"
            )));
        }
        expanded.extend(matches);
    }
    Ok(expanded)
}

fn is_pattern(name: &str) -> bool {
    name.contains(['*', '?', '[', ']', '!'])
}

/// One task's apt runs: the options every run takes from the arguments.
struct Run<'a> {
    args: &'a Args,
    host: &'a Host,
    status: &'a Status,
    /// Queries read the lists as this task's refresh will leave them.
    fresh: bool,
}

impl Run<'_> {
    fn query(&self, program: &str, words: &[String]) -> Result<String, ModuleError> {
        match self.fresh {
            true => tool::query_fresh(self.host, program, words),
            false => tool::query(self.host, program, words),
        }
    }

    fn expand(&self, names: &[String]) -> Result<Vec<String>, ModuleError> {
        expand(self, names)
    }

    /// `-y`, the dpkg options (`-o Dpkg::Options::=--OPTION` each) and the lock's
    /// timeout.
    fn common(&self) -> Vec<String> {
        let mut words = vec!["-y".to_string()];
        for option in self.args.dpkg_options.split(',').filter(|o| !o.is_empty()) {
            words.extend(["-o".into(), format!("Dpkg::Options::=--{}", option.trim())]);
        }
        words.extend([
            "-o".into(),
            format!("DPkg::Lock::Timeout={}", self.args.lock_timeout),
        ]);
        if self.args.force {
            words.push("--force-yes".into());
        }
        words
    }

    /// `--no-remove` where Ansible passes it (install and upgrade runs).
    fn no_remove(&self, words: &mut Vec<String>) {
        if self.args.fail_on_autoremove {
            words.push("--no-remove".into());
        }
    }

    /// The options after the command word: target release, recommends, allowances.
    fn after(&self, words: &mut Vec<String>) {
        if let Some(release) = &self.args.default_release {
            words.extend(["-t".into(), release.clone()]);
        }
        match self.args.install_recommends {
            Some(true) => words.extend(["-o".into(), "APT::Install-Recommends=yes".into()]),
            Some(false) => words.extend(["-o".into(), "APT::Install-Recommends=no".into()]),
            None => {}
        }
        if self.args.allow_unauthenticated {
            words.push("--allow-unauthenticated".into());
        }
        if self.args.allow_downgrade {
            words.push("--allow-downgrades".into());
        }
        if self.args.allow_change_held_packages {
            words.push("--allow-change-held-packages".into());
        }
    }

    /// The change of an apt-get run: simulated first (`-s`) for its steps and
    /// Ansible's `prepared` diff; `None` when the simulation does nothing and
    /// `nothing_is_ok` (upgrades, autoremove: Ansible reads apt's output the same way).
    fn change(
        &self,
        summary: String,
        words: Vec<String>,
        nothing_is_ok: bool,
    ) -> Result<Option<Change>, ModuleError> {
        let mut simulate = vec!["-s".to_string()];
        simulate.extend(words.iter().cloned());
        let said = self.query("apt-get", &simulate)?;
        let steps = tool::steps(&said);
        if steps.is_empty() && nothing_is_ok {
            return Ok(None);
        }
        tracing::debug!(steps = steps.len(), "apt: {summary}");
        let mut argv = vec!["apt-get".to_string()];
        argv.extend(words);
        let mut ops = vec![tool::run(argv)];
        ops.extend(self.status.predicted(&steps));
        let prepared = tool::prepared(&said);
        Ok(Some(Change {
            summary,
            diff: Some(Diff {
                before_header: "packages".into(),
                after_header: "packages".into(),
                before: String::new(),
                after: if prepared.is_empty() {
                    prepared
                } else {
                    format!("{prepared}\n")
                },
            }),
            ops,
        }))
    }

    fn upgrade(&self, mode: Upgrade) -> Result<Option<Change>, ModuleError> {
        let mut words = self.common();
        self.no_remove(&mut words);
        if self.args.allow_unauthenticated {
            words.push("--allow-unauthenticated".into());
        }
        if self.args.allow_downgrade {
            words.push("--allow-downgrades".into());
        }
        let command = match mode {
            Upgrade::Full | Upgrade::Dist => vec!["dist-upgrade"],
            _ => vec!["upgrade", "--with-new-pkgs"],
        };
        words.extend(command.iter().map(|w| w.to_string()));
        if self.args.autoremove {
            words.push("--auto-remove".into());
        }
        if let Some(release) = &self.args.default_release {
            words.extend(["-t".into(), release.clone()]);
        }
        self.change(format!("apt-get {}", command[0]), words, true)
    }

    fn autoremove(&self) -> Result<Option<Change>, ModuleError> {
        let mut words = self.common();
        if self.args.purge {
            words.push("--purge".into());
        }
        words.push("autoremove".into());
        self.change("remove the packages no longer needed".into(), words, true)
    }

    /// `deb`: nothing when that version of its package is installed, else apt-get
    /// installs the file with the dependencies it needs.
    fn deb(&self, deb: &str) -> Result<Option<Change>, ModuleError> {
        let mut files = Vec::new();
        for file in deb.split(',').map(str::trim).filter(|f| !f.is_empty()) {
            if file.contains("://") {
                return Err(ModuleError::invalid(
                    "deb",
                    format!("'{file}': a URL is not fetched here; download it with get_url first"),
                ));
            }
            if !file.starts_with('/') {
                return Err(ModuleError::invalid(
                    "deb",
                    format!("'{file}': give the .deb's absolute path on the target"),
                ));
            }
            let fields = tool::query(
                self.host,
                "dpkg-deb",
                &["-f".into(), file.into(), "Package".into(), "Version".into()],
            )
            .map_err(|err| ModuleError::Failed(format!("Unable to install package: {err}")))?;
            let field = |key: &str| {
                fields
                    .lines()
                    .find_map(|line| line.strip_prefix(key)?.strip_prefix(':'))
                    .map(|value| value.trim().to_string())
                    .unwrap_or_default()
            };
            let installed = self.status.installed.get(&field("Package"));
            if installed.is_some_and(|v| version::compare(v, &field("Version")).is_eq()) {
                continue;
            }
            files.push(file.to_string());
        }
        if files.is_empty() {
            return Ok(None);
        }
        let mut words = self.common();
        self.no_remove(&mut words);
        words.push("install".into());
        self.after(&mut words);
        words.push("--".into());
        words.extend(files.iter().cloned());
        self.change(format!("install {}", files.join(" ")), words, false)
    }

    /// state present/latest, as Ansible's `install` decides: a missing package, one
    /// whose installed version the spec refuses, or (latest) one with a newer
    /// candidate is asked for; `only_upgrade` leaves missing ones alone.
    /// `before_refresh`: the lists read are older than the refresh this task runs
    /// first (in a chroot): what they do not know yet is asked for anyway.
    fn install(
        &self,
        specs: &[String],
        before_refresh: bool,
    ) -> Result<Option<Change>, ModuleError> {
        let bare: Vec<String> = specs.iter().map(|spec| version::split(spec).0).collect();
        let latest = self.args.state == State::Latest;
        // A package installed at an accepted version needs no candidate unless it may
        // be upgraded (latest) or its spec is a glob (Ansible's legacy case): an `ok`
        // task then asks apt nothing (on a full Debian, apt-cache policy takes ~1 s).
        let settled = |spec: &String| {
            let (name, wanted) = version::split(spec);
            !latest
                && !matches!(wanted, Wanted::Matching(_))
                && self
                    .status
                    .installed
                    .get(&name)
                    .is_some_and(|v| wanted.accepts(v))
        };
        if specs.iter().all(settled) {
            return Ok(None);
        }
        let mut query = Vec::new();
        if let Some(release) = &self.args.default_release {
            query.extend(["-t".to_string(), release.clone()]);
        }
        query.push("policy".into());
        query.extend(bare.iter().cloned());
        let policies = match bare.is_empty() {
            true => Default::default(),
            false => tool::policies(&self.query("apt-cache", &query)?),
        };
        let mut asked: Vec<String> = Vec::new();
        for (spec, name) in specs.iter().zip(&bare) {
            let (_, wanted) = version::split(spec);
            let installed = self.status.installed.get(name);
            if installed.is_none() && self.args.only_upgrade {
                continue;
            }
            let Some(policy) = policies.get(name) else {
                if installed.is_some() {
                    continue;
                }
                if before_refresh {
                    // Not in the lists yet: the refresh this task runs first may bring it.
                    asked.push(spec.clone());
                    continue;
                }
                return Err(ModuleError::Failed(format!(
                    "No package matching '{name}' is available"
                )));
            };
            if policy.candidate.is_none() && policy.versions.is_empty() && installed.is_none() {
                // A virtual package: apt chooses what provides it.
                asked.push(spec.clone());
                continue;
            }
            let best = match &wanted {
                Wanted::Matching(_) => policy.versions.iter().find(|v| wanted.accepts(v)),
                _ => policy.candidate.as_ref(),
            };
            let installed_ok = installed.is_some_and(|v| wanted.accepts(v));
            let installable = match installed {
                Some(now) => best.filter(|best| *best != now && wanted.accepts(best)),
                None => best,
            };
            if !installed_ok && installable.is_none() {
                if before_refresh {
                    asked.push(spec.clone());
                    continue;
                }
                return Err(ModuleError::Failed(format!(
                    "no available installation candidate for {spec}"
                )));
            }
            if let Some(version) = installable {
                if installed.is_none() || latest || !installed_ok {
                    asked.push(format!("{name}={version}"));
                    continue;
                }
            }
            if installed_ok && installable.is_some() && matches!(wanted, Wanted::Matching(_)) {
                // Ansible's legacy case: a glob matching the installed version and a
                // newer one asks apt for the glob.
                asked.push(spec.clone());
            }
        }
        if asked.is_empty() {
            return Ok(None);
        }
        let mut words = self.common();
        self.no_remove(&mut words);
        if self.args.only_upgrade {
            words.push("--only-upgrade".into());
        }
        if self.args.autoremove {
            words.push("--auto-remove".into());
        }
        words.push("install".into());
        self.after(&mut words);
        words.push("--".into());
        words.extend(asked.iter().cloned());
        if before_refresh {
            // The simulation would read the lists before their refresh: the run
            // itself is the prediction.
            return Ok(Some(
                self.unsimulated(format!("install {}", asked.join(" ")), words),
            ));
        }
        self.change(format!("install {}", asked.join(" ")), words, false)
    }

    /// A change whose run comes after a lists refresh of the same task: planned from
    /// the names alone (apt-get resolves them against the new lists).
    fn unsimulated(&self, summary: String, words: Vec<String>) -> Change {
        let mut argv = vec!["apt-get".to_string()];
        argv.extend(words);
        Change {
            diff: Some(Diff {
                before_header: "packages".into(),
                after_header: "packages".into(),
                before: String::new(),
                after: format!("{summary} (after the package lists' refresh)\n"),
            }),
            summary,
            ops: vec![tool::run(argv)],
        }
    }

    /// state absent: the installed packages the specs name (and, with purge, the
    /// removed ones whose configuration files are left).
    fn remove(&self, specs: &[String]) -> Result<Option<Change>, ModuleError> {
        let present: Vec<String> = specs
            .iter()
            .filter(|spec| {
                let (name, wanted) = version::split(spec);
                let installed = self.status.installed.get(&name);
                installed.is_some_and(|v| wanted.accepts(v))
                    || (self.args.purge && self.status.has_files(&name))
            })
            .cloned()
            .collect();
        if present.is_empty() {
            return Ok(None);
        }
        let mut words = vec!["-q".to_string()];
        words.extend(self.common());
        if self.args.purge {
            words.push("--purge".into());
        }
        if self.args.autoremove {
            words.push("--auto-remove".into());
        }
        if self.args.allow_change_held_packages {
            words.push("--allow-change-held-packages".into());
        }
        words.push("remove".into());
        words.push("--".into());
        words.extend(present.iter().cloned());
        self.change(format!("remove {}", present.join(" ")), words, false)
    }
}
