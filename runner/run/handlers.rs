//! Handlers: notified by name or `listen` topic, deduplicated, and run in the order
//! they are defined, when handlers are flushed (after each task section of a play,
//! and at `meta: flush_handlers`). After a section, as Ansible's linear strategy, each
//! handler runs on every host that notified it before the next handler runs. Under
//! `force_handlers` (the play's, or `--force-handlers`) a host that failed runs the
//! handlers it notified as well.

use super::linear::Slot;
use super::{Executor, Flow, Inherited, PlayState};
use crate::events::Event;
use crate::playbook::model::{handler_names, in_last_scope, Origin, Task};
use crate::vars::Layer;
use std::borrow::Cow;
use std::sync::Arc;

/// The handlers notified and not yet run, as indexes into the play's handlers.
#[derive(Debug, Default)]
pub struct Notified {
    pending: Vec<usize>,
    /// The scope of each role's last `include_role` that ran: its handlers run with
    /// it (ansible-core adds an included role's handlers when the include runs, so
    /// its variables win over every use loaded with the playbook).
    included: Vec<(Arc<Origin>, Layer)>,
}

impl Notified {
    /// An `include_role` of the role of `origin` ran: its handlers take this scope.
    /// `vars`: the include's own vars and loop variables, which its handlers see.
    pub fn role_included(&mut self, origin: &Arc<Origin>, vars: Layer) {
        self.included.retain(|(seen, _)| seen.dir != origin.dir);
        self.included.push((Arc::clone(origin), vars));
    }

    /// `handler` as it runs: in the scope of its role's last include, if one ran.
    fn in_scope<'h>(&self, handler: &'h Task) -> Cow<'h, Task> {
        let included = handler.origin.role.as_ref().and_then(|_| {
            self.included
                .iter()
                .find(|(origin, _)| origin.dir == handler.origin.dir)
        });
        match included {
            Some((origin, vars)) if !Arc::ptr_eq(origin, &handler.origin) || !vars.is_empty() => {
                let mut scoped = handler.clone();
                in_last_scope(std::slice::from_mut(&mut scoped), origin);
                let mut layered = vars.clone();
                layered.extend(&scoped.vars);
                scoped.vars = layered;
                Cow::Owned(scoped)
            }
            _ => Cow::Borrowed(handler),
        }
    }

    /// The display names of the handlers still pending, in definition order.
    pub fn names(&self, play: &crate::playbook::model::Play) -> Vec<String> {
        play.handlers
            .iter()
            .enumerate()
            .filter(|(index, _)| self.pending.contains(index))
            .map(|(_, handler)| handler.display_name())
            .collect()
    }
}

