//! Secrets (issue 7): what `no_log: true` covers — a task's, a block's, a play's, an
//! include's — never shows in any output channel: human output with `--diff -vvv`,
//! JSON events, diffs, registered results printed by `debug`, failure messages, and
//! stderr with `-vvv` and `RUST_LOG=trace`; in check mode and for real. Each playbook
//! really uses the secret (the test checks it reached the target), so a clean output
//! is not an empty one. The secret comes in by `-e`, by a vars file and by set_fact.
//!
//! Modules with password-type arguments (firstboot's `root_password`) add one line
//! to SECRET_TASKS: their secret must not show even without `no_log`.

mod common;

use common::{busybox_root, Test};

const SECRET: &str = "hunter2-Xq9Zk";

/// What a task leaves in the root when it runs for real: (path, content).
type Left = Option<(&'static str, &'static str)>;

/// Tasks whose use of `{{ secret }}` must never print it: (what, tasks, left).
const SECRET_TASKS: &[(&str, &str, Left)] = &[
    (
        "a no_log copy, diffed",
        "- copy: {dest: /etc/token, content: \"{{ secret }}\\n\", mode: '0600'}\n  no_log: true\n",
        Some(("/etc/token", "hunter2-Xq9Zk\n")),
    ),
    (
        "a no_log template",
        "- template: {src: secret.j2, dest: /etc/app.conf}\n  no_log: true\n",
        Some(("/etc/app.conf", "password = hunter2-Xq9Zk\n")),
    ),
    (
        "a no_log loop over the secret",
        "- copy: {dest: \"/etc/loop-{{ index }}\", content: \"{{ item }}\"}\n  loop: [\"{{ secret }}\"]\n  loop_control: {index_var: index}\n  no_log: true\n",
        Some(("/etc/loop-0", "hunter2-Xq9Zk")),
    ),
    (
        "a no_log failure naming the secret",
        "- fail: {msg: \"bad password {{ secret }}\"}\n  no_log: true\n  ignore_errors: true\n",
        None,
    ),
    (
        "a no_log debug",
        "- debug: {msg: \"{{ secret }}\"}\n  no_log: true\n",
        None,
    ),
    (
        "a no_log result registered and printed",
        "- copy: {dest: /etc/reg, content: \"{{ secret }}\"}\n  no_log: true\n  register: written\n- debug: var=written\n- debug: {msg: \"{{ written }}\"}\n",
        Some(("/etc/reg", "hunter2-Xq9Zk")),
    ),
    (
        "a no_log result registered whole, used by a later task and printed",
        "- command: {argv: [echo, \"{{ secret }}\"]}\n  no_log: true\n  register: echoed\n- copy: {dest: /etc/echoed, content: \"{{ echoed.stdout }}\"}\n- debug: var=echoed.stdout\n- debug: {msg: \"{{ echoed.stdout_lines }}\"}\n",
        Some(("/etc/echoed", "hunter2-Xq9Zk")),
    ),
    (
        "a no_log task failing in its module",
        "- copy: {dest: /missing/dir/file, content: \"{{ secret }}\"}\n  no_log: true\n  ignore_errors: true\n",
        None,
    ),
    (
        "a no_log task failing to render",
        "- copy: {dest: /etc/x, content: \"{{ secret ~ not_defined }}\"}\n  no_log: true\n  ignore_errors: true\n",
        None,
    ),
    (
        "a no_log program given the secret and printing it",
        "- command: {argv: [echo, \"{{ secret }}\"], creates: /nothing}\n  no_log: true\n  register: echoed\n- debug: var=echoed\n",
        None,
    ),
    (
        "a no_log block, its rescue and always",
        "- block:\n    - copy: {dest: /etc/in-block, content: \"{{ secret }}\"}\n    - fail: {msg: \"{{ secret }}\"}\n  rescue:\n    - debug: {msg: \"{{ secret }}\"}\n  always:\n    - debug: {msg: \"{{ secret }}\"}\n  no_log: true\n",
        Some(("/etc/in-block", "hunter2-Xq9Zk")),
    ),
    (
        "a no_log include_tasks",
        "- include_tasks: inner.yml\n  no_log: true\n",
        Some(("/etc/inner", "hunter2-Xq9Zk")),
    ),
    (
        "a no_log import_tasks",
        "- import_tasks: inner.yml\n  no_log: true\n",
        Some(("/etc/inner", "hunter2-Xq9Zk")),
    ),
    (
        "a no_log include_role",
        "- include_role: {name: keeper}\n  no_log: true\n",
        Some(("/etc/role", "hunter2-Xq9Zk")),
    ),
    (
        "a hash of the secret, without no_log",
        "- copy: {dest: /etc/shadow-line, content: \"root:{{ secret | password_hash('sha512', 'saltsalt') }}\\n\"}\n",
        None,
    ),
];

