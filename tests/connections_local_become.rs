//! `become_user` on this machine (issue 17): machinist, run as root, acts for a
//! local task whose become is another user through an agent started here as that
//! user (setpriv: its uid, groups and a login's environment). The user is the
//! kit's become user (tests/common/sshd.rs), whose home is its own (0700): `id -un`
//! says its name, a copy into its home writes a file it owns, a copy into /root is
//! denied (the agent is not root), `--check` predicts the run and writes nothing,
//! the second run changes nothing. Under `--check` the controller's own Host and the
//! user's agent share their predictions. A local host acting inside a root tree
//! refuses it.

mod common;

use common::sshd;
use common::{Run, Test};
use serde_json::Value;
use std::os::unix::fs::MetadataExt;
use std::path::PathBuf;

const WHO: &str = sshd::BECOME_USER;

/// A file of this test's own, removed when dropped.
struct Written(PathBuf);

impl Drop for Written {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

fn task<'e>(events: &'e [Value], name: &str) -> &'e Value {
    events
        .iter()
        .find(|event| event["event"] == "task" && event["task"] == name)
        .unwrap_or_else(|| panic!("no task {name} in {events:#?}"))
}

fn run(test: &Test, args: &[&str]) -> Run {
    let mut full = vec!["run", "site.yml", "--format", "json"];
    full.extend_from_slice(args);
    test.machinist(&full)
}

