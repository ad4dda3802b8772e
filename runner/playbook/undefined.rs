//! Load-time check for undefined variables (issue 15): a variable a task reads that
//! nothing in the whole run could define — no vars of any scope, vars_files,
//! vars_prompt, role defaults/vars/params, register, set_fact, include_vars `name:`,
//! loop variable, extra var, inventory variable of any host, fact or magic variable —
//! is a located error before anything runs, as an unknown module is.
//!
//! The bar is no false refusal: a playbook ansible-core runs must load. So names are
//! collected over every play of every playbook (and the task files `include_tasks`
//! names without templating, read here), and the check gives up entirely when
//! something could define names nobody can see at load (an `include_tasks` of a
//! templated name or of a file that does not load, an `include_role` with a templated
//! name, a `set_fact` with a templated key, an `include_vars` without a fixed
//! `name:`). Only reads that surely happen are checked: the first `when:` of a task, and the arguments, loop and
//! `changed_when`/`until` of a task nothing may skip or excuse (no `when:` on it or
//! around it, no `ignore_errors` or `failed_when`, no `rescue`, no `never` tag, no
//! handler, not after a `meta: end_*`, in a play that has hosts); of a looped task only
//! its loop (an empty loop reads nothing else). An expression with a guard
//! (`is defined`, `default`, `omit`, `vars`, lookups) or a branch (`if`, `and`, `or`,
//! `{% %}`) is not checked at all. The file of a `template:` task with a fixed `src`
//! (or one under `role_path`/`playbook_dir`) is read too: its sure reads
//! (playbook/undefined_template.rs) are checked like the task's arguments — also when
//! the task loops over a written non-empty list — the error naming the template's line.

use super::load::{include_path, Loader};
use super::model::{Action, Play, Playbook, Task, TaskKind};
use super::sources::{find, SourceKind};
use crate::error::{Diagnostic, SourceMap};
use crate::template::Templates;
use crate::vars::Layer;
use crate::yaml::{Node, Value};
use machinist_modules::args::did_you_mean;
use machinist_modules::Builtin;
use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;

/// Variables machinist (or ansible-core) defines on every host besides the `ansible_`
/// ones: runner/run/mod.rs's magic_vars, run/hosts.rs, roles' magic and
/// run/sources.rs's template variables; Jinja's and Ansible's globals (most are also
/// found by [`is_global`]); and the names Jinja gives macros and loops.
const MAGIC: &[&str] = &[
    "hostvars",
    "groups",
    "group_names",
    "inventory_hostname",
    "inventory_hostname_short",
    "inventory_dir",
    "inventory_file",
    "play_hosts",
    "omit",
    "playbook_dir",
    "role_name",
    "role_names",
    "ansible_play_role_names",
    "ansible_dependent_role_names",
    "ansible_role_names",
    "role_path",
    "vars",
    "environment",
    "template_host",
    "template_path",
    "template_fullpath",
    "template_destpath",
    "template_uid",
    "template_run_date",
    "role_uuid",
    "module_setup",
    "gather_subset",
    "discovered_interpreter_python",
    "range",
    "lipsum",
    "dict",
    "cycler",
    "joiner",
    "namespace",
    "now",
    "undef",
    "loop",
    "caller",
    "varargs",
    "kwargs",
    "self",
    "super",
];

/// Prefixes of names that facts or machinist may set (every `ansible_` name, as
/// gather_facts injects them; machinist's own `machinist_root`, `machinist_check_mode`).
const PREFIXES: &[&str] = &["ansible_", "machinist_"];

/// Words that make an expression's reads uncertain: a guard against undefined names,
/// or a way to read variables by a name held in a string. Whole words only
/// (`nginx_default_port` is no guard); `d(` and `q(` end where the call begins.
const GUARDS: &[&str] = &[
    "defined",
    "undefined",
    "default",
    "d(",
    "omit",
    "vars",
    "lookup",
    "query",
    "q(",
];

/// Words after which Jinja may not read what follows (a branch, a short circuit).
const BRANCHES: &[&str] = &["if", "else", "and", "or", "for"];

/// Every name something in the run could define.
struct Defined<'a> {
    names: HashSet<String>,
    /// Something defines names that cannot be known at load: nothing is checked.
    unknowable: bool,
    roles_seen: HashSet<*const super::model::RoleScope>,
    /// What loads the files of `include_tasks` with fixed names.
    loading: Loading<'a>,
    /// The task files of `include_tasks` already read.
    included: HashSet<PathBuf>,
}

