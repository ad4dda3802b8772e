//! The `sysctl` module (Ansible's `ansible.posix.sysctl`): a kernel setting as a
//! `name=value` line of a sysctl file (/etc/sysctl.conf by default), written through
//! the Host, so it applies at the target's next boot; on the machine's own `/` also
//! loaded now (`reload`: `sysctl -p FILE` after a change) and set in the running
//! kernel when it differs (`sysctl_set`: `sysctl -w`). Those two need a running
//! kernel of the target: on an offline root `reload` is not done unless asked for,
//! and asking for it (or `sysctl_set`) there is refused.
//!
//! The file is edited as Ansible does: the setting's lines (names compared with `/`
//! as `.`) are replaced by one `name=value` in place of the first, or it is appended;
//! comments and other lines stay. Values compare with whitespace collapsed; booleans
//! are 1 and 0.

pub mod doc;

use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Place, Plan, RunSpec};
use serde::{Deserialize, Deserializer};
use std::path::Path;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The setting (`net.ipv4.ip_forward`; `/` separators are `.`).
    #[serde(alias = "key")]
    pub name: String,
    /// Its value (a number, string or boolean).
    #[serde(default, alias = "val", deserialize_with = "scalar")]
    pub value: Option<String>,
    #[serde(default)]
    pub state: State,
    /// The file holding the setting.
    #[serde(default = "sysctl_conf")]
    pub sysctl_file: String,
    /// Load the file after a change (`sysctl -p FILE`); live only. Default: yes on the
    /// machine's own `/`, no on an offline root.
    pub reload: Option<bool>,
    /// Set the running kernel's value too when it differs (`sysctl -w`); live only.
    #[serde(default)]
    pub sysctl_set: bool,
    /// Ignore errors about unknown keys while reloading (`sysctl -e`).
    #[serde(default)]
    pub ignoreerrors: bool,
}

fn sysctl_conf() -> String {
    "/etc/sysctl.conf".into()
}

/// A scalar as text, Ansible's way: booleans are `1`/`0`, `yes`/`no` too.
fn scalar<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<String>, D::Error> {
    let value = Option::<serde_json::Value>::deserialize(deserializer)?;
    let text = match value {
        None | Some(serde_json::Value::Null) => return Ok(None),
        Some(serde_json::Value::Bool(b)) => if b { "1" } else { "0" }.to_string(),
        Some(serde_json::Value::Number(n)) => n.to_string(),
        Some(serde_json::Value::String(s)) => match s.trim().to_ascii_lowercase().as_str() {
            "yes" | "on" | "true" => "1".into(),
            "no" | "off" | "false" => "0".into(),
            _ => s.trim().to_string(),
        },
        Some(other) => {
            return Err(serde::de::Error::custom(format!(
                "expected a number, string or boolean, got {other}"
            )))
        }
    };
    Ok(Some(text))
}

pub struct SysctlModule;

