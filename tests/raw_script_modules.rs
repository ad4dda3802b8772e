//! `raw` and `script` through the real binary, inside a busybox root: what they run,
//! what they register, and check mode (raw: always skipped; script: skipped unless
//! creates/removes decide, predicted then); and both on an ssh host (its agent runs
//! them; script's file is sent with the request).

mod common;
use common::play;

use common::ssh_hosts::{inventory, ssh_vars, RemoteRoot};
use common::sshd::Sshd;
use common::{busybox_root, Test};
use serde_json::json;

#[test]
fn raw_is_always_changed_and_skipped_in_check_mode() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - raw: echo ran >> /tmp/raw.log\n    - raw: printf 'a\\nb\\n' executable=/bin/sh\n      register: r\n    - assert:\n        that:\n          - r.stdout == 'a\\nb\\n'\n          - r.stdout_lines == ['a', 'b']\n          - r.rc == 0\n          - r.cmd is not defined\n      when: not ansible_check_mode\n",
    ));
    let before = test.tree();
    let check = test.run_json(&["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(test.tree(), before, "--check ran a raw line");
    assert_eq!(check.statuses()[0].1, "skipped");
    assert_eq!(check.statuses()[1].1, "skipped");
    for round in 1..=2 {
        let run = test.run_json(&[]);
        assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
        // As Ansible's: a raw line cannot say whether it changed anything.
        assert_eq!(run.statuses()[0].1, "changed", "round {round}");
        assert_eq!(
            test.read("/tmp/raw.log"),
            "ran\n".repeat(round),
            "round {round}"
        );
    }
}

#[test]
fn a_failing_raw_line_fails_with_its_rc() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - raw: echo out; exit 4\n      register: r\n      ignore_errors: true\n    - assert:\n        that:\n          - r.failed\n          - r.rc == 4\n          - r.msg == 'non-zero return code'\n          - r.stdout == 'out\\n'\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.statuses()[0].1, "failed");
}

#[test]
fn raw_warns_that_the_environment_keyword_does_not_reach_it() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - raw: echo \"[$GREETING]\"\n      environment: {GREETING: hi}\n      register: r\n    - assert: {that: \"r.stdout == '[]\\n'\"}\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let warned = run.events().into_iter().any(|e| {
        e["event"] == "warning" && e["msg"] == "raw module does not support the environment keyword"
    });
    assert!(warned, "{}", run.stdout);
}

#[test]
fn raw_takes_only_its_own_arguments() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play("    - raw: ls chdir=/tmp\n"));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("chdir"), "{}", run.stderr);
}

#[test]
fn script_with_creates_three_checks_and_nothing_left_in_tmp() {
    let test = Test::new();
    busybox_root(&test);
    std::fs::create_dir_all(test.root().join("tmp")).expect("tmp");
    std::fs::create_dir_all(test.root().join("etc")).expect("etc");
    test.project_file(
        "files/setup.sh",
        "#!/bin/sh\necho \"$GREETING $*\" > /etc/greeting\n",
    );
    test.playbook(&play(
        "    - script: setup.sh 'big world' creates=/etc/greeting\n      environment: {GREETING: hello}\n",
    ));
    common::three_checks(&test);
    assert_eq!(test.read("/etc/greeting"), "hello big world\n");
    let left: Vec<_> = std::fs::read_dir(test.root().join("tmp"))
        .expect("tmp")
        .collect();
    assert!(left.is_empty(), "left in /tmp: {left:?}");
}

#[test]
fn script_without_creates_is_skipped_in_check_mode_and_registers_its_output() {
    let test = Test::new();
    busybox_root(&test);
    std::fs::create_dir_all(test.root().join("tmp")).expect("tmp");
    std::fs::create_dir_all(test.root().join("etc")).expect("etc");
    test.project_file("files/count.sh", "echo \"$#\"; pwd; exit 2\n");
    test.playbook(&play(
        "    - script:\n        cmd: count.sh a b c\n        chdir: /etc\n        executable: /bin/sh\n      register: r\n      failed_when: false\n    - assert:\n        that:\n          - r.rc == 2\n          - r.stdout == '3\\n/etc\\n'\n          - r.stdout_lines == ['3', '/etc']\n      when: not ansible_check_mode\n",
    ));
    let before = test.tree();
    let check = test.run_json(&["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(check.statuses()[0].1, "skipped");
    assert_eq!(test.tree(), before);
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.statuses()[0].1, "changed");
}

#[test]
fn a_missing_script_fails_naming_where_it_was_looked_for() {
    let test = Test::new();
    busybox_root(&test);
    // Known before anything runs: bad input, exit 4, the raw task not run.
    test.playbook(&play(
        "    - raw: echo ran > /tmp/ran\n    - script: nowhere.sh --flag\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("nowhere.sh"), "{}", run.stderr);
    assert!(!test.root().join("tmp/ran").exists());
    // A templated name is found when the task runs, and fails it there.
    test.playbook(&play("    - script: \"{{ 'nowhere' }}.sh\"\n"));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("nowhere.sh"), "{}", run.stdout);
}

#[test]
fn raw_and_script_run_on_an_ssh_host_and_leave_nothing_there() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("rawscript");
    // On the host's own / (a script needs a system to run in), as the ssh user.
    let mut vars = ssh_vars(&sshd, remote.path());
    vars.as_object_mut().expect("vars").remove("machinist_root");
    vars["base"] = json!(remote.path());
    inventory(&test, &[("far", vars)]);
    test.project_file(
        "files/mark.sh",
        "#!/bin/sh\necho \"$1\" > \"$2\"/marked\nid -un\n",
    );
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Raw\n      raw: echo raw > {{ base }}/raw.out\n    - name: Script\n      script: mark.sh far {{ base }} creates={{ base }}/marked\n      register: s\n    - name: Said\n      debug: {msg: \"{{ s.stdout | default('') }}\"}\n",
    );
    let run = |args: &[&str]| {
        let mut full = vec!["run", "site.yml", "-i", "inventory.yml", "--format", "json"];
        full.extend_from_slice(args);
        test.machinist(&full)
    };
    let check = run(&["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(
        !remote.path().join("marked").exists(),
        "--check ran the script"
    );
    assert!(!remote.path().join("raw.out").exists(), "--check ran raw");
    let first = run(&[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let statuses: Vec<String> = first.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["changed", "changed", "ok"]);
    assert_eq!(
        std::fs::read_to_string(remote.path().join("marked")).expect("marked"),
        "far\n"
    );
    assert_eq!(
        std::fs::read_to_string(remote.path().join("raw.out")).expect("raw.out"),
        "raw\n"
    );
    let said = first
        .events()
        .into_iter()
        .find(|e| e["event"] == "task" && e["task"] == "Said")
        .expect("Said");
    assert_eq!(said["result"]["msg"], format!("{}\n", common::sshd::USER));
    let second = run(&[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    let statuses: Vec<String> = second.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["changed", "skipped", "ok"]);
    let left: Vec<_> = std::fs::read_dir("/tmp")
        .expect("/tmp")
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("machinist-script-")
        })
        .map(|entry| entry.path())
        .collect();
    assert!(left.is_empty(), "left in /tmp: {left:?}");
}
