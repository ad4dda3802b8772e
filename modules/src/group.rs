//! The `group` module (Ansible's `ansible.builtin.group`): a group of the target
//! present with a number, or absent — through the target's own `groupadd`,
//! `groupmod` and `groupdel` (see `accounts` for how they reach a root), never by
//! editing /etc/group by hand. The plan reads the group database through the Host,
//! and predicts the new line (its number picked as groupadd picks it) for later
//! tasks of a check run; the diff is the group's line of /etc/group.

pub mod doc;
#[cfg(test)]
mod tests;
#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) use super::tests::accounts_root;
}

use crate::accounts::{self, Accounts, GroupEntry, IdKind};
use crate::{Change, Diff, Host, Module, ModuleError, Op, Plan};
use serde::Deserialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    pub gid: Option<u32>,
    #[serde(default)]
    pub state: State,
    /// A system group (its number from SYS_GID_MIN…SYS_GID_MAX).
    #[serde(default)]
    pub system: bool,
    /// Allow a `gid` another group has.
    #[serde(default)]
    pub non_unique: bool,
    /// state=absent: remove it even if it is a user's primary group.
    #[serde(default)]
    pub force: bool,
    /// GID_MIN for this new group (groupadd -K).
    pub gid_min: Option<u32>,
    /// GID_MAX for this new group (groupadd -K).
    pub gid_max: Option<u32>,
}

pub struct GroupModule;

impl Module for GroupModule {
    type Args = Args;
    const NAME: &'static str = "group";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        accounts::check_name("name", &args.name)?;
        if args.non_unique && args.gid.is_none() {
            return Err(ModuleError::invalid("non_unique", "non_unique needs a gid"));
        }
        let accounts = Accounts::read(host)?;
        let existing = accounts.groups().find(|g| g.name == args.name);
        let plan = Plan::ok()
            .with_data("name", &args.name)
            .with_data("state", state_name(args.state));
        match (args.state, existing) {
            (State::Absent, None) => Ok(plan),
            (State::Absent, Some(group)) => {
                let change = delete(host, &accounts, args, &group)?;
                Ok(Plan {
                    changes: vec![change],
                    ..plan
                })
            }
            (State::Present, None) => {
                let (change, gid) = add(host, &accounts, args)?;
                Ok(Plan {
                    changes: vec![change],
                    ..plan
                }
                .with_data("gid", gid)
                .with_data("system", args.system))
            }
            (State::Present, Some(group)) => {
                let plan = plan.with_data("system", args.system);
                match args.gid.filter(|gid| *gid != group.gid) {
                    None => Ok(plan.with_data("gid", group.gid)),
                    Some(gid) => {
                        let change = renumber(host, &accounts, args, &group, gid)?;
                        Ok(Plan {
                            changes: vec![change],
                            ..plan
                        }
                        .with_data("gid", gid))
                    }
                }
            }
        }
    }
}

fn state_name(state: State) -> &'static str {
    match state {
        State::Present => "present",
        State::Absent => "absent",
    }
}

/// A gid another group has, unless `non_unique` allows it.
fn check_taken(accounts: &Accounts, args: &Args, gid: u32) -> Result<(), ModuleError> {
    match accounts.group_by_gid(gid) {
        Some(other) if other.name != args.name && !args.non_unique => Err(ModuleError::invalid(
            "gid",
            format!(
                "gid {gid} is taken by group '{}' (non_unique allows that)",
                other.name
            ),
        )),
        _ => Ok(()),
    }
}

