//! Reaching systemd for one host: `systemctl --root=ROOT` on an offline root (only
//! enable/disable/mask and queries of unit files work there), plain `systemctl` on the
//! machine's own `/`, where a manager runs. Queries run while planning (read-only, via
//! `Host::query`); changes are returned as `Op::Run` for the executor, placed on the
//! controller since the root is named in the arguments.
//!
//! systemctl follows the root's symlinks the host's way, so every call on an offline
//! root is preceded by `Host::check_tool_paths` over the directories it reads and
//! writes ([`Systemctl::confine`]).

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

/// The directories systemctl reads unit files from or writes links into.
const SYSTEMCTL_DIRS: &[&str] = &[
    "/",
    "/etc",
    "/etc/systemd",
    "/etc/systemd/system",
    "/etc/systemd/user",
    "/etc/systemd/system-preset",
    "/etc/systemd/user-preset",
    "/run",
    "/run/systemd",
    "/run/systemd/system",
    "/usr",
    "/usr/lib",
    "/usr/lib/systemd",
    "/usr/lib/systemd/system",
    "/usr/lib/systemd/user",
    "/usr/lib/systemd/system-preset",
    "/lib",
    "/lib/systemd",
    "/lib/systemd/system",
    "/usr/local",
    "/usr/local/lib",
    "/usr/local/lib/systemd/system",
];

/// Link directories below a unit directory that `enable` writes into.
const LINK_DIR_SUFFIXES: &[&str] = &[".wants", ".requires", ".upholds"];

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

    /// The command line for `systemctl WORDS…` on this host.
    pub fn argv(&self, words: &[&str]) -> Vec<String> {
        let mut argv = vec!["systemctl".to_string()];
        if self.host.is_offline() {
            argv.push(format!("--root={}", self.host.root().display()));
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
        let mut words = vec![verb];
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

    /// Refuse a root whose directories lead systemctl somewhere else than where the
    /// Host resolves them (out of the root): the fixed unit directories, then the
    /// link directories (`*.wants`, …) that `enable` writes into.
    pub fn confine(&self) -> Result<(), ModuleError> {
        self.host.check_tool_paths(SYSTEMCTL_DIRS)?;
        let mut link_dirs: Vec<String> = Vec::new();
        for dir in ["/etc/systemd/system", "/etc/systemd/user"] {
            let Ok(Some(names)) = self.host.read_dir(Path::new(dir)) else {
                continue;
            };
            for name in names {
                let name = name.to_string_lossy();
                if LINK_DIR_SUFFIXES
                    .iter()
                    .any(|suffix| name.ends_with(suffix))
                {
                    link_dirs.push(format!("{dir}/{name}"));
                }
            }
        }
        let link_dirs: Vec<&str> = link_dirs.iter().map(String::as_str).collect();
        self.host.check_tool_paths(&link_dirs)
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
        let output = self.query(&["is-enabled", unit])?;
        Enablement::parse(&output).map_err(|msg| ModuleError::Failed(format!("{unit}: {msg}")))
    }

    /// `systemctl show -p …  UNIT` on the running manager.
    pub fn show(&self, unit: &str) -> Result<Activity, ModuleError> {
        let output = self.query(&["show", "-p", Activity::PROPERTIES, unit])?;
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
        let output = self.query(&["show", "-p", "NeedDaemonReload", "*"])?;
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
        let root = format!("--root={}", sandbox.root.display());
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

    #[test]
    fn link_directories_leading_out_are_refused() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::create_dir_all(sandbox.real("/etc/systemd/system"))?;
        let host = sandbox.host(false);
        let systemctl = Systemctl::new(&host, Scope::System)?;
        assert!(systemctl.confine().is_ok());
        std::os::unix::fs::symlink(
            &sandbox.decoy,
            sandbox.real("/etc/systemd/system/multi-user.target.wants"),
        )?;
        assert!(matches!(
            systemctl.confine(),
            Err(ModuleError::Escape { .. })
        ));
        Ok(())
    }
}
