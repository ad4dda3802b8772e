//! `machinist doc` through the real binary (issue 8): every module the registry
//! dispatches has a page with its arguments described and an example (and the plugins
//! found are listed), every built-in's (and runner action's) examples run under
//! `--check`, and `--keywords` shows the loader's keyword table (issue 14).

mod common;
use common::play;

use common::Test;
use machinist::playbook::model::Action;
use machinist_modules::Builtin;
use serde_json::Value;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

fn doc_json(test: &Test, args: &[&str]) -> Value {
    let mut full = vec!["doc", "--format", "json"];
    full.extend_from_slice(args);
    let run = test.machinist(&full);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    serde_json::from_str(&run.stdout).expect("doc JSON")
}

fn names_of(list: &Value, kind: &str) -> Vec<String> {
    let mut names: Vec<String> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter(|e| e["kind"] == kind)
        .map(|e| e["name"].as_str().expect("name").to_string())
        .collect();
    names.sort();
    names
}

/// Every name a task can run (the registry's built-ins and the runner's actions, not
/// the list `doc` prints) has a page: a summary, each argument described, and an
/// example task that uses it. A module added without its documentation fails here.
#[test]
fn every_module_a_task_can_run_has_a_page_with_an_example() {
    let test = Test::new();
    let names = Builtin::ALL
        .iter()
        .map(|b| b.name())
        .chain(Action::RUNNER_ACTIONS.iter().map(|(n, _)| *n));
    let list = doc_json(&test, &[]);
    let listed = names_of(&list, "builtin")
        .into_iter()
        .chain(names_of(&list, "action"))
        .collect::<Vec<_>>();
    let mut missing = Vec::new();
    for name in names {
        if !listed.iter().any(|n| n == name) {
            missing.push(format!("{name}: not in `machinist doc`"));
        }
        let run = test.machinist(&["doc", "--format", "json", name]);
        if run.code != 0 {
            missing.push(format!("{name}: no page ({})", run.stderr.trim()));
            continue;
        }
        let page: Value = serde_json::from_str(&run.stdout).expect("doc JSON");
        if page["summary"]
            .as_str()
            .unwrap_or_default()
            .trim()
            .is_empty()
        {
            missing.push(format!("{name}: no summary"));
        }
        let examples = page["examples"].as_str().unwrap_or_default();
        // Under any name that runs it: `ansible.posix.sysctl:` is sysctl.
        let action = Action::from_name(name);
        let uses = examples.lines().any(|line| {
            let key = line.trim_start().trim_start_matches("- ");
            key.split_once(':')
                .is_some_and(|(key, _)| Action::from_name(key) == action)
        });
        if !uses {
            missing.push(format!("{name}: no example task that uses it"));
        }
        for arg in page["arguments"].as_array().into_iter().flatten() {
            if arg["description"]
                .as_str()
                .unwrap_or_default()
                .trim()
                .is_empty()
            {
                missing.push(format!("{name}: argument {} is not described", arg["name"]));
            }
        }
    }
    assert!(missing.is_empty(), "{}", missing.join("\n"));
}

/// `machinist doc --keywords` is the loader's keyword table: every keyword a task or
/// play takes is there with where it is taken, and the refused ones with their issue.
#[test]
fn doc_lists_the_keywords_the_loader_reads() {
    use machinist::playbook::keywords::{self, Places};
    let test = Test::new();
    let page = doc_json(&test, &["--keywords"]);
    let page = page.as_array().expect("a list");
    let find = |name: &str| {
        page.iter()
            .find(|k| k["name"] == name)
            .unwrap_or_else(|| panic!("{name} is not on the keywords page"))
    };
    for name in keywords::task_keywords().chain(keywords::read_at(Places::PLAY)) {
        assert_eq!(find(name)["status"], "supported", "{name}");
    }
    assert_eq!(find("strategy")["status"], "supported");
    assert_eq!(find("debugger")["status"], "issue #15");
    assert_eq!(find("run_once")["waiting_on"], "include: issue #16");
    assert_eq!(
        find("become")["places"],
        serde_json::json!(["play", "task", "block", "role entry"])
    );
    assert_eq!(
        find("loop")["places"],
        serde_json::json!(["task", "include"])
    );
    assert_eq!(find("no_log")["inherited"], true);
    let human = test.machinist(&["doc", "--keywords"]);
    assert_eq!(human.code, 0, "{}", human.stderr);
    assert!(
        human.stdout.lines().any(|line| line.starts_with("when ")
            && line.contains("task, block, include")
            && line.contains(" yes ")),
        "{}",
        human.stdout
    );
    let both = test.machinist(&["doc", "--keywords", "file"]);
    assert_eq!(both.code, 4, "{}", both.stderr);
}

