//! Tests of the `user` module against temp roots with the real useradd, usermod and
//! userdel (`--root`): created, modified and removed once and then ok, check mode
//! predicting the databases for the next plan, Ansible's group rules, and the
//! password never in a diff.

use super::*;
use crate::test_support::{plan_with, three_checks, Sandbox, TestResult};
use crate::Op;
use serde_json::json;

use crate::group::tests_support::accounts_root;

const HASH: &str = "$6$saltsalt$0nmDRXWmakHIVo3Gx2NP9Rpw7sKjwzcV/Zuygtl5Q5u.ScqYA7GQ4PvExyN9JKIwnIYQQjbGvNFNv/0nBBXGe.";

fn line(sandbox: &Sandbox, file: &str, name: &str) -> Option<String> {
    let text = std::fs::read_to_string(sandbox.real(file)).ok()?;
    text.lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .map(str::to_string)
}

fn with_wheel(sandbox: &Sandbox) -> TestResult {
    accounts_root(sandbox)?;
    std::fs::write(
        sandbox.real("/etc/group"),
        "root:x:0:\nusers:x:100:\nwheel:x:998:\n",
    )?;
    std::fs::write(
        sandbox.real("/etc/gshadow"),
        "root:*::\nusers:*::\nwheel:!::\n",
    )?;
    Ok(())
}

#[test]
fn a_new_user_with_its_group_home_and_password() -> TestResult {
    let (sandbox, first) = three_checks(
        &UserModule,
        with_wheel,
        json!({"name": "alice", "groups": "wheel", "shell": "/bin/sh", "password": HASH, "comment": "Alice"}),
    )?;
    assert_eq!(
        line(&sandbox, "/etc/passwd", "alice").as_deref(),
        Some("alice:x:1000:1000:Alice:/home/alice:/bin/sh")
    );
    assert_eq!(
        line(&sandbox, "/etc/group", "alice").as_deref(),
        Some("alice:x:1000:")
    );
    assert_eq!(
        line(&sandbox, "/etc/group", "wheel").as_deref(),
        Some("wheel:x:998:alice")
    );
    let shadow = line(&sandbox, "/etc/shadow", "alice").unwrap_or_default();
    assert!(shadow.starts_with(&format!("alice:{HASH}:")), "{shadow}");
    let home = std::fs::metadata(sandbox.real("/home/alice"))?;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    assert_eq!(
        (home.uid(), home.permissions().mode() & 0o7777),
        (1000, 0o700)
    );
    let diff = first.changes[0]
        .diff
        .as_ref()
        .map(|d| d.after.clone())
        .unwrap_or_default();
    assert!(
        diff.contains("password: changed") && !diff.contains(HASH),
        "{diff}"
    );
    assert_eq!(
        first.data.get("password"),
        Some(&json!("NOT_LOGGING_PASSWORD"))
    );
    assert_eq!(first.data.get("uid"), Some(&json!(1000)));
    Ok(())
}

