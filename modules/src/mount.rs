//! The `mount` module (Ansible's `ansible.posix.mount`): an entry of the target's
//! /etc/fstab (or `fstab`) present with Ansible's fields and format, or absent, written
//! through the Host — what configures an offline root's mounts for its next boot; and,
//! on a running system (the machine's own `/`), the mount itself: `mounted` (the entry,
//! and mounted — remounted when its entry changed), `unmounted`, `remounted` (always
//! changed, as Ansible), `ephemeral` (mounted, fstab untouched), and `absent` unmounting
//! first. Whether a path is mounted is read from /proc/self/mountinfo through the Host;
//! mount(8) and umount(8) run in the target with `--` before their operands. An offline
//! root has no running system: those states are refused there.
//!
//! Entries are found by their mount point (with `\040` for spaces, as fstab writes
//! them); a differing one is rewritten in place of the first, others with the same
//! mount point are dropped; a new one is appended as `SRC PATH FSTYPE OPTS DUMP PASSNO`.
//! `absent` also removes the mount point when it is an empty directory, as Ansible does.

pub mod doc;

use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Place, Plan, RunSpec};
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Present,
    Absent,
    AbsentFromFstab,
    Mounted,
    Unmounted,
    Remounted,
    Ephemeral,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The mount point.
    #[serde(alias = "name")]
    pub path: String,
    /// The device, label or remote (`UUID=…`, `/dev/sda1`, `host:/export`).
    pub src: Option<String>,
    pub fstype: Option<String>,
    #[serde(default = "defaults")]
    pub opts: String,
    #[serde(default = "zero", deserialize_with = "number_text")]
    pub dump: String,
    #[serde(default = "zero", deserialize_with = "number_text")]
    pub passno: String,
    pub state: State,
    #[serde(default = "etc_fstab")]
    pub fstab: String,
    /// `false` adds `noauto` to the options.
    #[serde(default = "yes")]
    pub boot: bool,
    /// Keep the old fstab as FSTAB.TIMESTAMP~ before changing it.
    #[serde(default)]
    pub backup: bool,
}

fn defaults() -> String {
    "defaults".into()
}

fn zero() -> String {
    "0".into()
}

fn etc_fstab() -> String {
    "/etc/fstab".into()
}

fn yes() -> bool {
    true
}

/// dump and passno as text, given as numbers or strings.
fn number_text<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<String, D::Error> {
    match serde_json::Value::deserialize(deserializer)? {
        serde_json::Value::Number(n) => Ok(n.to_string()),
        serde_json::Value::String(s) if s.trim().parse::<u32>().is_ok() => Ok(s.trim().to_string()),
        other => Err(serde::de::Error::custom(format!(
            "expected a number, got {other}"
        ))),
    }
}

pub struct MountModule;

