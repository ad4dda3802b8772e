//! The user facts (Ansible's `user` collector): who gathers — the name Python's
//! `getpass.getuser()` gives (LOGNAME, USER, LNAME, USERNAME, else the uid's name) —
//! and that user's entry in the TARGET's /etc/passwd (read through the Host, never
//! this machine's NSS), plus the process's real and effective ids, and `env`: the
//! environment of the process that gathers (this one locally, the agent's remotely,
//! as Ansible's local and ssh connections give).

use super::Facts;
use machinist_modules::Host;
use minijinja::Value;
use std::collections::BTreeMap;

/// One /etc/passwd line's fields.
#[derive(Debug, PartialEq, Eq)]
struct PasswdEntry {
    name: String,
    uid: u32,
    gid: u32,
    gecos: String,
    dir: String,
    shell: String,
}

fn parse_entry(line: &str) -> Option<PasswdEntry> {
    if line.starts_with('#') {
        return None;
    }
    let fields: Vec<&str> = line.split(':').collect();
    let [name, _, uid, gid, gecos, dir, shell] = fields.as_slice() else {
        return None;
    };
    Some(PasswdEntry {
        name: name.to_string(),
        uid: uid.trim().parse().ok()?,
        gid: gid.trim().parse().ok()?,
        gecos: gecos.to_string(),
        dir: dir.to_string(),
        shell: shell.to_string(),
    })
}

/// The entry named `name`, else the first with uid `uid` (Python's getpwnam of
/// getuser(), which falls back to the uid's name).
fn find_entry(passwd: &str, name: Option<&str>, uid: u32) -> Option<PasswdEntry> {
    let entries = || passwd.lines().filter_map(parse_entry);
    name.and_then(|name| entries().find(|entry| entry.name == name))
        .or_else(|| entries().find(|entry| entry.uid == uid))
}

/// `getpass.getuser()`'s environment variables, in its order.
fn login_name() -> Option<String> {
    ["LOGNAME", "USER", "LNAME", "USERNAME"]
        .iter()
        .find_map(|key| std::env::var(key).ok().filter(|name| !name.is_empty()))
}

/// `user_*`, `real_*`/`effective_*` ids and `env`.
pub fn add(host: &Host, facts: &mut Facts) {
    let uid = rustix::process::getuid().as_raw();
    let passwd = super::read_text(host, "/etc/passwd").unwrap_or_default();
    let named = login_name();
    let entry = find_entry(&passwd, named.as_deref(), uid);
    let user_id = named
        .or_else(|| entry.as_ref().map(|entry| entry.name.clone()))
        .unwrap_or_else(|| uid.to_string());
    facts.insert("user_id".into(), Value::from(user_id));
    if let Some(entry) = entry {
        facts.insert("user_uid".into(), Value::from(entry.uid));
        facts.insert("user_gid".into(), Value::from(entry.gid));
        facts.insert("user_gecos".into(), Value::from(entry.gecos));
        facts.insert("user_dir".into(), Value::from(entry.dir));
        facts.insert("user_shell".into(), Value::from(entry.shell));
    }
    facts.insert("real_user_id".into(), Value::from(uid));
    facts.insert(
        "effective_user_id".into(),
        Value::from(rustix::process::geteuid().as_raw()),
    );
    facts.insert(
        "real_group_id".into(),
        Value::from(rustix::process::getgid().as_raw()),
    );
    facts.insert(
        "effective_group_id".into(),
        Value::from(rustix::process::getegid().as_raw()),
    );
    let env: BTreeMap<String, Value> = std::env::vars_os()
        .map(|(key, value)| {
            (
                key.to_string_lossy().into_owned(),
                Value::from(value.to_string_lossy().into_owned()),
            )
        })
        .collect();
    facts.insert("env".into(), Value::from(env));
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0:root:/root:/bin/bash\n# comment\nbroken\n\
        alice:x:1000:1000:Alice,,,:/home/alice:/bin/zsh\nalias:x:1000:100::/:/bin/sh\n";

    #[test]
    fn finds_the_named_user_else_the_uid() {
        let alice = find_entry(PASSWD, Some("alice"), 0).expect("alice");
        assert_eq!(
            alice,
            PasswdEntry {
                name: "alice".into(),
                uid: 1000,
                gid: 1000,
                gecos: "Alice,,,".into(),
                dir: "/home/alice".into(),
                shell: "/bin/zsh".into(),
            }
        );
        let by_uid = find_entry(PASSWD, Some("nobody-here"), 0).expect("root");
        assert_eq!(
            (by_uid.name.as_str(), by_uid.shell.as_str()),
            ("root", "/bin/bash")
        );
        assert_eq!(find_entry(PASSWD, None, 4242), None);
    }
}
