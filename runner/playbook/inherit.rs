//! `no_log` reaches every task it covers: a play's `no_log: true` covers all its tasks
//! and handlers, a block's its block, rescue and always, an import or include (of
//! tasks or of a role) what it brings in — as in Ansible. Without this the keyword
//! was accepted on plays and blocks and did nothing, and their secrets were printed.

use super::model::{Task, TaskKind};
use std::sync::Arc;

/// Mark `tasks` (and everything inside them) `no_log` when `on`, and pass each task's
/// own `no_log` down to what it contains.
pub fn no_log(tasks: &mut [Task], on: bool) {
    for task in tasks {
        task.no_log |= on;
        let inner = task.no_log;
        match &mut task.kind {
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                for list in [block, rescue, always] {
                    no_log(list, inner);
                }
            }
            TaskKind::IncludeRole { tasks } if inner => {
                no_log(Arc::make_mut(tasks).as_mut_slice(), true)
            }
            TaskKind::IncludeRole { .. }
            | TaskKind::Action { .. }
            | TaskKind::IncludeTasks { .. } => {}
        }
    }
}
