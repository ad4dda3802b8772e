//! The reporter every run's events pass through first: vaulted values
//! (`vault::revealed`) are masked in every string an event carries — task names,
//! messages, items, labels, what `debug` shows, the registered `result`, warnings —
//! and a diff that holds one is censored whole, for human and JSON output alike. With nothing revealed,
//! events pass untouched.

use super::Reporter;
use crate::events::{Event, TaskResult};
use crate::revealed::{self, holds_secret, mask, mask_json};

/// What a censored diff says instead of its new content...
pub const CENSORED_DIFF: &str = "(content hidden: it holds a vaulted value)\n";
/// ...and instead of its old one (unless there was none).
pub const CENSORED_BEFORE: &str = "(old content hidden)\n";

pub struct Masked<R: Reporter + ?Sized> {
    inner: Box<R>,
}

impl<R: Reporter + ?Sized> Masked<R> {
    pub fn new(inner: Box<R>) -> Masked<R> {
        Masked { inner }
    }
}

fn text(value: &mut String) {
    if let std::borrow::Cow::Owned(masked) = mask(value) {
        *value = masked;
    }
}

fn task_result(result: &mut TaskResult) {
    // Every field named: a field added to TaskResult must be decided on here.
    let TaskResult {
        play,
        task,
        module: _,
        host: _,
        delegated_to: _,
        status: _,
        diff,
        msg,
        item,
        label,
        ignored: _,
        result: registered,
        shown,
        show_diff: _,
    } = result;
    text(play);
    text(task);
    if let Some(msg) = msg {
        text(msg);
    }
    if let Some(label) = label {
        text(label);
    }
    if let Some(item) = item {
        mask_json(item);
    }
    if let Some(shown) = shown {
        mask_json(shown);
    }
    // The registered value's diffs as the event's (censored whole), then the rest.
    if let Some(diffs) = registered.get_mut("diff").and_then(|d| d.as_array_mut()) {
        for diff in diffs.iter_mut().filter_map(|d| d.as_object_mut()) {
            let secret = |key: &str| {
                diff.get(key)
                    .and_then(|v| v.as_str())
                    .is_some_and(holds_secret)
            };
            if secret("before") || secret("after") {
                if diff
                    .get("before")
                    .and_then(|v| v.as_str())
                    .is_some_and(|b| !b.is_empty())
                {
                    diff.insert("before".into(), CENSORED_BEFORE.into());
                }
                diff.insert("after".into(), CENSORED_DIFF.into());
            }
        }
    }
    mask_json(registered);
    for diff in diff {
        text(&mut diff.before_header);
        text(&mut diff.after_header);
        if holds_secret(&diff.before) || holds_secret(&diff.after) {
            if !diff.before.is_empty() {
                diff.before = CENSORED_BEFORE.into();
            }
            diff.after = CENSORED_DIFF.into();
        }
    }
}

/// `event` with every vaulted value masked.
pub fn masked(event: &Event) -> Event {
    let mut event = event.clone();
    match &mut event {
        Event::PlayStart { name } | Event::TaskStart { name, .. } => text(name),
        Event::TaskResult(result) => task_result(result),
        Event::Included { file, item, .. } => {
            text(file);
            if let Some(item) = item {
                text(item);
            }
        }
        Event::Progress { task, what, .. } => {
            text(task);
            text(what);
        }
        Event::Warning(message) | Event::Listing(message) => text(message),
        Event::Interrupted(interruption) => {
            if let Some(cut) = &mut interruption.cut_short {
                text(cut);
            }
            for list in [
                &mut interruption.changed,
                &mut interruption.not_run,
                &mut interruption.handlers_not_run,
            ] {
                list.iter_mut().for_each(text);
            }
        }
        Event::Retrying(retrying) => {
            text(&mut retrying.task);
            mask_json(&mut retrying.result);
        }
        Event::LoopDone { .. } | Event::LockWait(_) | Event::Recap(_) => {}
    }
    event
}

impl<R: Reporter + ?Sized> Reporter for Masked<R> {
    fn event(&mut self, event: &Event) {
        if revealed::any() {
            self.inner.event(&masked(event));
        } else {
            self.inner.event(event);
        }
    }

    fn flush(&mut self) {
        self.inner.flush();
    }

    fn finish(&mut self) -> std::io::Result<()> {
        self.inner.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::Status;
    use machinist_modules::Diff;

    #[test]
    fn every_string_of_a_result_is_masked_and_diffs_are_censored() {
        crate::revealed::reveal("Zm-masked-7");
        let result = TaskResult {
            play: "p".into(),
            task: "set Zm-masked-7".into(),
            module: "copy".into(),
            host: "localhost".into(),
            delegated_to: None,
            status: Status::Changed,
            diff: vec![
                Diff::of_path("/etc/a", "old\n", "pw=Zm-masked-7\n"),
                Diff::of_path("/etc/b", "", "Zm-masked-7"),
                Diff::of_path("/etc/c", "x\n", "y\n"),
            ],
            msg: Some("Zm-masked-7!".into()),
            item: Some(serde_json::json!({"pw": "Zm-masked-7"})),
            label: Some("Zm-masked-7".into()),
            ignored: false,
            result: serde_json::json!({
                "changed": true,
                "stdout": "echo Zm-masked-7",
                "diff": [{"before_header": "/etc/a", "after_header": "/etc/a",
                          "before": "old\n", "after": "pw=Zm-masked-7\n"},
                         {"before_header": "/etc/c", "after_header": "/etc/c",
                          "before": "x\n", "after": "y\n"}],
            }),
            shown: Some(serde_json::json!({"msg": "Zm-masked-7"})),
            show_diff: true,
        };
        let Event::TaskResult(masked) = masked(&Event::TaskResult(Box::new(result))) else {
            panic!("not a task result");
        };
        assert_eq!(masked.task, "set ********");
        assert_eq!(masked.msg.as_deref(), Some("********!"));
        assert_eq!(masked.label.as_deref(), Some("********"));
        assert_eq!(masked.item, Some(serde_json::json!({"pw": "********"})));
        assert_eq!(masked.shown, Some(serde_json::json!({"msg": "********"})));
        assert_eq!(
            (
                masked.diff[0].before.as_str(),
                masked.diff[0].after.as_str()
            ),
            (CENSORED_BEFORE, CENSORED_DIFF)
        );
        assert_eq!(
            (
                masked.diff[1].before.as_str(),
                masked.diff[1].after.as_str()
            ),
            ("", CENSORED_DIFF)
        );
        assert_eq!(masked.diff[2].after, "y\n");
        assert_eq!(masked.result["stdout"], "echo ********");
        assert_eq!(masked.result["diff"][0]["before"], CENSORED_BEFORE);
        assert_eq!(masked.result["diff"][0]["after"], CENSORED_DIFF);
        assert_eq!(masked.result["diff"][1]["after"], "y\n");
    }
}
