//! The `firstboot` module: what a container's first boot used to ask for (locale,
//! keymap, timezone, hostname, root password, machine id), set offline with the real
//! `systemd-firstboot --root`, plus the locales generated in the root (`locale-gen`).
//!
//! Idempotent by reading the files systemd-firstboot would write; it runs only for the
//! settings that differ, with `--force` (it leaves an existing file alone otherwise,
//! and the filesystem package ships /etc/shadow). The root password is hashed with
//! sha512-crypt before use and never appears in a diff, message, result or error: the
//! diff says `root password: changed`, and the registered command line is masked.

mod current;
mod locale_gen;
mod secret;
#[cfg(test)]
mod tests;

pub use secret::Secret;

use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Place, Plan, RunSpec};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The arguments whose values are secrets (Ansible's `no_log` in an argument spec):
/// the runner masks them wherever a result could show them.
pub const SECRET_ARGS: &[&str] = &["root_password", "root_password_hash"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// `LANG` (`en_US.UTF-8`).
    pub locale: Option<String>,
    /// The console keymap (`us`, `de-latin1`).
    pub keymap: Option<String>,
    /// A zone of /usr/share/zoneinfo (`Europe/Berlin`).
    pub timezone: Option<String>,
    pub hostname: Option<String>,
    /// In plain text: hashed with sha512-crypt before use.
    pub root_password: Option<Secret>,
    /// Already hashed (crypt(3), as in /etc/shadow).
    pub root_password_hash: Option<Secret>,
    /// 32 hex digits (dashes of the UUID form are dropped).
    pub machine_id: Option<String>,
    /// Entries of /etc/locale.gen to enable (`en_US.UTF-8 UTF-8`); `locale-gen` runs in
    /// the root when the file changes.
    #[serde(default)]
    pub locales: Vec<String>,
}

pub struct FirstbootModule;

impl Module for FirstbootModule {
    type Args = Args;
    const NAME: &'static str = "firstboot";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let machine_id = check_args(args)?;
        if let Some(zone) = &args.timezone {
            check_zone(host, zone)?;
        }
        let mut changes = Vec::new();
        if let Some(change) = locales_change(host, &args.locales)? {
            changes.push(change);
        }
        let locale_file = match args.locale {
            Some(_) => current::locale_file(host)?,
            None => current::LOCALE_CONF,
        };
        host.check_tool_paths(&[
            "/etc",
            locale_file,
            "/etc/vconsole.conf",
            "/etc/localtime",
            "/etc/hostname",
            "/etc/machine-id",
            "/etc/passwd",
            "/etc/shadow",
        ])?;
        let settings = differing(host, args, locale_file, machine_id.as_deref())?;
        let mut plan = Plan::ok();
        if !settings.is_empty() {
            let root = std::path::absolute(host.root())
                .map_err(|err| ModuleError::io(host.root(), err))?;
            let (change, shown_argv) = firstboot_change(&root, &settings);
            changes.push(change);
            plan = plan.with_data("cmd", shown_argv);
        }
        let changed: Vec<&str> = settings.iter().map(|s| s.label).collect();
        plan.changes = changes;
        Ok(plan.with_data("changed_settings", changed))
    }
}

/// Arguments that make sense together; the machine id normalised.
fn check_args(args: &Args) -> Result<Option<String>, ModuleError> {
    if args.root_password.is_some() && args.root_password_hash.is_some() {
        return Err(ModuleError::invalid(
            "root_password",
            "give root_password or root_password_hash, not both",
        ));
    }
    let plain = [
        ("locale", &args.locale),
        ("keymap", &args.keymap),
        ("timezone", &args.timezone),
        ("hostname", &args.hostname),
    ];
    for (field, value) in plain {
        if let Some(value) = value {
            if value.is_empty() || value.chars().any(|c| c.is_whitespace() || c == '=') {
                return Err(ModuleError::invalid(
                    field,
                    format!("{field} '{value}' must be one word"),
                ));
            }
        }
    }
    for entry in &args.locales {
        if entry.trim().is_empty() || entry.contains(['\n', '#']) {
            return Err(ModuleError::invalid(
                "locales",
                format!("'{entry}' is not a locale.gen entry (like 'en_US.UTF-8 UTF-8')"),
            ));
        }
    }
    let Some(id) = &args.machine_id else {
        return Ok(None);
    };
    let normalized: String = id.chars().filter(|c| *c != '-').collect::<String>();
    let normalized = normalized.to_ascii_lowercase();
    if normalized.len() != 32 || !normalized.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(ModuleError::invalid(
            "machine_id",
            format!("machine_id '{id}' is not 32 hex digits"),
        ));
    }
    Ok(Some(normalized))
}

