//! The `pacman` module through the real binary and the real pacman on a temp root
//! whose pacman.conf names the local test repository: the three checks of installing
//! (dependencies predicted exactly in check mode, a second task of the same check run
//! seeing them, and a task after it the packages' files), refreshing the databases and removing; `package` dispatching to it
//! on an Arch root and refused on a distribution of neither pacman nor apt.

mod common;

use common::pacman_repo::local_repo;
use common::{three_checks_runs, Test};

/// A root for pacman; the repository's pacman.conf (on the controller) is returned:
/// pacman reads the controller's configuration on an offline root (`pacman_conf`).
fn pacman_root(test: &Test) -> String {
    let conf = local_repo(test);
    test.root_file(
        "/etc/pacman.conf",
        &std::fs::read_to_string(&conf).expect("conf"),
    );
    for dir in ["var/lib/pacman", "var/cache/pacman/pkg"] {
        std::fs::create_dir_all(test.root().join(dir)).expect("mkdir");
    }
    conf.display().to_string()
}

/// A play of `tasks`, each pacman task given `conf` as its `pacman_conf`.
fn play(conf: &str, tasks: &str) -> String {
    let mut out = String::new();
    for line in tasks.lines() {
        out.push_str(line);
        out.push('\n');
        if line.trim_end().ends_with("pacman:") {
            let indent = line.find(|c| c != ' ' && c != '-').unwrap_or(0) + 2;
            out.push_str(&format!("{}pacman_conf: {conf}\n", " ".repeat(indent)));
        }
    }
    common::play(&out)
}

fn installed(test: &Test) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(test.root().join("var/lib/pacman/local"))
        .map(|dir| {
            dir.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n != "ALPM_DB_VERSION")
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn install_refresh_and_remove_pass_the_three_checks() {
    let test = Test::new();
    let conf = pacman_root(&test);
    test.playbook(&play(
        &conf,
        "    - name: vim
      community.general.pacman:
        name: vim
        update_cache: true
      register: vim
    - name: again
      pacman:
        name: [vim]
        state: latest
    - name: the filesystem package's link, predicted in check mode
      file:
        path: /etc/os-release
        src: ../usr/lib/os-release
        state: link
    - debug:
        msg: \"{{ vim.packages | join(',') }} {{ vim.cache_updated }}\"
",
    ));
    let runs = three_checks_runs(&test);
    assert_eq!(
        installed(&test),
        ["busybox-1.0-1", "filesystem-1.0-1", "vim-1.0-1"]
    );
    assert!(test.root().join("usr/bin/vim").exists());
    for run in &runs[..2] {
        assert!(
            run.stdout.contains("filesystem,busybox,vim True"),
            "{}",
            run.stdout
        );
        let statuses: Vec<String> = run.statuses().into_iter().map(|(_, s)| s).collect();
        assert_eq!(statuses, ["changed", "ok", "ok", "ok"], "{}", run.stdout);
    }
    // The real run's progress, package by package with the total, as pacstrap's.
    let steps: Vec<(u64, u64, String)> = runs[1]
        .events()
        .iter()
        .filter(|e| e["event"] == "progress" && e["task"] == "vim")
        .map(|e| {
            (
                e["done"].as_u64().unwrap_or_default(),
                e["total"].as_u64().unwrap_or_default(),
                e["what"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect();
    let names: Vec<&str> = steps.iter().map(|(_, _, what)| what.as_str()).collect();
    assert_eq!(steps.len(), 3, "{steps:?}");
    assert!(steps.iter().all(|&(_, total, _)| total == 3), "{steps:?}");
    assert!(names.contains(&"installing vim"), "{steps:?}");
    let diff = test.run(&["--check", "--diff"]);
    assert!(!diff.stdout.contains("+vim"), "{}", diff.stdout);

    test.playbook(&play(
        &conf,
        "    - name: vim gone
      pacman:
        name: vim
        state: absent
        remove_nosave: true
",
    ));
    let runs = three_checks_runs(&test);
    assert_eq!(installed(&test), ["busybox-1.0-1", "filesystem-1.0-1"]);
    assert!(
        runs[0].stdout.contains("removed 1 package(s)"),
        "{}",
        runs[0].stdout
    );
}

#[test]
fn the_diff_lists_the_packages_and_unknown_ones_fail() {
    let test = Test::new();
    let conf = pacman_root(&test);
    test.playbook(&play(
        &conf,
        "    - pacman:\n        name: hello\n        update_cache: true\n",
    ));
    let run = test.run(&["--check", "--diff"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for line in ["+filesystem 1.0-1", "+busybox 1.0-1", "+hello 1.0-1"] {
        assert!(run.stdout.contains(line), "{line} not in:\n{}", run.stdout);
    }
    test.playbook(&play(
        &conf,
        "    - pacman:\n        name: no-such-package\n",
    ));
    let run = test.run(&["--check"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    // Without update_cache, pacman uses the root's databases: it has none yet.
    assert!(
        run.stdout.contains("no package databases"),
        "{}",
        run.stdout
    );
    test.playbook(&play(
        &conf,
        "    - pacman:\n        name: no-such-package\n        update_cache: true\n",
    ));
    let run = test.run(&["--check"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("no-such-package"), "{}", run.stdout);
}

#[test]
fn package_is_pacman_on_arch_and_refused_elsewhere() {
    let test = Test::new();
    let conf = pacman_root(&test);
    // The test repository's filesystem package ships an os-release of its own.
    test.playbook(&play(
        &conf,
        "    - pacman:\n        name: vim\n        update_cache: true\n",
    ));
    assert_eq!(test.run(&[]).code, 0);
    test.root_file("/usr/lib/os-release", "NAME=\"Arch Linux\"\nID=arch\n");
    test.playbook(&play(
        &conf,
        "    - ansible.builtin.package:\n        name: vim\n        state: absent\n",
    ));
    three_checks_runs(&test);
    assert!(!installed(&test).contains(&"vim-1.0-1".to_string()));

    // Debian gets apt (tests/apt_module.rs); a distribution of neither is refused.
    let debian = Test::new();
    let debian_conf = pacman_root(&debian);
    debian.root_file("/etc/os-release", "ID=fedora\n");
    debian.playbook(&play(
        &debian_conf,
        "    - package:\n        name: vim\n        state: present\n",
    ));
    let run = debian.run(&["--check"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("distribution is fedora; only pacman"),
        "{}",
        run.stdout
    );
}
