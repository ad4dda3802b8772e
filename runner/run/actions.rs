//! What a task's action does: a module (render arguments → plan → apply or record),
//! or one of the runner's own actions that work on variables and flow (`debug`,
//! `set_fact`, `include_vars`, `assert`, `fail`, `meta`; `setup`, `fetch`,
//! `wait_for_connection` and `pause` in files of their own).
//!
//! The routing of issue 17: a module on a remote host (machine, ssh) is rendered
//! here and run by the host's agent (run/remote.rs), which plans, applies or records
//! it in its own Host; a connection that fails makes the outcome `unreachable`. The
//! runner's own actions stay on the controller, as Ansible's action plugins do;
//! `uri` and `wait_for`, which Ansible runs on the target, run there (the agent's
//! Host: its files, its network).

use super::module_run::{run_module, ModuleEvent, ModuleRequest, ModuleRun};
use super::outcome::{Outcome, RegisteredDiff};
use super::remote::{act_on_target, Site, TargetAction};
use super::secrets::Secrets;
use super::step::{condition, located, Step};
use crate::events::Event;
use crate::playbook::model::{Action, Condition, TaskKind};
use crate::template::Templates;
use crate::vars::{self, Layer};
use crate::yaml::{Node, Value as YamlValue};
use machinist_modules::host::Exec;
use machinist_modules::{Builtin, Host, Op, Place};
use minijinja::Value;
use serde_json::Value as Json;

