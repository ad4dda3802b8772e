//! Tests of `command` and `shell`: what planning decides (creates/removes through the
//! overlay, argument checks), and real runs through `Host::apply` on `/` and inside a
//! busybox chroot.

use super::*;
use crate::test_support::{Sandbox, TestResult};
use crate::{HostOptions, OpOutput};
use serde_json::{json, Value};
use std::os::unix::fs::symlink;

const COMMAND: CommandModule = CommandModule { shell: false };
const SHELL: CommandModule = CommandModule { shell: true };

fn plan(module: &CommandModule, host: &Host, args: Value) -> Result<Plan, ModuleError> {
    let args: Args =
        serde_json::from_value(args).map_err(|err| ModuleError::Failed(err.to_string()))?;
    module.plan(&args, host)
}

fn the_run(plan: &Plan) -> Option<&RunSpec> {
    match plan.changes.first()?.ops.first()? {
        Op::Run(spec) => Some(spec),
        _ => None,
    }
}

/// Plan and apply on the host; the output of the one run.
fn run(
    module: &CommandModule,
    host: &Host,
    args: Value,
) -> Result<OpOutput, Box<dyn std::error::Error>> {
    let plan = plan(module, host, args)?;
    let outputs = host.apply(&plan.changes[0].ops, false)?;
    Ok(outputs.into_iter().next().ok_or("no output")?)
}

fn error_of(result: Result<Plan, ModuleError>) -> String {
    result.err().map(|err| err.to_string()).unwrap_or_default()
}

#[test]
fn command_splits_without_a_shell() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let plan = plan(
        &COMMAND,
        &host,
        json!({"cmd": "echo 'a b' $HOME", "expand_argument_vars": false}),
    )?;
    let spec = the_run(&plan).ok_or("no run")?;
    assert_eq!(spec.argv, ["echo", "a b", "$HOME"]);
    assert_eq!(plan.changes[0].summary, "run: echo 'a b' $HOME");
    assert!(plan.changes[0].diff.is_none());
    assert!(!plan.predictable);
    assert_eq!(plan.data["cmd"], json!(["echo", "a b", "$HOME"]));
    Ok(())
}

#[test]
fn command_expands_variables_and_the_home_as_ansible() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let home = std::env::var("HOME").unwrap_or_default();
    let plan = plan(
        &COMMAND,
        &host,
        json!({"cmd": "echo $HOME ${MINE} $NOT_SET ~/x", "environment": {"MINE": "mine"}}),
    )?;
    let spec = the_run(&plan).ok_or("no run")?;
    let tilde = if home.is_empty() {
        "~/x".to_string()
    } else {
        format!("{}/x", home.trim_end_matches('/'))
    };
    assert_eq!(
        spec.argv,
        [
            "echo".to_string(),
            home.clone(),
            "mine".into(),
            "$NOT_SET".into(),
            tilde
        ]
    );
    // What is registered and shown is the command as written, as Ansible's `cmd`.
    assert_eq!(
        plan.data["cmd"],
        json!(["echo", "$HOME", "${MINE}", "$NOT_SET", "~/x"])
    );
    Ok(())
}

#[test]
fn shell_runs_the_line_through_sh() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let plan = plan(&SHELL, &host, json!({"cmd": "echo $HOME | wc -c"}))?;
    assert_eq!(
        the_run(&plan).ok_or("no run")?.argv,
        ["/bin/sh", "-c", "echo $HOME | wc -c"]
    );
    assert_eq!(plan.data["cmd"], "echo $HOME | wc -c");
    let bash = plan_with_bash(&host)?;
    assert_eq!(the_run(&bash).ok_or("no run")?.argv[0], "/bin/bash");
    Ok(())
}

fn plan_with_bash(host: &Host) -> Result<Plan, ModuleError> {
    plan(
        &SHELL,
        host,
        json!({"cmd": "echo", "executable": "/bin/bash"}),
    )
}

#[test]
fn argv_is_taken_as_is() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let plan = plan(&COMMAND, &host, json!({"argv": ["printf", "%s\\n", "a b"]}))?;
    assert_eq!(
        the_run(&plan).ok_or("no run")?.argv,
        ["printf", "%s\\n", "a b"]
    );
    assert_eq!(plan.changes[0].summary, "run: printf '%s\\n' 'a b'");
    Ok(())
}

