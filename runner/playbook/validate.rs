//! Validation of a loaded playbook before anything runs: every module's arguments
//! type-checked (as far as they are known before templating), every notified handler
//! found. Problems become located diagnostics.

use super::known_names;
use super::model::{Action, Play, Playbook, Task, TaskKind};
use crate::error::{Diagnostic, Span};
use crate::playbook::sources::{find, SourceKind};
use crate::template::Templates;
use crate::yaml::{Key, Node, Value};
use machinist_modules::args::did_you_mean;
use machinist_modules::registry::ArgError;
use machinist_modules::Builtin;
use std::collections::{HashMap, HashSet};
use std::sync::Mutex;

pub fn playbook(playbook: &Playbook, errors: &mut Vec<Diagnostic>) {
    let mut known = Known::default();
    for play in &playbook.plays {
        for list in [
            &play.pre_tasks,
            &play.tasks,
            &play.post_tasks,
            &play.handlers,
        ] {
            checked_tasks(list, errors, &mut known);
        }
        handlers_exist(play, errors);
    }
}

pub fn tasks(tasks: &[Task], errors: &mut Vec<Diagnostic>) {
    checked_tasks(tasks, errors, &mut Known::default());
}

/// What one validation learns once and is asked again: the tasks of a big playbook
/// repeat a few shapes of fixed arguments.
#[derive(Default)]
struct Known {
    /// Module and fixed arguments (see [`fixed_key`]) → what `check_args` said.
    args: HashMap<(Builtin, Vec<u8>), Result<(), ArgError>>,
}

/// The fixed arguments of a task, written so that equal keys mean equal arguments
/// (their spans left out): one byte for the kind, lengths before texts.
fn fixed_key(fixed: &[(&Key, &Node)]) -> Vec<u8> {
    fn text(out: &mut Vec<u8>, text: &str) {
        out.extend_from_slice(&text.len().to_le_bytes());
        out.extend_from_slice(text.as_bytes());
    }
    fn value(out: &mut Vec<u8>, node: &Node) {
        match &node.value {
            Value::Null => out.push(b'n'),
            Value::Bool(b) => out.push(if *b { b't' } else { b'f' }),
            Value::Int(i) => {
                out.push(b'i');
                out.extend_from_slice(&i.to_le_bytes());
            }
            Value::Float(f) => {
                out.push(b'd');
                out.extend_from_slice(&f.to_bits().to_le_bytes());
            }
            Value::Str(s) => {
                out.push(b's');
                text(out, s);
            }
            Value::Seq(items) => {
                out.push(b'[');
                out.extend_from_slice(&items.len().to_le_bytes());
                items.iter().for_each(|item| value(out, item));
            }
            Value::Map(entries) => {
                out.push(b'{');
                out.extend_from_slice(&entries.len().to_le_bytes());
                for (key, item) in entries {
                    text(out, &key.name);
                    value(out, item);
                }
            }
        }
    }
    let mut out = Vec::with_capacity(64);
    for (key, node) in fixed {
        text(&mut out, &key.name);
        value(&mut out, node);
    }
    out
}

fn checked_tasks(tasks: &[Task], errors: &mut Vec<Diagnostic>, known: &mut Known) {
    for task in tasks {
        match &task.kind {
            TaskKind::Action {
                module,
                action,
                args,
            } => arguments(task, module, action, args, errors, known),
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                for list in [block, rescue, always] {
                    checked_tasks(list, errors, known);
                }
            }
            TaskKind::IncludeTasks { .. } | TaskKind::IncludeRoleNamed { .. } => {}
            TaskKind::IncludeRole { tasks: inner } => checked_tasks(inner, errors, known),
        }
        for cond in task
            .when
            .iter()
            .chain(task.changed_when().unwrap_or_default())
            .chain(task.failed_when().unwrap_or_default())
            .chain(
                task.retry()
                    .map(|retry| &retry.until[..])
                    .unwrap_or_default(),
            )
        {
            if let Err(err) = check_expression(&cond.expr) {
                errors.push(Diagnostic::at(
                    &cond.span,
                    format!("invalid expression '{}': {err}", cond.expr),
                ));
            } else {
                known_names::in_condition(cond, errors);
            }
        }
        if let Some(items) = &task.loop_items {
            known_names::in_node(items, errors);
        }
    }
}

