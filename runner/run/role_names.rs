//! `ansible_play_role_names` (`role_names`), `ansible_dependent_role_names` and
//! `ansible_role_names` as a play runs. ansible-core adds a role to the play's roles
//! each time an `include_role` runs it (once per loop item; the hosts that include it
//! together count once), and its dependencies to the dependent roles; the play's
//! `roles:` and `import_role`s are there from the start (playbook/load).

use super::linear::Slot;
use super::{Executor, PlayState};
use crate::playbook::model::{Play, RoleNames, Task};
use crate::vars::Layer;

/// The roles `include_role` added to the running play.
#[derive(Debug, Default)]
pub(super) struct IncludedRoles {
    names: RoleNames,
    /// The includes counted in this step of the linear strategy: their task and
    /// loop item (another host's include of the same is the same include).
    this_step: Vec<(usize, serde_json::Value)>,
    /// Added to since the hosts' magic variables were last set.
    changed: bool,
}

impl IncludedRoles {
    /// A new step of the linear strategy: its includes are new.
    pub(super) fn next_step(&mut self) {
        self.this_step.clear();
    }
}

/// The three variables, from the play's own names and those included so far.
pub(super) fn role_name_vars(play: &RoleNames, included: &IncludedRoles) -> Layer {
    let names = |list: &[&String]| {
        minijinja::Value::from(
            list.iter()
                .map(|name| minijinja::Value::from(name.as_str()))
                .collect::<Vec<_>>(),
        )
    };
    let played: Vec<&String> = play.play.iter().chain(&included.names.play).collect();
    let mut dependent: Vec<&String> = Vec::new();
    for name in play.dependent.iter().chain(&included.names.dependent) {
        if !dependent.contains(&name) {
            dependent.push(name);
        }
    }
    // ansible-core's is a Python set's list: each name once (in no set order).
    let mut all: Vec<&String> = dependent.clone();
    for name in &played {
        if !all.contains(name) {
            all.push(name);
        }
    }
    let mut layer = Layer::default();
    layer.set("ansible_play_role_names", names(&played));
    layer.set("role_names", names(&played));
    layer.set("ansible_dependent_role_names", names(&dependent));
    layer.set("ansible_role_names", names(&all));
    layer
}

impl Executor<'_> {
    /// An `include_role` of `role` (whose tasks are `tasks`, its dependencies' first)
    /// ran on the entered host for `item`: the play's names grow, and this host sees
    /// them at once.
    pub(super) fn role_included(
        &mut self,
        state: &mut PlayState<'_>,
        task: &Task,
        item: serde_json::Value,
        role: &str,
        tasks: &[Task],
    ) {
        let key = (task as *const Task as usize, item);
        let included = &mut self.included_roles;
        if included.this_step.contains(&key) {
            return;
        }
        included.this_step.push(key);
        included.names.play.push(role.to_string());
        for dependency in tasks
            .iter()
            .filter_map(|task| task.origin.role.as_ref().map(|scope| &scope.name))
            .filter(|name| name.as_str() != role)
        {
            if !included.names.dependent.contains(dependency) {
                included.names.dependent.push(dependency.clone());
            }
        }
        included.changed = true;
        state
            .magic
            .extend(&role_name_vars(&state.play.role_names, included));
        *state.plain_context.borrow_mut() = None;
    }

    /// After a step: every host sees the roles included in it.
    pub(super) fn refresh_role_names(&mut self, slots: &mut [Slot<'_>]) {
        if !std::mem::take(&mut self.included_roles.changed) {
            return;
        }
        for (_, state, _) in slots.iter_mut() {
            let play: &Play = state.play;
            state
                .magic
                .extend(&role_name_vars(&play.role_names, &self.included_roles));
            *state.plain_context.borrow_mut() = None;
        }
    }
}
