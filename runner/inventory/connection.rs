//! The behavioural inventory variables of one host, checked: how to reach it
//! (`ansible_connection`, `ansible_host`, `ansible_port`, `ansible_user`) and
//! machinist's `machinist_root` (that host's tasks act inside that folder, offline,
//! as the `root:` keyword does). The executor reads a host's rendered variables
//! through [`Target::of`] when a play reaches the host; a value machinist cannot act
//! on yet is a clear error then, never a silent fallback to this machine.
//!
//! Without `ansible_connection` a host is `local` when it is a localhost name or has
//! a `machinist_root`, and `ssh` otherwise (Ansible's default, issue #17).

use minijinja::Value;
use std::path::PathBuf;

/// How a host is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// This machine (with `machinist_root`: a folder of it, offline).
    Local,
    /// A running systemd-nspawn container, entered through its namespaces (issue #17).
    Machine,
    /// SSH through the OpenSSH client (issue #17).
    Ssh,
}

impl Connection {
    pub fn name(self) -> &'static str {
        match self {
            Connection::Local => "local",
            Connection::Machine => "machine",
            Connection::Ssh => "ssh",
        }
    }
}

/// Where one inventory host's tasks act.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub host: String,
    pub connection: Connection,
    /// `machinist_root`: an absolute folder the host's tasks act inside.
    pub root: Option<PathBuf>,
    /// `ansible_host`, else the inventory name.
    pub address: String,
    pub port: Option<u16>,
    pub user: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("host {host}: ansible_connection '{connection}' is not supported yet (issue #17 brings `machine` and `ssh`); use `local`, with `machinist_root` for a container's tree")]
    NotYet { host: String, connection: String },
    #[error("host {host}: ansible_connection '{connection}' is not one machinist has (local; machine and ssh with issue #17)")]
    Unknown { host: String, connection: String },
    #[error("host {host}: {name} must be {expected}, found {found}")]
    Invalid {
        host: String,
        name: &'static str,
        expected: &'static str,
        found: String,
    },
}

impl Target {
    /// The target of `host` from its variables (rendered: the executor's context),
    /// refused when its connection is not one machinist can use yet.
    pub fn of(host: &str, vars: &Value) -> Result<Target, TargetError> {
        let target = Target::read(host, vars)?;
        match target.connection {
            Connection::Local => Ok(target),
            other => Err(TargetError::NotYet {
                host: host.to_string(),
                connection: other.name().to_string(),
            }),
        }
    }

    /// [`Target::of`] without refusing connections of issue #17.
    pub fn read(host: &str, vars: &Value) -> Result<Target, TargetError> {
        let invalid =
            |name: &'static str, expected: &'static str, found: &Value| TargetError::Invalid {
                host: host.to_string(),
                name,
                expected,
                found: found.to_string(),
            };
        let get = |name: &str| {
            vars.get_attr(name)
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_none())
        };
        let text = |name: &'static str| -> Result<Option<String>, TargetError> {
            match get(name) {
                None => Ok(None),
                Some(value) => match value.as_str() {
                    Some(text) if !text.is_empty() => Ok(Some(text.to_string())),
                    _ => Err(invalid(name, "a non-empty string", &value)),
                },
            }
        };
        let root = match text("machinist_root")? {
            None => None,
            Some(path) if path.starts_with('/') => Some(PathBuf::from(path)),
            Some(path) => {
                return Err(invalid(
                    "machinist_root",
                    "an absolute path",
                    &Value::from(path),
                ))
            }
        };
        let connection = match text("ansible_connection")?.as_deref() {
            None if root.is_some() || super::LOCALHOST_NAMES.contains(&host) => Connection::Local,
            None => Connection::Ssh,
            Some("local") => Connection::Local,
            Some("machine" | "machinectl" | "community.general.machinectl") => Connection::Machine,
            Some("ssh" | "smart" | "paramiko" | "paramiko_ssh" | "ansible.builtin.ssh") => {
                Connection::Ssh
            }
            Some("ansible.builtin.local") => Connection::Local,
            Some(other) => {
                return Err(TargetError::Unknown {
                    host: host.to_string(),
                    connection: other.to_string(),
                })
            }
        };
        let port = match get("ansible_port") {
            None => None,
            Some(value) => {
                let number = i64::try_from(value.clone())
                    .ok()
                    .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()));
                match number
                    .and_then(|n| u16::try_from(n).ok())
                    .filter(|n| *n > 0)
                {
                    Some(port) => Some(port),
                    None => return Err(invalid("ansible_port", "a port number (1-65535)", &value)),
                }
            }
        };
        Ok(Target {
            host: host.to_string(),
            connection,
            root,
            address: text("ansible_host")?.unwrap_or_else(|| host.to_string()),
            port,
            user: text("ansible_user")?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, Value)]) -> Value {
        Value::from_iter(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    #[test]
    fn local_hosts_and_roots() {
        let target = Target::of(
            "c1",
            &vars(&[("machinist_root", Value::from("/var/lib/machines/c1"))]),
        )
        .unwrap();
        assert_eq!(target.connection, Connection::Local);
        assert_eq!(target.root, Some(PathBuf::from("/var/lib/machines/c1")));
        assert_eq!(
            Target::of("localhost", &vars(&[])).unwrap().connection,
            Connection::Local
        );
    }

    #[test]
    fn issue_17_connections_are_refused_by_name() {
        let err = Target::of("web1", &vars(&[])).unwrap_err();
        assert!(err.to_string().contains("issue #17"), "{err}");
        let err = Target::of(
            "c",
            &vars(&[("ansible_connection", Value::from("machine"))]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("'machine'"), "{err}");
        let err =
            Target::of("c", &vars(&[("ansible_connection", Value::from("docker"))])).unwrap_err();
        assert!(matches!(err, TargetError::Unknown { .. }));
    }

    #[test]
    fn bad_values_are_named() {
        let err = Target::of(
            "h",
            &vars(&[
                ("ansible_connection", Value::from("local")),
                ("ansible_port", Value::from("x")),
            ]),
        )
        .unwrap_err();
        assert!(err.to_string().contains("ansible_port"), "{err}");
        let err =
            Target::of("h", &vars(&[("machinist_root", Value::from("rel/dir"))])).unwrap_err();
        assert!(err.to_string().contains("absolute"), "{err}");
    }
}
