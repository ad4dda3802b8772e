//! One module's run on one Host: plan, then apply (or record, under check mode), and
//! the result shaped as Ansible registers it. The seam between the executor, which
//! renders, reports and registers, and the place the module acts: this process's Host
//! today, an agent's Host across a connection (issue 17).

use super::outcome::Outcome;
use machinist_modules::registry::PlanError;
use machinist_modules::{Builtin, Host, ModuleError, Op, OpOutput, Progress};
use serde_json::Value as Json;

/// A module with its rendered arguments (sources already resolved) and the task's flags.
#[derive(Debug, Clone)]
pub struct ModuleRequest {
    pub builtin: Builtin,
    pub args: serde_json::Map<String, Json>,
    /// The task runs in check mode (`--check`, or its own `check_mode: true`).
    pub check: bool,
    /// The result's keys are read (registered, changed_when/failed_when, a loop): a
    /// module's deferred keys are built only then.
    pub keys_read: bool,
    /// `async:`: run it as a background job stopped after this long (run/jobs.rs);
    /// the run answers at once with the job's id.
    pub async_limit: Option<std::time::Duration>,
    /// `timeout:`: the module's programs are killed, and it stops before its next
    /// operation, once it has run this long; the task then fails as Ansible's does.
    pub timeout: Option<std::time::Duration>,
}

/// What happens while a module runs, in order.
pub enum ModuleEvent<'a> {
    Warning(String),
    /// The ops about to be applied (or recorded).
    Applying(&'a [Op]),
    Progress(Progress),
}

/// How a module's run ended (sent back by an agent: runner/agent/).
#[derive(Debug, serde::Serialize, serde::Deserialize)]
#[serde(tag = "end", rename_all = "snake_case")]
pub enum ModuleRun {
    Done(Outcome),
    /// An argument is at fault (`field`, when one is): the caller points at it.
    BadArgs {
        field: Option<String>,
        message: String,
    },
    /// A signal stopped the apply; the outcome is failed.
    Interrupted(Outcome),
}

