//! The load-time check for undefined variables (issue 15, playbook/undefined.rs) never
//! refuses what ansible-core runs: each playbook here reads names only something else
//! defines (inventory, -e, role, register, set_fact, loops, magic variables, facts) or
//! reads them where Ansible may never evaluate them (guards, branches, skipped or
//! excused tasks, empty loops, handlers, plays without hosts) — all load and pass
//! `--syntax-check`. And the whole ansible_compat corpus loads. The refusals
//! themselves are tests/bad-input/undefined-variable-* cases.

mod common;

use common::{play, Test};
use std::path::Path;

/// `--syntax-check` of site.yml with `args` added: exit 0, or the output.
fn loads(test: &Test, args: &[&str]) {
    let mut full = vec!["run", "site.yml", "--syntax-check"];
    full.extend_from_slice(args);
    let run = test.machinist(&full);
    assert_eq!(
        run.code, 0,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
}

/// With one unguarded read of a name nothing defines added first, the check runs (it
/// did not give up) and refuses that read alone.
fn checked(test: &Test, playbook: &str, args: &[&str]) {
    let control = "    - debug: msg=\"{{ control_read }}\"\n";
    let with_control = playbook.replacen("  tasks:\n", &format!("  tasks:\n{control}"), 1);
    test.playbook(&with_control);
    let mut full = vec!["run", "site.yml", "--syntax-check"];
    full.extend_from_slice(args);
    let run = test.machinist(&full);
    assert_eq!(run.code, 4, "stderr:\n{}", run.stderr);
    assert!(
        run.stderr.contains("'control_read' is undefined"),
        "{}",
        run.stderr
    );
    assert_eq!(
        run.stderr.matches("is undefined").count(),
        1,
        "{}",
        run.stderr
    );
    test.playbook(playbook);
}

fn refused(test: &Test) -> String {
    let run = test.machinist(&["run", "site.yml", "--syntax-check"]);
    assert_eq!(
        run.code, 4,
        "stdout:\n{}\nstderr:\n{}",
        run.stdout, run.stderr
    );
    run.stderr
}

#[test]
fn names_defined_anywhere_in_the_run_load() {
    let test = Test::new();
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [vars/common.yml]\n  tasks:\n\
         \x20   - command: echo hi\n      register: greeting\n      changed_when: greeting.rc != 0\n\
         \x20   - set_fact: {later: 1}\n\
         \x20   - debug: msg=\"{{ greeting.stdout }} {{ later }} {{ from_file }} {{ from_cli }}\"\n\
         \x20   - debug: msg=\"{{ inventory_hostname }} {{ groups.all }} {{ hostvars | length }}\"\n\
         \x20   - debug: msg=\"{{ ansible_play_hosts }} {{ ansible_version.full }} {{ playbook_dir }} {{ omit }}\"\n\
         \x20   - debug: msg=\"{{ range(3) | list }} {{ dict(a=1) }} {{ from_play_two }}\"\n\
         \x20   - include_vars: {file: vars/common.yml, name: loaded}\n\
         \x20   - debug: msg=\"{{ loaded.from_file }}\"\n\
         \x20   - debug: msg=\"{{ entry }} {{ position }}\"\n      loop: [1, 2]\n      loop_control: {loop_var: entry, index_var: position}\n\
         \x20   - debug: msg=\"{{ shown }}\"\n      vars: {shown: 1}\n\
         - hosts: localhost\n  gather_facts: false\n  vars: {from_play_two: 2}\n  roles:\n    - common\n    - role: web\n      web_root: /srv\n",
    );
    test.project_file("vars/common.yml", "from_file: 1\n");
    test.project_file("roles/web/defaults/main.yml", "web_user: http\n");
    test.project_file("roles/web/vars/main.yml", "web_group: http\n");
    test.project_file(
        "roles/web/tasks/main.yml",
        "- debug: msg=\"{{ web_root }} {{ web_user }} {{ web_group }} {{ role_path }} {{ role_name }}\"\n\
         - debug: msg=\"{{ shared_port }} {{ lipsum(1) | length }}\"\n",
    );
    // A role of defaults only: every later task of the play sees them.
    test.project_file("roles/common/defaults/main.yml", "shared_port: 80\n");
    loads(&test, &["-e", "from_cli=1"]);
    let playbook = std::fs::read_to_string(test.project().join("site.yml")).expect("read");
    checked(&test, &playbook, &["-e", "from_cli=1"]);
}

