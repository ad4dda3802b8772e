//! The `hostname` module (Ansible's `ansible.builtin.hostname`, its systemd strategy):
//! the target's static hostname in /etc/hostname, written through the Host (so it
//! stays inside an offline root and check mode predicts it); on the machine's own `/`
//! also the running system's name, set with `hostnamectl set-hostname`, as Ansible
//! does. The diff is Ansible's: `hostname = OLD` / `hostname = NEW`.

pub mod doc;

use crate::firstboot::current;
use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Place, Plan, RunSpec};
use serde::Deserialize;
use std::path::Path;

/// How the name is set; only systemd's way is implemented.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Strategy {
    Systemd,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub name: String,
    /// The strategy (`systemd`; the default on every target).
    #[serde(rename = "use")]
    pub strategy: Option<Strategy>,
}

pub struct HostnameModule;

impl Module for HostnameModule {
    type Args = Args;
    const NAME: &'static str = "hostname";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let name = args.name.trim();
        let valid = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.' || c == '_');
        if !valid {
            return Err(ModuleError::invalid(
                "name",
                format!("'{}' is not a valid hostname", args.name),
            ));
        }
        let path = Path::new("/etc/hostname");
        let now = current::hostname(host)?;
        let running = match host.is_offline() {
            true => None,
            false => Some(running_hostname()?),
        };
        let plan = Plan::ok().with_data("name", name);
        let file_ok = now.as_deref() == Some(name);
        let running_ok = running.as_deref().map_or(true, |running| running == name);
        if file_ok && running_ok {
            return Ok(plan);
        }
        let meta = host.stat(path)?;
        let write = Op::WriteFile {
            path: path.into(),
            content: format!("{name}\n").into_bytes(),
            mode: meta.as_ref().map_or(0o644, |m| m.mode),
            owner: Ownership {
                uid: meta.as_ref().map(|m| m.uid),
                gid: meta.as_ref().map(|m| m.gid),
            },
        };
        let ops = match running {
            // hostnamectl writes /etc/hostname and tells the kernel.
            Some(_) => vec![
                Op::Run(RunSpec {
                    argv: vec!["hostnamectl".into(), "set-hostname".into(), name.into()],
                    place: Place::Target,
                    ..RunSpec::default()
                }),
                Op::Predicted(Box::new(write)),
            ],
            None => vec![write],
        };
        let before = running.or(now).unwrap_or_default();
        Ok(Plan {
            changes: vec![Change {
                summary: format!("hostname {before} -> {name}"),
                diff: Some(Diff {
                    before_header: "hostname".into(),
                    after_header: "hostname".into(),
                    before: format!("hostname = {before}\n"),
                    after: format!("hostname = {name}\n"),
                }),
                ops,
            }],
            ..plan
        })
    }
}

/// The running system's name (the kernel's, as hostnamectl sets it).
fn running_hostname() -> Result<String, ModuleError> {
    let path = "/proc/sys/kernel/hostname";
    std::fs::read_to_string(path)
        .map(|name| name.trim().to_string())
        .map_err(|err| ModuleError::io(path, err))
}
