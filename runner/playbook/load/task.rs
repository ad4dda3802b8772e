//! Tasks: task lists and task files, one task's keywords, and what kind of task it
//! is (a block, an import, an include, a role, or an action with its arguments,
//! free-form ones included).

use super::plugins::Resolved;
use super::{unsupported, Loader};
use crate::error::Span;
use crate::key_values::{split_command_options, split_key_values};
use crate::playbook::keywords;
use crate::playbook::model::{Action, Origin, Rare, Task, TaskKind};
use crate::vars::Layer;
use crate::yaml::{Key, Node, Value};
use machinist_modules::args::did_you_mean;
use machinist_modules::Builtin;
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl Loader {
    pub(super) fn tasks_from_file(
        &mut self,
        path: &Path,
        origin: &Arc<Origin>,
        tags: &[String],
        site: &Span,
    ) -> Vec<Task> {
        if self.importing.iter().any(|p| p == path) {
            let chain: Vec<String> = self
                .importing
                .iter()
                .chain(std::iter::once(&path.to_path_buf()))
                .map(|p| p.display().to_string())
                .collect();
            self.error(site, format!("import loop: {}", chain.join(" -> ")));
            return Vec::new();
        }
        let Some(docs) = self.read_yaml(path, Some(site)) else {
            return Vec::new();
        };
        self.importing.push(path.to_path_buf());
        let mut tasks = Vec::new();
        for mut doc in docs {
            if doc.value == Value::Null {
                continue;
            }
            tasks.extend(self.task_list(&mut doc, origin, tags));
        }
        self.importing.pop();
        tasks
    }

    /// [`Loader::task_list`] of a list the caller gives up: each item is dropped as
    /// soon as its task is built.
    pub(super) fn owned_task_list(
        &mut self,
        node: Node,
        origin: &Arc<Origin>,
        tags: &[String],
    ) -> Vec<Task> {
        match node {
            Node {
                value: Value::Seq(items),
                ..
            } => {
                // Sized once: growing by doubling would copy every task built so far.
                let mut tasks = Vec::with_capacity(items.len());
                for mut item in items {
                    tasks.extend(self.task(&mut item, origin, tags));
                }
                tasks
            }
            mut other => self.task_list(&mut other, origin, tags),
        }
    }

    /// The tasks of a list; what they keep of it is taken out of `node`.
    pub(super) fn task_list(
        &mut self,
        node: &mut Node,
        origin: &Arc<Origin>,
        tags: &[String],
    ) -> Vec<Task> {
        match &mut node.value {
            Value::Seq(items) => items
                .iter_mut()
                .filter_map(|item| self.task(item, origin, tags))
                .collect(),
            Value::Null => Vec::new(),
            _ => {
                self.error(
                    &node.span,
                    format!("expected a list of tasks, found {}", node.kind()),
                );
                Vec::new()
            }
        }
    }

    /// The task written as `node`; what the task keeps of it (arguments, loop,
    /// vars…) is taken out of `node`, not copied.
    pub(super) fn task(
        &mut self,
        node: &mut Node,
        origin: &Arc<Origin>,
        inherited_tags: &[String],
    ) -> Option<Task> {
        if node.as_map().is_none() {
            self.error(
                &node.span,
                format!("a task is a mapping, found {}", node.kind()),
            );
            return None;
        }
        let mut tags = inherited_tags.to_vec();
        if let Some(own) = node.get("tags") {
            for tag in self.string_list(own) {
                if !tags.contains(&tag) {
                    tags.push(tag);
                }
            }
        }
        self.local_action(node);
        self.include_args(node);
        let what = if node.get("block").is_some() {
            "block"
        } else {
            "task"
        };
        self.refuse_unsupported(node.as_map().unwrap_or_default(), what);
        let mut kind = self.task_kind(node, origin, &tags, inherited_tags)?;
        if let TaskKind::IncludeTasks {
            inherited_tags: outer,
            apply,
            ..
        } = &mut kind
        {
            let mut tags = inherited_tags.to_vec();
            if let Some(file) = super::named(node, "include_tasks") {
                let applied = self.applied(file, node.get("vars"), origin, inherited_tags);
                for tag in applied.tags {
                    if !tags.contains(&tag) {
                        tags.push(tag);
                    }
                }
                *apply = applied.block;
            }
            *outer = tags.into_boxed_slice();
        }
        self.check_task_shape(node.as_map().unwrap_or_default(), &kind);
        let loop_items =
            keywords::loops().find_map(|(key, with)| node.take(key).map(|n| (key, with, n)));
        if let Some(("loop", _, items)) = &loop_items {
            self.literal_loop_is_a_list(items);
        }
        let loop_items = loop_items.map(|(_, with, n)| (with, n));
        let rare = Rare {
            loop_control: node
                .get("loop_control")
                .map(|lc| self.loop_control(lc))
                .unwrap_or_default(),
            register: node.get("register").and_then(|r| self.identifier(r)),
            notify: node
                .get("notify")
                .map(|n| self.string_list(n))
                .unwrap_or_default(),
            notify_span: node.get("notify").map(|n| n.span.clone()),
            listen: node
                .get("listen")
                .map(|n| self.string_list(n))
                .unwrap_or_default(),
            changed_when: node.get("changed_when").map(|c| self.conditions(c)),
            failed_when: node.get("failed_when").map(|c| self.conditions(c)),
            retry: self.retry(node),
            asynchronous: self.asynchronous(node),
            timeout: node.get("timeout").and_then(|t| self.seconds(t)),
            root: node.take("root"),
            environment: node.take("environment").into_iter().collect(),
            ignore_unreachable: node.get("ignore_unreachable").map(|b| self.boolean(b)),
            become_: crate::playbook::model::BecomeKeywords::of(node),
            module_defaults: self.module_defaults(node.get("module_defaults"), origin),
            fleet: self.fleet(node),
            written_action: written_include(node, &kind),
        };
        Some(Task {
            name: node.get("name").and_then(|n| self.string(n)),
            span: node.span.clone(),
            kind,
            when: node
                .get("when")
                .map(|w| self.conditions(w))
                .unwrap_or_default(),
            loop_with: loop_items.as_ref().and_then(|(with, _)| *with),
            loop_items: loop_items.map(|(_, n)| Box::new(n)),
            ignore_errors: node.get("ignore_errors").is_some_and(|b| self.boolean(b)),
            tags,
            vars: match node.take("vars") {
                Some(vars) => Layer::from_nodes(&self.owned_vars(vars)),
                None => Layer::default(),
            },
            check_mode: node.get("check_mode").map(|b| self.boolean(b)),
            diff: node.get("diff").map(|b| self.boolean(b)),
            no_log: node.get("no_log").is_some_and(|b| self.boolean(b)),
            origin: origin.clone(),
            rare: rare.boxed(),
        })
    }

    /// What kind of task `node` is: a block, an import, an include, a role or an
    /// action; what it keeps is taken out of `node`.
    fn task_kind(
        &mut self,
        node: &mut Node,
        origin: &Arc<Origin>,
        tags: &[String],
        inherited_tags: &[String],
    ) -> Option<TaskKind> {
        if node.get("block").is_some() {
            return Some(self.block_kind(node, origin, tags));
        }
        for key in ["rescue", "always"] {
            if let Some(n) = node.get(key) {
                self.error(&n.span, format!("'{key}' belongs to a task with 'block'"));
            }
        }
        let named = |key: &str| super::named(node, key);
        if let Some(file) = named("import_tasks") {
            return self.import_tasks_kind(file, origin, tags);
        }
        if let Some(file) = named("include_tasks") {
            return self.include_tasks_kind(file, origin);
        }
        for key in ["import_role", "include_role"] {
            if let Some(entry) = named(key) {
                // As Ansible: an import's own tags reach the role's tasks, an
                // include's only select the include itself.
                let import = key == "import_role";
                let mut tags = if import { tags } else { inherited_tags }.to_vec();
                let applied = if import {
                    self.refuse_apply(entry, key);
                    Applied::default()
                } else {
                    self.applied(entry, node.get("vars"), origin, tags.as_slice())
                };
                for tag in applied.tags {
                    if !tags.contains(&tag) {
                        tags.push(tag);
                    }
                }
                return self.role_kind(import, entry, node.get("vars"), &tags, applied.block);
            }
        }
        self.action_kind(node, origin)
    }

    /// `block:` with its `rescue:` and `always:`.
    fn block_kind(&mut self, node: &mut Node, origin: &Arc<Origin>, tags: &[String]) -> TaskKind {
        let mut list = |this: &mut Loader, key: &str| {
            node.get_mut(key)
                .map(|n| this.task_list(n, origin, tags))
                .unwrap_or_default()
        };
        TaskKind::Block {
            block: list(self, "block"),
            rescue: list(self, "rescue"),
            always: list(self, "always"),
        }
    }

    /// `import_tasks: FILE`: the file's tasks, loaded now, as a block.
    fn import_tasks_kind(
        &mut self,
        file: &Node,
        origin: &Arc<Origin>,
        tags: &[String],
    ) -> Option<TaskKind> {
        self.refuse_apply(file, "import_tasks");
        let name = self.file_arg(file)?;
        if crate::template::Templates::is_template(&name) {
            self.error(
                &file.span,
                "import_tasks is static: its file name cannot be templated (use include_tasks)",
            );
            return None;
        }
        let path = include_path(&file.span, origin, &name);
        let tasks = self.tasks_from_file(&path, origin, tags, &file.span);
        Some(TaskKind::Block {
            block: tasks,
            rescue: Vec::new(),
            always: Vec::new(),
        })
    }

    /// `include_tasks: FILE`: read when it runs; a literal name that is no regular
    /// file is bad input now.
    fn include_tasks_kind(&mut self, file: &Node, origin: &Arc<Origin>) -> Option<TaskKind> {
        let name = self.file_arg(file)?;
        let span = file.span.clone();
        if !crate::template::Templates::is_template(&name) {
            let path = include_path(&span, origin, &name);
            if let Some(kind) = crate::input::special_kind(&path) {
                self.error(
                    &span,
                    format!(
                        "{} is {kind}, not a regular file; machinist refuses to read it",
                        path.display()
                    ),
                );
                return None;
            }
        }
        Some(TaskKind::IncludeTasks {
            file: Node {
                value: Value::Str(name),
                span,
            },
            inherited_tags: Box::default(),
            apply: None,
        })
    }

    /// `import_role` (`import`) or `include_role`: the role's tasks, loaded now
    /// (its handlers join the play's); an include_role with a templated name is
    /// loaded when it runs.
    fn role_kind(
        &mut self,
        import: bool,
        entry: &Node,
        vars: Option<&Node>,
        tags: &[String],
        apply: Option<Box<Task>>,
    ) -> Option<TaskKind> {
        let mut role = self.role_use(entry, false)?;
        role.included = !import;
        role.params
            .extend(vars.map(|v| self.vars(v)).unwrap_or_default());
        if crate::template::Templates::is_template(&role.name) {
            if import {
                self.error(
                    &role.span,
                    "import_role is static: its role name cannot be templated (use include_role)",
                );
                return None;
            }
            return Some(TaskKind::IncludeRoleNamed {
                entry: Box::new(entry.clone()),
                vars: vars.cloned().map(Box::new),
                inherited_tags: tags.to_vec(),
            });
        }
        let mut handlers = Vec::new();
        let loaded = self.role(&role, tags, &mut handlers, true);
        self.extra_handlers.extend(handlers);
        let mut tasks = loaded.map(|l| l.tasks).unwrap_or_default();
        if let Some(apply) = apply {
            tasks = apply.applied_around(tasks);
            // The play's pass does not enter an included role's tasks for `no_log`.
            crate::playbook::inherit::no_log(&mut tasks, false);
        }
        Some(if import {
            TaskKind::Block {
                block: tasks,
                rescue: Vec::new(),
                always: Vec::new(),
            }
        } else {
            TaskKind::IncludeRole {
                tasks: Arc::new(tasks),
            }
        })
    }

    /// A task that runs an action: the one key that names a module, its arguments
    /// (free-form ones made a mapping, `args:` merged in).
    fn action_kind(&mut self, node: &mut Node, origin: &Arc<Origin>) -> Option<TaskKind> {
        let entries = node.as_map().unwrap_or_default();
        let mut module: Option<(usize, &Key, Action)> = None;
        for (at, (key, _)) in entries.iter().enumerate() {
            if keywords::is_task_keyword(&key.name) || keywords::waiting_for(&key.name).is_some() {
                continue;
            }
            if let Some((_, first, _)) = &module {
                if self.is_module_name(&key.name, origin) {
                    self.error(
                        &key.span,
                        format!(
                            "a task runs one module; this one names both '{}' and '{}'",
                            first.name, key.name
                        ),
                    );
                } else {
                    self.unknown_key(key, "task", keywords::task_keywords());
                }
                continue;
            }
            let action = match self.resolve_module(key, origin) {
                Resolved::Action(action) => action,
                Resolved::Refused => return None,
                Resolved::Unknown => {
                    self.unknown_module(key, origin);
                    return None;
                }
            };
            module = Some((at, key, action));
        }
        let Some((at, key, action)) = module else {
            self.error(
                &node.span,
                "this task names no module (file, command, debug, …)",
            );
            return None;
        };
        let module = key.name.clone();
        let value = node.take_at(at)?;
        let mut args = self.free_form(&action, value)?;
        if let Some(extra) = node.get("args") {
            match (&mut args.value, &extra.value) {
                (Value::Map(entries), Value::Map(more)) => {
                    for (k, v) in more {
                        if !entries.iter().any(|(e, _)| e.name == k.name) {
                            entries.push((k.clone(), v.clone()));
                        }
                    }
                }
                _ => self.error(&extra.span, "'args' is a mapping of module arguments"),
            }
        }
        args.shrink();
        Some(TaskKind::Action {
            module,
            action,
            args,
        })
    }

    /// A key that is no task keyword and names no module: refused, with the issue a
    /// module waits for or the nearest name.
    fn unknown_module(&mut self, key: &Key, origin: &Arc<Origin>) {
        let short = machinist_modules::registry::unqualified(&key.name);
        if short == "include" {
            self.error(
                &key.span,
                "'include' was removed from Ansible (ansible-core 2.16): use include_tasks or import_tasks instead",
            );
            return;
        }
        if let Some(issue) = unsupported::module_waiting_for(&key.name) {
            self.error(
                &key.span,
                format!(
                    "module '{}' is not supported yet (issue #{issue})",
                    key.name
                ),
            );
            return;
        }
        let plugins = self.plugin_names(origin);
        let mut candidates: Vec<&str> = Action::all_names()
            .chain(keywords::task_keywords())
            .collect();
        candidates.extend(plugins.iter().map(String::as_str));
        let hint = did_you_mean(&key.name, candidates)
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default();
        self.error(
            &key.span,
            format!("unknown module or task keyword '{}'{hint}", key.name),
        );
    }

    /// `command: echo hi`, `meta: flush_handlers`, `file: path=/x state=touch`: the
    /// string forms of arguments, turned into mappings.
    pub(super) fn free_form(&mut self, action: &Action, value: Node) -> Option<Node> {
        let text = match value.value {
            Value::Map(_) => return Some(value),
            Value::Null => {
                return Some(Node {
                    value: Value::Map(Vec::new()),
                    span: value.span,
                })
            }
            Value::Str(text) => text,
            _ => {
                self.error(
                    &value.span,
                    format!("module arguments are a mapping, found {}", value.kind()),
                );
                return None;
            }
        };
        let key = |name: &str| Key::new(name, value.span.clone());
        let string = |s: String| Node {
            value: Value::Str(s),
            span: value.span.clone(),
        };
        let entries = match action {
            Action::Module(Builtin::Command | Builtin::Shell) => {
                let (command, options) = split_command_options(&text);
                let mut entries = vec![(key("cmd"), string(command))];
                entries.extend(options.into_iter().map(|(k, v)| (key(&k), string(v))));
                entries
            }
            Action::Module(Builtin::Raw | Builtin::Script) => {
                // Ansible's raw and script: the line as written, less the `k=v` options
                // it splits off every free-form action.
                let (command, options) = split_command_options(&text);
                let mut entries = vec![(key("_raw_params"), string(command))];
                entries.extend(options.into_iter().map(|(k, v)| (key(&k), string(v))));
                entries
            }
            Action::Meta => vec![(key("_raw_params"), string(text))],
            Action::Debug if !text.contains('=') => vec![(key("msg"), string(text))],
            Action::Fail if !text.contains('=') => vec![(key("msg"), string(text))],
            Action::IncludeVars if !text.contains('=') => vec![(key("file"), string(text))],
            _ => match split_key_values(&text) {
                Some(pairs) => pairs
                    .into_iter()
                    .map(|(k, v)| (key(&k), string(v)))
                    .collect(),
                None => {
                    self.error(&value.span, "free-form arguments must be key=value pairs");
                    return None;
                }
            },
        };
        Some(Node {
            value: Value::Map(entries),
            span: value.span.clone(),
        })
    }

    /// An include's `apply:` (of `include_tasks` or `include_role`): the keywords
    /// Ansible puts on a block around every task the include brings in, as that
    /// block (loaded as a block with no tasks, under `outer_tags`), and its tags,
    /// which the included tasks are loaded with. A key that no block passes down to
    /// its tasks is refused, never ignored. The include's own `vars` (`include_vars`)
    /// are above the block's in Ansible (include and role parameters): the names
    /// they set are left out of its `vars`.
    pub(super) fn applied(
        &mut self,
        include: &Node,
        include_vars: Option<&Node>,
        origin: &Arc<Origin>,
        outer_tags: &[String],
    ) -> Applied {
        let Some(apply) = include.get("apply") else {
            return Applied::default();
        };
        let Some(entries) = apply.as_map() else {
            self.error(
                &apply.span,
                format!(
                    "'apply' is a mapping of keywords (tags: …, when: …), found {}",
                    apply.kind()
                ),
            );
            return Applied::default();
        };
        let mut kept = Vec::with_capacity(entries.len() + 1);
        let mut tags = Vec::new();
        for (key, value) in entries {
            if !keywords::is_applied(&key.name) {
                let taken: Vec<&str> = keywords::applied().collect();
                self.error(
                    &key.span,
                    format!(
                        "'apply: {}' is not supported: apply takes the keywords a block \
                         passes down to its tasks ({})",
                        key.name,
                        taken.join(", ")
                    ),
                );
                continue;
            }
            if key.name == "tags" {
                tags = self.string_list(value);
            }
            let mut value = value.clone();
            if let (Value::Map(vars), Some(over)) = (&mut value.value, include_vars) {
                if key.name == "vars" {
                    vars.retain(|(name, _)| over.get(&name.name).is_none());
                }
            }
            kept.push((key.clone(), value));
        }
        let block_key = Key::new("block", apply.span.clone());
        kept.push((
            block_key,
            Node {
                value: Value::Seq(Vec::new()),
                span: apply.span.clone(),
            },
        ));
        let mut block = Node {
            value: Value::Map(kept),
            span: apply.span.clone(),
        };
        let block = self.task(&mut block, origin, outer_tags).map(Box::new);
        Applied { tags, block }
    }

    /// `args: {apply: …}` of `include_tasks`/`include_role` (an older spelling
    /// Ansible still reads): moved under the include's own entry. Any other key of
    /// `args` on an include is refused, not ignored.
    fn include_args(&mut self, node: &mut Node) {
        let Some((include, short)) = ["include_tasks", "include_role"]
            .iter()
            .find_map(|short| Some((super::key_named(node, short)?.name.to_string(), *short)))
        else {
            return;
        };
        let Some(args) = node.take("args") else {
            return;
        };
        let Some(entries) = args.as_map() else {
            self.error(&args.span, "'args' is a mapping (apply: …)");
            return;
        };
        for (key, value) in entries {
            if key.name != "apply" {
                self.error(
                    &key.span,
                    format!(
                        "'args: {}' on {short} is not supported: write it under {short}:",
                        key.name
                    ),
                );
                continue;
            }
            let Some(entry) = node.get_mut(&include) else {
                return;
            };
            if let Value::Str(name) = &entry.value {
                let named = if short == "include_tasks" {
                    "file"
                } else {
                    "name"
                };
                let name = Node {
                    value: Value::Str(name.clone()),
                    span: entry.span.clone(),
                };
                let key = Key::new(named, entry.span.clone());
                entry.value = Value::Map(vec![(key, name)]);
            }
            match &mut entry.value {
                Value::Map(own) if own.iter().all(|(k, _)| k.name != "apply") => {
                    own.push((key.clone(), value.clone()));
                }
                _ => self.error(
                    &key.span,
                    format!("'apply' is given twice: under {short} and under args"),
                ),
            }
        }
    }

    /// `apply:` on an import: Ansible refuses it ("Invalid options for import_role:
    /// apply"); the keywords go on the import itself.
    fn refuse_apply(&mut self, entry: &Node, what: &str) {
        if let Some((key, _)) = entry
            .as_map()
            .and_then(|entries| entries.iter().find(|(key, _)| key.name == "apply"))
        {
            self.error(
                &key.span,
                format!(
                    "'apply' is for include_tasks and include_role; on {what} write the \
                     keywords on the task itself"
                ),
            );
        }
    }

    pub(super) fn file_arg(&mut self, node: &Node) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Map(_) => match node.get("file").and_then(Node::as_str) {
                Some(s) => Some(s.to_string()),
                None => {
                    self.error(&node.span, "expected 'file: NAME'");
                    None
                }
            },
            _ => {
                self.error(&node.span, "expected a file name");
                None
            }
        }
    }
}

