//! The systemd modules through the real binary on a real Debian rootfs (debootstrapped
//! once, cached, copied per test), offline: the real `systemctl --root` enables,
//! disables, masks; drop-ins, nspawn `enabled`, resolv_link; each with the three checks
//! (changed, then ok, `--check` changes no byte). Also the play `root:` keyword, the
//! validation of tasks that need a running manager, and the chroot warning.

mod common;
use common::play;

use common::rootfs::{self, is_enabled, test_with_rootfs, three_checks_on_rootfs};
use common::{busybox_root, Test};
use std::path::Path;

fn link_exists(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.file_type().is_symlink())
}

#[test]
fn unit_enable_three_checks() {
    let test = test_with_rootfs();
    assert_eq!(is_enabled(&test.root(), "systemd-networkd"), "disabled");
    test.playbook(&play(
        "    - unit: {name: systemd-networkd, enabled: true}\n",
    ));
    three_checks_on_rootfs(&test);
    assert_eq!(is_enabled(&test.root(), "systemd-networkd"), "enabled");
    assert!(link_exists(&test.root().join(
        "etc/systemd/system/multi-user.target.wants/systemd-networkd.service"
    )));
}

/// `--check` predicts each task as the real run will find it: a unit enabled by an
/// earlier task (the nspawn host role enables machines.target, a later task may
/// again) is already enabled for the next.
#[test]
fn check_mode_remembers_what_an_earlier_task_enabled() {
    let test = test_with_rootfs();
    test.playbook(&play(
        "    - name: first\n      unit: {name: systemd-networkd, enabled: true}\n    - name: again\n      unit: {name: systemd-networkd.service, enabled: true}\n    - name: machines\n      nspawn: {name: box, enabled: true}\n    - name: machines again\n      unit: {name: machines.target, enabled: true}\n",
    ));
    let checked = test.run_json(&["--check"]);
    assert_eq!(
        checked.statuses(),
        [
            ("first", "changed"),
            ("again", "ok"),
            ("machines", "changed"),
            ("machines again", "ok")
        ]
        .map(|(task, status)| (task.to_string(), status.to_string()))
    );
    assert_eq!(is_enabled(&test.root(), "systemd-networkd"), "disabled");
    let real = test.run_json(&[]);
    assert_eq!(real.statuses(), checked.statuses());
}

