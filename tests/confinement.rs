//! Confinement (issue 7): a target root whose directories and files are symlinks —
//! absolute, relative, `..` chains, chains of links, loops, swapped while the run goes
//! on — and whose files may be devices, never leads a run to read or write outside
//! the root. A decoy folder beside the root (holding DECOY_SECRET) must stay
//! byte-for-byte the same, nothing else outside the root may change, and the decoy's
//! content must never show in the output (a diff's "before" would show a read).
//!
//! Every module that touches paths is one line of MODULES: a task whose target is
//! PATH (a module with fixed paths, like resolv_link's /etc/resolv.conf, ignores
//! PATH: the layouts make /etc itself hostile too). Every layout runs every module,
//! with `--check --diff` and then for real.

mod common;
use common::play;

use common::child::Running;
use common::Test;
use rustix::fs::{renameat_with, RenameFlags, CWD};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The path the tasks act on, inside the root.
const PATH: &str = "/etc/confined/file";

/// What the decoy's files hold: it must never appear in any output.
const DECOY_SECRET: &str = "DECOY-SECRET-5f2a";

/// One line per module that touches paths: (name, task with PATH where it acts).
const MODULES: &[(&str, &str)] = &[
    (
        "file touch",
        "file: {path: PATH, state: touch, mode: '0600', owner: '0'}",
    ),
    (
        "file directory",
        "file: {path: PATH, state: directory, mode: '0700'}",
    ),
    ("file absent", "file: {path: PATH, state: absent}"),
    (
        "file link",
        "file: {path: PATH, state: link, src: /etc/shadow, force: true}",
    ),
    (
        "file hard",
        "file: {path: PATH, state: hard, src: /etc/hostname, force: true}",
    ),
    (
        "file mode",
        "file: {path: PATH, mode: '0777', owner: '4242'}",
    ),
    (
        "file recurse",
        "file: {path: /etc/confined, state: directory, recurse: true, mode: 'u=rwX,go='}",
    ),
    (
        "copy",
        "copy: {dest: PATH, content: \"pwned\\n\", mode: '0644', backup: true}",
    ),
    (
        "copy follow: false",
        "copy: {dest: PATH, content: \"pwned\\n\", follow: false}",
    ),
    (
        "copy directory",
        "copy: {src: tree/, dest: PATH, mode: '0644', directory_mode: '0700', owner: '0'}",
    ),
    (
        "template",
        "template: {src: t.j2, dest: PATH, owner: root, group: root}",
    ),
    (
        "lineinfile",
        "lineinfile: {path: PATH, line: pwned, create: true, backup: true, mode: '0600'}",
    ),
    (
        "lineinfile absent",
        "lineinfile: {path: PATH, regexp: '.', state: absent}",
    ),
    (
        "blockinfile",
        "blockinfile: {path: PATH, block: pwned, create: true, owner: '0'}",
    ),
    (
        "replace",
        "replace: {path: PATH, regexp: '.+', replace: pwned}",
    ),
    (
        "stat",
        "stat: {path: PATH, follow: true, get_checksum: true}",
    ),
    ("slurp", "slurp: {src: PATH}"),
    (
        "find",
        "find: {paths: /etc/confined, recurse: true, follow: true, contains: DECOY, hidden: true}",
    ),
    (
        "get_url",
        "get_url: {url: 'file:///etc/hostname', dest: PATH, force: true, mode: '0600'}",
    ),
    (
        "get_url reading",
        "get_url: {url: 'file://PATH', dest: /etc/hostname.copy}",
    ),
    (
        "unarchive",
        "unarchive: {src: a.tar.gz, dest: /etc, mode: '0600'}",
    ),
];

