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
        "-e",
        "root_password_hash=$6$salt$hash",
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

/// An empty root password is refused before anything is done, saying how to give one.
#[test]
fn the_role_refuses_an_empty_root_password() {
    let test = Test::new();
    let run = check(
        &test,
        "nspawn-container.yml",
        &["-e", "root_password_hash="],
    );
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    let failed: Vec<String> = run
        .events()
        .into_iter()
        .filter(|e| e["status"] == "failed")
        .map(|e| format!("{} {}", e["task"], e["msg"]))
        .collect();
    assert_eq!(failed.len(), 1, "{failed:?}");
    assert!(failed[0].contains("nspawn_container : Refuse an empty root password"));
    assert!(failed[0].contains("openssl passwd -6"), "{failed:?}");
    assert!(failed[0].contains("vars_prompt"), "{failed:?}");
    assert!(test.root_tree().is_empty());
}

/// The .nspawn file each choice writes (and the host side of veth), planned.
#[test]
fn network_and_user_namespace_choices_write_their_nspawn_file() {
    let cases: [(&[&str], &str); 4] = [
        (
            &[],
            "[Exec]\nBoot=yes\nPrivateUsers=pick\nTimezone=off\nResolvConf=off\n\n\
             [Files]\nBind=/var/cache/pacman/pkg:/var/cache/pacman/pkg:idmap\n\n\
             [Network]\nBridge=br0\n",
        ),
        (
            &["-e", "network=veth", "-e", "{\"bind_idmap\": false}"],
            "[Exec]\nBoot=yes\nPrivateUsers=pick\nTimezone=off\nResolvConf=off\n\n\
             [Files]\nBind=/var/cache/pacman/pkg\n\n\
             [Network]\nVirtualEthernet=yes\n",
        ),
        (
            &["-e", "network=host", "-e", "private_users=no"],
            "[Exec]\nBoot=yes\nPrivateUsers=no\nTimezone=off\nResolvConf=off\n\n\
             [Files]\nBind=/var/cache/pacman/pkg\n\n\
             [Network]\nPrivate=no\nVirtualEthernet=no\n",
        ),
        (
            &[
                "-e",
                "{\"binds\": [\"/srv/a:/mnt/a\", \"/srv/b:/b:norbind\"]}",
            ],
            "[Exec]\nBoot=yes\nPrivateUsers=pick\nTimezone=off\nResolvConf=off\n\n\
             [Files]\nBind=/srv/a:/mnt/a:idmap\nBind=/srv/b:/b:norbind\n\n\
             [Network]\nBridge=br0\n",
        ),
    ];
    for (extra, wanted) in cases {
        let test = Test::new();
        let run = check(&test, "nspawn-container.yml", extra);
        assert_eq!(run.code, 0, "{extra:?}\n{}\n{}", run.stdout, run.stderr);
        let events = run.events();
        let written = events
            .iter()
            .find(|e| e["task"] == "nspawn_container : Write the container's .nspawn settings")
            .map(|e| e["diff"][0]["after"].clone())
            .expect("the .nspawn task");
        assert_eq!(written, wanted, "{extra:?}");
        let task = |name: &str| {
            events
                .iter()
                .find(|e| e["task"] == name)
                .map(|e| e["status"].as_str().unwrap_or_default().to_string())
        };
        let network = if extra.contains(&"network=veth") {
            "veth"
        } else if extra.contains(&"network=host") {
            "host"
        } else {
            "bridge"
        };
        let bridge = task("nspawn_host : Define the bridge");
        let veth =
            task("nspawn_host : Give each container's veth an address, a DHCP server and NAT");
        let (bridge_wanted, veth_wanted) = match network {
            "bridge" => ("changed", "skipped"),
            "veth" => ("skipped", "changed"),
            _ => ("skipped", "skipped"),
        };
        assert_eq!(bridge.as_deref(), Some(bridge_wanted), "{extra:?}");
        assert_eq!(veth.as_deref(), Some(veth_wanted), "{extra:?}");
    }
}

#[test]
fn an_unknown_network_is_bad_input() {
    let test = Test::new();
    let run = check(&test, "nspawn-container.yml", &["-e", "network=wifi"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("-e network: is \"wifi\", not one of"),
        "{}",
        run.stderr
    );
}
