//! The typed playbook: plays, tasks, blocks and handlers, each with its [`Span`].
//! Built by `load`, read by `run`; nothing here touches the disk.

use crate::arg_options::ArgOption;
use crate::error::Span;
use crate::plugins::Plugin;
use crate::template::LegacyLoop;
use crate::vars::Layer;
use crate::yaml::{Name, Node};
use machinist_modules::Builtin;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug)]
pub struct Playbook {
    pub path: PathBuf,
    pub plays: Vec<Play>,
}

/// Where a task came from: the folder whose files/ and templates/ it uses, and its
/// role, if any.
#[derive(Debug, Clone)]
pub struct Origin {
    pub dir: PathBuf,
    pub role: Option<Arc<RoleScope>>,
}

/// One use of a role: its variables at each precedence level. Two uses of a role with
/// different parameters are two scopes.
#[derive(Debug, Clone)]
pub struct RoleScope {
    pub name: String,
    pub path: PathBuf,
    /// `role_path`, `role_name`.
    pub magic: Layer,
    /// defaults/main.yml, then argument-spec defaults not set there (lowest precedence).
    pub defaults: Layer,
    /// vars/main.yml (above play vars).
    pub vars: Layer,
    /// The parameters where the role is used (`roles: [{role: x, vars: …}]`,
    /// `include_role` with `vars:`): above facts, below extra vars.
    pub params: Layer,
    /// The raw parameters, defaults and vars, for located argument-spec errors.
    pub sources: Vec<(String, Node)>,
    /// meta/argument_specs.yml's entry point for this use, if the role has one.
    pub spec: Option<ArgSpec>,
    /// Where the role was named (for errors about its inputs).
    pub span: Span,
}

/// The roles a play names in `roles:` (in order, as written) and the roles they
/// depend on (each once): Ansible's `ansible_play_role_names` (`role_names`) and
/// `ansible_dependent_role_names`.
#[derive(Debug, Clone, Default)]
pub struct RoleNames {
    pub play: Vec<String>,
    pub dependent: Vec<String>,
}

/// A role's documented inputs (meta/argument_specs.yml, Ansible's format).
#[derive(Debug, Clone)]
pub struct ArgSpec {
    pub file: PathBuf,
    /// The entry point (`main`, or a `tasks_from` name) and its `short_description`.
    pub entry: String,
    pub short_description: Option<String>,
    pub options: Vec<ArgOption>,
    /// The `options` mapping as written (the role's validation task checks it).
    pub options_node: Option<Node>,
}

#[derive(Debug)]
pub struct Play {
    pub name: String,
    pub span: Span,
    pub hosts: String,
    /// `root:`: the directory (inside the run's root) this play's tasks act in, such
    /// as a container's rootfs; unrendered (it may use play and extra vars).
    pub root: Option<Node>,
    pub gather_facts: bool,
    /// `gather_subset:` of the play's fact gathering (`None`: all).
    pub gather_subset: Option<Vec<String>>,
    /// `fact_path:` and `gather_timeout:` of the play's fact gathering.
    pub gathering: crate::facts::Gathering,
    /// `ignore_unreachable:` of the play (its tasks have it too): also for gathering
    /// facts.
    pub ignore_unreachable: bool,
    /// Play `vars`.
    pub vars: Layer,
    /// `vars_files`, each already loaded.
    pub vars_files: Vec<Layer>,
    /// `vars_prompt`: asked on the terminal before the play runs.
    pub vars_prompt: Vec<VarPrompt>,
    pub pre_tasks: Vec<Task>,
    pub tasks: Vec<Task>,
    pub post_tasks: Vec<Task>,
    pub handlers: Vec<Task>,
    /// The names of its `roles:` and of their dependencies (`ansible_play_role_names`).
    pub role_names: RoleNames,
    pub tags: Vec<String>,
    pub origin: Arc<Origin>,
    /// `serial`: the batches' sizes, the last repeated (empty: one batch of all).
    pub serial: Vec<BatchSize>,
    /// `order`: the order the play takes its hosts in.
    pub order: HostOrder,
    /// `max_fail_percentage`: the play ends when more than this share of a batch failed.
    pub max_fail_percentage: Option<f64>,
    /// `force_handlers`: a host that failed still runs the handlers it notified.
    pub force_handlers: bool,
    /// `strategy`, when it names one machinist runs as linear (`free`,
    /// `host_pinned`): said when the play starts.
    pub strategy_as_linear: Option<String>,
    /// `become`, `become_user`, `become_method` of the play (its tasks have them
    /// too): also for gathering facts.
    pub become_: BecomeKeywords,
    /// `remote_user` and `port` of the play (templates; its tasks have them too):
    /// how its remote hosts are reached, gathering facts included.
    pub remote_user: Option<String>,
    pub port: Option<String>,
}

