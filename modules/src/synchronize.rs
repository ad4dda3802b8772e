//! `synchronize` (ansible.posix.synchronize): a tree pushed or pulled by the real
//! rsync, run on this machine as Ansible's action plugin runs it on the controller.
//! Planning runs rsync with `--dry-run` (a read: it changes nothing) and takes its
//! itemized lines (`--out-format=<<CHANGED>>%i %n%L`, Ansible's) as the prediction;
//! when they name a change the plan's one op runs the same command for real. On a
//! local connection both paths are this machine's (Ansible's behaviour) and the
//! options that only mean something over ssh are refused; for an ssh host the runner
//! runs this module on this machine with the host's side handed over ([`Remote`]):
//! rsync's ssh goes through machinist's multiplexed connection to it. A root other
//! than `/` is refused (docs/SECURITY.md: rsync follows the links of the tree it
//! writes into).

pub mod doc;
mod line;
#[cfg(test)]
mod tests;

use crate::{Change, Host, Module, ModuleError, Op, Place, Plan, RunSpec};
use serde::{Deserialize, Serialize};

/// The plan's key for the `cmd` of the dry run, which the runner registers as `cmd`
/// in check mode (Ansible's module runs rsync with `--dry-run` then).
pub const DRY_RUN_CMD: &str = "_dry_run_cmd";

/// What rsync prints before each itemized line (Ansible's marker).
pub const CHANGED_MARKER: &str = "<<CHANGED>>";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The tree (or file) to copy from; a trailing `/` copies its contents.
    pub src: String,
    /// Where it goes.
    pub dest: String,
    #[serde(default)]
    pub mode: Direction,
    #[serde(default = "yes")]
    pub archive: bool,
    #[serde(default)]
    pub checksum: bool,
    #[serde(default = "yes")]
    pub compress: bool,
    #[serde(default)]
    pub delete: bool,
    pub recursive: Option<bool>,
    pub links: Option<bool>,
    #[serde(default)]
    pub copy_links: bool,
    pub perms: Option<bool>,
    pub times: Option<bool>,
    pub owner: Option<bool>,
    pub group: Option<bool>,
    #[serde(default)]
    pub dirs: bool,
    #[serde(default)]
    pub existing_only: bool,
    #[serde(default)]
    pub partial: bool,
    #[serde(default = "yes")]
    pub delay_updates: bool,
    pub link_dest: Option<Vec<String>>,
    #[serde(default)]
    pub rsync_opts: Vec<String>,
    pub rsync_path: Option<String>,
    #[serde(default)]
    pub rsync_timeout: u64,
    pub dest_port: Option<u16>,
    pub private_key: Option<String>,
    #[serde(default)]
    pub verify_host: bool,
    #[serde(default = "yes")]
    pub set_remote_user: bool,
    #[serde(default)]
    pub use_ssh_args: bool,
    #[serde(default)]
    pub ssh_connection_multiplexing: bool,
    /// Ansible's action plugin's own argument (the connection's ssh arguments).
    #[serde(rename = "_ssh_args")]
    pub ssh_args: Option<String>,
    /// The ssh host's side, set by the runner only.
    #[serde(rename = "_rsync_remote")]
    pub remote: Option<Remote>,
}

/// The argument only the runner sets: the ssh host's side ([`Remote`]).
pub const RUNNER_ARG: &str = "_rsync_remote";

/// An ssh host as rsync reaches it: its inventory connection and the control socket
/// of machinist's multiplexed connection to it (rsync's ssh goes through it).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Remote {
    /// `ansible_host`, else the inventory name.
    pub address: String,
    /// `ansible_user`, when set.
    pub user: Option<String>,
    /// `ansible_port`, when set.
    pub port: Option<u16>,
    /// `ansible_ssh_private_key_file`, when set.
    pub private_key: Option<String>,
    /// `ControlPath` of machinist's master connection to the host.
    pub control_path: String,
    /// `ansible_ssh_common_args` and `ansible_ssh_extra_args`, split.
    pub ssh_args: Vec<String>,
    /// The task's `become_user` when it becomes with sudo: rsync on the host runs
    /// as `sudo -u USER rsync`, as Ansible's action plugin sets `--rsync-path`.
    pub sudo_user: Option<String>,
}

/// `mode`: over ssh, push sends `src` (here) to `dest` (there) and pull fetches
/// `src` (there) into `dest` (here). On a local connection the host is this machine,
/// so both are the same copy from `src` to `dest`, as in Ansible.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    #[default]
    Push,
    Pull,
}

fn yes() -> bool {
    true
}

pub struct SynchronizeModule;

