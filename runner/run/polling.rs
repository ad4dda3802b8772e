//! `async:` / `poll:` on a task, and `async_status`, as ansible-core's TaskExecutor
//! and its async_status action run them. The module is started as a job where the
//! host's tasks act (run/jobs.rs: this process, or the host's agent); with `poll: 0`
//! the task's result is the started job (`ansible_job_id`, `started`, `finished:
//! false`, changed). Otherwise the executor asks for the job's state every `poll`
//! seconds (15 unless given) until it finished: the task's result is then the module's
//! with the job's keys, and the job is forgotten. Asked `async / poll` times (at least
//! once) without an end, the task fails with Ansible's "async task did not complete
//! within the requested time - Ns". A job's state is asked where it runs, by the
//! session of the same become, as Ansible's async_status reads the results file of
//! the same user.
//!
//! Only modules run as jobs: Ansible's actions that do not support async (copy,
//! template, debug, …: "This action (copy) does not support async.") fail the same
//! way here, and so do the runner's own actions and plugins.

use super::outcome::Outcome;
use super::remote::{Site, TargetAction};
use super::step::{located, Step};
use crate::inventory::connection::Become;
use crate::playbook::model::Action;
use crate::vars;
use machinist_modules::Builtin;
use serde_json::{Map, Value as Json};
use std::time::Duration;

/// Seconds between two checks of a job when `poll` is not given (ansible-core's
/// DEFAULT_POLL_INTERVAL).
const DEFAULT_POLL: u64 = 15;

/// The modules Ansible runs through an action plugin without async support.
const NOT_ASYNC: &[Builtin] = &[
    Builtin::Copy,
    Builtin::Template,
    Builtin::Assemble,
    Builtin::Unarchive,
];

/// A task's `async` and `poll`, rendered.
#[derive(Debug, Clone, Copy)]
pub(super) struct AsyncLimits {
    pub limit: Duration,
    /// 0: the task returns the started job.
    pub poll: u64,
}

/// Whether `action` may run as a job.
pub(super) fn runs_as_job(action: &Action) -> bool {
    match action {
        Action::Module(builtin) => !NOT_ASYNC.contains(builtin),
        _ => false,
    }
}

