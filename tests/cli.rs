//! The command line's contract: exit codes, listings, syntax check, and the bad-input
//! errors (file:line:col with a caret; exit 4; nothing touched). Error messages are
//! snapshots: a change to one is a visible diff in review.

mod common;

use common::Test;

fn bad(playbook: &str) -> String {
    let test = Test::new();
    test.root_file("etc/keep", "");
    test.playbook(playbook);
    let before = test.tree();
    let run = test.run(&[]);
    assert_eq!(
        run.code, 4,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    assert_eq!(run.stdout, "", "bad input printed to stdout");
    assert_eq!(test.tree(), before, "bad input changed the tree");
    run.stderr
}

#[test]
fn unknown_argument_suggests_the_right_one() {
    insta::assert_snapshot!(bad(
        "- hosts: localhost\n  tasks:\n    - name: write\n      file:\n        path: /etc/x\n        mdoe: '0644'\n"
    ), @r"
    site.yml:6:9: error: unknown argument 'mdoe' for module file (did you mean 'mode'?)
      |
    6 |         mdoe: '0644'
      |         ^^^^
    ");
}

#[test]
fn unknown_module_and_keyword() {
    insta::assert_snapshot!(bad(
        "- hosts: localhost\n  tasks:\n    - fiel: {path: /x}\n    - debug: msg=x\n      whn: true\n"
    ), @r"
    site.yml:3:7: error: unknown module or task keyword 'fiel' (did you mean 'file'?)
      |
    3 |     - fiel: {path: /x}
      |       ^^^^
    site.yml:5:7: error: unknown task keyword 'whn' (did you mean 'when'?)
      |
    5 |       whn: true
      |       ^^^
    2 errors; nothing was run
    ");
}

#[test]
fn yaml_syntax_error() {
    let err = bad("- hosts: localhost\n  tasks: [\n");
    assert!(
        err.starts_with("site.yml:3:1: error: YAML syntax error"),
        "{err}"
    );
}

#[test]
fn duplicate_keys_and_tabs() {
    insta::assert_snapshot!(bad("- hosts: localhost\n  hosts: localhost\n"), @r"
    site.yml:2:3: error: duplicate key 'hosts' (first at line 1); YAML keeps only one of them
      |
    2 |   hosts: localhost
      |   ^^^^^
    ");
    let err = bad("- hosts: localhost\n  tasks:\n\t- debug: msg=x\n");
    assert!(err.contains("a tab indents this line"), "{err}");
}

#[test]
fn wrong_types_and_missing_arguments() {
    let err = bad("- hosts: localhost\n  tasks:\n    - file: {state: directory}\n    - file: {path: /x, recurse: maybe}\n");
    assert!(
        err.contains("site.yml:3:13: error: module file: missing required argument 'path'"),
        "{err}"
    );
    assert!(err.contains("site.yml:4:33: error: module file:"), "{err}");
}

#[test]
fn missing_template_and_handler() {
    let err = bad("- hosts: localhost\n  tasks:\n    - template: {src: nope.j2, dest: /x}\n      notify: restart\n");
    assert!(
        err.contains("site.yml:3:23: error: could not find template 'nope.j2'"),
        "{err}"
    );
    assert!(
        err.contains(
            "site.yml:4:15: error: notifies handler 'restart', which this play does not define"
        ),
        "{err}"
    );
}

#[test]
fn a_hosts_pattern_that_matches_nothing_warns_and_runs_no_task() {
    // As ansible-playbook: a group that is empty (or absent) in this inventory is not
    // an error, but it is said.
    let test = Test::new();
    test.root_file("etc/keep", "");
    test.playbook("- hosts: webservers\n  tasks:\n    - copy: {dest: /etc/new, content: x}\n");
    let before = test.tree();
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stderr.contains("play 'webservers': no hosts matched"),
        "{}",
        run.stderr
    );
    assert_eq!(test.tree(), before);
}

#[test]
fn import_loop_is_caught() {
    let test = Test::new();
    test.project_file("a.yml", "- import_tasks: b.yml\n");
    test.project_file("b.yml", "- import_tasks: a.yml\n");
    test.playbook("- hosts: localhost\n  tasks:\n    - import_tasks: a.yml\n");
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(run.stderr.contains("import loop"), "{}", run.stderr);
}

#[test]
fn usage_errors_exit_4_and_help_exits_0() {
    let test = Test::new();
    assert_eq!(test.machinist(&["run"]).code, 4);
    assert_eq!(test.machinist(&["run", "x.yml", "--format", "xml"]).code, 4);
    assert_eq!(test.machinist(&["--help"]).code, 0);
    assert_eq!(test.machinist(&["run", "--help"]).code, 0);
}

#[test]
fn ansible_playbook_flags_machinist_cannot_honour_are_refused_with_the_reason() {
    let test = Test::new();
    test.playbook("- hosts: localhost\n  tasks: [{debug: msg=x}]\n");
    for (flags, reason) in [
        (&["-k"][..], "--ask-pass is not supported"),
        (
            &["-M", "/usr/share/ansible"][..],
            "--module-path is not supported",
        ),
        (&["--step"][..], "--step is not supported"),
    ] {
        let run = test.run(flags);
        assert_eq!(run.code, 4, "{flags:?}: {}", run.stderr);
        assert!(run.stderr.contains(reason), "{flags:?}: {}", run.stderr);
    }
    let accepted = test.run(&["--flush-cache", "--inventory-file", "localhost,"]);
    assert_eq!(accepted.code, 0, "{}", accepted.stderr);
}

#[test]
fn missing_playbook_is_bad_input() {
    let test = Test::new();
    let run = test.machinist(&["run", "nope.yml"]);
    assert_eq!(run.code, 4);
    assert!(run.stderr.contains("nope.yml"), "{}", run.stderr);
}

#[test]
fn syntax_check_list_tasks_and_tags() {
    let test = Test::new();
    test.playbook(
        "- name: demo\n  hosts: localhost\n  tasks:\n    - {name: one, debug: msg=1, tags: [a]}\n    - {name: two, debug: msg=2, tags: [b, never]}\n",
    );
    let syntax = test.run(&["--syntax-check"]);
    assert_eq!(
        (syntax.code, syntax.stdout.as_str()),
        (0, "\nplaybook: site.yml\n")
    );
    let tasks = test.run(&["--list-tasks"]);
    assert_eq!(
        tasks.stdout,
        "\nplaybook: site.yml\n\n  play #1 (localhost): demo\tTAGS: []\n    tasks:\n      one\tTAGS: [a]\n"
    );
    let tags = test.run(&["--list-tags"]);
    assert!(
        tags.stdout.contains("TASK TAGS: [a, b, never]"),
        "{}",
        tags.stdout
    );
}

#[test]
fn list_tasks_names_role_tasks_as_ansible_playbook_does() {
    // Checked against ansible-playbook 2.19.14 --list-tasks: a named task of a role
    // carries the role's name, an unnamed one only its action, an include_role neither.
    let test = Test::new();
    test.project_file("roles/web/tasks/main.yml",
        "- {name: says, debug: msg=1}\n- copy: {content: x, dest: /tmp/x}\n- include_role: {name: db}\n- {name: named include, include_role: {name: db}}\n- include_tasks: other.yml\n");
    test.project_file("roles/web/tasks/other.yml", "- debug: msg=2\n");
    test.project_file("roles/db/tasks/main.yml", "- debug: msg=3\n");
    test.playbook("- hosts: localhost\n  roles: [web]\n");
    let tasks = test.run(&["--list-tasks"]);
    assert_eq!(
        tasks.stdout,
        "\nplaybook: site.yml\n\n  play #1 (localhost): localhost\tTAGS: []\n    tasks:\n      \
         web : says\tTAGS: []\n      copy\tTAGS: []\n      include_role\tTAGS: []\n      \
         named include\tTAGS: []\n      include_tasks\tTAGS: []\n",
        "{}",
        tasks.stderr
    );
}

#[test]
fn json_events_follow_the_documented_schema() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    test.playbook(
        "- name: p\n  hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: w\n      copy: {dest: /etc/x, content: \"1\\n\"}\n    - name: l\n      debug: msg=x\n      loop: [a]\n",
    );
    let run = test.run_json(&["--diff"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let events = run.events();
    assert_eq!(events[0], serde_json::json!({"event": "play", "name": "p"}));
    let task = &events[1];
    assert_eq!(task["event"], "task");
    assert_eq!(task["play"], "p");
    assert_eq!(task["task"], "w");
    assert_eq!(task["module"], "copy");
    assert_eq!(task["host"], "localhost");
    assert_eq!(task["status"], "changed");
    assert_eq!(task["diff"][0]["before_header"], "/etc/x");
    assert_eq!(task["diff"][0]["after_header"], "/etc/x");
    assert_eq!(task["diff"][0]["before"], "");
    assert_eq!(task["diff"][0]["after"], "1\n");
    assert!(task.get("msg").is_some());
    assert_eq!(events[2]["item"], "a");
    assert_eq!(
        events.last().unwrap(),
        &serde_json::json!({"event": "recap", "hosts": {"localhost": {
            "ok": 2, "changed": 1, "unreachable": 0, "failed": 0, "skipped": 0, "rescued": 0,
            "ignored": 0}}})
    );
}
