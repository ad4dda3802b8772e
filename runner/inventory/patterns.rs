//! Host patterns, for a play's `hosts:` and `--limit`, evaluated as ansible-core's
//! InventoryManager evaluates them (inventory/manager.py): a pattern is split on `,`
//! (or `:` when it is no address); plain parts are unions, then `&` parts intersect
//! and `!` parts exclude, whatever their order; each part is a host or group name,
//! `all`, a shell wildcard (`web*`), a regex (`~web\d+`), with an optional subscript
//! (`web[0]`, `web[-1]`, `web[1:3]`, `web[2:]`); `--limit` also takes `@FILE` (one
//! pattern a line). Hosts come out in inventory order, each once. A part that matches
//! nothing is a warning, as Ansible's, and selects no host.

use super::data::ALL;
use super::{host_names, Inventory, LOCALHOST_NAMES};
use crate::error::{Diagnostic, InputError};
use indexmap::IndexSet;
use regex::Regex;
use std::sync::OnceLock;

/// The hosts `pattern` selects.
pub fn select(inventory: &Inventory, pattern: &str) -> Result<Vec<String>, InputError> {
    evaluate(inventory, &split(pattern))
}

/// The hosts a list of patterns selects, evaluated as one.
pub fn select_many(inventory: &Inventory, patterns: &[String]) -> Result<Vec<String>, InputError> {
    let parts: Vec<String> = patterns.iter().flat_map(|p| split(p)).collect();
    evaluate(inventory, &parts)
}

/// The hosts a `--limit` allows (`@FILE` parts read, one pattern a line).
pub fn select_limit(inventory: &Inventory, limit: &str) -> Result<IndexSet<String>, InputError> {
    let mut parts = Vec::new();
    for part in split(limit) {
        let Some(file) = part.strip_prefix('@') else {
            parts.push(part);
            continue;
        };
        let path = std::path::Path::new(file);
        if !path.exists() {
            return Err(bare(format!("Unable to find limit file {file}")));
        }
        if !path.is_file() {
            return Err(bare(format!(
                "Limit starting with \"@\" must be a file, not a directory: {file}"
            )));
        }
        let text = crate::input::read_text(path, crate::input::MAX_TEXT_BYTES)
            .map_err(|err| bare(err.to_string()))?;
        parts.extend(text.split('\n').map(|line| line.trim().to_string()));
    }
    Ok(evaluate(inventory, &parts)?.into_iter().collect())
}

fn bare(message: String) -> InputError {
    InputError::from(Diagnostic::bare(message))
}

/// ansible-core's `split_host_pattern`.
fn split(pattern: &str) -> Vec<String> {
    static PARTS: OnceLock<Regex> = OnceLock::new();
    let parts: Vec<String> = if pattern.contains(',') {
        pattern.split(',').map(str::to_string).collect()
    } else if host_names::split_port(pattern).is_some() {
        vec![pattern.to_string()]
    } else {
        PARTS
            .get_or_init(|| {
                Regex::new(r"(?:[^\s:\[\]]|\[[^\]]*\])+")
                    .unwrap_or_else(|_| unreachable!("a fixed pattern"))
            })
            .find_iter(pattern)
            .map(|m| m.as_str().to_string())
            .collect()
    };
    parts
        .into_iter()
        .map(|p| p.trim().to_string())
        .filter(|p| !p.is_empty())
        .collect()
}

/// Unions first, then intersections, then exclusions (only `&` or `!` parts: from
/// `all`).
fn evaluate(inventory: &Inventory, parts: &[String]) -> Result<Vec<String>, InputError> {
    let mut regular: Vec<&str> = Vec::new();
    let mut intersect = Vec::new();
    let mut exclude = Vec::new();
    for part in parts.iter().filter(|p| !p.is_empty()) {
        match part.as_bytes()[0] {
            b'!' => exclude.push(part.as_str()),
            b'&' => intersect.push(part.as_str()),
            _ => regular.push(part.as_str()),
        }
    }
    if regular.is_empty() {
        regular.push(ALL);
    }
    let mut hosts: IndexSet<String> = IndexSet::new();
    for part in regular {
        if inventory.data.hosts.contains_key(part) {
            hosts.insert(part.to_string());
        } else {
            hosts.extend(match_one(inventory, part)?);
        }
    }
    for part in intersect {
        let these: IndexSet<String> = match_one(inventory, &part[1..])?.into_iter().collect();
        hosts.retain(|h| these.contains(h));
    }
    for part in exclude {
        let these: IndexSet<String> = match_one(inventory, &part[1..])?.into_iter().collect();
        hosts.retain(|h| !these.contains(h));
    }
    Ok(hosts.into_iter().collect())
}

/// One part: its matches, then its subscript.
fn match_one(inventory: &Inventory, part: &str) -> Result<Vec<String>, InputError> {
    let (expression, subscript) = split_subscript(part);
    let hosts = enumerate(inventory, expression)?;
    match subscript {
        None => Ok(hosts),
        Some(_) if hosts.is_empty() => Ok(hosts),
        Some(Subscript::One(index)) => {
            let len = hosts.len() as i64;
            let at = if index < 0 { len + index } else { index };
            match usize::try_from(at).ok().and_then(|at| hosts.get(at)) {
                Some(host) => Ok(vec![host.clone()]),
                None => Err(bare(format!(
                    "No hosts matched the subscripted pattern '{part}'"
                ))),
            }
        }
        Some(Subscript::Range(start, end)) => {
            let end = end.unwrap_or(hosts.len().saturating_sub(1));
            Ok(hosts
                .into_iter()
                .skip(start)
                .take((end + 1).saturating_sub(start))
                .collect())
        }
    }
}

