//! ping, setup, fetch and wait_for_connection over the connections (issue 17), the
//! real binary against real OpenSSH servers on loopback (tests/common/sshd.rs) and the
//! booted debootstrapped container (tests/common/container.rs): ping answered by the
//! agent, facts gathered on the target as a task, a target's file fetched to the
//! controller with the three checks, a file larger than the agent's (and the
//! controller's) memory limit streamed through both, and wait_for_connection riding
//! out a host that comes back (not unreachable), failing on one that never does.

mod common;

use common::container;
use common::ssh_hosts::{inventory, ssh_vars, RemoteRoot};
use common::sshd::Sshd;
use common::{Run, Test};
use serde_json::{json, Value};
use std::path::Path;
use std::time::Duration;

fn run(test: &Test, args: &[&str]) -> Run {
    let mut full = vec!["run", "site.yml", "-i", "inventory.yml", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist(&full)
}

fn event<'a>(events: &'a [Value], host: &str, task: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == "task" && e["host"] == host && e["task"] == task)
        .unwrap_or_else(|| panic!("no event of {task} on {host}"))
}

#[test]
fn ping_and_setup_are_answered_by_the_ssh_hosts_agent() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("ping");
    remote.file("etc/os-release", b"ID=arch\nNAME=\"Arch Linux\"\n");
    remote.file("etc/hostname", b"far.example.org\n");
    inventory(&test, &[("far", ssh_vars(&sshd, remote.path()))]);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Ping\n      ping: {data: there}\n      register: p\n    - name: Facts\n      setup: {filter: ['ansible_distribution', 'ansible_hostname']}\n      register: f\n    - name: Said\n      debug: {msg: \"{{ p.ping }} {{ ansible_distribution }} {{ ansible_facts.hostname }} {{ f.ansible_facts | length }}\"}\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    assert_eq!(event(&events, "far", "Ping")["status"], "ok");
    assert_eq!(event(&events, "far", "Facts")["status"], "ok");
    assert_eq!(
        event(&events, "far", "Said")["result"]["msg"],
        "there Archlinux far 2"
    );
    // A host whose server is gone: ping is unreachable, as any task.
    let mut gone = Sshd::start();
    gone.kill();
    inventory(&test, &[("gone", ssh_vars(&gone, remote.path()))]);
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 3, "{}", ran.stdout);
    assert_eq!(
        event(&ran.events(), "gone", "Ping")["status"],
        "unreachable"
    );
}

#[test]
fn fetch_over_ssh_passes_the_three_checks() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("fetch");
    remote.file("etc/motd", b"hello from far\n");
    remote.file("etc/empty", b"");
    inventory(&test, &[("far", ssh_vars(&sshd, remote.path()))]);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - fetch: {src: /etc/motd, dest: fetched}\n    - fetch: {src: /etc/empty, dest: fetched/empty-copy, flat: true}\n",
    );
    // The checks look at the controller's side (what fetch writes).
    let project = test.project();
    let look = || common::snapshot(&project);
    let before = look();
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(look(), before, "--check wrote on the controller");
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let statuses = |run: &Run| -> Vec<String> {
        run.events()
            .into_iter()
            .filter(|e| e["event"] == "task")
            .map(|e| e["status"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    assert_eq!(statuses(&first), ["changed", "changed"]);
    assert_eq!(
        statuses(&check),
        statuses(&first),
        "--check did not predict"
    );
    assert_eq!(
        std::fs::read_to_string(project.join("fetched/far/etc/motd")).unwrap(),
        "hello from far\n"
    );
    assert_eq!(
        std::fs::read(project.join("fetched/empty-copy")).unwrap(),
        b""
    );
    let after = look();
    let second = run(&test, &[]);
    assert_eq!(statuses(&second), ["ok", "ok"], "{}", second.stdout);
    assert_eq!(look(), after);
    let again = run(&test, &["--check"]);
    assert_eq!(statuses(&again), ["ok", "ok"]);
}

#[test]
fn a_fetched_file_larger_than_the_memory_limits_streams_through_agent_and_controller() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("huge");
    // Past the agent's default memory limit (256 MiB) and the controller's, set to
    // 64 MiB here: held whole on either side, the run would stop (exit 2).
    let size: u64 = 300 << 20;
    remote.file("huge", b"");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(remote.path().join("huge"))
        .unwrap();
    file.set_len(size).unwrap();
    inventory(&test, &[("far", ssh_vars(&sshd, remote.path()))]);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Huge\n      fetch: {src: /huge, dest: got/huge, flat: true}\n",
    );
    let started = std::time::Instant::now();
    let ran = run(&test, &["--max-memory", "64M"]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    eprintln!(
        "fetched {} MiB over ssh in {:?}",
        size >> 20,
        started.elapsed()
    );
    let copy = test.project().join("got/huge");
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), size);
    assert_eq!(event(&ran.events(), "far", "Huge")["status"], "changed");
    let again = run(&test, &["--max-memory", "64M"]);
    assert_eq!(event(&again.events(), "far", "Huge")["status"], "ok");
}

