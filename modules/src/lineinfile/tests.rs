//! Tests of lineinfile against temp roots: Ansible's placement rules, backrefs,
//! state=absent, create, backup, attributes, and the three checks.

use super::*;
use crate::test_support::{apply, plan_with, three_checks, Sandbox, TestResult};
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;

/// The content lineinfile leaves `before` in for `args` (path /etc/f), and its msg.
fn edited(before: &str, args: Value) -> Result<(String, String), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), before)?;
    let mut args = args;
    args["path"] = json!("/etc/f");
    let host = sandbox.host(false);
    let plan = plan_with(&LineinfileModule, &host, args)?;
    apply(&host, &plan)?;
    let after = std::fs::read_to_string(sandbox.real("/etc/f"))?;
    Ok((after, plan.msg.unwrap_or_default()))
}

#[test]
fn regexp_replaces_the_last_match_or_the_first_with_firstmatch() -> TestResult {
    let args = json!({"regexp": "^a=", "line": "a=9"});
    assert_eq!(
        edited("a=1\nb\na=2\n", args)?,
        ("a=1\nb\na=9\n".into(), "line replaced".into())
    );
    let args = json!({"regexp": "^a=", "line": "a=9", "firstmatch": true});
    assert_eq!(edited("a=1\nb\na=2\n", args)?.0, "a=9\nb\na=2\n");
    Ok(())
}

#[test]
fn a_missing_line_goes_at_the_end_with_a_newline_before_it() -> TestResult {
    assert_eq!(
        edited("x", json!({"line": "y"}))?,
        ("x\ny\n".into(), "line added".into())
    );
    assert_eq!(edited("", json!({"line": "y"}))?.0, "y\n");
    assert_eq!(
        edited("y\n", json!({"line": "y"}))?,
        ("y\n".into(), "".into())
    );
    Ok(())
}

#[test]
fn insertafter_and_insertbefore_use_the_last_match_unless_firstmatch() -> TestResult {
    let text = "[a]\nk\n[a]\nk\n";
    assert_eq!(
        edited(text, json!({"line": "new", "insertafter": "^\\[a\\]"}))?.0,
        "[a]\nk\n[a]\nnew\nk\n"
    );
    assert_eq!(
        edited(
            text,
            json!({"line": "new", "insertafter": "^\\[a\\]", "firstmatch": true})
        )?
        .0,
        "[a]\nnew\nk\n[a]\nk\n"
    );
    assert_eq!(
        edited(text, json!({"line": "new", "insertbefore": "^\\[a\\]"}))?.0,
        "[a]\nk\nnew\n[a]\nk\n"
    );
    assert_eq!(
        edited(text, json!({"line": "new", "insertbefore": "BOF"}))?.0,
        "new\n[a]\nk\n[a]\nk\n"
    );
    // No match for insertafter: at the end.
    assert_eq!(
        edited("a\n", json!({"line": "new", "insertafter": "^zzz"}))?.0,
        "a\nnew\n"
    );
    Ok(())
}

#[test]
fn backrefs_expand_groups_and_change_nothing_without_a_match() -> TestResult {
    let args = json!({"regexp": "^(host=).*", "line": "\\g<1>box", "backrefs": true});
    assert_eq!(
        edited("host=old\n", args.clone())?,
        ("host=box\n".into(), "line replaced".into())
    );
    assert_eq!(edited("other\n", args)?, ("other\n".into(), "".into()));
    Ok(())
}

#[test]
fn search_string_is_literal() -> TestResult {
    let args = json!({"search_string": "a.b", "line": "X"});
    assert_eq!(edited("axb\na.b=1\n", args)?.0, "axb\nX\n");
    Ok(())
}

#[test]
fn absent_removes_every_match_and_counts_them() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), "#a\nb\n#c\n")?;
    let host = sandbox.host(false);
    let plan = plan_with(
        &LineinfileModule,
        &host,
        json!({"path": "/etc/f", "regexp": "^#", "state": "absent"}),
    )?;
    assert_eq!(plan.msg.as_deref(), Some("2 line(s) removed"));
    assert_eq!(plan.data.get("found"), Some(&json!(2)));
    apply(&host, &plan)?;
    assert_eq!(std::fs::read_to_string(sandbox.real("/etc/f"))?, "b\n");
    let missing = plan_with(
        &LineinfileModule,
        &host,
        json!({"path": "/etc/nope", "line": "x", "state": "absent"}),
    )?;
    assert!(!missing.is_changed());
    assert_eq!(missing.msg.as_deref(), Some("file not present"));
    Ok(())
}