#[test]
fn every_built_in_example_runs_under_check() {
    let test = Test::new();
    for dir in ["etc", "tmp", "usr/bin", "usr/share/myapp", "var/lib"] {
        std::fs::create_dir_all(test.root().join(dir)).expect("mkdir");
    }
    test.project_file("files/motd", "Welcome.\n");
    // copy's example of a directory: files/conf.d/ with a nested file.
    test.project_file("files/conf.d/app.conf", "workers = 4\n");
    test.project_file("files/conf.d/extra/log.conf", "level = info\n");
    // include_vars' examples: the project's vars/ files.
    test.project_file("vars/Archlinux.yml", "sshd_service: sshd\n");
    test.project_file("vars/ports.yml", "web: 80\n");
    std::fs::write(
        test.project().join("files/logo.png"),
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR",
    )
    .expect("logo");
    // pacstrap's example installs from the project's own pacman.conf (a local
    // repository here); firstboot's sets a zone the root must have.
    let conf = common::pacman_repo::local_repo(&test);
    let conf = std::fs::read_to_string(conf).expect("conf");
    test.project_file("files/pacman.conf", &conf);
    // pacman's and package's examples install from the root's own pacman.conf and
    // databases.
    test.root_file("etc/pacman.conf", &conf);
    let sync = test.root().join("var/lib/pacman/sync");
    std::fs::create_dir_all(&sync).expect("mkdir sync");
    let db = test.outside().join("repo/machinist-test.db");
    std::fs::copy(&db, sync.join("machinist-test.db")).expect("copy the database");
    test.root_file("usr/share/zoneinfo/Europe/Berlin", "TZif2 (a stand-in)\n");
    // nspawn's example enables a container: the root has systemd-nspawn's units (a
    // root without them fails under --check as in a real run).
    test.root_file(
        "usr/lib/systemd/system/machines.target",
        "[Unit]\nDescription=Containers\n\n[Install]\nWantedBy=multi-user.target\n",
    );
    test.root_file(
        "usr/lib/systemd/system/systemd-nspawn@.service",
        "[Unit]\nDescription=Container %i\n\n[Service]\nExecStart=/usr/bin/systemd-nspawn --boot --machine=%i\n\n[Install]\nWantedBy=machines.target\n",
    );
    // get_url's examples: a download already there with the right checksum (not
    // fetched again), and a file:// URL inside the target.
    test.root_file("var/lib/tool-1.0.tar.gz", "test");
    test.root_file("etc/motd.dist", "Welcome.\n");
    // package_facts': a pacman database with one package (and pacman's name in the
    // target, where Ansible's backend looks for it).
    test.root_file("usr/bin/pacman", "");
    test.root_file("var/lib/pacman/local/ALPM_DB_VERSION", "9\n");
    test.root_file(
        "var/lib/pacman/local/nginx-1.26.0-1/desc",
        "%NAME%\nnginx\n\n%VERSION%\n1.26.0-1\n\n%ARCH%\nx86_64\n\n",
    );
    // copy's remote_src example: a file of the target copied into /root.
    test.root_file("etc/skel/.bashrc", "alias ll='ls -l'\n");
    test.root_file("root/.keep", "");
    // unarchive's: an archive in files/, another in the target, and /srv to unpack into.
    test.project_file("site/index.html", "<h1>hi</h1>\n");
    std::fs::create_dir_all(test.project().join("files")).expect("mkdir");
    std::fs::create_dir_all(test.root().join("srv")).expect("mkdir");
    // pam_limits': the folders limits files live in (it creates no folder).
    std::fs::create_dir_all(test.root().join("etc/security/limits.d")).expect("mkdir");
    let made = std::process::Command::new("tar")
        .args(["-czf", "files/site.tar.gz", "site"])
        .current_dir(test.project())
        .status()
        .is_ok_and(|status| status.success());
    assert!(made, "tar could not make the example's archive");
    let zip = test.root().join("var/lib/site.zip");
    let made = std::process::Command::new("python3")
        .args(["-m", "zipfile", "-c"])
        .arg(&zip)
        .arg("site")
        .current_dir(test.project())
        .status()
        .is_ok_and(|status| status.success());
    assert!(made, "python3 could not make the example's zip");
    test.project_file(
        "templates/motd.j2",
        "Welcome to {{ inventory_hostname }}.\n",
    );
    // git's: the controller's git in the root and a repository of the target with the
    // tag and branch the examples name.
    common::git_repos::git_root(&test);
    let mut app = common::git_repos::Repo::init(&test, "srv/git/app.git");
    app.commit("README", "app\n", "first");
    app.git(&["tag", "v1.2.0"]);
    let list = doc_json(&test, &[]);
    let names: Vec<String> = ["builtin", "action"]
        .iter()
        .flat_map(|kind| names_of(&list, kind))
        .collect();
    for name in names {
        let page = doc_json(&test, &[&name]);
        let examples = page["examples"].as_str().unwrap_or_default();
        assert!(!examples.trim().is_empty(), "{name} has no example");
        let tasks: String = examples.lines().map(|l| format!("    {l}\n")).collect();
        test.playbook(&play(&tasks));
        // synchronize refuses a root (docs/SECURITY.md): its example runs on this
        // machine's / (only --check: rsync --dry-run), its files/site in the project.
        if name == "synchronize" {
            test.project_file("files/site/index.html", "hi\n");
        }
        let before = test.tree();
        let run = if name == "synchronize" {
            test.machinist(&[
                "run",
                "site.yml",
                "-i",
                "localhost,",
                "--format",
                "json",
                "--check",
            ])
        } else {
            test.run_json(&["--check"])
        };
        assert_eq!(
            run.code, 0,
            "the example of {name} fails:\n{examples}\n{}\n{}",
            run.stdout, run.stderr
        );
        // meta changes the flow and reports nothing of its own.
        if name != "meta" {
            assert!(!run.statuses().is_empty(), "{name}: nothing ran");
        }
        assert_eq!(test.tree(), before, "{name}: --check changed the tree");
    }
}