#[test]
fn inventory_variables_of_any_host_and_group_load() {
    let test = Test::new();
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n\
         \x20   - debug: msg=\"{{ from_host }} {{ from_group }} {{ from_group_file }}\"\n",
    );
    test.project_file(
        "hosts.yml",
        "all:\n  hosts:\n    localhost: {ansible_connection: local, from_host: 1}\n  children:\n    web:\n      hosts: {localhost: {}}\n      vars: {from_group: 2}\n",
    );
    test.project_file("group_vars/web.yml", "from_group_file: 3\n");
    loads(&test, &["-i", "hosts.yml"]);
    let playbook = std::fs::read_to_string(test.project().join("site.yml")).expect("read");
    checked(&test, &playbook, &["-i", "hosts.yml"]);
}

#[test]
fn reads_ansible_may_never_evaluate_load() {
    let test = Test::new();
    test.playbook(&play(
        "    - debug: msg=\"{{ nowhere | default('x') }} {{ nowhere2 | d(1) }}\"\n\
         \x20   - debug: msg=\"{{ nowhere if nowhere is defined else 1 }}\"\n\
         \x20   - debug: msg=\"{{ lookup('vars', 'nowhere', default=1) }} {{ vars['x'] | default(2) }}\"\n\
         \x20   - copy: {dest: /x, content: \"{% if false %}{{ nowhere }}{% endif %}\"}\n\
         \x20   - debug: msg=\"{{ nowhere }}\"\n      when: false\n\
         \x20   - debug: msg=x\n      when: [nowhere is defined, nowhere > 1]\n\
         \x20   - debug: msg=x\n      when: false and nowhere\n\
         \x20   - debug: msg=\"{{ nowhere }}\"\n      ignore_errors: true\n\
         \x20   - debug: msg=\"{{ nowhere }}\"\n      failed_when: false\n\
         \x20   - debug: msg=\"{{ nowhere }}\"\n      loop: []\n\
         \x20   - debug: msg=\"{{ nowhere }}\"\n      tags: [never]\n\
         \x20   - debug: var=nowhere\n\
         \x20   - debug: {msg: \"{{ nowhere }}\", verbosity: 3}\n\
         \x20   - debug: msg=x\n      loop: []\n      when: nowhere\n\
         \x20   - command: echo {{ item }}\n      loop: []\n      changed_when: nowhere\n\
         \x20   - block:\n        - debug: msg=\"{{ nowhere }}\"\n      rescue:\n        - debug: msg=\"{{ nowhere2 }}\"\n\
         \x20   - block:\n        - debug: msg=\"{{ nowhere }}\"\n      when: false\n\
         \x20   - meta: end_play\n\
         \x20   - debug: msg=\"{{ nowhere }}\"\n",
    ));
    loads(&test, &[]);
    let playbook = std::fs::read_to_string(test.project().join("site.yml")).expect("read");
    checked(&test, &playbook, &[]);
}

#[test]
fn handlers_and_plays_without_hosts_are_not_read() {
    let test = Test::new();
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - debug: msg=x\n  handlers:\n\
         \x20   - name: never notified\n      debug: msg=\"{{ nowhere }}\"\n\
         - hosts: no_such_group\n  gather_facts: false\n  tasks:\n    - debug: msg=\"{{ nowhere }}\"\n",
    );
    loads(&test, &[]);
    let playbook = std::fs::read_to_string(test.project().join("site.yml")).expect("read");
    checked(&test, &playbook, &[]);
}

