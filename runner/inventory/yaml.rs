//! YAML inventories, read as ansible-core's yaml plugin reads them
//! (plugins/inventory/yaml.py): top-level keys are groups (usually `all:`), each a
//! mapping of `hosts:` (host patterns, with ranges and `:PORT`, to their variables),
//! `vars:` and `children:` (groups, recursively). A string where a section's mapping
//! belongs names one entry; other keys are skipped with Ansible's warnings. Errors
//! point at the place in the file.

use super::data::Data;
use super::host_names;
use crate::error::Diagnostic;
use crate::yaml::{Key, Node, Value};
use std::path::Path;

pub fn read(
    doc: &Node,
    path: &Path,
    data: &mut Data,
    warnings: &mut Vec<String>,
) -> Result<(), crate::error::InputError> {
    let entries = doc.as_map().unwrap_or_default();
    if let Some((key, _)) = entries.iter().find(|(k, _)| k.name.as_str() == "plugin") {
        return Err(Diagnostic::at(
            &key.span,
            "inventory plugins are not supported: this is a plugin configuration, not a YAML inventory",
        )
        .into());
    }
    let mut reader = Reader {
        data,
        warnings,
        source: path.to_path_buf(),
    };
    for (key, value) in entries {
        reader.group(key, value)?;
    }
    Ok(())
}

struct Reader<'a> {
    data: &'a mut Data,
    warnings: &'a mut Vec<String>,
    source: std::path::PathBuf,
}

/// A section's entries (a value of `None`: null): a mapping, a string naming one
/// entry, or nothing.
type Entries<'a> = Vec<(String, Option<&'a Node>, &'a crate::error::Span)>;

fn section_entries(node: &Node) -> Option<Entries<'_>> {
    match &node.value {
        Value::Map(entries) => Some(
            entries
                .iter()
                .map(|(k, v)| (k.name.to_string(), Some(v), &k.span))
                .collect(),
        ),
        Value::Str(name) => Some(vec![(name.clone(), None, &node.span)]),
        Value::Null => Some(Vec::new()),
        _ => None,
    }
}

impl Reader<'_> {
    fn group(&mut self, key: &Key, node: &Node) -> Result<String, Diagnostic> {
        let name = key.name.to_string();
        match &node.value {
            Value::Map(_) | Value::Null => {}
            _ => {
                self.warnings.push(format!(
                    "Skipping '{name}' as this is not a valid group definition"
                ));
                return Ok(name);
            }
        }
        self.data.add_group(&name);
        let entries = node.as_map().unwrap_or_default();
        for section in ["vars", "children", "hosts"] {
            if let Some((_, value)) = entries.iter().find(|(k, _)| k.name.as_str() == section) {
                if section_entries(value).is_none() {
                    return Err(Diagnostic::at(
                        &value.span,
                        format!(
                            "Invalid \"{section}\" entry for \"{name}\" group, requires a dictionary, found {} instead.",
                            value.kind()
                        ),
                    ));
                }
            }
        }
        for (section, value) in entries {
            match (&value.value, section.name.as_str()) {
                (Value::Null, _) => continue,
                (Value::Str(_), "vars" | "children" | "hosts") => {}
                (Value::Map(_), _) => {}
                _ => {
                    self.warnings.push(format!(
                        "Skipping key ({}) in group ({name}) as it is not a mapping, it is {}",
                        section.name,
                        value.kind()
                    ));
                    continue;
                }
            }
            let items = section_entries(value).unwrap_or_default();
            match section.name.as_str() {
                "vars" => {
                    for (var, value, span) in items {
                        let value = value.cloned().unwrap_or_else(|| null_at(span));
                        self.data.set_group_var(&name, &var, value);
                    }
                }
                "children" => {
                    for (child, value, span) in items {
                        let key = Key::new(child.as_str(), span.clone());
                        let value = value.cloned().unwrap_or_else(|| null_at(span));
                        let child = self.group(&key, &value)?;
                        if self.data.groups.contains_key(&child) {
                            self.data
                                .add_child(&name, &child)
                                .map_err(|err| Diagnostic::at(span, err.to_string()))?;
                        }
                    }
                }
                "hosts" => {
                    for (pattern, value, span) in items {
                        self.hosts(&name, &pattern, value, span)?;
                    }
                }
                other => self.warnings.push(format!(
                    "Skipping unexpected key ({other}) in group ({name}), only \"vars\", \"children\" and \"hosts\" are valid"
                )),
            }
        }
        Ok(name)
    }

    fn hosts(
        &mut self,
        group: &str,
        pattern: &str,
        value: Option<&Node>,
        span: &crate::error::Span,
    ) -> Result<(), Diagnostic> {
        let (hosts, port) = host_names::expand(pattern).map_err(|err| Diagnostic::at(span, err))?;
        let vars: &[(Key, Node)] = match value {
            Some(Node {
                value: Value::Map(entries),
                ..
            }) => entries,
            None
            | Some(Node {
                value: Value::Null, ..
            }) => &[],
            Some(value) => {
                return Err(Diagnostic::at(
                    &value.span,
                    format!(
                    "Invalid data from file, expected dictionary and got {} for host '{pattern}'",
                    value.kind()
                ),
                ))
            }
        };
        for host in hosts {
            let new = !self.data.hosts.contains_key(&host);
            self.data.add_host(&host, Some(group), Some(&self.source));
            if let (true, Some(port)) = (new, port) {
                let node = super::plain_node(Value::Int(port.into()), Some(&self.source));
                self.data.set_host_var(&host, "ansible_port", node);
            }
            for (key, value) in vars {
                self.data.set_host_var(&host, &key.name, value.clone());
            }
        }
        Ok(())
    }
}

fn null_at(span: &crate::error::Span) -> Node {
    Node {
        value: Value::Null,
        span: span.clone(),
    }
}
