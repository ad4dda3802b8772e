//! Issue 13, the tools half: a hostile root against the tools machinist hands it to
//! (`systemctl --root`, `systemd-firstboot --root`, pacstrap), which run jailed
//! (modules/src/host/jail.rs). A swapper thread exchanges the folders a tool works in
//! with links to a decoy folder on this machine (renameat2 RENAME_EXCHANGE, in a
//! tight loop) while hundreds of tasks run; links through `/proc/self/root` and
//! `/proc/1/root` stand for every file systemd-firstboot reads. No decoy may change,
//! and nothing of a decoy may be copied into the root. Also: the controller's
//! environment never reaches a program run in a root, and no task argument ever
//! becomes a tool's option.

mod common;
use common::play;

use common::rootfs::require_root;
use common::{busybox_root, snapshot, Test};
use rustix::fs::{renameat_with, RenameFlags, CWD};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Exchanges each `real` path with its `link` (a symlink out of the root), over and
/// over, until dropped; then puts every real folder back.
struct Swapper {
    stop: Arc<AtomicBool>,
    swaps: Arc<AtomicU64>,
    thread: Option<JoinHandle<()>>,
    pairs: Vec<(PathBuf, PathBuf)>,
}

impl Swapper {
    /// For each `(real, target)`: a link `real.swap -> target` beside `real`, then
    /// the exchanges begin.
    fn start(pairs: &[(PathBuf, PathBuf)], pause: Duration) -> Swapper {
        let pairs: Vec<(PathBuf, PathBuf)> = pairs
            .iter()
            .map(|(real, target)| {
                let link = real.with_extension("swap");
                symlink(target, &link).expect("swap link");
                (real.clone(), link)
            })
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let swaps = Arc::new(AtomicU64::new(0));
        let thread = {
            let (stop, swaps, pairs) = (stop.clone(), swaps.clone(), pairs.clone());
            std::thread::spawn(move || {
                let mut swapped = false;
                while !stop.load(Ordering::Relaxed) {
                    for (real, link) in &pairs {
                        if renameat_with(CWD, real, CWD, link, RenameFlags::EXCHANGE).is_ok() {
                            swaps.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    swapped = !swapped;
                    // Out of the root for a moment, back for longer: machinist must
                    // see the root whole while it plans (a root seen swapped fails
                    // the task before the tool runs), and the tool, which runs for
                    // milliseconds, is caught swapped many times. CPU is left for the
                    // tools.
                    std::thread::sleep(if swapped { pause } else { pause * 4 });
                }
            })
        };
        Swapper {
            stop,
            swaps,
            thread: Some(thread),
            pairs,
        }
    }
}

impl Drop for Swapper {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        for (real, link) in &self.pairs {
            if std::fs::symlink_metadata(real).is_ok_and(|meta| meta.file_type().is_symlink()) {
                let _ = renameat_with(CWD, real, CWD, link, RenameFlags::EXCHANGE);
            }
        }
    }
}

/// A decoy folder outside the root, a copy of `from` plus a marker file.
fn decoy(test: &Test, name: &str, from: &Path) -> PathBuf {
    let decoy = test.outside().join(name);
    let copied = std::process::Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(&decoy)
        .status()
        .expect("cp");
    assert!(copied.success());
    std::fs::write(decoy.join("decoy-marker"), "decoy-secret-7f3a\n").expect("marker");
    decoy
}

/// How long a race goes on: rounds of the playbook run until this has passed (one
/// round at least). Jailed tools make a round take seconds; when tools are not
/// jailed, rounds are quick and a leak shows within a few.
const RACE_FOR: Duration = Duration::from_secs(6);

/// Run `tasks` (each allowed to fail), round after round for [`RACE_FOR`], while
/// `swaps` are being exchanged; every decoy must stay as it was after every round.
fn race(test: &Test, tasks: &str, swaps: &[(PathBuf, PathBuf)], pause: Duration) {
    test.playbook(&play(tasks));
    let decoys: Vec<PathBuf> = swaps.iter().map(|(_, decoy)| decoy.clone()).collect();
    let before: Vec<_> = decoys.iter().map(|decoy| snapshot(decoy)).collect();
    let swapper = Swapper::start(swaps, pause);
    let started = std::time::Instant::now();
    let mut module_runs = 0;
    let mut outcomes: std::collections::BTreeMap<String, usize> = Default::default();
    while module_runs == 0 || started.elapsed() < RACE_FOR {
        let run = test.run_json(&[]);
        for (decoy, before) in decoys.iter().zip(&before) {
            assert_eq!(
                &snapshot(decoy),
                before,
                "{} changed while the root was swapped under the tools:\n{}\n{}",
                decoy.display(),
                run.stdout,
                run.stderr
            );
        }
        for event in run.events().into_iter().filter(|e| e["event"] == "task") {
            module_runs += 1;
            let msg = event["msg"].as_str().unwrap_or_default();
            let key = format!("{} {}", event["status"], &msg[..msg.len().min(90)]);
            *outcomes.entry(key).or_default() += 1;
        }
    }
    let exchanges = swapper.swaps.load(Ordering::Relaxed);
    drop(swapper);
    // With --nocapture: how the tasks fared under the swapping (failed, changed, ok).
    eprintln!("{module_runs} module runs, {exchanges} exchanges; outcomes: {outcomes:#?}");
    assert!(module_runs >= 120, "only {module_runs} module runs");
    assert!(exchanges > 20, "the swapper hardly ran: {exchanges}");
}

/// A root on a plain filesystem (overlayfs cannot exchange names) with the unit
/// files the tasks use: systemctl --root reads nothing else.
fn unit_root(test: &Test) -> PathBuf {
    let lib = test.root().join("usr/lib/systemd/system");
    std::fs::create_dir_all(&lib).expect("unit dir");
    std::fs::write(
        lib.join("hello.service"),
        "[Service]\nExecStart=/bin/true\n\n[Install]\nWantedBy=multi-user.target\n",
    )
    .expect("unit");
    for unit in [
        "systemd-nspawn@.service",
        "machines.target",
        "multi-user.target",
    ] {
        let host = Path::new("/usr/lib/systemd/system").join(unit);
        std::fs::copy(&host, lib.join(unit)).expect("host unit");
    }
    let units = test.root().join("etc/systemd/system");
    std::fs::create_dir_all(&units).expect("etc units");
    units
}

#[test]
fn unit_enable_and_mask_never_write_into_a_swapped_in_host_folder() {
    require_root();
    let test = Test::new();
    let units = unit_root(&test);
    let wants = units.join("multi-user.target.wants");
    std::fs::create_dir_all(&wants).expect("wants dir");
    let decoy_units = decoy(&test, "decoy-units", &units);
    let decoy_wants = decoy(&test, "decoy-wants", &wants);
    race(
        &test,
        "    - unit: {name: hello, enabled: \"{{ item is even }}\"}\n      \
         loop: \"{{ range(60) | list }}\"\n      ignore_errors: true\n    \
         - unit: {name: hello, masked: \"{{ item is even }}\"}\n      \
         loop: \"{{ range(60) | list }}\"\n      ignore_errors: true\n",
        &[(units, decoy_units), (wants, decoy_wants)],
        Duration::from_micros(200),
    );
}

#[test]
fn nspawn_enabled_never_writes_into_a_swapped_in_host_folder() {
    require_root();
    let test = Test::new();
    let units = unit_root(&test);
    let wants = units.join("machines.target.wants");
    std::fs::create_dir_all(&wants).expect("wants dir");
    let decoy_units = decoy(&test, "decoy-units", &units);
    let decoy_wants = decoy(&test, "decoy-wants", &wants);
    race(
        &test,
        "    - nspawn: {name: box, enabled: \"{{ item is even }}\"}\n      \
         loop: \"{{ range(120) | list }}\"\n      ignore_errors: true\n",
        &[(units, decoy_units), (wants, decoy_wants)],
        Duration::from_micros(200),
    );
}

#[test]
fn firstboot_never_writes_into_a_swapped_in_host_etc() {
    require_root();
    let test = Test::new();
    let etc = test.root().join("etc");
    std::fs::create_dir_all(&etc).expect("etc");
    std::fs::write(etc.join("passwd"), "root:x:0:0:root:/root:/bin/sh\n").expect("passwd");
    std::fs::write(etc.join("shadow"), "root:*:19000:0:99999:7:::\n").expect("shadow");
    std::fs::write(etc.join("group"), "root:x:0:\n").expect("group");
    let decoy_etc = decoy(&test, "decoy-etc", &etc);
    race(
        &test,
        "    - firstboot: {hostname: \"box{{ item }}\", root_password: \"pw{{ item }}\"}\n      \
         loop: \"{{ range(120) | list }}\"\n      ignore_errors: true\n",
        &[(etc, decoy_etc)],
        Duration::from_micros(200),
    );
}

/// Every file systemd-firstboot reads or replaces, as a link to a decoy file on this
/// machine through /proc/self/root or /proc/1/root.
#[test]
fn firstboot_never_reads_host_files_through_proc_links() {
    require_root();
    let test = Test::new();
    let decoys = test.outside().join("host-files");
    std::fs::create_dir_all(&decoys).expect("decoys");
    let files = [
        "etc/shadow",
        "etc/passwd",
        "etc/hostname",
        "etc/locale.conf",
        "etc/default/locale",
        "etc/vconsole.conf",
        "etc/machine-id",
        "etc/adjtime",
    ];
    for (n, file) in files.iter().enumerate() {
        let name = file.replace('/', "_");
        let host_file = decoys.join(&name);
        std::fs::write(
            &host_file,
            format!(
                "root:x:0:0:root:/root:/bin/sh\ndecoy:decoy-secret-{n}:19000:0:99999:7:::\n\
                 LANG=decoy-secret-{n}\n"
            ),
        )
        .expect("decoy file");
        let through = if n % 2 == 0 {
            "/proc/self/root"
        } else {
            "/proc/1/root"
        };
        let in_root = test.root().join(file);
        let _ = std::fs::remove_file(&in_root);
        std::fs::create_dir_all(in_root.parent().expect("parent")).expect("mkdir");
        symlink(format!("{through}{}", host_file.display()), &in_root).expect("link");
    }
    let before = snapshot(&decoys);
    test.playbook(&play(
        "    - firstboot:\n        \
         root_password: x\n        hostname: box\n        locale: C.UTF-8\n      \
         ignore_errors: true\n",
    ));
    let run = test.run_json(&[]);
    assert_eq!(
        snapshot(&decoys),
        before,
        "a host file was written:\n{}",
        run.stdout
    );
    for entry in walkdir(&test.root().join("etc")) {
        let text = std::fs::read(&entry).unwrap_or_default();
        assert!(
            !String::from_utf8_lossy(&text).contains("decoy-secret"),
            "{} holds a host file's content:\n{}",
            entry.display(),
            run.stdout
        );
    }
}

/// Every regular file below `dir` (symlinks not followed).
fn walkdir(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(dir) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => todo.push(entry.path()),
                Ok(kind) if kind.is_file() => files.push(entry.path()),
                _ => {}
            }
        }
    }
    files
}

