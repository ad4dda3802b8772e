//! One play across many hosts (issue 16), end to end: three hosts that are folders of
//! the test's root (`machinist_root` per host in an INI inventory, as container roots
//! on one machine are) and localhost. Ansible's linear strategy (each task on every
//! host before the next), per-host inventory and group variables, `hostvars` and
//! `groups` across hosts, a failing host leaving the play while the others go on,
//! handlers per host, `--limit`, the recap line per host and the exit codes.

mod common;

use common::{Run, Test};
use serde_json::Value;

const INVENTORY: &str = "\
localhost ansible_connection=local

[web]
web1 machinist_root=/srv/web1 greeting=hello-web1
web2 machinist_root=/srv/web2

[db]
db1 machinist_root=/srv/db1

[web:vars]
role=frontend
";

const HOSTS: [&str; 4] = ["localhost", "web1", "web2", "db1"];

/// The project: the inventory, group_vars for `all` and `db`, and the hosts' folders.
fn fleet(playbook: &str) -> Test {
    let test = Test::new();
    test.project_file("hosts.ini", INVENTORY);
    test.project_file("group_vars/all.yml", "greeting: hi\n");
    test.project_file("group_vars/db.yml", "role: database\n");
    for host in ["web1", "web2", "db1"] {
        std::fs::create_dir_all(test.root().join("srv").join(host)).expect("host root");
    }
    test.playbook(playbook);
    test
}

/// The path of `file` on `host`, in the test's root.
fn on(test: &Test, host: &str, file: &str) -> std::path::PathBuf {
    match host {
        "localhost" => test.root().join(file),
        _ => test.root().join("srv").join(host).join(file),
    }
}

fn read(test: &Test, host: &str, file: &str) -> Option<String> {
    std::fs::read_to_string(on(test, host, file)).ok()
}

/// The recap entry of each host, by name.
fn recap(run: &Run) -> serde_json::Map<String, Value> {
    run.events()
        .into_iter()
        .find(|e| e["event"] == "recap")
        .and_then(|e| e["hosts"].as_object().cloned())
        .unwrap_or_else(|| panic!("no recap:\n{}\n{}", run.stdout, run.stderr))
}

/// The (task, host, status) of every task event, in order.
fn results(run: &Run) -> Vec<(String, String, String)> {
    run.events()
        .into_iter()
        .filter(|e| e["event"] == "task")
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
            (text("task"), text("host"), text("status"))
        })
        .collect()
}

