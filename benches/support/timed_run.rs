//! The two tools the many-hosts benchmarks compare, invoked alike on one inventory
//! and playbook, and one timed run of either: the wall time, and the `changed=` of
//! every line of its PLAY RECAP summed (one line per host). Needs `rusage` beside it.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub enum Tool {
    Machinist,
    /// The ansible-playbook at this path.
    Ansible(PathBuf),
}

/// `TOOL -i INVENTORY -f FORKS PLAYBOOK`; ansible-playbook with pipelining, its
/// controller state (home, local temp and ssh control folders) in `scratch`, no colour
/// or retry files. Its remote temp stays the target user's default (~/.ansible/tmp):
/// an ssh host's user could not write into `scratch`.
pub fn playbook_command(
    tool: &Tool,
    inventory: &Path,
    forks: &str,
    playbook: &Path,
    scratch: &Path,
) -> Command {
    let mut cmd = match tool {
        Tool::Machinist => {
            let mut cmd = Command::new(env!("CARGO_BIN_EXE_machinist"));
            cmd.arg("run").env("NO_COLOR", "1");
            cmd
        }
        Tool::Ansible(path) => {
            let mut cmd = Command::new(path);
            cmd.env("ANSIBLE_NOCOLOR", "1")
                .env("ANSIBLE_PIPELINING", "1")
                .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
                .env("ANSIBLE_HOME", scratch.join("ansible-home"))
                .env("ANSIBLE_LOCAL_TEMP", scratch.join("ansible-tmp"))
                .env("ANSIBLE_SSH_CONTROL_PATH_DIR", scratch.join("cp"));
            cmd
        }
    };
    cmd.arg("-i")
        .arg(inventory)
        .args(["-f", forks])
        .arg(playbook);
    cmd
}

/// Run once in `scratch`, output to a file there; the wall time and the summed
/// `changed=`. A tool that exits non-zero fails the benchmark with its output.
// The child is reaped by `rusage::wait` (wait4), not `Child::wait`.
#[allow(clippy::zombie_processes)]
pub fn run(cmd: &mut Command, scratch: &Path) -> (Duration, u64) {
    let out = scratch.join("out.txt");
    let stdout = fs::File::create(&out).expect("output file");
    cmd.current_dir(scratch)
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null());
    let start = Instant::now();
    let child = cmd
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {cmd:?}: {err}"));
    let (status, _) = super::rusage::wait(child.id());
    let wall = start.elapsed();
    let text = fs::read_to_string(&out).expect("output");
    assert!(status == 0, "{cmd:?} exited {status}; output:\n{text}");
    let recap = text.rsplit("PLAY RECAP").next().unwrap_or_default();
    let changed = recap
        .lines()
        .filter_map(|line| line.split("changed=").nth(1))
        .filter_map(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    (wall, changed)
}

/// A wall time as the tables show it: ms below ten seconds, s above.
pub fn shown(d: Duration) -> String {
    if d.as_secs_f64() >= 10.0 {
        format!("{:.1} s", d.as_secs_f64())
    } else {
        format!("{:.1} ms", d.as_secs_f64() * 1e3)
    }
}
