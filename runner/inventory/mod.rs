//! Inventories: which hosts a run knows, how they are grouped, and their variables,
//! read from Ansible's formats unchanged (`-i`: INI and YAML files, folders of them,
//! comma lists; none given: `inventory` beside the playbook, else the implicit
//! localhost), with `group_vars/` and `host_vars/` beside the inventory and beside the
//! playbook. `hosts:` and `--limit` patterns select hosts from it (patterns.rs).
//!
//! The executor asks this API: [`play_pattern`] (a templated `hosts:` rendered) and
//! [`Inventory::play_hosts`] ([`Inventory::select`] + [`Inventory::limit`]) for a
//! play's hosts, [`Inventory::prepare`] once per playbook folder, then
//! [`Inventory::host_vars`] for the inventory layer of a host's variables (below play
//! vars, Ansible's precedence 3–10), [`Inventory::groups`] and
//! [`Inventory::group_names`] for the magic variables, [`connection::Target`] for the
//! behavioural variables (`ansible_connection`, `machinist_root`, …), and
//! [`Inventory::take_warnings`] for the reporter. An Inventory is Send + Sync.

pub mod command;
pub mod connection;
mod data;
mod host_names;
mod ini;
pub mod listing;
mod patterns;
mod runtime;
mod sources;
mod values;
mod vars_files;
mod yaml;

use crate::error::{Diagnostic, InputError, SourceMap, Span, SpanFile};
use crate::vars::Layer;
use crate::yaml::{Node, Value};
use data::{Data, ALL};
use indexmap::IndexMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use vars_files::VarsDir;

/// Names that mean this machine when no inventory names them (ansible-core's
/// `C.LOCALHOST`): a play for `localhost` runs even with no inventory.
pub const LOCALHOST_NAMES: [&str; 3] = ["127.0.0.1", "localhost", "::1"];

/// The hosts and groups of a run, and where their variable files are.
#[derive(Debug)]
pub struct Inventory {
    data: Data,
    /// Folders whose `group_vars/` and `host_vars/` belong to the inventory: each
    /// source's (a folder source itself, a file's folder), in `-i` order, as real
    /// paths.
    inventory_dirs: Vec<PathBuf>,
    /// `group_vars/` and `host_vars/` read so far, by the folder holding them.
    vars_dirs: Mutex<IndexMap<PathBuf, Arc<VarsDir>>>,
    /// Warnings met since the last [`Inventory::take_warnings`] (a pattern that
    /// matched nothing, a key skipped in a YAML inventory).
    warnings: Mutex<Vec<String>>,
    sources: SourceMap,
}

impl Inventory {
    /// -i sources (files, folders, comma lists), in order; none: `inventory` beside the
    /// playbook when present, else the implicit localhost.
    pub fn load(sources: &[String], playbook_dir: &Path) -> Result<Inventory, InputError> {
        Inventory::load_quoting(sources, playbook_dir, &SourceMap::default())
    }

    /// [`Inventory::load`], remembering the text of each file read in `map` so
    /// errors can quote their line.
    pub fn load_quoting(
        sources: &[String],
        playbook_dir: &Path,
        map: &SourceMap,
    ) -> Result<Inventory, InputError> {
        let default;
        let sources = if sources.is_empty() {
            let beside = playbook_dir.join("inventory");
            default = match beside.exists() {
                true => vec![beside.display().to_string()],
                false => Vec::new(),
            };
            &default[..]
        } else {
            sources
        };
        crate::template::install_host_patterns(select_over_groups);
        let loaded = sources::load(sources, map)?;
        let mut inventory = Inventory {
            data: loaded.data,
            inventory_dirs: loaded.vars_dirs.iter().map(|d| canonical(d)).collect(),
            vars_dirs: Mutex::new(IndexMap::new()),
            warnings: Mutex::new(loaded.warnings),
            sources: map.clone(),
        };
        inventory.data.reconcile();
        for dir in inventory.inventory_dirs.clone() {
            inventory.prepare(&dir)?;
        }
        inventory.prepare(playbook_dir)?;
        tracing::debug!(
            hosts = inventory.data.hosts.len(),
            groups = inventory.data.groups.len(),
            "inventory loaded"
        );
        Ok(inventory)
    }

