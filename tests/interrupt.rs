//! SIGINT and SIGTERM in the middle of a run (issue 7): the run stops after the
//! operation in progress, every file is old or new (never half written), no temp file
//! is left, the output says what was done and what was not, and the exit code is
//! 128 + the signal (130, 143). A running program gets the signal too.

mod common;
use common::play;

use common::child::{Running, Stream};
use common::{busybox_root, Test};
use serde_json::Value;
use std::path::Path;
use std::time::Duration;

const ITEMS: usize = 3000;

/// 3000 files of 4 KiB, then a task that never runs, and a handler they notify.
fn many_files(test: &Test) {
    test.playbook(&format!(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - name: many files
      copy:
        dest: "/data/f{{{{ item }}}}"
        content: "{{{{ 'x' * 4096 }}}}\n"
      loop: "{{{{ range(0, {ITEMS}) | list }}}}"
      notify: reload
    - name: after
      debug: msg=after
  handlers:
    - name: reload
      debug: msg=reloaded
"#
    ));
    test.root_file("data/f0", "old\n");
}

/// Every file below `dir` (recursively) whose name says it is one of our temp files.
fn temp_files(dir: &Path) -> Vec<String> {
    common::snapshot(dir)
        .into_keys()
        .map(|path| path.display().to_string())
        .filter(|path| path.contains(".machinist-"))
        .collect()
}

#[test]
fn sigterm_mid_loop_stops_after_the_write_in_progress_and_says_what_is_left() {
    let test = Test::new();
    many_files(&test);
    let mut run = Running::start(test.run_command(&["--format", "json"]));
    let started = run.wait_for(Duration::from_secs(60), |stream, line| {
        stream == Stream::Stdout && line.contains(r#""item":20,"#)
    });
    assert!(started, "no progress:\n{}", run.stderr.join("\n"));
    run.signal(libc::SIGTERM);
    let end = run.finish(Duration::from_secs(60));
    assert_eq!(end.code, Some(143), "{end:?}");

    let events: Vec<Value> = end
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("json"))
        .collect();
    let written: Vec<&Value> = events
        .iter()
        .filter(|e| e["event"] == "task" && e["status"] == "changed")
        .collect();
    assert!(written.len() < ITEMS, "the run was not interrupted");
    let interrupted = &events[events.len() - 2];
    assert_eq!(interrupted["event"], "interrupted", "{interrupted}");
    assert_eq!(interrupted["signal"], "SIGTERM");
    assert_eq!(
        interrupted["cut_short"],
        format!("many files: {} of {ITEMS} items done", written.len())
    );
    assert_eq!(interrupted["changed"], serde_json::json!(["many files"]));
    assert_eq!(interrupted["not_run"], serde_json::json!(["after"]));
    assert_eq!(
        interrupted["handlers_not_run"],
        serde_json::json!(["reload"])
    );
    assert_eq!(events[events.len() - 1]["event"], "recap");

    // Exactly the files reported written are there, each one whole; f0 was replaced.
    let data = test.root().join("data");
    let mut names: Vec<String> = std::fs::read_dir(&data)
        .expect("data")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    let mut expected: Vec<String> = written.iter().map(|e| format!("f{}", e["item"])).collect();
    expected.sort();
    assert_eq!(names, expected);
    let whole = format!("{}\n", "x".repeat(4096));
    for name in &names {
        assert_eq!(
            std::fs::read_to_string(data.join(name)).expect("read"),
            whole,
            "{name} is not whole"
        );
    }
    assert_eq!(temp_files(&test.root()), Vec::<String>::new());
}

