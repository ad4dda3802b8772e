//! The JSON reporter (`--format json`): one JSON object per line, flushed per line, for
//! scripts. The shape of each line is a contract users rely on; tests pin it field by
//! field.

use crate::events::Event;
use crate::report::Reporter;
use serde_json::{Map, Value};
use std::io::{self, Stdout, Write};

/// Writes one JSON object per event (none for `TaskStart`) to `out`.
pub struct JsonReporter<W: Write> {
    out: W,
    /// The first write error; later events are dropped and `finish` returns it.
    error: Option<io::Error>,
}

impl JsonReporter<Stdout> {
    pub fn stdout() -> Self {
        JsonReporter::new(io::stdout())
    }
}

impl<W: Write> JsonReporter<W> {
    pub fn new(out: W) -> Self {
        JsonReporter { out, error: None }
    }

    fn handle(&mut self, event: &Event) -> io::Result<()> {
        let Some(value) = line(event)? else {
            return Ok(());
        };
        serde_json::to_writer(&mut self.out, &value)?;
        self.out.write_all(b"\n")?;
        self.out.flush()
    }
}

/// A new file's diff has no `before` header, shown as Ansible's bare `--- before`
/// (report/diff.rs); its JSON names the path on both sides, as every diff event does.
fn name_a_new_file_before(diff: &mut Value) {
    let Value::Object(diff) = diff else { return };
    let named = diff.get("before_header").and_then(Value::as_str) != Some("");
    if named {
        return;
    }
    if let Some(after) = diff.get("after_header").cloned() {
        diff.insert("before_header".into(), after);
    }
}

/// The JSON object for an event, or `None` for events that print nothing.
fn line(event: &Event) -> io::Result<Option<Value>> {
    let fields: Vec<(&str, Value)> = match event {
        Event::PlayStart { name } => vec![("event", "play".into()), ("name", name.as_str().into())],
        Event::TaskStart { .. } | Event::LoopDone { .. } => return Ok(None),
        Event::TaskResult(result) => {
            let mut map = Map::new();
            map.insert("event".into(), "task".into());
            if let Value::Object(mut rest) = serde_json::to_value(result)? {
                if let Some(Value::Array(diffs)) = rest.get_mut("diff") {
                    diffs.iter_mut().for_each(name_a_new_file_before);
                }
                map.extend(rest);
            }
            return Ok(Some(Value::Object(map)));
        }
        Event::Included { file, host, item } => {
            let mut fields = vec![
                ("event", "included".into()),
                ("file", file.as_str().into()),
                ("host", host.as_str().into()),
            ];
            if let Some(item) = item {
                fields.push(("item", item.as_str().into()));
            }
            fields
        }
        Event::Progress {
            task,
            done,
            total,
            what,
            unit,
        } => vec![
            ("event", "progress".into()),
            ("task", task.as_str().into()),
            ("done", (*done).into()),
            ("total", (*total).into()),
            ("what", what.as_str().into()),
            ("unit", serde_json::to_value(unit)?),
        ],
        Event::Warning(msg) => vec![("event", "warning".into()), ("msg", msg.as_str().into())],
        Event::Listing(text) => vec![("event", "listing".into()), ("text", text.as_str().into())],
        Event::Interrupted(event) => return tagged("interrupted", event.as_ref()),
        Event::Retrying(event) => return tagged("retrying", event.as_ref()),
        Event::LockWait(event) => return tagged("lock_wait", event),
        Event::Recap(recap) => {
            let mut fields = vec![
                ("event", "recap".into()),
                ("hosts", serde_json::to_value(&recap.hosts)?),
            ];
            if !recap.custom_stats.is_empty() {
                fields.push(("custom_stats", serde_json::to_value(&recap.custom_stats)?));
            }
            fields
        }
    };
    Ok(Some(Value::Object(
        fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v))
            .collect(),
    )))
}

/// `{"event": NAME, ...the fields of data}`.
fn tagged(name: &str, data: &impl serde::Serialize) -> io::Result<Option<Value>> {
    let mut map = Map::new();
    map.insert("event".into(), name.into());
    if let Value::Object(rest) = serde_json::to_value(data)? {
        map.extend(rest);
    }
    Ok(Some(Value::Object(map)))
}

impl<W: Write> Reporter for JsonReporter<W> {
    fn event(&mut self, event: &Event) {
        if self.error.is_some() {
            return;
        }
        if let Err(e) = self.handle(event) {
            self.error = Some(e);
        }
    }

    fn finish(&mut self) -> io::Result<()> {
        match self.error.take() {
            Some(e) => Err(e),
            None => self.out.flush(),
        }
    }
}