#[test]
fn doc_shows_arguments_check_mode_diff_and_examples() {
    let test = Test::new();
    let file = test.machinist(&["doc", "file"]);
    assert_eq!(file.code, 0, "{}", file.stderr);
    for line in [
        "> FILE  (builtin)",
        "  check mode: full    diff: full",
        "  path (path, required)\n      The path inside the target root.\n      aliases: dest, name\n",
        "  recurse (bool, default: false)",
        "      choices: file, directory, link, hard, absent, touch",
        "EXAMPLES\n\n  - name: A directory for the application's configuration\n",
    ] {
        assert!(file.stdout.contains(line), "{line:?} not in:\n{}", file.stdout);
    }
    let command = doc_json(&test, &["ansible.builtin.command"]);
    assert_eq!(command["name"], "command");
    assert_eq!(command["check_mode"], "partial");
    let stdin_add_newline = command["arguments"]
        .as_array()
        .expect("arguments")
        .iter()
        .find(|a| a["name"] == "stdin_add_newline")
        .expect("stdin_add_newline");
    assert_eq!(stdin_add_newline["type"], "bool");
    assert_eq!(stdin_add_newline["default"], true);
    let set_fact = doc_json(&test, &["set_fact"]);
    assert_eq!(set_fact["kind"], "action");
    assert_eq!(
        set_fact["arguments"],
        Value::Null,
        "set_fact takes any name"
    );
}

#[test]
fn doc_lists_and_describes_plugins_from_library_and_machinist_library() {
    let test = Test::new();
    let examples = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/plugins/library");
    let plugin = |name: &str, script: &str| {
        test.project_file(&format!("library/{name}"), script);
        let path = test.project().join("library").join(name);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    };
    plugin("hello", "#!/bin/sh\necho '{}'\n");
    plugin("file", "#!/bin/sh\necho '{}'\n");
    let env = [("MACHINIST_LIBRARY", examples.to_str().expect("utf-8"))];
    let run = test.machinist_env(&["doc", "--format", "json"], &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let list: Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(
        names_of(&list, "plugin"),
        ["hello", "kv_line", "library.file"]
    );
    let text = test.machinist_env(&["doc"], &env).stdout;
    // The name column is as wide as the longest name.
    assert!(
        text.lines().any(|line| line.starts_with("hello ")
            && line.ends_with(
                " plugin   (no NAME.yml spec: arguments undocumented, skipped in check mode)"
            )),
        "{text}"
    );

    let page = test.machinist_env(&["doc", "--format", "json", "kv_line"], &env);
    let page: Value = serde_json::from_str(&page.stdout).expect("json");
    assert_eq!(page["kind"], "plugin");
    assert_eq!(page["check_mode"], "full");
    assert_eq!(page["diff"], "full");
    assert_eq!(page["arguments"][0]["name"], "path");
    assert_eq!(page["arguments"][0]["aliases"], serde_json::json!(["dest"]));
    assert!(page["examples"]
        .as_str()
        .unwrap_or_default()
        .contains("kv_line:"));

    let shadowing = doc_json(&test, &["library.file"]);
    assert_eq!(shadowing["kind"], "plugin");
    assert_eq!(shadowing["check_mode"], "none");
    assert_eq!(doc_json(&test, &["file"])["kind"], "builtin");
}

#[test]
fn unknown_modules_and_broken_specs_are_bad_input() {
    let test = Test::new();
    let run = test.machinist(&["doc", "templat"]);
    assert_eq!(run.code, 4);
    assert_eq!(
        run.stderr,
        "error: no module named 'templat' (did you mean 'template'?); `machinist doc` lists them\n"
    );
    test.project_file("library/svc", "#!/bin/sh\n");
    let path = test.project().join("library/svc");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    test.project_file("library/svc.yml", "supports_check_mode: yes please\n");
    let run = test.machinist(&["doc", "svc"]);
    assert_eq!(run.code, 4);
    assert!(
        run.stderr.starts_with(
            "[TMP]/project/library/svc.yml:1:22: error: expected true or false, found a string"
        ),
        "{}",
        run.stderr
    );
    let list = test.machinist(&["doc"]);
    assert_eq!(list.code, 0);
    assert!(
        list.stdout.lines().any(|line| line.starts_with("svc ")
            && line.ends_with(" plugin   (its spec has errors: see machinist doc library.svc)")),
        "{}",
        list.stdout
    );
}