/// copy's `remote_src` over ssh streams in the agent: a file of the target past the
/// agent's memory limit (256 MiB) is copied there (held whole, the agent would stop
/// and the host be unreachable), `--check` predicts it, the rerun compares digests.
#[test]
fn a_remote_src_copy_larger_than_the_agents_memory_limit_streams_on_the_target() {
    use std::os::unix::fs::FileExt;
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("huge-copy");
    let size: u64 = 300 << 20;
    remote.file("huge", b"");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .open(remote.path().join("huge"))
        .unwrap();
    file.set_len(size).unwrap();
    file.write_all_at(b"the end", size - 7).unwrap();
    inventory(&test, &[("far", ssh_vars(&sshd, remote.path()))]);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Huge\n      copy: {src: /huge, dest: /copy, remote_src: true}\n",
    );
    let checked = run(&test, &["--check", "--max-memory", "64M"]);
    assert_eq!(checked.code, 0, "{}\n{}", checked.stdout, checked.stderr);
    assert_eq!(event(&checked.events(), "far", "Huge")["status"], "changed");
    assert!(!remote.path().join("copy").exists(), "--check wrote");
    let started = std::time::Instant::now();
    let ran = run(&test, &["--max-memory", "64M"]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    eprintln!(
        "copied {} MiB on the ssh host in {:?}",
        size >> 20,
        started.elapsed()
    );
    assert_eq!(event(&ran.events(), "far", "Huge")["status"], "changed");
    let copy = std::fs::File::open(remote.path().join("copy")).unwrap();
    assert_eq!(copy.metadata().unwrap().len(), size);
    let mut end = [0u8; 7];
    copy.read_exact_at(&mut end, size - 7).unwrap();
    assert_eq!(&end, b"the end");
    let again = run(&test, &["--max-memory", "64M"]);
    assert_eq!(event(&again.events(), "far", "Huge")["status"], "ok");
}

#[test]
fn wait_for_connection_rides_out_a_host_that_comes_back_and_fails_on_one_that_does_not() {
    let test = Test::new();
    let mut back = Sshd::start();
    let mut never = Sshd::start();
    back.kill();
    never.kill();
    let remote = RemoteRoot::new("wait");
    inventory(
        &test,
        &[
            ("back", ssh_vars(&back, remote.path())),
            ("never", ssh_vars(&never, remote.path())),
        ],
    );
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Wait\n      wait_for_connection: {timeout: 20, sleep: 1, connect_timeout: 5}\n      register: waited\n    - name: After\n      ping:\n",
    );
    let restart = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_secs(3));
        back.restart();
        back
    });
    let ran = run(&test, &[]);
    let back = restart.join().unwrap();
    let events = ran.events();
    let waited = event(&events, "back", "Wait");
    assert_eq!(waited["status"], "ok", "{waited}");
    assert!(
        waited["result"]["elapsed"].as_u64().unwrap() >= 2,
        "{waited}"
    );
    assert_eq!(event(&events, "back", "After")["status"], "ok");
    let failed = event(&events, "never", "Wait");
    assert_eq!(failed["status"], "failed", "{failed}");
    assert!(
        failed["msg"]
            .as_str()
            .unwrap()
            .starts_with("timed out waiting for ping module test"),
        "{failed}"
    );
    assert_eq!(ran.code, 2, "{}", ran.stdout);
    drop(back);
}