/// What [`check`] needs to read the files `include_tasks` names (as run/task.rs does
/// when the task runs).
pub struct Loading<'a> {
    pub sources: &'a SourceMap,
    pub extra_vars: &'a Layer,
    /// The folder of the first playbook: library/ plugins the files use are found there.
    pub library_base: PathBuf,
}

impl Defined<'_> {
    fn layer(&mut self, layer: &Layer) {
        self.names.extend(layer.names().map(str::to_string));
    }

    fn play(&mut self, play: &Play) {
        self.layer(&play.vars);
        play.vars_files.iter().for_each(|layer| self.layer(layer));
        self.names
            .extend(play.vars_prompt.iter().map(|p| p.name.clone()));
        for list in [
            &play.pre_tasks,
            &play.tasks,
            &play.post_tasks,
            &play.handlers,
        ] {
            self.tasks(list);
        }
    }

    fn tasks(&mut self, tasks: &[Task]) {
        for task in tasks {
            self.task(task);
        }
    }

    fn task(&mut self, task: &Task) {
        self.layer(&task.vars);
        if let Some(role) = &task.origin.role {
            if self.roles_seen.insert(Arc::as_ptr(role)) {
                for layer in [&role.magic, &role.defaults, &role.vars, &role.params] {
                    self.layer(layer);
                }
            }
        }
        if let Some(rare) = &task.rare {
            self.names.extend(rare.register.clone());
            let control = &rare.loop_control;
            self.names.extend(control.loop_var.clone());
            self.names.extend(control.index_var.clone());
        }
        if task.loop_items.is_some() || task.loop_with.is_some() {
            self.names.insert("item".into());
        }
        match &task.kind {
            TaskKind::Action { action, args, .. } => self.action(action, args),
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                for list in [block, rescue, always] {
                    self.tasks(list);
                }
            }
            TaskKind::IncludeRole { tasks } => self.tasks(tasks),
            TaskKind::IncludeTasks {
                file,
                inherited_tags,
                apply,
            } => {
                // Its `apply: {vars: …}` defines names for the included tasks.
                if let Some(apply) = apply {
                    self.task(apply);
                }
                self.include_tasks(task, file, inherited_tags)
            }
            TaskKind::IncludeRoleNamed { .. } => self.unknowable = true,
        }
    }

    /// The names an included task file defines: a file named without templating is
    /// read now (each once); a templated name, or a file that does not load, could
    /// define anything.
    fn include_tasks(&mut self, task: &Task, file: &Node, tags: &[String]) {
        let Some(name) = file.as_str().filter(|name| !Templates::is_template(name)) else {
            self.unknowable = true;
            return;
        };
        let path = include_path(&file.span, &task.origin, name);
        if !self.included.insert(path.clone()) {
            return;
        }
        let loader = Loader::new(self.loading.sources.clone(), self.loading.extra_vars)
            .with_library_base(self.loading.library_base.clone());
        match loader.task_file(&path, &task.origin, tags, &file.span) {
            Ok(tasks) => self.tasks(&tasks),
            Err(_) => {
                tracing::debug!(file = %path.display(), "undefined variables: an included file does not load");
                self.unknowable = true;
            }
        }
    }

    fn action(&mut self, action: &Action, args: &Node) {
        match action {
            Action::SetFact => match args.as_map() {
                Some(entries) => {
                    for (key, _) in entries {
                        if Templates::is_template(&key.name) {
                            self.unknowable = true;
                        }
                        self.names.insert(key.name.to_string());
                    }
                }
                None => self.unknowable = true,
            },
            // add_host's other arguments become variables of a host later plays run on.
            Action::AddHost => match args.as_map() {
                Some(entries) => {
                    for (key, _) in entries {
                        self.names.insert(key.name.to_string());
                    }
                }
                None => self.unknowable = true,
            },
            Action::IncludeVars => match args.get("name").and_then(Node::as_str) {
                Some(name) if !Templates::is_template(name) => {
                    self.names.insert(name.to_string());
                }
                _ => self.unknowable = true,
            },
            // getent's fact is named after its database.
            Action::Module(machinist_modules::registry::Builtin::Getent) => {
                match args.get("database").and_then(Node::as_str) {
                    Some(database) if !Templates::is_template(database) => {
                        self.names.insert(format!("getent_{database}"));
                    }
                    _ => self.unknowable = true,
                }
            }
            // The facts service_facts and package_facts set.
            Action::Module(machinist_modules::registry::Builtin::ServiceFacts) => {
                self.names.insert("services".to_string());
            }
            Action::Module(machinist_modules::registry::Builtin::PackageFacts) => {
                self.names.insert("packages".to_string());
            }
            // A plugin module may return `ansible_facts` of any name.
            Action::Plugin(_) => self.unknowable = true,
            _ => {}
        }
    }

    fn has(&self, name: &str) -> bool {
        self.names.contains(name)
            || MAGIC.contains(&name)
            || PREFIXES.iter().any(|prefix| name.starts_with(prefix))
            || is_global(name)
    }
}

