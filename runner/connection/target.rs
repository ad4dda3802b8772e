//! Which connection a host's variables ask for, read once per host: `ansible_connection`
//! (`local`, `machine` and its other names, `ssh`), and each connection's own variables
//! (`ansible_host`, `ansible_port`, `ansible_user`, `ansible_ssh_private_key_file`,
//! `ansible_ssh_common_args`, `ansible_ssh_extra_args`, `ansible_become*`,
//! `machinist_machine_pid`, `machinist_root`). A value of the wrong kind is a
//! [`TargetError`] naming the variable; reaching the target is [`Remote::connect`].

use super::machine;
use super::session::{AgentSession, Setup};
use super::ssh::{Become, SshConnection, SshTarget};
use super::{ConnectionKind, Unreachable};
use serde_json::{Map, Value as Json};
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("host {host}: {message}")]
pub struct TargetError {
    pub host: String,
    pub message: String,
}

/// Where a host's tasks run.
#[derive(Debug, Clone)]
pub enum Target {
    /// This machine: `/`, or `machinist_root` on it (the executor's own Host).
    Local { root: PathBuf },
    /// Through an agent.
    Remote(Remote),
}

#[derive(Debug, Clone)]
pub enum Remote {
    Machine {
        machine: String,
        leader: Option<u32>,
        /// `machinist_root`: a root inside the container.
        root: PathBuf,
    },
    Ssh {
        target: SshTarget,
        /// `machinist_root`: a root on that host.
        root: PathBuf,
    },
}

impl Target {
    /// The target of inventory host `name` with its variables `vars`.
    pub fn from_vars(name: &str, vars: &Map<String, Json>) -> Result<Target, TargetError> {
        let error = |message: String| TargetError {
            host: name.to_string(),
            message,
        };
        let text = |key: &str| -> Result<Option<String>, TargetError> {
            match vars.get(key) {
                None | Some(Json::Null) => Ok(None),
                Some(Json::String(text)) => Ok(Some(text.clone())),
                Some(Json::Number(number)) => Ok(Some(number.to_string())),
                Some(other) => Err(error(format!("{key} must be a string, not {other}"))),
            }
        };
        let number = |key: &str| -> Result<Option<u32>, TargetError> {
            text(key)?
                .map(|text| {
                    text.trim()
                        .parse::<u32>()
                        .map_err(|_| error(format!("{key} must be a number, not {text:?}")))
                })
                .transpose()
        };
        let root = PathBuf::from(text("machinist_root")?.unwrap_or_else(|| "/".into()));
        let connection = text("ansible_connection")?.unwrap_or_else(|| "local".into());
        let kind = ConnectionKind::from_name(&connection).ok_or_else(|| {
            error(format!(
                "ansible_connection {connection} is not one machinist has (local, machine, ssh)"
            ))
        })?;
        let address = text("ansible_host")?.unwrap_or_else(|| name.to_string());
        match kind {
            ConnectionKind::Local => Ok(Target::Local { root }),
            ConnectionKind::Machine => Ok(Target::Remote(Remote::Machine {
                machine: address,
                leader: number("machinist_machine_pid")?,
                root,
            })),
            ConnectionKind::Ssh => {
                let words = |key: &str| -> Result<Vec<String>, TargetError> {
                    match text(key)? {
                        None => Ok(Vec::new()),
                        Some(line) => machinist_modules::shell_words::split(&line)
                            .map_err(|err| error(format!("{key}: {err}"))),
                    }
                };
                let port = number("ansible_port")?
                    .map(|port| {
                        u16::try_from(port)
                            .map_err(|_| error(format!("ansible_port {port} is not a port")))
                    })
                    .transpose()?;
                // As Ansible reads a boolean: true/false, or yes/no, on/off, 1/0.
                let become_wanted = match vars.get("ansible_become") {
                    None | Some(Json::Null) => false,
                    Some(Json::Bool(wanted)) => *wanted,
                    Some(Json::String(text)) => match text.to_ascii_lowercase().as_str() {
                        "yes" | "true" | "on" | "1" => true,
                        "no" | "false" | "off" | "0" => false,
                        _ => {
                            return Err(error(format!(
                                "ansible_become must be a boolean, not {text:?}"
                            )))
                        }
                    },
                    Some(other) => {
                        return Err(error(format!(
                            "ansible_become must be a boolean, not {other}"
                        )))
                    }
                };
                let become_ = match become_wanted {
                    false => None,
                    true => Some(Become {
                        method: text("ansible_become_method")?.unwrap_or_else(|| "sudo".into()),
                        user: text("ansible_become_user")?.unwrap_or_else(|| "root".into()),
                        password: text("ansible_become_password")?,
                    }),
                };
                Ok(Target::Remote(Remote::Ssh {
                    target: SshTarget {
                        address,
                        port,
                        user: text("ansible_user")?,
                        private_key_file: text("ansible_ssh_private_key_file")?.map(PathBuf::from),
                        common_args: words("ansible_ssh_common_args")?,
                        extra_args: words("ansible_ssh_extra_args")?,
                        become_,
                    },
                    root,
                }))
            }
        }
    }
}

