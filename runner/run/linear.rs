//! Ansible's linear strategy (issue 16): a list of tasks runs on a set of hosts, each
//! task on every host still going before the next task starts. A block is one step
//! for its hosts: its tasks run linearly on them; the hosts that failed in it run its
//! `rescue` together, then every host of the block its `always`. A host whose task
//! fails (not rescued nor ignored) or ends its play leaves the list; the others go on.
//!
//! An `include_tasks`/`include_role` (not looped) is included by every host first;
//! the hosts that included the same file run it together, linearly, one file after
//! the other (`included: FILE for web1, web2`), as Ansible's linear strategy does. A
//! looped include runs its files host by host.

use super::{Executor, Flow, Inherited, PlayState};
use crate::events::Event;
use crate::playbook::model::{Task, TaskKind};
use std::sync::Arc;

/// The hosts that included one file: the file, its tasks, and each host's place in
/// the step, slot, scope inside the file and name.
struct Group<'t> {
    file: String,
    /// The task file's path, for the include chain (none for a role).
    path: Option<std::path::PathBuf>,
    tasks: Arc<Vec<Task>>,
    members: Vec<(usize, usize, Inherited<'t>)>,
    names: Vec<String>,
}

/// A host of the play: its index in `Executor::hosts`, its state for this play, and
/// whether it is done with the play (failed or ended).
pub(super) type Slot<'p> = (usize, PlayState<'p>, bool);

