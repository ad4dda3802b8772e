//! The system modules through the real binary on real roots: `group`, `user`,
//! `hostname`, `sysctl`, `timezone` and `locale_gen` in one play on a debootstrapped
//! Debian root (its own login.defs, zoneinfo, locale.gen and locale-gen), with the
//! three checks; `service` as systemd's on the cached systemd rootfs; the live-only
//! parts of sysctl refused on an offline root; and an /etc/hostname linked out of the
//! root written inside it. The play also proves that locale-gen, run in the root
//! through systemd-nspawn, leaves the /etc/localtime link timezone set alone.

mod common;
use common::play;

use common::debian::debian_root;
use common::rootfs::{is_enabled, stat_tree, test_with_rootfs, three_checks_on_rootfs};
use common::{three_checks_looking, Test};
use std::process::Command;

#[test]
fn system_modules_on_a_debian_root_three_checks() {
    let test = Test::new();
    let root = test.root();
    debian_root(&root);
    test.playbook(&play(
        "    - ansible.builtin.group: {name: web, system: true}
    - ansible.builtin.user:
        name: alice
        groups: [web, users]
        shell: /bin/bash
        comment: Alice
    - ansible.builtin.hostname: {name: box}
    - ansible.posix.sysctl: {name: net.ipv4.ip_forward, value: true}
    - community.general.timezone: {name: Europe/Berlin}
    - community.general.locale_gen: {name: [de_DE.UTF-8, en_US.UTF-8]}
",
    ));
    let runs = three_checks_looking(&test, || stat_tree(&root));
    let statuses: Vec<String> = runs[1].statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["changed"; 6]);
    let read = |path: &str| std::fs::read_to_string(root.join(path)).expect(path);
    let passwd = read("etc/passwd");
    assert!(
        passwd.contains("alice:x:1000:1000:Alice:/home/alice:/bin/bash\n"),
        "{passwd}"
    );
    let group = read("etc/group");
    assert!(group.contains("users:x:100:alice\n"), "{group}");
    assert!(
        group
            .lines()
            .any(|l| l.starts_with("web:x:") && l.ends_with(":alice")),
        "{group}"
    );
    assert!(
        root.join("home/alice/.bashrc").exists(),
        "skel copied by useradd"
    );
    assert_eq!(read("etc/hostname"), "box\n");
    assert!(read("etc/sysctl.conf").ends_with("net.ipv4.ip_forward=1\n"));
    let zone = std::fs::read_link(root.join("etc/localtime")).expect("localtime");
    assert!(
        zone.ends_with("zoneinfo/Europe/Berlin"),
        "{}",
        zone.display()
    );
    let gen = read("etc/locale.gen");
    assert!(gen.lines().any(|l| l == "de_DE.UTF-8 UTF-8"), "{gen}");
    let listed = Command::new("chroot")
        .arg(&root)
        .args(["locale", "-a"])
        .output()
        .expect("locale -a");
    assert!(String::from_utf8_lossy(&listed.stdout).contains("de_DE.utf8"));

    test.playbook(&play(
        "    - user: {name: alice, state: absent, remove: true}
    - group: {name: web, state: absent}
    - sysctl: {name: net.ipv4.ip_forward, state: absent}
    - locale_gen: {name: de_DE.UTF-8, state: absent}
",
    ));
    three_checks_looking(&test, || stat_tree(&root));
    assert!(!read("etc/passwd").contains("alice"));
    assert!(!root.join("home/alice").exists());
    assert!(!read("etc/sysctl.conf").contains("ip_forward=1"));
    assert!(read("etc/locale.gen").contains("# de_DE.UTF-8 UTF-8\n"));
}