    /// Read the `group_vars/` and `host_vars/` beside `dir` (a playbook's folder),
    /// so [`Inventory::host_vars`] can use them; errors in them are located.
    pub fn prepare(&self, dir: &Path) -> Result<(), InputError> {
        let key = canonical(dir);
        if self.locked_vars_dirs().contains_key(&key) {
            return Ok(());
        }
        let entities = self.entities();
        let read = vars_files::read(&key, &entities, &self.sources)?;
        self.locked_vars_dirs().insert(key, Arc::new(read));
        Ok(())
    }

    fn locked_vars_dirs(&self) -> std::sync::MutexGuard<'_, IndexMap<PathBuf, Arc<VarsDir>>> {
        self.vars_dirs
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The group and host names whose variable files are looked for.
    fn entities(&self) -> vars_files::Entities {
        let mut hosts: Vec<String> = self.data.hosts.keys().cloned().collect();
        for name in LOCALHOST_NAMES {
            if !self.data.hosts.contains_key(name) {
                hosts.push(name.to_string());
            }
        }
        vars_files::Entities {
            groups: self.data.groups.keys().cloned().collect(),
            hosts,
        }
    }

    /// An inventory of these groups and their hosts only, as ansible-core's
    /// `inventory_hostnames` lookup builds one from the `groups` variable.
    pub fn from_groups(groups: &[(String, Vec<String>)]) -> Inventory {
        let mut data = Data::default();
        for (group, hosts) in groups {
            data.add_group(group);
            for host in hosts {
                data.add_host(host, Some(group), None);
            }
        }
        Inventory {
            data,
            inventory_dirs: Vec::new(),
            vars_dirs: Mutex::new(IndexMap::new()),
            warnings: Mutex::new(Vec::new()),
            sources: SourceMap::default(),
        }
    }

    /// The hosts several patterns select together (ansible-core's `get_hosts` of a
    /// list: every part of every pattern in one evaluation).
    pub fn select_many(&self, patterns: &[String]) -> Result<Vec<String>, InputError> {
        patterns::select_many(self, patterns)
    }

    /// The hosts `pattern` (a play's `hosts:`) selects, in Ansible's order.
    pub fn select(&self, pattern: &str) -> Result<Vec<String>, InputError> {
        patterns::select(self, pattern)
    }

    /// A play's hosts: those `pattern` selects, narrowed by `limit`.
    pub fn play_hosts(
        &self,
        pattern: &str,
        limit: Option<&str>,
    ) -> Result<Vec<String>, InputError> {
        self.limit(self.select(pattern)?, limit)
    }

    /// `hosts` narrowed to those `limit` (`--limit`, with `@file`) selects.
    pub fn limit(
        &self,
        hosts: Vec<String>,
        limit: Option<&str>,
    ) -> Result<Vec<String>, InputError> {
        match limit {
            None => Ok(hosts),
            Some(limit) => {
                let allowed = patterns::select_limit(self, limit)?;
                Ok(hosts.into_iter().filter(|h| allowed.contains(h)).collect())
            }
        }
    }

    /// ansible-playbook's check before any play: a `--limit` that leaves no host of a
    /// non-empty inventory is an error.
    pub fn check_limit(&self, limit: Option<&str>) -> Result<(), InputError> {
        let all = self.data.group_hosts(ALL);
        if all.is_empty() || limit.is_none() {
            return Ok(());
        }
        if self.limit(all, limit)?.is_empty() {
            return Err(InputError::from(Diagnostic::bare(
                "Specified inventory, host pattern and/or --limit leaves us with no hosts to target.",
            )));
        }
        Ok(())
    }

    /// `groups`: every group's hosts (its own and its descendants'), `all` and
    /// `ungrouped` included, in the order groups were first met.
    pub fn groups(&self) -> IndexMap<String, Vec<String>> {
        self.data
            .groups
            .keys()
            .map(|name| (name.clone(), self.data.group_hosts(name)))
            .collect()
    }