/// files/a.tar.gz of the unarchive line: one member, confined/file (PATH below /etc).
fn archive(test: &Test) {
    let work = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir_all(work.path().join("confined")).expect("mkdir");
    std::fs::write(work.path().join("confined/file"), "pwned\n").expect("write");
    let files = test.project().join("files");
    std::fs::create_dir_all(&files).expect("mkdir");
    let status = std::process::Command::new("tar")
        .arg("-czf")
        .arg(files.join("a.tar.gz"))
        .args(["-C", work.path().to_str().expect("utf-8"), "confined/file"])
        .status()
        .expect("tar");
    assert!(status.success(), "tar");
}

/// A hostile root: made by a function given the test (root, and the decoy beside it).
type Layout = fn(&Test, &Path);

/// Make `at` a symlink to `target`, replacing whatever the root had there.
fn link(target: impl AsRef<Path>, at: PathBuf) {
    if let Some(parent) = at.parent() {
        std::fs::create_dir_all(parent).expect("mkdir");
    }
    if at.is_dir() && !at.is_symlink() {
        std::fs::remove_dir_all(&at).expect("replace a directory");
    }
    symlink(target, at).expect("symlink");
}

fn at(test: &Test, path: &str) -> PathBuf {
    test.root().join(path.trim_start_matches('/'))
}

const LAYOUTS: &[(&str, Layout)] = &[
    ("/etc is an absolute link to the decoy", |t, decoy| {
        link(decoy, at(t, "/etc"))
    }),
    ("/etc is a relative link out", |t, _| {
        link("../decoy", at(t, "/etc"))
    }),
    ("/etc is a .. chain out", |t, _| {
        std::fs::create_dir_all(at(t, "/usr")).expect("usr");
        link("usr/../../../../../../decoy", at(t, "/etc"))
    }),
    ("the directory is an absolute link", |t, decoy| {
        link(decoy.join("confined"), at(t, "/etc/confined"))
    }),
    ("the file is an absolute link", |t, decoy| {
        link(decoy.join("secret"), at(t, PATH))
    }),
    ("the file is a relative link out", |t, _| {
        link("../../../decoy/secret", at(t, PATH))
    }),
    ("a chain of links out", |t, _| {
        link("/hop1", at(t, "/etc/confined"));
        link("hop2", at(t, "/hop1"));
        link("../../../decoy/confined", at(t, "/hop2"));
    }),
    ("a loop of directory links", |t, _| {
        link("loop-b", at(t, "/etc/confined"));
        link("confined", at(t, "/etc/loop-b"));
    }),
    ("the file links to itself", |t, _| link("file", at(t, PATH))),
    ("the directory is the root", |t, _| {
        link("/", at(t, "/etc/confined"))
    }),
    ("devices where files are read", |t, _| {
        for path in ["/etc/passwd", "/etc/group", "/etc/os-release", PATH] {
            let node = at(t, path);
            std::fs::create_dir_all(node.parent().expect("parent")).expect("mkdir");
            // /dev/zero: read whole, it never ends.
            rustix::fs::mknodat(
                CWD,
                &node,
                rustix::fs::FileType::CharacterDevice,
                rustix::fs::Mode::from_raw_mode(0o644),
                rustix::fs::makedev(1, 5),
            )
            .expect("mknod (tests run as root)");
        }
    }),
];

/// The decoy beside the root: a secret file, and a folder where an escaped write of
/// PATH would land.
fn decoy(test: &Test) -> PathBuf {
    let decoy = test.outside().join("decoy");
    std::fs::create_dir_all(decoy.join("confined")).expect("decoy");
    std::fs::write(decoy.join("secret"), format!("{DECOY_SECRET}\n")).expect("secret");
    std::fs::write(decoy.join("confined/file"), format!("{DECOY_SECRET}\n")).expect("file");
    decoy
}

