//! Plays over `ansible_connection: machine` (issue 17): the real binary against the
//! booted debootstrapped container (tests/common/container.rs), named by its leader
//! (`machinist_machine_pid`) in an inventory. A unit started and restarted live
//! inside (`systemctl is-active` inside says so), a networkd file templated in and
//! networkd restarted by its handler, facts read back; the three checks over the
//! connection; `--check --diff` equal, task by task, to the same playbook's on the
//! container's tree as a local root; the seed's second play (playbooks/
//! nspawn-container.yml) checking the running container; a container that does not
//! run is unreachable (exit 3).

mod common;

use common::container::{self, Turn};
use common::{Run, Test};
use serde_json::Value;
use std::path::Path;

fn inventory(test: &Test, turn: &Turn) {
    test.project_file(
        "inventory.ini",
        &format!(
            "box ansible_connection=machine machinist_machine_pid={}\n",
            turn.leader()
        ),
    );
}

fn run(test: &Test, args: &[&str]) -> Run {
    let mut full = vec!["run", "site.yml", "-i", "inventory.ini", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist(&full)
}

fn event<'a>(events: &'a [Value], host: &str, task: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == "task" && e["host"] == host && e["task"] == task)
        .unwrap_or_else(|| panic!("no event of {task} on {host}"))
}

fn recap(run: &Run, host: &str) -> Value {
    run.events()
        .into_iter()
        .find(|e| e["event"] == "recap")
        .map(|e| e["hosts"][host].clone())
        .unwrap_or_else(|| panic!("no recap:\n{}\n{}", run.stdout, run.stderr))
}

