//! The settings systemd-firstboot must change — those whose files say something else
//! than the arguments — each with its flag, its lines of the diff (a secret shows only
//! as `root password: changed`) and the files it leaves, predicted for check mode; and
//! the one run of systemd-firstboot that sets them.

use super::{current, secret, Args};
use crate::{Change, Diff, Host, ModuleError, Op, Ownership, Place, RunSpec};
use std::path::{Path, PathBuf};

/// One setting systemd-firstboot must change.
pub struct Setting {
    pub label: &'static str,
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
pub fn differing(
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
/// `tool_root` is the root as the tool is handed it ([`Host::tool_root`]), `root` as
/// the user named it (shown).
///
/// [`Host::tool_root`]: crate::Host::tool_root
pub fn firstboot_change(
    tool_root: &Path,
    root: &Path,
    settings: &[Setting],
) -> (Change, Vec<String>) {
    let lead = |root: &Path| {
        vec![
            "systemd-firstboot".to_string(),
            format!("--root={}", root.display()),
            "--force".to_string(),
        ]
    };
    let argv: Vec<String> = lead(tool_root)
        .into_iter()
        .chain(settings.iter().map(|s| s.flag.clone()))
        .collect();
    let shown: Vec<String> = lead(root)
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
