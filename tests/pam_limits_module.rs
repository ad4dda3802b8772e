//! pam_limits through the real binary on a temp root: the three checks over a
//! limits.conf with hand-written lines and a limits.d drop-in, the diff `--check
//! --diff` shows (Ansible's bare `before`/`after`), a missing directory refused, and a
//! limits.conf that is a link out of the root edited inside it.

mod common;
use common::play;

use common::{three_checks_runs, Test};

#[test]
fn pam_limits_three_checks() {
    let test = Test::new();
    test.root_file(
        "etc/security/limits.conf",
        "# limits\n*   soft  core  0\npostgres soft nofile 1024\n",
    );
    test.root_file("etc/security/limits.d/.keep", "");
    test.playbook(&play(
        r#"    - community.general.pam_limits:
        domain: postgres
        limit_type: soft
        limit_item: nofile
        value: 65536
    - pam_limits:
        domain: "@builders"
        limit_type: hard
        limit_item: nproc
        value: 4096
        comment: builds
    - pam_limits:
        dest: /etc/security/limits.d/90-nice.conf
        domain: "*"
        limit_type: "-"
        limit_item: nice
        value: -5
"#,
    ));
    let runs = three_checks_runs(&test);
    let statuses: Vec<String> = runs[1].statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(statuses, ["changed"; 3]);
    assert_eq!(
        test.read("/etc/security/limits.conf"),
        "# limits\n*   soft  core  0\npostgres\tsoft\tnofile\t65536\n@builders\thard\tnproc\t4096\t#builds\n"
    );
    assert_eq!(
        test.read("/etc/security/limits.d/90-nice.conf"),
        "*\t-\tnice\t-5\n"
    );
    let first = runs[0]
        .events()
        .into_iter()
        .find(|e| e["event"] == "task")
        .map(|e| e["diff"][0].clone())
        .unwrap_or_default();
    assert_eq!(first["before_header"], "", "{first}");
    assert_eq!(
        first["after"],
        "# limits\n*   soft  core  0\npostgres\tsoft\tnofile\t65536\n"
    );
}

#[test]
fn a_missing_directory_is_refused_and_a_link_out_of_the_root_edited_inside() {
    let test = Test::new();
    let outside = test.outside().join("limits.conf");
    std::fs::write(&outside, "joe soft nofile 10\n").expect("outside file");
    std::fs::create_dir_all(test.root().join("etc/security")).expect("etc");
    std::os::unix::fs::symlink(&outside, test.root().join("etc/security/limits.conf"))
        .expect("link");
    // The link's target, read inside the root: where the limit is written.
    let inside = test
        .root()
        .join(outside.strip_prefix("/").expect("absolute"));
    std::fs::create_dir_all(inside.parent().expect("parent")).expect("inside folder");
    test.playbook(&play(
        r#"    - pam_limits:
        domain: joe
        limit_type: soft
        limit_item: nofile
        value: 20
    - pam_limits:
        dest: /etc/nowhere/limits.conf
        domain: joe
        limit_type: soft
        limit_item: nofile
        value: 20
      register: nowhere
      ignore_errors: true
    - assert:
        that: nowhere.msg == 'directory /etc/nowhere is not writable (check presence, access rights, use sudo)'
"#,
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(
        std::fs::read_to_string(&outside).expect("outside"),
        "joe soft nofile 10\n"
    );
    assert_eq!(
        std::fs::read_to_string(&inside).expect("inside"),
        "joe\tsoft\tnofile\t20\n"
    );
}