/// One entry of a play's `serial`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum BatchSize {
    /// This many hosts (0: all of them).
    Hosts(usize),
    /// This percentage of the play's hosts (at least one).
    Percent(u32),
}

/// A play's `order`: how it takes its hosts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HostOrder {
    #[default]
    Inventory,
    ReverseInventory,
    Sorted,
    ReverseSorted,
    Shuffle,
}

impl HostOrder {
    pub const NAMES: [(&'static str, HostOrder); 5] = [
        ("inventory", HostOrder::Inventory),
        ("reverse_inventory", HostOrder::ReverseInventory),
        ("sorted", HostOrder::Sorted),
        ("reverse_sorted", HostOrder::ReverseSorted),
        ("shuffle", HostOrder::Shuffle),
    ];
}

/// The keywords of runs on many hosts (issue 16) a task has, its own or passed down
/// by the play and blocks around it (a task's own wins).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Fleet {
    /// `run_once`: the batch's first host runs it; every host gets the result.
    pub run_once: Option<bool>,
    /// `delegate_to` (a template; `local_action` is `localhost`): the host it acts on.
    pub delegate_to: Option<String>,
    /// `delegate_facts`: the facts it sets go to the delegate.
    pub delegate_facts: Option<bool>,
    /// `throttle`: at most this many hosts at once.
    pub throttle: Option<usize>,
    /// `any_errors_fatal`: its failure on one host ends the play for all.
    pub any_errors_fatal: Option<bool>,
    /// `remote_user` (a template): the user a remote connection logs in as, where
    /// the host's `ansible_user` does not say.
    pub remote_user: Option<String>,
    /// `port` (a template): the port a remote connection uses, where the host's
    /// `ansible_port` does not say.
    pub port: Option<String>,
}

impl Fleet {
    /// `self` with what it leaves out taken from `outer`.
    pub fn under(&self, outer: &Fleet) -> Fleet {
        Fleet {
            run_once: self.run_once.or(outer.run_once),
            delegate_to: self
                .delegate_to
                .clone()
                .or_else(|| outer.delegate_to.clone()),
            delegate_facts: self.delegate_facts.or(outer.delegate_facts),
            throttle: self.throttle.or(outer.throttle),
            any_errors_fatal: self.any_errors_fatal.or(outer.any_errors_fatal),
            remote_user: self
                .remote_user
                .clone()
                .or_else(|| outer.remote_user.clone()),
            port: self.port.clone().or_else(|| outer.port.clone()),
        }
    }
}

/// One question of a play's `vars_prompt` (Ansible's keys).
#[derive(Debug, Clone)]
pub struct VarPrompt {
    pub name: String,
    /// The question (the name when none is given).
    pub prompt: String,
    /// No echo while typing (the default), and the answer is a secret: masked in
    /// every output as a vaulted value is.
    pub private: bool,
    /// Ask twice; ask again until both answers match.
    pub confirm: bool,
    /// The answer to an empty line.
    pub default: Option<String>,
    /// `sha512_crypt` or `sha256_crypt`: the variable holds the crypt(3) hash.
    pub encrypt: Option<String>,
    pub salt: Option<String>,
    pub salt_size: Option<usize>,
    /// `unsafe`: the answer is never templated.
    pub unsafe_text: bool,
    pub span: Span,
}

/// A condition (`when`, `changed_when`, `failed_when`, `assert.that`).
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub expr: String,
    pub span: Span,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoopControl {
    pub loop_var: Option<String>,
    pub index_var: Option<String>,
    pub label: Option<String>,
    /// Seconds to wait between items.
    pub pause: Option<f64>,
    /// `ansible_loop` for each item (index, first, last, previtem, …); with
    /// `extended_allitems: false`, without `allitems`.
    pub extended: bool,
    pub extended_allitems: bool,
    /// `break_when`: conditions checked after each item (with the item and, under
    /// `register`, its result); when all hold, the loop stops there.
    pub break_when: Vec<Condition>,
}

