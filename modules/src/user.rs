//! The `user` module (Ansible's `ansible.builtin.user`): an account of the target —
//! its uid, primary and supplementary groups, shell, home, comment and password hash
//! — present or absent, through the target's own `useradd`, `usermod` and `userdel`
//! (see `accounts` for how they reach a root), never by editing /etc/passwd by hand,
//! so the target's login.defs and /etc/default/useradd apply.
//!
//! The plan compares the databases read through the Host with the arguments, as
//! Ansible's module does, and predicts what the tool leaves (ids picked as the tools
//! pick them) for later tasks of a check run. The diff shows the account's fields; a
//! password shows only as `password: changed` (and the runner masks the argument's
//! value everywhere, as it is a secret argument).

mod add;
pub mod doc;
mod modify;
mod remove;
mod ssh_key;
#[cfg(test)]
mod tests;

use crate::accounts::{self, Accounts, PasswdEntry};
use crate::firstboot::Secret;
use crate::{Host, Module, ModuleError, Plan};
use serde::{Deserialize, Deserializer};

/// The arguments whose values are secrets.
pub const SECRET_ARGS: &[&str] = &["password", "ssh_key_passphrase"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UpdatePassword {
    #[default]
    Always,
    OnCreate,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(alias = "user")]
    pub name: String,
    pub uid: Option<u32>,
    /// The primary group (name or number); it must exist.
    pub group: Option<String>,
    /// Supplementary groups: a list or a comma-separated string; `''` means none.
    #[serde(default, deserialize_with = "group_list")]
    pub groups: Option<Vec<String>>,
    /// Add to `groups` instead of setting exactly them.
    #[serde(default)]
    pub append: bool,
    pub shell: Option<String>,
    pub home: Option<String>,
    #[serde(default = "yes", alias = "createhome")]
    pub create_home: bool,
    /// With a changed `home`: move the old one's content there (usermod -m).
    #[serde(default)]
    pub move_home: bool,
    #[serde(default)]
    pub system: bool,
    /// A crypt(3) hash, as /etc/shadow holds it.
    pub password: Option<Secret>,
    #[serde(default)]
    pub update_password: UpdatePassword,
    /// Lock (`true`) or unlock (`false`) the password.
    pub password_lock: Option<bool>,
    pub comment: Option<String>,
    #[serde(default)]
    pub state: State,
    /// state=absent: remove the home directory and mail spool too (userdel -r).
    #[serde(default)]
    pub remove: bool,
    /// state=absent: userdel -f.
    #[serde(default)]
    pub force: bool,
    /// Allow a uid another user has (needs uid).
    #[serde(default)]
    pub non_unique: bool,
    /// UID_MIN for a new user (useradd -K).
    pub uid_min: Option<u32>,
    /// UID_MAX for a new user (useradd -K).
    pub uid_max: Option<u32>,
    /// Make an SSH key pair for the account when its key file is missing.
    #[serde(default)]
    pub generate_ssh_key: bool,
    #[serde(default = "rsa")]
    pub ssh_key_type: String,
    pub ssh_key_bits: Option<u32>,
    /// Relative to the home directory (default `.ssh/id_TYPE`).
    pub ssh_key_file: Option<String>,
    /// Default `ansible-generated on HOSTNAME` (the target's name).
    pub ssh_key_comment: Option<String>,
    pub ssh_key_passphrase: Option<Secret>,
}

fn rsa() -> String {
    "rsa".into()
}

fn yes() -> bool {
    true
}

/// A list of names, or Ansible's comma-separated string of them.
fn group_list<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Groups {
        Text(String),
        List(Vec<String>),
    }
    let names = match Option::<Groups>::deserialize(deserializer)? {
        None => return Ok(None),
        Some(Groups::Text(text)) => text.split(',').map(str::to_string).collect(),
        Some(Groups::List(list)) => list,
    };
    let mut unique: Vec<String> = Vec::new();
    for name in names.iter().map(|n| n.trim()).filter(|n| !n.is_empty()) {
        if !unique.iter().any(|u| u == name) {
            unique.push(name.to_string());
        }
    }
    Ok(Some(unique))
}

pub struct UserModule;

