//! What a run a signal stopped tells: the tasks that changed something, the one cut
//! short, the selected tasks never entered and the handlers notified and not run, as
//! one [`Event::Interrupted`](crate::events::Event). The signals themselves are caught
//! by `crate::signals` (re-exported here for the executor).

use super::TagFilter;
use crate::events::Interruption;
use crate::playbook::model::{Play, Task, TaskKind};
use std::collections::HashSet;

pub use crate::signals::{exit_code, install, pending};

/// What the executor remembers to tell, should a signal stop the run.
#[derive(Debug, Default)]
pub struct Progress {
    /// Tasks the executor entered (run, skipped by `when`, or passed over by
    /// `--start-at-task`), by address: the playbooks outlive the run.
    entered: HashSet<usize>,
    /// Display names of tasks that changed something, in order, once each.
    changed: Vec<String>,
    /// The task cut short, and how far it got.
    pub cut_short: Option<String>,
    /// Handlers notified and not run when the play stopped.
    pub handlers_not_run: Vec<String>,
}

impl Progress {
    pub fn enter(&mut self, task: &Task) {
        self.entered.insert(task as *const Task as usize);
    }

    pub fn changed(&mut self, name: &str) {
        if !self.changed.iter().any(|seen| seen == name) {
            self.changed.push(name.to_string());
        }
    }

    /// The event: what changed, and every selected task of `plays` never entered.
    pub fn summary<'p>(
        &self,
        signal: i32,
        plays: impl IntoIterator<Item = &'p Play>,
        tags: &TagFilter,
    ) -> Interruption {
        let mut not_run = Vec::new();
        for play in plays {
            for section in [&play.pre_tasks, &play.tasks, &play.post_tasks] {
                self.not_entered(section, tags, &mut not_run);
            }
        }
        Interruption {
            signal: machinist_modules::interrupt::name(signal),
            cut_short: self.cut_short.clone(),
            changed: self.changed.clone(),
            not_run,
            handlers_not_run: self.handlers_not_run.clone(),
        }
    }

    /// Tasks never entered, blocks opened (a `rescue` runs only after a failure, so it
    /// is not counted as work left undone).
    fn not_entered(&self, tasks: &[Task], tags: &TagFilter, out: &mut Vec<String>) {
        for task in tasks {
            match &task.kind {
                TaskKind::Block { block, always, .. } => {
                    self.not_entered(block, tags, out);
                    self.not_entered(always, tags, out);
                }
                _ if self.entered.contains(&(task as *const Task as usize)) => {}
                _ if tags.selects(&task.tags) => out.push(task.display_name()),
                _ => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_codes_are_128_plus_the_signal() {
        assert_eq!(exit_code(libc::SIGINT), 130);
        assert_eq!(exit_code(libc::SIGTERM), 143);
    }
}