fn add(host: &Host, accounts: &Accounts, args: &Args) -> Result<(Change, u32), ModuleError> {
    let mut flags = Vec::new();
    let gid = match args.gid {
        Some(gid) => {
            check_taken(accounts, args, gid)?;
            flags.extend(["-g".to_string(), gid.to_string()]);
            if args.non_unique {
                flags.push("-o".into());
            }
            gid
        }
        None => {
            let range = accounts.id_range(IdKind::Group, args.system, args.gid_min, args.gid_max);
            accounts.free_id(IdKind::Group, &range, None)
        }
    };
    if args.system {
        flags.push("-r".into());
    }
    for (key, value) in [("GID_MIN", args.gid_min), ("GID_MAX", args.gid_max)] {
        if let Some(value) = value {
            flags.extend(["-K".to_string(), format!("{key}={value}")]);
        }
    }
    flags.push(args.name.clone());
    let entry = GroupEntry {
        name: args.name.clone(),
        gid,
        members: Vec::new(),
        // groupadd writes `x` with or without a gshadow (useradd's own group gets `!`
        // without one).
        password: "x".into(),
    };
    let after = accounts::with_line(&accounts.group, &args.name, Some(&entry.line()));
    let mut ops = vec![
        Op::Run(accounts::tool(host, "groupadd", flags)?),
        accounts::predicted_database(host, accounts::GROUP, after)?,
    ];
    if let Some(gshadow) = &accounts.gshadow {
        let line = format!("{}:!::", args.name);
        let after = accounts::with_line(gshadow, &args.name, Some(&line));
        ops.push(accounts::predicted_database(
            host,
            accounts::GSHADOW,
            after,
        )?);
    }
    let change = Change {
        summary: format!("add group {} ({gid})", args.name),
        diff: Some(Diff::of_path(
            accounts::GROUP,
            "",
            format!("{}\n", entry.line()),
        )),
        ops,
    };
    Ok((change, gid))
}

fn renumber(
    host: &Host,
    accounts: &Accounts,
    args: &Args,
    group: &GroupEntry,
    gid: u32,
) -> Result<Change, ModuleError> {
    check_taken(accounts, args, gid)?;
    let mut flags = vec!["-g".to_string(), gid.to_string()];
    if args.non_unique {
        flags.push("-o".into());
    }
    flags.push(args.name.clone());
    let after = GroupEntry {
        gid,
        ..group.clone()
    };
    let database = accounts::with_line(&accounts.group, &args.name, Some(&after.line()));
    let mut ops = vec![
        Op::Run(accounts::tool(host, "groupmod", flags)?),
        accounts::predicted_database(host, accounts::GROUP, database)?,
    ];
    // groupmod moves the users whose primary group it is along.
    let passwd = accounts.users().filter(|user| user.gid == group.gid).fold(
        accounts.passwd.clone(),
        |passwd, mut user| {
            user.gid = gid;
            accounts::with_line(&passwd, &user.name.clone(), Some(&user.line()))
        },
    );
    if passwd != accounts.passwd {
        ops.push(accounts::predicted_database(
            host,
            accounts::PASSWD,
            passwd,
        )?);
    }
    Ok(Change {
        summary: format!("group {}: gid {} -> {gid}", args.name, group.gid),
        diff: Some(Diff::of_path(
            accounts::GROUP,
            format!("{}\n", group.line()),
            format!("{}\n", after.line()),
        )),
        ops,
    })
}

fn delete(
    host: &Host,
    accounts: &Accounts,
    args: &Args,
    group: &GroupEntry,
) -> Result<Change, ModuleError> {
    let primary_of = accounts.users().find(|user| user.gid == group.gid);
    if let (Some(user), false) = (&primary_of, args.force) {
        return Err(ModuleError::Failed(format!(
            "cannot remove group '{}': it is the primary group of user '{}' (force: true \
             removes it anyway)",
            args.name, user.name
        )));
    }
    let mut flags = Vec::new();
    if args.force {
        flags.push("-f".to_string());
    }
    flags.push(args.name.clone());
    let mut ops = vec![
        Op::Run(accounts::tool(host, "groupdel", flags)?),
        accounts::predicted_database(
            host,
            accounts::GROUP,
            accounts::with_line(&accounts.group, &args.name, None),
        )?,
    ];
    if let Some(gshadow) = &accounts.gshadow {
        let after = accounts::with_line(gshadow, &args.name, None);
        ops.push(accounts::predicted_database(
            host,
            accounts::GSHADOW,
            after,
        )?);
    }
    Ok(Change {
        summary: format!("remove group {}", args.name),
        diff: Some(Diff::of_path(
            accounts::GROUP,
            format!("{}\n", group.line()),
            "",
        )),
        ops,
    })
}