pub fn run_module(
    host: &Host,
    request: &ModuleRequest,
    on_event: &mut dyn FnMut(ModuleEvent),
) -> ModuleRun {
    if let Some(limit) = request.async_limit {
        // The job owns a Host of its own on the same root (and check-mode overlay).
        return match host.within(std::path::Path::new("/")) {
            Ok(job_host) => {
                let hidden = host.logs_hidden();
                let started = super::jobs::start(job_host, request.clone(), limit, hidden);
                ModuleRun::Done(started)
            }
            Err(err) => ModuleRun::Done(Outcome::failed(err.to_string())),
        };
    }
    if let Some(limit) = request.timeout {
        return run_within(host, request, limit, on_event);
    }
    let builtin = request.builtin;
    let check = request.check;
    let mut plan = match builtin.plan(&Json::Object(request.args.clone()), host) {
        Ok(plan) => plan,
        Err(PlanError::Args(err)) => {
            return ModuleRun::BadArgs {
                field: err.field,
                message: err.message,
            }
        }
        Err(PlanError::Module(ModuleError::InvalidArgs { field, message })) => {
            return ModuleRun::BadArgs { field, message }
        }
        Err(PlanError::Module(err)) => return ModuleRun::Done(Outcome::failed(err.to_string())),
    };
    for warning in std::mem::take(&mut plan.warnings) {
        on_event(ModuleEvent::Warning(warning));
    }
    let mut outcome = Outcome::ok();
    outcome.data = if request.keys_read || plan.is_changed() {
        plan.take_data()
    } else {
        std::mem::take(&mut plan.data)
    };
    outcome.msg = plan.msg.take();
    if builtin == Builtin::Synchronize {
        synchronize_cmd(&mut outcome.data, check);
    }
    outcome.diff = plan.changes.iter().filter_map(|c| c.diff.clone()).collect();
    if !plan.is_changed() {
        outcome.skipped = plan.skipped;
        if check {
            // Ansible's command says what it would not do in check mode.
            if let Some(rest) = outcome
                .msg
                .as_deref()
                .and_then(|msg| msg.strip_prefix("Did not run command since"))
            {
                outcome.msg = Some(format!("Would not run command since{rest}"));
            }
        }
        return ModuleRun::Done(outcome);
    }
    if check && !plan.predictable && builtin.output_whole() {
        // Ansible's raw action in check mode: `skipped`, and nothing else said; its
        // script without creates/removes: skipped with this message.
        let mut skipped = Outcome::ok();
        skipped.skipped = true;
        if builtin == Builtin::Script {
            skipped.msg = Some("Check mode is not supported for this task.".into());
        }
        return ModuleRun::Done(skipped);
    }
    if check && !plan.predictable && builtin == Builtin::Expect {
        // Ansible's expect has no check mode: AnsibleModule's words.
        let mut skipped =
            Outcome::ok().with_msg("remote module (expect) does not support check mode");
        skipped.skipped = true;
        return ModuleRun::Done(skipped);
    }
    if check && !plan.predictable {
        // As Ansible's command registers it: `skipped` and the message, no `skip_reason`.
        let mut skipped = Outcome {
            skipped: true,
            ..Outcome::ok()
        }
        .with_msg("Command would have run if not in check mode");
        let runs = plan
            .changes
            .iter()
            .flat_map(|c| &c.ops)
            .any(|op| matches!(op, Op::Run(_)));
        if runs {
            // As Ansible's command module registers it: a command that did not
            // run has rc 0 and empty output, so `r.rc` and `r.stdout` still work.
            // Its `cmd` too, as the module registers it before deciding not to run.
            if let Some(cmd) = outcome.data.get("cmd") {
                skipped.data.insert("cmd".into(), cmd.clone());
            }
            for (key, value) in [
                ("rc", Json::from(0)),
                ("start", Json::Null),
                ("end", Json::Null),
                ("delta", Json::Null),
                ("stdout", Json::from("")),
                ("stderr", Json::from("")),
                ("stdout_lines", Json::Array(Vec::new())),
                ("stderr_lines", Json::Array(Vec::new())),
            ] {
                skipped.data.insert(key.into(), value);
            }
        }
        return ModuleRun::Done(skipped);
    }
    outcome.changed = true;
    let ops: Vec<Op> = plan.changes.into_iter().flat_map(|c| c.ops).collect();
    if !check {
        on_event(ModuleEvent::Applying(&ops));
    }
    let started = (matches!(builtin, Builtin::Command | Builtin::Shell | Builtin::Expect)
        && !check)
        .then(Started::now);
    let applied = host.apply_with_progress(&ops, check, &mut |progress| {
        on_event(ModuleEvent::Progress(progress))
    });
    match applied {
        // Ansible's script predicted in check mode says only that it changes.
        Ok(_) if check && builtin.output_whole() => {}
        // synchronize's plan holds what rsync --dry-run printed: check mode keeps it.
        Ok(_) if check && builtin == Builtin::Synchronize => {}
        Ok(outputs) if builtin == Builtin::Synchronize => {
            synchronize_result(&mut outcome, &ops, &outputs)
        }
        Ok(outputs) => {
            command_result(&mut outcome, builtin, &ops, &outputs);
            if let Some(started) = started {
                started.register_end(&mut outcome.data);
            }
        }
        Err(err) => {
            let interrupted = matches!(err, ModuleError::Interrupted { .. });
            // A refused validation replaced nothing: failed, not changed.
            if matches!(
                err,
                ModuleError::Refused(_) | ModuleError::Invalidated { .. }
            ) {
                outcome.changed = false;
            }
            outcome.failed = true;
            outcome.msg = Some(err.to_string());
            if let ModuleError::Invalidated { rc, stdout, stderr } = err {
                invalidated(&mut outcome, builtin, rc, stdout, stderr);
            }
            if interrupted {
                return ModuleRun::Interrupted(outcome);
            }
        }
    }
    ModuleRun::Done(outcome)
}

/// The result of content its `validate` command refused, as Ansible's modules give it:
/// copy and template say `failed to validate` with the command's `exit_status` and
/// output beside the content's `checksum`; the editors (lineinfile, …) only their
/// message, and no diff is registered.
fn invalidated(
    outcome: &mut Outcome,
    builtin: Builtin,
    rc: Option<i32>,
    stdout: String,
    stderr: String,
) {
    outcome.diff.clear();
    if !matches!(builtin, Builtin::Copy | Builtin::Template) {
        outcome.data.clear();
        outcome.diff_registered = super::outcome::RegisteredDiff::Absent;
        return;
    }
    outcome.msg = Some("failed to validate".into());
    outcome.data.retain(|key, _| key == "checksum");
    outcome.data.insert("exit_status".into(), Json::from(rc));
    for (key, text) in [("stdout", stdout), ("stderr", stderr)] {
        let lines: Vec<Json> = text.lines().map(Json::from).collect();
        outcome
            .data
            .insert(format!("{key}_lines"), Json::Array(lines));
        outcome.data.insert(key.into(), Json::from(text));
    }
}

