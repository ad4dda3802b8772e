//! Plugin modules through the real binary (issue 8): discovery order, shadowing of
//! built-ins, both protocols (machinist's JSON on stdin, Ansible's WANT_JSON), check
//! mode, argument specs with located errors, every failure mode (non-zero exit, no
//! JSON, invalid JSON, megabytes of output, a timeout), stderr under -v, plugins
//! inside a container root, and the two shipped examples (POSIX shell and Rust).

mod common;
use common::play;

use common::{busybox_root, three_checks, Test};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::{Duration, Instant};

/// An executable file in the project (`library/NAME`, `roles/r/library/NAME`).
fn plugin(test: &Test, path: &str, script: &str) {
    test.project_file(path, script);
    let full = test.project().join(path);
    std::fs::set_permissions(&full, std::fs::Permissions::from_mode(0o755)).expect("chmod");
}

/// `machinist run site.yml --format json ARGS` on `/` (plugins run directly).
fn run_on_host(test: &Test, args: &[&str], env: &[(&str, &str)]) -> common::Run {
    let mut full = vec!["run", "site.yml", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist_env(&full, env)
}

/// The `msg` of each task event, by task name.
fn messages(run: &common::Run) -> Vec<(String, String)> {
    run.events()
        .into_iter()
        .filter(|e| e["event"] == "task")
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
            (text("task"), text("msg"))
        })
        .collect()
}

/// A plugin answering `{"changed": false, "msg": TEXT}`.
fn says(text: &str) -> String {
    format!("#!/bin/sh\ncat >/dev/null\necho '{{\"changed\": false, \"msg\": \"{text}\"}}'\n")
}

#[test]
fn discovery_order_role_then_playbook_then_machinist_library() {
    let test = Test::new();
    let shared = test.outside().join("shared");
    std::fs::create_dir_all(&shared).expect("mkdir");
    plugin(&test, "roles/web/library/who", &says("role"));
    plugin(&test, "library/who", &says("playbook"));
    plugin(&test, "../shared/who", &says("env"));
    plugin(&test, "../shared/only_env", &says("env only"));
    test.project_file(
        "roles/web/tasks/main.yml",
        "- name: in role\n  who:\n- name: role include\n  include_tasks: more.yml\n",
    );
    test.project_file(
        "roles/web/tasks/more.yml",
        "- name: role included\n  who:\n",
    );
    test.project_file("tasks/more.yml", "- name: included\n  who:\n");
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  roles: [web]\n  tasks:\n    - name: in play\n      who:\n    - name: env\n      only_env:\n    - name: include\n      include_tasks: tasks/more.yml\n",
    );
    let env = [("MACHINIST_LIBRARY", shared.to_str().expect("utf-8"))];
    let run = run_on_host(&test, &[], &env);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        messages(&run),
        [
            ("web : in role", "role"),
            ("web : role included", "role"),
            ("in play", "playbook"),
            ("env", "env only"),
            ("included", "playbook"),
        ]
        .map(|(a, b)| (a.to_string(), b.to_string()))
    );
    // Without the playbook's library/, MACHINIST_LIBRARY's plugin answers.
    std::fs::remove_file(test.project().join("library/who")).expect("rm");
    let run = run_on_host(&test, &[], &env);
    assert_eq!(
        messages(&run)[2],
        ("in play".to_string(), "env".to_string())
    );
}

