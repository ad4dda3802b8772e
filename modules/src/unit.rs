//! The `unit` module (and Ansible's `systemd` / `systemd_service` under the same
//! argument names): a systemd unit's file or drop-in, its enablement and mask, and —
//! on a running system — its state.
//!
//! Offline (a container's root, `--root`), systemctl works on files only:
//! `systemctl --root=ROOT is-enabled|enable|disable|mask|unmask`. Starting, stopping
//! and reloading need the running manager of the machine's own `/`; on an offline root
//! they are refused (the runner already refuses literal ones at validation). What is
//! changed is decided from systemd's answers (`is-enabled`, `show`), and every change
//! is an op, so check mode runs nothing but those read-only queries.
//!
//! Writing a unit file or drop-in (in this task or an earlier one, see the Host's
//! daemon-reload books) puts one `systemctl daemon-reload` before the next start,
//! restart or reload.

pub mod doc;
mod enablement;
mod state;

use crate::systemd::{self, Facets, Scope, Systemctl};
use crate::{Change, Host, Module, ModuleError, Plan};
use serde::Deserialize;
use std::path::PathBuf;

/// What the unit should be doing (needs a running manager).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum UnitState {
    Started,
    Stopped,
    Restarted,
    Reloaded,
}

impl UnitState {
    pub fn word(self) -> &'static str {
        match self {
            UnitState::Started => "started",
            UnitState::Stopped => "stopped",
            UnitState::Restarted => "restarted",
            UnitState::Reloaded => "reloaded",
        }
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The unit (`.service` implied without a type suffix). Optional only for a task
    /// that does nothing but `daemon_reload`.
    #[serde(alias = "service", alias = "unit")]
    pub name: Option<String>,
    pub state: Option<UnitState>,
    pub enabled: Option<bool>,
    pub masked: Option<bool>,
    /// Reload the manager's configuration when a unit file changed (this run, or on
    /// disk since the manager loaded it). Needs a running manager.
    #[serde(default, alias = "daemon-reload")]
    pub daemon_reload: bool,
    #[serde(default)]
    pub scope: Scope,
    /// The whole unit file (or, with `dropin`, the drop-in).
    pub content: Option<String>,
    /// A template in templates/ (rendered by the runner into `content` before planning).
    pub template: Option<String>,
    /// A file in files/ (read by the runner into `content` before planning).
    pub src: Option<String>,
    /// Write `content` as the drop-in `/etc/systemd/system/NAME.d/DROPIN` instead of
    /// the unit file itself.
    pub dropin: Option<String>,
}

pub struct UnitModule;

impl Module for UnitModule {
    type Args = Args;
    const NAME: &'static str = "unit";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        check_combinations(args)?;
        let systemctl = Systemctl::new(host, args.scope)?;
        if let Some(what) = needs_manager(args) {
            refuse_offline(host, &systemctl, &what)?;
        }
        let unit = args.name.as_deref().map(systemd::unit_name).transpose()?;
        let mut task = Task {
            args,
            host,
            systemctl,
            plan: Plan::ok(),
            facets: Facets::default(),
            wrote_unit_file: false,
            wrote_any: false,
        };
        if let Some(unit) = &unit {
            task.plan_files(unit)?;
        }
        let mut state_changes = Vec::new();
        if let Some(unit) = &unit {
            task.plan.data.insert("name".into(), unit.clone().into());
            state_changes.extend(task.plan_enablement(unit)?);
        }
        let (reload, state_change) = task.plan_state(unit.as_deref())?;
        state_changes.extend(state_change);
        Ok(task.finish(unit.as_deref(), reload, state_changes))
    }
}

/// What in the arguments needs a running manager (`state=started`, `daemon_reload`),
/// for the runner's validation of offline plays and for the module's own refusal.
pub fn needs_manager(args: &Args) -> Option<String> {
    match (args.state, args.daemon_reload) {
        (Some(state), _) => Some(format!("state={}", state.word())),
        (None, true) => Some("daemon_reload".into()),
        (None, false) => None,
    }
}

