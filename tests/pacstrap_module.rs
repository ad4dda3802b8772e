//! The `pacstrap` module through the real binary, with the real pacstrap and pacman
//! on a local repository the tests build (tests/common/pacman_repo.rs): the three
//! checks, only added packages installed, progress, no mount or process left behind
//! (not even by a killed run), and a check-mode plan of bootstrap-then-configure on a
//! directory that does not exist yet agreeing task by task with the real run, and the
//! sync databases pacstrap leaves predicted for a `pacman` task after it.

mod common;
use common::play;

use common::pacman_repo::local_repo;
use common::{three_checks_runs, Run, Test};
use serde_json::Value;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const DEST: &str = "/var/lib/machines/box";

fn pacstrap(name: &str, dest: &str, packages: &str, conf: &Path) -> String {
    format!(
        "    - name: {name}\n      pacstrap:\n        dest: {dest}\n        packages: {packages}\n        \
         ignore: [linux]\n        pacman_conf: {}\n        mirrorlist: none\n        keyring: none\n",
        conf.display()
    )
}

/// `pacman --root DEST -Qq`.
fn installed(dest: &Path) -> Vec<String> {
    let output = Command::new("pacman")
        .arg("--root")
        .arg(dest)
        .arg("-Qq")
        .output()
        .expect("pacman -Qq");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// Mount points at or below `dir`, as `findmnt` sees them from here.
fn mounts_under(dir: &Path) -> Vec<String> {
    let output = Command::new("findmnt")
        .args(["-rn", "-o", "TARGET"])
        .output()
        .expect("findmnt");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter(|target| Path::new(target).starts_with(dir))
        .map(str::to_string)
        .collect()
}

/// Live processes whose root directory is at or below `dir` (pacman's scriptlets run
/// chrooted into the new root); zombies do not count.
fn processes_in(dir: &Path) -> Vec<u32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            let root = std::fs::read_link(format!("/proc/{pid}/root"));
            let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            let zombie = stat
                .rsplit_once(") ")
                .is_some_and(|(_, rest)| rest.starts_with('Z'));
            // A jailed pacstrap's chroot shows as its path in the jail: compare the
            // directories themselves too.
            let same_dir = std::fs::metadata(format!("/proc/{pid}/root"))
                .ok()
                .zip(std::fs::metadata(dir).ok())
                .is_some_and(|(a, b)| (a.dev(), a.ino()) == (b.dev(), b.ino()));
            !zombie && (same_dir || root.is_ok_and(|root| root.starts_with(dir)))
        })
        .collect()
}

/// Kills (by pid) whatever a test left running in a root, even when the test fails.
struct Reaper {
    dir: PathBuf,
    child: Option<std::process::Child>,
}

impl Drop for Reaper {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
        for pid in processes_in(&self.dir) {
            let _ = Command::new("kill").args(["-9", &pid.to_string()]).status();
        }
    }
}

fn task_events(run: &Run) -> Vec<Value> {
    run.events()
        .into_iter()
        .filter(|e| e["event"] == "task")
        .collect()
}

fn task_event(run: &Run, name: &str) -> Value {
    task_events(run)
        .into_iter()
        .find(|e| e["task"] == name)
        .unwrap_or_else(|| panic!("no task {name} in:\n{}", run.stdout))
}

