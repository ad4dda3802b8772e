//! A play's hosts (issue 16): which inventory hosts a play runs on, each host's state
//! (made when a play first reaches it, acting inside its `machinist_root`, or through
//! its agent on a machine or ssh host: issue 17), its
//! inventory variables and magic variables, and `hostvars` across every host.
//!
//! The executor runs one host at a time through `self.target`: [`Executor::enter`]
//! swaps a host's state in, [`Executor::leave`] puts it back, so the task flow reads
//! and updates "the host" as it did with one.

use super::host_state::HostState;
use super::remote::{RemoteHost, Site};
use super::{Executor, RunError};
use crate::error::{Diagnostic, InputError};
use crate::inventory::connection::{Connection, Target};
use crate::playbook::model::{Play, Playbook};
use crate::vars::Layer;
use minijinja::Value;
use std::path::Path;
use std::rc::Rc;
use std::sync::Arc;

/// What a play knows of every inventory host: the variables `hostvars` shows of it
/// besides its facts (its inventory variables and a few magic ones).
pub(super) struct Everyone {
    pub hosts: Vec<(String, Layer)>,
    /// Each host's `hostvars` entry as last built, and its facts' change count then:
    /// a task's context rebuilds only the entries of hosts whose facts changed.
    built: std::cell::RefCell<Vec<Option<(u64, Value)>>>,
}