fn refuse_offline(host: &Host, systemctl: &Systemctl, what: &str) -> Result<(), ModuleError> {
    if systemctl.is_live() {
        return Ok(());
    }
    let why = if host.is_offline() {
        format!(
            "{} is an offline root (no systemd runs there; only enabled and masked work offline)",
            host.root().display()
        )
    } else {
        "scope=global manages unit files only".to_string()
    };
    Err(ModuleError::invalid(
        "state",
        format!("{what} needs a running service manager, but {why}"),
    ))
}

fn check_combinations(args: &Args) -> Result<(), ModuleError> {
    if args.template.is_some() || args.src.is_some() {
        return Err(ModuleError::invalid(
            "template",
            "template/src must be read by the runner into content before planning",
        ));
    }
    if args.name.is_none() && !(args.daemon_reload && args.state.is_none()) {
        return Err(ModuleError::invalid(
            "name",
            "name is required (only a task with nothing but daemon_reload may leave it out)",
        ));
    }
    if args.name.is_none() && (args.enabled.is_some() || args.masked.is_some()) {
        return Err(ModuleError::invalid("name", "enabled/masked need a name"));
    }
    if args.dropin.is_some() && args.content.is_none() {
        return Err(ModuleError::invalid(
            "dropin",
            "dropin needs content (or template/src) to write",
        ));
    }
    if args.masked == Some(true) {
        if args.enabled == Some(true) {
            return Err(ModuleError::invalid(
                "masked",
                "a masked unit cannot be enabled: give masked or enabled, not both true",
            ));
        }
        if matches!(
            args.state,
            Some(UnitState::Started | UnitState::Restarted | UnitState::Reloaded)
        ) {
            return Err(ModuleError::invalid(
                "masked",
                "a masked unit cannot be started: masked: true goes with state: stopped",
            ));
        }
        if args.content.is_some() && args.dropin.is_none() {
            return Err(ModuleError::invalid(
                "masked",
                "masking links the unit file to /dev/null: it cannot also have content",
            ));
        }
    }
    if args.scope == Scope::Global && args.state.is_some() {
        return Err(ModuleError::invalid(
            "scope",
            "scope=global manages unit files only; state needs scope system or user",
        ));
    }
    Ok(())
}

/// One planning of one `unit` task.
struct Task<'a> {
    args: &'a Args,
    host: &'a Host,
    systemctl: Systemctl<'a>,
    plan: Plan,
    /// The unit's state before and after, one line each (`enabled: false` …).
    facets: Facets,
    /// This plan writes the unit file itself (systemd does not know it yet).
    wrote_unit_file: bool,
    /// This plan writes the unit file or a drop-in.
    wrote_any: bool,
}

impl Task<'_> {
    fn plan_files(&mut self, unit: &str) -> Result<(), ModuleError> {
        let Some(content) = &self.args.content else {
            return Ok(());
        };
        let dir = self.args.scope.unit_dir();
        let path: PathBuf = match &self.args.dropin {
            Some(dropin) => dir
                .join(format!("{unit}.d"))
                .join(systemd::dropin_name(dropin)?),
            None => dir.join(unit),
        };
        if let Some(change) = systemd::plan_file(self.host, &path, content)? {
            self.wrote_any = true;
            self.wrote_unit_file = self.args.dropin.is_none();
            self.plan.changes.push(change);
        }
        Ok(())
    }

    fn facet(&mut self, key: &str, before: impl Into<String>, after: impl Into<String>) {
        self.facets.push(key, before, after);
    }

    fn warn(&mut self, warning: String) {
        self.plan.warnings.push(warning);
    }

    /// The plan's changes in the order they must run: files, daemon-reload, then the
    /// unit's state changes (mask, enable, start…), which carry the state diff.
    fn finish(mut self, unit: Option<&str>, reload: Option<Change>, state: Vec<Change>) -> Plan {
        let mut state = state;
        if let Some(first) = state.first_mut() {
            first.diff = self.facets.diff(unit.unwrap_or("systemd"));
        }
        self.plan.changes.extend(reload);
        self.plan.changes.extend(state);
        self.plan
    }
}

#[cfg(test)]
mod tests;
