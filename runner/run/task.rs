//! Running one task: conditions, loops, the action itself (tried again as `until`
//! says: run/retry.rs), `changed_when` / `failed_when`, `register`, `notify`,
//! `no_log`, and the report of each result.

use super::outcome::{Outcome, Shape};
use super::remote::Site;
use super::step::{condition, located, Flags, Step};
use super::{Executor, Flow, Inherited, PlayState};
use crate::error::Diagnostic;
use crate::events::{Event, Status, TaskResult};
use crate::playbook::load::{include_path, Loader};
use crate::playbook::model::{Action, Condition, Task, TaskKind};
use crate::vars::{self, Layer};
use minijinja::Value;
use std::sync::Arc;

/// How deep `include_tasks` may nest: recursion through a `when` that ends it is an
/// Ansible idiom, a file that includes itself unconditionally is a mistake.
const MAX_INCLUDE_DEPTH: usize = 64;

/// A `no_log` loop item's label (`(item=…)`), as ansible-core's callbacks show it.
const NO_LOG_ITEM: &str = "(censored due to no_log)";

pub(super) const NO_LOG_MSG: &str =
    "the output has been hidden due to the fact that 'no_log: true' was specified for this result";

impl Executor<'_> {
    /// Run one action or include task (with its loop); blocks are run by `block`.
    pub(super) fn task<'t>(
        &mut self,
        state: &mut PlayState<'_>,
        task: &'t Task,
        inherited: &Inherited<'t>,
        handler: bool,
    ) -> Flow {
        self.progress.enter(task);
        match &task.name {
            Some(name) => crate::memory::at(format_args!("{}: task '{name}'", task.span)),
            None => crate::memory::at(format_args!("{}", task.span)),
        }
        self.delegated_to = None;
        if !handler && !self.selected(task) {
            return Flow::Continue;
        }
        if let TaskKind::Action {
            action: Action::Meta,
            args,
            ..
        } = &task.kind
        {
            let what = args
                .get("_raw_params")
                .and_then(|n| n.as_str())
                .unwrap_or_default()
                .to_string();
            // As ansible-core 2.19: a meta task written in the play shows its banner; one
            // whose conditions do not hold is skipped (shown so, not counted in the
            // recap); one that holds prints nothing more of its own.
            let ctx = self.context(state, inherited, task, None);
            let name = self.task_name(task, &ctx);
            self.task_start(task as *const Task as usize, name.clone(), handler);
            if !task.when.is_empty() || !inherited.when.is_empty() {
                if let Some(outcome) = self.unmet(task, inherited, &ctx) {
                    self.report(state, task, &name, &outcome, None, outcome.registered());
                    if outcome.skipped {
                        return Flow::Continue;
                    }
                    return self.conclude(state, task, &name, outcome);
                }
            }
            return self.meta(state, &what);
        }
        let rooted;
        let inherited = match task.root() {
            // A looped task's root is chosen for each item.
            Some(_) if task.loop_items.is_none() => {
                match self.with_root(state, task, inherited, None) {
                    Ok(inner) => {
                        rooted = inner;
                        &rooted
                    }
                    Err(msg) => return self.root_task_failed(state, task, msg),
                }
            }
            _ => inherited,
        };
        let ctx = self.context(state, inherited, task, None);
        let name = self.task_name(task, &ctx);
        self.task_start(task as *const Task as usize, name.clone(), handler);
        let _timing = TaskTiming::start(&name, &self.target.name, task, handler);
        let Some(items) = &task.loop_items else {
            let outcome = self.attempted(state, task, inherited, &ctx, &name);
            self.report(state, task, &name, &outcome, None, outcome.registered());
            return self.conclude(state, task, &name, outcome);
        };
        let items = match self.loop_items(task, items, &ctx) {
            Ok(items) => items,
            Err(msg) => {
                let outcome = Outcome::failed(msg);
                self.report(state, task, &name, &outcome, None, outcome.registered());
                return self.conclude(state, task, &name, outcome);
            }
        };
        if items.is_empty() {
            // As Ansible: a task whose loop is empty is skipped, once.
            let mut outcome = Outcome::skipped("No items in the list");
            outcome.shape = Shape::NotRun;
            outcome
                .data
                .insert("results".into(), serde_json::Value::Array(Vec::new()));
            self.report(state, task, &name, &outcome, None, outcome.registered());
            return self.conclude(state, task, &name, outcome);
        }
        let loop_var = task.loop_control().loop_var.as_deref().unwrap_or("item");
        // As Ansible: a looped include's files or roles run after the whole loop, one
        // after the other, and the first that fails stops the rest.
        let include = matches!(
            task.kind,
            TaskKind::IncludeTasks { .. }
                | TaskKind::IncludeRole { .. }
                | TaskKind::IncludeRoleNamed { .. }
        );
        let outer_deferred = if include {
            self.target.deferred.replace(Vec::new())
        } else {
            None
        };
        let mut results = Vec::new();
        let mut any_changed = false;
        let mut any_failed = false;
        let mut all_skipped = !items.is_empty();
        let is_debug = matches!(
            task.kind,
            TaskKind::Action {
                action: Action::Debug,
                ..
            }
        );
        for (index, item) in items.iter().enumerate() {
            let paused = match task.loop_control().pause {
                // A stop signal ends the pause (false); the next item does not start.
                Some(pause) if index > 0 => {
                    crate::signals::sleep(std::time::Duration::from_secs_f64(pause))
                }
                _ => true,
            };
            if !paused || super::interrupt::pending().is_some() {
                // The items done are registered, counted and notify; the rest wait.
                self.progress.cut_short =
                    Some(format!("{name}: {index} of {} items done", items.len()));
                break;
            }
            let mut loop_layer = Layer::default();
            loop_layer.set(loop_var, item.clone());
            if let Some(index_var) = &task.loop_control().index_var {
                loop_layer.set(index_var, Value::from(index));
                loop_layer.set("ansible_index_var", Value::from(index_var.as_str()));
            }
            loop_layer.set("ansible_loop_var", Value::from(loop_var));
            if task.loop_control().extended {
                let all = task.loop_control().extended_allitems.then_some(&items[..]);
                loop_layer.set("ansible_loop", extended_loop(&items, index, all));
            }
            let ctx = self.context(state, inherited, task, Some(&loop_layer));
            let mut outcome = match task.root() {
                None => self.attempted(state, task, inherited, &ctx, &name),
                Some(_) => match self.with_root(state, task, inherited, Some(&loop_layer)) {
                    Ok(rooted) => self.attempted(state, task, &rooted, &ctx, &name),
                    Err(msg) => self.after_conditions(task, Outcome::failed(msg), &ctx),
                },
            };
            let label = match &task.loop_control().label {
                Some(label) => self
                    .shared
                    .templates
                    .render_str(label, &ctx)
                    .unwrap_or_else(|_| label.clone()),
                None => item_label(item),
            };
            if outcome.changed {
                self.progress.changed(&name);
            }
            any_changed |= outcome.changed;
            any_failed |= outcome.failed;
            all_skipped &= outcome.skipped;
            // As Ansible: each item's result names its loop (and index) variable, in
            // what is registered, in a failure and in a result shown whole (assert);
            // `debug: var=` shows the item and its index beside the variable (a `msg`
            // is shown alone).
            let index_var = task.loop_control().index_var.as_deref();
            let with_loop_keys = |map: &mut serde_json::Map<String, serde_json::Value>| {
                map.insert(loop_var.to_string(), vars::to_json(item));
                map.insert("ansible_loop_var".into(), loop_var.into());
                if let Some(index_var) = index_var {
                    map.insert(index_var.to_string(), index.into());
                    map.insert("ansible_index_var".into(), index_var.into());
                }
            };
            if let Some(serde_json::Value::Object(shown)) = &mut outcome.shown {
                if !is_debug {
                    with_loop_keys(shown);
                } else if !shown.contains_key("msg") {
                    shown.insert(loop_var.to_string(), vars::to_json(item));
                    if let Some(index_var) = index_var {
                        shown.insert(index_var.to_string(), index.into());
                    }
                }
            }
            if outcome.failed {
                with_loop_keys(&mut outcome.data);
            }
            let mut registered = outcome.registered();
            if let serde_json::Value::Object(map) = &mut registered {
                with_loop_keys(map);
                if let Some(extended) = loop_layer.get("ansible_loop") {
                    map.insert("ansible_loop".into(), vars::to_json(extended));
                }
            }
            results.push(registered.clone());
            let broken = self.breaks_loop(task, &ctx, &registered);
            self.report(
                state,
                task,
                &name,
                &outcome,
                Some((vars::to_json(item), label)),
                registered,
            );
            match broken {
                Ok(false) => {}
                Ok(true) => break,
                Err(msg) => {
                    any_failed = true;
                    results.push(Outcome::failed(msg).registered());
                    break;
                }
            }
        }
        let debug = is_debug;
        self.reporter.event(&Event::LoopDone {
            host: self.target.name.clone(),
            all_skipped,
            ignored: any_failed && self.ignores(task),
            debug_failed: any_failed && debug,
        });
        if include {
            let deferred = std::mem::replace(&mut self.target.deferred, outer_deferred);
            let deferred = deferred.unwrap_or_default();
            for included in &deferred {
                self.reporter.event(&included.announce);
                self.target.stats.ok += 1;
            }
            for included in deferred {
                let mut scope = inherited.clone();
                scope.vars = included.vars;
                scope.host = included.host.or(scope.host);
                let outcome =
                    self.run_included(state, task, &scope, &included.tasks, &included.ctx);
                if outcome.failed || state.ended {
                    return self.conclude(state, task, &name, outcome);
                }
            }
            // Each included file was counted when it was included.
            let done = Outcome {
                silent: true,
                ..Outcome::ok()
            };
            return self.conclude(state, task, &name, done);
        }
        let mut summary = Outcome {
            changed: any_changed,
            failed: any_failed,
            skipped: all_skipped,
            shape: Shape::Loop,
            ..Outcome::ok()
        };
        summary.msg = Some(if any_failed {
            "One or more items failed".into()
        } else if all_skipped {
            "All items skipped".into()
        } else {
            "All items completed".into()
        });
        summary
            .data
            .insert("results".into(), serde_json::Value::Array(results));
        self.conclude(state, task, &name, summary)
    }

    /// A block or task whose `root:` cannot be used fails (before anything in it runs).
    pub(super) fn root_task_failed(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        msg: String,
    ) -> Flow {
        let name = task.display_name();
        self.task_start(task as *const Task as usize, name.clone(), false);
        let outcome = Outcome::failed(msg);
        self.report(state, task, &name, &outcome, None, outcome.registered());
        self.conclude(state, task, &name, outcome)
    }

    /// The task's name as shown: templated with the task's variables where it can be
    /// (a name using a loop variable keeps its braces, as in Ansible).
    pub(super) fn task_name(&self, task: &Task, ctx: &Value) -> String {
        let name = task.display_name();
        // Only a name written is rendered: an unnamed `include_role` of a templated
        // role is shown as written (`include_role : {{ which }}`), as Ansible does.
        if task.name.is_none() || !crate::template::Templates::is_template(&name) {
            return name;
        }
        self.shared.templates.render_str(&name, ctx).unwrap_or(name)
    }

    /// Run the task's action when its conditions hold.
    pub(super) fn guarded(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        inherited: &Inherited<'_>,
        ctx: &Value,
    ) -> Outcome {
        self.delegated_to = None;
        if let Some(outcome) = self.unmet(task, inherited, ctx) {
            return outcome;
        }
        self.act(state, task, inherited, ctx)
    }

    /// Run the task's action (or include), its conditions already met.
    pub(super) fn act(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        inherited: &Inherited<'_>,
        ctx: &Value,
    ) -> Outcome {
        match &task.kind {
            TaskKind::Action { .. } => {
                let flags = self.flags(task);
                match self.acting_host(state, task, inherited, ctx) {
                    Ok(host) => self.step(&host, task, ctx, flags),
                    Err(msg) => Outcome::failed(msg),
                }
            }
            TaskKind::IncludeTasks {
                file,
                inherited_tags,
                apply,
            } => {
                let included = (file, &inherited_tags[..], apply.as_deref());
                self.include(state, task, inherited, included, ctx)
            }
            TaskKind::IncludeRole { tasks } => {
                let tasks = Arc::clone(tasks);
                self.include_role(state, task, inherited, &tasks, ctx)
            }
            TaskKind::IncludeRoleNamed {
                entry,
                vars,
                inherited_tags,
            } => {
                let named = (entry.as_ref(), vars.as_deref(), inherited_tags.as_slice());
                self.include_role_named(state, task, inherited, named, ctx)
            }
            TaskKind::Block { .. } => Outcome::failed("a block cannot run as a task"),
        }
    }

    /// The outcome of a task whose conditions (its own and inherited) do not hold, or
    /// cannot be evaluated; `None`: its action runs.
    pub(super) fn unmet(
        &self,
        task: &Task,
        inherited: &Inherited<'_>,
        ctx: &Value,
    ) -> Option<Outcome> {
        let conditions = inherited.when.iter().copied().chain(task.when.iter());
        for cond in conditions {
            match condition(self.shared.templates, cond, ctx) {
                Ok(true) => {}
                Ok(false) => {
                    let mut outcome = Outcome::skipped("Conditional result was False");
                    outcome.shape = Shape::NotRun;
                    outcome
                        .data
                        .insert("false_condition".into(), condition_as_written(&cond.expr));
                    return Some(outcome);
                }
                Err(msg) => return Some(Outcome::failed(msg)),
            }
        }
        None
    }

    /// The task's `check_mode:` and `diff:` over the run's options.
    pub(super) fn flags(&self, task: &Task) -> Flags {
        Flags {
            check: task.check_mode.unwrap_or(self.options.check),
            diff: task.diff.unwrap_or(self.options.diff),
        }
    }

    /// The task's action as one [`Step`] on `host`; what it changed of the run (facts,
    /// a cut-short apply) is applied here, its warnings and progress reported.
    fn step(&mut self, host: &Site, task: &Task, ctx: &Value, flags: Flags) -> Outcome {
        let reporter = &mut *self.reporter;
        let mut on_event = |event: crate::events::Event| reporter.event(&event);
        let stepped = Step::new(self.shared, task, ctx, host, flags, &mut on_event).run();
        self.apply_stepped(stepped)
    }

    /// What a step changed of the entered host (its facts) and of the run (a
    /// cut-short apply); its outcome.
    pub(super) fn apply_stepped(&mut self, stepped: super::step::Stepped) -> Outcome {
        if let Some(cut_short) = stepped.cut_short {
            self.progress.cut_short = Some(cut_short);
        }
        if let Some(layer) = stepped.facts {
            if let Err(msg) = self.keep_facts(&layer) {
                return Outcome::failed(msg);
            }
        }
        if let Some(change) = stepped.inventory {
            if let Err(msg) = self.change_inventory(change) {
                return Outcome::failed(msg);
            }
        }
        if let Some(change) = stepped.stats {
            // A run_once task's statistics are every host's of the batch, as
            // ansible-core's get_task_hosts gives them.
            let hosts = match &self.run_once_hosts {
                Some(hosts) => hosts.clone(),
                None => vec![self.target.name.clone()],
            };
            self.custom_stats.apply(&change, &hosts);
        }
        stepped.outcome
    }

    /// `meta:` actions change the flow; they print nothing of their own.
    pub(super) fn meta(&mut self, state: &mut PlayState<'_>, what: &str) -> Flow {
        match what {
            "flush_handlers" => self.flush_handlers(state),
            "end_play" | "end_host" | "end_batch" => {
                // `end_play` ends it for every host; `end_host` for this one.
                self.play_ended |= what != "end_host";
                state.ended = true;
                Flow::EndPlay
            }
            "reset_connection" => {
                // As Ansible's: the host's connection ends (its agents, and an ssh
                // host's multiplexed connection with the last of them); the next task
                // logs in again, so it sees what the login gives now (new groups).
                if let Site::Remote(remote, _) = &*state.host {
                    tracing::info!(host = %self.target.name, "meta: reset_connection: closing the host's agent sessions");
                    remote.close();
                }
                Flow::Continue
            }
            "noop" | "refresh_inventory" | "clear_host_errors" => Flow::Continue,
            "clear_facts" => {
                self.target.facts.clear_gathered();
                Flow::Continue
            }
            // Unknown names were refused when the playbook was validated.
            _ => Flow::Continue,
        }
    }

    /// `changed_when` and `failed_when`, evaluated with the task's result registered.
    pub(super) fn after_conditions(
        &mut self,
        task: &Task,
        mut outcome: Outcome,
        ctx: &Value,
    ) -> Outcome {
        if outcome.skipped || (task.changed_when().is_none() && task.failed_when().is_none()) {
            return outcome;
        }
        let name = task.register().unwrap_or("result");
        let mut layer = Layer::default();
        layer.set(name, vars::from_json(&outcome.registered()));
        // minijinja's merge: the last map with the name wins, so the result this task
        // registers hides a value the same name held before.
        let ctx = minijinja::value::merge_maps([ctx.clone(), vars_layer_value(&layer)]);
        if let Some(conds) = task.changed_when() {
            match self.all(conds, &ctx) {
                Ok(changed) => outcome.changed = changed,
                Err(msg) => return Outcome::failed(msg),
            }
        }
        if let Some(conds) = task.failed_when() {
            match self.all(conds, &ctx) {
                Ok(failed) => {
                    if failed && outcome.msg.is_none() {
                        outcome.msg = Some("failed_when condition was true".into());
                    }
                    outcome.failed = failed;
                    outcome
                        .data
                        .insert("failed_when_result".into(), failed.into());
                }
                Err(msg) => return Outcome::failed(msg),
            }
        }
        outcome
    }

    /// Whether `loop_control.break_when` stops the loop after this item: its
    /// conditions see the item and, under `register`, this item's result (as
    /// ansible-core's task executor registers each item's before it checks).
    fn breaks_loop(
        &self,
        task: &Task,
        ctx: &Value,
        registered: &serde_json::Value,
    ) -> Result<bool, String> {
        let conditions = &task.loop_control().break_when;
        if conditions.is_empty() {
            return Ok(false);
        }
        let ctx = match task.register() {
            Some(register) => {
                let mut layer = Layer::default();
                layer.set(register, vars::from_json(registered));
                minijinja::value::merge_maps([ctx.clone(), vars_layer_value(&layer)])
            }
            None => ctx.clone(),
        };
        self.all(conditions, &ctx)
    }

    fn all(&self, conds: &[Condition], ctx: &Value) -> Result<bool, String> {
        for cond in conds {
            if !condition(self.shared.templates, cond, ctx)? {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// Register, notify, count, and decide whether the play goes on.
    pub(super) fn conclude(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        name: &str,
        outcome: Outcome,
    ) -> Flow {
        let flow = self.concluded(state, task, name, outcome);
        if super::interrupt::pending().is_some() {
            return Flow::Interrupted;
        }
        flow
    }

    fn concluded(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        name: &str,
        outcome: Outcome,
    ) -> Flow {
        if outcome.silent {
            return match (outcome.failed, state.ended) {
                (true, _) if outcome.unreachable => Flow::Unreachable,
                (true, _) => Flow::Failed,
                (false, true) => Flow::EndPlay,
                (false, false) => Flow::Continue,
            };
        }
        if let Some(name) = task.register() {
            let registered = outcome.registered();
            if task.no_log {
                super::reported::hide_strings_of(&registered);
            }
            self.target.facts.set(name, vars::from_json(&registered));
        }
        let failed = outcome.failed;
        let ignored = failed && self.ignores(task);
        if failed && !ignored {
            let result = outcome.registered();
            if task.no_log {
                super::reported::hide_strings_of(&result);
            }
            // As Ansible's `ansible_failed_task.name`: the task's own name, empty if it has none.
            let failed_name = if task.name.is_some() { name } else { "" };
            // And its `action`: the module as the task names it.
            let action = match &task.kind {
                crate::playbook::model::TaskKind::Action { module, .. } => module.to_string(),
                _ => String::new(),
            };
            let failed = serde_json::json!({ "name": failed_name, "action": action });
            self.target.last_failure = Some((failed, result));
        }
        match outcome.status() {
            // As Ansible: let through by ignore_unreachable, ok and ignored.
            Status::Unreachable if task.ignore_unreachable() => {
                self.target.stats.ok += 1;
                self.target.stats.ignored += 1;
            }
            Status::Unreachable => {
                self.target.stats.unreachable += 1;
                return Flow::Unreachable;
            }
            Status::Skipped => self.target.stats.skipped += 1,
            Status::Failed if ignored => {
                // As Ansible: an ignored failure that changed something (a command
                // that ran and exited 1) counts as changed too.
                self.target.stats.ok += 1;
                self.target.stats.ignored += 1;
                if outcome.changed {
                    self.target.stats.changed += 1;
                }
            }
            Status::Failed => {
                if !self.rescuable() {
                    self.target.stats.failed += 1;
                }
            }
            Status::Changed => {
                self.progress.changed(name);
                self.target.stats.ok += 1;
                self.target.stats.changed += 1;
            }
            Status::Ok => self.target.stats.ok += 1,
        }
        if outcome.changed && !outcome.failed && !task.notify().is_empty() {
            self.notify(state, task);
        }
        if failed && !ignored {
            return Flow::Failed;
        }
        if state.ended {
            return Flow::EndPlay;
        }
        Flow::Continue
    }

    /// Tell the reporters about one result.
    pub(super) fn report(
        &mut self,
        state: &PlayState<'_>,
        task: &Task,
        name: &str,
        outcome: &Outcome,
        item: Option<(serde_json::Value, String)>,
        registered: serde_json::Value,
    ) {
        if outcome.silent {
            return;
        }
        let module = match &task.kind {
            TaskKind::Action { module, .. } => module.to_string(),
            TaskKind::IncludeTasks { .. } => "include_tasks".into(),
            TaskKind::IncludeRole { .. } | TaskKind::IncludeRoleNamed { .. } => {
                "include_role".into()
            }
            TaskKind::Block { .. } => "block".into(),
        };
        let show_diff = task.diff.unwrap_or(self.options.diff);
        let mut shown = outcome.shown.clone();
        if outcome.failed && shown.is_none() {
            shown = Some(outcome.failure_details());
        }
        let mut result = TaskResult {
            play: state.play.name.clone(),
            task: name.to_string(),
            module,
            host: self.target.name.clone(),
            delegated_to: self.delegated_to.as_ref().map(|d| d.shown.clone()),
            status: outcome.status(),
            diff: outcome.diff.clone(),
            msg: outcome.msg.clone(),
            item: item.as_ref().map(|(value, _)| value.clone()),
            label: item.map(|(_, label)| label),
            ignored: (outcome.failed && self.ignores(task))
                || (outcome.unreachable && task.ignore_unreachable()),
            result: super::reported::event_result(registered, task.no_log),
            shown,
            show_diff,
        };
        if task.diff == Some(false) {
            // The task asked for no diff: none reaches any output, JSON included.
            result.diff.clear();
            if let serde_json::Value::Object(registered) = &mut result.result {
                registered.remove("diff");
            }
        }
        if task.no_log {
            result.diff.clear();
            result.msg = Some(NO_LOG_MSG.into());
            // Nothing is shown, not even a debug's message: ansible-core 2.19 prints
            // the bare status line (`ok: [host]`) for a no_log result, and a failure
            // as `{"censored": …, "changed": …}`.
            result.shown = outcome
                .failed
                .then(|| serde_json::json!({"censored": NO_LOG_MSG, "changed": outcome.changed}));
            if result.item.is_some() {
                result.item = Some(serde_json::Value::String(NO_LOG_ITEM.into()));
                result.label = Some(NO_LOG_ITEM.into());
            }
        }
        tracing::debug!(
            task = %result.task,
            host = %result.host,
            status = ?result.status,
            item = ?result.label,
            "task result"
        );
        self.reporter.event(&Event::TaskResult(Box::new(result)));
    }

    /// The loop's items: a rendered list, or what a `with_<lookup>` makes of its value.
    fn loop_items(
        &self,
        task: &Task,
        node: &crate::yaml::Node,
        ctx: &Value,
    ) -> Result<Vec<Value>, String> {
        let raw = vars::node_to_value(node);
        let value = self
            .shared
            .templates
            .render_tree(&raw, ctx)
            .map_err(|err| located(&node.span, format!("loop: {err}")))?;
        if let Some(with) = task.loop_with {
            let action = match &task.kind {
                TaskKind::Action { module, .. } => module.as_str(),
                _ => "",
            };
            let task_dir = task.span.file.parent().unwrap_or(std::path::Path::new(""));
            // Absolute: what is found is used from other folders (an include's).
            let task_dir = std::path::absolute(task_dir).unwrap_or_else(|_| task_dir.into());
            return self
                .shared
                .templates
                .legacy_loop_items(with, &value, ctx, (action, &task_dir))
                .map_err(|err| located(&node.span, err));
        }
        match value.kind() {
            minijinja::value::ValueKind::Seq | minijinja::value::ValueKind::Iterable => {
                Ok(value.try_iter().map_err(|err| err.to_string())?.collect())
            }
            minijinja::value::ValueKind::None | minijinja::value::ValueKind::Undefined => {
                Ok(Vec::new())
            }
            _ => Err(located(
                &node.span,
                format!("loop needs a list, got {value:?} (use dict2items for a mapping)"),
            )),
        }
    }

    /// `include_tasks`: load the file now and run its tasks with this task's scope.
    fn include<'t>(
        &mut self,
        state: &mut PlayState<'_>,
        task: &'t Task,
        inherited: &Inherited<'t>,
        (file, inherited_tags, apply): (&crate::yaml::Node, &[String], Option<&Task>),
        ctx: &Value,
    ) -> Outcome {
        let name = file.as_str().unwrap_or_default();
        let name = match self.shared.templates.render_str(name, ctx) {
            Ok(name) => name,
            Err(err) => return Outcome::failed(located(&file.span, err.to_string())),
        };
        let path = include_path(&file.span, &task.origin, &name);
        if self.includes.len() >= MAX_INCLUDE_DEPTH {
            let chain: Vec<String> = self
                .includes
                .iter()
                .rev()
                .take(3)
                .rev()
                .chain(std::iter::once(&path))
                .map(|p| p.display().to_string())
                .collect();
            return Outcome::failed(located(
                &file.span,
                format!(
                    "include_tasks nested more than {MAX_INCLUDE_DEPTH} deep (… -> {}): does a file include itself?",
                    chain.join(" -> ")
                ),
            ));
        }
        let mut loader = Loader::new(self.shared.sources.clone(), &self.options.extra_vars);
        if let Some(dir) = state.magic.get("playbook_dir").and_then(Value::as_str) {
            loader = loader.with_library_base(dir.into());
        }
        let mut tasks = match loader.task_file(&path, &task.origin, inherited_tags, &file.span) {
            Ok(tasks) => tasks,
            Err(err) => {
                let text: Vec<String> = err.0.iter().map(Diagnostic::to_string).collect();
                return Outcome::failed(text.join("\n"));
            }
        };
        // As Ansible: the absolute path, the loop item, and one `ok` in the recap.
        let announce = Event::Included {
            file: std::path::absolute(&path)
                .unwrap_or_else(|_| path.clone())
                .display()
                .to_string(),
            host: self.target.name.clone(),
            item: self.included_item(task, ctx),
        };
        if let Some(apply) = apply {
            tasks = apply.applied_around(tasks);
        }
        crate::playbook::inherit::from_include(&mut tasks, task);
        let tasks = Arc::new(tasks);
        if let Some(deferred) = self.defer(announce, Some(&path), &tasks, inherited, ctx) {
            return deferred;
        }
        self.includes.push(path);
        let outcome = self.run_included(state, task, inherited, &tasks, ctx);
        self.includes.pop();
        outcome
    }

    /// `include_role` with a templated name: render it, load the role now (as
    /// include_tasks loads its file), then run it as any included role.
    fn include_role_named(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        inherited: &Inherited<'_>,
        (entry, vars, inherited_tags): (&crate::yaml::Node, Option<&crate::yaml::Node>, &[String]),
        ctx: &Value,
    ) -> Outcome {
        let Some(name_node) = entry.get("name").or_else(|| entry.get("role")) else {
            return Outcome::failed("include_role needs a name");
        };
        let name = match self
            .shared
            .templates
            .render_str(name_node.as_str().unwrap_or_default(), ctx)
        {
            Ok(name) => name,
            Err(err) => return Outcome::failed(located(&name_node.span, err.to_string())),
        };
        let mut entry = entry.clone();
        let key = if entry.get("name").is_some() {
            "name"
        } else {
            "role"
        };
        if let Some(node) = entry.get_mut(key) {
            node.value = crate::yaml::Value::Str(name.clone());
        }
        let mut loader = Loader::new(self.shared.sources.clone(), &self.options.extra_vars);
        if let Some(dir) = state.magic.get("playbook_dir").and_then(Value::as_str) {
            loader = loader.with_library_base(dir.into());
        }
        let defined = |var: &str| ctx.get_attr(var).is_ok_and(|value| !value.is_undefined());
        let mut tasks =
            match loader.role_at_run_time(&entry, vars, &task.origin, inherited_tags, &defined) {
                Ok(tasks) => tasks,
                Err(err) => {
                    let text: Vec<String> = err.0.iter().map(Diagnostic::to_string).collect();
                    return Outcome::failed(text.join("\n"));
                }
            };
        tracing::debug!(role = %name, tasks = tasks.len(), "include_role loaded at run time");
        crate::playbook::inherit::from_include(&mut tasks, task);
        self.include_role(state, task, inherited, &std::sync::Arc::new(tasks), ctx)
    }

    /// `include_role`: its tasks were loaded with the playbook; run them now.
    fn include_role(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        inherited: &Inherited<'_>,
        tasks: &Arc<Vec<Task>>,
        ctx: &Value,
    ) -> Outcome {
        // As Ansible: `included: ROLE for localhost`, and one `ok` in the recap. The
        // role's own block comes last, after its dependencies'.
        let role = tasks
            .last()
            .and_then(|t| t.origin.role.as_ref().map(|r| (r.name.clone(), &t.origin)));
        let Some((role, origin)) = role else {
            return self.run_included(state, task, inherited, tasks, ctx);
        };
        // Its handlers see the include's vars and loop variables, as Ansible's.
        let mut include_vars = task.vars.clone();
        if let Some(looped) = loop_variables(task, ctx) {
            include_vars.extend(&looped);
        }
        state.notified.role_included(origin, include_vars);
        let announce = Event::Included {
            file: role,
            host: self.target.name.clone(),
            item: self.included_item(task, ctx),
        };
        if let Some(deferred) = self.defer(announce, None, tasks, inherited, ctx) {
            return deferred;
        }
        self.run_included(state, task, inherited, tasks, ctx)
    }

    /// An include's `included:` line, shown and counted now; or, inside a looped
    /// include, kept with its tasks until the loop is done (`Some`: the item's outcome).
    fn defer(
        &mut self,
        announce: Event,
        file: Option<&std::path::Path>,
        tasks: &Arc<Vec<Task>>,
        inherited: &Inherited<'_>,
        ctx: &Value,
    ) -> Option<Outcome> {
        let Some(deferred) = &mut self.target.deferred else {
            self.reporter.event(&announce);
            self.target.stats.ok += 1;
            return None;
        };
        deferred.push(super::host_state::Deferred {
            announce,
            file: file.map(std::path::Path::to_path_buf),
            tasks: Arc::clone(tasks),
            ctx: ctx.clone(),
            vars: inherited.vars.clone(),
            host: inherited.host.clone(),
        });
        Some(Outcome {
            silent: true,
            ..Outcome::ok()
        })
    }

    /// The loop item an `included:` line shows, when the include loops.
    fn included_item(&self, task: &Task, ctx: &Value) -> Option<String> {
        task.loop_items.as_ref()?;
        let loop_var = task.loop_control().loop_var.as_deref().unwrap_or("item");
        Some(match &task.loop_control().label {
            Some(label) => self
                .shared
                .templates
                .render_str(label, ctx)
                .unwrap_or_else(|_| label.clone()),
            None => item_label(&ctx.get_attr(loop_var).unwrap_or_default()),
        })
    }

    /// Run included tasks with the including task's variables (and loop item).
    fn run_included(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        inherited: &Inherited<'_>,
        tasks: &[Task],
        ctx: &Value,
    ) -> Outcome {
        let mut inner = inherited.clone();
        inner.vars.push(task.vars.clone());
        if let Some(looped) = loop_variables(task, ctx) {
            inner.looped.push(looped);
        }
        let flow = self.tasks(state, tasks, &inner, inner.handler);
        let failed = match flow {
            Flow::Continue => false,
            Flow::EndPlay => {
                state.ended = true;
                false
            }
            Flow::Failed | Flow::Unreachable | Flow::Interrupted => true,
        };
        Outcome {
            silent: true,
            failed,
            unreachable: flow == Flow::Unreachable,
            ..Outcome::ok()
        }
    }
}

/// A task's start and end in the log (`-vv`, `RUST_LOG=machinist=debug`): the end,
/// with how long the task took (its loop and included tasks in it), when it is dropped.
struct TaskTiming {
    name: String,
    host: String,
    started: std::time::Instant,
}

impl TaskTiming {
    fn start(name: &str, host: &str, task: &Task, handler: bool) -> TaskTiming {
        tracing::debug!(task = %name, host = %host, at = %task.span, handler, "task started");
        TaskTiming {
            name: name.to_string(),
            host: host.to_string(),
            started: std::time::Instant::now(),
        }
    }
}

impl Drop for TaskTiming {
    fn drop(&mut self) {
        let elapsed = self.started.elapsed();
        tracing::debug!(
            task = %self.name,
            host = %self.host,
            elapsed_ms = elapsed.as_secs_f64() * 1000.0,
            "task ended"
        );
    }
}

/// What the human reporter shows for an item without a label: Python's `str()` of
/// it, as Ansible's `(item=%s)` (`{'name': 'a'}`, not JSON).
fn item_label(item: &Value) -> String {
    if item.is_none() {
        return "None".into();
    }
    crate::template::py_str(item)
}

fn vars_layer_value(layer: &Layer) -> Value {
    Value::from_iter(
        layer
            .names()
            .filter_map(|n| layer.get(n).map(|v| (n.to_string(), v.clone()))),
    )
}

/// `ansible_loop` for the item at `index`, as ansible-core's `loop_control.extended`
/// makes it (`allitems` unless `extended_allitems: false`).
fn extended_loop(items: &[Value], index: usize, all: Option<&[Value]>) -> Value {
    let length = items.len();
    let mut fields: Vec<(&str, Value)> = vec![
        ("index", Value::from(index + 1)),
        ("index0", Value::from(index)),
        ("revindex", Value::from(length - index)),
        ("revindex0", Value::from(length - index - 1)),
        ("first", Value::from(index == 0)),
        ("last", Value::from(index + 1 == length)),
        ("length", Value::from(length)),
    ];
    if let Some(all) = all {
        fields.push(("allitems", Value::from(all.to_vec())));
    }
    if index > 0 {
        fields.push(("previtem", items[index - 1].clone()));
    }
    if let Some(next) = items.get(index + 1) {
        fields.push(("nextitem", next.clone()));
    }
    Value::from_iter(fields)
}

/// The loop variables of a looped include's current item (its `loop_var`,
/// `index_var`, `ansible_loop`, and their names).
fn loop_variables(task: &Task, ctx: &Value) -> Option<Layer> {
    task.loop_items.as_ref()?;
    let mut looped = Layer::default();
    let loop_var = task.loop_control().loop_var.as_deref().unwrap_or("item");
    // As ansible-core's IncludedFile: the item, the index and `ansible_loop`
    // reach the included tasks, with the names of their variables.
    let index_var = task.loop_control().index_var.as_deref();
    let special = ["ansible_loop_var", "ansible_index_var", "ansible_loop"];
    for name in [Some(loop_var), index_var]
        .into_iter()
        .flatten()
        .chain(special)
    {
        if let Ok(value) = ctx.get_attr(name) {
            looped.set(name, value);
        }
    }
    Some(looped)
}

/// A `when:` as Ansible reports it in `false_condition`: a bare YAML boolean (which the
/// loader spells `False`) stays a boolean.
fn condition_as_written(expr: &str) -> serde_json::Value {
    match expr {
        "False" => serde_json::Value::Bool(false),
        _ => expr.into(),
    }
}
