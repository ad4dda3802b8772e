//! The `nspawn` module: one systemd-nspawn container, as the host sees it — its
//! `.nspawn` settings file, extra flags for its service (`exec_start`), whether it
//! starts at boot (`enabled`: machines.target and systemd-nspawn@NAME.service, offline
//! too through `systemctl --root`), and whether it runs now (`state`, live only).
//!
//! The settings file goes to /etc/systemd/nspawn/NAME.nspawn, where every setting
//! takes effect; `location: image` puts it next to the image in /var/lib/machines,
//! where systemd-nspawn ignores privileged settings (Bind, Bridge, PrivateUsers, …):
//! the plan warns about each one placed there.
//!
//! A running container is not restarted when its settings or flags change (that would
//! stop its services mid-run): notify a handler with
//! `unit: {name: systemd-nspawn@NAME, state: restarted}`.

pub mod doc;
mod exec_start;
mod settings;

pub use settings::{check_names, Settings, UnknownName};

use crate::shell_words;
use crate::systemd::{self, Activity, Enablement, Facets, Scope, Systemctl};
use crate::{Change, Host, Module, ModuleError, Plan};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MachineState {
    Running,
    Stopped,
}

impl MachineState {
    pub fn word(self) -> &'static str {
        match self {
            MachineState::Running => "running",
            MachineState::Stopped => "stopped",
        }
    }
}

/// Where the settings file goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Location {
    /// /etc/systemd/nspawn/NAME.nspawn: trusted, every setting applies.
    #[default]
    Etc,
    /// /var/lib/machines/NAME.nspawn, next to the image: privileged settings ignored.
    Image,
}

/// Flags as a list, or as one command line split like a shell would.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Flags {
    List(Vec<String>),
    Line(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The machine name (the rootfs is /var/lib/machines/NAME).
    pub name: String,
    /// systemd.nspawn(5) sections and keys; absent: the settings file is not managed.
    pub settings: Option<Settings>,
    #[serde(default)]
    pub location: Location,
    /// Extra systemd-nspawn flags for this container's service; an empty list removes
    /// the override.
    pub exec_start: Option<Flags>,
    /// Start at boot: machines.target and systemd-nspawn@NAME.service enabled.
    pub enabled: Option<bool>,
    /// Needs a running manager.
    pub state: Option<MachineState>,
}

pub struct NspawnModule;

impl Module for NspawnModule {
    type Args = Args;
    const NAME: &'static str = "nspawn";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let name = machine_name(&args.name)?;
        let service = format!("systemd-nspawn@{name}.service");
        let systemctl = Systemctl::new(host, Scope::System)?;
        if let Some(state) = args.state {
            if !systemctl.is_live() {
                return Err(ModuleError::invalid(
                    "state",
                    format!(
                        "state={} needs a running service manager, but {} is an offline root \
                         (only settings, exec_start and enabled work offline)",
                        state.word(),
                        host.root().display()
                    ),
                ));
            }
        }
        let mut task = Task {
            args,
            host,
            systemctl,
            service,
            plan: Plan::ok().with_data("name", name),
            facets: Facets::default(),
            wrote_dropin: false,
        };
        task.plan_settings(name)?;
        task.plan_exec_start(name)?;
        let mut state_changes = task.plan_enabled()?;
        state_changes.extend(task.plan_state()?);
        if let Some(first) = state_changes.first_mut() {
            first.diff = task.facets.diff(&task.service);
        }
        task.plan.changes.extend(state_changes);
        Ok(task.plan)
    }
}

/// What in the arguments needs a running manager, for the runner's validation.
pub fn needs_manager(args: &serde_json::Value) -> Option<String> {
    args.get("state")
        .and_then(serde_json::Value::as_str)
        .map(|state| format!("state={state}"))
}

/// A machine name as systemd-nspawn accepts it (a valid host name).
pub(crate) fn machine_name(name: &str) -> Result<&str, ModuleError> {
    let valid = !name.is_empty()
        && name.len() <= 64
        && !name.starts_with(['.', '-'])
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if !valid {
        return Err(ModuleError::invalid(
            "name",
            format!("'{name}' is not a machine name (letters, digits, '-', '_' and '.')"),
        ));
    }
    Ok(name)
}

/// One planning of one `nspawn` task.
struct Task<'a> {
    args: &'a Args,
    host: &'a Host,
    systemctl: Systemctl<'a>,
    /// systemd-nspawn@NAME.service
    service: String,
    plan: Plan,
    facets: Facets,
    wrote_dropin: bool,
}