enum Subscript {
    One(i64),
    /// `[start:end]` inclusive; no end: to the last.
    Range(usize, Option<usize>),
}

fn split_subscript(part: &str) -> (&str, Option<Subscript>) {
    static SUBSCRIPT: OnceLock<Regex> = OnceLock::new();
    if part.starts_with('~') {
        return (part, None);
    }
    let pattern = SUBSCRIPT.get_or_init(|| {
        Regex::new(r"^(.+)\[(?:(-?[0-9]+)|([0-9]+)([:-])([0-9]*))\]$")
            .unwrap_or_else(|_| unreachable!("a fixed pattern"))
    });
    let Some(found) = pattern.captures(part) else {
        return (part, None);
    };
    let expression = found.get(1).map_or(part, |m| m.as_str());
    let subscript = if let Some(index) = found.get(2) {
        index.as_str().parse().ok().map(Subscript::One)
    } else {
        let start = found.get(3).and_then(|m| m.as_str().parse().ok());
        let end = found
            .get(5)
            .map(|m| m.as_str())
            .filter(|e| !e.is_empty())
            .and_then(|e| e.parse().ok());
        start.map(|start| Subscript::Range(start, end))
    };
    match subscript {
        Some(subscript) => (expression, Some(subscript)),
        None => (part, None),
    }
}

/// Groups whose names match give their hosts; hosts whose names match (when no group
/// did, or the pattern is a wildcard or regex) follow; `localhost` alone is the
/// implicit localhost.
fn enumerate(inventory: &Inventory, pattern: &str) -> Result<Vec<String>, InputError> {
    let matcher = Matcher::new(pattern)?;
    let data = &inventory.data;
    let groups: Vec<&String> = data.groups.keys().filter(|g| matcher.is_match(g)).collect();
    let mut results: IndexSet<String> = IndexSet::new();
    for group in &groups {
        results.extend(data.group_hosts(group));
    }
    let special = pattern.starts_with('~') || pattern.contains(['.', '?', '*', '[']);
    if groups.is_empty() || special {
        results.extend(data.hosts.keys().filter(|h| matcher.is_match(h)).cloned());
    }
    if results.is_empty() && LOCALHOST_NAMES.contains(&pattern) {
        results.insert(pattern.to_string());
    }
    if results.is_empty() && groups.is_empty() && pattern != ALL {
        inventory.warn(format!(
            "Could not match supplied host pattern, ignoring: {pattern}"
        ));
    }
    Ok(results.into_iter().collect())
}

/// A shell wildcard (Python's fnmatch, whole name, case-sensitive) or, after `~`, a
/// regular expression matched at the start of the name.
struct Matcher(Regex);

impl Matcher {
    fn new(pattern: &str) -> Result<Matcher, InputError> {
        let source = match pattern.strip_prefix('~') {
            Some(regex) => format!("^(?:{regex})"),
            None => format!("^(?s:{})$", fnmatch_translate(pattern)),
        };
        Regex::new(&source)
            .map(Matcher)
            .map_err(|err| bare(format!("Invalid host list pattern: {pattern}: {err}")))
    }

    fn is_match(&self, name: &str) -> bool {
        self.0.is_match(name)
    }
}

/// Python's `fnmatch.translate`, without its anchors.
fn fnmatch_translate(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = String::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' => {
                while chars.get(i) == Some(&'*') {
                    i += 1;
                }
                out.push_str(".*");
            }
            '?' => out.push('.'),
            '[' => {
                let mut j = i;
                if chars.get(j) == Some(&'!') {
                    j += 1;
                }
                if chars.get(j) == Some(&']') {
                    j += 1;
                }
                while j < chars.len() && chars[j] != ']' {
                    j += 1;
                }
                if j >= chars.len() {
                    out.push_str("\\[");
                    continue;
                }
                let inner: String = chars[i..j].iter().collect();
                i = j + 1;
                let (negate, inner) = match inner.strip_prefix('!') {
                    Some(rest) => (true, rest.to_string()),
                    None => (false, inner),
                };
                let escaped: String = inner
                    .chars()
                    .map(|c| match c {
                        '\\' | '[' | '&' | '~' | '|' => format!("\\{c}"),
                        c => c.to_string(),
                    })
                    .collect();
                out.push('[');
                if negate {
                    out.push('^');
                }
                out.push_str(&escaped);
                out.push(']');
            }
            c => out.push_str(&regex::escape(&c.to_string())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_split_as_ansible() {
        assert_eq!(split("a,b[1], c[2:3] , d"), ["a", "b[1]", "c[2:3]", "d"]);
        assert_eq!(split("web:&db:!x"), ["web", "&db", "!x"]);
        assert_eq!(split("web[1:3]"), ["web[1:3]"]);
        assert_eq!(split("host:22"), ["host:22"]);
    }

    #[test]
    fn wildcards_translate_as_fnmatch() {
        let m = Matcher::new("web*.ex?mple").unwrap();
        assert!(m.is_match("web1.example"));
        assert!(!m.is_match("db1.example"));
        assert!(Matcher::new("h[!a]").unwrap().is_match("hb"));
        assert!(!Matcher::new("h[!a]").unwrap().is_match("ha"));
        assert!(Matcher::new("~web\\d").unwrap().is_match("web1-extra"));
    }
}
