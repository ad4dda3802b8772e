//! `uri` and `wait_for` through the real binary, against the loopback HTTP server of
//! tests/common/http_server.rs and TCP listeners the tests open: statuses, methods and
//! bodies, registered keys, redirects, basic auth, ports and paths waited for, and both
//! skipped under --check (Ansible's modules have no check mode).

mod common;
use common::play;

use common::http_server::HttpServer;
use common::Test;
use std::net::TcpListener;

fn served() -> (tempfile::TempDir, HttpServer) {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("hello.txt"), "hello\n").expect("write");
    let server = HttpServer::start(dir.path());
    (dir, server)
}

fn run_ok(test: &Test, args: &[&str]) -> common::Run {
    let run = test.run_json(args);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    run
}

#[test]
fn uri_get_registers_status_content_and_headers() {
    let (_dir, server) = served();
    let test = Test::new();
    test.playbook(&play(&format!(
        "    - uri: {{url: '{}', return_content: true}}\n      register: r\n    - assert:\n        that:\n          - r is not changed\n          - r.status == 200\n          - r.content == 'hello\\n'\n          - r.content_length == '6'\n          - r.msg == 'OK (6 bytes)'\n          - not r.redirected\n          - r.url == '{}'\n",
        server.url("hello.txt"),
        server.url("hello.txt"),
    )));
    let run = run_ok(&test, &[]);
    assert_eq!(run.statuses()[0].1, "ok");
    // --check: skipped, as Ansible's uri is.
    test.playbook(&play(&format!(
        "    - uri: {{url: '{}', method: DELETE}}\n",
        server.url("echo")
    )));
    let check = run_ok(&test, &["--check"]);
    assert_eq!(check.statuses()[0].1, "skipped", "{}", check.stdout);
}

#[test]
fn uri_posts_json_and_forms_and_parses_a_json_answer() {
    let (_dir, server) = served();
    let test = Test::new();
    test.playbook(&play(&format!(
        "    - uri:\n        url: {echo}\n        method: POST\n        body_format: json\n        body: {{name: web, ports: [80, 443]}}\n        headers: {{X-Token: abc}}\n      register: r\n    - assert:\n        that:\n          - r.json.method == 'POST'\n          - \"r.json.body == '{{\\\"name\\\": \\\"web\\\", \\\"ports\\\": [80, 443]}}'\"\n          - r.json.headers['content-type'] == 'application/json'\n          - r.json.headers['x-token'] == 'abc'\n          - r.x_echo == 'yes'\n          - r.content is not defined\n    - uri:\n        url: {echo}\n        method: PUT\n        body_format: form-urlencoded\n        body: {{a: 'b c', d: 1}}\n      register: f\n    - assert:\n        that:\n          - f.json.body == 'a=b+c&d=1'\n          - f.json.headers['content-type'] == 'application/x-www-form-urlencoded'\n",
        echo = server.url("echo"),
    )));
    run_ok(&test, &[]);
}

#[test]
fn uri_fails_on_an_unexpected_status_and_accepts_listed_ones() {
    let (_dir, server) = served();
    let test = Test::new();
    test.playbook(&play(&format!(
        "    - uri: {{url: '{}', status_code: [200, 404]}}\n      register: ok404\n    - uri: {{url: '{}'}}\n      register: r\n      ignore_errors: true\n    - assert:\n        that:\n          - ok404.status == 404\n          - r is failed\n          - r.status == 500\n          - \"r.msg == 'Status code was 500 and not [200]: HTTP Error 500: Internal Server Error'\"\n          - r.content == 'status body\\n'\n",
        server.url("status/404"),
        server.url("status/500"),
    )));
    run_ok(&test, &[]);
}

#[test]
fn uri_registers_the_cookies_set() {
    let (_dir, server) = served();
    let test = Test::new();
    test.playbook(&play(&format!(
        "    - uri: {{url: '{}'}}\n      register: r\n    - assert:\n        that:\n          - \"r.cookies == {{'session': 'abc', 'theme': 'dark'}}\"\n          - r.cookies_string == 'session=abc; theme=dark'\n",
        server.url("cookie")
    )));
    run_ok(&test, &[]);
}

