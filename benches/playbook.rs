//! The playbook benchmark: the real `machinist` binary on generated playbooks of
//! N = 10, 100 and 1000 tasks, in a temp root, for three scenarios:
//!
//! - `first`: a fresh root, every task changes something;
//! - `rerun`: the same playbook again, nothing may change (asserted from the JSON recap);
//! - `check-diff`: `--check --diff` after some files drifted (their content edited by
//!   hand between runs); exactly the drifted files are reported changed, and none of
//!   them is touched.
//!
//! A third of the tasks make directories, a third write inline `content:`, a third
//! render a `template:` with a `{% for %}` loop. Each measurement is repeated and the
//! table shows the median wall time, the median CPU time (user + sys) and the largest
//! peak RSS of the child, all read from `wait4(2)`'s rusage of that very child, and
//! the wall time per task.
//!
//! `cargo bench --bench playbook` runs it (`-- --quick`: N = 10 and 100 only). Under
//! `cargo test --all-targets` (no `--bench` argument) it is a smoke test: N = 10, one
//! repetition, the same assertions. Speed is reported here, never asserted.

use generated::{drift, median, write_playbook, Shape, DRIFT, PARENT_TASKS};
use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_machinist");

/// Repetitions of each measurement in a real run (`cargo bench`).
const REPEATS: usize = 5;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    let quick = args.iter().any(|a| a == "--quick");
    let (sizes, repeats): (&[usize], usize) = match (benching, quick) {
        (false, _) => (&[10], 1),
        (true, true) => (&[10, 100], REPEATS),
        (true, false) => (&[10, 100, 1000], REPEATS),
    };
    let mut rows = Vec::new();
    for &n in sizes {
        rows.extend(bench_size(n, repeats));
    }
    print!("{}", table(&rows, repeats));
}

/// What one scenario at one size measured.
struct Row {
    tasks: usize,
    scenario: &'static str,
    wall: Vec<Duration>,
    cpu: Vec<Duration>,
    max_rss_kb: Vec<u64>,
}

/// What one run of the binary cost, from the child's own rusage.
struct Measured {
    wall: Duration,
    cpu: Duration,
    max_rss_kb: u64,
    /// The JSON recap's counts for localhost.
    recap: serde_json::Value,
}

fn bench_size(n: usize, repeats: usize) -> Vec<Row> {
    let dir = tempfile::Builder::new()
        .prefix("machinist-bench-")
        .tempdir()
        .expect("temp dir");
    let shape = Shape::new(n);
    let playbook = write_playbook(dir.path(), &shape, "/srv");
    let mut rows: Vec<Row> = ["first", "rerun", "check-diff"]
        .into_iter()
        .map(|scenario| Row {
            tasks: n,
            scenario,
            wall: Vec::new(),
            cpu: Vec::new(),
            max_rss_kb: Vec::new(),
        })
        .collect();
    for rep in 0..repeats {
        let root = dir.path().join(format!("root-{rep}"));
        fs::create_dir(&root).expect("root dir");
        let out = dir.path().join("out.jsonl");

        let first = run(&playbook, &root, &[], &out);
        expect_counts(&first, n, "first", n as u64);
        let rerun = run(&playbook, &root, &[], &out);
        expect_counts(&rerun, n, "rerun", 0);

        let drifted = drift(&root.join("srv"), &shape);
        let check = run(&playbook, &root, &["--check", "--diff"], &out);
        expect_counts(&check, n, "check-diff", drifted.len() as u64);
        let events = fs::read_to_string(&out).expect("JSON output");
        let diffs = events.matches("\"before_header\"").count();
        assert!(
            diffs >= drifted.len(),
            "N={n} check-diff: {} drifted files but {diffs} diffs in the output",
            drifted.len()
        );
        for path in &drifted {
            let text = fs::read_to_string(path).expect("drifted file");
            assert!(
                text.ends_with(DRIFT),
                "--check changed {} on disk",
                path.display()
            );
        }

        for (row, measured) in rows.iter_mut().zip([first, rerun, check]) {
            row.wall.push(measured.wall);
            row.cpu.push(measured.cpu);
            row.max_rss_kb.push(measured.max_rss_kb);
        }
        fs::remove_dir_all(&root).expect("remove root");
    }
    rows
}

