//! A new account: the `useradd` command line Ansible's module builds, and what it is
//! predicted to leave — the account's numbers picked as useradd picks them, its own
//! group when login.defs says USERGROUPS_ENAB, its shadow line, its memberships and
//! its home directory.

use super::{check_groups_exist, describe, Args};
use crate::accounts::{self, Accounts, GroupEntry, IdKind, PasswdEntry};
use crate::{Change, Diff, Host, ModuleError, Op, Ownership};
use std::path::Path;

pub(super) fn change(
    host: &Host,
    accounts: &Accounts,
    args: &Args,
) -> Result<(Change, PasswdEntry), ModuleError> {
    check_groups_exist(accounts, args)?;
    let mut flags: Vec<String> = Vec::new();
    let uid = match args.uid {
        Some(uid) => {
            if let Some(other) = accounts.users().find(|u| u.uid == uid && !args.non_unique) {
                return Err(ModuleError::invalid(
                    "uid",
                    format!(
                        "uid {uid} is taken by user '{}' (non_unique allows that)",
                        other.name
                    ),
                ));
            }
            push(&mut flags, "-u", uid.to_string());
            if args.non_unique {
                flags.push("-o".into());
            }
            uid
        }
        None => {
            let range = accounts.id_range(IdKind::User, args.system, args.uid_min, args.uid_max);
            let uid = accounts.free_id(IdKind::User, &range, None);
            if args.generate_ssh_key {
                // The key files are written with this uid: useradd must use it.
                push(&mut flags, "-u", uid.to_string());
            }
            uid
        }
    };
    let mut own_group = None;
    let gid = match &args.group {
        Some(group) => {
            push(&mut flags, "-g", group.clone());
            accounts.group(group).map_or(0, |g| g.gid)
        }
        None if accounts.group(&args.name).is_some() => {
            // A group of the user's name exists already: no group of its own (-N), the
            // useradd default group instead, as Ansible's module does.
            flags.push("-N".into());
            default_gid(accounts)
        }
        None if accounts.login_def("USERGROUPS_ENAB") == Some("yes") => {
            let range = accounts.id_range(IdKind::Group, args.system, None, None);
            let gid = accounts.free_id(IdKind::Group, &range, Some(uid));
            own_group = Some(gid);
            gid
        }
        None => default_gid(accounts),
    };
    if let Some(groups) = args.groups.as_ref().filter(|g| !g.is_empty()) {
        push(&mut flags, "-G", groups.join(","));
    }
    if let Some(comment) = &args.comment {
        push(&mut flags, "-c", comment.clone());
    }
    let home = match &args.home {
        Some(home) => {
            push(&mut flags, "-d", home.clone());
            home.clone()
        }
        None => {
            let base = accounts.useradd_default("HOME").unwrap_or("/home");
            format!("{}/{}", base.trim_end_matches('/'), args.name)
        }
    };
    if let Some(shell) = &args.shell {
        push(&mut flags, "-s", shell.clone());
    }
    if let Some(password) = &args.password {
        let lock = if args.password_lock == Some(true) {
            "!"
        } else {
            ""
        };
        push(&mut flags, "-p", format!("{lock}{}", password.expose()));
    }
    for (key, value) in [("UID_MIN", args.uid_min), ("UID_MAX", args.uid_max)] {
        if let Some(value) = value {
            push(&mut flags, "-K", format!("{key}={value}"));
        }
    }
    flags.push(if args.create_home { "-m" } else { "-M" }.into());
    if args.system {
        flags.push("-r".into());
    }
    flags.push(args.name.clone());

    let entry = PasswdEntry {
        name: args.name.clone(),
        uid,
        gid,
        comment: args.comment.clone().unwrap_or_default(),
        home,
        shell: args
            .shell
            .clone()
            .or_else(|| accounts.useradd_default("SHELL").map(str::to_string))
            .unwrap_or_else(|| "/bin/bash".into()),
    };
    let mut useradd = accounts::tool(host, "useradd", flags)?;
    useradd
        .secrets
        .extend(args.password.as_ref().map(|p| p.expose().to_string()));
    let mut ops = vec![Op::Run(useradd)];
    ops.extend(predicted(host, accounts, args, &entry, own_group)?);
    let groups = args.groups.clone().unwrap_or_default();
    let mut after = describe(
        &entry,
        &predicted_accounts(accounts, &entry, own_group),
        &groups,
    );
    if args.password.is_some() {
        after.push_str("password: changed\n");
    }
    let change = Change {
        summary: format!("add user {} ({uid})", args.name),
        diff: Some(Diff {
            before_header: format!("user {}", args.name),
            after_header: format!("user {}", args.name),
            before: String::new(),
            after,
        }),
        ops,
    };
    Ok((change, entry))
}

