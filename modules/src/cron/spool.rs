//! Where a crontab lives and how it is read and written. A `cron_file` is a plain
//! file (in /etc/cron.d unless absolute), read and written through the Host. A
//! user's crontab on a live system (`/`, or a machine's or ssh host's own `/` through
//! its agent) goes through Debian's `crontab -l` / `crontab -`, as Ansible's does;
//! in a root of the controller (`--root`, `machinist_root`) running a crontab
//! program would reach the controller's spool, so the spool file is written the way
//! the root's own crontab writes it when root runs it: Debian's
//! /var/spool/cron/crontabs/USER (its three header lines, 0600, the user's and the
//! `crontab` group's ids from the root's own files), or cronie's (Arch's)
//! /var/spool/cron/USER (no header, 0600, root's: cronie's crontab run by root
//! chowns it to root, src/crontab.c's replace_cmd).

use super::table::{split_lines, Table};
use crate::host::effective_ids;
use crate::{Host, ModuleError, Op, Ownership, RunSpec};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Debian's spool of user crontabs.
pub const SPOOL: &str = "/var/spool/cron/crontabs";

/// cronie's spool, and the daemon that tells a root has cronie.
const CRONIE_SPOOL: &str = "/var/spool/cron";
const CRONIE_DAEMONS: &[&str] = &["/usr/bin/crond", "/usr/sbin/crond"];

/// Whose crontab program's spool a root has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Spool {
    Debian,
    Cronie,
}

/// A user's spool file in a root and how its crontab writes it.
struct SpoolFile {
    path: PathBuf,
    owner: Ownership,
    spool: Spool,
}

/// The crontab a task edits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Place {
    /// A cron file (absolute, inside the root).
    File(PathBuf),
    /// A user's crontab: `user` when the task names one.
    User(Option<String>),
}

/// What the crontab holds now.
pub struct Current {
    /// The text as Ansible keeps it (`n_existing`): the file's, or what `crontab -l`
    /// printed less its header lines.
    pub text: String,
    /// The lines Ansible edits (the text less header lines).
    pub table: Table,
    /// A cron file's mode and ids, when it exists.
    pub meta: Option<(u32, u32, u32)>,
}

impl Place {
    pub fn of(cron_file: Option<&str>, user: Option<&str>) -> Place {
        match cron_file {
            Some(file) => Place::File(Path::new("/etc/cron.d").join(file)),
            None => Place::User(user.map(str::to_string)),
        }
    }

    /// Ansible's diff header for this crontab.
    pub fn header(&self) -> String {
        match self {
            Place::File(path) => path.display().to_string(),
            Place::User(Some(user)) => format!("crontab for user \"{user}\""),
            Place::User(None) => "crontab".into(),
        }
    }

    pub fn read(&self, host: &Host) -> Result<Current, ModuleError> {
        match self {
            Place::File(path) => {
                let text = match host.read_file(path)? {
                    Some(bytes) => String::from_utf8(bytes).map_err(|_| {
                        ModuleError::Failed(format!("{} is not UTF-8 text", path.display()))
                    })?,
                    None => String::new(),
                };
                let meta = host.stat(path)?.map(|meta| (meta.mode, meta.uid, meta.gid));
                Ok(Current {
                    table: Table::parse(&text),
                    text,
                    meta,
                })
            }
            Place::User(user) if host.is_offline() => {
                let file = spool_file(host, user.as_deref())?;
                let text = match host.read_file(&file.path)? {
                    Some(bytes) => String::from_utf8(bytes).map_err(|_| {
                        ModuleError::Failed(format!("{} is not UTF-8 text", file.path.display()))
                    })?,
                    None => String::new(),
                };
                Ok(listed(&match file.spool {
                    Spool::Debian => without_debian_header(&text),
                    Spool::Cronie => text,
                }))
            }
            Place::User(user) => {
                let mut argv = vec!["crontab".to_string()];
                argv.extend(user_option(host, user.as_deref())?);
                argv.push("-l".into());
                let output = host.query(&RunSpec {
                    argv,
                    ..RunSpec::default()
                })?;
                match output.rc {
                    // 1 can mean that there are no jobs.
                    Some(0 | 1) => Ok(listed(&output.stdout)),
                    _ => Err(ModuleError::Failed(format!(
                        "Unable to read crontab: {}",
                        output.said()
                    ))),
                }
            }
        }
    }

    /// The ops that make the crontab hold `text`.
    pub fn write(
        &self,
        host: &Host,
        text: &str,
        current: &Current,
    ) -> Result<Vec<Op>, ModuleError> {
        match self {
            Place::File(path) => {
                // Written as Ansible's open(…, 'wb') under umask 022: an existing
                // file keeps its mode and owner, a new one is 0644 and ours.
                let (ours_uid, ours_gid) = effective_ids();
                let (mode, uid, gid) = current.meta.unwrap_or((0o644, ours_uid, ours_gid));
                Ok(vec![Op::WriteFile {
                    path: path.clone(),
                    content: text.as_bytes().to_vec(),
                    mode,
                    owner: Ownership {
                        uid: Some(uid),
                        gid: Some(gid),
                    },
                }])
            }
            Place::User(user) if host.is_offline() => {
                let file = spool_file(host, user.as_deref())?;
                let mut content = match file.spool {
                    Spool::Debian => debian_header(SystemTime::now()),
                    Spool::Cronie => String::new(),
                };
                content.push_str(text);
                Ok(vec![Op::WriteFile {
                    path: file.path,
                    content: content.into_bytes(),
                    mode: 0o600,
                    owner: file.owner,
                }])
            }
            Place::User(user) => {
                let mut argv = vec!["crontab".to_string()];
                argv.extend(user_option(host, user.as_deref())?);
                argv.push("-".into());
                Ok(vec![Op::Run(RunSpec {
                    argv,
                    stdin: Some(text.as_bytes().to_vec()),
                    ..RunSpec::default()
                })])
            }
        }
    }
}