#[test]
fn what_runs_later_defines_makes_the_check_give_up() {
    // An include_tasks of a templated name, a templated set_fact key, an include_vars
    // without `name:`:
    // their names are known only when they run.
    for defining in [
        "    - include_tasks: \"{{ 'more' }}.yml\"\n",
        "    - set_fact: {\"{{ 'dyn' }}\": 1}\n",
        "    - include_vars: vars/common.yml\n",
    ] {
        let test = Test::new();
        test.playbook(&play(&format!(
            "{defining}    - debug: msg=\"{{{{ from_somewhere }}}}\"\n"
        )));
        test.project_file("more.yml", "- set_fact: {from_somewhere: 1}\n");
        test.project_file("vars/common.yml", "from_somewhere: 1\n");
        loads(&test, &[]);
    }
    let test = Test::new();
    test.playbook(&play("    - debug: msg=\"{{ from_somewhere }}\"\n"));
    assert!(refused(&test).contains("'from_somewhere' is undefined"));
}

#[test]
fn a_task_file_named_without_templating_is_read_for_its_names() {
    let test = Test::new();
    let playbook = play(
        "    - include_tasks: more.yml\n    - debug: msg=\"{{ from_include }} {{ from_nested }}\"\n",
    );
    test.playbook(&playbook);
    test.project_file(
        "more.yml",
        "- set_fact: {from_include: 1}\n- include_tasks: nested.yml\n- include_tasks: more.yml\n  when: false\n",
    );
    test.project_file("nested.yml", "- command: echo\n  register: from_nested\n");
    loads(&test, &[]);
    checked(&test, &playbook, &[]);
}

#[test]
fn with_tags_or_start_at_task_unselected_tasks_are_not_read() {
    let test = Test::new();
    test.playbook(&play(
        "    - debug: msg=x\n      tags: [a]\n    - debug: msg=\"{{ nowhere }}\"\n      tags: [b]\n",
    ));
    loads(&test, &["--tags", "a"]);
    assert!(refused(&test).contains("'nowhere' is undefined"));
}

#[test]
fn an_unguarded_read_is_refused_with_its_place() {
    let test = Test::new();
    test.playbook(&play(
        "    - set_fact: {packages_wanted: [vim]}\n    - debug: msg=\"{{ packages_wantd }}\"\n",
    ));
    let err = refused(&test);
    assert!(
        err.starts_with("site.yml:5:14: error: 'packages_wantd' is undefined"),
        "{err}"
    );
    assert!(err.contains("did you mean 'packages_wanted'?"), "{err}");
}

#[test]
fn a_template_files_unguarded_read_is_refused_at_its_line() {
    let test = Test::new();
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars: {listen_port: 80}\n  roles: [web]\n",
    );
    test.project_file(
        "roles/web/tasks/main.yml",
        "- name: site config\n  template: {src: site.conf.j2, dest: /etc/site.conf}\n",
    );
    test.project_file(
        "roles/web/templates/site.conf.j2",
        "#jinja2: trim_blocks: False\n# {{ ansible_managed }}\nlisten {{ listen_port }}\nroot {{ web_rot }}\n",
    );
    test.project_file("roles/web/defaults/main.yml", "web_root: /srv\n");
    let err = refused(&test);
    assert!(
        err.starts_with("roles/web/tasks/main.yml:2:19: error: roles/web/templates/site.conf.j2:4: 'web_rot' is undefined"),
        "{err}"
    );
    assert!(err.contains("did you mean 'web_root'?"), "{err}");
    assert!(err.contains("in the template this task renders"), "{err}");
    // Run as a whole (not only --syntax-check), nothing runs before the refusal.
    let run = test.machinist(&["run", "site.yml"]);
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(!run.stdout.contains("TASK"), "{}", run.stdout);
}

