//! Differential compatibility with ansible-core (issue 6): the corpus of playbooks in
//! tests/ansible_compat/corpus/ is run by both tools, and what they did is compared.
//!
//! A case is one playbook `corpus/NAME.yml` (with an optional `NAME.setup.yml`: files
//! to create before the run, extra command-line arguments). It runs in a fresh temp
//! directory whose path is passed as `-e base=DIR`; every task writes below `{{ base }}`
//! with absolute paths, and machinist runs with its default root `/`, so both tools
//! read the same playbook from the same place and are invoked the same way:
//!
//! ```text
//! ansible-playbook -i localhost, -c local NAME.yml -e base=DIR [ARGS]
//! machinist run               -i localhost,     NAME.yml -e base=DIR [ARGS]
//! ```
//!
//! The tree made by the setup is recorded as phase `setup`; then three phases, on the
//! same directory: `check` (`--check --diff` on the fresh setup:
//! the predicted statuses, and the tree must stay as it was), `first` (the real run),
//! `second` (again: nothing may change). Each phase is recorded as its exit code, the
//! records of its output (tasks, statuses per loop item, what `debug` showed; see
//! `output.rs`), the recap counts, and the tree below the base directory (`tree.rs`).
//!
//! ansible-core is slow (about a second per task here), so its answers are goldens in
//! `goldens/NAME.json`, written only by `scripts/regen-ansible-goldens` (which runs
//! `regen_goldens` below with a real ansible-core; each golden names its version).
//! Every test run compares machinist with all goldens; `goldens_still_true_for_a_sample`
//! re-runs the real ansible-core on a few cases (rotating by day) to prove the goldens
//! are still what ansible-core does. Deliberate differences are listed in
//! `differences.yml`, each with the heading of its entry in docs/ansible-differences.md;
//! the test checks that the golden still shows Ansible's side and machinist its own.

#[path = "ansible_compat/output.rs"]
mod output;
#[path = "ansible_compat/tool.rs"]
mod tool;
#[path = "ansible_compat/tree.rs"]
mod tree;

use tool::{ansible_collections, ansible_playbook, ansible_version, Program, Tool};

use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::path::{Path, PathBuf};

const PHASES: [(&str, &[&str]); 3] = [
    ("check", &["--check", "--diff"]),
    ("first", &[]),
    ("second", &[]),
];
/// The corpus must keep at least this many playbooks (issue 15).
const MIN_CORPUS: usize = 500;
/// Cases the sample test re-runs with the real ansible-core.
const SAMPLE: usize = 3;

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ansible_compat")
}

fn corpus_dir() -> PathBuf {
    compat_dir().join("corpus")
}

fn golden_path(name: &str) -> PathBuf {
    compat_dir().join("goldens").join(format!("{name}.json"))
}

/// What a case needs before it runs (`NAME.setup.yml`).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Setup {
    /// Paths to create below the base directory, in order.
    #[serde(default)]
    files: Vec<Fixture>,
    /// More command-line arguments for both tools (`-e`, `--tags`, …).
    #[serde(default)]
    args: Vec<String>,
    /// An inventory (a file or folder below corpus/, or a comma list) passed as `-i`
    /// to both tools instead of `localhost,`. Such a case records the inventory's
    /// views (`inventory --list`, `--graph`, the playbook's `--list-hosts`) in phase
    /// `inventory`; its playbook is not run (see README: plays on many hosts).
    #[serde(default)]
    inventory: Option<String>,
    /// With `inventory`: run the playbook too (phases as any case's, `-i` the
    /// inventory), its records naming each result's host (see README).
    #[serde(default)]
    run: bool,
    /// With `inventory`: `--playbook-dir DIR` (below corpus/) for `inventory --list`,
    /// so the `group_vars/` and `host_vars/` beside DIR apply too.
    #[serde(default)]
    playbook_dir: Option<String>,
    /// Both tools run with `{{ base }}/etc/apt` (a folder of `files:`) bound over
    /// /etc/apt in a private mount namespace (see README: apt's sources).
    #[serde(default)]
    etc_apt: bool,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Fixture {
    path: String,
    /// File content (a file is made when neither `dir` nor `link` is given).
    #[serde(default)]
    content: String,
    #[serde(default)]
    dir: bool,
    /// Make a symlink with this target (`[BASE]` is replaced by the base directory).
    #[serde(default)]
    link: Option<String>,
    /// Octal, as a string.
    #[serde(default)]
    mode: Option<String>,
}

struct Case {
    name: String,
    setup: Setup,
}

