//! Check mode is read-only (issue 7): every playbook machinist ships (playbooks/*.yml)
//! and every test playbook on disk (tests/check-mode/, the bad-input corpus, the fuzz
//! seeds) runs with `--check --diff` against a fresh copy of a small but real-looking
//! root, under a watcher: every path of the root and of the project with its type,
//! mode, owner, size, content hash, link target, mtime and ctime — the root folder
//! itself included. Not one may change, whatever the run's exit code (bad input,
//! failed tasks and all).

mod common;

use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::os::unix::fs::{symlink, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Path → what the watcher saw there.
type Watched = BTreeMap<PathBuf, String>;

fn watch(dir: &Path) -> Watched {
    let mut seen = Watched::new();
    visit(dir, dir, &mut seen);
    seen
}

fn visit(base: &Path, path: &Path, seen: &mut Watched) {
    let Ok(meta) = std::fs::symlink_metadata(path) else {
        return;
    };
    let kind = meta.file_type();
    let what = if kind.is_symlink() {
        format!(
            "link {}",
            std::fs::read_link(path).expect("readlink").display()
        )
    } else if kind.is_file() {
        let digest = Sha256::digest(std::fs::read(path).expect("read"));
        let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
        format!("file {hex}")
    } else if kind.is_dir() {
        "dir".to_string()
    } else {
        "other".to_string()
    };
    let stamp = format!(
        "{what} mode={:o} owner={}:{} size={} mtime={}.{} ctime={}.{}",
        meta.mode(),
        meta.uid(),
        meta.gid(),
        meta.size(),
        meta.mtime(),
        meta.mtime_nsec(),
        meta.ctime(),
        meta.ctime_nsec()
    );
    seen.insert(path.strip_prefix(base).expect("below").to_path_buf(), stamp);
    if kind.is_dir() {
        for entry in std::fs::read_dir(path).expect("read_dir") {
            visit(base, &entry.expect("entry").path(), seen);
        }
    }
}

/// The root every check run starts from: an /etc with the files modules read and
/// write, links absolute and relative, a log folder, a zoneinfo file.
fn pristine_root(root: &Path) {
    let files = [
        ("etc/hostname", "pristine\n"),
        (
            "etc/passwd",
            "root:x:0:0::/root:/bin/sh\nhttp:x:33:33::/srv/http:/usr/bin/nologin\n",
        ),
        ("etc/group", "root:x:0:\nhttp:x:33:\n"),
        ("etc/os-release", "NAME=\"Arch Linux\"\nID=arch\n"),
        ("etc/motd", "old motd\n"),
        ("etc/locale.conf", "LANG=C.UTF-8\n"),
        ("usr/share/zoneinfo/UTC", "TZif2\n"),
        ("srv/app/app.conf", "old\n"),
        ("var/log/.keep", ""),
        (
            "run/systemd/resolve/stub-resolv.conf",
            "nameserver 127.0.0.53\n",
        ),
    ];
    for (path, content) in files {
        let path = root.join(path);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, content).expect("write");
    }
    symlink(
        "/run/systemd/resolve/stub-resolv.conf",
        root.join("etc/resolv.conf"),
    )
    .expect("link");
    symlink("../usr/share/zoneinfo/UTC", root.join("etc/localtime")).expect("link");
}

fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    for entry in std::fs::read_dir(from).expect("read") {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("name"));
        let meta = std::fs::symlink_metadata(&path).expect("lstat");
        if meta.file_type().is_symlink() {
            symlink(std::fs::read_link(&path).expect("readlink"), &target).expect("link");
        } else if meta.is_dir() {
            copy_tree(&path, &target);
        } else {
            std::fs::copy(&path, &target).expect("copy");
        }
    }
}

/// A playbook to run: the folder it runs in, its path from there, and extra words for
/// the command line. The folder is copied and watched too, except the repository
/// itself (its target/ is the build: the shipped playbooks' runs watch the root).
struct Playbook {
    name: String,
    project: PathBuf,
    file: String,
    args: Vec<String>,
    copied: bool,
}

