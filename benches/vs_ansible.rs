//! machinist against ansible-playbook, side by side (issue 6): the same generated
//! playbook of N tasks (a third directories, a third inline `content:`, a third
//! templates with a `{% for %}` loop, all below `{{ base }}`), run by both tools in
//! separate temp directories, in three scenarios:
//!
//! - `first`: a fresh directory, every task changes something;
//! - `rerun`: the same playbook again, nothing may change;
//! - `check-diff`: `--check --diff` after some files drifted (edited by hand): exactly
//!   the drifted files are reported changed, and none of them is touched.
//!
//! Both tools print their default human output (to a file) and are invoked the same
//! way: `ansible-playbook -i localhost, -c local P -e base=DIR` and
//! `machinist run -i localhost, P -e base=DIR` (root `/`). Wall time is measured
//! around the child; CPU time (user + sys) and peak RSS come from `wait4(2)`, which
//! includes the children the tool reaped (ansible's forked workers); peak RSS is
//! that of the largest single process, not a sum. The recap of every run is checked.
//!
//! `scripts/bench-vs-ansible` runs it: `cargo bench --bench vs_ansible` with
//! `MACHINIST_ANSIBLE_PLAYBOOK` set to the pinned ansible-core of scripts/ansible-venv.
//! machinist runs at N = 10, 100, 1000 and 10000 (median of several runs), ansible at
//! N = 10 and 100 only (one run each; about a second per task here). `-- --quick`:
//! N = 10 and 100 only. Without that variable, only machinist is measured. Under
//! `cargo test --all-targets` (no `--bench`) it is a smoke test of machinist at N = 10.
//! Speed is reported, never asserted.

#[path = "support/generated.rs"]
mod generated;
#[path = "support/rusage.rs"]
mod rusage;

use generated::{drift, median, write_playbook, Shape, DRIFT, PARENT_TASKS};
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const MACHINIST: &str = env!("CARGO_BIN_EXE_machinist");
const SCENARIOS: [&str; 3] = ["first", "rerun", "check-diff"];
/// Sizes at which ansible-playbook runs too (about a second per task).
const ANSIBLE_SIZES: [usize; 2] = [10, 100];

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let sizes: &[usize] = match (benching, quick) {
        (false, _) => &[10],
        (true, true) => &[10, 100],
        (true, false) => &[10, 100, 1000, 10000],
    };
    let ansible = if benching {
        std::env::var_os("MACHINIST_ANSIBLE_PLAYBOOK").map(PathBuf::from)
    } else {
        None
    };
    let mut rows = Vec::new();
    for &n in sizes {
        let repeats = match (benching, n) {
            (false, _) => 1,
            (true, n) if n >= 10000 => 3,
            (true, _) => 5,
        };
        let machinist = measure(&Tool::Machinist, n, repeats);
        let ansible_rows = match &ansible {
            Some(path) if ANSIBLE_SIZES.contains(&n) => {
                Some(measure(&Tool::Ansible(path.clone()), n, 1))
            }
            _ => None,
        };
        for (i, scenario) in SCENARIOS.iter().enumerate() {
            rows.push(Row {
                tasks: n,
                scenario,
                machinist: machinist[i].summary(),
                ansible: ansible_rows.as_ref().map(|a| a[i].summary()),
            });
        }
    }
    print!("{}", table(&rows));
}

enum Tool {
    Machinist,
    Ansible(PathBuf),
}

/// Several runs of one scenario with one tool.
#[derive(Default)]
struct Samples {
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
    rss_kb: Vec<u64>,
}

/// Medians (wall, CPU) and the largest peak RSS.
#[derive(Clone, Copy)]
struct Summary {
    wall: Duration,
    cpu: Duration,
    rss_kb: u64,
}

impl Samples {
    fn summary(&self) -> Summary {
        Summary {
            wall: median(&self.wall),
            cpu: median(&self.cpu),
            rss_kb: self.rss_kb.iter().copied().max().unwrap_or(0),
        }
    }
}

struct Row {
    tasks: usize,
    scenario: &'static str,
    machinist: Summary,
    ansible: Option<Summary>,
}

/// Run the three scenarios `repeats` times with one tool at size `n`.
fn measure(tool: &Tool, n: usize, repeats: usize) -> Vec<Samples> {
    let dir = tempfile::Builder::new()
        .prefix("machinist-vs-ansible-")
        .tempdir()
        .expect("temp dir");
    let shape = Shape::new(n);
    let playbook = write_playbook(dir.path(), &shape, "{{ base }}");
    let mut samples: Vec<Samples> = SCENARIOS.iter().map(|_| Samples::default()).collect();
    for rep in 0..repeats {
        let base = dir.path().join(format!("base-{rep}"));
        fs::create_dir(&base).expect("base dir");
        let out = dir.path().join("out.txt");
        let first = run(tool, &playbook, &base, &[], &out, dir.path());
        expect_changed(&first, n, "first", (n + PARENT_TASKS) as u64);
        let rerun = run(tool, &playbook, &base, &[], &out, dir.path());
        expect_changed(&rerun, n, "rerun", 0);
        let drifted = drift(&base, &shape);
        let check = run(
            tool,
            &playbook,
            &base,
            &["--check", "--diff"],
            &out,
            dir.path(),
        );
        expect_changed(&check, n, "check-diff", drifted.len() as u64);
        for path in &drifted {
            let text = fs::read_to_string(path).expect("drifted file");
            assert!(text.ends_with(DRIFT), "--check changed {}", path.display());
        }
        for (sample, measured) in samples.iter_mut().zip([first, rerun, check]) {
            sample.wall.push(measured.wall);
            sample.cpu.push(measured.cpu);
            sample.rss_kb.push(measured.rss_kb);
        }
        fs::remove_dir_all(&base).expect("remove base");
    }
    samples
}

