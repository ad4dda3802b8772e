//! Templated `vars_files` names (rendered before the play with its vars, extra vars
//! and playbook_dir) and templated `include_role` names (the role loaded when the task
//! runs), as Ansible allows them; `import_role` stays static.

mod common;
use common::play;

use common::Test;

#[test]
fn vars_files_names_are_rendered_with_play_and_extra_vars() {
    let test = Test::new();
    test.project_file("vars/prod.yml", "greeting: from prod\n");
    test.project_file("vars/test.yml", "greeting: from test\n");
    test.project_file("vars/common.yml", "shared: yes-shared\n");
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars:\n    stage: prod\n  vars_files:\n    - \"{{ playbook_dir }}/vars/common.yml\"\n    - \"vars/{{ stage }}.yml\"\n  tasks:\n    - debug: msg=\"{{ greeting }} {{ shared }}\"\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("from prod yes-shared"),
        "{}",
        run.stdout
    );
    let run = test.run_json(&["-e", "stage=test"]);
    assert!(run.stdout.contains("from test"), "{}", run.stdout);

    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars_files:\n    - \"vars/{{ nowhere }}.yml\"\n  tasks:\n    - debug: msg=x\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(
        run.stderr.contains("'nowhere' is undefined"),
        "{}",
        run.stderr
    );
}

#[test]
fn include_role_names_are_rendered_when_the_task_runs() {
    let test = Test::new();
    for role in ["web", "db"] {
        test.project_file(
            &format!("roles/{role}/tasks/main.yml"),
            &format!("- debug: msg=\"{role} says {{{{ word }}}}\"\n"),
        );
        test.project_file(&format!("roles/{role}/defaults/main.yml"), "word: hello\n");
    }
    test.playbook(
        &play("    - include_role:\n        name: \"{{ item }}\"\n      loop: [web, db]\n    - include_role:\n        name: \"{{ 'w' ~ 'eb' }}\"\n      vars:\n        word: bye\n"),
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for said in ["web says hello", "db says hello", "web says bye"] {
        assert!(run.stdout.contains(said), "{said}: {}", run.stdout);
    }
}

#[test]
fn a_role_named_at_run_time_with_handlers_and_a_templated_import_are_refused() {
    let test = Test::new();
    test.project_file("roles/svc/tasks/main.yml", "- debug: msg=svc\n");
    test.project_file(
        "roles/svc/handlers/main.yml",
        "- name: restart\n  debug: msg=restart\n",
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars:\n    r: svc\n  tasks:\n    - include_role: {name: \"{{ r }}\"}\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("has handlers"), "{}", run.stdout);

    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars:\n    r: svc\n  tasks:\n    - import_role: {name: \"{{ r }}\"}\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("import_role is static"),
        "{}",
        run.stderr
    );
}