/// Everything outside the root (decoy, project, the test folder itself).
fn outside(test: &Test) -> common::Tree {
    let mut tree = common::Tree::new();
    for entry in std::fs::read_dir(test.outside()).expect("test folder") {
        let path = entry.expect("entry").path();
        let name = path.file_name().expect("name").to_owned();
        if name == "root" {
            continue;
        }
        for (below, found) in common::snapshot(&path) {
            tree.insert(Path::new(&name).join(below), found);
        }
        // The names at the top too, so a new file beside the root shows.
        tree.insert(PathBuf::from(name), common::Entry::Link { target: path });
    }
    tree
}

fn run_bounded(test: &Test, args: &[&str]) -> common::child::Finished {
    let mut full = vec!["--diff", "--format", "json"];
    full.extend_from_slice(args);
    Running::start(test.run_command(&full)).finish(Duration::from_secs(60))
}

#[test]
fn no_module_reads_or_writes_outside_a_hostile_root() {
    let mut failures = Vec::new();
    for (layout_name, layout) in LAYOUTS {
        for (module, task) in MODULES {
            let test = Test::new();
            let decoy = decoy(&test);
            test.root_file("/etc/hostname", "inside\n");
            test.project_file("templates/t.j2", "pwned {{ 1 + 1 }}\n");
            test.project_file("files/tree/sub/f", "pwned\n");
            archive(&test);
            test.playbook(&format!(
                "- hosts: localhost\n  tasks:\n    - {}\n",
                task.replace("PATH", PATH)
            ));
            layout(&test, &decoy);
            let before = outside(&test);
            for args in [&["--check"][..], &[]] {
                let end = run_bounded(&test, args);
                let what = format!("{module} / {layout_name} / {args:?}");
                if !matches!(end.code, Some(0 | 2)) {
                    failures.push(format!(
                        "{what}: exit {:?}\n{}\n{}",
                        end.code, end.stdout, end.stderr
                    ));
                }
                if end.stdout.contains(DECOY_SECRET) || end.stderr.contains(DECOY_SECRET) {
                    failures.push(format!("{what}: the decoy was read\n{}", end.stdout));
                }
                if outside(&test) != before {
                    failures.push(format!("{what}: something outside the root changed"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The race, end to end: while machinist loops over many files under /etc/race,
/// a thread keeps exchanging that directory with symlinks out of the root (by the
/// decoy's host path, and relative), so some operations find a link where the plan
/// saw a directory. Whatever fails, nothing outside the root changes.
#[test]
fn a_directory_swapped_for_a_link_out_during_the_run_changes_nothing_outside() {
    let test = Test::new();
    let decoy = decoy(&test);
    test.playbook(
        &play("    - copy: {dest: \"/etc/race/f{{ item }}\", content: \"pwned\\n\", mode: '0600'}\n      loop: \"{{ range(0, 300) | list }}\"\n      ignore_errors: true\n    - file: {path: \"/etc/race/d{{ item }}\", state: directory}\n      loop: \"{{ range(0, 100) | list }}\"\n      ignore_errors: true\n    - file: {path: /etc/race, state: directory, recurse: true, mode: '0777'}\n      ignore_errors: true\n"),
    );
    std::fs::create_dir_all(at(&test, "/etc/race")).expect("race dir");
    let absolute = at(&test, "/etc/race-absolute");
    let relative = at(&test, "/etc/race-relative");
    symlink(&decoy, &absolute).expect("link");
    symlink("../../decoy", &relative).expect("link");
    let race = at(&test, "/etc/race");
    let before = outside(&test);
    let stop = AtomicBool::new(false);
    let end = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                for link in [&absolute, &relative] {
                    for _ in 0..2 {
                        let _ = renameat_with(CWD, &race, CWD, link, RenameFlags::EXCHANGE);
                    }
                }
            }
        });
        let end = run_bounded(&test, &[]);
        stop.store(true, Ordering::Relaxed);
        end
    });
    assert!(matches!(end.code, Some(0 | 2)), "{end:?}");
    assert!(!end.stdout.contains(DECOY_SECRET));
    assert_eq!(outside(&test), before);
}
