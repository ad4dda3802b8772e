//! `known_hosts` through the real binary, in a root: the three checks for the default
//! path (the home of the user running, from the root's /etc/passwd), a removal of
//! every key of a host (its PATH.old beside), and what `--check --diff` shows.

mod common;
use common::{play, three_checks_runs, Test};

const K1: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIPrxlxgMxfqRt4NOe6J7EzsYvDRbkc3+lk3QRqMMGZ+L";
const K2: &str = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIAP5lqRXsS47iSFYPrdxpQ5TDZ/ATDDGwyZABSEYj5ut";

#[test]
fn known_hosts_in_a_root_three_checks() {
    let test = Test::new();
    test.root_file("/etc/passwd", "root:x:0:0:root:/root:/bin/sh\n");
    std::fs::create_dir_all(test.root().join("root/.ssh")).expect("~/.ssh");
    test.root_file(
        "/etc/ssh/ssh_known_hosts",
        &format!("old.example.org {K1}\nother.org,old.example.org {K2}\nkeep.org {K2}\n"),
    );
    test.playbook(&play(&format!(
        "    - known_hosts: {{name: git.example.org, key: 'git.example.org {K1}'}}\n    - known_hosts: {{name: '[git.example.org]:2222', key: '[git.example.org]:2222 {K2}', hash_host: true}}\n    - known_hosts: {{name: old.example.org, path: /etc/ssh/ssh_known_hosts, state: absent}}\n"
    )));
    let runs = three_checks_runs(&test);
    let mine = test.read("/root/.ssh/known_hosts");
    let lines: Vec<&str> = mine.lines().collect();
    assert_eq!(lines[0], format!("git.example.org {K1}"));
    assert!(
        lines[1].starts_with("|1|") && lines[1].ends_with(K2),
        "{mine}"
    );
    assert_eq!(
        test.read("/etc/ssh/ssh_known_hosts"),
        format!("keep.org {K2}\n")
    );
    assert!(test
        .read("/etc/ssh/ssh_known_hosts.old")
        .starts_with("old.example.org"));
    let check = runs[0].events();
    let first = check.iter().find(|e| e["event"] == "task").expect("a task");
    assert_eq!(first["diff"][0]["before_header"], "/dev/null");
    assert_eq!(first["diff"][0]["after"], format!("git.example.org {K1}\n"));
}
