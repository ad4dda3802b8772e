//! Tests of blockinfile against temp roots: insertion places, replacement between
//! the markers, removal, custom markers, blank lines around, and the three checks.

use super::*;
use crate::test_support::{apply, plan_with, three_checks, Sandbox, TestResult};
use serde_json::{json, Value};

fn edited(before: &str, args: Value) -> Result<(String, String), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/f"), before)?;
    let mut args = args;
    args["path"] = json!("/etc/f");
    let host = sandbox.host(false);
    let plan = plan_with(&BlockinfileModule, &host, args)?;
    apply(&host, &plan)?;
    let after = std::fs::read_to_string(sandbox.real("/etc/f"))?;
    Ok((after, plan.msg.unwrap_or_default()))
}

const B: &str = "# BEGIN ANSIBLE MANAGED BLOCK\n";
const E: &str = "# END ANSIBLE MANAGED BLOCK\n";

#[test]
fn a_block_goes_at_the_end_and_is_replaced_in_place() -> TestResult {
    let (after, msg) = edited("a\nb", json!({"block": "x\ny"}))?;
    assert_eq!(after, format!("a\nb\n{B}x\ny\n{E}"));
    assert_eq!(msg, "Block inserted");
    let (after, _) = edited(&format!("a\n{B}old\n{E}b\n"), json!({"block": "new"}))?;
    assert_eq!(after, format!("a\n{B}new\n{E}b\n"));
    Ok(())
}

#[test]
fn insertafter_insertbefore_and_bof() -> TestResult {
    let text = "[s]\nk\n[s]\nk\n";
    let (after, _) = edited(text, json!({"block": "x", "insertafter": "^\\[s\\]"}))?;
    assert_eq!(after, format!("[s]\nk\n[s]\n{B}x\n{E}k\n"));
    let (after, _) = edited(text, json!({"block": "x", "insertbefore": "BOF"}))?;
    assert_eq!(after, format!("{B}x\n{E}{text}"));
    let (after, _) = edited(
        "a\nb\nc\n",
        json!({"block": "x", "insertafter": "(?m)^a\\nb"}),
    )?;
    assert_eq!(after, format!("a\nb\n{B}x\n{E}c\n"));
    Ok(())
}

#[test]
fn absent_or_empty_removes_the_block() -> TestResult {
    let text = format!("a\n{B}x\n{E}b\n");
    let (after, msg) = edited(&text, json!({"state": "absent"}))?;
    assert_eq!((after.as_str(), msg.as_str()), ("a\nb\n", "Block removed"));
    let (after, _) = edited(&text, json!({"block": ""}))?;
    assert_eq!(after, "a\nb\n");
    Ok(())
}

#[test]
fn custom_markers_and_blank_lines() -> TestResult {
    let (after, _) = edited(
        "a\nb\n",
        json!({"block": "x", "insertafter": "^a", "marker": "<!-- {mark} -->",
               "marker_begin": "start", "marker_end": "stop",
               "prepend_newline": true, "append_newline": true}),
    )?;
    assert_eq!(after, "a\n\n<!-- start -->\nx\n<!-- stop -->\n\nb\n");
    Ok(())
}

#[test]
fn three_checks_created_file() -> TestResult {
    let (sandbox, first) = three_checks(
        &BlockinfileModule,
        |_| Ok(()),
        json!({"path": "/etc/d/f", "block": "x", "create": true}),
    )?;
    assert_eq!(first.msg.as_deref(), Some("File created"));
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/d/f"))?,
        format!("{B}x\n{E}")
    );
    Ok(())
}

#[test]
fn three_checks_backup() -> TestResult {
    let (_, first) = three_checks(
        &BlockinfileModule,
        |sandbox| Ok(std::fs::write(sandbox.real("/etc/f"), "a\n")?),
        json!({"path": "/etc/f", "block": "x", "backup": true}),
    )?;
    assert!(first.data.contains_key("backup_file"));
    Ok(())
}
