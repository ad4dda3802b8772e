//! Handlers: notified by name or `listen` topic, deduplicated, and run in the order
//! they are defined, when handlers are flushed (after each task section of a play,
//! and at `meta: flush_handlers`).

use super::{Executor, Flow, Inherited, PlayState};
use crate::events::Event;
use crate::playbook::model::handler_names;

/// The handlers notified and not yet run, as indexes into the play's handlers.
#[derive(Debug, Default)]
pub struct Notified {
    pending: Vec<usize>,
}

impl Notified {
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
    /// Record that a changed task notified `topics`.
    pub(super) fn notify(&mut self, state: &mut PlayState<'_>, topics: &[String]) {
        for topic in topics {
            let mut found = false;
            for (index, handler) in state.play.handlers.iter().enumerate() {
                let answers = handler_names(handler).any(|name| name == *topic);
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
            let handler = &state.play.handlers[index];
            let flow = self.task(state, handler, &Inherited::default(), true);
            if flow != Flow::Continue {
                return flow;
            }
        }
        Flow::Continue
    }
}
