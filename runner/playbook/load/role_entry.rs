//! The keywords a role entry (an item of a play's `roles:`, or a dependency in a
//! role's meta/main.yml) gives every task of the role and of its dependencies, as
//! Ansible reads a task's keyword from its role and then from the roles depending on
//! it: `become`, `no_log`, `environment`, `ignore_errors`, `check_mode`, `diff`,
//! `timeout`, `module_defaults` and the keywords of runs on many hosts. They are put
//! on the role's block, which passes them down like any block (playbook/inherit.rs).
//! Before this they were refused, and `become` was accepted and ignored.

use super::Loader;
use crate::playbook::model::{BecomeKeywords, Origin, Rare, Task};
use crate::yaml::Node;

/// What a role entry's keywords give the block of its role's tasks.
pub(super) struct EntryKeywords {
    ignore_errors: bool,
    check_mode: Option<bool>,
    diff: Option<bool>,
    no_log: bool,
    rare: Rare,
}

impl Loader {
    /// The keywords written on the role entry `entry`, read as a block's are.
    pub(super) fn entry_keywords(&mut self, entry: &Node, origin: &Origin) -> EntryKeywords {
        EntryKeywords {
            ignore_errors: entry.get("ignore_errors").is_some_and(|b| self.boolean(b)),
            check_mode: entry.get("check_mode").map(|b| self.boolean(b)),
            diff: entry.get("diff").map(|b| self.boolean(b)),
            no_log: entry.get("no_log").is_some_and(|b| self.boolean(b)),
            rare: Rare {
                timeout: entry.get("timeout").and_then(|t| self.seconds(t)),
                environment: entry.get("environment").cloned().into_iter().collect(),
                ignore_unreachable: entry.get("ignore_unreachable").map(|b| self.boolean(b)),
                become_: BecomeKeywords::of(entry),
                module_defaults: self.module_defaults(entry.get("module_defaults"), origin),
                fleet: self.fleet(entry),
                ..Rare::default()
            },
        }
    }
}

impl EntryKeywords {
    /// Put them on `block`, a block of the role's (or its dependencies') tasks.
    pub(super) fn give(&self, block: &mut Task) {
        block.ignore_errors |= self.ignore_errors;
        block.check_mode = self.check_mode.or(block.check_mode);
        block.diff = self.diff.or(block.diff);
        block.no_log |= self.no_log;
        block.rare = self.rare.clone().boxed();
    }
}