#[test]
fn a_plugin_may_not_shadow_a_built_in_unless_qualified() {
    let test = Test::new();
    plugin(&test, "library/file", &says("plugin file"));
    plugin(&test, "library/debug", &says("plugin debug"));
    test.playbook(&play(
        "    - file: {path: /nonexistent-machinist-test, state: absent}\n    - debug: msg=hi\n",
    ));
    let run = test.run(&["--check"]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    insta::assert_snapshot!(run.stderr, @r"
    site.yml:4:7: error: the plugin library/file has the name of the built-in module 'file'; write 'library.file' to run the plugin, or rename it
      |
    4 |     - file: {path: /nonexistent-machinist-test, state: absent}
      |       ^^^^
    site.yml:5:7: error: the plugin library/debug has the name of the built-in module 'debug'; write 'library.debug' to run the plugin, or rename it
      |
    5 |     - debug: msg=hi
      |       ^^^^^
    2 errors; nothing was run
    ");

    test.playbook(&play(
        "    - library.file:\n    - ansible.builtin.file: {path: /nonexistent-machinist-test, state: absent}\n    - library.nothing:\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr
            .contains("site.yml:6:7: error: no plugin module 'nothing'; looked in: library"),
        "{}",
        run.stderr
    );

    test.playbook(&play(
        "    - library.file:\n    - ansible.builtin.file: {path: /nonexistent-machinist-test, state: absent}\n",
    ));
    test.project_file("library/file.yml", "supports_check_mode: true\n");
    let run = run_on_host(&test, &["--check"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(messages(&run)[0].1, "plugin file");
    assert_eq!(
        run.statuses()[1],
        ("ansible.builtin.file".into(), "ok".into())
    );
}

#[test]
fn machinist_protocol_json_on_stdin_with_metadata() {
    let test = Test::new();
    test.project_file("library/echo.yml", "supports_check_mode: true\nargument_spec:\n  who: {type: str}\n  count: {type: int, default: 2}\n  token: {type: str, no_log: true}\n  path: {type: path, aliases: [dest]}\n");
    plugin(
        &test,
        "library/echo",
        "#!/bin/sh\nprintf '{\"changed\": true, \"msg\": \"used s3cr3t\", \"got\": %s, \"argc\": %s}' \"$(cat)\" $#\n",
    );
    test.playbook(&play(
        "    - echo: {who: \"{{ 'wor' ~ 'ld' }}\", token: s3cr3t, dest: /etc/x}\n      register: r\n      diff: true\n    - assert:\n        that:\n          - r.changed\n          - r.argc == 0\n          - r.got.who == 'world'\n          - r.got.count == 2\n          - r.got.path == '/etc/x'\n          - \"r.got._machinist == {'check_mode': ansible_check_mode, 'diff': true, 'root': '/', 'no_log': false, 'verbosity': 0}\"\n          - \"'s3cr3t' not in r.msg\"\n          - \"'********' in r.msg\"\n",
    ));
    let run = run_on_host(&test, &[], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let run = run_on_host(&test, &["--check"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
}

#[test]
fn ansible_want_json_contract_gets_an_arguments_file() {
    let test = Test::new();
    let seen = test.outside().join("seen.json");
    plugin(
        &test,
        "library/legacy",
        &format!(
            "#!/bin/sh\n# WANT_JSON\ncp \"$1\" {}\nprintf '{{\"changed\": false, \"argc\": %s, \"stdin\": \"%s\"}}' $# \"$(cat)\"\n",
            seen.display()
        ),
    );
    test.playbook(&play(
        "    - legacy: who=world\n      register: r\n    - assert:\n        that: [r.argc == 1, r.stdin == '']\n    - legacy: who=world\n      no_log: true\n      diff: true\n",
    ));
    let run = run_on_host(&test, &[], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let seen: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&seen).expect("args file")).expect("json");
    assert_eq!(
        seen,
        serde_json::json!({
            "who": "world",
            "_ansible_check_mode": false,
            "_ansible_diff": true,
            "_ansible_no_log": true,
            "_ansible_verbosity": 0,
            "_ansible_module_name": "legacy"
        })
    );
}

#[test]
fn check_mode_skips_plugins_that_do_not_declare_support() {
    let test = Test::new();
    let marker = test.outside().join("ran");
    let script = format!(
        "#!/bin/sh\necho x >> {}\necho '{{\"changed\": true}}'\n",
        marker.display()
    );
    plugin(&test, "library/plain", &script);
    plugin(&test, "library/careful", &script);
    test.project_file("library/careful.yml", "supports_check_mode: true\n");
    test.playbook(&play(
        "    - plain:\n    - careful:\n    - plain:\n      check_mode: false\n",
    ));
    let run = run_on_host(&test, &["--check"], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let statuses: Vec<String> = run.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["skipped", "changed", "changed"]);
    assert!(messages(&run)[0]
        .1
        .contains("plugin plain does not support check mode"));
    // careful ran (told it is check mode), and plain ran once: with check_mode: false.
    assert_eq!(std::fs::read_to_string(&marker).expect("marker"), "x\nx\n");
}

#[test]
fn argument_spec_errors_are_located_and_nothing_runs() {
    let test = Test::new();
    let marker = test.outside().join("ran");
    plugin(
        &test,
        "library/svc",
        &format!("#!/bin/sh\ntouch {}\necho '{{}}'\n", marker.display()),
    );
    test.project_file(
        "library/svc.yml",
        "argument_spec:\n  name: {type: str, required: true}\n  port: {type: int}\n  state:\n    choices: [started, stopped]\n",
    );
    test.playbook(&play(
        "    - svc:\n        name: web\n        prot: 80\n    - svc:\n        name: web\n        port: eighty\n        state: running\n    - svc: {port: 80}\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    insta::assert_snapshot!(run.stderr, @r#"
    site.yml:6:9: error: unknown argument 'prot' for module svc (did you mean 'port'?)
      |
    6 |         prot: 80
      |         ^^^^
    site.yml:9:15: error: module svc: argument 'port' must be of type int, found a string
      |
    9 |         port: eighty
      |               ^^^^^^
    site.yml:10:16: error: module svc: argument 'state' is "running", not one of: "started", "stopped"
       |
    10 |         state: running
       |                ^^^^^^^
    site.yml:11:12: error: module svc: missing required argument 'name'
       |
    11 |     - svc: {port: 80}
       |            ^
    4 errors; nothing was run
    "#);
    assert!(!marker.exists(), "the plugin ran");
}

#[test]
fn spec_file_mistakes_are_located_in_it() {
    let test = Test::new();
    plugin(&test, "library/svc", &says("x"));
    test.project_file(
        "library/svc.yml",
        "supports_check_mod: true\nargument_spec:\n  port: {type: integer, default: 80}\n  mode: {type: str, choices: [a, b], default: c}\n",
    );
    test.playbook(&play("    - svc:\n"));
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    insta::assert_snapshot!(run.stderr, @r#"
    [TMP]/project/library/svc.yml:1:1: error: unknown plugin spec key 'supports_check_mod' (did you mean 'supports_check_mode'?)
      |
    1 | supports_check_mod: true
      | ^^^^^^^^^^^^^^^^^^
    [TMP]/project/library/svc.yml:3:16: error: unknown argument type 'integer' (one of: str, int, float, bool, list, dict, path, raw)
      |
    3 |   port: {type: integer, default: 80}
      |                ^^^^^^^
    [TMP]/project/library/svc.yml:4:47: error: the default of 'mode' is "c", not one of: "a", "b"
      |
    4 |   mode: {type: str, choices: [a, b], default: c}
      |                                               ^
    3 errors; nothing was run
    "#);
}

#[test]
fn templated_arguments_are_checked_once_rendered() {
    let test = Test::new();
    plugin(&test, "library/svc", &says("ran"));
    test.project_file("library/svc.yml", "argument_spec:\n  port: {type: int}\n");
    test.playbook(&play(
        "    - svc:\n        port: \"{{ word }}\"\n      vars: {word: eighty}\n      ignore_errors: true\n    - svc:\n        port: \"{{ number }}\"\n      vars: {number: '8080'}\n",
    ));
    let run = run_on_host(&test, &[], &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let msgs = messages(&run);
    assert_eq!(
        msgs[0].1,
        "site.yml:5:15: module svc: argument 'port' must be of type int, found a string"
    );
    assert_eq!(msgs[1].1, "ran");
}

#[test]
fn every_failure_mode_is_a_clear_failed_result_naming_the_plugin() {
    let test = Test::new();
    let pids = test.outside().join("pids");
    let cases = [
        ("exits", "echo oops >&2; exit 3"),
        ("silent", "exit 0"),
        ("chatty", "echo hello"),
        ("broken", "echo '{\"changed\": tru'"),
        ("listy", "echo '[1, 2]'"),
        ("untyped", "echo '{\"changed\": \"yes\"}'"),
        ("refuses", "echo '{\"failed\": true, \"msg\": \"no way\"}'"),
        ("flood", "yes '{\"changed\": false}' | head -c 20000000"),
        ("killed", "kill -9 $$"),
        (
            "sleepy",
            &format!(
                "sleep 60 & echo $! > {0}; echo $$ >> {0}; wait",
                pids.display()
            ),
        ),
    ];
    let mut tasks = String::new();
    for (name, body) in &cases {
        plugin(
            &test,
            &format!("library/{name}"),
            &format!("#!/bin/sh\n{body}\n"),
        );
        tasks.push_str(&format!(
            "    - name: {name}\n      {name}:\n      ignore_errors: true\n"
        ));
    }
    tasks.push_str("      timeout: 1\n");
    test.playbook(&play(&tasks));
    let started = Instant::now();
    let run = run_on_host(&test, &[], &[]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "took {:?}",
        started.elapsed()
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let statuses: Vec<String> = run.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, vec!["failed"; cases.len()]);
    let plugin_dir = "[TMP]/project/library";
    let expected = [
        "exits ({dir}/exits) exited with status 3 and printed nothing on stdout (a JSON object was expected)",
        "silent ({dir}/silent) printed nothing on stdout (a JSON object was expected)",
        "chatty ({dir}/chatty) printed no JSON object on stdout",
        "broken ({dir}/broken) printed invalid JSON on stdout: expected ident at line 2 column 0",
        "listy ({dir}/listy) printed no JSON object on stdout",
        "untyped ({dir}/untyped) answered 'changed': \"yes\"; it must be true or false",
        "no way",
        "flood ({dir}/flood) printed more than 16 MiB on stdout; it was stopped",
        "killed ({dir}/killed) was killed by signal 9",
        "sleepy ({dir}/sleepy) timed out after 1.0s; it was killed with its process group",
    ];
    for ((task, msg), want) in messages(&run).iter().zip(expected) {
        let want = want.replace("{dir}", plugin_dir);
        let want = if want == "no way" {
            want
        } else {
            format!("plugin {want}")
        };
        assert_eq!(msg, &want, "task {task}");
    }
    let failed = run.events();
    let exits = failed.iter().find(|e| e["task"] == "exits").expect("exits");
    assert_eq!(exits["status"], "failed");
    std::thread::sleep(Duration::from_millis(200));
    for pid in std::fs::read_to_string(&pids)
        .expect("pids")
        .split_whitespace()
    {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        assert!(
            stat.is_empty() || stat.contains(") Z"),
            "{pid} survived the timeout"
        );
    }
}

#[test]
fn stderr_is_registered_and_shown_with_v() {
    let test = Test::new();
    plugin(
        &test,
        "library/noisy",
        "#!/bin/sh\necho 'working hard' >&2\necho '{\"changed\": false, \"msg\": \"done\"}'\n",
    );
    test.playbook(&play(
        "    - noisy:\n      register: r\n    - assert:\n        that: r.module_stderr == 'working hard\\n'\n",
    ));
    let quiet = test.machinist(&["run", "site.yml"]);
    assert_eq!(quiet.code, 0, "{}\n{}", quiet.stdout, quiet.stderr);
    assert!(!quiet.stdout.contains("working hard"), "{}", quiet.stdout);
    let verbose = test.machinist(&["run", "site.yml", "-v"]);
    assert!(
        verbose.stdout.contains(
            "ok: [localhost] => {\n    \"changed\": false,\n    \"module_stderr\": \"working hard\\n\",\n    \"msg\": \"done\"\n}"
        ),
        "{}",
        verbose.stdout
    );
}

#[test]
fn bad_timeouts_and_non_executables_are_bad_input() {
    let test = Test::new();
    test.project_file("library/lazy", "#!/bin/sh\n");
    test.playbook(&play(
        "    - lazy:\n    - debug: msg=x\n      timeout: soon\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr.contains(
            "site.yml:4:7: error: the plugin library/lazy is not executable (chmod +x it)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains(
            "site.yml:6:16: error: timeout is a positive whole number of seconds, found a string"
        ),
        "{}",
        run.stderr
    );
}

/// The busybox root with what the kv_line example needs.
fn kv_line_root(test: &Test) {
    busybox_root(test);
    let bin = test.root().join("bin");
    for applet in ["sed", "tr", "cp", "mv"] {
        std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("applet link");
    }
    std::fs::create_dir_all(test.root().join("etc")).expect("mkdir etc");
}

fn install_example(test: &Test, from: &Path, name: &str) {
    let library = test.project().join("library");
    std::fs::create_dir_all(&library).expect("mkdir library");
    // Through `cp`: an executable written by this multi-threaded test process could be
    // held open by a child another test forks meanwhile (exec would fail: ETXTBSY).
    let copied = std::process::Command::new("cp")
        .arg("-p")
        .arg(from.join(name))
        .arg(library.join(name))
        .status()
        .expect("cp plugin");
    assert!(copied.success(), "cp plugin failed");
    let spec = format!("{name}.yml");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugins");
    let spec_from = [from.join(&spec), examples.join(name).join(&spec)]
        .into_iter()
        .find(|p| p.exists())
        .expect("spec");
    std::fs::copy(spec_from, library.join(spec)).expect("copy spec");
}

#[test]
fn the_shell_example_runs_inside_a_container_root_idempotently() {
    let test = Test::new();
    kv_line_root(&test);
    test.root_file("etc/locale.conf", "LANG=C\nLC_TIME=C\n");
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugins/library");
    install_example(&test, &examples, "kv_line");
    test.playbook(&play(
        "    - kv_line: {path: /etc/locale.conf, key: LANG, value: en_US.UTF-8}\n    - kv_line: {dest: /etc/vconsole.conf, key: KEYMAP, value: de}\n",
    ));
    let check = test.run(&["--check", "--diff"]);
    assert!(
        check.stdout.contains("--- before: /etc/locale.conf\n+++ after: /etc/locale.conf\n@@ -1,2 +1,2 @@\n-LANG=C\n+LANG=en_US.UTF-8\n LC_TIME=C\n"),
        "{}",
        check.stdout
    );
    three_checks(&test);
    assert_eq!(
        test.read("/etc/locale.conf"),
        "LANG=en_US.UTF-8\nLC_TIME=C\n"
    );
    assert_eq!(test.read("/etc/vconsole.conf"), "KEYMAP=de\n");
    let leftovers: Vec<_> = std::fs::read_dir(test.root().join("tmp"))
        .expect("tmp")
        .collect();
    assert!(
        leftovers.is_empty(),
        "the plugin's copy was left in the root"
    );
}

#[test]
fn the_rust_example_builds_offline_and_runs_in_an_empty_root() {
    let test = Test::new();
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugins/sysctl_file");
    let target = test.outside().join("target");
    let cargo = option_env!("CARGO").unwrap_or("cargo");
    let build = std::process::Command::new(cargo)
        .args([
            "build",
            "--offline",
            "--locked",
            "--quiet",
            "--manifest-path",
        ])
        .arg(crate_dir.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target)
        // Static: the plugin runs inside a root that has no libc.
        .env("RUSTFLAGS", "-C target-feature=+crt-static")
        .output()
        .expect("cargo");
    assert!(
        build.status.success(),
        "{}",
        String::from_utf8_lossy(&build.stderr)
    );
    install_example(&test, &target.join("debug"), "sysctl_file");
    test.playbook(&play(
        "    - sysctl_file:\n        name: 50-forward\n        settings:\n          net.ipv4.ip_forward: 1\n          net.ipv6.conf.all.forwarding: 1\n",
    ));
    let check = test.run(&["--check", "--diff"]);
    assert!(
        check.stdout.contains("+++ after: /etc/sysctl.d/50-forward.conf\n@@ -0,0 +1,3 @@\n+# Managed by machinist (sysctl_file); changes here are lost.\n+net.ipv4.ip_forward = 1\n"),
        "{}\n{}",
        check.stdout,
        check.stderr
    );
    three_checks(&test);
    assert_eq!(
        test.read("/etc/sysctl.d/50-forward.conf"),
        "# Managed by machinist (sysctl_file); changes here are lost.\nnet.ipv4.ip_forward = 1\nnet.ipv6.conf.all.forwarding = 1\n"
    );
    test.playbook(&play(
        "    - sysctl_file: {name: 50-forward, state: absent}\n",
    ));
    let removed = test.run_json(&[]);
    assert_eq!(removed.statuses()[0].1, "changed");
    assert!(!test.root().join("etc/sysctl.d/50-forward.conf").exists());
}