    /// `group_names`: the groups `host` is in, directly or through children, sorted,
    /// without `all` (with `ungrouped` for a host in no other group), as Ansible.
    pub fn group_names(&self, host: &str) -> Vec<String> {
        let mut names: Vec<String> = self
            .data
            .host_groups(host)
            .into_iter()
            .filter(|g| g != ALL)
            .collect();
        names.sort();
        names
    }

    /// Whether the inventory names `host` (the implicit localhost is not named).
    pub fn contains(&self, host: &str) -> bool {
        self.data.hosts.contains_key(host)
    }

    /// Every host of the inventory, in order (the hosts of `all`).
    pub fn hosts(&self) -> Vec<String> {
        self.data.group_hosts(ALL)
    }

    /// Whether `host` is the implicit localhost (no inventory names it).
    pub fn is_implicit(&self, host: &str) -> bool {
        LOCALHOST_NAMES.contains(&host) && !self.data.hosts.contains_key(host)
    }

    /// Inventory variables of `host` with Ansible's precedence (file group vars all <
    /// parent < child, group_vars/ beside inventory then playbook, file host vars,
    /// host_vars/ beside inventory then playbook) — the executor puts this layer BELOW
    /// play vars (Ansible's precedence 3–10). Group files: `all` of the inventory's
    /// folders, then the playbook's, then the other groups' likewise.
    pub fn host_vars(&self, host: &str, playbook_dir: &Path) -> Layer {
        self.host_vars_in(host, Some(playbook_dir))
    }

    /// [`Inventory::host_vars`], with the playbook's folder or none (as
    /// `ansible-inventory` without `--playbook-dir`).
    pub fn host_vars_in(&self, host: &str, playbook_dir: Option<&Path>) -> Layer {
        let folders = self.folders(playbook_dir);
        let mut layer = Layer::default();
        let mut add = |vars: &[(String, Node)]| layer.extend(&Layer::from_nodes(vars));
        // ansible-core's VARIABLE_PRECEDENCE: every inline group variable (all, then
        // the groups by depth) below every group_vars/ file (all, then the groups).
        let groups = self.sorted_groups(host);
        for group in std::iter::once(ALL).chain(groups.iter().map(String::as_str)) {
            if let Some(entry) = self.data.groups.get(group) {
                add(&pairs(&entry.vars));
            }
        }
        for folder in &folders {
            add(folder.group(ALL));
        }
        for folder in &folders {
            for group in &groups {
                add(folder.group(group));
            }
        }
        match self.data.hosts.get(host) {
            Some(entry) => {
                add(&self.inventory_file_vars(entry.source.as_deref()));
                add(&pairs(&entry.vars));
            }
            None if self.is_implicit(host) => add(&[(
                "ansible_connection".to_string(),
                plain_node(Value::Str("local".into()), None),
            )]),
            None => {}
        }
        for folder in &folders {
            add(folder.host(host));
        }
        layer
    }

    /// A group's own variables as `ansible-inventory --graph --vars` shows them:
    /// inline, then its `group_vars/` files (the inventory's folders, then those
    /// beside `playbook_dir`), and `ansible_group_priority` when it is not 1.
    pub fn group_vars_in(&self, group: &str, playbook_dir: Option<&Path>) -> Layer {
        let mut layer = Layer::default();
        let Some(entry) = self.data.groups.get(group) else {
            return layer;
        };
        layer.extend(&Layer::from_nodes(&pairs(&entry.vars)));
        for folder in self.folders(playbook_dir) {
            layer.extend(&Layer::from_nodes(folder.group(group)));
        }
        if entry.priority != 1 {
            layer.set(
                "ansible_group_priority",
                minijinja::Value::from(entry.priority),
            );
        }
        layer
    }