/// Issue 14: a task in check mode (`check_mode: true`) gives the same result in a
/// normal run and under `--check`: no module asks which mode it is in. A unit that is
/// nowhere, with no earlier task that could install it, cannot be enabled in either.
#[test]
fn a_task_in_check_mode_fails_alike_in_both_runs() {
    let test = test_with_rootfs();
    test.playbook(&play(
        "    - name: missing\n      unit: {name: nothere.service, enabled: true}\n      check_mode: true\n",
    ));
    let before = test.tree();
    let normal = test.run_json(&[]);
    let checked = test.run_json(&["--check"]);
    assert_eq!(normal.code, 2, "{}\n{}", normal.stdout, normal.stderr);
    assert_eq!(
        checked.code, normal.code,
        "{}\n{}",
        checked.stdout, checked.stderr
    );
    let outcome = |run: &common::Run| {
        run.events()
            .into_iter()
            .filter(|e| e["event"] == "task")
            .map(|e| (e["status"].clone(), e["msg"].clone(), e["warnings"].clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(outcome(&checked), outcome(&normal));
    assert_eq!(normal.statuses()[0].1, "failed");
    let msg = outcome(&normal)[0].1.to_string();
    assert!(msg.contains("no unit file nothere.service"), "{msg}");
    assert_eq!(test.tree(), before);
}

#[test]
fn unit_disable_three_checks_with_ansibles_module_name() {
    let test = test_with_rootfs();
    assert_eq!(is_enabled(&test.root(), "systemd-resolved"), "enabled");
    test.playbook(&play(
        "    - ansible.builtin.systemd: {name: systemd-resolved.service, enabled: false}\n",
    ));
    three_checks_on_rootfs(&test);
    assert_eq!(is_enabled(&test.root(), "systemd-resolved"), "disabled");
}

#[test]
fn unit_mask_three_checks() {
    let test = test_with_rootfs();
    test.playbook(&play(
        "    - systemd_service: {name: systemd-networkd-wait-online, masked: true}\n",
    ));
    three_checks_on_rootfs(&test);
    assert_eq!(
        is_enabled(&test.root(), "systemd-networkd-wait-online"),
        "masked"
    );
    let mask = test
        .root()
        .join("etc/systemd/system/systemd-networkd-wait-online.service");
    assert_eq!(
        std::fs::read_link(mask).expect("mask link"),
        Path::new("/dev/null")
    );
}

#[test]
fn unit_dropin_from_a_template_three_checks() {
    let test = test_with_rootfs();
    test.project_file(
        "templates/override.conf.j2",
        "[Service]\nExecStart=\nExecStart=systemd-nspawn {{ flags | join(' ') }}\n",
    );
    test.playbook(&play(
        "    - unit:\n        name: systemd-nspawn@.service\n        dropin: override.conf\n        template: override.conf.j2\n      vars:\n        flags: [--boot, -U, --machine=%i]\n",
    ));
    three_checks_on_rootfs(&test);
    let written = std::fs::read_to_string(
        test.root()
            .join("etc/systemd/system/systemd-nspawn@.service.d/override.conf"),
    )
    .expect("drop-in");
    assert_eq!(
        written,
        "[Service]\nExecStart=\nExecStart=systemd-nspawn --boot -U --machine=%i\n"
    );
}

#[test]
fn unit_file_written_and_enabled_three_checks_with_diffs() {
    let test = test_with_rootfs();
    test.playbook(&play(
        "    - unit:\n        name: hello\n        content: |\n          [Service]\n          ExecStart=/bin/sleep infinity\n\n          [Install]\n          WantedBy=multi-user.target\n        enabled: true\n",
    ));
    let check = test.run(&["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(
        check
            .stdout
            .contains("+++ after: /etc/systemd/system/hello.service")
            && check.stdout.contains("+ExecStart=/bin/sleep infinity")
            && check.stdout.contains("-enabled: false\n+enabled: true"),
        "the diff shows the file and the state:\n{}",
        check.stdout
    );
    three_checks_on_rootfs(&test);
    assert_eq!(is_enabled(&test.root(), "hello"), "enabled");
}

#[test]
fn nspawn_enabled_settings_and_exec_start_three_checks() {
    let test = test_with_rootfs();
    std::fs::create_dir_all(test.root().join("srv/share")).expect("bind source");
    test.playbook(&play(
        "    - nspawn:\n        name: box\n        enabled: true\n        exec_start: [--bind=/srv/share]\n        settings:\n          Exec: {Boot: true, PrivateUsers: pick}\n          Files: {Bind: [/srv/share]}\n          Network: {Bridge: br0}\n",
    ));
    three_checks_on_rootfs(&test);
    let root = test.root();
    assert_eq!(is_enabled(&root, "machines.target"), "enabled");
    assert_eq!(is_enabled(&root, "systemd-nspawn@box.service"), "enabled");
    assert_eq!(
        std::fs::read_to_string(root.join("etc/systemd/nspawn/box.nspawn")).expect("settings"),
        "[Exec]\nBoot=yes\nPrivateUsers=pick\n\n[Files]\nBind=/srv/share\n\n[Network]\nBridge=br0\n"
    );
    let dropin = std::fs::read_to_string(
        root.join("etc/systemd/system/systemd-nspawn@box.service.d/exec-start.conf"),
    )
    .expect("drop-in");
    assert!(
        dropin.ends_with("--settings=override --machine=%i --bind=/srv/share\n"),
        "{dropin}"
    );
}

#[test]
fn resolv_link_three_checks() {
    let test = test_with_rootfs();
    let resolv = test.root().join("etc/resolv.conf");
    assert_eq!(
        std::fs::read_link(&resolv).expect("debian's link"),
        Path::new("../run/systemd/resolve/stub-resolv.conf")
    );
    test.playbook(&play("    - resolv_link: {target: uplink}\n"));
    three_checks_on_rootfs(&test);
    assert_eq!(
        std::fs::read_link(&resolv).expect("link"),
        Path::new("/run/systemd/resolve/resolv.conf")
    );
}

#[test]
fn play_root_composes_with_the_command_line_root() {
    let test = Test::new();
    let machine = test.root().join("var/lib/machines/box");
    let _rootfs = rootfs::Overlay::mount(&machine, &test.outside().join("box-changes"));
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars: {container: box}\n  root: /var/lib/machines/{{ container }}\n  tasks:\n    - unit: {name: systemd-networkd, enabled: true}\n    - file: {path: /etc/hostname, content: \"{{ container }}\\n\"}\n    - debug: {msg: \"{{ machinist_root }}\"}\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(is_enabled(&machine, "systemd-networkd"), "enabled");
    assert_eq!(
        std::fs::read_to_string(machine.join("etc/hostname")).expect("hostname"),
        "box\n"
    );
    let shown = run
        .events()
        .into_iter()
        .find(|event| event["module"] == "debug")
        .map(|event| event["msg"].as_str().unwrap_or_default().to_string());
    assert_eq!(
        shown.as_deref(),
        Some("[TMP]/root/var/lib/machines/box"),
        "machinist_root is the play's root"
    );
}

#[test]
fn check_mode_sees_a_rootfs_made_by_an_earlier_play() {
    let test = Test::new();
    test.playbook(
        &play("    - file: {path: /var/lib/machines/box/etc, state: directory}\n- hosts: localhost\n  gather_facts: false\n  root: /var/lib/machines/box\n  tasks:\n    - file: {path: /etc/hostname, content: \"box\\n\"}\n    - resolv_link: {}\n"),
    );
    let before = test.tree();
    let run = test.run_json(&["--check"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.changed(), 3, "{}", run.stdout);
    assert_eq!(test.tree(), before);
}

#[test]
fn running_manager_tasks_on_an_offline_root_are_refused_at_validation() {
    let test = Test::new();
    test.playbook(&play(
        "    - unit: {name: sshd, enabled: true}\n    - unit: {name: sshd, state: started}\n    - systemd: {daemon_reload: true}\n    - nspawn: {name: box, state: running}\n    - unit: {name: sshd, state: restarted}\n      when: machinist_root == '/'\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "", "nothing ran");
    for (line, what) in [
        (5, "state=started"),
        (6, "daemon_reload"),
        (7, "state=running"),
    ] {
        let located = format!("site.yml:{line}:");
        assert!(
            run.stderr
                .lines()
                .any(|l| l.contains(&located) && l.contains(what)),
            "no located error for {what} on line {line}:\n{}",
            run.stderr
        );
    }
    assert!(
        run.stderr.contains("offline root [TMP]/root (--root)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("3 errors"),
        "the task under when: is left to run time:\n{}",
        run.stderr
    );

    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  root: /var/lib/machines/box\n  handlers:\n    - name: restart\n      unit: {name: a, state: restarted}\n  tasks: []\n",
    );
    let run = test.machinist(&["run", "site.yml"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("/var/lib/machines/box (root:)"),
        "{}",
        run.stderr
    );
}

#[test]
fn unknown_nspawn_settings_are_validation_errors_with_a_suggestion() {
    let test = Test::new();
    test.playbook(&play(
        "    - nspawn:\n        name: box\n        settings:\n          Network: {Bridg: \"{{ bridge }}\"}\n",
    ));
    let run = test.run(&["-e", "bridge=br0"]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("site.yml:7:21:")
            && run
                .stderr
                .contains("unknown key 'Bridg' in section [Network]")
            && run.stderr.contains("did you mean 'Bridge'"),
        "{}",
        run.stderr
    );
}

#[test]
fn commands_run_with_chroot_say_so() {
    let test = Test::new();
    let machine = test.root().join("srv/box");
    std::fs::create_dir_all(&machine).expect("machine");
    busybox_root(&test);
    for dir in ["bin", "tmp"] {
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(test.root().join(dir))
            .arg(&machine)
            .status()
            .expect("cp");
        assert!(status.success());
    }
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  root: /srv/box\n  tasks:\n    - command: touch /tmp/inside\n    - command: touch /tmp/again\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert!(machine.join("tmp/inside").exists());
    let warnings = rootfs::warnings(&run);
    assert_eq!(warnings.len(), 1, "said once per root: {warnings:?}");
    assert!(warnings[0].contains("run with chroot"), "{warnings:?}");
}

#[test]
fn unit_file_from_files_src_three_checks() {
    let test = test_with_rootfs();
    test.project_file(
        "files/mt-src.service",
        "[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n",
    );
    test.playbook(&play(
        "    - unit: {name: mt-src, src: mt-src.service, enabled: true}\n",
    ));
    three_checks_on_rootfs(&test);
    assert_eq!(is_enabled(&test.root(), "mt-src"), "enabled");
    assert!(test
        .read("/etc/systemd/system/mt-src.service")
        .starts_with("[Service]\nExecStart=/bin/true\n"));
}
