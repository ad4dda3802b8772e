//! Reading what a run printed: Ansible's default stdout callback, which machinist's
//! human reporter reproduces, parsed into records (one per play, include, task result
//! and loop item) and the recap counts. The same parser reads both tools' output, so
//! the comparison never depends on two parsers agreeing.
//!
//! What is kept: the play and task names, each result's status (`ok`, `changed`,
//! `skipped`, `failed`), its loop item as shown, what `debug` (or `assert`) showed
//! after `=>`, `included:` lines, `...ignoring` and `FAILED - RETRYING` lines. What
//! is dropped: diffs, failure details (timestamps, internal keys), and warnings and
//! errors printed between results.

use serde_json::{json, Map, Value};

/// The records and recap of one run's stdout.
pub struct Parsed {
    pub records: Vec<Value>,
    pub recap: Value,
}

/// Parse the default callback's output (paths already replaced by placeholders).
pub fn parse(text: &str) -> Parsed {
    parse_results(text, false)
}

/// [`parse`] for a run on many hosts: each result record names its `host` (and
/// carries `ignoring` itself), the results of one task and the `included:` lines of
/// one include are sorted by host (Ansible's forks finish in any order), and the recap
/// has an entry per host.
pub fn parse_hosts(text: &str) -> Parsed {
    let mut parsed = parse_results(text, true);
    let mut sorted: Vec<Value> = Vec::with_capacity(parsed.records.len());
    let mut run: Vec<Value> = Vec::new();
    let flush = |run: &mut Vec<Value>, sorted: &mut Vec<Value>| {
        run.sort_by(|a, b| a["host"].as_str().cmp(&b["host"].as_str()));
        sorted.append(run);
    };
    for record in parsed.records {
        let same_task = run
            .last()
            .is_some_and(|last| record.get("host").is_some() && last["task"] == record["task"]);
        if !same_task {
            flush(&mut run, &mut sorted);
        }
        if record.get("host").is_some() {
            run.push(record);
        } else {
            sorted.push(record);
        }
    }
    flush(&mut run, &mut sorted);
    // The `included:` lines of one include task, one per file, come in the order the
    // hosts finished: sorted by their first host.
    let mut at = 0;
    while at < sorted.len() {
        let end = at
            + sorted[at..]
                .iter()
                .take_while(|r| r.get("included").is_some() && r.get("hosts").is_some())
                .count();
        sorted[at..end].sort_by(|a, b| a["hosts"][0].as_str().cmp(&b["hosts"][0].as_str()));
        at = end.max(at + 1);
    }
    parsed.records = sorted;
    parsed
}