fn progress(run: &Run) -> Vec<(u64, u64, String)> {
    run.events()
        .into_iter()
        .filter(|e| e["event"] == "progress")
        .map(|e| {
            (
                e["done"].as_u64().unwrap_or_default(),
                e["total"].as_u64().unwrap_or_default(),
                e["what"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

/// The packages the last pacman transaction in the root's log installed.
fn last_transaction(dest: &Path) -> Vec<String> {
    let log = std::fs::read_to_string(dest.join("var/log/pacman.log")).expect("pacman.log");
    let last = log
        .rsplit("[ALPM] transaction started")
        .next()
        .unwrap_or_default();
    last.lines()
        .filter_map(|line| line.split_once("[ALPM] installed ")?.1.split(' ').next())
        .map(str::to_string)
        .collect()
}

#[test]
fn pacstrap_installs_once_then_only_what_is_added() {
    let test = Test::new();
    let conf = local_repo(&test);
    let dest = test.root().join(DEST.trim_start_matches('/'));
    test.playbook(&play(&pacstrap("bootstrap", DEST, "[base]", &conf)));

    let runs = three_checks_runs(&test);
    assert_eq!(
        installed(&dest),
        ["busybox", "filesystem", "glibc", "hello", "systemd"]
    );
    let predicted = task_event(&runs[0], "bootstrap");
    assert_eq!(
        predicted["msg"],
        "install filesystem busybox glibc hello systemd"
    );
    assert_eq!(
        predicted["diff"][0]["after"], "busybox\nfilesystem\nglibc\nhello\nsystemd\n",
        "--check did not predict the list"
    );
    let steps = progress(&runs[1]);
    assert_eq!(
        steps,
        [
            (1, 5, "installing filesystem".to_string()),
            (2, 5, "installing busybox".to_string()),
            (3, 5, "installing glibc".to_string()),
            (4, 5, "installing hello".to_string()),
            (5, 5, "installing systemd".to_string())
        ]
    );
    assert!(progress(&runs[2]).is_empty(), "the second run ran pacstrap");
    assert_eq!(mounts_under(&test.root()), Vec::<String>::new());

    test.playbook(&play(&pacstrap("bootstrap", DEST, "[base, vim]", &conf)));
    let before = test.tree();
    let check = test.run_json(&["--check", "--diff"]);
    assert_eq!(test.tree(), before, "--check changed the tree");
    let predicted = task_event(&check, "bootstrap");
    assert_eq!(predicted["status"], "changed");
    assert_eq!(predicted["msg"], "install vim");
    assert_eq!(
        predicted["diff"][0]["before"],
        "busybox\nfilesystem\nglibc\nhello\nsystemd\n"
    );
    assert_eq!(
        predicted["diff"][0]["after"],
        "busybox\nfilesystem\nglibc\nhello\nsystemd\nvim\n"
    );

    let added = test.run_json(&[]);
    assert_eq!(added.code, 0, "{}\n{}", added.stdout, added.stderr);
    assert_eq!(task_event(&added, "bootstrap")["status"], "changed");
    assert_eq!(progress(&added), [(1, 1, "installing vim".to_string())]);
    assert_eq!(last_transaction(&dest), ["vim"]);
    assert_eq!(
        installed(&dest),
        ["busybox", "filesystem", "glibc", "hello", "systemd", "vim"]
    );
    assert_eq!(test.run_json(&[]).changed(), 0);
    assert_eq!(mounts_under(&test.root()), Vec::<String>::new());
}

#[test]
fn a_killed_run_leaves_no_mounts_and_no_processes() {
    let test = Test::new();
    let conf = local_repo(&test);
    let dest = test.root().join("var/lib/machines/slow");
    test.playbook(&play(&pacstrap(
        "bootstrap",
        "/var/lib/machines/slow",
        "[base, slow]",
        &conf,
    )));
    let mut reaper = Reaper {
        dir: dest.clone(),
        child: None,
    };
    let root = test.root();
    let child = Command::new(env!("CARGO_BIN_EXE_machinist"))
        .args(["run", "site.yml", "--format", "json", "--root"])
        .arg(&root)
        .current_dir(test.project())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn machinist");
    let machinist = child.id();
    reaper.child = Some(child);

    let started = dest.join("var/slow-started");
    let deadline = Instant::now() + Duration::from_secs(60);
    while !started.exists() {
        assert!(
            Instant::now() < deadline,
            "the slow scriptlet never started"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(
        !processes_in(&dest).is_empty(),
        "pacman's scriptlet is not running in the new root"
    );
    assert_eq!(
        mounts_under(&root),
        Vec::<String>::new(),
        "pacstrap's mounts are visible outside its namespace"
    );

    let status = Command::new("kill")
        .args(["-9", &machinist.to_string()])
        .status()
        .expect("kill");
    assert!(status.success());
    if let Some(child) = &mut reaper.child {
        let _ = child.wait();
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while !processes_in(&dest).is_empty() {
        assert!(
            Instant::now() < deadline,
            "processes outlived the killed run: {:?}",
            processes_in(&dest)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    assert_eq!(mounts_under(&root), Vec::<String>::new());

    let next = test.run(&[]);
    assert_eq!(next.code, 2, "{}", next.stdout);
    assert!(
        next.stdout.contains(
            "[TMP]/root/var/lib/machines/slow/var/lib/pacman/db.lck: pacman's lock exists"
        ),
        "{}",
        next.stdout
    );
}

#[test]
fn check_mode_plans_bootstrap_then_configure_on_a_missing_directory() {
    let test = Test::new();
    let conf = local_repo(&test);
    let dest = "/var/lib/machines/new";
    let configure = format!(
        "    - name: network directory
      file: {{path: {dest}/etc/systemd/network, state: directory, mode: \"0755\"}}
    - name: host0 network
      copy:
        dest: {dest}/etc/systemd/network/80-container-host0.network
        content: \"[Match]\\nName=host0\\n\\n[Network]\\nDHCP=yes\\n\"
    - name: hostname
      copy: {{dest: {dest}/etc/hostname, content: \"new\\n\"}}
    - name: resolv.conf
      file: {{path: {dest}/etc/resolv.conf, state: link, src: /run/systemd/resolve/stub-resolv.conf, force: true}}
    - name: wants directory
      file: {{path: {dest}/etc/systemd/system/multi-user.target.wants, state: directory}}
    - name: enable hello
      file:
        path: {dest}/etc/systemd/system/multi-user.target.wants/hello.service
        src: /usr/lib/systemd/system/hello.service
        state: link
        force: true
"
    );
    let tasks = [
        pacstrap("bootstrap", dest, "[base]", &conf),
        configure,
        pacstrap("add vim", dest, "[base, vim]", &conf),
    ]
    .concat();
    test.playbook(&play(&tasks));
    assert!(!test.root().join("var").exists());

    let before = test.tree();
    let check = test.run_json(&["--check", "--diff"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(test.tree(), before, "--check changed the tree");
    let real = test.run_json(&["--diff"]);
    assert_eq!(real.code, 0, "{}\n{}", real.stdout, real.stderr);

    let shape = |run: &Run| -> Vec<(Value, Value, Value, Value)> {
        task_events(run)
            .into_iter()
            .map(|e| {
                (
                    e["task"].clone(),
                    e["status"].clone(),
                    e["msg"].clone(),
                    e["diff"].clone(),
                )
            })
            .collect()
    };
    let (predicted, happened) = (shape(&check), shape(&real));
    assert_eq!(predicted.len(), 8);
    for (predicted, happened) in predicted.iter().zip(&happened) {
        assert_eq!(predicted, happened, "check mode and the real run disagree");
    }
    assert!(predicted
        .iter()
        .all(|(_, status, _, _)| status == "changed"));
    assert_eq!(predicted[7].2, "install vim");
    assert_eq!(test.run_json(&[]).changed(), 0);
}

#[test]
fn pacstrap_draws_pacman_progress_on_a_terminal_only() {
    let test = Test::new();
    let conf = local_repo(&test);
    test.playbook(&play(&pacstrap("bootstrap", DEST, "[base]", &conf)));
    let terminal = test.run_on_terminal(&[]);
    assert_eq!(terminal.code, 0, "{}", terminal.stdout);
    let screen = &terminal.stdout;
    for (step, bar) in [
        ("(1/5) installing filesystem", "[####----------------]  20%"),
        ("(2/5) installing busybox", "[########------------]  40%"),
        ("(3/5) installing glibc", "[############--------]  60%"),
        ("(4/5) installing hello", "[################----]  80%"),
        ("(5/5) installing systemd", "[####################] 100%"),
    ] {
        let drawn = regex::Regex::new(&format!(
            "\r\x1b\\[K{} +{}",
            regex::escape(step),
            regex::escape(bar)
        ))
        .expect("regex");
        assert!(drawn.is_match(screen), "no {step:?} in {screen:?}");
    }

    let piped_test = Test::new();
    let conf = local_repo(&piped_test);
    piped_test.playbook(&play(&pacstrap("bootstrap", DEST, "[base]", &conf)));
    let piped = piped_test.run(&[]);
    assert_eq!(piped.code, 0, "{}", piped.stdout);
    assert!(!piped.stdout.contains("installing"), "{}", piped.stdout);
    assert!(!piped.stdout.contains('\r'), "{:?}", piped.stdout);
}

/// A repository without any group: pacman -Sgg exits 1 and prints nothing there,
/// which is no groups, not a failure; the three checks hold.
#[test]
fn a_repository_without_groups_is_no_groups() {
    let test = Test::new();
    let conf = common::pacman_repo::repo_without_groups(&test);
    test.playbook(&play(&pacstrap("bootstrap", DEST, "[lonely]", &conf)));
    let runs = three_checks_runs(&test);
    let dest = test.root().join(DEST.trim_start_matches('/'));
    assert_eq!(installed(&dest), ["lonely"]);
    assert_eq!(task_event(&runs[1], "bootstrap")["msg"], "install lonely");
}

/// pacstrap refreshes the new root's sync databases; check mode predicts them (as the
/// plan's own refresh found them), so a `pacman` task after it that does not refresh
/// plans against them in `--check` as in the real run.
#[test]
fn check_mode_predicts_the_sync_databases_pacstrap_leaves() {
    let test = Test::new();
    let conf = local_repo(&test);
    let dest = "/var/lib/machines/new";
    let playbook = format!(
        "{}- hosts: localhost\n  gather_facts: false\n  root: {dest}\n  tasks:\n    - name: vim\n      pacman: {{name: vim, pacman_conf: {}}}\n",
        play(&pacstrap("bootstrap", dest, "[base]", &conf)),
        conf.display()
    );
    test.playbook(&playbook);
    let before = test.tree();
    let check = test.run_json(&["--check"]);
    assert_eq!(check.code, 0, "{}\n{}", check.stdout, check.stderr);
    assert_eq!(test.tree(), before, "--check changed the tree");
    let real = test.run_json(&[]);
    assert_eq!(real.code, 0, "{}\n{}", real.stdout, real.stderr);
    let outcome = |run: &Run| -> Vec<(Value, Value, Value)> {
        task_events(run)
            .into_iter()
            .map(|e| (e["task"].clone(), e["status"].clone(), e["msg"].clone()))
            .collect()
    };
    assert_eq!(outcome(&check), outcome(&real));
    assert_eq!(
        real.statuses()[1],
        ("vim".to_string(), "changed".to_string())
    );
    assert!(installed(&test.root().join(&dest[1..])).contains(&"vim".to_string()));
}
