//! `async:` / `poll:` and `async_status` (issue 15) through the real binary: a
//! `poll: 0` job goes on after its task returned and `async_status` waits for it; a
//! job past its time is stopped before it acts; jobs still running when the run ends
//! are stopped with it; `--check` changes no byte; a job's warnings are said and a
//! `no_log` job's argv stays out of the logs; and the same over ssh and as a local
//! become user, where the job runs in the agent. The differential cases against
//! ansible-core are tests/ansible_compat/corpus/async_*.yml.

mod common;

use common::ssh_hosts::{inventory, ssh_vars, RemoteRoot};
use common::sshd::Sshd;
use common::{play, Test};
use serde_json::{json, Value};
use std::time::{Duration, Instant};

/// A busybox root with `sleep` too (the jobs here take their time).
fn busybox_root(test: &Test) {
    common::busybox_root(test);
    std::os::unix::fs::symlink("busybox", test.root().join("bin/sleep")).expect("sleep link");
}

fn task<'a>(events: &'a [Value], name: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == "task" && e["task"] == name)
        .unwrap_or_else(|| panic!("no event of {name}"))
}

const FIRE_AND_WAIT: &str = r#"    - name: start
      shell: sleep 2; echo done > /tmp/job
      args: {creates: /tmp/job}
      async: 30
      poll: 0
      register: job
    - name: not yet
      stat: {path: /tmp/job}
      register: early
    - name: wait
      async_status: {jid: "{{ job.ansible_job_id }}"}
      register: state
      until: state.finished
      retries: 30
      delay: 0.2
    - name: said
      debug: {msg: "{{ early.stat.exists }} {{ state.finished }} {{ state.rc }} {{ job.finished }} {{ job.started }}"}
"#;

#[test]
fn a_poll_0_job_goes_on_after_its_task_and_async_status_waits_for_it() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(FIRE_AND_WAIT));
    let started = Instant::now();
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    assert_eq!(task(&events, "start")["status"], "changed");
    // The file was not there when the task after the job's looked.
    assert_eq!(
        task(&events, "said")["result"]["msg"],
        "False True 0 False True"
    );
    assert_eq!(test.read("/tmp/job"), "done\n");
    assert!(started.elapsed() < Duration::from_secs(20));
}

#[test]
fn check_mode_starts_the_job_in_check_mode_and_changes_no_byte() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(FIRE_AND_WAIT));
    let before = test.root_tree();
    let run = test.run_json(&["--check"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    assert_eq!(task(&events, "start")["status"], "changed");
    // The job's module was predicted, not run: `creates` says it would run.
    let waited = &task(&events, "wait")["result"];
    assert_eq!(waited["finished"], true, "{waited}");
    assert_eq!(waited["changed"], true, "{waited}");
    assert_eq!(test.root_tree(), before, "--check changed the root");
}

#[test]
fn a_job_past_its_time_is_stopped_before_it_acts() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        r#"    - name: slow
      shell: sleep 3; echo late > /tmp/late
      async: 1
      poll: 0
      register: slow
    - name: polled
      shell: sleep 3; echo late > /tmp/polled
      async: 1
      poll: 1
      register: polled
      ignore_errors: true
    - name: past the slow job's time, whatever the threads' timing
      command: sleep 1
    - name: ask
      async_status: {jid: "{{ slow.ansible_job_id }}"}
      register: state
      ignore_errors: true
    - name: said
      debug: {msg: "{{ state.msg }} / {{ polled.msg }}"}
"#,
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    assert_eq!(
        task(&events, "polled")["status"],
        "failed",
        "{}",
        run.stdout
    );
    assert_eq!(
        task(&events, "said")["result"]["msg"],
        "Timeout exceeded / async task did not complete within the requested time - 1s"
    );
    std::thread::sleep(Duration::from_secs(3));
    for never in ["tmp/late", "tmp/polled"] {
        assert!(!test.root().join(never).exists(), "{never} was written");
    }
}

#[test]
fn jobs_still_running_when_the_run_ends_are_stopped() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - shell: sleep 4; echo after > /tmp/after\n      async: 60\n      poll: 0\n",
    ));
    let started = Instant::now();
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "the run waited for its job"
    );
    std::thread::sleep(Duration::from_secs(5));
    assert!(
        !test.root().join("tmp/after").exists(),
        "the job outlived the run"
    );
}

