//! Reporters: the only code that writes to stdout. Human output follows Ansible's
//! shape; JSON output is one event per line for machines.

mod batched;
pub mod color;
mod custom_stats;
pub mod diagnostic;
mod diff;
pub mod doc;
pub mod human;
mod interrupted;
pub mod inventory;
pub mod json;
mod lines;
pub mod masked;
mod progress_line;
pub(crate) mod pyjson;
pub mod shell;
mod stderr;
mod task_line;
#[cfg(test)]
mod tests;

pub use color::color_wanted;
pub use human::HumanReporter;
pub use json::JsonReporter;
pub use lines::print_line;
pub use stderr::{print_errors, print_internal_error};

use crate::events::Event;

/// Something that turns events into output.
pub trait Reporter {
    fn event(&mut self, event: &Event);

    /// Write out what is buffered (see `human`), before something else is printed
    /// (an error on stderr).
    fn flush(&mut self) {}

    /// Flushes, and returns the first write error met (a closed pipe, a full disk):
    /// `event` cannot fail, so a reporter keeps the error for the caller to see here.
    fn finish(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// How the user asked output to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputOptions {
    pub color: bool,
    /// `--diff`: show diffs of every task (a task's `diff:` keyword may override).
    pub diff: bool,
    pub verbosity: u8,
    /// `show_custom_stats` (ansible.cfg, ANSIBLE_SHOW_CUSTOM_STATS): print the
    /// statistics of `set_stats` after the recap.
    pub custom_stats: bool,
}
