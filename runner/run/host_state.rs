//! One target host's own state for a run: its name, its Hosts (one per root), the facts
//! it gathered and set, what it registered, its counts for the recap, and whether it
//! failed. Nothing here is shared with another host (issue 16 runs many, each with its
//! own); the executor's play loop and the task flow read and update it.

use super::remote::Site;
use crate::events::{Event, Stats};
use crate::playbook::model::Task;
use crate::vars::Layer;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::Arc;

pub(super) struct HostState {
    /// Its inventory name (`inventory_hostname`; the recap's line).
    pub name: String,
    pub stats: Stats,
    /// Gathered facts, `set_fact` and `register`: they outlive the play.
    pub facts: Facts,
    /// A task failed on it (not rescued nor ignored): it leaves the run.
    pub failed: bool,
    /// A task could not reach it (not let through by `ignore_unreachable`): it
    /// leaves the run, and the run exits 3 unless a host failed.
    pub unreachable: bool,
    /// The last task that failed, and its result: `ansible_failed_task` and
    /// `ansible_failed_result` in a `rescue`.
    pub last_failure: Option<(serde_json::Value, serde_json::Value)>,
    /// One place per root for the whole run (a remote host has one: its own), keyed by its path inside the run's root
    /// (`/` first): plays on the same root share check-mode overlay and daemon-reload
    /// books, and a play's `root:` host sees what earlier plays did inside it.
    pub roots: Vec<(PathBuf, Rc<Site>)>,
    /// While a looped `include_tasks` runs its items: the files each item included,
    /// with the item's variables, run after the loop (Ansible includes every item's
    /// file first, then runs them in order).
    pub deferred: Option<Vec<Deferred>>,
}

impl HostState {
    /// A host whose tasks act on `base` (its `/`).
    pub fn new(name: &str, base: Rc<Site>) -> HostState {
        HostState {
            name: name.to_string(),
            stats: Stats::default(),
            facts: Facts::default(),
            failed: false,
            unreachable: false,
            last_failure: None,
            roots: vec![(PathBuf::from("/"), base)],
            deferred: None,
        }
    }
}

/// An included file waiting for the loop that included it to finish: its tasks, the
/// item's template context, and the scope it was included in (a per-item `root:`).
pub(super) struct Deferred {
    /// Its `included:` line, shown when the loop is done.
    pub announce: Event,
    /// The included task file (on the include chain while it runs); none for a role.
    pub file: Option<std::path::PathBuf>,
    pub tasks: Arc<Vec<Task>>,
    pub ctx: minijinja::Value,
    pub vars: Vec<Layer>,
    pub host: Option<Rc<Site>>,
}

/// Gathered facts, `set_fact` and `register`, and how often they changed.
#[derive(Default)]
pub(super) struct Facts {
    pub layer: Layer,
    pub changes: u64,
    /// The names whose value came from gathering facts (what `meta: clear_facts`
    /// forgets: Ansible's fact cache, not its set_fact and register variables).
    gathered: Vec<String>,
}

impl Facts {
    pub fn set(&mut self, name: &str, value: minijinja::Value) {
        self.gathered.retain(|n| n != name);
        self.layer.set(name, value);
        self.changes += 1;
    }

    /// A fact gathered from the host.
    pub fn set_gathered(&mut self, name: &str, value: minijinja::Value) {
        self.set(name, value);
        self.gathered.push(name.to_string());
    }

    /// Variables that may hold templates, rendered when used (`include_vars`).
    pub fn extend(&mut self, layer: &Layer) {
        for name in layer.names() {
            self.gathered.retain(|n| n != name);
        }
        self.layer.extend(layer);
        self.changes += 1;
    }

    /// `meta: clear_facts`: the gathered facts are gone; set_fact, include_vars and
    /// registered variables stay, as in Ansible (they are not in its fact cache).
    pub fn clear_gathered(&mut self) {
        for name in std::mem::take(&mut self.gathered) {
            self.layer.remove(&name);
        }
        self.changes += 1;
    }
}
