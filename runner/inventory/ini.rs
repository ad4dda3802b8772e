//! INI inventories, read line by line as ansible-core's ini plugin reads them
//! (plugins/inventory/ini.py): hosts before any section are `ungrouped`; `[group]`
//! lists hosts (with ranges, `:PORT` and inline `key=value` variables, split as
//! `shlex` splits, `#` starting a comment), `[group:vars]` sets group variables (the
//! rest of the line after the first `=`), `[group:children]` names child groups,
//! which may be declared later in the file. Values are Python literals or text
//! (values.rs). The first error stops the file, located at its line.

use super::data::Data;
use super::{host_names, values};
use crate::error::{Diagnostic, Span, SpanFile};
use crate::yaml::Value;
use indexmap::IndexMap;
use regex::Regex;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    Hosts,
    Vars,
    Children,
}

/// A group named before it was declared: by `[g:vars]` or as a child.
struct Pending {
    line: u32,
    state: State,
    parents: Vec<String>,
}

pub fn read(text: &str, path: &Path, data: &mut Data) -> Result<(), Diagnostic> {
    let file = SpanFile::of(path);
    let source = path.to_path_buf();
    let mut pending: IndexMap<String, Pending> = IndexMap::new();
    let mut group = "ungrouped".to_string();
    let mut state = State::Hosts;
    for (index, raw) in text.lines().enumerate() {
        let number = u32::try_from(index + 1).unwrap_or(u32::MAX);
        let indent = raw.len() - raw.trim_start().len();
        let line = raw.trim();
        let at = |col: usize, len: usize| Span {
            file,
            line: number,
            col: u32::try_from(indent + col + 1).unwrap_or(u32::MAX),
            len: u32::try_from(len.max(1)).unwrap_or(u32::MAX),
        };
        let fail = |message: String| Diagnostic::at(&at(0, line.len()), message);
        if line.is_empty() || line.starts_with(['#', ';']) {
            continue;
        }
        if let Some(found) = section().captures(line) {
            group = found[1].to_string();
            state = match found.get(2).map(|m| m.as_str()) {
                None | Some("hosts") => State::Hosts,
                Some("vars") => State::Vars,
                Some("children") => State::Children,
                Some(other) => {
                    return Err(fail(format!(
                        "Section [{group}:{other}] has unknown type: {other}"
                    )))
                }
            };
            if !data.groups.contains_key(&group) {
                if state == State::Vars && !pending.contains_key(&group) {
                    pending.insert(
                        group.clone(),
                        Pending {
                            line: number,
                            state,
                            parents: Vec::new(),
                        },
                    );
                }
                data.add_group(&group);
            }
            if state != State::Vars {
                match pending.get(&group).map(|p| p.state) {
                    Some(State::Children) => add_pending_children(&group, &mut pending, data)
                        .map_err(|err| fail(err.to_string()))?,
                    Some(_) => {
                        pending.shift_remove(&group);
                    }
                    None => {}
                }
            }
            continue;
        }
        if line.starts_with('[') && line.ends_with(']') {
            return Err(fail(format!(
                "Invalid section entry: '{line}'. Please make sure that there are no spaces in \
                 the section entry, and that there are no other invalid characters"
            )));
        }
        match state {
            State::Hosts => host_line(line, &group, data, &source, &at)?,
            State::Vars => {
                let Some((name, value)) = line.split_once('=') else {
                    return Err(fail(format!("Expected key=value, got: {line}")));
                };
                let (name, value) = (name.trim(), value.trim());
                let col = line.len() - line[line.find('=').unwrap_or(0) + 1..].trim_start().len();
                data.set_group_var(&group, name, values::parse(value, &at(col, value.len())));
            }
            State::Children => {
                let Some(found) = group_name().captures(line) else {
                    return Err(fail(format!("Expected group name, got: {line}")));
                };
                let child = found[1].to_string();
                if data.groups.contains_key(&child) {
                    data.add_child(&group, &child)
                        .map_err(|err| fail(err.to_string()))?;
                } else {
                    pending
                        .entry(child)
                        .or_insert(Pending {
                            line: number,
                            state: State::Children,
                            parents: Vec::new(),
                        })
                        .parents
                        .push(group.clone());
                }
            }
        }
    }
    if let Some((name, undeclared)) = pending.first() {
        let span = Span {
            file,
            line: undeclared.line,
            col: 1,
            len: 1,
        };
        let message = match undeclared.state {
            State::Vars => format!("Section [{name}:vars] not valid for undefined group '{name}'."),
            _ => format!(
                "Section [{}:children] includes undefined group '{name}'.",
                undeclared.parents.last().map_or("", String::as_str)
            ),
        };
        return Err(Diagnostic::at(&span, message));
    }
    Ok(())
}

fn add_pending_children(
    group: &str,
    pending: &mut IndexMap<String, Pending>,
    data: &mut Data,
) -> Result<(), super::data::RelationError> {
    let parents = pending
        .get(group)
        .map(|p| p.parents.clone())
        .unwrap_or_default();
    for parent in parents {
        data.add_child(&parent, group)?;
        if pending
            .get(&parent)
            .is_some_and(|p| p.state == State::Children)
        {
            add_pending_children(&parent, pending, data)?;
        }
    }
    pending.shift_remove(group);
    Ok(())
}

