//! One task result as Ansible's default callback prints it: its diffs (under `--diff`),
//! then `ok: [host]`, `changed: [host] => (item=x)`, `fatal: [host]: FAILED! => {…}`,
//! `fatal: [host]: UNREACHABLE! => {…}`, a debug result's indented JSON, and `...ignoring` after a failure let through.
//! Under `-v` a result that went well shows its registered result, as Ansible's does.

use crate::events::{Status, TaskResult};
use crate::report::color::{Color, Painter};
use crate::report::{diff, pyjson};
use serde_json::{Map, Value};

/// The result as text, every line ending in `\n`.
pub(crate) fn render(result: &TaskResult, verbosity: u8, paint: Painter) -> String {
    let mut out = String::new();
    if result.show_diff {
        for d in &result.diff {
            out.push_str(&diff::render(d, paint));
        }
    }
    // Ansible's `skipping:` lines never name the delegate.
    let host = match &result.delegated_to {
        Some(delegate) if result.status != Status::Skipped => {
            format!("{} -> {delegate}", result.host)
        }
        _ => result.host.clone(),
    };
    let item = item_text(result);
    let (line, color) = match result.status {
        Status::Ok | Status::Changed => {
            let (word, color) = if result.status == Status::Changed {
                ("changed", Color::Yellow)
            } else {
                ("ok", Color::Green)
            };
            let mut line = format!("{word}: [{host}]");
            if let Some(item) = &item {
                line.push_str(&format!(" => (item={item})"));
            }
            if let Some(shown) = &result.shown {
                line.push_str(" => ");
                line.push_str(&pyjson::dump(shown, Some(4)));
            } else if verbosity > 0 {
                line.push_str(" => ");
                line.push_str(&pyjson::dump(&verbose_result(result), None));
            }
            (line, color)
        }
        // Ansible's item line really ends in a space; kept for byte compatibility.
        Status::Skipped => match &item {
            Some(item) => (format!("skipping: [{host}] => (item={item}) "), Color::Cyan),
            None => (format!("skipping: [{host}]"), Color::Cyan),
        },
        Status::Unreachable => {
            let dump = match &result.shown {
                Some(shown) => pyjson::dump(shown, None),
                None => pyjson::dump(&summary(result), None),
            };
            (
                format!("fatal: [{host}]: UNREACHABLE! => {dump}"),
                Color::BrightRed,
            )
        }
        Status::Failed => {
            let dump = match &result.shown {
                Some(shown) => pyjson::dump(shown, None),
                None => pyjson::dump(&summary(result), None),
            };
            match &item {
                Some(item) => (
                    format!("failed: [{host}] (item={item}) => {dump}"),
                    Color::Red,
                ),
                None => (format!("fatal: [{host}]: FAILED! => {dump}"), Color::Red),
            }
        }
    };
    paint.paint_onto(&mut out, &line, color);
    out.push('\n');
    // A loop's items say it once, after the last (`Event::LoopDone`), as Ansible.
    let let_through = matches!(result.status, Status::Failed | Status::Unreachable);
    if let_through && result.ignored && result.item.is_none() {
        out.push_str(&paint.paint("...ignoring", Color::Cyan));
        out.push('\n');
    }
    out
}

/// What `(item=…)` shows: the loop label, else the item (strings bare, the rest as JSON).
fn item_text(result: &TaskResult) -> Option<String> {
    if let Some(label) = &result.label {
        return Some(label.clone());
    }
    result.item.as_ref().map(|item| match item {
        Value::String(s) => s.clone(),
        other => pyjson::dump(other, None),
    })
}

/// What `-v` shows of a result that went well: the registered result without what
/// Ansible's callback leaves out (`diff`, `exception`, `warnings`, `deprecations`,
/// `invocation`, internal `_ansible_` keys) and without `failed: false`, which
/// ansible-core adds only when it registers.
fn verbose_result(result: &TaskResult) -> Value {
    let Value::Object(registered) = &result.result else {
        return summary(result);
    };
    let shown: Map<String, Value> = registered
        .iter()
        .filter(|(key, value)| {
            let left_out = matches!(
                key.as_str(),
                "diff" | "exception" | "warnings" | "deprecations" | "invocation"
            ) || key.starts_with("_ansible_");
            let not_failed = key.as_str() == "failed" && **value == Value::Bool(false);
            !(left_out || not_failed)
        })
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Value::Object(shown)
}

/// The result in brief when the task gave nothing to show: `changed`, the item, `msg`.
fn summary(result: &TaskResult) -> Value {
    let mut map = Map::new();
    map.insert(
        "changed".into(),
        Value::Bool(result.status == Status::Changed),
    );
    if let Some(item) = &result.item {
        map.insert("item".into(), item.clone());
    }
    if let Some(msg) = &result.msg {
        map.insert("msg".into(), Value::String(msg.clone()));
    }
    Value::Object(map)
}
