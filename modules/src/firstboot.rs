//! The `firstboot` module: what a container's first boot used to ask for (locale,
//! keymap, timezone, hostname, root password, machine id), set offline with the real
//! `systemd-firstboot --root`, plus the locales generated in the root (`locale-gen`).
//! The locale and the keymap are written through the Host where the root's own
//! distribution reads them (its os-release decides: conventions.rs), whatever the
//! controller's systemd-firstboot would do with them.
//!
//! Idempotent by reading the files the settings live in; it runs only for the
//! settings that differ, with `--force` (it leaves an existing file alone otherwise,
//! and the filesystem package ships /etc/shadow). The root password is hashed with
//! sha512-crypt before use and never appears in a diff, message, result or error: the
//! diff says `root password: changed`, and the registered command line is masked.

mod conventions;
pub(crate) mod current;
pub mod doc;
pub(crate) mod locale_gen;
pub(crate) mod secret;
mod settings;
#[cfg(test)]
mod tests;

pub use secret::Secret;

use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Place, Plan, RunSpec};
use conventions::Conventions;
use serde::Deserialize;
use settings::{differing, firstboot_change};
use std::path::Path;

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
        let conventions = Conventions::of(host)?;
        // systemd-firstboot follows the root's links the kernel's way: it runs jailed
        // (host/jail.rs), where no link leads out of the root.
        let settings = differing(host, args, &conventions, machine_id.as_deref())?;
        let mut plan = Plan::ok();
        if !settings.is_empty() {
            let root = std::path::absolute(host.root())
                .map_err(|err| ModuleError::io(host.root(), err))?;
            let (change, shown_argv) = firstboot_change(host.tool_root(), &root, &settings);
            changes.push(change);
            if let Some(argv) = shown_argv {
                plan = plan.with_data("cmd", argv);
            }
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
pub(crate) fn locales_change(
    host: &Host,
    locales: &[String],
) -> Result<Option<Change>, ModuleError> {
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