/// What an include's `apply:` gives the tasks it brings in ([`Loader::applied`]).
#[derive(Default)]
pub(super) struct Applied {
    pub tags: Vec<String>,
    pub block: Option<Box<Task>>,
}

/// Where `import_tasks`/`include_tasks: NAME` points: beside the including file, then
/// in the origin's `tasks/` (a role's), then in the origin folder itself.
pub fn include_path(site: &Span, origin: &Origin, name: &str) -> PathBuf {
    let candidates = [
        site.file.parent().map(|dir| dir.join(name)),
        Some(origin.dir.join("tasks").join(name)),
        Some(origin.dir.join(name)),
    ];
    candidates
        .iter()
        .flatten()
        .find(|p| p.exists())
        .cloned()
        .unwrap_or_else(|| origin.dir.join(name))
}

/// An include's key when it is written qualified (`ansible.builtin.include_role`).
fn written_include(node: &Node, kind: &TaskKind) -> Option<Box<str>> {
    let short = match kind {
        TaskKind::IncludeTasks { .. } => "include_tasks",
        TaskKind::IncludeRole { .. } | TaskKind::IncludeRoleNamed { .. } => "include_role",
        TaskKind::Block { .. } | TaskKind::Action { .. } => return None,
    };
    let key = super::key_named(node, short)?;
    (key.name != short).then(|| key.name.as_str().into())
}
