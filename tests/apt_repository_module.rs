//! `apt_repository` through the real binary: the three checks on a temp root holding
//! only sources files, the files compared with what the pinned ansible-core writes
//! for the same tasks (pointed at a copy of the same tree with APT_CONFIG `Dir`, so
//! the machine's /etc/apt is never touched), refusals, and `update_cache` against a
//! flat `file://` repository in the cached Debian rootfs (offline), failing fetches
//! putting the files back.

mod common;
use common::etc_apt::apt_files;

use common::rootfs::{test_with_rootfs, three_checks_on_rootfs};
use common::Test;
use std::path::Path;
use std::process::Command;

/// A sources tree: sources.list with an enabled line, a commented-out one (spaces
/// and a comment Ansible's normal form rewrites) and a blank line; an empty list
/// file; a list file with one deb-src line.
fn sources_tree(root: &Path) {
    let write = |name: &str, text: &str| {
        let path = root.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    write(
        "etc/apt/sources.list",
        "deb http://deb.debian.org/debian bookworm main\n#deb   http://x.example/debian  stable main   #  note\n\n",
    );
    write("etc/apt/sources.list.d/empty.list", "");
    write(
        "etc/apt/sources.list.d/src.list",
        "deb-src http://src.example/d s m\n",
    );
}

const TASKS: &str = r#"    - name: a new repository, its file named after it
      apt_repository:
        repo: "deb [trusted=yes] http://user:pw@repo.example.com/apt/ stable main"
        update_cache: false
      register: added
    - name: a commented-out one, enabled where it is
      ansible.builtin.apt_repository:
        repo: deb http://x.example/debian stable main
        update_cache: false
    - name: a deb-src line removed, its file with it
      apt_repository:
        repo: deb-src http://src.example/d s m
        state: absent
        update_cache: false
      register: removed
    - name: one in a file of its own name and mode
      apt_repository:
        repo: deb http://new.example/x y z
        filename: mine
        mode: "0600"
        update_cache: false
    - debug:
        msg: "{{ added.sources_added }} {{ removed.sources_removed }} {{ added.state }} {{ removed.repo }}"
"#;

#[test]
fn repositories_added_enabled_and_removed_pass_the_three_checks() {
    let test = Test::new();
    sources_tree(&test.root());
    test.playbook(&common::play(TASKS));
    let runs = common::three_checks_runs(&test);
    assert_eq!(
        apt_files(&test.root()),
        [
            (
                "etc/apt/sources.list".to_string(),
                0o644,
                "deb http://deb.debian.org/debian bookworm main\ndeb http://x.example/debian stable main # note\n\n".to_string()
            ),
            (
                "etc/apt/sources.list.d/mine.list".into(),
                0o600,
                "deb http://new.example/x y z\n".into()
            ),
            (
                "etc/apt/sources.list.d/repo_example_com_apt.list".into(),
                0o644,
                "deb [trusted=yes] http://user:pw@repo.example.com/apt/ stable main\n".into()
            ),
        ]
    );
    let msg = runs[1]
        .events()
        .into_iter()
        .find_map(|e| e["result"]["msg"].as_str().map(str::to_string))
        .expect("the debug message");
    assert_eq!(
        msg,
        "['/etc/apt/sources.list.d/repo_example_com_apt.list'] ['/etc/apt/sources.list.d/src.list'] present deb-src http://src.example/d s m"
    );
    assert!(
        runs[0].stdout.contains("/dev/null"),
        "the diff of a new file: {}",
        runs[0].stdout
    );
}

#[test]
fn the_files_are_the_ones_ansible_core_writes() {
    let test = Test::new();
    sources_tree(&test.root());
    test.playbook(&common::play(TASKS));
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);

    let ansible_root = tempfile::tempdir().expect("tempdir");
    sources_tree(ansible_root.path());
    let config = ansible_root.path().join("apt.conf");
    std::fs::write(
        &config,
        format!("Dir \"{}/\";\n", ansible_root.path().display()),
    )
    .expect("apt.conf");
    let playbook = test.project().join("site.yml");
    let playbook_bin = common::ansible_venv::tool("ansible-playbook");
    let output = Command::new(&playbook_bin)
        .args(["-i", "localhost,", "-c", "local"])
        .arg(&playbook)
        .env("APT_CONFIG", &config)
        .env(
            "ANSIBLE_PYTHON_INTERPRETER",
            playbook_bin.with_file_name("python"),
        )
        .env("ANSIBLE_HOME", ansible_root.path().join("ansible-home"))
        .env("ANSIBLE_LOCAL_TEMP", ansible_root.path().join("tmp"))
        .output()
        .expect("ansible-playbook");
    assert!(
        output.status.success(),
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let ansible_files: Vec<_> = apt_files(ansible_root.path())
        .into_iter()
        .filter(|(path, _, _)| !path.ends_with("apt.conf"))
        .collect();
    assert_eq!(apt_files(&test.root()), ansible_files);
}

#[test]
fn ppa_lines_and_invalid_lines_are_refused_with_a_clear_message() {
    let test = Test::new();
    sources_tree(&test.root());
    for (repo, expected) in [
        ("ppa:deadsnakes/ppa", "Launchpad"),
        (
            "http://x.example/debian stable main",
            "Invalid repository string: http://x.example/debian stable main",
        ),
    ] {
        test.playbook(&common::play(&format!(
            "    - apt_repository:\n        repo: \"{repo}\"\n        update_cache: false\n"
        )));
        let run = test.run(&[]);
        assert_ne!(run.code, 0, "{}", run.stdout);
        assert!(
            run.stdout.contains(expected) || run.stderr.contains(expected),
            "{expected}: {}\n{}",
            run.stdout,
            run.stderr
        );
    }
}

/// A flat repository at /srv/repo of the root (a Packages file naming one package),
/// and sources whose only enabled line is none (the mirror is commented out: no
/// network here).
fn flat_repo(root: &Path) {
    let repo = root.join("srv/repo");
    std::fs::create_dir_all(&repo).expect("mkdir");
    std::fs::write(
        repo.join("Packages"),
        "Package: machinist-test-repo\nVersion: 1.0\nArchitecture: all\nFilename: ./machinist-test-repo_1.0_all.deb\nSize: 1\nDescription: a package of machinist's tests\n",
    )
    .expect("Packages");
    std::fs::write(
        root.join("etc/apt/sources.list"),
        "# deb http://deb.debian.org/debian bookworm main\n",
    )
    .expect("sources.list");
}

#[test]
fn update_cache_refreshes_the_lists_from_a_local_repository_and_passes_the_three_checks() {
    let test = test_with_rootfs();
    flat_repo(&test.root());
    test.playbook(&common::play(
        "    - apt_repository:
        repo: deb [trusted=yes] file:///srv/repo ./
        filename: local
",
    ));
    three_checks_on_rootfs(&test);
    let lists = test.root().join("var/lib/apt/lists/_srv_repo_._Packages");
    // apt keeps a local repository's list as a link to its file (a path of the root).
    let listed = match std::fs::read_link(&lists) {
        Ok(target) => test
            .root()
            .join(target.strip_prefix("/").unwrap_or(&target)),
        Err(_) => lists.clone(),
    };
    let listed = std::fs::read_to_string(listed).unwrap_or_default();
    assert!(
        listed.contains("machinist-test-repo"),
        "{} after the refresh: {listed:?}",
        lists.display()
    );
}

#[test]
fn a_failed_refresh_fails_the_task_and_puts_the_files_back() {
    let test = test_with_rootfs();
    flat_repo(&test.root());
    test.playbook(&common::play(
        "    - apt_repository:
        repo: deb [trusted=yes] file:///srv/missing ./
        update_cache_retries: 2
        update_cache_retry_max_delay: 1
",
    ));
    let run = test.run(&[]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("Failed to update apt cache after 2 retries")
            || run
                .stderr
                .contains("Failed to update apt cache after 2 retries"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
    assert!(!test
        .root()
        .join("etc/apt/sources.list.d/srv_missing.list")
        .exists());
    assert_eq!(
        std::fs::read_to_string(test.root().join("etc/apt/sources.list")).expect("sources.list"),
        "# deb http://deb.debian.org/debian bookworm main\n"
    );
}

#[test]
fn apt_key_is_refused_when_the_playbook_loads() {
    let test = Test::new();
    test.playbook(&common::play(
        "    - ansible.builtin.apt_key:\n        url: https://example.org/key.asc\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr
            .contains("module 'ansible.builtin.apt_key' is not supported yet (issue #15)"),
        "{}",
        run.stderr
    );
}
