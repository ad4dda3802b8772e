//! `command` and `shell` through the real binary, run inside a busybox root:
//! creates/removes, register, changed_when/failed_when, and check mode.

mod common;
use common::play;

use common::{busybox_root, three_checks, Test};

#[test]
fn creates_makes_command_idempotent_three_checks() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - command: touch /tmp/done\n      args: {creates: /tmp/done}\n",
    ));
    three_checks(&test);
    assert!(test.root().join("tmp/done").exists());
}

#[test]
fn removes_makes_shell_idempotent_three_checks() {
    let test = Test::new();
    busybox_root(&test);
    test.root_file("tmp/stale", "x");
    test.playbook(&play(
        "    - shell: rm /tmp/stale && echo gone\n      args: {removes: /tmp/stale}\n",
    ));
    three_checks(&test);
    assert!(!test.root().join("tmp/stale").exists());
}

#[test]
fn register_exposes_rc_and_output() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - shell: echo out; echo err >&2; exit 3\n      register: r\n      failed_when: r.rc != 3\n      changed_when: false\n    - assert:\n        that:\n          - r.stdout == 'out'\n          - r.stderr == 'err'\n          - r.stdout_lines == ['out']\n          - r.rc == 3\n          - not r.changed\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.statuses()[0].1, "ok");
}

#[test]
fn non_zero_exit_fails_the_task() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play("    - command: /bin/false\n    - debug: msg=never\n"));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.statuses(),
        vec![("command".to_string(), "failed".to_string())]
    );
}

#[test]
fn commands_without_creates_are_skipped_in_check_mode() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play("    - command: touch /tmp/x\n"));
    let before = test.tree();
    let run = test.run_json(&["--check"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.statuses()[0].1, "skipped");
    assert_eq!(test.tree(), before);
}

#[test]
fn argv_chdir_environment_and_stdin() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - command:\n        argv: [sh, -c, 'pwd; echo \"$GREETING\"; cat']\n        chdir: /tmp\n        stdin: piped\n        environment: {GREETING: hi there}\n      register: r\n    - assert:\n        that: r.stdout_lines == ['/tmp', 'hi there', 'piped']\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}