/// One per task, so kept small: the keywords most tasks leave out live in [`Rare`].
#[derive(Debug, Clone)]
pub struct Task {
    pub name: Option<String>,
    pub span: Span,
    pub kind: TaskKind,
    pub when: Vec<Condition>,
    pub loop_items: Option<Box<Node>>,
    /// How a `with_<lookup>` keyword makes items of its value; `None` for `loop` and
    /// `with_list` (a list as it is).
    pub loop_with: Option<LegacyLoop>,
    pub ignore_errors: bool,
    /// Own tags plus those inherited from enclosing blocks, imports and the play.
    pub tags: Vec<String>,
    pub vars: Layer,
    pub check_mode: Option<bool>,
    pub diff: Option<bool>,
    pub no_log: bool,
    pub origin: Arc<Origin>,
    /// `None` when the task uses none of them (most tasks).
    pub rare: Option<Box<Rare>>,
}

/// The keywords of a task that few tasks use.
#[derive(Debug, Clone, Default)]
pub struct Rare {
    pub loop_control: LoopControl,
    pub register: Option<String>,
    /// The handlers (or topics) to notify when the task changes something.
    pub notify: Vec<String>,
    /// Where `notify` was written, for "no such handler" errors.
    pub notify_span: Option<Span>,
    /// Handlers only: the topics this handler also answers to.
    pub listen: Vec<String>,
    pub changed_when: Option<Vec<Condition>>,
    pub failed_when: Option<Vec<Condition>>,
    /// `until`, `retries`, `delay`: the action run again until it holds.
    pub retry: Option<Retry>,
    /// `async` and `poll`: the module runs as a background job (run/jobs.rs).
    pub asynchronous: Option<Async>,
    /// `timeout:` in seconds, its own or the one around it (a block's, a play's): a
    /// module or plugin running longer is stopped and the task fails.
    pub timeout: Option<Duration>,
    /// `root:` on a block or task (a machinist keyword, like the play's): what it runs
    /// acts inside this directory of the run's root.
    pub root: Option<Node>,
    /// `environment:` of the plays, blocks and includes around the task and of the
    /// task itself, outermost first (unrendered): variables for the commands it runs;
    /// inner ones win.
    pub environment: Vec<Node>,
    /// `ignore_unreachable:`, its own or the one around it (a block's, a play's).
    pub ignore_unreachable: Option<bool>,
    /// `become`, `become_user`, `become_method`, each its own or the one around it:
    /// the user the task's action runs as (run/becoming.rs).
    pub become_: BecomeKeywords,
    /// `module_defaults` of the plays, blocks and includes around the task and of the
    /// task itself, outermost first: each a mapping of module names to arguments
    /// (playbook/inherit.rs gives an action its module's).
    pub module_defaults: Vec<Node>,
    /// run_once, delegate_to, delegate_facts, throttle, any_errors_fatal.
    pub fleet: Fleet,
    /// An include's action as written when it is qualified
    /// (`ansible.builtin.include_tasks`): an unnamed one is shown by it, as Ansible does.
    pub written_action: Option<Box<str>>,
}

/// `become`, `become_user`, `become_method` of a play, block, include or task, each
/// where written: an inner one wins, keyword by keyword (playbook/inherit.rs).
#[derive(Debug, Clone, Default)]
pub struct BecomeKeywords {
    /// A literal boolean (load/unsupported.rs refuses any other value).
    pub becomes: Option<bool>,
    /// A user name, or a template of one (rendered per host when the task runs).
    pub user: Option<Node>,
    /// A method name, or a template of one.
    pub method: Option<Node>,
}

impl BecomeKeywords {
    pub fn is_empty(&self) -> bool {
        self.becomes.is_none() && self.user.is_none() && self.method.is_none()
    }

    /// These keywords, each taken from `outer` where not written here.
    pub fn under(&self, outer: &BecomeKeywords) -> BecomeKeywords {
        BecomeKeywords {
            becomes: self.becomes.or(outer.becomes),
            user: self.user.clone().or_else(|| outer.user.clone()),
            method: self.method.clone().or_else(|| outer.method.clone()),
        }
    }

    /// Read from the keys of a play, block, include or task.
    pub fn of(node: &Node) -> BecomeKeywords {
        BecomeKeywords {
            becomes: node.get("become").and_then(|value| match value.value {
                crate::yaml::Value::Bool(value) => Some(value),
                _ => None,
            }),
            user: node.get("become_user").cloned(),
            method: node.get("become_method").cloned(),
        }
    }
}

