//! One timed run of a tool whose human output ends in a PLAY RECAP (machinist's or
//! ansible-playbook's): the wall time, and the `changed=` of every recap line summed
//! (one line per host). Shared by the many-hosts benchmarks. Needs `rusage` beside it.

use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

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
