//! YAML files → the typed model. Every problem found is collected as a located
//! [`Diagnostic`]; a playbook with any of them never runs.

mod checks;
mod fleet;
mod play;
mod plugins;
mod prompts;
mod role_entry;
mod roles;
mod scalar;
pub(crate) use scalar::is_identifier;
mod stream;
mod task;
mod unsupported;

use super::argspec;
use super::model::RoleScope;
use super::model::{Origin, Playbook, Task};
use super::validate;
use crate::error::{Diagnostic, InputError, SourceMap, Span};
use crate::vars::Layer;
use crate::yaml::{self, Node, Value};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use stream::{PlayStream, StreamedList};
pub use task::include_path;

/// A play's task list converted while parsing, with the play and the list's name.
type StreamedLists = (yaml::PlayAt, &'static str, StreamedList);

/// Files larger than this are refused before parsing (a playbook is small).
const MAX_FILE_BYTES: u64 = 16 * 1024 * 1024;

/// What `plugins::discover::find` answers: an executable plugin (`Ok`), one that is
/// not executable (`Err`), or nothing.
type PluginLookup = Option<Result<PathBuf, PathBuf>>;

/// The key of `node` (a task or a playbook's item) naming the action or keyword
/// `short`, written short or qualified (`ansible.builtin.NAME`, `ansible.legacy.NAME`).
fn key_named<'n>(node: &'n Node, short: &str) -> Option<&'n yaml::Key> {
    node.as_map()?
        .iter()
        .map(|(key, _)| key)
        .find(|key| machinist_modules::registry::unqualified(&key.name) == short)
}

/// The value of [`key_named`].
fn named<'n>(node: &'n Node, short: &str) -> Option<&'n Node> {
    node.get(&key_named(node, short)?.name)
}

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
    /// The roles whose dependencies are being loaded, outermost first: a dependency
    /// sees their variables below its own (Ansible's dep_chain).
    dependents: Vec<roles::DependentVars>,
    /// The names of the dependencies loaded for the current play's `roles:`.
    dependency_names: Vec<String>,
    /// Roles loaded in the current play, with their parameters (run once each).
    roles_seen: Vec<(PathBuf, String)>,
    /// The handlers file each role's first use in the current play loaded (the only
    /// one: a role's handlers are loaded once per play), and where that use is.
    role_handlers: Vec<(PathBuf, String, Span)>,
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
            dependents: Vec::new(),
            dependency_names: Vec::new(),
            roles_seen: Vec::new(),
            role_handlers: Vec::new(),
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
        let applied = self.applied(entry, task_vars, origin, tags);
        let mut tags = tags.to_vec();
        for tag in applied.tags {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        let mut handlers = Vec::new();
        let loaded = self.role(&role, &tags, &mut handlers, true);
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
        let mut tasks = loaded.map(|l| l.tasks).unwrap_or_default();
        if let Some(apply) = applied.block {
            tasks = apply.applied_around(tasks);
        }
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
}

/// What an `include_vars` file holds: its variables, and the document they came from.
pub struct VarsFile {
    pub vars: Vec<(String, Node)>,
    pub doc: Option<Node>,
}
