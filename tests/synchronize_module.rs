//! `synchronize` through the real rsync on this machine (both paths local, as
//! Ansible's with `-c local`): the three checks of a pushed tree, with `--delete`
//! and a relative `src` found in files/; what it registers; the refusals (a root
//! other than `/`, a host over ssh, an ssh-only option on a local host).

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
fn a_root_an_ssh_host_and_ssh_only_options_are_refused() {
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

    test.playbook(
        "- hosts: far\n  gather_facts: false\n  tasks:\n    - synchronize: {src: site/, dest: /srv/www/}\n",
    );
    test.project_file(
        "hosts.ini",
        "far ansible_connection=ssh ansible_host=127.0.0.1 ansible_port=1\n",
    );
    let over_ssh = test.machinist(&["run", "site.yml", "-i", "hosts.ini"]);
    assert_ne!(over_ssh.code, 0, "{}", over_ssh.stdout);
    assert!(
        over_ssh
            .stdout
            .contains("synchronize over a machine or ssh connection is not supported"),
        "{}\n{}",
        over_ssh.stdout,
        over_ssh.stderr
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