/// Every playbook of the corpus, by name.
fn cases() -> Vec<Case> {
    let mut names: Vec<String> = std::fs::read_dir(corpus_dir())
        .expect("corpus directory")
        .filter_map(|e| e.ok())
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.ends_with(".yml") && !n.ends_with(".setup.yml"))
        .map(|n| n.trim_end_matches(".yml").to_string())
        .collect();
    names.sort();
    if let Ok(only) = std::env::var("MACHINIST_COMPAT_ONLY") {
        let wanted: Vec<&str> = only.split(',').map(str::trim).collect();
        names.retain(|n| wanted.contains(&n.as_str()));
    }
    names
        .into_iter()
        .map(|name| {
            let path = corpus_dir().join(format!("{name}.setup.yml"));
            let setup = match std::fs::read_to_string(&path) {
                Ok(text) => serde_yaml::from_str(&text)
                    .unwrap_or_else(|e| panic!("{}: {e}", path.display())),
                Err(_) => Setup::default(),
            };
            Case { name, setup }
        })
        .collect()
}

fn make_fixture(base: &Path, setup: &Setup) {
    use std::os::unix::fs::PermissionsExt;
    for fixture in &setup.files {
        let path = base.join(fixture.path.trim_start_matches('/'));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("fixture parent");
        }
        if let Some(target) = &fixture.link {
            let target = target.replace(tree::BASE, &base.to_string_lossy());
            std::os::unix::fs::symlink(target, &path).expect("fixture link");
            continue;
        }
        if fixture.dir {
            std::fs::create_dir_all(&path).expect("fixture dir");
        } else {
            std::fs::write(&path, &fixture.content).expect("fixture file");
        }
        if let Some(mode) = &fixture.mode {
            let mode = u32::from_str_radix(mode, 8).expect("octal fixture mode");
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))
                .expect("fixture mode");
        }
    }
}

/// What a tool shows of a case's inventory: `--list` (JSON), `--graph` and
/// `--graph --vars` (lines) and
/// the playbook's `--list-hosts` (each play's pattern and hosts, sorted: Ansible
/// prints a set), each with its exit code.
fn inventory_views(tool: &Tool, case: &Case, inventory: &str, scratch: &Path) -> Value {
    let run = |program: Program, args: &[&str]| {
        let output = tool
            .program(scratch, &corpus_dir(), program)
            .args(["-i", inventory])
            .args(args)
            .output()
            .expect("start the tool");
        if std::env::var_os("MACHINIST_COMPAT_VERBOSE").is_some() {
            eprintln!(
                "--- {} {args:?}:\n{}\n{}",
                case.name,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            );
        }
        (
            output.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&output.stdout).into_owned(),
        )
    };
    let mut list_args = vec!["--list"];
    if let Some(dir) = &case.setup.playbook_dir {
        list_args.extend(["--playbook-dir", dir.as_str()]);
    }
    let (list_rc, list) = run(Program::Inventory, &list_args);
    let (graph_rc, graph) = run(Program::Inventory, &["--graph"]);
    let (vars_rc, graph_vars) = run(Program::Inventory, &["--graph", "--vars"]);
    let playbook = format!("{}.yml", case.name);
    let mut args: Vec<&str> = vec![&playbook, "--list-hosts"];
    args.extend(case.setup.args.iter().map(String::as_str));
    let (hosts_rc, hosts) = run(Program::Run, &args);
    json!({
        "list": { "rc": list_rc, "json": serde_json::from_str::<Value>(&list).unwrap_or(Value::String(list)) },
        "graph": { "rc": graph_rc, "lines": graph.lines().collect::<Vec<_>>() },
        "graph_vars": { "rc": vars_rc, "lines": graph_vars.lines().collect::<Vec<_>>() },
        "list_hosts": { "rc": hosts_rc, "plays": output::list_hosts(&hosts) },
    })
}

