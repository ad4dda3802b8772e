//! Keywords that reach every task they cover, as in Ansible: a play's covers all its
//! tasks and handlers, a block's its block, rescue and always, an import or include
//! (of tasks or of a role) what it brings in. `no_log` (without this it was accepted
//! on plays and blocks and did nothing, and their secrets were printed) and
//! `environment` (each task keeps the chain, outermost first; inner values win), and
//! `tags` (each task's own after those around it, each once).

use super::model::{Task, TaskKind};
use crate::yaml::Node;
use std::sync::Arc;

/// Mark `tasks` (and everything inside them) `no_log` when `on`, and pass each task's
/// own `no_log` down to what it contains.
pub fn no_log(tasks: &mut [Task], on: bool) {
    for task in tasks {
        task.no_log |= on;
        let inner = task.no_log;
        // A role's tasks were marked when the role was loaded; only an outer
        // `no_log: true` has more to say to them.
        for list in contained(&mut task.kind, inner) {
            no_log(list, inner);
        }
    }
}

/// Put `outer` (the environments around `tasks`, outermost first) before each task's
/// own `environment`, and pass each task's whole chain down to what it contains.
pub fn environment(tasks: &mut [Task], outer: &[Node]) {
    for task in tasks {
        if !outer.is_empty() {
            task.rare_mut()
                .environment
                .splice(0..0, outer.iter().cloned());
        }
        let chain = task.environment().to_vec();
        for list in contained(&mut task.kind, true) {
            environment(list, &chain);
        }
    }
}

/// Put `outer` before the tags of `tasks` and of everything inside them, each tag
/// once: what loading them with `outer` inherited gives.
pub fn tags(tasks: &mut [Task], outer: &[String]) {
    if outer.is_empty() {
        return;
    }
    for task in tasks {
        let mut tags = outer.to_vec();
        for tag in task.tags.drain(..) {
            if !tags.contains(&tag) {
                tags.push(tag);
            }
        }
        task.tags = tags;
        for list in contained(&mut task.kind, true) {
            self::tags(list, outer);
        }
    }
}

/// The task lists a task brings with it when it is loaded: a block's block, rescue
/// and always; the tasks of an imported or included role, if `roles`. (An
/// `include_tasks` brings its tasks at run time: the runner applies both keywords
/// then.)
fn contained(kind: &mut TaskKind, roles: bool) -> Vec<&mut [Task]> {
    match kind {
        TaskKind::Block {
            block,
            rescue,
            always,
        } => vec![block.as_mut_slice(), rescue, always],
        TaskKind::IncludeRole { tasks } if roles => vec![Arc::make_mut(tasks).as_mut_slice()],
        TaskKind::IncludeRole { .. }
        | TaskKind::IncludeRoleNamed { .. }
        | TaskKind::Action { .. }
        | TaskKind::IncludeTasks { .. } => Vec::new(),
    }
}
