//! Every keyword of plays, blocks, tasks and includes in one table: where it may be
//! written, whether blocks and includes pass it down to their tasks, how its value is
//! read, and whether machinist implements it (or refuses it with the issue it waits
//! for, never accepting and ignoring it). The loader's accepted keys, its "did you
//! mean", the include and block rules, the refusals and `machinist doc --keywords` all
//! read this table: adding a keyword starts here (docs/ARCHITECTURE.md, "Adding a
//! task keyword").

use crate::template::LegacyLoop;

/// Where a keyword may be written (a set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Places(u8);

impl Places {
    pub const PLAY: Places = Places(1);
    /// A task that runs an action (a module, a plugin, a runner action). Handlers are
    /// such tasks: they take the same keywords (`listen` means something only there).
    pub const TASK: Places = Places(2);
    /// `block:`, `import_tasks:` and `import_role:` entries.
    pub const BLOCK: Places = Places(4);
    /// `include_tasks:` and `include_role:` entries.
    pub const INCLUDE: Places = Places(8);
    /// A role entry: an item of a play's `roles:`.
    pub const ROLE_ENTRY: Places = Places(16);
    /// Anywhere in a task list (not plays).
    const IN_TASKS: Places = Places(2 | 4 | 8);

    const fn or(self, other: Places) -> Places {
        Places(self.0 | other.0)
    }

    pub fn has(self, other: Places) -> bool {
        self.0 & other.0 != 0
    }

    /// The places' names, for documentation.
    pub fn names(self) -> Vec<&'static str> {
        [
            (Places::PLAY, "play"),
            (Places::TASK, "task"),
            (Places::BLOCK, "block"),
            (Places::INCLUDE, "include"),
            (Places::ROLE_ENTRY, "role entry"),
        ]
        .into_iter()
        .filter(|(place, _)| self.has(*place))
        .map(|(_, name)| name)
        .collect()
    }
}

const PLAY: Places = Places::PLAY;
const TASK: Places = Places::TASK;
const BLOCK: Places = Places::BLOCK;
const INCLUDE: Places = Places::INCLUDE;
const ANYWHERE_IN_TASKS: Places = Places::IN_TASKS;
const EVERYWHERE: Places = PLAY.or(ANYWHERE_IN_TASKS);
const TASK_OR_INCLUDE: Places = TASK.or(INCLUDE);
const TASK_OR_BLOCK: Places = TASK.or(BLOCK);
/// Keywords a role entry takes in Ansible that machinist applies only to tasks,
/// plays and blocks so far wait on role entries (they would otherwise become role
/// parameters there, silently).
const ROLE: Places = Places::ROLE_ENTRY;

/// How the loader reads a keyword's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Parse {
    /// A string (numbers are taken as their text).
    Text,
    /// `true` or `false`.
    Boolean,
    /// A list of strings, or one string of comma-separated ones.
    TextList,
    /// An expression, or a list of them that must all hold.
    Conditions,
    /// A variable name.
    VariableName,
    /// A positive whole number of seconds.
    Seconds,
    /// A number, or a template of one (rendered when the task runs).
    Number,
    /// A mapping of module names to their default arguments, or a list of them.
    ModuleDefaults,
    /// A mapping of variable names to values (templated when used).
    Vars,
    /// A list of tasks.
    Tasks,
    /// The items of a loop: a list (or a template of one) for `loop`; a legacy
    /// `with_*` loop makes its items as Ansible's lookup of that name.
    Loop(Option<LegacyLoop>),
    /// `loop_var`, `index_var`, `label`, `pause`, `extended`, `extended_allitems`.
    LoopControl,
    /// A mapping of module arguments, merged under the module's own.
    Arguments,
    /// A task file's name; `loaded` says it is read while loading (an import), not
    /// when the task runs.
    TaskFile { loaded: bool },
    /// A role: a name, or a mapping with `name` and the role's options.
    Role,
    /// An absolute directory, or a template of one: the root the tasks act in.
    Root,
    /// A mapping of environment variables (a template of one too).
    Environment,
    /// Plays only: `hosts`, a pattern of the inventory's hosts or a list of them.
    Hosts,
    /// Plays only: the roles the play runs.
    Roles,
    /// Plays only: files of variables.
    VarsFiles,
    /// Plays only: questions asked before the play.
    Prompts,
    /// Plays only: `serial`, a number of hosts, a percentage (`"30%"`), or a list of them.
    Batches,
    /// A number from 0 to 100.
    Percentage,
    /// A positive whole number.
    Count,
    /// Plays only: `order`, one of inventory, reverse_inventory, sorted,
    /// reverse_sorted, shuffle.
    HostOrder,
    /// Plays only: `strategy`, linear (free and host_pinned run as linear, said).
    Strategy,
    /// `local_action`: a module and its arguments, run on localhost.
    LocalAction,
    /// Accepted only with a value that makes it a no-op here (`connection: local`);
    /// any other value is refused (issue 17).
    NoOp,
    /// `become` (a literal boolean), `become_user`, `become_method` (a name or a
    /// template of one): the user a task's action runs as, honoured by the host's
    /// connection where the task runs (run/becoming.rs), refused there otherwise.
    Become,
    /// Not read: refused wherever it is written.
    Refused,
}