fn parse_results(text: &str, hosts: bool) -> Parsed {
    let mut recaps = Map::new();
    let mut records: Vec<Value> = Vec::new();
    let mut recap = Value::Null;
    let mut task = String::new();
    let mut handler = false;
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        if let Some(name) = banner(line, "PLAY [") {
            records.push(json!({ "play": name }));
        } else if let Some(name) = banner(line, "TASK [") {
            task = name;
            handler = false;
        } else if let Some(name) = banner(line, "RUNNING HANDLER [") {
            task = name;
            handler = true;
        } else if line.starts_with("PLAY RECAP ") {
            for next in lines.by_ref() {
                if let Some(counts) = recap_counts(next) {
                    let host = next.split_whitespace().next().unwrap_or_default();
                    recaps.insert(host.to_string(), counts.clone());
                    recap = counts;
                    if !hosts {
                        break;
                    }
                }
            }
        } else if let (true, Some(rest)) = (hosts, line.strip_prefix("included: ")) {
            // `included: FILE for web1, web2`: the hosts sorted (forks finish in any
            // order); a looped include's `=> (item=…)` stays in the file's text.
            let (file, names) = rest.rsplit_once(" for ").unwrap_or((rest, ""));
            let mut names: Vec<&str> = names.split(", ").collect();
            names.sort_unstable();
            records.push(json!({ "included": file, "hosts": names }));
        } else if let Some(rest) = line.strip_prefix("included: ") {
            let (file, item) = match rest.split_once(" for localhost => (item=") {
                Some((file, item)) => (file, item.strip_suffix(')')),
                None => (rest.strip_suffix(" for localhost").unwrap_or(rest), None),
            };
            let mut record = json!({ "included": file });
            if let Some(item) = item {
                record["item"] = item.into();
            }
            records.push(record);
        } else if let Some((status, rest)) = result_line(line) {
            let mut record = Map::new();
            record.insert("task".into(), task.clone().into());
            if handler {
                record.insert("handler".into(), true.into());
            }
            if hosts {
                let host = line
                    .split_once('[')
                    .and_then(|(_, rest)| rest.split_once(']'));
                let host = host.map(|(host, _)| host).unwrap_or_default();
                record.insert("host".into(), host.into());
            }
            record.insert("status".into(), status.into());
            let item = item_text(rest);
            let opens_json = rest.ends_with("=> {");
            if let Some(item) = &item {
                record.insert("item".into(), item.clone().into());
            }
            if opens_json && status != "failed" {
                let mut body = String::from("{");
                for next in lines.by_ref() {
                    body.push('\n');
                    body.push_str(next);
                    if next == "}" {
                        break;
                    }
                }
                let shown = serde_json::from_str(&body).unwrap_or(Value::String(body));
                record.insert("shown".into(), shown);
            }
            records.push(Value::Object(record));
        } else if let Some((name, left)) = retrying(line) {
            records.push(json!({ "retrying": name, "left": left }));
        } else if line == "...ignoring" {
            match records.last_mut() {
                Some(last) if hosts => last["ignoring"] = true.into(),
                _ => records.push(json!({ "ignoring": task })),
            }
        }
    }
    if hosts {
        recap = Value::Object(recaps);
    }
    Parsed { records, recap }
}

/// `--list-hosts` output: each play's header, pattern and hosts (sorted: Ansible
/// lists a set).
pub fn list_hosts(text: &str) -> Vec<Value> {
    let mut plays: Vec<Value> = Vec::new();
    for line in text.lines() {
        if let Some(header) = line.strip_prefix("  play #") {
            plays.push(json!({ "play": header, "hosts": [] }));
        } else if let Some(pattern) = line.strip_prefix("    pattern: ") {
            if let Some(play) = plays.last_mut() {
                play["pattern"] = pattern.into();
            }
        } else if let Some(host) = line.strip_prefix("      ") {
            if let Some(Value::Array(hosts)) = plays.last_mut().map(|p| &mut p["hosts"]) {
                hosts.push(host.into());
                hosts.sort_by(|a, b| a.as_str().cmp(&b.as_str()));
            }
        }
    }
    plays
}

/// `TASK [name] ****…` → `name`.
fn banner(line: &str, lead: &str) -> Option<String> {
    let rest = line.strip_prefix(lead)?;
    let end = rest.rfind("] *")?;
    Some(rest[..end].to_string())
}

/// `FAILED - RETRYING: [host]: NAME (N retries left).` → the task's name and N (what
/// follows, `Result was: …` under -vv or for debug, is dropped).
fn retrying(line: &str) -> Option<(String, u64)> {
    let rest = line.strip_prefix("FAILED - RETRYING: [")?;
    let (_, rest) = rest.split_once("]: ")?;
    let end = rest.rfind(" retries left).")?;
    let (name, left) = rest[..end].rsplit_once(" (")?;
    Some((name.to_string(), left.parse().ok()?))
}

/// A result line: its status and what follows the host.
fn result_line(line: &str) -> Option<(&'static str, &str)> {
    for (prefix, status) in [
        ("ok: [", "ok"),
        ("changed: [", "changed"),
        ("skipping: [", "skipped"),
        ("fatal: [", "failed"),
        ("failed: [", "failed"),
    ] {
        if let Some(rest) = line.strip_prefix(prefix) {
            let end = rest.find(']')?;
            let rest = &rest[end + 1..];
            if rest.starts_with(": UNREACHABLE! ") {
                return Some(("unreachable", rest));
            }
            return Some((status, rest));
        }
    }
    None
}

