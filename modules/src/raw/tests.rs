//! Tests of `raw`: the line goes to the shell untouched, with the task's shell when it
//! names one, and runs for real on `/` and inside a busybox chroot.

use super::*;
use crate::test_support::{plan_with, Sandbox, TestResult};
use crate::HostOptions;
use serde_json::json;
use std::os::unix::fs::symlink;

fn the_argv(plan: &Plan) -> Option<&[String]> {
    match plan.changes.first()?.ops.first()? {
        Op::Run(spec) => Some(&spec.argv),
        _ => None,
    }
}

#[test]
fn the_line_goes_to_the_shell_as_written() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let plan = plan_with(
        &RawModule,
        &host,
        json!({"_raw_params": "echo $HOME 'a  b' | tr a-z A-Z"}),
    )?;
    assert_eq!(
        the_argv(&plan).ok_or("no run")?,
        ["/bin/sh", "-c", "echo $HOME 'a  b' | tr a-z A-Z"]
    );
    assert!(!plan.predictable, "a raw run cannot be predicted");
    assert!(plan.is_changed());
    let plan = plan_with(
        &RawModule,
        &host,
        json!({"_raw_params": "echo hi", "executable": "/bin/bash"}),
    )?;
    assert_eq!(
        the_argv(&plan).ok_or("no run")?,
        ["/bin/bash", "-c", "echo hi"]
    );
    Ok(())
}

#[test]
fn empty_lines_and_unknown_arguments_are_refused() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let empty = plan_with(&RawModule, &host, json!({"_raw_params": "  "}));
    assert!(
        matches!(empty, Err(ModuleError::InvalidArgs { .. })),
        "{empty:?}"
    );
    let chdir = plan_with(
        &RawModule,
        &host,
        json!({"_raw_params": "ls", "chdir": "/tmp"}),
    );
    assert!(chdir.is_err(), "raw takes no chdir");
    Ok(())
}

#[test]
fn it_runs_on_the_machine_and_keeps_the_output_whole() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let plan = plan_with(
        &RawModule,
        &host,
        json!({"_raw_params": "printf 'a\\nb\\n'; echo err >&2; exit 3"}),
    )?;
    let outputs = host.apply(&plan.changes[0].ops, false)?;
    assert_eq!(outputs[0].rc, Some(3));
    assert_eq!(outputs[0].stdout, "a\nb\n");
    assert_eq!(outputs[0].stderr, "err\n");
    Ok(())
}

#[test]
fn in_a_chroot_it_acts_inside_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/bin"))?;
    crate::test_support::copy_executable(
        std::path::Path::new("/bin/busybox"),
        &sandbox.real("/bin/busybox"),
    )?;
    symlink("busybox", sandbox.real("/bin/sh"))?;
    let host = sandbox.host(false);
    let plan = plan_with(
        &RawModule,
        &host,
        json!({"_raw_params": "echo inside > /etc/raw"}),
    )?;
    let outputs = host.apply(&plan.changes[0].ops)?;
    assert_eq!(outputs[0].rc, Some(0), "{:?}", outputs[0]);
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/raw"))?,
        "inside\n"
    );
    let check = sandbox.host(true);
    let plan = plan_with(
        &RawModule,
        &check,
        json!({"_raw_params": "echo again > /etc/raw2"}),
    )?;
    check.apply(&plan.changes[0].ops)?;
    assert!(
        !sandbox.real("/etc/raw2").exists(),
        "check mode ran the line"
    );
    Ok(())
}
