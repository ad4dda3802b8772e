//! `become_method: su` over ssh (issue 17), the real binary against a real OpenSSH
//! server on loopback (tests/common/sshd.rs) and the system's own su (util-linux,
//! PAM): the test user becomes a user made for the test (a known password, removed
//! after), with the password from the inventory and from `--become-password-file`;
//! `command: id -un` says that user, a copied file is that user's, and the three
//! checks hold; a wrong password makes the host unreachable saying authentication
//! failed, soon; a password su asks for and nobody gave is said so, and a user whose
//! shell refuses (nologin) is unreachable with su's words; root becomes another user
//! with no password at all; the test user becomes root with root's password (given
//! for the test, root's entry put back after).

mod common;

use common::ssh_hosts::{inventory, ssh_vars, RemoteRoot};
use common::sshd::{self, Sshd};
use common::{Run, Test};
use serde_json::{json, Value};
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A user made for one test (`machinist-su-NAME`, a home of its own, /bin/sh, a
/// password), removed with its home when dropped.
struct SuUser {
    name: String,
    password: String,
}

impl SuUser {
    fn new(tag: &str) -> SuUser {
        SuUser::with_shell(tag, "/bin/sh")
    }

    fn with_shell(tag: &str, shell: &str) -> SuUser {
        sshd::ensure_user();
        let name = format!("machinist-su-{tag}");
        let password = format!("{name} pass'word");
        // A leftover of an interrupted run goes first.
        let _ = Command::new("userdel").args(["-r", &name]).output();
        let made = Command::new("useradd")
            .args(["-m", "-s", shell, &name])
            .output()
            .unwrap();
        assert!(made.status.success(), "{made:?}");
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(chpasswd.stdin.take().unwrap(), "{name}:{password}").unwrap();
        assert!(chpasswd.wait().unwrap().success());
        SuUser { name, password }
    }

    fn home(&self) -> PathBuf {
        PathBuf::from(format!("/home/{}", self.name))
    }

    fn uid(&self) -> u32 {
        std::fs::metadata(self.home()).unwrap().uid()
    }
}

impl Drop for SuUser {
    fn drop(&mut self) {
        let _ = Command::new("userdel").args(["-r", &self.name]).output();
    }
}

fn run(test: &Test, args: &[&str]) -> Run {
    let mut full = vec!["run", "site.yml", "-i", "inventory.yml", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist(&full)
}

fn event_of<'a>(events: &'a [Value], task: &str) -> &'a Value {
    events
        .iter()
        .find(|e| e["event"] == "task" && e["host"] == "web" && e["task"] == task)
        .unwrap_or_else(|| panic!("no event of {task}"))
}

/// (task, status) of every task event.
fn results(run: &Run) -> Vec<(String, String)> {
    run.events()
        .into_iter()
        .filter(|e| e["event"] == "task")
        .map(|e| {
            let text = |key: &str| e[key].as_str().unwrap_or_default().to_string();
            (text("task"), text("status"))
        })
        .collect()
}

fn changed(run: &Run) -> u64 {
    let recap = run
        .events()
        .into_iter()
        .find(|e| e["event"] == "recap")
        .unwrap_or_else(|| panic!("no recap:\n{}\n{}", run.stdout, run.stderr));
    recap["hosts"]["web"]["changed"].as_u64().unwrap()
}

const WHO_AND_COPY: &str = "- hosts: all\n  gather_facts: false\n  tasks:\n    - name: Who\n      command: id -un\n      register: who\n      changed_when: false\n      check_mode: false\n    - name: Said\n      debug: {msg: \"{{ who.stdout }}\"}\n    - name: A file\n      copy: {dest: \"{{ dest }}\", content: \"from su\\n\", mode: \"0640\"}\n";

/// The test user's ssh host, on the host's own / (a command needs a system), becoming
/// `user` through su.
fn su_host(sshd: &Sshd, user: &SuUser, remote: &RemoteRoot) -> Value {
    let mut vars = ssh_vars(sshd, remote.path());
    vars.as_object_mut().unwrap().remove("machinist_root");
    vars["dest"] = json!(user.home().join("by-su"));
    vars["ansible_become"] = json!(true);
    vars["ansible_become_method"] = json!("su");
    vars["ansible_become_user"] = json!(user.name);
    vars
}

