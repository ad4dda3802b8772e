//! set_stats (ansible.builtin.set_stats): statistics kept for the run, per host or for
//! the run, set or aggregated, and printed after the recap as ansible-core's default
//! callback prints its `CUSTOM STATS:` block when `show_custom_stats` is on (compared
//! byte for byte with the pinned ansible-playbook); `--format json` carries them in the
//! recap's `custom_stats`.

mod common;

use common::Test;
use std::process::Command;

const PLAYBOOK: &str = r#"- hosts: web
  gather_facts: false
  tasks:
    - set_stats:
        data:
          packages: 3
          names: ["{{ inventory_hostname }}"]
          cfg: {x: 1, "b": "é"}
    - set_stats:
        data: {per: "{{ inventory_hostname }}", n: 1}
        per_host: yes
    - set_stats:
        data: {once: 1}
        per_host: true
      run_once: true
    - set_stats:
        data: {"{{ 'templated' }}": [1], n: 1.5}
        per_host: true
        aggregate: false
      when: inventory_hostname == 'w2'
      register: r
    - debug: var=r
      when: r is not skipped
"#;

fn project(test: &Test) {
    test.playbook(PLAYBOOK);
    test.project_file(
        "hosts.ini",
        "[web]\nw1 ansible_connection=local\nw2 ansible_connection=local\n",
    );
}

/// stdout of the pinned ansible-playbook on the project, with `env`.
fn ansible(test: &Test, env: &[(&str, &str)]) -> String {
    let playbook = common::ansible_venv::tool("ansible-playbook");
    let output = Command::new(playbook)
        .args(["-i", "hosts.ini", "-f", "1", "site.yml"])
        .current_dir(test.project())
        .env("ANSIBLE_NOCOLOR", "1")
        .env("ANSIBLE_LOCALHOST_WARNING", "0")
        .env("ANSIBLE_HOME", test.outside().join("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", test.outside().join("ansible-tmp"))
        .env_remove("ANSIBLE_CONFIG")
        .envs(env.iter().copied())
        .output()
        .expect("ansible-playbook");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stdout)
    );
    test.filter(&output.stdout)
}

#[test]
fn custom_stats_block_is_ansibles() {
    let test = Test::new();
    project(&test);
    let env = [("ANSIBLE_SHOW_CUSTOM_STATS", "true")];
    let run = test.machinist_env(&["run", "-i", "hosts.ini", "-f", "1", "site.yml"], &env);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("\tRUN: { \"cfg\": {  \"b\": \"é\",  \"x\": 1 }, \"names\": [  \"w1\",  \"w2\" ], \"packages\": 6}\n"),
        "{}",
        run.stdout
    );
    assert_eq!(run.stdout, ansible(&test, &env));

    // Off (the default): no block, as Ansible.
    let run = test.machinist(&["run", "-i", "hosts.ini", "site.yml"]);
    assert!(!run.stdout.contains("CUSTOM STATS"), "{}", run.stdout);
}

#[test]
fn ansible_cfg_turns_the_block_on_and_the_environment_wins() {
    let test = Test::new();
    project(&test);
    test.project_file("ansible.cfg", "[defaults]\nshow_custom_stats = True\n");
    let run = test.machinist(&["run", "-i", "hosts.ini", "site.yml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("\nCUSTOM STATS: ***"), "{}", run.stdout);
    assert!(
        run.stdout
            .contains("\tw1: { \"n\": 1, \"once\": 1, \"per\": \"w1\"}\n"),
        "{}",
        run.stdout
    );
    assert!(!run.stderr.contains("show_custom_stats"), "{}", run.stderr);
    let off = [("ANSIBLE_SHOW_CUSTOM_STATS", "no")];
    let run = test.machinist_env(&["run", "-i", "hosts.ini", "site.yml"], &off);
    assert!(!run.stdout.contains("CUSTOM STATS"), "{}", run.stdout);
}

#[test]
fn json_recap_carries_the_stats() {
    let test = Test::new();
    project(&test);
    let run = test.machinist(&["run", "--format", "json", "-i", "hosts.ini", "site.yml"]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let recap = run
        .events()
        .into_iter()
        .find(|event| event["event"] == "recap")
        .expect("a recap");
    assert_eq!(recap["custom_stats"]["_run"]["packages"], 6);
    assert_eq!(
        recap["custom_stats"]["w2"],
        serde_json::json!({"n": 1.5, "once": 1, "per": "w2", "templated": [1]})
    );
}

#[test]
fn bad_data_fails_as_ansible() {
    let test = Test::new();
    test.playbook(&common::play(
        "    - set_stats: {data: \"{{ [1] }}\"}\n      ignore_errors: true\n    - set_stats: {data: {\"bad-name\": 1}}\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("The 'data' option needs to be a dictionary/hash"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("Invalid variable name 'bad-name'"),
        "{}",
        run.stdout
    );
}
