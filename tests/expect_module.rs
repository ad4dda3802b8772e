//! The expect module end to end: a program on a pseudo-terminal inside a root (busybox,
//! through chroot), its prompts answered, the three checks with `creates`, Ansible's
//! registered keys, check mode without creates/removes skipped with Ansible's words,
//! and failures (non-zero exit, timeout) as Ansible reports them.

mod common;

use common::{busybox_root, play, Test};

const WIZARD: &str = r#"    - name: wizard
      expect:
        command: /bin/sh -c 'printf "Name? "; read n; printf "Colour? "; read c; echo "$n likes $c" > /etc/wizard.conf; echo written'
        creates: /etc/wizard.conf
        responses:
          "Name\\?": ann
          "(?i)colour": [blue]
      register: wizard
    - debug: var=wizard.stdout
"#;

#[test]
fn expect_answers_inside_a_root_and_passes_the_three_checks() {
    let test = Test::new();
    busybox_root(&test);
    std::fs::create_dir_all(test.root().join("etc")).expect("etc");
    test.playbook(&play(WIZARD));
    let runs = common::three_checks_runs(&test);
    assert_eq!(test.read("etc/wizard.conf"), "ann likes blue\n");
    let result = |run: &common::Run| {
        run.events()
            .into_iter()
            .find(|event| event["event"] == "task" && event["task"] == "wizard")
            .map(|event| event["result"].clone())
            .expect("the wizard's result")
    };
    let first = result(&runs[1]);
    assert_eq!(first["stdout"], "Name? Colour? written");
    assert_eq!(
        first["stdout_lines"],
        serde_json::json!(["Name? Colour? written"])
    );
    assert_eq!(first["rc"], 0);
    assert!(
        first["start"].is_string() && first["delta"].is_string(),
        "{first}"
    );
    assert!(first.get("stderr").is_none(), "{first}");
    let second = result(&runs[2]);
    assert_eq!(second["stdout"], "skipped, since /etc/wizard.conf exists");
    assert_eq!(second["changed"], false);
}

#[test]
fn check_mode_skips_what_cannot_be_predicted() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - expect: {command: /bin/sh -c 'touch /x', responses: {}}\n      register: r\n    - debug: var=r.msg\n",
    ));
    let run = test.run(&["--check"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("\"r.msg\": \"remote module (expect) does not support check mode\""),
        "{}",
        run.stdout
    );
    assert!(!test.root().join("x").exists());
}

#[test]
fn failures_are_reported_as_ansible_reports_them() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        r#"    - expect:
        command: /bin/sh -c 'echo nope; exit 4'
        responses: {x: y}
      register: bad_exit
      ignore_errors: true
    - expect:
        command: /bin/sh -c 'echo waiting; while :; do :; done'
        timeout: 1
        responses: {never: y}
      register: slow
      ignore_errors: true
    - debug: {msg: "{{ bad_exit.msg }} {{ bad_exit.rc }} {{ bad_exit.stdout }} / {{ slow.msg }} {{ slow.rc is none }} {{ slow.stdout }}"}
"#,
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "\"msg\": \"non-zero return code 4 nope / command exceeded timeout True waiting\""
        ),
        "{}",
        run.stdout
    );
}
