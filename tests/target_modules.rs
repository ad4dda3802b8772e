//! The modules pasted playbooks reach for first, through the real binary on a local
//! root: `ping`, `setup` (gather_facts as a task, and a play's templated
//! `gather_subset`/`fact_path`), `fetch` (a root's file to the
//! controller), `wait_for_connection` (at once here), `pause` and `tempfile`, each with
//! the three checks where the module can be idempotent. Their runs over ssh and into
//! a running container are in tests/connections_modules.rs.

mod common;
use common::{play, three_checks, Test};

fn run_ok(test: &Test, args: &[&str]) -> common::Run {
    let run = test.run_json(args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run
}

#[test]
fn ping_answers_with_its_data_and_crash_fails() {
    let test = Test::new();
    test.playbook(&play(
        "    - ping:\n      register: plain\n    - ansible.builtin.ping: {data: hello}\n      register: hello\n    - ping: {data: crash}\n      register: crash\n      ignore_errors: true\n    - assert:\n        that:\n          - plain.ping == 'pong'\n          - plain is not changed\n          - hello.ping == 'hello'\n          - crash is failed\n",
    ));
    let run = run_ok(&test, &[]);
    let statuses: Vec<String> = run.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["ok", "ok", "failed", "ok"], "{}", run.stdout);
    let check = run_ok(&test, &["--check"]);
    assert_eq!(check.statuses()[0].1, "ok");
}

#[test]
fn setup_gathers_the_roots_facts_narrowed_by_subset_and_filter() {
    let test = Test::new();
    test.root_file(
        "/etc/os-release",
        "ID=arch\nNAME=\"Arch Linux\"\nVERSION_ID=rolling\n",
    );
    test.root_file("/etc/hostname", "box.example.org\n");
    test.playbook(&play(
        "    - setup:\n        gather_subset: ['!all']\n        filter: ['ansible_distribution*', 'ansible_host*']\n      register: some\n    - assert:\n        that:\n          - some is not changed\n          - some.ansible_facts.ansible_distribution == 'Archlinux'\n          - some.ansible_facts.ansible_hostname == 'box'\n          - some.ansible_facts.ansible_os_family is not defined\n          - ansible_distribution == 'Archlinux'\n          - ansible_facts.hostname == 'box'\n          - ansible_os_family is not defined\n    - gather_facts:\n        gather_subset: network\n    - assert:\n        that:\n          - ansible_os_family == 'Archlinux'\n          - ansible_facts.os_family == 'Archlinux'\n          - ansible_facts.distribution == 'Archlinux'\n          - ansible_default_ipv4 is defined\n          - ansible_virtualization_type is not defined\n          - ansible_facts.gather_subset == ['network']\n",
    ));
    run_ok(&test, &[]);
    run_ok(&test, &["--check"]);
    test.playbook(&play("    - setup: {gather_subset: [disks]}\n"));
    let bad = test.run_json(&[]);
    assert_ne!(bad.code, 0);
    assert!(bad.stdout.contains("Bad subset 'disks'"), "{}", bad.stdout);
}

#[test]
fn a_plays_templated_gather_subset_and_fact_path_are_rendered_per_host() {
    let test = Test::new();
    test.root_file("/etc/os-release", "ID=arch\nNAME=\"Arch Linux\"\n");
    test.root_file("/srv/facts.d/site.fact", "{\"tier\": \"web\"}\n");
    test.playbook(
        "- hosts: localhost\n  gather_subset: \"{{ wanted }}\"\n  fact_path: \"{{ facts_dir }}\"\n  vars:\n    wanted: ['!all', '!min', 'local', 'os_family']\n    facts_dir: /srv/facts.d\n  tasks:\n    - assert:\n        that:\n          - ansible_facts.gather_subset == ['!all', '!min', 'local', 'os_family']\n          - ansible_local.site.tier == 'web'\n          - ansible_os_family == 'Archlinux'\n          - ansible_hostname is not defined\n",
    );
    run_ok(&test, &[]);
    // An undefined variable or a bad subset fails the host's gathering, saying which.
    test.playbook(
        "- hosts: localhost\n  gather_subset: \"{{ nowhere }}\"\n  tasks:\n    - debug: {msg: never}\n- hosts: localhost\n  gather_subset: ['{{ bad }}']\n  vars: {bad: dmi}\n  tasks:\n    - debug: {msg: never}\n",
    );
    let failed = test.run_json(&[]);
    assert_eq!(failed.code, 2, "{}\n{}", failed.stdout, failed.stderr);
    assert!(
        failed.stdout.contains("'nowhere' is undefined"),
        "{}",
        failed.stdout
    );
    test.playbook(
        "- hosts: localhost\n  gather_subset: ['{{ bad }}']\n  vars: {bad: dmi}\n  tasks:\n    - debug: {msg: never}\n",
    );
    let bad = test.run_json(&[]);
    assert_eq!(bad.code, 2, "{}\n{}", bad.stdout, bad.stderr);
    assert!(bad.stdout.contains("Bad subset 'dmi'"), "{}", bad.stdout);
    assert!(!bad.stdout.contains("never"), "{}", bad.stdout);
}

