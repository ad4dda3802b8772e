//! The end-to-end test kit: a temporary project (playbook, files/, templates/) and a
//! temporary target root, the real `machinist` binary run against them, and a
//! snapshot of the root's tree (paths, types, modes, contents, link targets) to prove
//! what changed and what did not. For the systemd tests: a real Debian rootfs
//! (`rootfs`) and a booted container to run machinist in (`container`).

#![allow(dead_code)]

pub mod ansible_venv;
pub mod cache;
pub mod child;
pub mod container;
pub mod debian;
pub mod etc_apt;
pub mod git_repos;
pub mod http_server;
pub mod pacman_repo;
mod root_lock;
pub mod rootfs;
pub mod rusage;
pub mod ssh_hosts;
pub mod sshd;

#[allow(unused_imports)]
pub use root_lock::hold_lock;

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

pub struct Test {
    dir: tempfile::TempDir,
    /// The runs' lock folder (`MACHINIST_LOCK_DIR`), outside the snapshot trees.
    locks: tempfile::TempDir,
}

/// What one run printed and how it exited.
#[derive(Debug)]
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The JSON events of a `--format json` run.
    pub fn events(&self) -> Vec<serde_json::Value> {
        self.stdout
            .lines()
            .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}")))
            .collect()
    }

    /// The task events, as (task name, status) pairs.
    pub fn statuses(&self) -> Vec<(String, String)> {
        self.events()
            .into_iter()
            .filter(|e| e["event"] == "task")
            .map(|e| {
                (
                    e["task"].as_str().unwrap_or_default().to_string(),
                    e["status"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect()
    }

    /// The recap counts for localhost.
    pub fn recap(&self) -> serde_json::Value {
        self.events()
            .into_iter()
            .find(|e| e["event"] == "recap")
            .map(|e| e["hosts"]["localhost"].clone())
            .unwrap_or_else(|| panic!("no recap in:\n{}\n{}", self.stdout, self.stderr))
    }

    pub fn changed(&self) -> u64 {
        self.recap()["changed"].as_u64().unwrap_or(u64::MAX)
    }
}

/// One entry of a tree snapshot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    File {
        mode: u32,
        content: Vec<u8>,
        uid: u32,
        gid: u32,
    },
    Dir {
        mode: u32,
        uid: u32,
        gid: u32,
    },
    Link {
        target: PathBuf,
    },
    /// A device, fifo or socket (never read: /dev/zero has no end).
    Special {
        mode: u32,
        rdev: u64,
    },
}

pub type Tree = BTreeMap<PathBuf, Entry>;

impl Test {
    pub fn new() -> Test {
        let dir = tempfile::Builder::new()
            .prefix("machinist-test")
            .tempdir()
            .expect("temp dir");
        std::fs::create_dir(dir.path().join("root")).expect("root");
        std::fs::create_dir(dir.path().join("project")).expect("project");
        let locks = tempfile::Builder::new()
            .prefix("machinist-locks")
            .tempdir()
            .expect("lock dir");
        Test { dir, locks }
    }

    /// The folder the runs keep their root locks in.
    pub fn lock_dir(&self) -> PathBuf {
        self.locks.path().to_path_buf()
    }

    /// The binary with these arguments, set up as every run of the kit is (in the
    /// project folder, no colour, no RUST_LOG, the test's lock folder), not started.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_machinist"));
        command
            .args(args)
            .current_dir(self.project())
            .env("NO_COLOR", "1")
            .env("MACHINIST_LOCK_DIR", self.locks.path())
            .env_remove("RUST_LOG")
            .env_remove("MACHINIST_ROLES_PATH")
            .env_remove("ANSIBLE_ROLES_PATH")
            .env_remove("ANSIBLE_CONFIG");
        command
    }

    /// `run site.yml --root ROOT ARGS`, not started.
    pub fn run_command(&self, args: &[&str]) -> Command {
        let root = self.root();
        let mut full = vec!["run", "site.yml", "--root", root.to_str().expect("utf-8")];
        full.extend_from_slice(args);
        self.command(&full)
    }

    /// Replace the test's temp folder by `[TMP]` in output.
    pub fn filter(&self, bytes: &[u8]) -> String {
        String::from_utf8_lossy(bytes).replace(self.dir.path().to_str().unwrap_or("\0"), "[TMP]")
    }

    /// The folder holding the playbook, files/ and templates/.
    pub fn project(&self) -> PathBuf {
        self.dir.path().join("project")
    }

    /// The target root (`--root`).
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    /// The folder above root and project, for decoys outside the root.
    pub fn outside(&self) -> PathBuf {
        self.dir.path().to_path_buf()
    }

    pub fn playbook(&self, yaml: &str) -> &Test {
        self.project_file("site.yml", yaml)
    }

    /// A file in the project (`templates/x.j2`, `files/y`, `tasks/z.yml`).
    pub fn project_file(&self, name: &str, content: &str) -> &Test {
        let path = self.project().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
        self
    }

    /// A file inside the target root.
    pub fn root_file(&self, name: &str, content: &str) -> &Test {
        let path = self.root().join(name.trim_start_matches('/'));
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(path, content).expect("write");
        self
    }

    /// Run `machinist run site.yml --root ROOT ARGS`.
    pub fn run(&self, args: &[&str]) -> Run {
        let root = self.root();
        let mut full = vec!["run", "site.yml", "--root", root.to_str().expect("utf-8")];
        full.extend_from_slice(args);
        self.machinist(&full)
    }

    /// Run `machinist run site.yml --root ROOT --format json ARGS`.
    pub fn run_json(&self, args: &[&str]) -> Run {
        let mut full = vec!["--format", "json"];
        full.extend_from_slice(args);
        self.run(&full)
    }

    /// Run the binary with exactly these arguments, in the project folder.
    pub fn machinist(&self, args: &[&str]) -> Run {
        self.machinist_env(args, &[])
    }

    /// Run the binary with these arguments and extra environment variables.
    pub fn machinist_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let output = self
            .command(args)
            .envs(env.iter().copied())
            .output()
            .expect("run machinist");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: self.filter(&output.stdout),
            stderr: self.filter(&output.stderr),
        }
    }

    /// Run `machinist run site.yml --root ROOT ARGS` on a pseudo-terminal (util-linux
    /// `script`), as a person at a terminal runs it: `stdout` is what the terminal got
    /// (stdout and stderr both, `\r\n` line ends).
    pub fn run_on_terminal(&self, args: &[&str]) -> Run {
        let root = self.root();
        let mut words = vec![
            env!("CARGO_BIN_EXE_machinist"),
            "run",
            "site.yml",
            "--root",
            root.to_str().expect("utf-8"),
        ];
        words.extend_from_slice(args);
        let line: Vec<String> = words
            .iter()
            .map(|word| format!("'{}'", word.replace('\'', "'\\''")))
            .collect();
        let output = Command::new("script")
            .args([
                "--quiet",
                "--return",
                "--command",
                &line.join(" "),
                "/dev/null",
            ])
            .current_dir(self.project())
            .env("NO_COLOR", "1")
            .env("MACHINIST_LOCK_DIR", self.locks.path())
            .env_remove("RUST_LOG")
            .env_remove("MACHINIST_ROLES_PATH")
            .output()
            .expect("script(1) is missing: install bsdutils");
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: self.filter(&output.stdout),
            stderr: self.filter(&output.stderr),
        }
    }

    /// Everything below the test's folder (root, project, decoys).
    pub fn tree(&self) -> Tree {
        snapshot(self.dir.path())
    }

    /// Everything below the root.
    pub fn root_tree(&self) -> Tree {
        snapshot(&self.root())
    }

    pub fn read(&self, path: &str) -> String {
        std::fs::read_to_string(self.root().join(path.trim_start_matches('/')))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
    }

    pub fn mode(&self, path: &str) -> u32 {
        std::fs::symlink_metadata(self.root().join(path.trim_start_matches('/')))
            .unwrap_or_else(|e| panic!("{path}: {e}"))
            .permissions()
            .mode()
            & 0o7777
    }
}