fn arguments(
    task: &Task,
    module: &str,
    action: &Action,
    args: &Node,
    errors: &mut Vec<Diagnostic>,
    known: &mut Known,
) {
    inline_templates(args, errors);
    known_names::in_node(args, errors);
    let bare = match module.rsplit('.').next() {
        Some("assert") => args.get("that"),
        Some("debug") => args.get("var"),
        _ => None,
    };
    if let Some(bare) = bare {
        known_names::in_bare(bare, errors);
    }
    let Some(entries) = args.as_map() else {
        errors.push(Diagnostic::at(&args.span, "module arguments are a mapping"));
        return;
    };
    if let Action::Plugin(plugin) = action {
        crate::plugins::args::check_written(plugin, module, args, errors);
        return;
    }
    if let Some(known) = action.arg_names() {
        let mut unknown = false;
        for (key, _) in entries {
            if !known.contains(&key.name.as_str()) {
                unknown = true;
                let hint = did_you_mean(
                    &key.name,
                    known.iter().copied().filter(|k| !k.starts_with('_')),
                )
                .map(|s| format!(" (did you mean '{s}'?)"))
                .unwrap_or_default();
                errors.push(Diagnostic::at(
                    &key.span,
                    format!("unknown argument '{}' for module {module}{hint}", key.name),
                ));
            }
        }
        if unknown {
            return;
        }
    }
    if *action == Action::Meta {
        meta_action(args, errors);
        return;
    }
    let &Action::Module(builtin) = action else {
        return;
    };
    // Arguments known before templating are type-checked now; templated ones when
    // the task runs.
    let (templated, fixed): (Vec<_>, Vec<_>) = entries
        .iter()
        .map(|(key, value)| (key, value))
        .partition(|(_, value)| value.is_templated());
    // Asked once per module and fixed arguments: a big playbook repeats a few.
    let said = known
        .args
        .entry((builtin, fixed_key(&fixed)))
        .or_insert_with(|| {
            let fixed = fixed
                .iter()
                .map(|(key, value)| (key.name.to_string(), value.to_json()))
                .collect();
            builtin.check_args(&serde_json::Value::Object(fixed))
        });
    let mut templated_error = None;
    if said.is_ok() {
        templated_error = templated.iter().find_map(|(key, value)| {
            builtin
                .check_templated(&key.name, Some(&value.to_json()))
                .err()
        });
    }
    if let Some(err) = said.as_ref().err().or(templated_error.as_ref()) {
        // A missing argument may be given by a templated one (or its alias):
        // checked when the task runs.
        // Its sources are still looked for.
        let missing_templated =
            !templated.is_empty() && err.message.starts_with("missing required argument");
        if !missing_templated {
            errors.push(Diagnostic::at(
                span_at(args, err),
                format!("module {module}: {}", err.message),
            ));
        }
    }
    required_sources(task, builtin, args, errors);
}

/// Where an argument error points: the deepest key of its path (an unknown nspawn
/// setting's name), else the value of the argument at fault, else the arguments.
fn span_at<'a>(args: &'a Node, err: &ArgError) -> &'a crate::error::Span {
    if err.path.len() > 1 {
        let mut node = args;
        let mut span = None;
        for key in &err.path {
            let Some((found, value)) = node
                .as_map()
                .and_then(|entries| entries.iter().find(|(k, _)| &k.name == key))
            else {
                break;
            };
            span = Some(&found.span);
            node = value;
        }
        if let Some(span) = span {
            return span;
        }
    }
    err.field
        .as_deref()
        .and_then(|field| {
            args.as_map()
                .and_then(|entries| entries.iter().find(|(k, _)| k.name == field))
        })
        .map_or(&args.span, |(_, value)| &value.span)
}

