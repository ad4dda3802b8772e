//! Many hosts over SSH (issue 17): H OpenSSH servers on loopback addresses (started
//! here, as the tests start them: tests/common/sshd.rs, a non-root user with a key of
//! its own per server), one inventory naming them, and one playbook of T tasks — half
//! `copy` of inline content, half `template` — into a folder per host in the user's
//! home. machinist (one agent per host over one multiplexed connection) against the
//! real ansible-playbook (`-f 20`, pipelining on, its default ControlPersist), first
//! run and rerun, the same inventory and playbook. Needs root (it makes the user).
//!
//! `cargo bench --bench over_ssh` runs H = 20, T = 100 for machinist and T = 20 for
//! ansible-playbook (about ten times slower per task than its local connection here;
//! `-- --full` gives it T = 100 too); `MACHINIST_ANSIBLE_PLAYBOOK` names it (see
//! scripts/ansible-venv), without it only machinist is measured. Under `cargo test
//! --all-targets` (no `--bench`) it is a smoke test at H = 2, T = 2 when run as root.
//! Speed is reported, never asserted.

#[path = "support/generated.rs"]
#[allow(dead_code)]
mod generated;
#[path = "support/rusage.rs"]
#[allow(dead_code)]
mod rusage;
#[path = "../tests/common/sshd.rs"]
#[allow(dead_code)]
mod sshd;
#[path = "support/timed_run.rs"]
mod timed_run;

/// What tests/common/sshd.rs asks of its neighbour module.
mod rootfs {
    pub fn require_root() {
        assert!(
            rustix::process::geteuid().is_root(),
            "the ssh benchmark starts sshd and makes a user: run it as root"
        );
    }
}

use generated::median;
use sshd::Sshd;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::Duration;
use timed_run::{playbook_command, run, shown, Tool};

const FORKS: &str = "20";

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let benching = args.iter().any(|a| a == "--bench");
    if !benching && !rustix::process::geteuid().is_root() {
        eprintln!("over_ssh: not root, skipped");
        return;
    }
    let full = args.iter().any(|a| a == "--full");
    let (hosts, tasks, repeats) = if benching { (20, 100, 3) } else { (2, 2, 1) };
    let ansible_tasks = if full { tasks } else { tasks.min(20) };
    let servers: Vec<Sshd> = (0..hosts).map(|_| Sshd::start()).collect();
    let mut rows = Vec::new();
    for t in dedup([ansible_tasks, tasks]) {
        rows.push((
            "machinist",
            t,
            measure(&Tool::Machinist, &servers, t, repeats),
        ));
    }
    if benching {
        if let Some(path) = std::env::var_os("MACHINIST_ANSIBLE_PLAYBOOK") {
            let tool = Tool::Ansible(PathBuf::from(path));
            rows.push((
                "ansible-playbook",
                ansible_tasks,
                measure(&tool, &servers, ansible_tasks, 1),
            ));
        }
    }
    let mut out = String::from(
        "\n| tool | hosts × tasks | first run | rerun | rerun per task-on-a-host |\n| --- | ---: | ---: | ---: | ---: |\n",
    );
    for (tool, t, (first, rerun)) in rows {
        let per = rerun.as_secs_f64() * 1e6 / (hosts * t) as f64;
        let _ = writeln!(
            out,
            "| {tool} | {hosts} × {t} | {} | {} | {per:.0} µs |",
            shown(first),
            shown(rerun)
        );
    }
    print!("{out}");
}

fn dedup(sizes: [usize; 2]) -> Vec<usize> {
    let mut sizes = sizes.to_vec();
    sizes.dedup();
    sizes
}

/// Median first-run and rerun wall times over `repeats` fresh sets of folders.
fn measure(tool: &Tool, servers: &[Sshd], tasks: usize, repeats: usize) -> (Duration, Duration) {
    let mut firsts = Vec::new();
    let mut reruns = Vec::new();
    for rep in 0..repeats {
        let dir = tempfile::Builder::new()
            .prefix("machinist-over-ssh-")
            .tempdir()
            .expect("temp dir");
        let run_name = format!("bench-{}-{rep}", std::process::id());
        let inventory = inventory(dir.path(), servers, tool, &run_name);
        let playbook = playbook(dir.path(), tasks);
        let mut cmd = playbook_command(tool, &inventory, FORKS, &playbook, dir.path());
        let (first, changed) = run(&mut cmd, dir.path());
        assert_eq!(changed, (servers.len() * (tasks + 1)) as u64, "first run");
        let (rerun, changed) = run(&mut cmd, dir.path());
        assert_eq!(changed, 0, "rerun");
        firsts.push(first);
        reruns.push(rerun);
        let _ = fs::remove_dir_all(sshd::home().join(&run_name));
    }
    (median(&firsts), median(&reruns))
}

/// One host per server, each with its own folder `base` in the user's home.
fn inventory(dir: &Path, servers: &[Sshd], tool: &Tool, run_name: &str) -> PathBuf {
    let mut text = String::from("[fleet]\n");
    for (n, server) in servers.iter().enumerate() {
        let _ = writeln!(
            text,
            "h{n:02} ansible_host={} ansible_port={} ansible_ssh_private_key_file={} \
             ansible_ssh_common_args='-o UserKnownHostsFile={}' base={}/{run_name}/h{n:02}",
            server.address,
            server.port,
            server.user_key().display(),
            server.known_hosts().display(),
            sshd::home().display(),
        );
    }
    let _ = writeln!(
        text,
        "\n[fleet:vars]\nansible_connection=ssh\nansible_user={}",
        sshd::USER
    );
    if let Tool::Ansible(_) = tool {
        text.push_str("ansible_python_interpreter=/usr/bin/python3\n");
    }
    let path = dir.join("hosts.ini");
    fs::write(&path, text).expect("inventory");
    path
}

/// The folder, then `tasks` tasks: even ones copy inline content, odd ones a template.
fn playbook(dir: &Path, tasks: usize) -> PathBuf {
    fs::create_dir_all(dir.join("templates")).expect("templates");
    fs::write(
        dir.join("templates/unit.conf.j2"),
        "# {{ inventory_hostname }}, task {{ n }}\n{% for i in range(3) %}key{{ i }} = {{ n * i }}\n{% endfor %}",
    )
    .expect("template");
    let mut text = String::from(
        "- hosts: fleet\n  gather_facts: false\n  tasks:\n    - file: {path: \"{{ base }}\", state: directory, mode: \"0755\"}\n",
    );
    for n in 0..tasks {
        if n % 2 == 0 {
            let _ = writeln!(
                text,
                "    - copy: {{dest: \"{{{{ base }}}}/f{n}\", content: \"{n} {{{{ inventory_hostname }}}}\\n\", mode: \"0644\"}}"
            );
        } else {
            let _ = writeln!(
                text,
                "    - template: {{src: unit.conf.j2, dest: \"{{{{ base }}}}/t{n}.conf\", mode: \"0644\"}}\n      vars: {{n: {n}}}"
            );
        }
    }
    let path = dir.join("site.yml");
    fs::write(&path, text).expect("playbook");
    path
}
