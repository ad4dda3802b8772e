//! Regression tests for engine bugs found while hardening (issue 7), each named after
//! what it pins. The bad-input corpus (tests/bad_input.rs) pins the error messages;
//! these pin behaviour that used to be wrong on good input.

mod common;
use common::play;

use common::Test;

/// `{% include %}` in a template file failed ("template not found") whenever the
/// playbook was named by a relative path: the include was looked up relative to the
/// working directory's name of the template, which the loader refused.
#[test]
fn issue7_template_includes_work_when_the_playbook_path_is_relative() {
    let test = Test::new();
    test.project_file("templates/a.j2", "A {% include 'b.j2' %}\n")
        .project_file("templates/sub/c.j2", "C {% include 'b.j2' %}\n")
        .project_file("templates/b.j2", "B")
        .playbook(&play(
            "    - template: {src: a.j2, dest: /a}\n    - template: {src: sub/c.j2, dest: /c}\n",
        ));
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // As ansible-core: the source's last newline is dropped, then restored (the file
    // ended in one newline, so does the output).
    assert_eq!(test.read("/a"), "A B\n");
    assert_eq!(test.read("/c"), "C B\n");
}

/// Free-form arguments split `msg={{ item }}` at the spaces inside the braces and
/// refused the task, where Ansible's parse_kv keeps a Jinja expression whole.
#[test]
fn issue7_free_form_arguments_keep_jinja_expressions_whole() {
    let test = Test::new();
    test.playbook(
        &play("    - debug: msg={{ item | upper }} verbosity=0\n      loop: [a]\n    - copy: dest=/x content={{ 'x' ~ ' y' }}\n"),
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    assert_eq!(events[1]["msg"], "A", "{}", run.stdout);
    assert_eq!(test.read("/x"), "x y");
}

/// A file that includes itself with `include_tasks` recursed until the stack
/// overflowed and machinist aborted; now the 64th level fails the task, located.
#[test]
fn issue7_an_include_loop_fails_the_task_instead_of_overflowing_the_stack() {
    let test = Test::new();
    test.project_file("again.yml", "- include_tasks: again.yml\n")
        .playbook(&play(
            "    - include_tasks: again.yml\n    - debug: msg=never\n",
        ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("again.yml:1:18: include_tasks nested more than 64 deep"),
        "{}",
        run.stdout
    );
    assert!(!run.stdout.contains("never"));
}

/// A NUL byte ended the YAML file where it stood, silently: the rest of the playbook
/// was never read. It is refused now, with its place.
#[test]
fn issue7_a_nul_byte_is_refused_not_the_end_of_the_file() {
    let test = Test::new();
    test.playbook("- hosts: localhost\n  tasks:\n    - debug: msg=a\u{0}\n    - file: {path: /x, state: touch}\n");
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(
        run.stderr
            .starts_with("site.yml:3:19: error: the character U+0000"),
        "{}",
        run.stderr
    );
}

/// A template whose loops never end (an untrusted role's `range` in a `range`) kept
/// machinist rendering for hours; renders now run on a bounded budget of fuel.
#[test]
fn issue7_a_runaway_template_runs_out_of_fuel() {
    let test = Test::new();
    test.playbook(
        &play("    - debug: msg=\"{% for a in range(100000) %}{% for b in range(100000) %}{% endfor %}{% endfor %}\"\n"),
    );
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stdout.contains("site.yml:4:14: engine ran out of fuel"),
        "{}",
        run.stdout
    );
}