/// [`run_module`] stopped at `limit` (a task's `timeout:`): a timer thread stops it as
/// a job's time limit stops a job (its programs get SIGKILL; the Host applies no
/// operation after that), and the task fails with Ansible's message and `timedout`.
fn run_within(
    host: &Host,
    request: &ModuleRequest,
    limit: std::time::Duration,
    on_event: &mut dyn FnMut(ModuleEvent),
) -> ModuleRun {
    use machinist_modules::interrupt::{self, Interrupt};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::{mpsc, Arc};
    const KILL: i32 = 9;
    let unbounded = ModuleRequest {
        timeout: None,
        ..request.clone()
    };
    let stop = Arc::new(Interrupt::new());
    let expired = Arc::new(AtomicBool::new(false));
    let (finished, watched) = mpsc::channel::<()>();
    let timer = {
        let stop = Arc::clone(&stop);
        let expired = Arc::clone(&expired);
        std::thread::Builder::new()
            .name("task timeout".into())
            .spawn(move || {
                if watched.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout) {
                    tracing::debug!(
                        seconds = limit.as_secs(),
                        "the task's timeout is over: stopping it"
                    );
                    expired.store(true, Ordering::SeqCst);
                    stop.raise(KILL);
                }
            })
    };
    if let Err(err) = timer {
        // A task nothing would stop in time is not run at all.
        return ModuleRun::Done(Outcome::failed(format!(
            "cannot watch the task's timeout: {err}"
        )));
    }
    let run = interrupt::as_job(stop, || run_module(host, &unbounded, on_event));
    drop(finished);
    if !expired.load(Ordering::SeqCst) {
        return run;
    }
    // As ansible-core's: the stopped module's result gives way to the timeout's, not
    // changed, whatever the module had begun.
    drop(run);
    let seconds = limit.as_secs();
    let mut outcome = Outcome::failed(format!("Task failed: Timed out after {seconds} second(s)."));
    outcome
        .data
        .insert("timedout".into(), serde_json::json!({ "period": seconds }));
    ModuleRun::Done(outcome)
}

/// When a command started: Ansible's command registers `start`, `end` and `delta`
/// as Python prints `datetime.now()` and the `timedelta` between them.
struct Started {
    text: String,
    at: std::time::Instant,
}

impl Started {
    fn now() -> Started {
        Started {
            text: crate::template::now_text(),
            at: std::time::Instant::now(),
        }
    }

    fn register_end(self, data: &mut serde_json::Map<String, Json>) {
        let micros = i64::try_from(self.at.elapsed().as_micros()).unwrap_or(i64::MAX);
        let delta = crate::template::TimeDelta::from_microseconds(micros);
        data.insert("start".into(), Json::String(self.text));
        data.insert("end".into(), Json::String(crate::template::now_text()));
        data.insert("delta".into(), Json::String(delta.to_string()));
    }
}

/// The tool a module ran, past the wrappers that confine it (`setpriv … -- unshare
/// … -- pacstrap …` is pacstrap).
fn tool_name(argv: &[String]) -> String {
    let mut at = 0;
    while argv
        .get(at)
        .is_some_and(|word| word == "setpriv" || word == "unshare")
    {
        match argv[at..].iter().position(|word| word == "--") {
            Some(dashes) => at += dashes + 1,
            None => break,
        }
    }
    argv.get(at).or(argv.first()).cloned().unwrap_or_default()
}

/// synchronize's `cmd` as Ansible registers it: in check mode its module ran rsync
/// with `--dry-run` (so did the plan, whatever the mode: it gives both lines).
fn synchronize_cmd(data: &mut serde_json::Map<String, Json>, check: bool) {
    let dry_run = data.remove(machinist_modules::synchronize::DRY_RUN_CMD);
    if let Some(dry_run) = dry_run.filter(|_| check) {
        data.insert("cmd".into(), dry_run);
    }
}

/// synchronize's keys from what the real rsync printed (Ansible's: `msg`, `rc`,
/// `stdout_lines`; on failure rsync's stderr as the message).
fn synchronize_result(outcome: &mut Outcome, ops: &[Op], outputs: &[OpOutput]) {
    let Some((spec, output)) = machinist_modules::runs_of(ops, outputs).pop() else {
        return;
    };
    let link_dest = spec
        .argv
        .iter()
        .any(|word| word.starts_with("--link-dest="));
    match machinist_modules::synchronize::result_of_run(output, link_dest, &mut outcome.data) {
        Ok(msg) => outcome.msg = Some(msg),
        Err(stderr) => {
            outcome.failed = true;
            outcome.msg = Some(stderr);
        }
    }
}

