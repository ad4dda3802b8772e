//! The executor's side of `root_lock.rs`: each target root is locked before its first
//! play starts and stays locked until the run ends.

use super::{Executor, RunError};
use crate::events::Event;
use crate::playbook::model::{Playbook, TaskKind};
use crate::playbook::validate::walk;
use crate::root_lock::{self as lock, Access, Locked};
use std::path::Path;

impl Executor<'_> {
    /// Lock `root` unless this run holds it already. `false`: a signal came while
    /// waiting, and the run must stop before it starts anything.
    pub(super) fn lock_root(&mut self, root: &Path) -> Result<bool, RunError> {
        let canonical = lock::canonical_root(root);
        // A root inside one this run holds is held with it.
        if self
            .locks
            .iter()
            .any(|held| canonical.starts_with(&held.root))
        {
            return Ok(true);
        }
        let access = if self.options.check && !self.writes_in_check_mode {
            Access::Shared
        } else {
            Access::Exclusive
        };
        let reporter = &mut *self.reporter;
        let waiting =
            |wait: &crate::events::LockWait| reporter.event(&Event::LockWait(wait.clone()));
        let held: Vec<_> = self.locks.iter().map(|held| held.root.clone()).collect();
        match lock::acquire(root, access, !self.options.no_wait, &held, waiting)? {
            Locked::Held(held) => {
                self.locks.push(held);
                Ok(true)
            }
            Locked::Interrupted => Ok(false),
        }
    }
}

/// Whether a `--check` run writes anyway: some task says `check_mode: false`.
pub(super) fn writes_in_check_mode(playbooks: &[Playbook]) -> bool {
    let mut writes = false;
    for play in playbooks.iter().flat_map(|playbook| &playbook.plays) {
        for list in [
            &play.pre_tasks,
            &play.tasks,
            &play.post_tasks,
            &play.handlers,
        ] {
            walk(list, &mut |task| {
                writes |= task.check_mode == Some(false);
                if let TaskKind::IncludeRole { tasks } = &task.kind {
                    walk(tasks, &mut |inner| {
                        writes |= inner.check_mode == Some(false)
                    });
                }
            });
        }
    }
    writes
}
