//! lineinfile, blockinfile, replace, stat, slurp and find through the real binary on
//! a temp root: the three checks of each editor, `validate` run inside the root, a
//! check run whose later tasks read what earlier ones predicted, and links that
//! point out of the root (hostile roots) followed inside it.

mod common;
use common::play;

use common::{busybox_root, three_checks, Test};

#[test]
fn lineinfile_three_checks() {
    let test = Test::new();
    test.root_file("etc/pacman.conf", "[options]\n#ParallelDownloads = 5\n");
    test.playbook(&play(
        r#"    - lineinfile:
        path: /etc/pacman.conf
        regexp: '^#?ParallelDownloads'
        line: ParallelDownloads = 10
    - ansible.builtin.lineinfile:
        path: /etc/locale.gen
        line: en_US.UTF-8 UTF-8
        create: true
        mode: "0600"
"#,
    ));
    three_checks(&test);
    assert_eq!(
        test.read("/etc/pacman.conf"),
        "[options]\nParallelDownloads = 10\n"
    );
    assert_eq!(test.read("/etc/locale.gen"), "en_US.UTF-8 UTF-8\n");
    assert_eq!(test.mode("/etc/locale.gen"), 0o600);
}

#[test]
fn blockinfile_and_replace_three_checks() {
    let test = Test::new();
    test.root_file("etc/hosts", "127.0.0.1 localhost\n#Color\n");
    test.playbook(&play(
        r#"    - blockinfile:
        path: /etc/hosts
        block: "10.0.0.1 one"
    - replace:
        path: /etc/hosts
        regexp: '^#(Color)$'
        replace: '\1'
"#,
    ));
    three_checks(&test);
    assert_eq!(
        test.read("/etc/hosts"),
        "127.0.0.1 localhost\nColor\n# BEGIN ANSIBLE MANAGED BLOCK\n10.0.0.1 one\n# END ANSIBLE MANAGED BLOCK\n"
    );
}

#[test]
fn validate_runs_inside_the_root_and_a_refusal_keeps_the_file() {
    let test = Test::new();
    busybox_root(&test);
    test.root_file("etc/sudoers", "root ALL=(ALL) ALL\n");
    test.playbook(&play(
        r#"    - lineinfile:
        path: /etc/sudoers
        line: "%wheel ALL=(ALL) ALL"
        validate: /bin/sh -c 'test -f /bin/busybox && cat "$1" > /tmp/validated' sh %s
"#,
    ));
    three_checks(&test);
    assert_eq!(
        test.read("/tmp/validated"),
        "root ALL=(ALL) ALL\n%wheel ALL=(ALL) ALL\n"
    );
    test.playbook(&play(
        r#"    - lineinfile:
        path: /etc/sudoers
        line: "broken"
        validate: /bin/false %s
"#,
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("failed to validate: rc:1"),
        "{}",
        run.stdout
    );
    assert_eq!(
        test.read("/etc/sudoers"),
        "root ALL=(ALL) ALL\n%wheel ALL=(ALL) ALL\n"
    );
    let left: Vec<_> = std::fs::read_dir(test.root().join("etc"))
        .expect("etc")
        .collect();
    assert_eq!(left.len(), 1, "a temp file was left behind");
}

#[test]
fn check_mode_readers_see_what_editors_predicted() {
    let test = Test::new();
    test.root_file("etc/placeholder", "");
    test.playbook(&play(
        r#"    - lineinfile:
        path: /etc/conf.d/new.conf
        line: key=value
        create: true
    - stat:
        path: /etc/conf.d/new.conf
      register: new
    - slurp:
        src: /etc/conf.d/new.conf
      register: content
    - find:
        paths: /etc
        recurse: true
        patterns: "*.conf"
      register: found
    - assert:
        that:
          - new.stat.exists
          - new.stat.size == 10
          - content.content | b64decode == "key=value\n"
          - found.matched == 1
"#,
    ));
    let check = test.run(&["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(!test.root().join("etc/conf.d").exists());
    let real = test.run(&[]);
    assert_eq!(real.code, 0, "{}\n{}", real.stdout, real.stderr);
}

#[test]
fn links_out_of_a_hostile_root_are_followed_inside_it() {
    let test = Test::new();
    let outside = test.outside().join("host-file");
    std::fs::write(&outside, "host\n").expect("decoy");
    std::fs::create_dir_all(test.root().join("etc")).expect("etc");
    std::os::unix::fs::symlink(&outside, test.root().join("etc/sshd_config")).expect("link");
    std::os::unix::fs::symlink(&outside, test.root().join("etc/hosts")).expect("link");
    test.playbook(&play(
        r#"    - lineinfile:
        path: /etc/sshd_config
        line: PermitRootLogin no
        create: true
    - blockinfile:
        path: /etc/hosts
        block: x
        create: true
    - stat:
        path: /etc/sshd_config
        follow: true
      register: followed
    - assert:
        that:
          - followed.stat.isreg
          - followed.stat.size > 19
"#,
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(std::fs::read_to_string(&outside).expect("decoy"), "host\n");
    let inside = test
        .root()
        .join(outside.strip_prefix("/").expect("absolute"));
    assert!(std::fs::read_to_string(inside)
        .expect("written inside the root")
        .starts_with("PermitRootLogin no\n"),);
}