#[test]
fn service_is_systemds_on_an_offline_root() {
    let test = test_with_rootfs();
    test.playbook(&play(
        "    - ansible.builtin.service: {name: systemd-networkd, enabled: true}\n",
    ));
    three_checks_on_rootfs(&test);
    assert_eq!(is_enabled(&test.root(), "systemd-networkd"), "enabled");
    test.playbook(&play(
        "    - service: {name: systemd-networkd, pattern: networkd}\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 4, "{}", run.stdout);
    assert!(
        run.stderr.contains("unknown argument 'pattern'"),
        "{}",
        run.stderr
    );
}

#[test]
fn live_only_sysctl_parts_are_refused_offline() {
    let test = Test::new();
    test.root_file("/etc/sysctl.conf", "");
    for args in ["reload: true", "sysctl_set: true"] {
        test.playbook(&play(&format!(
            "    - sysctl: {{name: vm.swappiness, value: 10, {args}}}\n"
        )));
        let run = test.run(&["--check"]);
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(run.stdout.contains("offline root"), "{}", run.stdout);
    }
    test.playbook(&play("    - sysctl: {name: vm.swappiness, value: 10}\n"));
    common::three_checks(&test);
    assert_eq!(test.read("/etc/sysctl.conf"), "vm.swappiness=10\n");
}

#[test]
fn a_hostname_file_linked_out_of_the_root_is_written_inside() {
    let test = Test::new();
    let decoy = test.outside().join("decoy-hostname");
    std::fs::write(&decoy, "host\n").expect("decoy");
    std::fs::create_dir_all(test.root().join("etc")).expect("etc");
    std::os::unix::fs::symlink("../../decoy-hostname", test.root().join("etc/hostname"))
        .expect("link");
    test.playbook(&play("    - hostname: {name: inside}\n"));
    common::three_checks(&test);
    assert_eq!(std::fs::read_to_string(&decoy).expect("decoy"), "host\n");
}

#[test]
fn authorized_key_for_an_account_made_in_the_same_play() {
    let test = Test::new();
    test.root_file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
        .root_file("/etc/group", "root:x:0:\nusers:x:100:\n")
        .root_file("/etc/shadow", "root:*:19000:0:99999:7:::\n")
        .root_file("/etc/login.defs", "USERGROUPS_ENAB yes\nHOME_MODE 0700\n");
    std::fs::create_dir_all(test.root().join("home")).expect("home");
    test.playbook(&play(
        "    - user: {name: deploy}
    - ansible.posix.authorized_key:
        user: deploy
        key: |
          ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA deploy@laptop
          ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ deploy@desk
        key_options: no-pty
",
    ));
    common::three_checks(&test);
    let keys = test.read("/home/deploy/.ssh/authorized_keys");
    assert_eq!(
        keys,
        "no-pty ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAAA deploy@laptop\n\
         no-pty ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ deploy@desk\n"
    );
    assert_eq!(test.mode("/home/deploy/.ssh"), 0o700);
    assert_eq!(test.mode("/home/deploy/.ssh/authorized_keys"), 0o600);
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(test.root().join("home/deploy/.ssh/authorized_keys"))
        .expect("keys")
        .uid();
    assert_eq!(owner, 1000);
}

#[test]
fn mount_entries_in_fstab_and_mounting_refused_on_an_offline_root() {
    let test = Test::new();
    test.root_file("/etc/fstab", "# static\nUUID=a / ext4 defaults 0 1\n");
    std::fs::create_dir_all(test.root().join("srv/data")).expect("mount point");
    test.playbook(&play(
        "    - ansible.posix.mount:
        path: /srv/data
        src: LABEL=data
        fstype: ext4
        opts: noatime
        boot: false
        state: present
",
    ));
    common::three_checks(&test);
    assert_eq!(
        test.read("/etc/fstab"),
        "# static\nUUID=a / ext4 defaults 0 1\nLABEL=data /srv/data ext4 noatime,noauto 0 0\n"
    );
    test.playbook(&play("    - mount: {path: /srv/data, state: absent}\n"));
    common::three_checks(&test);
    assert_eq!(
        test.read("/etc/fstab"),
        "# static\nUUID=a / ext4 defaults 0 1\n"
    );
    assert!(!test.root().join("srv/data").exists());
    for state in ["mounted", "unmounted", "remounted", "ephemeral"] {
        test.playbook(&play(&format!(
            "    - mount: {{path: /srv, src: /dev/x, fstype: ext4, state: {state}}}\n"
        )));
        let run = test.run(&["--check"]);
        assert_eq!(run.code, 2, "{}", run.stdout);
        assert!(run.stdout.contains("an offline root"), "{}", run.stdout);
    }
}