impl Task<'_> {
    fn plan_settings(&mut self, name: &str) -> Result<(), ModuleError> {
        let Some(settings) = &self.args.settings else {
            return Ok(());
        };
        let content = settings
            .render()
            .map_err(|msg| ModuleError::invalid("settings", msg))?;
        let path = match self.args.location {
            Location::Etc => PathBuf::from("/etc/systemd/nspawn"),
            Location::Image => PathBuf::from("/var/lib/machines"),
        }
        .join(format!("{name}.nspawn"));
        if self.args.location == Location::Image {
            for key in settings.privileged() {
                self.plan.warnings.push(format!(
                    "{key} in {} is ignored by systemd-nspawn: privileged settings only take \
                     effect in /etc/systemd/nspawn/ (use location: etc)",
                    path.display()
                ));
            }
        }
        for source in settings.bind_sources() {
            if !self.host.exists(Path::new(&source))? {
                self.plan.warnings.push(format!(
                    "the bind source {source} does not exist: systemd-nspawn refuses to start \
                     {name} until it does"
                ));
            }
        }
        self.plan
            .data
            .insert("path".into(), path.display().to_string().into());
        self.plan
            .changes
            .extend(systemd::plan_file(self.host, &path, &content)?);
        Ok(())
    }

    fn plan_exec_start(&mut self, name: &str) -> Result<(), ModuleError> {
        let flags = match &self.args.exec_start {
            None => return Ok(()),
            Some(Flags::List(flags)) => flags.clone(),
            Some(Flags::Line(line)) => shell_words::split(line).map_err(|err| {
                ModuleError::invalid("exec_start", format!("cannot split exec_start: {err}"))
            })?,
        };
        let path = exec_start::dropin_path(name);
        let change = if flags.is_empty() {
            systemd::plan_absent(self.host, &path)?
        } else {
            let (content, note) = exec_start::dropin(self.host, &flags)?;
            self.plan.warnings.extend(note);
            systemd::plan_file(self.host, &path, &content)?
        };
        self.wrote_dropin = change.is_some();
        self.plan.changes.extend(change);
        Ok(())
    }

    /// Both units' enablement now; a prediction where systemctl cannot see them yet.
    fn enablement(&mut self, unit: &str) -> Result<Enablement, ModuleError> {
        let predicted = Enablement::Disabled("not-found".into());
        if let Some(warning) = systemd::missing_root(self.host, unit)? {
            self.plan.warnings.push(warning);
            return Ok(predicted);
        }
        match self.systemctl.is_enabled(unit)? {
            Enablement::NotFound
                if self.host.holds_predictions() && self.args.enabled == Some(true) =>
            {
                self.plan.warnings.push(format!(
                    "{unit} is not installed in {}: assuming an earlier task installs \
                     systemd-nspawn (its changes are only predicted)",
                    self.host.root().display()
                ));
                Ok(predicted)
            }
            Enablement::NotFound if self.args.enabled == Some(true) => {
                Err(ModuleError::Failed(format!(
                    "{unit} is not installed in {} (is systemd-nspawn installed?)",
                    self.host.root().display()
                )))
            }
            found => Ok(found),
        }
    }

    fn plan_enabled(&mut self) -> Result<Vec<Change>, ModuleError> {
        let Some(want) = self.args.enabled else {
            return Ok(Vec::new());
        };
        let service = self.service.clone();
        let mut to_change = Vec::new();
        let units: Vec<String> = if want {
            vec!["machines.target".into(), service.clone()]
        } else {
            vec![service.clone()]
        };
        for unit in &units {
            let now = self.enablement(unit)?;
            if now == Enablement::Masked && want {
                return Err(ModuleError::Failed(format!(
                    "{unit} is masked; unmask it (unit: name={unit} masked=false) first"
                )));
            }
            let settled = matches!(now, Enablement::Fixed(_) | Enablement::Masked)
                || now.is_enabled() == want;
            if unit == &service {
                let after = if settled {
                    now.word()
                } else if want {
                    "true"
                } else {
                    "false"
                };
                self.plan
                    .data
                    .insert("enabled".into(), serde_json::Value::Bool(after == "true"));
            }
            if !settled {
                self.facets.push(
                    &format!("enabled ({unit})"),
                    now.word(),
                    if want { "true" } else { "false" },
                );
                to_change.push(unit.clone());
            }
        }
        if to_change.is_empty() {
            return Ok(Vec::new());
        }
        let verb = if want { "enable" } else { "disable" };
        let units: Vec<&str> = to_change.iter().map(String::as_str).collect();
        Ok(vec![Change {
            summary: format!("{verb} {}", to_change.join(" ")),
            diff: None,
            ops: self.systemctl.enablement_ops(verb, &units),
        }])
    }

    fn plan_state(&mut self) -> Result<Vec<Change>, ModuleError> {
        let Some(state) = self.args.state else {
            return Ok(Vec::new());
        };
        let activity: Activity = self.systemctl.show(&self.service)?;
        self.plan.data.insert("status".into(), activity.as_json());
        self.plan.data.insert("state".into(), state.word().into());
        let running = activity.is_active();
        let verb = match state {
            MachineState::Running if !running => "start",
            MachineState::Stopped if running => "stop",
            MachineState::Running | MachineState::Stopped => return Ok(Vec::new()),
        };
        let before = if running { "running" } else { "stopped" };
        self.facets.push("state", before, state.word());
        let mut changes = Vec::new();
        let owed =
            self.host.daemon_reload_owed() || self.wrote_dropin || activity.need_daemon_reload;
        if verb == "start" && owed {
            changes.push(Change {
                summary: "daemon-reload (a unit file changed since the manager loaded it)".into(),
                diff: None,
                ops: vec![self.systemctl.op(&["daemon-reload"])],
            });
        }
        changes.push(Change {
            summary: format!("{verb} {}", self.service),
            diff: None,
            ops: vec![self.systemctl.op(&[verb, "--", &self.service])],
        });
        Ok(changes)
    }
}

#[cfg(test)]
mod tests;
