//! The executor: plays, tasks, blocks, loops, conditions, handlers and check mode.
//!
//! For each task it renders the arguments, asks the module for a plan, and either
//! applies the plan's ops through the Host or (check mode) records them in the Host's
//! overlay; then it reports an event. Nothing here prints.

mod actions;
mod batches;
mod becoming;
mod custom_stats;
mod delegate;
pub mod fetch;
mod forks;
pub mod handlers;
mod host_state;
mod hosts;
pub(crate) mod include_vars;
pub mod interrupt;
mod inventory_change;
pub(crate) mod jobs;
mod linear;
mod lock_roots;
pub mod module_run;
pub mod outcome;
mod pause;
mod plugin;
mod polling;
mod prompt;
pub mod remote;
mod reported;
mod retry;
mod secrets;
pub(crate) mod setup;
mod sources;
mod step;
mod synchronize;
mod tags;
mod task;
pub(crate) mod uri;
mod validate_argument_spec;
pub(crate) mod wait_for;
mod wait_for_connection;

pub(crate) use actions::chroot_warning;
pub use outcome::Outcome;
pub use tags::TagFilter;

use crate::error::SourceMap;
use crate::events::{Event, Recap};
use crate::facts;
use crate::playbook::model::{Condition, Play, Playbook, Task, TaskKind};
use crate::report::Reporter;
use crate::template::Templates;
use crate::vars::Layer;
use host_state::HostState;
use machinist_modules::{Host, HostOptions};
use remote::Site;
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The one host name until inventories exist.
pub const LOCALHOST: &str = "localhost";

/// What the user asked for on the command line.
#[derive(Debug, Clone, Default)]
pub struct RunOptions {
    pub check: bool,
    pub diff: bool,
    pub tags: TagFilter,
    pub start_at_task: Option<String>,
    /// The target's `/` (`--root`); `/` when not given.
    pub root: Option<PathBuf>,
    pub extra_vars: Layer,
    pub verbosity: u8,
    /// `--no-wait`: fail at once when another run holds the root's lock.
    pub no_wait: bool,
    /// The inventory (`-i`): plays run on the hosts their `hosts:` selects in it;
    /// localhost alone without one.
    pub inventory: Option<std::sync::Arc<crate::inventory::Inventory>>,
    /// `--limit`: the pattern a play's hosts are narrowed to.
    pub limit: Option<String>,
    /// `-f/--forks`: how many hosts a task's action runs on at once (0 and 1: one).
    pub forks: usize,
    /// Starts the agent of a `machine` or `ssh` host (the binary's, from
    /// runner/connection/); without one such hosts are refused.
    pub connector: Option<remote::Connector>,
    /// `--force-handlers`: as every play's `force_handlers: true`.
    pub force_handlers: bool,
    /// `-b`, `--become-user`, `--become-method`: below hosts' `ansible_become*` and
    /// the playbook's keywords (run/becoming.rs).
    pub command_line_become: crate::inventory::connection::BecomeChoice,
    /// `-c`, `-u`, `--private-key`, `-T`, `--ssh-common-args`, `--ssh-extra-args`:
    /// below hosts' own variables.
    pub connection_defaults: crate::inventory::connection::ConnectionDefaults,
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Success,
    /// Some task failed (exit 2), whether or not a host was also unreachable.
    Failed,
    /// Some host could not be reached, and no task failed (exit 3).
    Unreachable,
    /// A signal stopped the run (exit 128 + the signal: see `interrupt`).
    Interrupted(i32),
}