/// The `meta:` actions machinist knows.
pub const META_ACTIONS: &[&str] = &[
    "flush_handlers",
    "end_play",
    "end_host",
    "end_batch",
    "noop",
    "refresh_inventory",
    "clear_host_errors",
    "reset_connection",
    "clear_facts",
];

fn meta_action(args: &Node, errors: &mut Vec<Diagnostic>) {
    let Some(what) = args.get("_raw_params") else {
        errors.push(Diagnostic::at(
            &args.span,
            "meta needs an action, e.g. meta: flush_handlers",
        ));
        return;
    };
    let name = what.as_str().unwrap_or_default();
    if name == "end_role" {
        errors.push(Diagnostic::at(
            &what.span,
            "meta: end_role (ansible-core 2.18) is not supported yet (issue #15); \
             put the rest of the role under `when:` or in a block with a condition",
        ));
        return;
    }
    if !META_ACTIONS.contains(&name) {
        let hint = did_you_mean(name, META_ACTIONS.iter().copied())
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default();
        errors.push(Diagnostic::at(
            &what.span,
            format!("unknown meta action '{name}'{hint}"),
        ));
    }
}

/// `template:`/`src:` files named without templating must exist before the run.
fn required_sources(task: &Task, builtin: Builtin, args: &Node, errors: &mut Vec<Diagnostic>) {
    if builtin == Builtin::Script {
        return script_source(task, args, errors);
    }
    // unarchive's src is on the controller unless remote_src (templated: left to run time).
    let archive_on_controller = builtin == Builtin::Unarchive
        && args
            .get("remote_src")
            .map_or(true, |node| node.value == crate::yaml::Value::Bool(false));
    if !builtin.reads_sources() && !archive_on_controller {
        return;
    }
    // copy's src with remote_src (untemplated and not false) is a path on the target.
    let copy_on_target = builtin == Builtin::Copy
        && args
            .get("remote_src")
            .is_some_and(|node| node.value != crate::yaml::Value::Bool(false));
    if copy_on_target {
        return;
    }
    let links = matches!(
        args.get("state").and_then(Node::as_str),
        Some("link" | "hard")
    );
    let wanted = [
        ("template", SourceKind::Template),
        (
            "src",
            if builtin == Builtin::Template {
                SourceKind::Template
            } else {
                SourceKind::File
            },
        ),
    ];
    for (key, kind) in wanted {
        let Some(node) = args.get(key) else { continue };
        let Some(name) = node.as_str() else { continue };
        if (key == "src" && links) || Templates::is_template(name) {
            continue;
        }
        match find(&task.origin, &task.span.file, kind, name) {
            Err(msg) => errors.push(Diagnostic::at(&node.span, msg)),
            Ok(path) if path.is_dir() && builtin != Builtin::Copy => errors.push(Diagnostic::at(
                &node.span,
                crate::playbook::sources::not_a_file(&path),
            )),
            Ok(path) if kind == SourceKind::Template => {
                if let Err(msg) = check_template(&path) {
                    errors.push(Diagnostic::at(&node.span, msg));
                }
            }
            Ok(_) => {}
        }
    }
}

/// script's file (the first word of its line, untemplated) must be in files/.
fn script_source(task: &Task, args: &Node, errors: &mut Vec<Diagnostic>) {
    let Some(node) = args.get("_raw_params").or_else(|| args.get("cmd")) else {
        return;
    };
    let Some(name) = node
        .as_str()
        .and_then(crate::playbook::sources::script_name)
    else {
        return;
    };
    if Templates::is_template(&name) {
        return;
    }
    match find(&task.origin, &task.span.file, SourceKind::File, &name) {
        Err(msg) => errors.push(Diagnostic::at(&node.span, msg)),
        Ok(path) if path.is_dir() => errors.push(Diagnostic::at(
            &node.span,
            crate::playbook::sources::not_a_file(&path),
        )),
        Ok(_) => {}
    }
}

