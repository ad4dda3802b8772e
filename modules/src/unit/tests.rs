//! Tests of the `unit` module against small temp roots with the real
//! `systemctl --root`: enable, disable, mask, unmask, unit files and drop-ins, each
//! changed once and then ok, check mode touching nothing, and the refusals (state on
//! an offline root, a root whose /etc leads out of it).

use super::*;
use crate::test_support::{apply, Sandbox, TestResult};
use crate::{Diff, Op};
use serde_json::{json, Value};
use std::path::Path;

const FOO: &str = "[Unit]\nDescription=foo\n\n[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n";

/// A root with /usr/lib/systemd/system/foo.service, installable into multi-user.target.
fn unit_root(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/usr/lib/systemd/system"))?;
    std::fs::create_dir_all(sandbox.real("/etc/systemd/system"))?;
    std::fs::write(sandbox.real("/usr/lib/systemd/system/foo.service"), FOO)?;
    Ok(())
}

fn plan(host: &Host, args: Value) -> Result<Plan, ModuleError> {
    crate::test_support::plan_with(&UnitModule, host, args)
}

/// The three checks (see `test_support::three_checks`).
fn three_checks(
    setup: fn(&Sandbox) -> TestResult,
    args: Value,
) -> Result<(Sandbox, Plan), Box<dyn std::error::Error>> {
    crate::test_support::three_checks(&UnitModule, setup, args)
}

fn state_diff(plan: &Plan) -> Option<(String, String)> {
    plan.changes
        .iter()
        .filter_map(|change| change.diff.as_ref())
        .find(|diff| !diff.before_header.starts_with('/'))
        .map(|diff| (diff.before.clone(), diff.after.clone()))
}

#[test]
fn enable_links_into_the_wants_directory() -> TestResult {
    let (sandbox, first) = three_checks(unit_root, json!({"name": "foo", "enabled": true}))?;
    let link = sandbox.real("/etc/systemd/system/multi-user.target.wants/foo.service");
    assert!(std::fs::symlink_metadata(link)?.file_type().is_symlink());
    assert_eq!(
        state_diff(&first),
        Some(("enabled: false\n".into(), "enabled: true\n".into()))
    );
    assert_eq!(first.data.get("enabled"), Some(&json!(true)));
    Ok(())
}

#[test]
fn disable_removes_the_link() -> TestResult {
    fn enabled(sandbox: &Sandbox) -> TestResult {
        unit_root(sandbox)?;
        let wants = sandbox.real("/etc/systemd/system/multi-user.target.wants");
        std::fs::create_dir_all(&wants)?;
        std::os::unix::fs::symlink(
            "/usr/lib/systemd/system/foo.service",
            wants.join("foo.service"),
        )?;
        Ok(())
    }
    let (sandbox, _) = three_checks(enabled, json!({"name": "foo.service", "enabled": false}))?;
    let link = sandbox.real("/etc/systemd/system/multi-user.target.wants/foo.service");
    assert!(std::fs::symlink_metadata(link).is_err());
    Ok(())
}

#[test]
fn mask_and_unmask() -> TestResult {
    let (sandbox, first) = three_checks(unit_root, json!({"name": "foo", "masked": true}))?;
    let mask = std::fs::read_link(sandbox.real("/etc/systemd/system/foo.service"))?;
    assert_eq!(mask, Path::new("/dev/null"));
    assert_eq!(
        state_diff(&first),
        Some(("masked: false\n".into(), "masked: true\n".into()))
    );
    let host = sandbox.host(false);
    let unmask = plan(
        &host,
        json!({"name": "foo", "masked": false, "enabled": true}),
    )?;
    apply(&host, &unmask)?;
    assert!(!plan(
        &host,
        json!({"name": "foo", "masked": false, "enabled": true})
    )?
    .is_changed());
    assert!(!sandbox.real("/etc/systemd/system/foo.service").exists());
    Ok(())
}

/// Check mode remembers what systemctl would have done for the rest of the run:
/// masked, then unmasked (its own state shows again), then enabled.
#[test]
fn check_mode_remembers_enablement_across_tasks() -> TestResult {
    let sandbox = Sandbox::new()?;
    unit_root(&sandbox)?;
    let check = sandbox.host(true);
    let changed = |args: Value| -> Result<bool, ModuleError> {
        let planned = plan(&check, args)?;
        apply(&check, &planned)?;
        Ok(planned.is_changed())
    };
    assert!(changed(json!({"name": "foo", "masked": true}))?);
    assert!(!changed(json!({"name": "foo", "masked": true}))?);
    let enabling = plan(&check, json!({"name": "foo", "enabled": true}));
    assert!(enabling.is_err(), "a masked unit cannot be enabled");
    assert!(changed(json!({"name": "foo", "masked": false}))?);
    assert!(!changed(json!({"name": "foo", "masked": false}))?);
    assert!(changed(json!({"name": "foo", "enabled": true}))?);
    assert!(!changed(json!({"name": "foo", "enabled": true}))?);
    assert!(changed(json!({"name": "foo", "enabled": false}))?);
    assert!(!sandbox.real("/etc/systemd/system/foo.service").exists());
    assert!(!sandbox
        .real("/etc/systemd/system/multi-user.target.wants")
        .exists());
    Ok(())
}