/// An agent started on a remote target, with the ssh connection it goes through.
pub struct Connected {
    pub session: AgentSession,
    ssh: Option<SshConnection>,
}

impl Connected {
    /// End the agent, then the multiplexed connection.
    pub fn close(self) {
        self.session.close();
        if let Some(ssh) = self.ssh {
            ssh.close();
        }
    }
}

impl Remote {
    /// Start the agent of host `name` (`setup.root` is replaced by the target's).
    pub fn connect(&self, name: &str, setup: &Setup) -> Result<Connected, Unreachable> {
        match self {
            Remote::Machine {
                machine,
                leader,
                root,
            } => {
                let setup = Setup {
                    root: root.clone(),
                    ..setup.clone()
                };
                let session = machine::start(name, machine, *leader, &setup)?;
                Ok(Connected { session, ssh: None })
            }
            Remote::Ssh { target, root } => {
                let setup = Setup {
                    root: root.clone(),
                    ..setup.clone()
                };
                let ssh = SshConnection::new(name, target.clone())?;
                let session = ssh.start(&setup)?;
                Ok(Connected {
                    session,
                    ssh: Some(ssh),
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn target(vars: Json) -> Result<Target, TargetError> {
        let Json::Object(vars) = vars else { panic!() };
        Target::from_vars("web1", &vars)
    }

    #[test]
    fn a_connected_host_can_be_handed_to_its_own_thread() {
        // Issue 16's parallel hosts: each host's connection lives on its thread.
        fn send<T: Send>() {}
        send::<Connected>();
        send::<Target>();
    }

    #[test]
    fn no_connection_is_local_on_slash_or_the_root() {
        assert!(
            matches!(target(json!({})), Ok(Target::Local { root }) if root == std::path::Path::new("/"))
        );
        let rooted = target(json!({"machinist_root": "/var/lib/machines/a"}));
        assert!(
            matches!(rooted, Ok(Target::Local { root }) if root == std::path::Path::new("/var/lib/machines/a"))
        );
    }

    #[test]
    fn machine_and_its_other_names_take_the_host_and_the_leader() {
        for name in ["machine", "machinectl", "nspawn"] {
            let found = target(json!({"ansible_connection": name, "machinist_machine_pid": "42"}));
            let Ok(Target::Remote(Remote::Machine {
                machine, leader, ..
            })) = found
            else {
                panic!("{found:?}")
            };
            assert_eq!((machine.as_str(), leader), ("web1", Some(42)));
        }
        let named = target(json!({"ansible_connection": "machine", "ansible_host": "box"}));
        assert!(
            matches!(named, Ok(Target::Remote(Remote::Machine { machine, leader: None, .. })) if machine == "box")
        );
        let bad = target(json!({"ansible_connection": "machine", "machinist_machine_pid": "x"}));
        assert!(bad.unwrap_err().message.contains("machinist_machine_pid"));
    }

    #[test]
    fn ssh_reads_ansibles_variables() {
        let found = target(json!({
            "ansible_connection": "ssh",
            "ansible_host": "10.0.0.5",
            "ansible_port": 2222,
            "ansible_user": "deploy",
            "ansible_ssh_private_key_file": "~/.ssh/id",
            "ansible_ssh_common_args": "-o ProxyJump='bastion host'",
            "ansible_ssh_extra_args": "-v",
            "ansible_become": true,
        }));
        let Ok(Target::Remote(Remote::Ssh { target, root })) = found else {
            panic!("{found:?}")
        };
        assert_eq!(root, PathBuf::from("/"));
        assert_eq!(target.address, "10.0.0.5");
        assert_eq!(target.port, Some(2222));
        assert_eq!(target.user.as_deref(), Some("deploy"));
        assert_eq!(target.common_args, ["-o", "ProxyJump=bastion host"]);
        assert_eq!(target.extra_args, ["-v"]);
        let become_ = target.become_.expect("become");
        assert_eq!(
            (become_.method.as_str(), become_.user.as_str()),
            ("sudo", "root")
        );
    }

    #[test]
    fn a_become_password_is_never_shown() {
        let found = target(json!({
            "ansible_connection": "ssh",
            "ansible_become": "yes",
            "ansible_become_password": "hunter2",
        }))
        .unwrap();
        assert!(!format!("{found:?}").contains("hunter2"));
    }

    #[test]
    fn wrong_values_name_their_variable() {
        let cases = [
            (
                json!({"ansible_connection": "paramiko"}),
                "ansible_connection",
            ),
            (
                json!({"ansible_connection": "ssh", "ansible_port": 70000}),
                "ansible_port",
            ),
            (
                json!({"ansible_connection": "ssh", "ansible_ssh_common_args": "-o 'x"}),
                "ansible_ssh_common_args",
            ),
            (
                json!({"ansible_connection": "ssh", "ansible_become": "maybe"}),
                "ansible_become",
            ),
            (
                json!({"ansible_connection": "ssh", "ansible_user": ["a"]}),
                "ansible_user",
            ),
        ];
        for (vars, named) in cases {
            let err = target(vars).unwrap_err();
            assert!(err.message.contains(named), "{err}");
        }
    }
}
