//! A hostile root: a rootfs whose /etc is an absolute symlink to a decoy folder on
//! this machine, or whose /etc/resolv.conf and /etc/systemd/system point out of it.
//! No module may write outside the root: every decoy stays byte-for-byte as it was,
//! while the real `systemctl --root`, handed the same root unjailed, does write into
//! the decoy (the control that shows the test would catch a leak).

mod common;

use common::rootfs::{test_with_rootfs, RootfsTest};
use common::snapshot;
use std::path::{Path, PathBuf};
use std::process::Command;

/// Every module that writes, each allowed to fail so all of them get their chance.
const EVERY_MODULE: &str = r#"- hosts: localhost
  gather_facts: false
  tasks:
    - unit: {name: systemd-networkd, enabled: true}
      ignore_errors: true
    - unit: {name: systemd-resolved, masked: true}
      ignore_errors: true
    - unit:
        name: hello
        content: "[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n"
        enabled: true
      ignore_errors: true
    - unit: {name: systemd-nspawn@.service, dropin: override.conf, content: "[Service]\n"}
      ignore_errors: true
    - nspawn:
        name: box
        settings: {Exec: {Boot: true}}
        exec_start: [--quiet]
        enabled: true
      ignore_errors: true
    - resolv_link: {target: stub}
      ignore_errors: true
    - file: {path: /etc/hostname, content: "pwned\n"}
      ignore_errors: true
    - file: {path: /etc/resolv.conf, content: "nameserver 6.6.6.6\n"}
      ignore_errors: true
"#;

fn cp_a(from: &Path, to: &Path) {
    let status = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(to)
        .status()
        .expect("cp");
    assert!(
        status.success(),
        "cp -a {} {}",
        from.display(),
        to.display()
    );
}

/// Run the playbook in check mode and for real; every decoy must stay as it was.
fn run_every_module(test: &RootfsTest, decoys: &[PathBuf]) -> common::Run {
    test.playbook(EVERY_MODULE);
    let before: Vec<_> = decoys.iter().map(|decoy| snapshot(decoy)).collect();
    let checked = test.run_json(&["--check"]);
    let run = test.run_json(&[]);
    for (decoy, before) in decoys.iter().zip(&before) {
        assert_eq!(
            &snapshot(decoy),
            before,
            "{} changed:\n{}\n{}\n{}",
            decoy.display(),
            checked.stdout,
            run.stdout,
            run.stderr
        );
    }
    run
}

fn failures(run: &common::Run) -> Vec<String> {
    run.events()
        .into_iter()
        .filter(|event| event["status"] == "failed")
        .map(|event| event["msg"].as_str().unwrap_or_default().to_string())
        .collect()
}

#[test]
fn etc_as_an_absolute_link_to_a_decoy_is_never_written_through() {
    let test = test_with_rootfs();
    let decoy = test.outside().join("decoy-etc");
    cp_a(&test.root().join("etc"), &decoy);
    std::fs::write(decoy.join("hostname"), "decoy\n").expect("decoy hostname");
    std::fs::remove_dir_all(test.root().join("etc")).expect("rm etc");
    std::os::unix::fs::symlink(&decoy, test.root().join("etc")).expect("etc link");

    let run = run_every_module(&test, std::slice::from_ref(&decoy));
    let failed = failures(&run);
    // systemctl runs jailed (host/jail.rs): the link leads nowhere there, so the
    // enable and mask tasks fail in systemctl itself instead of writing through.
    let tool_failed = failed
        .iter()
        .filter(|msg| msg.starts_with("systemctl failed"))
        .count();
    assert_eq!(failed.len(), 8, "every task must fail here: {failed:#?}");
    assert_eq!(
        tool_failed, 2,
        "the jailed systemctl must fail for the enable and mask tasks: {failed:#?}"
    );
    // The control: systemctl itself, handed this root, writes into the decoy.
    let before = snapshot(&decoy);
    let status = Command::new("systemctl")
        .arg(format!("--root={}", test.root().display()))
        .args(["enable", "systemd-networkd"])
        .output()
        .expect("systemctl");
    assert!(status.status.success());
    assert_ne!(
        snapshot(&decoy),
        before,
        "systemctl --root no longer follows /etc out of the root; the test lost its teeth"
    );
}