/// Whether machinist implements a keyword.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Supported,
    /// Refused with the issue it waits for.
    Waiting(u32),
}

/// One keyword.
#[derive(Debug, Clone, Copy)]
pub struct Keyword {
    pub name: &'static str,
    /// Where it is a keyword machinist reads.
    pub places: Places,
    /// Passed down to every task it covers by the play, block, import or include it
    /// is written on.
    pub inherited: bool,
    pub parse: Parse,
    pub support: Support,
    /// Places where it is refused though it is read elsewhere, and the issue that
    /// will read it there too (`notify` on a block, `no_log` on a role entry).
    pub waiting_on: Option<(Places, u32)>,
    /// One line for `machinist doc --keywords`.
    pub doc: &'static str,
}

const fn supported(
    name: &'static str,
    places: Places,
    inherited: bool,
    parse: Parse,
    doc: &'static str,
) -> Keyword {
    Keyword {
        name,
        places,
        inherited,
        parse,
        support: Support::Supported,
        waiting_on: None,
        doc,
    }
}

const fn waiting_on(keyword: Keyword, places: Places, issue: u32) -> Keyword {
    Keyword {
        waiting_on: Some((places, issue)),
        ..keyword
    }
}

/// An Ansible keyword (ansible-core 2.19's `fattributes` of plays, blocks, tasks and
/// role entries) that machinist does not implement: #15 the language, #16 many hosts,
/// #17 connections and privilege escalation.
const fn waiting(name: &'static str, issue: u32) -> Keyword {
    Keyword {
        name,
        places: EVERYWHERE,
        inherited: false,
        parse: Parse::Refused,
        support: Support::Waiting(issue),
        waiting_on: None,
        doc: "Ansible's keyword; not supported yet",
    }
}

