//! `get_url` through the real binary against a real HTTP server on loopback
//! (tests/common/http_server.rs): the three checks, Ansible's rule for an existing
//! dest (force, checksum), checksum files, downloads into a directory, basic auth,
//! binary content, failures, and a root whose links point out of it.

mod common;
use common::play;

use common::http_server::HttpServer;
use common::{three_checks, Test};
use std::path::Path;

/// A folder of served files, outside the test's tree.
fn served(files: &[(&str, &[u8])]) -> (tempfile::TempDir, HttpServer) {
    let dir = tempfile::tempdir().expect("tempdir");
    for (name, content) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    let server = HttpServer::start(dir.path());
    (dir, server)
}

fn sha256(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[test]
fn download_three_checks_with_mode_and_result_keys() {
    let (_dir, server) = served(&[("app.conf", b"listen 80\n")]);
    let test = Test::new();
    test.root_file("srv/.keep", "");
    test.playbook(&play(&format!(
        "    - get_url:\n        url: {}\n        dest: /srv/app.conf\n        mode: '0600'\n      register: r\n    - assert:\n        that:\n          - r.dest == '/srv/app.conf'\n          - r.url == '{}'\n          - r.mode == '0600'\n          - r.size == 10\n          - r.state == 'file'\n",
        server.url("app.conf"),
        server.url("app.conf"),
    )));
    three_checks(&test);
    assert_eq!(test.read("srv/app.conf"), "listen 80\n");
    assert_eq!(test.mode("srv/app.conf"), 0o600);
}

#[test]
fn the_result_names_status_checksums_and_message() {
    let (_dir, server) = served(&[("a.txt", b"new\n")]);
    let test = Test::new();
    test.root_file("srv/a.txt", "old\n");
    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv/a.txt, force: true}}\n      register: r\n    - assert:\n        that:\n          - r is changed\n          - r.status_code == 200\n          - r.msg == 'OK (4 bytes)'\n          - r.checksum_dest | length == 40\n          - r.checksum_src != r.checksum_dest\n          - r.md5sum | length == 32\n",
        server.url("a.txt")
    )));
    let run = test.run_json(&["--diff"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.read("srv/a.txt"), "new\n");
    let diff = &run.events()[1]["diff"][0];
    assert_eq!(
        (diff["before"].as_str(), diff["after"].as_str()),
        (Some("old\n"), Some("new\n"))
    );
}

#[test]
fn an_existing_dest_is_replaced_when_it_differs_as_ansible_core_does() {
    let (_dir, server) = served(&[("a.txt", b"remote\n")]);
    let test = Test::new();
    test.root_file("srv/a.txt", "local\n");
    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv/a.txt}}\n",
        server.url("a.txt")
    )));
    three_checks(&test);
    assert_eq!(test.read("srv/a.txt"), "remote\n");
}

#[test]
fn a_checksum_decides_whether_an_existing_dest_is_downloaded_again() {
    let body = b"release 1.0\n";
    let (dir, server) = served(&[("tool.tar", body)]);
    let sums = format!("{}  tool.tar\n{}  other.tar\n", sha256(body), sha256(b"x"));
    std::fs::write(dir.path().join("SHA256SUMS"), sums).expect("write");
    let test = Test::new();
    test.root_file("srv/tool.tar", "stale\n");
    test.playbook(&play(&format!(
        "    - get_url:\n        url: {}\n        dest: /srv/tool.tar\n        checksum: 'sha256:{}'\n",
        server.url("tool.tar"),
        server.url("SHA256SUMS"),
    )));
    // The stale file does not match: downloaded, verified, replaced; then ok.
    three_checks(&test);
    assert_eq!(test.read("srv/tool.tar"), "release 1.0\n");

    // A wrong checksum fails and leaves dest alone.
    test.root_file("srv/tool.tar", "stale\n");
    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv/tool.tar, checksum: 'sha256:{}'}}\n",
        server.url("tool.tar"),
        sha256(b"something else"),
    )));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(run.stdout.contains("did not match"), "{}", run.stdout);
    assert_eq!(test.read("srv/tool.tar"), "stale\n");
}

#[test]
fn into_a_directory_the_name_comes_from_the_server_or_the_url() {
    let (_dir, server) = served(&[("pkg/b.bin", b"bee\n")]);
    let test = Test::new();
    test.root_file("srv/.keep", "");
    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv}}\n    - get_url: {{url: '{}', dest: /srv/}}\n      register: r\n    - assert: {{that: [\"r.dest == '/srv/b.bin'\"]}}\n",
        server.url("named"),
        server.url("pkg/b.bin"),
    )));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    // Content-Disposition said "../given.txt": only its last component is used.
    assert_eq!(test.read("srv/given.txt"), "named content\n");
    assert_eq!(test.read("srv/b.bin"), "bee\n");
}