impl Module for SynchronizeModule {
    type Args = Args;
    const NAME: &'static str = "synchronize";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if host.is_offline() {
            return Err(ModuleError::Failed(format!(
                "synchronize refuses a root other than / ({}): rsync run from this machine \
                 into a container's tree follows the links in it out of the root; use copy \
                 with a directory src, which writes inside the root",
                host.root().display()
            )));
        }
        if args.ssh_args.is_some() {
            return Err(ModuleError::invalid(
                "_ssh_args",
                "synchronize: _ssh_args is Ansible's action plugin's own argument; \
                 use use_ssh_args to pass the host's ansible_ssh_*_args",
            ));
        }
        if args.remote.is_none() {
            refuse_remote_only(args)?;
        }
        let command = line::Command::of(args)?;
        let dry = host.query(&command.spec(true))?;
        if dry.rc != Some(0) {
            return Err(ModuleError::Failed(format!(
                "rsync failed (rc {}): {}",
                dry.rc.map_or("none".into(), |rc| rc.to_string()),
                dry.said()
            )));
        }
        let predicted = Itemized::of(&dry.stdout, args.link_dest.is_some());
        tracing::debug!(
            lines = predicted.lines.len(),
            changed = predicted.changed,
            "rsync --dry-run"
        );
        let mut plan = if predicted.changed {
            Plan::change(vec![Change {
                summary: format!("rsync {} -> {}", args.src, args.dest),
                diff: None,
                ops: vec![Op::Run(command.spec(false))],
            }])
        } else {
            Plan::ok()
        };
        if host.holds_predictions() {
            // Check mode after tasks that would have written: rsync reads the disk.
            plan.warnings.push(
                "synchronize: rsync --dry-run sees the disk, not what earlier tasks would \
                 have changed in check mode; the prediction may differ from the run"
                    .into(),
            );
        }
        let mut plan = plan
            .with_data("cmd", command.shown(false))
            .with_data(DRY_RUN_CMD, command.shown(true))
            .with_data("rc", 0)
            .with_data("stdout_lines", &predicted.lines);
        plan.msg = Some(predicted.clean);
        Ok(plan)
    }
}

/// What rsync's itemized output says: whether anything changed (Ansible's rule) and
/// the output with the markers taken out, whole and as its non-empty lines.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Itemized {
    pub changed: bool,
    pub clean: String,
    pub lines: Vec<String>,
}

impl Itemized {
    pub fn of(stdout: &str, link_dest: bool) -> Itemized {
        // With link_dest rsync is run with -vv, and Ansible counts a change only
        // where a line is not an unchanged item (`<<CHANGED>>.`).
        let changed = if link_dest {
            !stdout.contains(&format!("{CHANGED_MARKER}."))
        } else {
            stdout.contains(CHANGED_MARKER)
        };
        let clean = stdout.replace(CHANGED_MARKER, "");
        let lines = clean
            .split('\n')
            .filter(|line| !line.is_empty())
            .map(String::from)
            .collect();
        Itemized {
            changed,
            clean,
            lines,
        }
    }
}

/// The registered keys of a real run from what rsync printed (its `Run` op's output),
/// as Ansible's module returns them; a failure takes rsync's stderr as its message.
/// Returns the message (`msg`): the output, or rsync's stderr as `Err`.
pub fn result_of_run(
    output: &crate::OpOutput,
    link_dest: bool,
    data: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<String, String> {
    data.insert(
        "rc".into(),
        output.rc.map_or(serde_json::Value::Null, Into::into),
    );
    if output.rc != Some(0) {
        data.remove("stdout_lines");
        return Err(output.stderr.clone());
    }
    let itemized = Itemized::of(&output.stdout, link_dest);
    data.insert("stdout_lines".into(), itemized.lines.into());
    Ok(itemized.clean)
}

/// The options that only mean something when one side is reached over ssh: with both
/// paths on this machine they are refused rather than silently doing nothing.
fn refuse_remote_only(args: &Args) -> Result<(), ModuleError> {
    let given = [
        ("dest_port", args.dest_port.is_some()),
        ("private_key", args.private_key.is_some()),
        ("verify_host", args.verify_host),
        ("set_remote_user", !args.set_remote_user),
        ("use_ssh_args", args.use_ssh_args),
        (
            "ssh_connection_multiplexing",
            args.ssh_connection_multiplexing,
        ),
    ];
    match given.iter().find(|(_, set)| *set) {
        Some((name, _)) => Err(ModuleError::invalid(
            name,
            format!(
                "synchronize: {name} is for a host reached over ssh; on this host both src \
                 and dest are local paths, so it would have no effect"
            ),
        )),
        None => Ok(()),
    }
}

/// `Place` of the rsync runs: a tool of this machine.
const PLACE: Place = Place::Controller;

fn run_spec(argv: Vec<String>) -> RunSpec {
    RunSpec {
        argv,
        place: PLACE,
        ..RunSpec::default()
    }
}
