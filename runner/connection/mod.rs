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

pub use crate::run::remote::Unreachable;
pub use session::{AgentSession, Setup};
