//! The inventory's hosts and groups and how they relate, kept as ansible-core's
//! InventoryData keeps them (inventory/data.py, group.py): every name in the order it
//! was first met, `all` and `ungrouped` always there, a group's hosts being its own then
//! its descendants' (nearest first), and the rules `reconcile` applies after loading
//! (a group without a parent is a child of `all`; a host in no group but `all` is in
//! `ungrouped`). Every loader (INI, YAML, comma lists) builds through these methods.

use crate::yaml::Node;
use indexmap::{IndexMap, IndexSet};
use std::path::PathBuf;

pub const ALL: &str = "all";
pub const UNGROUPED: &str = "ungrouped";

/// Variables of one host or group, in the order first set; a later set replaces
/// the value (Ansible's default `hash_behaviour: replace`).
pub type Vars = IndexMap<String, Node>;

#[derive(Debug, Clone, Default)]
pub struct HostEntry {
    pub vars: Vars,
    /// The groups the host was put in directly, in order.
    pub groups: IndexSet<String>,
    /// The inventory file that first named the host (`inventory_file`); none for a
    /// comma list.
    pub source: Option<PathBuf>,
}

#[derive(Debug, Clone)]
pub struct Group {
    pub hosts: IndexSet<String>,
    pub children: IndexSet<String>,
    pub parents: IndexSet<String>,
    pub vars: Vars,
    /// The longest path from `all` (sorts group vars: depth, priority, name).
    pub depth: u32,
    /// `ansible_group_priority` (1 unless set).
    pub priority: i64,
}