impl Rare {
    /// Boxed, or `None` when every keyword is left out.
    pub fn boxed(self) -> Option<Box<Rare>> {
        let unused = self.loop_control == *Task::NO_LOOP_CONTROL
            && self.register.is_none()
            && self.notify.is_empty()
            && self.notify_span.is_none()
            && self.listen.is_empty()
            && self.changed_when.is_none()
            && self.failed_when.is_none()
            && self.retry.is_none()
            && self.asynchronous.is_none()
            && self.timeout.is_none()
            && self.root.is_none()
            && self.environment.is_empty()
            && self.ignore_unreachable.is_none()
            && self.become_.is_empty()
            && self.module_defaults.is_empty()
            && self.fleet == Fleet::default()
            && self.written_action.is_none();
        (!unused).then(|| Box::new(self))
    }
}

/// `until` / `retries` / `delay`, as ansible-core's TaskExecutor reads them: with
/// `until` and no `retries`, 3 retries; with `retries` and no `until`, until the
/// action does not fail; `delay` 5 seconds unless given.
#[derive(Debug, Clone)]
pub struct Retry {
    /// Empty: `not failed`.
    pub until: Vec<Condition>,
    /// An integer, or a template of one (rendered when the task runs).
    pub retries: Option<Node>,
    /// A number of seconds, or a template of one.
    pub delay: Option<Node>,
}

/// `async` / `poll`, as ansible-core reads them: the module runs as a job stopped
/// after `limit` seconds; the executor checks it every `poll` seconds (15 unless
/// given), or goes on at once with `poll: 0`.
#[derive(Debug, Clone)]
pub struct Async {
    /// A whole number of seconds, or a template of one (rendered when the task runs).
    pub limit: Node,
    pub poll: Option<Node>,
}

#[derive(Debug, Clone)]
pub enum TaskKind {
    /// A module or a runner action, with its (unrendered) arguments.
    Action {
        /// The key as written (`file`, `ansible.builtin.copy`).
        module: Name,
        action: Action,
        args: Node,
    },
    /// `block`/`rescue`/`always`; `import_tasks` also lands here (static).
    Block {
        block: Vec<Task>,
        rescue: Vec<Task>,
        always: Vec<Task>,
    },
    /// `include_tasks`: the file is chosen when the task runs.
    /// `include_tasks`: the file, and the tags its tasks inherit — those around the
    /// include, not its own (which only select the include itself, as in Ansible).
    IncludeTasks {
        file: Node,
        /// (A boxed slice: a task stays small.)
        inherited_tags: Box<[String]>,
        /// `apply:`: the block (its keywords, no tasks) put around every task the
        /// file brings in ([`Task::applied_around`]).
        apply: Option<Box<Task>>,
    },
    /// `include_role`: the role's tasks, run when (and each time) this task runs.
    IncludeRole { tasks: Arc<Vec<Task>> },
    /// `include_role` with a templated name: the role is found and loaded when the
    /// task runs, from the `include_role` entry (and the task's `vars`).
    /// (Boxed: a task stays small.)
    IncludeRoleNamed {
        entry: Box<Node>,
        vars: Option<Box<Node>>,
        /// The tags its tasks inherit: those around the include (and its `apply:`
        /// tags are added when it is loaded), not its own.
        inherited_tags: Vec<String>,
    },
}

/// What a task does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// A module of machinist-modules: planned, then applied or recorded.
    Module(Builtin),
    /// An executable found in a library/ folder (see `crate::plugins`).
    Plugin(Arc<Plugin>),
    Debug,
    SetFact,
    Assert,
    Fail,
    Meta,
    /// An HTTP request, judged by its status (runner/run/uri.rs).
    Uri,
    /// Wait for a port or a path (runner/run/wait_for.rs).
    WaitFor,
    /// The state of an `async:` task's job (runner/run/jobs.rs, polling.rs).
    AsyncStatus,
    /// Variables from a YAML file of the controller (runner/run/include_vars.rs).
    IncludeVars,
    /// The target's facts gathered as a task (runner/run/setup.rs).
    Setup,
    /// A target's file copied to the controller (runner/run/fetch.rs).
    Fetch,
    /// Until the target's agent answers (runner/run/wait_for_connection.rs).
    WaitForConnection,
    /// Wait, or ask the terminal (runner/run/pause.rs); once for all hosts.
    Pause,
    /// A host put into the run's inventory (runner/run/inventory_change.rs); once
    /// for all hosts.
    AddHost,
    /// The host put into a group named by a template (runner/run/inventory_change.rs).
    GroupBy,
    /// Check variables against an argument spec (runner/run/validate_argument_spec.rs);
    /// the first task of a role with meta/argument_specs.yml, as in Ansible.
    ValidateArgumentSpec,
    /// Statistics kept for the run, shown after the recap (runner/run/custom_stats.rs).
    SetStats,
}

