//! Plays over `ansible_connection: ssh` (issue 17), the real binary against real
//! OpenSSH servers on loopback (tests/common/sshd.rs), each host's tasks acting in a
//! root of its own in the test user's home (`machinist_root` on the ssh host): several
//! servers as several hosts of one inventory, one stopped and one with a host key
//! that is not the known one (both unreachable, the play goes on for the others, exit
//! 3), one killed while its task runs (that task unreachable, the others go on),
//! become through sudo with its password (to root, and to another user; by the
//! inventory and by the become keywords, task by task), the three checks over the connection, and
//! `--check --diff` equal to the same playbook's on a local root, task by task.

mod common;

use common::ssh_hosts::{inventory, ssh_vars, RemoteRoot};
use common::sshd::{self, Sshd};
use common::{Run, Test};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn run(test: &Test, args: &[&str]) -> Run {
    let mut full = vec!["run", "site.yml", "-i", "inventory.yml", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist(&full)
}

/// (host, task, status) of every task event.
fn results(run: &Run) -> Vec<(String, String, String)> {
    run.events()
        .into_iter()
        .filter(|e| e["event"] == "task")
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
            (text("host"), text("task"), text("status"))
        })
        .collect()
}

fn recap(run: &Run, host: &str) -> Value {
    run.events()
        .into_iter()
        .find(|e| e["event"] == "recap")
        .map(|e| e["hosts"][host].clone())
        .unwrap_or_else(|| panic!("no recap:\n{}\n{}", run.stdout, run.stderr))
}

fn event_of<'a>(events: &'a [Value], host: &str, task: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == "task" && e["host"] == host && e["task"] == task)
        .unwrap_or_else(|| panic!("no event of {task} on {host}"))
}

const PLAY: &str = r#"- hosts: all
  gather_facts: true
  vars:
    greeting: hello
  tasks:
    - name: A folder
      file: {path: /srv/app, state: directory, mode: "0750"}
    - name: A file
      copy: {dest: /srv/app/motd, content: "{{ greeting }} from {{ inventory_hostname }}\n"}
    - name: A template
      template: {src: app.conf.j2, dest: /srv/app/app.conf}
    - name: A line in it
      lineinfile: {path: /srv/app/env, line: "debug = false", create: true}
    - name: What the target says of the file
      stat: {path: /srv/app/motd}
      register: motd
    - name: The controller says what the target said
      debug: {msg: "{{ motd.stat.exists }} on {{ ansible_facts.architecture | default('?') }}"}
"#;

