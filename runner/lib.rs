//! machinist: an Ansible-style, idempotent task runner for Arch Linux and
//! systemd-nspawn containers.
//!
//! The engine is a pipeline: load (YAML → typed playbook with source locations) →
//! validate (every module and argument checked before anything runs) → run (render,
//! plan, apply or record in check mode) → report (events to reporters).

pub mod agent;
pub mod ansible_cfg;
pub mod arg_options;
pub mod cli;
pub mod connection;
pub mod doc;
pub mod error;
pub mod events;
pub mod extra_vars;
pub mod facts;
pub mod input;
pub mod inventory;
pub mod jinja_marks;
pub mod key_values;
pub mod listing;
pub mod memory;
pub mod playbook;
pub mod plugins;
pub mod report;
pub mod revealed;
pub mod roles;
pub mod root_lock;
pub mod run;
pub mod signals;
pub mod template;
pub mod vars;
pub mod vault;
pub mod yaml;

use error::{InputError, SourceMap};
use playbook::load::Loader;
use playbook::model::Playbook;
use std::path::{Path, PathBuf};

/// Load and validate playbooks; any problem in any of them stops here.
/// Role argument specs are checked against `extra_vars` too.
pub fn load(
    paths: &[PathBuf],
    sources: &SourceMap,
    extra_vars: &vars::Layer,
) -> Result<Vec<Playbook>, InputError> {
    let mut playbooks = Vec::new();
    let mut errors = Vec::new();
    for path in paths {
        match Loader::new(sources.clone(), extra_vars).playbook(path) {
            Ok(playbook) => playbooks.push(playbook),
            Err(InputError(diags)) => errors.extend(diags),
        }
    }
    if errors.is_empty() {
        return Ok(playbooks);
    }
    errors.sort_by(|a, b| {
        let key = |d: &error::Diagnostic| d.span.as_ref().map(|s| (s.file.path(), s.line, s.col));
        key(a).cmp(&key(b))
    });
    errors.dedup();
    Err(InputError(errors))
}

/// Refuse, before anything runs, tasks that need a running service manager in plays
/// that act on an offline root (`--root DIR`, a play's `root:`).
pub fn check_offline(playbooks: &[Playbook], cli_root: Option<&Path>) -> Result<(), InputError> {
    let mut errors = Vec::new();
    for playbook in playbooks {
        playbook::validate::offline_managers(playbook, cli_root, &mut errors);
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputError(errors))
    }
}

/// Refuse, before anything runs, a variable read that nothing in the run could define
/// (playbook/undefined.rs): the names of `extra_vars` and of every inventory variable
/// of every host count as defined; a play whose hosts pattern selects no host (after
/// `limit`) reads nothing.
pub fn check_undefined(
    playbooks: &[Playbook],
    sources: &SourceMap,
    inventory: &inventory::Inventory,
    limit: Option<&str>,
    extra_vars: &vars::Layer,
) -> Result<(), InputError> {
    let mut outside: Vec<String> = extra_vars.names().map(str::to_string).collect();
    let mut hosts = inventory.hosts();
    hosts.push("localhost".into());
    for playbook in playbooks {
        let dir = playbook.path.parent().unwrap_or(Path::new("."));
        for host in &hosts {
            outside.extend(inventory.host_vars(host, dir).names().map(str::to_string));
        }
    }
    let has_hosts = |play: &playbook::model::Play| {
        inventory::play_pattern(play, extra_vars)
            .and_then(|pattern| inventory.play_hosts(&pattern, limit))
            .is_ok_and(|hosts| !hosts.is_empty())
    };
    let mut errors = Vec::new();
    let library_base = playbooks
        .first()
        .and_then(|p| p.path.parent())
        .filter(|dir| !dir.as_os_str().is_empty())
        .unwrap_or(Path::new("."))
        .to_path_buf();
    let loading = playbook::undefined::Loading {
        sources,
        extra_vars,
        library_base,
    };
    playbook::undefined::check(playbooks, outside, &has_hosts, loading, &mut errors);
    if errors.is_empty() {
        Ok(())
    } else {
        Err(InputError(errors))
    }
}