impl Action {
    /// The names of the runner's own actions (modules come from `Builtin`).
    pub const RUNNER_ACTIONS: &'static [(&'static str, Action)] = &[
        ("debug", Action::Debug),
        ("set_fact", Action::SetFact),
        ("assert", Action::Assert),
        ("fail", Action::Fail),
        ("meta", Action::Meta),
        ("uri", Action::Uri),
        ("wait_for", Action::WaitFor),
        ("async_status", Action::AsyncStatus),
        ("include_vars", Action::IncludeVars),
        ("setup", Action::Setup),
        ("gather_facts", Action::Setup),
        ("fetch", Action::Fetch),
        ("wait_for_connection", Action::WaitForConnection),
        ("pause", Action::Pause),
        ("add_host", Action::AddHost),
        ("group_by", Action::GroupBy),
        ("validate_argument_spec", Action::ValidateArgumentSpec),
        ("set_stats", Action::SetStats),
    ];

    pub fn from_name(name: &str) -> Option<Action> {
        if let Some(builtin) = Builtin::from_name(name) {
            return Some(Action::Module(builtin));
        }
        let short = machinist_modules::registry::unqualified(name);
        Action::RUNNER_ACTIONS
            .iter()
            .find(|(n, _)| *n == short)
            .map(|(_, action)| action.clone())
    }

    /// Every name a task may use, for "did you mean".
    pub fn all_names() -> impl Iterator<Item = &'static str> {
        Builtin::ALL
            .iter()
            .map(|b| b.name())
            .chain(Action::RUNNER_ACTIONS.iter().map(|(n, _)| *n))
    }

    /// The arguments the action accepts (None: any, like set_fact; plugins are
    /// checked against their own spec).
    pub fn arg_names(&self) -> Option<&'static [&'static str]> {
        match self {
            Action::Module(builtin) => Some(builtin.arg_names()),
            Action::Plugin(_) => None,
            Action::Debug => Some(&["msg", "var", "verbosity"]),
            Action::SetFact => None,
            Action::IncludeVars => Some(super::action_args::INCLUDE_VARS),
            Action::Assert => Some(&["that", "fail_msg", "msg", "success_msg", "quiet"]),
            Action::Fail => Some(&["msg"]),
            Action::Meta => Some(&["_raw_params"]),
            Action::Uri => Some(machinist_modules::args::field_names::<
                super::action_args::uri::Args,
            >()),
            Action::WaitFor => Some(machinist_modules::args::field_names::<
                super::action_args::wait_for::Args,
            >()),
            Action::AsyncStatus => Some(&["jid", "mode"]),
            Action::Setup => Some(machinist_modules::args::field_names::<
                super::action_args::setup::Args,
            >()),
            Action::Fetch => Some(machinist_modules::args::field_names::<
                super::action_args::fetch::Args,
            >()),
            Action::WaitForConnection => Some(machinist_modules::args::field_names::<
                super::action_args::wait_for_connection::Args,
            >()),
            Action::Pause => Some(machinist_modules::args::field_names::<
                super::action_args::pause::Args,
            >()),
            // Besides its name and groups, every argument is a variable of the host.
            Action::AddHost => None,
            Action::GroupBy => Some(&["key", "parents"]),
            Action::ValidateArgumentSpec => Some(&["argument_spec", "provided_arguments"]),
            Action::SetStats => Some(&["data", "per_host", "aggregate"]),
        }
    }
}