#[test]
fn a_src_under_role_path_or_playbook_dir_is_read_too() {
    for (src, file) in [
        ("{{ role_path }}/templates/t.j2", "roles/web/templates/t.j2"),
        ("{{ playbook_dir }}/shared/t.j2", "shared/t.j2"),
    ] {
        let test = Test::new();
        test.playbook("- hosts: localhost\n  gather_facts: false\n  roles: [web]\n");
        test.project_file(
            "roles/web/tasks/main.yml",
            &format!("- template: {{src: \"{src}\", dest: /x}}\n"),
        );
        test.project_file(file, "{{ nowhere }}\n");
        let err = refused(&test);
        assert!(err.contains("t.j2:1: 'nowhere' is undefined"), "{err}");
    }
}

#[test]
fn a_template_looped_over_a_written_list_is_read_with_its_loop_variables() {
    let test = Test::new();
    let playbook = play(
        "    - template: {src: site.j2, dest: \"/x/{{ site }}\"}\n      loop: [a, b]\n      loop_control: {loop_var: site, index_var: n}\n\
         \x20   - template: {src: other.j2, dest: /x}\n      loop: \"{{ [] }}\"\n",
    );
    test.playbook(&playbook);
    test.project_file(
        "templates/site.j2",
        "{{ site }} {{ n }} {{ ansible_loop.index }}\n",
    );
    test.project_file("templates/other.j2", "{{ nowhere }}\n");
    loads(&test, &[]);
    test.project_file("templates/site.j2", "{{ site }} {{ nowhere }}\n");
    assert!(refused(&test).contains("templates/site.j2:1: 'nowhere' is undefined"));
}

#[test]
fn a_template_files_unknown_filter_is_refused_at_its_line() {
    let test = Test::new();
    test.playbook(&play(
        "    - template: {src: t.j2, dest: /x}\n      vars: {name: x}\n",
    ));
    test.project_file("templates/t.j2", "a\n{{ name | uper }}\n");
    let err = refused(&test);
    assert!(
        err.contains("templates/t.j2:2: unknown filter 'uper'"),
        "{err}"
    );
}

#[test]
fn template_files_ansible_renders_load() {
    // What Jinja never evaluates (branches, empty loops, uncalled macros, the right of
    // `or`), guarded reads, names the template defines and the template module's own
    // variables; and a task whose template is not known or may not render.
    let test = Test::new();
    let playbook = play(
        "    - template: {src: scopes.j2, dest: /x}\n      vars: {task_only: 1}\n\
         \x20   - template: {src: \"{{ which }}.j2\", dest: /x}\n      vars: {which: scopes}\n\
         \x20   - template: {src: reads_item.j2, dest: /x}\n      loop: []\n\
         \x20   - template: {src: reads_item.j2, dest: /x}\n      when: false\n\
         \x20   - template: {src: child.j2, dest: /x}\n",
    );
    test.playbook(&playbook);
    test.project_file(
        "templates/scopes.j2",
        "# {{ ansible_managed }} {{ template_path }} {{ template_host }} {{ template_uid }}\n\
         {% import 'lib.j2' as lib %}{% from 'lib.j2' import shout as loud %}\n\
         {% set ns = namespace(n=0) %}{% set greeting = 'hi' %}\n\
         {% macro line(name, value=nowhere) %}{{ name }} {{ value }}{% endmacro %}{% macro unused() %}{{ nowhere2 }}{% endmacro %}\n\
         {% for k, v in {'a': 1}.items() %}{% set ns.n = ns.n + v %}{{ line(k, v) }} {{ loop.index }}{% endfor %}{% for x in [] %}{{ nowhere3 }}{% endfor %}\n\
         {{ ns.n }} {{ lib.shout(greeting) }} {{ loud(greeting) }} {{ task_only }}\n\
         {% if nowhere4 is defined %}{{ nowhere4 }}{% endif %}{% if false %}{{ nowhere5 }}{% endif %}\n\
         {{ nowhere6 | default(1) }} {{ true or nowhere7 }} {{ 1 if true else nowhere8 }}\n\
         {% with local = 1 %}{{ local }}{% endwith %}{% include 'lib.j2' %}\n\
         {% call line('x', 1) %}{{ nowhere9 }}{% endcall %}{{ range(2) | list }} {{ inventory_hostname }}\n",
    );
    test.project_file(
        "templates/lib.j2",
        "{% macro shout(w) %}{{ w | upper }}{% endmacro %}\n",
    );
    test.project_file("templates/reads_item.j2", "{{ item }} {{ nowhere }}\n");
    test.project_file(
        "templates/child.j2",
        "{% extends 'base.j2' %}{% block body %}{{ nowhere }}{% endblock %}\n",
    );
    test.project_file("templates/base.j2", "{% block body %}{% endblock %}\n");
    loads(&test, &[]);
    checked(&test, &playbook, &[]);
    // With one more unguarded read in the file, the file is read and refused.
    let scopes = test.project().join("templates/scopes.j2");
    let text = std::fs::read_to_string(&scopes).expect("read");
    std::fs::write(&scopes, format!("{text}{{{{ control_read }}}}\n")).expect("write");
    let err = refused(&test);
    assert!(
        err.contains("templates/scopes.j2:11: 'control_read' is undefined"),
        "{err}"
    );
}

