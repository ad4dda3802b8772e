//! The service_facts module (Ansible's `ansible.builtin.service_facts`): the target's
//! services as the fact `services`, computed as ansible-core 2.19's module computes
//! them. Where systemd is the running service manager (`/run/systemd/system/` or
//! PID 1 named `systemd`, as Ansible's `is_systemd_managed` asks), from `systemctl
//! list-units` and `list-unit-files`, keyed `NAME.service`; where the target has
//! SysV's `service` tool, from `service --status-all` (what Ansible reports on a
//! machine or root whose PID 1 is not systemd). Both run inside the target; nothing
//! changes. No services at all is `skipped`, with Ansible's message.
//!
//! Upstart (`initctl`), Red Hat's `chkconfig` and OpenRC (`rc-status`) are not read:
//! a target that has them is refused rather than half-described.

pub(crate) mod doc;

use crate::{Host, Module, ModuleError, Plan, RunSpec};
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

/// Ansible's service_facts takes no arguments.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {}

pub struct ServiceFactsModule;

/// Where Ansible's `get_bin_path` looks: PATH (the target's default one) and the sbin
/// directories.
const BIN_DIRS: &[&str] = &[
    "/usr/local/sbin",
    "/usr/local/bin",
    "/usr/sbin",
    "/usr/bin",
    "/sbin",
    "/bin",
];

/// systemd's own test of a booted system (sd_booted), as Ansible repeats it.
const SYSTEMD_CANARIES: &[&str] = &[
    "/run/systemd/system/",
    "/dev/.run/systemd/",
    "/dev/.systemd/",
];

/// A unit whose state any field of its line says is one of these keeps it as status.
const BAD_STATES: &[&str] = &["not-found", "masked", "failed"];

const NOTHING_FOUND: &str =
    "Failed to find any services. This can be due to privileges or some other configuration issue.";

impl Module for ServiceFactsModule {
    type Args = Args;
    const NAME: &'static str = "service_facts";

    fn plan(&self, _args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let mut services = Map::new();
        let mut warnings = Vec::new();
        let others = ["chkconfig", "initctl", "rc-status"]
            .into_iter()
            .map(|tool| Ok((tool, program(host, tool)?)))
            .collect::<Result<Vec<_>, ModuleError>>()?;
        if let Some((tool, _)) = others.iter().find(|(_, path)| path.is_some()) {
            return Err(ModuleError::Refused(format!(
                "the target has {tool}: its services (Red Hat's chkconfig, upstart or \
                 OpenRC) are not read by this service_facts, only SysV's and systemd's"
            )));
        }
        if let Some(service) = program(host, "service")? {
            sysv(host, &service, &mut services, &mut warnings)?;
        }
        if let Some(systemctl) = program(host, "systemctl")? {
            if systemd_runs(host)? {
                let mut listed = Map::new();
                from_units(host, &systemctl, &mut listed, &mut warnings)?;
                from_unit_files(host, &systemctl, &mut listed, &mut warnings)?;
                services.extend(listed);
            }
        }
        tracing::debug!(count = services.len(), "services found");
        let mut plan = if services.is_empty() {
            Plan::skipped(NOTHING_FOUND)
        } else {
            Plan::ok().with_data("ansible_facts", json!({ "services": services }))
        };
        for warning in warnings {
            plan = plan.with_warning(warning);
        }
        Ok(plan)
    }
}

/// The target's path of `name`, where Ansible's `get_bin_path` would find it.
fn program(host: &Host, name: &str) -> Result<Option<PathBuf>, ModuleError> {
    for dir in BIN_DIRS {
        let path = Path::new(dir).join(name);
        if host.stat(&path)?.is_some_and(|meta| meta.is_file()) {
            return Ok(Some(path));
        }
    }
    Ok(None)
}

/// Whether systemd manages the target now (Ansible's `is_systemd_managed`).
fn systemd_runs(host: &Host) -> Result<bool, ModuleError> {
    for canary in SYSTEMD_CANARIES {
        if host.exists(Path::new(canary))? {
            return Ok(true);
        }
    }
    let comm = host.read_file(Path::new("/proc/1/comm")).unwrap_or(None);
    Ok(comm.is_some_and(|comm| String::from_utf8_lossy(&comm).trim() == "systemd"))
}

/// `PROGRAM ARGS…` in the target, in the C locale (Ansible's parsable locale).
fn query(host: &Host, program: &Path, args: &[&str]) -> Result<crate::OpOutput, ModuleError> {
    let mut argv = vec![program.display().to_string()];
    argv.extend(args.iter().map(|arg| arg.to_string()));
    host.query(&RunSpec {
        argv,
        env: vec![("LANG".into(), "C".into()), ("LC_ALL".into(), "C".into())],
        ..RunSpec::default()
    })
}

