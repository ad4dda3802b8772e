//! Plugin modules: an executable in a `library/` folder answers a task in any
//! language, without recompiling machinist (docs/plugins.md is the user's guide).
//!
//! `discover` finds them (a role's library/, the playbook's library/, then
//! `MACHINIST_LIBRARY`); `spec` reads the optional NAME.yml beside one (check-mode
//! support, argument spec, docs); `args` checks arguments against that spec, before
//! the run and again once rendered; `protocol` is the JSON in and out (machinist's own
//! on stdin, or Ansible's WANT_JSON arguments file). The Host runs the plugin inside
//! the target (`Host::run_plugin`), and `run::plugin` turns its answer into an outcome.

pub mod args;
pub mod discover;
pub mod protocol;
pub mod spec;

use crate::arg_options::ArgOption;
use std::path::PathBuf;

/// The prefix that names a plugin even when a built-in has its name
/// (`library.file`): a plugin never shadows a built-in silently.
pub const QUALIFIER: &str = "library.";

/// A plugin printing more than this on stdout is stopped and fails.
pub const MAX_STDOUT: usize = 16 * 1024 * 1024;

/// Stderr kept for the result (shown with -v); the rest is read and dropped.
pub const MAX_STDERR: usize = 1024 * 1024;

/// A plugin module found for a task.
#[derive(Debug)]
pub struct Plugin {
    /// The module name (`kv_line`).
    pub name: String,
    /// The executable, on the controller.
    pub path: PathBuf,
    /// NAME.yml beside it, if there is one.
    pub spec: Option<Spec>,
    pub protocol: Protocol,
}

/// How a plugin gets its arguments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// machinist's: a JSON object on stdin, with `_machinist` metadata.
    Stdin,
    /// Ansible's, for scripts containing `WANT_JSON`: the path of a JSON file with
    /// `_ansible_*` keys as the only argument.
    WantJson,
}

/// What NAME.yml says about a plugin.
#[derive(Debug, Clone)]
pub struct Spec {
    pub file: PathBuf,
    pub short_description: Option<String>,
    pub description: Option<String>,
    /// `supports_check_mode: true`: the plugin is run in check mode (and told);
    /// otherwise it is reported skipped there.
    pub supports_check_mode: bool,
    /// `supports_diff: true`: documentation only (a diff returned is always shown).
    pub supports_diff: bool,
    /// `argument_spec`: when given, the only arguments accepted.
    pub options: Option<Vec<ArgOption>>,
    /// Tasks (YAML text) showing the plugin at work, for `machinist doc`.
    pub examples: Option<String>,
}

impl Plugin {
    pub fn supports_check_mode(&self) -> bool {
        self.spec.as_ref().is_some_and(|s| s.supports_check_mode)
    }

    /// The declared options, if the plugin has an argument spec.
    pub fn options(&self) -> Option<&[ArgOption]> {
        self.spec.as_ref()?.options.as_deref()
    }
}

/// Two tasks name the same plugin when they found the same executable.
impl PartialEq for Plugin {
    fn eq(&self, other: &Plugin) -> bool {
        self.path == other.path && self.name == other.name
    }
}

impl Eq for Plugin {}
