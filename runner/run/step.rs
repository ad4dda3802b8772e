//! The step from one task (or loop item) to its [`Outcome`] on one Host: the task, its
//! rendered context, the target Host and the task's flags in; the outcome, the facts it
//! sets and whether a signal cut it short out. A step holds no state of the run: what
//! it reads of the run ([`Shared`]) is read-only (its caches are locked), and what it
//! changes comes back in [`Stepped`] for the executor to apply to that host's state —
//! so one task can step on many hosts at once (issue 16). The executor keeps the flow
//! around it: conditions, loops, includes, `changed_when`/`failed_when`, register,
//! notify, counting and reporting.
//!
//! The actions themselves live beside it: actions.rs (modules and the runner's own
//! actions), plugin.rs, sources.rs (copy/template sources), include_vars.rs.

use super::outcome::{Outcome, RegisteredDiff};
use super::remote::Site;
use super::sources::ControllerFiles;
use crate::error::{SourceMap, Span};
use crate::events::Event;
use crate::inventory::connection::Become;
use crate::playbook::model::{Condition, Task};
use crate::template::Templates;
use crate::vars::Layer;
use machinist_modules::Host;
use minijinja::Value;
use std::path::PathBuf;
use std::sync::Mutex;

/// What every step of a run reads: the same for every host and task.
pub(super) struct Shared<'a> {
    pub templates: &'a Templates,
    pub sources: &'a SourceMap,
    /// The run's extra vars (a loader of included variables needs them).
    pub extra_vars: &'a Layer,
    /// `-v`s: debug's `verbosity:` and plugins' `_ansible_verbosity`.
    pub verbosity: u8,
    /// Controller files found and read (templates, vaulted sources), by task and name.
    pub controller_files: ControllerFiles,
    /// Roots whose commands were said to run through chroot (said once per root).
    pub chroot_warned: Mutex<Vec<PathBuf>>,
    /// `-b`, `--become-user`, `--become-method` (run/becoming.rs).
    pub command_line_become: &'a crate::inventory::connection::BecomeChoice,
    /// This machine's agents as other users than root, for local tasks that become
    /// one (run/becoming.rs); `None`: the run cannot start agents.
    pub local_agent: Option<Site>,
}

/// A task's own flags, as the executor resolved them (the task's keyword over the
/// run's option).
#[derive(Debug, Clone, Copy)]
pub(super) struct Flags {
    /// `--check`, or the task's `check_mode:`.
    pub check: bool,
    /// `--diff`, or the task's `diff:`.
    pub diff: bool,
}

/// One task's action on one Host.
pub(super) struct Step<'a> {
    pub shared: &'a Shared<'a>,
    pub task: &'a Task,
    /// The task's variables (and loop item), rendered lazily by the templates.
    pub ctx: &'a Value,
    /// Where the task acts: a Host of this process, or a remote host's agent.
    pub host: &'a Site,
    pub flags: Flags,
    /// Warnings and progress, as they happen.
    pub on_event: &'a mut dyn FnMut(Event),
    /// Facts the action set (`set_fact`, `include_vars`), given back in [`Stepped`].
    pub(super) facts: Option<Layer>,
    /// A signal stopped the apply: what was cut short.
    pub(super) cut_short: Option<String>,
    /// What `add_host` or `group_by` asks of the run's inventory.
    pub(super) inventory: Option<super::inventory_change::InventoryChange>,
    /// What `set_stats` asks of the run's custom statistics.
    pub(super) stats: Option<super::custom_stats::StatsChange>,
    /// The become on this machine, decided once (run/becoming.rs).
    pub(super) local_become: std::cell::OnceCell<Result<Option<Become>, String>>,
}

/// What a step gives back for the executor to apply to its host's state.
pub(super) struct Stepped {
    pub outcome: Outcome,
    /// Facts to set on the host (above task vars).
    pub facts: Option<Layer>,
    /// A signal stopped the apply: the task and how far it got.
    pub cut_short: Option<String>,
    /// A change of the run's inventory (`add_host`, `group_by`).
    pub inventory: Option<super::inventory_change::InventoryChange>,
    /// A change of the run's custom statistics (`set_stats`).
    pub stats: Option<super::custom_stats::StatsChange>,
}