/// The environment programs in a root see: nothing of the controller's but PATH
/// for the target, the locale, the terminal and what the task passes on purpose.
#[test]
fn the_controllers_environment_never_reaches_a_program_in_a_root() {
    let test = Test::new();
    busybox_root(&test);
    test.playbook(
        &play("    \
         - command: env\n      register: plain\n    \
         - command: env\n      environment: {API_TOKEN: \"{{ lookup('env', 'API_TOKEN') }}\"}\n      \
         register: passed\n    \
         - debug: {msg: \"PLAIN {{ plain.stdout_lines | join(',') }} PASSED {{ passed.stdout_lines | join(',') }}\"}\n"),
    );
    let root = test.root();
    let run = test.machinist_env(
        &[
            "run",
            "site.yml",
            "--format",
            "json",
            "--root",
            root.to_str().expect("utf-8"),
        ],
        &[
            ("API_TOKEN", "tok-91c2"),
            ("LANG", "C.UTF-8"),
            ("SSH_AUTH_SOCK", "/x"),
        ],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let msg = run
        .events()
        .into_iter()
        .find_map(|event| {
            event["msg"]
                .as_str()
                .map(str::to_string)
                .filter(|m| m.starts_with("PLAIN"))
        })
        .expect("the debug message");
    let (plain, passed) = msg.split_once(" PASSED ").expect("two parts");
    let names = |list: &str| -> Vec<String> {
        list.trim_start_matches("PLAIN ")
            .split(',')
            .filter_map(|pair| pair.split_once('=').map(|(name, _)| name.to_string()))
            .collect()
    };
    for name in names(plain) {
        assert!(
            ["PATH", "LANG", "TERM", "PWD", "SHLVL"].contains(&name.as_str())
                || name.starts_with("LC_"),
            "{name} reached a program in the root: {plain}"
        );
    }
    assert!(plain.contains("LANG=C.UTF-8"), "{plain}");
    assert!(
        plain.contains("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"),
        "{plain}"
    );
    assert!(passed.contains("API_TOKEN=tok-91c2"), "{passed}");
}

#[test]
fn a_unit_name_never_becomes_an_option() {
    let test = Test::new();
    test.playbook(&play(
        "    \
         - unit: {name: \"--root=/\", enabled: true}\n",
    ));
    let root = test.root();
    let run = test.machinist(&["run", "site.yml", "--root", root.to_str().expect("utf-8")]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("not a systemd unit name") && run.stderr.contains("site.yml:"),
        "{}",
        run.stderr
    );
    // Templated: refused when the task runs, before systemctl is asked anything.
    test.playbook(
        "- hosts: localhost\n  gather_facts: false\n  vars: {u: \"--root=/\"}\n  tasks:\n    \
         - unit: {name: \"{{ u }}\", enabled: true}\n",
    );
    let run = test.run_json(&[]);
    assert_eq!(run.code, 2, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stdout.contains("not a systemd unit name"),
        "{}",
        run.stdout
    );
}

#[test]
fn a_package_name_never_becomes_an_option() {
    let test = Test::new();
    test.playbook(&play(
        "    \
         - pacstrap: {dest: /m, packages: [base, \"--config=/tmp/x\"]}\n",
    ));
    let root = test.root();
    let run = test.machinist(&["run", "site.yml", "--root", root.to_str().expect("utf-8")]);
    assert_eq!(run.code, 4, "{}\n{}", run.stdout, run.stderr);
    assert!(
        run.stderr.contains("not a pacman package name"),
        "{}",
        run.stderr
    );
}

/// A plugin module run in a root gets the same clean environment.
#[test]
fn the_controllers_environment_never_reaches_a_plugin_in_a_root() {
    use std::os::unix::fs::PermissionsExt;
    let test = Test::new();
    busybox_root(&test);
    test.project_file(
        "library/envcheck",
        "#!/bin/sh\ncat >/dev/null\ncase \"$(env)\" in\n  *API_TOKEN*) echo '{\"changed\": false, \"msg\": \"leaked\"}' ;;\n  \
         *) echo '{\"changed\": false, \"msg\": \"clean\"}' ;;\nesac\n",
    );
    let plugin = test.project().join("library/envcheck");
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    test.playbook(&play("    - envcheck:\n"));
    let root = test.root();
    let run = test.machinist_env(
        &[
            "run",
            "site.yml",
            "--format",
            "json",
            "--root",
            root.to_str().expect("utf-8"),
        ],
        &[("API_TOKEN", "tok-91c2")],
    );
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let said: Vec<String> = run
        .events()
        .into_iter()
        .filter(|event| event["event"] == "task")
        .map(|event| event["msg"].as_str().unwrap_or_default().to_string())
        .collect();
    assert_eq!(said, ["clean"], "{}", run.stdout);
}

/// pacstrap and pacman jailed: the new root's `etc` and `var/lib/pacman`, swapped for
/// links to decoy folders while pacstrap installs, never lead to the decoys.
#[test]
fn pacstrap_never_writes_into_a_swapped_in_host_folder() {
    require_root();
    let test = Test::new();
    let conf = common::pacman_repo::local_repo(&test);
    let dest = test.root().join("m");
    for dir in ["etc", "var/lib/pacman"] {
        std::fs::create_dir_all(dest.join(dir)).expect("dest dirs");
    }
    let decoy_etc = decoy(&test, "decoy-etc", &dest.join("etc"));
    let decoy_db = decoy(&test, "decoy-db", &dest.join("var/lib/pacman"));
    let task = format!(
        "      pacstrap: {{dest: /m, packages: [base], ignore: [linux], pacman_conf: {}, \
         mirrorlist: none, keyring: none}}\n      ignore_errors: true\n",
        conf.display()
    );
    test.playbook(&play(&format!(
        "    - name: one\n{task}    \
         - name: two\n{task}    - name: three\n{task}"
    )));
    let before = (snapshot(&decoy_etc), snapshot(&decoy_db));
    let swapper = Swapper::start(
        &[
            (dest.join("etc"), decoy_etc.clone()),
            (dest.join("var/lib/pacman"), decoy_db.clone()),
        ],
        Duration::from_micros(200),
    );
    let run = test.run_json(&[]);
    drop(swapper);
    assert_eq!(
        (snapshot(&decoy_etc), snapshot(&decoy_db)),
        before,
        "a decoy changed:\n{}\n{}",
        run.stdout,
        run.stderr
    );
}