    /// The variable folders that apply, in order: the inventory's, then the
    /// playbook's (read first if needed).
    fn folders(&self, playbook_dir: Option<&Path>) -> Vec<Arc<VarsDir>> {
        if let Some(dir) = playbook_dir {
            if let Err(err) = self.prepare(dir) {
                // The executor prepares each playbook's folder first; this is a bug.
                tracing::error!("variables beside {}: {err}", dir.display());
            }
        }
        let playbook_dir = playbook_dir.map(canonical);
        let dirs = self.locked_vars_dirs();
        self.inventory_dirs
            .iter()
            .chain(playbook_dir.as_ref())
            .filter_map(|dir| dirs.get(dir).cloned())
            .collect()
    }

    /// `inventory_file` and `inventory_dir` of a host (null for a comma list).
    fn inventory_file_vars(&self, source: Option<&Path>) -> Vec<(String, Node)> {
        let text = |path: Option<&Path>| match path {
            Some(path) => Value::Str(path.display().to_string()),
            None => Value::Null,
        };
        vec![
            (
                "inventory_file".to_string(),
                plain_node(text(source), source),
            ),
            (
                "inventory_dir".to_string(),
                plain_node(text(source.and_then(Path::parent)), source),
            ),
        ]
    }

    /// The groups of `host` but `all`, in the order their variables apply: by depth,
    /// then `ansible_group_priority`, then name.
    fn sorted_groups(&self, host: &str) -> Vec<String> {
        let mut groups: Vec<String> = self
            .data
            .host_groups(host)
            .into_iter()
            .filter(|g| g != ALL)
            .collect();
        groups.sort_by_cached_key(|name| {
            let group = self.data.groups.get(name);
            (
                group.map_or(0, |g| g.depth),
                group.map_or(1, |g| g.priority),
                name.clone(),
            )
        });
        groups
    }

    /// Warnings met since the last call, for the reporter.
    pub fn take_warnings(&self) -> Vec<String> {
        std::mem::take(
            &mut *self
                .warnings
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner()),
        )
    }

    fn warn(&self, message: String) {
        tracing::debug!("inventory warning: {message}");
        self.warnings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(message);
    }
}

/// A play's `hosts:` with its templates rendered, as ansible-core renders it before
/// the play: with the play's vars, its vars_files and the extra vars.
pub fn play_pattern(
    play: &crate::playbook::model::Play,
    extra_vars: &Layer,
) -> Result<String, InputError> {
    let templates = crate::template::Templates::new();
    if !crate::template::Templates::is_template(&play.hosts) {
        return Ok(play.hosts.clone());
    }
    let mut layers: Vec<&Layer> = vec![&play.vars];
    layers.extend(play.vars_files.iter());
    layers.push(extra_vars);
    let ctx = crate::vars::context(&layers, &templates);
    templates.render_str(&play.hosts, &ctx).map_err(|err| {
        InputError::from(Diagnostic::at(
            &play.span,
            format!(
                "hosts '{}': {err} (rendered with the play's vars, vars_files and extra vars)",
                play.hosts
            ),
        ))
    })
}

fn pairs(vars: &data::Vars) -> Vec<(String, Node)> {
    vars.iter().map(|(k, v)| (k.clone(), v.clone())).collect()
}

/// A value made here (not read from a file): placed at the file it comes from, or
/// nowhere.
fn plain_node(value: Value, file: Option<&Path>) -> Node {
    Node {
        value,
        span: Span {
            file: SpanFile::of(file.unwrap_or(Path::new("<inventory>"))),
            line: 1,
            col: 1,
            len: 1,
        },
    }
}

/// A folder as Ansible keys its variable files: its real path.
fn canonical(dir: &Path) -> PathBuf {
    let dir = if dir.as_os_str().is_empty() {
        Path::new(".")
    } else {
        dir
    };
    std::fs::canonicalize(dir).unwrap_or_else(|_| std::path::absolute(dir).unwrap_or_default())
}

#[cfg(test)]
mod tests;

/// The `inventory_hostnames` lookup's evaluation: the patterns over an inventory of
/// these groups only.
fn select_over_groups(
    groups: &[(String, Vec<String>)],
    patterns: &[String],
) -> Result<Vec<String>, String> {
    Inventory::from_groups(groups)
        .select_many(patterns)
        .map_err(|err| err.to_string())
}
