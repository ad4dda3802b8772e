//! Roles through the real binary: layout, variable precedence, dependencies (order,
//! dedup, loops), handlers across roles, tasks_from, argument specs with located
//! errors, the search path, and role names in the output.

mod common;

use common::Test;

fn names(run: &common::Run) -> Vec<String> {
    run.statuses().into_iter().map(|(n, _)| n).collect()
}

fn role(test: &Test, name: &str, files: &[(&str, &str)]) {
    for (path, content) in files {
        test.project_file(&format!("roles/{name}/{path}"), content);
    }
}

#[test]
fn precedence_defaults_play_role_vars_task_vars_extra() {
    let test = Test::new();
    role(
        &test,
        "web",
        &[
            ("defaults/main.yml", "a: default\nb: default\nc: default\nd: default\ne: default\n"),
            ("vars/main.yml", "c: role_vars\nd: role_vars\ne: role_vars\n"),
            (
                "tasks/main.yml",
                "- name: check\n  vars: {d: task}\n  assert:\n    that:\n      - a == 'default'\n      - b == 'play'\n      - c == 'role_vars'\n      - d == 'task'\n      - e == 'extra'\n      - role_name == 'web'\n",
            ),
        ],
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars: {b: play, c: play}\n  roles: [web]\n",
    );
    let run = test.run_json(&["-e", "e=extra"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(names(&run), vec!["web : check"]);
}

#[test]
fn role_params_beat_facts_and_dependencies_run_first_once() {
    let test = Test::new();
    role(
        &test,
        "base",
        &[(
            "tasks/main.yml",
            "- name: base\n  debug: msg=\"{{ who | default('none') }}\"\n",
        )],
    );
    role(
        &test,
        "app",
        &[
            ("meta/main.yml", "dependencies:\n  - role: base\n"),
            (
                "tasks/main.yml",
                "- name: app\n  assert: {that: \"who == 'param'\"}\n",
            ),
        ],
    );
    role(
        &test,
        "db",
        &[
            ("meta/main.yml", "dependencies: [base]\n"),
            ("tasks/main.yml", "- name: db\n  debug: msg=db\n"),
        ],
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  pre_tasks:\n    - set_fact: {who: fact}\n  roles:\n    - {role: app, who: param}\n    - db\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        names(&run),
        vec!["set_fact", "base : base", "app : app", "db : db"]
    );
}

#[test]
fn allow_duplicates_runs_a_role_each_time() {
    let test = Test::new();
    role(
        &test,
        "twice",
        &[
            ("meta/main.yml", "allow_duplicates: true\n"),
            ("tasks/main.yml", "- name: hello\n  debug: msg=hi\n"),
        ],
    );
    role(
        &test,
        "once",
        &[("tasks/main.yml", "- name: hello\n  debug: msg=hi\n")],
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  roles: [twice, twice, once, once]\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(
        names(&run),
        vec!["twice : hello", "twice : hello", "once : hello"]
    );
}

#[test]
fn handlers_across_roles_by_name_and_qualified_name() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    role(
        &test,
        "net",
        &[
            (
                "tasks/main.yml",
                "- name: write\n  copy: {dest: /etc/net, content: x}\n  notify: restart networkd\n",
            ),
            (
                "handlers/main.yml",
                "- name: restart networkd\n  debug: msg=restarting\n",
            ),
        ],
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  roles: [net]\n  tasks:\n    - name: more\n      copy: {dest: /etc/more, content: y}\n      notify: \"net : restart networkd\"\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        names(&run),
        vec!["net : write", "more", "net : restart networkd"]
    );
}

#[test]
fn import_and_include_role_with_tasks_from_files_and_templates() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    role(
        &test,
        "conf",
        &[
            ("defaults/main.yml", "greeting: hello\n"),
            ("tasks/main.yml", "- name: main\n  debug: msg=main\n"),
            (
                "tasks/write.yml",
                "- name: write {{ item }}\n  template: {src: conf.j2, dest: \"/etc/{{ item }}.conf\"}\n- name: copy\n  copy: {src: static.txt, dest: /etc/static.txt}\n",
            ),
            ("templates/conf.j2", "{{ greeting }} {{ item }}\n"),
            ("files/static.txt", "static\n"),
        ],
    );
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - import_role: {name: conf}
    - include_role: {name: conf, tasks_from: write}
      loop: [a, b]
      vars: {greeting: hi}
"#,
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.read("/etc/a.conf"), "hi a\n");
    assert_eq!(test.read("/etc/b.conf"), "hi b\n");
    assert_eq!(test.read("/etc/static.txt"), "static\n");
    assert_eq!(
        names(&run),
        vec![
            "conf : main",
            "conf : write a",
            "conf : copy",
            "conf : write b",
            "conf : copy"
        ]
    );
    let human = test.run(&[]);
    assert!(
        human.stdout.contains("TASK [conf : main] "),
        "{}",
        human.stdout
    );
}

