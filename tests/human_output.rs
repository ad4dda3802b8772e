//! The human output, whole, for a representative playbook: Ansible's shape (banners,
//! statuses, diffs, loop items, debug output, handlers, recap), without colour.

mod common;

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
