//! Keywords that reach every task they cover, as in Ansible: a play's covers all its
//! tasks and handlers, a block's its block, rescue and always, an import or include
//! (of tasks or of a role) what it brings in. `no_log` (without this it was accepted
//! on plays and blocks and did nothing, and their secrets were printed) and
//! `environment` (each task keeps the chain, outermost first; inner values win).

use super::model::{Task, TaskKind};
use super::yaml::Node;
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

/// Put `outer` (the environments around `tasks`, outermost first) before each task's
/// own `environment`, and pass each task's whole chain down to what it contains.
pub fn environment(tasks: &mut [Task], outer: &[Node]) {
    for task in tasks {
        if !outer.is_empty() {
            task.environment.splice(0..0, outer.iter().cloned());
        }
        if task.environment.is_empty() {
            continue;
        }
        let chain = task.environment.clone();
        match &mut task.kind {
            TaskKind::Block {
                block,
                rescue,
                always,
            } => {
                for list in [block, rescue, always] {
                    environment(list, &chain);
                }
            }
            TaskKind::IncludeRole { tasks } => {
                environment(Arc::make_mut(tasks).as_mut_slice(), &chain)
            }
            TaskKind::Action { .. } | TaskKind::IncludeTasks { .. } => {}
        }
    }
}
