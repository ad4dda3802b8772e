//! The settings that must change — those whose files say something else than the
//! arguments — each with its lines of the diff (a secret shows only as `root password:
//! changed`) and either its systemd-firstboot flag and the files that run leaves
//! (predicted for check mode), or, for the locale and the keymap, the file written
//! through the Host where the root's distribution reads it (conventions.rs); and the
//! one change that sets them all.

use super::conventions::Conventions;
use super::{current, secret, Args};
use crate::{Change, Diff, Host, ModuleError, Op, Ownership, Place, RunSpec};
use std::path::{Path, PathBuf};

/// One setting systemd-firstboot must change.
pub struct Setting {
    pub label: &'static str,
    /// `--hostname=box`; `None` for what is written through the Host instead.
    flag: Option<String>,
    /// The flag as it may be shown (a hash masked).
    shown_flag: Option<String>,
    /// `hostname: vm` / `hostname: box` for the diff; `None` for secrets.
    before: Option<String>,
    after: String,
    /// What the root holds afterwards, for later plans of a check run.
    predicted: Vec<Op>,
    /// What is written through the Host (no flag).
    writes: Vec<Op>,
}

impl Setting {
    fn plain(label: &'static str, option: &str, before: Option<String>, after: &str) -> Setting {
        let flag = format!("--{option}={after}");
        Setting {
            label,
            shown_flag: Some(flag.clone()),
            flag: Some(flag),
            before: Some(format!(
                "{label}: {}\n",
                before.as_deref().unwrap_or("(unset)")
            )),
            after: format!("{label}: {after}\n"),
            predicted: Vec::new(),
            writes: Vec::new(),
        }
    }

    /// A setting written through the Host as `KEY=value` in `path`, not by a flag.
    fn written(
        host: &Host,
        label: &'static str,
        before: Option<String>,
        path: &str,
        line: String,
    ) -> Result<Setting, ModuleError> {
        let after = line
            .split_once('=')
            .map_or("", |(_, value)| value)
            .to_string();
        let mut writes = missing_dirs(host, Path::new(path))?;
        writes.push(file(path, format!("{line}\n"), 0o644));
        Ok(Setting {
            label,
            flag: None,
            shown_flag: None,
            before: Some(format!(
                "{label}: {}\n",
                before.as_deref().unwrap_or("(unset)")
            )),
            after: format!("{label}: {after}\n"),
            predicted: Vec::new(),
            writes,
        })
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
    conventions: &Conventions,
    machine_id: Option<&str>,
) -> Result<Vec<Setting>, ModuleError> {
    let mut settings = Vec::new();
    if let Some(locale) = &args.locale {
        let now = current::locale(host, conventions.locale_file)?;
        if now.as_deref() != Some(locale) {
            settings.push(Setting::written(
                host,
                "locale",
                now,
                conventions.locale_file,
                format!("LANG={locale}"),
            )?);
        }
    }
    if let Some(keymap) = &args.keymap {
        let now = current::keymap(host, conventions.keymap_file)?;
        if now.as_deref() != Some(keymap) {
            settings.push(Setting::written(
                host,
                "keymap",
                now,
                conventions.keymap_file,
                format!("KEYMAP={keymap}"),
            )?);
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
        flag: Some(format!("--root-password-hashed={hash}")),
        shown_flag: Some(format!("--root-password-hashed={}", secret::MASK)),
        before: None,
        after: "root password: changed\n".into(),
        predicted: vec![predicted],
        writes: Vec::new(),
    }))
}

/// The directories a file written through the Host needs, parents first (/etc on a
/// root not bootstrapped yet, /etc/default).
fn missing_dirs(host: &Host, path: &Path) -> Result<Vec<Op>, ModuleError> {
    let mut ops = Vec::new();
    let mut dirs: Vec<&Path> = path.ancestors().skip(1).collect();
    dirs.reverse();
    for dir in dirs {
        if dir == Path::new("/") || host.lstat(dir)?.is_some() {
            continue;
        }
        ops.push(Op::Mkdir {
            path: dir.to_path_buf(),
            mode: 0o755,
            owner: Ownership::default(),
        });
    }
    Ok(ops)
}

/// One change for all differing settings: one run of systemd-firstboot for those it
/// sets (with its command line as it may be shown), then the files written through
/// the Host. `tool_root` is the root as the tool is handed it ([`Host::tool_root`]),
/// `root` as the user named it (shown).
pub fn firstboot_change(
    tool_root: &Path,
    root: &Path,
    settings: &[Setting],
) -> (Change, Option<Vec<String>>) {
    let flagged: Vec<&Setting> = settings.iter().filter(|s| s.flag.is_some()).collect();
    let labels: Vec<&str> = settings.iter().map(|s| s.label).collect();
    let mut ops = Vec::new();
    let mut shown = None;
    if !flagged.is_empty() {
        let lead = |root: &Path| {
            vec![
                "systemd-firstboot".to_string(),
                format!("--root={}", root.display()),
                "--force".to_string(),
            ]
        };
        let argv: Vec<String> = lead(tool_root)
            .into_iter()
            .chain(flagged.iter().filter_map(|s| s.flag.clone()))
            .collect();
        shown = Some(
            lead(root)
                .into_iter()
                .chain(flagged.iter().filter_map(|s| s.shown_flag.clone()))
                .collect(),
        );
        // A flag shown otherwise than it is given holds a secret (a hash).
        let secrets = flagged
            .iter()
            .filter(|s| s.shown_flag != s.flag)
            .filter_map(|s| s.flag.clone())
            .collect();
        ops.push(Op::Run(RunSpec {
            argv,
            place: Place::Controller,
            secrets,
            ..RunSpec::default()
        }));
        ops.push(Op::Predicted(Box::new(Op::Mkdir {
            path: "/etc".into(),
            mode: 0o755,
            owner: Ownership::default(),
        })));
        ops.extend(
            flagged
                .iter()
                .flat_map(|s| s.predicted.iter().cloned())
                .map(|op| Op::Predicted(Box::new(op))),
        );
    }
    let mut made = std::collections::BTreeSet::new();
    for op in settings.iter().flat_map(|s| s.writes.iter()) {
        // Two files in one missing directory: it is made once.
        if let Op::Mkdir { path, .. } = op {
            if !made.insert(path.clone()) {
                continue;
            }
        }
        ops.push(op.clone());
    }
    let change = Change {
        summary: format!("first boot settings: {}", labels.join(", ")),
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
