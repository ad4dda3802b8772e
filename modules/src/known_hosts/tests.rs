//! Tests of `known_hosts`: ssh-keygen's host matching (patterns, negation, ports,
//! hashed names — checked against the real `ssh-keygen -F` and `-R`), Ansible's
//! decisions (add, replace, keep, remove one or all) and the three checks in a root.

use super::lines::{hash_key, names_host};
use super::*;
use crate::test_support::{plan_with, three_checks, Sandbox, TestResult};
use serde_json::json;
use std::process::Command;

const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPrxlxgMxfqRt4NOe6J7EzsYvDRbkc3+lk3QRqMMGZ+L";
const K2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAP5lqRXsS47iSFYPrdxpQ5TDZ/ATDDGwyZABSEYj5ut";

#[test]
fn host_patterns_as_ssh_keygen_matches_them() {
    let line = |names: &str| format!("{names} {K1}\n");
    assert!(names_host(&line("example.com"), "example.com"));
    assert!(names_host(&line("other.org,Example.COM"), "example.com"));
    assert!(names_host(&line("*.example.com"), "www.example.com"));
    assert!(!names_host(&line("*.example.com"), "example.com"));
    assert!(names_host(&line("web?.example.com"), "web1.example.com"));
    assert!(!names_host(
        &line("*.example.com,!bad.example.com"),
        "bad.example.com"
    ));
    assert!(names_host(
        &line("[example.com]:2222"),
        "[example.com]:2222"
    ));
    assert!(!names_host(&line("[example.com]:2222"), "example.com"));
    assert!(names_host(
        &format!("@cert-authority *.example.com {K1}"),
        "a.example.com"
    ));
    assert!(!names_host(
        "# example.com ssh-ed25519 AAAA\n",
        "example.com"
    ));
    assert!(!names_host("\n", "example.com"));
}

/// `ssh-keygen ARGS` in `dir`, its stdout.
fn ssh_keygen(dir: &std::path::Path, args: &[&str]) -> Result<String, Box<dyn std::error::Error>> {
    let out = Command::new("ssh-keygen")
        .args(args)
        .current_dir(dir)
        .output()?;
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn a_hashed_name_is_found_by_ssh_keygen_and_by_us() -> TestResult {
    let salt = [7u8; 20];
    let hashed = hash_key(
        "[git.example.org]:2222",
        &format!("[git.example.org]:2222 {K1}"),
        &salt,
    )
    .ok_or("no hash")?;
    assert!(
        hashed.starts_with("|1|BwcHBwcHBwcHBwcHBwcHBwcHBwc=|"),
        "{hashed}"
    );
    assert!(names_host(&hashed, "[git.example.org]:2222"));
    assert!(!names_host(&hashed, "git.example.org"));
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("known"), format!("{hashed}\n"))?;
    let found = ssh_keygen(dir.path(), &["-F", "[git.example.org]:2222", "-f", "known"])?;
    assert!(found.contains("found: line 1"), "ssh-keygen -F: {found}");
    Ok(())
}

#[test]
fn removing_every_key_leaves_what_ssh_keygen_r_leaves() -> TestResult {
    let content = format!(
        "# a comment\nexample.com {K1}\nother.org,example.com {K2}\n@cert-authority example.com {K2}\n*.example.com {K1}\n[example.com]:2222 {K1}\n"
    );
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/known"), &content)?;
    let host = sandbox.host(false);
    let plan = plan_with(
        &KnownHostsModule,
        &host,
        json!({"name": "example.com", "path": "/etc/known", "state": "absent"}),
    )?;
    crate::test_support::apply(&host, &plan)?;
    let dir = tempfile::tempdir()?;
    std::fs::write(dir.path().join("known"), &content)?;
    ssh_keygen(dir.path(), &["-R", "example.com", "-f", "known"])?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/known"))?,
        std::fs::read_to_string(dir.path().join("known"))?
    );
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/known.old"))?,
        std::fs::read_to_string(dir.path().join("known.old"))?
    );
    Ok(())
}

#[test]
fn add_replace_keep_and_remove_one_as_ansible() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let path = sandbox.real("/etc/known");
    std::fs::write(&path, format!("example.com {K1}\nother.org {K2}\n"))?;
    let plan = |args: Value| plan_with(&KnownHostsModule, &host, args);
    use serde_json::Value;
    // The same key: nothing to do.
    let same = plan(
        json!({"name": "Example.com", "path": "/etc/known", "key": format!("example.com {K1}")}),
    )?;
    assert!(!same.is_changed());
    assert_eq!(same.data["state"], json!("file"));
    // Another key of the type: the old line goes, the new one ends the file.
    let replaced = plan(
        json!({"name": "example.com", "path": "/etc/known", "key": format!("example.com {K2}")}),
    )?;
    let diff = replaced.changes[0].diff.as_ref().ok_or("no diff")?;
    assert_eq!(diff.after, format!("other.org {K2}\nexample.com {K2}\n"));
    // A key that names another host is refused, as a list of names.
    let err = plan(
        json!({"name": "example.com", "path": "/etc/known", "key": format!("example.org {K1}")}),
    );
    assert!(err
        .err()
        .is_some_and(|e| e.to_string().contains("does not match")));
    let err =
        plan(json!({"name": "a.org,b.org", "path": "/etc/known", "key": format!("a.org {K1}")}));
    assert!(err
        .err()
        .is_some_and(|e| e.to_string().contains("Comma separated")));
    // Removing one key that is not there: ok.
    let absent = plan(
        json!({"name": "other.org", "path": "/etc/known", "key": format!("other.org {K1}"), "state": "absent"}),
    )?;
    assert!(
        absent.is_changed(),
        "a key of the same type is found, so it goes (as Ansible)"
    );
    // A relative path is refused.
    assert!(plan(json!({"name": "x", "path": "known", "key": format!("x {K1}")})).is_err());
    Ok(())
}

#[test]
fn a_hashed_entry_three_checks_then_kept() -> TestResult {
    let args = json!({"name": "git.example.org", "path": "/etc/ssh_known_hosts", "key": format!("git.example.org {K1}"), "hash_host": true});
    let (sandbox, _) = three_checks(&KnownHostsModule, |_| Ok(()), args.clone())?;
    let written = std::fs::read_to_string(sandbox.real("/etc/ssh_known_hosts"))?;
    assert!(
        written.starts_with("|1|") && written.ends_with(&format!(" {K1}\n")),
        "{written}"
    );
    assert!(names_host(&written, "git.example.org"));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(sandbox.real("/etc/ssh_known_hosts"))?
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o644);
    Ok(())
}