/// ansible-core runs a role's handlers (loaded once per play, at its first use) with
/// the variables of the role's last use: each later use hands them its scope
/// (`origin`, a role's; its folder says which handlers are the role's).
pub fn in_last_scope(handlers: &mut [Task], origin: &Arc<Origin>) {
    for handler in handlers {
        if handler.origin.role.is_some() && handler.origin.dir == origin.dir {
            handler.origin = Arc::clone(origin);
        }
        if let TaskKind::Block {
            block,
            rescue,
            always,
        } = &mut handler.kind
        {
            for list in [block, rescue, always] {
                in_last_scope(list, origin);
            }
        }
    }
}

/// The names a handler answers to: its name, `ROLE : NAME` inside a role, and its
/// `listen` topics.
pub fn handler_names(handler: &Task) -> impl Iterator<Item = String> + '_ {
    let name = handler.name.clone();
    let qualified = match (&handler.origin.role, &handler.name) {
        (Some(role), Some(name)) => Some(format!("{} : {name}", role.name)),
        _ => None,
    };
    name.into_iter()
        .chain(qualified)
        .chain(handler.listen().iter().cloned())
}

impl Task {
    /// `tasks`, each in a copy of this block of an include's `apply:` keywords, as
    /// Ansible makes the apply block the parent of every block the include brings
    /// in. Each copy takes its task's origin (an included role is found by it).
    pub fn applied_around(&self, tasks: Vec<Task>) -> Vec<Task> {
        tasks
            .into_iter()
            .map(|task| {
                let mut block = self.clone();
                block.origin = task.origin.clone();
                block.kind = TaskKind::Block {
                    block: vec![task],
                    rescue: Vec::new(),
                    always: Vec::new(),
                };
                block
            })
            .collect()
    }

