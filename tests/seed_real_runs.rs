//! Issue #20, the seed word for word: both seed playbooks (nspawn-container.yml with
//! the roles, nspawn-container-steps.yml written out) and two-containers.yml run for
//! real, twice, into a fresh scratch root standing in for an Arch host — bootstrapped
//! from the local test repository (tests/common/pacman_repo.rs), so the host's own
//! systemd units are there — and the containers' rootfs pacstrapped from it too:
//! `--check` before the first run predicts the first run's status task by task, the
//! first run changes, the second changes nothing, and the tree is what the seed
//! leaves (locale.conf, not Debian's /etc/default/locale; root's password; .bashrc;
//! the .nspawn file of each network and user-namespace choice).

mod common;

use common::rootfs::{is_enabled, stat_tree};
use common::{Run, Test};
use std::path::{Path, PathBuf};
use std::process::Command;

/// A crypt(3) hash of "seed" (sha512-crypt).
const ROOT_HASH: &str =
    "$6$machinist$O1Y8fCk6vH5p9wL3W8mC2dQw0k7wz5Qp3gq1T7m8nJd2z6oXy3b9bJ8l1QeXyZkD0w4m3uV6r8s2t1a0bC9dE/";

fn playbook(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("playbooks")
        .join(name)
}

/// The test's root made an Arch-like host: `base` from the local repository (systemd's
/// unit files included), bootstrapped by the real pacstrap. Returns the pacman.conf.
fn arch_like_host(test: &Test) -> PathBuf {
    common::rootfs::require_root();
    let conf = common::pacman_repo::local_repo(test);
    let output = Command::new("unshare")
        .args([
            "--mount",
            "--propagation",
            "private",
            "--",
            "pacstrap",
            "-C",
        ])
        .arg(&conf)
        .args(["-G", "-M"])
        .arg(test.root())
        .args(["base", "--ignore", "linux"])
        .output()
        .expect("run pacstrap");
    assert!(
        output.status.success(),
        "pacstrap of the host: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    conf
}

fn run(test: &Test, name: &str, conf: &Path, extra: &[&str]) -> Run {
    let path = playbook(name);
    let root = test.root();
    let pacman_conf = format!("pacman_conf={}", conf.display());
    let password = format!("{{\"root_password_hash\": \"{ROOT_HASH}\"}}");
    let mut args = vec![
        "run",
        path.to_str().expect("utf-8"),
        "--format",
        "json",
        "--root",
        root.to_str().expect("utf-8"),
        "-e",
        &pacman_conf,
        "-e",
        &password,
    ];
    args.extend_from_slice(extra);
    test.machinist(&args)
}

fn succeeded(run: &Run, what: &str) {
    assert_eq!(
        run.code, 0,
        "{what} failed:\n{}\n{}",
        run.stdout, run.stderr
    );
}

/// The "done when" for one playbook: check, first, second, check again.
fn real_twice(test: &Test, name: &str, conf: &Path, extra: &[&str]) -> Vec<Run> {
    let root = test.root();
    let before = stat_tree(&root);
    let mut check_args = vec!["--check", "--diff"];
    check_args.extend_from_slice(extra);
    let check = run(test, name, conf, &check_args);
    succeeded(&check, "--check");
    assert_eq!(stat_tree(&root), before, "--check changed the root");

    let mut first_args = vec!["--diff"];
    first_args.extend_from_slice(extra);
    let first = run(test, name, conf, &first_args);
    succeeded(&first, "the first run");
    assert!(first.changed() > 0, "{}", first.stdout);
    let predicted = check.statuses();
    let happened = first.statuses();
    for (index, (task, status)) in happened.iter().enumerate() {
        assert_eq!(
            predicted.get(index),
            Some(&(task.clone(), status.clone())),
            "--check predicted otherwise for task {index} '{task}' ({status}):\npredicted {predicted:#?}\nhappened {happened:#?}"
        );
    }
    assert_eq!(predicted.len(), happened.len());
    // And what it showed: each task's diff, as the real run's.
    let diffs = |run: &Run| -> Vec<(String, serde_json::Value)> {
        run.events()
            .into_iter()
            .filter(|e| e["event"] == "task")
            .map(|e| {
                (
                    e["task"].as_str().unwrap_or_default().to_string(),
                    e["diff"].clone(),
                )
            })
            .collect()
    };
    for (predicted, happened) in diffs(&check).iter().zip(diffs(&first).iter()) {
        assert_eq!(predicted, happened, "--check --diff showed otherwise");
    }

    let after_first = stat_tree(&root);
    let second = run(test, name, conf, extra);
    succeeded(&second, "the second run");
    let changed: Vec<&(String, String)> = second
        .statuses()
        .iter()
        .filter(|(_, status)| status == "changed")
        .cloned()
        .collect::<Vec<_>>()
        .leak()
        .iter()
        .collect();
    assert!(changed.is_empty(), "the second run changed {changed:?}");
    assert_eq!(
        stat_tree(&root),
        after_first,
        "the second run changed the root"
    );

    let again = run(test, name, conf, &["--check"]);
    succeeded(&again, "--check after the runs");
    assert_eq!(again.changed(), 0, "{}", again.stdout);
    vec![check, first, second, again]
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// What the seed leaves in a container's rootfs and on the host for it.
fn assert_seed_container(root: &Path, name: &str) {
    let machine = root.join("var/lib/machines").join(name);
    assert_eq!(read(&machine.join("etc/hostname")), format!("{name}\n"));
    assert_eq!(read(&machine.join("etc/locale.conf")), "LANG=en_US.UTF-8\n");
    assert!(
        !machine.join("etc/default/locale").exists(),
        "Debian's locale file in an Arch root"
    );
    assert_eq!(read(&machine.join("etc/vconsole.conf")), "KEYMAP=us\n");
    assert!(read(&machine.join("etc/locale.gen"))
        .lines()
        .any(|line| line == "en_US.UTF-8 UTF-8"));
    assert_eq!(
        read(&machine.join("usr/lib/locale/locale-archive")),
        "en_US.UTF-8 UTF-8\n",
        "locale-gen did not run"
    );
    let shadow = read(&machine.join("etc/shadow"));
    assert!(
        shadow.starts_with(&format!("root:{ROOT_HASH}:")),
        "{shadow}"
    );
    assert!(read(&machine.join("root/.bashrc")).contains("PS1="));
    assert_eq!(is_enabled(&machine, "systemd-networkd"), "enabled");
    assert_eq!(is_enabled(&machine, "systemd-resolved"), "enabled");
    assert_eq!(
        std::fs::read_link(machine.join("etc/resolv.conf")).expect("resolv.conf link"),
        Path::new("/run/systemd/resolve/resolv.conf")
    );
    assert_eq!(
        is_enabled(root, &format!("systemd-nspawn@{name}.service")),
        "enabled"
    );
}

#[test]
fn the_role_playbook_runs_for_real_twice_on_an_arch_like_host() {
    let test = Test::new();
    let conf = arch_like_host(&test);
    real_twice(&test, "nspawn-container.yml", &conf, &[]);
    let root = test.root();
    assert_seed_container(&root, "box");
    assert_eq!(is_enabled(&root, "systemd-networkd"), "enabled");
    assert_eq!(is_enabled(&root, "machines.target"), "enabled");
    assert_eq!(
        read(&root.join("etc/systemd/nspawn/box.nspawn")),
        "[Exec]\nBoot=yes\nPrivateUsers=pick\nTimezone=off\nResolvConf=off\n\n\
         [Files]\nBind=/var/cache/pacman/pkg:/var/cache/pacman/pkg:idmap\n\n\
         [Network]\nBridge=br0\n"
    );
}

#[test]
fn the_steps_playbook_runs_for_real_twice_on_an_arch_like_host() {
    let test = Test::new();
    let conf = arch_like_host(&test);
    real_twice(&test, "nspawn-container-steps.yml", &conf, &[]);
    let root = test.root();
    assert_seed_container(&root, "box");
    assert!(read(&root.join("etc/systemd/network/50-br0.network")).contains("DHCPServer=yes"));
    assert_eq!(
        read(&root.join("etc/systemd/nspawn/box.nspawn")),
        "[Exec]\nBoot=yes\nPrivateUsers=pick\nTimezone=off\nResolvConf=off\n\n\
         [Files]\nBind=/var/cache/pacman/pkg:/var/cache/pacman/pkg:idmap\n\n\
         [Network]\nBridge=br0\n"
    );
}

#[test]
fn two_containers_run_for_real_twice_on_an_arch_like_host() {
    let test = Test::new();
    let conf = arch_like_host(&test);
    real_twice(&test, "two-containers.yml", &conf, &[]);
    let root = test.root();
    assert_seed_container(&root, "web");
    assert_seed_container(&root, "db");
}

/// The README's first command: the example plans on an empty scratch root, touching
/// nothing, and no task or handler of it only prints.
#[test]
fn the_example_plans_on_an_empty_scratch_root() {
    let test = Test::new();
    let path = playbook("example.yml");
    let root = test.root();
    let run = test.machinist(&[
        "run",
        path.to_str().expect("utf-8"),
        "--check",
        "--diff",
        "--format",
        "json",
        "--root",
        root.to_str().expect("utf-8"),
    ]);
    succeeded(&run, "--check of the example");
    assert!(test.root_tree().is_empty(), "--check wrote into the root");
    let events = run.events();
    let modules: Vec<&str> = events
        .iter()
        .filter(|e| e["event"] == "task")
        .filter_map(|e| e["module"].as_str())
        .collect();
    assert!(!modules.contains(&"debug"), "{modules:?}");
    for planned in ["firstboot", "nspawn", "unit", "resolv_link", "template"] {
        assert!(modules.contains(&planned), "no {planned} in {modules:?}");
    }
    let yaml = read(&path);
    assert!(
        !yaml.contains("debug:"),
        "the example prints instead of acting"
    );
}

/// The example on an Arch-like host, bootstrapping the container itself.
#[test]
fn the_example_runs_for_real_twice_on_an_arch_like_host() {
    let test = Test::new();
    let conf = arch_like_host(&test);
    real_twice(&test, "example.yml", &conf, &[]);
    let root = test.root();
    assert_seed_container(&root, "arch1");
    assert_eq!(
        read(&root.join("etc/systemd/nspawn/arch1.nspawn")),
        "[Exec]\nBoot=yes\nPrivateUsers=pick\nTimezone=off\nResolvConf=off\n\n\
         [Files]\nBind=/var/cache/pacman/pkg:/var/cache/pacman/pkg:idmap\n\
         Bind=/srv/share:/srv/share:idmap\n\n[Network]\nBridge=br0\n"
    );
}
