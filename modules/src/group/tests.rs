//! Tests of the `group` module against temp roots with the real groupadd, groupmod
//! and groupdel (`--root`): added, renumbered and removed once and then ok, check mode
//! predicting the line for the next plan, and the refusals.

use super::*;
use crate::test_support::{plan_with, Sandbox, TestResult};
use serde_json::json;

/// A root with the account databases a fresh system has.
pub(crate) fn accounts_root(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/etc"))?;
    std::fs::write(
        sandbox.real("/etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\n",
    )?;
    std::fs::write(sandbox.real("/etc/group"), "root:x:0:\nusers:x:100:\n")?;
    std::fs::write(sandbox.real("/etc/shadow"), "root:*:19000:0:99999:7:::\n")?;
    std::fs::write(sandbox.real("/etc/gshadow"), "root:*::\nusers:*::\n")?;
    std::fs::write(
        sandbox.real("/etc/login.defs"),
        "USERGROUPS_ENAB yes\nHOME_MODE 0700\n",
    )?;
    Ok(())
}

fn group_line(sandbox: &Sandbox, name: &str) -> Option<String> {
    let group = std::fs::read_to_string(sandbox.real("/etc/group")).ok()?;
    group
        .lines()
        .find(|l| l.starts_with(&format!("{name}:")))
        .map(str::to_string)
}

#[test]
fn a_new_group_gets_groupadds_number_as_predicted() -> TestResult {
    let (sandbox, first) =
        crate::test_support::three_checks(&GroupModule, accounts_root, json!({"name": "web"}))?;
    assert_eq!(group_line(&sandbox, "web").as_deref(), Some("web:x:1000:"));
    assert_eq!(first.data.get("gid"), Some(&json!(1000)));
    let diff = first.changes[0].diff.as_ref().map(|d| d.after.clone());
    assert_eq!(diff.as_deref(), Some("web:x:1000:\n"));
    Ok(())
}

#[test]
fn system_groups_and_given_numbers() -> TestResult {
    let (sandbox, _) = crate::test_support::three_checks(
        &GroupModule,
        accounts_root,
        json!({"name": "daemons", "system": true}),
    )?;
    assert_eq!(
        group_line(&sandbox, "daemons").as_deref(),
        Some("daemons:x:999:")
    );
    let (sandbox, _) = crate::test_support::three_checks(
        &GroupModule,
        accounts_root,
        json!({"name": "fixed", "gid": 4321}),
    )?;
    assert_eq!(
        group_line(&sandbox, "fixed").as_deref(),
        Some("fixed:x:4321:")
    );
    Ok(())
}

#[test]
fn renumbering_and_removing() -> TestResult {
    fn with_web(sandbox: &Sandbox) -> TestResult {
        accounts_root(sandbox)?;
        std::fs::write(sandbox.real("/etc/group"), "root:x:0:\nweb:x:1500:\n")?;
        Ok(())
    }
    let (sandbox, first) = crate::test_support::three_checks(
        &GroupModule,
        with_web,
        json!({"name": "web", "gid": 1600}),
    )?;
    assert_eq!(group_line(&sandbox, "web").as_deref(), Some("web:x:1600:"));
    let diff = first.changes[0]
        .diff
        .as_ref()
        .map(|d| (d.before.clone(), d.after.clone()));
    assert_eq!(diff, Some(("web:x:1500:\n".into(), "web:x:1600:\n".into())));

    let (sandbox, _) = crate::test_support::three_checks(
        &GroupModule,
        with_web,
        json!({"name": "web", "state": "absent"}),
    )?;
    assert_eq!(group_line(&sandbox, "web"), None);
    Ok(())
}

#[test]
fn refusals() -> TestResult {
    let sandbox = Sandbox::new()?;
    accounts_root(&sandbox)?;
    let host = sandbox.host(false);
    let taken = plan_with(&GroupModule, &host, json!({"name": "x", "gid": 100}));
    assert!(
        matches!(taken, Err(ModuleError::InvalidArgs { .. })),
        "{taken:?}"
    );
    let dash = plan_with(&GroupModule, &host, json!({"name": "-r"}));
    assert!(dash.is_err());
    std::fs::write(
        sandbox.real("/etc/passwd"),
        "root:x:0:0:root:/root:/bin/bash\nbob:x:1000:100::/:/bin/sh\n",
    )?;
    let host = sandbox.host(false);
    let primary = plan_with(
        &GroupModule,
        &host,
        json!({"name": "users", "state": "absent"}),
    );
    assert!(
        matches!(primary, Err(ModuleError::Failed(_))),
        "{primary:?}"
    );
    let forced = plan_with(
        &GroupModule,
        &host,
        json!({"name": "users", "state": "absent", "force": true}),
    )?;
    assert!(forced.is_changed());
    Ok(())
}

#[test]
fn offline_roots_get_root_and_the_controller() -> TestResult {
    let sandbox = Sandbox::new()?;
    accounts_root(&sandbox)?;
    let plan = plan_with(&GroupModule, &sandbox.host(false), json!({"name": "web"}))?;
    let Some(Op::Run(spec)) = plan.changes[0].ops.first() else {
        panic!("no run: {:?}", plan.changes);
    };
    assert_eq!(
        spec.argv[0..2],
        ["groupadd".to_string(), "--root".to_string()]
    );
    assert_eq!(spec.place, crate::Place::Controller);
    Ok(())
}