/// Ansible's reading of `crontab -l`: a header line among the first three (one
/// crontab wrote) dropped from the lines and from the text.
fn listed(out: &str) -> Current {
    let header = |line: &str| {
        line.starts_with("# DO NOT EDIT THIS FILE - edit the master and reinstall.")
            || (line.starts_with("# (/tmp/") && line.contains("installed on") && {
                let rest = &line[line.find("installed on").unwrap_or(0)..];
                rest.contains(')')
            })
            || (line.starts_with("# (") && {
                let rest = &line[3..];
                rest.find("version")
                    .is_some_and(|at| rest[at..].contains(')'))
            })
    };
    let mut text = out.to_string();
    let mut lines = Vec::new();
    for (count, line) in split_lines(out).into_iter().enumerate() {
        if count > 2 || !header(&line) {
            lines.push(line);
        } else if let Some(at) = text.find(&line) {
            let mut end = at + line.len();
            if matches!(text.as_bytes().get(end), Some(b'\r' | b'\n')) {
                end += 1;
            }
            text.replace_range(at..end, "");
        }
    }
    Current {
        text,
        table: Table { lines },
        meta: None,
    }
}

/// What Debian's `crontab -l` prints of a spool file: up to three leading lines that
/// start with `#` (the header it wrote) skipped.
fn without_debian_header(text: &str) -> String {
    let mut rest = text;
    for _ in 0..3 {
        if !rest.starts_with('#') {
            break;
        }
        rest = match rest.find('\n') {
            Some(at) => &rest[at + 1..],
            None => "",
        };
    }
    rest.to_string()
}

/// The three lines Debian's crontab puts on top of a spool file (the install's time
/// as ctime(3) prints it, in UTC).
pub fn debian_header(now: SystemTime) -> String {
    format!(
        "# DO NOT EDIT THIS FILE - edit the master and reinstall.\n# (- installed on {})\n# (Cron version -- $Id: crontab.c,v 2.13 1994/01/17 03:20:37 vixie Exp $)\n",
        ctime(now)
    )
}

/// ctime(3)'s `Mon Dec  7 06:26:09 2026`, in UTC.
fn ctime(now: SystemTime) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let seconds = now
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let days = seconds / 86_400;
    let (year, month, day) = crate::file::content::civil_from_days(days);
    let time = seconds % 86_400;
    format!(
        "{} {} {day:>2} {:02}:{:02}:{:02} {year}",
        DAYS[(days % 7) as usize],
        MONTHS[(month as usize).saturating_sub(1) % 12],
        time / 3600,
        time % 3600 / 60,
        time % 60
    )
}

/// `-u USER` when the task names a user other than the one running (Ansible's rule:
/// Debian's crontab takes `-u` from root only).
fn user_option(host: &Host, user: Option<&str>) -> Result<Vec<String>, ModuleError> {
    let Some(user) = user else {
        return Ok(Vec::new());
    };
    let (uid, _) = effective_ids();
    if host.user_name(uid)?.as_deref() == Some(user) {
        return Ok(Vec::new());
    }
    Ok(vec!["-u".into(), user.to_string()])
}

/// A user's spool file in a root, and the owner its crontab gives it.
fn spool_file(host: &Host, user: Option<&str>) -> Result<SpoolFile, ModuleError> {
    let is_dir = |path: &str| -> Result<bool, ModuleError> {
        Ok(host
            .stat(Path::new(path))?
            .is_some_and(|meta| meta.is_dir()))
    };
    let spool = if is_dir(SPOOL)? {
        Spool::Debian
    } else if is_dir(CRONIE_SPOOL)? && has_cronie(host)? {
        Spool::Cronie
    } else {
        return Err(ModuleError::Failed(format!(
            "no cron spool in the root: neither Debian's {SPOOL} nor cronie's {CRONIE_SPOOL} (with its crond) is there, so no crontab program would read it (give cron_file for /etc/cron.d)"
        )));
    };
    let user = match user {
        Some(user) => user.to_string(),
        None => {
            let (uid, _) = effective_ids();
            host.user_name(uid)?.ok_or_else(|| {
                ModuleError::Failed(format!("uid {uid} has no name in the root's /etc/passwd"))
            })?
        }
    };
    if user.is_empty() || user.contains('/') || user == "." || user == ".." {
        return Err(ModuleError::invalid(
            "user",
            format!("'{user}' is not a user name"),
        ));
    }
    let uid = host.user_id(&user)?.ok_or_else(|| {
        ModuleError::Failed(format!("user '{user}' unknown in the root's /etc/passwd"))
    })?;
    let (dir, owner) = match spool {
        Spool::Debian => {
            let gid = host.group_id("crontab")?.ok_or_else(|| {
                ModuleError::Failed(
                    "no group 'crontab' in the root's /etc/group (Debian's cron makes it)".into(),
                )
            })?;
            (SPOOL, (uid, gid))
        }
        // cronie's crontab run by root: the file is root's (its replace_cmd).
        Spool::Cronie => (CRONIE_SPOOL, (0, 0)),
    };
    Ok(SpoolFile {
        path: Path::new(dir).join(&user),
        owner: Ownership {
            uid: Some(owner.0),
            gid: Some(owner.1),
        },
        spool,
    })
}

/// Whether the root has cronie's daemon.
fn has_cronie(host: &Host) -> Result<bool, ModuleError> {
    for daemon in CRONIE_DAEMONS {
        if host.exists(Path::new(daemon))? {
            return Ok(true);
        }
    }
    Ok(false)
}