/// The table. Task keywords come in the order "did you mean" has always weighed
/// them (the first of two equally near names wins).
#[rustfmt::skip]
pub const KEYWORDS: &[Keyword] = &[
    supported("hosts", PLAY, false, Parse::Hosts, "the inventory's hosts it runs on (a pattern, or a list of them)"),
    supported("roles", PLAY, false, Parse::Roles, "roles whose tasks run before the play's tasks"),
    supported("vars_files", PLAY, false, Parse::VarsFiles, "files of variables (names may be templates)"),
    supported("vars_prompt", PLAY, false, Parse::Prompts, "variables asked on the terminal before the play"),
    supported("pre_tasks", PLAY, false, Parse::Tasks, "tasks run before the roles"),
    supported("tasks", PLAY, false, Parse::Tasks, "the play's tasks, after its roles'"),
    supported("post_tasks", PLAY, false, Parse::Tasks, "tasks run after the tasks"),
    supported("handlers", PLAY, false, Parse::Tasks, "tasks run when notified, once, after each section"),
    supported("gather_facts", PLAY, false, Parse::Boolean, "read the target's facts first (default true)"),
    supported("name", EVERYWHERE.or(ROLE), false, Parse::Text, "what the output calls it"),
    supported("when", ANYWHERE_IN_TASKS.or(ROLE), true, Parse::Conditions, "run only if these conditions hold"),
    supported("loop", TASK_OR_INCLUDE, false, Parse::Loop(None), "run once for each item of a list"),
    supported("with_items", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::Items)), "a loop over a list, lists in it flattened one level"),
    supported("with_list", TASK_OR_INCLUDE, false, Parse::Loop(None), "a loop over a list, as loop"),
    supported("with_dict", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::Dict)), "a loop over a mapping's key/value pairs"),
    supported("with_subelements", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::Subelements)), "a loop over each item's sub-list"),
    supported("with_nested", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::Nested)), "a loop over the product of lists"),
    supported("with_cartesian", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::Nested)), "a loop over the product of lists, as with_nested"),
    supported("with_together", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::Together)), "a loop over lists zipped together"),
    supported("with_sequence", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::Sequence)), "a loop over a sequence of numbers"),
    supported("with_indexed_items", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::IndexedItems)), "a loop over (index, item) pairs"),
    supported("with_fileglob", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::Fileglob)), "a loop over the controller's files matching patterns"),
    supported("with_first_found", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::FirstFound)), "a loop over the first of these files found on the controller"),
    supported("with_random_choice", TASK_OR_INCLUDE, false, Parse::Loop(Some(LegacyLoop::RandomChoice)), "a loop over one of these items, chosen at random"),
    supported("loop_control", TASK_OR_INCLUDE, false, Parse::LoopControl, "the loop's variable names, label, pause and ansible_loop"),
    supported("register", TASK_OR_INCLUDE, false, Parse::VariableName, "keep the result in this variable"),
    supported("notify", TASK_OR_BLOCK, true, Parse::TextList, "handlers (names or listen topics) to run when it changed something; on a block, for its tasks that name none"),
    supported("listen", TASK, false, Parse::TextList, "a handler's topics: notifying one runs every handler listening"),
    supported("changed_when", TASK, false, Parse::Conditions, "conditions that decide it changed"),
    supported("until", TASK, false, Parse::Conditions, "run it again until these conditions hold (retries default 3)"),
    supported("retries", TASK, false, Parse::Number, "how many times it runs again (with until; without: until it does not fail)"),
    supported("delay", TASK, false, Parse::Number, "seconds between two tries (default 5)"),
    supported("async", TASK, false, Parse::Number, "run the module as a background job on the target, stopped after this many seconds"),
    supported("poll", TASK, false, Parse::Number, "with async: seconds between two checks of the job (default 15); 0: go on at once (async_status asks later)"),
    supported("failed_when", TASK, false, Parse::Conditions, "conditions that decide it failed"),
    supported("ignore_errors", EVERYWHERE.or(ROLE), true, Parse::Boolean, "a failure does not stop the play"),
    supported("ignore_unreachable", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Boolean, "a host unreachable for it stays in the play (counted ok and ignored)"),
    supported("tags", EVERYWHERE.or(ROLE), true, Parse::TextList, "names --tags and --skip-tags select by"),
    supported("vars", EVERYWHERE.or(ROLE), true, Parse::Vars, "variables for what it covers"),
    supported("block", BLOCK, false, Parse::Tasks, "tasks run together"),
    supported("rescue", BLOCK, false, Parse::Tasks, "a block's tasks run when one of its tasks failed"),
    supported("always", BLOCK, false, Parse::Tasks, "a block's tasks run whatever happened"),
    supported("include_tasks", INCLUDE, false, Parse::TaskFile { loaded: false }, "a task file read when the task runs"),
    supported("import_tasks", BLOCK, false, Parse::TaskFile { loaded: true }, "a task file read while loading"),
    supported("root", EVERYWHERE, true, Parse::Root, "the directory (a container's tree) the tasks act in"),
    supported("include_role", INCLUDE, false, Parse::Role, "a role's tasks, run when the task runs"),
    supported("import_role", BLOCK, false, Parse::Role, "a role's tasks, loaded in place"),
    supported("check_mode", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Boolean, "true: predict only; false: act even under --check"),
    supported("diff", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Boolean, "false: no diff even under --diff"),
    supported("no_log", EVERYWHERE.or(ROLE), true, Parse::Boolean, "censor its results and arguments in every output"),
    supported("become", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Become, "run the action as another user (become_user, root by default): over ssh through sudo, in a machine container and on this machine (machinist as root) through setpriv"),
    supported("become_user", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Become, "the user `become: true` runs as (a template too): any user over ssh, machine, and on this machine when machinist runs as root"),
    supported("become_method", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Become, "how: sudo or su over ssh (run0 refused there); any name on this machine and over machine (not consulted there: no password is asked)"),
    supported("connection", PLAY.or(TASK_OR_BLOCK).or(ROLE), false, Parse::NoOp, "only local"),
    supported("args", TASK_OR_INCLUDE, false, Parse::Arguments, "module arguments, merged under those written with the module"),
    supported("environment", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Environment, "environment variables of the programs it runs"),
    supported("module_defaults", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::ModuleDefaults, "arguments for each module it covers (its own arguments win)"),
    supported("timeout", PLAY.or(ANYWHERE_IN_TASKS).or(ROLE), true, Parse::Seconds, "fail the task after this many seconds: its programs are killed, its next operation not begun"),
    supported("any_errors_fatal", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Boolean, "a failure ends the play for every host after this task"),
    supported("delegate_to", TASK_OR_BLOCK.or(ROLE), true, Parse::Text, "the inventory host (or localhost) the task acts on instead (a template)"),
    supported("delegate_facts", TASK_OR_BLOCK.or(ROLE), true, Parse::Boolean, "a delegated task's facts go to the delegate"),
    waiting_on(supported("run_once", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Boolean, "run on the batch's first host only; every host gets the result"), INCLUDE, 16),
    supported("strategy", PLAY, false, Parse::Strategy, "linear (every host finishes a task before the next); free and host_pinned run as linear, with a warning"),
    supported("serial", PLAY, false, Parse::Batches, "batches of hosts, each running the whole play in turn"),
    supported("max_fail_percentage", PLAY, false, Parse::Percentage, "end the play when more than this share of a batch failed"),
    supported("throttle", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Count, "at most this many hosts run the task at once"),
    supported("order", PLAY, false, Parse::HostOrder, "the order the play takes its hosts in"),
    supported("force_handlers", PLAY, false, Parse::Boolean, "a host that failed still runs the handlers it notified"),
    supported("remote_user", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Text, "the user a remote connection logs in as (a template), where the host's ansible_user does not say; nothing for local hosts"),
    supported("port", PLAY.or(TASK_OR_BLOCK).or(ROLE), true, Parse::Text, "the port a remote connection uses (a template), where the host's ansible_port does not say; nothing for local hosts"),
    waiting("become_exe", 17),
    waiting("become_flags", 17),
    waiting("collections", 15),
    waiting("debugger", 15),
    supported("action", TASK, false, Parse::LocalAction, "a module and its arguments (the old form of writing the module as the key), free-form or a mapping with `module`"),
    supported("local_action", TASK, false, Parse::LocalAction, "a module run on localhost (as delegate_to: localhost), free-form or a mapping with `module`"),
    supported("fact_path", PLAY, false, Parse::Text, "the folder of the target's local facts (`ansible_local`), /etc/ansible/facts.d"),
    supported("gather_subset", PLAY, false, Parse::TextList, "which facts gather_facts gathers: all, min, or ansible-core's collectors and fact ids (network, hardware, virtual, dns, devices, …); `!name` leaves one out; a template is rendered per host"),
    supported("gather_timeout", PLAY, false, Parse::Seconds, "how long a mount's size may take while gathering (10)"),
];