    const NO_LOOP_CONTROL: &'static LoopControl = &LoopControl {
        loop_var: None,
        index_var: None,
        label: None,
        pause: None,
        extended: false,
        extended_allitems: true,
        break_when: Vec::new(),
    };

    pub fn loop_control(&self) -> &LoopControl {
        self.rare
            .as_ref()
            .map_or(Task::NO_LOOP_CONTROL, |rare| &rare.loop_control)
    }

    pub fn register(&self) -> Option<&str> {
        self.rare.as_ref()?.register.as_deref()
    }

    pub fn notify(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |rare| &rare.notify)
    }

    pub fn notify_span(&self) -> Option<&Span> {
        self.rare.as_ref()?.notify_span.as_ref()
    }

    pub fn listen(&self) -> &[String] {
        self.rare.as_ref().map_or(&[], |rare| &rare.listen)
    }

    pub fn changed_when(&self) -> Option<&[Condition]> {
        self.rare.as_ref()?.changed_when.as_deref()
    }

    pub fn failed_when(&self) -> Option<&[Condition]> {
        self.rare.as_ref()?.failed_when.as_deref()
    }

    pub fn retry(&self) -> Option<&Retry> {
        self.rare.as_ref()?.retry.as_ref()
    }

    pub fn asynchronous(&self) -> Option<&Async> {
        self.rare.as_ref()?.asynchronous.as_ref()
    }

    pub fn timeout(&self) -> Option<Duration> {
        self.rare.as_ref()?.timeout
    }

    pub fn root(&self) -> Option<&Node> {
        self.rare.as_ref()?.root.as_ref()
    }

    /// A host unreachable for this task stays in the play (`ignore_unreachable`).
    pub fn ignore_unreachable(&self) -> bool {
        self.rare
            .as_ref()
            .and_then(|rare| rare.ignore_unreachable)
            .unwrap_or(false)
    }

    /// `become:` as it covers this task (its own, a block's or the play's), when
    /// written.
    pub fn becomes(&self) -> Option<bool> {
        self.rare.as_ref().and_then(|rare| rare.become_.becomes)
    }

    /// `become`, `become_user` and `become_method` as they cover this task.
    pub fn become_keywords(&self) -> Option<&BecomeKeywords> {
        self.rare.as_ref().map(|rare| &rare.become_)
    }

    pub fn environment(&self) -> &[Node] {
        self.rare.as_ref().map_or(&[], |rare| &rare.environment)
    }

    pub fn module_defaults(&self) -> &[Node] {
        self.rare.as_ref().map_or(&[], |rare| &rare.module_defaults)
    }

    /// The keywords of runs on many hosts (own or passed down).
    pub fn fleet(&self) -> &Fleet {
        const NONE: &Fleet = &Fleet {
            run_once: None,
            delegate_to: None,
            delegate_facts: None,
            throttle: None,
            any_errors_fatal: None,
            remote_user: None,
            port: None,
        };
        self.rare.as_ref().map_or(NONE, |rare| &rare.fleet)
    }

    /// `run_once: true`, or an action that runs once for all hosts (Ansible's
    /// `BYPASS_HOST_LOOP`: pause).
    pub fn run_once(&self) -> bool {
        self.fleet().run_once == Some(true)
            || match &self.kind {
                TaskKind::Action {
                    action: Action::Pause | Action::AddHost,
                    ..
                } => true,
                // As Ansible's linear strategy: `meta: end_play` and `end_batch` run
                // once, their `when` judged on the first host alone.
                TaskKind::Action {
                    action: Action::Meta,
                    args,
                    ..
                } => matches!(
                    args.get("_raw_params").and_then(|n| n.as_str()),
                    Some("end_play" | "end_batch")
                ),
                _ => false,
            }
    }

    /// Whether its failure on one host ends the play for every host (as Ansible's
    /// linear strategy: `any_errors_fatal`, or `run_once`, unless errors are ignored).
    pub fn fatal(&self) -> bool {
        let fleet = self.fleet();
        (fleet.any_errors_fatal == Some(true) || self.run_once()) && !self.ignore_errors
    }

    /// The rare keywords, to set one.
    pub fn rare_mut(&mut self) -> &mut Rare {
        self.rare.get_or_insert_with(Box::default)
    }

    /// The name `--list-tasks` shows, which ansible-core takes from `Task.get_name`
    /// rather than the banner: a named task with its role's name first (an
    /// `include_role` without it), an unnamed one as its action alone.
    pub fn listed_name(&self) -> String {
        match (&self.name, &self.origin.role) {
            (Some(name), Some(role)) if !self.includes_role() => format!("{} : {name}", role.name),
            (Some(name), _) => name.clone(),
            (None, _) => match &self.kind {
                TaskKind::Action { module, .. } => module.to_string(),
                TaskKind::Block { .. } => "block".to_string(),
                TaskKind::IncludeTasks { .. } => self.include_action("include_tasks").to_string(),
                TaskKind::IncludeRole { .. } | TaskKind::IncludeRoleNamed { .. } => {
                    self.include_action("include_role").to_string()
                }
            },
        }
    }

    /// An include's action as written: `short`, or its qualified name.
    fn include_action<'s>(&'s self, short: &'s str) -> &'s str {
        self.rare
            .as_ref()
            .and_then(|rare| rare.written_action.as_deref())
            .unwrap_or(short)
    }

    fn includes_role(&self) -> bool {
        matches!(
            self.kind,
            TaskKind::IncludeRole { .. } | TaskKind::IncludeRoleNamed { .. }
        )
    }

    /// The name shown in output: the task's name, else the module (an
    /// `include_role`'s with its role), as Ansible shows the action. Inside a
    /// role, the role's name comes first, except for an `include_role`: ansible-core
    /// names that task by itself alone (`IncludeRole.get_name`).
    pub fn display_name(&self) -> String {
        let base = match (&self.name, &self.kind) {
            (Some(name), _) => name.clone(),
            (None, TaskKind::Action { module, .. }) => module.to_string(),
            (None, TaskKind::Block { .. }) => "block".to_string(),
            (None, TaskKind::IncludeTasks { .. }) => {
                self.include_action("include_tasks").to_string()
            }
            // As ansible-core: `include_role : ROLE` (a templated name as written).
            (None, TaskKind::IncludeRole { tasks }) => {
                let action = self.include_action("include_role");
                match tasks.last().and_then(|t| t.origin.role.as_ref()) {
                    Some(role) => format!("{action} : {}", role.name),
                    None => action.to_string(),
                }
            }
            (None, TaskKind::IncludeRoleNamed { entry, .. }) => {
                match entry
                    .get("name")
                    .or_else(|| entry.get("role"))
                    .and_then(Node::as_str)
                {
                    Some(role) => format!("{} : {role}", self.include_action("include_role")),
                    None => self.include_action("include_role").to_string(),
                }
            }
        };
        match &self.origin.role {
            Some(role) if !self.includes_role() => format!("{} : {base}", role.name),
            _ => base,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_stays_small() {
        // A 10 000-task playbook holds 10 000 of them for the whole run.
        assert!(
            std::mem::size_of::<Task>() <= 208,
            "{}",
            std::mem::size_of::<Task>()
        );
    }
}
