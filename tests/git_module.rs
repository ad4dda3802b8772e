//! `git` through the real binary, run inside a root holding the controller's git
//! (tests/common/git_repos.rs) against repositories made there by the test with fixed
//! dates: the three checks of a clone, version switching (tag, branch, commit),
//! local modifications (refused, then discarded with force), a shallow clone, check
//! mode predicting a remote's new commit, clone/update false, submodules, failures.

mod common;
use common::git_repos::{git_root, Repo};
use common::{play, three_checks_runs, Test};

/// The root with git and a repository at /srv/git/app: two commits on main (README,
/// then app.conf), tag v1 on the first, an annotated v2 on the second, and a branch
/// dev with one more commit.
struct Setup {
    test: Test,
    repo: Repo,
    first: String,
    second: String,
    dev: String,
}

fn setup() -> Setup {
    let test = Test::new();
    git_root(&test);
    let mut repo = Repo::init(&test, "srv/git/app");
    let first = repo.commit("README", "first\n", "first");
    repo.git(&["tag", "v1"]);
    let second = repo.commit("app.conf", "port = 80\n", "second");
    repo.git(&["tag", "-a", "v2", "-m", "release 2"]);
    repo.git(&["checkout", "-q", "-b", "dev"]);
    let dev = repo.commit("app.conf", "port = 8080\n", "dev");
    repo.git(&["checkout", "-q", "main"]);
    Setup {
        test,
        repo,
        first,
        second,
        dev,
    }
}

/// git's answer in the checkout at `dest` inside the root.
fn in_checkout(test: &Test, dest: &str, args: &[&str]) -> String {
    let output = std::process::Command::new("git")
        .arg("-C")
        .arg(test.root().join(dest))
        .args(args)
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .output()
        .expect("git");
    String::from_utf8_lossy(&output.stdout)
        .trim_end()
        .to_string()
}

fn registered(run: &common::Run, task: usize) -> serde_json::Value {
    run.events()
        .iter()
        .filter(|event| event["event"] == "task")
        .nth(task)
        .map(|event| event["result"].clone())
        .unwrap_or_default()
}

#[test]
fn a_clone_passes_the_three_checks_and_registers_ansibles_keys() {
    let s = setup();
    s.test.playbook(&play(
        "    - git: {repo: /srv/git/app, dest: /opt/app}\n      register: r\n    - debug: {var: r}\n",
    ));
    let runs = three_checks_runs(&s.test);
    assert_eq!(s.test.read("opt/app/app.conf"), "port = 80\n");
    assert_eq!(
        in_checkout(&s.test, "opt/app", &["rev-parse", "HEAD"]),
        s.second
    );
    for run in &runs[..2] {
        let r = registered(run, 0);
        assert_eq!(r["before"], serde_json::Value::Null, "{r}");
        assert_eq!(r["after"], s.second.as_str(), "{r}");
        assert_eq!(r["changed"], true);
        assert!(r.get("stdout").is_none() && r.get("rc").is_none(), "{r}");
    }
    let again = registered(&runs[2], 0);
    assert_eq!(again["before"], s.second.as_str());
    assert_eq!(again["after"], s.second.as_str());
    assert_eq!(again["remote_url_changed"], false);
    assert_eq!(again["changed"], false);
}

fn git_task(extra: &str) -> String {
    play(&format!(
        "    - git: {{repo: /srv/git/app, dest: /opt/app{extra}}}\n      register: r\n"
    ))
}