/// The `(item=…)` of a result line, as shown.
fn item_text(rest: &str) -> Option<String> {
    let start = rest.find("(item=")? + "(item=".len();
    let tail = rest[start..].trim_end();
    let end = match tail.rfind(") => ") {
        Some(end) if tail[end..].starts_with(") => {") => end,
        _ => tail.rfind(')')?,
    };
    Some(tail[..end].to_string())
}

/// `localhost : ok=1 changed=0 …` → `{"ok": 1, "changed": 0, …}`.
fn recap_counts(line: &str) -> Option<Value> {
    let (_, counts) = line.split_once(" : ")?;
    let mut map = Map::new();
    for pair in counts.split_whitespace() {
        let (key, value) = pair.split_once('=')?;
        // Recorded where a host was unreachable (goldens before connections lack it).
        if key == "unreachable" && value == "0" {
            continue;
        }
        map.insert(key.into(), value.parse::<u64>().ok()?.into());
    }
    Some(Value::Object(map))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_results_items_and_debug_output() {
        let text = "\nPLAY [p] ***\n\nTASK [c] ***\nchanged: [localhost] => (item={'a': 1})\n\
                    \nTASK [t] ***\nskipping: [localhost] => (item=2) \nskipping: [localhost]\n\nTASK [d] ***\n\
                    ok: [localhost] => (item=x) => {\n    \"msg\": \"}\"\n}\n\
                    failed: [localhost] (item=(1)) => {\"msg\": \"no\"}\n...ignoring\n\
                    \nPLAY RECAP ***\nlocalhost                  : ok=2    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=1   \n";
        let parsed = parse(text);
        assert_eq!(
            parsed.records,
            vec![
                json!({"play": "p"}),
                json!({"task": "c", "status": "changed", "item": "{'a': 1}"}),
                json!({"task": "t", "status": "skipped", "item": "2"}),
                json!({"task": "t", "status": "skipped"}),
                json!({"task": "d", "status": "ok", "item": "x", "shown": {"msg": "}"}}),
                json!({"task": "d", "status": "failed", "item": "(1)"}),
                json!({"ignoring": "d"}),
            ]
        );
        assert_eq!(
            parsed.recap,
            json!({"ok": 2, "changed": 1, "failed": 0, "skipped": 1, "rescued": 0, "ignored": 1})
        );
    }

    #[test]
    fn results_on_many_hosts_are_sorted_by_host_within_a_task() {
        let text = "\nPLAY [p] ***\n\nTASK [t] ***\nchanged: [web2]\nok: [web1]\n\nTASK [u] ***\n\
                    fatal: [web1]: FAILED! => {\"msg\": \"no\"}\n...ignoring\nok: [web2]\n\
                    \nPLAY RECAP ***\nweb1 : ok=2 changed=0 unreachable=0 failed=0\nweb2 : ok=2 changed=1 unreachable=0 failed=0\n";
        let parsed = parse_hosts(text);
        assert_eq!(
            parsed.records,
            vec![
                json!({"play": "p"}),
                json!({"task": "t", "host": "web1", "status": "ok"}),
                json!({"task": "t", "host": "web2", "status": "changed"}),
                json!({"task": "u", "host": "web1", "status": "failed", "ignoring": true}),
                json!({"task": "u", "host": "web2", "status": "ok"}),
            ]
        );
        assert_eq!(
            parsed.recap,
            json!({"web1": {"ok": 2, "changed": 0, "failed": 0}, "web2": {"ok": 2, "changed": 1, "failed": 0}})
        );
    }

    #[test]
    fn the_included_lines_of_one_include_are_sorted_by_host() {
        let text = "\nPLAY [p] ***\n\nTASK [i] ***\nincluded: /b.yml for web2\nincluded: /a.yml for web3, web1\n\nPLAY RECAP ***\n";
        let parsed = parse_hosts(text);
        assert_eq!(
            parsed.records,
            vec![
                json!({"play": "p"}),
                json!({"included": "/a.yml", "hosts": ["web1", "web3"]}),
                json!({"included": "/b.yml", "hosts": ["web2"]}),
            ]
        );
    }
}
