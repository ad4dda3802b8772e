//! One play on many hosts (issue 16), measured two ways:
//!
//! - `fleet`: H hosts, each a container root of its own (`machinist_root` in an INI
//!   inventory), × T `copy` tasks, against one host × H·T of the same tasks: the
//!   cost of a task on a host must not grow with the number of hosts. machinist only.
//! - `vs-ansible`: the same H hosts as Ansible writes them (`ansible_connection=local`
//!   and a per-host variable `base` naming the host's folder), the same playbook for
//!   both tools (`dest: "{{ base }}/fN"`), run with `-f 20`: machinist against the
//!   real ansible-playbook, first run and rerun.
//!
//! `cargo bench --bench many_hosts` runs both at H = 100, T = 100 (ansible at T = 10
//! unless `-- --full`: ansible-playbook costs about a second per task-on-20-hosts
//! here, so its 100 × 100 takes many minutes); `MACHINIST_ANSIBLE_PLAYBOOK` names
//! the ansible-playbook to compare with (scripts/ansible-venv prints the pinned one),
//! without it only machinist is measured. Under `cargo test --all-targets` (no
//! `--bench`) it is a smoke test at H = 3, T = 2. Speed is reported, never asserted.

#[path = "support/generated.rs"]
#[allow(dead_code)]
mod generated;
#[path = "support/rusage.rs"]
#[allow(dead_code)]
mod rusage;
#[path = "support/timed_run.rs"]
mod timed_run;

use generated::median;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;
use timed_run::{playbook_command, run, shown, Tool};

const MACHINIST: &str = env!("CARGO_BIN_EXE_machinist");
const FORKS: &str = "20";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    let full = args.iter().any(|a| a == "--full");
    let (hosts, tasks, repeats) = if benching { (100, 100, 5) } else { (3, 2, 1) };
    let ansible_tasks = if full { tasks } else { tasks.min(10) };
    let ansible = if benching {
        std::env::var_os("MACHINIST_ANSIBLE_PLAYBOOK").map(PathBuf::from)
    } else {
        None
    };
    let mut out = String::new();
    fleet(&mut out, hosts, tasks, repeats);
    let _ = writeln!(
        out,
        "\n| tool | hosts × tasks | `-f` | first run | rerun | rerun per task-on-a-host |\n| --- | ---: | ---: | ---: | ---: | ---: |"
    );
    let mut rows = vec![(
        "machinist".to_string(),
        ansible_tasks,
        same_playbook(&Tool::Machinist, hosts, ansible_tasks, repeats),
    )];
    if ansible_tasks != tasks {
        rows.push((
            "machinist".into(),
            tasks,
            same_playbook(&Tool::Machinist, hosts, tasks, repeats),
        ));
    }
    if let Some(path) = &ansible {
        rows.push((
            "ansible-playbook".into(),
            ansible_tasks,
            same_playbook(&Tool::Ansible(path.clone()), hosts, ansible_tasks, 1),
        ));
    }
    for (tool, tasks, (first, rerun)) in &rows {
        let per = rerun.as_secs_f64() * 1e6 / (hosts * tasks) as f64;
        let _ = writeln!(
            out,
            "| {tool} | {hosts} × {tasks} | {FORKS} | {} | {} | {per:.0} µs |",
            shown(*first),
            shown(*rerun)
        );
    }
    print!("{out}");
}

