//! Parallel hosts (`-f/--forks`, issue 16): one step of the linear strategy — a task
//! for every host still in the play — with the actions running on up to `forks` hosts
//! at once, on real threads. Everything around an action stays on the executor's
//! thread, host by host in inventory order: the context and conditions before it, the
//! banner, the events the action sent (held until its host's turn), `changed_when`,
//! register, notify, counting and the result line after it. So the output is what a
//! one-at-a-time run prints, never interleaved.
//!
//! A task's `throttle` runs it on fewer hosts at once than the forks.
//!
//! Only plain actions step in parallel: a loop, an include, a block, `meta:`, a
//! task with `until`/`retries` or with its own `root:` runs host by host (as
//! Ansible's linear strategy runs
//! them for each host before the next task).

use super::linear::Slot;
use super::outcome::Outcome;
use super::remote::Site;
use super::step::{Flags, Step, Stepped};
use super::{Executor, Flow, Inherited};
use crate::events::Event;
use crate::playbook::model::{Action, Task, TaskKind};
use minijinja::Value;
use std::rc::Rc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// One host's part of the task, prepared before the actions run.
struct Prepared {
    slot: usize,
    ctx: Value,
    name: String,
    /// The action's Host and flags; `Err`: its conditions decided the outcome.
    action: Result<(Rc<Site>, Flags), Outcome>,
    /// Where it was delegated.
    delegated: Option<super::delegate::Delegation>,
}

/// What one host's action gave back, with the events it sent while it ran.
type Done = (Stepped, Vec<Event>);

impl Executor<'_> {
    /// Whether `task` steps on `hosts` hosts at once (see the header).
    pub(super) fn steps_in_parallel(&self, task: &Task, hosts: usize) -> bool {
        let plain = matches!(&task.kind, TaskKind::Action { action, .. } if !matches!(action, Action::Meta))
            && task.loop_items.is_none()
            && task.retry().is_none()
            && task.root().is_none();
        plain && hosts > 1 && self.options.forks > 1
    }

    /// Run `task` on the slots of `running` (each with its inherited scope), the
    /// actions on up to `forks` hosts at once; each host's flow, in their order.
    pub(super) fn parallel_task(
        &mut self,
        task: &Task,
        slots: &mut [Slot<'_>],
        running: &[(usize, Inherited<'_>)],
    ) -> Vec<Flow> {
        if !self.selected(task) {
            return vec![Flow::Continue; running.len()];
        }
        let mut prepared = Vec::with_capacity(running.len());
        for (slot, inherited) in running {
            let (index, state, _) = &slots[*slot];
            self.enter(*index);
            self.progress.enter(task);
            let mut ctx = self.context(state, inherited, task, None);
            let name = self.task_name(task, &ctx);
            self.delegated_to = None;
            let action = match self.unmet(task, inherited, &ctx) {
                Some(outcome) => Err(outcome),
                None => match self.acting_host(state, task, inherited, &ctx) {
                    Ok(host) => {
                        ctx = self.with_connection_vars(&ctx);
                        Ok((host, self.flags(task)))
                    }
                    Err(msg) => Err(Outcome::failed(msg)),
                },
            };
            let delegated = self.delegated_to.take();
            self.leave();
            prepared.push(Prepared {
                slot: *slot,
                ctx,
                name,
                action,
                delegated,
            });
        }
        let mut done = self.run_actions(task, &prepared);
        let mut flows = Vec::with_capacity(prepared.len());
        for (part, stepped) in prepared.into_iter().zip(done.iter_mut()) {
            if super::interrupt::pending().is_some() {
                flows.push(Flow::Interrupted);
                continue;
            }
            let (index, state, _) = &mut slots[part.slot];
            self.enter(*index);
            self.task_start(task as *const Task as usize, part.name.clone(), false);
            self.delegated_to = part.delegated;
            let outcome = match (part.action, stepped.take()) {
                (Err(outcome), _) => outcome,
                (Ok(_), Some((stepped, events))) => {
                    for event in &events {
                        self.reporter.event(event);
                    }
                    self.apply_stepped(stepped)
                }
                (Ok(_), None) => Outcome::failed("the host's worker stopped"),
            };
            let outcome = self.after_conditions(task, outcome, &part.ctx);
            self.report(
                state,
                task,
                &part.name,
                &outcome,
                None,
                outcome.registered(),
            );
            flows.push(self.conclude(state, task, &part.name, outcome));
            self.delegated_to = None;
            self.leave();
        }
        flows
    }

    /// The actions of `prepared` that run, on up to `forks` threads; each result at
    /// its host's place.
    fn run_actions(&self, task: &Task, prepared: &[Prepared]) -> Vec<Option<Done>> {
        let work: Vec<(usize, &Site, &Value, Flags)> = prepared
            .iter()
            .enumerate()
            .filter_map(|(place, part)| match &part.action {
                Ok((host, flags)) => Some((place, &**host, &part.ctx, *flags)),
                Err(_) => None,
            })
            .collect();
        let results: Vec<Mutex<Option<Done>>> = prepared.iter().map(|_| Mutex::new(None)).collect();
        let next = AtomicUsize::new(0);
        let shared = self.shared;
        // `throttle` caps the task below the forks, never above them.
        let throttle = task.fleet().throttle.unwrap_or(usize::MAX);
        let workers = self.options.forks.min(throttle).min(work.len());
        tracing::debug!(task = %task.display_name(), hosts = work.len(), workers, "stepping hosts in parallel");
        std::thread::scope(|scope| {
            for _ in 0..workers {
                scope.spawn(|| {
                    while let Some(&(place, host, ctx, flags)) =
                        work.get(next.fetch_add(1, Ordering::Relaxed))
                    {
                        let mut events = Vec::new();
                        let mut on_event = |event: Event| events.push(event);
                        let stepped =
                            Step::new(shared, task, ctx, host, flags, &mut on_event).run();
                        if let Ok(mut slot) = results[place].lock() {
                            *slot = Some((stepped, events));
                        }
                    }
                });
            }
        });
        results
            .into_iter()
            .map(|slot| slot.into_inner().ok().flatten())
            .collect()
    }
}
