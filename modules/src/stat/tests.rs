//! Tests of stat against temp roots: the keys of an existing file, a link with and
//! without follow, a missing path, checksums, and the overlay seen in check mode.

use super::*;
use crate::test_support::{plan_with, Sandbox, TestResult};
use crate::{Op, Ownership};
use serde_json::json;

fn stat_of(host: &Host, args: Value) -> Result<Value, ModuleError> {
    let plan = plan_with(&StatModule, host, args)?;
    assert!(!plan.is_changed());
    Ok(plan.data.get("stat").cloned().unwrap_or(Value::Null))
}

#[test]
fn a_file_reports_ansibles_keys() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), "hello\n")?;
    let stat = stat_of(&sandbox.host(false), json!({"path": "/etc/f"}))?;
    assert_eq!(stat["exists"], json!(true));
    assert_eq!(stat["path"], json!("/etc/f"));
    assert_eq!(stat["isreg"], json!(true));
    assert_eq!(stat["isdir"], json!(false));
    assert_eq!(stat["size"], json!(6));
    assert_eq!(
        stat["checksum"],
        json!("f572d396fae9206628714fb2ce00f72e94f2258f")
    );
    for key in [
        "mode",
        "uid",
        "gid",
        "inode",
        "dev",
        "nlink",
        "atime",
        "mtime",
        "ctime",
        "rusr",
        "wusr",
        "xusr",
        "readable",
        "writeable",
        "executable",
        "isuid",
        "isgid",
        "issock",
        "isfifo",
        "ischr",
        "isblk",
        "islnk",
    ] {
        assert!(stat.get(key).is_some(), "{key} missing: {stat}");
    }
    assert!(stat.get("mimetype").is_none());
    let sha256 = stat_of(
        &sandbox.host(false),
        json!({"path": "/etc/f", "checksum_algorithm": "sha256"}),
    )?;
    assert_eq!(
        sha256["checksum"],
        json!("5891b5b522d5df086d0ff0b110fbd9d21bb4fc7163af34d08286a2e846f6be03")
    );
    Ok(())
}

#[test]
fn links_are_reported_as_links_unless_followed_inside_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/target"), "x")?;
    std::os::unix::fs::symlink("/etc/target", sandbox.real("/etc/link"))?;
    std::os::unix::fs::symlink(sandbox.decoy.join("secret"), sandbox.real("/etc/out"))?;
    let host = sandbox.host(false);
    let link = stat_of(&host, json!({"path": "/etc/link"}))?;
    assert_eq!(link["islnk"], json!(true));
    assert_eq!(link["lnk_target"], json!("/etc/target"));
    assert_eq!(link["lnk_source"], json!("/etc/target"));
    assert!(link.get("checksum").is_none());
    let followed = stat_of(&host, json!({"path": "/etc/link", "follow": true}))?;
    assert_eq!(followed["isreg"], json!(true));
    assert_eq!(followed["size"], json!(1));
    // The decoy's absolute path, followed inside the root: nothing there.
    let out = stat_of(&host, json!({"path": "/etc/out", "follow": true}))?;
    assert_eq!(out, json!({"exists": false}));
    Ok(())
}

#[test]
fn check_mode_sees_what_an_earlier_task_wrote() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(true);
    assert_eq!(
        stat_of(&host, json!({"path": "/etc/new"}))?,
        json!({"exists": false})
    );
    host.apply(&[Op::WriteFile {
        path: "/etc/new".into(),
        content: b"abc".to_vec(),
        mode: 0o600,
        owner: Ownership::default(),
    }])?;
    let stat = stat_of(&host, json!({"path": "/etc/new"}))?;
    assert_eq!(stat["exists"], json!(true));
    assert_eq!(stat["mode"], json!("0600"));
    assert_eq!(stat["size"], json!(3));
    assert!(!sandbox.real("/etc/new").exists());
    Ok(())
}

#[test]
fn get_attributes_runs_lsattr_in_the_target_or_says_nothing() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), "x")?;
    let without = stat_of(
        &sandbox.host(false),
        json!({"path": "/etc/f", "get_attributes": true}),
    )?;
    assert_eq!(without["version"], Value::Null);
    assert_eq!(without["attributes"], json!([]));
    assert_eq!(without["attr_flags"], json!(""));
    // This machine's own root has lsattr (e2fsprogs); /etc/os-release's flags depend
    // on the file system, so only their shape is checked.
    let host = Host::new(crate::HostOptions::new("/"))?;
    let with = stat_of(
        &host,
        json!({"path": "/etc/os-release", "follow": true, "attr": true}),
    )?;
    assert!(with["attributes"].is_array(), "{with}");
    assert!(with["attr_flags"].is_string(), "{with}");
    Ok(())
}

#[test]
fn get_mime_runs_file_in_the_target_or_says_unknown() -> TestResult {
    // This machine's own root has `file` (a Debian package the CI installs).
    let host = Host::new(crate::HostOptions::new("/"))?;
    let stat = stat_of(
        &host,
        json!({"path": "/etc/os-release", "get_mime": true, "follow": true}),
    )?;
    assert_eq!(stat["mimetype"], json!("text/plain"));
    assert_eq!(stat["charset"], json!("us-ascii"));
    // A root without it: unknown, as Ansible says.
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), "x")?;
    let stat = stat_of(
        &sandbox.host(false),
        json!({"path": "/etc/f", "mime": true}),
    )?;
    assert_eq!(stat["mimetype"], json!("unknown"));
    Ok(())
}