/// A playbook of one play on localhost without fact gathering, whose `tasks:` are
/// `tasks` (indented as list items of the play: `    - debug: msg=x\n`).
pub fn play(tasks: &str) -> String {
    format!("- hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}")
}

pub fn snapshot(base: &Path) -> Tree {
    let mut tree = Tree::new();
    walk(base, base, &mut tree);
    tree
}

fn walk(base: &Path, dir: &Path, tree: &mut Tree) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.expect("entry").path())
        .collect();
    entries.sort();
    for path in entries {
        let meta = std::fs::symlink_metadata(&path).expect("lstat");
        let rel = path.strip_prefix(base).expect("prefix").to_path_buf();
        let mode = meta.permissions().mode() & 0o7777;
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&path).expect("readlink");
            tree.insert(rel, Entry::Link { target });
        } else if meta.is_dir() {
            tree.insert(
                rel,
                Entry::Dir {
                    mode,
                    uid: meta.uid(),
                    gid: meta.gid(),
                },
            );
            walk(base, &path, tree);
        } else if !meta.is_file() {
            tree.insert(
                rel,
                Entry::Special {
                    mode: meta.mode(),
                    rdev: meta.rdev(),
                },
            );
        } else {
            let content = std::fs::read(&path).expect("read");
            tree.insert(
                rel,
                Entry::File {
                    mode,
                    content,
                    uid: meta.uid(),
                    gid: meta.gid(),
                },
            );
        }
    }
}

