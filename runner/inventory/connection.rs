//! The behavioural inventory variables of one host, read once, in one place: how to
//! reach it (`ansible_connection`: `local`, `machine` and its other names, `ssh`),
//! each connection's own variables (`ansible_host`, `ansible_port`, `ansible_user`,
//! `ansible_ssh_private_key_file`, `ansible_ssh_common_args`, `ansible_ssh_extra_args`,
//! `ansible_timeout`, `ansible_become*`, `machinist_machine_pid`; the older
//! `ansible_ssh_host`-style names too; a login password is refused, never ignored),
//! below them ansible-playbook's connection flags ([`ConnectionDefaults`]),
//! and machinist's `machinist_root` (that
//! host's tasks act inside that folder: on this machine offline, as the `root:`
//! keyword does, or inside the remote target). The executor reads a host's rendered
//! variables through [`Target::read`] when a play reaches the host; a value of the
//! wrong kind is a [`TargetError`] naming the variable (bad input). Reaching a remote
//! target is runner/connection/'s, through the executor's seam (run/remote.rs).
//!
//! Without `ansible_connection` a host is `local` when it is a localhost name or has
//! a `machinist_root`, and `ssh` otherwise (Ansible's default).
//!
//! The host's `ansible_become*` are one level of a task's become
//! ([`Target::becoming`]: the task's keywords over them over the command line's),
//! and [`Become::refusal`] says what a connection cannot honour.

use minijinja::Value;
use std::path::PathBuf;

/// How a host is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Connection {
    /// This machine (with `machinist_root`: a folder of it, offline).
    Local,
    /// A running systemd-nspawn container, entered through its namespaces.
    Machine,
    /// SSH through the OpenSSH client.
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

    /// `ansible_connection` as it names the connections machinist has: `machinectl`
    /// and `nspawn` are other names of `machine`; Ansible's ssh names are OpenSSH.
    pub fn from_name(name: &str) -> Option<Connection> {
        match name {
            "local" | "ansible.builtin.local" => Some(Connection::Local),
            "machine" | "machinectl" | "nspawn" | "community.general.machinectl" => {
                Some(Connection::Machine)
            }
            "ssh" | "smart" | "paramiko" | "paramiko_ssh" | "ansible.builtin.ssh" => {
                Some(Connection::Ssh)
            }
            _ => None,
        }
    }
}

/// `become` for a remote host's agent (`ansible_become*`, `--become-password-file`).
#[derive(Clone, PartialEq, Eq)]
pub struct Become {
    /// `ansible_become_method`: `sudo` or `su` over ssh (run0 refused there).
    pub method: String,
    /// `ansible_become_user` (root unless given).
    pub user: String,
    /// `ansible_become_password`, `--become-password-file` or `--ask-become-pass`.
    pub password: Option<String>,
}

/// Shown without its password.
impl std::fmt::Debug for Become {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Become")
            .field("method", &self.method)
            .field("user", &self.user)
            .field("password", &self.password.as_ref().map(|_| "********"))
            .finish()
    }
}

/// `become`, `become_user` and `become_method` as one level of settings gives them
/// (the task's keywords, the host's `ansible_become*` variables, the command line's
/// `-b`, `--become-user`, `--become-method`), each where that level says it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BecomeChoice {
    pub becomes: Option<bool>,
    pub user: Option<String>,
    pub method: Option<String>,
}

impl BecomeChoice {
    /// These settings, each taken from `lower` where this level does not say it.
    pub fn over(&self, lower: &BecomeChoice) -> BecomeChoice {
        BecomeChoice {
            becomes: self.becomes.or(lower.becomes),
            user: self.user.clone().or_else(|| lower.user.clone()),
            method: self.method.clone().or_else(|| lower.method.clone()),
        }
    }
}

