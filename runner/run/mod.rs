//! The executor: plays, tasks, blocks, loops, conditions, handlers and check mode.
//!
//! For each task it renders the arguments, asks the module for a plan, and either
//! applies the plan's ops through the Host or (check mode) records them in the Host's
//! overlay; then it reports an event. Nothing here prints.

mod actions;
pub mod handlers;
mod outcome;
mod sources;
mod tags;
mod task;

pub use outcome::Outcome;
pub use tags::TagFilter;

use crate::error::{Diagnostic, SourceMap};
use crate::events::{Event, Recap, Stats};
use crate::facts;
use crate::playbook::model::{Condition, Play, Playbook, Task, TaskKind};
use crate::report::Reporter;
use crate::template::Templates;
use crate::vars::Layer;
use machinist_modules::{Host, HostOptions};
use std::path::PathBuf;

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
}

/// How a run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    Success,
    /// Some task failed (exit 2).
    Failed,
}

/// An error that stops the run and is not a task's failure.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("{0}")]
    Input(#[from] crate::error::InputError),
    #[error("{0}")]
    Host(#[from] machinist_modules::ModuleError),
}

/// Run every play of every playbook, in order.
pub fn run(
    playbooks: &[Playbook],
    options: &RunOptions,
    sources: &SourceMap,
    reporter: &mut dyn Reporter,
) -> Result<RunStatus, RunError> {
    let templates = Templates::new();
    let mut executor = Executor {
        options,
        templates: &templates,
        sources,
        reporter,
        stats: Stats::default(),
        facts: Layer::default(),
        start_at: options.start_at_task.clone(),
        host_failed: false,
        rescue_depth: 0,
        ignore_depth: 0,
        last_failure: None,
        deferred: None,
    };
    for playbook in playbooks {
        for play in &playbook.plays {
            if executor.host_failed {
                break;
            }
            executor.play(playbook, play)?;
        }
    }
    let mut recap = Recap::default();
    recap.hosts.insert(LOCALHOST.to_string(), executor.stats);
    executor.reporter.event(&Event::Recap(recap));
    Ok(if executor.host_failed {
        RunStatus::Failed
    } else {
        RunStatus::Success
    })
}

/// State of one run.
struct Executor<'a> {
    options: &'a RunOptions,
    templates: &'a Templates,
    sources: &'a SourceMap,
    reporter: &'a mut dyn Reporter,
    stats: Stats,
    /// Gathered facts, `set_fact` and `register`: they outlive the play.
    facts: Layer,
    /// `--start-at-task`: tasks are passed over until one has this name.
    start_at: Option<String>,
    host_failed: bool,
    /// How many enclosing blocks have a `rescue` (a failure inside is rescued).
    rescue_depth: u32,
    /// How many enclosing blocks have `ignore_errors: true` (their tasks inherit it).
    ignore_depth: u32,
    /// The last task that failed, and its result: `ansible_failed_task` and
    /// `ansible_failed_result` in a `rescue`.
    last_failure: Option<(String, serde_json::Value)>,
    /// While a looped `include_tasks` runs its items: the files each item included,
    /// with the item's variables, run after the loop (Ansible includes every item's
    /// file first, then runs them in order).
    deferred: Option<Vec<(Vec<Task>, minijinja::Value)>>,
}

/// State of one play.
struct PlayState<'p> {
    play: &'p Play,
    host: Host,
    magic: Layer,
    notified: handlers::Notified,
    ended: bool,
}

/// Scopes a task inherits from the blocks and includes around it.
#[derive(Default, Clone)]
struct Inherited<'t> {
    vars: Vec<Layer>,
    /// Loop variables of enclosing looped includes (above facts, like a task's own).
    looped: Vec<Layer>,
    when: Vec<&'t Condition>,
}

/// How running a list of tasks ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Flow {
    Continue,
    /// A task failed (and was not rescued or ignored).
    Failed,
    /// `meta: end_play` / `end_host`.
    EndPlay,
}