/// H hosts × T tasks in container roots against one host × H·T tasks, reruns.
fn fleet(out: &mut String, hosts: usize, tasks: usize, repeats: usize) {
    let dir = scratch("fleet");
    let root = dir.path().join("root");
    let mut inventory = String::from("[fleet]\n");
    for h in 0..hosts {
        let _ = writeln!(inventory, "h{h:03} machinist_root=/h/{h:03}");
        fs::create_dir_all(root.join(format!("h/{h:03}"))).expect("host root");
    }
    fs::write(dir.path().join("hosts.ini"), inventory).expect("inventory");
    let fleet_book = playbook(dir.path(), "fleet.yml", "all", tasks, "");
    let one_book = playbook(dir.path(), "one.yml", "localhost", hosts * tasks, "");
    let mut samples = [Vec::new(), Vec::new()];
    for _ in 0..repeats {
        for (i, (book, inventory)) in [(&fleet_book, "hosts.ini"), (&one_book, "localhost,")]
            .into_iter()
            .enumerate()
        {
            let args = ["-i", inventory, "--root"];
            let mut cmd = machinist(&args, &root, book);
            run(&mut cmd, dir.path());
            samples[i].push(run(&mut cmd, dir.path()).0);
        }
    }
    let fleet = median(&samples[0]);
    let one = median(&samples[1]);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / (hosts * tasks) as f64;
    let _ = writeln!(
        out,
        "\n| rerun, container roots | wall | per task-on-a-host |\n| --- | ---: | ---: |\n\
         | {hosts} hosts × {tasks} tasks | {} | {:.0} µs |\n\
         | 1 host × {} tasks | {} | {:.0} µs |\n\nratio {:.2}",
        shown(fleet),
        per(fleet),
        hosts * tasks,
        shown(one),
        per(one),
        fleet.as_secs_f64() / one.as_secs_f64()
    );
}

/// The same inventory and playbook for both tools; median first-run and rerun walls.
fn same_playbook(tool: &Tool, hosts: usize, tasks: usize, repeats: usize) -> (Duration, Duration) {
    let mut firsts = Vec::new();
    let mut reruns = Vec::new();
    for rep in 0..repeats {
        let dir = scratch("same");
        let bases = dir.path().join(format!("bases-{rep}"));
        let mut inventory = String::from("[fleet]\n");
        for h in 0..hosts {
            let base = bases.join(format!("h{h:03}"));
            fs::create_dir_all(&base).expect("base");
            let _ = writeln!(inventory, "h{h:03} base={}", base.display());
        }
        inventory.push_str("\n[fleet:vars]\nansible_connection=local\n");
        if let Tool::Ansible(path) = tool {
            let python = path.parent().unwrap_or(Path::new("/")).join("python");
            let _ = writeln!(inventory, "ansible_python_interpreter={}", python.display());
        }
        let inventory_path = dir.path().join("hosts.ini");
        fs::write(&inventory_path, inventory).expect("inventory");
        let book = playbook(dir.path(), "site.yml", "fleet", tasks, "{{ base }}");
        let mut cmd = playbook_command(tool, &inventory_path, FORKS, &book, dir.path());
        let (first, changed) = run(&mut cmd, dir.path());
        assert_eq!(changed, (hosts * tasks) as u64, "first run: changed tasks");
        let (rerun, changed) = run(&mut cmd, dir.path());
        assert_eq!(changed, 0, "rerun: changed tasks");
        firsts.push(first);
        reruns.push(rerun);
    }
    (median(&firsts), median(&reruns))
}

/// `hosts: PATTERN` with `tasks` copies to `{base}/fN`.
fn playbook(dir: &Path, name: &str, hosts: &str, tasks: usize, base: &str) -> PathBuf {
    let mut text = format!("- hosts: {hosts}\n  gather_facts: false\n  tasks:\n");
    for n in 0..tasks {
        let _ = writeln!(
            text,
            "    - copy: {{dest: \"{base}/f{n}\", content: \"{n} {{{{ inventory_hostname }}}}\\n\"}}"
        );
    }
    let path = dir.join(name);
    fs::write(&path, text).expect("playbook");
    path
}

fn machinist(args: &[&str], root: &Path, book: &Path) -> Command {
    let mut cmd = Command::new(MACHINIST);
    cmd.arg("run")
        .env("NO_COLOR", "1")
        .args(args)
        .arg(root)
        .arg(book);
    cmd
}

fn scratch(what: &str) -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix(&format!("machinist-many-hosts-{what}-"))
        .tempdir()
        .expect("temp dir")
}