fn project(test: &Test) {
    busybox_root(test);
    test.project_file("templates/secret.j2", "password = {{ secret }}\n")
        .project_file("inner.yml", "- copy: {dest: /etc/inner, content: \"{{ secret }}\"}\n- debug: {msg: \"{{ secret }}\"}\n")
        .project_file("roles/keeper/tasks/main.yml", "- copy: {dest: /etc/role, content: \"{{ secret }}\"}\n")
        .project_file("vars.yml", &format!("from_file: \"{SECRET}\"\n"));
    test.root_file("/etc/hostname", "target\n");
}

/// Every output of every way of running `site.yml`: (how, stdout + stderr).
fn outputs(test: &Test) -> Vec<(String, String)> {
    let mut all = Vec::new();
    let secret = format!("secret={SECRET}");
    for check in [true, false] {
        for json in [false, true] {
            let mut args = vec!["-e", &secret, "--diff", "-vvv"];
            if check {
                args.push("--check");
            }
            if json {
                args.extend(["--format", "json"]);
            }
            let run = test.machinist_env(
                &[
                    &[
                        "run",
                        "site.yml",
                        "--root",
                        test.root().to_str().expect("utf-8"),
                    ],
                    &args[..],
                ]
                .concat(),
                &[("RUST_LOG", "trace")],
            );
            assert!(
                matches!(run.code, 0 | 2),
                "{args:?}: exit {}\n{}\n{}",
                run.code,
                run.stdout,
                run.stderr
            );
            all.push((
                format!("{args:?}"),
                format!("{}\n{}", run.stdout, run.stderr),
            ));
        }
    }
    all
}

#[test]
fn no_log_secrets_never_reach_any_output() {
    let mut leaks = Vec::new();
    for (what, tasks, left) in SECRET_TASKS {
        let test = Test::new();
        project(&test);
        let indented: String = tasks.lines().map(|line| format!("    {line}\n")).collect();
        test.playbook(&format!("- hosts: localhost\n  tasks:\n{indented}"));
        for (how, output) in outputs(&test) {
            if output.contains(SECRET) {
                leaks.push(format!("{what} {how}:\n{output}"));
            }
        }
        if let Some((path, content)) = left {
            assert_eq!(&test.read(path), content, "{what}: the secret was not used");
        }
    }
    assert!(
        leaks.is_empty(),
        "the secret leaked:\n\n{}",
        leaks.join("\n\n")
    );
}

#[test]
fn a_play_with_no_log_hides_its_tasks_and_handlers() {
    let test = Test::new();
    project(&test);
    test.playbook(
        "- hosts: localhost\n  no_log: true\n  vars_files: [vars.yml]\n  tasks:\n    - set_fact: {again: \"{{ from_file }}\"}\n    - copy: {dest: /etc/play, content: \"{{ again }}\"}\n      notify: tell\n    - debug: var=again\n  handlers:\n    - name: tell\n      debug: {msg: \"{{ from_file }}\"}\n",
    );
    let outputs = outputs(&test);
    // The first run (--check, human) notified the handler: it ran, hidden.
    assert!(
        outputs[0].1.contains("RUNNING HANDLER [tell]"),
        "{}",
        outputs[0].1
    );
    for (how, output) in outputs {
        assert!(!output.contains(SECRET), "{how}:\n{output}");
    }
    assert_eq!(test.read("/etc/play"), SECRET);
}