#[test]
fn binary_content_is_written_byte_for_byte() {
    let bytes: Vec<u8> = (0..=255u8).cycle().take(70_000).collect();
    let (_dir, server) = served(&[("blob", &bytes)]);
    let test = Test::new();
    test.root_file("srv/.keep", "");
    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv/blob}}\n",
        server.url("blob")
    )));
    let runs = common::three_checks_runs(&test);
    assert_eq!(
        std::fs::read(test.root().join("srv/blob")).expect("read"),
        bytes
    );
    // The --check --diff run summarised the content instead of printing it.
    assert!(
        runs[0].stdout.contains("(binary, 70000 bytes, sha256 "),
        "{}",
        runs[0].stdout
    );
}

#[test]
fn basic_auth_after_a_401_and_the_password_never_shown() {
    let (_dir, server) = served(&[("private.txt", b"secret data\n")]);
    let test = Test::new();
    test.root_file("srv/.keep", "");
    test.playbook(&play(&format!(
        "    - get_url:\n        url: {}\n        dest: /srv/private.txt\n        url_username: user\n        url_password: secret\n      register: r\n    - debug: var=r\n",
        server.url("auth/private.txt")
    )));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(test.read("srv/private.txt"), "secret data\n");
    assert!(!run.stdout.contains("\"secret\""), "{}", run.stdout);

    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv/other.txt}}\n",
        server.url("auth/private.txt")
    )));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("HTTP 401"), "{}", run.stdout);
}

#[test]
fn a_missing_page_fails_and_writes_nothing() {
    let (_dir, server) = served(&[]);
    let test = Test::new();
    test.root_file("srv/.keep", "");
    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv/x}}\n",
        server.url("nothing-here")
    )));
    let before = test.tree();
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(run.stdout.contains("Request failed"), "{}", run.stdout);
    assert_eq!(test.tree(), before);
}

#[test]
fn file_urls_and_dest_links_stay_inside_the_root() {
    let test = Test::new();
    let outside = test.outside().join("decoy");
    std::fs::create_dir_all(&outside).expect("mkdir");
    std::fs::write(outside.join("motd.dist"), "outside\n").expect("write");
    test.root_file("etc/motd.dist", "inside\n");
    // /srv is a link to the decoy's absolute path: resolved inside the root.
    std::os::unix::fs::symlink(&outside, test.root().join("srv")).expect("symlink");
    std::fs::create_dir_all(
        test.root()
            .join(outside.strip_prefix("/").expect("absolute")),
    )
    .expect("mkdir");
    // /etc/link.dist points at the decoy's file: read inside the root, it is missing.
    std::os::unix::fs::symlink(outside.join("motd.dist"), test.root().join("etc/link.dist"))
        .expect("symlink");
    test.playbook(&play(
        "    - get_url: {url: 'file:///etc/motd.dist', dest: /srv/motd}\n    - get_url: {url: 'file:///etc/link.dist', dest: /srv/other}\n      ignore_errors: true\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    assert_eq!(run.statuses()[1].1, "failed", "{}", run.stdout);
    let inside = test
        .root()
        .join(outside.strip_prefix("/").expect("absolute"))
        .join("motd");
    assert_eq!(std::fs::read_to_string(inside).expect("read"), "inside\n");
    assert!(!Path::new(&outside).join("motd").exists());
    assert!(!Path::new(&outside).join("other").exists());
}

#[test]
fn https_verifies_the_certificate_unless_told_not_to() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("tls.txt"), "over tls\n").expect("write");
    let server = HttpServer::start_https(dir.path());
    let test = Test::new();
    test.root_file("srv/.keep", "");
    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv/tls.txt}}\n",
        server.url("tls.txt")
    )));
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stdout.contains("invalid peer certificate"),
        "{}",
        run.stdout
    );
    assert!(!test.root().join("srv/tls.txt").exists());
    test.playbook(&play(&format!(
        "    - get_url: {{url: '{}', dest: /srv/tls.txt, validate_certs: false}}\n",
        server.url("tls.txt")
    )));
    three_checks(&test);
    assert_eq!(test.read("srv/tls.txt"), "over tls\n");
}