fn handlers_exist(play: &Play, errors: &mut Vec<Diagnostic>) {
    let names: Vec<String> = play
        .handlers
        .iter()
        .flat_map(super::model::handler_names)
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    // A templated handler name answers what it renders to, known only when it runs.
    let unknowable = names.iter().any(|name| Templates::is_template(name));
    // A block's notify is each of its tasks' too: said once, where it is written.
    let mut said: Vec<(Option<Span>, String)> = Vec::new();
    let mut check = |task: &Task| {
        for topic in task.notify() {
            let place = (task.notify_span().cloned(), topic.clone());
            if said.contains(&place) {
                continue;
            }
            said.push(place);
            if !unknowable && !Templates::is_template(topic) && !names.contains(&topic.as_str()) {
                let hint = did_you_mean(topic, names.iter().copied())
                    .map(|s| format!(" (did you mean '{s}'?)"))
                    .unwrap_or_default();
                errors.push(Diagnostic::at(
                    task.notify_span().unwrap_or(&task.span),
                    format!("notifies handler '{topic}', which this play does not define{hint}"),
                ));
            }
        }
    };
    for list in [
        &play.pre_tasks,
        &play.tasks,
        &play.post_tasks,
        &play.handlers,
    ] {
        walk(list, &mut check);
    }
}

/// Visit every task, blocks included.
pub fn walk<'a>(tasks: &'a [Task], visit: &mut impl FnMut(&'a Task)) {
    for task in tasks {
        visit(task);
        if let TaskKind::Block {
            block,
            rescue,
            always,
        } = &task.kind
        {
            for list in [block, rescue, always] {
                walk(list, visit);
            }
        }
    }
}

/// Syntax-check every templated string in an argument tree.
fn inline_templates(node: &Node, errors: &mut Vec<Diagnostic>) {
    match &node.value {
        crate::yaml::Value::Str(text)
            if Templates::is_template(text) && !simple_and_valid(text) =>
        {
            if let Err(err) = syntax_env().template_from_str(text) {
                let detail = err.detail().unwrap_or("invalid syntax");
                errors.push(Diagnostic::at(
                    &node.span,
                    format!("template syntax error: {detail}"),
                ));
            }
        }
        crate::yaml::Value::Seq(items) => items.iter().for_each(|n| inline_templates(n, errors)),
        crate::yaml::Value::Map(entries) => entries
            .iter()
            .for_each(|(_, n)| inline_templates(n, errors)),
        _ => {}
    }
}

/// Whether a string's syntax is known valid without compiling it (see
/// [`Templates::simple_syntax_is_valid`]).
fn simple_and_valid(text: &str) -> bool {
    Templates::simple_syntax_is_valid(text, valid_expression)
}

/// Whether an expression compiles. Tasks share few expressions (`{{ base }}`,
/// `{{ ports | length }}`), so the valid ones are remembered (up to a bound).
fn valid_expression(expr: &str) -> bool {
    const REMEMBERED: usize = 4096;
    static VALID: std::sync::OnceLock<Mutex<HashSet<String>>> = std::sync::OnceLock::new();
    let mut valid = VALID
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if valid.contains(expr) {
        return true;
    }
    let compiles = syntax_env().compile_expression(expr).is_ok();
    if compiles && valid.len() < REMEMBERED {
        valid.insert(expr.to_string());
    }
    compiles
}

/// Syntax-check a template file, and check the filters, tests and lookups it names.
fn check_template(path: &std::path::Path) -> Result<(), String> {
    let source = crate::input::read_text(path, crate::input::MAX_TEXT_BYTES)
        .map_err(|err| err.to_string())?;
    let name = path.display().to_string();
    let (body, _) = crate::template::overrides::split(&source)
        .map_err(|message| format!("{name}:1: {message}"))?;
    syntax_env()
        .template_from_named_str(&name, body)
        .map(drop)
        .map_err(|err| match err.line() {
            Some(line) => format!(
                "{name}:{line}: template syntax error: {}",
                err.detail().unwrap_or("invalid syntax")
            ),
            None => format!("{name}: template syntax error: {err}"),
        })?;
    known_names::in_template_file(&name, body)
}

fn syntax_env() -> &'static minijinja::Environment<'static> {
    static SYNTAX: std::sync::OnceLock<minijinja::Environment<'static>> =
        std::sync::OnceLock::new();
    SYNTAX.get_or_init(minijinja::Environment::new)
}