#[test]
fn su_runs_the_agent_as_the_become_user_and_passes_the_three_checks() {
    let user = SuUser::new("three");
    let test = Test::new();
    test.playbook(WHO_AND_COPY);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("su-three");
    let mut vars = su_host(&sshd, &user, &remote);
    vars["ansible_become_password"] = json!(user.password);
    inventory(&test, &[("web", vars)]);
    let home = || common::snapshot(&user.home());
    let before = home();
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(home(), before, "--check changed the become user's home");
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let events = first.events();
    assert_eq!(
        event_of(&events, "Said")["result"]["msg"],
        user.name.as_str()
    );
    assert_eq!(event_of(&events, "A file")["status"], "changed");
    assert_eq!(results(&check), results(&first), "--check predicts the run");
    let dest = std::fs::metadata(user.home().join("by-su")).unwrap();
    assert_eq!(dest.uid(), user.uid(), "written as the become user");
    assert_eq!(dest.mode() & 0o777, 0o640);
    let after = home();
    let second = run(&test, &[]);
    assert_eq!(second.code, 0, "{}\n{}", second.stdout, second.stderr);
    assert_eq!(changed(&second), 0, "{}", second.stdout);
    assert_eq!(home(), after);
    // The password is nowhere in what the run said.
    for said in [&first.stdout, &first.stderr, &second.stdout, &second.stderr] {
        assert!(!said.contains(&user.password), "{said}");
    }
}

#[test]
fn a_wrong_su_password_is_unreachable_saying_authentication_failed() {
    let user = SuUser::new("wrong");
    let test = Test::new();
    test.playbook(WHO_AND_COPY);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("su-wrong");
    inventory(&test, &[("web", su_host(&sshd, &user, &remote))]);
    test.project_file("become-pass", "not-the-password\n");
    let started = Instant::now();
    let refused = run(&test, &["--become-password-file", "become-pass"]);
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a refused su took {:?}",
        started.elapsed()
    );
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    let events = refused.events();
    let who = event_of(&events, "Who");
    assert_eq!(who["status"], "unreachable");
    let msg = who["msg"].as_str().unwrap();
    assert!(msg.contains("Incorrect su password"), "{msg}");
    assert!(msg.contains("Authentication failure"), "{msg}");
    assert!(!msg.contains("[machinist become password]"), "{msg}");
    assert!(!msg.contains("not-the-password"), "{msg}");
    assert!(!user.home().join("by-su").exists());
    // The right one, from the same file, is taken.
    test.project_file("become-pass", &format!("{}\n", user.password));
    let ran = run(&test, &["--become-password-file", "become-pass"]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(
        event_of(&ran.events(), "Said")["result"]["msg"],
        user.name.as_str()
    );
}

#[test]
fn su_asking_for_a_password_nobody_gave_is_unreachable_saying_so() {
    let user = SuUser::new("nopass");
    let test = Test::new();
    test.playbook(WHO_AND_COPY);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("su-nopass");
    inventory(&test, &[("web", su_host(&sshd, &user, &remote))]);
    let started = Instant::now();
    let refused = run(&test, &[]);
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    let msg = event_of(&refused.events(), "Who")["msg"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains(&format!(
            "su asks for {}'s password and no become password was given",
            user.name
        )),
        "{msg}"
    );
}

#[test]
fn root_becomes_another_user_through_su_without_a_password() {
    let user = SuUser::new("fromroot");
    let test = Test::new();
    test.playbook(WHO_AND_COPY);
    let sshd = Sshd::start_for_root();
    let remote = RemoteRoot::new("su-root");
    let mut vars = su_host(&sshd, &user, &remote);
    vars["ansible_user"] = json!("root");
    inventory(&test, &[("web", vars)]);
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    assert_eq!(
        event_of(&events, "Said")["result"]["msg"],
        user.name.as_str()
    );
    let dest = std::fs::metadata(user.home().join("by-su")).unwrap();
    assert_eq!(dest.uid(), user.uid());
    let again = run(&test, &[]);
    assert_eq!(changed(&again), 0, "{}", again.stdout);
}

