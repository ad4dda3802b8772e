//! The human output, whole, for the main scenarios (insta snapshots in snapshots/):
//! Ansible's shape (banners, statuses, diffs, loop items, debug output, handlers,
//! recap), without colour — a first run, a second, `--check --diff`, failures and
//! rescue, roles with handlers under `--tags`, skipped and censored results.

mod common;
use common::play;

use common::Test;

#[test]
fn ansible_shaped_output_with_diff() {
    let test = Test::new();
    test.root_file("etc/hostname", "old\n");
    test.project_file(
        "templates/motd.j2",
        "{% for line in lines %}\n{{ line }}\n{% endfor %}\n",
    );
    test.playbook(
        r#"- name: demo
  hosts: localhost
  gather_facts: false
  vars:
    lines: [one, two]
  tasks:
    - name: hostname
      copy: {dest: /etc/hostname, content: "new\n"}
      notify: announce
    - name: motd
      template: {src: motd.j2, dest: /etc/motd}
    - name: items
      debug: msg="{{ item }}"
      loop: [a, b]
    - name: skipped
      debug: msg=never
      when: false
    - name: soft failure
      fail: msg=tolerated
      ignore_errors: true
  handlers:
    - name: announce
      debug: msg="hostname changed"
"#,
    );
    let run = test.run(&["--diff"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

/// Stdout into a pipe is written in batches, but never held back while a task runs:
/// the lines before a slow task, and its banner, are read while it still runs.
#[test]
fn a_slow_tasks_banner_is_out_before_it_ends() {
    use std::io::{BufRead, BufReader};
    use std::process::Stdio;

    let test = Test::new();
    test.playbook(&play(
        "    - name: quick\n      debug: msg=hello\n    - name: slow\n      command: sleep 5\n",
    ));
    // On this machine's `/`, so the sleep really runs (nothing is written).
    let mut child = test
        .command(&["run", "site.yml"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("start machinist");
    let stdout = child.stdout.take().expect("stdout");
    let mut seen = Vec::new();
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("line");
        let slow_banner = line.starts_with("TASK [slow]");
        seen.push(line);
        if slow_banner {
            break;
        }
    }
    let still_running = child.try_wait().expect("try_wait").is_none();
    let _ = child.kill();
    let _ = child.wait();
    assert!(still_running, "the banner came only at the end: {seen:#?}");
    assert!(
        seen.iter().any(|line| line.starts_with("ok: [localhost]")),
        "{seen:#?}"
    );
}

/// The main job, whole, three times: the first run changes (with diffs), the second
/// changes nothing, and `--check --diff` on a changed tree predicts, word for word as
/// the real run then says it.
#[test]
fn first_run_second_run_and_check_mode_output() {
    let test = Test::new();
    test.root_file("etc/pacman.conf", "[options]\n#ParallelDownloads = 5\n");
    test.playbook(
        r#"- name: base
  hosts: localhost
  gather_facts: false
  tasks:
    - name: config folder
      file: {path: /etc/myapp, state: directory, mode: "0755"}
    - name: config
      copy: {dest: /etc/myapp/app.conf, content: "port = 8080\n", mode: "0644"}
    - name: parallel downloads
      lineinfile:
        path: /etc/pacman.conf
        regexp: '^#?ParallelDownloads'
        line: ParallelDownloads = 5
    - name: marker
      command: touch /etc/myapp/ready
      args: {creates: /etc/myapp/ready}
"#,
    );
    common::busybox_root(&test);
    let first = test.run(&["--diff"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    insta::assert_snapshot!("first_run", first.stdout);
    let second = test.run(&["--diff"]);
    assert_eq!(second.code, 0, "{}", second.stderr);
    insta::assert_snapshot!("second_run", second.stdout);
    test.root_file("etc/myapp/app.conf", "port = 80\n");
    let before = test.tree();
    let check = test.run(&["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert_eq!(test.tree(), before, "--check changed the tree");
    insta::assert_snapshot!("check_run", check.stdout);
    let real = test.run(&["--diff"]);
    assert_eq!(real.stdout, check.stdout, "--check did not predict the run");
}

/// A failure: the fatal line, a block's rescue and always, the play stopped at the
/// next unrescued failure, and the recap with exit 2.
#[test]
fn failures_rescue_and_a_stopped_play_output() {
    let test = Test::new();
    test.playbook(&play(
        r#"    - name: guarded
      block:
        - name: breaks
          fail: msg="disk full"
        - name: never
          debug: msg=unreachable
      rescue:
        - name: recover
          debug: msg="rescued {{ ansible_failed_task.name }}"
      always:
        - name: cleanup
          debug: msg=always
    - name: a check that fails
      assert:
        that: 1 == 2
        fail_msg: one is not two
    - name: not reached
      debug: msg=never
"#,
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    insta::assert_snapshot!(run.stdout);
}

/// Roles and handlers, selected by tags: a role's tasks named `role : task`, its
/// handler run once at the end of the section, tasks outside the tags not shown.
#[test]
fn roles_handlers_and_tags_output() {
    let test = Test::new();
    test.project_file(
        "roles/web/tasks/main.yml",
        "- name: site\n  copy: {dest: /srv/index.html, content: \"hi\\n\"}\n  notify: reload web\n  tags: [web]\n- name: untagged in role\n  debug: msg=never\n",
    );
    test.project_file(
        "roles/web/handlers/main.yml",
        "- name: reload web\n  debug: msg=reloaded\n",
    );
    test.root_file("srv/keep", "");
    test.playbook(
        r#"- name: site
  hosts: localhost
  gather_facts: false
  roles: [web]
  tasks:
    - name: tagged
      debug: msg=selected
      tags: [web]
    - name: other
      debug: msg=unselected
      tags: [other]
"#,
    );
    let run = test.run(&["--tags", "web"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

/// What `--check` cannot predict is skipped; what `no_log` covers is censored; a loop's
/// items are labelled.
#[test]
fn check_mode_skips_no_log_censors_and_loops_label_output() {
    let test = Test::new();
    test.root_file("etc/keep", "");
    test.playbook(&play(
        r#"    - name: unpredictable
      command: /bin/true
    - name: secret
      copy: {dest: /etc/secret, content: "hunter2\n", mode: "0600"}
      no_log: true
    - name: users
      debug: msg="{{ item.name }}"
      loop: [{name: ann, uid: 1001}, {name: bob, uid: 1002}]
      loop_control: {label: "{{ item.name }}"}
"#,
    ));
    let run = test.run(&["--check", "--diff"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(!run.stdout.contains("hunter2"));
    insta::assert_snapshot!(run.stdout);
}