/// Run `extra`'s task for real and under --check first: the check predicts the
/// status and `after`, and changes no byte; the real run's HEAD is `wanted`.
fn switch_to(s: &Setup, extra: &str, wanted: &str) {
    s.test.playbook(&git_task(extra));
    let before = s.test.tree();
    let check = s.test.run_json(&["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}", check.stdout);
    assert_eq!(s.test.tree(), before, "--check changed the tree");
    let run = s.test.run_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(check.statuses(), run.statuses(), "{extra}");
    assert_eq!(registered(&check, 0)["after"], wanted, "{extra}");
    assert_eq!(registered(&run, 0)["after"], wanted, "{extra}");
    assert_eq!(
        in_checkout(&s.test, "opt/app", &["rev-parse", "HEAD"]),
        wanted
    );
    let again = s.test.run_json(&[]);
    assert_eq!(again.changed(), 0, "{extra} again:\n{}", again.stdout);
}

#[test]
fn versions_switch_between_tags_branches_and_commits() {
    let s = setup();
    switch_to(&s, ", version: v1", &s.first);
    assert!(!s.test.root().join("opt/app/app.conf").exists());
    switch_to(&s, ", version: dev", &s.dev);
    assert_eq!(s.test.read("opt/app/app.conf"), "port = 8080\n");
    assert_eq!(
        in_checkout(&s.test, "opt/app", &["rev-parse", "--abbrev-ref", "HEAD"]),
        "dev"
    );
    // An annotated tag: its commit, not the tag object.
    switch_to(&s, ", version: v2", &s.second);
    switch_to(&s, &format!(", version: {}", &s.first[..10]), &s.first);
    switch_to(&s, &format!(", version: {}", s.dev), &s.dev);
    switch_to(&s, ", version: main", &s.second);
    assert_eq!(
        in_checkout(&s.test, "opt/app", &["rev-parse", "--abbrev-ref", "HEAD"]),
        "main"
    );
}

#[test]
fn a_new_remote_commit_is_predicted_by_check_and_fetched() {
    let mut s = setup();
    s.test.playbook(&git_task(""));
    assert_eq!(s.test.run_json(&[]).code, 0);
    let third = s.repo.commit("app.conf", "port = 81\n", "third");
    let before = s.test.tree();
    let check = s.test.run_json(&["--check", "--diff"]);
    assert_eq!(s.test.tree(), before, "--check changed the tree");
    let predicted = registered(&check, 0);
    assert_eq!(predicted["changed"], true);
    assert_eq!(predicted["before"], s.second.as_str());
    assert_eq!(predicted["after"], third.as_str());
    assert_eq!(predicted["remote_url_changed"], false);
    let run = s.test.run_json(&["--diff"]);
    assert_eq!(check.statuses(), run.statuses());
    let done = registered(&run, 0);
    assert_eq!(done["after"], third.as_str());
    assert_eq!(done["before"], s.second.as_str());
    let events = run.events();
    let task = events
        .iter()
        .find(|event| event["event"] == "task")
        .expect("a task event");
    let diff = &task["diff"][0];
    assert_eq!(diff["before"], format!("{}\n", s.second));
    assert_eq!(diff["after"], format!("{third}\n"));
    assert_eq!(s.test.read("opt/app/app.conf"), "port = 81\n");
}

#[test]
fn local_modifications_fail_without_force_and_are_discarded_with_it() {
    let s = setup();
    s.test.playbook(&git_task(""));
    assert_eq!(s.test.run_json(&[]).code, 0);
    s.test.root_file("opt/app/app.conf", "edited\n");
    s.test.root_file("opt/app/untracked.txt", "mine\n");
    let refused = s.test.run_json(&[]);
    assert_eq!(refused.code, 2, "{}", refused.stdout);
    let r = registered(&refused, 0);
    assert_eq!(
        r["msg"],
        "Local modifications exist in the destination: /opt/app (force=no)."
    );
    assert_eq!(s.test.read("opt/app/app.conf"), "edited\n");
    s.test.playbook(&git_task(", force: true"));
    let before = s.test.tree();
    let check = s.test.run_json(&["--check"]);
    assert_eq!(s.test.tree(), before, "--check changed the tree");
    let run = s.test.run_json(&[]);
    assert_eq!(check.statuses(), run.statuses());
    assert_eq!(run.statuses()[0].1, "changed");
    assert_eq!(
        registered(&run, 0)["msg"],
        "Local modifications exist in the destination: /opt/app"
    );
    assert_eq!(s.test.read("opt/app/app.conf"), "port = 80\n");
    // Untracked files are not modifications, and stay.
    assert_eq!(s.test.read("opt/app/untracked.txt"), "mine\n");
    assert_eq!(s.test.run_json(&[]).changed(), 0);
}

#[test]
fn depth_makes_a_shallow_clone_and_switches_branches_in_it() {
    let s = setup();
    switch_to(&s, ", depth: 1", &s.second);
    assert_eq!(
        in_checkout(&s.test, "opt/app", &["rev-list", "--count", "HEAD"]),
        "1"
    );
    assert!(s.test.root().join("opt/app/.git/shallow").exists());
    switch_to(&s, ", depth: 1, version: dev", &s.dev);
    assert_eq!(
        in_checkout(&s.test, "opt/app", &["rev-list", "--count", "HEAD"]),
        "1"
    );
}

#[test]
fn a_shallow_clone_of_a_branch_and_a_single_branch_clone() {
    let s = setup();
    s.test
        .playbook(&git_task(", depth: 1, version: dev, dest: /opt/shallow"));
    s.test.playbook(&play(
        "    - git: {repo: /srv/git/app, dest: /opt/shallow, depth: 1, version: dev}\n    - git: {repo: /srv/git/app, dest: /opt/single, single_branch: true, version: v1}\n",
    ));
    three_checks_runs(&s.test);
    assert_eq!(
        in_checkout(&s.test, "opt/shallow", &["rev-parse", "HEAD"]),
        s.dev
    );
    assert_eq!(
        in_checkout(&s.test, "opt/single", &["rev-parse", "HEAD"]),
        s.first
    );
    assert_eq!(in_checkout(&s.test, "opt/single", &["branch", "-r"]), "");
}

#[test]
fn clone_false_and_update_false_only_report() {
    let mut s = setup();
    s.test.playbook(&git_task(", clone: false"));
    let run = s.test.run_json(&[]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    // As Ansible: changed, with what the remote has; nothing cloned.
    assert_eq!(registered(&run, 0)["after"], s.second.as_str());
    assert_eq!(run.statuses()[0].1, "changed");
    assert!(!s.test.root().join("opt/app").exists());
    s.test.playbook(&git_task(""));
    assert_eq!(s.test.run_json(&[]).code, 0);
    s.repo.commit("app.conf", "port = 81\n", "third");
    s.test.playbook(&git_task(", update: false"));
    let run = s.test.run_json(&[]);
    assert_eq!(run.statuses()[0].1, "ok");
    let r = registered(&run, 0);
    assert_eq!(
        (r["before"].clone(), r["after"].clone()),
        (s.second.clone().into(), s.second.clone().into())
    );
    assert_eq!(s.test.read("opt/app/app.conf"), "port = 80\n");
}

#[test]
fn a_changed_repo_url_is_set_and_reported() {
    let s = setup();
    s.test.playbook(&git_task(""));
    assert_eq!(s.test.run_json(&[]).code, 0);
    s.repo.git(&["clone", "-q", "--mirror", ".", "../mirror"]);
    s.test.playbook(&play(
        "    - git: {repo: /srv/git/mirror, dest: /opt/app}\n      register: r\n",
    ));
    let check = s.test.run_json(&["--check"]);
    let run = s.test.run_json(&[]);
    assert_eq!(check.statuses(), run.statuses());
    assert_eq!(run.statuses()[0].1, "changed");
    assert_eq!(registered(&run, 0)["remote_url_changed"], true);
    assert_eq!(
        in_checkout(&s.test, "opt/app", &["remote", "get-url", "origin"]),
        "file:///srv/git/mirror"
    );
    assert_eq!(s.test.run_json(&[]).changed(), 0);
}

#[test]
fn submodules_are_cloned_recursively() {
    let s = setup();
    let mut lib = Repo::init(&s.test, "srv/git/lib");
    lib.commit("lib.txt", "library\n", "lib");
    let mut top = Repo::init(&s.test, "srv/git/top");
    top.commit("top.txt", "top\n", "top");
    // Added from the controller's path, then recorded with its path inside the root.
    let lib_here = lib.dir.display().to_string();
    top.git(&[
        "-c",
        "protocol.file.allow=always",
        "submodule",
        "add",
        "-q",
        &lib_here,
        "vendor/lib",
    ]);
    top.git(&[
        "config",
        "-f",
        ".gitmodules",
        "submodule.vendor/lib.url",
        "file:///srv/git/lib",
    ]);
    top.git(&["add", ".gitmodules"]);
    top.git(&["commit", "-q", "-m", "with lib"]);
    s.test
        .playbook(&play("    - git: {repo: /srv/git/top, dest: /opt/top}\n"));
    three_checks_runs(&s.test);
    assert_eq!(s.test.read("opt/top/vendor/lib/lib.txt"), "library\n");
}

#[test]
fn a_repository_that_is_not_there_fails_the_task_with_gits_words() {
    let s = setup();
    s.test.playbook(&play(
        "    - git: {repo: /srv/git/missing, dest: /opt/app}\n",
    ));
    let run = s.test.run_json(&[]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let r = registered(&run, 0);
    let msg = r["msg"].as_str().unwrap_or_default();
    assert!(msg.starts_with("git ls-remote failed: "), "{msg}");
    assert!(!s.test.root().join("opt/app").exists());
}

#[test]
fn what_is_not_done_is_refused_before_anything_changes() {
    let s = setup();
    for extra in [
        ", archive: /tmp/app.zip",
        ", verify_commit: true",
        ", track_submodules: true",
    ] {
        s.test.playbook(&git_task(extra));
        let run = s.test.run_json(&[]);
        assert_ne!(run.code, 0, "{extra}: {}", run.stdout);
        assert!(
            run.stdout.contains("not supported by machinist yet")
                || run.stderr.contains("not supported by machinist yet"),
            "{extra}: {}{}",
            run.stdout,
            run.stderr
        );
        assert!(!s.test.root().join("opt/app").exists());
    }
}

#[test]
fn ansible_builtin_git_and_umask() {
    let s = setup();
    s.test.playbook(&play(
        "    - ansible.builtin.git: {repo: /srv/git/app, dest: /opt/app, umask: '0077'}\n",
    ));
    three_checks_runs(&s.test);
    assert_eq!(s.test.mode("opt/app/app.conf"), 0o600);
    assert_eq!(s.test.mode("opt"), 0o700);
}

#[test]
fn a_root_whose_dest_leads_out_keeps_the_clone_inside() {
    let s = setup();
    let decoy = s.test.outside().join("decoy");
    std::fs::create_dir_all(&decoy).expect("decoy");
    std::fs::write(decoy.join("keep"), "outside\n").expect("decoy file");
    // /opt is a link to the decoy's path on the controller: inside the root it names
    // a folder of the root, never the controller's.
    std::os::unix::fs::symlink(&decoy, s.test.root().join("opt")).expect("link out");
    let inside = s
        .test
        .root()
        .join(decoy.strip_prefix("/").expect("absolute"));
    std::fs::create_dir_all(&inside).expect("the same path inside the root");
    s.test.playbook(&git_task(""));
    let check = s.test.run_json(&["--check"]);
    let run = s.test.run_json(&[]);
    assert_eq!(check.statuses(), run.statuses(), "{}", run.stdout);
    let entries: Vec<_> = std::fs::read_dir(&decoy)
        .expect("read decoy")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(entries, vec![std::ffi::OsString::from("keep")]);
    assert_eq!(
        std::fs::read_to_string(decoy.join("keep")).expect("keep"),
        "outside\n"
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert_eq!(
        std::fs::read_to_string(inside.join("app/app.conf")).expect("the clone, inside"),
        "port = 80\n"
    );
}

/// Over ssh, on the machine's own `/` (where the target's ssh is this machine's):
/// `key_file`, `ssh_opts` and `accept_newhostkey` reach ssh through GIT_SSH_COMMAND; the
/// host key lands in the known_hosts file ssh_opts names, never in root's own.
#[test]
fn ssh_takes_the_key_file_ssh_opts_and_accepts_a_new_host_key() {
    use common::sshd::{Sshd, USER};
    let sshd = Sshd::start();
    let test = Test::new();
    let shared = tempfile::Builder::new()
        .prefix("machinist-git-ssh")
        .tempdir()
        .expect("tempdir");
    let mut repo = Repo::init_at(shared.path().join("app"));
    let sha = repo.commit("README", "over ssh\n", "first");
    let chown = std::process::Command::new("chown")
        .args(["-R", USER])
        .arg(shared.path())
        .status()
        .expect("chown");
    assert!(chown.success());
    std::fs::set_permissions(
        shared.path(),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .expect("chmod");
    let known = test.outside().join("known_hosts");
    let dest = test.outside().join("checkout");
    test.playbook(&play(&format!(
        "    - git:\n        repo: ssh://{USER}@{}:{}{}\n        dest: {}\n        key_file: {}\n        ssh_opts: -o UserKnownHostsFile={}\n        accept_newhostkey: true\n      register: r\n",
        sshd.address,
        sshd.port,
        repo.dir.display(),
        dest.display(),
        sshd.user_key().display(),
        known.display(),
    )));
    let run = |extra: &[&str]| {
        let mut args = vec!["run", "site.yml", "--format", "json"];
        args.extend_from_slice(extra);
        test.machinist(&args)
    };
    let check = run(&["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, sshd.log());
    assert!(!dest.exists(), "--check cloned");
    let first = run(&[]);
    assert_eq!(first.code, 0, "{}", first.stdout);
    assert_eq!(check.statuses(), first.statuses());
    assert_eq!(registered(&first, 0)["after"], sha.as_str());
    assert_eq!(
        std::fs::read_to_string(dest.join("README")).expect("README"),
        "over ssh\n"
    );
    let host_keys = std::fs::read_to_string(&known).expect("the host key was accepted");
    assert!(host_keys.contains("ssh-ed25519"), "{host_keys}");
    let second = run(&[]);
    assert_eq!(second.changed(), 0, "{}", second.stdout);
}

#[test]
fn a_root_without_git_says_so() {
    let test = Test::new();
    common::busybox_root(&test);
    test.playbook(&play(
        "    - git: {repo: /srv/git/app, dest: /opt/app}\n      register: r\n",
    ));
    let run = test.run_json(&["--check"]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    let msg = registered(&run, 0)["msg"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        msg.starts_with("Failed to find required executable \"git\" in the target"),
        "{msg}"
    );
}

#[test]
fn a_bare_clone_with_another_remote_name_and_a_refspec() {
    let s = setup();
    s.test.playbook(&play(
        "    - git: {repo: /srv/git/app, dest: /srv/mirror.git, bare: true, remote: upstream}\n    - git:\n        repo: /srv/git/app\n        dest: /opt/app\n        refspec: +refs/heads/dev:refs/remotes/origin/extra\n",
    ));
    three_checks_runs(&s.test);
    assert_eq!(
        in_checkout(&s.test, "srv/mirror.git", &["rev-parse", "HEAD"]),
        s.second
    );
    assert_eq!(
        in_checkout(
            &s.test,
            "srv/mirror.git",
            &["rev-parse", "--is-bare-repository"]
        ),
        "true"
    );
    assert_eq!(
        in_checkout(
            &s.test,
            "srv/mirror.git",
            &["remote", "get-url", "upstream"]
        ),
        "file:///srv/git/app"
    );
    assert_eq!(
        in_checkout(&s.test, "opt/app", &["rev-parse", "origin/extra"]),
        s.dev
    );
}