/// The keyword called `name`, if the table has it.
pub fn get(name: &str) -> Option<&'static Keyword> {
    KEYWORDS.iter().find(|keyword| keyword.name == name)
}

/// The keywords machinist reads at `place`, in the table's order.
pub fn read_at(place: Places) -> impl Iterator<Item = &'static str> + Clone {
    KEYWORDS
        .iter()
        .filter(move |k| k.support == Support::Supported && k.places.has(place))
        .map(|k| k.name)
}

/// Whether `name` is a keyword machinist reads at `place`.
pub fn is_read_at(name: &str, place: Places) -> bool {
    get(name).is_some_and(|k| k.support == Support::Supported && k.places.has(place))
}

/// The keywords of task lists (tasks, blocks, imports, includes): every other key of
/// a task names its module.
pub fn task_keywords() -> impl Iterator<Item = &'static str> + Clone {
    read_at(Places::IN_TASKS)
}

/// Whether `name` is a keyword of task lists ([`task_keywords`]).
pub fn is_task_keyword(name: &str) -> bool {
    is_read_at(name, Places::IN_TASKS)
}

/// The keywords an include's `apply:` takes: those a block passes down to its
/// tasks (and that an include may bring in), and `name`. Ansible puts them on a block
/// around every task the include brings in.
pub fn applied() -> impl Iterator<Item = &'static str> + Clone {
    std::iter::once("name").chain(
        KEYWORDS
            .iter()
            .filter(|k| k.support == Support::Supported && k.inherited)
            .filter(|k| k.places.has(Places::BLOCK))
            .filter(|k| waiting_at(k.name, Places::INCLUDE).is_none())
            .map(|k| k.name),
    )
}

