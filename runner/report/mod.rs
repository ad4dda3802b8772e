//! Reporters: the only code that writes to stdout. Human output follows Ansible's
//! shape; JSON output is one event per line for machines.

pub mod diagnostic;
pub mod human;
pub mod json;

use crate::events::Event;

/// Something that turns events into output.
pub trait Reporter {
    fn event(&mut self, event: &Event);
}

/// How the user asked output to look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutputOptions {
    pub color: bool,
    /// `--diff`: show diffs of every task (a task's `diff:` keyword may override).
    pub diff: bool,
    pub verbosity: u8,
}
