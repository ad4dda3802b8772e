//! Tests of the `nspawn` module against temp roots holding real copies of this
//! machine's systemd-nspawn@.service and machines.target, with the real
//! `systemctl --root`: the settings file, the exec_start drop-in and `enabled`, each
//! changed once then ok, check mode touching nothing; warnings and refusals.

use super::*;
use crate::test_support::{apply, Sandbox, TestResult};
use serde_json::{json, Value};

/// A root with the container units of this machine (systemd-container).
fn nspawn_root(sandbox: &Sandbox) -> TestResult {
    let units = sandbox.real("/usr/lib/systemd/system");
    std::fs::create_dir_all(&units)?;
    std::fs::create_dir_all(sandbox.real("/etc/systemd/system"))?;
    for unit in ["systemd-nspawn@.service", "machines.target"] {
        let from = Path::new("/lib/systemd/system").join(unit);
        assert!(
            from.exists(),
            "{} is missing: install systemd-container (scripts/test does)",
            from.display()
        );
        std::fs::copy(from, units.join(unit))?;
    }
    Ok(())
}

fn plan(host: &Host, args: Value) -> Result<Plan, ModuleError> {
    crate::test_support::plan_with(&NspawnModule, host, args)
}

/// The three checks (see `test_support::three_checks`) on a root with nspawn's units.
fn three_checks(args: Value) -> Result<(Sandbox, Plan), Box<dyn std::error::Error>> {
    crate::test_support::three_checks(&NspawnModule, nspawn_root, args)
}

#[test]
fn settings_file_with_a_diff() -> TestResult {
    let args = json!({
        "name": "box",
        "settings": {
            "Exec": {"Boot": true, "PrivateUsers": "pick"},
            "Files": {"Bind": ["/var/cache/pacman/pkg"]},
            "Network": {"Bridge": "br0"},
        },
    });
    let (sandbox, first) = three_checks(args)?;
    let expected = "[Exec]\nBoot=yes\nPrivateUsers=pick\n\n[Files]\nBind=/var/cache/pacman/pkg\n\n[Network]\nBridge=br0\n";
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/systemd/nspawn/box.nspawn"))?,
        expected
    );
    let diff = first
        .changes
        .iter()
        .find_map(|c| c.diff.clone())
        .ok_or("no diff")?;
    assert_eq!(diff.before_header, "/etc/systemd/nspawn/box.nspawn");
    assert_eq!(diff.after, expected);
    assert!(
        first
            .warnings
            .iter()
            .any(|w| w.contains("/var/cache/pacman/pkg")),
        "a missing bind source is worth a warning: {:?}",
        first.warnings
    );
    Ok(())
}

#[test]
fn enabled_links_machines_target_and_the_container() -> TestResult {
    let (sandbox, first) = three_checks(json!({"name": "box", "enabled": true}))?;
    let wants = |target: &str, unit: &str| {
        std::fs::symlink_metadata(
            sandbox.real(&format!("/etc/systemd/system/{target}.wants/{unit}")),
        )
        .is_ok()
    };
    assert!(wants("multi-user.target", "machines.target"));
    assert!(wants("machines.target", "systemd-nspawn@box.service"));
    let diff = first
        .changes
        .iter()
        .find_map(|c| c.diff.clone())
        .ok_or("no diff")?;
    assert_eq!(
        diff.after,
        "enabled (machines.target): true\nenabled (systemd-nspawn@box.service): true\n"
    );
    let host = sandbox.host(false);
    let disable = plan(&host, json!({"name": "box", "enabled": false}))?;
    assert_eq!(disable.changes.len(), 1);
    apply(&host, &disable)?;
    assert!(!wants("machines.target", "systemd-nspawn@box.service"));
    assert!(
        wants("multi-user.target", "machines.target"),
        "other containers need it"
    );
    Ok(())
}

#[test]
fn exec_start_is_a_drop_in_over_the_template() -> TestResult {
    let (sandbox, _) = three_checks(json!({"name": "box", "exec_start": ["--bind=/srv"]}))?;
    let dropin = std::fs::read_to_string(
        sandbox.real("/etc/systemd/system/systemd-nspawn@box.service.d/exec-start.conf"),
    )?;
    assert!(dropin.starts_with("[Service]\nExecStart=\nExecStart=systemd-nspawn "));
    assert!(dropin.ends_with(" --machine=%i --bind=/srv\n"), "{dropin}");
    let host = sandbox.host(false);
    let removal = plan(&host, json!({"name": "box", "exec_start": []}))?;
    apply(&host, &removal)?;
    assert!(!plan(&host, json!({"name": "box", "exec_start": []}))?.is_changed());
    Ok(())
}

#[test]
fn privileged_settings_next_to_the_image_are_warned_about() -> TestResult {
    let sandbox = Sandbox::new()?;
    nspawn_root(&sandbox)?;
    let planned = plan(
        &sandbox.host(true),
        json!({"name": "box", "location": "image",
               "settings": {"Exec": {"Boot": true}, "Network": {"Bridge": "br0"}}}),
    )?;
    assert_eq!(planned.warnings.len(), 1, "{:?}", planned.warnings);
    assert!(planned.warnings[0].contains("Network.Bridge"));
    assert!(planned.warnings[0].contains("/var/lib/machines/box.nspawn"));
    Ok(())
}

#[test]
fn refusals() -> TestResult {
    let sandbox = Sandbox::new()?;
    nspawn_root(&sandbox)?;
    let host = sandbox.host(false);
    for (args, says) in [
        (
            json!({"name": "box", "state": "running"}),
            "running service manager",
        ),
        (json!({"name": "../x"}), "not a machine name"),
        (
            json!({"name": "box", "settings": {"Network": {"Bridg": "br0"}}}),
            "did you mean 'Bridge'",
        ),
    ] {
        let err = plan(&host, args.clone())
            .err()
            .ok_or(format!("accepted {args}"))?;
        assert!(err.to_string().contains(says), "{err}");
    }
    Ok(())
}