/// Whether the template engine has a global of this name (`range`, `lookup`, `dict`,
/// `namespace`, …): it evaluates without any variable.
fn is_global(name: &str) -> bool {
    static TEMPLATES: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
    let templates = TEMPLATES.get_or_init(Templates::new);
    let empty = minijinja::Value::from_iter(Vec::<(String, minijinja::Value)>::new());
    templates.eval(name, &empty).is_ok()
}

/// What decides whether a play's tasks run on any host (its hosts pattern matched
/// against the inventory and `--limit`): a play on no host reads nothing.
pub type PlayHasHosts<'a> = &'a dyn Fn(&Play) -> bool;

/// Refuse reads of variables nothing defines. `defined_outside` are the names of
/// extra vars and of every inventory variable of every host.
pub fn check(
    playbooks: &[Playbook],
    defined_outside: impl IntoIterator<Item = String>,
    has_hosts: PlayHasHosts<'_>,
    loading: Loading<'_>,
    errors: &mut Vec<Diagnostic>,
) {
    let mut defined = Defined {
        names: defined_outside.into_iter().collect(),
        unknowable: false,
        roles_seen: HashSet::new(),
        loading,
        included: HashSet::new(),
    };
    for play in playbooks.iter().flat_map(|p| &p.plays) {
        defined.play(play);
    }
    if defined.unknowable {
        tracing::debug!(
            "undefined variables not checked: an include, include_vars or set_fact \
             defines names only known when it runs"
        );
        return;
    }
    for playbook in playbooks {
        let playbook_dir = playbook_dir(playbook);
        for play in &playbook.plays {
            if !has_hosts(play) {
                continue;
            }
            let mut reads = Reads {
                defined: &defined,
                errors: &mut *errors,
                ended: false,
                playbook_dir: &playbook_dir,
            };
            for list in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
                reads.tasks(list, false);
            }
        }
    }
}

/// `playbook_dir` as the run sets it (runner/run/mod.rs): the playbook's folder, canonical.
fn playbook_dir(playbook: &Playbook) -> Option<String> {
    let dir = playbook.path.parent()?;
    let dir = if dir.as_os_str().is_empty() {
        std::path::Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir)
        .ok()
        .map(|dir| dir.display().to_string())
}

/// The reads of a play's tasks, in order.
struct Reads<'a> {
    defined: &'a Defined<'a>,
    errors: &'a mut Vec<Diagnostic>,
    /// A `meta: end_*` was met: what follows may not run.
    ended: bool,
    /// The `playbook_dir` of these tasks' playbook (a `src:` may be given under it).
    playbook_dir: &'a Option<String>,
}

