//! Inputs a hostile role or a careless user hands machinist (issue 13, breaks 7 and
//! 8 and the memory bound): a FIFO in place of every kind of input file is refused at
//! once with a located error and exit 4 (it used to block in open() for ever), and
//! what a no_log task failed with never reaches the output.

mod common;
use common::play;

use common::child::Running;
use common::Test;
use std::path::Path;
use std::time::Duration;

fn fifo(path: &Path) {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    let _ = std::fs::remove_file(path);
    rustix::fs::mkfifoat(
        rustix::fs::CWD,
        path,
        rustix::fs::Mode::from_raw_mode(0o600),
    )
    .expect("mkfifo");
}

/// The run must end on its own, within seconds, with exit 4 and `expected` in stderr.
fn refused(test: &Test, args: &[&str], expected: &str) {
    let finished = Running::start(test.command(args)).finish(Duration::from_secs(20));
    assert_eq!(
        finished.code,
        Some(4),
        "args {args:?}\nstdout:\n{}\nstderr:\n{}",
        finished.stdout,
        finished.stderr
    );
    let stderr = test.filter(finished.stderr.as_bytes());
    assert!(
        stderr.contains(expected),
        "wanted {expected:?} in:\n{stderr}"
    );
}

fn run_args(test: &Test) -> Vec<String> {
    let root = test.root().display().to_string();
    ["run", "site.yml", "--root", &root]
        .into_iter()
        .map(String::from)
        .collect()
}

#[test]
fn a_fifo_as_the_playbook_is_refused() {
    let test = Test::new();
    fifo(&test.project().join("site.yml"));
    let args = run_args(&test);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(
        &test,
        &args,
        "error: site.yml is a FIFO, not a regular file",
    );
}

