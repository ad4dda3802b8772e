//! What `-vv` and `-vvv` tell about the Host (issue 14, "logging that tells"): every
//! program run with its argv, where it ran, its exit status and duration; every op
//! applied or recorded with its kind and path — and never a secret: no file content,
//! no password hash (masked in the argv of the tool that sets it), and for a `no_log`
//! task no argv or path at all.

mod common;

use common::{busybox_root, Test};

const HASH: &str =
    "$6$saltsalt$0nmDRXWmakHIVo3Gx2NP9Rpw7sKjwzcV/Zuygtl5Q5u.ScqYA7GQ4PvExyN9JKIwnIYQQjbGvNFNv/0nBBXGe.";

fn accounts_root(test: &Test) {
    test.root_file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n")
        .root_file("/etc/group", "root:x:0:\nusers:x:100:\n")
        .root_file("/etc/shadow", "root:*:19000:0:99999:7:::\n")
        .root_file("/etc/gshadow", "root:*::\nusers:*::\n")
        .root_file("/etc/login.defs", "USERGROUPS_ENAB yes\nHOME_MODE 0700\n");
}

fn playbook(test: &Test) {
    test.playbook(&format!(
        "- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {{dest: /etc/x.conf, content: \"the-private-content\\n\", mode: \"0600\"}}
    - command: echo hello
    - user: {{name: bob, password: \"{HASH}\", create_home: false}}
"
    ));
}

#[test]
fn vv_logs_each_program_and_op_and_no_secret() {
    let test = Test::new();
    busybox_root(&test);
    accounts_root(&test);
    playbook(&test);
    let run = test.run(&["-vv"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let log = &run.stderr;
    for wanted in [
        r#"an op op="write" path=Some("/etc/x.conf")"#,
        r#"how="applied""#,
        r#"ran a program argv=["echo", "hello"] place="chroot" rc=Some(0) took_ms="#,
        r#"ran a program argv=["useradd""#,
    ] {
        assert!(log.contains(wanted), "{wanted} not in:\n{log}");
    }
    assert!(!log.contains("the-private-content"), "{log}");
    assert!(!log.contains("saltsalt"), "{log}");
    assert!(log.contains("********"), "{log}");
}

#[test]
fn vvv_adds_detail_and_check_mode_says_what_it_recorded() {
    let test = Test::new();
    busybox_root(&test);
    accounts_root(&test);
    playbook(&test);
    let run = test.run(&["-vvv", "--check"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let log = &run.stderr;
    for wanted in [
        r#"an op op="write" path=Some("/etc/x.conf") predicted=false how="recorded (check mode)""#,
        r#"the op's attributes mode=Some("600")"#,
        "bytes=20",
        r#"a program argv=["useradd""#,
        r#"predicted=true how="recorded (check mode)""#,
    ] {
        assert!(log.contains(wanted), "{wanted} not in:\n{log}");
    }
    assert!(!log.contains("the-private-content"), "{log}");
    assert!(!log.contains("saltsalt"), "{log}");
}

#[test]
fn a_no_log_task_logs_no_argv_and_no_path() {
    let test = Test::new();
    busybox_root(&test);
    test.root_file("/etc/hostname", "box\n");
    test.playbook(
        "- hosts: localhost
  gather_facts: false
  tasks:
    - command: echo hunter2-argv
      no_log: true
    - copy: {dest: /etc/hunter2-path, content: \"x\\n\"}
      no_log: true
    - command: echo after
",
    );
    let run = test.run(&["-vvv"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let log = &run.stderr;
    assert!(!log.contains("hunter2"), "{log}");
    assert!(log.contains(r#"ran a program argv=["(no_log)"]"#), "{log}");
    assert!(log.contains(r#"an op op="write" path="(no_log)""#), "{log}");
    // The next task is not hidden.
    assert!(log.contains(r#"argv=["echo", "after"]"#), "{log}");
}