#[test]
fn a_new_unit_file_is_written_then_enabled() -> TestResult {
    fn bare(sandbox: &Sandbox) -> TestResult {
        std::fs::create_dir_all(sandbox.real("/usr/lib/systemd/system"))?;
        std::fs::create_dir_all(sandbox.real("/etc/systemd/system"))?;
        Ok(())
    }
    let args = json!({"name": "bar", "content": FOO, "enabled": true});
    let (sandbox, first) = three_checks(bare, args)?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/systemd/system/bar.service"))?,
        FOO
    );
    let diffs: Vec<&Diff> = first
        .changes
        .iter()
        .filter_map(|c| c.diff.as_ref())
        .collect();
    assert_eq!(diffs.len(), 2, "a content diff and a state diff: {diffs:?}");
    assert_eq!(diffs[0].before_header, "/etc/systemd/system/bar.service");
    let link = sandbox.real("/etc/systemd/system/multi-user.target.wants/bar.service");
    assert!(std::fs::symlink_metadata(link)?.file_type().is_symlink());
    Ok(())
}

#[test]
fn dropins_go_into_the_units_d_directory() -> TestResult {
    let args = json!({
        "name": "systemd-nspawn@.service",
        "dropin": "override.conf",
        "content": "[Service]\nExecStart=\nExecStart=systemd-nspawn -b\n",
    });
    let (sandbox, first) = three_checks(unit_root, args)?;
    let written = sandbox.real("/etc/systemd/system/systemd-nspawn@.service.d/override.conf");
    assert!(std::fs::read_to_string(written)?.contains("ExecStart=systemd-nspawn -b"));
    assert_eq!(first.changes.len(), 1);
    Ok(())
}

#[test]
fn static_units_have_nothing_to_enable() -> TestResult {
    let sandbox = Sandbox::new()?;
    unit_root(&sandbox)?;
    std::fs::write(
        sandbox.real("/usr/lib/systemd/system/lone.service"),
        "[Service]\nExecStart=/bin/true\n",
    )?;
    let planned = plan(
        &sandbox.host(false),
        json!({"name": "lone", "enabled": true}),
    )?;
    assert!(!planned.is_changed());
    assert!(planned.msg.unwrap_or_default().contains("static"));
    Ok(())
}

#[test]
fn a_missing_unit_cannot_be_enabled() -> TestResult {
    let sandbox = Sandbox::new()?;
    unit_root(&sandbox)?;
    let err = plan(
        &sandbox.host(false),
        json!({"name": "nope", "enabled": true}),
    )
    .err()
    .ok_or("enabled a missing unit")?;
    assert!(err.to_string().contains("nope.service"), "{err}");
    // No module asks which mode it is in: a task in check mode fails the same way.
    let checking = sandbox.host(true);
    let err = plan(&checking, json!({"name": "nope", "enabled": true}))
        .err()
        .ok_or("check mode enabled a missing unit")?;
    assert!(err.to_string().contains("nope.service"), "{err}");
    // An earlier task's install, recorded and not run, may bring the unit: the Host
    // holds that prediction, and the plan follows it with a warning.
    checking.apply(&[Op::Run(crate::RunSpec {
        argv: vec!["pacman".into(), "-S".into(), "nope".into()],
        ..crate::RunSpec::default()
    })])?;
    let predicted = plan(&checking, json!({"name": "nope", "enabled": true}))?;
    assert!(predicted.is_changed());
    assert_eq!(predicted.warnings.len(), 1, "{:?}", predicted.warnings);
    Ok(())
}

#[test]
fn state_needs_a_running_manager() -> TestResult {
    let sandbox = Sandbox::new()?;
    unit_root(&sandbox)?;
    let err = plan(
        &sandbox.host(false),
        json!({"name": "foo", "state": "started"}),
    )
    .err()
    .ok_or("started a unit on an offline root")?;
    assert!(err.to_string().contains("running service manager"), "{err}");
    let err = plan(&sandbox.host(false), json!({"daemon_reload": true}))
        .err()
        .ok_or("daemon-reload on an offline root")?;
    assert!(err.to_string().contains("daemon_reload"), "{err}");
    Ok(())
}

#[test]
fn contradictions_are_refused() {
    let host = Host::new(crate::HostOptions::new("/")).ok();
    let Some(host) = host else { return };
    for args in [
        json!({"name": "a", "masked": true, "enabled": true}),
        json!({"name": "a", "masked": true, "state": "started"}),
        json!({"name": "a", "dropin": "x.conf"}),
        json!({"enabled": true}),
        json!({"name": "a", "scope": "global", "state": "started"}),
    ] {
        assert!(
            matches!(
                plan(&host, args.clone()),
                Err(ModuleError::InvalidArgs { .. })
            ),
            "{args}"
        );
    }
}

#[test]
fn a_root_whose_etc_leads_out_is_never_written_through() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.decoy.join("systemd/system"))?;
    std::fs::remove_dir(sandbox.real("/etc"))?;
    std::os::unix::fs::symlink(&sandbox.decoy, sandbox.real("/etc"))?;
    std::fs::create_dir_all(sandbox.real("/usr/lib/systemd/system"))?;
    std::fs::write(sandbox.real("/usr/lib/systemd/system/foo.service"), FOO)?;
    let decoy = sandbox.decoy_snapshot();
    // systemctl runs jailed: the link leads nowhere there; whatever it answers, the
    // decoy is never written.
    let host = sandbox.host(false);
    if let Ok(planned) = plan(&host, json!({"name": "foo", "enabled": true})) {
        let ops: Vec<crate::Op> = planned.changes.into_iter().flat_map(|c| c.ops).collect();
        let _ = host.apply(&ops);
    }
    assert_eq!(sandbox.decoy_snapshot(), decoy);
    Ok(())
}