#[test]
fn a_local_task_runs_as_its_become_user() {
    common::rootfs::require_root();
    sshd::ensure_become_users();
    let test = Test::new();
    let tag = format!("machinist-local-become-{}", std::process::id());
    let home_file = Written(sshd::become_user_home().join(&tag));
    let root_file = Written(PathBuf::from("/root").join(&tag));
    test.playbook(&format!(
        "- hosts: localhost
  gather_facts: false
  tasks:
    - name: Who
      command: id -un
      become: true
      become_user: {WHO}
      check_mode: false
      changed_when: false
      register: who
    - name: Said
      assert:
        that: who.stdout == '{WHO}'
    - name: Home
      copy: {{dest: {home}, content: \"theirs\\n\", mode: '0600'}}
      become: true
      become_user: {WHO}
    - name: Root's
      copy: {{dest: {root}, content: \"not theirs\\n\"}}
      become: true
      become_user: {WHO}
      ignore_errors: true
",
        home = home_file.0.display(),
        root = root_file.0.display(),
    ));

    let checked = run(&test, &["--check", "--diff"]);
    assert_eq!(checked.code, 0, "{}\n{}", checked.stdout, checked.stderr);
    let events = checked.events();
    assert_eq!(task(&events, "Said")["status"], "ok", "{events:#?}");
    assert_eq!(task(&events, "Home")["status"], "changed", "{events:#?}");
    assert!(
        !home_file.0.exists(),
        "--check wrote {}",
        home_file.0.display()
    );
    assert!(!root_file.0.exists());

    let first = run(&test, &[]);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    let events = first.events();
    assert_eq!(task(&events, "Said")["status"], "ok", "{events:#?}");
    assert_eq!(task(&events, "Home")["status"], "changed", "{events:#?}");
    let written = std::fs::metadata(&home_file.0).expect("the copy wrote the file");
    let owner = std::process::Command::new("id")
        .args(["-u", WHO])
        .output()
        .unwrap();
    let uid: u32 = String::from_utf8_lossy(&owner.stdout)
        .trim()
        .parse()
        .unwrap();
    assert_eq!(written.uid(), uid, "the file is the user's");
    assert_eq!(written.mode() & 0o7777, 0o600);
    assert_eq!(std::fs::read_to_string(&home_file.0).unwrap(), "theirs\n");
    // Not root: /root is closed to the user.
    let denied = task(&events, "Root's");
    assert_eq!(denied["status"], "failed", "{denied:#?}");
    assert!(
        denied
            .to_string()
            .to_lowercase()
            .contains("permission denied"),
        "{denied:#}"
    );
    assert!(!root_file.0.exists());

    let again = run(&test, &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    let events = again.events();
    assert_eq!(task(&events, "Home")["status"], "ok", "{events:#?}");
    assert_eq!(again.changed(), 0, "{}", again.stdout);
}

/// As tests/connections_ssh.rs's play of the same name, on this machine: root's
/// tasks act in this process, the user's in its agent.
#[test]
fn check_mode_predictions_cross_between_root_and_the_users_agent() {
    use std::os::unix::fs::PermissionsExt;
    common::rootfs::require_root();
    sshd::ensure_become_users();
    let test = Test::new();
    let parent = tempfile::Builder::new()
        .prefix("machinist-local-sessions-")
        .tempdir_in("/tmp")
        .unwrap();
    std::fs::set_permissions(parent.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let dir = parent.path().join("made");
    test.playbook(
        &format!(
            "- hosts: localhost
  gather_facts: false
  vars: {{dir: {dir}, second_user: {WHO}}}
  tasks:
    - name: Root makes the folder
      file: {{path: \"{{{{ dir }}}}\", state: directory, owner: \"{{{{ second_user }}}}\", mode: \"0755\"}}
    - name: The user writes in it
      copy: {{dest: \"{{{{ dir }}}}/theirs\", content: \"x\\n\", mode: \"0644\"}}
      become: true
      become_user: \"{{{{ second_user }}}}\"
    - name: Root looks
      stat: {{path: \"{{{{ dir }}}}/theirs\"}}
      register: theirs
    - name: Root sees the user's file
      assert:
        that: theirs.stat.exists and theirs.stat.mode == '0644'
",
            dir = dir.display()
        ),
    );
    let statuses = |run: &Run| -> Vec<String> {
        run.events()
            .iter()
            .filter(|event| event["event"] == "task")
            .map(|event| event["status"].as_str().unwrap_or_default().to_string())
            .collect()
    };
    let checked = run(&test, &["--check"]);
    assert_eq!(checked.code, 0, "{}\n{}", checked.stdout, checked.stderr);
    assert_eq!(
        statuses(&checked),
        ["changed", "changed", "ok", "ok"],
        "{}",
        checked.stdout
    );
    assert!(!dir.exists(), "--check made {}", dir.display());

    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    assert_eq!(
        statuses(&checked),
        statuses(&ran),
        "--check predicts the run"
    );
    assert!(dir.join("theirs").is_file());

    let again = run(&test, &[]);
    assert_eq!(again.code, 0, "{}\n{}", again.stdout, again.stderr);
    assert_eq!(again.changed(), 0, "{}", again.stdout);
}

#[test]
fn become_user_where_the_tasks_act_in_a_root_tree_is_refused() {
    common::rootfs::require_root();
    sshd::ensure_become_users();
    let test = Test::new();
    test.playbook(&format!(
        "- hosts: localhost
  gather_facts: false
  tasks:
    - name: As them
      copy: {{dest: /f, content: x}}
      become: true
      become_user: {WHO}
    - name: As root
      copy: {{dest: /g, content: x}}
      become: true
      become_user: root
"
    ));
    let ran = test.run(&["--format", "json"]);
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let refused = task(&events, "As them");
    assert_eq!(refused["status"], "failed");
    assert!(
        refused["msg"]
            .as_str()
            .unwrap()
            .contains("a root tree is root's"),
        "{refused:#}"
    );
    assert!(!test.root().join("f").exists());
}

#[test]
fn become_user_when_machinist_is_not_root_is_refused() {
    common::rootfs::require_root();
    sshd::ensure_become_users();
    let test = Test::new();
    test.playbook(&format!(
        "- hosts: localhost
  gather_facts: false
  tasks:
    - name: As them
      command: id -un
      become: true
      become_user: {WHO}
"
    ));
    // The run as the kit's ssh user: its project readable, its locks its own.
    let project = test.project();
    let test_dir = project.parent().unwrap();
    for dir in [test_dir, project.as_path()] {
        let opened = std::process::Command::new("chmod")
            .arg("755")
            .arg(dir)
            .status()
            .unwrap();
        assert!(opened.success());
    }
    let locks = tempfile::tempdir().unwrap();
    let chown = std::process::Command::new("chown")
        .arg(sshd::USER)
        .arg(locks.path())
        .status()
        .unwrap();
    assert!(chown.success());
    let output = std::process::Command::new("setpriv")
        .args([
            "--reuid",
            sshd::USER,
            "--regid",
            sshd::USER,
            "--init-groups",
            "--",
        ])
        .arg(env!("CARGO_BIN_EXE_machinist"))
        .args(["run", "site.yml", "--format", "json"])
        .current_dir(&project)
        .env("NO_COLOR", "1")
        .env("HOME", sshd::home())
        .env("MACHINIST_LOCK_DIR", locks.path())
        .env_remove("RUST_LOG")
        .output()
        .unwrap();
    let ran = Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    };
    assert_eq!(ran.code, 2, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let refused = task(&events, "As them");
    assert_eq!(refused["status"], "failed");
    assert!(
        refused["msg"]
            .as_str()
            .unwrap()
            .contains("where machinist does not run as root"),
        "{refused:#}"
    );
}

#[test]
fn a_role_entrys_become_reaches_the_role_and_its_dependencies() {
    common::rootfs::require_root();
    sshd::ensure_become_users();
    let test = Test::new();
    let who_task = "- name: Who\n  command: id -un\n  changed_when: false\n  register: who\n";
    test.project_file("roles/dep/tasks/main.yml", who_task)
        .project_file(
            "roles/app/tasks/main.yml",
            &format!("{who_task}- name: Said\n  assert: {{that: who.stdout == '{WHO}'}}\n"),
        )
        .project_file("roles/app/meta/main.yml", "dependencies: [dep]\n")
        .playbook(&format!(
            "- hosts: localhost
  gather_facts: false
  roles:
    - role: app
      become: true
      become_user: {WHO}
  tasks:
    - name: Root again
      command: id -un
      changed_when: false
      register: after
    - name: Back to root
      assert: {{that: after.stdout == 'root'}}
"
        ));
    let ran = run(&test, &[]);
    assert_eq!(ran.code, 0, "{}\n{}", ran.stdout, ran.stderr);
    let events = ran.events();
    let whos: Vec<&Value> = events
        .iter()
        .filter(|event| {
            event["event"] == "task" && event["task"].as_str().is_some_and(|t| t.ends_with(": Who"))
        })
        .collect();
    assert_eq!(whos.len(), 2, "{}", ran.stdout);
    for who in whos {
        assert_eq!(who["result"]["stdout"], WHO, "{who:#}");
    }
}

#[test]
fn a_keyword_among_include_roles_options_is_refused() {
    let test = Test::new();
    test.project_file("roles/app/tasks/main.yml", "- debug: {msg: hi}\n")
        .playbook(
            "- hosts: localhost
  gather_facts: false
  tasks:
    - include_role:
        name: app
        become: true
",
        );
    let refused = run(&test, &[]);
    assert_eq!(refused.code, 4, "{}\n{}", refused.stdout, refused.stderr);
    assert!(
        refused
            .stderr
            .contains("'become' is not an option of import_role or include_role"),
        "{}",
        refused.stderr
    );
}