impl Executor<'_> {
    /// Record that the changed `task` notified its topics. As ansible-core: a topic
    /// is templated with the task's variables, and a handler's templated name with
    /// its own (`name: "restart {{ service }}"`).
    pub(super) fn notify(&mut self, state: &mut PlayState<'_>, task: &Task) {
        let templates = &self.shared.templates;
        let rendered = |name: &str, ctx: &dyn Fn() -> minijinja::Value| -> String {
            if !crate::template::Templates::is_template(name) {
                return name.to_string();
            }
            templates
                .render_str(name, &ctx())
                .unwrap_or_else(|_| name.to_string())
        };
        for topic in task.notify() {
            let topic = rendered(topic, &|| {
                self.context(state, &Inherited::handler(), task, None)
            });
            let mut found = false;
            for (index, handler) in state.play.handlers.iter().enumerate() {
                let answers = handler_names(handler).any(|name| {
                    rendered(&name, &|| {
                        self.context(state, &Inherited::handler(), handler, None)
                    }) == topic
                });
                if answers {
                    found = true;
                    if !state.notified.pending.contains(&index) {
                        state.notified.pending.push(index);
                    }
                }
            }
            if !found {
                self.reporter.event(&Event::Warning(format!(
                    "the handler '{topic}' was notified but this play has no such handler"
                )));
            }
        }
    }

    /// Run every notified handler, in definition order, until none is pending.
    pub(super) fn flush_handlers(&mut self, state: &mut PlayState<'_>) -> Flow {
        while !state.notified.pending.is_empty() {
            if super::interrupt::pending().is_some() {
                return Flow::Interrupted;
            }
            let Some(index) =
                (0..state.play.handlers.len()).find(|i| state.notified.pending.contains(i))
            else {
                break;
            };
            state.notified.pending.retain(|i| *i != index);
            let handler = state.notified.in_scope(&state.play.handlers[index]);
            let flow = self.task(state, &handler, &Inherited::handler(), true);
            if flow != Flow::Continue {
                return flow;
            }
        }
        Flow::Continue
    }

    /// Flush the handlers of every host still in the play: each pending handler, in
    /// definition order, on all the hosts that notified it, then the next. How each
    /// host's flush ended, by slot (a handler's `meta: end_play` ends only the flush).
    pub(super) fn flush_linear(
        &mut self,
        slots: &mut [Slot<'_>],
        play: &crate::playbook::model::Play,
    ) -> Vec<(usize, Flow)> {
        // `force_handlers`: a host that failed runs the handlers it notified too.
        let forced = play.force_handlers || self.options.force_handlers;
        let flushing: Vec<bool> = slots
            .iter()
            .map(|(index, _, done)| !done || (forced && self.hosts[*index].failed))
            .collect();
        self.flush_among(slots, play, &flushing)
            .into_iter()
            .filter(|(slot, _)| !slots[*slot].2)
            .collect()
    }

    /// The handlers of the slots marked in `flushing`, linearly (as `flush_linear`):
    /// how each of those slots' flush ended.
    pub(super) fn flush_among(
        &mut self,
        slots: &mut [Slot<'_>],
        play: &crate::playbook::model::Play,
        flushing: &[bool],
    ) -> Vec<(usize, Flow)> {
        let mut ended: Vec<Option<Flow>> = flushing
            .iter()
            .map(|runs| (!runs).then_some(Flow::Continue))
            .collect();
        loop {
            let flushing = |slot: usize, index: usize, slots: &[Slot<'_>]| {
                slots[slot].1.notified.pending.contains(&index)
            };
            let next = (0..play.handlers.len()).find(|index| {
                (0..slots.len()).any(|slot| ended[slot].is_none() && flushing(slot, *index, slots))
            });
            let Some(index) = next else { break };
            self.step_banner = None;
            let handler = &play.handlers[index];
            let notifying: Vec<(usize, Inherited<'_>)> = (0..slots.len())
                .filter(|slot| ended[*slot].is_none() && flushing(*slot, index, slots))
                .map(|slot| (slot, Inherited::handler()))
                .collect();
            for (slot, _) in &notifying {
                slots[*slot].1.notified.pending.retain(|i| *i != index);
            }
            let flows = if handler.run_once() {
                // As Ansible: a run_once handler runs once for all the hosts it was
                // notified on.
                self.run_once(slots, &notifying, handler, true)
            } else {
                let mut flows = Vec::with_capacity(notifying.len());
                for (slot, _) in &notifying {
                    if super::interrupt::pending().is_some() {
                        flows.push(Flow::Interrupted);
                        continue;
                    }
                    let (host, state, _) = &mut slots[*slot];
                    self.enter(*host);
                    let scoped = state.notified.in_scope(handler);
                    flows.push(self.task(state, &scoped, &Inherited::handler(), true));
                    self.leave();
                }
                flows
            };
            self.play_ended = false;
            // A fatal handler's failure ends the play for every host still flushing.
            let going: Vec<usize> = (0..slots.len())
                .filter(|slot| ended[*slot].is_none())
                .collect();
            let mut step: Vec<Flow> = going
                .iter()
                .map(|slot| {
                    notifying
                        .iter()
                        .position(|(ran, _)| ran == slot)
                        .map_or(Flow::Continue, |at| flows[at])
                })
                .collect();
            self.fail_everyone_if_fatal(slots, handler, going.iter().copied(), &mut step);
            self.leave_play_lists(slots, going.iter().copied(), &step);
            for (slot, flow) in going.into_iter().zip(step) {
                match flow {
                    Flow::Continue => {}
                    Flow::EndPlay => ended[slot] = Some(Flow::Continue),
                    flow => ended[slot] = Some(flow),
                }
            }
        }
        ended
            .into_iter()
            .enumerate()
            .filter(|(slot, _)| flushing[*slot])
            .map(|(slot, flow)| (slot, flow.unwrap_or(Flow::Continue)))
            .collect()
    }
}
