//! `user` and `group` compared with the real ansible-core (the pinned venv), live: the
//! same playbooks run by ansible-playbook in a private mount namespace where copies of
//! this machine's /etc and an empty /home are bound over the real ones (so its
//! useradd and groupadd change only the copies), and by machinist with `--root` on a
//! root holding another copy of the same /etc. For `--check --diff`, a first and a
//! second run: machinist's statuses equal ansible-core's (its `--check` equals
//! ansible-core's first run: machinist's check mode sees what earlier tasks would
//! have done, see docs/ansible-differences.md), and the accounts' lines in passwd,
//! group and shadow end up the same.
//!
//! Why live rather than goldens: the goldens' corpus runs below a temp directory of
//! `/`, and Ansible's user module has no root to point at; these runs change account
//! databases, so they need a throwaway copy on both sides, made fresh each time.
//! Without the venv the test says so and passes, except in CI.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

const HASH: &str =
    "$6$saltsalt$0nmDRXWmakHIVo3Gx2NP9Rpw7sKjwzcV/Zuygtl5Q5u.ScqYA7GQ4PvExyN9JKIwnIYQQjbGvNFNv/0nBBXGe.";

fn venv_playbook() -> Option<PathBuf> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/ansible-venv");
    let found = Command::new("bash")
        .arg(&script)
        .output()
        .ok()
        .filter(|out| out.status.success())
        .map(|out| PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
    if found.is_none() && std::env::var_os("CI").is_some() {
        panic!("CI needs ansible-core (scripts/ansible-venv failed)");
    }
    found
}

/// A fresh copy of this machine's /etc and an empty home, below `dir`.
fn etc_copy(dir: &Path) {
    std::fs::create_dir_all(dir.join("home")).expect("home");
    let copied = Command::new("cp")
        .args(["-a", "/etc/."])
        .arg(dir.join("etc"))
        .status()
        .expect("cp /etc");
    assert!(copied.success(), "cp -a /etc failed");
}

/// The statuses of the task result lines of a default-callback or human output.
fn statuses(output: &str) -> Vec<String> {
    output
        .lines()
        .filter_map(|line| {
            let word = line.split(": [localhost]").next()?;
            ["ok", "changed", "fatal", "skipping", "failed"]
                .contains(&word)
                .then(|| {
                    word.replace("fatal", "failed")
                        .replace("skipping", "skipped")
                })
        })
        .collect()
}

fn ansible(playbook: &Path, scratch: &Path, yml: &Path, args: &[&str]) -> Vec<String> {
    let venv_bin = playbook.parent().expect("venv bin");
    let script = format!(
        "mount --bind {dir}/etc /etc && mount --bind {dir}/home /home && exec \"$@\"",
        dir = scratch.display()
    );
    let output = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "sh",
            "-c",
            &script,
            "sh",
        ])
        .arg(playbook)
        .args(["-i", "localhost,", "-c", "local"])
        .arg(yml)
        .args(args)
        .env("ANSIBLE_PYTHON_INTERPRETER", venv_bin.join("python"))
        .env("ANSIBLE_HOME", scratch.join("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", scratch.join("ansible-local"))
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "0")
        .env("ANSIBLE_DEPRECATION_WARNINGS", "0")
        .output()
        .expect("ansible-playbook");
    statuses(&String::from_utf8_lossy(&output.stdout))
}

fn machinist(test: &common::Test, args: &[&str]) -> Vec<String> {
    let run = test.run(args);
    statuses(&run.stdout)
}

/// The lines of the accounts the playbooks name (`mdiff*`), shadow's hash only.
fn accounts(etc: &Path) -> Vec<String> {
    let mut lines = Vec::new();
    for file in ["passwd", "group", "shadow"] {
        let text = std::fs::read_to_string(etc.join(file)).expect(file);
        for line in text.lines() {
            let mine =
                line.starts_with("mdiff") || line.contains(":mdiff") || line.contains(",mdiff");
            if !mine {
                continue;
            }
            let shown = match file {
                "shadow" => line.split(':').take(2).collect::<Vec<_>>().join(":"),
                _ => line.to_string(),
            };
            lines.push(format!("{file}: {shown}"));
        }
    }
    lines
}

fn compare(playbooks: &[String]) {
    let Some(playbook) = venv_playbook() else {
        eprintln!("SKIPPED accounts_vs_ansible: no ansible-core venv (scripts/ansible-venv)");
        return;
    };
    let scratch = tempfile::Builder::new()
        .prefix("machinist-accounts-ansible")
        .tempdir()
        .expect("scratch");
    etc_copy(scratch.path());
    let test = common::Test::new();
    etc_copy(&test.root());
    for (at, yml) in playbooks.iter().enumerate() {
        let file = scratch.path().join(format!("case{at}.yml"));
        std::fs::write(&file, yml).expect("playbook");
        test.playbook(yml);
        let theirs: Vec<Vec<String>> = [&["--check", "--diff"][..], &[], &[]]
            .iter()
            .map(|args| ansible(&playbook, scratch.path(), &file, args))
            .collect();
        let ours: Vec<Vec<String>> = [&["--check", "--diff"][..], &[], &[]]
            .iter()
            .map(|args| machinist(&test, args))
            .collect();
        assert!(
            !theirs[1].is_empty(),
            "ansible-core ran nothing for:\n{yml}"
        );
        assert_eq!(
            ours[0], theirs[1],
            "--check against ansible-core's run:\n{yml}"
        );
        assert_eq!(ours[1], theirs[1], "first run:\n{yml}");
        assert_eq!(ours[2], theirs[2], "second run:\n{yml}");
        assert_eq!(
            accounts(&test.root().join("etc")),
            accounts(&scratch.path().join("etc")),
            "the accounts differ after:\n{yml}"
        );
    }
}

#[test]
fn user_and_group_do_what_ansible_core_does() {
    let create = format!(
        "- hosts: localhost
  gather_facts: false
  tasks:
    - group: {{name: mdiffweb, gid: 2345}}
    - group: {{name: mdiffsys, system: true}}
    - user:
        name: mdiffalice
        groups: [mdiffweb, users]
        shell: /bin/sh
        comment: Alice
        password: \"{HASH}\"
    - user: {{name: mdiffbob, group: users, create_home: false, system: true}}
    - user: {{name: mdiffalice, groups: mdiffweb, append: true}}
    - user: {{name: mdiffalice, password: \"$6$other$x\", update_password: on_create}}
    - group: {{name: mdiffgone, state: absent}}
    - user: {{name: mdiffnobody, state: absent}}
"
    );
    let change = "- hosts: localhost
  gather_facts: false
  tasks:
    - user: {name: mdiffalice, groups: [mdiffsys], shell: /bin/bash, uid: 3456}
    - group: {name: mdiffweb, gid: 2346}
    - user: {name: mdiffbob, state: absent}
"
    .to_string();
    let remove = "- hosts: localhost
  gather_facts: false
  tasks:
    - user: {name: mdiffalice, state: absent, remove: true}
    - group: {name: mdiffweb, state: absent}
    - group: {name: mdiffsys, state: absent}
"
    .to_string();
    compare(&[create, change, remove]);
}