#[test]
fn argument_spec_errors_are_located_and_stop_the_run() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    role(
        &test,
        "box",
        &[
            (
                "meta/argument_specs.yml",
                "argument_specs:\n  main:\n    options:\n      name: {type: str, required: true}\n      bridge: {type: str, choices: [br0, br1], default: br0}\n      binds: {type: list, elements: str, default: []}\n      size: {type: int}\n",
            ),
            ("tasks/main.yml", "- copy: {dest: /etc/x, content: x}\n"),
        ],
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  roles:\n    - role: box\n      bridge: br9\n      size: many\n",
    );
    let before = test.tree();
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.tree(), before);
    assert!(
        run.stderr
            .contains("site.yml:4:13: error: role box: required argument 'name' is not set"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("site.yml:5:15: error: role box: argument 'bridge' is \"br9\", not one of: \"br0\", \"br1\""), "{}", run.stderr);
    assert!(
        run.stderr.contains(
            "site.yml:6:13: error: role box: argument 'size' must be of type int, found a string"
        ),
        "{}",
        run.stderr
    );

    let ok = test.run_json(&[
        "-e",
        "name=web",
        "-e",
        "{\"size\": 80, \"bridge\": \"br1\"}",
    ]);
    assert_eq!(ok.code, 0, "{}\n{}", ok.stdout, ok.stderr);
}

#[test]
fn search_path_order_and_missing_role_lists_places() {
    let test = Test::new();
    let shared = test.outside().join("shared");
    std::fs::create_dir_all(shared.join("r/tasks")).unwrap();
    std::fs::write(
        shared.join("r/tasks/main.yml"),
        "- name: shared\n  debug: msg=x\n",
    )
    .unwrap();
    test.playbook("- hosts: localhost\n  gather_facts: false\n  roles: [r]\n");
    let missing = test.run(&[]);
    assert_eq!(missing.code, 4);
    assert!(
        missing.stderr.contains("role 'r' not found; looked in: "),
        "{}",
        missing.stderr
    );
    assert!(
        missing.stderr.contains("/usr/share/machinist/roles/r"),
        "{}",
        missing.stderr
    );

    let run = test.machinist_env(
        &["run", "site.yml", "--format", "json"],
        &[("MACHINIST_ROLES_PATH", shared.to_str().unwrap())],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(names(&run), vec!["r : shared"]);

    role(
        &test,
        "r",
        &[("tasks/main.yml", "- name: local\n  debug: msg=x\n")],
    );
    let run = test.machinist_env(
        &["run", "site.yml", "--format", "json"],
        &[("MACHINIST_ROLES_PATH", shared.to_str().unwrap())],
    );
    assert_eq!(
        names(&run),
        vec!["r : local"],
        "roles/ beside the playbook comes first"
    );
}

#[test]
fn a_role_that_depends_on_itself_is_bad_input() {
    let test = Test::new();
    role(
        &test,
        "a",
        &[
            ("meta/main.yml", "dependencies: [b]\n"),
            ("tasks/main.yml", "[]\n"),
        ],
    );
    role(
        &test,
        "b",
        &[
            ("meta/main.yml", "dependencies: [a]\n"),
            ("tasks/main.yml", "[]\n"),
        ],
    );
    test.playbook("- hosts: localhost\n  roles: [a]\n");
    let run = test.run(&[]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr.contains("role dependency loop: a -> b -> a"),
        "{}",
        run.stderr
    );
}

/// machinist loads a role's handlers once per play, at its first use: a later use
/// naming another handlers file is refused with both places, never ignored.
#[test]
fn a_later_use_with_other_handlers_from_is_refused_naming_both_uses() {
    let test = Test::new();
    role(
        &test,
        "svc",
        &[
            ("tasks/main.yml", "- name: hello\n  debug: msg=hi\n"),
            ("handlers/main.yml", "- name: restart\n  debug: msg=main\n"),
            (
                "handlers/other.yml",
                "- name: restart\n  debug: msg=other\n",
            ),
        ],
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  roles: [svc]\n  tasks:\n    - include_role:\n        name: svc\n        handlers_from: other\n",
    );
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains(
            "role 'svc' is used again here with handlers/other.yml, but its first use in this play"
        ),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("site.yml:3:"), "{}", run.stderr);
    assert!(
        run.stderr.contains("loaded handlers/main.yml"),
        "{}",
        run.stderr
    );

    // The same handlers file at every use (or a later play's own first use) is fine.
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  roles: [{role: svc, handlers_from: other}]\n  tasks:\n    - import_role:\n        name: svc\n        handlers_from: other\n- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_role: {name: svc}\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

/// An include_role's `apply:` puts its keywords on a block around each of the role's
/// tasks: `no_log` censors them, `become` (root, as the run is) and `when` reach them;
/// a keyword a block does not pass down, and `apply` on an import, are refused.
#[test]
fn include_role_apply_reaches_the_roles_tasks_and_refuses_other_keys() {
    let test = Test::new();
    role(
        &test,
        "quiet",
        &[(
            "tasks/main.yml",
            "- name: secret\n  debug: msg=\"the secret is {{ word }}\"\n- name: gated\n  debug: msg=gated\n  when: true\n",
        )],
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_role:\n        name: quiet\n        apply:\n          no_log: true\n          become: true\n          vars: {word: hunter2}\n          when: word is defined\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(!run.stdout.contains("hunter2"), "{}", run.stdout);
    assert_eq!(names(&run), vec!["quiet : secret", "quiet : gated"]);

    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - include_role:\n        name: quiet\n        apply:\n          loop: [1, 2]\n    - import_role:\n        name: quiet\n        apply: {tags: [x]}\n    - include_tasks:\n        file: none.yml\n        apply: [tags]\n- hosts: localhost\n  roles:\n    - {role: quiet, apply: {tags: [y]}}\n",
    );
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("'apply: loop' is not supported: apply takes the keywords a block passes down to its tasks (name, when,"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("'apply' is for include_tasks and include_role; on import_role"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("'apply' is for include_tasks and include_role; on a role in `roles:`"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("'apply' is a mapping of keywords"),
        "{}",
        run.stderr
    );
}
