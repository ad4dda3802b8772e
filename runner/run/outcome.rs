//! The result of one task or loop item, shaped as Ansible registers it.

use crate::events::Status;
use machinist_modules::Diff;
use serde_json::{Map, Value};

/// What ansible-core 2.19 registers as a failure's `exception` (its traceback,
/// which a Rust module has not): also `failed_when_suppressed_exception`'s value.
pub const NO_TRACEBACK: &str = "(traceback unavailable)";

/// What a task did, before it is reported and registered. As in Ansible, `changed`
/// and `failed` are independent (a command that ran and exited 1 is both).
/// Serializable both ways: an agent sends it back to the controller (runner/agent/).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
pub struct Outcome {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    /// The host could not be reached for it (its connection failed or broke).
    #[serde(default)]
    pub unreachable: bool,
    /// Reported and counted elsewhere (an include: its tasks report themselves).
    pub silent: bool,
    pub msg: Option<String>,
    pub diff: Vec<Diff>,
    /// Module-specific keys of the registered result (`rc`, `stdout`, `path`, …).
    pub data: Map<String, Value>,
    /// What the human reporter shows after `=>` (debug output, failure details).
    pub shown: Option<Value>,
    /// Which of ansible-core's result shapes this is registered as.
    pub shape: Shape,
    /// What the registered result's `diff` is (the reporter shows `diff` by its own
    /// rules).
    pub diff_registered: RegisteredDiff,
}

/// The `diff` key of a registered result. In diff mode it is the diff; outside it,
/// what each of Ansible's modules leaves there.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum RegisteredDiff {
    Whole,
    /// No `diff` key (file, user, systemd and the runner's own actions).
    Absent,
    /// `diff: []` (copy and template: their action plugin's).
    Empty,
    /// Empty content and attribute entries headed with the path (lineinfile and
    /// blockinfile build them before they know whether diffs are wanted).
    Headers(String),
}

impl RegisteredDiff {
    /// What a module's registered result carries as `diff` outside diff mode.
    pub fn without_diff_mode(
        builtin: machinist_modules::Builtin,
        args: &Map<String, Value>,
    ) -> RegisteredDiff {
        use machinist_modules::Builtin;
        match builtin {
            Builtin::Copy | Builtin::Template => RegisteredDiff::Empty,
            Builtin::Lineinfile | Builtin::Blockinfile => {
                let path = ["path", "dest", "destfile", "name"]
                    .iter()
                    .find_map(|key| args.get(*key).and_then(Value::as_str));
                match path {
                    Some(path) => RegisteredDiff::Headers(path.to_string()),
                    None => RegisteredDiff::Absent,
                }
            }
            _ => RegisteredDiff::Absent,
        }
    }

    fn value(&self, diff: &[Diff]) -> Option<Value> {
        match self {
            RegisteredDiff::Whole if diff.is_empty() => None,
            RegisteredDiff::Whole => Some(Value::Array(diff.iter().map(registered_diff).collect())),
            RegisteredDiff::Absent => None,
            RegisteredDiff::Empty => Some(Value::Array(Vec::new())),
            RegisteredDiff::Headers(path) => {
                let content = format!("{path} (content)");
                let attributes = format!("{path} (file attributes)");
                Some(serde_json::json!([
                    {"after": "", "after_header": content, "before": "", "before_header": content},
                    {"after_header": attributes, "before_header": attributes},
                ]))
            }
        }
    }
}

/// One diff as Ansible registers it: a header it has not (a new file's `before`) is
/// no key.
fn registered_diff(diff: &Diff) -> Value {
    let mut map = Map::new();
    for (key, header, text) in [
        ("before", &diff.before_header, &diff.before),
        ("after", &diff.after_header, &diff.after),
    ] {
        if !header.is_empty() {
            map.insert(format!("{key}_header"), Value::String(header.clone()));
        }
        map.insert(key.into(), Value::String(text.clone()));
    }
    Value::Object(map)
}

