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
    String::from_utf8_lossy(&output.stdout).trim_end().to_string()
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
    assert_eq!(in_checkout(&s.test, "opt/app", &["rev-parse", "HEAD"]), s.second);
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
