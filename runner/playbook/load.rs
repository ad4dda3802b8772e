//! YAML files → the typed model. Every problem found is collected as a located
//! [`Diagnostic`]; a playbook with any of them never runs.

mod checks;
mod plugins;
mod prompts;
mod roles;
mod stream;
mod unsupported;

use super::argspec;
use super::model::RoleScope;
use super::model::{
    Action, Condition, LoopControl, Origin, Play, Playbook, Rare, Task, TaskKind, LOOP_KEYWORDS,
};
use super::validate;
use crate::error::{Diagnostic, InputError, SourceMap, Span};
use crate::key_values::split_key_values;
use crate::vars::Layer;
use crate::yaml::{self, Key, Node, Value};
use machinist_modules::args::did_you_mean;
use machinist_modules::Builtin;
use plugins::Resolved;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use stream::{PlayStream, StreamedList};

/// A play's task list converted while parsing, with the play and the list's name.
type StreamedLists = (yaml::PlayAt, &'static str, StreamedList);

/// Files larger than this are refused before parsing (a playbook is small).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

const PLAY_KEYS: &[&str] = &[
    "name",
    "hosts",
    "root",
    "roles",
    "vars",
    "vars_files",
    "vars_prompt",
    "pre_tasks",
    "tasks",
    "post_tasks",
    "handlers",
    "gather_facts",
    "tags",
    "become",
    "become_user",
    "become_method",
    "connection",
    "check_mode",
    "diff",
    "no_log",
    "environment",
];

const TASK_KEYS: &[&str] = &[
    "name",
    "when",
    "loop",
    "with_items",
    "with_list",
    "with_dict",
    "with_subelements",
    "with_nested",
    "with_cartesian",
    "with_together",
    "with_sequence",
    "with_indexed_items",
    "with_fileglob",
    "loop_control",
    "register",
    "notify",
    "listen",
    "changed_when",
    "failed_when",
    "ignore_errors",
    "tags",
    "vars",
    "block",
    "rescue",
    "always",
    "include_tasks",
    "import_tasks",
    "root",
    "include_role",
    "import_role",
    "check_mode",
    "diff",
    "no_log",
    "become",
    "become_user",
    "become_method",
    "connection",
    "args",
    "environment",
    "timeout",
];

/// What `plugins::discover::find` answers: an executable plugin (`Ok`), one that is
/// not executable (`Err`), or nothing.
type PluginLookup = Option<Result<PathBuf, PathBuf>>;

/// Reads playbooks and task files, remembering their text for diagnostics.
pub struct Loader {
    pub sources: SourceMap,
    errors: Vec<Diagnostic>,
    /// Files being imported right now, to catch import loops.
    importing: Vec<PathBuf>,
    /// The folder of the playbook being loaded: roles/ is looked for there.
    playbook_dir: PathBuf,
    /// Extra vars (`-e`): role argument specs are checked against them too.
    extra_vars: Layer,
    /// Roles being loaded right now (to catch dependency loops).
    role_stack: Vec<PathBuf>,
    /// Roles loaded in the current play, with their parameters (run once each).
    roles_seen: Vec<(PathBuf, String)>,
    /// Every role use of the current play, to check against its argument spec.
    role_scopes: Vec<Arc<RoleScope>>,
    /// Handlers of roles brought in by `import_role`/`include_role` tasks.
    extra_handlers: Vec<Task>,
    /// The folder whose library/ holds the playbook's plugins (`playbook_dir` when
    /// unset).
    library_base: Option<PathBuf>,
    /// Plugins already loaded, by path (`None`: their errors are recorded).
    plugins: HashMap<PathBuf, Option<Arc<crate::plugins::Plugin>>>,
    /// What looking for a plugin found, by name and folders: every task's module
    /// name is looked for (a stat per folder), most of them built-ins found nowhere.
    plugin_lookups: HashMap<Vec<PathBuf>, HashMap<String, PluginLookup>>,
    /// The plugin folders last computed, by library base and role folder (each
    /// task asks for them).
    plugin_dirs_memo: Option<(PathBuf, Option<PathBuf>, Arc<[PathBuf]>)>,
    /// Names of handlers that failed to load (their error is reported already).
    broken_handlers: Vec<String>,
}

impl Loader {
    pub fn new(sources: SourceMap, extra_vars: &Layer) -> Loader {
        Loader {
            sources,
            errors: Vec::new(),
            importing: Vec::new(),
            playbook_dir: PathBuf::from("."),
            extra_vars: extra_vars.clone(),
            role_stack: Vec::new(),
            roles_seen: Vec::new(),
            role_scopes: Vec::new(),
            extra_handlers: Vec::new(),
            library_base: None,
            plugins: HashMap::new(),
            plugin_lookups: HashMap::new(),
            plugin_dirs_memo: None,
            broken_handlers: Vec::new(),
        }
    }

    fn error(&mut self, span: &Span, message: impl Into<String>) {
        self.errors.push(Diagnostic::at(span, message));
    }

    /// Load a playbook and everything it references statically.
    pub fn playbook(mut self, path: &Path) -> Result<Playbook, InputError> {
        let mut plays = Vec::new();
        self.plays_from(path, None, &mut plays);
        let playbook = Playbook {
            path: path.to_path_buf(),
            plays,
        };
        validate::playbook(&playbook, &mut self.errors);
        self.drop_cascading_errors();
        if self.errors.is_empty() {
            return Ok(playbook);
        }
        Err(InputError(self.errors))
    }

    /// Load a task file for `include_tasks` at run time.
    pub fn task_file(
        mut self,
        path: &Path,
        origin: &Arc<Origin>,
        tags: &[String],
        site: &Span,
    ) -> Result<Vec<Task>, InputError> {
        self.playbook_dir = origin.dir.clone();
        let tasks = self.tasks_from_file(path, origin, tags, site);
        validate::tasks(&tasks, &mut self.errors);
        if self.errors.is_empty() {
            Ok(tasks)
        } else {
            Err(InputError(self.errors))
        }
    }

    /// The tasks of an `include_role` whose name was templated, loaded when the task
    /// runs: `entry` with the name rendered. `defined` says whether a variable is set
    /// at that point (for the role's argument spec). A role chosen at run time cannot
    /// add handlers to a play already running: one that has handlers is refused.
    pub fn role_at_run_time(
        mut self,
        entry: &Node,
        task_vars: Option<&Node>,
        origin: &Arc<Origin>,
        tags: &[String],
        defined: &dyn Fn(&str) -> bool,
    ) -> Result<Vec<Task>, InputError> {
        self.playbook_dir = origin.dir.clone();
        let Some(mut role) = self.role_use(entry, false) else {
            return Err(InputError(self.errors));
        };
        role.params
            .extend(task_vars.map(|v| self.vars(v)).unwrap_or_default());
        let mut handlers = Vec::new();
        let loaded = self.role(&role, tags, &mut handlers, true);
        handlers.extend(std::mem::take(&mut self.extra_handlers));
        if !handlers.is_empty() {
            self.error(
                &role.span,
                format!(
                    "include_role: role '{}' has handlers, which a role named at run time \
                     cannot add to the running play (name the role without a template)",
                    role.name
                ),
            );
        }
        for scope in std::mem::take(&mut self.role_scopes) {
            let set_now: Vec<(String, Node)> = scope
                .spec
                .iter()
                .flat_map(|spec| &spec.options)
                .filter(|option| defined(&option.name))
                .map(|option| {
                    let node = Node {
                        value: Value::Str(format!("{{{{ {} }}}}", option.name)),
                        span: scope.span.clone(),
                    };
                    (option.name.clone(), node)
                })
                .collect();
            argspec::check(&scope, &set_now, &self.extra_vars, &mut self.errors);
        }
        let tasks = loaded.map(|l| l.tasks).unwrap_or_default();
        validate::tasks(&tasks, &mut self.errors);
        if self.errors.is_empty() {
            Ok(tasks)
        } else {
            Err(InputError(self.errors))
        }
    }

    /// The file an `include_vars` task names, read when the task runs: its variables
    /// (the first document's mapping; none for an empty file) and that document.
    pub fn vars_file(mut self, path: &Path, site: &Span) -> Result<VarsFile, InputError> {
        let doc = self
            .read_yaml(path, Some(site))
            .and_then(|docs| docs.into_iter().next());
        let vars = match &doc {
            Some(doc) if doc.value != Value::Null => self.vars(doc),
            _ => Vec::new(),
        };
        if self.errors.is_empty() {
            Ok(VarsFile { vars, doc })
        } else {
            Err(InputError(self.errors))
        }
    }

    /// Read and parse one YAML file; `None` after recording why it could not be.
    fn read_yaml(&mut self, path: &Path, site: Option<&Span>) -> Option<Vec<Node>> {
        let (file, text) = self.read_text(path, site)?;
        match yaml::parse(&file, &text) {
            Ok(docs) => Some(docs),
            Err(diag) => {
                self.errors.push(diag);
                None
            }
        }
    }

    /// Read one YAML file, remembering its text; `None` after recording why it
    /// could not be.
    fn read_text(&mut self, path: &Path, site: Option<&Span>) -> Option<(Arc<Path>, Arc<str>)> {
        let fail = |message: String| match site {
            Some(span) => Diagnostic::at(span, message),
            None => Diagnostic::bare(message),
        };
        let size = match std::fs::metadata(path) {
            Ok(meta) => meta.len(),
            Err(err) => {
                self.errors
                    .push(fail(format!("cannot read {}: {err}", path.display())));
                return None;
            }
        };
        if size > MAX_FILE_BYTES {
            self.errors.push(fail(format!(
                "{} is {size} bytes; YAML files over {MAX_FILE_BYTES} bytes are refused",
                path.display()
            )));
            return None;
        }
        // Bounded: the size above may not tell (a FIFO, /dev/zero, /proc).
        let bytes = match crate::input::read(path, MAX_FILE_BYTES) {
            Ok(bytes) => bytes,
            Err(err) => {
                self.errors.push(fail(err.to_string()));
                return None;
            }
        };
        let file: Arc<Path> = Arc::from(path);
        let text: Arc<str> = match String::from_utf8(bytes) {
            Ok(text) => Arc::from(text),
            Err(err) => {
                let offset = err.utf8_error().valid_up_to();
                let valid = String::from_utf8_lossy(&err.as_bytes()[..offset]).into_owned();
                let line = valid.matches('\n').count() as u32 + 1;
                let col = (valid.len() - valid.rfind('\n').map_or(0, |i| i + 1)) as u32 + 1;
                self.sources.insert(&file, Arc::from(valid));
                self.error(
                    &Span {
                        file: file.into(),
                        line,
                        col,
                        len: 1,
                    },
                    "this file is not valid UTF-8",
                );
                return None;
            }
        };
        self.sources.insert(&file, text.clone());
        Some((file, text))
    }

    /// Parse a playbook, its plays' tasks converted as they are read (see
    /// `stream`); `None` after recording why it could not be.
    fn read_playbook(
        &mut self,
        path: &Path,
        origin: &Arc<Origin>,
        site: Option<&Span>,
    ) -> Option<(Vec<Node>, Vec<StreamedLists>)> {
        let (file, text) = self.read_text(path, site)?;
        let errors = self.errors.len();
        let mut stream = PlayStream::new(self, origin.clone());
        let parsed = yaml::parse_playbook(&file, &text, Some(&mut stream));
        let lists = stream.lists;
        match parsed {
            Ok(docs) => Some((docs, lists)),
            Err(diag) => {
                // As if nothing had been converted: the syntax error is the news.
                self.errors.truncate(errors);
                self.errors.push(diag);
                None
            }
        }
    }

    fn plays_from(&mut self, path: &Path, site: Option<&Span>, plays: &mut Vec<Play>) {
        if self.importing.iter().any(|p| p == path) {
            self.errors.push(Diagnostic::bare(format!(
                "import loop: {} imports itself",
                path.display()
            )));
            return;
        }
        let dir = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        let origin = Arc::new(Origin {
            dir: dir.clone(),
            role: None,
        });
        let (outer_dir, outer_base) = (self.playbook_dir.clone(), self.library_base.clone());
        self.playbook_dir = dir.clone();
        self.library_base = Some(dir);
        let Some((docs, mut streamed)) = self.read_playbook(path, &origin, site) else {
            (self.playbook_dir, self.library_base) = (outer_dir, outer_base);
            return;
        };
        self.check_not_empty(path, &docs);
        self.importing.push(path.to_path_buf());
        // Owned: each play's tree is freed as soon as its model is built.
        for (doc_at, doc) in docs.into_iter().enumerate() {
            let items = match doc {
                Node {
                    value: Value::Seq(items),
                    ..
                } => items,
                doc => {
                    self.error(
                        &doc.span,
                        format!("a playbook is a list of plays, found {}", doc.kind()),
                    );
                    continue;
                }
            };
            for (item_at, item) in items.into_iter().enumerate() {
                let lists = take_lists(&mut streamed, (doc_at, item_at));
                if let Some(target) = item.get("import_playbook") {
                    if let Some(name) = target.as_str() {
                        let target_path = origin.dir.join(name);
                        self.plays_from(&target_path, Some(&target.span), plays);
                    } else {
                        self.error(&target.span, "import_playbook takes a file name");
                    }
                    continue;
                }
                if let Some(play) = self.play(item, &origin, lists) {
                    plays.push(play);
                }
            }
        }
        self.importing.pop();
    }

    /// A play, with the task lists converted while it was parsed (`streamed`).
    fn play(
        &mut self,
        mut node: Node,
        origin: &Arc<Origin>,
        mut streamed: Vec<(&'static str, StreamedList)>,
    ) -> Option<Play> {
        let Some(entries) = node.as_map() else {
            self.error(
                &node.span,
                format!("a play is a mapping, found {}", node.kind()),
            );
            return None;
        };
        self.refuse_unsupported(entries, "play");
        for (key, _) in entries {
            let name = key.name.as_str();
            if !PLAY_KEYS.contains(&name) && unsupported::waiting_for(name).is_none() {
                self.unknown_key(key, "play", PLAY_KEYS.iter().copied());
            }
        }
        let hosts = match node.get("hosts") {
            // A list of patterns is their union, as ansible-core's `hosts: [a, b]`.
            Some(Node {
                value: Value::Seq(items),
                ..
            }) => items
                .iter()
                .filter_map(|item| self.string(item))
                .collect::<Vec<_>>()
                .join(","),
            Some(hosts) => self.string(hosts).unwrap_or_default(),
            None => {
                self.error(
                    &node.span,
                    "this play has no 'hosts' (use hosts: localhost)",
                );
                String::new()
            }
        };
        let root = node.get("root").and_then(|root| self.play_root(root));
        let tags = node
            .get("tags")
            .map(|t| self.string_list(t))
            .unwrap_or_default();
        let vars_nodes = node.get("vars").map(|v| self.vars(v)).unwrap_or_default();
        let vars_files = match node.get("vars_files") {
            Some(list) => self.vars_files(list, origin, &vars_nodes),
            None => Vec::new(),
        };
        let vars_prompt = node
            .get("vars_prompt")
            .map(|list| self.vars_prompt(list))
            .unwrap_or_default();
        let gather_facts = node.get("gather_facts").map_or(true, |g| self.boolean(g));
        let name = match node.get("name") {
            Some(n) => self.string(n).unwrap_or_default(),
            None => hosts.clone(),
        };
        // Task lists are taken out of the tree: each task's nodes are freed once its
        // model is built, so the tree and the model are never both whole in memory.
        let mut tasks = |this: &mut Loader, node: &mut Node, key: &str| {
            if let Some(at) = streamed.iter().position(|(list, _)| *list == key) {
                let (_, list) = streamed.swap_remove(at);
                return this.finish_list(list, origin, &tags);
            }
            match node.take(key) {
                Some(list) => this.owned_task_list(list, origin, &tags),
                None => Vec::new(),
            }
        };
        self.roles_seen.clear();
        let pre_tasks = tasks(self, &mut node, "pre_tasks");
        let mut handlers = Vec::new();
        let mut main_tasks = Vec::new();
        for entry in node
            .get("roles")
            .and_then(|r| self.list(r))
            .unwrap_or_default()
        {
            if let Some(role) = self.role_use(&entry, true) {
                if let Some(loaded) = self.role(&role, &tags, &mut handlers, false) {
                    main_tasks.extend(loaded.tasks);
                }
            }
        }
        let play_tasks = tasks(self, &mut node, "tasks");
        if main_tasks.is_empty() {
            main_tasks = play_tasks;
        } else {
            main_tasks.extend(play_tasks);
        }
        let post_tasks = tasks(self, &mut node, "post_tasks");
        // Their names stay in the tree (only what a task keeps is taken out of it).
        let own_handlers = match node.get_mut("handlers") {
            Some(list) => self.task_list(list, origin, &tags),
            None => Vec::new(),
        };
        self.note_broken_handlers(node.get("handlers"), &own_handlers);
        handlers.extend(std::mem::take(&mut self.extra_handlers));
        handlers.extend(own_handlers);
        let mut play_inputs = vars_nodes.clone();
        for (_, file_vars) in &vars_files {
            play_inputs.extend(file_vars.iter().cloned());
        }
        for scope in std::mem::take(&mut self.role_scopes) {
            argspec::check(&scope, &play_inputs, &self.extra_vars, &mut self.errors);
        }
        let mut pre_tasks = pre_tasks;
        let mut main_tasks = main_tasks;
        let mut post_tasks = post_tasks;
        let mut handlers = handlers;
        let play_no_log = node.get("no_log").is_some_and(|b| self.boolean(b));
        let play_environment: Vec<Node> = node.get("environment").cloned().into_iter().collect();
        for list in [
            &mut pre_tasks,
            &mut main_tasks,
            &mut post_tasks,
            &mut handlers,
        ] {
            super::inherit::no_log(list, play_no_log);
            super::inherit::environment(list, &play_environment);
        }
        Some(Play {
            name,
            span: node.span.clone(),
            hosts,
            root,
            gather_facts,
            vars: Layer::from_nodes(&vars_nodes),
            vars_files: vars_files
                .iter()
                .map(|(_, v)| Layer::from_nodes(v))
                .collect(),
            vars_prompt,
            pre_tasks,
            tasks: main_tasks,
            post_tasks,
            handlers,
            tags,
            origin: origin.clone(),
        })
    }

    /// A play's `root:`: an absolute path, or a template that renders to one.
    fn play_root(&mut self, node: &Node) -> Option<Node> {
        let text = self.string(node)?;
        if !crate::template::Templates::is_template(&text) && !text.starts_with('/') {
            self.error(
                &node.span,
                format!("root '{text}' must be an absolute path (a container's rootfs, e.g. /var/lib/machines/NAME)"),
            );
            return None;
        }
        Some(node.clone())
    }

    fn vars_files(
        &mut self,
        list: &Node,
        origin: &Arc<Origin>,
        play_vars: &[(String, Node)],
    ) -> Vec<(PathBuf, Vec<(String, Node)>)> {
        let names: Vec<&Node> = match &list.value {
            Value::Seq(items) => items.iter().collect(),
            Value::Str(_) => vec![list],
            _ => {
                self.error(&list.span, "vars_files is a list of file names");
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for name in names {
            let Some(file) = name.as_str() else {
                self.error(&name.span, "a vars file name is a string");
                continue;
            };
            let rendered;
            let file = if crate::template::Templates::is_template(file) {
                match self.render_vars_file_name(file, &origin.dir, play_vars, &out) {
                    Ok(name) => {
                        rendered = name;
                        rendered.as_str()
                    }
                    Err(msg) => {
                        self.error(&name.span, msg);
                        continue;
                    }
                }
            } else {
                file
            };
            let path = origin.dir.join(file);
            let Some(docs) = self.read_yaml(&path, Some(&name.span)) else {
                continue;
            };
            let vars = match docs.first() {
                Some(doc) => self.vars(doc),
                None => Vec::new(),
            };
            out.push((path, vars));
        }
        out
    }

    /// A templated `vars_files` name, rendered as Ansible renders it before the play:
    /// with the play's vars, the vars files before it, extra vars and `playbook_dir`
    /// (no facts yet).
    fn render_vars_file_name(
        &self,
        name: &str,
        playbook_dir: &Path,
        play_vars: &[(String, Node)],
        earlier: &[(PathBuf, Vec<(String, Node)>)],
    ) -> Result<String, String> {
        let templates = crate::template::Templates::new();
        let mut magic = Layer::default();
        let dir = match playbook_dir.as_os_str().is_empty() {
            true => Path::new("."),
            false => playbook_dir,
        };
        let dir = std::fs::canonicalize(dir).unwrap_or_else(|_| dir.to_path_buf());
        magic.set(
            "playbook_dir",
            minijinja::Value::from(dir.display().to_string()),
        );
        let play = Layer::from_nodes(play_vars);
        let files: Vec<Layer> = earlier
            .iter()
            .map(|(_, vars)| Layer::from_nodes(vars))
            .collect();
        let mut layers: Vec<&Layer> = vec![&magic, &play];
        layers.extend(files.iter());
        layers.push(&self.extra_vars);
        let ctx = crate::vars::context(&layers, &templates);
        templates.render_str(name, &ctx).map_err(|err| {
            format!(
                "vars_files name '{name}': {err} (names are rendered with the play's vars, \
                 extra vars and playbook_dir, before facts are gathered)"
            )
        })
    }

    /// A mapping of variables.
    pub fn vars(&mut self, node: &Node) -> Vec<(String, Node)> {
        match &node.value {
            Value::Map(entries) => entries
                .iter()
                .filter(|(k, _)| self.variable_name(k))
                .map(|(k, v)| (k.name.to_string(), v.clone()))
                .collect(),
            _ => self.not_vars(node),
        }
    }

    /// [`Loader::vars`] of a mapping the caller gives up (moved, not copied).
    fn owned_vars(&mut self, node: Node) -> Vec<(String, Node)> {
        match node.value {
            Value::Map(entries) => entries
                .into_iter()
                .filter(|(k, _)| self.variable_name(k))
                .map(|(k, v)| (k.name.to_string(), v))
                .collect(),
            _ => self.not_vars(&node),
        }
    }

    /// Whether a vars key is a valid variable name; an error if not.
    fn variable_name(&mut self, key: &Key) -> bool {
        let valid = is_identifier(&key.name);
        if !valid {
            self.error(
                &key.span,
                format!("'{}' is not a valid variable name", key.name),
            );
        }
        valid
    }

    /// The variables of a `vars:` that is not a mapping: none (an error unless null).
    fn not_vars(&mut self, node: &Node) -> Vec<(String, Node)> {
        match &node.value {
            Value::Null => Vec::new(),
            _ => {
                self.error(
                    &node.span,
                    format!("vars is a mapping, found {}", node.kind()),
                );
                Vec::new()
            }
        }
    }

    fn tasks_from_file(
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
    fn owned_task_list(&mut self, node: Node, origin: &Arc<Origin>, tags: &[String]) -> Vec<Task> {
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
    fn task_list(&mut self, node: &mut Node, origin: &Arc<Origin>, tags: &[String]) -> Vec<Task> {
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
    fn task(
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
        let what = if node.get("block").is_some() {
            "block"
        } else {
            "task"
        };
        self.refuse_unsupported(node.as_map().unwrap_or_default(), what);
        let mut kind = self.task_kind(node, origin, &tags)?;
        if let TaskKind::IncludeTasks {
            inherited_tags: outer,
            ..
        } = &mut kind
        {
            *outer = inherited_tags.to_vec();
        }
        self.check_task_shape(node.as_map().unwrap_or_default(), &kind);
        let loop_items = LOOP_KEYWORDS
            .iter()
            .find_map(|(key, with)| node.take(key).map(|n| (*key, *with, n)));
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
            timeout: node.get("timeout").and_then(|t| self.seconds(t)),
            root: node.take("root"),
            environment: node.take("environment").into_iter().collect(),
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

    fn task_kind(
        &mut self,
        node: &mut Node,
        origin: &Arc<Origin>,
        tags: &[String],
    ) -> Option<TaskKind> {
        if let Some(block) = node.get_mut("block") {
            let block = self.task_list(block, origin, tags);
            let mut list = |this: &mut Loader, key: &str| {
                node.get_mut(key)
                    .map(|n| this.task_list(n, origin, tags))
                    .unwrap_or_default()
            };
            return Some(TaskKind::Block {
                block,
                rescue: list(self, "rescue"),
                always: list(self, "always"),
            });
        }
        for key in ["rescue", "always"] {
            if let Some(n) = node.get(key) {
                self.error(&n.span, format!("'{key}' belongs to a task with 'block'"));
            }
        }
        if let Some(file) = node
            .get("import_tasks")
            .or_else(|| node.get("ansible.builtin.import_tasks"))
        {
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
            return Some(TaskKind::Block {
                block: tasks,
                rescue: Vec::new(),
                always: Vec::new(),
            });
        }
        if let Some(file) = node
            .get("include_tasks")
            .or_else(|| node.get("ansible.builtin.include_tasks"))
        {
            let name = self.file_arg(file)?;
            let span = file.span.clone();
            // Read when it runs; a literal name that is no regular file is bad input now.
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
            return Some(TaskKind::IncludeTasks {
                file: Node {
                    value: Value::Str(name),
                    span,
                },
                inherited_tags: Vec::new(),
            });
        }
        for key in ["import_role", "include_role"] {
            let qualified = match key {
                "import_role" => "ansible.builtin.import_role",
                _ => "ansible.builtin.include_role",
            };
            let entry = node.get(key).or_else(|| node.get(qualified));
            let Some(entry) = entry else { continue };
            let mut role = self.role_use(entry, false)?;
            role.params
                .extend(node.get("vars").map(|v| self.vars(v)).unwrap_or_default());
            if crate::template::Templates::is_template(&role.name) {
                if key == "import_role" {
                    self.error(
                        &role.span,
                        "import_role is static: its role name cannot be templated (use include_role)",
                    );
                    return None;
                }
                return Some(TaskKind::IncludeRoleNamed {
                    entry: Box::new(entry.clone()),
                    vars: node.get("vars").cloned().map(Box::new),
                });
            }
            let mut handlers = Vec::new();
            let loaded = self.role(&role, tags, &mut handlers, true);
            self.extra_handlers.extend(handlers);
            let tasks = loaded.map(|l| l.tasks).unwrap_or_default();
            return Some(if key == "import_role" {
                TaskKind::Block {
                    block: tasks,
                    rescue: Vec::new(),
                    always: Vec::new(),
                }
            } else {
                TaskKind::IncludeRole {
                    tasks: Arc::new(tasks),
                }
            });
        }
        let entries = node.as_map().unwrap_or_default();
        let mut module: Option<(usize, &Key, Action)> = None;
        for (at, (key, _)) in entries.iter().enumerate() {
            if TASK_KEYS.contains(&key.name.as_str())
                || unsupported::waiting_for(&key.name).is_some()
            {
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
                    self.unknown_key(key, "task", TASK_KEYS.iter().copied());
                }
                continue;
            }
            let action = match self.resolve_module(key, origin) {
                Resolved::Action(action) => action,
                Resolved::Refused => return None,
                Resolved::Unknown => {
                    if let Some(issue) = unsupported::module_waiting_for(&key.name) {
                        self.error(
                            &key.span,
                            format!(
                                "module '{}' is not supported yet (issue #{issue})",
                                key.name
                            ),
                        );
                        return None;
                    }
                    let plugins = self.plugin_names(origin);
                    let mut candidates: Vec<&str> = Action::all_names()
                        .chain(TASK_KEYS.iter().copied())
                        .collect();
                    candidates.extend(plugins.iter().map(String::as_str));
                    let hint = did_you_mean(&key.name, candidates)
                        .map(|s| format!(" (did you mean '{s}'?)"))
                        .unwrap_or_default();
                    self.error(
                        &key.span,
                        format!("unknown module or task keyword '{}'{hint}", key.name),
                    );
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

    /// `command: echo hi`, `meta: flush_handlers`, `file: path=/x state=touch`: the
    /// string forms of arguments, turned into mappings.
    fn free_form(&mut self, action: &Action, value: Node) -> Option<Node> {
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
        let key = |name: &str| Key {
            name: name.into(),
            span: value.span.clone(),
        };
        let string = |s: String| Node {
            value: Value::Str(s),
            span: value.span.clone(),
        };
        let entries = match action {
            Action::Module(Builtin::Command | Builtin::Shell) => vec![(key("cmd"), string(text))],
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

    fn file_arg(&mut self, node: &Node) -> Option<String> {
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

    fn list(&mut self, node: &Node) -> Option<Vec<Node>> {
        match &node.value {
            Value::Seq(items) => Some(items.clone()),
            Value::Null => Some(Vec::new()),
            _ => {
                self.error(
                    &node.span,
                    format!("expected a list, found {}", node.kind()),
                );
                None
            }
        }
    }

    fn loop_control(&mut self, node: &Node) -> LoopControl {
        let mut control = LoopControl {
            extended_allitems: true,
            ..LoopControl::default()
        };
        let Some(entries) = node.as_map() else {
            self.error(&node.span, "loop_control is a mapping");
            return control;
        };
        for (key, value) in entries {
            match key.name.as_str() {
                "loop_var" => control.loop_var = self.identifier(value),
                "index_var" => control.index_var = self.identifier(value),
                "label" => control.label = self.string(value),
                "pause" => control.pause = self.pause_seconds(value),
                "extended" => control.extended = self.boolean(value),
                "extended_allitems" => control.extended_allitems = self.boolean(value),
                _ => self.unknown_key(
                    key,
                    "loop_control",
                    [
                        "loop_var",
                        "index_var",
                        "label",
                        "pause",
                        "extended",
                        "extended_allitems",
                    ]
                    .into_iter(),
                ),
            }
        }
        control
    }

    fn conditions(&mut self, node: &Node) -> Vec<Condition> {
        let one = |this: &mut Loader, n: &Node| -> Option<Condition> {
            let expr = match &n.value {
                Value::Str(s) => s.trim().to_string(),
                Value::Bool(b) => if *b { "True" } else { "False" }.to_string(),
                _ => {
                    this.error(
                        &n.span,
                        format!("a condition is an expression string, found {}", n.kind()),
                    );
                    return None;
                }
            };
            Some(Condition {
                expr,
                span: n.span.clone(),
            })
        };
        match &node.value {
            Value::Seq(items) => items.iter().filter_map(|n| one(self, n)).collect(),
            _ => one(self, node).into_iter().collect(),
        }
    }

    /// `loop:` written as a literal takes a list (as Ansible: "Invalid data passed to
    /// 'loop', it requires a list"); a template is checked when it renders.
    fn literal_loop_is_a_list(&mut self, items: &Node) {
        let found = match &items.value {
            Value::Seq(_) | Value::Null => return,
            Value::Str(text) if crate::template::Templates::is_template(text) => return,
            _ => items.kind(),
        };
        self.error(
            &items.span,
            format!("loop: takes a list, found {found} (Ansible: \"Invalid data passed to 'loop', it requires a list\")"),
        );
    }

    fn unknown_key<'a>(&mut self, key: &Key, what: &str, known: impl Iterator<Item = &'a str>) {
        let hint = did_you_mean(&key.name, known)
            .map(|s| format!(" (did you mean '{s}'?)"))
            .unwrap_or_default();
        self.error(
            &key.span,
            format!("unknown {what} keyword '{}'{hint}", key.name),
        );
    }

    fn string(&mut self, node: &Node) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Int(i) => Some(i.to_string()),
            Value::Float(f) => Some(f.to_string()),
            _ => {
                self.error(
                    &node.span,
                    format!("expected a string, found {}", node.kind()),
                );
                None
            }
        }
    }

    /// A positive whole number of seconds (`timeout: 30`).
    fn seconds(&mut self, node: &Node) -> Option<Duration> {
        match node.value {
            Value::Int(seconds) if seconds > 0 => Some(Duration::from_secs(seconds.unsigned_abs())),
            _ => {
                self.error(
                    &node.span,
                    format!(
                        "timeout is a positive whole number of seconds, found {}",
                        node.kind()
                    ),
                );
                None
            }
        }
    }

    /// `loop_control.pause`: a number of seconds, whole or not.
    fn pause_seconds(&mut self, node: &Node) -> Option<f64> {
        match node.value {
            Value::Int(seconds) if seconds >= 0 => Some(seconds as f64),
            Value::Float(seconds) if seconds >= 0.0 && seconds.is_finite() => Some(seconds),
            _ => {
                self.error(
                    &node.span,
                    format!(
                        "loop_control.pause is a number of seconds, found {}",
                        node.kind()
                    ),
                );
                None
            }
        }
    }

    fn identifier(&mut self, node: &Node) -> Option<String> {
        let name = self.string(node)?;
        if !is_identifier(&name) {
            self.error(&node.span, format!("'{name}' is not a valid variable name"));
            return None;
        }
        Some(name)
    }

    fn boolean(&mut self, node: &Node) -> bool {
        match &node.value {
            Value::Bool(b) => *b,
            _ => {
                self.error(
                    &node.span,
                    format!("expected a boolean (true/false), found {}", node.kind()),
                );
                false
            }
        }
    }

    fn string_list(&mut self, node: &Node) -> Vec<String> {
        match &node.value {
            Value::Seq(items) => items.iter().filter_map(|n| self.string(n)).collect(),
            Value::Str(s) => s
                .split(',')
                .map(|t| t.trim().to_string())
                .filter(|t| !t.is_empty())
                .collect(),
            _ => {
                self.error(
                    &node.span,
                    format!("expected a string or a list, found {}", node.kind()),
                );
                Vec::new()
            }
        }
    }
}

/// Whether `name` can name a variable.
fn is_identifier(name: &str) -> bool {
    name.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The lists of the play at `play` that were converted while parsing.
fn take_lists(
    streamed: &mut Vec<StreamedLists>,
    play: yaml::PlayAt,
) -> Vec<(&'static str, StreamedList)> {
    let mut lists = Vec::new();
    while let Some(at) = streamed.iter().position(|(at, _, _)| *at == play) {
        let (_, name, list) = streamed.remove(at);
        lists.push((name, list));
    }
    lists
}

/// What an `include_vars` file holds: its variables, and the document they came from.
pub struct VarsFile {
    pub vars: Vec<(String, Node)>,
    pub doc: Option<Node>,
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