/// ansible-core adds `failed: false` to what an action returns; results the executor
/// makes itself (a false `when`, a loop's summary) have `failed` only when true.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Shape {
    /// What a module or runner action returned.
    Action,
    /// A task whose `when` was false, or whose loop had no items.
    NotRun,
    /// The summary of a loop's items (`results`), with `skipped` always.
    Loop,
}

impl Outcome {
    pub fn ok() -> Outcome {
        Outcome {
            changed: false,
            failed: false,
            skipped: false,
            unreachable: false,
            silent: false,
            msg: None,
            diff: Vec::new(),
            data: Map::new(),
            shown: None,
            shape: Shape::Action,
            diff_registered: RegisteredDiff::Whole,
        }
    }

    pub fn failed(msg: impl Into<String>) -> Outcome {
        Outcome {
            failed: true,
            ..Outcome::ok()
        }
        .with_msg(msg)
    }

    pub fn skipped(reason: impl Into<String>) -> Outcome {
        let mut outcome = Outcome {
            skipped: true,
            ..Outcome::ok()
        };
        outcome
            .data
            .insert("skip_reason".into(), Value::String(reason.into()));
        outcome
    }

    /// The host could not be reached for the task: Ansible's `UNREACHABLE!`.
    pub fn unreachable(msg: impl Into<String>) -> Outcome {
        let msg = msg.into();
        Outcome {
            unreachable: true,
            shown: Some(serde_json::json!({"changed": false, "msg": msg, "unreachable": true})),
            ..Outcome::ok()
        }
        .with_msg(msg)
    }

    pub fn with_msg(mut self, msg: impl Into<String>) -> Outcome {
        self.msg = Some(msg.into());
        self
    }

    /// The one word reported: unreachable over failed over skipped over changed over ok.
    pub fn status(&self) -> Status {
        if self.unreachable {
            Status::Unreachable
        } else if self.failed {
            Status::Failed
        } else if self.skipped {
            Status::Skipped
        } else if self.changed {
            Status::Changed
        } else {
            Status::Ok
        }
    }

    /// The registered result: Ansible's keys (`changed`, `failed`, `skipped`, `msg`,
    /// `diff`) plus the module's own, in the [`Shape`] ansible-core gives them.
    pub fn registered(&self) -> Value {
        let mut map = Map::new();
        map.insert("changed".into(), Value::Bool(self.changed));
        if self.failed || self.shape == Shape::Action {
            map.insert("failed".into(), Value::Bool(self.failed));
        }
        if self.skipped || self.shape == Shape::Loop {
            map.insert("skipped".into(), Value::Bool(self.skipped));
        }
        if let Some(msg) = &self.msg {
            map.insert("msg".into(), Value::String(msg.clone()));
        }
        if self.unreachable {
            map.insert("unreachable".into(), Value::Bool(true));
        } else if self.failed && self.shape != Shape::Loop {
            // As ansible-core 2.19: a failed result carries its (Python) traceback,
            // unavailable unless the run is `-vvv`; a loop's summary has none.
            map.insert("exception".into(), Value::String(NO_TRACEBACK.into()));
        }
        if let Some(diff) = self.diff_registered.value(&self.diff) {
            map.insert("diff".into(), diff);
        }
        for (key, value) in &self.data {
            map.insert(key.clone(), value.clone());
        }
        Value::Object(map)
    }

    /// What a failure shows: Ansible's `{"changed": false, "msg": …}` plus details.
    pub fn failure_details(&self) -> Value {
        let mut map = Map::new();
        map.insert("changed".into(), Value::Bool(self.changed));
        for (key, value) in &self.data {
            map.insert(key.clone(), value.clone());
        }
        if let Some(msg) = &self.msg {
            map.insert("msg".into(), Value::String(msg.clone()));
        }
        if self.unreachable {
            map.insert("unreachable".into(), Value::Bool(true));
        }
        Value::Object(map)
    }
}
