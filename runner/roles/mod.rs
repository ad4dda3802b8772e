//! Roles: Ansible's shareable bundles of tasks, handlers, variables, files and
//! templates. `search` finds them; `load` reads one into the playbook model.

pub mod search;
