//! SIGINT and SIGTERM: a run stops after the operation in progress, and says what was
//! done and what was not.
//!
//! [`install`] sets a signal handler that only calls
//! `machinist_modules::interrupt::raise` (an atomic store and kill(2) to a running
//! child: async-signal-safe). The executor looks at the flag before each task, loop
//! item and handler, and the Host before each operation, so an operation that has
//! begun always finishes (writes are atomic renames: every file is old or new, no temp
//! file is left). What the run did and did not do becomes one
//! [`Event::Interrupted`](crate::events::Event) and the binary exits 128 + the signal
//! number: 130 for SIGINT, 143 for SIGTERM, as a shell reports a process a signal
//! killed. A second signal kills machinist at once (the operation in progress may
//! never end): files are still old or new, but a temp file may be left.

use super::TagFilter;
use crate::events::Interruption;
use crate::playbook::model::{Play, Task, TaskKind};
use std::collections::HashSet;

pub use machinist_modules::interrupt::pending;

/// The signals that stop a run.
const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

extern "C" fn on_signal(signal: libc::c_int) {
    let again = machinist_modules::interrupt::pending().is_some();
    machinist_modules::interrupt::raise(signal);
    if again {
        // A second signal: the operator means it. Die of it now (an operation that
        // never ends, a render running away, must not keep machinist alive); writes are
        // renames, so a file is still old or new, though a temp file may stay.
        // SAFETY: signal(2) and raise(3) are async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
}

/// Catch SIGINT and SIGTERM for the rest of the process's life: they set the stop flag
/// (and reach a running child) instead of killing machinist mid-write.
pub fn install() -> std::io::Result<()> {
    for signal in SIGNALS {
        // SAFETY: a zeroed sigaction is a valid value of the C type; the handler only
        // does async-signal-safe work (atomics and kill(2)); SA_RESTART keeps the
        // interrupted system calls of the main thread going.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The exit code of a run a signal stopped: 128 + its number (130, 143).
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal.clamp(0, 127)).unwrap_or(u8::MAX)
}

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
