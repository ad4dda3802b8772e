//! What a task's action does: a module (render arguments → plan → apply or record),
//! or one of the runner's own actions that work on variables and flow (`debug`,
//! `set_fact`, `include_vars`, `assert`, `fail`, `meta`).

use super::outcome::Outcome;
use super::secrets::Secrets;
use super::{Executor, Flow, PlayState};
use crate::events::Event;
use crate::playbook::model::{Action, Condition, Task};
use crate::playbook::yaml::{Node, Value as YamlValue};
use crate::template::Templates;
use crate::vars;
use machinist_modules::host::Exec;
use machinist_modules::registry::PlanError;
use machinist_modules::{Builtin, Host, ModuleError, Op, OpOutput, Place, RunSpec};
use minijinja::Value;
use serde_json::Value as Json;

impl Executor<'_> {
    #[allow(clippy::too_many_arguments)]
    pub(super) fn action(
        &mut self,
        host: &Host,
        task: &Task,
        module: &str,
        action: &Action,
        args: &Node,
        ctx: &Value,
        check: bool,
    ) -> Outcome {
        match action {
            Action::Module(builtin) => self.module(host, task, *builtin, args, ctx, check),
            Action::Plugin(plugin) => self.plugin(host, task, plugin, args, ctx, check),
            Action::Debug => self.debug(args, ctx),
            Action::SetFact => self.set_fact(args, ctx),
            Action::IncludeVars => self.include_vars(task, args, ctx),
            Action::Assert => self.assert(args, ctx),
            Action::Fail => match self.render_args(args, ctx) {
                Ok(rendered) => Outcome::failed(
                    rendered
                        .get("msg")
                        .map(json_text)
                        .unwrap_or_else(|| "Failed as requested from task".into()),
                ),
                Err(msg) => Outcome::failed(msg),
            },
            Action::Meta => Outcome::failed(format!("{module} cannot run here")),
            Action::Uri | Action::WaitFor => {
                self.check_action(host, module, action, args, ctx, check)
            }
        }
    }

    /// uri and wait_for: arguments rendered and decoded, then the request or the wait;
    /// skipped under --check, as Ansible's modules (no check mode) are.
    fn check_action(
        &mut self,
        host: &Host,
        module: &str,
        action: &Action,
        args: &Node,
        ctx: &Value,
        check: bool,
    ) -> Outcome {
        let rendered = match self.render_args(args, ctx) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let secrets = match action {
            Action::Uri => Secrets::named(super::uri::SECRET_ARGS, &rendered),
            _ => Secrets::default(),
        };
        let short = module.strip_prefix("ansible.builtin.").unwrap_or(module);
        if check {
            let mut skipped = Outcome::skipped(format!(
                "remote module ({short}) does not support check mode"
            ));
            skipped.msg = Some(format!(
                "remote module ({short}) does not support check mode"
            ));
            return skipped;
        }
        let decoded = Json::Object(rendered);
        let outcome = match action {
            Action::Uri => match serde_json::from_value::<super::uri::Args>(decoded) {
                Ok(parsed) => super::uri::request(&parsed, host),
                Err(err) => Outcome::failed(format!("{short}: {err}")),
            },
            _ => match serde_json::from_value::<super::wait_for::Args>(decoded) {
                Ok(parsed) => super::wait_for::wait(&parsed, host),
                Err(err) => Outcome::failed(format!("{short}: {err}")),
            },
        };
        secrets.masked(outcome)
    }

    /// Render a task's arguments (Ansible's native templating) and drop `omit`s.
    pub(super) fn render_args(
        &self,
        args: &Node,
        ctx: &Value,
    ) -> Result<serde_json::Map<String, Json>, String> {
        let mut out = serde_json::Map::new();
        for (key, node) in args.as_map().unwrap_or_default() {
            if let YamlValue::Str(text) = &node.value {
                // Text without a template renders as itself.
                if !Templates::is_template(text) && text != crate::template::OMIT {
                    out.insert(key.name.to_string(), Json::String(text.clone()));
                    continue;
                }
            }
            let raw = vars::node_to_value(node);
            let rendered = self
                .templates
                .render_tree(&raw, ctx)
                .map_err(|err| self.located(&node.span, format!("{}: {err}", key.name)))?;
            if !Templates::is_omit(&rendered) {
                out.insert(key.name.to_string(), vars::to_json(&rendered));
            }
        }
        Ok(out)
    }

    fn module(
        &mut self,
        host: &Host,
        task: &Task,
        builtin: Builtin,
        args: &Node,
        ctx: &Value,
        check: bool,
    ) -> Outcome {
        let mut rendered = match self.render_args(args, ctx) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        if matches!(builtin, Builtin::Command | Builtin::Shell) && !task.environment().is_empty() {
            // The `environment:` keywords (play's, blocks', the task's), under the
            // module's own `environment`.
            let mut merged = serde_json::Map::new();
            for env in task.environment() {
                let raw = vars::node_to_value(env);
                let value = match self.templates.render_tree(&raw, ctx) {
                    Ok(value) => vars::to_json(&value),
                    Err(err) => {
                        return Outcome::failed(
                            self.located(&env.span, format!("environment: {err}")),
                        )
                    }
                };
                let Json::Object(layer) = value else {
                    return Outcome::failed(
                        self.located(&env.span, "environment must be a mapping".into()),
                    );
                };
                merged.extend(layer);
            }
            if let Some(Json::Object(own)) = rendered.get("environment") {
                merged.extend(own.clone());
            }
            rendered.insert("environment".into(), Json::Object(merged));
        }
        let secrets = Secrets::of(builtin, &rendered);
        if let Err(msg) = self.resolve_sources(task, builtin, &mut rendered, ctx) {
            return secrets.masked(Outcome::failed(msg));
        }
        let outcome = self.plan_and_apply(host, task, builtin, args, rendered, check);
        secrets.masked(outcome)
    }

    fn plan_and_apply(
        &mut self,
        host: &Host,
        task: &Task,
        builtin: Builtin,
        args: &Node,
        rendered: serde_json::Map<String, Json>,
        check: bool,
    ) -> Outcome {
        // An argument at fault is pointed at where the task wrote it.
        let at = |field: Option<&str>| {
            field
                .and_then(|f| {
                    args.as_map()
                        .unwrap_or_default()
                        .iter()
                        .find(|(k, _)| k.name == f)
                })
                .map_or(&args.span, |(k, _)| &k.span)
        };
        let mut plan = match builtin.plan(&Json::Object(rendered), host) {
            Ok(plan) => plan,
            Err(PlanError::Args(err)) => {
                return Outcome::failed(self.located(at(err.field.as_deref()), err.message));
            }
            Err(PlanError::Module(ModuleError::InvalidArgs { field, message })) => {
                return Outcome::failed(self.located(at(field.as_deref()), message));
            }
            Err(PlanError::Module(err)) => return Outcome::failed(err.to_string()),
        };
        for warning in &plan.warnings {
            self.reporter.event(&Event::Warning(warning.clone()));
        }
        let mut outcome = Outcome::ok();
        // The result's keys are read only when the task is registered, has
        // changed_when/failed_when or a loop (its results), or may fail in the apply
        // below (the failure shows them); a module's deferred keys are built only then.
        let keys_read = task.register().is_some()
            || task.changed_when().is_some()
            || task.failed_when().is_some()
            || task.loop_items.is_some()
            || plan.is_changed();
        outcome.data = if keys_read {
            plan.take_data()
        } else {
            std::mem::take(&mut plan.data)
        };
        outcome.msg = plan.msg.take();
        outcome.diff = plan.changes.iter().filter_map(|c| c.diff.clone()).collect();
        if !plan.is_changed() {
            outcome.skipped = plan.skipped;
            return outcome;
        }
        if check && !plan.predictable {
            let mut skipped = Outcome::skipped("Command would have run if not in check mode");
            skipped.msg = Some("Command would have run if not in check mode".into());
            let runs = plan
                .changes
                .iter()
                .flat_map(|c| &c.ops)
                .any(|op| matches!(op, Op::Run(_)));
            if runs {
                // As Ansible's command module registers it: a command that did not
                // run has rc 0 and empty output, so `r.rc` and `r.stdout` still work.
                for (key, value) in [
                    ("rc", Json::from(0)),
                    ("stdout", Json::from("")),
                    ("stderr", Json::from("")),
                    ("stdout_lines", Json::Array(Vec::new())),
                    ("stderr_lines", Json::Array(Vec::new())),
                ] {
                    skipped.data.insert(key.into(), value);
                }
            }
            return skipped;
        }
        outcome.changed = true;
        let ops: Vec<Op> = plan.changes.into_iter().flat_map(|c| c.ops).collect();
        if !check {
            self.warn_chroot(host, &ops);
        }
        let name = task.display_name();
        let reporter = &mut self.reporter;
        let applied = host.apply_with_progress(&ops, check, &mut |progress| {
            reporter.event(&Event::Progress {
                task: name.clone(),
                done: progress.done,
                total: progress.total,
                what: progress.what,
                unit: progress.unit,
            });
        });
        match applied {
            Ok(outputs) => command_result(&mut outcome, builtin, &ops, &outputs),
            Err(err) => {
                if matches!(err, ModuleError::Interrupted { .. }) {
                    self.progress.cut_short = Some(format!("{}: {err}", task.display_name()));
                }
                // A refused validation replaced nothing: failed, not changed.
                if matches!(err, ModuleError::Refused(_)) {
                    outcome.changed = false;
                }
                outcome.failed = true;
                outcome.msg = Some(err.to_string());
            }
        }
        outcome
    }

    /// Say once per root that its commands run through chroot: no /proc, /dev or
    /// /run of its own there, unlike systemd-nspawn (not installed, or the root is not
    /// an OS tree yet).
    fn warn_chroot(&mut self, host: &Host, ops: &[Op]) {
        let runs_inside = ops.iter().any(|op| match op {
            Op::Run(spec) => spec.place == Place::Target,
            // validate's command runs in the target too.
            Op::WriteValidated { .. } => true,
            _ => false,
        });
        let root = host.root().to_path_buf();
        if !runs_inside || host.exec() != Exec::Chroot || self.chroot_warned.contains(&root) {
            return;
        }
        self.reporter.event(&Event::Warning(format!(
            "commands in {} run with chroot: systemd-nspawn is not installed, or the root is              not an OS tree (no /usr with an os-release); they get no /proc, /dev or /run of              their own",
            root.display()
        )));
        self.chroot_warned.push(root);
    }

    fn debug(&mut self, args: &Node, ctx: &Value) -> Outcome {
        let verbosity = args
            .get("verbosity")
            .and_then(|n| match n.value {
                YamlValue::Int(i) => Some(i),
                _ => None,
            })
            .unwrap_or(0);
        if verbosity > i64::from(self.options.verbosity) {
            return Outcome::skipped("Verbosity threshold not met.");
        }
        let mut outcome = Outcome::ok();
        if let Some(var) = args.get("var") {
            let name = var.as_str().unwrap_or_default();
            // ansible-core 2.19 shows an undefined variable as an error in the value.
            let value = match self.templates.eval(name, ctx) {
                Ok(value) if !value.is_undefined() => vars::to_json(&value),
                Ok(_) => Json::String(format!("<< error 1 - '{name}' is undefined >>")),
                Err(err) => Json::String(format!("<< error 1 - {} >>", err.message)),
            };
            // As Ansible registers it: `{NAME: value, changed, failed}`.
            outcome.data.insert(name.to_string(), value.clone());
            let mut shown = serde_json::Map::new();
            shown.insert(name.to_string(), value);
            outcome.shown = Some(Json::Object(shown));
            return outcome;
        }
        let msg = match args.get("msg") {
            Some(node) => {
                let raw = vars::node_to_value(node);
                match self.templates.render_tree(&raw, ctx) {
                    Ok(value) => vars::to_json(&value),
                    Err(err) => return Outcome::failed(self.located(&node.span, err.to_string())),
                }
            }
            None => Json::String("Hello world!".into()),
        };
        match &msg {
            Json::String(text) => outcome.msg = Some(text.clone()),
            // A list or mapping is registered as it is, as Ansible does.
            other => {
                outcome.data.insert("msg".into(), other.clone());
            }
        }
        outcome.shown = Some(serde_json::json!({ "msg": msg }));
        outcome
    }

    fn set_fact(&mut self, args: &Node, ctx: &Value) -> Outcome {
        let rendered = match self.render_args(args, ctx) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let mut facts = serde_json::Map::new();
        for (name, value) in rendered {
            if name == "cacheable" {
                continue;
            }
            self.facts.set(&name, vars::from_json(&value));
            facts.insert(name, value);
        }
        let mut outcome = Outcome::ok();
        outcome
            .data
            .insert("ansible_facts".into(), Json::Object(facts));
        outcome
    }

    fn assert(&mut self, args: &Node, ctx: &Value) -> Outcome {
        let that: Vec<Condition> = match args.get("that") {
            Some(node) => match &node.value {
                YamlValue::Seq(items) => items.iter().filter_map(as_condition).collect(),
                _ => as_condition(node).into_iter().collect(),
            },
            None => return Outcome::failed("assert needs 'that'"),
        };
        let quiet = args
            .get("quiet")
            .is_some_and(|n| n.value == YamlValue::Bool(true));
        for cond in &that {
            match self.condition(cond, ctx) {
                Ok(true) => {}
                Ok(false) => {
                    let msg = ["fail_msg", "msg"]
                        .iter()
                        .find_map(|k| args.get(k))
                        .map(|node| self.render_text(node, ctx))
                        .unwrap_or_else(|| "Assertion failed".into());
                    let mut outcome = Outcome::failed(msg);
                    outcome
                        .data
                        .insert("assertion".into(), cond.expr.clone().into());
                    outcome.data.insert("evaluated_to".into(), false.into());
                    return outcome;
                }
                Err(msg) => return Outcome::failed(msg),
            }
        }
        let msg = args
            .get("success_msg")
            .map(|node| self.render_text(node, ctx))
            .unwrap_or_else(|| "All assertions passed".into());
        let mut outcome = Outcome::ok().with_msg(msg.clone());
        if !quiet {
            outcome.shown = Some(serde_json::json!({ "changed": false, "msg": msg }));
        }
        outcome
    }

    fn render_text(&self, node: &Node, ctx: &Value) -> String {
        match node.as_str() {
            Some(text) => self
                .templates
                .render_str(text, ctx)
                .unwrap_or_else(|err| format!("{text} (could not render: {err})")),
            None => json_text(&node.to_json()),
        }
    }

    /// `meta:` actions change the flow; they print nothing of their own.
    pub(super) fn meta(&mut self, state: &mut PlayState<'_>, what: &str) -> Flow {
        match what {
            "flush_handlers" => self.flush_handlers(state),
            "end_play" | "end_host" | "end_batch" => {
                state.ended = true;
                Flow::EndPlay
            }
            "noop" | "refresh_inventory" | "clear_host_errors" | "reset_connection" => {
                Flow::Continue
            }
            "clear_facts" => {
                self.facts.clear();
                Flow::Continue
            }
            // Unknown names were refused when the playbook was validated.
            _ => Flow::Continue,
        }
    }
}

