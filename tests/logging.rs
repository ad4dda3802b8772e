//! Logging that tells (issue 14): at `-vv` and with `RUST_LOG`, each task's start, its
//! result and its end with the time it took go to stderr; at `-vvv`, its rendered
//! arguments — a module's secret arguments masked, a file's content as its size, a
//! `no_log` task's not at all. Without
//! `-v` and `RUST_LOG`, stderr stays quiet. stdout (the report) is never touched.

mod common;

use common::Test;

const SECRET: &str = "Hunter2-Lg7Wq";

fn test() -> Test {
    let test = Test::new();
    test.root_file("/etc/os-release", "ID=arch\n");
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - name: write the greeting
      copy:
        content: "hello {{ 40 + 2 }}\n"
        dest: /greeting
    - name: set the root password
      firstboot:
        root_password: "{{ secret }}"
        hostname: logbox
      check_mode: true
    - name: hidden copy
      copy:
        content: "{{ secret }}\n"
        dest: /token
      no_log: true
"#,
    );
    test
}

fn lines_with<'a>(stderr: &'a str, what: &str) -> Vec<&'a str> {
    stderr.lines().filter(|line| line.contains(what)).collect()
}

#[test]
fn vv_logs_each_tasks_start_result_and_end_with_its_duration() {
    let test = test();
    let secret = format!("secret={SECRET}");
    let run = test.run(&["-vv", "-e", &secret]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for task in ["write the greeting", "set the root password", "hidden copy"] {
        let started = lines_with(&run.stderr, &format!("task started task={task} "));
        assert_eq!(started.len(), 1, "{task}: {}", run.stderr);
        assert!(started[0].contains("DEBUG") && started[0].contains("host=localhost"));
        assert!(started[0].contains("at=site.yml:"), "{}", started[0]);
        let ended = lines_with(&run.stderr, &format!("task ended task={task} "));
        assert_eq!(ended.len(), 1, "{task}: {}", run.stderr);
        assert!(ended[0].contains("elapsed_ms="), "{}", ended[0]);
        let result = lines_with(&run.stderr, &format!("task result task={task} "));
        assert_eq!(result.len(), 1, "{task}: {}", run.stderr);
        assert!(result[0].contains("status=Changed"), "{}", result[0]);
    }
    assert!(
        lines_with(&run.stderr, "rendered arguments").is_empty(),
        "arguments are for -vvv: {}",
        run.stderr
    );
    assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
    assert!(!run.stderr.contains('\u{1b}'), "no colour off a terminal");
    assert!(!run.stdout.contains("task started"), "logs stay off stdout");
    assert_eq!(test.read("/greeting"), "hello 42\n");
}

#[test]
fn vvv_logs_rendered_arguments_with_secrets_masked_and_no_log_hidden() {
    let test = test();
    let secret = format!("secret={SECRET}");
    let run = test.run(&["-vvv", "-e", &secret]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let args = lines_with(&run.stderr, "rendered arguments");
    assert_eq!(args.len(), 3, "{}", run.stderr);
    assert!(
        args[0].contains(r#"args={"content":"(9 bytes)","dest":"/greeting"}"#),
        "{}",
        args[0]
    );
    assert!(
        args[1].contains(r#""root_password":"********""#) && args[1].contains("logbox"),
        "{}",
        args[1]
    );
    assert!(args[2].contains("args=(hidden: no_log)"), "{}", args[2]);
    assert!(!run.stderr.contains(SECRET), "{}", run.stderr);
    assert!(!run.stdout.contains(SECRET), "{}", run.stdout);
    // The secret did reach the target: the output is clean, not empty.
    assert_eq!(test.read("/token"), format!("{SECRET}\n"));
}

#[test]
fn rust_log_alone_logs_and_no_verbosity_is_quiet() {
    let test = test();
    let secret = format!("secret={SECRET}");
    let root = test.root();
    let args = [
        "run",
        "site.yml",
        "--root",
        root.to_str().expect("utf-8"),
        "-e",
        &secret,
    ];
    let logged = test.machinist_env(&args, &[("RUST_LOG", "machinist=debug")]);
    assert_eq!(logged.code, 0, "{}", logged.stderr);
    assert_eq!(
        lines_with(&logged.stderr, "task ended").len(),
        3,
        "{}",
        logged.stderr
    );
    let quiet = test.machinist(&args);
    assert_eq!(quiet.code, 0, "{}", quiet.stderr);
    assert_eq!(quiet.stderr, "", "nothing logged without -vv or RUST_LOG");
}