/// A zone systemd-firstboot accepts: a file of the controller's zoneinfo (where 252
/// looks) or of the root's, so check mode refuses what the real run would.
fn check_zone(host: &Host, zone: &str) -> Result<(), ModuleError> {
    let relative = Path::new(zone);
    let plain = relative
        .components()
        .all(|part| matches!(part, std::path::Component::Normal(_)));
    let zoneinfo = Path::new("/usr/share/zoneinfo").join(relative);
    let in_root = plain && host.stat(&zoneinfo)?.is_some_and(|meta| meta.is_file());
    if plain && (in_root || zoneinfo.is_file()) {
        return Ok(());
    }
    Err(ModuleError::invalid(
        "timezone",
        format!("timezone '{zone}' is not a zone of /usr/share/zoneinfo"),
    ))
}

/// /etc/locale.gen with the wanted entries enabled, then `locale-gen` in the root.
fn locales_change(host: &Host, locales: &[String]) -> Result<Option<Change>, ModuleError> {
    if locales.is_empty() {
        return Ok(None);
    }
    let path = Path::new("/etc/locale.gen");
    let before = host
        .read_file(path)?
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
    let after = locale_gen::enable(before.as_deref().unwrap_or_default(), locales);
    if before.as_deref() == Some(after.as_str()) {
        return Ok(None);
    }
    let meta = host.stat(path)?;
    let owner = Ownership {
        uid: meta.as_ref().map(|m| m.uid),
        gid: meta.as_ref().map(|m| m.gid),
    };
    Ok(Some(Change {
        summary: "enable locales in /etc/locale.gen and run locale-gen".into(),
        diff: Some(Diff::of_path(
            "/etc/locale.gen",
            before.unwrap_or_default(),
            after.clone(),
        )),
        ops: vec![
            Op::WriteFile {
                path: path.to_path_buf(),
                content: after.into_bytes(),
                mode: meta.map_or(0o644, |m| m.mode),
                owner,
            },
            Op::Run(RunSpec {
                argv: vec!["locale-gen".into()],
                place: Place::Target,
                ..RunSpec::default()
            }),
        ],
    }))
}

/// One setting systemd-firstboot must change.
struct Setting {
    label: &'static str,
    /// `--hostname=box`.
    flag: String,
    /// The flag as it may be shown (a hash masked).
    shown_flag: String,
    /// `hostname: vm` / `hostname: box` for the diff; `None` for secrets.
    before: Option<String>,
    after: String,
    /// What the root holds afterwards, for later plans of a check run.
    predicted: Vec<Op>,
}

impl Setting {
    fn plain(label: &'static str, option: &str, before: Option<String>, after: &str) -> Setting {
        let flag = format!("--{option}={after}");
        Setting {
            label,
            shown_flag: flag.clone(),
            flag,
            before: Some(format!(
                "{label}: {}\n",
                before.as_deref().unwrap_or("(unset)")
            )),
            after: format!("{label}: {after}\n"),
            predicted: Vec::new(),
        }
    }

    fn predicting(mut self, ops: Vec<Op>) -> Setting {
        self.predicted = ops;
        self
    }
}

fn file(path: &str, content: String, mode: u32) -> Op {
    Op::WriteFile {
        path: PathBuf::from(path),
        content: content.into_bytes(),
        mode,
        owner: Ownership::default(),
    }
}

