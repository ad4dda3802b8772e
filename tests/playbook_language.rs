//! The playbook language through the real binary: loops, conditions, handlers,
//! blocks, includes and imports, tags, variables and their precedence, no_log.

mod common;
use common::play;

use common::Test;

fn statuses(run: &common::Run) -> Vec<(String, String)> {
    run.statuses()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(a, b)| (a.to_string(), b.to_string()))
        .collect()
}

#[test]
fn loops_report_each_item_and_register_results() {
    let test = Test::new();
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  vars:
    names: [a, b, c]
  tasks:
    - name: each
      debug: msg="{{ item }}"
      loop: "{{ names }}"
      when: item != 'b'
      register: out
    - name: check
      assert:
        that:
          - out.results | length == 3
          - out.results[1].skipped
          - out.results[0].item == 'a'
    - name: with_items flattens
      set_fact:
        flat: "{{ (flat | default([])) + [item] }}"
      with_items: [[1, 2], 3]
    - assert: {that: "flat == [1, 2, 3]"}
    - name: labels
      debug: msg=x
      loop: [{n: 1}, {n: 2}]
      loop_control: {label: "n={{ entry.n }}", loop_var: entry, index_var: i}
"#,
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    let items: Vec<_> = events
        .iter()
        .filter(|e| e["task"] == "each")
        .map(|e| (e["item"].clone(), e["status"].clone()))
        .collect();
    assert_eq!(
        items,
        vec![
            ("a".into(), "ok".into()),
            ("b".into(), "skipped".into()),
            ("c".into(), "ok".into())
        ]
    );
    let labels: Vec<_> = events
        .iter()
        .filter(|e| e["task"] == "labels")
        .map(|e| e["label"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(labels, vec!["n=1", "n=2"]);
}

#[test]
fn handlers_run_once_at_the_end_in_definition_order() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - name: write a
      copy: {dest: /etc/a, content: a}
      notify: [second, first]
    - name: write b
      copy: {dest: /etc/b, content: b}
      notify: restart all
    - name: unchanged
      debug: msg=x
      notify: never
  handlers:
    - name: first
      debug: msg=first
    - name: second
      debug: msg=second
      listen: restart all
    - name: never
      debug: msg=never
"#,
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        statuses(&run),
        pairs(&[
            ("write a", "changed"),
            ("write b", "changed"),
            ("unchanged", "ok"),
            ("first", "ok"),
            ("second", "ok"),
        ])
    );
    let again = test.run_json(&[]);
    assert_eq!(
        again.statuses().len(),
        3,
        "handlers ran on an unchanged run"
    );
}

#[test]
fn flush_handlers_runs_them_mid_play() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {dest: /etc/a, content: a}
      notify: h
    - meta: flush_handlers
    - name: after
      debug: msg=after
  handlers:
    - name: h
      debug: msg=h
"#,
    );
    let run = test.run_json(&[]);
    let names: Vec<String> = run.statuses().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["copy", "h", "after"]);
}

#[test]
fn block_rescue_always() {
    let test = Test::new();
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - block:
        - name: boom
          fail: msg=boom
        - name: not reached
          debug: msg=x
      rescue:
        - name: rescued
          debug: msg="{{ ansible_failed_result.msg | default('no') }}"
      always:
        - name: always
          debug: msg=always
    - name: after
      debug: msg=after
"#,
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        statuses(&run),
        pairs(&[
            ("boom", "failed"),
            ("rescued", "ok"),
            ("always", "ok"),
            ("after", "ok")
        ])
    );
    assert_eq!(run.recap()["rescued"], 1);
    assert_eq!(run.recap()["failed"], 0);
}

#[test]
fn failure_stops_the_play_and_exits_2() {
    let test = Test::new();
    test.playbook(&play("    - fail: msg=stop\n    - debug: msg=never\n"));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2);
    assert_eq!(statuses(&run), pairs(&[("fail", "failed")]));
    assert_eq!(run.recap()["failed"], 1);
}