/// Run a case's three phases with one tool; the phases as JSON.
fn run_case(tool: &Tool, case: &Case) -> Value {
    let scratch = tempfile::Builder::new()
        .prefix("machinist-compat-")
        .tempdir()
        .expect("temp dir");
    let base = scratch.path().join("base");
    std::fs::create_dir(&base).expect("base dir");
    make_fixture(&base, &case.setup);
    let base_text = base.to_string_lossy().to_string();
    let corpus_text = corpus_dir().to_string_lossy().to_string();
    let mut phases = Map::new();
    phases.insert("setup".into(), json!({ "tree": tree::snapshot(&base) }));
    if let Some(inventory) = &case.setup.inventory {
        let views = inventory_views(tool, case, inventory, scratch.path());
        phases.insert("inventory".into(), views);
        if !case.setup.run {
            return Value::Object(phases);
        }
    }
    let inventory = case.setup.inventory.as_deref().unwrap_or("localhost,");
    let etc_apt = case.setup.etc_apt.then(|| base.join("etc/apt"));
    for (phase, flags) in PHASES {
        let output = tool
            .program_in(
                scratch.path(),
                &corpus_dir(),
                Program::Run,
                etc_apt.as_deref(),
            )
            .args(["-i", inventory])
            .arg(format!("{}.yml", case.name))
            .arg("-e")
            .arg(format!("base={base_text}"))
            .args(&case.setup.args)
            .args(flags)
            .output()
            .expect("start the tool");
        let stdout = String::from_utf8_lossy(&output.stdout)
            .replace(&base_text, tree::BASE)
            .replace(&corpus_text, "[CORPUS]");
        let parsed = match case.setup.inventory {
            Some(_) => output::parse_hosts(&stdout),
            None => output::parse(&stdout),
        };
        if std::env::var_os("MACHINIST_COMPAT_VERBOSE").is_some() {
            eprintln!(
                "--- {} {phase}:\n{stdout}\n{}",
                case.name,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        phases.insert(
            phase.into(),
            json!({
                "rc": output.status.code().unwrap_or(-1),
                "records": parsed.records,
                "recap": parsed.recap,
                "tree": tree::snapshot(&base),
            }),
        );
    }
    Value::Object(phases)
}

/// A golden: what ansible-core did, and which ansible-core it was.
fn read_golden(name: &str) -> Value {
    let path = golden_path(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}: run scripts/regen-ansible-goldens {name}",
            path.display()
        )
    });
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A documented difference (`differences.yml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Difference {
    playbook: String,
    /// The heading (bold lead) of its entry in docs/ansible-differences.md.
    doc: String,
    at: Vec<At>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct At {
    /// A JSON pointer into the phases (`/second/records/3/status`).
    pointer: String,
    ansible: Value,
    machinist: Value,
}

fn differences() -> Vec<Difference> {
    let path = compat_dir().join("differences.yml");
    let text = std::fs::read_to_string(&path).expect("differences.yml");
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Written in `differences.yml` for a key one side has and the other has not.
const ABSENT: &str = "<absent>";

/// What machinist must do for a case: the golden's phases with the documented
/// differences applied (each checked against the golden first).
fn expected(case: &str, golden: &Value, diffs: &[Difference]) -> Result<Value, String> {
    let mut phases = golden["phases"].clone();
    for diff in diffs.iter().filter(|d| d.playbook == case) {
        for at in &diff.at {
            let (parent, key) = at.pointer.rsplit_once('/').unwrap_or(("", ""));
            let key = key.replace("~1", "/").replace("~0", "~");
            let Some(Value::Object(map)) = phases.pointer_mut(parent) else {
                return Err(format!(
                    "differences.yml: {case} {}: not in the golden (documented as: {})",
                    at.pointer, diff.doc
                ));
            };
            let absent = Value::String(ABSENT.into());
            let found = map.get(&key).unwrap_or(&absent);
            if *found != at.ansible {
                return Err(format!(
                    "differences.yml: {case} {}: the golden shows {found}, not {} as documented \
                     ({}); regenerate or update the difference",
                    at.pointer, at.ansible, diff.doc
                ));
            }
            if at.machinist == absent {
                map.remove(&key);
            } else {
                map.insert(key, at.machinist.clone());
            }
        }
    }
    Ok(phases)
}

/// Where two results differ, leaf by leaf, as `differences.yml` entries would say it
/// (a list of a different length is one entry): printed with a failure to help write
/// a documented difference.
fn leaf_diffs(expected: &Value, actual: &Value, pointer: &str, out: &mut Vec<Value>) {
    match (expected, actual) {
        (Value::Object(a), Value::Object(b)) => {
            let keys: std::collections::BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            for key in keys {
                let escaped = key.replace('~', "~0").replace('/', "~1");
                let absent = Value::String(ABSENT.into());
                leaf_diffs(
                    a.get(key).unwrap_or(&absent),
                    b.get(key).unwrap_or(&absent),
                    &format!("{pointer}/{escaped}"),
                    out,
                );
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            for (i, (x, y)) in a.iter().zip(b).enumerate() {
                leaf_diffs(x, y, &format!("{pointer}/{i}"), out);
            }
        }
        (a, b) if a != b => {
            out.push(json!({ "pointer": pointer, "ansible": a, "machinist": b }));
        }
        _ => {}
    }
}

fn pretty(value: &Value) -> String {
    serde_json::to_string_pretty(value).unwrap_or_default() + "\n"
}

fn unified(expected: &Value, actual: &Value) -> String {
    similar::TextDiff::from_lines(&pretty(expected), &pretty(actual))
        .unified_diff()
        .context_radius(4)
        .header("expected (golden + documented differences)", "machinist")
        .to_string()
}

/// ansible-core's second run must change nothing too, except where a documented
/// difference says so (`state: touch` changes on every run).
fn ansible_second_run_changes(name: &str, golden: &Value, diffs: &[Difference]) -> Vec<String> {
    let records = golden["phases"]["second"]["records"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    records
        .iter()
        .enumerate()
        .filter(|(_, r)| r["status"] == "changed")
        .filter(|(i, _)| {
            let pointer = format!("/second/records/{i}/status");
            !diffs.iter().filter(|d| d.playbook == name).any(|d| {
                d.at.iter().any(|at| {
                    at.pointer == pointer || pointer.starts_with(&format!("{}/", at.pointer))
                })
            })
        })
        .map(|(_, r)| format!("{name}: ansible-core's second run changed something: {r}"))
        .collect()
}

/// Checks every case must pass beyond equality with its expectation.
fn invariants(name: &str, phases: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    if phases.get("check").is_none() {
        // An inventory case: its playbook was listed, not run.
        return problems;
    }
    if phases["check"]["tree"] != phases["setup"]["tree"] {
        problems.push(format!("{name}: --check changed the tree"));
    }
    let records = phases["second"]["records"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for record in records.iter().filter(|r| r["status"] == "changed") {
        problems.push(format!(
            "{name}: the second run changed something: {record}"
        ));
    }
    problems
}

#[test]
fn machinist_matches_the_goldens() {
    let diffs = differences();
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ansible-differences.md"),
    )
    .expect("docs/ansible-differences.md");
    let mut failures = Vec::new();
    for diff in &diffs {
        if !docs.contains(&diff.doc) {
            failures.push(format!(
                "differences.yml: {}: docs/ansible-differences.md has no '{}'",
                diff.playbook, diff.doc
            ));
        }
    }
    let cases = cases();
    for diff in &diffs {
        if !corpus_dir().join(format!("{}.yml", diff.playbook)).exists() {
            failures.push(format!(
                "differences.yml: no playbook {}.yml",
                diff.playbook
            ));
        }
    }
    for case in &cases {
        let golden = read_golden(&case.name);
        failures.extend(ansible_second_run_changes(&case.name, &golden, &diffs));
        let expected = match expected(&case.name, &golden, &diffs) {
            Ok(expected) => expected,
            Err(msg) => {
                failures.push(msg);
                continue;
            }
        };
        let actual = run_case(&Tool::Machinist, case);
        failures.extend(invariants(&case.name, &actual));
        if actual != expected {
            let mut leaves = Vec::new();
            leaf_diffs(&expected, &actual, "", &mut leaves);
            failures.push(format!(
                "{}: machinist differs from ansible-core {}:\n{}\nas differences.yml entries:\n{}",
                case.name,
                golden["ansible_core"],
                unified(&expected, &actual),
                serde_yaml::to_string(&leaves).unwrap_or_default()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} problem(s) in {} cases:\n\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n\n")
    );
}

#[test]
fn the_corpus_is_complete() {
    let cases = cases();
    if std::env::var_os("MACHINIST_COMPAT_ONLY").is_none() {
        assert!(
            cases.len() >= MIN_CORPUS,
            "the corpus has {} playbooks, issue 15 asks for at least {MIN_CORPUS}",
            cases.len()
        );
    }
    let names: Vec<&str> = cases.iter().map(|c| c.name.as_str()).collect();
    let goldens = std::fs::read_dir(compat_dir().join("goldens")).expect("goldens directory");
    for entry in goldens.filter_map(|e| e.ok()) {
        let file = entry.file_name().to_string_lossy().to_string();
        let name = file.trim_end_matches(".json");
        assert!(
            names.contains(&name) || std::env::var_os("MACHINIST_COMPAT_ONLY").is_some(),
            "goldens/{file} has no playbook corpus/{name}.yml"
        );
    }
    for case in &cases {
        let golden = read_golden(&case.name);
        assert!(
            golden["ansible_core"].is_string(),
            "goldens/{}.json does not say which ansible-core wrote it",
            case.name
        );
    }
}

/// The cases of today's sample: `MACHINIST_COMPAT_SAMPLE` (names, or `all`), else
/// SAMPLE consecutive cases starting at a place that moves every day.
fn sample(cases: Vec<Case>) -> Vec<Case> {
    if let Ok(names) = std::env::var("MACHINIST_COMPAT_SAMPLE") {
        if names == "all" {
            return cases;
        }
        let wanted: Vec<&str> = names.split(',').map(str::trim).collect();
        return cases
            .into_iter()
            .filter(|c| wanted.contains(&c.name.as_str()))
            .collect();
    }
    let day = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() / 86_400)
        .unwrap_or(0) as usize;
    let len = cases.len().max(1);
    let start = (day * SAMPLE) % len;
    let picked: Vec<usize> = (0..SAMPLE.min(len)).map(|k| (start + k) % len).collect();
    cases
        .into_iter()
        .enumerate()
        .filter(|(i, _)| picked.contains(i))
        .map(|(_, c)| c)
        .collect()
}

/// Re-run the real ansible-core on today's sample: the goldens must still be true.
/// In CI (CI set) a missing ansible-core is a failure; elsewhere the test says it
/// skipped.
#[test]
fn goldens_still_true_for_a_sample() {
    let playbook = match ansible_playbook() {
        Ok(path) => path,
        Err(msg) if std::env::var_os("CI").is_some() => {
            panic!(
                "CI needs ansible-core to check the goldens, and it could not be installed:\n{msg}"
            )
        }
        Err(msg) => {
            eprintln!("SKIPPED goldens_still_true_for_a_sample (not in CI): {msg}");
            return;
        }
    };
    let version = ansible_version(&playbook);
    let tool = Tool::Ansible { playbook };
    let mut failures = Vec::new();
    // A case of community.general's or ansible.posix's modules needs the collections
    // (scripts/ansible-collections).
    let picked: Vec<Case> = sample(cases())
        .into_iter()
        .filter(|case| {
            let needs = std::fs::read_to_string(corpus_dir().join(format!("{}.yml", case.name)))
                .is_ok_and(|text| {
                    text.contains("community.general.") || text.contains("ansible.posix.")
                });
            if needs && ansible_collections().is_none() {
                eprintln!(
                    "{}: not re-run, community.general or ansible.posix is not installed",
                    case.name
                );
            }
            !needs || ansible_collections().is_some()
        })
        .collect();
    for case in &picked {
        let golden = read_golden(&case.name);
        if golden["ansible_core"] != version.as_str() {
            failures.push(format!(
                "{}: golden from ansible-core {}, venv has {version}: run scripts/regen-ansible-goldens",
                case.name, golden["ansible_core"]
            ));
            continue;
        }
        let actual = run_case(&tool, case);
        if actual != golden["phases"] {
            failures.push(format!(
                "{}: ansible-core {version} no longer does what goldens/{}.json says:\n{}",
                case.name,
                case.name,
                unified(&golden["phases"], &actual)
            ));
        }
    }
    eprintln!(
        "checked goldens against ansible-core {version}: {}",
        picked
            .iter()
            .map(|c| c.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Write the goldens with the real ansible-core. Only scripts/regen-ansible-goldens
/// runs this (it is ignored otherwise); `MACHINIST_COMPAT_ONLY=a,b` limits it.
#[test]
#[ignore = "run by scripts/regen-ansible-goldens"]
fn regen_goldens() {
    let playbook = ansible_playbook().unwrap_or_else(|msg| panic!("{msg}"));
    let version = ansible_version(&playbook);
    let tool = Tool::Ansible { playbook };
    let cases = cases();
    let next = std::sync::atomic::AtomicUsize::new(0);
    let jobs: usize = std::env::var("MACHINIST_COMPAT_JOBS")
        .ok()
        .and_then(|j| j.parse().ok())
        .unwrap_or(2);
    std::fs::create_dir_all(compat_dir().join("goldens")).expect("goldens directory");
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                let Some(case) = cases.get(i) else { break };
                let phases = run_case(&tool, case);
                let golden = json!({
                    "ansible_core": version,
                    "playbook": format!("corpus/{}.yml", case.name),
                    "phases": phases,
                });
                std::fs::write(golden_path(&case.name), pretty(&golden)).expect("write golden");
                eprintln!("golden: {} ({}/{})", case.name, i + 1, cases.len());
            });
        }
    });
}
