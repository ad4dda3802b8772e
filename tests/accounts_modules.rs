//! The `group` and `user` modules through the real binary with the real shadow tools
//! (`groupadd --root`, `useradd --root`, …) on a temp root: the three checks of a play
//! that adds a group, an account in it and a file it owns (check mode sees the
//! predicted account), then changes and removes them; the password hash never printed;
//! a root whose databases are links leading out of it never writes outside.

mod common;
use common::play;

use common::{three_checks_runs, Test};
use std::os::unix::fs::MetadataExt;

const HASH: &str =
    "$6$saltsalt$0nmDRXWmakHIVo3Gx2NP9Rpw7sKjwzcV/Zuygtl5Q5u.ScqYA7GQ4PvExyN9JKIwnIYQQjbGvNFNv/0nBBXGe.";

fn accounts_root(test: &Test) {
    test.root_file("/etc/passwd", "root:x:0:0:root:/root:/bin/bash\n")
        .root_file("/etc/group", "root:x:0:\nusers:x:100:\n")
        .root_file("/etc/shadow", "root:*:19000:0:99999:7:::\n")
        .root_file("/etc/gshadow", "root:*::\nusers:*::\n")
        .root_file("/etc/login.defs", "USERGROUPS_ENAB yes\nHOME_MODE 0700\n");
    std::fs::create_dir_all(test.root().join("home")).expect("home");
    std::fs::create_dir_all(test.root().join("srv")).expect("srv");
}

#[test]
fn group_user_and_a_file_they_own_pass_the_three_checks() {
    let test = Test::new();
    accounts_root(&test);
    test.playbook(&play(&format!(
        "    - name: group
      ansible.builtin.group:
        name: web
        gid: 2001
    - name: user
      ansible.builtin.user:
        name: alice
        groups: web
        shell: /bin/sh
        password: \"{HASH}\"
      register: alice
    - name: a file owned by alice
      copy:
        dest: /srv/alice.txt
        content: hi
        owner: alice
        group: web
    - debug:
        msg: \"{{{{ alice.uid }}}} {{{{ alice.home }}}} {{{{ alice.password }}}}\"
"
    )));
    let runs = three_checks_runs(&test);
    for run in &runs {
        assert!(
            !run.stdout.contains(HASH),
            "the hash was printed:\n{}",
            run.stdout
        );
    }
    let passwd = test.read("/etc/passwd");
    assert!(
        passwd.contains("alice:x:1000:1000::/home/alice:/bin/sh\n"),
        "{passwd}"
    );
    assert!(test.read("/etc/group").contains("web:x:2001:alice\n"));
    let meta = std::fs::metadata(test.root().join("srv/alice.txt")).expect("alice.txt");
    assert_eq!((meta.uid(), meta.gid()), (1000, 2001));
    let check_msg = runs[0]
        .stdout
        .contains("1000 /home/alice NOT_LOGGING_PASSWORD");
    assert!(
        check_msg,
        "check mode did not predict the account:\n{}",
        runs[0].stdout
    );

    test.playbook(&play(
        "    - name: user gone
      user:
        name: alice
        state: absent
        remove: true
    - name: group gone
      group:
        name: web
        state: absent
",
    ));
    three_checks_runs(&test);
    assert!(!test.read("/etc/passwd").contains("alice"));
    assert!(!test.read("/etc/group").contains("web"));
    assert!(!test.root().join("home/alice").exists());
}

#[test]
fn the_diff_shows_the_fields_and_hides_the_password() {
    let test = Test::new();
    accounts_root(&test);
    test.playbook(&play(&format!(
        "    - user:
        name: bob
        comment: Bob
        password: \"{HASH}\"
        create_home: false
"
    )));
    let run = test.run(&["--check", "--diff"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    for line in [
        "+uid: 1000",
        "+comment: Bob",
        "+home: /home/bob",
        "+password: changed",
    ] {
        assert!(run.stdout.contains(line), "{line} not in:\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("saltsalt"), "{}", run.stdout);
}

#[test]
fn databases_linked_out_of_the_root_are_never_written_outside() {
    let test = Test::new();
    accounts_root(&test);
    let decoy = test.outside().join("decoy-group");
    std::fs::write(&decoy, "decoy:x:5:\n").expect("decoy");
    let group = test.root().join("etc/group");
    std::fs::remove_file(&group).expect("rm group");
    // Absolute and relative: both lead out of the root on the controller, neither does
    // inside it.
    std::os::unix::fs::symlink(&decoy, &group).expect("link");
    test.playbook(&play("    - group:\n        name: web\n"));
    let run = test.run_json(&[]);
    assert_eq!(
        std::fs::read_to_string(&decoy).expect("decoy"),
        "decoy:x:5:\n"
    );
    assert!(run.stdout.contains("\"event\":\"recap\""), "{}", run.stderr);
}

#[test]
fn unknown_groups_fail_as_ansible_says() {
    let test = Test::new();
    accounts_root(&test);
    test.playbook(&play(
        "    - user:\n        name: carol\n        group: nope\n",
    ));
    let run = test.run(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("Group nope does not exist"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_new_account_with_a_key_pair_passes_the_three_checks() {
    let test = Test::new();
    accounts_root(&test);
    test.playbook(&play(
        "    - user:
        name: deploy
        generate_ssh_key: true
        ssh_key_type: ed25519
        ssh_key_passphrase: s3cret-phrase
      register: deploy
    - debug:
        msg: \"{{ deploy.ssh_key_file }} {{ deploy.ssh_fingerprint is search('SHA256') }}\"
",
    ));
    let runs = three_checks_runs(&test);
    let private = test.read("/home/deploy/.ssh/id_ed25519");
    let secret_line = private.lines().nth(1).unwrap_or("-").to_string();
    for run in &runs {
        assert!(!run.stdout.contains("s3cret-phrase"), "{}", run.stdout);
        assert!(!run.stdout.contains(&secret_line), "{}", run.stdout);
    }
    assert!(
        runs[1].stdout.contains("/home/deploy/.ssh/id_ed25519 True"),
        "{}",
        runs[1].stdout
    );
    assert_eq!(test.mode("/home/deploy/.ssh/id_ed25519"), 0o600);
    let meta = std::fs::metadata(test.root().join("home/deploy/.ssh/id_ed25519")).expect("key");
    assert_eq!((meta.uid(), meta.gid()), (1000, 1000));
    assert!(private.contains("BEGIN OPENSSH PRIVATE KEY"));
}