impl Module for MountModule {
    type Args = Args;
    const NAME: &'static str = "mount";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let live = matches!(
            args.state,
            State::Mounted | State::Unmounted | State::Remounted | State::Ephemeral
        );
        if live && host.is_offline() {
            return Err(ModuleError::invalid(
                "state",
                format!(
                    "state={} mounts or unmounts on a running system, and an offline root \
                     has none: use state=present or absent for its fstab entry",
                    state_name(args.state)
                ),
            ));
        }
        let present = matches!(args.state, State::Present | State::Mounted);
        let path = args.path.trim_end_matches('/');
        let path = if path.is_empty() { "/" } else { path };
        if !path.starts_with('/') || path.contains('\n') {
            return Err(ModuleError::invalid(
                "path",
                format!("'{}' is not an absolute path", args.path),
            ));
        }
        let entry = if present {
            let (Some(src), Some(fstype)) = (&args.src, &args.fstype) else {
                return Err(ModuleError::invalid(
                    "src",
                    "state=present needs src and fstype",
                ));
            };
            let mut opts = args.opts.clone();
            if !args.boot && !opts.split(',').any(|o| o == "noauto") {
                opts.push_str(",noauto");
            }
            for (field, value) in [("src", src), ("fstype", fstype), ("opts", &opts)] {
                if value.is_empty() || value.contains(char::is_whitespace) {
                    return Err(ModuleError::invalid(
                        field,
                        format!("{field} '{value}' must be one word"),
                    ));
                }
            }
            Some(format!(
                "{src} {} {fstype} {opts} {} {}",
                escape(path),
                args.dump,
                args.passno
            ))
        } else {
            None
        };
        let fstab = Path::new(&args.fstab);
        let current = host
            .read_file(fstab)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        let before = current.clone().unwrap_or_default();
        let after = edited(&before, &escape(path), entry.as_deref());
        let mut plan = Plan::ok()
            .with_data("name", path)
            .with_data("fstab", &args.fstab)
            .with_data("opts", &args.opts)
            .with_data("dump", &args.dump)
            .with_data("passno", &args.passno);
        if let Some(src) = &args.src {
            plan = plan.with_data("src", src);
        }
        if let Some(fstype) = &args.fstype {
            plan = plan.with_data("fstype", fstype);
        }
        let mut changes = Vec::new();
        let fstab_changes = matches!(
            args.state,
            State::Present | State::Absent | State::AbsentFromFstab | State::Mounted
        );
        if fstab_changes && after != before {
            let meta = host.stat(fstab)?;
            let mut ops = Vec::new();
            if args.backup && current.is_some() {
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map_or(0, |d| d.as_secs());
                ops.push(Op::Backup {
                    path: fstab.to_path_buf(),
                    to: format!("{}.{stamp}~", args.fstab).into(),
                });
            }
            ops.push(Op::WriteFile {
                path: fstab.to_path_buf(),
                content: after.clone().into_bytes(),
                mode: meta.as_ref().map_or(0o644, |m| m.mode),
                owner: Ownership {
                    uid: meta.as_ref().map(|m| m.uid),
                    gid: meta.as_ref().map(|m| m.gid),
                },
            });
            changes.push(Change {
                summary: format!("{path} in {}", args.fstab),
                diff: Some(Diff::of_path(&args.fstab, before, after)),
                ops,
            });
        }
        let fstab_changed = !changes.is_empty();
        if !host.is_offline() {
            changes.extend(live_changes(host, args, path, fstab_changed)?);
        }
        if args.state == State::Absent && path != "/" {
            let point = Path::new(path);
            let empty_dir = host.lstat(point)?.is_some_and(|meta| meta.is_dir())
                && host.read_dir(point)?.is_some_and(|names| names.is_empty());
            if empty_dir {
                changes.push(Change {
                    summary: format!("remove the mount point {path}"),
                    diff: Some(Diff::of_path(path, "directory\n", "(absent)\n")),
                    ops: vec![Op::Remove {
                        path: point.to_path_buf(),
                    }],
                });
            }
        }
        plan.changes = changes;
        Ok(plan)
    }
}

/// What mount(8) and umount(8) must do on the running system for `state`.
fn live_changes(
    host: &Host,
    args: &Args,
    path: &str,
    fstab_changed: bool,
) -> Result<Vec<Change>, ModuleError> {
    let mounted = is_mounted(host, path)?;
    let run = |summary: String, argv: Vec<String>| Change {
        summary,
        diff: None,
        ops: vec![Op::Run(RunSpec {
            argv,
            place: Place::Target,
            ..RunSpec::default()
        })],
    };
    let remount = || {
        run(
            format!("remount {path}"),
            vec![
                "mount".into(),
                "-o".into(),
                "remount".into(),
                "--".into(),
                path.into(),
            ],
        )
    };
    let mount = |host: &Host| -> Result<Vec<Change>, ModuleError> {
        let (Some(src), Some(fstype)) = (&args.src, &args.fstype) else {
            return Err(ModuleError::invalid(
                "src",
                format!("state={} needs src and fstype", state_name(args.state)),
            ));
        };
        let mut changes = Vec::new();
        if host.lstat(Path::new(path))?.is_none() {
            changes.push(Change {
                summary: format!("create the mount point {path}"),
                diff: Some(Diff::of_path(path, "(absent)\n", "directory\n")),
                ops: vec![Op::Mkdir {
                    path: path.into(),
                    mode: 0o755,
                    owner: Ownership::default(),
                }],
            });
        }
        changes.push(run(
            format!("mount {src} on {path}"),
            vec![
                "mount".into(),
                "-t".into(),
                fstype.clone(),
                "-o".into(),
                args.opts.clone(),
                "--".into(),
                src.clone(),
                path.into(),
            ],
        ));
        Ok(changes)
    };
    let umount = || {
        run(
            format!("unmount {path}"),
            vec!["umount".into(), "--".into(), path.into()],
        )
    };
    Ok(match (args.state, mounted) {
        (State::Mounted | State::Ephemeral, false) => mount(host)?,
        (State::Mounted, true) if fstab_changed => vec![remount()],
        (State::Remounted, true) => vec![remount()],
        (State::Remounted, false) => {
            return Err(ModuleError::Failed(format!(
                "{path} is not mounted: nothing to remount"
            )))
        }
        (State::Unmounted | State::Absent, true) => vec![umount()],
        _ => Vec::new(),
    })
}

