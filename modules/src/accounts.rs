//! What the `user` and `group` modules share: the target's account databases
//! (/etc/passwd, /etc/group, /etc/shadow, /etc/gshadow) and its shadow settings
//! (/etc/login.defs, /etc/default/useradd) read through the Host, so check mode sees
//! what earlier tasks predicted; the shadow tools (`groupadd`, `useradd`, …) that make
//! every change, with `--root ROOT` on an offline root (they chroot(2) there before
//! reading anything, so the root's own login.defs apply and its links lead nowhere
//! else) or directly on the machine's own `/`; and the databases as a tool will leave
//! them, recorded as `Op::Predicted` for later plans of a check run.

mod ids;

pub use ids::{IdKind, IdRange};

use crate::{Host, ModuleError, Op, Ownership, Place, RunSpec};
use std::path::{Path, PathBuf};

pub const PASSWD: &str = "/etc/passwd";
pub const GROUP: &str = "/etc/group";
pub const SHADOW: &str = "/etc/shadow";
pub const GSHADOW: &str = "/etc/gshadow";

/// One line of /etc/passwd.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasswdEntry {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
    pub comment: String,
    pub home: String,
    pub shell: String,
}

impl PasswdEntry {
    pub fn line(&self) -> String {
        format!(
            "{}:x:{}:{}:{}:{}:{}",
            self.name, self.uid, self.gid, self.comment, self.home, self.shell
        )
    }
}

/// One line of /etc/group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupEntry {
    pub name: String,
    pub gid: u32,
    pub members: Vec<String>,
    /// The second field, as written (`x`, or `!` without a gshadow).
    pub password: String,
}

impl GroupEntry {
    pub fn line(&self) -> String {
        format!(
            "{}:{}:{}:{}",
            self.name,
            self.password,
            self.gid,
            self.members.join(",")
        )
    }
}

/// The target's account databases and shadow settings, as the Host sees them now.
#[derive(Debug, Clone, Default)]
pub struct Accounts {
    pub passwd: String,
    pub group: String,
    pub shadow: Option<String>,
    pub gshadow: Option<String>,
    /// /etc/login.defs (`KEY VALUE` lines).
    login_defs: String,
    /// /etc/default/useradd (`KEY=VALUE` lines).
    useradd_defaults: String,
}

