//! `wait_for_connection` (Ansible's `ansible.builtin.wait_for_connection`): until the
//! target answers end to end. A local host (this machine, a root of it) answers at
//! once. A remote host is tried as Ansible tries it: start its agent session (ssh
//! login or nsenter into the container) and ping it through the agent, every `sleep`
//! seconds until it answers or `timeout` passes; each attempt is waited for at most
//! `connect_timeout` seconds (one still starting is waited for again, never doubled).
//! A host unreachable until then is not unreachable for the play: only a timeout
//! fails the task. Skipped under `--check`, as Ansible's is.

use super::module_run::{ModuleRequest, ModuleRun};
use super::outcome::Outcome;
use super::remote::{RemoteHost, Site};
use super::step::Step;
use crate::inventory::connection::Become;
pub use crate::playbook::action_args::wait_for_connection::Args;
use crate::yaml::Node;
use machinist_modules::{interrupt, Builtin};
use serde_json::{Map, Value as Json};
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::Arc;
use std::time::{Duration, Instant};

impl Step<'_> {
    pub(super) fn wait_for_connection(&mut self, args: &Node) -> Outcome {
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let parsed: Args = match serde_json::from_value(Json::Object(rendered)) {
            Ok(parsed) => parsed,
            Err(err) => return Outcome::failed(format!("wait_for_connection: {err}")),
        };
        let becoming = match self.becoming() {
            Ok(becoming) => becoming,
            Err(refusal) => return Outcome::failed(refusal),
        };
        if self.flags.check {
            return Outcome::skipped("wait_for_connection: skipping for check_mode");
        }
        let start = Instant::now();
        let outcome = match sleep(parsed.delay) {
            false => Outcome::failed("wait_for_connection: interrupted"),
            true => match self.host {
                Site::Local(_) => Outcome::ok(),
                Site::Remote(remote, _) => wait(remote, becoming, &parsed, start),
            },
        };
        with_elapsed(outcome, start)
    }
}

fn with_elapsed(mut outcome: Outcome, start: Instant) -> Outcome {
    outcome
        .data
        .insert("elapsed".into(), Json::from(start.elapsed().as_secs()));
    outcome
}

/// Sleep `seconds`, or less when a stop signal arrives; false when one did.
fn sleep(seconds: u64) -> bool {
    let until = Instant::now() + Duration::from_secs(seconds);
    while Instant::now() < until {
        if interrupt::pending().is_some() {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
    }
    true
}

/// Attempts until one answers or the time is up.
fn wait(
    remote: &Arc<RemoteHost>,
    becoming: Option<Become>,
    args: &Args,
    start: Instant,
) -> Outcome {
    let deadline = start + Duration::from_secs(args.timeout);
    let attempt_time = Duration::from_secs(args.connect_timeout.max(1));
    let mut running: Option<Receiver<Result<(), String>>> = None;
    loop {
        let attempt = running
            .take()
            .unwrap_or_else(|| attempt(remote, becoming.clone()));
        let left = deadline.saturating_duration_since(Instant::now());
        let last_error = match attempt.recv_timeout(attempt_time.min(left)) {
            Ok(Ok(())) => return Outcome::ok(),
            Ok(Err(error)) => error,
            Err(RecvTimeoutError::Timeout) => {
                running = Some(attempt);
                format!("no answer within {} seconds", attempt_time.as_secs())
            }
            Err(RecvTimeoutError::Disconnected) => "the attempt ended".into(),
        };
        tracing::debug!(host = %remote.target().host, error = %last_error, "wait_for_connection: not yet");
        if Instant::now() + Duration::from_secs(args.sleep) >= deadline {
            return Outcome::failed(format!(
                "timed out waiting for ping module test: {last_error}"
            ));
        }
        if !sleep(args.sleep) {
            return Outcome::failed("wait_for_connection: interrupted");
        }
    }
}

/// One attempt, on a thread of its own: connect (if the session is not up) and ping
/// through the agent.
fn attempt(remote: &Arc<RemoteHost>, becoming: Option<Become>) -> Receiver<Result<(), String>> {
    let (answer, answered) = std::sync::mpsc::channel();
    let remote = Arc::clone(remote);
    std::thread::spawn(move || {
        let ping = ModuleRequest {
            builtin: Builtin::Ping,
            args: Map::new(),
            check: false,
            keys_read: true,
            async_limit: None,
            timeout: None,
        };
        let result = match remote.run_module(&ping, None, becoming.as_ref(), &mut |_| {}) {
            Ok(ModuleRun::Done(outcome))
                if !outcome.failed && outcome.data.get("ping") == Some(&Json::from("pong")) =>
            {
                Ok(())
            }
            Ok(_) => Err("ping test failed".to_string()),
            Err(unreachable) => Err(unreachable.message),
        };
        let _ = answer.send(result);
    });
    answered
}
