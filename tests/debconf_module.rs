//! The `debconf` module through the real binary and the root's real debconf, on a
//! fresh view of the cached debootstrapped Debian rootfs: an installed package's
//! question changed, questions of a package not installed yet pre-seeded (boolean,
//! password, multiselect list), the three checks, and the answers read back.

mod common;

use common::rootfs::{test_with_rootfs, three_checks_on_rootfs};

#[test]
fn answers_set_and_preseeded_pass_the_three_checks() {
    let test = test_with_rootfs();
    test.playbook(&common::play(
        "    - name: an installed package's question
      ansible.builtin.debconf:
        name: tzdata
        question: tzdata/Areas
        vtype: select
        value: Asia
    - name: pre-seeded before the package is installed
      debconf:
        name: machinist-test-seed
        question: machinist-test-seed/enable
        vtype: boolean
        value: true
    - debconf:
        pkg: machinist-test-seed
        selection: machinist-test-seed/secret
        vtype: password
        answer: s3cret
      register: secret
    - debconf:
        name: machinist-test-seed
        question: machinist-test-seed/langs
        vtype: multiselect
        value: [fr, de]
        unseen: true
",
    ));
    three_checks_on_rootfs(&test);
    let config = std::fs::read_to_string(test.root().join("var/cache/debconf/config.dat"))
        .expect("config.dat");
    for expected in [
        "Name: tzdata/Areas\nTemplate: tzdata/Areas\nValue: Asia\n",
        "Name: machinist-test-seed/enable\nTemplate: machinist-test-seed/enable\nValue: true\n",
        "Name: machinist-test-seed/langs\nTemplate: machinist-test-seed/langs\nValue: de, fr\n",
    ] {
        assert!(config.contains(expected), "{expected} missing:\n{config}");
    }
    let passwords = std::fs::read_to_string(test.root().join("var/cache/debconf/passwords.dat"))
        .expect("passwords.dat");
    assert!(passwords.contains("Value: s3cret"), "{passwords}");

    // Read back, and the password never shown.
    test.playbook(&common::play(
        "    - debconf: {name: tzdata}
      register: tz
    - debconf: {name: machinist-test-seed, question: machinist-test-seed/secret, vtype: password, value: other}
      register: secret
    - debug:
        msg: \"{{ tz.current['tzdata/Areas'] }} {{ secret.previous }} {{ secret.current }}\"
",
    ));
    let run = test.run_json(&["--check", "--diff"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "Asia {'machinist-test-seed/secret': '********'} {'machinist-test-seed/secret': '********'}"
        ),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("s3cret") && !run.stdout.contains("other"));
}

#[test]
fn a_question_without_its_type_and_value_is_refused() {
    let test = test_with_rootfs();
    test.playbook(&common::play(
        "    - debconf: {name: tzdata, question: tzdata/Areas}\n",
    ));
    let run = test.run_json(&[]);
    assert_ne!(run.code, 0);
    assert!(
        run.stdout
            .contains("parameters are required together: question, vtype, value"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_value_never_sets_a_second_question() {
    let test = test_with_rootfs();
    test.playbook(&common::play(
        "    - debconf:
        name: machinist-test-seed
        question: machinist-test-seed/one
        vtype: string
        value: \"a\\nmachinist-test-seed machinist-test-seed/two string b\"
",
    ));
    let run = test.run_json(&[]);
    assert_ne!(run.code, 0);
    assert!(
        run.stdout.contains("a debconf answer is one line"),
        "{}",
        run.stdout
    );
    let config = std::fs::read_to_string(test.root().join("var/cache/debconf/config.dat"))
        .expect("config.dat");
    assert!(!config.contains("machinist-test-seed"), "{config}");
}