/// An error that stops the run and is not a task's failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Input(#[from] crate::error::InputError),
    #[error("{0}")]
    Host(#[from] machinist_modules::ModuleError),
    #[error("{0}")]
    Lock(#[from] crate::root_lock::LockError),
}

/// Run every play of every playbook, in order.
pub fn run(
    playbooks: &[Playbook],
    options: &RunOptions,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<RunStatus, RunError> {
    prompt::check_terminal(playbooks, &options.extra_vars)?;
    let templates = Templates::new();
    let base_host = Host::new(HostOptions::new(
        options.root.clone().unwrap_or_else(|| PathBuf::from("/")),
    ))?;
    let shared = step::Shared {
        templates: &templates,
        sources,
        extra_vars: &options.extra_vars,
        verbosity: options.verbosity,
        controller_files: Default::default(),
        chroot_warned: Default::default(),
        command_line_become: &options.command_line_become,
        local_agent: options.connector.clone().map(|connector| {
            Site::Remote(
                std::sync::Arc::new(remote::RemoteHost::this_machine(connector, &base_host)),
                None,
            )
        }),
    };
    let base = Rc::new(Site::Local(base_host));
    let mut executor = Executor {
        options,
        shared: &shared,
        reporter,
        // No host's state until a play enters one (see hosts.rs).
        target: HostState::new(LOCALHOST, Rc::clone(&base)),
        base,
        hosts: Vec::new(),
        current: None,
        step_banner: None,
        first_of_host: false,
        play_ended: false,
        no_hosts_left: false,
        start_at: options.start_at_task.clone(),
        rescue_depth: 0,
        ignore_depth: 0,
        progress: interrupt::Progress::default(),
        locks: Vec::new(),
        includes: Vec::new(),
        writes_in_check_mode: lock_roots::writes_in_check_mode(playbooks),
        batch: batches::Batch::default(),
        delegated_to: None,
        delegates: Vec::new(),
        variants: Vec::new(),
        inventory: options.inventory.clone(),
        added_vars: std::collections::HashMap::new(),
        inventory_changed: false,
        playbook_folder: PathBuf::new(),
        custom_stats: Default::default(),
        run_once_hosts: None,
    };
    for playbook in playbooks {
        for play in &playbook.plays {
            // As ansible-playbook: when every host of a play has failed, the run
            // stops ("NO MORE HOSTS LEFT"); no later play starts.
            if interrupt::pending().is_some() || executor.no_hosts_left {
                break;
            }
            if let Err(err) = executor.play(playbook, play) {
                executor.leave();
                // The error goes to stderr after what the run has shown.
                executor.reporter.flush();
                return Err(err);
            }
        }
    }
    let interrupted = interrupt::pending();
    if let Some(signal) = interrupted {
        let plays = playbooks.iter().flat_map(|playbook| &playbook.plays);
        let summary = executor.progress.summary(signal, plays, &options.tags);
        executor
            .reporter
            .event(&Event::Interrupted(Box::new(summary)));
    }
    let mut recap = Recap::default();
    // As Ansible's, the recap names the hosts some task counted for: not one that
    // only a run_once task's batch, or a delegate_facts task, reached.
    let counted = executor
        .hosts
        .iter()
        .filter(|host| host.stats != crate::events::Stats::default());
    for host in counted {
        recap.hosts.insert(host.name.clone(), host.stats);
    }
    recap.custom_stats = std::mem::take(&mut executor.custom_stats.by_host);
    executor.reporter.event(&Event::Recap(recap));
    executor.close_remotes();
    let failed = executor.hosts.iter().any(|host| host.failed);
    let unreachable = executor.hosts.iter().any(|host| host.unreachable);
    Ok(match interrupted {
        Some(signal) => RunStatus::Interrupted(signal),
        None if failed => RunStatus::Failed,
        None if unreachable => RunStatus::Unreachable,
        None => RunStatus::Success,
    })
}

/// State of one run.
struct Executor<'a> {
    options: &'a RunOptions,
    /// What every task's step reads (templates, sources, caches).
    shared: &'a step::Shared<'a>,
    reporter: &'a mut dyn Reporter,
    /// The host the task flow acts on now (entered from `hosts`, see hosts.rs), and
    /// what it has gathered and counted.
    target: HostState,
    /// The run's `/` (`--root`): hosts without a `machinist_root` act on it.
    base: Rc<Site>,
    /// Every host a play has reached, in the order reached (the recap's order); the
    /// entered one's place holds a stand-in until it is left.
    hosts: Vec<HostState>,
    /// Which of `hosts` is entered.
    current: Option<usize>,
    /// The first banner of this step of the linear strategy (a task, for every
    /// host): its task and name. Another host's step starting with the same task
    /// shows no banner of its own: one banner, then a result line per host.
    step_banner: Option<(usize, String)>,
    /// The entered host has shown no banner yet in this step.
    first_of_host: bool,
    /// `meta: end_play` ended the play for every host.
    play_ended: bool,
    /// Every host of the last play failed: the run stops.
    no_hosts_left: bool,
    /// `--start-at-task`: tasks are passed over until one has this name.
    start_at: Option<String>,
    /// How many enclosing blocks have a `rescue` (a failure inside is rescued).
    rescue_depth: u32,
    /// How many enclosing blocks have `ignore_errors: true` (their tasks inherit it).
    ignore_depth: u32,
    /// What a signal's report would say was done and not done.
    progress: interrupt::Progress,
    /// The roots this run has locked (see root_lock.rs); released when the run ends.
    locks: Vec<crate::root_lock::RootLock>,
    /// Some task has `check_mode: false`: even `--check` takes the exclusive lock.
    writes_in_check_mode: bool,
    /// The `include_tasks` files being run, outermost first (bounded: a file that
    /// includes itself would otherwise recurse until the stack overflows).
    includes: Vec<PathBuf>,
    /// The batch of the play being run (its failures, for `max_fail_percentage`).
    batch: batches::Batch,
    /// The delegate the task being reported acts on (`[web1 -> localhost]`).
    delegated_to: Option<delegate::Delegation>,
    /// The Hosts of delegates that are no host of a play (yet), by name.
    delegates: Vec<(String, Rc<Site>)>,
    /// Remote hosts reached as another user or on another port than their own
    /// target (the `remote_user` and `port` keywords), one session each for the run.
    variants: Vec<Rc<Site>>,
    /// The run's inventory, as `add_host` and `group_by` changed it (a copy of
    /// `options.inventory` made at the first change).
    inventory: Option<std::sync::Arc<crate::inventory::Inventory>>,
    /// Variables `add_host` gave hosts, over their inventory variables.
    added_vars: std::collections::HashMap<String, Layer>,
    /// A step changed the inventory: the play's hosts see it after the step.
    inventory_changed: bool,
    /// The folder of the playbook being run (its group_vars/ and host_vars/).
    playbook_folder: PathBuf,
    /// What `set_stats` kept (run/custom_stats.rs), given to the recap.
    custom_stats: custom_stats::CustomStats,
    /// The hosts of the batch while a `run_once` task runs (its statistics are
    /// theirs).
    run_once_hosts: Option<Vec<String>>,
}

/// State of one play.
struct PlayState<'p> {
    play: &'p Play,
    host: Rc<Site>,
    magic: Layer,
    /// The host's inventory variables (just above `magic`, below the play's vars).
    inventory: Layer,
    /// Every inventory host's variables, for `hostvars`.
    everyone: Rc<hosts::Everyone>,
    /// The answers to the play's `vars_prompt` (just above its `vars`).
    prompted: Layer,
    notified: handlers::Notified,
    ended: bool,
    /// The context of a task with no variables of its own (see `Executor::context`),
    /// and the facts' change count it was built at.
    plain_context: std::cell::RefCell<Option<(u64, minijinja::Value)>>,
}