#[test]
fn ignore_errors_goes_on() {
    let test = Test::new();
    test.playbook(&play(
        "    - fail: msg=soft\n      ignore_errors: true\n    - debug: msg=next\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0);
    assert_eq!(run.recap()["ignored"], 1);
    assert_eq!(run.events()[1]["ignored"], true);
}

#[test]
fn include_and_import_tasks() {
    let test = Test::new();
    test.project_file(
        "tasks/static.yml",
        "- name: imported\n  debug: msg=\"{{ who }}\"\n",
    );
    test.project_file(
        "tasks/dynamic.yml",
        "- name: included\n  debug: msg=\"{{ item }}\"\n",
    );
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  vars: {who: me, which: dynamic}
  tasks:
    - import_tasks: tasks/static.yml
      tags: [imp]
    - include_tasks: "tasks/{{ which }}.yml"
      loop: [x, y]
"#,
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let names: Vec<String> = run.statuses().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["imported", "included", "included"]);
    let only = test.run_json(&["--tags", "imp"]);
    let names: Vec<String> = only.statuses().into_iter().map(|(n, _)| n).collect();
    assert_eq!(names, vec!["imported"]);
}

#[test]
fn tags_always_and_never() {
    let test = Test::new();
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - {name: a, debug: msg=a, tags: [web]}
    - {name: b, debug: msg=b, tags: [db]}
    - {name: c, debug: msg=c, tags: [always]}
    - {name: d, debug: msg=d, tags: [never, debug]}
"#,
    );
    let names = |args: &[&str]| -> Vec<String> {
        test.run_json(args)
            .statuses()
            .into_iter()
            .map(|(n, _)| n)
            .collect()
    };
    assert_eq!(names(&[]), vec!["a", "b", "c"]);
    assert_eq!(names(&["--tags", "web"]), vec!["a", "c"]);
    assert_eq!(names(&["--skip-tags", "web,always"]), vec!["b"]);
    assert_eq!(names(&["-t", "debug"]), vec!["c", "d"]);
    assert_eq!(names(&["--start-at-task", "b"]), vec!["b", "c"]);
}