fn playbooks() -> Vec<Playbook> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let sorted = |dir: &Path| -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = std::fs::read_dir(dir)
            .map(|entries| entries.map(|e| e.expect("entry").path()).collect())
            .unwrap_or_default();
        found.sort();
        found
    };
    let mut all = Vec::new();
    // Shipped playbooks run from the repository (their templates/ are at the top).
    for path in sorted(&repo.join("playbooks")) {
        if path.extension().is_some_and(|e| e == "yml") {
            let file = path
                .strip_prefix(repo)
                .expect("in repo")
                .display()
                .to_string();
            all.push(Playbook {
                name: file.clone(),
                project: repo.to_path_buf(),
                file,
                args: Vec::new(),
                copied: false,
            });
        }
    }
    for path in sorted(&repo.join("tests/check-mode")) {
        if path.extension().is_some_and(|e| e == "yml") {
            all.push(Playbook {
                name: path
                    .strip_prefix(repo)
                    .expect("in repo")
                    .display()
                    .to_string(),
                project: repo.join("tests/check-mode"),
                file: path
                    .file_name()
                    .expect("name")
                    .to_string_lossy()
                    .into_owned(),
                args: Vec::new(),
                copied: true,
            });
        }
    }
    for case in sorted(&repo.join("tests/bad-input")) {
        if !case.join("site.yml").is_file() {
            continue;
        }
        let args: Vec<String> = std::fs::read_to_string(case.join("args"))
            .map(|text| text.lines().map(String::from).collect())
            .unwrap_or_default();
        if args.first().is_some_and(|word| word == "run") {
            continue; // A whole command line of its own (a missing playbook…).
        }
        all.push(Playbook {
            name: case
                .strip_prefix(repo)
                .expect("in repo")
                .display()
                .to_string(),
            project: case.clone(),
            file: "site.yml".into(),
            args,
            copied: true,
        });
    }
    for seed in sorted(&repo.join("fuzz/corpus/playbook")) {
        all.push(Playbook {
            name: seed
                .strip_prefix(repo)
                .expect("in repo")
                .display()
                .to_string(),
            project: seed.parent().expect("dir").to_path_buf(),
            file: seed
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned(),
            args: Vec::new(),
            copied: true,
        });
    }
    all
}

#[test]
fn check_mode_changes_nothing_for_any_playbook() {
    let playbooks = playbooks();
    assert!(
        playbooks.len() >= 60,
        "only {} playbooks found",
        playbooks.len()
    );
    let locks = tempfile::tempdir().expect("lock dir");
    let mut failures = Vec::new();
    for playbook in &playbooks {
        let dir = tempfile::tempdir().expect("temp");
        let project = dir.path().join("project");
        let root = dir.path().join("root");
        let project = if playbook.copied {
            copy_tree(&playbook.project, &project);
            project
        } else {
            playbook.project.clone()
        };
        std::fs::create_dir(&root).expect("root");
        pristine_root(&root);
        let watched = |project: &Path| {
            let mut both = watch(&root);
            if playbook.copied {
                for (path, seen) in watch(project) {
                    both.insert(Path::new("PROJECT").join(path), seen);
                }
            }
            both
        };
        let before = watched(&project);
        let output = Command::new(env!("CARGO_BIN_EXE_machinist"))
            .args(["run", &playbook.file, "--check", "--diff", "--root"])
            .arg(&root)
            .args(&playbook.args)
            .current_dir(&project)
            .env("NO_COLOR", "1")
            .env("MACHINIST_LOCK_DIR", locks.path())
            .env_remove("RUST_LOG")
            .env_remove("MACHINIST_ROLES_PATH")
            .output()
            .expect("run machinist");
        let code = output.status.code();
        if !matches!(code, Some(0 | 2 | 4)) {
            failures.push(format!(
                "{}: exit {code:?}\n{}",
                playbook.name,
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let after = watched(&project);
        if after != before {
            let changed: Vec<String> = before
                .iter()
                .filter(|(path, seen)| after.get(*path) != Some(seen))
                .map(|(path, _)| path.display().to_string())
                .chain(
                    after
                        .keys()
                        .filter(|path| !before.contains_key(*path))
                        .map(|path| format!("{} (new)", path.display())),
                )
                .collect();
            failures.push(format!("{}: --check changed {changed:?}", playbook.name));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}
