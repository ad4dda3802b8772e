//! What `machinist inventory` and `machinist run --list-hosts` print, in the shapes
//! of `ansible-inventory --list` (groups with their own hosts and children, and
//! `_meta.hostvars` without the internal variables, as JSON with sorted keys and
//! 4-space indents), `ansible-inventory --graph` and `--host`, and
//! `ansible-playbook --list-hosts`. Only the text is made here; report/ prints it.

use super::data::ALL;
use super::Inventory;
use crate::error::{Diagnostic, InputError};
use crate::playbook::model::Playbook;
use indexmap::IndexSet;
use serde_json::{Map, Value as Json};
use std::fmt::Write as _;
use std::path::Path;

/// Variables `ansible-inventory` leaves out of host variables (ansible-core's
/// `INTERNAL_STATIC_VARS` that an inventory can hold).
const INTERNAL: [&str; 4] = [
    "inventory_dir",
    "inventory_file",
    "inventory_hostname",
    "group_names",
];

/// `ansible-inventory --list` (`--limit`: only the hosts it selects).
pub fn list(
    inventory: &Inventory,
    playbook_dir: Option<&Path>,
    limit: Option<&str>,
) -> Result<String, InputError> {
    let available: IndexSet<String> = inventory
        .limit(inventory.hosts(), limit)?
        .into_iter()
        .collect();
    let mut out = Map::new();
    let mut seen = IndexSet::new();
    format_group(inventory, ALL, &available, &mut seen, &mut out);
    let mut hostvars = Map::new();
    for host in &available {
        let vars = host_json(inventory, host, playbook_dir);
        if !vars.is_empty() {
            hostvars.insert(host.clone(), Json::Object(vars));
        }
    }
    let mut meta = Map::new();
    meta.insert("hostvars".into(), Json::Object(hostvars));
    meta.insert("profile".into(), Json::String("inventory_legacy".into()));
    out.insert("_meta".into(), Json::Object(meta));
    Ok(python_json(&Json::Object(out)))
}

fn format_group(
    inventory: &Inventory,
    name: &str,
    available: &IndexSet<String>,
    seen: &mut IndexSet<String>,
    out: &mut Map<String, Json>,
) {
    let Some(group) = inventory.data.groups.get(name) else {
        return;
    };
    let mut entry = Map::new();
    if name != ALL {
        let hosts: Vec<Json> = group
            .hosts
            .iter()
            .filter(|h| available.contains(*h))
            .map(|h| Json::String(h.clone()))
            .collect();
        if !hosts.is_empty() {
            entry.insert("hosts".into(), Json::Array(hosts));
        }
    }
    let children: Vec<Json> = group
        .children
        .iter()
        .map(|c| Json::String(c.clone()))
        .collect();
    if !children.is_empty() {
        entry.insert("children".into(), Json::Array(children));
    }
    if !entry.is_empty() {
        out.insert(name.to_string(), Json::Object(entry));
    }
    for child in &group.children {
        if seen.insert(child.clone()) {
            format_group(inventory, child, available, seen, out);
        }
    }
}

/// A host's inventory variables as `ansible-inventory` shows them (unrendered).
fn host_json(inventory: &Inventory, host: &str, playbook_dir: Option<&Path>) -> Map<String, Json> {
    let layer = inventory.host_vars_in(host, playbook_dir);
    layer
        .names()
        .filter(|name| !INTERNAL.contains(name))
        .filter_map(|name| Some((name.to_string(), crate::vars::to_json(layer.get(name)?))))
        .collect()
}

/// `ansible-inventory --host HOST`.
pub fn host(
    inventory: &Inventory,
    host: &str,
    playbook_dir: Option<&Path>,
) -> Result<String, InputError> {
    if !inventory.contains(host) {
        return Err(InputError::from(Diagnostic::bare(format!(
            "You must pass a single valid host to --host parameter: {host} is not in the inventory"
        ))));
    }
    Ok(python_json(&Json::Object(host_json(
        inventory,
        host,
        playbook_dir,
    ))))
}

