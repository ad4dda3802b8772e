//! The human output, whole, for a representative playbook: Ansible's shape (banners,
//! statuses, diffs, loop items, debug output, handlers, recap), without colour.

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