impl Executor<'_> {
    /// The hosts `play` runs on: its `hosts:` pattern in the inventory, narrowed by
    /// `--limit`; localhost alone without an inventory.
    pub(super) fn play_host_names(&self, play: &Play) -> Result<Vec<String>, RunError> {
        let Some(inventory) = &self.options.inventory else {
            return Ok(vec![super::LOCALHOST.to_string()]);
        };
        let pattern = crate::inventory::play_pattern(play, &self.options.extra_vars)?;
        Ok(inventory.play_hosts(&pattern, self.options.limit.as_deref())?)
    }

    /// The inventory variables of `host` (below the play's vars).
    pub(super) fn inventory_vars(&self, playbook: &Playbook, host: &str) -> Layer {
        match &self.options.inventory {
            Some(inventory) => inventory.host_vars(host, playbook_folder(playbook)),
            None => Layer::default(),
        }
    }

    /// The index of `name`'s state in `self.hosts`, made the first time a play reaches
    /// it, with its [`Site`] (see `site_of`).
    pub(super) fn host_index(
        &mut self,
        play: &Play,
        name: &str,
        inventory_vars: &Layer,
    ) -> Result<usize, RunError> {
        if let Some(index) = self.hosts.iter().position(|host| host.name == name) {
            return Ok(index);
        }
        // A host first met as a delegate keeps the place it had (one agent session).
        let host = match self.delegate_named(name) {
            Some(site) => site,
            None => self.site_of(play, name, inventory_vars)?,
        };
        self.hosts.push(HostState::new(name, host));
        Ok(self.hosts.len() - 1)
    }

    /// Where inventory host `name`'s tasks act, from its variables (a wrong value is
    /// bad input at `play`): see [`Executor::site_for`].
    pub(super) fn site_of(
        &self,
        play: &Play,
        name: &str,
        inventory_vars: &Layer,
    ) -> Result<Rc<Site>, RunError> {
        let layers = [inventory_vars, &self.options.extra_vars];
        let ctx = crate::vars::context(&layers, self.shared.templates);
        let refused = |message: String| InputError::from(Diagnostic::at(&play.span, message));
        let target = Target::read_with(name, &ctx, &self.options.connection_defaults)
            .map_err(|err| refused(err.to_string()))?;
        match self.site_for(target)? {
            Ok(site) => Ok(site),
            Err(message) => Err(refused(message).into()),
        }
    }

    /// Where the tasks of a host with this target act: this run's Host (`/` or
    /// `--root`), a Host inside its `machinist_root`, or a remote host whose agent
    /// starts when first asked (a play's host, or a delegate); the inner `Err`: a
    /// connection this run cannot start.
    pub(super) fn site_for(&self, target: Target) -> Result<Result<Rc<Site>, String>, RunError> {
        let name = target.host.clone();
        let site = match (target.connection, &target.root, &self.options.connector) {
            (Connection::Local, None, _) => Rc::clone(&self.base),
            (Connection::Local, Some(root), _) => {
                tracing::debug!(host = %name, root = %root.display(), "the host acts inside its machinist_root");
                let Some(base) = self.base.local() else {
                    return Ok(Err(format!(
                        "host {name}: the run's root is not on this machine"
                    )));
                };
                Rc::new(Site::Local(base.within(root)?))
            }
            (_, _, Some(connector)) => {
                let remote = RemoteHost::new(target, connector.clone());
                Rc::new(Site::Remote(Arc::new(remote), None))
            }
            (connection, _, None) => {
                return Ok(Err(format!(
                    "host {name}: this run cannot start {} connections",
                    connection.name()
                )))
            }
        };
        Ok(Ok(site))
    }

    /// Make host `index` the one the task flow acts on.
    pub(super) fn enter(&mut self, index: usize) {
        std::mem::swap(&mut self.target, &mut self.hosts[index]);
        self.current = Some(index);
        self.first_of_host = true;
    }

    /// Put the current host's state back.
    pub(super) fn leave(&mut self) {
        if let Some(index) = self.current.take() {
            std::mem::swap(&mut self.target, &mut self.hosts[index]);
        }
    }

    /// The state of host `name` (the current one included).
    pub(super) fn state_of(&self, name: &str) -> Option<&HostState> {
        if self.current.is_some() && self.target.name == name {
            return Some(&self.target);
        }
        self.hosts
            .iter()
            .enumerate()
            .find(|(index, host)| Some(*index) != self.current && host.name == name)
            .map(|(_, host)| host)
    }

    /// [`Executor::state_of`], to change it.
    pub(super) fn state_of_mut(&mut self, name: &str) -> Option<&mut HostState> {
        if self.current.is_some() && self.target.name == name {
            return Some(&mut self.target);
        }
        let current = self.current;
        self.hosts
            .iter_mut()
            .enumerate()
            .find(|(index, host)| Some(*index) != current && host.name == name)
            .map(|(_, host)| host)
    }

    /// How often any host's facts changed: a context built at the same count still
    /// shows every host's facts as they are.
    pub(super) fn facts_epoch(&self) -> u64 {
        let parked: u64 = self.hosts.iter().map(|host| host.facts.changes).sum();
        parked + self.target.facts.changes
    }

    /// `hostvars`: every inventory host's variables as a task sees them from another
    /// host: its inventory and magic variables, its facts and registered results, -e.
    pub(super) fn hostvars(&self, everyone: &Everyone) -> Value {
        let empty = Layer::default();
        let mut built = everyone.built.borrow_mut();
        built.resize(everyone.hosts.len(), None);
        Value::from_iter(everyone.hosts.iter().zip(built.iter_mut()).map(
            |((name, vars), built)| {
                let state = self.state_of(name);
                let changes = state.map_or(0, |host| host.facts.changes);
                match built {
                    Some((at, value)) if *at == changes => (name.clone(), value.clone()),
                    _ => {
                        let facts = state.map_or(&empty, |host| &host.facts.layer);
                        let layers = [vars, facts, &self.options.extra_vars];
                        let value = crate::vars::context(&layers, self.shared.templates);
                        *built = Some((changes, value.clone()));
                        (name.clone(), value)
                    }
                }
            },
        ))
    }

    /// Every inventory host's `hostvars` layer for `playbook`.
    pub(super) fn everyone(&self, playbook: &Playbook) -> Everyone {
        let names = match &self.options.inventory {
            Some(inventory) => inventory.hosts(),
            None => Vec::new(),
        };
        let mut names = names;
        for host in &self.hosts {
            if !names.contains(&host.name) {
                names.push(host.name.clone());
            }
        }
        if names.is_empty() {
            names.push(super::LOCALHOST.to_string());
        }
        let hosts = names
            .into_iter()
            .map(|name| {
                let mut layer = self.host_magic(&name);
                layer.extend(&self.inventory_vars(playbook, &name));
                (name, layer)
            })
            .collect();
        Everyone {
            hosts,
            built: Default::default(),
        }
    }

    /// The magic variables that name `host` in the inventory.
    pub(super) fn host_magic(&self, host: &str) -> Layer {
        let mut magic = Layer::default();
        magic.set("inventory_hostname", Value::from(host));
        let short = host.split('.').next().unwrap_or(host);
        magic.set("inventory_hostname_short", Value::from(short));
        let group_names = match &self.options.inventory {
            Some(inventory) => inventory.group_names(host),
            None => vec!["ungrouped".to_string()],
        };
        magic.set("group_names", Value::from(group_names));
        magic
    }

    /// `groups` and the play's host lists (`ansible_play_hosts` and its kin).
    pub(super) fn play_magic(&self, magic: &mut Layer, play_hosts: &super::PlayHosts<'_>) {
        let groups = match &self.options.inventory {
            Some(inventory) => {
                let mut groups = inventory.groups();
                // The implicit localhost is in no group, as in Ansible; a play on it
                // still sees itself in `all` when the inventory has no hosts at all.
                if groups.get("all").map_or(true, Vec::is_empty) && play_hosts.all.len() == 1 {
                    groups.insert("all".into(), play_hosts.all.to_vec());
                }
                Value::from_iter(groups)
            }
            None => {
                let hosts = || Value::from(play_hosts.all.to_vec());
                Value::from_iter([("all", hosts()), ("ungrouped", hosts())])
            }
        };
        magic.set("groups", groups);
        magic.set(
            "ansible_play_hosts_all",
            Value::from(play_hosts.all.to_vec()),
        );
        magic.set(
            "ansible_play_hosts",
            Value::from(play_hosts.active.to_vec()),
        );
        for name in ["play_hosts", "ansible_play_batch"] {
            magic.set(name, Value::from(play_hosts.batch.clone()));
        }
    }
}

/// The folder of `playbook` (host_vars/ and group_vars/ beside it count).
fn playbook_folder(playbook: &Playbook) -> &Path {
    match playbook.path.parent() {
        Some(dir) if !dir.as_os_str().is_empty() => dir,
        _ => Path::new("."),
    }
}
