//! Background jobs: a task's module run with `async:` (Ansible's async_wrapper). The
//! module runs on a thread of the process that acts on the host (this run for a local
//! host, the host's agent for a remote one), so the job goes on after its task
//! returned; `async_status` (and the executor's polling, run/polling.rs) asks this
//! table for its state by job id. Past its time limit a job is stopped (its program
//! gets SIGKILL, as async_wrapper kills it) and its state is Ansible's
//! `Timeout exceeded`.
//!
//! A job lives as long as the process that started it: when the run ends (or the
//! agent's session, `Bye`), [`stop_all`] stops the jobs still running (SIGTERM to
//! their programs, SIGKILL to those still there a moment later). Ansible leaves them
//! running. The signal goes to the job's program and every program it started (its
//! process group: a shell's `sleep` stops with the shell): docs/ansible-differences.md.

use super::module_run::{run_module, ModuleEvent, ModuleRequest, ModuleRun};
use super::outcome::Outcome;
use machinist_modules::interrupt::{self, Interrupt};
use machinist_modules::Host;
use serde_json::{Map, Value as Json};
use std::collections::HashMap;
use std::sync::mpsc;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};
use std::time::Duration;

/// The key of a finished job's result that holds its module's warnings, as Ansible's
/// results carry them.
pub const WARNINGS: &str = "warnings";
/// SIGKILL: what async_wrapper sends a job past its time.
const KILL: i32 = 9;
/// SIGTERM: what the jobs still running get when the run ends.
const TERM: i32 = 15;
/// How long the end of a run waits for its stopped jobs to end (a job's thread ends
/// when its program's output closes, which a child the program left may hold open:
/// the run does not wait for that).
const STOP_WAIT: Duration = Duration::from_millis(250);

/// Where one job is.
enum State {
    Running,
    Done(Box<Outcome>),
    /// Stopped at its time limit.
    TimedOut,
}

struct Job {
    state: State,
    stop: Arc<Interrupt>,
}

fn table() -> MutexGuard<'static, HashMap<String, Job>> {
    static JOBS: OnceLock<Mutex<HashMap<String, Job>>> = OnceLock::new();
    JOBS.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// A new job id, shaped as Ansible's (`j` + 12 digits + `.` + the pid).
fn new_id() -> String {
    let digits: u64 = rand::random::<u64>() % 1_000_000_000_000;
    format!("j{digits:012}.{}", std::process::id())
}