impl Module for SysctlModule {
    type Args = Args;
    const NAME: &'static str = "sysctl";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let name = args.name.trim().replace('/', ".");
        if name.is_empty() || name.contains(|c: char| c.is_whitespace() || c == '=') {
            return Err(ModuleError::invalid(
                "name",
                format!("'{}' is not a sysctl name", args.name),
            ));
        }
        let value = match (&args.value, args.state) {
            (Some(value), _) if value.contains('\n') => {
                return Err(ModuleError::invalid(
                    "value",
                    "value may not hold a newline",
                ))
            }
            (Some(value), _) => Some(collapse(value)),
            (None, State::Present) => {
                return Err(ModuleError::invalid("value", "state=present needs a value"))
            }
            (None, State::Absent) => None,
        };
        if host.is_offline() && (args.reload == Some(true) || args.sysctl_set) {
            let what = if args.sysctl_set {
                "sysctl_set"
            } else {
                "reload"
            };
            return Err(ModuleError::invalid(
                what,
                format!(
                    "{what} needs the target's running kernel, and {} is an offline root \
                     (the file applies at its next boot)",
                    host.root().display()
                ),
            ));
        }
        let path = Path::new(&args.sysctl_file);
        let current = host
            .read_file(path)?
            .map(|bytes| String::from_utf8_lossy(&bytes).into_owned());
        let before = current.clone().unwrap_or_default();
        let after = edited(&before, &name, value.as_deref());
        let mut plan = Plan::ok()
            .with_data("name", &name)
            .with_data("sysctl_file", &args.sysctl_file);
        if let Some(value) = &value {
            plan = plan.with_data("value", value);
        }
        let mut changes = Vec::new();
        let reload = args.reload.unwrap_or(!host.is_offline());
        if after != before {
            let meta = host.stat(path)?;
            let mut ops = vec![Op::WriteFile {
                path: path.to_path_buf(),
                content: after.clone().into_bytes(),
                mode: meta.as_ref().map_or(0o644, |m| m.mode),
                owner: Ownership {
                    uid: meta.as_ref().map(|m| m.uid),
                    gid: meta.as_ref().map(|m| m.gid),
                },
            }];
            if reload {
                let mut argv = vec!["sysctl".to_string()];
                if args.ignoreerrors {
                    argv.push("-e".into());
                }
                argv.extend(["-p".into(), args.sysctl_file.clone()]);
                ops.push(Op::Run(RunSpec {
                    argv,
                    place: Place::Target,
                    ..RunSpec::default()
                }));
            }
            changes.push(Change {
                summary: format!("{name} in {}", args.sysctl_file),
                diff: Some(Diff::of_path(&args.sysctl_file, before, after)),
                ops,
            });
        }
        if let (true, Some(value)) = (args.sysctl_set, &value) {
            let proc = Path::new("/proc/sys").join(name.replace('.', "/"));
            let running = host
                .read_file(&proc)?
                .map(|bytes| collapse(&String::from_utf8_lossy(&bytes)));
            if running.as_deref() != Some(value.as_str()) {
                changes.push(Change {
                    summary: format!("set {name} in the running kernel"),
                    diff: Some(Diff {
                        before_header: format!("running {name}"),
                        after_header: format!("running {name}"),
                        before: format!("{}\n", running.unwrap_or_default()),
                        after: format!("{value}\n"),
                    }),
                    ops: vec![Op::Run(RunSpec {
                        argv: vec!["sysctl".into(), "-w".into(), format!("{name}={value}")],
                        place: Place::Target,
                        ..RunSpec::default()
                    })],
                });
            }
        }
        plan.changes = changes;
        Ok(plan)
    }
}

fn collapse(value: &str) -> String {
    value.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The file with the setting's lines replaced by `name=value` (in place of the first)
/// or appended; removed when `value` is `None`.
fn edited(current: &str, name: &str, value: Option<&str>) -> String {
    let mut out = String::with_capacity(current.len() + 64);
    let mut placed = false;
    for line in current.lines() {
        let key = line
            .split_once('=')
            .filter(|_| !line.trim_start().starts_with(['#', ';']))
            .map(|(key, _)| key.trim().replace('/', "."));
        if key.as_deref() != Some(name) {
            out.push_str(line);
            out.push('\n');
            continue;
        }
        let existing = line.split_once('=').map(|(_, v)| collapse(v));
        match value {
            Some(value) if !placed => {
                placed = true;
                if existing.as_deref() == Some(value) {
                    out.push_str(line);
                } else {
                    out.push_str(&format!("{name}={value}"));
                }
                out.push('\n');
            }
            _ => {}
        }
    }
    if let (Some(value), false) = (value, placed) {
        out.push_str(&format!("{name}={value}\n"));
    }
    if out.trim_end() == current.trim_end() {
        return current.to_string();
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_are_replaced_appended_and_removed() {
        let conf = "# kernel\nnet.ipv4.ip_forward = 0\nvm.swappiness=10\n";
        assert_eq!(
            edited(conf, "net.ipv4.ip_forward", Some("1")),
            "# kernel\nnet.ipv4.ip_forward=1\nvm.swappiness=10\n"
        );
        assert_eq!(edited(conf, "vm.swappiness", Some("10")), conf);
        assert_eq!(
            edited(conf, "kernel.panic", Some("3")),
            format!("{conf}kernel.panic=3\n")
        );
        assert_eq!(
            edited(conf, "vm.swappiness", None),
            "# kernel\nnet.ipv4.ip_forward = 0\n"
        );
        assert_eq!(
            edited("net/ipv4/ip_forward=1\n", "net.ipv4.ip_forward", Some("1")),
            "net/ipv4/ip_forward=1\n"
        );
        assert_eq!(edited("", "a.b", Some("1")), "a.b=1\n");
    }
}
