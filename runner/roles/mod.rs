//! Roles: Ansible's shareable bundles of tasks, handlers, variables, files and
//! templates. `search` finds them; `load` reads one into the playbook model.
//! Sharing them (`machinist role install|list|init`, machinist.lock) is `command`
//! and the modules below it.

pub mod search;

pub mod command;
pub mod error;
pub mod fetch;
pub mod git;
pub mod init;
pub mod install;
pub mod list;
pub mod lockfile;
mod output;
pub mod requirements;
pub mod source;
pub mod staging;
mod yaml_file;

/// The folders of a role, in Ansible's layout (`tests/` is conventional too).
pub const ROLE_FOLDERS: [&str; 8] = [
    "tasks",
    "handlers",
    "defaults",
    "vars",
    "templates",
    "files",
    "meta",
    "library",
];
