//! Tests of `expect`: what planning decides (creates/removes, prompts' regexes, the
//! timeout's forms) and real conversations on a pty through `Host::apply` on `/`.

use super::*;
use crate::test_support::TestResult;
use crate::{HostOptions, OpOutput};
use serde_json::{json, Value};

fn plan(host: &Host, args: Value) -> Result<Plan, ModuleError> {
    let args: Args =
        serde_json::from_value(args).map_err(|err| ModuleError::Failed(err.to_string()))?;
    ExpectModule.plan(&args, host)
}

fn run(host: &Host, args: Value) -> Result<OpOutput, ModuleError> {
    let plan = plan(host, args)?;
    let outputs = host.apply(&plan.changes[0].ops, false)?;
    outputs
        .into_iter()
        .next()
        .ok_or_else(|| ModuleError::Failed("no output".into()))
}

/// A script that asks two questions and says what it got, on the terminal.
const ASKS: &str = r#"printf "Name? "; read name; printf "Colour? "; read colour; [ -t 0 ] && echo tty; echo "got $name/$colour"; exit 3"#;

#[test]
fn answers_prompts_on_a_terminal() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let output = run(
        &host,
        json!({"command": format!("/bin/sh -c '{ASKS}'"),
               "responses": {"Name\\?": "ann", "(?i)colour": ["blue"]}}),
    )?;
    assert_eq!(output.rc, Some(3), "{output:?}");
    // Echo off: the answers are not in the output; the terminal's \r\n are.
    assert_eq!(output.stdout, "Name? Colour? tty\r\ngot ann/blue\r\n");
    let output = run(
        &host,
        json!({"command": format!("/bin/sh -c '{ASKS}'"), "echo": true,
               "responses": {"Name\\?": "ann", "Colour": "red"}}),
    )?;
    assert_eq!(
        output.stdout,
        "Name? ann\r\nColour? red\r\ntty\r\ngot ann/red\r\n"
    );
    Ok(())
}

#[test]
fn the_program_has_the_pty_as_its_controlling_terminal() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let output = run(
        &host,
        json!({"command": "/bin/sh -c 'printf secret: >/dev/tty; read x </dev/tty; echo \"[$x]\"'",
               "responses": {"secret:": "s3"}}),
    )?;
    assert_eq!(output.rc, Some(0));
    assert_eq!(output.stdout, "secret:[s3]\r\n");
    Ok(())
}

#[test]
fn a_list_of_answers_runs_out() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let err = run(
        &host,
        json!({"command": "/bin/sh -c 'printf \"Q \"; read a; printf \"Q \"; read b'",
               "responses": {"Q": ["one"]}}),
    )
    .err()
    .map(|err| err.to_string())
    .unwrap_or_default();
    assert_eq!(err, "No remaining responses for 'Q', output was 'b' Q''");
    Ok(())
}

#[test]
fn a_prompt_that_never_comes_times_out() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let started = std::time::Instant::now();
    let output = run(
        &host,
        json!({"command": "/bin/sh -c 'echo waiting; sleep 30'", "timeout": "1",
               "responses": {"never": "x"}}),
    )?;
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    assert_eq!(output.rc, None);
    assert_eq!(output.stdout, "waiting\r\n");
    Ok(())
}

#[test]
fn creates_and_removes_decide_through_the_host() -> TestResult {
    let sandbox = crate::test_support::Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/srv"))?;
    std::fs::write(sandbox.real("/srv/done"), "")?;
    let host = sandbox.host(false);
    let args = |key: &str, path: &str| json!({"command": "true", "responses": {}, "chdir": "/srv", key: path});
    let plan_done = plan(&host, args("creates", "done"))?;
    assert!(!plan_done.is_changed());
    assert_eq!(
        plan_done.data["stdout"],
        json!("skipped, since done exists")
    );
    assert_eq!(plan_done.data["rc"], json!(0));
    let plan_missing = plan(&host, args("removes", "missing"))?;
    assert_eq!(
        plan_missing.data["stdout"],
        json!("skipped, since missing does not exist")
    );
    let plan_runs = plan(&host, args("creates", "missing"))?;
    assert!(plan_runs.is_changed());
    assert!(plan_runs.predictable);
    assert!(!plan(&host, json!({"command": "true", "responses": {}}))?.predictable);
    Ok(())
}

#[test]
fn bad_arguments_are_refused() -> TestResult {
    let host = Host::new(HostOptions::default())?;
    let error = |args: Value| {
        plan(&host, args)
            .err()
            .map(|err| err.to_string())
            .unwrap_or_default()
    };
    assert!(error(json!({"command": " ", "responses": {}})).contains("no command given"));
    assert!(error(json!({"command": "x", "responses": {"(": "y"}}))
        .contains("invalid regular expression '('"));
    assert!(
        error(json!({"command": "x", "responses": {}, "timeout": "soon"}))
            .contains("argument 'timeout'")
    );
    let args: Args =
        serde_json::from_value(json!({"command": "x", "responses": {}, "timeout": null}))?;
    assert_eq!(args.timeout, None);
    let args: Args = serde_json::from_value(json!({"command": "x", "responses": {}}))?;
    assert_eq!(args.timeout, Some(30));
    Ok(())
}