impl Accounts {
    pub fn read(host: &Host) -> Result<Accounts, ModuleError> {
        let text = |path: &str| -> Result<Option<String>, ModuleError> {
            Ok(host
                .read_file(Path::new(path))?
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned()))
        };
        Ok(Accounts {
            passwd: text(PASSWD)?.unwrap_or_default(),
            group: text(GROUP)?.unwrap_or_default(),
            shadow: text(SHADOW)?,
            gshadow: text(GSHADOW)?,
            login_defs: text("/etc/login.defs")?.unwrap_or_default(),
            useradd_defaults: text("/etc/default/useradd")?.unwrap_or_default(),
        })
    }

    pub fn users(&self) -> impl Iterator<Item = PasswdEntry> + '_ {
        records(&self.passwd).filter_map(|fields| {
            Some(PasswdEntry {
                name: fields.first()?.to_string(),
                uid: fields.get(2)?.parse().ok()?,
                gid: fields.get(3)?.parse().ok()?,
                comment: fields.get(4).unwrap_or(&"").to_string(),
                home: fields.get(5).unwrap_or(&"").to_string(),
                shell: fields.get(6).unwrap_or(&"").to_string(),
            })
        })
    }

    pub fn groups(&self) -> impl Iterator<Item = GroupEntry> + '_ {
        records(&self.group).filter_map(|fields| {
            Some(GroupEntry {
                name: fields.first()?.to_string(),
                password: fields.get(1).unwrap_or(&"x").to_string(),
                gid: fields.get(2)?.parse().ok()?,
                members: fields
                    .get(3)
                    .unwrap_or(&"")
                    .split(',')
                    .filter(|member| !member.is_empty())
                    .map(str::to_string)
                    .collect(),
            })
        })
    }

    pub fn user(&self, name: &str) -> Option<PasswdEntry> {
        self.users().find(|user| user.name == name)
    }

    /// A group by name, or by number when `name_or_gid` is all digits and no group
    /// has it as a name (the shadow tools' rule).
    pub fn group(&self, name_or_gid: &str) -> Option<GroupEntry> {
        self.groups()
            .find(|group| group.name == name_or_gid)
            .or_else(|| {
                let gid: u32 = name_or_gid.parse().ok()?;
                self.group_by_gid(gid)
            })
    }

    pub fn group_by_gid(&self, gid: u32) -> Option<GroupEntry> {
        self.groups().find(|group| group.gid == gid)
    }

    /// The crypt(3) hash of `name` in /etc/shadow (`!`-locked ones as written).
    pub fn shadow_hash(&self, name: &str) -> Option<&str> {
        self.shadow
            .as_deref()?
            .lines()
            .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
            .and_then(|rest| rest.split(':').next())
    }

    /// A `KEY VALUE` setting of /etc/login.defs.
    pub fn login_def(&self, key: &str) -> Option<&str> {
        self.login_defs.lines().find_map(|line| {
            let mut words = line.split_whitespace();
            (words.next() == Some(key)).then(|| words.next()).flatten()
        })
    }

    /// A `KEY=VALUE` setting of /etc/default/useradd.
    pub fn useradd_default(&self, key: &str) -> Option<&str> {
        self.useradd_defaults.lines().find_map(|line| {
            let (k, v) = line.split_once('=')?;
            (k.trim() == key).then(|| v.trim())
        })
    }

    /// The number useradd/groupadd would pick for a new account of this kind.
    pub fn free_id(&self, kind: IdKind, range: &IdRange, preferred: Option<u32>) -> u32 {
        let used: Vec<u32> = match kind {
            IdKind::User => self.users().map(|u| u.uid).collect(),
            IdKind::Group => self.groups().map(|g| g.gid).collect(),
        };
        ids::pick(&used, range, preferred)
    }

    /// The ranges login.defs sets for a kind of id, `-K` overrides applied.
    pub fn id_range(
        &self,
        kind: IdKind,
        system: bool,
        min: Option<u32>,
        max: Option<u32>,
    ) -> IdRange {
        IdRange::from_defs(kind, system, |key| self.login_def(key), min, max)
    }
}

/// The `:`-separated fields of each non-comment line.
fn records(database: &str) -> impl Iterator<Item = Vec<&str>> {
    database
        .lines()
        .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
        .map(|line| line.split(':').collect())
}