impl Become {
    /// Why `connection` cannot honour this become, if it cannot (run0 over ssh is
    /// looked for on the host: runner/connection/ssh.rs).
    pub fn refusal(&self, connection: Connection) -> Option<String> {
        match connection {
            Connection::Ssh => match self.method.as_str() {
                "sudo" | "su" | "run0" => None,
                other => Some(format!(
                    "become_method {other} is not supported over ssh (sudo and su are)"
                )),
            },
            // The container's root agent starts another as the user (setpriv, no
            // password to give: any method names it).
            Connection::Machine => None,
            // This machine's other users are agents started here by a root run
            // (run/becoming.rs says when they cannot be).
            Connection::Local => None,
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
    /// `ansible_host`, else the inventory name (a machine's name for `machine`).
    pub address: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    /// `machinist_machine_pid`: a container's leader, named directly.
    pub machine_pid: Option<u32>,
    pub private_key_file: Option<PathBuf>,
    /// `ansible_ssh_common_args` and `ansible_ssh_extra_args`, split as a shell would.
    pub ssh_common_args: Vec<String>,
    pub ssh_extra_args: Vec<String>,
    /// The agent's become when no keyword says otherwise: the inventory's
    /// `ansible_become*` (a task's is [`Target::becoming`]).
    pub become_: Option<Become>,
    /// The host's `ansible_become`, `ansible_become_user`, `ansible_become_method`.
    pub become_vars: BecomeChoice,
    /// `ansible_become_password` (or `ansible_become_pass`).
    pub become_password: Option<BecomePassword>,
}

/// A become password, shown as stars.
#[derive(Clone, PartialEq, Eq)]
pub struct BecomePassword(pub String);

impl std::fmt::Debug for BecomePassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("********")
    }
}

/// ansible-playbook's connection flags (`-c`, `-u`, `--private-key`, `-T`,
/// `--ssh-common-args`, `--ssh-extra-args`): each is the value of its variable for a
/// host whose variables do not set it, as in Ansible, where the inventory wins.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectionDefaults {
    pub connection: Option<String>,
    pub user: Option<String>,
    pub private_key_file: Option<String>,
    pub timeout: Option<String>,
    pub ssh_common_args: Option<String>,
    pub ssh_extra_args: Option<String>,
    /// The port where the host does not say: a play's or task's `port` keyword.
    pub port: Option<String>,
}

impl ConnectionDefaults {
    fn value_of(&self, name: &str) -> Option<&str> {
        match name {
            "ansible_connection" => self.connection.as_deref(),
            "ansible_user" => self.user.as_deref(),
            "ansible_port" => self.port.as_deref(),
            "ansible_ssh_private_key_file" => self.private_key_file.as_deref(),
            "ansible_timeout" => self.timeout.as_deref(),
            "ansible_ssh_common_args" => self.ssh_common_args.as_deref(),
            "ansible_ssh_extra_args" => self.ssh_extra_args.as_deref(),
            _ => None,
        }
    }
}

/// The older names Ansible still reads for a variable (inventories pasted from the
/// internet use them), each read when the name itself is not set.
const OLDER_NAMES: &[(&str, &[&str])] = &[
    ("ansible_host", &["ansible_ssh_host"]),
    ("ansible_port", &["ansible_ssh_port"]),
    ("ansible_user", &["ansible_ssh_user"]),
    (
        "ansible_ssh_private_key_file",
        &["ansible_private_key_file"],
    ),
    ("ansible_timeout", &["ansible_ssh_timeout"]),
];