#[test]
fn a_fifo_as_extra_vars_is_refused() {
    let test = Test::new();
    test.playbook("- hosts: localhost\n  tasks: []\n");
    fifo(&test.project().join("vars.yml"));
    let mut args = run_args(&test);
    args.extend(["-e".to_string(), "@vars.yml".to_string()]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    refused(
        &test,
        &args,
        "-e @vars.yml: vars.yml is a FIFO, not a regular file",
    );
}

/// Files the playbook names: each one a FIFO in turn, each refused where it is named.
#[test]
fn a_fifo_named_by_the_playbook_is_refused_where_it_is_named() {
    let cases: &[(&str, &str, &str)] = &[
        (
            "- hosts: localhost\n  vars_files: [vars.yml]\n  tasks: []\n",
            "vars.yml",
            "site.yml:2:16: ",
        ),
        (
            "- hosts: localhost\n  tasks:\n    - import_tasks: more.yml\n",
            "more.yml",
            "site.yml:3:21: ",
        ),
        (
            "- import_playbook: other.yml\n",
            "other.yml",
            "site.yml:1:20: ",
        ),
        (
            "- hosts: localhost\n  tasks:\n    - include_tasks: more.yml\n",
            "more.yml",
            "site.yml:3:22: ",
        ),
        (
            "- hosts: localhost\n  tasks:\n    - template: {src: t.j2, dest: /t}\n",
            "templates/t.j2",
            "site.yml:3:23: ",
        ),
        (
            "- hosts: localhost\n  tasks:\n    - copy: {src: f, dest: /f}\n",
            "files/f",
            "site.yml:3:19: ",
        ),
        (
            "- hosts: localhost\n  roles: [web]\n",
            "roles/web/tasks/main.yml",
            "site.yml:2:11: ",
        ),
        (
            "- hosts: localhost\n  roles: [web]\n",
            "roles/web/defaults/main.yml",
            "site.yml:2:11: ",
        ),
        (
            "- hosts: localhost\n  tasks:\n    - debug: {msg: \"{{ lookup('file', 'f') }}\"}\n",
            "files/f",
            "site.yml:3:7: ",
        ),
    ];
    let mut wrong = Vec::new();
    for (playbook, file, place) in cases {
        let test = Test::new();
        test.playbook(playbook);
        test.project_file("roles/web/tasks/main.yml", "- debug: {msg: hi}\n");
        fifo(&test.project().join(file));
        let args = run_args(&test);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let finished = Running::start(test.command(&args)).finish(Duration::from_secs(20));
        let stderr = test.filter(finished.stderr.as_bytes());
        let code = finished.code;
        // A file only running can read (a lookup) fails its task (exit 2); every other
        // is refused before anything runs (exit 4).
        let want = if playbook.contains("lookup") { 2 } else { 4 };
        let output = format!("{}{stderr}", test.filter(finished.stdout.as_bytes()));
        let said = output.contains(&format!("{file} is a FIFO, not a regular file"));
        let located = want != 4 || output.contains(place);
        if code != Some(want) || !said || !located {
            wrong.push(format!(
                "{file} ({playbook}): exit {code:?}, wanted {want} and {place}:\n{output}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n\n"));
}

/// Break 8: a no_log task's failure, wherever it surfaces: the rescue's
/// `ansible_failed_result`, a registered failed result, the error message, `-vvv`
/// and the JSON events.
#[test]
fn a_no_log_failure_never_shows_its_secret() {
    let test = Test::new();
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  vars:
    secret: hunter2-s3cr3t
  tasks:
    - block:
        - name: fails with the secret
          command: "/no/such/program {{ secret }}"
          no_log: true
      rescue:
        - debug: {var: ansible_failed_result}
        - debug: {msg: "{{ ansible_failed_result }}"}
    - name: registered
      fail: {msg: "the secret is {{ secret }}"}
      register: failed_result
      ignore_errors: true
      no_log: true
    - debug: {var: failed_result}
    - name: a template error names the secret
      debug: {msg: "{{ secret ~ undefined_thing }}"}
      no_log: true
      ignore_errors: true
    - block:
        - name: assert
          assert: {that: "secret == 'x'", fail_msg: "it was {{ secret }}"}
          no_log: true
      rescue:
        - debug: {var: ansible_failed_result}
"#,
    );
    for args in [
        &["-vvv"][..],
        &["--format", "json", "-vvv"][..],
        &["--check", "--diff", "-vvv"][..],
    ] {
        let run = test.run(args);
        assert_eq!(run.code, 0, "{args:?}\n{}\n{}", run.stdout, run.stderr);
        let all = format!("{}{}", run.stdout, run.stderr);
        assert!(
            !all.contains("hunter2"),
            "{args:?} leaked the secret:\n{all}"
        );
        if args[0] != "--format" {
            assert!(all.contains("\"censored\""), "{args:?}:\n{all}");
        }
    }
}

/// The keywords accepted because their value makes them a no-op for a run as root on
/// this machine (and refused otherwise: tests/bad-input/keyword-*).
#[test]
fn become_to_root_and_a_local_connection_are_accepted_as_no_ops() {
    let test = Test::new();
    test.playbook(
        "- hosts: localhost\n  connection: local\n  become: true\n  gather_facts: false\n  tasks:\n    - copy: {dest: /f, content: x}\n      become: true\n      become_user: root\n      become_method: sudo\n      connection: local\n",
    );
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.read("/f"), "x");
}

/// The memory bound: the issue's expressions (a namespace string doubled in a loop
/// passed 5 GB; three `set_fact` concatenations built 1 GB) stop the run with the
/// task's place and exit 2, and the run's peak RSS stays near the limit.
#[test]
fn templates_and_facts_stop_at_the_memory_limit() {
    let cases = [
        (
            "doubling",
            "    - name: doubling\n      debug:\n        msg: \"{% set ns = namespace(s='x' * 1000000) %}{% for i in range(12) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}{{ ns.s | length }}\"\n",
            "site.yml:4:11: task 'doubling': the run reached its memory limit of 256 MiB",
        ),
        (
            "set_fact",
            "    - set_fact: {a: \"{{ 'x' * 50000000 }}\"}\n    - name: four\n      set_fact: {b: \"{{ a ~ a ~ a ~ a }}\"}\n    - name: twelve\n      set_fact: {c: \"{{ b ~ b ~ b }}\"}\n",
            "the run reached its memory limit of 256 MiB",
        ),
        (
            "register",
            "    - name: registered\n      command: {argv: [\"true\", \"{{ 'y' * 90000000 }}\", \"{{ 'y' * 90000000 }}\"]}\n      register: r\n",
            "task 'registered': the run reached its memory limit of 256 MiB",
        ),
    ];
    for (name, tasks, expected) in cases {
        let test = Test::new();
        test.playbook(&play(&format!("{tasks}    - debug: {{msg: never}}\n")));
        let root = test.root().display().to_string();
        let run = common::rusage::measure(test.command(&["run", "site.yml", "--root", &root]));
        let stderr = test.filter(&run.stderr);
        assert_eq!(run.code, 2, "{name}: {stderr}");
        assert!(stderr.contains(expected), "{name}: {stderr}");
        assert!(
            !String::from_utf8_lossy(&run.stdout).contains("never"),
            "{name}"
        );
        assert!(
            run.max_rss_kb < 320 * 1024,
            "{name}: peak RSS {} KiB",
            run.max_rss_kb
        );
    }
}

/// The limit is the user's: `--max-memory` and `MACHINIST_MAX_MEMORY` set it; a
/// nonsense value is bad input.
#[test]
fn the_memory_limit_is_settable() {
    let test = Test::new();
    test.playbook(&play(
        "    - set_fact: {a: \"{{ 'x' * 60000000 }}\"}\n    - set_fact: {b: \"{{ a ~ a }}\"}\n",
    ));
    let root = test.root().display().to_string();
    let args = ["run", "site.yml", "--root", root.as_str()];
    let low = test.machinist_env(&args, &[("MACHINIST_MAX_MEMORY", "64M")]);
    assert_eq!(low.code, 2, "{}", low.stderr);
    assert!(
        low.stderr.contains("memory limit of 64 MiB"),
        "{}",
        low.stderr
    );
    let mut high = args.to_vec();
    high.extend(["--max-memory", "1G"]);
    let run = test.machinist_env(&high, &[("MACHINIST_MAX_MEMORY", "64M")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut bad = args.to_vec();
    bad.extend(["--max-memory", "lots"]);
    let run = test.machinist(&bad);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("'lots' is not a size"),
        "{}",
        run.stderr
    );
}
