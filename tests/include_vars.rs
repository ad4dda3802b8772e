//! `include_vars` through the real binary, the way real roles use it: a role picks its
//! distribution's variables by a templated name (`"{{ ansible_facts.os_family }}.yml"`
//! in its `vars/`), and later tasks, templates and handlers use them. The three checks,
//! `name:`, lazy values, precedence, and the refusals (a missing file, Ansible's
//! arguments machinist does not implement).

mod common;
use common::play;

use common::Test;

fn distribution_role(test: &Test) {
    for (path, content) in [
        (
            "roles/sshd/tasks/main.yml",
            "- name: Include OS-specific variables.\n  include_vars: \"{{ ansible_facts.os_family }}.yml\"\n\
             - name: Configure\n  lineinfile:\n    dest: \"{{ sshd_config_path }}\"\n    regexp: '^PermitRootLogin'\n    line: 'PermitRootLogin {{ permit_root }}'\n",
        ),
        ("roles/sshd/defaults/main.yml", "permit_root: \"no\"\n"),
        (
            "roles/sshd/vars/Debian.yml",
            "sshd_config_path: \"{{ sshd_dir }}/sshd_config\"\nsshd_dir: /etc/ssh\n",
        ),
        (
            "roles/sshd/vars/Archlinux.yml",
            "sshd_config_path: /etc/arch-sshd_config\n",
        ),
    ] {
        test.project_file(path, content);
    }
    test.playbook("- hosts: localhost\n  gather_facts: true\n  roles: [sshd]\n");
}

#[test]
fn a_role_picks_its_distributions_vars_file_three_checks() {
    let test = Test::new();
    distribution_role(&test);
    test.root_file("/etc/os-release", "ID=debian\nVERSION_ID=\"12\"\n");
    test.root_file(
        "/etc/ssh/sshd_config",
        "#PermitRootLogin prohibit-password\nPermitRootLogin yes\nUsePAM yes\n",
    );
    test.root_file("/etc/arch-sshd_config", "untouched\n");
    let runs = common::three_checks_runs(&test);
    assert_eq!(
        test.read("/etc/ssh/sshd_config"),
        "#PermitRootLogin prohibit-password\nPermitRootLogin no\nUsePAM yes\n"
    );
    assert_eq!(test.read("/etc/arch-sshd_config"), "untouched\n");
    let include = runs[1]
        .events()
        .into_iter()
        .find(|e| e["task"] == "sshd : Include OS-specific variables.")
        .expect("the include_vars task reports");
    assert_eq!(include["status"], "ok");
}

#[test]
fn an_arch_root_gets_the_arch_file() {
    let test = Test::new();
    distribution_role(&test);
    test.root_file("/etc/os-release", "ID=arch\n");
    test.root_file("/etc/arch-sshd_config", "PermitRootLogin yes\n");
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.read("/etc/arch-sshd_config"), "PermitRootLogin no\n");
}

#[test]
fn name_register_and_precedence() {
    let test = Test::new();
    test.project_file("vars/ports.yml", "web: 80\nadmin: \"{{ base + 1 }}\"\n");
    test.project_file("vars/override.yml", "who: included\n");
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  vars: {base: 8000, who: play}
  tasks:
    - include_vars:
        file: ports.yml
        name: ports
      register: loaded
    - include_vars: override.yml
    - name: check
      vars: {who: task}
      assert:
        that:
          - ports.web == 80
          - ports.admin | int == 8001
          - who == 'included'
          - loaded.ansible_facts.ports.web == 80
          - loaded.ansible_included_var_files[0] is match('.*/vars/ports.yml$')
"#,
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let extra = test.run_json(&["-e", "who=extra", "--check"]);
    assert_eq!(
        extra.code, 2,
        "extra vars beat include_vars:\n{}",
        extra.stdout
    );
}

#[test]
fn a_missing_file_fails_the_task_with_the_places_looked() {
    let test = Test::new();
    test.playbook(&play("    - include_vars: \"{{ 'nowhere' }}.yml\"\n"));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout
            .contains("could not find vars file 'nowhere.yml'"),
        "{}",
        run.stdout
    );
}

#[test]
fn arguments_machinist_does_not_implement_are_refused_at_load() {
    let test = Test::new();
    test.playbook(&play(
        "    - include_vars:\n        file: a.yml\n        hash_behaviour: merge\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains("hash_behaviour"), "{}", run.stderr);
}

#[test]
fn a_roles_dir_is_read_below_its_vars_folder_in_name_order() {
    let test = Test::new();
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  roles: [web]\n  tasks:\n    - debug: msg=\"{{ port }} {{ name }} {{ only_deep }}\"\n",
    );
    test.project_file("roles/web/tasks/main.yml", "- include_vars: {dir: by_os}\n");
    test.project_file("roles/web/vars/by_os/10-base.yml", "port: 80\nname: base\n");
    test.project_file("roles/web/vars/by_os/20-override.yml", "port: 8080\n");
    test.project_file(
        "roles/web/vars/by_os/deeper/x.json",
        "{\"only_deep\": true}\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("8080 base True"), "{}", run.stdout);
}