#[test]
fn sigint_prints_the_interruption_before_the_recap_and_exits_130() {
    let test = Test::new();
    many_files(&test);
    let mut run = Running::start(test.run_command(&[]));
    let started = run.wait_for(Duration::from_secs(60), |stream, line| {
        stream == Stream::Stdout && line.starts_with("changed: [localhost] => (item=5)")
    });
    assert!(started, "no progress:\n{}", run.stderr.join("\n"));
    run.signal(libc::SIGINT);
    let end = run.finish(Duration::from_secs(60));
    assert_eq!(end.code, Some(130), "{end:?}");
    let tail = end
        .stdout
        .split("\nINTERRUPTED [SIGINT] ")
        .nth(1)
        .unwrap_or_else(|| panic!("no INTERRUPTED banner:\n{}", end.stdout));
    let lines: Vec<&str> = tail.lines().collect();
    assert_eq!(
        lines[1],
        "stopped after the operation in progress: every file is either old or new"
    );
    assert!(lines[2].starts_with("cut short: many files: "), "{tail}");
    assert_eq!(lines[3], "changed before the stop: many files");
    assert_eq!(lines[4], "not run (1): after");
    assert_eq!(lines[5], "handlers notified but not run: reload");
    assert!(lines[7].starts_with("PLAY RECAP"), "{tail}");
    assert_eq!(temp_files(&test.root()), Vec::<String>::new());
}

#[test]
fn a_running_program_gets_the_signal_and_nothing_after_it_starts() {
    let test = Test::new();
    busybox_root(&test);
    std::os::unix::fs::symlink("busybox", test.root().join("bin/sleep")).expect("sleep applet");
    test.playbook(
        &play("    - name: long\n      command: sleep 120\n    - name: after\n      command: touch /after\n"),
    );
    let mut run = Running::start(test.run_command(&[]));
    let started = run.wait_for(Duration::from_secs(30), |stream, line| {
        stream == Stream::Stdout && line.starts_with("TASK [long]")
    });
    assert!(started, "{}", run.stderr.join("\n"));
    // Let the program start; a signal before that is sent to it as soon as it does.
    std::thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGTERM);
    let end = run.finish(Duration::from_secs(30));
    assert_eq!(end.code, Some(143), "{end:?}");
    assert!(end.elapsed < Duration::from_secs(30), "{:?}", end.elapsed);
    assert!(
        end.stdout.contains(r#""rc": -15"#),
        "the program did not die of SIGTERM:\n{}",
        end.stdout
    );
    assert!(end.stdout.contains("not run (1): after"), "{}", end.stdout);
    assert!(!test.root().join("after").exists());
}

#[test]
fn a_signal_while_waiting_for_the_lock_runs_nothing() {
    let test = Test::new();
    test.playbook(&play(
        "    - name: write\n      copy: {dest: /x, content: x}\n",
    ));
    assert_eq!(test.run(&["--check"]).code, 0);
    let lock = common::hold_lock(&test, true);
    let before = test.tree();
    let mut run = Running::start(test.run_command(&[]));
    let waiting = run.wait_for(Duration::from_secs(30), |stream, line| {
        stream == Stream::Stderr && line.contains("waiting for")
    });
    assert!(waiting, "{}", run.stderr.join("\n"));
    run.signal(libc::SIGINT);
    let end = run.finish(Duration::from_secs(30));
    drop(lock);
    assert_eq!(end.code, Some(130), "{end:?}");
    assert!(end.stdout.contains("not run (1): write"), "{}", end.stdout);
    assert_eq!(test.tree(), before);
}

#[test]
fn a_second_signal_kills_at_once_when_the_operation_does_not_end() {
    let test = Test::new();
    busybox_root(&test);
    std::os::unix::fs::symlink("busybox", test.root().join("bin/sleep")).expect("sleep applet");
    test.playbook(&play(
        "    - name: deaf\n      shell: trap '' TERM INT; sleep 8\n",
    ));
    let mut run = Running::start(test.run_command(&[]));
    let started = run.wait_for(Duration::from_secs(30), |stream, line| {
        stream == Stream::Stdout && line.starts_with("TASK [deaf]")
    });
    assert!(started, "{}", run.stderr.join("\n"));
    std::thread::sleep(Duration::from_millis(300));
    run.signal(libc::SIGTERM);
    // The program ignores it: machinist waits for the operation to end…
    std::thread::sleep(Duration::from_millis(500));
    run.signal(libc::SIGTERM);
    // …until the second signal, which it dies of.
    let end = run.finish(Duration::from_secs(4));
    assert_eq!(
        (end.code, end.signal),
        (None, Some(libc::SIGTERM)),
        "{end:?}"
    );
    assert_eq!(temp_files(&test.root()), Vec::<String>::new());
}
