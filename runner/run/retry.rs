//! `until` / `retries` / `delay`: a task's action run again until its condition holds,
//! as ansible-core's TaskExecutor runs it. With `until` and no `retries` there are 3
//! retries; with `retries` and no `until`, the condition is that the action did not
//! fail; `delay` is 5 seconds unless given (1 when negative). A task's `when` is
//! evaluated once, before the first try, and so are its arguments rendered: arguments
//! that cannot be fail it at once. Each try's result has `attempts`; the
//! `until` condition sees it under the `register` name, after `changed_when` and
//! `failed_when`. A try that does not hold is reported (`FAILED - RETRYING: …`, an
//! [`Event::Retrying`]) and the next one starts after the delay; when the retries run
//! out the last result fails, with `attempts` = `retries` (ansible-core's count). A
//! stop signal during the delay ends the task with its last result, failed.

use super::outcome::Outcome;
use super::step::{condition, located};
use super::{Executor, Inherited, PlayState};
use crate::events::{Event, Retrying};
use crate::playbook::model::{Action, Retry, Task, TaskKind};
use crate::vars;
use minijinja::Value;
use std::time::Duration;

/// Retries when `until` is given without `retries` (ansible-core's default).
const DEFAULT_RETRIES: i64 = 3;
/// Seconds between tries when `delay` is not given.
const DEFAULT_DELAY: f64 = 5.0;

impl Executor<'_> {
    /// The task's action when its conditions hold, with `changed_when` and
    /// `failed_when` applied, tried again as its `until`/`retries` say.
    pub(super) fn attempted(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        inherited: &Inherited<'_>,
        ctx: &Value,
        name: &str,
    ) -> Outcome {
        let Some(retry) = task.retry() else {
            let outcome = self.guarded(state, task, inherited, ctx);
            return self.after_conditions(task, outcome, ctx);
        };
        if let Some(outcome) = self.unmet(task, inherited, ctx) {
            return outcome;
        }
        if let TaskKind::Action { args, .. } = &task.kind {
            let raw = vars::node_to_value(args);
            if self.shared.templates.render_tree(&raw, ctx).is_err() {
                // As ansible-core, which renders them before the first try: arguments
                // that cannot be rendered fail the task once, with no retries.
                return self.act(state, task, inherited, ctx);
            }
        }
        let (tries, delay) = match self.retry_limits(retry, ctx) {
            Ok(limits) => limits,
            Err(msg) => return Outcome::failed(msg),
        };
        let mut attempt: u64 = 1;
        loop {
            let mut outcome = self.act(state, task, inherited, ctx);
            if tries > 1 {
                outcome.data.insert("attempts".into(), attempt.into());
            }
            outcome = self.after_conditions(task, outcome, ctx);
            if tries <= 1 {
                return outcome;
            }
            match self.until_holds(task, retry, &outcome, ctx) {
                Ok(true) => return outcome,
                Ok(false) => {}
                Err(msg) => return Outcome::failed(msg),
            }
            if attempt >= tries {
                tracing::debug!(task = %name, tries, "until never held: the task fails");
                outcome.data.insert("attempts".into(), (tries - 1).into());
                outcome.failed = true;
                return outcome;
            }
            self.report_retry(task, name, &outcome, attempt, tries);
            if !crate::signals::sleep(delay) {
                self.progress.cut_short = Some(format!("{name}: {attempt} of {tries} tries made"));
                outcome.failed = true;
                return outcome;
            }
            attempt += 1;
        }
    }

    /// How many times the action runs at most (1 + retries) and the pause between.
    fn retry_limits(&self, retry: &Retry, ctx: &Value) -> Result<(u64, Duration), String> {
        let retries = match &retry.retries {
            Some(node) => self.number(node, ctx)?.max(0.0) as u64,
            None if !retry.until.is_empty() => DEFAULT_RETRIES as u64,
            None => 0,
        };
        let delay = match &retry.delay {
            Some(node) => self.number(node, ctx)?,
            None => DEFAULT_DELAY,
        };
        let delay = if delay < 0.0 { 1.0 } else { delay };
        Ok((retries.saturating_add(1), Duration::from_secs_f64(delay)))
    }

    /// `retries:` or `delay:` as a number: written as one, or rendered.
    fn number(&self, node: &crate::yaml::Node, ctx: &Value) -> Result<f64, String> {
        let raw = vars::node_to_value(node);
        let value = self
            .shared
            .templates
            .render_tree(&raw, ctx)
            .map_err(|err| located(&node.span, err.to_string()))?;
        let number = match value.as_str() {
            Some(text) => text.trim().parse::<f64>().ok(),
            None => f64::try_from(value.clone()).ok(),
        };
        number.filter(|n| n.is_finite()).ok_or_else(|| {
            located(
                &node.span,
                format!("expected a number, the template gave '{value}'"),
            )
        })
    }

    /// Whether the try's result satisfies `until` (else: it did not fail), with the
    /// result registered.
    fn until_holds(
        &self,
        task: &Task,
        retry: &Retry,
        outcome: &Outcome,
        ctx: &Value,
    ) -> Result<bool, String> {
        if retry.until.is_empty() {
            return Ok(!outcome.failed);
        }
        let ctx = match task.register() {
            Some(register) => {
                let registered = [(register, vars::from_json(&outcome.registered()))];
                // The last map with the name wins: this try's result, not an older one.
                minijinja::value::merge_maps([ctx.clone(), Value::from_iter(registered)])
            }
            None => ctx.clone(),
        };
        for cond in &retry.until {
            if !condition(self.shared.templates, cond, &ctx)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// `FAILED - RETRYING: [host]: NAME (N retries left).`
    fn report_retry(
        &mut self,
        task: &Task,
        name: &str,
        outcome: &Outcome,
        attempt: u64,
        tries: u64,
    ) {
        let mut result = outcome.registered();
        if let serde_json::Value::Object(map) = &mut result {
            map.insert("retries".into(), tries.into());
        }
        if task.no_log {
            super::reported::censor(&mut result);
        }
        let verbose_always = matches!(
            task.kind,
            TaskKind::Action {
                action: Action::Debug,
                ..
            }
        );
        self.reporter.event(&Event::Retrying(Box::new(Retrying {
            host: self.target.name.clone(),
            task: name.to_string(),
            retries_left: tries - attempt,
            attempts: attempt,
            result,
            verbose_always,
        })));
    }
}
