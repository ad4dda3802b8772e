//! Loading roles into the playbook model: a play's `roles:`, `import_role` and
//! `include_role` become blocks of the role's tasks (dependencies first), with the
//! role's handlers added to the play and its variables in a [`RoleScope`].

use super::Loader;
use crate::error::Span;
use crate::playbook::argspec;
use crate::playbook::keywords::{self, Places};
use crate::playbook::model::{
    in_last_scope, Action, ArgSpec, Condition, Origin, RoleScope, Task, TaskKind,
};
use crate::roles::search::find_role;
use crate::vars::Layer;
use crate::yaml::{Key, Node, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// Keys of a role entry (in `roles:` or a dependency) that are the role's own
/// options; the keywords it also takes are the table's (playbook/keywords.rs, "role
/// entry"), and any other key of such an entry is a role parameter.
const ROLE_KEYS: &[&str] = &[
    "role",
    "tasks_from",
    "handlers_from",
    "defaults_from",
    "vars_from",
    "public",
    "apply",
];

/// The options `import_role:` and `include_role:` take (ansible-core's
/// IncludeRole.VALID_ARGS): keywords go on the task, not among these.
const INCLUDE_ROLE_ARGS: &[&str] = &[
    "name",
    "role",
    "tasks_from",
    "handlers_from",
    "defaults_from",
    "vars_from",
    "allow_duplicates",
    "public",
    "apply",
    "rolespec_validate",
];

/// One place a role is used, and how.
#[derive(Debug, Clone)]
pub(super) struct RoleUse {
    pub name: String,
    pub span: Span,
    pub params: Vec<(String, Node)>,
    pub tags: Vec<String>,
    pub when: Vec<Condition>,
    pub tasks_from: Option<String>,
    pub handlers_from: Option<String>,
    pub defaults_from: Option<String>,
    pub vars_from: Option<String>,
    /// Named by `include_role`: its scope reaches the role's handlers when it runs
    /// (run/handlers.rs), not when it is loaded.
    pub included: bool,
    /// `rolespec_validate: false`: no argument spec validation task.
    pub skip_validation: bool,
    /// The entry itself, for the keywords its tasks inherit (`become`, `no_log`,
    /// `environment`, …), when it is a mapping in `roles:` or a dependency.
    pub entry: Option<Node>,
}

/// The variables a role's own files give one use of it.
pub(super) struct OwnVariables {
    defaults: Vec<(String, Node)>,
    vars: Vec<(String, Node)>,
}

/// A role whose dependencies are being loaded: what they inherit from it.
#[derive(Debug)]
pub(super) struct DependentVars {
    defaults: Layer,
    vars: Layer,
    params: Layer,
    /// Its use's `when`, which covers its dependencies' handlers too.
    when: Vec<Condition>,
}

/// A role loaded for one use: its block of tasks (dependencies' blocks before it).
pub(super) struct LoadedRole {
    pub tasks: Vec<Task>,
}

impl Loader {
    /// A role entry: a name, or a mapping with `role`/`name` and options.
    pub(super) fn role_use(
        &mut self,
        node: &Node,
        params_from_extra_keys: bool,
    ) -> Option<RoleUse> {
        if let Some(name) = node.as_str() {
            return Some(RoleUse {
                included: false,
                name: name.to_string(),
                span: node.span.clone(),
                params: Vec::new(),
                tags: Vec::new(),
                when: Vec::new(),
                tasks_from: None,
                handlers_from: None,
                defaults_from: None,
                vars_from: None,
                skip_validation: false,
                entry: None,
            });
        }
        let Some(entries) = node.as_map() else {
            self.error(
                &node.span,
                format!("a role is a name or a mapping, found {}", node.kind()),
            );
            return None;
        };
        let Some(name_node) = node.get("role").or_else(|| node.get("name")) else {
            self.error(&node.span, "this role entry has no 'role' (or 'name')");
            return None;
        };
        let name = self.string(name_node)?;
        let mut params = node.get("vars").map(|v| self.vars(v)).unwrap_or_default();
        self.refuse_unsupported(entries, "role entry");
        for (key, value) in entries {
            let keyword = key.name.as_str();
            if !params_from_extra_keys {
                if !INCLUDE_ROLE_ARGS.contains(&keyword) {
                    self.error(
                        &key.span,
                        format!(
                            "'{keyword}' is not an option of import_role or include_role \
                             (they take {}); a keyword goes on the task itself",
                            INCLUDE_ROLE_ARGS.join(", ")
                        ),
                    );
                }
                continue;
            }
            let read_here = keywords::is_read_at(keyword, Places::ROLE_ENTRY);
            if ROLE_KEYS.contains(&keyword) || read_here || keywords::waiting_for(keyword).is_some()
            {
                continue;
            }
            if let Some(issue) = keywords::waiting_at(keyword, Places::ROLE_ENTRY) {
                self.error(
                    &key.span,
                    format!(
                        "'{keyword}' on a role entry is not supported yet (issue #{issue}); \
                         put it on the role's tasks, or on a block around import_role"
                    ),
                );
                continue;
            }
            params.push((key.name.to_string(), value.clone()));
        }
        if let Some(apply) = node.get("apply").filter(|_| params_from_extra_keys) {
            self.error(
                &apply.span,
                "'apply' is for include_tasks and include_role; on a role in `roles:` or a \
                 dependency write the keywords on the entry itself",
            );
        }
        // import_role/include_role run the role again by default (ansible-core's
        // IncludeRole: allow_duplicates true); on a `roles:` entry it is a parameter.
        if let Some(allow) = node
            .get("allow_duplicates")
            .filter(|_| !params_from_extra_keys)
        {
            if !self.boolean(allow) {
                self.error(
                    &allow.span,
                    "'allow_duplicates: false' on import_role or include_role is not supported \
                     yet (issue #15): machinist runs a role named by them every time",
                );
            }
        }
        if let Some(public) = node.get("public") {
            if public.value != Value::Bool(false) {
                self.error(
                    &public.span,
                    "'public: true' is not supported: machinist keeps a role's variables \
                     inside the role (docs/ansible-differences.md, \"A role's variables stay \
                     inside the role\"); give the values to the play (vars, -e) or to the \
                     role as parameters",
                );
            }
        }
        let text = |this: &mut Loader, key: &str| node.get(key).and_then(|n| this.string(n));
        Some(RoleUse {
            included: false,
            name,
            span: name_node.span.clone(),
            params,
            tags: node
                .get("tags")
                .map(|t| self.string_list(t))
                .unwrap_or_default(),
            when: node
                .get("when")
                .map(|w| self.conditions(w))
                .unwrap_or_default(),
            tasks_from: text(self, "tasks_from"),
            handlers_from: text(self, "handlers_from"),
            defaults_from: text(self, "defaults_from"),
            vars_from: text(self, "vars_from"),
            // An option of import_role/include_role only: in `roles:` Ansible takes
            // it for a role parameter.
            skip_validation: !params_from_extra_keys
                && node
                    .get("rolespec_validate")
                    .is_some_and(|validate| !self.boolean(validate)),
            entry: params_from_extra_keys.then(|| node.clone()),
        })
    }

    /// Load one use of a role: its dependencies, then itself, each as a block; its
    /// handlers go to `handlers` (once per play). `None` when it was already loaded
    /// with the same parameters in this play (Ansible runs such a role once), unless
    /// it is `explicit` (named by `import_role`/`include_role`, which always run it;
    /// its dependencies that already ran still do not run again).
    pub(super) fn role(
        &mut self,
        role: &RoleUse,
        tags: &[String],
        handlers: &mut Vec<Task>,
        explicit: bool,
    ) -> Option<LoadedRole> {
        let base = self.playbook_dir.clone();
        let path = match find_role(&base, &role.name) {
            Ok(path) => path,
            Err(looked) => {
                let looked: Vec<String> = looked.iter().map(|p| p.display().to_string()).collect();
                self.error(
                    &role.span,
                    format!(
                        "role '{}' not found; looked in: {}",
                        role.name,
                        looked.join(", ")
                    ),
                );
                return None;
            }
        };
        if self.role_stack.contains(&path) {
            let mut chain: Vec<String> = self.role_stack.iter().map(|p| role_name(p)).collect();
            chain.push(role.name.clone());
            self.error(
                &role.span,
                format!("role dependency loop: {}", chain.join(" -> ")),
            );
            return None;
        }
        let meta = self.optional_yaml(&path.join("meta/main.yml"), &role.span);
        let allow_duplicates = meta
            .as_ref()
            .and_then(|m| m.get("allow_duplicates"))
            .is_some_and(|n| n.value == Value::Bool(true));
        let identity = (path.clone(), identity_of(role));
        if !allow_duplicates && !explicit && self.roles_seen.contains(&identity) {
            return None;
        }
        let first_use = !self.roles_seen.iter().any(|(seen, _)| *seen == path);
        self.roles_seen.push(identity);
        self.role_stack.push(path.clone());
        let mut tasks = Vec::new();
        let mut tags = tags.to_vec();
        for tag in &role.tags {
            if !tags.contains(tag) {
                tags.push(tag.clone());
            }
        }
        self.check_dependencies(meta.as_ref());
        let dependencies = meta
            .as_ref()
            .and_then(|m| m.get("dependencies"))
            .and_then(Node::as_seq)
            .map(<[Node]>::to_vec)
            .unwrap_or_default();
        let own = self.own_variables(role, &path);
        // The role whose task names this one (`include_role`/`import_role` in a
        // role's tasks): Ansible's `ansible_parent_role_names`.
        let including = if explicit {
            self.role_stack.iter().rev().nth(1).and_then(|parent| {
                self.role_scopes
                    .iter()
                    .rev()
                    .find(|scope| &scope.path == parent)
                    .cloned()
            })
        } else {
            None
        };
        // As Ansible's Role.get_default_vars/get_vars: a role sees its dependencies'
        // defaults and vars, below its own; a dependency sees the variables of the
        // roles that depend on it (its dep_chain), below its own.
        self.dependents.push(DependentVars {
            defaults: Layer::from_nodes(&own.defaults),
            vars: Layer::from_nodes(&own.vars),
            params: Layer::from_nodes(&role.params),
            when: role.when.clone(),
        });
        let mut inherited = (Layer::default(), Layer::default());
        for dependency in &dependencies {
            if let Some(dep) = self.role_use(dependency, true) {
                if !self.dependency_names.contains(&dep.name) {
                    self.dependency_names.push(dep.name.clone());
                }
                if let Some(loaded) = self.role(&dep, &tags, handlers, false) {
                    tasks.extend(loaded.tasks);
                }
                let dep_path = find_role(&base, &dep.name).ok();
                let dep_scope = self
                    .role_scopes
                    .iter()
                    .find(|scope| Some(&scope.path) == dep_path.as_ref());
                if let Some(dep_scope) = dep_scope {
                    inherited.0.extend(&dep_scope.defaults);
                    inherited.1.extend(&dep_scope.vars);
                }
            }
        }
        self.dependents.pop();
        let scope = self.role_scope(role, &path, inherited, own, including.as_deref());
        self.role_scopes.push(scope.clone());
        let origin = Arc::new(Origin {
            dir: path.clone(),
            role: Some(scope),
        });
        let tasks_file = role_file(path.join("tasks"), role.tasks_from.as_deref());
        let mut own = if tasks_file.exists() || role.tasks_from.is_some() {
            self.tasks_from_file(&tasks_file, &origin, &tags, &role.span)
        } else {
            Vec::new()
        };
        let spec = origin.role.as_ref().and_then(|scope| scope.spec.as_ref());
        if let Some(spec) = spec.filter(|_| !role.skip_validation) {
            own.insert(0, validation_task(spec, &role.span, &tags, origin.clone()));
        }
        let handlers_file = role_file(path.join("handlers"), role.handlers_from.as_deref());
        let handlers_name = handlers_file
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        if first_use {
            let first = (path.clone(), handlers_name.clone(), role.span.clone());
            self.role_handlers.push(first);
        } else if handlers_file.exists() || role.handlers_from.is_some() {
            self.refuse_other_handlers(role, &path, &handlers_name);
        }
        if first_use && (handlers_file.exists() || role.handlers_from.is_some()) {
            let mut loaded = self.tasks_from_file(&handlers_file, &origin, &tags, &role.span);
            // As in Ansible, the `when` of the role's use (and of the roles that
            // depend on it) is a condition of its handlers too.
            let conditions: Vec<Condition> = self
                .dependents
                .iter()
                .flat_map(|dependent| dependent.when.iter().cloned())
                .chain(role.when.iter().cloned())
                .collect();
            if !conditions.is_empty() {
                for handler in &mut loaded {
                    let own = std::mem::take(&mut handler.when);
                    handler.when = conditions.iter().cloned().chain(own).collect();
                }
            }
            handlers.extend(loaded);
        } else if !first_use && !role.included {
            // The handlers were loaded by its first use: in the play's roles
            // (`handlers`) or by an import or include in its tasks (extra_handlers).
            in_last_scope(handlers, &origin);
            in_last_scope(&mut self.extra_handlers, &origin);
        }
        self.role_stack.pop();
        // The use's `when` and keywords cover its dependencies too (Ansible reads a
        // task's keyword from its role, then from the roles that depend on it).
        let keywords = role
            .entry
            .as_ref()
            .map(|entry| self.entry_keywords(entry, &origin));
        if (!role.when.is_empty() || keywords.is_some()) && !tasks.is_empty() {
            let dependencies = std::mem::take(&mut tasks);
            let mut dependencies = block(role, dependencies, tags.clone(), origin.clone());
            if let Some(keywords) = &keywords {
                keywords.give(&mut dependencies);
            }
            tasks.push(dependencies);
        }
        let mut own = block(role, own, tags, origin);
        if let Some(keywords) = keywords {
            keywords.give(&mut own);
        }
        tasks.push(own);
        Some(LoadedRole { tasks })
    }

    /// A later use of a role in the play naming other handlers than its first use
    /// loaded: refused, never ignored. machinist loads a role's handlers once per
    /// play, at its first use (Ansible registers the handlers of every use).
    fn refuse_other_handlers(&mut self, role: &RoleUse, path: &Path, handlers_name: &str) {
        let Some((_, first_name, first_span)) = self
            .role_handlers
            .iter()
            .find(|(seen, _, _)| seen == path)
            .cloned()
        else {
            return;
        };
        if first_name == handlers_name {
            return;
        }
        self.error(
            &role.span,
            format!(
                "role '{}' is used again here with handlers/{handlers_name}, but its first \
                 use in this play ({first_span}) loaded handlers/{first_name}; machinist loads \
                 a role's handlers once per play, at its first use, and refuses to ignore \
                 these: give every use of the role the same handlers_from, or put the \
                 handlers in one file",
                role.name
            ),
        );
    }

    /// The variables of a role's defaults/ and vars/ files for one use.
    fn own_variables(&mut self, role: &RoleUse, path: &Path) -> OwnVariables {
        let vars_of =
            |this: &mut Loader, folder: &str, from: Option<&str>| -> Vec<(String, Node)> {
                let file = role_file(path.join(folder), from);
                // As Ansible: a directory of that name gives its files' variables, in
                // name order, later files winning (`defaults/main/*.yml`).
                let dir = file.with_extension("");
                if !file.exists() && dir.is_dir() {
                    let mut files: Vec<_> = std::fs::read_dir(&dir)
                        .into_iter()
                        .flatten()
                        .flatten()
                        .map(|entry| entry.path())
                        .filter(|file| {
                            file.is_file()
                                && file.extension().is_some_and(|ext| {
                                    VARS_EXTENSIONS.iter().any(|known| ext == *known)
                                })
                        })
                        .collect();
                    files.sort();
                    let mut vars = Vec::new();
                    for file in files {
                        if let Some(doc) = this.optional_yaml(&file, &role.span) {
                            vars.extend(this.vars(&doc));
                        }
                    }
                    return vars;
                }
                match this.optional_yaml(&file, &role.span) {
                    Some(doc) => this.vars(&doc),
                    None => {
                        if from.is_some() {
                            this.error(&role.span, format!("{} does not exist", file.display()));
                        }
                        Vec::new()
                    }
                }
            };
        OwnVariables {
            defaults: vars_of(self, "defaults", role.defaults_from.as_deref()),
            vars: vars_of(self, "vars", role.vars_from.as_deref()),
        }
    }

    fn role_scope(
        &mut self,
        role: &RoleUse,
        path: &Path,
        (inherited_defaults, inherited_vars): (Layer, Layer),
        OwnVariables { defaults, vars }: OwnVariables,
        including: Option<&RoleScope>,
    ) -> Arc<RoleScope> {
        let mut dependents = (Layer::default(), Layer::default(), Layer::default());
        for dependent in &self.dependents {
            dependents.0.extend(&dependent.defaults);
            dependents.1.extend(&dependent.vars);
            dependents.2.extend(&dependent.params);
        }
        let spec_file = path.join("meta/argument_specs.yml");
        let entry = role
            .tasks_from
            .as_deref()
            .unwrap_or("main")
            .trim_end_matches(".yml");
        let spec = self
            .optional_yaml(&spec_file, &role.span)
            .and_then(|doc| argspec::parse(&spec_file, &doc, entry, &mut self.errors))
            .filter(|_| !role.skip_validation);
        let mut defaults_layer = inherited_defaults;
        defaults_layer.extend(&dependents.0);
        defaults_layer.extend(&Layer::from_nodes(&defaults));
        // An option's `default` in the spec documents it: as in ansible-core, it gives
        // the role no variable (defaults/main.yml does).
        let mut magic = Layer::default();
        // Absolute, as ansible-core's (`{{ role_path }}/templates/x.j2` is found from any folder).
        let absolute = std::fs::canonicalize(path)
            .or_else(|_| std::path::absolute(path))
            .unwrap_or_else(|_| path.to_path_buf());
        magic.set(
            "role_path",
            minijinja::Value::from(absolute.display().to_string()),
        );
        magic.set("role_name", minijinja::Value::from(role.name.as_str()));
        magic.set(
            "ansible_role_name",
            minijinja::Value::from(role.name.as_str()),
        );
        if let Some(parent) = including {
            for (key, value) in [
                ("ansible_parent_role_names", parent.name.clone()),
                (
                    "ansible_parent_role_paths",
                    parent.path.display().to_string(),
                ),
            ] {
                let mut chain = vec![minijinja::Value::from(value)];
                if let Some(further) = parent.magic.get(key) {
                    chain.extend(further.try_iter().into_iter().flatten());
                }
                magic.set(key, minijinja::Value::from(chain));
            }
        }
        let sources = role
            .params
            .iter()
            .chain(vars.iter())
            .chain(defaults.iter())
            .cloned()
            .collect();
        Arc::new(RoleScope {
            name: role_name(path),
            path: path.to_path_buf(),
            magic,
            defaults: defaults_layer,
            vars: {
                let mut layer = dependents.1;
                layer.extend(&inherited_vars);
                layer.extend(&Layer::from_nodes(&vars));
                layer
            },
            params: {
                let mut layer = dependents.2;
                layer.extend(&Layer::from_nodes(&role.params));
                layer
            },
            sources,
            spec,
            span: role.span.clone(),
            // The role being loaded is on the stack; a dependency's parent too.
        })
    }

    /// Parse a YAML file that may be absent; its first document.
    fn optional_yaml(&mut self, path: &Path, site: &Span) -> Option<Node> {
        if !path.exists() {
            return None;
        }
        self.read_yaml(path, Some(site))?
            .into_iter()
            .next()
            .filter(|doc| doc.value != Value::Null)
    }
}

/// Set every variable of `over` in `layer` (later wins).
/// The extensions Ansible tries for a role's file named without one.
const VARS_EXTENSIONS: &[&str] = &["yml", "yaml", "json"];

/// The file `name` (`main` when `None`) of a role's folder as Ansible finds it: the
/// name with `.yml`, `.yaml` or `.json`, or as written when it has one; the `.yml`
/// path when none exists (for the error that names it).
fn role_file(folder: PathBuf, name: Option<&str>) -> PathBuf {
    let name = name.unwrap_or("main");
    if name.ends_with(".yml") || name.ends_with(".yaml") || name.ends_with(".json") {
        return folder.join(name);
    }
    VARS_EXTENSIONS
        .iter()
        .map(|ext| folder.join(format!("{name}.{ext}")))
        .find(|file| file.is_file())
        .unwrap_or_else(|| folder.join(yml(name)))
}

fn yml(name: &str) -> String {
    if name.ends_with(".yml") || name.ends_with(".yaml") {
        name.to_string()
    } else {
        format!("{name}.yml")
    }
}

fn role_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What makes two uses of a role the same use: its parameters and entry points.
fn identity_of(role: &RoleUse) -> String {
    let params: Vec<String> = role
        .params
        .iter()
        .map(|(k, v)| format!("{k}={}", v.to_json()))
        .collect();
    format!(
        "{}|{:?}|{:?}|{:?}|{:?}",
        params.join(","),
        role.tasks_from,
        role.handlers_from,
        role.defaults_from,
        role.vars_from
    )
}

/// The block that runs a role's own tasks, under the conditions of its use.
fn block(role: &RoleUse, tasks: Vec<Task>, tags: Vec<String>, origin: Arc<Origin>) -> Task {
    Task {
        name: None,
        span: role.span.clone(),
        kind: TaskKind::Block {
            block: tasks,
            rescue: Vec::new(),
            always: Vec::new(),
        },
        when: role.when.clone(),
        loop_items: None,
        loop_with: None,
        ignore_errors: false,
        tags,
        vars: Layer::default(),
        check_mode: None,
        diff: None,
        no_log: false,
        rare: None,
        origin,
    }
}

/// Ansible's first task of a role with an argument spec for its entry point: a
/// `validate_argument_spec` of the entry point's options, tagged `always`.
fn validation_task(spec: &ArgSpec, span: &Span, tags: &[String], origin: Arc<Origin>) -> Task {
    let mut name = format!("Validating arguments against arg spec '{}'", spec.entry);
    if let Some(short) = &spec.short_description {
        name = format!("{name} - {short}");
    }
    let options = spec.options_node.clone().unwrap_or(Node {
        value: Value::Map(Vec::new()),
        span: span.clone(),
    });
    let args = Node {
        value: Value::Map(vec![(Key::new("argument_spec", span.clone()), options)]),
        span: span.clone(),
    };
    let mut all_tags = tags.to_vec();
    all_tags.push("always".to_string());
    Task {
        name: Some(name),
        span: span.clone(),
        kind: TaskKind::Action {
            module: "validate_argument_spec".into(),
            action: Action::ValidateArgumentSpec,
            args,
        },
        when: Vec::new(),
        loop_items: None,
        loop_with: None,
        ignore_errors: false,
        tags: all_tags,
        vars: Layer::default(),
        check_mode: None,
        diff: None,
        no_log: false,
        rare: None,
        origin,
    }
}
