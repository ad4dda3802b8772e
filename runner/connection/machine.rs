//! `ansible_connection: machine` (also `machinectl`, `nspawn`): a running
//! systemd-nspawn container. Its leader (the container's init) comes from
//! systemd-machined (`machinectl show -p Leader`), or from `machinist_machine_pid` for
//! a container started with `--register=no` or on a machine without machined.
//! `nsenter -t LEADER -a` enters all its namespaces and runs this very executable
//! there without copying it in: it is opened here (`/proc/self/exe`), the descriptor
//! inherited, and executed as `/proc/self/fd/N`, which the container's own /proc
//! resolves to the same open file. It is linked against a C library it finds in the
//! container (the loader is looked up inside): a container whose C library is older
//! fails at exec, and the loader's message is in the unreachable message.
//!
//! The agent is root in the container; become to another user (a task's
//! `become_user`) starts a second agent as that user: nsenter runs the container's
//! own `setpriv` (util-linux), as root inside, which takes the user's uid, primary
//! group and groups from the container's user database and the environment of a
//! login from its passwd entry (`--reset-env`) before it executes the same inherited
//! descriptor. Nothing is copied or made writable; the executable needs only to be
//! executable by that user (mode 0755, as cargo and packages install it).
//!
//! A local task's `become_user` (machinist running as root on this machine) starts
//! its agent the same way without nsenter: this machine's `setpriv` and user
//! database, the same inherited descriptor ([`start_here_as`]).

use super::session::{AgentSession, Setup};
use super::Unreachable;
use rustix::fs::{Mode, OFlags};
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

/// The environment the agent gets in the container: a login's basics, nothing of
/// the controller's.
const ENVIRONMENT: &[(&str, &str)] = &[
    (
        "PATH",
        "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    ),
    ("HOME", "/root"),
    ("USER", "root"),
    ("LOGNAME", "root"),
];

/// Start an agent inside the running container `machine` (the inventory host
/// `name`), whose leader is `leader` when the inventory names it.
pub fn start(
    name: &str,
    machine: &str,
    leader: Option<u32>,
    setup: &Setup,
) -> Result<AgentSession, Unreachable> {
    start_as(name, machine, leader, None, setup)
}

/// [`start`], the agent running as `user` of the container (`None`: root).
pub fn start_as(
    name: &str,
    machine: &str,
    leader: Option<u32>,
    user: Option<&str>,
    setup: &Setup,
) -> Result<AgentSession, Unreachable> {
    let leader = match leader {
        Some(pid) => pid,
        None => machined_leader(name, machine)?,
    };
    if !Path::new(&format!("/proc/{leader}")).exists() {
        return Err(Unreachable::new(
            name,
            format!("machine {machine} is not running: its leader {leader} is gone"),
        ));
    }
    spawn_agent(name, Some(leader), user, setup)
}

/// An agent on this machine, where machinist runs as root, running as `user` (a
/// local task's `become_user`): the same setpriv as inside a container, from this
/// machine's user database, without entering any namespace.
pub fn start_here_as(name: &str, user: &str, setup: &Setup) -> Result<AgentSession, Unreachable> {
    spawn_agent(name, None, Some(user), setup)
}

/// This executable started as the agent, handed over as an open descriptor: inside
/// the namespaces of `leader` when one is given, as `user` when one is given.
fn spawn_agent(
    name: &str,
    leader: Option<u32>,
    user: Option<&str>,
    setup: &Setup,
) -> Result<AgentSession, Unreachable> {
    // The agent's executable, inherited by nsenter (no O_CLOEXEC) and closed here once it has started.
    let exe = rustix::fs::open(&setup.agent.path, OFlags::RDONLY, Mode::empty())
        .map_err(|err| Unreachable::new(name, format!("cannot open machinist itself: {err}")))?;
    let agent = format!("/proc/self/fd/{}", exe.as_raw_fd());
    let argv: Vec<&str> = match user {
        None => vec![&agent, "agent"],
        // `id -g` answers from the target's user database; an unknown user stops
        // here with id's own words.
        Some(user) => vec!["sh", "-c", AS_USER, "sh", user, &agent],
    };
    let mut command = match leader {
        Some(leader) => {
            let mut command = Command::new("nsenter");
            command
                .args(["-t", &leader.to_string(), "-a", "--"])
                .args(&argv);
            command
        }
        None => {
            let mut command = Command::new(argv[0]);
            command.args(&argv[1..]);
            command
        }
    };
    command
        .env_clear()
        .envs(ENVIRONMENT.iter().copied())
        .current_dir("/")
        // A process group of its own: a Ctrl-C on the controller's terminal is the
        // controller's to handle; the agent ends when its session does.
        .process_group(0);
    let session = AgentSession::start(name, command, setup, false, None);
    drop(exe);
    session
}

/// As root (in the container, or on this machine): become `$1` (its uid, primary
/// group, groups and a login's environment) and execute the agent `$2`.
const AS_USER: &str = r#"g="$(id -g -- "$1")" || exit 1
exec setpriv --reuid="$1" --regid="$g" --init-groups --reset-env -- "$2" agent"#;

/// The leader of a machine registered with systemd-machined.
fn machined_leader(name: &str, machine: &str) -> Result<u32, Unreachable> {
    let output = Command::new("machinectl")
        .args(["show", "--property=Leader", "--value", "--", machine])
        .env_clear()
        .env("PATH", ENVIRONMENT[0].1)
        .output()
        .map_err(|err| {
            Unreachable::new(
                name,
                format!(
                    "cannot ask systemd-machined for machine {machine} ({err}): name its \
                     leader with machinist_machine_pid"
                ),
            )
        })?;
    let said = String::from_utf8_lossy(&output.stdout).trim().to_string();
    match said.parse::<u32>() {
        Ok(pid) if output.status.success() && pid > 0 => Ok(pid),
        _ => Err(Unreachable::new(
            name,
            format!(
                "machine {machine} is not running (machinectl: {}); a container started \
                 without registering is named by machinist_machine_pid",
                String::from_utf8_lossy(&output.stderr).trim()
            ),
        )),
    }
}
