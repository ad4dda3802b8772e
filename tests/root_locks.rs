//! Root locks against other users and nested roots (issue 13, break 6): the lock
//! folder is 0700 and its files 0600, so user nobody cannot open one to flock it and
//! block root's runs for ever, nor read a pid or a path in it; a run on a root
//! excludes runs on any root inside it or above it (`--root /A` and `--root /A/b`
//! took different locks and interleaved), while sibling roots and `--check` runs on
//! nested roots go on side by side.

mod common;

use common::Test;
use std::fs::File;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

const EMPTY: &str = "- hosts: localhost\n  gather_facts: false\n  tasks: []\n";

/// `machinist run site.yml --root ROOT ARGS`: its exit code and stderr.
fn run_on(test: &Test, root: &Path, args: &[&str]) -> (i32, String) {
    let mut full = vec!["run", "site.yml", "--root", root.to_str().expect("utf-8")];
    full.extend_from_slice(args);
    let run = test.machinist(&full);
    (run.code, run.stderr)
}

/// The lock file of `root` (one run on it made it), found by the root path it holds.
fn lock_file_of(test: &Test, root: &Path) -> PathBuf {
    let want = std::fs::canonicalize(root).expect("canonical root");
    std::fs::read_dir(test.lock_dir())
        .expect("lock dir")
        .map(|entry| entry.expect("entry").path())
        .find(|path| {
            std::fs::read(path).is_ok_and(|text| text == want.as_os_str().as_encoded_bytes())
        })
        .unwrap_or_else(|| panic!("no lock file names {}", want.display()))
}

/// Hold `root`'s lock (exclusive or shared) as another run would, until dropped.
fn hold(test: &Test, root: &Path, exclusive: bool) -> File {
    let (code, stderr) = run_on(test, root, &[]);
    assert_eq!(code, 0, "{stderr}");
    let file = File::open(lock_file_of(test, root)).expect("open lock");
    let operation = if exclusive {
        rustix::fs::FlockOperation::NonBlockingLockExclusive
    } else {
        rustix::fs::FlockOperation::NonBlockingLockShared
    };
    rustix::fs::flock(&file, operation).expect("the lock is free");
    file
}

#[test]
fn lock_files_are_roots_alone_and_name_no_pid() {
    let test = Test::new();
    test.playbook(EMPTY);
    // A folder the run makes (as /run/machinist/locks).
    let dir = test.lock_dir().join("made/locks");
    let root = test.root().display().to_string();
    let args = ["run", "site.yml", "--root", root.as_str()];
    let env = [("MACHINIST_LOCK_DIR", dir.to_str().expect("utf-8"))];
    let run = test.machinist_env(&args, &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    // A file an older machinist left open (0644) is closed again.
    let lock = std::fs::read_dir(&dir)
        .expect("lock dir")
        .map(|entry| entry.expect("entry").path())
        .find(|path| path.extension().is_some_and(|ext| ext == "lock"))
        .expect("a lock file");
    std::fs::set_permissions(&lock, PermissionsExt::from_mode(0o644)).expect("chmod");
    let run = test.machinist_env(&args, &env);
    assert_eq!(run.code, 0, "{}", run.stderr);
    for folder in [dir.parent().expect("made"), dir.as_path()] {
        let meta = std::fs::metadata(folder).expect("folder");
        assert_eq!(meta.mode() & 0o7777, 0o700, "{}", folder.display());
    }
    let folder = std::fs::metadata(&dir).expect("lock dir");
    assert_eq!(folder.mode() & 0o7777, 0o700);
    assert_eq!(folder.uid(), rustix::process::geteuid().as_raw());
    for entry in std::fs::read_dir(&dir).expect("lock dir") {
        let meta = entry.expect("entry").metadata().expect("meta");
        assert_eq!(meta.mode() & 0o7777, 0o600);
        assert_eq!(meta.uid(), rustix::process::geteuid().as_raw());
    }
    let text = std::fs::read_to_string(&lock).expect("lock text");
    let root = std::fs::canonicalize(test.root()).expect("canonical");
    assert_eq!(
        text,
        root.display().to_string(),
        "a lock file holds its root's path only"
    );
}

#[test]
fn user_nobody_cannot_hold_a_roots_lock() {
    let test = Test::new();
    test.playbook(EMPTY);
    // Only the files' own mode keeps nobody out: the folder is open to all here.
    std::fs::set_permissions(test.lock_dir(), PermissionsExt::from_mode(0o755)).expect("chmod");
    let (code, stderr) = run_on(&test, &test.root(), &[]);
    assert_eq!(code, 0, "{stderr}");
    let lock = lock_file_of(&test, &test.root());
    let tried = Command::new("setpriv")
        .args([
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "flock",
            "-n",
            "-s",
        ])
        .arg(&lock)
        .arg("true")
        .output()
        .expect("setpriv");
    assert!(!tried.status.success(), "nobody took the lock");
    let (code, stderr) = run_on(&test, &test.root(), &["--no-wait"]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn a_run_excludes_runs_on_roots_inside_and_above_it() {
    let test = Test::new();
    test.playbook(EMPTY);
    let outer = test.root();
    let inner = outer.join("var/lib/machines/b");
    let sibling = outer.join("var/lib/machines/c");
    std::fs::create_dir_all(&inner).expect("inner");
    std::fs::create_dir_all(&sibling).expect("sibling");

    // A real run on the outer root: nothing inside may run, not even --check.
    let held = hold(&test, &outer, true);
    for args in [&["--no-wait"][..], &["--no-wait", "--check"][..]] {
        let (code, stderr) = run_on(&test, &inner, args);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert!(stderr.contains("is in use"), "{stderr}");
    }
    drop(held);

    // A real run inside: the outer root waits, the sibling goes on.
    let held = hold(&test, &inner, true);
    let (code, stderr) = run_on(&test, &outer, &["--no-wait"]);
    assert_eq!(code, 1, "{stderr}");
    let (code, stderr) = run_on(&test, &outer, &["--no-wait", "--check"]);
    assert_eq!(code, 1, "{stderr}");
    let (code, stderr) = run_on(&test, &sibling, &["--no-wait"]);
    assert_eq!(code, 0, "a sibling root is not blocked: {stderr}");
    drop(held);

    // Check runs share across nesting; a real run does not join them.
    let held = hold(&test, &outer, false);
    let (code, stderr) = run_on(&test, &inner, &["--no-wait", "--check"]);
    assert_eq!(code, 0, "{stderr}");
    let (code, stderr) = run_on(&test, &inner, &["--no-wait"]);
    assert_eq!(code, 1, "{stderr}");
    drop(held);

    let (code, stderr) = run_on(&test, &inner, &["--no-wait"]);
    assert_eq!(code, 0, "{stderr}");
}