impl Executor<'_> {
    /// Run `tasks` on the slots of `running` (each with the scope it inherits); how
    /// each slot ended, by slot.
    pub(super) fn linear<'t>(
        &mut self,
        slots: &mut [Slot<'_>],
        mut running: Vec<(usize, Inherited<'t>)>,
        tasks: &'t [Task],
    ) -> Vec<(usize, Flow)> {
        let mut ended: Vec<(usize, Flow)> = Vec::new();
        for task in tasks {
            if running.is_empty() {
                break;
            }
            if super::interrupt::pending().is_some() {
                ended.extend(running.drain(..).map(|(slot, _)| (slot, Flow::Interrupted)));
                break;
            }
            self.step_banner = None;
            self.delegated_to = None;
            self.included_roles.next_step();
            let mut flows = match &task.kind {
                TaskKind::Block {
                    block,
                    rescue,
                    always,
                } => self.linear_block(slots, &running, task, (block, rescue, always)),
                TaskKind::IncludeTasks { .. }
                | TaskKind::IncludeRole { .. }
                | TaskKind::IncludeRoleNamed { .. }
                    if task.loop_items.is_none() && task.root().is_none() =>
                {
                    self.linear_include(slots, &running, task)
                }
                TaskKind::Action { .. } if is_flush_handlers(task) => {
                    self.linear_flush(slots, &running, task)
                }
                TaskKind::Action { .. } if task.run_once() => {
                    self.run_once(slots, &running, task, false)
                }
                _ if self.steps_in_parallel(task, running.len()) => {
                    self.parallel_task(task, slots, &running)
                }
                _ => running
                    .iter()
                    .map(|(slot, inherited)| {
                        let (index, state, _) = &mut slots[*slot];
                        self.enter(*index);
                        let flow = self.task(state, task, inherited, false);
                        self.leave();
                        flow
                    })
                    .collect(),
            };
            self.refresh_inventory_views(slots);
            self.refresh_role_names(slots);
            let each = running.iter().map(|(slot, _)| *slot);
            self.fail_everyone_if_fatal(slots, task, each, &mut flows);
            self.leave_play_lists(slots, running.iter().map(|(slot, _)| *slot), &flows);
            let mut still = Vec::with_capacity(running.len());
            for ((slot, inherited), flow) in running.into_iter().zip(flows) {
                match flow {
                    Flow::Continue => still.push((slot, inherited)),
                    flow => ended.push((slot, flow)),
                }
            }
            running = still;
            let interrupted = ended.iter().any(|(_, flow)| *flow == Flow::Interrupted);
            if interrupted || self.play_ended {
                let flow = match interrupted {
                    true => Flow::Interrupted,
                    false => Flow::EndPlay,
                };
                ended.extend(running.drain(..).map(|(slot, _)| (slot, flow)));
                break;
            }
        }
        ended.extend(running.into_iter().map(|(slot, _)| (slot, Flow::Continue)));
        ended
    }

    /// A `meta: flush_handlers`: every host's meta first (its banner, its skip when
    /// its `when` is false), then the handlers of the hosts whose flush holds, each on
    /// all of them before the next, as ansible-core's linear strategy.
    fn linear_flush(
        &mut self,
        slots: &mut [Slot<'_>],
        running: &[(usize, Inherited<'_>)],
        task: &Task,
    ) -> Vec<Flow> {
        let mut flushing = vec![false; slots.len()];
        let mut flows = Vec::with_capacity(running.len());
        for (slot, inherited) in running {
            let (index, state, _) = &mut slots[*slot];
            self.enter(*index);
            self.flush_requested = Some(false);
            flows.push(self.task(state, task, inherited, false));
            flushing[*slot] = self.flush_requested.take() == Some(true);
            self.leave();
        }
        let Some(play) = running.first().map(|(slot, _)| slots[*slot].1.play) else {
            return flows;
        };
        for (slot, flow) in self.flush_among(slots, play, &flushing) {
            if let Some(at) = running.iter().position(|(ran, _)| *ran == slot) {
                if flows[at] == Flow::Continue {
                    flows[at] = flow;
                }
            }
        }
        flows
    }

    /// A `run_once` task: it runs on the first host of `running` alone, and what it
    /// registered or set (its facts) is given to every host of the batch, as Ansible.
    /// The others go on (a failure fails them all: `run_once` is fatal).
    pub(super) fn run_once(
        &mut self,
        slots: &mut [Slot<'_>],
        running: &[(usize, Inherited<'_>)],
        task: &Task,
        handler: bool,
    ) -> Vec<Flow> {
        let mut flows = vec![Flow::Continue; running.len()];
        let Some((first, inherited)) = running.first() else {
            return flows;
        };
        self.run_once_hosts = Some(
            running
                .iter()
                .map(|(slot, _)| self.hosts[slots[*slot].0].name.clone())
                .collect(),
        );
        let (index, state, _) = &mut slots[*first];
        self.enter(*index);
        let before = self.target.facts.layer.clone();
        flows[0] = self.task(state, task, inherited, handler);
        self.run_once_hosts = None;
        let after = &self.target.facts.layer;
        let mut set = crate::vars::Layer::default();
        for name in after.names() {
            if let Some(value) = after
                .get(name)
                .filter(|value| before.get(name) != Some(*value))
            {
                set.set(name, value.clone());
            }
        }
        self.leave();
        if set.is_empty() {
            return flows;
        }
        for (index, _, _) in slots
            .iter()
            .filter(|(index, _, _)| *index != slots[*first].0)
        {
            self.hosts[*index].facts.extend(&set);
        }
        flows
    }

    /// One block on the hosts of `running`: its flow for each, in their order.
    fn linear_block<'t>(
        &mut self,
        slots: &mut [Slot<'_>],
        running: &[(usize, Inherited<'t>)],
        task: &'t Task,
        (block, rescue, always): (&'t [Task], &'t [Task], &'t [Task]),
    ) -> Vec<Flow> {
        let mut flows = vec![Flow::Continue; running.len()];
        let mut inside: Vec<(usize, usize, Inherited<'t>)> = Vec::new();
        for (place, (slot, inherited)) in running.iter().enumerate() {
            let (index, state, _) = &mut slots[*slot];
            self.enter(*index);
            match self.with_root(state, task, inherited, None) {
                Ok(mut inner) => {
                    inner.when.extend(task.when.iter());
                    if !task.vars.is_empty() {
                        inner.vars.push(task.vars.clone());
                    }
                    inside.push((place, *slot, inner));
                }
                Err(msg) => flows[place] = self.root_task_failed(state, task, msg),
            }
            self.leave();
        }
        // As Ansible: a block's ignore_errors is inherited by its tasks.
        let lenient = u32::from(task.ignore_errors);
        self.ignore_depth += lenient;
        let rescuable = u32::from(!rescue.is_empty());
        self.rescue_depth += rescuable;
        let hosts = inside.iter().map(|(_, slot, inner)| (*slot, inner.clone()));
        let body = self.linear(slots, hosts.collect(), block);
        self.rescue_depth -= rescuable;
        let flow_of = |flows: &[(usize, Flow)], slot: usize| {
            flows
                .iter()
                .find(|(done, _)| *done == slot)
                .map_or(Flow::Continue, |(_, flow)| *flow)
        };
        for (place, slot, _) in &inside {
            flows[*place] = flow_of(&body, *slot);
        }
        if flows.contains(&Flow::Interrupted) {
            self.ignore_depth -= lenient;
            return vec![Flow::Interrupted; running.len()];
        }
        if rescuable > 0 {
            let mut failed = Vec::new();
            for (place, slot, inner) in &inside {
                if flows[*place] != Flow::Failed {
                    continue;
                }
                let index = slots[*slot].0;
                let before = self.batch.spread.len();
                self.batch.spread.retain(|spread| *spread != index);
                self.enter(index);
                if self.batch.spread.len() == before {
                    self.rescuing();
                }
                self.leave();
                failed.push((*slot, inner.clone()));
            }
            let rescued = self.linear(slots, failed, rescue);
            for (place, slot, _) in &inside {
                if let Some((_, flow)) = rescued.iter().find(|(done, _)| done == slot) {
                    flows[*place] = *flow;
                }
            }
            if flows.contains(&Flow::Interrupted) {
                self.ignore_depth -= lenient;
                return vec![Flow::Interrupted; running.len()];
            }
        }
        let finishing: Vec<_> = inside
            .iter()
            .filter(|(place, _, _)| !matches!(flows[*place], Flow::EndPlay | Flow::Unreachable))
            .map(|(_, slot, inner)| (*slot, inner.clone()))
            .collect();
        let after = self.linear(slots, finishing, always);
        for (place, slot, _) in &inside {
            let flow = flow_of(&after, *slot);
            if flow != Flow::Continue {
                flows[*place] = flow;
            }
        }
        self.ignore_depth -= lenient;
        flows
    }

    /// A (not looped) include on the hosts of `running`: each host includes (its
    /// conditions, its file rendered and loaded), then each file runs on the hosts
    /// that included it. Its flow for each host, in their order.
    fn linear_include<'t>(
        &mut self,
        slots: &mut [Slot<'_>],
        running: &[(usize, Inherited<'t>)],
        task: &'t Task,
    ) -> Vec<Flow> {
        let mut flows = Vec::with_capacity(running.len());
        let mut groups: Vec<Group<'t>> = Vec::new();
        for (place, (slot, inherited)) in running.iter().enumerate() {
            let (index, state, _) = &mut slots[*slot];
            self.enter(*index);
            // Held, not run: the include's file waits for every host to include.
            let outer = self.target.deferred.replace(Vec::new());
            let flow = self.task(state, task, inherited, false);
            let deferred = std::mem::replace(&mut self.target.deferred, outer);
            let name = self.target.name.clone();
            self.leave();
            flows.push(flow);
            for included in deferred.unwrap_or_default() {
                let Event::Included { file, .. } = &included.announce else {
                    continue;
                };
                let mut scope = inherited.clone();
                scope.vars = included.vars;
                scope.vars.push(task.vars.clone());
                scope.host = included.host.or(scope.host);
                match groups.iter_mut().find(|group| group.file == *file) {
                    Some(group) => {
                        group.members.push((place, *slot, scope));
                        group.names.push(name.clone());
                    }
                    None => groups.push(Group {
                        file: file.clone(),
                        path: included.file.clone(),
                        tasks: included.tasks,
                        members: vec![(place, *slot, scope)],
                        names: vec![name.clone()],
                    }),
                }
            }
        }
        // As Ansible: every file's `included:` line, then the files one after the other.
        for group in &groups {
            self.reporter.event(&Event::Included {
                file: group.file.clone(),
                host: group.names.join(", "),
                item: None,
            });
            for (_, slot, _) in &group.members {
                self.enter(slots[*slot].0);
                self.target.stats.ok += 1;
                self.leave();
            }
        }
        for group in groups {
            if super::interrupt::pending().is_some() {
                return vec![Flow::Interrupted; running.len()];
            }
            let hosts = group.members.iter();
            let hosts = hosts
                .map(|(_, slot, scope)| (*slot, scope.clone()))
                .collect();
            let chained = group.path.clone().map(|path| self.includes.push(path));
            let done = self.linear(slots, hosts, &group.tasks);
            if chained.is_some() {
                self.includes.pop();
            }
            for (place, slot, _) in &group.members {
                if let Some((_, flow)) = done.iter().find(|(done, _)| done == slot) {
                    flows[*place] = *flow;
                }
            }
        }
        flows
    }
}

/// `meta: flush_handlers`, written in a task list.
fn is_flush_handlers(task: &Task) -> bool {
    match &task.kind {
        TaskKind::Action {
            action: crate::playbook::model::Action::Meta,
            args,
            ..
        } => args.get("_raw_params").and_then(|what| what.as_str()) == Some("flush_handlers"),
        _ => false,
    }
}
