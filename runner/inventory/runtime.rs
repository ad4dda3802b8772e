//! What a run changes of its inventory as it goes, as ansible-core's strategy does for
//! `add_host` and `group_by`: a host put into groups (made when new, under `all`), a
//! group made under its parents. The `group_vars/` and `host_vars/` folders already
//! read are read again, so the files of a new group or host apply (a `group_by` group
//! with a `group_vars/NAME.yml` is the usual way to vary variables by a fact).

use super::data::ALL;
use super::Inventory;
use crate::error::InputError;
use indexmap::IndexMap;
use std::sync::Mutex;

impl Clone for Inventory {
    fn clone(&self) -> Inventory {
        Inventory {
            data: self.data.clone(),
            inventory_dirs: self.inventory_dirs.clone(),
            vars_dirs: Mutex::new(self.locked_vars_dirs().clone()),
            warnings: Mutex::new(Vec::new()),
            sources: self.sources.clone(),
        }
    }
}

impl Inventory {
    /// `add_host`: `host` (added when new) in each of `groups` (made when new).
    pub fn add_host_to_groups(&mut self, host: &str, groups: &[String]) -> Result<(), InputError> {
        if !self.data.hosts.contains_key(host) {
            self.data.add_host(host, Some(ALL), None);
        }
        for group in groups {
            self.data.add_host(host, Some(group), None);
        }
        self.changed()
    }

    /// `group_by`: `host` into `group`, the group (made when new) a child of each of
    /// `parents` (made when new).
    pub fn group_host(
        &mut self,
        host: &str,
        group: &str,
        parents: &[String],
    ) -> Result<(), String> {
        self.data.add_group(group);
        for parent in parents {
            self.data.add_group(parent);
            self.data
                .add_child(parent, group)
                .map_err(|err| err.to_string())?;
        }
        self.data.add_host(host, Some(group), None);
        self.changed().map_err(|err| err.to_string())
    }

    /// Ansible's rules again, and the variable files of every folder read so far,
    /// for the names the inventory has now.
    fn changed(&mut self) -> Result<(), InputError> {
        self.data.reconcile();
        let folders: Vec<_> = self.locked_vars_dirs().keys().cloned().collect();
        *self.locked_vars_dirs() = IndexMap::new();
        for folder in folders {
            self.prepare(&folder)?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn added_hosts_and_groups_are_selected_and_named() {
        let mut inventory = Inventory::from_groups(&[("web".into(), vec!["w1".into()])]);
        inventory
            .add_host_to_groups("cache1", &["cache".into(), "extra".into()])
            .unwrap();
        inventory
            .group_host("w1", "os_arch", &["managed".into()])
            .unwrap();
        assert_eq!(inventory.select("cache").unwrap(), vec!["cache1"]);
        assert_eq!(inventory.select("managed").unwrap(), vec!["w1"]);
        assert_eq!(inventory.group_names("cache1"), vec!["cache", "extra"]);
        assert_eq!(
            inventory.group_names("w1"),
            vec!["managed", "os_arch", "web"]
        );
        assert!(inventory.hosts().contains(&"cache1".to_string()));
        assert!(inventory
            .group_host("w1", "managed", &["os_arch".into()])
            .is_err());
    }
}
