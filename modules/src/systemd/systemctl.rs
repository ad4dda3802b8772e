//! Reaching systemd for one host: `systemctl --root=ROOT` on an offline root (only
//! enable/disable/mask and queries of unit files work there), plain `systemctl` on the
//! machine's own `/`, where a manager runs. Queries run while planning (read-only, via
//! `Host::query`); changes are returned as `Op::Run` for the executor, placed on the
//! controller since the root is named in the arguments.
//!
//! systemctl follows the root's symlinks the kernel's way; on an offline root it runs
//! jailed (host/jail.rs), handed the root as `--root=/machinist-root`, where no link
//! leads out of the root.

use super::state::{Activity, Enablement};
use crate::{Host, ModuleError, Op, OpOutput, Place, RunSpec};
use serde::Deserialize;
use std::path::Path;

/// Which manager: the system's, the user's (live only), or every user's unit files
/// (`--global`, files only).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Scope {
    #[default]
    System,
    User,
    Global,
}

impl Scope {
    /// Where unit files and drop-ins written by machinist go.
    pub fn unit_dir(self) -> &'static Path {
        match self {
            Scope::System => Path::new("/etc/systemd/system"),
            Scope::User | Scope::Global => Path::new("/etc/systemd/user"),
        }
    }
}

pub struct Systemctl<'h> {
    host: &'h Host,
    scope: Scope,
}

impl<'h> Systemctl<'h> {
    pub fn new(host: &'h Host, scope: Scope) -> Result<Systemctl<'h>, ModuleError> {
        if scope == Scope::User && host.is_offline() {
            return Err(ModuleError::invalid(
                "scope",
                format!(
                    "scope=user needs the user's running manager, and {} is an offline root; \
                     use scope=global to enable user units for every user there",
                    host.root().display()
                ),
            ));
        }
        Ok(Systemctl { host, scope })
    }

    /// Whether a running manager can be asked (the machine's own `/`, not --global).
    pub fn is_live(&self) -> bool {
        !self.host.is_offline() && self.scope != Scope::Global
    }

    /// The command line for `systemctl WORDS…` on this host. Callers put `--` before
    /// the operands (unit names) among `words`.
    pub fn argv(&self, words: &[&str]) -> Vec<String> {
        let mut argv = vec!["systemctl".to_string()];
        if self.host.is_offline() {
            argv.push(format!("--root={}", self.host.tool_root().display()));
        }
        match self.scope {
            Scope::System => {}
            Scope::User => argv.push("--user".into()),
            Scope::Global => argv.push("--global".into()),
        }
        argv.extend(words.iter().map(|word| word.to_string()));
        argv
    }

    /// The ops of `systemctl VERB UNITS…` (enable, disable, mask, unmask): the run,
    /// and for check mode the state it leaves each unit in, so later tasks of the same
    /// check run see it. What `unmask` reveals is the unit file's own state, not known
    /// until it runs: systemctl is asked again.
    pub fn enablement_ops(&self, verb: &str, units: &[&str]) -> Vec<Op> {
        let state = match verb {
            "enable" => Some("enabled"),
            "disable" => Some("disabled"),
            "mask" => Some("masked"),
            _ => None,
        };
        let mut words = vec![verb, "--"];
        words.extend(units);
        let mut ops = vec![self.op(&words)];
        ops.extend(units.iter().map(|unit| Op::PredictedEnablement {
            unit: self.prediction_key(unit),
            state: state.map(str::to_string),
        }));
        ops
    }

    /// A unit's key among check mode's predictions: its scope and name.
    fn prediction_key(&self, unit: &str) -> String {
        let scope = match self.scope {
            Scope::System => "system",
            Scope::User => "user",
            Scope::Global => "global",
        };
        format!("{scope}/{unit}")
    }

    /// An op running `systemctl WORDS…`.
    pub fn op(&self, words: &[&str]) -> Op {
        Op::Run(RunSpec {
            argv: self.argv(words),
            place: Place::Controller,
            ..RunSpec::default()
        })
    }

    fn query(&self, words: &[&str]) -> Result<OpOutput, ModuleError> {
        let spec = RunSpec {
            argv: self.argv(words),
            place: Place::Controller,
            ..RunSpec::default()
        };
        self.host.query(&spec)
    }

    /// `systemctl is-enabled UNIT`; in check mode, what an earlier task would have
    /// left it in comes first.
    pub fn is_enabled(&self, unit: &str) -> Result<Enablement, ModuleError> {
        let predicted = self.host.predicted_enablement(&self.prediction_key(unit));
        if let Some(state) = predicted.as_deref().and_then(Enablement::from_word) {
            return Ok(state);
        }
        let output = self.query(&["is-enabled", "--", unit])?;
        Enablement::parse(&output).map_err(|msg| ModuleError::Failed(format!("{unit}: {msg}")))
    }

    /// `systemctl show -p …  UNIT` on the running manager.
    pub fn show(&self, unit: &str) -> Result<Activity, ModuleError> {
        let output = self.query(&["show", "-p", Activity::PROPERTIES, "--", unit])?;
        if output.rc != Some(0) {
            return Err(ModuleError::Failed(format!(
                "systemctl show {unit} failed (is systemd running here?): {}",
                output.said()
            )));
        }
        Ok(Activity::parse(&output.stdout))
    }

    /// Whether any loaded unit's files changed since the manager last loaded them.
    pub fn any_need_daemon_reload(&self) -> Result<bool, ModuleError> {
        let output = self.query(&["show", "-p", "NeedDaemonReload", "--", "*"])?;
        if output.rc != Some(0) {
            return Err(ModuleError::Failed(format!(
                "systemctl show failed (is systemd running here?): {}",
                output.said()
            )));
        }
        Ok(output
            .stdout
            .lines()
            .any(|line| line.trim() == "NeedDaemonReload=yes"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Sandbox, TestResult};

    #[test]
    fn offline_roots_get_root_and_scope_flags() -> TestResult {
        let sandbox = Sandbox::new()?;
        let host = sandbox.host(false);
        let systemctl = Systemctl::new(&host, Scope::Global)?;
        let root = format!("--root={}", crate::host::TOOL_ROOT);
        assert_eq!(
            systemctl.argv(&["enable", "a.service"]),
            [
                "systemctl",
                root.as_str(),
                "--global",
                "enable",
                "a.service"
            ]
        );
        assert!(!systemctl.is_live());
        assert!(Systemctl::new(&host, Scope::User).is_err());
        Ok(())
    }

    #[test]
    fn the_machines_root_is_live() -> TestResult {
        let host = Host::new(crate::HostOptions::new("/"))?;
        let systemctl = Systemctl::new(&host, Scope::System)?;
        assert!(systemctl.is_live());
        assert_eq!(systemctl.argv(&["start", "x"]), ["systemctl", "start", "x"]);
        Ok(())
    }
}