impl<'a> Executor<'a> {
    fn play(&mut self, playbook: &Playbook, play: &Play) -> Result<(), RunError> {
        self.reporter.event(&Event::PlayStart {
            name: play.name.clone(),
        });
        let root = self
            .options
            .root
            .clone()
            .unwrap_or_else(|| PathBuf::from("/"));
        let host = Host::new(HostOptions {
            root: root.clone(),
            check_mode: self.options.check,
        })?;
        let mut state = PlayState {
            play,
            host,
            magic: self.magic_vars(playbook, play, &root),

            notified: handlers::Notified::default(),
            ended: false,
        };
        if play.gather_facts {
            self.gather_facts(&state);
        }
        for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
            let flow = self.tasks(&mut state, section, &Inherited::default(), false);
            match flow {
                Flow::Continue => {}
                Flow::Failed => {
                    self.host_failed = true;
                    return Ok(());
                }
                Flow::EndPlay => {
                    state.ended = true;
                    return Ok(());
                }
            }
            if self.flush_handlers(&mut state) == Flow::Failed {
                self.host_failed = true;
                return Ok(());
            }
        }
        Ok(())
    }

    fn magic_vars(&self, playbook: &Playbook, play: &Play, root: &std::path::Path) -> Layer {
        let mut magic = Layer::default();
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
        magic.set("inventory_hostname", minijinja::Value::from(LOCALHOST));
        magic.set(
            "inventory_hostname_short",
            minijinja::Value::from(LOCALHOST),
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
        magic.set(
            "machinist_root",
            minijinja::Value::from(root.display().to_string()),
        );
        magic.set("omit", minijinja::Value::from(crate::template::OMIT));
        magic
    }

    fn gather_facts(&mut self, state: &PlayState) {
        self.reporter.event(&Event::TaskStart {
            name: "Gathering Facts".into(),
            handler: false,
        });
        let gathered = facts::gather(&state.host);
        for (name, value) in gathered.iter() {
            self.facts.set(name, value.clone());
        }
        self.stats.ok += 1;
        self.reporter
            .event(&Event::TaskResult(Box::new(crate::events::TaskResult {
                play: state.play.name.clone(),
                task: "Gathering Facts".into(),
                module: "gather_facts".into(),
                host: LOCALHOST.into(),
                status: crate::events::Status::Ok,
                diff: Vec::new(),
                msg: None,
                item: None,
                label: None,
                ignored: false,
                shown: None,
                show_diff: false,
            })));
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
            let flow = match &task.kind {
                TaskKind::Block {
                    block,
                    rescue,
                    always,
                } => self.block(state, task, inherited, (block, rescue, always), handler),
                TaskKind::Action { .. }
                | TaskKind::IncludeTasks { .. }
                | TaskKind::IncludeRole { .. } => self.task(state, task, inherited, handler),
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
        let mut inner = inherited.clone();
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
        if flow == Flow::Failed && !rescue.is_empty() {
            self.stats.rescued += 1;
            if let Some((name, result)) = self.last_failure.take() {
                let task = serde_json::json!({ "name": name });
                self.facts
                    .set("ansible_failed_task", crate::vars::from_json(&task));
                self.facts
                    .set("ansible_failed_result", crate::vars::from_json(&result));
            }
            flow = self.tasks(state, rescue, &inner, handler);
        }
        if flow != Flow::EndPlay {
            let after = self.tasks(state, always, &inner, handler);
            if after != Flow::Continue {
                flow = after;
            }
        }
        self.ignore_depth -= lenient;
        flow
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
        let mut layers: Vec<&Layer> = Vec::with_capacity(12);
        layers.push(&state.magic);
        if let Some(role) = role {
            layers.push(&role.magic);
            layers.push(&role.defaults);
        }
        layers.push(&state.play.vars);
        layers.extend(state.play.vars_files.iter());
        if let Some(role) = role {
            layers.push(&role.vars);
        }
        layers.extend(inherited.vars.iter());
        layers.push(&task.vars);
        layers.push(&self.facts);
        if let Some(role) = role {
            layers.push(&role.params);
        }
        layers.extend(inherited.looped.iter());
        layers.extend(looped);
        layers.push(&self.options.extra_vars);
        crate::vars::context(&layers, self.templates)
    }

    fn report_input_error(&mut self, diag: &Diagnostic) -> String {
        crate::report::diagnostic::render(diag, self.sources, false)
            .trim_end()
            .to_string()
    }
}

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