/// The host lists of a play's magic variables: `ansible_play_hosts_all` (the
/// pattern's hosts), `ansible_play_hosts` (those not failed when the play started)
/// and `ansible_play_batch` (the batch's, in the play's `order`).
struct PlayHosts<'h> {
    all: &'h [String],
    active: &'h [String],
    batch: Vec<String>,
}

/// Scopes a task inherits from the blocks and includes around it.
#[derive(Default, Clone)]
struct Inherited<'t> {
    vars: Vec<Layer>,
    /// Loop variables of enclosing looped includes (above facts, like a task's own).
    looped: Vec<Layer>,
    when: Vec<&'t Condition>,
    /// The Host of an enclosing block's `root:` (the play's otherwise).
    host: Option<Rc<Site>>,
    /// Inside a handler (tasks a handler includes are shown as handlers, as Ansible's).
    handler: bool,
}

impl Inherited<'_> {
    /// The scope a handler runs in.
    fn handler() -> Self {
        Inherited {
            handler: true,
            ..Inherited::default()
        }
    }
}

/// How running a list of tasks ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    /// A task failed (and was not rescued or ignored).
    Failed,
    /// The host could not be reached for a task (and `ignore_unreachable` was not
    /// set): it leaves the play and the run, as in Ansible; no rescue, no always.
    Unreachable,
    /// `meta: end_play` / `end_host`.
    EndPlay,
    /// A signal asked the run to stop: nothing more runs, not even `rescue`,
    /// `always` or handlers.
    Interrupted,
}

impl<'a> Executor<'a> {
    /// Run `play` on its hosts with Ansible's linear strategy: each task of a section
    /// runs for every host still in the play before the next task starts; a host
    /// whose task fails leaves the play (and the run), the others go on.
    fn play(&mut self, playbook: &Playbook, play: &Play) -> Result<(), RunError> {
        self.playbook_folder = hosts::playbook_folder(playbook).to_path_buf();
        let root = self
            .options
            .root
            .clone()
            .unwrap_or_else(|| PathBuf::from("/"));
        let names = self.play_host_names(play)?;
        // As ansible-playbook: a pattern that matches nothing warns when its play starts
        // (a group that add_host or group_by makes by then is no warning).
        if let Some(inventory) = &self.inventory {
            for warning in inventory.take_warnings() {
                self.reporter.event(&Event::Warning(warning));
            }
        }
        if let Some(strategy) = &play.strategy_as_linear {
            self.reporter.event(&Event::Warning(format!(
                "play '{}': strategy {strategy} runs as linear: the same tasks, results and \
                 changes, with every host finishing a task before the next begins",
                play.name
            )));
        }
        // Asked before the root is locked: no other run waits while a person types.
        let reporter = &mut *self.reporter;
        let prompted = prompt::ask(play, &self.options.extra_vars, &mut |warning| {
            reporter.event(&Event::Warning(warning))
        })?;
        if !self.lock_root(&root)? {
            return Ok(());
        }
        // As ansible-playbook: a host that failed in an earlier play is left out.
        let active: Vec<String> = names
            .iter()
            .filter(|name| {
                !self
                    .hosts
                    .iter()
                    .any(|host| host.name == **name && (host.failed || host.unreachable))
            })
            .cloned()
            .collect();
        if active.is_empty() {
            self.reporter.event(&Event::PlayStart {
                name: play.name.clone(),
            });
            self.reporter.event(&Event::Warning(format!(
                "play '{}': no hosts matched (or every host has failed): skipping",
                play.name
            )));
            return Ok(());
        }
        let everyone = Rc::new(self.everyone(playbook));
        let ordered = batches::ordered(active.clone(), play.order, String::clone);
        for batch_names in batches::batches(ordered, &play.serial) {
            if interrupt::pending().is_some() {
                break;
            }
            // Each host's state is made when its batch starts (a host no batch
            // reached is in no recap, as in Ansible).
            let mut batch = Vec::with_capacity(batch_names.len());
            for name in &batch_names {
                let vars = self.inventory_vars(playbook, name);
                let index = self.host_index(play, name, &vars)?;
                // A remote host's roots are its agent's: none of this machine's is locked.
                let host_root = self.hosts[index].roots[0]
                    .1
                    .local()
                    .map(|host| host.root().to_path_buf());
                if let Some(host_root) = host_root {
                    if !self.lock_root(&host_root)? {
                        return Ok(());
                    }
                }
                batch.push((index, vars));
            }
            self.reporter.event(&Event::PlayStart {
                name: play.name.clone(),
            });
            let hosts = PlayHosts {
                all: &names,
                active: &active,
                batch: batch_names,
            };
            self.batch = batches::Batch::new(play, batch.len());
            self.play_batch(playbook, play, &prompted, batch, &everyone, &hosts)?;
            if self.no_hosts_left {
                break;
            }
        }
        Ok(())
    }

