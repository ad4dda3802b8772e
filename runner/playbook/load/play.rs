//! Plays: a playbook's plays (and import_playbook), each play's keywords, its
//! `vars_files` (templated names rendered with the play's vars), its task lists,
//! roles and handlers, and what plays pass down to their tasks.

use super::{argspec, Loader, StreamedList, StreamedLists};
use crate::error::{Diagnostic, Span};
use crate::playbook::keywords::{self, Places};
use crate::playbook::model::{Origin, Play, RoleNames, Task};
use crate::vars::Layer;
use crate::yaml::{self, Node, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The task lists of a play.
struct Sections {
    pre_tasks: Vec<Task>,
    tasks: Vec<Task>,
    post_tasks: Vec<Task>,
    handlers: Vec<Task>,
    role_names: RoleNames,
}

impl Loader {
    pub(super) fn plays_from(&mut self, path: &Path, site: Option<&Span>, plays: &mut Vec<Play>) {
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
                if let Some(target) = super::named(&item, "import_playbook") {
                    if let Some(name) = target.as_str() {
                        let target_path = origin.dir.join(name);
                        let first = plays.len();
                        self.plays_from(&target_path, Some(&target.span), plays);
                        self.import_keywords(&item, &mut plays[first..]);
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

    /// The keywords of an `import_playbook` entry, given to each play it imported as
    /// ansible-core's PlaybookInclude does: `vars` over each play's own, `when` before
    /// the conditions of each of their tasks. Others are refused, not ignored.
    fn import_keywords(&mut self, entry: &Node, imported: &mut [Play]) {
        for (key, value) in entry.as_map().unwrap_or_default() {
            match machinist_modules::registry::unqualified(&key.name) {
                "import_playbook" | "name" => {}
                "vars" => {
                    let vars = Layer::from_nodes(&self.vars(value));
                    for play in imported.iter_mut() {
                        play.vars.extend(&vars);
                    }
                }
                "when" => {
                    let conditions = self.conditions(value);
                    for play in imported.iter_mut() {
                        if play.gather_facts {
                            self.error(
                                &key.span,
                                format!(
                                    "'when' on import_playbook is not supported yet for a play \
                                     that gathers facts ('{}'); set gather_facts: false there \
                                     or put the condition on its tasks",
                                    play.name
                                ),
                            );
                        }
                        for task in play
                            .pre_tasks
                            .iter_mut()
                            .chain(play.tasks.iter_mut())
                            .chain(play.post_tasks.iter_mut())
                        {
                            let mut when = conditions.clone();
                            when.append(&mut task.when);
                            task.when = when;
                        }
                    }
                }
                other => self.error(
                    &key.span,
                    format!(
                        "'{other}' on import_playbook is not supported yet (issue #15); \
                         machinist refuses it rather than ignore it"
                    ),
                ),
            }
        }
    }

    /// A play, with the task lists converted while it was parsed (`streamed`).
    pub(super) fn play(
        &mut self,
        mut node: Node,
        origin: &Arc<Origin>,
        streamed: Vec<(&'static str, StreamedList)>,
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
            if !keywords::is_read_at(name, Places::PLAY) && keywords::waiting_for(name).is_none() {
                self.unknown_key(key, "play", keywords::read_at(Places::PLAY));
            }
        }
        let hosts = self.play_hosts(&node);
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
        let (gather_subset, gathering) = self.play_gathering(&node);
        let name = match node.get("name") {
            Some(n) => {
                let name = self.string(n).unwrap_or_default();
                self.play_name(name, &origin.dir, &vars_nodes, &vars_files)
            }
            None => hosts.clone(),
        };
        let serial = node
            .get("serial")
            .map(|s| self.batches(s))
            .unwrap_or_default();
        let order = node
            .get("order")
            .map(|o| self.host_order(o))
            .unwrap_or_default();
        let max_fail_percentage = node
            .get("max_fail_percentage")
            .and_then(|m| self.percentage(m));
        let force_handlers = node.get("force_handlers").is_some_and(|b| self.boolean(b));
        let strategy_as_linear = node.get("strategy").and_then(|s| self.strategy(s));
        let sections = self.play_sections(&mut node, origin, &tags, streamed);
        let mut play_inputs = vars_nodes.clone();
        for (_, file_vars) in &vars_files {
            play_inputs.extend(file_vars.iter().cloned());
        }
        for scope in std::mem::take(&mut self.role_scopes) {
            argspec::check(&scope, &play_inputs, &self.extra_vars, &mut self.errors);
        }
        Some(Play {
            name,
            span: node.span.clone(),
            hosts,
            root,
            gather_facts,
            gather_subset,
            gathering,
            ignore_unreachable: node
                .get("ignore_unreachable")
                .is_some_and(|b| self.boolean(b)),
            vars: Layer::from_nodes(&vars_nodes),
            vars_files: vars_files
                .iter()
                .map(|(_, v)| Layer::from_nodes(v))
                .collect(),
            vars_prompt,
            pre_tasks: sections.pre_tasks,
            tasks: sections.tasks,
            post_tasks: sections.post_tasks,
            handlers: sections.handlers,
            role_names: sections.role_names,
            tags,
            origin: origin.clone(),
            serial,
            order,
            max_fail_percentage,
            force_handlers,
            strategy_as_linear,
            become_: crate::playbook::model::BecomeKeywords::of(&node),
            // Read (and their errors reported) with the play's Fleet, for its tasks.
            remote_user: node.get("remote_user").and_then(scalar_text),
            port: node.get("port").and_then(scalar_text),
        })
    }

    /// A play's `hosts:`: a pattern of the inventory's hosts (the run refuses, for
    /// now, plays on other hosts than this machine).
    fn play_hosts(&mut self, node: &Node) -> String {
        match node.get("hosts") {
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
        }
    }

    /// A play's task lists: pre_tasks, its roles' tasks then its tasks, post_tasks,
    /// and the handlers (its roles' and its own), with the play's `no_log` and
    /// `environment` passed down to them.
    fn play_sections(
        &mut self,
        node: &mut Node,
        origin: &Arc<Origin>,
        tags: &[String],
        mut streamed: Vec<(&'static str, StreamedList)>,
    ) -> Sections {
        // Task lists are taken out of the tree: each task's nodes are freed once its
        // model is built, so the tree and the model are never both whole in memory.
        let mut tasks = |this: &mut Loader, node: &mut Node, key: &str| {
            if let Some(at) = streamed.iter().position(|(list, _)| *list == key) {
                let (_, list) = streamed.swap_remove(at);
                return this.finish_list(list, origin, tags);
            }
            match node.take(key) {
                Some(list) => this.owned_task_list(list, origin, tags),
                None => Vec::new(),
            }
        };
        self.roles_seen.clear();
        self.role_handlers.clear();
        let pre_tasks = tasks(self, node, "pre_tasks");
        let mut handlers = Vec::new();
        let mut main_tasks = Vec::new();
        let mut role_names = RoleNames::default();
        self.dependency_names.clear();
        for entry in node
            .get("roles")
            .and_then(|r| self.list(r))
            .unwrap_or_default()
        {
            if let Some(role) = self.role_use(&entry, true) {
                role_names.play.push(role.name.clone());
                if let Some(loaded) = self.role(&role, tags, &mut handlers, false) {
                    main_tasks.extend(loaded.tasks);
                }
            }
        }
        role_names.dependent = std::mem::take(&mut self.dependency_names);
        // The roles' handlers join those of pre_tasks' imports and includes, ahead of
        // them, so that a later import or include of a role gives them its scope.
        self.extra_handlers.splice(0..0, handlers.drain(..));
        let play_tasks = tasks(self, node, "tasks");
        if main_tasks.is_empty() {
            main_tasks = play_tasks;
        } else {
            main_tasks.extend(play_tasks);
        }
        let post_tasks = tasks(self, node, "post_tasks");
        // Their names stay in the tree (only what a task keeps is taken out of it).
        let own_handlers = match node.get_mut("handlers") {
            Some(list) => self.task_list(list, origin, tags),
            None => Vec::new(),
        };
        self.note_broken_handlers(node.get("handlers"), &own_handlers);
        handlers.extend(std::mem::take(&mut self.extra_handlers));
        handlers.extend(own_handlers);
        let mut sections = Sections {
            pre_tasks,
            tasks: main_tasks,
            post_tasks,
            handlers,
            role_names,
        };
        let play_no_log = node.get("no_log").is_some_and(|b| self.boolean(b));
        let play_environment: Vec<Node> = node.get("environment").cloned().into_iter().collect();
        let play_check_mode = node.get("check_mode").map(|b| self.boolean(b));
        let play_diff = node.get("diff").map(|b| self.boolean(b));
        let play_unreachable = node.get("ignore_unreachable").map(|b| self.boolean(b));
        let play_become = crate::playbook::model::BecomeKeywords::of(node);
        let play_module_defaults = self.module_defaults(node.get("module_defaults"), origin);
        let play_fleet = crate::playbook::model::Fleet {
            any_errors_fatal: node.get("any_errors_fatal").map(|b| self.boolean(b)),
            remote_user: node.get("remote_user").and_then(|u| self.string(u)),
            port: node.get("port").and_then(|p| self.string(p)),
            run_once: node.get("run_once").map(|b| self.boolean(b)),
            throttle: node.get("throttle").and_then(|t| self.count(t)),
            ..Default::default()
        };
        let play_timeout = node.get("timeout").and_then(|t| self.seconds(t));
        let play_ignore_errors = node.get("ignore_errors").is_some_and(|b| self.boolean(b));
        for list in [
            &mut sections.pre_tasks,
            &mut sections.tasks,
            &mut sections.post_tasks,
            &mut sections.handlers,
        ] {
            crate::playbook::inherit::no_log(list, play_no_log);
            crate::playbook::inherit::environment(list, &play_environment);
            crate::playbook::inherit::modes(list, play_check_mode, play_diff);
            crate::playbook::inherit::ignore_unreachable(list, play_unreachable);
            crate::playbook::inherit::becomes(list, &play_become);
            crate::playbook::inherit::module_defaults(list, &play_module_defaults);
            crate::playbook::inherit::fleet(list, &play_fleet);
            crate::playbook::inherit::timeout(list, play_timeout);
            crate::playbook::inherit::notify(list, &[], None);
            if play_ignore_errors {
                // Blocks pass it on to their tasks when they run (run/linear.rs).
                list.iter_mut().for_each(|task| task.ignore_errors = true);
            }
        }
        sections
    }

    /// A play's `gather_subset:` (checked as `setup` checks it; with a template, when
    /// rendered for each host as the play gathers), `fact_path:` (a template rendered
    /// then too) and `gather_timeout:`.
    fn play_gathering(&mut self, node: &Node) -> (Option<Vec<String>>, crate::facts::Gathering) {
        let subset = node.get("gather_subset").map(|list| {
            let names: Vec<String> = self.string_list(list);
            let templated = names
                .iter()
                .any(|name| crate::template::Templates::is_template(name));
            if !templated {
                if let Err(message) = crate::facts::subsets::check_subsets(&names) {
                    self.error(&list.span, message);
                }
            }
            names
        });
        let fact_path = node.get("fact_path").and_then(|path| self.string(path));
        let timeout = node
            .get("gather_timeout")
            .and_then(|seconds| self.seconds(seconds))
            .map(|seconds| seconds.as_secs());
        (subset, crate::facts::Gathering { fact_path, timeout })
    }

    /// A play's `root:`: an absolute path, or a template that renders to one.
    pub(super) fn play_root(&mut self, node: &Node) -> Option<Node> {
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

    pub(super) fn vars_files(
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
        for entry in names {
            // A list inside the list: the first of its files that exists (Ansible's
            // fallback, e.g. `- ["vars/{{ os }}.yml", vars/default.yml]`).
            let candidates: Vec<&Node> = match &entry.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![entry],
            };
            let fallback = candidates.len() > 1 || matches!(entry.value, Value::Seq(_));
            let mut found = None;
            let mut tried = Vec::new();
            for name in &candidates {
                let Some(file) = name.as_str() else {
                    self.error(&name.span, "a vars file name is a string");
                    continue;
                };
                let file = if crate::template::Templates::is_template(file) {
                    match self.render_vars_file_name(file, &origin.dir, play_vars, &out) {
                        Ok(rendered) => rendered,
                        Err(_) if fallback => {
                            tried.push(file.to_string());
                            continue;
                        }
                        Err(msg) => {
                            self.error(&name.span, msg);
                            continue;
                        }
                    }
                } else {
                    file.to_string()
                };
                let path = origin.dir.join(&file);
                if !fallback || path.exists() {
                    found = Some((path, *name));
                    break;
                }
                tried.push(file);
            }
            let Some((path, name)) = found else {
                if fallback && !tried.is_empty() {
                    self.error(
                        &entry.span,
                        format!("none of the vars files {} was found", tried.join(", ")),
                    );
                }
                continue;
            };
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
    pub(super) fn render_vars_file_name(
        &self,
        name: &str,
        playbook_dir: &Path,
        play_vars: &[(String, Node)],
        earlier: &[(PathBuf, Vec<(String, Node)>)],
    ) -> Result<String, String> {
        self.render_before_play(name, playbook_dir, play_vars, earlier)
            .map_err(|err| {
                format!(
                    "vars_files name '{name}': {err} (names are rendered with the play's vars, \
                     extra vars and playbook_dir, before facts are gathered)"
                )
            })
    }

    /// A play's templated `name:`, rendered as ansible-core's post_validate renders it
    /// before the play (play vars, vars_files, extra vars); one that cannot be
    /// rendered yet (it names a host's variable) is shown as written.
    fn play_name(
        &self,
        name: String,
        playbook_dir: &Path,
        play_vars: &[(String, Node)],
        files: &[(PathBuf, Vec<(String, Node)>)],
    ) -> String {
        if !crate::template::Templates::is_template(&name) {
            return name;
        }
        self.render_before_play(&name, playbook_dir, play_vars, files)
            .unwrap_or(name)
    }

    /// A template of the play's level, with the play's vars, `earlier` vars files,
    /// extra vars and `playbook_dir`.
    fn render_before_play(
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
        templates
            .render_str(name, &ctx)
            .map_err(|err| err.to_string())
    }
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

/// A keyword's string or number as text (its errors are reported where it is read).
fn scalar_text(node: &Node) -> Option<String> {
    match &node.value {
        Value::Str(text) => Some(text.clone()),
        Value::Int(number) => Some(number.to_string()),
        _ => None,
    }
}
