//! What the executor tells the reporters. Events are plain data: reporters only read
//! them, and nothing else prints.

use indexmap::IndexMap;
use machinist_modules::{Diff, ProgressUnit};
use serde::Serialize;

/// How one task (or one loop item) ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    Ok,
    Changed,
    Failed,
    Skipped,
    /// The host could not be reached for the task (its connection failed or broke).
    Unreachable,
}

/// The result of one task on one host, or of one loop item.
#[derive(Debug, Clone, Serialize)]
pub struct TaskResult {
    pub play: String,
    /// The task's display name (`ROLE : NAME` inside a role).
    pub task: String,
    /// The module as the task named it (`file`, `ansible.builtin.copy`, `debug`).
    pub module: String,
    pub host: String,
    /// The host it acted on instead (`delegate_to`, `local_action`), as Ansible
    /// shows it: `[web1 -> localhost]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delegated_to: Option<String>,
    pub status: Status,
    /// Diffs, shown by the human reporter only under `--diff`; always in JSON.
    pub diff: Vec<Diff>,
    pub msg: Option<String>,
    /// The loop item (absent for tasks without a loop).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub item: Option<serde_json::Value>,
    /// `loop_control.label`, rendered: what the human reporter shows for the item.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// A failure that `ignore_errors` let pass.
    pub ignored: bool,
    /// What `register:` holds for this task or item (`changed`, `failed`, `msg`,
    /// `rc`, `stdout`, a debug's value, a plugin's data …): censored under `no_log`,
    /// large texts summarised (run/reported.rs).
    pub result: serde_json::Value,
    /// What the human reporter prints after `=>` (debug's `msg`/`var`, a failure's
    /// result); redacted already when the task is `no_log`.
    #[serde(skip)]
    pub shown: Option<serde_json::Value>,
    /// Whether the task asked for its diff to be shown (`--diff` or `diff: true`).
    #[serde(skip)]
    pub show_diff: bool,
}

/// Counts for one host, Ansible's way: `ok` counts every task that did not fail or
/// skip, changed ones included.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Stats {
    pub ok: u64,
    pub changed: u64,
    /// Tasks the host could not be reached for (a `machine` or `ssh` connection that
    /// could not start, or broke).
    pub unreachable: u64,
    pub failed: u64,
    pub skipped: u64,
    pub rescued: u64,
    pub ignored: u64,
}

/// A signal stopped the run: what was done and what was not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Interruption {
    /// `SIGINT`, `SIGTERM`.
    pub signal: String,
    /// The task the signal came in, and how far it got (its operation in progress
    /// finished; the rest did not start).
    pub cut_short: Option<String>,
    /// Tasks that changed something before the stop, in order.
    pub changed: Vec<String>,
    /// Tasks that never started.
    pub not_run: Vec<String>,
    /// Handlers that were notified and did not run.
    pub handlers_not_run: Vec<String>,
}

/// A task's `until` did not hold (or, with `retries` alone, it failed) and it runs
/// again: Ansible's `FAILED - RETRYING: [host]: NAME (N retries left).`
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retrying {
    pub host: String,
    pub task: String,
    /// Tries left after this one.
    pub retries_left: u64,
    /// The tries made so far.
    pub attempts: u64,
    /// This try's result as registered (`attempts`, `retries` in it), censored under
    /// `no_log`.
    pub result: serde_json::Value,
    /// The human output shows the result even without `-vv` (debug's, as Ansible's
    /// `_ansible_verbose_always`).
    #[serde(skip)]
    pub verbose_always: bool,
}

/// Another run holds the lock of the target root; this one waits for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LockWait {
    /// The target root, as given.
    pub root: String,
    /// Pids of the processes holding the lock (empty when they cannot be told).
    pub holders: Vec<u32>,
    /// The lock file.
    pub lock_file: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct Recap {
    pub hosts: IndexMap<String, Stats>,
    /// What `set_stats` kept: a host's name (or `_run`, the run's) → name → value.
    pub custom_stats: IndexMap<String, serde_json::Map<String, serde_json::Value>>,
}

/// Everything a reporter may be told, in order.
#[derive(Debug, Clone)]
pub enum Event {
    PlayStart {
        name: String,
    },
    /// A task is about to run (`TASK [..]`, or `RUNNING HANDLER [..]`).
    TaskStart {
        name: String,
        handler: bool,
    },
    TaskResult(Box<TaskResult>),
    /// A file was included for a host (`included: FILE for localhost`), for one loop
    /// item when the include loops (`… => (item=LABEL)`).
    Included {
        file: String,
        host: String,
        item: Option<String>,
    },
    /// A loop's items are all reported: `all_skipped` when every item was skipped,
    /// `ignored` when a failed item was let through by `ignore_errors` (the human
    /// reporter then prints Ansible's `skipping: [host]` or `...ignoring` once);
    /// `debug_failed` when an item of a `debug` loop failed (Ansible's callback then
    /// prints the loop's `fatal: … One or more items failed` too).
    LoopDone {
        host: String,
        all_skipped: bool,
        ignored: bool,
        debug_failed: bool,
    },
    /// Progress of a long task: `done` of `total` `unit`s (pacstrap: packages as
    /// steps; a large file write: bytes), doing `what` now.
    Progress {
        task: String,
        done: u64,
        total: u64,
        what: String,
        unit: ProgressUnit,
    },
    Warning(String),
    /// A task list was printed instead of run (`--list-tasks`, `--list-tags`).
    Listing(String),
    /// A signal stopped the run; the recap follows.
    Interrupted(Box<Interruption>),
    /// A task runs again (`until`, `retries`).
    Retrying(Box<Retrying>),
    /// The run waits for another run on the same root to finish.
    LockWait(LockWait),
    Recap(Recap),
}
