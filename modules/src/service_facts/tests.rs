//! Tests of service_facts: the parsing of each tool's output as Ansible's patterns
//! read it, and the module on temp roots (a `service` script run in the root, in
//! place of SysV's; no tool at all).

use super::*;
use crate::test_support::{plan_with, Sandbox, TestResult};
use serde_json::json;

#[test]
fn status_all_lines_are_read_as_ansibles_pattern_reads_them() {
    let out = " [ + ]  cron\n [ - ]  ssh\n [ ? ]  hwclock.sh\n[ + ] x11 common\nnoise\n[ -]  no\n";
    assert_eq!(
        status_all(out),
        [("cron", true), ("ssh", false), ("x11 common", true)]
    );
}

#[test]
fn unit_lines_keep_a_bad_state_and_running_only_when_sub_says_so() {
    let out = "UNIT LOAD ACTIVE SUB DESCRIPTION\n\
        cron.service loaded active running Regular background program processing daemon\n\
        ssh.service loaded inactive dead OpenBSD Secure Shell server\n\
        gone.service not-found inactive dead gone.service\n\
        broken.service loaded failed failed Broken\n\
        odd.service loaded active exited The masked\n\
        3 loaded units listed.\n";
    assert_eq!(
        unit_lines(out),
        [
            ("cron.service", "running", "active"),
            ("ssh.service", "stopped", "inactive"),
            ("gone.service", "stopped", "not-found"),
            ("broken.service", "stopped", "failed"),
            ("odd.service", "stopped", "active"),
        ]
    );
}

#[test]
fn a_root_with_sysvs_service_tool_reports_its_answer() -> TestResult {
    let sandbox = Sandbox::new()?;
    let busybox = Path::new("/bin/busybox");
    if !busybox.exists() {
        return Err("busybox-static is needed (apt-get install busybox-static)".into());
    }
    std::fs::create_dir_all(sandbox.real("/bin"))?;
    std::fs::create_dir_all(sandbox.real("/usr/sbin"))?;
    crate::test_support::copy_executable(busybox, &sandbox.real("/bin/busybox"))?;
    std::os::unix::fs::symlink("busybox", sandbox.real("/bin/sh"))?;
    let scratch = tempfile::tempdir()?;
    let script = scratch.path().join("service");
    std::fs::write(
        &script,
        "#!/bin/sh\necho ' [ + ]  cron'\necho ' [ - ]  ssh'\necho ' [ ? ]  hwclock.sh'\n",
    )?;
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755))?;
    crate::test_support::copy_executable(&script, &sandbox.real("/usr/sbin/service"))?;
    let host = sandbox.host(false);
    let plan = plan_with(&ServiceFactsModule, &host, json!({}))?;
    assert!(!plan.is_changed());
    assert_eq!(
        plan.data["ansible_facts"]["services"],
        json!({
            "cron": {"name": "cron", "state": "running", "source": "sysv"},
            "ssh": {"name": "ssh", "state": "stopped", "source": "sysv"},
        })
    );
    Ok(())
}

#[test]
fn a_root_with_no_service_tool_is_skipped_as_ansible_skips_it() -> TestResult {
    let sandbox = Sandbox::new()?;
    let host = sandbox.host(false);
    let plan = plan_with(&ServiceFactsModule, &host, json!({}))?;
    assert!(plan.skipped);
    assert_eq!(plan.msg.as_deref(), Some(NOTHING_FOUND));
    assert!(plan_with(&ServiceFactsModule, &host, json!({"name": "x"})).is_err());
    Ok(())
}