#[test]
fn uri_redirects_and_basic_auth_with_a_hidden_password() {
    let (_dir, server) = served();
    let test = Test::new();
    test.playbook(&play(&format!(
        "    - uri: {{url: '{}', return_content: true}}\n      register: r\n    - uri: {{url: '{}', follow_redirects: none, status_code: 302}}\n      register: n\n    - uri: {{url: '{}', url_username: user, url_password: secret, return_content: true}}\n      register: a\n    - assert:\n        that:\n          - r.redirected\n          - r.content == 'hello\\n'\n          - n.location == '{}'\n          - a.content == 'hello\\n'\n    - debug: var=a\n",
        server.url("redirect/hello.txt"),
        server.url("redirect/hello.txt"),
        server.url("auth/hello.txt"),
        server.url("hello.txt"),
    )));
    let run = run_ok(&test, &[]);
    assert!(!run.stdout.contains("\"secret\""), "{}", run.stdout);
}

#[test]
fn wait_for_a_port_that_opens_and_one_that_stays_closed() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let open = listener.local_addr().expect("addr").port();
    let closed = {
        let spare = TcpListener::bind("127.0.0.1:0").expect("bind");
        spare.local_addr().expect("addr").port()
    };
    let test = Test::new();
    test.playbook(&play(&format!(
        "    - wait_for: {{port: {open}, timeout: 5}}\n      register: w\n    - assert: {{that: [\"w.port == {open}\", \"w.state == 'started'\", \"w.elapsed < 5\"]}}\n    - wait_for: {{port: {closed}, state: stopped, timeout: 5}}\n    - wait_for: {{port: {closed}, timeout: 1, sleep: 1}}\n      register: t\n      ignore_errors: true\n    - assert: {{that: [\"t is failed\", \"t.msg == 'Timeout when waiting for 127.0.0.1:{closed}'\"]}}\n"
    )));
    let run = run_ok(&test, &[]);
    let statuses: Vec<String> = run.statuses().into_iter().map(|(_, s)| s).collect();
    assert_eq!(
        statuses,
        ["ok", "ok", "ok", "failed", "ok"],
        "{}",
        run.stdout
    );
    test.playbook(&play(&format!("    - wait_for: {{port: {open}}}\n")));
    let check = run_ok(&test, &["--check"]);
    assert_eq!(check.statuses()[0].1, "skipped");
    drop(listener);
}

#[test]
fn wait_for_a_banner_on_a_port() {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let server = std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let _ = std::io::Write::write_all(&mut stream, b"SSH-2.0-OpenSSH_9.2\r\n");
            std::thread::sleep(std::time::Duration::from_millis(300));
        }
    });
    let test = Test::new();
    test.playbook(&play(&format!(
        "    - wait_for: {{port: {port}, search_regex: OpenSSH, timeout: 10}}\n"
    )));
    run_ok(&test, &[]);
    server.join().expect("server thread");
}

#[test]
fn wait_for_paths_inside_the_root_with_groups() {
    let test = Test::new();
    test.root_file("var/log/app.log", "starting\nready on port 8080\n");
    // Outside the root the same name holds nothing: the path is the target's.
    test.playbook(&play(
        "    - wait_for: {path: /var/log/app.log, search_regex: 'ready on port (?P<port>\\d+)', timeout: 5}\n      register: w\n    - assert: {that: [\"w.match_groups == ['8080']\", \"w.match_groupdict.port == '8080'\"]}\n    - wait_for: {path: /var/log/gone.log, state: absent, timeout: 2}\n    - wait_for: {path: /nowhere, timeout: 1}\n      register: t\n      ignore_errors: true\n    - assert: {that: [\"t.msg == 'Timeout when waiting for file /nowhere'\"]}\n    - wait_for: {path: /x, state: stopped}\n      register: s\n      ignore_errors: true\n    - assert: {that: [\"'state=stopped should only be used for checking a port' in s.msg\"]}\n",
    ));
    run_ok(&test, &[]);
}
