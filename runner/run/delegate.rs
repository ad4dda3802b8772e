//! Which Host a task's action acts on (issue 16): the one place that decides it. The
//! entered host's (its play's root, or a block's or task's `root:` inside it), or,
//! with `delegate_to` (`local_action`), the delegate's: localhost, or any inventory
//! host (the local connection, its `machinist_root`, or a machine or ssh host through
//! its agent: run/remote.rs, one session per host for the run, shared with the plays
//! it is a host of). The task still renders with the original host's variables
//! (`inventory_hostname` stays), as Ansible; with `delegate_facts` the facts it sets
//! go to the delegate.

use super::remote::Site;
use super::{Executor, Inherited, PlayState};
use crate::inventory::connection::Target;
use crate::playbook::model::Task;
use crate::vars::Layer;
use minijinja::Value;
use std::rc::Rc;

/// Where the task being run was delegated.
#[derive(Debug, Clone)]
pub(super) struct Delegation {
    /// The delegate's inventory name.
    pub name: String,
    /// As Ansible's result line shows it: its `ansible_host`, else its name.
    pub shown: String,
    /// `delegate_facts: true`: the facts the task sets go to the delegate.
    pub facts: bool,
}

impl Executor<'_> {
    /// The Host the entered host's task acts on (rendered with `ctx`), and where the
    /// task was delegated (`self.delegated_to`, for its report and its facts).
    pub(super) fn acting_host(
        &mut self,
        state: &PlayState<'_>,
        task: &Task,
        inherited: &Inherited<'_>,
        ctx: &Value,
    ) -> Result<Rc<Site>, String> {
        self.delegated_to = None;
        let own = || {
            inherited
                .host
                .clone()
                .unwrap_or_else(|| Rc::clone(&state.host))
        };
        let Some(template) = &task.fleet().delegate_to else {
            return Ok(own());
        };
        let name = self
            .shared
            .templates
            .render_str(template, ctx)
            .map_err(|err| format!("{}: delegate_to: {err}", task.span))?;
        let name = name.trim().to_string();
        if name.is_empty() {
            return Err(format!("{}: delegate_to names no host", task.span));
        }
        if name == self.target.name {
            // As Ansible: a task delegated to its own host is that host's, shown so.
            return Ok(own());
        }
        if inherited.host.is_some() || task.root().is_some() {
            return Err(format!(
                "{}: delegate_to {name}: a task with its own root: cannot be delegated",
                task.span
            ));
        }
        let vars = state
            .everyone
            .hosts
            .iter()
            .find(|(host, _)| *host == name)
            .map_or_else(Layer::default, |(_, vars)| vars.clone());
        let layers = [&vars, &self.options.extra_vars];
        let delegate_ctx = crate::vars::context(&layers, self.shared.templates);
        let target = Target::read_with(&name, &delegate_ctx, &self.options.connection_defaults)
            .map_err(|err| format!("{}: delegate_to {name}: {err}", task.span))?;
        let host = self
            .delegate_host(&name, &target)
            .map_err(|err| format!("{}: delegate_to {name}: {err}", task.span))?;
        tracing::debug!(host = %self.target.name, delegate = %name, root = %host.root().display(), "task delegated");
        self.delegated_to = Some(Delegation {
            name,
            shown: target.address.clone(),
            facts: task.fleet().delegate_facts == Some(true),
        });
        Ok(host)
    }

    /// Where the delegate `name` acts: the place its own tasks act on (one per run, so
    /// check mode's overlay and a remote host's agent session are shared).
    fn delegate_host(&mut self, name: &str, target: &Target) -> Result<Rc<Site>, String> {
        if let Some(state) = self.state_of(name) {
            return Ok(Rc::clone(&state.roots[0].1));
        }
        if let Some(site) = self.delegate_named(name) {
            return Ok(site);
        }
        let site = self
            .site_for(target.clone())
            .map_err(|err| err.to_string())??;
        self.delegates.push((name.to_string(), Rc::clone(&site)));
        Ok(site)
    }

    /// The place made for `name` when it was first a delegate (its tasks then act on it).
    pub(super) fn delegate_named(&self, name: &str) -> Option<Rc<Site>> {
        self.delegates
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, host)| Rc::clone(host))
    }

    /// Facts a step set: the entered host's, or the delegate's under `delegate_facts`
    /// (a delegate no play has reached yet has no state to keep them: refused).
    pub(super) fn keep_facts(&mut self, layer: &Layer) -> Result<(), String> {
        let Some(delegation) = self.delegated_to.clone().filter(|d| d.facts) else {
            self.target.facts.extend(layer);
            return Ok(());
        };
        match self.state_of_mut(&delegation.name) {
            Some(state) => {
                state.facts.extend(layer);
                Ok(())
            }
            None => Err(format!(
                "delegate_facts: {} is no host of a play of this run (yet): machinist keeps no facts for it",
                delegation.name
            )),
        }
    }
}