/// Syntax-check an expression; filters and tests are looked up when it runs.
fn check_expression(expr: &str) -> Result<(), minijinja::Error> {
    crate::template::expr_guard::check(expr)?;
    syntax_env().compile_expression(expr).map(drop)
}

/// Tasks that need a running service manager (`unit: state=started`, `daemon_reload`,
/// `nspawn: state=running`) in plays whose tasks act on an offline root — `--root DIR`
/// or the play's `root:` — are refused before anything runs: no systemd runs in a
/// tree of files, and systemctl can only enable, disable and mask there. A task under
/// `when:` (its own or an enclosing block's) is left to the module at run time, where
/// the condition may keep it from running (`when: machinist_root == '/'`).
pub fn offline_managers(
    playbook: &Playbook,
    cli_root: Option<&std::path::Path>,
    errors: &mut Vec<Diagnostic>,
) {
    for play in &playbook.plays {
        let root = offline_root(play, cli_root);
        for list in [
            &play.pre_tasks,
            &play.tasks,
            &play.post_tasks,
            &play.handlers,
        ] {
            offline_tasks(list, root.as_deref(), errors);
        }
    }
}

/// Check the unconditional tasks of `tasks` that act on an offline root: the play's
/// (`root`), or a block's or task's own `root:`.
fn offline_tasks(tasks: &[Task], root: Option<&str>, errors: &mut Vec<Diagnostic>) {
    for task in tasks.iter().filter(|task| task.when.is_empty()) {
        let own = task
            .root()
            .and_then(Node::as_str)
            .filter(|r| *r != "/")
            .map(|r| format!("{r} (root:)"));
        let root = own.as_deref().or(root);
        let Some(root) = root else {
            if let TaskKind::Block {
                block,
                rescue,
                always,
            } = &task.kind
            {
                for list in [block, rescue, always] {
                    offline_tasks(list, None, errors);
                }
            }
            continue;
        };
        needs_manager(task, root, errors);
        if let TaskKind::Block {
            block,
            rescue,
            always,
        } = &task.kind
        {
            for list in [block, rescue, always] {
                offline_tasks(list, Some(root), errors);
            }
        }
    }
}

/// The offline root a play acts on, as the user named it; `None` on the live system.
fn offline_root(play: &Play, cli_root: Option<&std::path::Path>) -> Option<String> {
    let cli_root = cli_root.filter(|root| !is_machine_root(root));
    let play_root = play.root.as_ref().and_then(Node::as_str);
    match (play_root, cli_root) {
        (None, None) | (Some("/"), None) => None,
        (None, Some(dir)) => Some(format!("{} (--root)", dir.display())),
        (Some(root), Some(dir)) => Some(format!("{root} under {} (root:, --root)", dir.display())),
        (Some(root), None) => Some(format!("{root} (root:)")),
    }
}

fn is_machine_root(path: &std::path::Path) -> bool {
    path == std::path::Path::new("/")
        || std::fs::canonicalize(path).is_ok_and(|real| real == std::path::Path::new("/"))
}

fn needs_manager(task: &Task, root: &str, errors: &mut Vec<Diagnostic>) {
    let TaskKind::Action {
        action: Action::Module(builtin),
        args,
        ..
    } = &task.kind
    else {
        return;
    };
    let Some(entries) = args.as_map() else {
        return;
    };
    let fixed: serde_json::Map<String, serde_json::Value> = entries
        .iter()
        .filter(|(_, value)| !value.is_templated())
        .map(|(key, value)| (key.name.to_string(), value.to_json()))
        .collect();
    let Some((field, what)) = builtin.needs_manager(&serde_json::Value::Object(fixed)) else {
        return;
    };
    let span = entries
        .iter()
        .find(|(key, _)| key.name == field)
        .map_or(&args.span, |(_, value)| &value.span);
    errors.push(Diagnostic::at(
        span,
        format!(
            "{what} needs a running service manager, but this play acts on the offline root \
             {root}; offline, systemctl only enables, disables and masks (run it on the live \
             system, or guard it with `when:`)"
        ),
    ));
}