/// `NAME[RANGE][:PORT] key=value ...`
fn host_line(
    line: &str,
    group: &str,
    data: &mut Data,
    source: &PathBuf,
    at: &dyn Fn(usize, usize) -> Span,
) -> Result<(), Diagnostic> {
    let tokens = shlex_split(line).map_err(|err| {
        Diagnostic::at(
            &at(0, line.len()),
            format!("Error parsing host definition '{line}': {err}"),
        )
    })?;
    let Some((first, _)) = tokens.first() else {
        return Ok(());
    };
    let (hosts, port) =
        host_names::expand(first).map_err(|err| Diagnostic::at(&at(0, first.len()), err))?;
    if first.trim().ends_with(':') && port.is_none() {
        return Err(Diagnostic::at(
            &at(0, first.len()),
            format!("Invalid host pattern '{first}' supplied, ending in ':' is not allowed, this character is reserved to provide a port."),
        ));
    }
    if hosts.iter().any(|h| h.trim() == "---") {
        return Err(Diagnostic::at(
            &at(0, first.len()),
            format!("Invalid host pattern '{first}' supplied, '---' is normally a sign this is a YAML file."),
        ));
    }
    let mut vars = Vec::new();
    for (token, col) in &tokens[1..] {
        let Some((name, value)) = token.split_once('=') else {
            return Err(Diagnostic::at(
                &at(*col, token.len()),
                format!("Expected key=value host variable assignment, got: {token}"),
            ));
        };
        let span = at(col + name.len() + 1, value.len());
        vars.push((name.to_string(), values::parse(value, &span)));
    }
    for host in hosts {
        let new = !data.hosts.contains_key(&host);
        data.add_host(&host, Some(group), Some(source));
        if let (true, Some(port)) = (new, port) {
            let node = super::plain_node(Value::Int(port.into()), Some(source));
            data.set_host_var(&host, "ansible_port", node);
        }
        for (name, value) in &vars {
            data.set_host_var(&host, name, value.clone());
        }
    }
    Ok(())
}

fn section() -> &'static Regex {
    static SECTION: OnceLock<Regex> = OnceLock::new();
    SECTION.get_or_init(|| {
        Regex::new(r"^\[([^:\]\s]+)(?::(\w+))?\]\s*(?:#.*)?$")
            .unwrap_or_else(|_| unreachable!("a fixed pattern"))
    })
}

fn group_name() -> &'static Regex {
    static GROUP: OnceLock<Regex> = OnceLock::new();
    GROUP.get_or_init(|| {
        Regex::new(r"^([^:\]\s]+)\s*(?:#.*)?$").unwrap_or_else(|_| unreachable!("a fixed pattern"))
    })
}

/// Python's `shlex.split(line, comments=True)`: words split on whitespace, quotes
/// removed, `\` escaping outside single quotes, `#` outside quotes ending the line.
/// Each word with the byte column it starts at.
fn shlex_split(line: &str) -> Result<Vec<(String, usize)>, &'static str> {
    let mut words = Vec::new();
    let mut word: Option<(String, usize)> = None;
    let mut chars = line.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        match c {
            c if c.is_whitespace() => {
                words.extend(word.take());
            }
            '#' => break,
            '\'' | '"' => {
                let (text, _) = word.get_or_insert_with(|| (String::new(), at));
                let mut closed = false;
                while let Some((_, inner)) = chars.next() {
                    if inner == c {
                        closed = true;
                        break;
                    }
                    if inner == '\\' && c == '"' {
                        if let Some(&(_, next)) = chars.peek() {
                            if next == '"' || next == '\\' {
                                text.push(next);
                                chars.next();
                                continue;
                            }
                        }
                    }
                    text.push(inner);
                }
                if !closed {
                    return Err("No closing quotation");
                }
            }
            '\\' => {
                let (text, _) = word.get_or_insert_with(|| (String::new(), at));
                match chars.next() {
                    Some((_, next)) => text.push(next),
                    None => return Err("No escaped character"),
                }
            }
            c => word.get_or_insert_with(|| (String::new(), at)).0.push(c),
        }
    }
    words.extend(word);
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shlex_splits_as_python() {
        let words: Vec<String> = shlex_split(r#"h a="x y" b='c d' e=f#g # note"#)
            .unwrap()
            .into_iter()
            .map(|(w, _)| w)
            .collect();
        assert_eq!(words, ["h", "a=x y", "b=c d", "e=f"]);
        assert!(shlex_split("h a='x").is_err());
    }

    #[test]
    fn an_undeclared_child_is_located() {
        let mut data = Data::default();
        let err = read("[web:children]\ndb\n", Path::new("inv.ini"), &mut data).unwrap_err();
        assert_eq!(err.span.unwrap().line, 2);
        assert!(
            err.message.contains("undefined group 'db'"),
            "{}",
            err.message
        );
    }

    #[test]
    fn children_may_be_declared_later() {
        let mut data = Data::default();
        read(
            "[web:children]\ndb\n[db]\nh1\n",
            Path::new("inv.ini"),
            &mut data,
        )
        .unwrap();
        assert_eq!(data.group_hosts("web"), vec!["h1"]);
    }
}