    /// One batch of `play`'s hosts (all of them without `serial`) through the whole
    /// play, linearly; when every host of the batch failed, the run ends.
    fn play_batch(
        &mut self,
        playbook: &Playbook,
        play: &Play,
        prompted: &Layer,
        batch: Vec<(usize, Layer)>,
        everyone: &Rc<hosts::Everyone>,
        hosts: &PlayHosts<'_>,
    ) -> Result<(), RunError> {
        self.play_ended = false;
        let mut slots: Vec<linear::Slot<'_>> = Vec::with_capacity(batch.len());
        self.step_banner = None;
        for (index, inventory) in batch {
            self.enter(index);
            let slot = self.play_state(playbook, play, prompted, inventory, everyone, hosts);
            self.leave();
            if let Some(state) = slot? {
                slots.push((index, state, false));
            }
        }
        if play.gather_facts {
            self.step_banner = None;
            for (index, state, done) in &mut slots {
                self.enter(*index);
                *done |= !self.gather_facts(state);
                self.leave();
            }
        }
        'sections: for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            let running = (0..slots.len())
                .filter(|slot| !slots[*slot].2)
                .map(|slot| (slot, Inherited::default()))
                .collect();
            let mut flows = self.linear(&mut slots, running, section);
            flows.sort_by_key(|(slot, _)| *slot);
            let mut interrupted = false;
            for (slot, flow) in flows {
                let (index, state, done) = &mut slots[slot];
                self.enter(*index);
                interrupted |= self.conclude_host(state, flow, done);
                self.leave();
            }
            if interrupted || self.play_ended {
                break 'sections;
            }
            // Ansible's flush after a section is a task tagged `always`: under
            // `--skip-tags always` notified handlers do not run there.
            if !self.options.tags.selects(&["always".to_string()]) {
                continue;
            }
            let mut interrupted = false;
            for (slot, flow) in self.flush_linear(&mut slots, play) {
                let (index, state, done) = &mut slots[slot];
                self.enter(*index);
                interrupted |= self.conclude_host(state, flow, done);
                self.leave();
            }
            if interrupted {
                break 'sections;
            }
        }
        self.no_hosts_left = slots
            .iter()
            .all(|(index, _, _)| self.hosts[*index].failed || self.hosts[*index].unreachable);
        if interrupt::pending().is_some() {
            let mut pending = Vec::new();
            for (_, state, _) in &slots {
                for name in state.notified.names(play) {
                    if !pending.contains(&name) {
                        pending.push(name);
                    }
                }
            }
            self.progress.handlers_not_run = pending;
        }
        Ok(())
    }

    /// What a flow means for the entered host: it failed (and leaves the play), it
    /// ended its play, or a signal stops the run (`true`).
    fn conclude_host(&mut self, state: &mut PlayState<'_>, flow: Flow, done: &mut bool) -> bool {
        match flow {
            Flow::Continue => false,
            Flow::Failed => {
                self.target.failed = true;
                *done = true;
                false
            }
            Flow::Unreachable => {
                self.target.unreachable = true;
                *done = true;
                false
            }
            Flow::EndPlay => {
                state.ended = true;
                *done = true;
                false
            }
            Flow::Interrupted => true,
        }
    }

    /// The entered host's state for `play`: its Host (the play's `root:` inside its
    /// own), its magic and inventory variables. `None`: the play's root failed it.
    fn play_state<'p>(
        &mut self,
        playbook: &Playbook,
        play: &'p Play,
        prompted: &Layer,
        inventory: Layer,
        everyone: &Rc<hosts::Everyone>,
        play_hosts: &PlayHosts<'_>,
    ) -> Result<Option<PlayState<'p>>, RunError> {
        let host = match &play.root {
            None => Rc::clone(&self.target.roots[0].1),
            Some(node) => {
                let mut base_magic =
                    self.magic_vars(playbook, play, &self.target.roots[0].1.root(), play_hosts);
                base_magic.extend(&inventory);
                match self.play_host(node, &base_magic, play, prompted) {
                    Ok(host) => host,
                    Err(msg) => {
                        self.root_failed(play, msg);
                        return Ok(None);
                    }
                }
            }
        };
        let magic = self.magic_vars(playbook, play, &host.root(), play_hosts);
        let layers = [
            &magic,
            &inventory,
            &play.vars,
            prompted,
            &self.options.extra_vars,
        ];
        let host_layers = [&inventory, &self.options.extra_vars];
        let host = match self.play_reached_as(play, host, &layers, &host_layers) {
            Ok(host) => host,
            Err(msg) => {
                self.root_failed(play, msg);
                return Ok(None);
            }
        };
        // A remote host's roots are its agent's: none of this machine's is locked.
        let local_root = host.local().map(|host| host.root().to_path_buf());
        if let (Some(_), Some(root)) = (&play.root, local_root) {
            if !self.lock_root(&root)? {
                return Ok(None);
            }
        }
        Ok(Some(PlayState {
            play,
            magic,
            inventory,
            everyone: Rc::clone(everyone),
            host,
            prompted: prompted.clone(),
            notified: handlers::Notified::default(),
            ended: false,
            plain_context: Default::default(),
        }))
    }

    /// The Host of a play with `root:`: the rendered path inside the run's root, one
    /// Host per path for the whole run.
    fn play_host(
        &mut self,
        node: &crate::yaml::Node,
        magic: &Layer,
        play: &Play,
        prompted: &Layer,
    ) -> Result<Rc<Site>, String> {
        let mut layers: Vec<&Layer> = vec![magic, &play.vars, prompted];
        layers.extend(play.vars_files.iter());
        layers.push(&self.target.facts.layer);
        layers.push(&self.options.extra_vars);
        let ctx = crate::vars::context(&layers, self.shared.templates);
        self.host_for_root(node, &ctx)
    }

    /// The Host of a `root:` (a play's, a block's or a task's), rendered with `ctx`:
    /// a directory inside the run's root, one Host per path for the whole run.
    fn host_for_root(
        &mut self,
        node: &crate::yaml::Node,
        ctx: &minijinja::Value,
    ) -> Result<Rc<Site>, String> {
        let text = node.as_str().unwrap_or_default();
        let rendered = self
            .shared
            .templates
            .render_str(text, ctx)
            .map_err(|err| format!("{}: root: {err}", node.span))?;
        let path = PathBuf::from(rendered.trim());
        if !path.is_absolute() {
            return Err(format!(
                "{}: root '{}' must be an absolute path",
                node.span,
                path.display()
            ));
        }
        if let Some((_, host)) = self.target.roots.iter().find(|(known, _)| *known == path) {
            return Ok(Rc::clone(host));
        }
        let host = self.target.roots[0]
            .1
            .within(&path)
            .map(Rc::new)
            .map_err(|err| format!("{}: root {}: {err}", node.span, path.display()))?;
        self.target.roots.push((path, Rc::clone(&host)));
        Ok(host)
    }

    /// `inherited` with a block's or task's `root:` applied: its Host, and
    /// `machinist_root` naming it.
    fn with_root<'t>(
        &mut self,
        state: &PlayState<'_>,
        task: &Task,
        inherited: &Inherited<'t>,
        looped: Option<&Layer>,
    ) -> Result<Inherited<'t>, String> {
        let mut inner = inherited.clone();
        if let Some(node) = task.root() {
            let ctx = self.context(state, inherited, task, looped);
            let host = self.host_for_root(node, &ctx)?;
            let mut magic = Layer::default();
            magic.set(
                "machinist_root",
                minijinja::Value::from(host.root().display().to_string()),
            );
            inner.vars.push(magic);
            inner.host = Some(host);
        }
        Ok(inner)
    }

    /// A play whose `root:` cannot be used fails before its first task.
    fn root_failed(&mut self, play: &Play, msg: String) {
        let task = "Choosing the play's root".to_string();
        self.task_start(0, task.clone(), false);
        self.target.stats.failed += 1;
        self.target.failed = true;
        let shown_msg = msg.clone();
        self.reporter
            .event(&Event::TaskResult(Box::new(crate::events::TaskResult {
                play: play.name.clone(),
                task,
                module: "root".into(),
                host: self.target.name.clone(),
                delegated_to: None,
                status: crate::events::Status::Failed,
                diff: Vec::new(),
                shown: Some(serde_json::json!({ "changed": false, "msg": msg })),
                msg: Some(msg),
                item: None,
                label: None,
                ignored: false,
                result: serde_json::json!({ "changed": false, "failed": true, "msg": shown_msg }),
                show_diff: false,
            })));
    }

    fn magic_vars(
        &self,
        playbook: &Playbook,
        play: &Play,
        root: &Path,
        play_hosts: &PlayHosts<'_>,
    ) -> Layer {
        let mut magic = self.host_magic(&self.target.name);
        let dir = playbook
            .path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    std::path::Path::new(".")
                } else {
                    p
                }
            })
            .and_then(|p| std::fs::canonicalize(p).ok())
            .unwrap_or_else(|| PathBuf::from("."));
        magic.set(
            "playbook_dir",
            minijinja::Value::from(dir.display().to_string()),
        );
        magic.set(
            "ansible_check_mode",
            minijinja::Value::from(self.options.check),
        );
        magic.set(
            "machinist_check_mode",
            minijinja::Value::from(self.options.check),
        );
        magic.set(
            "ansible_diff_mode",
            minijinja::Value::from(self.options.diff),
        );
        magic.set(
            "ansible_play_name",
            minijinja::Value::from(play.name.as_str()),
        );
        let names = |list: &[String]| {
            minijinja::Value::from(list.iter().map(minijinja::Value::from).collect::<Vec<_>>())
        };
        magic.set("ansible_play_role_names", names(&play.role_names.play));
        magic.set("role_names", names(&play.role_names.play));
        magic.set(
            "ansible_dependent_role_names",
            names(&play.role_names.dependent),
        );
        let mut all: Vec<String> = play.role_names.dependent.clone();
        for name in &play.role_names.play {
            if !all.contains(name) {
                all.push(name.clone());
            }
        }
        magic.set("ansible_role_names", names(&all));
        magic.set(
            "machinist_root",
            minijinja::Value::from(root.display().to_string()),
        );
        magic.set("omit", minijinja::Value::from(crate::template::OMIT));
        self.play_magic(&mut magic, play_hosts);
        // The host's own (its inventory variable, when it has one, is above this).
        let connection = self.target.roots[0]
            .1
            .remote()
            .map_or("local", |remote| remote.target().connection.name());
        magic.set("ansible_connection", minijinja::Value::from(connection));
        magic.set(
            "ansible_facts",
            minijinja::Value::from_iter(Vec::<(String, minijinja::Value)>::new()),
        );
        magic.set(
            "ansible_search_path",
            minijinja::Value::from(vec![dir.display().to_string()]),
        );
        let tags = &self.options.tags;
        let run_tags = if tags.only.is_empty() {
            vec!["all".to_string()]
        } else {
            tags.only.clone()
        };
        magic.set("ansible_run_tags", minijinja::Value::from(run_tags));
        magic.set(
            "ansible_skip_tags",
            minijinja::Value::from(tags.skip.clone()),
        );
        magic.set(
            "ansible_verbosity",
            minijinja::Value::from(self.options.verbosity),
        );
        magic.set("ansible_version", ansible_version());
        magic.set("ansible_forks", minijinja::Value::from(self.options.forks));
        if let Some(limit) = &self.options.limit {
            magic.set("ansible_limit", minijinja::Value::from(limit.as_str()));
        }
        magic
    }

    /// A task's banner, shown once for all the hosts that run it in this step of the
    /// linear strategy (`key` tells the task apart from another of the same name).
    fn task_start(&mut self, key: usize, name: String, handler: bool) {
        let banner = (key, name);
        if std::mem::take(&mut self.first_of_host) {
            if self.step_banner.as_ref() == Some(&banner) {
                return;
            }
            self.step_banner.get_or_insert_with(|| banner.clone());
        }
        self.reporter.event(&Event::TaskStart {
            name: banner.1,
            handler,
        });
    }

    /// Gather the entered host's facts (through its agent on a remote host); `false`
    /// when the host could not be reached (it leaves the play, unless the play's
    /// `ignore_unreachable` keeps it).
    fn gather_facts(&mut self, state: &PlayState) -> bool {
        self.task_start(1, "Gathering Facts".into(), false);
        let (gather_subset, gathering) = match self.play_gathering(state) {
            Ok(rendered) => rendered,
            Err(msg) => return self.facts_not_gathered(state, Outcome::failed(msg)),
        };
        let gathering = &gathering;
        let all: serde_json::Map<String, serde_json::Value> = match &*state.host {
            Site::Local(host) => facts::gather(host, gathering)
                .iter()
                .map(|(name, value)| (name.clone(), crate::vars::to_json(value)))
                .collect(),
            Site::Remote(remote, _) => match remote.gather_facts(
                becoming::for_facts(
                    &state.play.become_,
                    remote.target(),
                    &self.options.command_line_become,
                )
                .as_ref(),
                gathering,
            ) {
                Ok(facts) => facts,
                Err(unreachable) => {
                    let outcome = Outcome::unreachable(unreachable.message);
                    return self.facts_not_gathered(state, outcome);
                }
            },
        };
        let selected = match setup::select_subsets(&all, gather_subset.as_deref()) {
            Ok(selected) => selected,
            Err(msg) => return self.facts_not_gathered(state, Outcome::failed(msg)),
        };
        for (name, value) in &selected {
            let var = setup::registered_name(name);
            self.target
                .facts
                .set_gathered(&var, crate::vars::from_json(value));
        }
        // The event's `ansible_facts` are the facts by their names without `ansible_`.
        let ansible_facts = serde_json::Value::Object(selected.clone());
        // Merged into the host's `ansible_facts`, as Ansible's fact cache merges: an
        // earlier play's facts the subset did not collect, and cacheable set_facts, stay.
        let mut namespaced = match self.target.facts.layer.get("ansible_facts") {
            Some(earlier) => match crate::vars::to_json(earlier) {
                serde_json::Value::Object(earlier) => earlier,
                _ => serde_json::Map::new(),
            },
            None => serde_json::Map::new(),
        };
        namespaced.extend(selected);
        namespaced.insert(setup::GATHERED_MARK.into(), serde_json::Value::Bool(true));
        self.target.facts.set_gathered(
            "ansible_facts",
            crate::vars::from_json(&serde_json::Value::Object(namespaced)),
        );
        self.target.stats.ok += 1;
        self.reporter
            .event(&Event::TaskResult(Box::new(crate::events::TaskResult {
                play: state.play.name.clone(),
                task: "Gathering Facts".into(),
                module: "gather_facts".into(),
                host: self.target.name.clone(),
                delegated_to: None,
                status: crate::events::Status::Ok,
                diff: Vec::new(),
                msg: None,
                item: None,
                label: None,
                ignored: false,
                result: serde_json::json!({
                    "changed": false,
                    "failed": false,
                    "ansible_facts": ansible_facts,
                }),
                shown: None,
                show_diff: false,
            })));
        true
    }

    /// Gathering facts could not reach the entered host: reported and counted; whether
    /// it stays in the play (the play's `ignore_unreachable`).
    fn facts_not_gathered(&mut self, state: &PlayState, outcome: Outcome) -> bool {
        let ignored = outcome.unreachable && state.play.ignore_unreachable;
        if ignored {
            self.target.stats.ok += 1;
            self.target.stats.ignored += 1;
        } else if outcome.unreachable {
            self.target.stats.unreachable += 1;
            self.target.unreachable = true;
        } else {
            self.target.stats.failed += 1;
            self.target.failed = true;
        }
        self.reporter
            .event(&Event::TaskResult(Box::new(crate::events::TaskResult {
                play: state.play.name.clone(),
                task: "Gathering Facts".into(),
                module: "gather_facts".into(),
                host: self.target.name.clone(),
                delegated_to: None,
                status: outcome.status(),
                diff: Vec::new(),
                msg: outcome.msg.clone(),
                item: None,
                label: None,
                ignored,
                result: outcome.registered(),
                shown: outcome.shown.clone(),
                show_diff: false,
            })));
        ignored
    }

    /// The play's `gather_subset` and `fact_path`, rendered for the entered host where
    /// they are templates (a template giving a list gives its names; a text is split
    /// at commas, as a text written there is), the subsets then checked.
    fn play_gathering(
        &self,
        state: &PlayState,
    ) -> Result<(Option<Vec<String>>, facts::Gathering), String> {
        let play = &state.play;
        let templated = |text: &str| crate::template::Templates::is_template(text);
        let mut gathering = play.gathering.clone();
        let subset_templated = play
            .gather_subset
            .as_ref()
            .is_some_and(|names| names.iter().any(|name| templated(name)));
        let path_templated = gathering.fact_path.as_deref().is_some_and(templated);
        if !subset_templated && !path_templated {
            return Ok((play.gather_subset.clone(), gathering));
        }
        let mut layers: Vec<&Layer> =
            vec![&state.magic, &state.inventory, &play.vars, &state.prompted];
        layers.extend(play.vars_files.iter());
        layers.push(&self.target.facts.layer);
        layers.push(&self.options.extra_vars);
        let ctx = with_vars_and_hostvars(
            crate::vars::context(&layers, self.shared.templates),
            self.hostvars(&state.everyone),
        );
        let templates = self.shared.templates;
        if let Some(path) = gathering.fact_path.as_mut().filter(|path| templated(path)) {
            *path = templates
                .render_str(path, &ctx)
                .map_err(|err| format!("fact_path: {err}"))?;
        }
        let Some(names) = play.gather_subset.as_ref().filter(|_| subset_templated) else {
            return Ok((play.gather_subset.clone(), gathering));
        };
        let mut rendered = Vec::new();
        for name in names {
            if !templated(name) {
                rendered.push(name.clone());
                continue;
            }
            let value = templates
                .render_native(name, &ctx)
                .map_err(|err| format!("gather_subset: {err}"))?;
            match crate::vars::to_json(&value) {
                serde_json::Value::Array(items) => {
                    rendered.extend(items.iter().map(|item| match item {
                        serde_json::Value::String(text) => text.clone(),
                        other => other.to_string(),
                    }))
                }
                serde_json::Value::String(text) => rendered.extend(
                    text.split(',')
                        .map(|part| part.trim().to_string())
                        .filter(|part| !part.is_empty()),
                ),
                other => rendered.push(other.to_string()),
            }
        }
        facts::subsets::check_subsets(&rendered).map_err(|msg| format!("gather_subset: {msg}"))?;
        Ok((Some(rendered), gathering))
    }

    /// Say goodbye to every remote host's agent (`bye`), delegates' included; the
    /// `async:` jobs of this process still running are stopped (run/jobs.rs).
    fn close_remotes(&self) {
        jobs::stop_all();
        let hosts = self.hosts.iter().map(|host| &*host.roots[0].1);
        let delegates = self.delegates.iter().map(|(_, site)| &**site);
        let variants = self.variants.iter().map(|site| &**site);
        // This machine's agents as other users (local tasks' become_user).
        let local_agent = self.shared.local_agent.iter();
        for site in hosts.chain(delegates).chain(variants).chain(local_agent) {
            if let Some(remote) = site.remote() {
                remote.close();
            }
        }
    }

    /// Run a list of tasks; stop at the first failure that is not handled.
    fn tasks<'t>(
        &mut self,
        state: &mut PlayState<'_>,
        tasks: &'t [Task],
        inherited: &Inherited<'t>,
        handler: bool,
    ) -> Flow {
        for task in tasks {
            if interrupt::pending().is_some() {
                return Flow::Interrupted;
            }
            let flow = match &task.kind {
                TaskKind::Block {
                    block,
                    rescue,
                    always,
                } => self.block(state, task, inherited, (block, rescue, always), handler),
                TaskKind::Action { .. }
                | TaskKind::IncludeTasks { .. }
                | TaskKind::IncludeRole { .. }
                | TaskKind::IncludeRoleNamed { .. } => self.task(state, task, inherited, handler),
            };
            if flow != Flow::Continue {
                return flow;
            }
        }
        Flow::Continue
    }

    fn block<'t>(
        &mut self,
        state: &mut PlayState<'_>,
        task: &'t Task,
        inherited: &Inherited<'t>,
        (block, rescue, always): (&'t [Task], &'t [Task], &'t [Task]),
        handler: bool,
    ) -> Flow {
        let mut inner = match self.with_root(state, task, inherited, None) {
            Ok(inner) => inner,
            Err(msg) => return self.root_task_failed(state, task, msg),
        };
        inner.when.extend(task.when.iter());
        if !task.vars.is_empty() {
            inner.vars.push(task.vars.clone());
        }
        // As Ansible: a block's ignore_errors is inherited by its tasks.
        let lenient = u32::from(task.ignore_errors);
        self.ignore_depth += lenient;
        let mut flow = self.in_rescuable(!rescue.is_empty(), |this| {
            this.tasks(state, block, &inner, handler)
        });
        if flow == Flow::Interrupted {
            return flow;
        }
        if flow == Flow::Failed && !rescue.is_empty() {
            self.rescuing();
            flow = self.tasks(state, rescue, &inner, handler);
        }
        if flow != Flow::EndPlay && flow != Flow::Unreachable {
            let after = self.tasks(state, always, &inner, handler);
            if after != Flow::Continue {
                flow = after;
            }
        }
        self.ignore_depth -= lenient;
        flow
    }

    /// The current host goes into a block's `rescue`: counted, and its last failure
    /// given as `ansible_failed_task` and `ansible_failed_result`.
    fn rescuing(&mut self) {
        self.target.stats.rescued += 1;
        if let Some((task, result)) = self.target.last_failure.take() {
            self.target
                .facts
                .set("ansible_failed_task", crate::vars::from_json(&task));
            self.target
                .facts
                .set("ansible_failed_result", crate::vars::from_json(&result));
        }
    }

    fn in_rescuable(&mut self, rescuable: bool, body: impl FnOnce(&mut Self) -> Flow) -> Flow {
        let depth = u32::from(rescuable);
        self.rescue_depth += depth;
        let flow = body(self);
        self.rescue_depth -= depth;
        flow
    }

    /// Whether `task` runs at all under `--tags`/`--skip-tags` and `--start-at-task`.
    fn selected(&mut self, task: &Task) -> bool {
        if let Some(wanted) = &self.start_at {
            let name = task.display_name();
            if task.name.as_deref() != Some(wanted.as_str()) && &name != wanted {
                return false;
            }
            self.start_at = None;
        }
        self.options.tags.selects(&task.tags)
    }

    /// The variables a task sees, lowest precedence first: magic, role defaults, play
    /// vars, vars_files, role vars, block and include vars, task vars, facts, role
    /// parameters, loop variables (the task's own `looped`, then those of enclosing
    /// looped includes), extra vars.
    fn context(
        &self,
        state: &PlayState<'_>,
        inherited: &Inherited<'_>,
        task: &Task,
        looped: Option<&Layer>,
    ) -> minijinja::Value {
        let role = task.origin.role.as_deref();
        // Most tasks add nothing to the play's variables, the facts and the extra
        // vars; while none of those is templated (rendered anew for each task: a
        // lookup may answer differently) and the facts are unchanged, such a task's
        // context is the one built for the last of them.
        let plain = role.is_none()
            && looped.is_none()
            && inherited.looped.is_empty()
            && task.vars.is_empty()
            && inherited.vars.iter().all(Layer::is_empty)
            && [
                &state.magic,
                &state.inventory,
                &state.play.vars,
                &state.prompted,
                &self.target.facts.layer,
                &self.options.extra_vars,
            ]
            .into_iter()
            .chain(state.play.vars_files.iter())
            .all(|layer| !layer.has_templates());
        if plain {
            if let Some((changes, ctx)) = &*state.plain_context.borrow() {
                if *changes == self.facts_epoch() {
                    return ctx.clone();
                }
            }
        }
        let mut layers: Vec<&Layer> = Vec::with_capacity(12);
        layers.push(&state.magic);
        layers.push(&state.inventory);
        if let Some(role) = role {
            layers.push(&role.magic);
            layers.push(&role.defaults);
        }
        layers.push(&state.play.vars);
        layers.push(&state.prompted);
        layers.extend(state.play.vars_files.iter());
        if let Some(role) = role {
            layers.push(&role.vars);
        }
        layers.extend(inherited.vars.iter());
        layers.push(&task.vars);
        layers.push(&self.target.facts.layer);
        if let Some(role) = role {
            layers.push(&role.params);
        }
        layers.extend(inherited.looped.iter());
        layers.extend(looped);
        layers.push(&self.options.extra_vars);
        let ctx = with_vars_and_hostvars(
            crate::vars::context(&layers, self.shared.templates),
            self.hostvars(&state.everyone),
        );
        if plain {
            *state.plain_context.borrow_mut() = Some((self.facts_epoch(), ctx.clone()));
        }
        ctx
    }
}