/// `ansible-inventory --graph [GROUP] [--vars]`.
pub fn graph(
    inventory: &Inventory,
    group: &str,
    vars: bool,
    playbook_dir: Option<&Path>,
) -> Result<String, InputError> {
    if !inventory.data.groups.contains_key(group) {
        return Err(InputError::from(Diagnostic::bare(
            "Pattern must be valid group name when using --graph",
        )));
    }
    let graph = Graph {
        inventory,
        vars,
        playbook_dir,
    };
    let mut lines = Vec::new();
    graph.group(group, 0, &mut lines);
    Ok(lines.join("\n") + "\n")
}

struct Graph<'a> {
    inventory: &'a Inventory,
    vars: bool,
    playbook_dir: Option<&'a Path>,
}

impl Graph<'_> {
    fn line(text: String, depth: usize) -> String {
        match depth {
            0 => text,
            _ => format!("{}--{text}", "  |".repeat(depth)),
        }
    }

    fn group(&self, name: &str, depth: usize, lines: &mut Vec<String>) {
        lines.push(Graph::line(format!("@{name}:"), depth));
        let Some(group) = self.inventory.data.groups.get(name) else {
            return;
        };
        for child in &group.children {
            self.group(child, depth + 1, lines);
        }
        if name != ALL {
            for host in &group.hosts {
                lines.push(Graph::line(host.clone(), depth + 1));
                if self.vars {
                    let layer = self.inventory.host_vars_in(host, self.playbook_dir);
                    Graph::show(&layer, depth + 2, lines);
                }
            }
        }
        if self.vars {
            let layer = self.inventory.group_vars_in(name, self.playbook_dir);
            Graph::show(&layer, depth + 1, lines);
        }
    }

    /// `{name = value}` lines, by name, the value as Python's `str()`.
    fn show(layer: &crate::vars::Layer, depth: usize, lines: &mut Vec<String>) {
        let mut names: Vec<&str> = layer.names().filter(|n| !INTERNAL.contains(n)).collect();
        names.sort_unstable();
        for name in names {
            if let Some(value) = layer.get(name) {
                let text = crate::template::value_format::py_text(value);
                lines.push(Graph::line(format!("{{{name} = {text}}}"), depth));
            }
        }
    }
}

/// `ansible-playbook --list-hosts` for one playbook: each play, its pattern and the
/// hosts it would run on (after `--limit`), in inventory order.
pub fn play_hosts(
    playbook: &Playbook,
    inventory: &Inventory,
    limit: Option<&str>,
    extra_vars: &crate::vars::Layer,
) -> Result<String, InputError> {
    let mut out = format!("\nplaybook: {}\n", playbook.path.display());
    for (index, play) in playbook.plays.iter().enumerate() {
        let pattern = super::play_pattern(play, extra_vars)?;
        let hosts = inventory.play_hosts(&pattern, limit)?;
        // A play without a name is named after its hosts, rendered (as Ansible).
        let name = match play.name == play.hosts {
            true => &pattern,
            false => &play.name,
        };
        let _ = writeln!(
            out,
            "\n  play #{} ({}): {}\tTAGS: [{}]\n    pattern: [{}]\n    hosts ({}):",
            index + 1,
            pattern,
            name,
            play.tags.join(","),
            python_str_repr(&pattern),
            hosts.len()
        );
        for host in hosts {
            let _ = writeln!(out, "      {host}");
        }
    }
    Ok(out)
}

/// Python's `repr()` of a string: single quotes unless it holds one and no double
/// quote, backslashes and the quote doubled.
fn python_str_repr(text: &str) -> String {
    let quote = if text.contains('\'') && !text.contains('"') {
        '"'
    } else {
        '\''
    };
    let mut out = String::from(quote);
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push(quote);
    out
}

/// Python's `json.dumps(value, sort_keys=True, indent=4)` (ASCII only, as its default
/// `ensure_ascii`), with the final newline `print` adds.
fn python_json(value: &Json) -> String {
    let text = crate::report::pyjson::dump(value, Some(4));
    let mut out = String::with_capacity(text.len() + 1);
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    out.push('\n');
    out
}