/// Every playbook of playbooks/ (the examples of the README) loads with its inventory.
#[test]
fn the_example_playbooks_load() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks");
    let test = Test::new();
    let mut names: Vec<_> = std::fs::read_dir(&dir)
        .expect("playbooks")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "yml"))
        .collect();
    names.sort();
    assert!(!names.is_empty());
    for path in names {
        let output = test
            .command(&[])
            .args(["run", "--syntax-check", "-i", "machines.ini"])
            .arg(&path)
            .current_dir(&dir)
            .output()
            .expect("start machinist");
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// Every playbook of tests/ansible_compat/corpus loads as the corpus runs it (`-e
/// base=…` and its setup's arguments and inventory).
#[test]
fn the_whole_ansible_compat_corpus_loads() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ansible_compat/corpus");
    let test = Test::new();
    let mut refused = Vec::new();
    let mut cases: Vec<_> = std::fs::read_dir(&corpus)
        .expect("corpus")
        .map(|entry| entry.expect("entry").path())
        .filter(|path| {
            let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
            name.ends_with(".yml") && !name.ends_with(".setup.yml")
        })
        .collect();
    cases.sort();
    for case in cases {
        let setup_path = case.with_extension("setup.yml");
        let setup: serde_yaml::Value = std::fs::read_to_string(&setup_path)
            .ok()
            .and_then(|text| serde_yaml::from_str(&text).ok())
            .unwrap_or(serde_yaml::Value::Null);
        let inventory = setup
            .get("inventory")
            .and_then(|v| v.as_str())
            .unwrap_or("localhost,")
            .to_string();
        let args: Vec<String> = setup
            .get("args")
            .and_then(|v| v.as_sequence())
            .map(|args| {
                args.iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let name = case.file_name().and_then(|n| n.to_str()).expect("name");
        let mut full = vec![
            "run".to_string(),
            name.to_string(),
            "--syntax-check".into(),
            "-i".into(),
            inventory,
            "-e".into(),
            format!("base={}", test.root().display()),
        ];
        full.extend(args);
        let output = test
            .command(&[])
            .args(&full)
            .current_dir(&corpus)
            .output()
            .expect("start machinist");
        let stderr = String::from_utf8_lossy(&output.stderr);
        if stderr.contains("is undefined: no vars") {
            refused.push(format!("{name}: {stderr}"));
        }
    }
    assert!(refused.is_empty(), "{}", refused.join("\n"));
}
