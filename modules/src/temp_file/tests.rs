use super::*;
use crate::test_support::{plan_with, Sandbox, TestResult};
use serde_json::json;

#[test]
fn a_file_and_a_directory_are_planned_in_the_roots_tmp() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/tmp"))?;
    let host = sandbox.host(false);
    let plan = plan_with(&TempfileModule, &host, json!({"suffix": ".conf"}))?;
    assert!(plan.is_changed());
    let path = plan.data["path"].as_str().unwrap_or_default().to_string();
    let name = path.strip_prefix("/tmp/ansible.").unwrap_or_default();
    assert!(name.ends_with(".conf") && name.len() == 8 + 5, "{path}");
    let Op::WriteFile { mode, content, .. } = &plan.changes[0].ops[0] else {
        panic!("not a write: {:?}", plan.changes[0].ops);
    };
    assert_eq!((*mode, content.len()), (0o600, 0));
    let plan = plan_with(
        &TempfileModule,
        &host,
        json!({"state": "directory", "prefix": "x", "path": "/etc"}),
    )?;
    let path = plan.data["path"].as_str().unwrap_or_default().to_string();
    assert!(path.starts_with("/etc/x") && path.len() == "/etc/x".len() + 8);
    assert!(matches!(
        plan.changes[0].ops[0],
        Op::Mkdir { mode: 0o700, .. }
    ));
    Ok(())
}

#[test]
fn two_plans_draw_two_names_and_bad_names_are_refused() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/tmp"))?;
    let host = sandbox.host(false);
    let first = plan_with(&TempfileModule, &host, json!({}))?;
    let second = plan_with(&TempfileModule, &host, json!({}))?;
    assert_ne!(first.data["path"], second.data["path"]);
    let bad = plan_with(&TempfileModule, &host, json!({"prefix": "../x"}));
    assert_eq!(
        bad.err().map(|e| e.to_string()),
        Some("prefix must be a valid file name component, got '../x'".into())
    );
    let missing = plan_with(&TempfileModule, &host, json!({"path": "/nowhere"}));
    assert!(missing.is_err());
    Ok(())
}