/// The group useradd gives a user without a group of its own (/etc/default/useradd's
/// GROUP, a name or a number; 100 by default).
fn default_gid(accounts: &Accounts) -> u32 {
    let group = accounts.useradd_default("GROUP").unwrap_or("100");
    accounts
        .group(group)
        .map(|g| g.gid)
        .or_else(|| group.parse().ok())
        .unwrap_or(100)
}

/// The account's own group line, for the diff's `group:` line before it exists.
fn predicted_accounts(
    accounts: &Accounts,
    entry: &PasswdEntry,
    own_group: Option<u32>,
) -> Accounts {
    let mut predicted = accounts.clone();
    if let Some(gid) = own_group {
        predicted.group = accounts::with_line(
            &accounts.group,
            &entry.name,
            Some(&format!("{}:x:{gid}:", entry.name)),
        );
    }
    predicted
}

/// What useradd leaves: the databases and the home directory.
fn predicted(
    host: &Host,
    accounts: &Accounts,
    args: &Args,
    entry: &PasswdEntry,
    own_group: Option<u32>,
) -> Result<Vec<Op>, ModuleError> {
    let name = &entry.name;
    let passwd = accounts::with_line(&accounts.passwd, name, Some(&entry.line()));
    let mut ops = vec![accounts::predicted_database(
        host,
        accounts::PASSWD,
        passwd,
    )?];
    if let Some(shadow) = &accounts.shadow {
        let hash = args.password.as_ref().map_or("!", |p| p.expose());
        let lock = if args.password_lock == Some(true) {
            "!"
        } else {
            ""
        };
        let today = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() / 86_400);
        let def = |key| accounts.login_def(key).unwrap_or("");
        let line = format!(
            "{name}:{lock}{hash}:{today}:{}:{}:{}:::",
            def("PASS_MIN_DAYS"),
            def("PASS_MAX_DAYS"),
            def("PASS_WARN_AGE")
        );
        let shadow = accounts::with_line(shadow, name, Some(&line));
        ops.push(accounts::predicted_database(
            host,
            accounts::SHADOW,
            shadow,
        )?);
    }
    let mut group_db = accounts.clone();
    if let Some(gid) = own_group {
        let group = GroupEntry {
            name: name.clone(),
            gid,
            members: Vec::new(),
            password: if accounts.gshadow.is_some() { "x" } else { "!" }.into(),
        };
        group_db.group = accounts::with_line(&accounts.group, name, Some(&group.line()));
        if let Some(gshadow) = &accounts.gshadow {
            let gshadow = accounts::with_line(gshadow, name, Some(&format!("{name}:!::")));
            ops.push(accounts::predicted_database(
                host,
                accounts::GSHADOW,
                gshadow,
            )?);
        }
    }
    let member_of = args.groups.clone().unwrap_or_default();
    let group = accounts::with_memberships(&group_db, name, &member_of);
    if group != accounts.group {
        ops.push(accounts::predicted_database(host, accounts::GROUP, group)?);
    }
    if args.create_home && host.lstat(Path::new(&entry.home))?.is_none() {
        ops.extend(home_dirs(host, accounts, entry)?);
    }
    Ok(ops)
}

/// The home directory useradd -m makes (and the folders above it that are missing),
/// with login.defs' HOME_MODE, or the mode its UMASK leaves.
pub(super) fn home_dirs(
    host: &Host,
    accounts: &Accounts,
    entry: &PasswdEntry,
) -> Result<Vec<Op>, ModuleError> {
    let octal = |key| {
        accounts.login_def(key).and_then(|v| {
            u32::from_str_radix(v.trim_start_matches('0'), 8)
                .ok()
                .or(Some(0))
        })
    };
    let mode = octal("HOME_MODE").unwrap_or_else(|| 0o777 & !octal("UMASK").unwrap_or(0o022));
    let home = Path::new(&entry.home);
    let mut missing: Vec<&Path> = Vec::new();
    for dir in home.ancestors().skip(1) {
        if dir.as_os_str().is_empty() || host.lstat(dir)?.is_some() {
            break;
        }
        missing.push(dir);
    }
    let mut ops: Vec<Op> = missing
        .into_iter()
        .rev()
        .map(|dir| {
            Op::Predicted(Box::new(Op::Mkdir {
                path: dir.to_path_buf(),
                mode: 0o755,
                owner: Ownership::default(),
            }))
        })
        .collect();
    ops.push(Op::Predicted(Box::new(Op::Mkdir {
        path: home.to_path_buf(),
        mode,
        owner: Ownership {
            uid: Some(entry.uid),
            gid: Some(entry.gid),
        },
    })));
    Ok(ops)
}

fn push(flags: &mut Vec<String>, name: &str, value: String) {
    flags.push(name.to_string());
    flags.push(value);
}