/// The settings whose files say something else than the arguments.
fn differing(
    host: &Host,
    args: &Args,
    locale_file: &str,
    machine_id: Option<&str>,
) -> Result<Vec<Setting>, ModuleError> {
    let mut settings = Vec::new();
    if let Some(locale) = &args.locale {
        let now = current::locale(host, locale_file)?;
        if now.as_deref() != Some(locale) {
            let mut predicted = Vec::new();
            if let Some(dir) = Path::new(locale_file)
                .parent()
                .filter(|d| *d != Path::new("/etc"))
            {
                predicted.push(Op::Mkdir {
                    path: dir.to_path_buf(),
                    mode: 0o755,
                    owner: Ownership::default(),
                });
            }
            predicted.push(file(locale_file, format!("LANG={locale}\n"), 0o644));
            let setting = Setting::plain("locale", "locale", now, locale);
            settings.push(setting.predicting(predicted));
        }
    }
    if let Some(keymap) = &args.keymap {
        let now = current::keymap(host)?;
        if now.as_deref() != Some(keymap) {
            let predicted = file("/etc/vconsole.conf", format!("KEYMAP={keymap}\n"), 0o644);
            settings
                .push(Setting::plain("keymap", "keymap", now, keymap).predicting(vec![predicted]));
        }
    }
    if let Some(zone) = &args.timezone {
        let now = current::timezone(host)?;
        if now.as_deref() != Some(zone) {
            let predicted = Op::Symlink {
                path: "/etc/localtime".into(),
                target: format!("../usr/share/zoneinfo/{zone}").into(),
            };
            settings.push(
                Setting::plain("timezone", "timezone", now, zone).predicting(vec![predicted]),
            );
        }
    }
    if let Some(name) = &args.hostname {
        let now = current::hostname(host)?;
        if now.as_deref() != Some(name) {
            let predicted = file("/etc/hostname", format!("{name}\n"), 0o644);
            settings.push(
                Setting::plain("hostname", "hostname", now, name).predicting(vec![predicted]),
            );
        }
    }
    if let Some(id) = machine_id {
        let now = current::machine_id(host)?;
        if now.as_deref() != Some(id) {
            let predicted = file("/etc/machine-id", format!("{id}\n"), 0o444);
            settings.push(
                Setting::plain("machine id", "machine-id", now, id).predicting(vec![predicted]),
            );
        }
    }
    if let Some(setting) = password_setting(host, args)? {
        settings.push(setting);
    }
    Ok(settings)
}

/// The root password, when root's /etc/shadow field is not (a hash of) the wanted one.
fn password_setting(host: &Host, args: &Args) -> Result<Option<Setting>, ModuleError> {
    let shadow = current::shadow(host)?;
    let now = shadow.as_deref().and_then(current::root_hash);
    let hash = match (&args.root_password, &args.root_password_hash) {
        (Some(plain), _) => {
            if now.is_some_and(|hash| plain.matches_hash(hash)) {
                return Ok(None);
            }
            plain.sha512_crypt()?
        }
        (None, Some(hash)) => {
            if now == Some(hash.expose()) {
                return Ok(None);
            }
            hash.expose().to_string()
        }
        (None, None) => return Ok(None),
    };
    let mode = host
        .stat(Path::new("/etc/shadow"))?
        .map_or(0o000, |m| m.mode);
    let predicted = file(
        "/etc/shadow",
        current::with_root_hash(shadow.as_deref(), &hash),
        mode,
    );
    Ok(Some(Setting {
        label: "root password",
        flag: format!("--root-password-hashed={hash}"),
        shown_flag: format!("--root-password-hashed={}", secret::MASK),
        before: None,
        after: "root password: changed\n".into(),
        predicted: vec![predicted],
    }))
}

/// One run of systemd-firstboot for all differing settings, and its command line as it
/// may be shown.
fn firstboot_change(root: &Path, settings: &[Setting]) -> (Change, Vec<String>) {
    let lead = vec![
        "systemd-firstboot".to_string(),
        format!("--root={}", root.display()),
        "--force".to_string(),
    ];
    let argv: Vec<String> = lead
        .iter()
        .cloned()
        .chain(settings.iter().map(|s| s.flag.clone()))
        .collect();
    let shown: Vec<String> = lead
        .into_iter()
        .chain(settings.iter().map(|s| s.shown_flag.clone()))
        .collect();
    let labels: Vec<&str> = settings.iter().map(|s| s.label).collect();
    let mut ops = vec![Op::Run(RunSpec {
        argv,
        place: Place::Controller,
        ..RunSpec::default()
    })];
    ops.push(Op::Predicted(Box::new(Op::Mkdir {
        path: "/etc".into(),
        mode: 0o755,
        owner: Ownership::default(),
    })));
    ops.extend(
        settings
            .iter()
            .flat_map(|s| s.predicted.iter().cloned())
            .map(|op| Op::Predicted(Box::new(op))),
    );
    let change = Change {
        summary: format!("systemd-firstboot: {}", labels.join(", ")),
        diff: Some(Diff {
            before_header: "firstboot settings".into(),
            after_header: "firstboot settings".into(),
            before: settings.iter().filter_map(|s| s.before.clone()).collect(),
            after: settings.iter().map(|s| s.after.clone()).collect(),
        }),
        ops,
    };
    (change, shown)
}
