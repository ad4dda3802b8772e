//! playbooks/nspawn-container-steps.yml offline: `--check --diff --root /tmp/scratch` as an
//! unprivileged user shows the whole plan and touches nothing; and a real run against
//! a host rootfs with the container's rootfs inside it passes the three checks.
//! (Its live run, bridge and nested container, is in systemd_live.rs.)

mod common;

use common::rootfs::{self, is_enabled, three_checks_on_rootfs, Overlay};
use common::Test;
use std::path::{Path, PathBuf};
use std::process::Command;

fn playbook() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("playbooks/nspawn-container-steps.yml")
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
fn check_diff_on_an_empty_root_runs_unprivileged_and_shows_the_whole_plan() {
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
        .arg(playbook())
        .args(["--check", "--diff", "--root"])
        .arg(scratch.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("run machinist as nobody");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    let names = task_names();
    assert!(names.len() >= 15, "{names:?}");
    for name in &names {
        assert!(
            stdout.contains(&format!("[{name}]")),
            "the plan does not show '{name}':\n{stdout}"
        );
    }
    for shown in [
        "+Name=br0",
        "+DHCPServer=yes",
        "+IPMasquerade=ipv4",
        "+Bridge=br0",
        "+-> /run/systemd/resolve/resolv.conf",
        "+ExecStart=systemd-nspawn --quiet",
        "+enabled (systemd-nspawn@box.service): true",
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
fn real_run_on_a_host_root_with_the_container_inside_three_checks() {
    let host = rootfs::test_with_rootfs();
    let machine = host.root().join("var/lib/machines/box");
    let _container = Overlay::mount(&machine, &host.outside().join("box-changes"));
    copy_playbooks(&host);
    three_checks_on_rootfs(&host);

    let root = host.root();
    assert_eq!(is_enabled(&root, "systemd-networkd"), "enabled");
    assert_eq!(is_enabled(&root, "machines.target"), "enabled");
    assert_eq!(is_enabled(&root, "systemd-nspawn@box.service"), "enabled");
    assert_eq!(is_enabled(&machine, "systemd-networkd"), "enabled");
    assert_eq!(is_enabled(&machine, "systemd-resolved"), "enabled");
    let read = |path: &Path| std::fs::read_to_string(path).expect("read");
    assert!(read(&root.join("etc/systemd/network/50-br0.network")).contains("DHCPServer=yes"));
    assert!(read(&root.join("etc/systemd/nspawn/box.nspawn")).contains("Bridge=br0"));
    assert_eq!(read(&machine.join("etc/hostname")), "box\n");
    assert_eq!(
        std::fs::read_link(machine.join("etc/resolv.conf")).expect("link"),
        Path::new("/run/systemd/resolve/resolv.conf")
    );
}

/// The test project runs `site.yml`: the seed playbook, with its vars and templates.
fn copy_playbooks(test: &Test) {
    let project = Path::new(env!("CARGO_MANIFEST_DIR"));
    for dir in ["playbooks", "templates"] {
        let status = Command::new("cp")
            .arg("-a")
            .arg(project.join(dir))
            .arg(test.project())
            .status()
            .expect("cp");
        assert!(status.success());
    }
    let seed = std::fs::read_to_string(test.project().join("playbooks/nspawn-container-steps.yml"))
        .expect("seed playbook")
        .replace(
            "vars/nspawn-container.yml",
            "playbooks/vars/nspawn-container.yml",
        )
        .replace("../templates/", "templates/");
    test.project_file("site.yml", &seed);
}
