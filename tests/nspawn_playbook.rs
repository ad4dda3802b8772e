//! The seed's playbooks offline: playbooks/example.yml, `--check --diff --root
//! /tmp/scratch` as an unprivileged user (the README's first command), shows the whole
//! plan and touches nothing; playbooks/nspawn-container-steps.yml, `--check --diff`
//! on an empty root (as root: pacman reads the sync databases only as root), shows
//! every one of its tasks. Their real runs, twice, on an Arch-like host root are in
//! seed_real_runs.rs; the live run (bridge, nested container) in systemd_live.rs.

mod common;

use common::Test;
use std::path::{Path, PathBuf};
use std::process::Command;

fn playbook() -> PathBuf {
    playbook_named("nspawn-container-steps.yml")
}

fn playbook_named(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("playbooks")
        .join(name)
}

/// The names of the playbook's tasks and handlers, in order.
fn task_names() -> Vec<String> {
    std::fs::read_to_string(playbook())
        .expect("playbook")
        .lines()
        .filter_map(|line| line.trim().strip_prefix("- name: "))
        .filter(|name| !name.contains(" - "))
        .map(str::to_string)
        .collect()
}

#[test]
fn the_example_plans_unprivileged_on_an_empty_root() {
    let scratch = tempfile::Builder::new()
        .prefix("machinist-scratch")
        .tempdir()
        .expect("scratch");
    Command::new("chown")
        .args(["65534:65534"])
        .arg(scratch.path())
        .status()
        .expect("chown");
    let output = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
        .arg(env!("CARGO_BIN_EXE_machinist"))
        .arg("run")
        .arg(playbook_named("example.yml"))
        .args(["--check", "--diff", "--root"])
        .arg(scratch.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run machinist as nobody");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    for shown in [
        "+Name=br0",
        "+DHCPServer=yes",
        "+IPMasquerade=ipv4",
        "+Bridge=br0",
        "+Bind=/srv/share:/srv/share:idmap",
        "+-> /run/systemd/resolve/resolv.conf",
        "+hostname: arch1",
        "+locale: en_US.UTF-8",
        "+enabled (systemd-nspawn@arch1.service): true",
    ] {
        assert!(stdout.contains(shown), "the diff lacks {shown}:\n{stdout}");
    }
    assert!(stdout.contains("failed=0"), "{stdout}");
    let left: Vec<_> = std::fs::read_dir(scratch.path())
        .expect("scratch")
        .collect();
    assert!(left.is_empty(), "--check wrote into the scratch root");
}

#[test]
fn the_steps_plan_every_step_on_an_empty_root() {
    let test = Test::new();
    let conf = common::pacman_repo::local_repo(&test);
    let root = test.root();
    let path = playbook();
    let run = test.machinist(&[
        "run",
        path.to_str().expect("utf-8"),
        "--check",
        "--diff",
        "--root",
        root.to_str().expect("utf-8"),
        "-e",
        &format!("pacman_conf={}", conf.display()),
        "-e",
        "root_password_hash=$6$salt$hash",
    ]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let names = task_names();
    assert!(names.len() >= 20, "{names:?}");
    for name in &names {
        assert!(
            run.stdout.contains(&format!("[{name}]")),
            "the plan does not show '{name}':\n{}",
            run.stdout
        );
    }
    for shown in [
        "+busybox",
        "+locale: en_US.UTF-8",
        "+root password: changed",
        "en_US.UTF-8 UTF-8",
        "+Bind=/var/cache/pacman/pkg:/var/cache/pacman/pkg:idmap",
        "+ExecStart=systemd-nspawn --quiet",
        "+enabled (systemd-nspawn@box.service): true",
    ] {
        assert!(
            run.stdout.contains(shown),
            "the diff lacks {shown}:\n{}",
            run.stdout
        );
    }
    assert!(!run.stdout.contains("$6$salt$hash"), "the hash was shown");
    assert!(test.root_tree().is_empty(), "--check wrote into the root");
}

/// Without a root password the steps refuse, before anything is done.
#[test]
fn the_steps_refuse_an_empty_root_password() {
    let test = Test::new();
    let root = test.root();
    let path = playbook();
    let run = test.machinist(&[
        "run",
        path.to_str().expect("utf-8"),
        "--check",
        "--root",
        root.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("root_password_hash is empty"),
        "{}",
        run.stdout
    );
    assert!(test.root_tree().is_empty());
}
