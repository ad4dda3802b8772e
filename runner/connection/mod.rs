//! Connections: how the controller reaches a target that is not this machine's `/`
//! or a root on it. Each starts one agent (this executable, `machinist agent`) on
//! its target and keeps it for the run; a task is then one request and its reply
//! (session.rs). `machine` enters a running systemd-nspawn container's namespaces
//! (machine.rs); `ssh` goes through the OpenSSH client, one multiplexed connection per
//! host, the agent copied once and cached by its hash (ssh.rs). Whatever goes wrong
//! on the way is [`Unreachable`]: the host leaves the play, the others go on.

pub mod machine;
pub mod session;
pub mod ssh;
pub mod target;

pub use session::{AgentSession, Setup};

/// A target that cannot be reached, or a session that broke: which host, and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{host}: {message}")]
pub struct Unreachable {
    pub host: String,
    pub message: String,
}

impl Unreachable {
    pub fn new(host: &str, message: impl Into<String>) -> Unreachable {
        Unreachable {
            host: host.to_string(),
            message: message.into(),
        }
    }
}

/// `ansible_connection` as it names the connections machinist has.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConnectionKind {
    Local,
    Machine,
    Ssh,
}

impl ConnectionKind {
    /// `machinectl` and `nspawn` are other names of `machine`; `paramiko` and
    /// `smart` (Ansible's) are not taken: machinist has only OpenSSH.
    pub fn from_name(name: &str) -> Option<ConnectionKind> {
        match name {
            "local" => Some(ConnectionKind::Local),
            "machine" | "machinectl" | "nspawn" => Some(ConnectionKind::Machine),
            "ssh" => Some(ConnectionKind::Ssh),
            _ => None,
        }
    }
}
