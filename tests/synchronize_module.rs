//! `synchronize` through the real rsync on this machine (both paths local, as
//! Ansible's with `-c local`): the three checks of a pushed tree, with `--delete`
//! and a relative `src` found in files/; what it registers; the refusals (a root
//! other than `/`, an ssh-only option on a local host). Over ssh (tests/common/
//! sshd.rs): push and pull through machinist's multiplexed connection, the three
//! checks, one login per run; a root on the host refused.

mod common;
use common::{play, snapshot, Run, Test};

fn rsync_installed() {
    assert!(
        std::process::Command::new("rsync")
            .arg("--version")
            .output()
            .is_ok(),
        "rsync is missing: install the Debian package rsync (scripts/test does)"
    );
}

/// `machinist run site.yml -i localhost, --format json ARGS`: on this machine's `/`
/// (synchronize refuses a root), every path below the test's folder.
fn run_on_slash(test: &Test, args: &[&str]) -> Run {
    let mut full = vec!["run", "site.yml", "-i", "localhost,", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist(&full)
}

/// A source tree in files/site and a stale dest below the test's root folder.
fn setup(test: &Test, tasks: &str) {
    test.project_file("files/site/index.html", "<h1>hi</h1>\n")
        .project_file("files/site/css/main.css", "body {}\n")
        .project_file("files/site/draft.tmp", "not published\n");
    std::os::unix::fs::symlink("index.html", test.project().join("files/site/home.html"))
        .expect("link");
    std::fs::create_dir_all(test.root().join("srv/www")).expect("dest");
    std::fs::write(test.root().join("srv/www/old.html"), "gone\n").expect("stale");
    let tasks = tasks.replace("ROOT", test.root().to_str().expect("utf-8"));
    test.playbook(&play(&tasks));
}

const MIRROR: &str = "    - synchronize:
        src: site/
        dest: ROOT/srv/www/
        delete: true
        rsync_opts: [\"--exclude=*.tmp\"]
      register: mirrored
";

#[test]
fn a_tree_is_mirrored_once_predicted_and_then_left_alone() {
    rsync_installed();
    let test = Test::new();
    setup(&test, MIRROR);
    let before = snapshot(&test.root());

    let check = run_on_slash(&test, &["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(snapshot(&test.root()), before, "--check changed the tree");
    assert_eq!(check.changed(), 1, "{}", check.stdout);

    let first = run_on_slash(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        check.statuses(),
        first.statuses(),
        "--check did not predict the run"
    );
    let www = test.root().join("srv/www");
    assert_eq!(
        std::fs::read_to_string(www.join("css/main.css")).expect("css"),
        "body {}\n"
    );
    assert_eq!(
        std::fs::read_link(www.join("home.html"))
            .expect("link")
            .to_str(),
        Some("index.html")
    );
    assert!(!www.join("old.html").exists(), "--delete left old.html");
    assert!(
        !www.join("draft.tmp").exists(),
        "--exclude copied draft.tmp"
    );

    let after = snapshot(&test.root());
    let second = run_on_slash(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(
        second.changed(),
        0,
        "second run changed:\n{}",
        second.stdout
    );
    assert_eq!(snapshot(&test.root()), after);
    let again = run_on_slash(&test, &["--check"]);
    assert_eq!(again.changed(), 0, "check after the run:\n{}", again.stdout);
}

/// The registered result of the first task of a run.
fn registered(run: &Run) -> serde_json::Value {
    run.events()
        .into_iter()
        .find(|event| event["event"] == "task")
        .map(|event| event["result"].clone())
        .unwrap_or_default()
}

#[test]
fn it_registers_ansibles_keys() {
    rsync_installed();
    let test = Test::new();
    setup(&test, MIRROR);
    let check = run_on_slash(&test, &["--check"]);
    let checked = registered(&check);
    let cmd = checked["cmd"].as_str().unwrap_or_default();
    assert!(
        cmd.contains("rsync --delay-updates -F --compress --dry-run --delete-after --archive --exclude=*.tmp --out-format='<<CHANGED>>%i %n%L' "),
        "{checked}"
    );
    let first = run_on_slash(&test, &[]);
    let result = registered(&first);
    assert_eq!(result["rc"], 0, "{result}");
    assert!(
        !result["cmd"]
            .as_str()
            .unwrap_or_default()
            .contains("--dry-run"),
        "{result}"
    );
    let lines: Vec<&str> = result["stdout_lines"]
        .as_array()
        .map(|lines| lines.iter().filter_map(|line| line.as_str()).collect())
        .unwrap_or_default();
    assert!(lines.contains(&">f+++++++++ css/main.css"), "{result}");
    assert!(lines.contains(&"*deleting   old.html"), "{result}");
    assert_eq!(
        lines,
        checked["stdout_lines"]
            .as_array()
            .map(|l| l.iter().filter_map(|x| x.as_str()).collect::<Vec<_>>())
            .unwrap_or_default(),
        "check mode predicted other lines"
    );
    assert!(
        !result["msg"]
            .as_str()
            .unwrap_or_default()
            .contains("<<CHANGED>>"),
        "{result}"
    );
}

#[test]
fn a_root_and_ssh_only_options_on_a_local_host_are_refused() {
    rsync_installed();
    let test = Test::new();
    setup(&test, "    - synchronize: {src: site/, dest: /srv/www/}\n");
    let in_root = test.run(&[]);
    assert_ne!(in_root.code, 0, "{}", in_root.stdout);
    assert!(
        in_root
            .stdout
            .contains("synchronize refuses a root other than /")
            && in_root.stdout.contains("use copy with a directory src"),
        "{}",
        in_root.stdout
    );

    let root = test.root();
    test.playbook(&play(&format!(
        "    - synchronize: {{src: site/, dest: {}/srv/www/, dest_port: 2222}}\n",
        root.display()
    )));
    let port = run_on_slash(&test, &[]);
    assert_ne!(port.code, 0, "{}", port.stdout);
    assert!(
        port.stdout
            .contains("dest_port is for a host reached over ssh"),
        "{}",
        port.stdout
    );
}

/// An ssh host (tests/common/sshd.rs) with `dest` a folder of the test user's there,
/// reached as that user: its inventory, no machinist_root.
fn ssh_host(test: &Test, sshd: &common::sshd::Sshd, extra: serde_json::Value) {
    let mut vars = common::ssh_hosts::ssh_vars(sshd, std::path::Path::new("/"));
    if let (Some(vars), serde_json::Value::Object(extra)) = (vars.as_object_mut(), extra) {
        vars.remove("machinist_root");
        vars.extend(extra);
    }
    common::ssh_hosts::inventory(test, &[("web", vars)]);
}

/// How many task results of the run are `changed`.
fn changed_tasks(run: &Run) -> usize {
    run.events()
        .iter()
        .filter(|event| event["event"] == "task" && event["status"] == "changed")
        .count()
}

fn run_over_ssh(test: &Test, args: &[&str]) -> Run {
    let mut full = vec!["run", "site.yml", "-i", "inventory.yml", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist(&full)
}

#[test]
fn over_ssh_rsync_pushes_and_pulls_through_the_hosts_connection() {
    rsync_installed();
    let test = Test::new();
    let sshd = common::sshd::Sshd::start();
    let there = common::ssh_hosts::RemoteRoot::new("sync");
    there.file("logs/app.log", b"started\n");
    setup(&test, "");
    let pulled = test.root().join("pulled");
    test.playbook(&format!(
        "- hosts: web\n  gather_facts: false\n  tasks:\n    - synchronize:\n        src: site/\n        dest: {dir}/www/\n        rsync_opts: [\"--exclude=*.tmp\"]\n      register: pushed\n    - synchronize:\n        mode: pull\n        src: {dir}/logs/\n        dest: {pulled}/\n",
        dir = there.path().display(),
        pulled = pulled.display(),
    ));
    ssh_host(&test, &sshd, serde_json::json!({}));
    let before = (snapshot(there.path()), test.root().join("pulled").exists());

    let check = run_over_ssh(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(
        (snapshot(there.path()), pulled.exists()),
        before,
        "--check changed something"
    );
    assert_eq!(changed_tasks(&check), 2, "{}", check.stdout);

    let first = run_over_ssh(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        check.statuses(),
        first.statuses(),
        "--check did not predict the run"
    );
    let www = there.path().join("www");
    assert_eq!(
        std::fs::read_to_string(www.join("index.html")).expect("pushed"),
        "<h1>hi</h1>\n"
    );
    assert!(!www.join("draft.tmp").exists());
    assert_eq!(
        std::fs::read_to_string(pulled.join("app.log")).expect("pulled"),
        "started\n"
    );
    let cmd = registered(&first)["cmd"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        cmd.contains("ControlPath=")
            && cmd.contains(&format!("{}@{}:", common::sshd::USER, sshd.address)),
        "{cmd}"
    );

    let second = run_over_ssh(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(
        changed_tasks(&second),
        0,
        "second run changed:\n{}",
        second.stdout
    );
    // rsync's ssh rode on machinist's connection: sshd saw one login per run.
    let logins = sshd.log().matches("Accepted publickey").count();
    assert_eq!(logins, 3, "logins:\n{}", sshd.log());
}

#[test]
fn over_ssh_a_root_on_the_host_is_refused() {
    rsync_installed();
    let test = Test::new();
    let sshd = common::sshd::Sshd::start();
    let there = common::ssh_hosts::RemoteRoot::new("syncroot");
    setup(&test, "");
    test.playbook("- hosts: web\n  gather_facts: false\n  tasks:\n    - synchronize: {src: site/, dest: /srv/www/}\n");
    ssh_host(
        &test,
        &sshd,
        serde_json::json!({"machinist_root": there.path()}),
    );
    let run = run_over_ssh(&test, &[]);
    assert_ne!(run.code, 0, "{}", run.stdout);
    assert!(
        run.stdout
            .contains("a root on an ssh host (machinist_root, root:) is not supported"),
        "{}\n{}",
        run.stdout,
        run.stderr
    );
}

#[test]
fn over_ssh_become_runs_the_hosts_rsync_through_sudo() {
    rsync_installed();
    common::sshd::ensure_become_users();
    let test = Test::new();
    let sshd = common::sshd::Sshd::start();
    setup(&test, "");
    let user = common::sshd::NOPASSWD_USER;
    let dest = format!("/home/{user}/synchronize-{}", std::process::id());
    test.playbook(&format!(
        "- hosts: web\n  gather_facts: false\n  tasks:\n    - synchronize: {{src: site/, dest: {dest}/, rsync_opts: [\"--exclude=*.tmp\"]}}\n      register: pushed\n"
    ));
    ssh_host(
        &test,
        &sshd,
        serde_json::json!({"ansible_become": true, "ansible_become_user": user, "ansible_become_method": "sudo"}),
    );
    let first = run_over_ssh(&test, &[]);
    let written = std::fs::metadata(format!("{dest}/index.html"));
    let owner = written.as_ref().map(std::os::unix::fs::MetadataExt::uid);
    let second = run_over_ssh(&test, &[]);
    let _ = std::fs::remove_dir_all(&dest);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let cmd = registered(&first)["cmd"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        cmd.contains(&format!("--rsync-path='sudo -u {user} rsync'")),
        "{cmd}"
    );
    let uid = std::process::Command::new("id")
        .args(["-u", user])
        .output()
        .expect("id");
    let uid: u32 = String::from_utf8_lossy(&uid.stdout)
        .trim()
        .parse()
        .expect("uid");
    assert_eq!(owner.ok(), Some(uid), "written as the become user");
    assert_eq!(
        changed_tasks(&second),
        0,
        "second run changed:\n{}",
        second.stdout
    );
}