fn as_condition(node: &Node) -> Option<Condition> {
    let expr = match &node.value {
        YamlValue::Str(s) => s.clone(),
        YamlValue::Bool(b) => if *b { "True" } else { "False" }.into(),
        _ => return None,
    };
    Some(Condition {
        expr,
        span: node.span.clone(),
    })
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

fn json_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A command's result keys (rc, stdout, stderr and their lines) from the main run: the
/// first one that failed, else the first one (a helper run after it, such as stopping
/// a gpg-agent, does not replace its output). Any run's failure fails the task: for
/// command and shell with Ansible's message, for a module's own tool with what the
/// tool said on stderr (or that it said nothing), so the message alone explains it.
fn command_result(outcome: &mut Outcome, builtin: Builtin, ops: &[Op], outputs: &[OpOutput]) {
    let runs: Vec<(&RunSpec, &OpOutput)> = ops
        .iter()
        .zip(outputs)
        .filter_map(|(op, output)| match op {
            Op::Run(spec) => Some((spec, output)),
            _ => None,
        })
        .collect();
    let failed = runs.iter().find(|(_, output)| output.rc != Some(0));
    let Some((spec, output)) = failed.or(runs.first()) else {
        return;
    };
    let lines = |s: &str| Json::Array(s.lines().map(|l| Json::String(l.into())).collect());
    let stdout = output.stdout.strip_suffix('\n').unwrap_or(&output.stdout);
    let stderr = output.stderr.strip_suffix('\n').unwrap_or(&output.stderr);
    let data = &mut outcome.data;
    data.insert("rc".into(), output.rc.map_or(Json::Null, Json::from));
    data.insert("stdout".into(), stdout.into());
    data.insert("stderr".into(), stderr.into());
    data.insert("stdout_lines".into(), lines(stdout));
    data.insert("stderr_lines".into(), lines(stderr));
    if !data.contains_key("cmd") {
        data.insert(
            "cmd".into(),
            serde_json::to_value(&spec.argv).unwrap_or(Json::Null),
        );
    }
    if output.rc != Some(0) {
        outcome.failed = true;
        let ansible_words = matches!(builtin, Builtin::Command | Builtin::Shell);
        outcome.msg = Some(match output.rc {
            Some(_) if ansible_words => "non-zero return code".into(),
            None if ansible_words => "killed by a signal".into(),
            _ => format!("{} failed: {}", tool_name(&spec.argv), output.said()),
        });
    } else if outcome.msg.is_none() {
        outcome.msg = Some(String::new());
    }
}

#[cfg(test)]
mod tool_failure_tests {
    use super::*;

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