impl Module for UserModule {
    type Args = Args;
    const NAME: &'static str = "user";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        check_args(args)?;
        let accounts = Accounts::read(host)?;
        let existing = accounts.user(&args.name);
        let plan = Plan::ok().with_data("name", &args.name).with_data(
            "state",
            match args.state {
                State::Present => "present",
                State::Absent => "absent",
            },
        );
        let (plan, entry) = match (args.state, existing) {
            (State::Absent, None) => return Ok(plan),
            (State::Absent, Some(user)) => {
                let change = remove::change(host, &accounts, args, &user)?;
                let plan = Plan {
                    changes: vec![change],
                    ..plan
                };
                return Ok(plan
                    .with_data("force", args.force)
                    .with_data("remove", args.remove));
            }
            (State::Present, None) => {
                let (change, entry) = add::change(host, &accounts, args)?;
                let plan =
                    present_data(plan, args, &entry).with_data("create_home", args.create_home);
                (
                    Plan {
                        changes: vec![change],
                        ..plan
                    },
                    entry,
                )
            }
            (State::Present, Some(user)) => {
                let (changes, entry) = modify::changes(host, &accounts, args, &user)?;
                (
                    Plan {
                        changes,
                        ..present_data(plan, args, &entry)
                    },
                    entry,
                )
            }
        };
        if !args.generate_ssh_key {
            return Ok(plan);
        }
        let (change, key) = ssh_key::change(host, args, &entry)?;
        let mut plan = plan
            .with_data("ssh_fingerprint", key.fingerprint)
            .with_data("ssh_key_file", key.file)
            .with_data("ssh_public_key", key.public_key);
        plan.changes.extend(change);
        Ok(plan)
    }
}

/// Ansible's result keys for a present account (its fields as they will be).
fn present_data(plan: Plan, args: &Args, entry: &PasswdEntry) -> Plan {
    let mut plan = plan
        .with_data("uid", entry.uid)
        .with_data("group", entry.gid)
        .with_data("comment", &entry.comment)
        .with_data("home", &entry.home)
        .with_data("shell", &entry.shell)
        .with_data("system", args.system)
        .with_data("append", args.append)
        .with_data("move_home", args.move_home);
    if let Some(groups) = &args.groups {
        plan = plan.with_data("groups", groups.join(","));
    }
    if args.password.is_some() {
        plan = plan.with_data("password", "NOT_LOGGING_PASSWORD");
    }
    plan
}

fn check_args(args: &Args) -> Result<(), ModuleError> {
    accounts::check_name("name", &args.name)?;
    if args.non_unique && args.uid.is_none() {
        return Err(ModuleError::invalid("non_unique", "non_unique needs a uid"));
    }
    for (field, value) in [
        ("comment", &args.comment),
        ("home", &args.home),
        ("shell", &args.shell),
        ("group", &args.group),
    ] {
        if let Some(value) = value {
            accounts::check_field(field, value)?;
        }
    }
    if let Some(password) = &args.password {
        if password.expose().contains([':', '\n']) {
            return Err(ModuleError::invalid(
                "password",
                "password must be a crypt(3) hash (no ':' or newline; the value is not shown)",
            ));
        }
    }
    for group in args.groups.iter().flatten() {
        accounts::check_name("groups", group)?;
    }
    Ok(())
}

/// Refuse a `group` or `groups` that the target does not have, as Ansible says it.
fn check_groups_exist(accounts: &Accounts, args: &Args) -> Result<(), ModuleError> {
    let missing = args
        .group
        .iter()
        .map(|g| ("group", g))
        .chain(args.groups.iter().flatten().map(|g| ("groups", g)))
        .find(|(_, name)| accounts.group(name).is_none());
    match missing {
        Some((field, name)) => Err(ModuleError::invalid(
            field,
            format!("Group {name} does not exist"),
        )),
        None => Ok(()),
    }
}

/// The account's fields as lines for the diff (`uid: 1000`, …).
fn describe(entry: &PasswdEntry, accounts: &Accounts, groups: &[String]) -> String {
    let group = accounts.group_by_gid(entry.gid).map_or_else(
        || entry.gid.to_string(),
        |g| format!("{} ({})", g.name, entry.gid),
    );
    format!(
        "uid: {}\ngroup: {group}\ngroups: {}\ncomment: {}\nhome: {}\nshell: {}\n",
        entry.uid,
        groups.join(","),
        entry.comment,
        entry.home,
        entry.shell
    )
}

/// The groups listing `user` as a member, in the database's order.
fn memberships(accounts: &Accounts, user: &str) -> Vec<String> {
    accounts
        .groups()
        .filter(|g| g.members.iter().any(|m| m == user))
        .map(|g| g.name)
        .collect()
}
