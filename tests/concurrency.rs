//! Two runs against one root (issue 7): the second waits for the first, naming the
//! pid that holds the lock, and their writes never interleave; `--no-wait` fails at
//! once with exit 1 and touches nothing; `--check` runs share the lock with each
//! other but not with a real run.

mod common;
use common::play;

use common::child::{Running, Stream};
use common::{busybox_root, hold_lock, Test};
use std::time::Duration;

const FILES: usize = 150;

/// Every one of FILES files gets `{{ who }}` as its content.
fn writers(test: &Test) {
    test.playbook(&format!(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - name: write
      copy:
        dest: "/shared/f{{{{ item }}}}"
        content: "{{{{ who }}}}\n"
      loop: "{{{{ range(0, {FILES}) | list }}}}"
"#
    ));
    test.root_file("shared/.keep", "");
}

#[test]
fn a_second_run_waits_for_the_first_and_their_writes_never_interleave() {
    let test = Test::new();
    busybox_root(&test);
    std::os::unix::fs::symlink("busybox", test.root().join("bin/sleep")).expect("sleep applet");
    // Half the files, then a pause the test ends (so the runs surely overlap, on any
    // disk), then the other half.
    test.playbook(&format!(
        r#"- hosts: localhost
  gather_facts: false
  tasks:
    - copy: {{dest: "/shared/f{{{{ item }}}}", content: "{{{{ who }}}}\n"}}
      loop: "{{{{ range(0, {half}) | list }}}}"
    - shell: while [ ! -e /go ]; do sleep 0.05; done
      when: who == "first"
    - copy: {{dest: "/shared/f{{{{ item }}}}", content: "{{{{ who }}}}\n"}}
      loop: "{{{{ range({half}, {FILES}) | list }}}}"
"#,
        half = FILES / 2
    ));
    test.root_file("shared/.keep", "");
    let mut first = Running::start(test.run_command(&["-e", "who=first", "--format", "json"]));
    let going = first.wait_for(Duration::from_secs(60), |stream, line| {
        stream == Stream::Stdout && line.contains(r#""event":"task""#)
    });
    assert!(going, "{}", first.stderr.join("\n"));
    let mut second = Running::start(test.run_command(&["-e", "who=second", "--format", "json"]));
    let pid = first.pid();
    let waiting = second.wait_for(Duration::from_secs(30), |stream, line| {
        stream == Stream::Stdout
            && line.starts_with(r#"{"event":"lock_wait","#)
            && line.contains(&format!(r#""holders":[{pid}],"#))
    });
    assert!(waiting, "second run did not wait: {:?}", second.stdout);
    std::fs::write(test.root().join("go"), "").expect("go");
    let first = first.finish(Duration::from_secs(120));
    let second = second.finish(Duration::from_secs(120));
    assert_eq!(
        (first.code, second.code),
        (Some(0), Some(0)),
        "{first:?}\n{second:?}"
    );
    // Both changed every file: the second started after the first had finished them all.
    for run in [&first, &second] {
        let changed = run.stdout.matches(r#""status":"changed""#).count();
        let paused = usize::from(std::ptr::eq(run, &first));
        assert_eq!(changed, FILES + paused, "{}", run.stdout);
    }
    for index in 0..FILES {
        assert_eq!(
            test.read(&format!("/shared/f{index}")),
            "second\n",
            "f{index}"
        );
    }
}

#[test]
fn a_waiting_run_says_who_holds_the_lock_then_goes_on() {
    let test = Test::new();
    writers(&test);
    assert_eq!(test.run(&["--check", "-e", "who=x"]).code, 0);
    let lock = hold_lock(&test, true);
    let before = test.tree();
    let mut run = Running::start(test.run_command(&["-e", "who=late"]));
    let me = std::process::id();
    let waiting = run.wait_for(Duration::from_secs(30), |stream, line| {
        stream == Stream::Stderr
            && line.contains(&format!("waiting for pid {me} to release the lock on "))
    });
    assert!(waiting, "{:?}", run.stderr);
    std::thread::sleep(Duration::from_millis(200));
    assert_eq!(test.tree(), before, "a waiting run wrote");
    drop(lock);
    let end = run.finish(Duration::from_secs(120));
    assert_eq!(end.code, Some(0), "{end:?}");
    assert_eq!(test.read("/shared/f0"), "late\n");
}

#[test]
fn no_wait_fails_at_once_with_exit_1_naming_the_holder() {
    let test = Test::new();
    writers(&test);
    assert_eq!(test.run(&["--check", "-e", "who=x"]).code, 0);
    let lock = hold_lock(&test, true);
    let before = test.tree();
    let run = test.run(&["--no-wait", "-e", "who=x"]);
    assert_eq!(run.code, 1, "{run:?}");
    assert_eq!(run.stdout, "");
    let me = std::process::id();
    assert!(
        run.stderr.starts_with(&format!(
            "machinist: error: [TMP]/root is in use: pid {me} holds its lock ("
        )),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.ends_with("); not waiting (--no-wait)\n"),
        "{}",
        run.stderr
    );
    let check = test.run(&["--check", "--no-wait", "-e", "who=x"]);
    assert_eq!(check.code, 1, "a check run read beside a writer: {check:?}");
    drop(lock);
    assert_eq!(test.tree(), before);
}

#[test]
fn check_runs_share_the_lock_with_each_other_only() {
    let test = Test::new();
    writers(&test);
    assert_eq!(test.run(&["--check", "-e", "who=x"]).code, 0);
    let reader = hold_lock(&test, false);
    let before = test.root_tree();
    let check = test.run(&["--check", "--no-wait", "-e", "who=x"]);
    assert_eq!(check.code, 0, "{check:?}");
    let real = test.run(&["--no-wait", "-e", "who=x"]);
    assert_eq!(real.code, 1, "{real:?}");
    // A check run that writes anyway (`check_mode: false`) needs the root alone.
    test.playbook(&play(
        "    - copy: {dest: /y, content: y}\n      check_mode: false\n",
    ));
    let writes = test.run(&["--check", "--no-wait"]);
    assert_eq!(writes.code, 1, "{writes:?}");
    drop(reader);
    assert_eq!(test.root_tree(), before);
}
