//! Tests of replace against temp roots: every match, groups, after/before sections,
//! no match, encodings, and the three checks.

use super::*;
use crate::test_support::{apply, plan_with, three_checks, Sandbox, TestResult};
use serde_json::{json, Value};

fn edited(before: &str, args: Value) -> Result<(String, Plan), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), before)?;
    let mut args = args;
    args["path"] = json!("/etc/f");
    let host = sandbox.host(false);
    let plan = plan_with(&ReplaceModule, &host, args)?;
    apply(&host, &plan)?;
    Ok((std::fs::read_to_string(sandbox.real("/etc/f"))?, plan))
}

#[test]
fn every_match_is_replaced_with_groups() -> TestResult {
    let (after, plan) = edited(
        "a=1\nb=2\na=3\n",
        json!({"regexp": "^a=(\\d)$", "replace": "a=\\1\\1"}),
    )?;
    assert_eq!(after, "a=11\nb=2\na=33\n");
    assert_eq!(plan.msg.as_deref(), Some("2 replacements made"));
    let (after, plan) = edited("x\n", json!({"regexp": "^nothing$"}))?;
    assert_eq!(after, "x\n");
    assert!(!plan.is_changed());
    Ok(())
}

#[test]
fn after_and_before_limit_the_section() -> TestResult {
    let text = "k=1\n[s]\nk=1\n[t]\nk=1\n";
    let (after, _) = edited(
        text,
        json!({"regexp": "k=1", "replace": "k=2", "after": "\\[s\\]", "before": "\\[t\\]"}),
    )?;
    assert_eq!(after, "k=1\n[s]\nk=2\n[t]\nk=1\n");
    let (after, plan) = edited(text, json!({"regexp": "k", "after": "nothing"}))?;
    assert_eq!(after, text);
    assert!(plan
        .msg
        .unwrap_or_default()
        .starts_with("Pattern for before/after params did not match"));
    Ok(())
}

#[test]
fn other_encodings_and_missing_files_are_refused() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), "x")?;
    let host = sandbox.host(false);
    let latin = plan_with(
        &ReplaceModule,
        &host,
        json!({"path": "/etc/f", "regexp": "x", "encoding": "latin-1"}),
    );
    assert!(latin.is_err());
    let missing = plan_with(
        &ReplaceModule,
        &host,
        json!({"path": "/etc/g", "regexp": "x"}),
    );
    assert_eq!(
        missing.err().map(|e| e.to_string()),
        Some("Path /etc/g does not exist !".into())
    );
    Ok(())
}

#[test]
fn three_checks_replace() -> TestResult {
    let (sandbox, first) = three_checks(
        &ReplaceModule,
        |sandbox| Ok(std::fs::write(sandbox.real("/etc/f"), "#Color\n")?),
        json!({"path": "/etc/f", "regexp": "^#Color$", "replace": "Color"}),
    )?;
    assert_eq!(std::fs::read_to_string(sandbox.real("/etc/f"))?, "Color\n");
    let header = first.changes[0]
        .diff
        .as_ref()
        .map(|d| d.before_header.clone());
    assert_eq!(header.as_deref(), Some("/etc/f"));
    Ok(())
}
