use super::*;
use crate::test_support::{plan_with, three_checks, Sandbox, TestResult};
use serde_json::json;

fn fragments(sandbox: &Sandbox) -> TestResult {
    std::fs::create_dir_all(sandbox.real("/etc/app.d"))?;
    std::fs::write(sandbox.real("/etc/app.d/10-base.conf"), "a = 1\n")?;
    std::fs::write(sandbox.real("/etc/app.d/20-extra.conf"), "b = 2")?;
    std::fs::write(sandbox.real("/etc/app.d/30-last.conf"), "c = 3\n")?;
    std::fs::write(sandbox.real("/etc/app.d/.hidden.conf"), "hidden\n")?;
    std::fs::write(sandbox.real("/etc/app.d/README"), "not a fragment\n")?;
    std::fs::create_dir(sandbox.real("/etc/app.d/sub.conf"))?;
    Ok(())
}

#[test]
fn fragments_are_joined_in_name_order_as_ansible_joins_them() -> TestResult {
    let (sandbox, first) = three_checks(
        &AssembleModule,
        fragments,
        json!({"src": "/etc/app.d", "dest": "/etc/app.conf", "regexp": "\\.conf$",
               "ignore_hidden": true, "delimiter": "# --", "mode": "0600"}),
    )?;
    assert_eq!(first.msg.as_deref(), Some("OK"));
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/app.conf"))?,
        "a = 1\n# --\nb = 2\n# --\nc = 3\n"
    );
    Ok(())
}

#[test]
fn every_regular_file_without_filters_and_an_escaped_delimiter() -> TestResult {
    let (sandbox, _) = three_checks(
        &AssembleModule,
        fragments,
        json!({"src": "/etc/app.d", "dest": "/etc/app.conf", "delimiter": "\\n#\\n"}),
    )?;
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/app.conf"))?,
        "hidden\n\n#\na = 1\n\n#\nb = 2\n\n#\nc = 3\n\n#\nnot a fragment\n"
    );
    Ok(())
}

#[test]
fn a_missing_source_and_controller_fragments_are_refused() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let missing = plan_with(
        &AssembleModule,
        &host,
        json!({"src": "/etc/none", "dest": "/etc/out"}),
    );
    assert_eq!(
        missing.err().map(|e| e.to_string()),
        Some("Source (/etc/none) does not exist".into())
    );
    let controller = plan_with(
        &AssembleModule,
        &host,
        json!({"src": "/etc", "dest": "/etc/out", "remote_src": false}),
    );
    assert!(controller.is_err(), "remote_src: false was accepted");
    Ok(())
}

#[test]
fn fragments_behind_a_link_out_of_the_root_stay_inside() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::os::unix::fs::symlink(&sandbox.decoy, sandbox.real("/etc/frags"))?;
    let host = sandbox.host(false);
    let out = plan_with(
        &AssembleModule,
        &host,
        json!({"src": "/etc/frags", "dest": "/etc/out"}),
    );
    if let Ok(plan) = out {
        for change in &plan.changes {
            let diff = change
                .diff
                .as_ref()
                .map(|d| d.after.clone())
                .unwrap_or_default();
            assert!(!diff.contains("keep me"), "the decoy was read: {diff}");
        }
    }
    Ok(())
}

#[test]
fn python_escapes_are_decoded() {
    assert_eq!(unescape("a\\tb\\x41\\101\\\\\\q"), b"a\tbAA\\\\q".to_vec());
}
