//! `raw` and `script` through the real binary, inside a busybox root: what they run,
//! what they register, and check mode (raw: always skipped; script: skipped unless
//! creates/removes decide, predicted then).

mod common;
use common::play;

use common::{busybox_root, Test};

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
fn raw_takes_only_its_own_arguments() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play("    - raw: ls chdir=/tmp\n"));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("chdir"), "{}", run.stderr);
}