/// `database` with the line of `name` replaced by `line` (appended if there is none),
/// or removed when `line` is `None`.
pub fn with_line(database: &str, name: &str, line: Option<&str>) -> String {
    let mut out = String::with_capacity(database.len() + 64);
    let mut replaced = false;
    for existing in database.lines() {
        let is_it = existing.split(':').next() == Some(name);
        if !is_it {
            out.push_str(existing);
            out.push('\n');
        } else if let Some(line) = line.filter(|_| !replaced) {
            out.push_str(line);
            out.push('\n');
            replaced = true;
        }
    }
    if let (Some(line), false) = (line, replaced) {
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// /etc/group with `user` a member of exactly the groups in `member_of` (by name)
/// among `touched`, the others left as they are.
pub fn with_memberships(accounts: &Accounts, user: &str, member_of: &[String]) -> String {
    let mut database = accounts.group.clone();
    for mut group in accounts.groups() {
        let is_member = group.members.iter().any(|m| m == user);
        let wanted = member_of.contains(&group.name);
        if is_member == wanted {
            continue;
        }
        if wanted {
            group.members.push(user.to_string());
        } else {
            group.members.retain(|m| m != user);
        }
        database = with_line(&database, &group.name, Some(&group.line()));
    }
    database
}

/// A shadow tool run on the target: `PROGRAM --root ROOT ARGS…` from the controller
/// on an offline root, `PROGRAM ARGS…` on the machine's own `/`.
pub fn tool(host: &Host, program: &str, args: Vec<String>) -> Result<RunSpec, ModuleError> {
    let mut argv = vec![program.to_string()];
    let place = if host.is_offline() {
        // Jailed (host/jail.rs): the tool reaches the root only at its tool root.
        argv.push("--root".into());
        argv.push(host.tool_root().display().to_string());
        Place::Controller
    } else {
        Place::Target
    };
    argv.extend(args);
    Ok(RunSpec {
        argv,
        place,
        ..RunSpec::default()
    })
}

/// A database as the tool is predicted to leave it, for later plans of a check run
/// (a real run skips it): its mode and owner kept, or the tools' defaults.
pub fn predicted_database(host: &Host, path: &str, content: String) -> Result<Op, ModuleError> {
    let meta = host.stat(Path::new(path))?;
    let secret = path == SHADOW || path == GSHADOW;
    let mode = meta
        .as_ref()
        .map_or(if secret { 0o600 } else { 0o644 }, |m| m.mode);
    let owner = Ownership {
        uid: meta.as_ref().map(|m| m.uid),
        gid: meta.as_ref().map(|m| m.gid),
    };
    Ok(Op::Predicted(Box::new(Op::WriteFile {
        path: PathBuf::from(path),
        content: content.into_bytes(),
        mode,
        owner,
    })))
}

/// Refuse names the shadow tools would take apart or put in a field of their own.
pub fn check_name(field: &str, name: &str) -> Result<(), ModuleError> {
    let bad = name.is_empty()
        || name.starts_with('-')
        || name
            .chars()
            .any(|c| c == ':' || c == ',' || c.is_whitespace() || c.is_control() || c == '/');
    if bad {
        return Err(ModuleError::invalid(
            field,
            format!("'{name}' is not a valid account name"),
        ));
    }
    Ok(())
}

/// Refuse text that would break a field of /etc/passwd.
pub fn check_field(field: &str, value: &str) -> Result<(), ModuleError> {
    if value.contains([':', '\n']) {
        return Err(ModuleError::invalid(
            field,
            format!("{field} may not contain ':' or a newline"),
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accounts() -> Accounts {
        Accounts {
            passwd:
                "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000:Alice:/home/alice:/bin/sh\n"
                    .into(),
            group: "root:x:0:\nwheel:x:998:alice,bob\nalice:x:1000:\n".into(),
            shadow: Some("root:*:1::::::\nalice:$6$s$h:19000:0:99999:7:::\n".into()),
            gshadow: None,
            login_defs: "# c\nUID_MIN   2000\nUSERGROUPS_ENAB yes\n".into(),
            useradd_defaults: "SHELL=/bin/zsh\n".into(),
        }
    }

    #[test]
    fn reads_entries_hashes_and_settings() {
        let a = accounts();
        assert_eq!(a.user("alice").map(|u| u.home), Some("/home/alice".into()));
        assert_eq!(
            a.group("wheel").map(|g| g.members),
            Some(vec!["alice".into(), "bob".into()])
        );
        assert_eq!(a.group("998").map(|g| g.name), Some("wheel".into()));
        assert_eq!(a.shadow_hash("alice"), Some("$6$s$h"));
        assert_eq!(a.shadow_hash("ali"), None);
        assert_eq!(a.login_def("UID_MIN"), Some("2000"));
        assert_eq!(a.useradd_default("SHELL"), Some("/bin/zsh"));
    }

    #[test]
    fn lines_are_replaced_appended_and_removed() {
        let db = "a:1\nb:2\n";
        assert_eq!(with_line(db, "b", Some("b:3")), "a:1\nb:3\n");
        assert_eq!(with_line(db, "c", Some("c:4")), "a:1\nb:2\nc:4\n");
        assert_eq!(with_line(db, "a", None), "b:2\n");
    }

    #[test]
    fn memberships_follow_the_wanted_list() {
        let a = accounts();
        let after = with_memberships(&a, "alice", &["root".into()]);
        assert_eq!(after, "root:x:0:alice\nwheel:x:998:bob\nalice:x:1000:\n");
    }

    #[test]
    fn hostile_names_are_refused() {
        for bad in ["", "-r", "a:b", "a b", "a,b", "../x", "a\nb"] {
            assert!(check_name("name", bad).is_err(), "{bad:?}");
        }
        assert!(check_name("name", "svc-user_1.x$").is_ok());
    }
}
