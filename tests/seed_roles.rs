//! The seed as roles (playbooks/roles/nspawn_host, nspawn_container): the example
//! playbooks that use them plan from nothing under `--check --diff --root`, starting
//! from pacstrap (a local repository stands in for Arch's), and touch nothing.

mod common;

use common::Test;
use std::path::{Path, PathBuf};

fn playbook(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("playbooks")
        .join(name)
}

/// Run a shipped playbook in check mode on the test's empty root.
fn check(test: &Test, name: &str, extra: &[&str]) -> common::Run {
    let conf = common::pacman_repo::local_repo(test);
    let pacman_conf = format!("pacman_conf={}", conf.display());
    let root = test.root();
    let path = playbook(name);
    let mut args = vec![
        "run",
        path.to_str().expect("utf-8"),
        "--check",
        "--diff",
        "--format",
        "json",
        "--root",
        root.to_str().expect("utf-8"),
        "-e",
        &pacman_conf,
        // The test repository has no tzdata; a real Arch root has.
        "-e",
        "{\"timezone\": \"\"}",
    ];
    args.extend_from_slice(extra);
    test.machinist(&args)
}

#[test]
fn one_container_from_nothing_plans_every_step() {
    let test = Test::new();
    let run = check(&test, "nspawn-container.yml", &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(test.root_tree().is_empty(), "--check wrote into the root");
    let names: Vec<String> = run.statuses().into_iter().map(|(n, _)| n).collect();
    for wanted in [
        "nspawn_host : Define the bridge",
        "nspawn_container : Bootstrap the rootfs (base, without the kernel)",
        "nspawn_container : First boot settings",
        "nspawn_container : Link resolv.conf to resolved's uplink file",
        "nspawn_container : Write the container's .nspawn settings",
        "nspawn_container : Start the container at boot",
    ] {
        assert!(
            names.iter().any(|n| n == wanted),
            "no '{wanted}' in {names:?}"
        );
    }
    let events = run.events();
    let pacstrap = events
        .iter()
        .find(|e| e["module"] == "pacstrap")
        .expect("a pacstrap task");
    assert_eq!(pacstrap["status"], "changed");
    assert_eq!(
        pacstrap["diff"][0]["after"],
        "busybox\nfilesystem\nglibc\nhello\nsystemd\n"
    );
}

#[test]
fn two_containers_share_one_bridge() {
    let test = Test::new();
    let run = check(&test, "two-containers.yml", &[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let events = run.events();
    let nspawn_files: Vec<&str> = events
        .iter()
        .filter(|e| e["task"] == "nspawn_container : Write the container's .nspawn settings")
        .filter_map(|e| e["diff"][0]["after_header"].as_str())
        .collect();
    assert_eq!(
        nspawn_files,
        vec![
            "/etc/systemd/nspawn/web.nspawn",
            "/etc/systemd/nspawn/db.nspawn"
        ]
    );
    let bridges = events
        .iter()
        .filter(|e| e["task"] == "nspawn_host : Define the bridge")
        .count();
    assert_eq!(bridges, 1);
}

#[test]
fn the_role_requires_a_container_name() {
    let test = Test::new();
    test.playbook("- hosts: localhost\n  roles: [nspawn_container]\n");
    let roles = Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks/roles");
    let run = test.machinist_env(
        &["run", "site.yml"],
        &[("MACHINIST_ROLES_PATH", roles.to_str().expect("utf-8"))],
    );
    assert_eq!(run.code, 4, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("role nspawn_container: required argument 'container' is not set"),
        "{}",
        run.stderr
    );
}