#[test]
fn a_play_over_several_ssh_hosts_leaves_the_unreachable_ones_and_goes_on() {
    let test = Test::new();
    test.playbook(PLAY)
        .project_file("templates/app.conf.j2", "name = {{ inventory_hostname }}\n");
    let web1 = Sshd::start();
    let web2 = Sshd::start();
    let mut stopped = Sshd::start();
    let wrong_key = Sshd::start();
    stopped.kill();
    wrong_key.forget_host_key_for_another();
    let roots: Vec<RemoteRoot> = ["web1", "web2", "down", "badkey"]
        .iter()
        .map(|name| RemoteRoot::new(name))
        .collect();
    inventory(
        &test,
        &[
            ("web1", ssh_vars(&web1, roots[0].path())),
            ("web2", ssh_vars(&web2, roots[1].path())),
            ("down", ssh_vars(&stopped, roots[2].path())),
            ("badkey", ssh_vars(&wrong_key, roots[3].path())),
        ],
    );

    let first = run(&test, &[]);
    assert_eq!(first.code, 3, "{}\n{}", first.stdout, first.stderr);
    let events = first.events();
    for host in ["down", "badkey"] {
        let facts = event_of(&events, host, "Gathering Facts");
        assert_eq!(facts["status"], "unreachable", "{facts}");
        assert!(
            !results(&first)
                .iter()
                .any(|(h, task, _)| h == host && task == "A file"),
            "an unreachable host left the play"
        );
        assert_eq!(recap(&first, host)["unreachable"], 1);
    }
    let refused = event_of(&events, "badkey", "Gathering Facts")["msg"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        refused.contains(&wrong_key.host_fingerprint()),
        "the message names the key offered: {refused}"
    );
    for (host, root) in [("web1", &roots[0]), ("web2", &roots[1])] {
        let statuses: Vec<String> = results(&first)
            .into_iter()
            .filter(|(h, _, _)| h == host)
            .map(|(_, _, status)| status)
            .collect();
        assert_eq!(
            statuses,
            ["ok", "changed", "changed", "changed", "changed", "ok", "ok"],
            "{host}"
        );
        let motd = std::fs::read_to_string(root.path().join("srv/app/motd")).unwrap();
        assert_eq!(motd, format!("hello from {host}\n"));
        let conf = std::fs::read_to_string(root.path().join("srv/app/app.conf")).unwrap();
        assert_eq!(conf, format!("name = {host}\n"));
        let said = event_of(&events, host, "The controller says what the target said");
        assert_eq!(
            said["result"]["msg"],
            format!("True on {}", std::env::consts::ARCH)
        );
        assert_eq!(recap(&first, host)["unreachable"], 0);
    }
    // The human output says it as Ansible does.
    let human = test.machinist(&["run", "site.yml", "-i", "inventory.yml", "-l", "down"]);
    assert_eq!(human.code, 3);
    assert!(
        human
            .stdout
            .contains("fatal: [down]: UNREACHABLE! => {\"changed\": false, \"msg\": "),
        "{}",
        human.stdout
    );

    let second = run(&test, &["-l", "web1:web2"]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert!(
        results(&second).iter().all(|(_, _, status)| status == "ok"),
        "{:?}",
        results(&second)
    );
}

#[test]
fn check_mode_and_diffs_over_ssh_equal_a_local_roots() {
    let test = Test::new();
    // The same text on both hosts: their diffs can be compared whole.
    test.playbook(&PLAY.replace("{{ inventory_hostname }}", "{{ greeting }}"))
        .project_file("templates/app.conf.j2", "name = {{ greeting }}\n");
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("check");
    let local = tempfile::tempdir().unwrap();
    let compared = |run: &Run, host: &str| -> Vec<(String, String, Value)> {
        run.events()
            .into_iter()
            .filter(|e| e["event"] == "task" && e["host"] == host)
            .filter(|e| e["task"] != "Gathering Facts")
            .filter(|e| e["module"] != "debug")
            .map(|e| {
                let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
                (text("task"), text("status"), e["diff"].clone())
            })
            .collect()
    };
    inventory(
        &test,
        &[
            ("web", ssh_vars(&sshd, remote.path())),
            (
                "here",
                json!({"ansible_connection": "local", "machinist_root": local.path()}),
            ),
        ],
    );
    let check = run(&test, &["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(compared(&check, "web"), compared(&check, "here"));
    assert!(compared(&check, "web")
        .iter()
        .any(|(_, status, _)| status == "changed"));
    assert_eq!(
        std::fs::read_dir(remote.path()).unwrap().count(),
        0,
        "--check wrote on the ssh host"
    );
    // The real run does what --check predicted, on both.
    let first = run(&test, &["--diff"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(compared(&first, "web"), compared(&check, "web"));
    assert_eq!(compared(&first, "web"), compared(&first, "here"));
}

#[test]
fn the_three_checks_over_ssh() {
    let test = Test::new();
    test.playbook(PLAY)
        .project_file("templates/app.conf.j2", "name = {{ greeting }}\n");
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("three");
    inventory(&test, &[("web", ssh_vars(&sshd, remote.path()))]);
    let tree = || common::snapshot(remote.path());
    let before = tree();
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(tree(), before, "--check changed the ssh host's tree");
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert!(recap(&first, "web")["changed"].as_u64().unwrap() > 0);
    assert_eq!(
        results(&check),
        results(&first),
        "--check did not predict the run"
    );
    let after = tree();
    let second = run(&test, &[]);
    assert_eq!(second.code, 0);
    assert_eq!(recap(&second, "web")["changed"], 0, "{}", second.stdout);
    assert_eq!(tree(), after);
}

#[test]
fn become_runs_the_agent_as_root_through_sudo_and_its_password() {
    let test = Test::new();
    // On the host's own / (a command needs a system to run in).
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: id -u\n      register: who\n      changed_when: false\n    - copy: {dest: \"{{ base }}/owned\", content: \"x\\n\"}\n    - debug: {msg: \"{{ who.stdout }}\"}\n",
    );
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("become");
    let mut vars = ssh_vars(&sshd, remote.path());
    vars.as_object_mut().unwrap().remove("machinist_root");
    vars["base"] = json!(remote.path());
    vars["ansible_become"] = json!(true);
    inventory(&test, &[("web", vars)]);
    test.project_file("become-pass", &format!("{}\n", sshd::PASSWORD));
    let ran = run(&test, &["--become-password-file", "become-pass"]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    assert_eq!(event_of(&events, "web", "debug")["result"]["msg"], "0");
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(remote.path().join("owned"))
        .unwrap()
        .uid();
    assert_eq!(owner, 0, "written as root");
    // A wrong password: the host is unreachable, and says why.
    test.project_file("become-pass", "not-the-password\n");
    let refused = run(&test, &["--become-password-file", "become-pass"]);
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    let events = refused.events();
    let msg = event_of(&events, "web", "command")["msg"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("become password was refused"), "{msg}");
}

#[test]
fn become_user_runs_the_agent_as_that_user_and_writes_its_files() {
    sshd::ensure_become_users();
    let test = Test::new();
    // On the host's own /, in the become user's home (its own, 0700).
    let dest = sshd::become_user_home().join("by-play");
    let _ = std::fs::remove_file(&dest);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - command: whoami\n      register: who\n      changed_when: false\n    - copy: {dest: \"{{ dest }}\", content: \"x\\n\"}\n    - debug: {msg: \"{{ who.stdout }}\"}\n",
    );
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("become-user");
    let mut vars = ssh_vars(&sshd, remote.path());
    vars.as_object_mut().unwrap().remove("machinist_root");
    vars["dest"] = json!(dest);
    vars["ansible_become"] = json!(true);
    vars["ansible_become_user"] = json!(sshd::BECOME_USER);
    vars["ansible_become_password"] = json!(sshd::PASSWORD);
    inventory(&test, &[("web", vars)]);
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    assert_eq!(
        event_of(&events, "web", "debug")["result"]["msg"],
        sshd::BECOME_USER
    );
    assert_eq!(event_of(&events, "web", "copy")["status"], "changed");
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&dest).unwrap();
    let uid = std::fs::metadata(sshd::become_user_home()).unwrap().uid();
    assert_eq!(meta.uid(), uid, "written as the become user");
    // The second run changes nothing.
    let again = run(&test, &[]);
    assert_eq!(recap(&again, "web")["changed"], 0, "{}", again.stdout);
    std::fs::remove_file(&dest).unwrap();
}

#[test]
fn a_host_killed_while_its_task_runs_is_unreachable_and_the_others_go_on() {
    let test = Test::new();
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Slow\n      shell: touch {{ base }}/started; sleep 4\n    - name: After\n      copy: {dest: \"{{ base }}/after\", content: \"after\\n\"}\n",
    );
    let stays = Sshd::start();
    let mut killed = Sshd::start();
    let roots = [RemoteRoot::new("stays"), RemoteRoot::new("killed")];
    // On the hosts' own / (a shell needs a system to run in), in their folders.
    let on_slash = |sshd: &Sshd, root: &RemoteRoot| {
        let mut vars = ssh_vars(sshd, root.path());
        vars.as_object_mut().unwrap().remove("machinist_root");
        vars["base"] = json!(root.path());
        vars
    };
    inventory(
        &test,
        &[
            ("stays", on_slash(&stays, &roots[0])),
            ("killed", on_slash(&killed, &roots[1])),
        ],
    );
    let child = test
        .command(&["run", "site.yml", "-i", "inventory.yml", "--format", "json"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let started = roots[1].path().join("started");
    let waited = Instant::now();
    while !started.exists() {
        assert!(
            waited.elapsed() < Duration::from_secs(60),
            "the slow task never started"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    killed.kill();
    let output = child.wait_with_output().unwrap();
    let ran = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into(),
        stderr: String::from_utf8_lossy(&output.stderr).into(),
    };
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    assert_eq!(event_of(&events, "killed", "Slow")["status"], "unreachable");
    assert_eq!(event_of(&events, "stays", "Slow")["status"], "changed");
    assert_eq!(event_of(&events, "stays", "After")["status"], "changed");
    assert!(!results(&ran)
        .iter()
        .any(|(host, task, _)| host == "killed" && task == "After"));
    assert!(!roots[1].path().join("after").exists());
    assert!(roots[0].path().join("after").exists());
}

#[test]
fn ignore_unreachable_keeps_the_host_in_the_play() {
    let test = Test::new();
    // Nothing listens on port 1: the connection is refused at once.
    let far = json!({"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1});
    inventory(&test, &[("far", far)]);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Unreached\n      copy: {dest: /srv/x, content: x}\n      ignore_unreachable: true\n    - name: Next\n      debug: {msg: still here}\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let unreached = event_of(&events, "far", "Unreached");
    assert_eq!(
        (&unreached["status"], &unreached["ignored"]),
        (&json!("unreachable"), &json!(true))
    );
    assert_eq!(event_of(&events, "far", "Next")["status"], "ok");
    let counts = recap(&ran, "far");
    assert_eq!(
        (&counts["ok"], &counts["ignored"], &counts["unreachable"]),
        (&json!(2), &json!(1), &json!(0))
    );
    let human = test.machinist(&["run", "site.yml", "-i", "inventory.yml"]);
    assert!(
        human
            .stdout
            .contains("UNREACHABLE! => {\"changed\": false, \"msg\": ")
            && human
                .stdout
                .contains("\"unreachable\": true}\n...ignoring\n"),
        "{}",
        human.stdout
    );

    // The play's keyword covers gathering facts and every task.
    test.playbook(
        "- hosts: all\n  ignore_unreachable: true\n  tasks:\n    - name: Unreached\n      copy: {dest: /srv/x, content: x}\n    - name: Next\n      debug: {msg: still here}\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(
        results(&ran)
            .into_iter()
            .map(|(_, _, status)| status)
            .collect::<Vec<_>>(),
        ["unreachable", "unreachable", "ok"]
    );

    // Without it the host leaves the play: exit 3.
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Unreached\n      copy: {dest: /srv/x, content: x}\n    - name: Next\n      debug: {msg: still here}\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 3, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(results(&ran).len(), 1);
    assert_eq!(recap(&ran, "far")["unreachable"], 1);
}

/// Issue 17's everyday play: `become: true` on the play, an inventory without
/// ansible_become; a task's `become: false` and `become_user` switch the agent.
const BECOME_KEYWORDS_PLAY: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: As root
      command: id -u
      register: root_uid
      changed_when: false
      check_mode: false
    - name: As the connecting user
      command: id -u
      register: own_uid
      changed_when: false
      check_mode: false
      become: false
    - name: As the become user
      copy: {dest: "{{ dest }}", content: "x\n"}
      become_user: "{{ second_user }}"
    - name: Who
      debug: {msg: "{{ root_uid.stdout }} {{ own_uid.stdout }}"}
"#;

#[test]
fn become_keywords_switch_the_agents_user_per_task() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    sshd::ensure_become_users();
    let test = Test::new();
    let dest = sshd::become_user_home().join("by-keyword");
    let _ = std::fs::remove_file(&dest);
    test.playbook(BECOME_KEYWORDS_PLAY);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("become-keywords");
    let mut vars = ssh_vars(&sshd, remote.path());
    vars.as_object_mut().unwrap().remove("machinist_root");
    vars["dest"] = json!(dest);
    vars["second_user"] = json!(sshd::BECOME_USER);
    vars["ansible_become_password"] = json!(sshd::PASSWORD);
    inventory(&test, &[("web", vars)]);
    let uid_of = |path: &Path| std::fs::metadata(path).unwrap().uid();

    // --check first: it predicts the copy and writes nothing.
    let checked = run(&test, &["--check"]);
    assert_eq!(checked.code, 0, "{}\n{}", checked.stdout, checked.stderr);
    let events = checked.events();
    assert_eq!(
        event_of(&events, "web", "As the become user")["status"],
        "changed"
    );
    assert!(!dest.exists(), "--check wrote {}", dest.display());

    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let own_uid = uid_of(&sshd::home());
    assert_eq!(
        event_of(&events, "web", "Who")["result"]["msg"],
        format!("0 {own_uid}")
    );
    assert_eq!(
        event_of(&events, "web", "As the become user")["status"],
        "changed"
    );
    assert_eq!(
        uid_of(&dest),
        uid_of(&sshd::become_user_home()),
        "written as the become user"
    );
    assert_eq!(results(&checked), results(&ran), "--check predicts the run");

    // Each user's agent cache is its own, private.
    for home in [sshd::home(), sshd::become_user_home()] {
        let cache = home.join(".cache/machinist/agent");
        let meta = std::fs::symlink_metadata(&cache).unwrap();
        assert!(meta.is_dir(), "{}", cache.display());
        assert_eq!(
            meta.permissions().mode() & 0o777,
            0o700,
            "{}",
            cache.display()
        );
        assert_eq!(
            meta.uid(),
            uid_of(&home),
            "{} is its user's",
            cache.display()
        );
    }

    let again = run(&test, &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(recap(&again, "web")["changed"], 0, "{}", again.stdout);
    std::fs::remove_file(&dest).unwrap();
}

#[test]
fn become_a_connection_cannot_honour_is_refused_at_the_task() {
    let test = Test::new();
    // doas over ssh: the task fails, saying why, before any connection.
    let far = json!({"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1});
    inventory(&test, &[("far", far)]);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  become: true\n  tasks:\n    - block:\n        - name: As root\n          copy: {dest: /srv/x, content: x}\n          become_method: doas\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let refused = event_of(&events, "far", "As root")["msg"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        refused.contains("become_method doas is not supported over ssh (sudo and su are)"),
        "{refused}"
    );
    // Another user on this machine, whose tasks act inside a root tree: refused (the
    // user's agent acts on the whole machine; tests/connections_local_become.rs).
    let tree = tempfile::tempdir().unwrap();
    inventory(
        &test,
        &[(
            "localhost",
            json!({"ansible_connection": "local", "machinist_root": tree.path()}),
        )],
    );
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: As postgres\n      command: whoami\n      become: true\n      become_user: postgres\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let refused = event_of(&events, "localhost", "As postgres")["msg"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        refused.contains("become_user postgres on localhost, whose tasks act inside the root"),
        "{refused}"
    );
    // The command line's become is the lowest level: -b --become-method doas reaches the
    // ssh host the inventory says nothing of become for.
    let far = json!({"ansible_connection": "ssh", "ansible_host": "127.0.0.1", "ansible_port": 1});
    inventory(&test, &[("far", far)]);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Plain\n      command: id -u\n",
    );
    let ran = run(&test, &["-b", "--become-method", "doas"]);
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let refused = event_of(&events, "far", "Plain")["msg"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        refused.contains("become_method doas is not supported over ssh (sudo and su are)"),
        "{refused}"
    );
}

/// The cost of a no-change file task in a whole run, over ssh and on a local root
/// (the difference between runs of 300 and 30 tasks: the connection's start and the
/// agent's checks left out), printed:
/// `cargo test --test connections_ssh per_task -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn per_task_cost_of_a_play_over_ssh_and_on_a_local_root() {
    let play = |tasks: u32| {
        let mut play = String::from("- hosts: all\n  gather_facts: false\n  tasks:\n");
        for n in 0..tasks {
            play.push_str(&format!(
                "    - copy: {{dest: /f{n}, content: \"{n}\\n\"}}\n"
            ));
        }
        play
    };
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("bench");
    let local = tempfile::tempdir().unwrap();
    for (name, vars) in [
        ("ssh", ssh_vars(&sshd, remote.path())),
        (
            "local",
            json!({"ansible_connection": "local", "machinist_root": local.path()}),
        ),
    ] {
        let rerun = |tasks: u32| {
            let test = Test::new();
            test.playbook(&play(tasks));
            inventory(&test, &[(name, vars.clone())]);
            assert_eq!(run(&test, &[]).code, 0);
            let started = Instant::now();
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
}

#[test]
fn uri_and_wait_for_run_on_the_target() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("actions");
    std::fs::write(remote.path().join("only-there"), "ready\n").unwrap();
    let served = tempfile::tempdir().unwrap();
    std::fs::write(served.path().join("hello.txt"), "hi\n").unwrap();
    let server = common::http_server::HttpServer::start(served.path());
    inventory(&test, &[("web", ssh_vars(&sshd, remote.path()))]);
    test.playbook(&format!(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - debug: {{msg: \"{{{{ ansible_connection }}}}\"}}\n    - name: A file only the target has\n      wait_for: {{path: /only-there, search_regex: ready, timeout: 5}}\n    - name: A request from the target\n      uri: {{url: \"{}\", return_content: true}}\n      register: answer\n    - debug: {{msg: \"{{{{ answer.content }}}}\"}}\n",
        server.url("/hello.txt")
    ));
    assert!(!Path::new("/only-there").exists());
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let debug: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "task" && e["task"] == "debug")
        .collect();
    assert_eq!(debug[0]["result"]["msg"], "ssh");
    assert_eq!(debug[1]["result"]["msg"], "hi\n");
    assert_eq!(
        event_of(&events, "web", "A file only the target has")["status"],
        "ok"
    );
}

#[test]
fn a_root_keyword_on_an_ssh_host_is_a_root_inside_its_own() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("roots");
    std::fs::create_dir(remote.path().join("inner")).unwrap();
    let chown = std::process::Command::new("chown")
        .arg(format!("{0}:{0}", sshd::USER))
        .arg(remote.path().join("inner"))
        .status()
        .unwrap();
    assert!(chown.success());
    inventory(&test, &[("web", ssh_vars(&sshd, remote.path()))]);
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - block:\n        - name: Inside\n          copy: {dest: /x, content: \"inner\\n\"}\n        - name: Where\n          debug: {msg: \"{{ machinist_root }}\"}\n      root: /inner\n    - name: Outside\n      copy: {dest: /x, content: \"outer\\n\"}\n",
    );
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(!remote.path().join("inner/x").exists());
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(results(&check), results(&ran));
    let events = ran.events();
    assert_eq!(
        event_of(&events, "web", "Where")["result"]["msg"],
        remote.path().join("inner").display().to_string()
    );
    let read = |path: &str| std::fs::read_to_string(remote.path().join(path)).unwrap();
    assert_eq!(
        (read("inner/x"), read("x")),
        ("inner\n".to_string(), "outer\n".to_string())
    );
}

#[test]
fn a_task_delegated_to_an_ssh_host_acts_there_through_its_agent() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("delegate");
    let here = tempfile::tempdir().unwrap();
    inventory(
        &test,
        &[
            ("web", ssh_vars(&sshd, remote.path())),
            (
                "here",
                json!({"ansible_connection": "local", "machinist_root": here.path()}),
            ),
        ],
    );
    test.playbook(
        "- hosts: here\n  gather_facts: false\n  tasks:\n    - name: On web\n      copy: {dest: /from, content: \"{{ inventory_hostname }}\\n\"}\n      delegate_to: web\n    - name: Here\n      copy: {dest: /own, content: x}\n",
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    assert_eq!(
        event_of(&events, "here", "On web")["delegated_to"],
        sshd.address
    );
    let from = std::fs::read_to_string(remote.path().join("from")).unwrap();
    assert_eq!(
        from, "here\n",
        "rendered with the original host's variables"
    );
    assert!(!here.path().join("from").exists());
    assert!(here.path().join("own").exists());
}

/// A tree as the tests compare a remote copy with a local one: paths, kinds, modes
/// and contents (not owners: the ssh user's against root's).
fn files_and_modes(base: &Path) -> Vec<(PathBuf, Option<Vec<u8>>, u32)> {
    common::snapshot(base)
        .into_iter()
        .map(|(path, entry)| match entry {
            common::Entry::File { mode, content, .. } => (path, Some(content), mode),
            common::Entry::Dir { mode, .. } => (path, None, mode),
            other => panic!("{}: {other:?}", path.display()),
        })
        .collect()
}

/// The controller's tree copied by `src: conf/` (its contents) and `src: conf` (the
/// folder), with a link inside it (followed, as Ansible's local_follow) and an
/// executable: the project of the directory-copy tests.
fn directory_copy_project(test: &Test) {
    test.project_file("files/conf/a.conf", "a = 1\n")
        .project_file("files/conf/sub/b.conf", "b = 2\n")
        .project_file("files/conf/sub/deeper/c.conf", "c = 3\n")
        .project_file("files/conf/run.sh", "#!/bin/sh\necho hi\n");
    use std::os::unix::fs::PermissionsExt;
    let conf = test.project().join("files/conf");
    std::fs::set_permissions(conf.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("sub/b.conf", conf.join("b-link.conf")).unwrap();
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Contents\n      copy: {src: conf/, dest: /srv/contents, mode: \"0640\", directory_mode: \"0750\"}\n    - name: Folder\n      copy: {src: conf, dest: /srv/whole}\n    - name: One file into a folder\n      copy: {src: conf/a.conf, dest: /srv/whole}\n",
    );
}

#[test]
fn a_copy_of_a_directory_over_ssh_equals_a_local_one_and_passes_the_three_checks() {
    let test = Test::new();
    directory_copy_project(&test);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("tree");
    let local = tempfile::tempdir().unwrap();
    inventory(
        &test,
        &[
            ("web", ssh_vars(&sshd, remote.path())),
            (
                "here",
                json!({"ansible_connection": "local", "machinist_root": local.path()}),
            ),
        ],
    );
    let compared = |run: &Run, host: &str| -> Vec<(String, String, Value)> {
        run.events()
            .into_iter()
            .filter(|e| e["event"] == "task" && e["host"] == host)
            .map(|e| {
                let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
                (text("task"), text("status"), e["diff"].clone())
            })
            .collect()
    };
    let check = run(&test, &["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(std::fs::read_dir(remote.path()).unwrap().count(), 0);
    assert_eq!(compared(&check, "web"), compared(&check, "here"));
    let first = run(&test, &["--diff"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(compared(&first, "web"), compared(&check, "web"));
    assert_eq!(compared(&first, "web"), compared(&first, "here"));
    assert!(compared(&first, "web")
        .iter()
        .all(|(_, status, _)| status == "changed"));
    assert_eq!(
        files_and_modes(remote.path()),
        files_and_modes(local.path())
    );
    assert_eq!(
        std::fs::read_to_string(remote.path().join("srv/whole/conf/b-link.conf")).unwrap(),
        "b = 2\n"
    );
    assert_eq!(
        std::fs::read_to_string(remote.path().join("srv/whole/a.conf")).unwrap(),
        "a = 1\n"
    );
    let after = common::snapshot(remote.path());
    let second = run(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(recap(&second, "web")["changed"], 0, "{}", second.stdout);
    assert_eq!(recap(&second, "here")["changed"], 0, "{}", second.stdout);
    assert_eq!(common::snapshot(remote.path()), after);
}

#[test]
fn a_plugin_module_runs_on_the_ssh_host_through_its_cached_copy() {
    let test = Test::new();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugins/library");
    for name in ["kv_line", "kv_line.yml"] {
        let text = std::fs::read_to_string(examples.join(name)).unwrap();
        test.project_file(&format!("library/{name}"), &text);
    }
    test.project_file(
        "library/whoami_there",
        "#!/bin/sh\necho note >&2\nprintf '{\"changed\": false, \"msg\": \"%s\"}\\n' \"$(id -un)\"\n",
    )
    .project_file(
        "library/no_interpreter",
        "#!/opt/no-such/python9\nprint('{}')\n",
    )
    .project_file("library/sleeper", "#!/bin/sh\nsleep 30\necho '{}'\n");
    use std::os::unix::fs::PermissionsExt;
    for name in ["kv_line", "whoami_there", "no_interpreter", "sleeper"] {
        let path = test.project().join("library").join(name);
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Who\n      whoami_there: {}\n    - name: Who as root\n      whoami_there: {}\n      become: true\n    - name: Locale\n      kv_line: {path: \"{{ base }}/locale.conf\", key: LANG, value: C.UTF-8}\n    - name: Missing\n      no_interpreter: {}\n      ignore_errors: true\n    - name: Slow\n      sleeper: {}\n      timeout: 1\n      ignore_errors: true\n",
    );
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("plugin");
    let mut vars = ssh_vars(&sshd, remote.path());
    vars.as_object_mut().unwrap().remove("machinist_root");
    vars["base"] = json!(remote.path());
    vars["ansible_become_password"] = json!(sshd::PASSWORD);
    inventory(&test, &[("web", vars)]);
    let locale = remote.path().join("locale.conf");
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(!locale.exists(), "--check wrote");
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let events = first.events();
    assert_eq!(event_of(&events, "web", "Who")["result"]["msg"], sshd::USER);
    // become: the plugin runs from root's own cached copy, as root.
    assert_eq!(
        event_of(&events, "web", "Who as root")["result"]["msg"],
        "root"
    );
    assert_eq!(event_of(&events, "web", "Locale")["status"], "changed");
    // (Who has no spec saying it supports check mode: skipped under --check.)
    assert_eq!(
        results(&check)[2],
        results(&first)[2],
        "--check did not predict the run"
    );
    assert_eq!(std::fs::read_to_string(&locale).unwrap(), "LANG=C.UTF-8\n");
    let missing = event_of(&events, "web", "Missing");
    assert_eq!(missing["status"], "failed");
    let msg = missing["result"]["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("/opt/no-such/python9"), "{missing}");
    // The task's timeout and the plugin's stderr, as a local run's.
    let who = event_of(&events, "web", "Who");
    assert_eq!(who["result"]["module_stderr"], "note\n", "{who}");
    let slow = event_of(&events, "web", "Slow");
    assert_eq!(slow["status"], "failed");
    let msg = slow["result"]["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("timed out after 1.0s"), "{slow}");
    let second = run(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(
        event_of(&second.events(), "web", "Locale")["status"],
        "ok",
        "{}",
        second.stdout
    );
    // Cached by content hash in the ssh user's private cache, 0700.
    let cache = sshd::home().join(".cache/machinist/plugins");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(std::fs::metadata(&cache).unwrap().mode() & 0o777, 0o700);
    assert!(std::fs::read_dir(&cache).unwrap().count() >= 3);
}

/// The cost of rerunning 100 copy tasks of an unchanged 1 MiB controller file over
/// ssh (the dests already hold it: the agent asks for no byte), printed:
/// `cargo test --test connections_ssh rerun_of_copies -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn rerun_of_copies_of_an_unchanged_file_over_ssh() {
    let test = Test::new();
    let content: Vec<u8> = (0..1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::create_dir_all(test.project().join("files")).unwrap();
    std::fs::write(test.project().join("files/big.bin"), &content).unwrap();
    let mut play = String::from("- hosts: all\n  gather_facts: false\n  tasks:\n");
    for n in 0..100 {
        play.push_str(&format!("    - copy: {{src: big.bin, dest: /f{n}}}\n"));
    }
    test.playbook(&play);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("rerun");
    inventory(&test, &[("web", ssh_vars(&sshd, remote.path()))]);
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let mut took = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        let again = run(&test, &[]);
        took.push(started.elapsed());
        assert_eq!(recap(&again, "web")["changed"], 0);
    }
    took.sort();
    eprintln!("rerun of 100 copies of an unchanged 1 MiB file over ssh: {took:?}");
}

/// Facts of an ssh host with `machinist_root` are read as a local machinist_root's
/// are: os-release and hostname from the root, the running system's (kernel,
/// architecture, default IPv4, …) from the system the agent runs in. On loopback the
/// two are one machine: the facts are equal, whole.
#[test]
fn facts_of_an_ssh_host_with_machinist_root_equal_a_local_roots() {
    let test = Test::new();
    test.playbook("- hosts: all\n  gather_facts: true\n  tasks: []\n");
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("facts");
    let local = tempfile::tempdir().unwrap();
    for root in [remote.path(), local.path()] {
        std::fs::create_dir_all(root.join("etc")).unwrap();
        std::fs::write(
            root.join("etc/os-release"),
            "NAME=\"Arch Linux\"\nID=arch\nBUILD_ID=rolling\n",
        )
        .unwrap();
        std::fs::write(root.join("etc/hostname"), "inside\n").unwrap();
    }
    inventory(
        &test,
        &[
            ("web", ssh_vars(&sshd, remote.path())),
            (
                "here",
                json!({"ansible_connection": "local", "machinist_root": local.path()}),
            ),
        ],
    );
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    // What differs between two processes, two users or two moments is left out:
    // the gathering process's environment and user, the clock, free memory.
    const PER_PROCESS: &[&str] = &[
        "env",
        "user_id",
        "user_uid",
        "user_gid",
        "user_dir",
        "user_shell",
        "user_gecos",
        "real_user_id",
        "effective_user_id",
        "real_group_id",
        "effective_group_id",
        "date_time",
        "memfree_mb",
        "swapfree_mb",
        "memory_mb",
        "loadavg",
        "uptime_seconds",
    ];
    let facts = |host: &str| {
        let mut facts =
            event_of(&events, host, "Gathering Facts")["result"]["ansible_facts"].clone();
        let map = facts.as_object_mut().expect("facts are a mapping");
        map.retain(|name, _| !PER_PROCESS.contains(&name.as_str()));
        facts
    };
    assert_eq!(facts("web")["distribution"], "Archlinux");
    assert_eq!(facts("web")["hostname"], "inside");
    assert_eq!(facts("web"), facts("here"));
}

/// Issue 17: a host's check-mode predictions are one, whatever user its sessions
/// run as. Root makes a folder for the become user, who writes a file in it, which
/// root then finds: `--check` sees each task's effect in the next one's session.
pub const SESSIONS_SHARE_PREDICTIONS_PLAY: &str = r#"- hosts: all
  gather_facts: false
  become: true
  tasks:
    - name: Root makes the folder
      file: {path: "{{ dir }}", state: directory, owner: "{{ second_user }}", mode: "0755"}
    - name: The user writes in it
      copy: {dest: "{{ dir }}/theirs", content: "x\n", mode: "0644"}
      become_user: "{{ second_user }}"
    - name: Root looks
      stat: {path: "{{ dir }}/theirs"}
      register: theirs
    - name: Root sees the user's file
      assert:
        that: theirs.stat.exists and theirs.stat.mode == '0644'
"#;

#[test]
fn check_mode_predictions_cross_the_become_sessions_of_a_host() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    sshd::ensure_become_users();
    let test = Test::new();
    let parent = tempfile::Builder::new()
        .prefix("machinist-sessions-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = parent.path().join("made");
    test.playbook(SESSIONS_SHARE_PREDICTIONS_PLAY);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("sessions");
    let mut vars = ssh_vars(&sshd, remote.path());
    vars.as_object_mut().unwrap().remove("machinist_root");
    vars["dir"] = json!(dir);
    vars["second_user"] = json!(sshd::BECOME_USER);
    vars["ansible_become_password"] = json!(sshd::PASSWORD);
    inventory(&test, &[("web", vars)]);

    let checked = run(&test, &["--check"]);
    assert_eq!(checked.code, 0, "{}\n{}", checked.stdout, checked.stderr);
    let statuses: Vec<String> = results(&checked).into_iter().map(|r| r.2).collect();
    assert_eq!(
        statuses,
        ["changed", "changed", "ok", "ok"],
        "{}",
        checked.stdout
    );
    assert!(!dir.exists(), "--check made {}", dir.display());

    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(results(&checked), results(&ran), "--check predicts the run");
    let written = std::fs::metadata(dir.join("theirs")).unwrap();
    assert_eq!(
        written.uid(),
        std::fs::metadata(sshd::become_user_home()).unwrap().uid()
    );
    assert_eq!(written.mode() & 0o777, 0o644);

    let again = run(&test, &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(recap(&again, "web")["changed"], 0, "{}", again.stdout);
}

/// ansible-playbook's habits: the user, key and ssh options given as `-u`,
/// `--private-key`, `--ssh-common-args` and `-T` (the inventory names only the
/// address, with the older `ansible_ssh_host`/`ansible_ssh_port`), and the
/// inventory's own value winning over the flag's.
#[test]
fn connection_flags_and_older_variable_names_reach_the_host() {
    let test = Test::new();
    test.playbook(
        "- hosts: all\n  gather_facts: false\n  tasks:\n    - copy: {dest: /who, content: \"{{ inventory_hostname }}\\n\"}\n",
    );
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("flags");
    let common_args = common::ssh_hosts::common_args(&sshd);
    inventory(
        &test,
        &[(
            "web",
            json!({
                "ansible_ssh_host": sshd.address,
                "ansible_ssh_port": sshd.port,
                "machinist_root": remote.path(),
            }),
        )],
    );
    let key = sshd.user_key();
    let flags = [
        "-c",
        "ssh",
        "-u",
        sshd::USER,
        "--private-key",
        key.to_str().unwrap(),
        "--ssh-common-args",
        &common_args,
        "-T",
        "5",
    ];
    let first = run(&test, &flags);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let written = remote.path().join("who");
    assert_eq!(std::fs::read_to_string(&written).unwrap(), "web\n");
    let owner = std::process::Command::new("stat")
        .args(["-c", "%U"])
        .arg(&written)
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&owner.stdout).trim(), sshd::USER);
    let second = run(&test, &flags);
    assert_eq!(recap(&second, "web")["changed"], 0, "{}", second.stdout);

    // The inventory's user wins over -u: a user that does not exist would fail.
    let mut vars = ssh_vars(&sshd, remote.path());
    vars["ansible_ssh_user"] = json!(sshd::USER);
    vars.as_object_mut().unwrap().remove("ansible_user");
    inventory(&test, &[("web", vars)]);
    let wins = run(&test, &["-u", "machinist-no-such-user"]);
    assert_eq!(wins.code, 0, "{}\n{}", wins.stdout, wins.stderr);

    // A login password is refused up front, naming the variable, never ignored.
    let mut vars = ssh_vars(&sshd, remote.path());
    vars["ansible_ssh_pass"] = json!("secret");
    inventory(&test, &[("web", vars)]);
    let refused = run(&test, &[]);
    assert_eq!(refused.code, 4, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused.stderr.contains("ansible_ssh_pass") && !refused.stderr.contains("secret"),
        "{}",
        refused.stderr
    );
}

#[test]
fn remote_user_and_port_keywords_reach_the_host_where_its_variables_do_not_say() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("keywords");
    let mut vars = ssh_vars(&sshd, remote.path());
    let vars_map = vars.as_object_mut().unwrap();
    vars_map.remove("ansible_user");
    vars_map.remove("ansible_port");
    let mut own = ssh_vars(&sshd, remote.path());
    own["ansible_port"] = json!(sshd.port);
    inventory(&test, &[("web", vars), ("own", own)]);
    test.playbook(&format!(
        "- hosts: all\n  gather_facts: true\n  remote_user: \"{{{{ login }}}}\"\n  port: {port}\n  vars:\n    login: {user}\n  tasks:\n    - name: Who\n      copy: {{dest: \"/who-{{{{ inventory_hostname }}}}\", content: \"{{{{ ansible_user_id }}}}\"}}\n    - name: Task user\n      copy: {{dest: \"/task-{{{{ inventory_hostname }}}}\", content: x}}\n      remote_user: nobody-here\n      ignore_unreachable: true\n    - name: Elsewhere\n      copy: {{dest: /elsewhere, content: x}}\n      port: 1\n      ignore_unreachable: true\n",
        port = sshd.port,
        user = sshd::USER,
    ));
    let ran = run(&test, &[]);
    let events = ran.events();
    for host in ["web", "own"] {
        let who = std::fs::read_to_string(remote.path().join(format!("who-{host}")));
        assert_eq!(
            who.ok().as_deref(),
            Some(sshd::USER),
            "{}\n{}",
            ran.stdout,
            ran.stderr
        );
    }
    // The task's user and port over the play's; the inventory's ansible_user and
    // ansible_port over both.
    let status = |host: &str, task: &str| event_of(&events, host, task)["status"].clone();
    assert_eq!(status("web", "Task user"), "unreachable");
    assert_eq!(status("web", "Elsewhere"), "unreachable");
    assert_eq!(status("own", "Task user"), "changed");
    assert_eq!(status("own", "Elsewhere"), "changed");
    assert!(remote.path().join("task-own").exists());
    assert!(!remote.path().join("task-web").exists());
}

#[test]
fn meta_reset_connection_logs_in_again() {
    let test = Test::new();
    test.playbook(
        r#"- hosts: all
  gather_facts: false
  tasks:
    - name: Agent before
      command: sh -c 'echo $PPID'
      register: before
      changed_when: false
    - name: Same agent
      command: sh -c 'echo $PPID'
      register: same
      changed_when: false
    - meta: reset_connection
    - name: Agent after
      command: sh -c 'echo $PPID'
      register: after
      changed_when: false
    - name: Said
      assert:
        that:
          - before.stdout == same.stdout
          - before.stdout != after.stdout
"#,
    );
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("reset");
    let mut vars = ssh_vars(&sshd, remote.path());
    // The commands run on the host itself (a root is chrooted into: not as the user).
    vars.as_object_mut().unwrap().remove("machinist_root");
    inventory(&test, &[("web", vars)]);
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let said = event_of(&events, "web", "Said");
    assert_eq!(said["status"], "ok", "{said:#}");
}
