//! Tests of find against temp roots: patterns and excludes, file types, recursion
//! and depth, hidden names, contains, size, limit, links kept inside the root, and
//! what a check run's earlier tasks wrote.

use super::*;
use crate::test_support::{plan_with, Sandbox, TestResult};
use crate::{Op, Ownership};
use serde_json::json;

fn found(host: &Host, args: Value) -> Result<(Vec<String>, Plan), ModuleError> {
    let plan = plan_with(&FindModule, host, args)?;
    assert!(!plan.is_changed());
    let paths = plan
        .data
        .get("files")
        .and_then(Value::as_array)
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f.get("path").and_then(Value::as_str).map(String::from))
                .collect()
        })
        .unwrap_or_default();
    Ok((paths, plan))
}

fn tree() -> Result<Sandbox, Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new()?;
    let etc = sandbox.real("/etc");
    std::fs::create_dir_all(etc.join("d/e"))?;
    std::fs::write(etc.join("a.conf"), "key=1\n")?;
    std::fs::write(etc.join("b.txt"), "x")?;
    std::fs::write(etc.join(".hidden.conf"), "")?;
    std::fs::write(etc.join("d/c.conf"), "other\nkey=2\n")?;
    std::fs::write(etc.join("d/e/f.conf"), "")?;
    Ok(sandbox)
}

#[test]
fn patterns_excludes_and_recursion() -> TestResult {
    let sandbox = tree()?;
    let host = sandbox.host(false);
    let (paths, plan) = found(&host, json!({"paths": "/etc", "patterns": "*.conf"}))?;
    assert_eq!(paths, ["/etc/a.conf"]);
    assert_eq!(plan.data.get("examined"), Some(&json!(4)));
    assert_eq!(plan.msg.as_deref(), Some("All paths examined"));
    let (paths, _) = found(
        &host,
        json!({"paths": ["/etc"], "patterns": ["*.conf"], "recurse": true, "hidden": true,
               "excludes": "f*"}),
    )?;
    assert_eq!(paths, ["/etc/.hidden.conf", "/etc/a.conf", "/etc/d/c.conf"]);
    let (paths, _) = found(
        &host,
        json!({"paths": "/etc", "recurse": true, "depth": 2, "patterns": "*.conf"}),
    )?;
    assert_eq!(paths, ["/etc/a.conf", "/etc/d/c.conf"]);
    let (paths, _) = found(
        &host,
        json!({"paths": "/etc", "use_regex": true, "patterns": "^[ab]\\."}),
    )?;
    assert_eq!(paths, ["/etc/a.conf", "/etc/b.txt"]);
    Ok(())
}

#[test]
fn file_types_contains_size_and_limit() -> TestResult {
    let sandbox = tree()?;
    std::os::unix::fs::symlink("/etc/a.conf", sandbox.real("/etc/link"))?;
    let host = sandbox.host(false);
    let (paths, _) = found(&host, json!({"paths": "/etc", "file_type": "directory"}))?;
    assert_eq!(paths, ["/etc/d"]);
    let (paths, plan) = found(&host, json!({"paths": "/etc", "file_type": "link"}))?;
    assert_eq!(paths, ["/etc/link"]);
    let files = plan.data.get("files").cloned().unwrap_or_default();
    assert_eq!(files[0]["islnk"], json!(true));
    let (paths, _) = found(
        &host,
        json!({"paths": "/etc", "recurse": true, "contains": "key="}),
    )?;
    assert_eq!(paths, ["/etc/a.conf", "/etc/d/c.conf"]);
    let (paths, _) = found(&host, json!({"paths": "/etc", "size": "2"}))?;
    assert_eq!(paths, ["/etc/a.conf"]);
    let (paths, plan) = found(&host, json!({"paths": "/etc", "recurse": true, "limit": 1}))?;
    assert_eq!(paths.len(), 1);
    assert_eq!(plan.msg.as_deref(), Some("Limit of matches reached"));
    Ok(())
}

#[test]
fn a_missing_path_is_a_warning_and_links_stay_in_the_root() -> TestResult {
    let sandbox = tree()?;
    std::os::unix::fs::symlink(&sandbox.decoy, sandbox.real("/etc/out"))?;
    let host = sandbox.host(false);
    let (paths, plan) = found(
        &host,
        json!({"paths": ["/nope", "/etc/out"], "follow": true}),
    )?;
    assert!(paths.is_empty());
    assert_eq!(
        plan.msg.as_deref(),
        Some("Not all paths examined, check warnings for details")
    );
    assert_eq!(plan.warnings.len(), 2);
    Ok(())
}

#[test]
fn check_mode_finds_what_an_earlier_task_wrote() -> TestResult {
    let sandbox = tree()?;
    let host = sandbox.host(true);
    host.apply(&[Op::WriteFile {
        path: "/etc/new.conf".into(),
        content: Vec::new(),
        mode: 0o644,
        owner: Ownership::default(),
    }])?;
    let (paths, _) = found(&host, json!({"paths": "/etc", "patterns": "*.conf"}))?;
    assert_eq!(paths, ["/etc/a.conf", "/etc/new.conf"]);
    Ok(())
}

#[test]
fn globs_are_pythons_fnmatch() {
    assert!(fnmatch(b"*.conf", b"a.conf"));
    assert!(!fnmatch(b"*.conf", b"a.conf.bak"));
    assert!(fnmatch(b"[!a]?", b"bc"));
    assert!(!fnmatch(b"[!a]?", b"ac"));
    assert!(fnmatch(b"[a-c]", b"b"));
    assert!(fnmatch(b"[]]", b"]"));
    assert!(fnmatch(b"x[", b"x["));
    assert_eq!(normpath("/etc//./d/../a"), "/etc/a");
}

#[test]
fn age_looks_at_the_chosen_time() -> TestResult {
    let sandbox = tree()?;
    let host = sandbox.host(false);
    let long_ago = crate::host::Timestamp {
        secs: 86_400,
        nanos: 0,
    };
    host.apply(&[Op::SetTimes {
        path: "/etc/b.txt".into(),
        atime: None,
        mtime: Some(crate::TimeSpec::At(long_ago)),
    }])?;
    let (old, _) = found(&host, json!({"paths": "/etc", "age": "1w"}))?;
    assert_eq!(old, ["/etc/b.txt"]);
    let (recent, _) = found(&host, json!({"paths": "/etc", "age": "-1d"}))?;
    assert_eq!(recent, ["/etc/a.conf"]);
    let (by_atime, _) = found(
        &host,
        json!({"paths": "/etc", "age": "1w", "age_stamp": "atime"}),
    )?;
    assert!(by_atime.is_empty());
    Ok(())
}
