//! Tests of `authorized_key`: keys added, rewritten and removed once and then ok (the
//! three checks against a temp root), the file and ~/.ssh owned by the user with
//! modes 0600 and 0700, exclusive, options, and the key parsing.

use super::keys::{parse, with_keys, without_keys};
use super::*;
use crate::test_support::{three_checks, Sandbox, TestResult};
use serde_json::json;
use std::os::unix::fs::{MetadataExt, PermissionsExt};

const ED: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA alice@laptop";
const RSA: &str = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ bob@desk";

fn with_alice(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/etc"))?;
    std::fs::create_dir_all(sandbox.real("/home/alice"))?;
    std::fs::write(
        sandbox.real("/etc/passwd"),
        "root:x:0:0::/root:/bin/sh\nalice:x:1000:1000::/home/alice:/bin/sh\n",
    )?;
    Ok(())
}

#[test]
fn keys_land_in_a_new_ssh_dir_owned_by_the_user() -> TestResult {
    let (sandbox, _) = three_checks(
        &AuthorizedKeyModule,
        with_alice,
        json!({"user": "alice", "key": format!("{ED}\n{RSA}\n")}),
    )?;
    let dir = std::fs::metadata(sandbox.real("/home/alice/.ssh"))?;
    assert_eq!((dir.uid(), dir.permissions().mode() & 0o777), (1000, 0o700));
    let file = sandbox.real("/home/alice/.ssh/authorized_keys");
    let meta = std::fs::metadata(&file)?;
    assert_eq!(
        (meta.uid(), meta.gid(), meta.permissions().mode() & 0o777),
        (1000, 1000, 0o600)
    );
    assert_eq!(std::fs::read_to_string(file)?, format!("{ED}\n{RSA}\n"));
    Ok(())
}

#[test]
fn options_rewrite_in_place_and_exclusive_drops_the_rest() -> TestResult {
    fn with_keys_file(sandbox: &Sandbox) -> TestResult {
        with_alice(sandbox)?;
        std::fs::create_dir_all(sandbox.real("/home/alice/.ssh"))?;
        std::fs::write(
            sandbox.real("/home/alice/.ssh/authorized_keys"),
            format!("# mine\n{ED}\n{RSA}\n"),
        )?;
        Ok(())
    }
    let (sandbox, _) = three_checks(
        &AuthorizedKeyModule,
        with_keys_file,
        json!({"user": "alice", "key": ED, "key_options": "no-pty,from=\"10.0.0.1\""}),
    )?;
    let text = std::fs::read_to_string(sandbox.real("/home/alice/.ssh/authorized_keys"))?;
    assert_eq!(
        text,
        format!("# mine\nno-pty,from=\"10.0.0.1\" {ED}\n{RSA}\n")
    );
    let (sandbox, _) = three_checks(
        &AuthorizedKeyModule,
        with_keys_file,
        json!({"user": "alice", "key": RSA, "exclusive": true}),
    )?;
    let text = std::fs::read_to_string(sandbox.real("/home/alice/.ssh/authorized_keys"))?;
    assert_eq!(text, format!("{RSA}\n"));
    let (sandbox, _) = three_checks(
        &AuthorizedKeyModule,
        with_keys_file,
        json!({"user": "alice", "key": RSA, "state": "absent"}),
    )?;
    let text = std::fs::read_to_string(sandbox.real("/home/alice/.ssh/authorized_keys"))?;
    assert_eq!(text, format!("# mine\n{ED}\n"));
    Ok(())
}

#[test]
fn lines_are_taken_apart() {
    let key = parse("command=\"echo a b\",no-pty ssh-ed25519 AAAA c d").expect("key");
    assert_eq!(key.options.as_deref(), Some("command=\"echo a b\",no-pty"));
    assert_eq!(
        (key.kind.as_str(), key.blob.as_str()),
        ("ssh-ed25519", "AAAA")
    );
    assert_eq!(key.comment.as_deref(), Some("c d"));
    assert_eq!(parse("# ssh-rsa AAAA"), None);
    assert_eq!(parse("garbage"), None);
    let wanted = vec![parse(ED).expect("ed")];
    assert_eq!(with_keys(ED, &wanted, false), ED);
    assert_eq!(without_keys(&format!("{ED}\n"), &wanted), "");
}

#[test]
fn unknown_users_and_urls_are_refused() -> TestResult {
    let sandbox = Sandbox::new()?;
    with_alice(&sandbox)?;
    let host = sandbox.host(false);
    let plan = |args| crate::test_support::plan_with(&AuthorizedKeyModule, &host, args);
    assert!(plan(json!({"user": "nobody", "key": ED})).is_err());
    assert!(plan(json!({"user": "alice", "key": "https://github.com/alice.keys"})).is_err());
    assert!(plan(json!({"user": "alice", "key": "not a key"})).is_err());
    Ok(())
}