#[test]
fn resolv_conf_and_unit_dirs_leading_out_are_never_followed() {
    let test = test_with_rootfs();
    let decoy_dns = test.outside().join("decoy-dns");
    std::fs::create_dir(&decoy_dns).expect("decoy dir");
    let decoy_file = decoy_dns.join("resolv.conf");
    std::fs::write(&decoy_file, "nameserver 10.0.0.1\n").expect("decoy file");
    let resolv = test.root().join("etc/resolv.conf");
    std::fs::remove_file(&resolv).expect("rm resolv.conf");
    std::os::unix::fs::symlink(&decoy_file, &resolv).expect("resolv link");

    let decoy_units = test.outside().join("decoy-units");
    let units = test.root().join("etc/systemd/system");
    cp_a(&units, &decoy_units);
    std::fs::remove_dir_all(&units).expect("rm units");
    // ROOT/etc/systemd/../../../decoy-units: a ../ chain out of the root.
    std::os::unix::fs::symlink("../../../decoy-units", &units).expect("units link");

    let run = run_every_module(&test, &[decoy_dns, decoy_units]);
    assert_eq!(
        std::fs::read_to_string(&decoy_file).expect("decoy"),
        "nameserver 10.0.0.1\n"
    );
    let failed = failures(&run);
    assert_eq!(
        failed
            .iter()
            .filter(|msg| msg.starts_with("systemctl failed"))
            .count(),
        2,
        "the jailed systemctl did not fail: {failed:#?}"
    );
    // resolv_link replaced the link itself, inside the root.
    assert_eq!(
        std::fs::read_link(&resolv).expect("link"),
        Path::new("/run/systemd/resolve/stub-resolv.conf")
    );
}

/// The account, package and system modules, each allowed to fail.
const SYSTEM_MODULES: &str = r#"- hosts: localhost
  gather_facts: false
  tasks:
    - group: {name: pwned}
      ignore_errors: true
    - user: {name: pwned, groups: [users], generate_ssh_key: true, ssh_key_type: ed25519}
      ignore_errors: true
    - authorized_key: {user: root, key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA x"}
      ignore_errors: true
    - hostname: {name: pwned}
      ignore_errors: true
    - sysctl: {name: vm.swappiness, value: 1}
      ignore_errors: true
    - mount: {path: /pwned, src: /dev/x, fstype: ext4, state: present}
      ignore_errors: true
    - timezone: {name: Europe/Berlin}
      ignore_errors: true
    - locale_gen: {name: C.UTF-8}
      ignore_errors: true
    - pacman: {name: vim}
      ignore_errors: true
"#;

#[test]
fn system_modules_never_write_through_an_etc_leading_out() {
    let test = test_with_rootfs();
    let decoy = test.outside().join("decoy-etc");
    cp_a(&test.root().join("etc"), &decoy);
    std::fs::remove_dir_all(test.root().join("etc")).expect("rm etc");
    std::os::unix::fs::symlink(&decoy, test.root().join("etc")).expect("etc link");
    test.playbook(SYSTEM_MODULES);
    let before = snapshot(&decoy);
    let checked = test.run_json(&["--check"]);
    let run = test.run_json(&[]);
    assert_eq!(
        snapshot(&decoy),
        before,
        "the decoy changed:\n{}\n{}",
        checked.stdout,
        run.stdout
    );
    let failed = failures(&run);
    assert_eq!(failed.len(), 9, "every task must fail here: {failed:#?}");
}

#[test]
fn homes_leading_out_are_never_written_through() {
    let test = test_with_rootfs();
    let decoy = test.outside().join("decoy-home");
    std::fs::create_dir(&decoy).expect("decoy");
    let home = test.root().join("home");
    let _ = std::fs::remove_dir_all(&home);
    // ROOT/../decoy-home on the controller; /decoy-home inside the root.
    std::os::unix::fs::symlink("../decoy-home", &home).expect("home link");
    std::fs::create_dir_all(test.root().join("decoy-home")).expect("inside");
    test.playbook(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - user: {name: pwned, generate_ssh_key: true, ssh_key_type: ed25519}
    - authorized_key: {user: pwned, key: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA x"}
"#,
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(snapshot(&decoy).len(), 0, "written outside the root");
    assert!(test
        .root()
        .join("decoy-home/pwned/.ssh/authorized_keys")
        .exists());
}
