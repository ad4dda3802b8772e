//! `module_defaults` (issue 15): what the differential case
//! (tests/ansible_compat/corpus/module_defaults.yml) cannot show — arguments that
//! come from the defaults are type-checked before anything runs, and what machinist
//! cannot honour (an action group, a template for a module's whole arguments, a
//! name that is no module, `module_defaults` on an include) is refused at load.

mod common;
use common::{play, Test};

fn refused(tasks: &str, message: &str) {
    let test = Test::new();
    test.playbook(&play(tasks));
    let run = test.run(&["--syntax-check"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stderr.contains(message), "{}", run.stderr);
}

#[test]
fn defaults_reach_the_module_and_its_own_arguments_win() {
    let test = Test::new();
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  module_defaults:
    copy: {content: "default\n", mode: "0600"}
  tasks:
    - copy: {dest: /a}
    - copy: {dest: /b, content: "own\n"}
"#,
    );
    common::three_checks(&test);
    assert_eq!(test.read("a"), "default\n");
    assert_eq!(test.read("b"), "own\n");
    assert_eq!(test.mode("a"), 0o600);
    assert_eq!(test.mode("b"), 0o600);
}

#[test]
fn a_wrong_default_argument_is_located_where_the_default_is_written() {
    refused(
        r#"    - copy: {dest: /a, content: x}
      module_defaults:
        copy: {mdoe: "0600"}
"#,
        "site.yml:6:16: error: unknown argument 'mdoe' for module copy",
    );
}

#[test]
fn an_action_group_is_refused() {
    refused(
        r#"    - debug: msg=x
      module_defaults:
        group/aws: {region: eu-west-1}
"#,
        "'group/aws' is an action group",
    );
}

#[test]
fn a_name_that_is_no_module_is_refused() {
    refused(
        r#"    - debug: msg=x
      module_defaults:
        no_such_module: {a: 1}
"#,
        "module_defaults: no module or action 'no_such_module'",
    );
}

#[test]
fn a_template_for_the_whole_arguments_is_refused() {
    refused(
        r#"    - debug: msg=x
      module_defaults:
        debug: "{{ debug_defaults }}"
"#,
        "the arguments of 'debug' are a template",
    );
}

#[test]
fn an_include_takes_no_module_defaults_as_in_ansible() {
    refused(
        r#"    - include_tasks: other.yml
      module_defaults:
        debug: {msg: x}
"#,
        "module_defaults",
    );
}