/// Start `request` (with `host`, owned by the job) as a job stopped after `limit`;
/// the result is Ansible's for a started job (`poll: 0`). `logs_hidden`: its task is
/// `no_log`, and so are the job's Host logs.
pub fn start(
    host: Host,
    mut request: ModuleRequest,
    limit: Duration,
    logs_hidden: bool,
) -> Outcome {
    request.async_limit = None;
    // The job's own limit bounds it (ansible-core's async tasks do not take `timeout`).
    request.timeout = None;
    // The job's keys are read later (async_status registered): all of them.
    request.keys_read = true;
    let id = new_id();
    let stop = Arc::new(Interrupt::new());
    table().insert(
        id.clone(),
        Job {
            state: State::Running,
            stop: Arc::clone(&stop),
        },
    );
    let (finished, watched) = mpsc::channel::<()>();
    let job_id = id.clone();
    let job_stop = Arc::clone(&stop);
    let spawned = std::thread::Builder::new()
        .name(format!("job {id}"))
        .spawn(move || {
            let _hidden = logs_hidden.then(|| host.hide_logs());
            let mut warnings = Vec::new();
            let run = interrupt::as_job(job_stop, || {
                run_module(&host, &request, &mut |event| {
                    if let ModuleEvent::Warning(warning) = event {
                        warnings.push(Json::String(warning));
                    }
                })
            });
            let mut outcome = match run {
                ModuleRun::Done(outcome) | ModuleRun::Interrupted(outcome) => outcome,
                ModuleRun::BadArgs { field, message } => Outcome::failed(match field {
                    Some(field) => format!("{field}: {message}"),
                    None => message,
                }),
            };
            if !warnings.is_empty() {
                // Said by the task that reads the result (run/polling.rs).
                outcome.data.insert(WARNINGS.into(), Json::Array(warnings));
            }
            tracing::debug!(job = %job_id, failed = outcome.failed, "job finished");
            if let Some(job) = table().get_mut(&job_id) {
                if matches!(job.state, State::Running) {
                    job.state = State::Done(Box::new(outcome));
                }
            }
            drop(finished);
        });
    if let Err(err) = spawned {
        table().remove(&id);
        return Outcome::failed(format!("cannot start the job: {err}"));
    }
    let watched_id = id.clone();
    let watcher = std::thread::Builder::new()
        .name(format!("job {id} timer"))
        .spawn(move || {
            if watched.recv_timeout(limit) == Err(mpsc::RecvTimeoutError::Timeout) {
                if let Some(job) = table().get_mut(&watched_id) {
                    if matches!(job.state, State::Running) {
                        tracing::debug!(job = %watched_id, "job past its time: stopped");
                        job.state = State::TimedOut;
                        job.stop.raise(KILL);
                    }
                }
            }
        });
    if let Err(err) = watcher {
        // A job nothing would stop in time is not started at all.
        if let Some(job) = table().remove(&id) {
            job.stop.raise(KILL);
        }
        return Outcome::failed(format!("cannot start the job's timer: {err}"));
    }
    tracing::debug!(job = %id, limit_s = limit.as_secs(), "job started");
    let mut outcome = Outcome::ok();
    outcome.changed = true;
    outcome.data = job_keys(&id, false);
    outcome
}

/// `ansible_job_id`, `started`, `finished`, as every async result has them.
fn job_keys(id: &str, finished: bool) -> Map<String, Json> {
    let mut keys = Map::new();
    keys.insert("ansible_job_id".into(), id.into());
    keys.insert("started".into(), true.into());
    keys.insert("finished".into(), finished.into());
    keys
}

/// What Ansible's async_status says of a job with no output (yet): empty output keys.
fn empty_output(keys: &mut Map<String, Json>) {
    for (key, value) in [
        ("stdout", Json::from("")),
        ("stderr", Json::from("")),
        ("stdout_lines", Json::Array(Vec::new())),
        ("stderr_lines", Json::Array(Vec::new())),
    ] {
        keys.insert(key.into(), value);
    }
}

/// The `async_status` action: `jid` and `mode` (`status`, the default, or `cleanup`).
pub fn async_status(args: &Map<String, Json>) -> Outcome {
    let Some(id) = args.get("jid").map(|jid| match jid {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }) else {
        return Outcome::failed("missing required arguments: jid");
    };
    match args.get("mode").and_then(Json::as_str).unwrap_or("status") {
        "status" => status(&id),
        "cleanup" => cleanup(&id),
        other => Outcome::failed(format!(
            "value of mode must be one of: status, cleanup, got: {other}"
        )),
    }
}

/// A job's state as async_status reports it: its result once finished.
pub fn status(id: &str) -> Outcome {
    let jobs = table();
    let Some(job) = jobs.get(id) else {
        let mut outcome = Outcome::failed("could not find job");
        outcome.data = job_keys(id, true);
        empty_output(&mut outcome.data);
        return outcome;
    };
    match &job.state {
        State::Running => {
            let mut outcome = Outcome::ok();
            outcome.data = job_keys(id, false);
            empty_output(&mut outcome.data);
            outcome
        }
        State::TimedOut => {
            let mut outcome = Outcome::failed("Timeout exceeded");
            outcome.data = job_keys(id, true);
            empty_output(&mut outcome.data);
            outcome
        }
        State::Done(result) => {
            let mut outcome = Outcome::clone(result);
            outcome.data.extend(job_keys(id, true));
            outcome
        }
    }
}