impl Reads<'_> {
    /// `excused`: something around these tasks may skip them or excuse their failure.
    fn tasks(&mut self, tasks: &[Task], excused: bool) {
        for task in tasks {
            self.task(task, excused);
        }
    }

    fn task(&mut self, task: &Task, excused: bool) {
        let excused = excused || self.ended || task.tags.iter().any(|tag| tag == "never");
        let looped = task.loop_items.is_some() || task.loop_with.is_some();
        // A loop's `when:` is read once per item: an empty loop never reads it.
        if !excused && !looped {
            if let Some(first) = task.when.first() {
                let all = task.when.iter().map(|c| c.expr.as_str());
                if !all.clone().any(uncertain) {
                    self.expression(&first.expr, &first.span);
                }
            }
        }
        let failed_when = task.failed_when().is_some();
        let own_excuse = excused || !task.when.is_empty() || task.ignore_errors || failed_when;
        match &task.kind {
            TaskKind::Action { action, args, .. } => {
                if *action == Action::Meta {
                    self.ended |= args
                        .get("_raw_params")
                        .and_then(Node::as_str)
                        .is_some_and(|what| what.starts_with("end_"));
                }
                if own_excuse {
                    return;
                }
                if let Some(items) = &task.loop_items {
                    self.node(items);
                }
                // A loop may be empty: its task's arguments may never be rendered. A
                // template over a written, non-empty list is rendered (with its loop
                // variables) for the first item at least.
                if !looped {
                    self.arguments(task, action, args);
                } else if *action == Action::Module(Builtin::Template)
                    && task.loop_with.is_none()
                    && task.loop_items.as_ref().is_some_and(
                        |items| matches!(&items.value, Value::Seq(list) if !list.is_empty()),
                    )
                {
                    self.template_file(task, args);
                }
                // Read once per item too.
                if looped {
                    return;
                }
                for cond in task
                    .changed_when()
                    .unwrap_or_default()
                    .iter()
                    .chain(task.retry().map(|r| &r.until[..]).unwrap_or_default())
                    .take(1)
                {
                    if !uncertain(&cond.expr) {
                        self.expression(&cond.expr, &cond.span);
                    }
                }
            }
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                let rescued = !rescue.is_empty();
                self.tasks(block, own_excuse || rescued);
                self.tasks(rescue, true);
                self.tasks(always, own_excuse);
            }
            TaskKind::IncludeRole { tasks } => {
                self.tasks(tasks, own_excuse || looped);
            }
            TaskKind::IncludeTasks { .. } | TaskKind::IncludeRoleNamed { .. } => {}
        }
    }

    fn arguments(&mut self, task: &Task, action: &Action, args: &Node) {
        match action {
            Action::Module(Builtin::Template) => {
                self.node(args);
                self.template_file(task, args);
            }
            // debug's `var` prints "VARIABLE IS NOT DEFINED!"; its `msg` is read (unless
            // a `verbosity` may skip it).
            Action::Debug if args.get("verbosity").is_some() => {}
            Action::Debug => {
                if let Some(msg) = args.get("msg") {
                    self.node(msg);
                }
            }
            Action::Assert => {
                let mut that = Vec::new();
                if let Some(node) = args.get("that") {
                    match &node.value {
                        Value::Seq(items) => that.extend(items),
                        _ => that.push(node),
                    }
                }
                // Each assertion is read only if those before it held.
                let texts: Vec<&str> = that.iter().filter_map(|n| n.as_str()).collect();
                if let Some(first) = that.first() {
                    if let Some(text) = first.as_str() {
                        if !Templates::is_template(text) && !texts.iter().any(|t| uncertain(t)) {
                            self.expression(text, &first.span);
                        }
                    }
                }
            }
            _ => self.node(args),
        }
    }

    /// The reads of the file a `template:` task renders, when its name is fixed (a
    /// templated name may be anything) and it is found where the run looks for it.
    fn template_file(&mut self, task: &Task, args: &Node) {
        let Some(node) = args.get("src").or_else(|| args.get("template")) else {
            return;
        };
        if crate::template::Delimiters::ARGS
            .iter()
            .any(|arg| args.get(arg).is_some())
        {
            tracing::debug!(task = %task.span, "undefined variables: template with its own delimiters not checked");
            return;
        }
        let Some(name) = node
            .as_str()
            .and_then(|name| self.known_at_load(task, name))
        else {
            return;
        };
        let Ok(path) = find(&task.origin, &task.span.file, SourceKind::Template, &name) else {
            return;
        };
        let Ok(source) = crate::input::read_text(&path, crate::input::MAX_TEXT_BYTES) else {
            return;
        };
        let Ok((body, _)) = crate::template::overrides::split(&source) else {
            return;
        };
        let header_lines = source[..source.len() - body.len()].matches('\n').count();
        let file = path.display().to_string();
        let Some(reads) = super::undefined_template::sure_reads(&file, body) else {
            tracing::debug!(template = %file, "undefined variables: template not checked (it extends another)");
            return;
        };
        if let Some(read) = reads.into_iter().find(|read| !self.defined.has(&read.name)) {
            let line = read.line + header_lines;
            let message = self.undefined_message(&read.name);
            self.errors.push(Diagnostic::at(
                &node.span,
                format!("{file}:{line}: {message} (in the template this task renders)"),
            ));
        }
    }

    /// A `src:` as the run will render it, when that is known at load: a fixed name,
    /// or one that reads only `role_path` and `playbook_dir` (as the run sets them).
    fn known_at_load(&self, task: &Task, name: &str) -> Option<String> {
        if !Templates::is_template(name) {
            return Some(name.to_string());
        }
        let mut known = Vec::new();
        if let Some(dir) = self.playbook_dir {
            known.push(("playbook_dir", minijinja::Value::from(dir.as_str())));
        }
        if let Some(path) = task
            .origin
            .role
            .as_ref()
            .and_then(|r| r.magic.get("role_path"))
        {
            known.push(("role_path", path.clone()));
        }
        let reads = syntax_env()
            .template_from_str(name)
            .ok()?
            .undeclared_variables(false);
        if !reads
            .iter()
            .all(|read| known.iter().any(|(k, _)| k == read))
        {
            return None;
        }
        static TEMPLATES: std::sync::OnceLock<Templates> = std::sync::OnceLock::new();
        let context = minijinja::Value::from_iter(known);
        TEMPLATES
            .get_or_init(Templates::new)
            .render_str(name, &context)
            .ok()
    }

    /// Every templated string below an argument tree or a loop.
    fn node(&mut self, node: &Node) {
        match &node.value {
            Value::Str(text) if Templates::is_template(text) => {
                if uncertain(text) {
                    return;
                }
                let Ok(template) = syntax_env().template_from_str(text) else {
                    return;
                };
                let names = template.undeclared_variables(false);
                self.report(names, &node.span);
            }
            Value::Seq(items) => items.iter().for_each(|n| self.node(n)),
            Value::Map(entries) => entries.iter().for_each(|(_, n)| self.node(n)),
            _ => {}
        }
    }

    /// A bare expression (a condition).
    fn expression(&mut self, expr: &str, span: &crate::error::Span) {
        if Templates::is_template(expr) {
            if uncertain(expr) {
                return;
            }
            if let Ok(template) = syntax_env().template_from_str(expr) {
                self.report(template.undeclared_variables(false), span);
            }
            return;
        }
        if let Ok(compiled) = syntax_env().compile_expression(expr) {
            self.report(compiled.undeclared_variables(false), span);
        }
    }

    fn report(&mut self, names: HashSet<String>, span: &crate::error::Span) {
        let mut undefined: Vec<String> = names
            .into_iter()
            .filter(|name| !self.defined.has(name))
            .collect();
        undefined.sort();
        let Some(name) = undefined.into_iter().next() else {
            return;
        };
        let message = self.undefined_message(&name);
        self.errors.push(Diagnostic::at(span, message));
    }

    fn undefined_message(&self, name: &str) -> String {
        let hint = did_you_mean(name, self.defined.names.iter().map(String::as_str))
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default();
        format!(
            "'{name}' is undefined: no vars, role, register, set_fact, include_vars, \
             loop, inventory or extra var defines it{hint}"
        )
    }
}

/// Whether an expression's reads are uncertain: guarded, by name, or branching.
fn uncertain(text: &str) -> bool {
    text.contains("{%")
        || GUARDS.iter().any(|guard| has_word(text, guard))
        || BRANCHES.iter().any(|word| has_word(text, word))
}

/// Whether `word` is in `text` with no name character before it, nor after it unless
/// it ends in a bracket (`d(`).
fn has_word(text: &str, word: &str) -> bool {
    let part = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let open_ended = word.ends_with('(');
    text.match_indices(word).any(|(at, _)| {
        let before = text[..at].chars().next_back();
        let after = text[at + word.len()..].chars().next();
        !part(before) && (open_ended || !part(after))
    })
}

fn syntax_env() -> &'static minijinja::Environment<'static> {
    static SYNTAX: std::sync::OnceLock<minijinja::Environment<'static>> =
        std::sync::OnceLock::new();
    SYNTAX.get_or_init(minijinja::Environment::new)
}
