//! An existing account: the `usermod` flags for what differs, decided as Ansible's
//! module decides them (supplementary groups compared with every group listing the
//! user; with `append` only missing ones count; a password only with
//! update_password=always and a different hash), what usermod is predicted to leave,
//! and a missing home directory made when `create_home` asks for it.

use super::{check_groups_exist, describe, memberships, Args, UpdatePassword};
use crate::accounts::{self, Accounts, PasswdEntry};
use crate::{Change, Diff, Host, ModuleError, Op};
use std::path::Path;

pub(super) fn changes(
    host: &Host,
    accounts: &Accounts,
    args: &Args,
    user: &PasswdEntry,
) -> Result<(Vec<Change>, PasswdEntry), ModuleError> {
    check_groups_exist(accounts, args)?;
    let mut flags: Vec<String> = Vec::new();
    let mut after = user.clone();
    if let Some(uid) = args.uid.filter(|uid| *uid != user.uid) {
        if let Some(other) = accounts.users().find(|u| u.uid == uid && !args.non_unique) {
            return Err(ModuleError::invalid(
                "uid",
                format!(
                    "uid {uid} is taken by user '{}' (non_unique allows that)",
                    other.name
                ),
            ));
        }
        flags.extend(["-u".into(), uid.to_string()]);
        if args.non_unique {
            flags.push("-o".into());
        }
        after.uid = uid;
    }
    if let Some(group) = &args.group {
        let gid = accounts.group(group).map_or(user.gid, |g| g.gid);
        if gid != user.gid {
            flags.extend(["-g".into(), gid.to_string()]);
            after.gid = gid;
        }
    }
    let current = memberships(accounts, &user.name);
    let mut member_of = current.clone();
    if let Some(wanted) = &args.groups {
        let missing = wanted.iter().any(|g| !current.contains(g));
        let extra = current.iter().any(|g| !wanted.contains(g));
        if args.append && missing {
            flags.extend(["-a".into(), "-G".into(), wanted.join(",")]);
            member_of.extend(wanted.iter().filter(|g| !current.contains(g)).cloned());
        } else if !args.append && (missing || extra) {
            flags.extend(["-G".into(), wanted.join(",")]);
            member_of = wanted.clone();
        }
    }
    for (flag, wanted, field) in [
        ("-c", &args.comment, &mut after.comment),
        ("-s", &args.shell, &mut after.shell),
    ] {
        if let Some(wanted) = wanted.as_ref().filter(|w| *w != field) {
            flags.extend([flag.to_string(), wanted.clone()]);
            *field = wanted.clone();
        }
    }
    if let Some(home) = args.home.as_ref().filter(|h| **h != user.home) {
        flags.extend(["-d".into(), home.clone()]);
        if args.move_home {
            flags.push("-m".into());
        }
        after.home = home.clone();
    }
    let hash_now = accounts.shadow_hash(&user.name).unwrap_or("");
    let mut new_hash = None;
    match args.password_lock {
        Some(true) if !hash_now.starts_with('!') => {
            flags.push("-L".into());
            new_hash = Some(format!("!{hash_now}"));
        }
        Some(false) if hash_now.starts_with('!') => {
            flags.push("-U".into());
            new_hash = Some(hash_now.trim_start_matches('!').to_string());
        }
        _ => {}
    }
    let password = args
        .password
        .as_ref()
        .filter(|_| args.update_password == UpdatePassword::Always)
        .filter(|p| hash_now.trim_start_matches('!') != p.expose().trim_start_matches('!'));
    if let Some(password) = password {
        flags.retain(|f| f != "-L" && f != "-U");
        let lock = if args.password_lock == Some(true) {
            "!"
        } else {
            ""
        };
        flags.extend(["-p".into(), format!("{lock}{}", password.expose())]);
        new_hash = Some(format!("{lock}{}", password.expose()));
    }

    let lock_change = args
        .password_lock
        .filter(|_| flags.iter().any(|f| f == "-L" || f == "-U"));
    let mut changes = Vec::new();
    if !flags.is_empty() {
        flags.push(user.name.clone());
        let mut usermod = accounts::tool(host, "usermod", flags)?;
        usermod
            .secrets
            .extend(password.map(|p| p.expose().to_string()));
        let mut ops = vec![Op::Run(usermod)];
        ops.extend(predicted(host, accounts, &after, &member_of, new_hash)?);
        let mut before_text = describe(user, accounts, &current);
        let mut after_text = describe(&after, accounts, &member_of);
        if password.is_some() {
            after_text.push_str("password: changed\n");
        } else if let Some(lock) = lock_change {
            before_text.push_str(&format!("password: {}\n", lock_word(!lock)));
            after_text.push_str(&format!("password: {}\n", lock_word(lock)));
        }
        changes.push(Change {
            summary: format!("modify user {}", user.name),
            diff: Some(Diff {
                before_header: format!("user {}", user.name),
                after_header: format!("user {}", user.name),
                before: before_text,
                after: after_text,
            }),
            ops,
        });
    }
    if args.create_home && host.lstat(Path::new(&after.home))?.is_none() {
        let ops = super::add::home_dirs(host, accounts, &after)?
            .into_iter()
            .map(|op| match op {
                Op::Predicted(op) => *op,
                op => op,
            })
            .collect();
        changes.push(Change {
            summary: format!("create home directory {}", after.home),
            diff: Some(Diff::of_path(&after.home, "(absent)\n", "directory\n")),
            ops,
        });
    }
    Ok((changes, after))
}

/// What usermod leaves: the passwd line, the memberships, the shadow hash.
fn predicted(
    host: &Host,
    accounts: &Accounts,
    after: &PasswdEntry,
    member_of: &[String],
    new_hash: Option<String>,
) -> Result<Vec<Op>, ModuleError> {
    let mut ops = Vec::new();
    let passwd = accounts::with_line(&accounts.passwd, &after.name, Some(&after.line()));
    if passwd != accounts.passwd {
        ops.push(accounts::predicted_database(
            host,
            accounts::PASSWD,
            passwd,
        )?);
    }
    let group = accounts::with_memberships(accounts, &after.name, member_of);
    if group != accounts.group {
        ops.push(accounts::predicted_database(host, accounts::GROUP, group)?);
    }
    if let (Some(hash), Some(shadow)) = (new_hash, &accounts.shadow) {
        let updated: String = shadow
            .lines()
            .map(
                |line| match line.strip_prefix(&format!("{}:", after.name)) {
                    Some(rest) => {
                        let tail = rest.split_once(':').map_or("", |(_, tail)| tail);
                        format!("{}:{hash}:{tail}\n", after.name)
                    }
                    None => format!("{line}\n"),
                },
            )
            .collect();
        ops.push(accounts::predicted_database(
            host,
            accounts::SHADOW,
            updated,
        )?);
    }
    Ok(ops)
}

fn lock_word(locked: bool) -> &'static str {
    if locked {
        "locked"
    } else {
        "unlocked"
    }
}