/// What one run cost, and the `changed=` of its recap.
struct Measured {
    wall: Duration,
    cpu: Duration,
    rss_kb: u64,
    changed: u64,
}

/// Run a tool once, its output into `out`, and measure it.
// The child is reaped by `rusage::wait` (wait4), not `Child::wait`, to get its rusage.
#[allow(clippy::zombie_processes)]
fn run(
    tool: &Tool,
    playbook: &Path,
    base: &Path,
    extra: &[&str],
    out: &Path,
    scratch: &Path,
) -> Measured {
    let stdout = fs::File::create(out).expect("output file");
    let mut cmd = match tool {
        Tool::Machinist => {
            let mut cmd = Command::new(MACHINIST);
            cmd.arg("run").env("NO_COLOR", "1");
            cmd
        }
        Tool::Ansible(path) => {
            let mut cmd = Command::new(path);
            let bin = path.parent().unwrap_or(Path::new("/"));
            cmd.args(["-c", "local"])
                .env("ANSIBLE_NOCOLOR", "1")
                .env("ANSIBLE_RETRY_FILES_ENABLED", "0")
                .env("ANSIBLE_PYTHON_INTERPRETER", bin.join("python"))
                .env("ANSIBLE_HOME", scratch.join("ansible-home"))
                .env("ANSIBLE_LOCAL_TEMP", scratch.join("ansible-tmp"))
                .env("ANSIBLE_REMOTE_TEMP", scratch.join("ansible-tmp"))
                .env("ANSIBLE_LOCALHOST_WARNING", "0")
                .env("ANSIBLE_INVENTORY_UNPARSED_WARNING", "0");
            cmd
        }
    };
    cmd.args(["-i", "localhost,"])
        .arg(playbook)
        .arg("-e")
        .arg(format!("base={}", base.display()))
        .args(extra)
        .current_dir(playbook.parent().unwrap_or(Path::new("/")))
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::null());
    let start = Instant::now();
    let child = cmd
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {cmd:?}: {err}"));
    let (status, usage) = rusage::wait(child.id());
    let wall = start.elapsed();
    let text = fs::read_to_string(out).expect("output");
    assert!(
        status == 0,
        "{cmd:?} exited with status {status}; output:\n{text}"
    );
    let changed = text
        .lines()
        .find(|line| line.starts_with("localhost ") && line.contains(" changed="))
        .and_then(|line| line.split("changed=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no recap in the output:\n{text}"));
    Measured {
        wall,
        cpu: usage.user + usage.system,
        rss_kb: usage.max_rss_kb,
        changed,
    }
}

fn expect_changed(measured: &Measured, n: usize, scenario: &str, changed: u64) {
    assert_eq!(
        measured.changed, changed,
        "N={n} {scenario}: wrong number of changed tasks"
    );
}

/// The table, as Markdown (docs/benchmarks.md takes it as it is).
fn table(rows: &[Row]) -> String {
    let mut out = String::from(
        "\n| N | scenario | machinist wall | CPU | peak RSS | per task | ansible wall | CPU | peak RSS | machinist/ansible (wall) | speed-up |\n\
         | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for row in rows {
        let m = row.machinist;
        let per_task = m.wall.as_secs_f64() * 1e6 / row.tasks as f64;
        let _ = write!(
            out,
            "| {} | {} | {:.1} ms | {:.1} ms | {:.1} MB | {:.0} µs |",
            row.tasks,
            row.scenario,
            ms(m.wall),
            ms(m.cpu),
            mb(m.rss_kb),
            per_task
        );
        match row.ansible {
            Some(a) => {
                let ratio = m.wall.as_secs_f64() / a.wall.as_secs_f64();
                let _ = writeln!(
                    out,
                    " {:.1} s | {:.1} s | {:.1} MB | {:.6} | {:.0}× |",
                    a.wall.as_secs_f64(),
                    a.cpu.as_secs_f64(),
                    mb(a.rss_kb),
                    ratio,
                    1.0 / ratio
                );
            }
            None => out.push_str(" – | – | – | – | – |\n"),
        }
    }
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn mb(kb: u64) -> f64 {
    kb as f64 / 1024.0
}