/// Whether `path` is a mount point of the running system (/proc/self/mountinfo, field
/// five, with its octal escapes).
fn is_mounted(host: &Host, path: &str) -> Result<bool, ModuleError> {
    let Some(info) = host.read_file(Path::new("/proc/self/mountinfo"))? else {
        return Ok(false);
    };
    let escaped = escape(path).replace('\n', "\\012");
    Ok(String::from_utf8_lossy(&info)
        .lines()
        .filter_map(|line| line.split(' ').nth(4))
        .any(|point| point == escaped))
}

fn state_name(state: State) -> &'static str {
    match state {
        State::Present => "present",
        State::Absent => "absent",
        State::AbsentFromFstab => "absent_from_fstab",
        State::Mounted => "mounted",
        State::Unmounted => "unmounted",
        State::Remounted => "remounted",
        State::Ephemeral => "ephemeral",
    }
}

/// A path as fstab writes it: spaces and tabs as octal escapes.
fn escape(path: &str) -> String {
    path.replace(' ', "\\040").replace('\t', "\\011")
}

/// The `\ooo` escapes undone, as fstab, /proc's mount tables and mtree write a space
/// (`\040`), tab, newline or backslash; other text is kept.
pub fn unescape(word: &str) -> String {
    let bytes = word.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut at = 0;
    while at < bytes.len() {
        let octal = bytes.get(at + 1..at + 4).filter(|digits| {
            bytes[at] == b'\\' && digits.iter().all(|d| (b'0'..=b'7').contains(d))
        });
        match octal.and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok()) {
            Some(byte) => {
                out.push(byte);
                at += 4;
            }
            None => {
                out.push(bytes[at]);
                at += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The fstab with the entries of `point` replaced by `entry` (in place of the first) or
/// appended, or removed when `entry` is `None`.
fn edited(current: &str, point: &str, entry: Option<&str>) -> String {
    let mut out = String::with_capacity(current.len() + 80);
    let mut placed = false;
    for line in current.lines() {
        let trimmed = line.trim_start();
        let is_it = !trimmed.starts_with('#')
            && trimmed
                .split_whitespace()
                .nth(1)
                .is_some_and(|p| p.trim_end_matches('/') == point || (point == "/" && p == "/"));
        if !is_it {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        if let Some(entry) = entry.filter(|_| !placed) {
            placed = true;
            let same = line.split_whitespace().collect::<Vec<_>>()
                == entry.split_whitespace().collect::<Vec<_>>();
            out.push_str(if same { line } else { entry });
            out.push('\n');
        }
    }
    if let (Some(entry), false) = (entry, placed) {
        out.push_str(entry);
        out.push('\n');
    }
    if out.trim_end() == current.trim_end() {
        return current.to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_are_replaced_appended_and_removed() {
        let fstab = "# static\nUUID=a / ext4 defaults 0 1\n/dev/sdb1 /srv ext4 defaults 0 2\n";
        assert_eq!(
            edited(fstab, "/srv", Some("/dev/sdc1 /srv xfs noatime 0 2")),
            "# static\nUUID=a / ext4 defaults 0 1\n/dev/sdc1 /srv xfs noatime 0 2\n"
        );
        assert_eq!(
            edited(fstab, "/srv", Some("/dev/sdb1  /srv ext4 defaults 0 2")),
            fstab
        );
        assert_eq!(
            edited(fstab, "/data", Some("tmpfs /data tmpfs size=1G 0 0")),
            format!("{fstab}tmpfs /data tmpfs size=1G 0 0\n")
        );
        assert_eq!(
            edited(fstab, "/srv", None),
            "# static\nUUID=a / ext4 defaults 0 1\n"
        );
        assert_eq!(escape("/mnt/my disk"), "/mnt/my\\040disk");
    }
}