/// The context with Ansible's `vars` (every variable in scope) and `hostvars` (each
/// host's own variables, by inventory name).
fn with_vars_and_hostvars(ctx: minijinja::Value, hostvars: minijinja::Value) -> minijinja::Value {
    let references = minijinja::Value::from_iter([("vars", ctx.clone()), ("hostvars", hostvars)]);
    minijinja::value::merge_maps([ctx, references])
}

/// `ansible_version`: the ansible-core release whose language machinist speaks (its
/// differential tests run against it), so roles that check it carry on.
fn ansible_version() -> minijinja::Value {
    let (major, minor, revision) = ANSIBLE_CORE_VERSION;
    let full = format!("{major}.{minor}.{revision}");
    minijinja::Value::from_iter([
        ("string", minijinja::Value::from(full.clone())),
        ("full", minijinja::Value::from(full)),
        ("major", minijinja::Value::from(major)),
        ("minor", minijinja::Value::from(minor)),
        ("revision", minijinja::Value::from(revision)),
    ])
}

/// The ansible-core release the corpus is compared with (scripts/ansible-venv).
const ANSIBLE_CORE_VERSION: (u32, u32, u32) = (2, 19, 14);

impl Executor<'_> {
    /// Whether a failure of `task` is let through: its own `ignore_errors`, or an
    /// enclosing block's.
    fn ignores(&self, task: &Task) -> bool {
        task.ignore_errors || self.ignore_depth > 0
    }

    /// Whether a failure now would be caught by an enclosing block's `rescue`.
    fn rescuable(&self) -> bool {
        self.rescue_depth > 0
    }
}