impl Default for Group {
    fn default() -> Group {
        Group {
            hosts: IndexSet::new(),
            children: IndexSet::new(),
            parents: IndexSet::new(),
            vars: Vars::new(),
            depth: 0,
            priority: 1,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Data {
    pub hosts: IndexMap<String, HostEntry>,
    pub groups: IndexMap<String, Group>,
}

/// A relation the inventory cannot hold (a group its own ancestor).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RelationError {
    #[error("adding group '{child}' as child to '{parent}' creates a recursive dependency loop")]
    Loop { parent: String, child: String },
    #[error("group '{0}' cannot be its own child")]
    ItsOwnChild(String),
}

impl Default for Data {
    fn default() -> Data {
        let mut data = Data {
            hosts: IndexMap::new(),
            groups: IndexMap::new(),
        };
        data.add_group(ALL);
        data.add_group(UNGROUPED);
        // Cannot loop: both groups are new.
        let _ = data.add_child(ALL, UNGROUPED);
        data
    }
}

impl Data {
    pub fn add_group(&mut self, name: &str) {
        if !self.groups.contains_key(name) {
            self.groups.insert(name.to_string(), Group::default());
        }
    }

    /// Add `host` (once) and, when given, put it in `group` (which must exist).
    pub fn add_host(&mut self, host: &str, group: Option<&str>, source: Option<&PathBuf>) {
        if !self.hosts.contains_key(host) {
            self.hosts.insert(
                host.to_string(),
                HostEntry {
                    source: source.cloned(),
                    ..HostEntry::default()
                },
            );
        }
        if let Some(group) = group {
            self.add_group(group);
            if let Some(entry) = self.groups.get_mut(group) {
                entry.hosts.insert(host.to_string());
            }
            if let Some(entry) = self.hosts.get_mut(host) {
                entry.groups.insert(group.to_string());
            }
        }
    }

    pub fn set_host_var(&mut self, host: &str, name: &str, value: Node) {
        if let Some(entry) = self.hosts.get_mut(host) {
            entry.vars.insert(name.to_string(), value);
        }
    }

    pub fn set_group_var(&mut self, group: &str, name: &str, value: Node) {
        let Some(entry) = self.groups.get_mut(group) else {
            return;
        };
        if name == "ansible_group_priority" {
            if let Some(priority) = super::values::as_int(&value) {
                entry.priority = priority;
                return;
            }
        }
        entry.vars.insert(name.to_string(), value);
    }

    /// Make `child` a child group of `parent` (both must exist).
    pub fn add_child(&mut self, parent: &str, child: &str) -> Result<(), RelationError> {
        if parent == child {
            return Err(RelationError::ItsOwnChild(child.to_string()));
        }
        if self
            .groups
            .get(parent)
            .is_some_and(|g| g.children.contains(child))
        {
            return Ok(());
        }
        if self.ancestors(parent).contains(child) {
            return Err(RelationError::Loop {
                parent: parent.to_string(),
                child: child.to_string(),
            });
        }
        let depth = self.groups.get(parent).map_or(0, |g| g.depth) + 1;
        if let Some(group) = self.groups.get_mut(parent) {
            group.children.insert(child.to_string());
        }
        if let Some(group) = self.groups.get_mut(child) {
            group.parents.insert(parent.to_string());
        }
        self.deepen(child, depth);
        Ok(())
    }

    /// Raise `group`'s depth to at least `depth`, and its descendants' below it.
    fn deepen(&mut self, group: &str, depth: u32) {
        let mut pending = vec![(group.to_string(), depth)];
        while let Some((name, depth)) = pending.pop() {
            let Some(entry) = self.groups.get_mut(&name) else {
                continue;
            };
            if entry.depth >= depth {
                continue;
            }
            entry.depth = depth;
            pending.extend(entry.children.iter().map(|c| (c.clone(), depth + 1)));
        }
    }

    /// Every group above `group`.
    pub fn ancestors(&self, group: &str) -> IndexSet<String> {
        self.walk(group, |g| &g.parents)
    }

    /// `group` and every group below it, nearest first (ansible-core's
    /// `get_descendants(include_self=True, preserve_ordering=True)`).
    pub fn descendants(&self, group: &str) -> IndexSet<String> {
        let mut ordered = IndexSet::new();
        ordered.insert(group.to_string());
        ordered.extend(self.walk(group, |g| &g.children));
        ordered
    }

    fn walk(&self, group: &str, next: impl Fn(&Group) -> &IndexSet<String>) -> IndexSet<String> {
        let mut seen = IndexSet::new();
        let mut level: Vec<&str> = vec![group];
        while !level.is_empty() {
            let mut following = Vec::new();
            for name in level {
                let Some(entry) = self.groups.get(name) else {
                    continue;
                };
                for related in next(entry) {
                    if seen.insert(related.clone()) {
                        following.push(related.as_str());
                    }
                }
            }
            level = following;
        }
        seen
    }

    /// The hosts of `group`: its own, then its descendants', each once.
    pub fn group_hosts(&self, group: &str) -> Vec<String> {
        let mut hosts: IndexSet<&str> = IndexSet::new();
        for name in self.descendants(group) {
            if let Some(entry) = self.groups.get(&name) {
                hosts.extend(entry.hosts.iter().map(String::as_str));
            }
        }
        hosts.into_iter().map(str::to_string).collect()
    }

    /// Every group `host` is in, directly or through a child group.
    pub fn host_groups(&self, host: &str) -> IndexSet<String> {
        let mut groups = IndexSet::new();
        if let Some(entry) = self.hosts.get(host) {
            for group in &entry.groups {
                groups.insert(group.clone());
                groups.extend(self.ancestors(group));
            }
        }
        groups
    }

    /// Ansible's rules after loading every source.
    pub fn reconcile(&mut self) {
        let orphans: Vec<String> = self
            .groups
            .iter()
            .filter(|(name, group)| name.as_str() != ALL && group.parents.is_empty())
            .map(|(name, _)| name.clone())
            .collect();
        for orphan in orphans {
            // A new child of `all` cannot loop: `all` is nobody's child.
            let _ = self.add_child(ALL, &orphan);
        }
        let names: Vec<String> = self.hosts.keys().cloned().collect();
        for host in names {
            let groups = self.host_groups(&host);
            let in_ungrouped = groups.contains(UNGROUPED);
            let elsewhere = groups.iter().any(|g| g != ALL && g != UNGROUPED);
            if in_ungrouped && elsewhere {
                if let Some(group) = self.groups.get_mut(UNGROUPED) {
                    group.hosts.shift_remove(&host);
                }
                if let Some(entry) = self.hosts.get_mut(&host) {
                    entry.groups.shift_remove(UNGROUPED);
                }
            } else if !elsewhere && !in_ungrouped {
                self.add_host(&host, Some(UNGROUPED), None);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reconcile_puts_orphans_under_all_and_lone_hosts_in_ungrouped() {
        let mut data = Data::default();
        data.add_group("web");
        data.add_host("a", Some("web"), None);
        data.add_host("b", Some(ALL), None);
        data.reconcile();
        assert!(data.groups[ALL].children.contains("web"));
        assert_eq!(data.group_hosts(UNGROUPED), vec!["b"]);
        assert_eq!(data.group_hosts(ALL), vec!["b", "a"]);
    }

    #[test]
    fn a_loop_of_groups_is_refused() {
        let mut data = Data::default();
        data.add_group("a");
        data.add_group("b");
        data.add_child("a", "b").unwrap();
        assert!(matches!(
            data.add_child("b", "a"),
            Err(RelationError::Loop { .. })
        ));
    }

    #[test]
    fn depth_is_the_longest_path() {
        let mut data = Data::default();
        for g in ["a", "b", "c"] {
            data.add_group(g);
        }
        data.add_child("a", "b").unwrap();
        data.add_child("b", "c").unwrap();
        data.reconcile();
        assert_eq!(data.groups["c"].depth, 3);
    }
}