#[test]
fn fetch_copies_a_roots_file_to_the_controller_below_the_host_name() {
    let test = Test::new();
    test.root_file("/etc/motd", "hello\n");
    test.root_file("/etc/issue", "Debian\n");
    test.playbook(&play(
        "    - fetch: {src: /etc/motd, dest: fetched}\n    - fetch: {src: /etc/issue, dest: flat/issue-copy, flat: true}\n",
    ));
    three_checks(&test);
    let project = test.project();
    let copy = project.join("fetched/localhost/etc/motd");
    assert_eq!(std::fs::read_to_string(&copy).expect("copy"), "hello\n");
    assert_eq!(
        std::fs::read_to_string(project.join("flat/issue-copy")).expect("flat copy"),
        "Debian\n"
    );
    // A changed target file is fetched again; the registered keys are Ansible's.
    test.root_file("/etc/motd", "changed\n");
    test.playbook(&play(
        "    - fetch: {src: /etc/motd, dest: fetched}\n      register: r\n    - assert:\n        that:\n          - r is changed\n          - r.checksum == r.remote_checksum\n          - r.checksum == '2fa0d3b2ebd1d9b6d0ad77eb9d0ba16bf2f1e6c1' or r.checksum | length == 40\n          - r.md5sum | length == 32\n          - r.dest is search('fetched/localhost/etc/motd$')\n",
    ));
    run_ok(&test, &[]);
    assert_eq!(std::fs::read_to_string(&copy).expect("copy"), "changed\n");
}

#[test]
fn fetch_of_a_missing_file_or_a_directory_says_so() {
    let test = Test::new();
    std::fs::create_dir_all(test.root().join("etc")).expect("etc");
    test.playbook(&play(
        "    - fetch: {src: /etc/none, dest: f, fail_on_missing: false}\n      register: gone\n    - fetch: {src: /etc/none, dest: f}\n      register: missing\n      ignore_errors: true\n    - fetch: {src: /etc, dest: f}\n      register: dir\n      ignore_errors: true\n    - assert:\n        that:\n          - gone is not failed and gone is not changed\n          - gone.msg == 'the remote file does not exist, not transferring, ignored'\n          - missing is failed\n          - missing.msg == 'the remote file does not exist'\n          - dir is failed\n          - dir.msg is search('directory')\n",
    ));
    run_ok(&test, &[]);
    assert!(!test.project().join("f").exists(), "nothing was written");
}

#[test]
fn fetch_reads_inside_the_root_never_through_a_link_out_of_it() {
    let test = Test::new();
    std::fs::write(test.outside().join("secret"), "secret\n").expect("secret");
    std::fs::create_dir_all(test.root().join("etc")).expect("etc");
    std::os::unix::fs::symlink(test.outside().join("secret"), test.root().join("etc/link"))
        .expect("link");
    test.playbook(&play(
        "    - fetch: {src: /etc/link, dest: f, flat: true}\n      ignore_errors: true\n      register: r\n    - assert: {that: [r is failed]}\n",
    ));
    run_ok(&test, &[]);
    assert!(
        !test.project().join("f").exists(),
        "the outside file was fetched"
    );
}

#[test]
fn wait_for_connection_returns_at_once_for_a_local_host_and_is_skipped_in_check() {
    let test = Test::new();
    test.playbook(&play(
        "    - wait_for_connection: {timeout: 5}\n      register: w\n    - assert: {that: [w is not changed, w.elapsed == 0]}\n",
    ));
    run_ok(&test, &[]);
    test.playbook(&play("    - wait_for_connection: {timeout: 5}\n"));
    let check = run_ok(&test, &["--check"]);
    assert_eq!(check.statuses()[0].1, "skipped");
}