impl Step<'_> {
    /// The task's action, dispatched on its kind.
    pub(super) fn action(&mut self) -> Outcome {
        let TaskKind::Action {
            module,
            action,
            args,
        } = &self.task.kind
        else {
            return Outcome::failed("only an action runs as a step");
        };
        if self.task.asynchronous().is_some() && !super::polling::runs_as_job(action) {
            // Ansible's words (its actions without async support fail alike).
            return Outcome::failed(format!("This action ({module}) does not support async."));
        }
        match action {
            Action::Module(builtin) => self.module(*builtin, args),
            Action::Plugin(plugin) => match self.becoming() {
                Ok(becoming) => self.plugin(plugin, args, becoming.as_ref()),
                Err(refusal) => Outcome::failed(refusal),
            },
            Action::Debug => self.debug(args),
            Action::SetFact => self.set_fact(args),
            Action::IncludeVars => self.include_vars(args),
            Action::Assert => self.assert(args),
            Action::Fail => match self.render_args(args) {
                Ok(rendered) => Outcome::failed(
                    rendered
                        .get("msg")
                        .map(json_text)
                        .unwrap_or_else(|| "Failed as requested from task".into()),
                ),
                Err(msg) => Outcome::failed(msg),
            },
            Action::Meta => Outcome::failed(format!("{module} cannot run here")),
            Action::Uri | Action::WaitFor => self.check_action(module, action, args),
            Action::AsyncStatus => self.async_status(args),
            Action::Setup => self.setup(module, args),
            Action::Fetch => self.fetch(args),
            Action::WaitForConnection => self.wait_for_connection(args),
            Action::Pause => self.pause(args),
            Action::AddHost => self.add_host(args),
            Action::GroupBy => self.group_by(args),
            Action::ValidateArgumentSpec => self.validate_argument_spec(args),
            Action::SetStats => self.set_stats(args),
        }
    }

    /// uri and wait_for: arguments rendered and decoded, then the request or the wait;
    /// skipped under --check, as Ansible's modules (no check mode) are.
    fn check_action(&mut self, module: &str, action: &Action, args: &Node) -> Outcome {
        let becoming = match self.becoming() {
            Ok(becoming) => becoming,
            Err(refusal) => return Outcome::failed(refusal),
        };
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let secrets = match action {
            Action::Uri => Secrets::named(super::uri::SECRET_ARGS, &rendered),
            _ => Secrets::default(),
        };
        let short = machinist_modules::registry::unqualified(module);
        if self.flags.check {
            let mut skipped = Outcome::skipped(format!(
                "remote module ({short}) does not support check mode"
            ));
            skipped.msg = Some(format!(
                "remote module ({short}) does not support check mode"
            ));
            return skipped;
        }
        let action = match action {
            Action::Uri => TargetAction::Uri,
            _ => TargetAction::WaitFor,
        };
        // On the target, as Ansible runs them: here, or by the host's agent.
        let outcome = match self.host {
            Site::Local(host) => act_on_target(action, rendered, host),
            Site::Remote(remote, root) => remote
                .run_action(action, &rendered, root.as_deref(), becoming.as_ref())
                .unwrap_or_else(|unreachable| Outcome::unreachable(unreachable.message)),
        };
        secrets.masked(outcome)
    }

    /// Render a task's arguments (Ansible's native templating) and drop `omit`s.
    pub(super) fn render_args(&self, args: &Node) -> Result<serde_json::Map<String, Json>, String> {
        Ok(self
            .render_values(args)?
            .into_iter()
            .map(|(name, value)| (name, vars::to_json(&value)))
            .collect())
    }

    /// The arguments rendered as template values, without `omit`s: what stays on the
    /// controller keeps Python's types (`set_fact: {m: {1: a}}` keeps the integer key).
    pub(super) fn render_values(&self, args: &Node) -> Result<Vec<(String, Value)>, String> {
        let mut out: Vec<(String, Value)> = Vec::new();
        for (key, node) in args.as_map().unwrap_or_default() {
            if let YamlValue::Str(text) = &node.value {
                // Text without a template renders as itself.
                if !Templates::is_template(text) && text != crate::template::OMIT {
                    out.push((key.name.to_string(), Value::from(text.as_str())));
                    continue;
                }
            }
            let raw = vars::node_to_value(node);
            let rendered = self
                .templates()
                .render_tree(&raw, self.ctx)
                .map_err(|err| located(&node.span, format!("{}: {err}", key.name)))?;
            if !Templates::is_omit(&rendered) {
                out.push((key.name.to_string(), rendered));
            }
        }
        Ok(out)
    }

    fn module(&mut self, builtin: Builtin, args: &Node) -> Outcome {
        let task = self.task;
        let becoming = match self.becoming() {
            Ok(becoming) => becoming,
            Err(refusal) => return Outcome::failed(refusal),
        };
        let mut rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        if builtin == Builtin::Raw && !task.environment().is_empty() {
            // As Ansible's raw action: the keyword does not reach the line.
            (self.on_event)(Event::Warning(
                "raw module does not support the environment keyword".into(),
            ));
        }
        if matches!(
            builtin,
            Builtin::Command | Builtin::Shell | Builtin::Script | Builtin::Git
        ) && !task.environment().is_empty()
        {
            // The `environment:` keywords (play's, blocks', the task's), under the
            // module's own `environment`.
            let mut merged = serde_json::Map::new();
            for env in task.environment() {
                let raw = vars::node_to_value(env);
                let value = match self.templates().render_tree(&raw, self.ctx) {
                    Ok(value) => value,
                    Err(err) => {
                        return Outcome::failed(located(&env.span, format!("environment: {err}")))
                    }
                };
                let Json::Object(layer) = vars::to_json(&value) else {
                    return Outcome::failed(located(
                        &env.span,
                        "environment must be a mapping".into(),
                    ));
                };
                // Each value as Python's str() of it, as Ansible passes it on
                // (`1`, `True`, `1.5`).
                for name in layer.keys() {
                    let text = value
                        .get_attr(name)
                        .map(|v| crate::template::py_str(&v))
                        .unwrap_or_default();
                    merged.insert(name.clone(), Json::String(text));
                }
            }
            if let Some(Json::Object(own)) = rendered.get("environment") {
                merged.extend(own.clone());
            }
            rendered.insert("environment".into(), Json::Object(merged));
        }
        let secrets = Secrets::of(builtin, &rendered);
        if let Err(msg) = self.resolve_sources(builtin, &mut rendered) {
            return secrets.masked(Outcome::failed(msg));
        }
        tracing::trace!(
            task = %task.display_name(),
            args = %secrets.masked_args(&rendered, task.no_log),
            "rendered arguments"
        );
        let limits = match self.async_limits() {
            Ok(limits) => limits,
            Err(msg) => return secrets.masked(Outcome::failed(msg)),
        };
        // synchronize's rsync runs on this machine (run/synchronize.rs).
        let rsync_site = match builtin {
            Builtin::Synchronize => match self.synchronize_site(&mut rendered, becoming.as_ref()) {
                Ok(site) => site,
                Err(msg) => return secrets.masked(Outcome::failed(msg)),
            },
            _ => None,
        };
        let site = rsync_site.as_ref().unwrap_or(self.host);
        let registered_diff = RegisteredDiff::without_diff_mode(builtin, &rendered);
        let mut outcome =
            self.plan_and_apply(site, builtin, args, rendered, becoming.as_ref(), limits);
        if let Some(limits) = limits.filter(|limits| limits.poll > 0) {
            outcome = self.polled(outcome, limits, becoming.as_ref());
        }
        // (A diff the module's failure left out stays out.)
        if !self.flags.diff && outcome.diff_registered == RegisteredDiff::Whole {
            outcome.diff_registered = registered_diff;
        }
        if !outcome.failed {
            self.keep_module_facts(&outcome);
        }
        secrets.masked(outcome)
    }

    /// A variable name a task sets (set_fact's, set_stats'), rendered when it is a
    /// template, as Ansible allows (`"{{ svc }}_port": 80`).
    pub(super) fn variable_name(&self, name: String) -> Result<String, String> {
        if !Templates::is_template(&name) {
            return Ok(name);
        }
        self.templates()
            .render_str(&name, self.ctx)
            .map_err(|err| format!("{name}: {err}"))
    }

    /// A module's `ansible_facts` (getent's `getent_passwd`) become the host's facts,
    /// as variables of their own and in `ansible_facts`, as Ansible sets them.
    fn keep_module_facts(&mut self, outcome: &Outcome) {
        let Some(Json::Object(facts)) = outcome.data.get("ansible_facts") else {
            return;
        };
        let mut merged = match self.templates().eval("ansible_facts", self.ctx) {
            Ok(value) if !value.is_undefined() => match vars::to_json(&value) {
                Json::Object(map) => map,
                _ => serde_json::Map::new(),
            },
            _ => serde_json::Map::new(),
        };
        let mut layer = Layer::default();
        for (name, value) in facts {
            layer.set(name, vars::from_json(value));
            merged.insert(name.clone(), value.clone());
        }
        layer.set("ansible_facts", vars::from_json(&Json::Object(merged)));
        self.set_facts(&layer);
    }

    fn plan_and_apply(
        &mut self,
        host: &Site,
        builtin: Builtin,
        args: &Node,
        rendered: serde_json::Map<String, Json>,
        becoming: Option<&crate::inventory::connection::Become>,
        limits: Option<super::polling::AsyncLimits>,
    ) -> Outcome {
        let task = self.task;
        // The result's keys are read only when the task is registered, has
        // changed_when/failed_when/until or a loop (its results), or may fail in the apply
        // (the failure shows them); a module's deferred keys are built only then.
        let keys_read = task.register().is_some()
            || task.changed_when().is_some()
            || task.failed_when().is_some()
            || task.retry().is_some()
            || task.loop_items.is_some();
        let request = ModuleRequest {
            builtin,
            args: rendered,
            check: self.flags.check,
            keys_read,
            async_limit: limits.map(|limits| limits.limit),
            timeout: task.timeout(),
        };
        let name = task.display_name();
        let on_event = &mut *self.on_event;
        let chroot_warned = &self.shared.chroot_warned;
        let mut on_module_event = |event: ModuleEvent| match event {
            ModuleEvent::Warning(warning) => on_event(Event::Warning(warning)),
            ModuleEvent::Applying(ops) => {
                let warning = host
                    .local()
                    .and_then(|host| chroot_warning(host, ops, chroot_warned));
                if let Some(warning) = warning {
                    on_event(Event::Warning(warning));
                }
            }
            ModuleEvent::Progress(progress) => on_event(Event::Progress {
                task: name.clone(),
                done: progress.done,
                total: progress.total,
                what: progress.what,
                unit: progress.unit,
            }),
        };
        let run = match host {
            Site::Local(host) => run_module(host, &request, &mut on_module_event),
            Site::Remote(remote, root) => {
                match remote.run_module(&request, root.as_deref(), becoming, &mut on_module_event) {
                    Ok(run) => run,
                    Err(unreachable) => return Outcome::unreachable(unreachable.message),
                }
            }
        };
        match run {
            ModuleRun::Done(outcome) => outcome,
            ModuleRun::BadArgs { field, message } => {
                // An argument at fault is pointed at where the task wrote it.
                let span = field
                    .as_deref()
                    .and_then(|f| {
                        args.as_map()
                            .unwrap_or_default()
                            .iter()
                            .find(|(k, _)| k.name == f)
                            .map(|(k, _)| k.span.clone())
                    })
                    .unwrap_or_else(|| args.span.clone());
                Outcome::failed(located(&span, message))
            }
            ModuleRun::Interrupted(outcome) => {
                let msg = outcome.msg.clone().unwrap_or_default();
                self.cut_short = Some(format!("{}: {msg}", task.display_name()));
                outcome
            }
        }
    }

    fn debug(&mut self, args: &Node) -> Outcome {
        let ctx = self.ctx;
        let verbosity = args
            .get("verbosity")
            .and_then(|n| match n.value {
                YamlValue::Int(i) => Some(i),
                _ => None,
            })
            .unwrap_or(0);
        if verbosity > i64::from(self.shared.verbosity) {
            return Outcome::skipped("Verbosity threshold not met.");
        }
        let mut outcome = Outcome::ok();
        if let Some(var) = args.get("var") {
            let written = var.as_str().unwrap_or_default();
            // As ansible-core: a templated `var` is rendered, then evaluated.
            let rendered;
            let name = if Templates::is_template(written) {
                rendered = match self.templates().render_str(written, ctx) {
                    Ok(rendered) => rendered,
                    Err(err) => return Outcome::failed(located(&var.span, err.to_string())),
                };
                rendered.as_str()
            } else {
                written
            };
            // ansible-core 2.19 shows an undefined variable as an error in the value.
            let value = match self.templates().eval(name, ctx) {
                Ok(value) if !value.is_undefined() => vars::to_json(&value),
                Ok(_) => Json::String(format!("<< error 1 - {} >>", self.undefined(name))),
                Err(err) if err.message.ends_with("is undefined") => {
                    Json::String(format!("<< error 1 - {} >>", self.undefined(name)))
                }
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
                match self.templates().render_tree(&raw, ctx) {
                    Ok(value) => vars::to_json(&value),
                    Err(err) => return Outcome::failed(located(&node.span, err.to_string())),
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

    /// Why `expr` is undefined, as Jinja says it: the first attribute a defined value
    /// lacks (`object of type 'dict' has no attribute 'x'`), else the name.
    fn undefined(&self, expr: &str) -> String {
        let expr = expr.trim();
        let attribute = expr.rsplit_once('.').filter(|(_, attr)| {
            !attr.is_empty() && attr.chars().all(|c| c.is_alphanumeric() || c == '_')
        });
        let subscript = || {
            let inner = expr
                .strip_suffix("']")
                .or_else(|| expr.strip_suffix("\"]"))?;
            let (prefix, key) = inner
                .rsplit_once("['")
                .or_else(|| inner.rsplit_once("[\""))?;
            Some((prefix, key))
        };
        let Some((prefix, attr)) = attribute.or_else(subscript) else {
            return format!("'{expr}' is undefined");
        };
        match self.templates().eval(prefix, self.ctx) {
            Ok(base) if !base.is_undefined() => format!(
                "object of type '{}' has no attribute '{attr}'",
                crate::template::value_format::py_type_name(&base)
            ),
            Ok(_) => self.undefined(prefix),
            Err(_) => format!("'{expr}' is undefined"),
        }
    }

    fn set_fact(&mut self, args: &Node) -> Outcome {
        let rendered = match self.render_values(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let mut facts = serde_json::Map::new();
        let mut layer = Layer::default();
        let mut cacheable = false;
        for (name, value) in rendered {
            if name == "cacheable" {
                cacheable = super::sources::truthy(&vars::to_json(&value));
                continue;
            }
            let name = match self.variable_name(name) {
                Ok(name) => name,
                Err(msg) => return Outcome::failed(msg),
            };
            if !crate::playbook::load::is_identifier(&name) {
                return Outcome::failed(format!(
                    "The variable name '{name}' is not valid. Variables must start with a \
                     letter or underscore character, and contain only letters, numbers and \
                     underscores."
                ));
            }
            facts.insert(name.clone(), vars::to_json(&value));
            layer.set(&name, vars::settled(&value));
        }
        if facts.is_empty() {
            // As Ansible, also when every value was `omit`.
            return Outcome::failed(
                "No key/value pairs provided, at least one is required for this action to succeed",
            );
        }
        if cacheable {
            // As Ansible's fact cache: in `ansible_facts` too, over what it holds.
            let mut cached = match self.templates().eval("ansible_facts", self.ctx) {
                Ok(value) if !value.is_undefined() => match vars::to_json(&value) {
                    Json::Object(map) => map,
                    _ => serde_json::Map::new(),
                },
                _ => serde_json::Map::new(),
            };
            cached.extend(
                facts
                    .iter()
                    .map(|(name, value)| (name.clone(), value.clone())),
            );
            layer.set("ansible_facts", vars::from_json(&Json::Object(cached)));
        }
        self.set_facts(&layer);
        let mut outcome = Outcome::ok();
        outcome
            .data
            .insert("ansible_facts".into(), Json::Object(facts));
        outcome
    }

    fn assert(&mut self, args: &Node) -> Outcome {
        let ctx = self.ctx;
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
            match condition(self.templates(), cond, ctx) {
                Ok(true) => {}
                Ok(false) => {
                    let msg = ["fail_msg", "msg"]
                        .iter()
                        .find_map(|k| args.get(k))
                        .map(|node| self.render_text(node))
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
            .map(|node| self.render_text(node))
            .unwrap_or_else(|| "All assertions passed".into());
        let mut outcome = Outcome::ok().with_msg(msg.clone());
        if !quiet {
            outcome.shown = Some(serde_json::json!({ "changed": false, "msg": msg }));
        }
        outcome
    }

    fn render_text(&self, node: &Node) -> String {
        match node.as_str() {
            Some(text) => self
                .templates()
                .render_str(text, self.ctx)
                .unwrap_or_else(|err| format!("{text} (could not render: {err})")),
            None => json_text(&node.to_json()),
        }
    }
}

/// Said once per root: its commands run through chroot, with no /proc, /dev or /run
/// of their own there, unlike systemd-nspawn (not installed, or the root is not an OS
/// tree yet).
pub(crate) fn chroot_warning(
    host: &Host,
    ops: &[Op],
    warned: &std::sync::Mutex<Vec<std::path::PathBuf>>,
) -> Option<String> {
    let runs_inside = ops.iter().any(|op| match op {
        Op::Run(spec) => spec.place == Place::Target,
        // validate's command runs in the target too.
        Op::WriteValidated { .. } => true,
        _ => false,
    });
    let root = host.root().to_path_buf();
    if !runs_inside || host.exec() != Exec::Chroot {
        return None;
    }
    let mut warned = warned
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if warned.contains(&root) {
        return None;
    }
    let warning = format!(
        "commands in {} run with chroot: systemd-nspawn is not installed, or the root is \
         not an OS tree (no /usr with an os-release); they get no /proc, /dev or /run of \
         their own",
        root.display()
    );
    warned.push(root);
    Some(warning)
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

fn json_text(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}
