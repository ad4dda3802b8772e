//! The bad-input corpus (issue 7): every folder of tests/bad-input/ is a project with
//! one mistake in it — broken YAML, wrong types, unknown modules, arguments and
//! keywords, undefined variables, include and role loops, non-UTF-8 bytes, a 50 MB
//! file (made here, not committed), deep nesting, alias bombs. Each run must end with
//! one clear error (file:line:col where there is a place to point at) and exit 4 —
//! or, for what only running can find (a task file or template that includes itself), exit 2 with the place —
//! never panic, stay under MAX_RSS_KB of memory, and leave the target root as it was.
//! The messages are snapshots (tests/snapshots/bad_input__CASE.snap).
//!
//! A case folder holds the project (`site.yml` and what it uses) and optionally:
//! `args`, the command line, one word a line (starting with `run`: the whole line,
//! ROOT standing for the root; otherwise: added after `run site.yml --root ROOT`);
//! `exit`, the expected exit code when it is not 4.

mod common;

use common::rusage::measure;
use common::Test;
use std::path::{Path, PathBuf};

/// The bound on a run's peak memory: generous (a run is ~15 MB), far below what an
/// unbounded alias bomb or a 50 MB file read whole and parsed would take.
const MAX_RSS_KB: u64 = 200 * 1024;

/// Files the test makes instead of committing them: (case, file, size in bytes).
const GENERATED: &[(&str, &str, usize)] = &[
    ("yaml-huge-file", "site.yml", 50 * 1024 * 1024),
    ("template-huge-file", "templates/big.j2", 50 * 1024 * 1024),
];

struct Case {
    name: String,
    dir: PathBuf,
}

fn corpus() -> Vec<Case> {
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/bad-input");
    let mut cases: Vec<Case> = std::fs::read_dir(&base)
        .expect("tests/bad-input")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.is_dir())
        .map(|dir| Case {
            name: dir
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned(),
            dir,
        })
        .collect();
    cases.sort_by(|a, b| a.name.cmp(&b.name));
    cases
}

fn copy_tree(from: &Path, to: &Path) {
    for entry in std::fs::read_dir(from).expect("read case") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        if path.is_dir() {
            std::fs::create_dir_all(&target).expect("mkdir");
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A big file of valid-looking lines: YAML tasks, or template text.
fn generate(path: &Path, size: usize) {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    let mut file = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let yaml = path.extension().is_some_and(|ext| ext == "yml");
    let head = if yaml {
        "- hosts: localhost\n  tasks:\n"
    } else {
        ""
    };
    let line = if yaml {
        format!("    - debug: msg={}\n", "x".repeat(70))
    } else {
        format!("{{{{ greeting }}}} {}\n", "x".repeat(70))
    };
    file.write_all(head.as_bytes()).expect("write");
    let mut written = head.len();
    while written < size {
        file.write_all(line.as_bytes()).expect("write");
        written += line.len();
    }
    file.flush().expect("flush");
}

/// The case's arguments, and the exit code it must end with.
fn arguments(case: &Case, root: &Path) -> (Vec<String>, i32) {
    let root = root.to_str().expect("utf-8 root").to_string();
    let read = |name: &str| std::fs::read_to_string(case.dir.join(name)).ok();
    let words: Vec<String> = read("args")
        .map(|text| {
            text.lines()
                .map(|word| word.replace("ROOT", &root))
                .collect()
        })
        .unwrap_or_default();
    let args = if words.first().is_some_and(|word| word == "run") {
        words
    } else {
        let mut args = vec!["run".into(), "site.yml".into(), "--root".into(), root];
        args.extend(words);
        args
    };
    let exit = read("exit").map_or(4, |text| text.trim().parse().expect("exit code"));
    (args, exit)
}

/// Run one case; its snapshot text and peak RSS (KiB), or why it failed.
fn run_case(case: &Case) -> Result<(String, u64), String> {
    let test = Test::new();
    copy_tree(&case.dir, &test.project());
    for (name, file, size) in GENERATED {
        if *name == case.name {
            generate(&test.project().join(file), *size);
        }
    }
    for name in ["args", "exit"] {
        let _ = std::fs::remove_file(test.project().join(name));
    }
    test.root_file("etc/hostname", "target\n");
    let (args, exit) = arguments(case, &test.root());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let before = test.root_tree();
    let mut command = test.command(&args);
    // Messages name the role search path, which starts in HOME.
    command.env("HOME", "/home/machinist-test");
    let run = measure(command);
    let stdout = test.filter(&run.stdout);
    let stderr = test.filter(&run.stderr);
    let shown = format!("stdout:\n{stdout}\nstderr:\n{stderr}");
    if run.code != exit {
        return Err(format!("exit {} instead of {exit}\n{shown}", run.code));
    }
    if stderr.contains("panicked") || stdout.contains("panicked") {
        return Err(format!("panic\n{shown}"));
    }
    if run.max_rss_kb > MAX_RSS_KB {
        return Err(format!(
            "peak RSS {} KiB > {MAX_RSS_KB} KiB",
            run.max_rss_kb
        ));
    }
    if test.root_tree() != before {
        return Err(format!("the target root changed\n{shown}"));
    }
    if exit == 4 && !stdout.is_empty() {
        return Err(format!("bad input printed to stdout\n{shown}"));
    }
    let place = regex::Regex::new(r"([\w.\]/-]+\.(yml|j2|yaml)|<extra-vars #\d+>):\d+:\d+: ")
        .expect("regex");
    let located = place.is_match(&stderr) || place.is_match(&stdout);
    if !located && !UNLOCATED.contains(&case.name.as_str()) {
        return Err(format!("no file:line:col in the error\n{shown}"));
    }
    let text = if exit == 4 {
        stderr
    } else {
        format!("exit {exit}\n{stdout}")
    };
    Ok((text, run.max_rss_kb))
}

/// Cases where there is no place in a file to point at.
const UNLOCATED: &[&str] = &[
    "cli-missing-playbook",
    "cli-playbook-is-a-directory",
    "cli-unknown-option",
    "extra-vars-file-missing",
    "extra-vars-not-pairs",
    "import-playbook-of-itself",
    "yaml-empty-playbook",
    "yaml-huge-file",
];

#[test]
fn every_broken_input_gives_one_clear_error_and_touches_nothing() {
    let cases = corpus();
    assert!(cases.len() >= 50, "only {} cases", cases.len());
    let mut failures = Vec::new();
    let mut peak = (0, "");
    for case in &cases {
        match run_case(case) {
            Ok((text, rss)) => {
                peak = peak.max((rss, case.name.as_str()));
                let checked = std::panic::catch_unwind(|| {
                    insta::assert_snapshot!(case.name.as_str(), text);
                });
                if checked.is_err() {
                    failures.push(format!(
                        "{}: the message changed (see the snapshot diff above)",
                        case.name
                    ));
                }
            }
            Err(why) => failures.push(format!("{}: {why}", case.name)),
        }
    }
    eprintln!("highest peak RSS: {} KiB ({})", peak.0, peak.1);
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}