/// Forget a job (`mode: cleanup`); one still running goes on (as Ansible's does when
/// its results file is removed) but can no longer be asked about.
pub fn cleanup(id: &str) -> Outcome {
    table().remove(id);
    let mut outcome = Outcome::ok();
    outcome.data.insert("ansible_job_id".into(), id.into());
    outcome.data.insert("erased".into(), id.into());
    outcome
}

/// Stop every job still running (the run, or the agent's session, ends), and wait a
/// little for them to end: a job that was about to start its program when the
/// process exits would leave that program running (a program started after the stop
/// gets it at once).
pub fn stop_all() {
    let running = |jobs: &HashMap<String, Job>| {
        jobs.values()
            .filter(|job| matches!(job.state, State::Running))
            .count()
    };
    {
        let jobs = table();
        let count = running(&jobs);
        if count == 0 {
            return;
        }
        tracing::debug!(jobs = count, "stopping the jobs still running");
        for job in jobs
            .values()
            .filter(|job| matches!(job.state, State::Running))
        {
            job.stop.raise(TERM);
        }
    }
    let deadline = std::time::Instant::now() + STOP_WAIT;
    while running(&table()) > 0 && std::time::Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(10));
    }
    // A program that ignores SIGTERM does not outlive the run either.
    for job in table()
        .values()
        .filter(|job| matches!(job.state, State::Running))
    {
        job.stop.raise(KILL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use machinist_modules::{Builtin, HostOptions};
    use std::time::Instant;

    fn shell(root: &std::path::Path, cmd: &str) -> (Host, ModuleRequest) {
        let host = Host::new(HostOptions::new(root)).expect("host");
        let mut args = Map::new();
        args.insert("cmd".into(), cmd.into());
        let request = ModuleRequest {
            builtin: Builtin::Shell,
            args,
            check: false,
            keys_read: true,
            async_limit: None,
            timeout: None,
        };
        (host, request)
    }

    fn id_of(outcome: &Outcome) -> String {
        outcome.data["ansible_job_id"]
            .as_str()
            .expect("a job id")
            .to_string()
    }

    fn wait_finished(id: &str) -> Outcome {
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            let outcome = status(id);
            if outcome.data["finished"] == Json::Bool(true) || Instant::now() > deadline {
                return outcome;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    #[test]
    fn a_job_goes_on_after_it_started_and_its_result_is_the_modules() {
        let dir = tempfile::tempdir().expect("dir");
        let marker = dir.path().join("marker");
        let (host, request) = shell(
            std::path::Path::new("/"),
            &format!("sleep 0.2; echo done > {}; echo out", marker.display()),
        );
        let started = start(host, request, Duration::from_secs(10), false);
        assert!(started.changed && !started.failed);
        assert_eq!(started.data["finished"], Json::Bool(false));
        let id = id_of(&started);
        assert!(!marker.exists(), "start returned before the job ran");
        assert_eq!(status(&id).data["finished"], Json::Bool(false));
        let done = wait_finished(&id);
        assert_eq!(done.data["finished"], Json::Bool(true));
        assert_eq!(done.data["stdout"], Json::from("out"));
        assert!(done.changed && !done.failed);
        assert_eq!(std::fs::read_to_string(&marker).expect("written"), "done\n");
        cleanup(&id);
        assert_eq!(status(&id).msg.as_deref(), Some("could not find job"));
    }

    #[test]
    fn a_job_past_its_time_is_stopped() {
        let (host, request) = shell(std::path::Path::new("/"), "sleep 30");
        let started = Instant::now();
        let id = id_of(&start(host, request, Duration::from_millis(300), false));
        let done = wait_finished(&id);
        assert!(done.failed);
        assert_eq!(done.msg.as_deref(), Some("Timeout exceeded"));
        assert!(started.elapsed() < Duration::from_secs(5));
    }
}