const WRITE_WHO: &str = "\
- hosts: all
  gather_facts: false
  tasks:
    - name: write who
      copy:
        dest: /who
        content: \"{{ inventory_hostname }} {{ role | default('none') }} {{ greeting }} {{ group_names | join(',') }}\\n\"
    - name: mark
      copy: {dest: /mark, content: \"{{ machinist_root }}\\n\"}
";

#[test]
fn a_play_runs_on_every_host_changed_then_ok_and_check_writes_nothing() {
    let test = fleet(WRITE_WHO);
    let before = test.root_tree();
    let check = test.run_json(&["-i", "hosts.ini", "--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(test.root_tree(), before, "--check changed the roots");

    let first = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(results(&check), results(&first), "--check did not predict");
    // Linear: each task on every host, in inventory order, before the next task.
    let expected: Vec<_> = ["write who", "mark"]
        .iter()
        .flat_map(|task| {
            HOSTS
                .iter()
                .map(move |host| (task.to_string(), host.to_string(), "changed".to_string()))
        })
        .collect();
    assert_eq!(results(&first), expected);
    let counts = recap(&first);
    assert_eq!(counts.keys().collect::<Vec<_>>(), HOSTS.to_vec());
    for host in HOSTS {
        assert_eq!(counts[host]["changed"], 2, "{host}: {}", first.stdout);
    }
    assert_eq!(
        read(&test, "localhost", "who").as_deref(),
        Some("localhost none hi ungrouped\n")
    );
    assert_eq!(
        read(&test, "web1", "who").as_deref(),
        Some("web1 frontend hello-web1 web\n")
    );
    assert_eq!(
        read(&test, "web2", "who").as_deref(),
        Some("web2 frontend hi web\n")
    );
    assert_eq!(
        read(&test, "db1", "who").as_deref(),
        Some("db1 database hi db\n")
    );
    assert_eq!(read(&test, "db1", "mark").as_deref(), Some("/srv/db1\n"));
    // Without a machinist_root of its own, localhost acts on the run's root.
    let run_root = format!("{}\n", test.root().display());
    assert_eq!(read(&test, "localhost", "mark"), Some(run_root));

    let after = test.root_tree();
    let second = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    for (host, stats) in recap(&second) {
        assert_eq!(stats["changed"], 0, "{host}: {}", second.stdout);
        assert_eq!(stats["ok"], 2, "{host}");
    }
    assert_eq!(test.root_tree(), after, "the second run changed a root");
}

#[test]
fn the_human_output_has_one_banner_per_task_and_a_recap_line_per_host() {
    let test = fleet(WRITE_WHO);
    let run = test.run(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        run.stdout.matches("TASK [write who]").count(),
        1,
        "{}",
        run.stdout
    );
    for host in HOSTS {
        assert_eq!(
            run.stdout.matches(&format!("changed: [{host}]")).count(),
            2,
            "{}",
            run.stdout
        );
        let line = run
            .stdout
            .lines()
            .find(|line| line.starts_with(&format!("{host} ")))
            .unwrap_or_else(|| panic!("no recap line for {host}:\n{}", run.stdout));
        assert!(line.contains("changed=2"), "{line}");
    }
}

#[test]
fn a_failing_host_leaves_the_play_and_the_others_go_on() {
    let test = fleet(
        "\
- hosts: all
  gather_facts: false
  tasks:
    - name: web2 fails
      fail: {msg: no}
      when: inventory_hostname == 'web2'
    - name: after
      copy: {dest: /after, content: \"done\\n\"}
- hosts: all
  gather_facts: false
  tasks:
    - name: second play
      copy: {dest: /second, content: \"done\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    for host in ["localhost", "web1", "db1"] {
        assert_eq!(
            read(&test, host, "after").as_deref(),
            Some("done\n"),
            "{host}"
        );
        assert_eq!(
            read(&test, host, "second").as_deref(),
            Some("done\n"),
            "{host}"
        );
    }
    assert_eq!(read(&test, "web2", "after"), None);
    assert_eq!(read(&test, "web2", "second"), None);
    let recap = recap(&run);
    assert_eq!(recap["web2"]["failed"], 1);
    assert_eq!(recap["web1"]["failed"], 0);
    assert_eq!(recap["web1"]["changed"], 2);
    assert_eq!(recap["web1"]["skipped"], 1);
}

#[test]
fn hostvars_and_groups_reach_across_hosts() {
    let test = fleet(
        "\
- hosts: web:db
  gather_facts: false
  tasks:
    - set_fact: {mine: \"fact-of-{{ inventory_hostname }}\"}
    - name: peers
      copy:
        dest: /peers
        content: \"{{ groups['web'] | join(',') }} {{ hostvars['web1'].greeting }} {{ hostvars['db1'].mine }} {{ hostvars['web2'].role }} {{ ansible_play_hosts | join(',') }}\\n\"
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for host in ["web1", "web2", "db1"] {
        assert_eq!(
            read(&test, host, "peers").as_deref(),
            Some("web1,web2 hello-web1 fact-of-db1 frontend web1,web2,db1\n"),
            "{host}"
        );
    }
    assert_eq!(read(&test, "localhost", "peers"), None);
}

#[test]
fn handlers_run_per_host_that_notified() {
    let test = fleet(
        "\
- hosts: all
  gather_facts: false
  tasks:
    - copy: {dest: /conf, content: \"x\\n\"}
      when: \"'web' in group_names\"
      notify: restart
  handlers:
    - name: restart
      copy: {dest: /restarted, content: \"{{ inventory_hostname }}\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(read(&test, "web1", "restarted").as_deref(), Some("web1\n"));
    assert_eq!(read(&test, "web2", "restarted").as_deref(), Some("web2\n"));
    assert_eq!(read(&test, "db1", "restarted"), None);
    assert_eq!(read(&test, "localhost", "restarted"), None);
}

#[test]
fn limit_narrows_the_play_to_its_hosts() {
    let test = fleet(WRITE_WHO);
    let run = test.run_json(&["-i", "hosts.ini", "--limit", "web"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(recap(&run).keys().collect::<Vec<_>>(), vec!["web1", "web2"]);
    assert!(read(&test, "web1", "who").is_some());
    assert_eq!(read(&test, "db1", "who"), None);
    assert_eq!(read(&test, "localhost", "who"), None);
}

#[test]
fn a_host_that_cannot_be_reached_leaves_the_play_and_the_others_go_on() {
    // Issue 17: an ssh host (Ansible's default connection) nothing listens for.
    let test = fleet(WRITE_WHO);
    test.project_file(
        "remote.ini",
        "far ansible_host=127.0.0.1 ansible_port=1\nweb1 machinist_root=/srv/web1\n",
    );
    let run = test.run_json(&["-i", "remote.ini"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(recap(&run)["far"]["unreachable"], 1);
    assert!(read(&test, "web1", "who").is_some());
    // A host whose variables are wrong is bad input: nothing runs.
    std::fs::remove_file(on(&test, "web1", "who")).expect("who");
    test.project_file(
        "remote.ini",
        "far ansible_connection=docker\nweb1 machinist_root=/srv/web1\n",
    );
    let run = test.run(&["-i", "remote.ini"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("ansible_connection 'docker'"),
        "{}",
        run.stderr
    );
    assert_eq!(read(&test, "web1", "who"), None);
}

#[test]
fn forks_run_a_tasks_actions_on_hosts_at_once_and_report_in_inventory_order() {
    let test = fleet(
        "\
- hosts: all
  gather_facts: false
  tasks:
    - name: wait two seconds
      wait_for: {path: /here, delay: 2}
    - name: then write
      copy: {dest: /written, content: \"{{ inventory_hostname }}\\n\"}
",
    );
    for host in HOSTS {
        std::fs::write(on(&test, host, "here"), "").expect("here");
    }
    let timed = |forks: &str| {
        let started = std::time::Instant::now();
        let run = test.run_json(&["-i", "hosts.ini", "-f", forks]);
        (run, started.elapsed())
    };
    let (parallel, parallel_time) = timed("4");
    assert_eq!(parallel.code, 0, "{}\n{}", parallel.stdout, parallel.stderr);
    let (one_by_one, one_by_one_time) = timed("1");
    assert_eq!(one_by_one.code, 0, "{}", one_by_one.stderr);
    // Four two-second waits: one by one they take eight seconds at least; at once
    // about two. Half the one-by-one time leaves the run's own cost on a loaded
    // machine seconds of room: what is checked is that the waits overlap.
    assert!(
        one_by_one_time >= std::time::Duration::from_secs(8),
        "-f 1 took {one_by_one_time:?}"
    );
    assert!(
        parallel_time < one_by_one_time / 2,
        "-f 4 took {parallel_time:?}, -f 1 {one_by_one_time:?}: the waits did not overlap"
    );
    let places = |run: &Run| -> Vec<(String, String)> {
        results(run)
            .into_iter()
            .map(|(task, host, _)| (task, host))
            .collect()
    };
    assert_eq!(places(&parallel), places(&one_by_one));
    let hosts: Vec<String> = results(&parallel).into_iter().map(|r| r.1).collect();
    assert_eq!(hosts[..4], HOSTS.map(String::from));
    for host in HOSTS {
        assert_eq!(read(&test, host, "written"), Some(format!("{host}\n")));
    }
}

#[test]
fn forks_must_be_at_least_one() {
    let test = fleet(WRITE_WHO);
    let run = test.run(&["-i", "hosts.ini", "-f", "0"]);
    assert_ne!(run.code, 0);
    assert_eq!(read(&test, "web1", "who"), None);
}

#[test]
fn a_block_runs_linearly_and_rescues_only_the_hosts_that_failed() {
    let test = fleet(
        "\
- hosts: all
  gather_facts: false
  tasks:
    - block:
        - name: t1
          fail: {msg: no}
          when: inventory_hostname == 'web2'
        - name: t2
          copy: {dest: /t2, content: \"x\\n\"}
      rescue:
        - name: r1
          copy: {dest: /rescued, content: \"{{ ansible_failed_task.name }}\\n\"}
      always:
        - name: a1
          copy: {dest: /always, content: \"x\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let order: Vec<(String, String)> = results(&run)
        .into_iter()
        .map(|(task, host, _)| (task, host))
        .collect();
    let pairs = |task: &str, hosts: &[&str]| -> Vec<(String, String)> {
        hosts
            .iter()
            .map(|h| (task.to_string(), h.to_string()))
            .collect()
    };
    let mut expected = pairs("t1", &HOSTS);
    expected.extend(pairs("t2", &["localhost", "web1", "db1"]));
    expected.extend(pairs("r1", &["web2"]));
    expected.extend(pairs("a1", &HOSTS));
    assert_eq!(order, expected);
    assert_eq!(read(&test, "web2", "rescued").as_deref(), Some("t1\n"));
    assert_eq!(read(&test, "web1", "rescued"), None);
    assert_eq!(recap(&run)["web2"]["rescued"], 1);
    for host in HOSTS {
        assert!(read(&test, host, "always").is_some(), "{host}");
    }
}

#[test]
fn when_every_host_of_a_play_fails_no_later_play_starts() {
    let test = fleet(
        "\
- name: all fail
  hosts: web
  gather_facts: false
  tasks:
    - fail: {msg: no}
- name: never
  hosts: all
  gather_facts: false
  tasks:
    - copy: {dest: /never, content: \"x\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let plays: Vec<Value> = run
        .events()
        .into_iter()
        .filter(|e| e["event"] == "play")
        .collect();
    assert_eq!(plays.len(), 1, "{}", run.stdout);
    for host in HOSTS {
        assert_eq!(read(&test, host, "never"), None, "{host}");
    }
    assert_eq!(recap(&run).keys().collect::<Vec<_>>(), vec!["web1", "web2"]);
}

#[test]
fn an_include_runs_each_file_on_the_hosts_that_included_it_together() {
    let test = fleet(
        "\
- hosts: all
  gather_facts: false
  tasks:
    - include_tasks: \"{{ 'web' if 'web' in group_names else 'other' }}.yml\"
    - name: after
      copy: {dest: /after, content: \"x\\n\"}
",
    );
    test.project_file(
        "web.yml",
        "- name: w1\n  copy: {dest: /w1, content: \"x\\n\"}\n- name: w2\n  copy: {dest: /w2, content: \"x\\n\"}\n",
    );
    test.project_file(
        "other.yml",
        "- name: o1\n  copy: {dest: /o1, content: \"{{ inventory_hostname }}\\n\"}\n",
    );
    let run = test.run(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let included: Vec<&str> = run
        .stdout
        .lines()
        .filter(|line| line.starts_with("included: "))
        .collect();
    assert_eq!(included.len(), 2, "{}", run.stdout);
    assert!(
        included[0].ends_with("other.yml for localhost, db1"),
        "{}",
        run.stdout
    );
    assert!(
        included[1].ends_with("web.yml for web1, web2"),
        "{}",
        run.stdout
    );
    let json = test.run_json(&["-i", "hosts.ini"]);
    let order: Vec<(String, String)> = results(&json)
        .into_iter()
        .map(|(task, host, _)| (task, host))
        .collect();
    let pairs = |task: &str, hosts: &[&str]| -> Vec<(String, String)> {
        hosts
            .iter()
            .map(|h| (task.to_string(), h.to_string()))
            .collect()
    };
    let mut expected = pairs("o1", &["localhost", "db1"]);
    expected.extend(pairs("w1", &["web1", "web2"]));
    expected.extend(pairs("w2", &["web1", "web2"]));
    expected.extend(pairs("after", &HOSTS));
    assert_eq!(order, expected);
    assert_eq!(read(&test, "db1", "o1").as_deref(), Some("db1\n"));
    assert!(read(&test, "web2", "w2").is_some());
    assert_eq!(recap(&json)["web1"]["ok"], 4);
}

#[test]
fn each_handler_runs_on_every_host_that_notified_it_before_the_next() {
    let test = fleet(
        "\
- hosts: web
  gather_facts: false
  tasks:
    - copy: {dest: /conf, content: \"x\\n\"}
      notify: [first, second]
  handlers:
    - name: first
      copy: {dest: /first, content: \"x\\n\"}
    - name: second
      copy: {dest: /second, content: \"x\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let order: Vec<(String, String)> = results(&run)
        .into_iter()
        .skip(2)
        .map(|(task, host, _)| (task, host))
        .collect();
    let pair = |task: &str, host: &str| (task.to_string(), host.to_string());
    assert_eq!(
        order,
        vec![
            pair("first", "web1"),
            pair("first", "web2"),
            pair("second", "web1"),
            pair("second", "web2"),
        ]
    );
    let human = test.run(&["-i", "hosts.ini", "--check"]);
    assert_eq!(
        human.stdout.matches("RUNNING HANDLER").count(),
        0,
        "{}",
        human.stdout
    );
}

/// The results of the task events as (task, host, delegated_to, status).
fn delegated(run: &Run) -> Vec<(String, String, String, String)> {
    run.events()
        .into_iter()
        .filter(|e| e["event"] == "task")
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
            (
                text("task"),
                text("host"),
                text("delegated_to"),
                text("status"),
            )
        })
        .collect()
}

#[test]
fn delegate_to_acts_in_the_delegates_root_with_the_hosts_variables_three_checks() {
    let test = fleet(
        "\
- hosts: web
  gather_facts: false
  tasks:
    - name: on db1
      copy:
        dest: \"/from-{{ inventory_hostname }}\"
        content: \"{{ inventory_hostname }} {{ role }} {{ machinist_root }}\\n\"
      delegate_to: db1
    - name: on localhost
      local_action: copy dest=/local-{{ inventory_hostname }} content=x
",
    );
    let before = test.root_tree();
    let check = test.run_json(&["-i", "hosts.ini", "--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(test.root_tree(), before, "--check changed a root");
    let first = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        delegated(&check),
        delegated(&first),
        "--check did not predict"
    );
    let row = |task: &str, host: &str, to: &str, status: &str| {
        (task.into(), host.into(), to.into(), status.into())
    };
    assert_eq!(
        delegated(&first),
        vec![
            row("on db1", "web1", "db1", "changed"),
            row("on db1", "web2", "db1", "changed"),
            row("on localhost", "web1", "localhost", "changed"),
            row("on localhost", "web2", "localhost", "changed"),
        ]
    );
    // The host's variables render the task; the delegate's root is where it acts.
    assert_eq!(
        read(&test, "db1", "from-web1").as_deref(),
        Some("web1 frontend /srv/web1\n")
    );
    assert_eq!(
        read(&test, "db1", "from-web2").as_deref(),
        Some("web2 frontend /srv/web2\n")
    );
    assert_eq!(read(&test, "localhost", "local-web1").as_deref(), Some("x"));
    assert_eq!(read(&test, "web1", "from-web1"), None);
    // The delegate is no host of the play: it has no recap line.
    assert_eq!(recap(&first).keys().collect::<Vec<_>>(), ["web1", "web2"]);
    let second = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    assert!(
        delegated(&second)
            .iter()
            .all(|(_, _, _, status)| status == "ok"),
        "{}",
        second.stdout
    );
    let human = test.run(&["-i", "hosts.ini"]);
    assert!(
        human.stdout.contains("ok: [web1 -> db1]\n"),
        "{}",
        human.stdout
    );
    assert!(
        human.stdout.contains("ok: [web2 -> localhost]\n"),
        "{}",
        human.stdout
    );
}

#[test]
fn a_delegate_that_cannot_be_reached_makes_the_task_unreachable() {
    // Issue 17: the delegate is reached over ssh (Ansible's default); nothing answers.
    let test = fleet(
        "\
- hosts: web1
  gather_facts: false
  tasks:
    - name: far away
      copy: {dest: /far, content: x}
      delegate_to: far.example.com
",
    );
    let run = test.run(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 3, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains(
            "fatal: [web1 -> far.example.com]: UNREACHABLE! => {\"changed\": false, \"msg\": "
        ),
        "{}",
        run.stdout
    );
    assert_eq!(read(&test, "localhost", "far"), None);
}

#[test]
fn delegate_facts_put_the_facts_on_the_delegate() {
    let test = fleet(
        "\
- hosts: web
  gather_facts: false
  tasks:
    - set_fact: {given: \"by {{ inventory_hostname }}\"}
      delegate_to: db1
      delegate_facts: true
      when: inventory_hostname == 'web1'
- hosts: db1,web1
  gather_facts: false
  tasks:
    - copy: {dest: /given, content: \"{{ given | default('none') }}\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    // db1 is reached by no play before the fact is set: kept for the play that does,
    // as Ansible; no recap line for db1 from the first play alone.
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(read(&test, "db1", "given").as_deref(), Some("by web1\n"));
    assert_eq!(read(&test, "web1", "given").as_deref(), Some("none\n"));
    assert_eq!(recap(&run)["db1"]["changed"], 1);

    let test = fleet(
        "\
- hosts: all
  gather_facts: false
  tasks:
    - set_fact: {given: \"by {{ inventory_hostname }}\"}
      delegate_to: db1
      delegate_facts: true
      when: inventory_hostname == 'web1'
    - copy: {dest: /given, content: \"{{ given | default('none') }}\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(read(&test, "db1", "given").as_deref(), Some("by web1\n"));
    assert_eq!(read(&test, "web1", "given").as_deref(), Some("none\n"));
}

#[test]
fn run_once_runs_on_the_first_host_and_every_host_gets_its_result() {
    let test = fleet(
        "\
- hosts: web,db
  gather_facts: false
  tasks:
    - name: once
      debug: {msg: \"{{ inventory_hostname }}\"}
      run_once: true
      register: first
    - copy: {dest: /first, content: \"{{ first.msg }}\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let once: Vec<_> = results(&run)
        .into_iter()
        .filter(|(task, _, _)| task == "once")
        .collect();
    assert_eq!(once, [("once".into(), "web1".into(), "ok".into())]);
    for host in ["web1", "web2", "db1"] {
        assert_eq!(
            read(&test, host, "first").as_deref(),
            Some("web1\n"),
            "{host}"
        );
    }
}

#[test]
fn serial_runs_the_play_batch_by_batch_in_the_plays_order() {
    let test = fleet(
        "\
- hosts: web,db
  gather_facts: false
  serial: 2
  order: reverse_sorted
  tasks:
    - copy: {dest: /batch, content: \"{{ ansible_play_batch | join(',') }}\\n\"}
    - copy: {dest: /again, content: \"x\\n\"}
",
    );
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let hosts: Vec<String> = results(&run).into_iter().map(|(_, host, _)| host).collect();
    // The batch runs the whole play before the next batch starts.
    assert_eq!(hosts, ["web2", "web1", "web2", "web1", "db1", "db1"]);
    let plays = run
        .events()
        .into_iter()
        .filter(|e| e["event"] == "play")
        .count();
    assert_eq!(plays, 2, "one play banner per batch");
    assert_eq!(read(&test, "web1", "batch").as_deref(), Some("web2,web1\n"));
    assert_eq!(read(&test, "db1", "batch").as_deref(), Some("db1\n"));
}

#[test]
fn any_errors_fatal_and_max_fail_percentage_end_the_play_for_every_host() {
    let play = |keyword: &str| {
        format!(
            "\
- hosts: web,db
  gather_facts: false
  {keyword}
  tasks:
    - fail: {{msg: stop}}
      when: inventory_hostname == 'web2'
    - copy: {{dest: /after, content: x}}
- hosts: all
  gather_facts: false
  tasks:
    - copy: {{dest: /next, content: x}}
"
        )
    };
    for (keyword, ends) in [
        ("any_errors_fatal: true", true),
        ("max_fail_percentage: 30", true),
        ("max_fail_percentage: 34", false),
    ] {
        let test = fleet(&play(keyword));
        let run = test.run_json(&["-i", "hosts.ini"]);
        assert_eq!(run.code, 2, "{keyword}: {}\n{}", run.stdout, run.stderr);
        for host in ["web1", "db1"] {
            let after = read(&test, host, "after");
            assert_eq!(after.is_none(), ends, "{keyword}: {host}: {}", run.stdout);
            assert_eq!(
                read(&test, host, "next").is_none(),
                ends,
                "{keyword}: {host}"
            );
        }
        // The hosts the failure stopped count no failure of their own.
        assert_eq!(recap(&run)["web1"]["failed"], 0, "{keyword}");
    }
}

#[test]
fn force_handlers_run_the_handlers_of_a_host_that_failed() {
    let playbook = "\
- hosts: web
  gather_facts: false
  tasks:
    - copy: {dest: /notified, content: x}
      notify: handle
    - fail: {msg: stop}
      when: inventory_hostname == 'web2'
  handlers:
    - name: handle
      copy: {dest: /handled, content: x}
";
    let test = fleet(playbook);
    let run = test.run_json(&["-i", "hosts.ini"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(read(&test, "web1", "handled").is_some());
    assert!(read(&test, "web2", "handled").is_none(), "{}", run.stdout);

    for (forced, args) in [
        (
            playbook.replace(
                "  gather_facts: false\n",
                "  gather_facts: false\n  force_handlers: true\n",
            ),
            vec!["-i", "hosts.ini"],
        ),
        (
            playbook.to_string(),
            vec!["-i", "hosts.ini", "--force-handlers"],
        ),
    ] {
        let test = fleet(&forced);
        let run = test.run_json(&args);
        assert_eq!(run.code, 2, "{}", run.stderr);
        assert!(
            read(&test, "web2", "handled").is_some(),
            "{args:?}: {}",
            run.stdout
        );
    }
}

#[test]
fn throttle_runs_a_task_on_at_most_that_many_hosts_at_once() {
    let test = Test::new();
    let lock = test.outside().join("lock");
    test.project_file(
        "hosts.ini",
        "a ansible_connection=local\nb ansible_connection=local\nc ansible_connection=local\nd ansible_connection=local\n",
    );
    // Only one host at a time can hold the lock folder.
    test.playbook(&format!(
        "\
- hosts: all
  gather_facts: false
  tasks:
    - command: sh -c 'mkdir {lock} && sleep 0.2 && rmdir {lock}'
      throttle: 1
      changed_when: false
",
        lock = lock.display()
    ));
    let run = test.machinist(&[
        "run",
        "site.yml",
        "-i",
        "hosts.ini",
        "-f",
        "4",
        "--format",
        "json",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(results(&run).len(), 4);
}
