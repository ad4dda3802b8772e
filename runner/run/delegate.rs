//! Which Host a task's action acts on (issue 16): the one place that decides it. The
//! entered host's (its play's root, or a block's or task's `root:` inside it), or,
//! with `delegate_to` (`local_action`), the delegate's: localhost, or an inventory
//! host this machine reaches locally (the local connection, or its `machinist_root`).
//! The task still renders with the original host's variables (`inventory_hostname`
//! stays), as Ansible; with `delegate_facts` the facts it sets go to the delegate.
//! A delegate reached over machine or ssh is refused until the executor reaches its
//! connections (issue 17): that is the one branch to extend here.

use super::{Executor, Inherited, PlayState};
use crate::inventory::connection::{Connection, Target};
use crate::playbook::model::Task;
use crate::vars::Layer;
use machinist_modules::Host;
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
    ) -> Result<Rc<Host>, String> {
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
        let target = Target::read(&name, &delegate_ctx)
            .map_err(|err| format!("{}: delegate_to {name}: {err}", task.span))?;
        if target.connection != Connection::Local {
            return Err(format!(
                "{}: delegate_to {name}: a machine/ssh delegate is not yet supported (its connection is {}; issue #17): delegate to localhost, or to a host with the local connection or a machinist_root",
                task.span,
                target.connection.name()
            ));
        }
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

    /// The Host of the delegate `name`: the run's root, or the one its own tasks act
    /// on inside its `machinist_root` (one per run, so check mode's overlay is shared).
    fn delegate_host(
        &mut self,
        name: &str,
        target: &Target,
    ) -> Result<Rc<Host>, machinist_modules::ModuleError> {
        let Some(root) = &target.root else {
            return Ok(Rc::clone(&self.base));
        };
        if let Some(state) = self.state_of(name) {
            return Ok(Rc::clone(&state.roots[0].1));
        }
        if let Some(host) = self.delegate_named(name) {
            return Ok(host);
        }
        let host = Rc::new(self.base.within(root)?);
        self.delegates.push((name.to_string(), Rc::clone(&host)));
        Ok(host)
    }

    /// The Host made for `name` when it was first a delegate (its tasks then act on it).
    pub(super) fn delegate_named(&self, name: &str) -> Option<Rc<Host>> {
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
