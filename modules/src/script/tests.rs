//! Tests of `script`: the ops it plans (a private folder, the file, the run, the
//! removal), the line Ansible builds, creates/removes, and real runs on `/` and in a
//! busybox chroot that leave nothing behind.

use super::*;
use crate::test_support::{plan_with, Sandbox, TestResult};
use crate::HostOptions;
use serde_json::json;
use std::os::unix::fs::symlink;

/// A script file of the "controller", executable.
fn script_file(dir: &Path, text: &str) -> Result<String, Box<dyn std::error::Error>> {
    use std::os::unix::fs::PermissionsExt;
    let path = dir.join("hello.sh");
    std::fs::write(&path, text)?;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))?;
    Ok(path.to_string_lossy().into_owned())
}

fn the_run(plan: &Plan) -> Option<&RunSpec> {
    plan.changes.first()?.ops.iter().find_map(|op| match op {
        Op::Run(spec) => Some(spec),
        _ => None,
    })
}

#[test]
fn the_file_is_sent_run_and_removed_with_its_folder() -> TestResult {
    let controller = tempfile::tempdir()?;
    let from = script_file(controller.path(), "#!/bin/sh\necho \"$0\" \"$@\"\n")?;
    let host = Host::new(HostOptions::default())?;
    let args = json!({"_raw_params": "hello.sh 'a b' $X", "_script_from": from});
    let plan = plan_with(&ScriptModule, &host, args)?;
    let ops = &plan.changes[0].ops;
    let (
        Op::Mkdir {
            path: folder,
            mode: 0o700,
            ..
        },
        Op::CopyFile {
            path: sent,
            mode: 0o700,
            ..
        },
        Op::Run(run),
        Op::Remove { path: removed },
    ) = (&ops[0], &ops[1], &ops[2], &ops[3])
    else {
        return Err(format!("unexpected ops {ops:?}").into());
    };
    assert!(folder.starts_with("/tmp") && folder.to_string_lossy().contains("machinist-script-"));
    assert_eq!(sent, &folder.join("hello.sh"));
    assert_eq!(removed, folder);
    assert_eq!(
        run.argv,
        [
            "/bin/sh".to_string(),
            "-c".into(),
            format!("{} 'a b' $X", sent.display())
        ]
    );
    assert!(!plan.predictable);
    let outputs = host.apply(ops, false)?;
    assert_eq!(outputs[2].rc, Some(0), "{:?}", outputs[2]);
    assert_eq!(outputs[2].stdout, format!("{} a b\n", sent.display()));
    assert!(!folder.exists(), "the script's folder was left behind");
    Ok(())
}

#[test]
fn executable_chdir_and_a_failing_script_still_cleaned() -> TestResult {
    let controller = tempfile::tempdir()?;
    let from = script_file(controller.path(), "pwd; exit 5\n")?;
    let host = Host::new(HostOptions::default())?;
    let args =
        json!({"cmd": "hello.sh", "executable": "sh", "chdir": "/usr", "_script_from": from});
    let plan = plan_with(&ScriptModule, &host, args)?;
    let run = the_run(&plan).ok_or("no run")?;
    assert!(
        run.argv[2].starts_with("sh /tmp/machinist-script-"),
        "{:?}",
        run.argv
    );
    assert_eq!(run.chdir.as_deref(), Some(Path::new("/usr")));
    let outputs = host.apply(&plan.changes[0].ops, false)?;
    assert_eq!(
        (outputs[2].rc, outputs[2].stdout.as_str()),
        (Some(5), "/usr\n")
    );
    let Op::Remove { path } = &plan.changes[0].ops[3] else {
        return Err("no removal".into());
    };
    assert!(!path.exists(), "a failed script's folder was left behind");
    Ok(())
}

#[test]
fn creates_and_removes_skip_and_make_it_predictable() -> TestResult {
    let controller = tempfile::tempdir()?;
    let from = script_file(controller.path(), "true\n")?;
    let host = Host::new(HostOptions::default())?;
    let skipped = plan_with(
        &ScriptModule,
        &host,
        json!({"_raw_params": "hello.sh", "creates": "/", "_script_from": from}),
    )?;
    assert!(skipped.skipped && !skipped.is_changed());
    assert_eq!(
        skipped.msg.as_deref(),
        Some("/ exists, matching creates option")
    );
    let skipped = plan_with(
        &ScriptModule,
        &host,
        json!({"_raw_params": "hello.sh", "removes": "/no/such/thing", "_script_from": from}),
    )?;
    assert_eq!(
        skipped.msg.as_deref(),
        Some("/no/such/thing does not exist, matching removes option")
    );
    let runs = plan_with(
        &ScriptModule,
        &host,
        json!({"_raw_params": "hello.sh", "creates": "/no/such/thing", "_script_from": from}),
    )?;
    assert!(runs.is_changed() && runs.predictable);
    Ok(())
}

#[test]
fn bad_lines_and_relative_paths_are_refused() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    for args in [
        json!({}),
        json!({"_raw_params": "a.sh", "cmd": "a.sh"}),
        json!({"_raw_params": "a.sh", "chdir": "tmp", "_script_from": "/dev/null"}),
        json!({"_raw_params": "a.sh", "creates": "x", "_script_from": "/dev/null"}),
        json!({"_raw_params": "'a.sh"}),
    ] {
        let planned = plan_with(&ScriptModule, &host, args.clone());
        assert!(
            matches!(planned, Err(ModuleError::InvalidArgs { .. })),
            "{args}: {planned:?}"
        );
    }
    Ok(())
}

#[test]
fn in_a_chroot_it_runs_inside_and_check_mode_touches_nothing() -> TestResult {
    let controller = tempfile::tempdir()?;
    let from = script_file(controller.path(), "#!/bin/sh\necho inside > /etc/ran\n")?;
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/bin"))?;
    std::fs::create_dir_all(sandbox.real("/tmp"))?;
    crate::test_support::copy_executable(
        std::path::Path::new("/bin/busybox"),
        &sandbox.real("/bin/busybox"),
    )?;
    symlink("busybox", sandbox.real("/bin/sh"))?;
    let before = crate::test_support::snapshot(&sandbox.root);
    let check = sandbox.host(true);
    let args = json!({"_raw_params": "hello.sh", "removes": "/bin/sh", "_script_from": from});
    let plan = plan_with(&ScriptModule, &check, args.clone())?;
    check.apply(&plan.changes[0].ops)?;
    assert_eq!(crate::test_support::snapshot(&sandbox.root), before);
    let host = sandbox.host(false);
    let plan = plan_with(&ScriptModule, &host, args)?;
    let outputs = host.apply(&plan.changes[0].ops)?;
    assert_eq!(outputs[2].rc, Some(0), "{:?}", outputs[2]);
    assert_eq!(
        std::fs::read_to_string(sandbox.real("/etc/ran"))?,
        "inside\n"
    );
    assert_eq!(
        std::fs::read_dir(sandbox.real("/tmp"))?.count(),
        0,
        "left in /tmp"
    );
    Ok(())
}
