//! Which Host a task's action acts on (issue 16): the one place that decides it. The
//! entered host's (its play's root, or a block's or task's `root:` inside it), or,
//! with `delegate_to` (`local_action`), the delegate's: localhost, or any inventory
//! host (the local connection, its `machinist_root`, or a machine or ssh host through
//! its agent: run/remote.rs, one session per host for the run, shared with the plays
//! it is a host of). The task still renders with the original host's variables
//! (`inventory_hostname` stays), as Ansible; with `delegate_facts` the facts it sets
//! go to the delegate. Its action's arguments see the connection's address as
//! `ansible_host` (the delegate's, when delegated), as ansible-core's do.
//!
//! The `remote_user` and `port` keywords (a task's over its blocks' over its play's,
//! rendered with the task's variables) are the connection's user and port where the
//! host's own `ansible_user`/`ansible_port` do not say, over `-u`, as in Ansible: a
//! remote host they change is reached through a session of its own (one per user and
//! port for the run); a local host is not logged into, so they change nothing there.

use super::host_state::HostState;
use super::remote::Site;
use super::{Executor, Inherited, PlayState};
use crate::error::Span;
use crate::inventory::connection::{ConnectionDefaults, Target};
use crate::playbook::model::{Play, Task};
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
        let fleet = task.fleet();
        let keywords =
            self.connection_keywords(&fleet.remote_user, &fleet.port, &task.span, ctx)?;
        let Some(template) = &task.fleet().delegate_to else {
            let Some(defaults) = keywords else {
                return Ok(own());
            };
            let name = self.target.name.clone();
            let target = self.target_of(state, &name, &defaults, task)?;
            return self.reached_as(own(), target, &task.span);
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
        let defaults = keywords.unwrap_or_else(|| self.options.connection_defaults.clone());
        let target = self
            .target_of(state, &name, &defaults, task)
            .map_err(|err| format!("{}: delegate_to {name}: {err}", task.span))?;
        let host = self
            .delegate_host(&name, &target)
            .map_err(|err| format!("{}: delegate_to {name}: {err}", task.span))?;
        let host = self.reached_as(host, target.clone(), &task.span)?;
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

    /// The play's Host reached as its `remote_user` and `port` say (rendered with
    /// the play's variables, `layers`; the host's own in `host_layers`), when it has
    /// either.
    pub(super) fn play_reached_as(
        &mut self,
        play: &Play,
        site: Rc<Site>,
        layers: &[&Layer],
        host_layers: &[&Layer],
    ) -> Result<Rc<Site>, String> {
        if site.remote().is_none() || (play.remote_user.is_none() && play.port.is_none()) {
            return Ok(site);
        }
        let ctx = crate::vars::context(layers, self.shared.templates);
        let Some(defaults) =
            self.connection_keywords(&play.remote_user, &play.port, &play.span, &ctx)?
        else {
            return Ok(site);
        };
        let name = self.target.name.clone();
        let host_vars = crate::vars::context(host_layers, self.shared.templates);
        let target = Target::read_with(&name, &host_vars, &defaults)
            .map_err(|err| format!("{}: {err}", play.span))?;
        self.reached_as(site, target, &play.span)
    }

    /// The run's connection flags with `remote_user` and `port` over them (rendered
    /// with `ctx`), when either is given.
    fn connection_keywords(
        &self,
        remote_user: &Option<String>,
        port: &Option<String>,
        span: &Span,
        ctx: &Value,
    ) -> Result<Option<ConnectionDefaults>, String> {
        if remote_user.is_none() && port.is_none() {
            return Ok(None);
        }
        let render = |keyword: &str, template: &Option<String>| -> Result<Option<String>, String> {
            template
                .as_deref()
                .map(|template| {
                    self.shared
                        .templates
                        .render_str(template, ctx)
                        .map_err(|err| format!("{span}: {keyword}: {err}"))
                })
                .transpose()
        };
        let mut defaults = self.options.connection_defaults.clone();
        if let Some(user) = render("remote_user", remote_user)? {
            defaults.user = Some(user);
        }
        if let Some(port) = render("port", port)? {
            defaults.port = Some(port);
        }
        Ok(Some(defaults))
    }

    /// Inventory host `name`'s target, from its variables, with `defaults` where they
    /// do not say.
    fn target_of(
        &self,
        state: &PlayState<'_>,
        name: &str,
        defaults: &ConnectionDefaults,
        task: &Task,
    ) -> Result<Target, String> {
        let vars = state
            .everyone
            .hosts
            .iter()
            .find(|(host, _)| *host == name)
            .map_or_else(Layer::default, |(_, vars)| vars.clone());
        let layers = [&vars, &self.options.extra_vars];
        let ctx = crate::vars::context(&layers, self.shared.templates);
        Target::read_with(name, &ctx, defaults).map_err(|err| format!("{}: {err}", task.span))
    }

    /// `site` reached as `target` says: itself when local or already so reached, else
    /// the session of that user and port (made the first time), with the same root.
    fn reached_as(
        &mut self,
        site: Rc<Site>,
        target: Target,
        span: &Span,
    ) -> Result<Rc<Site>, String> {
        let (remote, inner) = match &*site {
            Site::Remote(remote, inner) if *remote.target() != target => (remote, inner.clone()),
            _ => return Ok(site),
        };
        tracing::debug!(host = %remote.target().host, user = ?target.user, port = ?target.port, "remote_user/port: the host reached through a session of its own");
        let known = self
            .variants
            .iter()
            .find(|variant| variant.remote().is_some_and(|r| *r.target() == target))
            .cloned();
        let base = match known {
            Some(base) => base,
            None => {
                let base = self
                    .site_for(target)
                    .map_err(|err| format!("{span}: {err}"))?
                    .map_err(|err| format!("{span}: {err}"))?;
                self.variants.push(Rc::clone(&base));
                base
            }
        };
        match inner {
            None => Ok(base),
            Some(inner) => base.within(&inner).map(Rc::new),
        }
    }

    /// The context a task's action renders its arguments with: ansible-core's
    /// `PlayContext.update_vars` adds the connection's address as `ansible_host` (and
    /// `ansible_ssh_host`) after `when:` was judged, under the host's own variable of
    /// that name; a delegated task gets its delegate's address over everything.
    pub(super) fn with_connection_vars(&self, ctx: &Value) -> Value {
        let address = |address: &str| {
            Value::from_iter([
                ("ansible_host", Value::from(address)),
                ("ansible_ssh_host", Value::from(address)),
            ])
        };
        match &self.delegated_to {
            Some(delegation) => {
                minijinja::value::merge_maps([ctx.clone(), address(&delegation.shown)])
            }
            None => {
                let own = self.target.roots[0]
                    .1
                    .remote()
                    .map_or(self.target.name.clone(), |remote| {
                        remote.target().address.clone()
                    });
                minijinja::value::merge_maps([address(&own), ctx.clone()])
            }
        }
    }

    /// The place made for `name` when it was first a delegate (its tasks then act on it).
    pub(super) fn delegate_named(&self, name: &str) -> Option<Rc<Site>> {
        self.delegates
            .iter()
            .find(|(known, _)| known == name)
            .map(|(_, host)| Rc::clone(host))
    }

    /// Facts a step set: the entered host's, or the delegate's under `delegate_facts`
    /// (a delegate no play has reached yet gets a state to keep them, as Ansible keeps
    /// facts for any inventory host).
    pub(super) fn keep_facts(&mut self, layer: &Layer) -> Result<(), String> {
        let Some(delegation) = self.delegated_to.clone().filter(|d| d.facts) else {
            self.target.facts.extend(layer);
            return Ok(());
        };
        if self.state_of(&delegation.name).is_none() {
            let Some(site) = self.delegate_named(&delegation.name) else {
                return Err(format!(
                    "delegate_facts: {} has no place in this run",
                    delegation.name
                ));
            };
            self.hosts.push(HostState::new(&delegation.name, site));
        }
        if let Some(state) = self.state_of_mut(&delegation.name) {
            state.facts.extend(layer);
        }
        Ok(())
    }
}
