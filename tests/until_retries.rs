//! `until` / `retries` / `delay` (issue 15): a task tried again until its condition
//! holds, as ansible-core does (the differential case is
//! tests/ansible_compat/corpus/until_retries.yml); here what the corpus cannot show:
//! the JSON `retrying` events, a stop signal during the delay, the three checks of a
//! retried module, and the values refused at load.

mod common;
use common::child::{Running, Stream};
use common::{play, Test};
use std::time::{Duration, Instant};

#[test]
fn json_tells_each_retry_with_the_retries_left_and_the_result() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - name: never holds
      debug: msg=hi
      register: out
      until: out.msg == 'bye'
      retries: 2
      delay: 0
      ignore_errors: true
"#,
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let retries: Vec<serde_json::Value> = run
        .events()
        .into_iter()
        .filter(|e| e["event"] == "retrying")
        .collect();
    assert_eq!(retries.len(), 2, "{}", run.stdout);
    assert_eq!(retries[0]["task"], "never holds");
    assert_eq!(retries[0]["host"], "localhost");
    assert_eq!(retries[0]["retries_left"], 2);
    assert_eq!(retries[0]["attempts"], 1);
    assert_eq!(retries[0]["result"]["retries"], 3);
    assert_eq!(retries[0]["result"]["msg"], "hi");
    assert_eq!(retries[1]["retries_left"], 1);
    let task = run
        .events()
        .into_iter()
        .find(|e| e["event"] == "task")
        .expect("a task event");
    assert_eq!(task["status"], "failed");
    assert_eq!(task["result"]["attempts"], 2);
    assert_eq!(run.recap()["ignored"], 1);
}

#[test]
fn a_stop_signal_during_the_delay_ends_the_task_at_once() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - name: slow retries
      command: "false"
      register: out
      until: out.rc == 0
      retries: 100
      delay: 30
    - name: after
      debug: msg=after
"#,
    ));
    let mut run = Running::start(test.run_command(&["--format", "json"]));
    let retrying = run.wait_for(Duration::from_secs(60), |stream, line| {
        stream == Stream::Stdout && line.contains(r#""event":"retrying""#)
    });
    assert!(retrying, "no retry:\n{}", run.stderr.join("\n"));
    let signalled = Instant::now();
    run.signal(libc::SIGINT);
    let end = run.finish(Duration::from_secs(20));
    assert!(
        signalled.elapsed() < Duration::from_secs(10),
        "the delay was not cut short"
    );
    assert_eq!(end.code, Some(130), "{end:?}");
    let events: Vec<serde_json::Value> = end
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("json"))
        .collect();
    let interrupted = events
        .iter()
        .find(|e| e["event"] == "interrupted")
        .expect("an interrupted event");
    assert_eq!(
        interrupted["cut_short"],
        "slow retries: 1 of 101 tries made"
    );
    assert_eq!(interrupted["not_run"], serde_json::json!(["after"]));
}

#[test]
fn a_retried_file_write_passes_the_three_checks() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - name: write until written
      copy:
        dest: /etc/motd
        content: "hello\n"
      register: written
      until: written is not failed
      retries: 2
      delay: 0
"#,
    ));
    test.root_file("etc/hostname", "box\n");
    common::three_checks(&test);
    assert_eq!(test.read("etc/motd"), "hello\n");
}

#[test]
fn values_that_are_not_numbers_are_refused_at_load() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - name: bad
      debug: msg=hi
      until: true
      retries: many
      delay: [1]
"#,
    ));
    let run = test.run(&["--syntax-check"]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(
        run.stderr
            .contains("retries is a whole number, or a template of one; found a string"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("delay is a number, or a template of one; found a list"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("site.yml:7:16"), "{}", run.stderr);
}

#[test]
fn until_on_a_block_is_refused_as_ansible_refuses_it() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - block:
        - debug: msg=hi
      until: true
"#,
    ));
    let run = test.run(&["--syntax-check"]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(run.stderr.contains("until"), "{}", run.stderr);
}

#[test]
fn a_template_that_is_no_number_fails_the_task() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - name: templated
      debug: msg=hi
      until: true
      retries: "{{ 'lots' }}"
"#,
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("expected a number, the template gave 'lots'"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_no_log_task_retries_without_showing_its_result() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - name: secret tries
      debug: msg=hunter2
      register: out
      until: false
      retries: 1
      delay: 0
      no_log: true
      ignore_errors: true
"#,
    ));
    let human = test.run(&[]);
    assert!(
        human
            .stdout
            .contains("FAILED - RETRYING: [localhost]: secret tries (1 retries left)."),
        "{}",
        human.stdout
    );
    assert!(!human.stdout.contains("hunter2"), "{}", human.stdout);
    let json = test.run_json(&[]);
    let retry = json
        .events()
        .into_iter()
        .find(|e| e["event"] == "retrying")
        .expect("a retrying event");
    assert!(retry["result"]["censored"].is_string(), "{retry}");
    assert!(!json.stdout.contains("hunter2"), "{}", json.stdout);
}
