//! The `result` of a `task` event in `--format json`: what `register:` holds for the
//! task (or loop item), so scripts get debug values, command output and plugin data.
//! Under `no_log` it is censored (the registered value stays whole, its strings masked
//! wherever they show: [`hide_strings_of`]); text too large to be
//! useful in an event line (a file's contents in a diff, a huge stdout) is summarised:
//! its size, line count, SHA-256 and first bytes, never the whole of it (only the
//! sizes when it holds a vaulted value: report/masked.rs masks the rest of the event).

use serde_json::{json, Map, Value};
use sha2::{Digest, Sha256};

/// Strings longer than this many bytes are summarised.
pub const TEXT_LIMIT: usize = 64 * 1024;

/// The bytes of a summarised text kept as its `head`.
const HEAD_BYTES: usize = 1024;

/// The items of a summarised list of lines kept as its `head`.
const HEAD_ITEMS: usize = 20;

/// The event's `result` from the registered value.
pub fn event_result(mut registered: Value, no_log: bool) -> Value {
    if no_log {
        censor(&mut registered);
    } else {
        summarise(&mut registered);
    }
    registered
}

/// What a `no_log` task shows: `{censored, changed, failed}`.
pub fn censor(value: &mut Value) {
    if let Value::Object(map) = value {
        let changed = map.get("changed").cloned().unwrap_or(false.into());
        let failed = map.get("failed").cloned().unwrap_or(false.into());
        map.clear();
        map.insert("censored".into(), super::task::NO_LOG_MSG.into());
        map.insert("changed".into(), changed);
        map.insert("failed".into(), failed);
    }
}

/// Fields whose values are a module's fixed vocabulary (`directory`, `item`), never
/// anything the task read or was given: masking them would garble every later line.
const VOCABULARY_FIELDS: &[&str] = &["state", "ansible_loop_var", "censored"];

/// A `no_log` task registers its whole result, as Ansible does, so a later task can
/// use it (and a rescue sees its whole `ansible_failed_result`); every string in it is
/// revealed (crate::revealed) so every output masks it wherever it shows, as vaulted
/// values are masked. Strings shorter than [`crate::revealed::MIN_LINE`] are not (a
/// `yes` or `0` is no secret), nor [`VOCABULARY_FIELDS`].
pub fn hide_strings_of(registered: &Value) {
    let mut strings = Vec::new();
    strings_to_hide(registered, &mut strings);
    crate::revealed::reveal_all(strings);
}

fn strings_to_hide<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::String(text) if text.trim().chars().count() >= crate::revealed::MIN_LINE => {
            found.push(text)
        }
        Value::Array(items) => items.iter().for_each(|item| strings_to_hide(item, found)),
        Value::Object(map) => map
            .iter()
            .filter(|(key, _)| !VOCABULARY_FIELDS.contains(&key.as_str()))
            .for_each(|(_, value)| strings_to_hide(value, found)),
        _ => {}
    }
}

/// Replaces every string over [`TEXT_LIMIT`] bytes, and every list of strings that
/// holds more than that together (`stdout_lines`), by a summary object.
fn summarise(value: &mut Value) {
    match value {
        Value::String(text) if text.len() > TEXT_LIMIT => *value = text_summary(text),
        Value::Array(items) if is_big_text_list(items) => *value = lines_summary(items),
        Value::Array(items) => items.iter_mut().for_each(summarise),
        Value::Object(map) => map.values_mut().for_each(summarise),
        _ => {}
    }
}

fn is_big_text_list(items: &[Value]) -> bool {
    items.iter().all(Value::is_string)
        && items
            .iter()
            .filter_map(Value::as_str)
            .map(str::len)
            .sum::<usize>()
            > TEXT_LIMIT
}