#[test]
fn variable_precedence() {
    let test = Test::new();
    test.project_file("vars.yml", "v: vars_file\nw: vars_file\n");
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  vars: {v: play, w: play, x: play, y: play, lazy: "{{ x }}-lazy"}
  vars_files: [vars.yml]
  tasks:
    - block:
        - name: check
          vars: {x: task}
          assert:
            that:
              - v == 'vars_file'
              - w == 'extra'
              - x == 'task'
              - y == 'block'
              - lazy == 'task-lazy'
      vars: {y: block, x: block}
    - set_fact: {y: fact}
    - assert: {that: "y == 'fact'"}
"#,
    );
    let run = test.run_json(&["-e", "w=extra"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn extra_vars_forms() {
    let test = Test::new();
    test.project_file("extra.yml", "c: [1, 2]\n");
    test.playbook(&play(
        "    - assert:\n        that: [\"a == '1'\", \"b.k == 'v'\", \"c | length == 2\"]\n",
    ));
    let run = test.run_json(&[
        "-e",
        "a=1",
        "-e",
        "{\"b\": {\"k\": \"v\"}}",
        "-e",
        "@extra.yml",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn no_log_hides_secrets_everywhere() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  vars: {secret: hunter2-secret}
  tasks:
    - copy: {dest: /etc/secret, content: "{{ secret }}", mode: "0600"}
      no_log: true
      register: r
    - debug: var=r
    - debug: msg="{{ secret }}"
      no_log: true
"#,
    );
    // Ansible's words for a censored result.
    let censored = "the output has been hidden due to the fact that 'no_log: true' was specified for this result";
    for args in [&["--diff"][..], &["--diff", "-v"][..]] {
        std::fs::remove_file(test.root().join("etc/secret")).ok();
        let human = test.run(args);
        assert_eq!(
            human.code, 0,
            "{args:?}: {}\n{}",
            human.stdout, human.stderr
        );
        assert!(!human.stdout.contains("hunter2"), "{}", human.stdout);
        assert!(!human.stderr.contains("hunter2"), "{}", human.stderr);
        // The registered result is whole, as in ansible-core, and its strings are
        // masked (the no_log tasks themselves show only their status line, as in
        // ansible-core 2.19).
        assert!(
            human.stdout.contains("\"changed\": true") && human.stdout.contains("********"),
            "{args:?}: the registered result is not shown masked:\n{}",
            human.stdout
        );
        // The secret did reach the file: hidden in output, not lost.
        let written = std::fs::read_to_string(test.root().join("etc/secret")).unwrap();
        assert_eq!(written, "hunter2-secret");
    }
    std::fs::remove_file(test.root().join("etc/secret")).unwrap();
    let json = test.run_json(&["--diff"]);
    assert_eq!(json.code, 0, "{}\n{}", json.stdout, json.stderr);
    assert!(!json.stdout.contains("hunter2"), "{}", json.stdout);
    assert!(
        json.stdout.matches(censored).count() >= 3,
        "the censored marker is missing:\n{}",
        json.stdout
    );
}

/// `check_mode` and `diff` of a play or a block reach every task they cover (and the
/// tasks of an include inside), a task's own winning: they were accepted there and
/// did nothing, so a block under `check_mode: true` wrote for real.
#[test]
fn check_mode_and_diff_of_plays_and_blocks_reach_their_tasks() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    test.project_file(
        "inner.yml",
        "- copy: {dest: /etc/included, content: \"i\\n\"}\n",
    );
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  check_mode: true
  tasks:
    - copy: {dest: /etc/play, content: "p\n"}
- hosts: localhost
  gather_facts: false
  tasks:
    - check_mode: true
      diff: false
      block:
        - copy: {dest: /etc/block, content: "b\n"}
        - include_tasks: inner.yml
        - copy: {dest: /etc/own, content: "o\n"}
          check_mode: false
"#,
    );
    let run = test.run_json(&["--diff"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for predicted in ["etc/play", "etc/block", "etc/included"] {
        assert!(
            !test.root().join(predicted).exists(),
            "{predicted} was written"
        );
    }
    assert_eq!(
        std::fs::read_to_string(test.root().join("etc/own")).unwrap(),
        "o\n"
    );
    // The block's diff: false keeps its tasks' diffs out of the events; the play's
    // task (no diff: false around it) has its diff.
    let diff_of = |path: &str| {
        run.stdout
            .lines()
            .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
            .find(|event| event["result"]["dest"] == path)
            .map(|event| event["diff"].clone())
            .unwrap_or_else(|| panic!("no event for {path}"))
    };
    assert_eq!(diff_of("/etc/block"), serde_json::json!([]));
    assert_ne!(diff_of("/etc/play"), serde_json::json!([]));
}

#[test]
fn when_must_be_boolean() {
    let test = Test::new();
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars: {s: 'yes'}\n  tasks:\n    - debug: msg=x\n      when: s\n    - debug: msg=x\n      when: s | bool\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2);
    assert_eq!(run.statuses()[0].1, "failed");
}

#[test]
fn facts_are_read_from_the_target_root() {
    let test = Test::new();
    test.root_file("etc/os-release", "NAME=\"Arch Linux\"\nID=arch\n");
    test.root_file("etc/hostname", "box\n");
    test.playbook(
        "- hosts: localhost\n  tasks:\n    - assert:\n        that:\n          - ansible_distribution == 'Archlinux'\n          - ansible_facts.hostname == 'box'\n          - not ansible_check_mode\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.statuses()[0],
        ("Gathering Facts".to_string(), "ok".to_string())
    );
}

#[test]
fn loop_variables_outrank_facts() {
    let test = Test::new();
    test.playbook(
        &play("    - set_fact: {item: fact}\n    - name: each\n      assert: {that: \"item != 'fact'\"}\n      loop: [a, b]\n"),
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn block_and_task_root_act_inside_a_directory_of_the_root() {
    let test = Test::new();
    test.root_file("var/lib/machines/a/etc/keep", "");
    test.root_file("var/lib/machines/b/etc/keep", "");
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - name: each container
      root: "/var/lib/machines/{{ item }}"
      include_tasks: tasks/inside.yml
      loop: [a, b]
    - root: /var/lib/machines/a
      block:
        - copy: {dest: /etc/motd, content: "in a\n"}
        - assert: {that: "machinist_root.endswith('/var/lib/machines/a')"}
"#,
    );
    test.project_file(
        "tasks/inside.yml",
        "- copy: {dest: /etc/hostname, content: \"{{ item }}\\n\"}\n",
    );
    common::three_checks(&test);
    assert_eq!(test.read("/var/lib/machines/a/etc/hostname"), "a\n");
    assert_eq!(test.read("/var/lib/machines/b/etc/hostname"), "b\n");
    assert_eq!(test.read("/var/lib/machines/a/etc/motd"), "in a\n");
    assert!(!test.root().join("etc/hostname").exists());
}

#[test]
fn a_block_root_is_offline_for_units() {
    let test = Test::new();
    test.playbook(
        &play("    - root: /var/lib/machines/a\n      block:\n        - unit: {name: systemd-networkd, state: started}\n"),
    );
    let run = test.machinist(&["run", "site.yml"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("/var/lib/machines/a (root:)"),
        "{}",
        run.stderr
    );
}

/// `apply:` of an include loaded when it runs (include_tasks, include_role named by a
/// template): its keywords reach every included task (no_log censors, when is read for
/// each task, vars under the include's own, environment reaches commands), and its
/// tags select them under --tags while the include's own tags only select the include.
#[test]
fn include_apply_at_run_time_reaches_every_included_task() {
    let test = Test::new();
    common::busybox_root(&test);
    test.project_file(
        "inc.yml",
        "- name: secret\n  debug: msg=\"{{ word }} {{ other }}\"\n- name: colour\n  shell: echo $RA_COLOUR {{ word }} {{ other }} > /colour\n- name: stop here\n  set_fact: {stop: true}\n- name: after the stop\n  debug: msg=never\n",
    );
    test.project_file(
        "roles/named/tasks/main.yml",
        "- name: named task\n  debug: msg=\"{{ word }}\"\n",
    );
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  vars:
    which: named
  tasks:
    - name: include with apply
      include_tasks:
        file: inc.yml
        apply:
          no_log: true
          when: stop is not defined
          vars: {word: hunter2, other: from-apply}
          environment: {RA_COLOUR: green}
          tags: [picked]
      vars:
        other: from-include
      tags: [picked]
    - name: check
      assert:
        that:
          - stop
      tags: [picked]
    - name: a templated role with apply
      include_role:
        name: "{{ which }}"
        apply:
          vars: {word: role-word}
          tags: [elsewhere]
      tags: [picked]
"#,
    );
    let run = test.run_json(&["--tags", "picked"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    assert_eq!(test.read("colour"), "green hunter2 from-include\n");
    assert_eq!(
        statuses(&run),
        pairs(&[
            ("secret", "ok"),
            ("colour", "changed"),
            ("stop here", "ok"),
            ("after the stop", "skipped"),
            ("check", "ok"),
        ])
    );
    let run = test.run_json(&["--tags", "elsewhere,picked"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    let named = events
        .iter()
        .find(|e| e["task"] == "named : named task")
        .unwrap_or_else(|| panic!("{}", run.stdout));
    assert_eq!(named["result"]["msg"], "role-word", "{named}");
}