impl Step<'_> {
    /// The task's `async`/`poll`, when it has a non-zero `async`.
    pub(super) fn async_limits(&self) -> Result<Option<AsyncLimits>, String> {
        let Some(asynchronous) = self.task.asynchronous() else {
            return Ok(None);
        };
        let limit = self.whole_seconds(&asynchronous.limit)?;
        if limit == 0 {
            return Ok(None);
        }
        let poll = match &asynchronous.poll {
            Some(node) => self.whole_seconds(node)?,
            None => DEFAULT_POLL,
        };
        Ok(Some(AsyncLimits {
            limit: Duration::from_secs(limit),
            poll,
        }))
    }

    /// `async:` or `poll:` as a whole number of seconds (negative ones are 0).
    fn whole_seconds(&self, node: &crate::yaml::Node) -> Result<u64, String> {
        let raw = vars::node_to_value(node);
        let value = self
            .templates()
            .render_tree(&raw, self.ctx)
            .map_err(|err| located(&node.span, err.to_string()))?;
        let number = match value.as_str() {
            Some(text) => text.trim().parse::<i64>().ok(),
            None => i64::try_from(value.clone()).ok(),
        };
        number.map(|n| n.max(0).unsigned_abs()).ok_or_else(|| {
            located(
                &node.span,
                format!("expected a whole number of seconds, the template gave '{value}'"),
            )
        })
    }

    /// The job `started` (a `poll: 0` result) checked every `poll` seconds until it
    /// ends, or failed when it did not end in time.
    pub(super) fn polled(
        &mut self,
        started: Outcome,
        limits: AsyncLimits,
        becoming: Option<&Become>,
    ) -> Outcome {
        let Some(id) = started
            .data
            .get("ansible_job_id")
            .and_then(Json::as_str)
            .map(str::to_string)
        else {
            // The job did not start: its failure is the task's.
            return started;
        };
        let interval = Duration::from_secs(limits.poll);
        let mut time_left = limits.limit.as_secs();
        let mut last = started;
        while time_left > 0 {
            if !crate::signals::sleep(interval) {
                self.cut_short = Some(format!(
                    "{}: job {id} still running",
                    self.task.display_name()
                ));
                let mut outcome =
                    Outcome::failed(format!("interrupted while waiting for job {id}"));
                outcome.data.insert("ansible_job_id".into(), id.into());
                return outcome;
            }
            last = self.job_state(&id, "status", becoming);
            self.say_warnings(&mut last);
            let finished = last.data.get("finished") == Some(&Json::Bool(true));
            tracing::debug!(job = %id, finished, "async poll");
            if last.unreachable {
                return last;
            }
            if timed_out(&last) {
                break;
            }
            if finished || last.failed || last.skipped {
                let cleaned = self.job_state(&id, "cleanup", becoming);
                if cleaned.unreachable {
                    return cleaned;
                }
                return last;
            }
            time_left = time_left.saturating_sub(limits.poll);
        }
        let mut outcome = Outcome::failed(format!(
            "async task did not complete within the requested time - {}s",
            limits.limit.as_secs()
        ));
        let mut async_result = Map::new();
        async_result.insert("ansible_job_id".into(), id.into());
        async_result.insert("started".into(), true.into());
        async_result.insert("finished".into(), false.into());
        for key in ["stdout", "stderr"] {
            let text = last.data.get(key).cloned().unwrap_or(Json::from(""));
            async_result.insert(key.into(), text);
            let lines = last
                .data
                .get(&format!("{key}_lines"))
                .cloned()
                .unwrap_or(Json::Array(Vec::new()));
            async_result.insert(format!("{key}_lines"), lines);
        }
        outcome
            .data
            .insert("async_result".into(), Json::Object(async_result));
        outcome
    }

    /// The `async_status` action.
    pub(super) fn async_status(&mut self, args: &crate::yaml::Node) -> Outcome {
        let becoming = match self.becoming() {
            Ok(becoming) => becoming,
            Err(refusal) => return Outcome::failed(refusal),
        };
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let mut outcome = self.on_target(TargetAction::AsyncStatus, rendered, becoming.as_ref());
        self.say_warnings(&mut outcome);
        outcome
    }

    /// The warnings of a finished job's module, said by the task that reads them.
    fn say_warnings(&mut self, state: &mut Outcome) {
        if let Some(Json::Array(warnings)) = state.data.remove(super::jobs::WARNINGS) {
            for warning in warnings {
                if let Json::String(warning) = warning {
                    self.event(crate::events::Event::Warning(warning));
                }
            }
        }
    }

    /// A job's state (`mode` status or cleanup), asked where it runs.
    fn job_state(&mut self, id: &str, mode: &str, becoming: Option<&Become>) -> Outcome {
        let mut args = Map::new();
        args.insert("jid".into(), id.into());
        args.insert("mode".into(), mode.into());
        self.on_target(TargetAction::AsyncStatus, args, becoming)
    }

    fn on_target(
        &mut self,
        action: TargetAction,
        args: Map<String, Json>,
        becoming: Option<&Become>,
    ) -> Outcome {
        match self.host {
            Site::Local(host) => super::remote::act_on_target(action, args, host),
            Site::Remote(remote, root) => remote
                .run_action(action, &args, root.as_deref(), becoming)
                .unwrap_or_else(|unreachable| Outcome::unreachable(unreachable.message)),
        }
    }
}

/// A job stopped by its own time limit (jobs.rs): for the polling executor it did not
/// complete in time, as Ansible's controller says it.
fn timed_out(state: &Outcome) -> bool {
    state.failed && state.msg.as_deref() == Some("Timeout exceeded")
}