/// The variables of a login password, which machinist does not use: OpenSSH reads a
/// password only from a terminal.
const PASSWORD_NAMES: &[&str] = &[
    "ansible_password",
    "ansible_ssh_pass",
    "ansible_ssh_password",
];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TargetError {
    #[error("host {host}: ansible_connection '{connection}' is not one machinist has (local, machine, ssh)")]
    Unknown { host: String, connection: String },
    #[error("host {host}: {name} must be {expected}, found {found}")]
    Invalid {
        host: String,
        name: &'static str,
        expected: &'static str,
        found: String,
    },
    #[error("host {host}: {name} is set, but machinist does not log in to ssh hosts with a password (OpenSSH reads one only from a terminal): use a key (ansible_ssh_private_key_file, --private-key) or an ssh agent")]
    Password { host: String, name: &'static str },
}

impl Target {
    /// The target of `host` from its variables (rendered: the executor's context).
    pub fn read(host: &str, vars: &Value) -> Result<Target, TargetError> {
        Self::read_with(host, vars, &ConnectionDefaults::default())
    }

    /// [`Target::read`], with the command line's connection flags for the variables
    /// the host does not set.
    pub fn read_with(
        host: &str,
        vars: &Value,
        defaults: &ConnectionDefaults,
    ) -> Result<Target, TargetError> {
        let invalid =
            |name: &'static str, expected: &'static str, found: &Value| TargetError::Invalid {
                host: host.to_string(),
                name,
                expected,
                found: found.to_string(),
            };
        let set = |name: &str| {
            vars.get_attr(name)
                .ok()
                .filter(|v| !v.is_undefined() && !v.is_none())
        };
        let get = |name: &str| {
            let older = OLDER_NAMES
                .iter()
                .find(|(newer, _)| *newer == name)
                .map_or(&[][..], |(_, older)| *older);
            std::iter::once(name)
                .chain(older.iter().copied())
                .find_map(set)
                .or_else(|| defaults.value_of(name).map(Value::from))
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
        let number =
            |name: &'static str, expected: &'static str| -> Result<Option<i64>, TargetError> {
                match get(name) {
                    None => Ok(None),
                    Some(value) => i64::try_from(value.clone())
                        .ok()
                        .or_else(|| value.as_str().and_then(|s| s.trim().parse().ok()))
                        .map(Some)
                        .ok_or_else(|| invalid(name, expected, &value)),
                }
            };
        let words = |name: &'static str| -> Result<Vec<String>, TargetError> {
            match text(name)? {
                None => Ok(Vec::new()),
                Some(line) => machinist_modules::shell_words::split(&line)
                    .map_err(|_| invalid(name, "words a shell can split", &Value::from(line))),
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
        let connection = match text("ansible_connection")? {
            None if root.is_some() || super::LOCALHOST_NAMES.contains(&host) => Connection::Local,
            None => Connection::Ssh,
            Some(name) => Connection::from_name(&name).ok_or_else(|| TargetError::Unknown {
                host: host.to_string(),
                connection: name,
            })?,
        };
        const PORT: &str = "a port number (1-65535)";
        let port = match number("ansible_port", PORT)? {
            None => None,
            Some(n) => Some(
                u16::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid("ansible_port", PORT, &Value::from(n)))?,
            ),
        };
        const PID: &str = "a process id";
        let machine_pid = match number("machinist_machine_pid", PID)? {
            None => None,
            Some(n) => Some(
                u32::try_from(n)
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| invalid("machinist_machine_pid", PID, &Value::from(n)))?,
            ),
        };
        // As Ansible reads a boolean: true/false, or yes/no, on/off, 1/0.
        let become_wanted = match get("ansible_become") {
            None => None,
            Some(value) => Some(
                match value.as_str().map(str::to_ascii_lowercase).as_deref() {
                    Some("yes" | "true" | "on" | "1") => true,
                    Some("no" | "false" | "off" | "0") => false,
                    Some(_) => return Err(invalid("ansible_become", "a boolean", &value)),
                    None => match bool::try_from(value.clone()) {
                        Ok(wanted) => wanted,
                        Err(_) => return Err(invalid("ansible_become", "a boolean", &value)),
                    },
                },
            ),
        };
        let become_vars = BecomeChoice {
            becomes: become_wanted,
            user: text("ansible_become_user")?,
            method: text("ansible_become_method")?,
        };
        if connection == Connection::Ssh {
            if let Some(name) = PASSWORD_NAMES.iter().find(|name| set(name).is_some()) {
                return Err(TargetError::Password {
                    host: host.to_string(),
                    name,
                });
            }
        }
        const SECONDS: &str = "a number of seconds (1 or more)";
        let timeout = match number("ansible_timeout", SECONDS)? {
            None => None,
            Some(n) if n > 0 => Some(n),
            Some(n) => return Err(invalid("ansible_timeout", SECONDS, &Value::from(n))),
        };
        let mut ssh_extra_args = words("ansible_ssh_extra_args")?;
        if let Some(seconds) = timeout {
            // After the user's own options (ssh takes the first value of each), before
            // machinist's default of 10 seconds.
            ssh_extra_args.extend(["-o".to_string(), format!("ConnectTimeout={seconds}")]);
        }
        let become_password = match text("ansible_become_password")? {
            Some(password) => Some(password),
            None => text("ansible_become_pass")?,
        }
        .map(BecomePassword);
        let mut target = Target {
            host: host.to_string(),
            connection,
            root,
            address: text("ansible_host")?.unwrap_or_else(|| host.to_string()),
            port,
            user: text("ansible_user")?,
            machine_pid,
            private_key_file: text("ansible_ssh_private_key_file")?.map(PathBuf::from),
            ssh_common_args: words("ansible_ssh_common_args")?,
            ssh_extra_args,
            become_: None,
            become_vars,
            become_password,
        };
        target.become_ = target.becoming(&BecomeChoice::default(), &BecomeChoice::default());
        Ok(target)
    }

    /// The become of a task on this host: its keywords over the host's
    /// `ansible_become*` over the command line's (a choice ansible-core makes the
    /// other way round for keywords and variables: docs/ansible-differences.md).
    /// `None`: the connecting user. Become to root on a host whose agent is root
    /// already (machine, local) is no become at all.
    pub fn becoming(&self, keywords: &BecomeChoice, command_line: &BecomeChoice) -> Option<Become> {
        let chosen = keywords.over(&self.become_vars).over(command_line);
        if chosen.becomes != Some(true) {
            return None;
        }
        let become_ = Become {
            method: chosen.method.unwrap_or_else(|| "sudo".into()),
            user: chosen.user.unwrap_or_else(|| "root".into()),
            password: self.become_password.as_ref().map(|secret| secret.0.clone()),
        };
        let root_already = self.connection != Connection::Ssh && become_.user == "root";
        (!root_already).then_some(become_)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(pairs: &[(&str, Value)]) -> Value {
        Value::from_iter(pairs.iter().map(|(k, v)| (k.to_string(), v.clone())))
    }

    fn read(host: &str, pairs: &[(&str, Value)]) -> Result<Target, TargetError> {
        Target::read(host, &vars(pairs))
    }

    #[test]
    fn local_hosts_and_roots() {
        let target = read(
            "c1",
            &[("machinist_root", Value::from("/var/lib/machines/c1"))],
        )
        .unwrap();
        assert_eq!(target.connection, Connection::Local);
        assert_eq!(target.root, Some(PathBuf::from("/var/lib/machines/c1")));
        assert_eq!(
            read("localhost", &[]).unwrap().connection,
            Connection::Local
        );
    }

    #[test]
    fn older_names_and_the_command_lines_flags_fill_what_the_host_does_not_set() {
        let flags = ConnectionDefaults {
            user: Some("flag-user".into()),
            private_key_file: Some("/flag/key".into()),
            timeout: Some("7".into()),
            ..ConnectionDefaults::default()
        };
        let older = [
            ("ansible_ssh_host", Value::from("10.0.0.5")),
            ("ansible_ssh_port", Value::from(2222)),
            ("ansible_ssh_user", Value::from("older-user")),
        ];
        let target = Target::read_with("web1", &vars(&older), &flags).unwrap();
        assert_eq!(target.address, "10.0.0.5");
        assert_eq!(target.port, Some(2222));
        assert_eq!(target.user.as_deref(), Some("older-user"));
        assert_eq!(target.private_key_file, Some(PathBuf::from("/flag/key")));
        assert_eq!(target.ssh_extra_args, ["-o", "ConnectTimeout=7"]);
        let newer = [
            ("ansible_user", Value::from("newer")),
            ("ansible_ssh_user", Value::from("older")),
        ];
        let target = Target::read_with("web1", &vars(&newer), &flags).unwrap();
        assert_eq!(target.user.as_deref(), Some("newer"));
        let bad_timeout = read("web1", &[("ansible_timeout", Value::from(0))]);
        assert!(bad_timeout
            .unwrap_err()
            .to_string()
            .contains("ansible_timeout"));
    }

    #[test]
    fn a_login_password_is_refused_over_ssh_and_never_shown() {
        for name in PASSWORD_NAMES {
            let err = read("web1", &[(name, Value::from("hunter2"))]).unwrap_err();
            let message = err.to_string();
            assert!(
                message.contains(name) && !message.contains("hunter2"),
                "{message}"
            );
        }
        let local = [
            ("ansible_connection", Value::from("local")),
            ("ansible_password", Value::from("x")),
        ];
        assert!(read("here", &local).is_ok());
    }

    #[test]
    fn a_host_without_a_connection_is_ssh_as_in_ansible() {
        let target = read("web1", &[]).unwrap();
        assert_eq!(
            (target.connection, target.address.as_str()),
            (Connection::Ssh, "web1")
        );
    }

    #[test]
    fn machine_and_its_other_names_take_the_host_and_the_leader() {
        for name in ["machine", "machinectl", "nspawn"] {
            let found = read(
                "web1",
                &[
                    ("ansible_connection", Value::from(name)),
                    ("machinist_machine_pid", Value::from("42")),
                ],
            )
            .unwrap();
            assert_eq!(found.connection, Connection::Machine);
            assert_eq!(
                (found.address.as_str(), found.machine_pid),
                ("web1", Some(42))
            );
        }
        let bad = read(
            "c",
            &[
                ("ansible_connection", Value::from("machine")),
                ("machinist_machine_pid", Value::from("x")),
            ],
        );
        assert!(bad
            .unwrap_err()
            .to_string()
            .contains("machinist_machine_pid"));
    }

    #[test]
    fn ssh_reads_ansibles_variables() {
        let found = read(
            "web1",
            &[
                ("ansible_connection", Value::from("ssh")),
                ("ansible_host", Value::from("10.0.0.5")),
                ("ansible_port", Value::from(2222)),
                ("ansible_user", Value::from("deploy")),
                ("ansible_ssh_private_key_file", Value::from("~/.ssh/id")),
                (
                    "ansible_ssh_common_args",
                    Value::from("-o ProxyJump='bastion host'"),
                ),
                ("ansible_ssh_extra_args", Value::from("-v")),
                ("ansible_become", Value::from(true)),
            ],
        )
        .unwrap();
        assert_eq!(found.root, None);
        assert_eq!(found.address, "10.0.0.5");
        assert_eq!(found.port, Some(2222));
        assert_eq!(found.user.as_deref(), Some("deploy"));
        assert_eq!(found.ssh_common_args, ["-o", "ProxyJump=bastion host"]);
        assert_eq!(found.ssh_extra_args, ["-v"]);
        let become_ = found.become_.expect("become");
        assert_eq!(
            (become_.method.as_str(), become_.user.as_str()),
            ("sudo", "root")
        );
    }

    #[test]
    fn a_become_password_is_never_shown() {
        let found = read(
            "h",
            &[
                ("ansible_become", Value::from("yes")),
                ("ansible_become_password", Value::from("hunter2")),
            ],
        )
        .unwrap();
        assert!(!format!("{found:?}").contains("hunter2"));
    }

    #[test]
    fn wrong_values_name_their_variable() {
        let cases: [(&[(&str, Value)], &str); 7] = [
            (
                &[("ansible_connection", Value::from("docker"))],
                "ansible_connection",
            ),
            (&[("ansible_port", Value::from(70000))], "ansible_port"),
            (&[("ansible_port", Value::from("x"))], "ansible_port"),
            (
                &[("ansible_ssh_common_args", Value::from("-o 'x"))],
                "ansible_ssh_common_args",
            ),
            (
                &[("ansible_become", Value::from("maybe"))],
                "ansible_become",
            ),
            (
                &[("ansible_user", Value::from(vec![Value::from("a")]))],
                "ansible_user",
            ),
            (
                &[("machinist_root", Value::from("rel/dir"))],
                "machinist_root",
            ),
        ];
        for (pairs, named) in cases {
            let err = read("h", pairs).unwrap_err();
            assert!(err.to_string().contains(named), "{err}");
        }
    }

    #[test]
    fn keywords_win_over_the_inventory_which_wins_over_the_command_line() {
        let choice = |becomes: Option<bool>, user: Option<&str>| BecomeChoice {
            becomes,
            user: user.map(str::to_string),
            method: None,
        };
        let plain = read("web", &[]).unwrap();
        let none = BecomeChoice::default();
        assert_eq!(plain.becoming(&none, &none), None);
        // -b alone: root through sudo.
        let root = plain.becoming(&none, &choice(Some(true), None)).unwrap();
        assert_eq!((root.user.as_str(), root.method.as_str()), ("root", "sudo"));
        // The inventory over -b; a keyword over the inventory.
        let becomes = read(
            "web",
            &[
                ("ansible_become", Value::from(true)),
                ("ansible_become_user", Value::from("deploy")),
                ("ansible_become_password", Value::from("pw")),
            ],
        )
        .unwrap();
        let cli_user = choice(None, Some("admin"));
        let deploy = becomes.becoming(&none, &cli_user).unwrap();
        assert_eq!(
            (deploy.user.as_str(), deploy.password.as_deref()),
            ("deploy", Some("pw"))
        );
        assert_eq!(becomes.becoming(&choice(Some(false), None), &none), None);
        let postgres = becomes
            .becoming(&choice(None, Some("postgres")), &none)
            .unwrap();
        assert_eq!(postgres.user, "postgres");
        // ansible_become: false is said, and -b does not turn it on.
        let off = read("web", &[("ansible_become", Value::from(false))]).unwrap();
        assert_eq!(off.becoming(&none, &choice(Some(true), None)), None);
    }

    #[test]
    fn become_to_root_where_the_agent_is_root_is_no_become() {
        let machine = read("c", &[("ansible_connection", Value::from("machine"))]).unwrap();
        let to = |user: &str| BecomeChoice {
            becomes: Some(true),
            user: Some(user.into()),
            method: None,
        };
        let none = BecomeChoice::default();
        assert_eq!(machine.becoming(&to("root"), &none), None);
        let other = machine.becoming(&to("postgres"), &none).unwrap();
        assert_eq!(other.refusal(Connection::Machine), None);
        assert_eq!(other.refusal(Connection::Local), None);
        let su = Become {
            method: "su".into(),
            user: "root".into(),
            password: None,
        };
        assert_eq!(su.refusal(Connection::Ssh), None);
        let doas = Become {
            method: "doas".into(),
            ..su
        };
        assert!(doas
            .refusal(Connection::Ssh)
            .unwrap()
            .contains("become_method doas is not supported over ssh (sudo and su are)"));
    }
}
