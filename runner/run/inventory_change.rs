//! `add_host` and `group_by`, the actions that change the run's inventory as
//! ansible-core's strategy does: the step renders its arguments into an
//! [`InventoryChange`] (it touches no target), the executor applies it to the run's own
//! copy of the inventory, and after the step every host of the play sees the new
//! `groups`, `group_names`, group variables and `hostvars`; later plays select the
//! new hosts and groups. Both report `ok`: nothing on a host changed.

use super::linear::Slot;
use super::outcome::Outcome;
use super::step::Step;
use super::Executor;
use crate::vars::{self, Layer};
use crate::yaml::Node;
use serde_json::{json, Value as Json};

/// What an `add_host` or `group_by` step asks of the run's inventory.
pub(super) enum InventoryChange {
    /// `name` (new or known) into `groups`, with these variables over its own.
    AddHost {
        name: String,
        groups: Vec<String>,
        vars: Layer,
    },
    /// The step's host into `group`, a child of `parents`.
    GroupBy { group: String, parents: Vec<String> },
}

/// add_host's arguments that are not variables of the host.
const NAME_ARGS: [&str; 3] = ["name", "host", "hostname"];
const GROUPS_ARGS: [&str; 3] = ["groups", "group", "groupname"];

impl Step<'_> {
    pub(super) fn add_host(&mut self, args: &Node) -> Outcome {
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let name = NAME_ARGS
            .iter()
            .find_map(|key| rendered.get(*key))
            .map(json_text)
            .unwrap_or_default();
        if name.is_empty() {
            return Outcome::failed("add_host needs 'name' (the host's name)");
        }
        let groups = GROUPS_ARGS
            .iter()
            .find_map(|key| rendered.get(*key))
            .map(names)
            .unwrap_or_default();
        let mut vars = Layer::default();
        let mut shown = serde_json::Map::new();
        for (key, value) in &rendered {
            if NAME_ARGS.contains(&key.as_str()) || GROUPS_ARGS.contains(&key.as_str()) {
                continue;
            }
            vars.set(key, vars::from_json(value));
            shown.insert(key.clone(), value.clone());
        }
        let mut outcome = Outcome::ok();
        outcome.data.insert(
            "add_host".into(),
            json!({"host_name": name, "groups": groups, "host_vars": shown}),
        );
        self.inventory = Some(InventoryChange::AddHost { name, groups, vars });
        outcome
    }

    pub(super) fn group_by(&mut self, args: &Node) -> Outcome {
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        // As Ansible's group_by: spaces in the names become dashes.
        let group = rendered
            .get("key")
            .map(json_text)
            .unwrap_or_default()
            .replace(' ', "-");
        if group.is_empty() {
            return Outcome::failed("group_by needs 'key' (the group's name)");
        }
        let parents: Vec<String> = match rendered.get("parents") {
            Some(Json::Array(items)) => items.iter().map(json_text).collect(),
            Some(value) => vec![json_text(value)],
            None => vec!["all".to_string()],
        };
        let parents: Vec<String> = parents.iter().map(|p| p.replace(' ', "-")).collect();
        let mut outcome = Outcome::ok();
        outcome.data.insert("add_group".into(), json!(group));
        outcome.data.insert("parent_groups".into(), json!(parents));
        self.inventory = Some(InventoryChange::GroupBy { group, parents });
        outcome
    }
}

fn json_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// add_host's groups: a list, or names separated by commas.
fn names(value: &Json) -> Vec<String> {
    let all: Vec<String> = match value {
        Json::Array(items) => items.iter().map(json_text).collect(),
        other => json_text(other).split(',').map(str::to_string).collect(),
    };
    all.into_iter()
        .map(|name| name.trim().to_string())
        .filter(|name| !name.is_empty())
        .collect()
}

impl Executor<'_> {
    /// Apply a step's change to the run's inventory (made from nothing when the run
    /// has none); the play's hosts see it after the step.
    pub(super) fn change_inventory(&mut self, change: InventoryChange) -> Result<(), String> {
        let inventory = self.inventory.get_or_insert_with(|| {
            std::sync::Arc::new(crate::inventory::Inventory::from_groups(&[]))
        });
        let inventory = std::sync::Arc::make_mut(inventory);
        match change {
            InventoryChange::AddHost { name, groups, vars } => {
                tracing::debug!(host = %name, ?groups, "add_host");
                inventory
                    .add_host_to_groups(&name, &groups)
                    .map_err(|err| err.to_string())?;
                self.added_vars.entry(name).or_default().extend(&vars);
            }
            InventoryChange::GroupBy { group, parents } => {
                tracing::debug!(host = %self.target.name, %group, ?parents, "group_by");
                inventory.group_host(&self.target.name, &group, &parents)?;
            }
        }
        self.inventory_changed = true;
        Ok(())
    }

    /// After a step that changed the inventory: every host of the play sees its new
    /// `groups`, `group_names`, inventory variables and `hostvars`.
    pub(super) fn refresh_inventory_views(&mut self, slots: &mut [Slot<'_>]) {
        if !std::mem::take(&mut self.inventory_changed) {
            return;
        }
        let folder = self.playbook_folder.clone();
        let everyone = std::rc::Rc::new(self.everyone_in(&folder));
        for (index, state, _) in slots.iter_mut() {
            state.everyone = std::rc::Rc::clone(&everyone);
            let name = self.hosts[*index].name.clone();
            let group_names = self.host_magic(&name);
            state.magic.extend(&group_names);
            if let Some(groups) = self.groups_value() {
                state.magic.set("groups", groups);
            }
            state.inventory = self.inventory_vars_in(&folder, &name);
            *state.plain_context.borrow_mut() = None;
        }
    }
}