fn with_alice(sandbox: &Sandbox) -> TestResult {
    with_wheel(sandbox)?;
    std::fs::write(
        sandbox.real("/etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\nalice:x:1000:1000::/home/alice:/bin/bash\n",
    )?;
    std::fs::write(
        sandbox.real("/etc/group"),
        "root:x:0:\nusers:x:100:alice\nwheel:x:998:\nalice:x:1000:\n",
    )?;
    std::fs::write(
        sandbox.real("/etc/shadow"),
        "root:*:19000:0:99999:7:::\nalice:!:19000:0:99999:7:::\n",
    )?;
    std::fs::write(
        sandbox.real("/etc/gshadow"),
        "root:*::\nusers:*::alice\nwheel:!::\nalice:!::\n",
    )?;
    std::fs::create_dir_all(sandbox.real("/home/alice"))?;
    std::os::unix::fs::chown(sandbox.real("/home/alice"), Some(1000), Some(1000))?;
    Ok(())
}

#[test]
fn groups_are_appended_or_set_exactly() -> TestResult {
    let (sandbox, _) = three_checks(
        &UserModule,
        with_alice,
        json!({"name": "alice", "groups": ["wheel"], "append": true}),
    )?;
    assert_eq!(
        line(&sandbox, "/etc/group", "users").as_deref(),
        Some("users:x:100:alice")
    );
    assert_eq!(
        line(&sandbox, "/etc/group", "wheel").as_deref(),
        Some("wheel:x:998:alice")
    );
    let (sandbox, first) = three_checks(
        &UserModule,
        with_alice,
        json!({"name": "alice", "groups": ["wheel"], "shell": "/bin/zsh"}),
    )?;
    assert_eq!(
        line(&sandbox, "/etc/group", "users").as_deref(),
        Some("users:x:100:")
    );
    assert_eq!(
        line(&sandbox, "/etc/group", "wheel").as_deref(),
        Some("wheel:x:998:alice")
    );
    let diff = first.changes[0]
        .diff
        .as_ref()
        .map(|d| (d.before.clone(), d.after.clone()));
    let (before, after) = diff.unwrap_or_default();
    assert!(before.contains("groups: users\n") && before.contains("shell: /bin/bash\n"));
    assert!(after.contains("groups: wheel\n") && after.contains("shell: /bin/zsh\n"));
    Ok(())
}

#[test]
fn passwords_follow_update_password() -> TestResult {
    let (sandbox, _) = three_checks(
        &UserModule,
        with_alice,
        json!({"name": "alice", "password": HASH}),
    )?;
    let shadow = line(&sandbox, "/etc/shadow", "alice").unwrap_or_default();
    assert!(shadow.starts_with(&format!("alice:{HASH}:")), "{shadow}");
    let sandbox = Sandbox::new()?;
    with_alice(&sandbox)?;
    let plan = plan_with(
        &UserModule,
        &sandbox.host(false),
        json!({"name": "alice", "password": HASH, "update_password": "on_create"}),
    )?;
    assert!(!plan.is_changed());
    Ok(())
}

#[test]
fn removing_takes_the_own_group_and_with_remove_the_home() -> TestResult {
    let (sandbox, _) = three_checks(
        &UserModule,
        with_alice,
        json!({"name": "alice", "state": "absent", "remove": true}),
    )?;
    assert_eq!(line(&sandbox, "/etc/passwd", "alice"), None);
    assert_eq!(line(&sandbox, "/etc/group", "alice"), None);
    assert_eq!(
        line(&sandbox, "/etc/group", "users").as_deref(),
        Some("users:x:100:")
    );
    assert!(!sandbox.real("/home/alice").exists());
    Ok(())
}

#[test]
fn missing_groups_are_refused_as_ansible_says() -> TestResult {
    let sandbox = Sandbox::new()?;
    accounts_root(&sandbox)?;
    let plan = plan_with(
        &UserModule,
        &sandbox.host(false),
        json!({"name": "bob", "groups": "nope"}),
    );
    let Err(err) = plan else {
        panic!("planned: {plan:?}");
    };
    assert_eq!(err.to_string(), "Group nope does not exist");
    Ok(())
}

#[test]
fn a_user_group_that_exists_means_no_own_group() -> TestResult {
    fn with_bob_group(sandbox: &Sandbox) -> TestResult {
        accounts_root(sandbox)?;
        std::fs::write(
            sandbox.real("/etc/group"),
            "root:x:0:\nusers:x:100:\nbob:x:1500:\n",
        )?;
        Ok(())
    }
    let (sandbox, first) = three_checks(
        &UserModule,
        with_bob_group,
        json!({"name": "bob", "create_home": false}),
    )?;
    assert_eq!(
        line(&sandbox, "/etc/passwd", "bob").as_deref(),
        Some("bob:x:1000:100::/home/bob:/bin/bash")
    );
    let Some(Op::Run(spec)) = first.changes[0].ops.first() else {
        panic!("no run");
    };
    assert!(spec.argv.contains(&"-N".to_string()) && spec.argv.contains(&"-M".to_string()));
    Ok(())
}

#[test]
fn a_key_pair_for_the_account_once() -> TestResult {
    let (sandbox, first) = three_checks(
        &UserModule,
        with_alice,
        json!({"name": "alice", "generate_ssh_key": true, "ssh_key_type": "ed25519", "ssh_key_comment": "alice@box"}),
    )?;
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let private = std::fs::metadata(sandbox.real("/home/alice/.ssh/id_ed25519"))?;
    assert_eq!(
        (private.uid(), private.permissions().mode() & 0o777),
        (1000, 0o600)
    );
    let dir = std::fs::metadata(sandbox.real("/home/alice/.ssh"))?;
    assert_eq!((dir.uid(), dir.permissions().mode() & 0o777), (1000, 0o700));
    let public = std::fs::read_to_string(sandbox.real("/home/alice/.ssh/id_ed25519.pub"))?;
    assert!(public.starts_with("ssh-ed25519 ") && public.trim_end().ends_with("alice@box"));
    assert_eq!(
        first.data.get("ssh_public_key"),
        Some(&json!(public.trim()))
    );
    let fingerprint = first
        .data
        .get("ssh_fingerprint")
        .and_then(|f| f.as_str())
        .unwrap_or("");
    assert!(
        fingerprint.contains("SHA256:") && fingerprint.ends_with("(ED25519)"),
        "{fingerprint}"
    );
    let private_text = std::fs::read_to_string(sandbox.real("/home/alice/.ssh/id_ed25519"))?;
    for change in &first.changes {
        let diff = change
            .diff
            .as_ref()
            .map(|d| format!("{}{}", d.before, d.after));
        assert!(!diff
            .unwrap_or_default()
            .contains(private_text.lines().nth(1).unwrap_or("-")));
    }
    Ok(())
}