#[test]
fn actions_without_async_support_fail_as_ansibles_do() {
    let test = Test::new();
    test.playbook(&play(
        "    - copy: {dest: /x, content: x}\n      async: 10\n      poll: 0\n      ignore_errors: true\n    - debug: {msg: hi}\n      async: 10\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    assert_eq!(
        task(&events, "copy")["msg"],
        "This action (copy) does not support async."
    );
    assert_eq!(
        task(&events, "debug")["msg"],
        "This action (debug) does not support async."
    );
    assert!(!test.root().join("x").exists());
}

#[test]
fn a_templated_async_that_is_no_number_fails_the_task() {
    let test = Test::new();
    test.playbook(&play(
        "    - command: echo hi\n      async: \"{{ 'soon' }}\"\n      poll: 0\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let msg = task(&run.events(), "command")["msg"].to_string();
    assert!(msg.contains("expected a whole number of seconds"), "{msg}");
}

#[test]
fn over_ssh_jobs_run_in_the_hosts_agent_polled_or_asked_in_a_loop() {
    let test = Test::new();
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("async");
    let mut vars = ssh_vars(&sshd, remote.path());
    vars.as_object_mut().unwrap().remove("machinist_root");
    vars["base"] = json!(remote.path());
    inventory(&test, &[("far", vars)]);
    test.playbook(
        r#"- hosts: all
  gather_facts: false
  tasks:
    - name: polled
      command: echo polled
      async: 20
      poll: 1
      register: polled
    - name: start
      shell: "sleep 0.5; echo {{ item }} > {{ base }}/job{{ item }}"
      loop: [1, 2]
      async: 30
      poll: 0
      register: jobs
    - name: wait
      async_status: {jid: "{{ item.ansible_job_id }}"}
      loop: "{{ jobs.results }}"
      register: done
      until: done.finished
      retries: 30
      delay: 0.2
    - name: said
      debug: {msg: "{{ polled.stdout }} {{ polled.finished }} {{ done.results | map(attribute='rc') | list }}"}
"#,
    );
    let run = test.machinist(&["run", "site.yml", "-i", "inventory.yml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    assert_eq!(task(&events, "said")["result"]["msg"], "polled True [0, 0]");
    for item in ["1", "2"] {
        let written = std::fs::read_to_string(remote.path().join(format!("job{item}")));
        assert_eq!(written.unwrap(), format!("{item}\n"));
    }
}

#[test]
fn an_async_that_is_no_number_is_a_load_error() {
    let test = Test::new();
    test.playbook(&play(
        "    - debug: msg=start\n    - command: echo hi\n      async: [1]\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("async is a whole number, or a template of one; found"),
        "{}",
        run.stderr
    );
    assert!(!run.stdout.contains("start"), "a task ran: {}", run.stdout);
}

#[test]
fn a_jobs_warnings_are_said_by_the_task_that_reads_its_result() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - name: polled
      find: {paths: /nope}
      async: 10
      poll: 1
    - name: started
      find: {paths: /nope2}
      async: 10
      poll: 0
      register: job
    - name: asked
      async_status: {jid: "{{ job.ansible_job_id }}"}
      register: state
      until: state.finished
      retries: 20
      delay: 0.1
"#,
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    let warnings: Vec<String> = events
        .iter()
        .filter(|e| e["event"] == "warning")
        .map(|e| e["msg"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(warnings.len(), 2, "{warnings:?}");
    assert!(
        warnings[0].contains("'/nope' is not a directory"),
        "{warnings:?}"
    );
    assert!(
        warnings[1].contains("'/nope2' is not a directory"),
        "{warnings:?}"
    );
    let asked = &task(&events, "asked")["result"];
    assert!(asked.get("warnings").is_none(), "{asked}");
}

/// A local task that becomes another user runs its job in that user's agent (started
/// on this machine), and async_status with the same become asks that agent.
#[test]
fn a_local_job_as_a_become_user_runs_in_that_users_agent() {
    common::rootfs::require_root();
    common::sshd::ensure_become_users();
    let who = common::sshd::BECOME_USER;
    let test = Test::new();
    test.playbook(&format!(
        r#"- hosts: localhost
  gather_facts: false
  become: true
  become_user: {who}
  tasks:
    - name: start
      command: id -un
      async: 10
      poll: 0
      register: job
    - name: wait
      async_status: {{jid: "{{{{ job.ansible_job_id }}}}"}}
      register: state
      until: state.finished
      retries: 20
      delay: 0.1
    - name: asked as root
      async_status: {{jid: "{{{{ job.ansible_job_id }}}}"}}
      become: false
      register: elsewhere
      ignore_errors: true
"#
    ));
    let run = test.machinist(&["run", "site.yml", "--format", "json"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    assert_eq!(task(&events, "wait")["result"]["stdout"], who);
    // The controller's own jobs do not have it, as Ansible's root has no such
    // results file.
    assert_eq!(
        task(&events, "asked as root")["result"]["msg"],
        "could not find job"
    );
}

#[test]
fn a_no_log_jobs_argv_stays_out_of_the_logs() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(&play(
        "    - command: echo s3cr3t-word\n      no_log: true\n      async: 10\n      poll: 1\n",
    ));
    let run = test.run(&["-vvv"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("ran a program"), "{}", run.stderr);
    assert!(!run.stderr.contains("s3cr3t"), "{}", run.stderr);
    assert!(!run.stdout.contains("s3cr3t"), "{}", run.stdout);
}