#[test]
fn ping_setup_and_fetch_inside_a_running_container() {
    let turn = container::turn();
    let test = Test::new();
    test.project_file(
        "inventory.yml",
        &json!({"all": {"hosts": {"box": {
            "ansible_connection": "machine",
            "machinist_machine_pid": turn.leader(),
        }}}})
        .to_string(),
    );
    test.playbook(
        "- hosts: box\n  gather_facts: false\n  tasks:\n    - name: Ping\n      ping:\n    - name: Until it answers\n      wait_for_connection: {timeout: 30}\n    - name: Facts\n      setup: {gather_subset: ['!all', 'virtual']}\n    - name: Said\n      debug: {msg: \"{{ ansible_virtualization_type }} {{ ansible_os_family }}\"}\n    - name: Fetch\n      fetch: {src: /etc/os-release, dest: got}\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    assert_eq!(event(&events, "box", "Ping")["status"], "ok");
    assert_eq!(
        event(&events, "box", "Said")["result"]["msg"],
        "systemd-nspawn Debian"
    );
    assert_eq!(event(&events, "box", "Fetch")["status"], "changed");
    let copy = std::fs::read_to_string(test.project().join("got/box/etc/os-release")).unwrap();
    assert!(copy.contains("Debian"), "{copy}");
    let again = run(&test, &[]);
    assert_eq!(event(&again.events(), "box", "Fetch")["status"], "ok");
}

/// copy's `remote_src` over ssh: the agent reads `src` in the target's root (not the
/// controller's file of the same name, which is never sent), and a `local_follow:
/// false` tree's link made by the agent as a link, with the three checks.
#[test]
fn copy_remote_src_over_ssh_reads_the_targets_file_with_the_three_checks() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("copyremote");
    remote.file("etc/hostname", b"far.example.org\n");
    remote.file("etc/skel/.bashrc", b"alias ll='ls -l'\n");
    remote.file("etc/skel/sub/x", b"x\n");
    remote.file("home/.keep", b"");
    inventory(&test, &[("far", ssh_vars(&sshd, remote.path()))]);
    // And local_follow: false: a controller tree's link goes to the agent as a link.
    test.project_file("files/conf/a", "a\n");
    std::os::unix::fs::symlink("a", test.project().join("files/conf/l")).unwrap();
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: {src: /etc/hostname, dest: /home/name, remote_src: true, mode: \"0600\"}\n    - copy: {src: /etc/skel/, dest: /home/u, remote_src: true}\n    - copy: {src: conf/, dest: /home/c, local_follow: false}\n",
    );
    let look = || common::snapshot(remote.path());
    let before = look();
    let statuses = |run: &Run| -> Vec<String> {
        run.events()
            .into_iter()
            .filter(|e| e["event"] == "task")
            .map(|e| e["status"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(look(), before, "--check wrote in the target");
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(statuses(&first), ["changed", "changed", "changed"]);
    assert_eq!(
        statuses(&check),
        statuses(&first),
        "--check did not predict"
    );
    assert_eq!(
        std::fs::read_link(remote.path().join("home/c/l")).unwrap(),
        Path::new("a")
    );
    assert_eq!(
        std::fs::read_to_string(remote.path().join("home/name")).unwrap(),
        "far.example.org\n"
    );
    assert_eq!(
        std::fs::read_to_string(remote.path().join("home/u/sub/x")).unwrap(),
        "x\n"
    );
    let second = run(&test, &[]);
    assert_eq!(statuses(&second), ["ok", "ok", "ok"], "{}", second.stdout);
}