#[test]
fn units_networkd_and_facts_live_inside_a_running_container() {
    let turn = container::turn();
    let test = Test::new();
    inventory(&test, &turn);
    test.project_file(
        "templates/conn.network.j2",
        "[Match]\nName={{ link }}\n\n[Network]\nDHCP=no\n",
    );
    test.playbook(
        r#"- hosts: box
  gather_facts: true
  vars:
    link: conn-none
  tasks:
    - name: A unit started
      unit:
        name: conn-sleeper.service
        content: "[Service]\nExecStart=/bin/sleep infinity\n"
        state: started
        daemon_reload: true
    - name: Its state, asked inside
      command: systemctl is-active conn-sleeper
      register: active
      changed_when: false
    - name: Its main process
      command: systemctl show -p MainPID --value conn-sleeper
      register: before
      changed_when: false
    - name: Restarted
      unit: {name: conn-sleeper, state: restarted}
    - name: Its main process again
      command: systemctl show -p MainPID --value conn-sleeper
      register: after
      changed_when: false
    - name: A networkd file
      template: {src: conn.network.j2, dest: /etc/systemd/network/90-conn.network}
      notify: restart networkd
    - name: What the controller learned
      debug:
        msg: "{{ active.stdout }} {{ before.stdout != after.stdout }} {{ ansible_facts.distribution }} {{ ansible_facts.virtualization_type }} {{ ansible_facts.service_mgr }}"
  handlers:
    - name: restart networkd
      unit: {name: systemd-networkd, state: restarted}
"#,
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    assert_eq!(event(&events, "box", "A unit started")["status"], "changed");
    assert_eq!(event(&events, "box", "Restarted")["status"], "changed");
    assert_eq!(
        event(&events, "box", "restart networkd")["status"],
        "changed"
    );
    assert_eq!(
        event(&events, "box", "What the controller learned")["result"]["msg"],
        "active True Debian systemd-nspawn systemd"
    );
    let facts = &event(&events, "box", "Gathering Facts")["result"]["ansible_facts"];
    assert_eq!(
        facts["machine_id"],
        turn.says(&["cat", "/etc/machine-id"]).as_str()
    );
    assert_eq!(
        turn.says(&["systemctl", "is-active", "conn-sleeper"]),
        "active"
    );
    assert_eq!(
        turn.says(&["systemctl", "is-active", "systemd-networkd"]),
        "active"
    );
    assert_eq!(
        turn.says(&["cat", "/etc/systemd/network/90-conn.network"]),
        "[Match]\nName=conn-none\n\n[Network]\nDHCP=no"
    );
    let _ = turn.exec(&["systemctl", "stop", "conn-sleeper"]);
    let _ = turn.exec(&["rm", "-f", "/etc/systemd/network/90-conn.network"]);
}

const FILES: &str = r#"- hosts: all
  gather_facts: false
  tasks:
    - name: A folder
      file: {path: /srv/conn-files, state: directory, mode: "0755"}
    - name: A file
      copy: {dest: /srv/conn-files/motd, content: "hello\n"}
    - name: A networkd file
      template: {src: conn.network.j2, dest: /srv/conn-files/90-conn.network}
    - name: A line
      lineinfile: {path: /srv/conn-files/env, line: "debug = false", create: true}
"#;

#[test]
fn the_three_checks_through_machine() {
    let turn = container::turn();
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-files"]);
    let test = Test::new();
    inventory(&test, &turn);
    test.project_file("templates/conn.network.j2", "[Match]\nName=x\n")
        .playbook(FILES);
    let tree = || common::snapshot(&turn.root().join("srv"));
    let before = tree();
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(tree(), before, "--check changed the container");
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(recap(&first, "box")["changed"], 4);
    assert_eq!(
        check.statuses(),
        first.statuses(),
        "--check did not predict the run"
    );
    let after = tree();
    let second = run(&test, &[]);
    assert_eq!(second.code, 0);
    assert_eq!(recap(&second, "box")["changed"], 0, "{}", second.stdout);
    assert_eq!(tree(), after);
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-files"]);
}

#[test]
fn check_mode_and_diffs_through_machine_equal_the_containers_tree_as_a_local_root() {
    let turn = container::turn();
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-files"]);
    let test = Test::new();
    test.project_file(
        "inventory.ini",
        &format!(
            "box ansible_connection=machine machinist_machine_pid={}\ntree ansible_connection=local machinist_root={}\n",
            turn.leader(),
            turn.root().display()
        ),
    );
    test.project_file("templates/conn.network.j2", "[Match]\nName=x\n")
        .playbook(FILES);
    let check = run(&test, &["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    let of = |host: &str| -> Vec<(Value, Value, Value)> {
        check
            .events()
            .into_iter()
            .filter(|e| e["event"] == "task" && e["host"] == host)
            .map(|e| (e["task"].clone(), e["status"].clone(), e["diff"].clone()))
            .collect()
    };
    assert_eq!(of("box").len(), 4);
    assert_eq!(of("box"), of("tree"));
    assert!(!turn.root().join("srv/conn-files").exists());
}

#[test]
fn the_seeds_second_play_checks_the_running_container() {
    let turn = container::turn();
    let test = Test::new();
    inventory(&test, &turn);
    let playbook = Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks/nspawn-container.yml");
    let inventory = test.project().join("inventory.ini");
    // The test container has a private network: its loopback is the link to check.
    let ran = test.machinist(&[
        "run",
        playbook.to_str().unwrap(),
        "-i",
        inventory.to_str().unwrap(),
        "--limit",
        "box",
        "-e",
        "container_interface=lo",
        "--format",
        "json",
    ]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let statuses: Vec<(String, String)> = ran.statuses().into_iter().collect();
    assert_eq!(
        statuses,
        [
            (
                "Its system has finished starting".to_string(),
                "ok".to_string()
            ),
            ("networkd gave lo an address".to_string(), "ok".to_string()),
            ("resolved answers".to_string(), "ok".to_string()),
        ],
        "{}",
        ran.stdout
    );
}

#[test]
fn a_container_that_does_not_run_is_unreachable() {
    let test = Test::new();
    // A pid no process has (beyond the default pid_max).
    test.project_file(
        "inventory.ini",
        "gone ansible_connection=machine machinist_machine_pid=4194305\n",
    );
    test.playbook("- hosts: all\n  tasks:\n    - debug: {msg: never}\n");
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let facts = event(&events, "gone", "Gathering Facts");
    assert_eq!(facts["status"], "unreachable");
    assert!(
        facts["msg"]
            .as_str()
            .unwrap()
            .contains("machine gone is not running"),
        "{facts}"
    );
    assert_eq!(recap(&ran, "gone")["unreachable"], 1);
}

/// The cost of a no-change file task in a whole run through `machine`, against the
/// same tree as a local root (the difference between runs of 300 and 30 tasks),
/// printed: `cargo test --test connections_machine per_task -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn per_task_cost_of_a_play_through_machine_and_on_its_tree() {
    let turn = container::turn();
    let play = |tasks: u32| {
        let mut play = String::from("- hosts: all\n  gather_facts: false\n  tasks:\n");
        for n in 0..tasks {
            play.push_str(&format!(
                "    - copy: {{dest: /srv/conn-bench/f{n}, content: \"{n}\\n\"}}\n"
            ));
        }
        play
    };
    for (name, line) in [
        (
            "box",
            format!(
                "box ansible_connection=machine machinist_machine_pid={}",
                turn.leader()
            ),
        ),
        (
            "tree",
            format!(
                "tree ansible_connection=local machinist_root={}",
                turn.root().display()
            ),
        ),
    ] {
        let rerun = |tasks: u32| {
            let _ = turn.exec(&["mkdir", "-p", "/srv/conn-bench"]);
            let test = Test::new();
            test.playbook(&play(tasks));
            test.project_file("inventory.ini", &format!("{line}\n"));
            assert_eq!(run(&test, &[]).code, 0);
            let started = std::time::Instant::now();
            let again = run(&test, &[]);
            let took = started.elapsed();
            assert_eq!(recap(&again, name)["changed"], 0);
            took
        };
        let (few, many) = (rerun(30), rerun(300));
        eprintln!(
            "{name}: 30 tasks {few:?}, 300 tasks {many:?}: {:?} per no-change copy task",
            many.saturating_sub(few) / 270
        );
    }
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-bench"]);
}

#[test]
fn the_agents_chroot_warning_reaches_the_controller() {
    let turn = container::turn();
    let _ = turn.exec(&["mkdir", "-p", "/srv/conn-bare"]);
    let test = Test::new();
    // A root inside the container that is no OS tree: its commands run with chroot.
    test.project_file(
        "inventory.ini",
        &format!(
            "box ansible_connection=machine machinist_machine_pid={} machinist_root=/srv/conn-bare\n",
            turn.leader()
        ),
    );
    test.playbook(
        "- hosts: box\n  gather_facts: false\n  tasks:\n    - command: /bin/true\n      ignore_errors: true\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let warned = ran.events().into_iter().any(|e| {
        e["event"] == "warning" && e["msg"].as_str().unwrap_or("").contains("run with chroot")
    });
    assert!(warned, "{}", ran.stdout);
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-bare"]);
}

/// A task's `become_user` in a running container: a second agent as that user of the
/// container (setpriv inside), beside the root one.
const BECOME_PLAY: &str = r#"- hosts: box
  gather_facts: false
  vars:
    box_user: machinist-box-t
  tasks:
    - name: As root
      command: id -un
      register: root_name
      changed_when: false
      check_mode: false
    - name: As the user
      command: id -un
      register: user_name
      changed_when: false
      check_mode: false
      become: true
      become_user: "{{ box_user }}"
    - name: A file as the user
      copy: {dest: /home/machinist-box-t/by-play, content: "x\n"}
      become: true
      become_user: "{{ box_user }}"
    - name: Who
      debug: {msg: "{{ root_name.stdout }} {{ user_name.stdout }}"}
"#;

#[test]
fn become_user_runs_a_second_agent_as_that_user_inside() {
    use std::os::unix::fs::MetadataExt;
    let turn = container::turn();
    if turn.exec(&["id", "machinist-box-t"]).status.code() != Some(0) {
        let made = turn.exec(&["useradd", "-m", "-s", "/bin/sh", "machinist-box-t"]);
        assert!(made.status.success(), "{made:?}");
    }
    let _ = turn.exec(&["rm", "-f", "/home/machinist-box-t/by-play"]);
    let test = Test::new();
    inventory(&test, &turn);
    test.playbook(BECOME_PLAY);
    let file = turn.root().join("home/machinist-box-t/by-play");
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(!file.exists(), "--check wrote the file");
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let events = first.events();
    assert_eq!(
        event(&events, "box", "Who")["result"]["msg"],
        "root machinist-box-t"
    );
    assert_eq!(
        event(&events, "box", "A file as the user")["status"],
        "changed"
    );
    assert_eq!(
        check.statuses(),
        first.statuses(),
        "--check did not predict the run"
    );
    let uid: u32 = turn
        .says(&["id", "-u", "machinist-box-t"])
        .trim()
        .parse()
        .unwrap();
    assert_eq!(
        std::fs::metadata(&file).unwrap().uid(),
        uid,
        "written as the user"
    );
    let second = run(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(recap(&second, "box")["changed"], 0, "{}", second.stdout);
    let _ = turn.exec(&["rm", "-f", "/home/machinist-box-t/by-play"]);
}

/// The directory-copy project: `src: conf/` (contents) and `src: conf` (the folder),
/// a link inside the tree (followed, as Ansible's local_follow) and an executable.
fn directory_copy_project(test: &Test) {
    test.project_file("files/conf/a.conf", "a = 1\n")
        .project_file("files/conf/sub/b.conf", "b = 2\n")
        .project_file("files/conf/run.sh", "#!/bin/sh\necho hi\n");
    use std::os::unix::fs::PermissionsExt;
    let conf = test.project().join("files/conf");
    std::fs::set_permissions(conf.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("sub/b.conf", conf.join("b-link.conf")).unwrap();
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Contents\n      copy: {src: conf/, dest: /srv/conn-tree/contents, mode: \"0640\", directory_mode: \"0750\"}\n    - name: Folder\n      copy: {src: conf, dest: /srv/conn-tree/whole}\n",
    );
}

#[test]
fn a_copy_of_a_directory_through_machine_predicts_and_equals_a_local_roots() {
    let turn = container::turn();
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-tree"]);
    let test = Test::new();
    directory_copy_project(&test);
    let line = |name: &str| match name {
        "box" => format!(
            "box ansible_connection=machine machinist_machine_pid={}\n",
            turn.leader()
        ),
        _ => format!(
            "tree ansible_connection=local machinist_root={}\n",
            turn.root().display()
        ),
    };
    // --check --diff through the agent equals the same on the container's tree.
    test.project_file("inventory.ini", &format!("{}{}", line("box"), line("tree")));
    let check = run(&test, &["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    let of = |run: &Run, host: &str| -> Vec<(Value, Value, Value)> {
        run.events()
            .into_iter()
            .filter(|e| e["event"] == "task" && e["host"] == host)
            .map(|e| (e["task"].clone(), e["status"].clone(), e["diff"].clone()))
            .collect()
    };
    assert_eq!(of(&check, "box").len(), 2);
    assert_eq!(of(&check, "box"), of(&check, "tree"));
    assert!(!turn.root().join("srv/conn-tree").exists());
    // The real run through the agent, then the same on a local copy of the tree.
    test.project_file("inventory.ini", &line("box"));
    let first = run(&test, &["--diff"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(of(&first, "box"), of(&check, "box"));
    let remote = common::snapshot(&turn.root().join("srv/conn-tree"));
    let local = tempfile::tempdir().unwrap();
    test.project_file(
        "inventory.ini",
        &format!(
            "tree ansible_connection=local machinist_root={}\n",
            local.path().display()
        ),
    );
    let here = run(&test, &[]);
    assert_eq!(here.code, 0, "{}\n{}", here.stdout, here.stderr);
    assert_eq!(
        remote,
        common::snapshot(&local.path().join("srv/conn-tree"))
    );
    // The second run through the agent changes nothing.
    test.project_file("inventory.ini", &line("box"));
    let second = run(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(recap(&second, "box")["changed"], 0, "{}", second.stdout);
    assert_eq!(common::snapshot(&turn.root().join("srv/conn-tree")), remote);
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-tree"]);
}

#[test]
fn a_plugin_module_runs_inside_the_container() {
    let turn = container::turn();
    let _ = turn.exec(&["rm", "-f", "/srv/conn-locale.conf"]);
    let test = Test::new();
    inventory(&test, &turn);
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugins/library");
    for name in ["kv_line", "kv_line.yml"] {
        let text = std::fs::read_to_string(examples.join(name)).unwrap();
        test.project_file(&format!("library/{name}"), &text);
    }
    test.project_file(
        "library/machine_id",
        "#!/bin/sh\nprintf '{\"changed\": false, \"msg\": \"%s\"}\\n' \"$(cat /etc/machine-id)\"\n",
    )
    .project_file(
        "library/no_interpreter",
        "#!/opt/no-such/python9\nprint('{}')\n",
    );
    use std::os::unix::fs::PermissionsExt;
    for name in ["kv_line", "machine_id", "no_interpreter"] {
        let path = test.project().join("library").join(name);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    test.playbook(
        "- hosts: box\n  gather_facts: false\n  tasks:\n    - name: Which\n      machine_id: {}\n    - name: Locale\n      kv_line: {path: /srv/conn-locale.conf, key: LANG, value: C.UTF-8}\n    - name: Missing\n      no_interpreter: {}\n      ignore_errors: true\n",
    );
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(!turn.root().join("srv/conn-locale.conf").exists());
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let events = first.events();
    assert_eq!(
        event(&events, "box", "Which")["result"]["msg"],
        turn.says(&["cat", "/etc/machine-id"]).as_str()
    );
    assert_eq!(event(&events, "box", "Locale")["status"], "changed");
    assert_eq!(event(&check.events(), "box", "Locale")["status"], "changed");
    assert_eq!(turn.says(&["cat", "/srv/conn-locale.conf"]), "LANG=C.UTF-8");
    let missing = event(&events, "box", "Missing");
    assert_eq!(missing["status"], "failed");
    let msg = missing["result"]["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("/opt/no-such/python9"), "{missing}");
    let second = run(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(event(&second.events(), "box", "Locale")["status"], "ok");
    let _ = turn.exec(&[
        "rm",
        "-rf",
        "/srv/conn-locale.conf",
        "/root/.cache/machinist",
    ]);
}

/// Issue 17: in a running container too, a host's check-mode predictions are one
/// across its agents: root's predicted folder is there for the user's copy, and the
/// user's predicted file for root's stat.
const SHARED_PREDICTIONS_PLAY: &str = r#"- hosts: box
  gather_facts: false
  vars:
    box_user: machinist-box-t
  tasks:
    - name: Root makes the folder
      file: {path: /srv/conn-shared, state: directory, owner: "{{ box_user }}", mode: "0755"}
    - name: The user writes in it
      copy: {dest: /srv/conn-shared/theirs, content: "x\n", mode: "0644"}
      become: true
      become_user: "{{ box_user }}"
    - name: Root looks
      stat: {path: /srv/conn-shared/theirs}
      register: theirs
    - name: Root sees the user's file
      assert:
        that: theirs.stat.exists and theirs.stat.mode == '0644'
"#;

#[test]
fn check_mode_predictions_cross_the_agents_of_a_container() {
    let turn = container::turn();
    if turn.exec(&["id", "machinist-box-t"]).status.code() != Some(0) {
        let made = turn.exec(&["useradd", "-m", "-s", "/bin/sh", "machinist-box-t"]);
        assert!(made.status.success(), "{made:?}");
    }
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-shared"]);
    let test = Test::new();
    inventory(&test, &turn);
    test.playbook(SHARED_PREDICTIONS_PLAY);
    let statuses = |run: &Run| -> Vec<String> {
        run.statuses()
            .into_iter()
            .map(|(_, status)| status)
            .collect()
    };
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(
        statuses(&check),
        ["changed", "changed", "ok", "ok"],
        "{}",
        check.stdout
    );
    assert!(
        !turn.root().join("srv/conn-shared").exists(),
        "--check made it"
    );
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        check.statuses(),
        first.statuses(),
        "--check predicts the run"
    );
    let second = run(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(recap(&second, "box")["changed"], 0, "{}", second.stdout);
    let _ = turn.exec(&["rm", "-rf", "/srv/conn-shared"]);
}