impl<'a> Step<'a> {
    pub(super) fn new(
        shared: &'a Shared<'a>,
        task: &'a Task,
        ctx: &'a Value,
        host: &'a Site,
        flags: Flags,
        on_event: &'a mut dyn FnMut(Event),
    ) -> Step<'a> {
        Step {
            shared,
            task,
            ctx,
            host,
            flags,
            on_event,
            facts: None,
            cut_short: None,
            inventory: None,
            stats: None,
            local_become: std::cell::OnceCell::new(),
        }
    }

    /// Run the task's action (a module, a plugin or one of the runner's actions).
    pub(super) fn run(mut self) -> Stepped {
        let started = std::time::Instant::now();
        if let Some(agent) = self.local_agent() {
            self.host = agent;
        }
        // A no_log task's argv and paths stay out of the Host's logs too (its module's
        // plan and apply, a plugin's run).
        let _hidden = self
            .host
            .local()
            .filter(|_| self.task.no_log)
            .map(Host::hide_logs);
        let mut outcome = self.action();
        if !self.flags.diff && outcome.diff_registered == RegisteredDiff::Whole {
            outcome.diff_registered = RegisteredDiff::Absent;
        }
        tracing::trace!(
            task = %self.task.display_name(),
            elapsed_us = started.elapsed().as_micros() as u64,
            "action done"
        );
        Stepped {
            outcome,
            facts: self.facts,
            cut_short: self.cut_short,
            inventory: self.inventory,
            stats: self.stats,
        }
    }

    pub(super) fn event(&mut self, event: Event) {
        (self.on_event)(event)
    }

    pub(super) fn templates(&self) -> &'a Templates {
        self.shared.templates
    }

    /// Facts this step sets (later ones over earlier ones).
    pub(super) fn set_facts(&mut self, layer: &Layer) {
        self.facts.get_or_insert_with(Layer::default).extend(layer);
    }
}

/// Evaluate one condition; the message of an error names the expression and place.
pub(super) fn condition(
    templates: &Templates,
    cond: &Condition,
    ctx: &Value,
) -> Result<bool, String> {
    templates
        .condition(&cond.expr, ctx)
        .map_err(|err| located(&cond.span, format!("{err}")))
}

/// A message with the place in the playbook it is about.
pub(super) fn located(span: &Span, message: String) -> String {
    format!("{span}: {message}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared_between_threads<T: Sync>() {}
    fn sent_to_a_thread<T: Send>() {}

    /// What a step reads may be read by many hosts' workers at once, and each worker
    /// may own its Host (issue 16).
    #[test]
    fn a_steps_inputs_cross_threads() {
        shared_between_threads::<Shared<'_>>();
        shared_between_threads::<Task>();
        shared_between_threads::<Value>();
        sent_to_a_thread::<Host>();
        // A remote host's place is shared by its workers like a Host.
        shared_between_threads::<Site>();
        // forks.rs lends each worker its host's Host (hosts without a
        // machinist_root share the run's).
        shared_between_threads::<Host>();
        sent_to_a_thread::<Outcome>();
        sent_to_a_thread::<Layer>();
    }

    /// One task stepped on two Hosts at once, each Host owned by its thread, with the
    /// run's shared part read by both: each root gets its own rendering, each thread
    /// its own events and facts.
    #[test]
    fn one_task_steps_on_two_hosts_at_once() {
        let project = tempfile::tempdir().expect("temp dir");
        let playbook = project.path().join("site.yml");
        std::fs::write(
            &playbook,
            "- hosts: localhost\n  tasks:\n    - copy: {dest: /greeting, content: \"hi {{ who }}\\n\"}\n    - set_fact: {seen: \"{{ who }}\"}\n",
        )
        .expect("playbook");
        let sources = SourceMap::default();
        let extra_vars = Layer::default();
        let playbooks =
            crate::load(&[playbook], &sources, &extra_vars).expect("the playbook loads");
        let tasks = &playbooks[0].plays[0].tasks;
        let templates = Templates::new();
        let shared = Shared {
            templates: &templates,
            sources: &sources,
            extra_vars: &extra_vars,
            verbosity: 0,
            controller_files: Default::default(),
            chroot_warned: Default::default(),
            command_line_become: &Default::default(),
            local_agent: None,
        };
        let roots = [
            tempfile::tempdir().expect("a"),
            tempfile::tempdir().expect("b"),
        ];
        let flags = Flags {
            check: false,
            diff: false,
        };
        let results: Vec<(Outcome, Option<Layer>)> = std::thread::scope(|scope| {
            let workers: Vec<_> = roots
                .iter()
                .enumerate()
                .map(|(index, root)| {
                    let shared = &shared;
                    scope.spawn(move || {
                        let host = Site::Local(
                            Host::new(machinist_modules::HostOptions::new(root.path()))
                                .expect("host"),
                        );
                        let ctx = Value::from_iter([("who", Value::from(format!("host{index}")))]);
                        let mut events = Vec::new();
                        let mut on_event = |event: Event| events.push(event);
                        let copied =
                            Step::new(shared, &tasks[0], &ctx, &host, flags, &mut on_event).run();
                        let fact =
                            Step::new(shared, &tasks[1], &ctx, &host, flags, &mut on_event).run();
                        assert!(fact.outcome.status() == crate::events::Status::Ok);
                        (copied.outcome, fact.facts)
                    })
                })
                .collect();
            workers
                .into_iter()
                .map(|worker| worker.join().expect("the worker ends"))
                .collect()
        });
        for (index, (copied, facts)) in results.iter().enumerate() {
            assert!(copied.changed && !copied.failed, "{copied:?}");
            let written = std::fs::read_to_string(roots[index].path().join("greeting"));
            assert_eq!(written.expect("written"), format!("hi host{index}\n"));
            let seen = facts.as_ref().and_then(|layer| layer.get("seen")).cloned();
            assert_eq!(seen, Some(Value::from(format!("host{index}"))));
        }
    }
}