/// `service --status-all`: `[ + ] NAME` running, `[ - ] NAME` stopped, `[ ? ]` left out.
fn sysv(
    host: &Host,
    service: &Path,
    services: &mut Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<(), ModuleError> {
    let output = query(host, service, &["--status-all"])?;
    if output.rc == Some(4) && !host.exists(Path::new("/etc/init.d"))? {
        return Ok(());
    }
    if output.rc != Some(0) {
        warnings.push(format!(
            "Unable to query 'service' tool ({}): {}",
            output.rc.map_or("None".to_string(), |rc| rc.to_string()),
            output.stderr
        ));
    }
    for (name, running) in status_all(&output.stdout) {
        let state = if running { "running" } else { "stopped" };
        services.insert(
            name.to_string(),
            json!({"name": name, "state": state, "source": "sysv"}),
        );
    }
    Ok(())
}

/// The lines of `service --status-all` Ansible's pattern
/// `^\s*\[ (?P<state>\+|\-) \]\s+(?P<name>.+)$` takes: (name, running).
fn status_all(stdout: &str) -> Vec<(&str, bool)> {
    stdout
        .split('\n')
        .filter_map(|line| {
            let rest = line.trim_start().strip_prefix("[ ")?;
            let (running, rest) = match rest.as_bytes().first()? {
                b'+' => (true, &rest[1..]),
                b'-' => (false, &rest[1..]),
                _ => return None,
            };
            let rest = rest.strip_prefix(" ]")?;
            let name = rest.trim_start();
            (name.len() < rest.len() && !name.is_empty()).then_some((name, running))
        })
        .collect()
}

/// `systemctl list-units`: every loaded service, running or stopped, its ACTIVE
/// column (or a bad state any column but the description's last word shows) as status.
fn from_units(
    host: &Host,
    systemctl: &Path,
    services: &mut Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<(), ModuleError> {
    let output = query(
        host,
        systemctl,
        &[
            "list-units",
            "--no-pager",
            "--type",
            "service",
            "--all",
            "--plain",
        ],
    )?;
    if output.rc != Some(0) {
        warnings.push(format!(
            "Could not list units from systemd: {}",
            output.stderr
        ));
        return Ok(());
    }
    for (name, state, status) in unit_lines(&output.stdout) {
        services.insert(
            name.to_string(),
            json!({"name": name, "state": state, "status": status, "source": "systemd"}),
        );
    }
    Ok(())
}

/// The service lines of `systemctl list-units --plain`: (name, state, status).
fn unit_lines(stdout: &str) -> Vec<(&str, &str, &str)> {
    stdout
        .split('\n')
        .filter(|line| line.contains(".service"))
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            if fields.len() < 4 {
                return None;
            }
            let but_last = &fields[..fields.len() - 1];
            let status = BAD_STATES
                .iter()
                .find(|bad| but_last.contains(bad))
                .copied()
                .unwrap_or(fields[2]);
            let state = if fields[3] == "running" {
                "running"
            } else {
                "stopped"
            };
            Some((fields[0], state, status))
        })
        .collect()
}

/// `systemctl list-unit-files`: the enablement of each service as its status (unless
/// a bad state said more), and the services no unit is loaded for, with their
/// ActiveState asked one by one.
fn from_unit_files(
    host: &Host,
    systemctl: &Path,
    services: &mut Map<String, Value>,
    warnings: &mut Vec<String>,
) -> Result<(), ModuleError> {
    let output = query(
        host,
        systemctl,
        &[
            "list-unit-files",
            "--no-pager",
            "--type",
            "service",
            "--all",
        ],
    )?;
    if output.rc != Some(0) {
        warnings.push(format!(
            "Could not get unit files data from systemd: {}",
            output.stderr
        ));
        return Ok(());
    }
    for line in output.stdout.split('\n').filter(|l| l.contains(".service")) {
        let mut fields = line.split_whitespace();
        let (Some(name), Some(status)) = (fields.next(), fields.next()) else {
            return Err(ModuleError::Failed(format!(
                "Malformed output discovered from systemd list-unit-files: {line}"
            )));
        };
        match services.get_mut(name) {
            Some(known) => {
                let bad = known["status"]
                    .as_str()
                    .is_some_and(|status| BAD_STATES.contains(&status));
                if !bad {
                    known["status"] = json!(status);
                }
            }
            None => {
                let shown = query(host, systemctl, &["show", name, "--property=ActiveState"])?;
                let state = if shown.rc == Some(0) && !shown.stdout.is_empty() {
                    shown
                        .stdout
                        .replace("ActiveState=", "")
                        .trim_end()
                        .to_string()
                } else {
                    "unknown".to_string()
                };
                services.insert(
                    name.to_string(),
                    json!({"name": name, "state": state, "status": status, "source": "systemd"}),
                );
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests;