#[test]
fn three_checks_create_with_parents_and_mode() -> TestResult {
    let (sandbox, first) = three_checks(
        &LineinfileModule,
        |_| Ok(()),
        json!({"path": "/etc/new/dir/f.conf", "line": "a", "create": true, "mode": "0600"}),
    )?;
    let real = sandbox.real("/etc/new/dir/f.conf");
    assert_eq!(std::fs::read_to_string(&real)?, "a\n");
    assert_eq!(
        std::fs::metadata(&real)?.permissions().mode() & 0o7777,
        0o600
    );
    assert_eq!(
        first.msg.as_deref(),
        Some("line added and ownership, perms or SE linux context changed")
    );
    Ok(())
}

#[test]
fn three_checks_replace_with_backup() -> TestResult {
    let (sandbox, first) = three_checks(
        &LineinfileModule,
        |sandbox| Ok(std::fs::write(sandbox.real("/etc/f"), "a=1\n")?),
        json!({"path": "/etc/f", "regexp": "^a=", "line": "a=2", "backup": true}),
    )?;
    let backup = first
        .data
        .get("backup")
        .and_then(Value::as_str)
        .unwrap_or("");
    assert!(backup.starts_with("/etc/f."), "{backup}");
    assert_eq!(std::fs::read_to_string(sandbox.real(backup))?, "a=1\n");
    let diff = first.changes[0]
        .diff
        .as_ref()
        .map(|d| d.before_header.as_str());
    assert_eq!(diff, Some("/etc/f (content)"));
    Ok(())
}

#[test]
fn a_missing_file_without_create_fails_and_a_directory_is_refused() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let missing = plan_with(
        &LineinfileModule,
        &host,
        json!({"path": "/etc/f", "line": "x"}),
    );
    assert_eq!(
        missing.err().map(|e| e.to_string()),
        Some("Destination /etc/f does not exist !".into())
    );
    let dir = plan_with(
        &LineinfileModule,
        &host,
        json!({"path": "/etc", "line": "x"}),
    );
    assert_eq!(
        dir.err().map(|e| e.to_string()),
        Some("Path /etc is a directory !".into())
    );
    Ok(())
}

#[test]
fn a_symlink_out_of_the_root_is_followed_inside_it() -> TestResult {
    let sandbox = Sandbox::new()?;
    let secret = sandbox.decoy.join("secret");
    std::os::unix::fs::symlink(&secret, sandbox.real("/etc/f"))?;
    let host = sandbox.host(false);
    let plan = plan_with(
        &LineinfileModule,
        &host,
        json!({"path": "/etc/f", "line": "x", "create": true}),
    )?;
    apply(&host, &plan)?;
    assert_eq!(std::fs::read_to_string(&secret)?, "keep me\n");
    let inside = sandbox.real(&secret.to_string_lossy());
    assert_eq!(std::fs::read_to_string(inside)?, "x\n");
    Ok(())
}

#[test]
fn validate_runs_on_the_new_content_before_it_replaces_the_file() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), "ok\n")?;
    // A root with a shell: the validator runs inside it (chroot).
    let busybox = std::path::Path::new("/bin/busybox");
    if !busybox.exists() {
        return Err("busybox-static is needed (apt-get install busybox-static)".into());
    }
    std::fs::create_dir_all(sandbox.real("/bin"))?;
    crate::test_support::copy_executable(busybox, &sandbox.real("/bin/busybox"))?;
    std::os::unix::fs::symlink("busybox", sandbox.real("/bin/sh"))?;
    std::os::unix::fs::symlink("busybox", sandbox.real("/bin/grep"))?;
    let host = sandbox.host(false);
    let refused = json!({"path": "/etc/f", "line": "bad", "validate": "/bin/sh -c '! grep -q bad \"$1\"' sh %s"});
    let plan = plan_with(&LineinfileModule, &host, refused)?;
    let err = apply(&host, &plan)
        .err()
        .map(|e| e.to_string())
        .unwrap_or_default();
    assert!(err.starts_with("failed to validate: rc:1"), "{err}");
    assert_eq!(std::fs::read_to_string(sandbox.real("/etc/f"))?, "ok\n");
    let names = std::fs::read_dir(sandbox.real("/etc"))?.count();
    assert_eq!(names, 1, "the temp file was left behind");
    let accepted = json!({"path": "/etc/f", "line": "good", "validate": "/bin/grep -q good %s"});
    let plan = plan_with(&LineinfileModule, &host, accepted)?;
    apply(&host, &plan)?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/f"))?,
        "ok\ngood\n"
    );
    let no_placeholder = json!({"path": "/etc/f", "line": "x", "validate": "true"});
    let err = plan_with(&LineinfileModule, &host, no_placeholder).err();
    assert_eq!(
        err.map(|e| e.to_string()),
        Some("validate must contain %s: true".into())
    );
    Ok(())
}