#[test]
fn arguments_that_do_not_fit_are_refused() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let both = plan(&COMMAND, &host, json!({"cmd": "true", "argv": ["true"]}));
    assert_eq!(error_of(both), "command: give exactly one of cmd and argv");
    assert_eq!(
        error_of(plan(&COMMAND, &host, json!({}))),
        "command: give exactly one of cmd and argv"
    );
    assert!(
        error_of(plan(&COMMAND, &host, json!({"cmd": "echo 'oops"})))
            .contains("unterminated single quote")
    );
    assert!(error_of(plan(&COMMAND, &host, json!({"cmd": "  "}))).contains("no program to run"));
    assert!(error_of(plan(&SHELL, &host, json!({"argv": ["true"]}))).contains("give cmd"));
    let executable = plan(
        &COMMAND,
        &host,
        json!({"cmd": "true", "executable": "/bin/bash"}),
    );
    assert!(error_of(executable).contains("only for the shell module"));
    Ok(())
}

#[test]
fn creates_and_removes_decide_through_the_overlay() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::write(sandbox.real("/etc/done"), "")?;
    let host = sandbox.host(true);
    let exists = plan(
        &COMMAND,
        &host,
        json!({"cmd": "make", "creates": "/etc/done"}),
    )?;
    assert!(!exists.is_changed());
    assert_eq!(
        exists.msg.as_deref(),
        Some("Did not run command since '/etc/done' exists")
    );
    assert_eq!(exists.data["stdout"], "skipped, since /etc/done exists");
    let relative = plan(
        &COMMAND,
        &host,
        json!({"cmd": "make", "chdir": "/etc", "creates": "done"}),
    )?;
    assert!(!relative.is_changed());
    let missing = plan(
        &COMMAND,
        &host,
        json!({"cmd": "make", "removes": "/etc/todo"}),
    )?;
    assert_eq!(
        missing.msg.as_deref(),
        Some("Did not run command since '/etc/todo' does not exist")
    );
    let runs = plan(
        &COMMAND,
        &host,
        json!({"cmd": "make", "creates": "/etc/new"}),
    )?;
    assert!(runs.is_changed() && runs.predictable);
    // A file "written" by an earlier task in check mode counts.
    host.apply(&[Op::WriteFile {
        path: "/etc/todo".into(),
        content: Vec::new(),
        mode: 0o644,
        owner: crate::Ownership::default(),
    }])?;
    let now_present = plan(
        &COMMAND,
        &host,
        json!({"cmd": "make", "removes": "todo", "chdir": "etc"}),
    )?;
    assert!(now_present.is_changed() && now_present.predictable);
    assert_eq!(
        the_run(&now_present).ok_or("no run")?.chdir.as_deref(),
        Some(Path::new("/etc"))
    );
    Ok(())
}

#[test]
fn a_real_run_on_the_host_root() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let output = run(
        &SHELL,
        &host,
        json!({"cmd": "echo hi; echo err >&2; exit 3"}),
    )?;
    let expected = OpOutput {
        rc: Some(3),
        stdout: "hi\n".into(),
        stderr: "err\n".into(),
    };
    assert_eq!(output, expected);
    Ok(())
}

#[test]
fn stdin_environment_and_chdir() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let args = json!({"argv": ["sh", "-c", "pwd; echo \"$WHO\"; cat"], "chdir": "/usr", "stdin": "typed", "environment": {"WHO": "me"}});
    let output = run(&COMMAND, &host, args)?;
    assert_eq!(output.stdout, "/usr\nme\ntyped\n");
    let args = json!({"cmd": "cat", "stdin": "raw", "stdin_add_newline": false});
    assert_eq!(run(&COMMAND, &host, args)?.stdout, "raw");
    Ok(())
}

#[test]
fn a_run_in_a_chroot_acts_inside_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/bin"))?;
    crate::test_support::copy_executable(
        std::path::Path::new("/bin/busybox"),
        &sandbox.real("/bin/busybox"),
    )?;
    symlink("busybox", sandbox.real("/bin/sh"))?;
    let host = sandbox.host(false);
    assert_eq!(host.exec(), crate::host::Exec::Chroot);
    let output = run(
        &SHELL,
        &host,
        json!({"cmd": "pwd > /x; echo inside", "chdir": "/etc"}),
    )?;
    assert_eq!(
        (output.rc, output.stdout.as_str()),
        (Some(0), "inside\n"),
        "{output:?}"
    );
    assert_eq!(std::fs::read_to_string(sandbox.real("/x"))?, "/etc\n");
    assert!(!std::path::Path::new("/x").exists() || std::fs::read_to_string("/x")? != "/etc\n");
    let skipped = plan(&SHELL, &host, json!({"cmd": "pwd > /x", "creates": "/x"}))?;
    assert!(!skipped.is_changed());
    Ok(())
}