/// A command's result keys (rc, stdout, stderr and their lines) from the main run: the
/// first one that failed, else the first one (a helper run after it, such as stopping
/// a gpg-agent, does not replace its output). Any run's failure fails the task: for
/// command and shell with Ansible's message, for a module's own tool with what the
/// tool said on stderr (or that it said nothing), so the message alone explains it.
fn command_result(outcome: &mut Outcome, builtin: Builtin, ops: &[Op], outputs: &[OpOutput]) {
    let runs = machinist_modules::runs_of(ops, outputs);
    let failed = runs.iter().find(|(_, output)| output.rc != Some(0));
    if builtin == Builtin::Git {
        // Ansible's git registers no command output: `after` is what its last step
        // (rev-parse HEAD) printed; a failed step fails the task with git's words.
        match failed {
            Some((spec, output)) => {
                outcome.failed = true;
                outcome.msg = Some(machinist_modules::git::failure(spec, output));
            }
            None => {
                if let Some(after) = machinist_modules::git::after_of_run(ops, outputs) {
                    outcome.data.insert("after".into(), after.into());
                }
            }
        }
        return;
    }
    let Some((spec, output)) = failed.or(runs.first()) else {
        return;
    };
    if builtin == Builtin::Expect {
        expect_result(outcome, output);
        return;
    }
    let lines = |s: &str| Json::Array(s.lines().map(|l| Json::String(l.into())).collect());
    // Ansible's raw and script give the output whole (their connection's); the
    // command module strips one final newline.
    let (stdout, stderr) = if builtin.output_whole() {
        (output.stdout.as_str(), output.stderr.as_str())
    } else {
        (
            output.stdout.strip_suffix('\n').unwrap_or(&output.stdout),
            output.stderr.strip_suffix('\n').unwrap_or(&output.stderr),
        )
    };
    let data = &mut outcome.data;
    data.insert("rc".into(), output.rc.map_or(Json::Null, Json::from));
    data.insert("stdout".into(), stdout.into());
    data.insert("stderr".into(), stderr.into());
    data.insert("stdout_lines".into(), lines(stdout));
    data.insert("stderr_lines".into(), lines(stderr));
    if !data.contains_key("cmd") && !builtin.output_whole() {
        data.insert(
            "cmd".into(),
            serde_json::to_value(&spec.argv).unwrap_or(Json::Null),
        );
    }
    if output.rc != Some(0) {
        outcome.failed = true;
        let ansible_words =
            matches!(builtin, Builtin::Command | Builtin::Shell) || builtin.output_whole();
        outcome.msg = Some(match output.rc {
            Some(_) if ansible_words => "non-zero return code".into(),
            None if ansible_words => "killed by a signal".into(),
            _ => format!("{} failed: {}", tool_name(&spec.argv), output.said()),
        });
    } else if outcome.msg.is_none() && !builtin.output_whole() {
        outcome.msg = Some(String::new());
    }
}

/// Ansible's expect registers the terminal's output as stdout (trailing `\r` and `\n`
/// stripped; no stderr: the terminal merged it) and `rc`, none when the program was
/// killed at its timeout or by a signal.
fn expect_result(outcome: &mut Outcome, output: &OpOutput) {
    let stdout = output.stdout.trim_end_matches(['\r', '\n']);
    let lines = stdout
        .lines()
        .map(|line| Json::String(line.into()))
        .collect();
    let data = &mut outcome.data;
    data.insert("rc".into(), output.rc.map_or(Json::Null, Json::from));
    data.insert("stdout".into(), stdout.into());
    data.insert("stdout_lines".into(), Json::Array(lines));
    match output.rc {
        Some(0) => {}
        Some(_) => {
            outcome.failed = true;
            outcome.msg = Some("non-zero return code".into());
        }
        None => {
            outcome.failed = true;
            outcome.msg = Some("command exceeded timeout".into());
        }
    }
}

#[cfg(test)]
mod tool_failure_tests {
    use super::*;
    use machinist_modules::RunSpec;

    fn words(argv: &[&str]) -> Vec<String> {
        argv.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn the_tool_is_named_past_its_wrappers() {
        let pacstrap = words(&[
            "setpriv",
            "--pdeathsig",
            "KILL",
            "--",
            "unshare",
            "--pid",
            "--",
            "pacstrap",
            "-c",
            "/m",
            "--",
            "base",
        ]);
        assert_eq!(tool_name(&pacstrap), "pacstrap");
        assert_eq!(tool_name(&words(&["systemctl", "start", "x"])), "systemctl");
    }

    #[test]
    fn a_modules_failed_tool_says_what_it_printed_or_that_it_printed_nothing() {
        let ops = vec![Op::Run(RunSpec {
            argv: words(&["systemctl", "start", "box"]),
            ..RunSpec::default()
        })];
        let said = |stderr: &str, builtin: Builtin| {
            let mut outcome = Outcome::ok();
            let output = OpOutput {
                rc: Some(1),
                stdout: String::new(),
                stderr: stderr.into(),
            };
            command_result(&mut outcome, builtin, &ops, &[output]);
            assert!(outcome.failed);
            outcome.msg.unwrap_or_default()
        };
        assert_eq!(
            said("Job failed.\n", Builtin::Unit),
            "systemctl failed: Job failed."
        );
        assert_eq!(
            said("", Builtin::Nspawn),
            "systemctl failed: it printed nothing on stderr (exit code 1)"
        );
        assert_eq!(said("oops", Builtin::Command), "non-zero return code");
    }
}
