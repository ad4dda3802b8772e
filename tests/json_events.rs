//! `--format json` carries results (issue 19): every `task` event has a `result`, what
//! `register:` holds (debug values, command output, plugin data), censored under
//! `no_log`, large texts summarised; and every line of real runs — first, second,
//! check mode, a failure, an interruption-free listing — is valid against the
//! published schema, docs/events.schema.json.

mod common;
use common::play;

use common::{busybox_root, Test};
use serde_json::{json, Value};

fn schema() -> jsonschema::Validator {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/events.schema.json");
    let text = std::fs::read_to_string(path).expect("docs/events.schema.json");
    let schema: Value = serde_json::from_str(&text).expect("the schema is JSON");
    jsonschema::validator_for(&schema).expect("the schema is a valid JSON Schema")
}

/// Every event of the run is valid against the schema.
fn assert_valid(events: &[Value]) {
    let validator = schema();
    for event in events {
        let errors: Vec<String> = validator
            .iter_errors(event)
            .map(|e| format!("{} at {}", e, e.instance_path))
            .collect();
        assert!(errors.is_empty(), "{event}\nis not valid: {errors:#?}");
    }
}

fn task<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == "task" && e["task"] == name)
        .unwrap_or_else(|| panic!("no task {name:?} in {events:#?}"))
}

const PLAYBOOK: &str = r#"- hosts: localhost
  gather_facts: true
  vars:
    answer: {deep: [1, 2, 3]}
  tasks:
    - name: show a variable
      debug: {var: answer}
    - name: show a structure
      debug: {msg: [a, b]}
    - name: run a program
      command: echo hello
      register: said
    - name: use it
      debug: {msg: "{{ said.stdout }} again"}
    - name: keep a secret
      command: echo hunter2
      no_log: true
    - name: write a big file
      copy: {dest: /big.txt, content: "{{ 'line of text\n' * 10000 }}"}
    - name: loop
      debug: {msg: "{{ item }}"}
      loop: [x, y]
    - name: fail politely
      fail: {msg: nope}
      ignore_errors: true
"#;

#[test]
fn task_events_carry_what_register_holds() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(PLAYBOOK);
    let run = test.run_json(&[]);
    let events = run.events();
    assert_valid(&events);

    assert_eq!(
        task(&events, "show a variable")["result"],
        json!({"changed": false, "failed": false, "answer": {"deep": [1, 2, 3]}})
    );
    assert_eq!(
        task(&events, "show a structure")["result"]["msg"],
        json!(["a", "b"])
    );
    let said = &task(&events, "run a program")["result"];
    assert_eq!(said["rc"], 0);
    assert_eq!(said["stdout"], "hello");
    assert_eq!(said["stdout_lines"], json!(["hello"]));
    assert_eq!(said["changed"], true);
    assert_eq!(task(&events, "use it")["result"]["msg"], "hello again");

    let secret = &task(&events, "keep a secret")["result"];
    assert_eq!(secret["changed"], true);
    assert!(secret["censored"].is_string(), "{secret}");
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);

    // Outside diff mode the registered result has no diff (as Ansible's copy: `[]`);
    // the event carries it (a diff over 1 MiB is a summary line already).
    let big = task(&events, "write a big file");
    assert_eq!(big["result"]["changed"], true);
    assert_eq!(big["result"]["diff"], json!([]), "{big}");
    let after = big["diff"][0]["after"].as_str().unwrap_or_default();
    assert_eq!(after.len(), 130_000);

    let items: Vec<&Value> = events
        .iter()
        .filter(|e| e["task"] == "loop")
        .map(|e| &e["result"])
        .collect();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["item"], "x");
    assert_eq!(items[0]["ansible_loop_var"], "item");
    assert_eq!(items[1]["msg"], "y");

    let failed = &task(&events, "fail politely")["result"];
    assert_eq!(failed["failed"], true);
    assert_eq!(failed["msg"], "nope");

    let facts = &task(&events, "Gathering Facts")["result"]["ansible_facts"];
    assert_eq!(facts["system"], "Linux", "{facts}");
}

#[test]
fn every_kind_of_run_is_valid_against_the_schema() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(PLAYBOOK);
    for args in [
        &["--check", "--diff"][..],
        &[],
        &[],
        &["--list-tasks"],
        &["--syntax-check"],
    ] {
        let run = test.run_json(args);
        let events = run.events();
        assert!(!events.is_empty(), "{args:?}: {}", run.stdout);
        assert_valid(&events);
    }
    test.playbook("- hosts: localhost\n  tasks:\n    - fail: {msg: stop}\n");
    let events = test.run_json(&[]).events();
    assert_eq!(task(&events, "fail")["result"]["failed"], true);
    assert_valid(&events);
    test.playbook(
        "- hosts: localhost\n  tasks:\n    - debug: msg=hi\n      register: out\n      until: false\n      retries: 1\n      delay: 0\n      ignore_errors: true\n",
    );
    let events = test.run_json(&[]).events();
    assert!(
        events.iter().any(|e| e["event"] == "retrying"),
        "{events:?}"
    );
    assert_valid(&events);
}

#[test]
fn the_schema_rejects_what_is_not_an_event() {
    let validator = schema();
    for bad in [
        json!({"event": "task", "play": "p"}),
        json!({"event": "nosuch"}),
        json!({"event": "progress", "task": "t", "done": 1, "total": 2, "what": "x", "unit": "parsecs"}),
    ] {
        assert!(!validator.is_valid(&bad), "{bad} passed");
    }
}

/// A task's `diff: false` keeps its diff out of every output, JSON included (issue 15:
/// `--format json` carried the whole before and after).
#[test]
fn a_task_with_diff_false_carries_no_diff() {
    let test = Test::new();
    test.playbook(
        &play("    - name: quiet\n      copy: {dest: /secret.conf, content: \"token=abc\\n\"}\n      diff: false\n    - name: loud\n      copy: {dest: /plain.conf, content: \"x\\n\"}\n"),
    );
    let run = test.run_json(&["--diff"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    let quiet = task(&events, "quiet");
    assert_eq!(quiet["status"], "changed");
    assert_eq!(quiet["diff"], json!([]));
    assert!(quiet["result"].get("diff").is_none(), "{quiet}");
    assert!(!run.stdout.contains("token=abc"), "{}", run.stdout);
    let loud = task(&events, "loud");
    assert_ne!(loud["diff"], json!([]), "{loud}");
    assert_valid(&events);
}
