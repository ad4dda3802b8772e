//! The archive module end to end, in a root: a tree packed as a tar.gz (read back with
//! bsdtar), the three checks, a changed source making it changed again, a single file
//! compressed, and the sources removed with `remove`.

mod common;

use common::{play, Test};
use std::process::Command;

fn sources(test: &Test) {
    test.root_file("srv/conf/a.txt", "a\n");
    test.root_file("srv/conf/b.key", "secret\n");
    test.root_file("srv/conf/sub/c.txt", "c\n");
    test.root_file("srv/app.log", "log line\n");
}

fn listing(archive: &std::path::Path) -> Vec<String> {
    let output = Command::new("bsdtar")
        .arg("-tf")
        .arg(archive)
        .output()
        .expect("bsdtar (libarchive-tools)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut names: Vec<String> = String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(String::from)
        .collect();
    names.sort();
    names
}

#[test]
fn a_tree_is_packed_and_the_three_checks_hold() {
    let test = Test::new();
    sources(&test);
    test.playbook(&play(
        r#"    - name: pack
      community.general.archive:
        path: /srv/conf
        dest: /srv/conf.tar.gz
        exclusion_patterns: ["*.key"]
        mode: "0600"
      register: packed
    - name: compress
      archive: {path: /srv/app.log, format: xz}
"#,
    ));
    common::three_checks(&test);
    let archive = test.root().join("srv/conf.tar.gz");
    assert_eq!(
        listing(&archive),
        ["conf/a.txt", "conf/sub/", "conf/sub/c.txt"]
    );
    assert_eq!(test.mode("srv/conf.tar.gz"), 0o600);
    let xz = Command::new("xz")
        .args(["-dc"])
        .arg(test.root().join("srv/app.log.xz"))
        .output()
        .expect("xz");
    assert_eq!(String::from_utf8_lossy(&xz.stdout), "log line\n");

    // A source that changes changes the archive, once.
    test.root_file("srv/conf/a.txt", "a, longer\n");
    let run = test.run_json(&[]);
    assert_eq!(run.changed(), 1, "{}", run.stdout);
    assert_eq!(test.run_json(&[]).changed(), 0);
}

#[test]
fn remove_takes_the_archived_sources_away() {
    let test = Test::new();
    sources(&test);
    test.playbook(&play(
        "    - archive: {path: [/srv/conf, /srv/app.log], dest: /backup.zip, format: zip, remove: true}\n      register: moved\n    - debug: var=moved.dest_state\n",
    ));
    let first = test.run(&[]);
    assert_eq!(first.code, 0, "{}{}", first.stdout, first.stderr);
    assert!(!test.root().join("srv/conf").exists());
    assert!(!test.root().join("srv/app.log").exists());
    assert!(
        first.stdout.contains("\"moved.dest_state\": \"archive\""),
        "{}",
        first.stdout
    );
    let second = test.run_json(&[]);
    assert_eq!(second.changed(), 0, "{}", second.stdout);
}