/// Whether an include's `apply:` takes `name` ([`applied`]).
pub fn is_applied(name: &str) -> bool {
    applied().any(|applied| applied == name)
}

/// The keywords that give a task its loop, and how each makes items of its value.
pub fn loops() -> impl Iterator<Item = (&'static str, Option<LegacyLoop>)> {
    KEYWORDS.iter().filter_map(|k| match k.parse {
        Parse::Loop(legacy) => Some((k.name, legacy)),
        _ => None,
    })
}

/// Whether `name` gives a task its loop.
pub fn is_loop(name: &str) -> bool {
    get(name).is_some_and(|k| matches!(k.parse, Parse::Loop(_)))
}

/// Whether `name` makes an entry a block, an import or an include (no module).
pub fn is_structural(name: &str) -> bool {
    get(name).is_some_and(|k| {
        k.name == "block" || matches!(k.parse, Parse::TaskFile { .. } | Parse::Role)
    })
}

/// Whether an entry with `name` reads other files while loading (an import, a role).
pub fn loads_files(name: &str) -> bool {
    get(name).is_some_and(|k| matches!(k.parse, Parse::TaskFile { loaded: true } | Parse::Role))
}

/// The issue an unimplemented Ansible keyword waits for, wherever it is written
/// (legacy `with_*` loops that are not among the loops read included:
/// `with_lines`, `with_env`, …).
pub fn waiting_for(name: &str) -> Option<u32> {
    match get(name) {
        Some(Keyword {
            support: Support::Waiting(issue),
            ..
        }) => Some(*issue),
        Some(_) => None,
        None if name.starts_with("with_") => Some(15),
        None => None,
    }
}

/// The issue `name` waits for at `place`, where it is refused though read elsewhere.
pub fn waiting_at(name: &str, place: Places) -> Option<u32> {
    get(name)
        .and_then(|k| k.waiting_on)
        .filter(|(places, _)| places.has(place))
        .map(|(_, issue)| issue)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_keyword_is_in_the_table_once() {
        for (at, keyword) in KEYWORDS.iter().enumerate() {
            assert!(
                KEYWORDS[..at].iter().all(|k| k.name != keyword.name),
                "{} twice",
                keyword.name
            );
        }
    }

    #[test]
    fn a_keyword_waits_only_where_it_is_not_read() {
        for keyword in KEYWORDS {
            if let Some((places, _)) = keyword.waiting_on {
                assert!(!keyword.places.has(places), "{}", keyword.name);
            }
            if let Support::Waiting(_) = keyword.support {
                assert_eq!(keyword.parse, Parse::Refused, "{}", keyword.name);
            }
        }
    }

    #[test]
    fn what_blocks_and_includes_take() {
        let block: Vec<&str> = read_at(Places::BLOCK).collect();
        assert!(block.contains(&"when") && block.contains(&"no_log"));
        assert!(!block.contains(&"register") && !block.contains(&"loop"));
        assert!(block.contains(&"notify"));
        assert_eq!(waiting_at("notify", Places::TASK), None);
        let include: Vec<&str> = read_at(Places::INCLUDE).collect();
        assert!(include.contains(&"loop") && include.contains(&"root"));
        assert!(!include.contains(&"become") && !include.contains(&"environment"));
        assert_eq!(waiting_for("with_lines"), Some(15));
        assert_eq!(waiting_for("with_items"), None);
        assert_eq!(waiting_for("delegate_to"), None);
        assert_eq!(waiting_at("delegate_to", Places::ROLE_ENTRY), None);
        assert!(
            is_read_at("become", Places::ROLE_ENTRY) && is_read_at("no_log", Places::ROLE_ENTRY)
        );
        assert_eq!(waiting_at("run_once", Places::INCLUDE), Some(16));
        assert_eq!(waiting_for("strategy"), None);
        assert_eq!(waiting_for("debugger"), Some(15));
        assert!(loads_files("import_role") && loads_files("include_role"));
        assert!(!loads_files("include_tasks"));
        for name in [
            "when",
            "tags",
            "vars",
            "become",
            "environment",
            "no_log",
            "check_mode",
        ] {
            assert!(is_applied(name), "{name}");
        }
        for name in ["loop", "register", "block", "rescue", "run_once", "async"] {
            assert!(!is_applied(name), "{name}");
        }
    }
}
