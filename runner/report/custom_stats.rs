//! Ansible's `CUSTOM STATS:` block (the default callback's, after the recap, when
//! `show_custom_stats` is on): each host's statistics on a line of its own, sorted by
//! name, then the run's (`set_stats` without `per_host`) as `RUN:`, each dumped as the
//! callback dumps a result with `indent=1`, newlines removed.

use super::human::banner;
use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

/// The key of the statistics kept for the run rather than for one host.
const RUN_KEY: &str = "_run";

/// The block, or nothing when no statistics were set.
pub(super) fn block(stats: &IndexMap<String, Map<String, Json>>, verbosity: u8) -> String {
    if stats.is_empty() {
        return String::new();
    }
    let mut out = banner("CUSTOM STATS: ");
    let mut hosts: Vec<_> = stats.keys().filter(|name| *name != RUN_KEY).collect();
    hosts.sort();
    for host in hosts {
        out.push_str(&format!("\t{host}: {}\n", dumped(&stats[host], verbosity)));
    }
    if let Some(run) = stats.get(RUN_KEY) {
        out.push_str(&format!("\n\tRUN: {}\n", dumped(run, verbosity)));
    }
    out.push('\n');
    out
}

fn dumped(stats: &Map<String, Json>, verbosity: u8) -> String {
    super::pyjson::dump(&shown(stats, verbosity), Some(1)).replace('\n', "")
}

/// The statistics as the default callback dumps them (`_dump_results(stats,
/// indent=1)` with its newlines removed): internal `_ansible_` keys dropped at every
/// level, and at the top the keys a result's dump leaves out (invocation and diff below
/// `-vvv`, exception, warnings, deprecations).
fn shown(stats: &Map<String, Json>, verbosity: u8) -> Json {
    let mut top = Map::new();
    for (key, value) in stats {
        let hidden = matches!(key.as_str(), "exception" | "warnings" | "deprecations")
            || (verbosity < 3 && matches!(key.as_str(), "invocation" | "diff"));
        if !hidden && !key.starts_with("_ansible_") {
            top.insert(key.clone(), without_internal_keys(value));
        }
    }
    Json::Object(top)
}

fn without_internal_keys(value: &Json) -> Json {
    match value {
        Json::Object(map) => Json::Object(
            map.iter()
                .filter(|(key, _)| !key.starts_with("_ansible_"))
                .map(|(key, value)| (key.clone(), without_internal_keys(value)))
                .collect(),
        ),
        Json::Array(items) => Json::Array(items.iter().map(without_internal_keys).collect()),
        other => other.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shown_drops_what_a_result_dump_drops() {
        let Json::Object(stats) =
            json!({"diff": 1, "a": {"_ansible_x": 1, "b": 2}, "_ansible_y": 3})
        else {
            panic!()
        };
        assert_eq!(shown(&stats, 0), json!({"a": {"b": 2}}));
        assert_eq!(shown(&stats, 3), json!({"diff": 1, "a": {"b": 2}}));
    }

    /// What ansible-core 2.19.14 printed for the same statistics (its default
    /// callback, ANSIBLE_SHOW_CUSTOM_STATS=1).
    #[test]
    fn prints_as_ansible_core() {
        let mut stats = IndexMap::new();
        let Json::Object(host) = json!({"s": "there", "only_host": true, "n": 1.5}) else {
            panic!()
        };
        let Json::Object(run) =
            json!({"packages": 5, "names": ["a", "b"], "cfg": {"x": 1, "y": 2, "b": "é"}})
        else {
            panic!()
        };
        stats.insert(RUN_KEY.to_string(), run);
        stats.insert("localhost".to_string(), host);
        let expected = "\nCUSTOM STATS: ******************************************************************\n\
                        \tlocalhost: { \"n\": 1.5, \"only_host\": true, \"s\": \"there\"}\n\
                        \n\
                        \tRUN: { \"cfg\": {  \"b\": \"é\",  \"x\": 1,  \"y\": 2 }, \"names\": [  \"a\",  \"b\" ], \"packages\": 5}\n\
                        \n";
        assert_eq!(block(&stats, 0), expected);
        assert_eq!(block(&IndexMap::new(), 0), "");
    }
}