/// Run the binary once, stdout (JSON events) into `out`, and measure it.
// The child is reaped by `rusage::wait` (wait4), not `Child::wait`, to get its rusage.
#[allow(clippy::zombie_processes)]
fn run(playbook: &Path, root: &Path, extra: &[&str], out: &Path) -> Measured {
    let stdout = fs::File::create(out).expect("output file");
    let start = Instant::now();
    let child = Command::new(BIN)
        .arg("run")
        .arg(playbook)
        .arg("--root")
        .arg(root)
        .args(["--format", "json"])
        .args(extra)
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(stdout)
        .spawn()
        .unwrap_or_else(|err| panic!("cannot start {BIN}: {err}"));
    let (status, usage) = rusage::wait(child.id());
    let wall = start.elapsed();
    let events = fs::read_to_string(out).expect("JSON output");
    assert!(
        status == 0,
        "machinist {} {} exited with status {status}; output:\n{events}",
        playbook.display(),
        extra.join(" ")
    );
    let recap = events
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .find(|event| event["event"] == "recap")
        .unwrap_or_else(|| panic!("no recap event in the output:\n{events}"));
    Measured {
        wall,
        cpu: usage.user + usage.system,
        max_rss_kb: usage.max_rss_kb,
        recap: recap["hosts"]["localhost"].clone(),
    }
}

/// Every task ran ok (parents included), none failed, and `changed` is as expected.
fn expect_counts(measured: &Measured, n: usize, scenario: &str, changed: u64) {
    let count = |key: &str| measured.recap[key].as_u64().unwrap_or(u64::MAX);
    let parents = PARENT_TASKS;
    assert_eq!(count("failed"), 0, "N={n} {scenario}: {}", measured.recap);
    assert_eq!(
        count("ok"),
        (n + parents) as u64,
        "N={n} {scenario}: every task should be ok or changed: {}",
        measured.recap
    );
    let expected = if scenario == "first" {
        changed + parents as u64
    } else {
        changed
    };
    assert_eq!(
        count("changed"),
        expected,
        "N={n} {scenario}: wrong number of changed tasks: {}",
        measured.recap
    );
}

fn table(rows: &[Row], repeats: usize) -> String {
    let mut out = format!(
        "\nmachinist playbook benchmark ({repeats} run{} each; wall and CPU are medians, RSS the largest)\n\n",
        if repeats == 1 { "" } else { "s" }
    );
    let _ = writeln!(
        out,
        "{:>6}  {:<10}  {:>10}  {:>10}  {:>10}  {:>13}  {:>9}",
        "N", "scenario", "wall ms", "min-max ms", "CPU ms", "peak RSS KB", "µs/task"
    );
    for row in rows {
        let wall = median(&row.wall);
        let min = row.wall.iter().min().copied().unwrap_or_default();
        let max = row.wall.iter().max().copied().unwrap_or_default();
        let cpu = median(&row.cpu);
        let rss = row.max_rss_kb.iter().max().copied().unwrap_or_default();
        let _ = writeln!(
            out,
            "{:>6}  {:<10}  {:>10.1}  {:>10}  {:>10.1}  {:>13}  {:>9.0}",
            row.tasks,
            row.scenario,
            ms(wall),
            format!("{:.0}-{:.0}", ms(min), ms(max)),
            ms(cpu),
            rss,
            wall.as_secs_f64() * 1e6 / row.tasks as f64,
        );
    }
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

#[path = "support/generated.rs"]
mod generated;
#[path = "support/rusage.rs"]
mod rusage;
