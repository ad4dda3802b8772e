//! Removing an account: `userdel` (`-f` with force, `-r` with remove), and what it is
//! predicted to leave — no passwd or shadow line, no memberships, no group of the
//! user's own (userdel removes it when login.defs says USERGROUPS_ENAB and nobody else
//! is in it), and with `remove` no home directory.

use super::{describe, memberships, Args};
use crate::accounts::{self, Accounts, PasswdEntry};
use crate::{Change, Diff, Host, ModuleError, Op};
use std::path::PathBuf;

pub(super) fn change(
    host: &Host,
    accounts: &Accounts,
    args: &Args,
    user: &PasswdEntry,
) -> Result<Change, ModuleError> {
    let mut flags = Vec::new();
    if args.force {
        flags.push("-f".to_string());
    }
    if args.remove {
        flags.push("-r".to_string());
    }
    flags.push(user.name.clone());
    let mut ops = vec![Op::Run(accounts::tool(host, "userdel", flags)?)];
    let passwd = accounts::with_line(&accounts.passwd, &user.name, None);
    ops.push(accounts::predicted_database(
        host,
        accounts::PASSWD,
        passwd,
    )?);
    if let Some(shadow) = &accounts.shadow {
        let shadow = accounts::with_line(shadow, &user.name, None);
        ops.push(accounts::predicted_database(
            host,
            accounts::SHADOW,
            shadow,
        )?);
    }
    let mut group = accounts::with_memberships(accounts, &user.name, &[]);
    let own_group = accounts.groups().find(|g| {
        g.name == user.name && g.gid == user.gid && g.members.iter().all(|m| *m == user.name)
    });
    if own_group.is_some() && accounts.login_def("USERGROUPS_ENAB") == Some("yes") {
        group = accounts::with_line(&group, &user.name, None);
        if let Some(gshadow) = &accounts.gshadow {
            let gshadow = accounts::with_line(gshadow, &user.name, None);
            ops.push(accounts::predicted_database(
                host,
                accounts::GSHADOW,
                gshadow,
            )?);
        }
    }
    if group != accounts.group {
        ops.push(accounts::predicted_database(host, accounts::GROUP, group)?);
    }
    if args.remove && !user.home.is_empty() && user.home != "/" {
        let home = PathBuf::from(&user.home);
        if host.lstat(&home)?.is_some() {
            ops.push(Op::Predicted(Box::new(Op::Remove { path: home })));
        }
    }
    Ok(Change {
        summary: format!("remove user {}", user.name),
        diff: Some(Diff {
            before_header: format!("user {}", user.name),
            after_header: format!("user {}", user.name),
            before: describe(user, accounts, &memberships(accounts, &user.name)),
            after: String::new(),
        }),
        ops,
    })
}