fn text_summary(text: &str) -> Value {
    if crate::revealed::holds_secret(text) {
        // Neither its first bytes nor a hash to check a guess against.
        return json!({
            "summarised": "text",
            "bytes": text.len(),
            "lines": text.lines().count(),
            "censored": "it holds a vaulted value",
        });
    }
    let mut end = HEAD_BYTES.min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    json!({
        "summarised": "text",
        "bytes": text.len(),
        "lines": text.lines().count(),
        "sha256": hex(&Sha256::digest(text.as_bytes())),
        "head": &text[..end],
    })
}

fn lines_summary(items: &[Value]) -> Value {
    let lines = || items.iter().filter_map(Value::as_str);
    if lines().any(crate::revealed::holds_secret) {
        return json!({
            "summarised": "lines",
            "items": items.len(),
            "bytes": lines().map(str::len).sum::<usize>(),
            "censored": "it holds a vaulted value",
        });
    }
    let mut hasher = Sha256::new();
    let mut bytes = 0;
    for line in items.iter().filter_map(Value::as_str) {
        hasher.update(line.as_bytes());
        hasher.update(b"\n");
        bytes += line.len();
    }
    let mut summary = Map::new();
    summary.insert("summarised".into(), "lines".into());
    summary.insert("items".into(), items.len().into());
    summary.insert("bytes".into(), bytes.into());
    summary.insert("sha256".into(), hex(&hasher.finalize()).into());
    summary.insert(
        "head".into(),
        Value::Array(items.iter().take(HEAD_ITEMS).cloned().collect()),
    );
    Value::Object(summary)
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn small_results_pass_unchanged() {
        let registered = json!({"changed": true, "failed": false, "rc": 0,
                                "stdout": "hi", "stdout_lines": ["hi"]});
        assert_eq!(event_result(registered.clone(), false), registered);
    }

    #[test]
    fn no_log_keeps_only_the_statuses() {
        let registered = json!({"changed": true, "failed": false, "stdout": "secret"});
        assert_eq!(
            event_result(registered, true),
            json!({"censored": super::super::task::NO_LOG_MSG, "changed": true, "failed": false})
        );
    }

    #[test]
    fn large_texts_and_line_lists_are_summarised() {
        let line = "é".repeat(50);
        let text = vec![line.as_str(); 2000].join("\n");
        let lines: Vec<Value> = (0..2000).map(|_| Value::from(line.as_str())).collect();
        let registered = json!({"changed": false, "diff": [{"before": text, "after": "x"}],
                                "stdout_lines": lines});
        let result = event_result(registered, false);
        let before = &result["diff"][0]["before"];
        assert_eq!(before["summarised"], "text");
        assert_eq!(before["bytes"], text.len());
        assert_eq!(before["lines"], 2000);
        assert_eq!(
            before["sha256"].as_str().map(str::len),
            Some(64),
            "{before}"
        );
        let head = before["head"].as_str().unwrap_or_default();
        assert!(head.len() <= HEAD_BYTES && text.starts_with(head) && !head.is_empty());
        assert_eq!(result["diff"][0]["after"], "x");
        assert_eq!(result["stdout_lines"]["summarised"], "lines");
        assert_eq!(result["stdout_lines"]["items"], 2000);
        assert_eq!(
            result["stdout_lines"]["head"].as_array().map(Vec::len),
            Some(HEAD_ITEMS)
        );
    }

    #[test]
    fn a_large_text_holding_a_vaulted_value_keeps_only_its_sizes() {
        crate::revealed::reveal("Qv-summary-9");
        let text = format!("{}Qv-summary-9\n", "padding\n".repeat(10_000));
        let lines: Vec<Value> = text.lines().map(Value::from).collect();
        let result = event_result(
            json!({"changed": true, "stdout": text, "stdout_lines": lines}),
            false,
        );
        for key in ["stdout", "stdout_lines"] {
            let summary = &result[key];
            assert!(summary["censored"].is_string(), "{summary}");
            assert!(summary.get("head").is_none() && summary.get("sha256").is_none());
        }
    }
}