#[test]
fn a_become_user_su_cannot_start_a_shell_for_is_unreachable_with_sus_words() {
    let user = SuUser::with_shell("nologin", "/usr/sbin/nologin");
    let test = Test::new();
    test.playbook(WHO_AND_COPY);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("su-nologin");
    let mut vars = su_host(&sshd, &user, &remote);
    vars["ansible_become_password"] = json!(user.password);
    inventory(&test, &[("web", vars)]);
    let refused = run(&test, &[]);
    assert_eq!(refused.code, 3, "{}\n{}", refused.stdout, refused.stderr);
    let msg = event_of(&refused.events(), "Who")["msg"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        msg.contains(&format!("su to {} ended with status 1", user.name))
            && msg.contains("This account is currently not available"),
        "{msg}"
    );
}

/// root with a known password for one test; root's password hash and the day it
/// last changed are put back when dropped (Debian's root has none: `*`).
struct RootPassword {
    hash: String,
    last_change: String,
    password: String,
}

impl RootPassword {
    fn set() -> RootPassword {
        let shadow = std::fs::read_to_string("/etc/shadow").unwrap();
        let fields: Vec<&str> = shadow
            .lines()
            .find(|line| line.starts_with("root:"))
            .unwrap()
            .split(':')
            .collect();
        let saved = RootPassword {
            hash: fields[1].to_string(),
            last_change: fields[2].to_string(),
            password: "machinist root pass'word".to_string(),
        };
        let mut chpasswd = Command::new("chpasswd")
            .stdin(Stdio::piped())
            .spawn()
            .unwrap();
        use std::io::Write;
        writeln!(chpasswd.stdin.take().unwrap(), "root:{}", saved.password).unwrap();
        assert!(chpasswd.wait().unwrap().success());
        saved
    }
}

impl Drop for RootPassword {
    fn drop(&mut self) {
        let restored = Command::new("usermod")
            .args(["-p", &self.hash, "root"])
            .status();
        let last_change = match self.last_change.as_str() {
            "" => "-1",
            day => day,
        };
        let dated = Command::new("chage")
            .args(["-d", last_change, "root"])
            .status();
        let put_back = restored.is_ok_and(|s| s.success()) && dated.is_ok_and(|s| s.success());
        if !std::thread::panicking() {
            assert!(put_back, "root's password was not put back");
        }
    }
}

#[test]
fn the_test_user_becomes_root_through_su_with_roots_password() {
    let root = RootPassword::set();
    let test = Test::new();
    test.playbook(WHO_AND_COPY);
    let sshd = Sshd::start();
    let remote = RemoteRoot::new("su-to-root");
    let dest = tempfile::tempdir().unwrap();
    let mut vars = ssh_vars(&sshd, remote.path());
    vars.as_object_mut().unwrap().remove("machinist_root");
    vars["dest"] = json!(dest.path().join("by-su"));
    vars["ansible_become"] = json!(true);
    vars["ansible_become_method"] = json!("su");
    vars["ansible_become_password"] = json!(root.password);
    inventory(&test, &[("web", vars)]);
    let check = run(&test, &["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert!(!dest.path().join("by-su").exists(), "--check wrote");
    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let events = first.events();
    assert_eq!(event_of(&events, "Said")["result"]["msg"], "root");
    assert_eq!(event_of(&events, "A file")["status"], "changed");
    assert_eq!(results(&check), results(&first), "--check predicts the run");
    let written = std::fs::metadata(dest.path().join("by-su")).unwrap();
    assert_eq!((written.uid(), written.mode() & 0o777), (0, 0o640));
    let second = run(&test, &[]);
    assert_eq!(changed(&second), 0, "{}", second.stdout);
    for said in [&first.stdout, &first.stderr, &second.stdout, &second.stderr] {
        assert!(!said.contains(&root.password), "{said}");
    }
}