/// The three checks every module gets: on a fresh copy of the setup, `--check`
/// changes no byte yet predicts `changed`; the first real run is changed; the second
/// is all ok (and `--check` after it predicts nothing).
pub fn three_checks(test: &Test) {
    three_checks_runs(test);
}

/// [`three_checks`], returning its runs (check, first, second, check again) for more
/// assertions on what they printed.
pub fn three_checks_runs(test: &Test) -> Vec<Run> {
    three_checks_looking(test, || test.tree())
}

/// The three checks, with `look` saying what the tree is like (contents, or only
/// stat data for a whole rootfs): `--check` leaves it as it was and predicts the
/// first run's statuses, the first run changes something, the second run is all ok
/// and leaves it as it was, and `--check` after it predicts nothing.
pub fn three_checks_looking<T: PartialEq + std::fmt::Debug>(
    test: &Test,
    look: impl Fn() -> T,
) -> Vec<Run> {
    let before = look();
    let check = test.run_json(&["--check", "--diff"]);
    assert_eq!(
        check.code, 0,
        "check run failed:\n{}\n{}",
        check.stdout, check.stderr
    );
    assert_eq!(look(), before, "--check changed the tree");
    assert!(
        check.changed() > 0,
        "--check predicted no change:\n{}",
        check.stdout
    );

    let first = test.run_json(&[]);
    assert_eq!(
        first.code, 0,
        "first run failed:\n{}\n{}",
        first.stdout, first.stderr
    );
    assert!(
        first.changed() > 0,
        "first run changed nothing:\n{}",
        first.stdout
    );
    assert_eq!(
        check.statuses(),
        first.statuses(),
        "--check did not predict the run"
    );

    let after_first = look();
    let second = test.run_json(&[]);
    assert_eq!(
        second.code, 0,
        "second run failed:\n{}\n{}",
        second.stdout, second.stderr
    );
    assert_eq!(
        second.changed(),
        0,
        "second run changed something:\n{}",
        second.stdout
    );
    assert_eq!(look(), after_first, "second run changed the tree");

    let check_again = test.run_json(&["--check"]);
    assert_eq!(
        check_again.changed(),
        0,
        "--check after a run predicts changes:\n{}",
        check_again.stdout
    );
    vec![check, first, second, check_again]
}

/// Make the test's root a tiny Linux userland (busybox-static), so `command` and
/// `shell` tasks have programs to run inside it.
pub fn busybox_root(test: &Test) {
    let busybox = Path::new("/bin/busybox");
    assert!(
        busybox.exists(),
        "/bin/busybox is missing: install busybox-static (scripts/test does)"
    );
    let bin = test.root().join("bin");
    std::fs::create_dir_all(&bin).expect("mkdir bin");
    // Through `cp`: a copy written by this multi-threaded test process could be held
    // open by a child another test forks meanwhile, and exec would fail (ETXTBSY).
    let copied = Command::new("cp")
        .arg(busybox)
        .arg(bin.join("busybox"))
        .status()
        .expect("cp busybox");
    assert!(copied.success(), "cp busybox failed");
    for applet in [
        "sh", "echo", "cat", "touch", "rm", "ls", "true", "false", "printf", "mkdir", "pwd", "env",
    ] {
        std::os::unix::fs::symlink("busybox", bin.join(applet)).expect("applet link");
    }
    std::fs::create_dir_all(test.root().join("tmp")).expect("mkdir tmp");
}