#[test]
fn pause_waits_its_seconds_in_check_mode_too_and_a_prompt_needs_a_terminal() {
    let test = Test::new();
    test.playbook(&play(
        "    - pause: {seconds: 1}\n      register: p\n    - assert:\n        that:\n          - p is not changed\n          - p.delta >= 1\n          - p.stdout is match('Paused for 1[.][0-9]+ seconds')\n          - p.user_input == ''\n",
    ));
    for args in [&[][..], &["--check"][..]] {
        let started = std::time::Instant::now();
        run_ok(&test, args);
        assert!(started.elapsed() >= std::time::Duration::from_secs(1));
    }
    test.playbook(&play("    - pause: {prompt: 'Ready?'}\n"));
    let refused = test.run_json(&[]);
    assert_ne!(refused.code, 0);
    assert!(
        refused.stdout.contains("no terminal to answer the prompt"),
        "{}",
        refused.stdout
    );
    test.playbook(&play("    - pause: {seconds: 1, minutes: 1}\n"));
    let both = test.run_json(&[]);
    assert!(
        both.stdout.contains("mutually exclusive"),
        "{}",
        both.stdout
    );
}

#[test]
fn tempfile_makes_a_new_private_file_or_directory_each_run() {
    let test = Test::new();
    std::fs::create_dir_all(test.root().join("tmp")).expect("tmp");
    test.playbook(&play(
        "    - tempfile: {suffix: .conf}\n      register: f\n    - tempfile: {state: directory, prefix: build.}\n      register: d\n    - copy: {dest: '{{ d.path }}/notes', content: \"x\\n\"}\n    - debug: {msg: '{{ f.path }} {{ d.path }}'}\n",
    ));
    let before = test.tree();
    let check = run_ok(&test, &["--check"]);
    assert_eq!(test.tree(), before, "--check changed the tree");
    let statuses: Vec<String> = check.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["changed", "changed", "changed", "ok"]);
    for _ in 0..2 {
        let run = run_ok(&test, &[]);
        assert_eq!(run.changed(), 3, "{}", run.stdout);
    }
    let mut names: Vec<(String, u32)> = std::fs::read_dir(test.root().join("tmp"))
        .expect("tmp")
        .map(|entry| {
            let entry = entry.expect("entry");
            let mode = std::os::unix::fs::PermissionsExt::mode(
                &entry.metadata().expect("meta").permissions(),
            ) & 0o7777;
            (entry.file_name().to_string_lossy().into_owned(), mode)
        })
        .collect();
    names.sort();
    assert_eq!(names.len(), 4, "{names:?}");
    for (name, mode) in &names {
        match name.starts_with("build.") {
            true => assert_eq!(*mode, 0o700, "{name}"),
            false => {
                assert!(
                    name.starts_with("ansible.") && name.ends_with(".conf"),
                    "{name}"
                );
                assert_eq!(*mode, 0o600, "{name}");
            }
        }
    }
}

#[test]
fn pause_asks_on_a_terminal_and_registers_the_answer() {
    use std::io::Write;
    let test = Test::new();
    test.playbook(&play(
        "    - name: Ask\n      pause: {prompt: 'Ready?'}\n      register: p\n    - debug: {msg: 'answer=[{{ p.user_input }}]'}\n",
    ));
    let root = test.root();
    let line = format!(
        "'{}' run site.yml --root '{}'",
        env!("CARGO_BIN_EXE_machinist"),
        root.display()
    );
    // script(1) gives the run a terminal; what it reads there comes from our pipe.
    let mut child = std::process::Command::new("script")
        .args(["--quiet", "--return", "--command", &line, "/dev/null"])
        .current_dir(test.project())
        .env("NO_COLOR", "1")
        .env("MACHINIST_LOCK_DIR", test.lock_dir())
        .env_remove("RUST_LOG")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("script(1)");
    let mut input = child.stdin.take().expect("stdin");
    std::thread::sleep(std::time::Duration::from_secs(2));
    input.write_all(b"go on\n").expect("answer");
    let output = child.wait_with_output().expect("run");
    drop(input);
    let shown = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{shown}");
    assert!(shown.contains("[Ask]\r\nReady?:"), "{shown}");
    assert!(shown.contains("answer=[go on]"), "{shown}");
}
