//! The `file` module (and its `copy`/`template` aliases) through the real binary:
//! the three checks for every state, modes, templates and confinement in the root.

mod common;
use common::play;

use common::{three_checks, Test};

#[test]
fn content_file_three_checks() {
    let test = Test::new();
    test.root_file("etc/placeholder", "");
    test.playbook(&play(
        "    - file: {path: /etc/hostname, content: \"box\\n\", mode: \"0600\"}\n",
    ));
    three_checks(&test);
    assert_eq!(test.read("/etc/hostname"), "box\n");
    assert_eq!(test.mode("/etc/hostname"), 0o600);
}

#[test]
fn directory_three_checks() {
    let test = Test::new();
    test.playbook(&play(
        "    - file: {path: /var/lib/machines/box/etc, state: directory, mode: \"0750\"}\n",
    ));
    three_checks(&test);
    assert_eq!(test.mode("/var/lib/machines/box/etc"), 0o750);
}

#[test]
fn link_three_checks_and_absolute_target_is_kept_verbatim() {
    let test = Test::new();
    test.root_file("etc/resolv.conf", "nameserver 1.1.1.1\n");
    test.playbook(&play(
        "    - file: {path: /etc/resolv.conf, state: link, src: /run/systemd/resolve/resolv.conf, force: true}\n",
    ));
    three_checks(&test);
    let link = std::fs::read_link(test.root().join("etc/resolv.conf")).unwrap();
    assert_eq!(
        link,
        std::path::Path::new("/run/systemd/resolve/resolv.conf")
    );
}

#[test]
fn hard_link_three_checks() {
    let test = Test::new();
    test.root_file("etc/a", "same\n");
    test.playbook(&play(
        "    - file: {path: /etc/b, state: hard, src: /etc/a}\n",
    ));
    three_checks(&test);
    assert_eq!(test.read("/etc/b"), "same\n");
}

#[test]
fn absent_three_checks() {
    let test = Test::new();
    test.root_file("etc/old/conf", "x\n");
    test.playbook(&play("    - file: {path: /etc/old, state: absent}\n"));
    three_checks(&test);
    assert!(!test.root().join("etc/old").exists());
}

#[test]
fn touch_three_checks() {
    let test = Test::new();
    test.root_file("etc/placeholder", "");
    test.playbook(&play(
        "    - file: {path: /etc/stamp, state: touch, mode: \"u=rw,g=r,o=\"}\n",
    ));
    three_checks(&test);
    assert_eq!(test.mode("/etc/stamp"), 0o640);
}

#[test]
fn mode_only_change_three_checks() {
    let test = Test::new();
    test.root_file("etc/conf", "keep\n");
    test.playbook(&play("    - file: {path: /etc/conf, mode: \"0600\"}\n"));
    three_checks(&test);
    assert_eq!(test.read("/etc/conf"), "keep\n");
}

#[test]
fn copy_alias_reads_files_folder_three_checks() {
    let test = Test::new();
    test.root_file("etc/placeholder", "");
    test.project_file("files/locale.conf", "LANG=en_US.UTF-8\n");
    test.playbook(&play("    - copy: {src: locale.conf, dest: /etc/}\n"));
    three_checks(&test);
    assert_eq!(test.read("/etc/locale.conf"), "LANG=en_US.UTF-8\n");
}

#[test]
fn template_alias_renders_with_ansible_whitespace_three_checks() {
    let test = Test::new();
    test.root_file("etc/systemd/nspawn/.keep", "");
    test.project_file(
        "templates/box.nspawn.j2",
        "[Files]\n{% for bind in binds %}\nBind={{ bind }}\n{% endfor %}\n\n[Network]\nBridge={{ bridge }}\n",
    );
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars:\n    bridge: br0\n    binds: [/var/cache/pacman/pkg, /srv]\n  tasks:\n    - template: {src: box.nspawn.j2, dest: /etc/systemd/nspawn/box.nspawn}\n",
    );
    three_checks(&test);
    assert_eq!(
        test.read("/etc/systemd/nspawn/box.nspawn"),
        "[Files]\nBind=/var/cache/pacman/pkg\nBind=/srv\n\n[Network]\nBridge=br0\n"
    );
}

#[test]
fn content_written_later_in_check_mode_is_seen_by_later_tasks() {
    let test = Test::new();
    test.playbook(&play(
        "    - file: {path: /etc/systemd/network, state: directory}\n    - file: {path: /etc/systemd/network/50-br0.netdev, content: \"[NetDev]\\nName=br0\\nKind=bridge\\n\"}\n",
    ));
    three_checks(&test);
}

#[test]
fn missing_parent_directory_fails_like_ansible() {
    let test = Test::new();
    test.playbook(&play("    - file: {path: /nope/file, content: x}\n"));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert_eq!(run.recap()["failed"], 1);
}

#[test]
fn writes_through_an_absolute_symlink_stay_in_the_root() {
    let test = Test::new();
    let decoy = test.outside().join("decoy");
    std::fs::create_dir(&decoy).unwrap();
    std::fs::write(decoy.join("resolv.conf"), "host file\n").unwrap();
    std::fs::create_dir_all(test.root().join("etc")).unwrap();
    std::fs::create_dir_all(test.root().join(decoy.strip_prefix("/").unwrap())).unwrap();
    // ROOT/etc/resolv.conf -> /<tmp>/decoy/resolv.conf: inside the root, that is
    // ROOT/<tmp>/decoy/resolv.conf, never the host's file.
    std::os::unix::fs::symlink(
        decoy.join("resolv.conf"),
        test.root().join("etc/resolv.conf"),
    )
    .unwrap();
    std::os::unix::fs::symlink("../../../../../..", test.root().join("etc/up")).unwrap();
    test.playbook(&play(
        "    - file: {path: /etc/resolv.conf, content: \"nameserver 10.0.0.1\\n\"}\n    - file: {path: /etc/up/escaped, content: x}\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        std::fs::read_to_string(decoy.join("resolv.conf")).unwrap(),
        "host file\n"
    );
    assert!(!test.outside().join("escaped").exists());
    assert!(test.root().join("escaped").exists());
    let inside = test
        .root()
        .join(decoy.strip_prefix("/").unwrap())
        .join("resolv.conf");
    assert_eq!(
        std::fs::read_to_string(inside).unwrap(),
        "nameserver 10.0.0.1\n"
    );
}

#[test]
fn diff_shows_before_and_after() {
    let test = Test::new();
    test.root_file("etc/hostname", "old\n");
    test.playbook(&play(
        "    - file: {path: /etc/hostname, content: \"new\\n\"}\n",
    ));
    let run = test.run(&["--check", "--diff"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("--- before: /etc/hostname\n+++ after: /etc/hostname\n"),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("-old\n+new\n"), "{}", run.stdout);
    assert_eq!(test.read("/etc/hostname"), "old\n");
}
