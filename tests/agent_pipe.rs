//! `machinist agent` driven over a pipe, as a connection drives it, with real modules:
//! file, copy (content, and a controller file streamed in frames) and template
//! (rendered content), through the three checks: the first session changes, the
//! second finds everything ok, a check-mode session on a fresh root predicts the
//! changes and writes no byte. Also what the agent refuses (another version or
//! executable, garbage) and that a large file's progress comes back as events.

mod common;

use common::{snapshot, Test};
use machinist::agent::frame::{read_message, write_message};
use machinist::agent::identity::{AgentExe, VERSION};
use machinist::agent::message::{AgentEvent, Reply, Request};
use machinist::connection::{AgentSession, Setup};
use machinist::run::module_run::{ModuleRequest, ModuleRun};
use machinist::run::outcome::Outcome;
use machinist_modules::Builtin;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

fn machinist() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_machinist"))
}

fn session(root: &Path) -> AgentSession {
    let mut command = Command::new(machinist());
    command.arg("agent").env_clear();
    let setup = Setup {
        agent: AgentExe::at(&machinist()).expect("hash machinist"),
        root: root.to_path_buf(),
    };
    AgentSession::start("pipe", command, &setup, true, None).expect("agent starts")
}

fn request(builtin: Builtin, args: Value, check: bool) -> ModuleRequest {
    let Value::Object(args) = args else {
        panic!("arguments are a mapping")
    };
    ModuleRequest {
        builtin,
        args,
        check,
        keys_read: true,
        async_limit: None,
        timeout: None,
    }
}

fn done(run: ModuleRun) -> Outcome {
    match run {
        ModuleRun::Done(outcome) => outcome,
        other => panic!("the module did not run: {other:?}"),
    }
}

/// The tasks of the three checks: a folder, a file from content, a streamed
/// controller file, and a rendered template.
fn tasks(test: &Test, check: bool) -> Vec<ModuleRequest> {
    let source = test.project().join("files/motd");
    std::fs::create_dir_all(source.parent().unwrap()).unwrap();
    std::fs::write(&source, "welcome\n".repeat(1000)).unwrap();
    vec![
        request(
            Builtin::File,
            json!({"path": "/etc/app", "state": "directory", "mode": "0750"}),
            check,
        ),
        request(
            Builtin::Copy,
            json!({"dest": "/etc/app/app.conf", "content": "port = 80\n", "mode": "0640"}),
            check,
        ),
        request(
            Builtin::Copy,
            json!({"dest": "/etc/motd", "_copy_from": source.display().to_string()}),
            check,
        ),
        request(
            Builtin::Template,
            json!({"dest": "/etc/app/hosts", "content": "127.0.0.1 box\n"}),
            check,
        ),
    ]
}

fn run_all(session: &mut AgentSession, tasks: &[ModuleRequest]) -> Vec<Outcome> {
    tasks
        .iter()
        .map(|task| done(session.run_module(task, &mut |_| {}).expect("reachable")))
        .collect()
}

#[test]
fn modules_run_through_the_agent_pass_the_three_checks() {
    let test = Test::new();
    let root = test.root();
    std::fs::create_dir_all(root.join("etc")).unwrap();

    // Check mode on the fresh root: every task predicts a change, no byte written.
    let before = snapshot(&root);
    let mut agent = session(&root);
    let predicted = run_all(&mut agent, &tasks(&test, true));
    agent.close();
    assert!(
        predicted.iter().all(|o| o.changed && !o.failed),
        "{predicted:?}"
    );
    assert_eq!(
        snapshot(&root),
        before,
        "check mode wrote through the agent"
    );

    // The first real session changes all of it, as predicted.
    let mut agent = session(&root);
    let first = run_all(&mut agent, &tasks(&test, false));
    agent.close();
    assert!(first.iter().all(|o| o.changed && !o.failed), "{first:?}");
    let diffs =
        |outcomes: &[Outcome]| -> Vec<_> { outcomes.iter().map(|o| o.diff.clone()).collect() };
    assert_eq!(
        diffs(&predicted),
        diffs(&first),
        "check mode predicts the diffs"
    );
    assert_eq!(test.read("etc/app/app.conf"), "port = 80\n");
    assert_eq!(test.read("etc/motd"), "welcome\n".repeat(1000));
    assert_eq!(test.read("etc/app/hosts"), "127.0.0.1 box\n");
    assert_eq!(test.mode("etc/app") & 0o7777, 0o750);
    assert_eq!(test.mode("etc/app/app.conf") & 0o7777, 0o640);

    // The second finds nothing to do.
    let after_first = snapshot(&root);
    let mut agent = session(&root);
    let second = run_all(&mut agent, &tasks(&test, false));
    agent.close();
    assert!(second.iter().all(|o| !o.changed && !o.failed), "{second:?}");
    assert_eq!(snapshot(&root), after_first);
}

#[test]
fn a_check_mode_session_plans_later_tasks_against_earlier_recorded_ones() {
    let test = Test::new();
    let root = test.root();
    std::fs::create_dir_all(&root).unwrap();
    let mut agent = session(&root);
    let dir = request(
        Builtin::File,
        json!({"path": "/srv", "state": "directory"}),
        true,
    );
    let file = request(
        Builtin::Copy,
        json!({"dest": "/srv/x", "content": "x"}),
        true,
    );
    let outcomes = run_all(&mut agent, &[dir, file]);
    agent.close();
    // The file's parent exists in the overlay: its plan does not fail.
    assert!(
        outcomes.iter().all(|o| o.changed && !o.failed),
        "{outcomes:?}"
    );
    assert!(!root.join("srv").exists());
}

#[test]
fn a_large_file_streams_and_its_progress_comes_back_as_events() {
    let test = Test::new();
    let root = test.root();
    std::fs::create_dir_all(&root).unwrap();
    let source = test.project().join("big");
    std::fs::create_dir_all(test.project()).unwrap();
    let content: Vec<u8> = (0..9 * 1024 * 1024u32).map(|i| (i % 251) as u8).collect();
    std::fs::write(&source, &content).unwrap();
    let mut agent = session(&root);
    let mut events = Vec::new();
    let run = agent
        .run_module(
            &request(
                Builtin::Copy,
                json!({"dest": "/big", "_copy_from": source.display().to_string()}),
                false,
            ),
            &mut |event| events.push(event),
        )
        .expect("reachable");
    agent.close();
    assert!(done(run).changed);
    assert_eq!(std::fs::read(root.join("big")).unwrap(), content);
    assert!(
        events
            .iter()
            .any(|e| matches!(e, AgentEvent::Progress { done, total, .. } if done == total)),
        "{events:?}"
    );
}

#[test]
fn facts_come_from_the_agents_root() {
    let test = Test::new();
    let root = test.root();
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(
        root.join("etc/os-release"),
        "ID=debian\nVERSION_ID=\"12\"\n",
    )
    .unwrap();
    std::fs::write(root.join("etc/hostname"), "web1.example\n").unwrap();
    let mut agent = session(&root);
    let facts = agent.gather_facts(&Default::default()).expect("reachable");
    agent.close();
    assert_eq!(facts["ansible_hostname"], "web1");
    assert_eq!(facts["ansible_facts"]["os_family"], "Debian");
    assert_eq!(facts["ansible_distribution_version"], "12");
    // A root is no running system: no network, no virtualization of its own.
    assert_eq!(facts["ansible_default_ipv4"], json!({}));
    assert_eq!(facts["ansible_virtualization_type"], "NA");
    assert_eq!(facts["ansible_service_mgr"], "unknown");
}

#[test]
fn bad_arguments_come_back_as_bad_args_and_the_session_goes_on() {
    let test = Test::new();
    let root = test.root();
    std::fs::create_dir_all(&root).unwrap();
    let mut agent = session(&root);
    let bad = request(Builtin::File, json!({"path": "/x", "mdoe": "0644"}), false);
    match agent.run_module(&bad, &mut |_| {}).expect("reachable") {
        ModuleRun::BadArgs { message, .. } => assert!(message.contains("mdoe"), "{message}"),
        other => panic!("{other:?}"),
    }
    let good = request(
        Builtin::File,
        json!({"path": "/x", "state": "touch"}),
        false,
    );
    assert!(done(agent.run_module(&good, &mut |_| {}).expect("reachable")).changed);
    agent.close();
}

#[test]
fn a_module_past_its_timeout_is_stopped_by_the_agent_and_the_session_goes_on() {
    let test = Test::new();
    common::busybox_root(&test);
    let mut agent = session(&test.root());
    let mut slow = request(
        Builtin::Shell,
        json!({"cmd": "busybox sleep 30 && touch /finished"}),
        false,
    );
    slow.timeout = Some(std::time::Duration::from_secs(1));
    let started = std::time::Instant::now();
    let stopped = done(agent.run_module(&slow, &mut |_| {}).expect("reachable"));
    // Not a speed check: a shell that ran its 30 s would have touched the file.
    assert!(started.elapsed().as_secs() < 25, "{:?}", started.elapsed());
    assert!(stopped.failed && !stopped.changed, "{stopped:?}");
    assert_eq!(
        stopped.msg.as_deref(),
        Some("Task failed: Timed out after 1 second(s).")
    );
    assert_eq!(stopped.data["timedout"]["period"], json!(1));
    assert!(!test.root().join("finished").exists());
    let good = request(
        Builtin::File,
        json!({"path": "/x", "state": "touch"}),
        false,
    );
    assert!(done(agent.run_module(&good, &mut |_| {}).expect("reachable")).changed);
    agent.close();
}

/// A raw session: the agent's greeting read, `hello` sent, its answer returned.
fn raw_hello(hello: &Request) -> (Reply, std::process::Output) {
    let mut child = Command::new(machinist())
        .arg("agent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut output = child.stdout.take().unwrap();
    let greeting: Reply = read_message(&mut output).unwrap();
    assert!(matches!(greeting, Reply::Started { .. }), "{greeting:?}");
    let mut input = child.stdin.take().unwrap();
    write_message(&mut input, hello).unwrap();
    let reply: Reply = read_message(&mut output).unwrap();
    drop(input);
    (reply, child.wait_with_output().unwrap())
}

#[test]
fn another_version_or_executable_is_refused() {
    let test = Test::new();
    let hello = |version: &str, hash: &str| Request::Hello {
        version: version.into(),
        content_hash: Some(hash.into()),
        root: test.root(),
    };
    let own = AgentExe::at(&machinist())
        .unwrap()
        .sha256()
        .unwrap()
        .to_string();
    let (reply, ended) = raw_hello(&hello("0.0.1 (commit old)", &own));
    let Reply::Refused { message } = reply else {
        panic!("{reply:?}")
    };
    assert!(
        message.contains("0.0.1 (commit old)") && message.contains(VERSION),
        "{message}"
    );
    assert!(!ended.status.success());
    let (reply, _) = raw_hello(&hello(VERSION, &"0".repeat(64)));
    let Reply::Refused { message } = reply else {
        panic!("{reply:?}")
    };
    assert!(message.contains(&own), "{message}");
    // Handed over (machine's open executable): no hash to compare, the version still is.
    let handed = |version: &str| Request::Hello {
        version: version.into(),
        content_hash: None,
        root: test.root(),
    };
    assert!(matches!(raw_hello(&handed(VERSION)).0, Reply::Ready));
    assert!(matches!(
        raw_hello(&handed("0.0.1 (commit old)")).0,
        Reply::Refused { .. }
    ));
}

#[test]
fn garbage_on_the_agents_input_ends_it_with_a_message_never_a_panic() {
    for garbage in [
        b"\xff\xff\xff\xffGET / HTTP/1.1\r\n".to_vec(),
        b"\x00\x00\x00\x05\x01{\"ty".to_vec(),
        b"\x00\x00\x00\x02\x09x".to_vec(),
    ] {
        let mut child = Command::new(machinist())
            .arg("agent")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            let mut input = child.stdin.take().unwrap();
            use std::io::Write;
            input.write_all(&garbage).unwrap();
        }
        let ended = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&ended.stderr);
        assert_eq!(ended.status.code(), Some(1), "{stderr}");
        assert!(stderr.contains("machinist: error: agent:"), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
}

/// The cost of one no-change file task on an agent over a pipe, printed:
/// `cargo test --release --test agent_pipe per_request -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn per_request_cost_over_a_pipe() {
    let test = Test::new();
    let root = test.root();
    std::fs::create_dir_all(&root).unwrap();
    let mut agent = session(&root);
    let task = request(
        Builtin::Copy,
        json!({"dest": "/x", "content": "x\n"}),
        false,
    );
    agent.run_module(&task, &mut |_| {}).unwrap();
    let rounds = 5000;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        assert!(!done(agent.run_module(&task, &mut |_| {}).unwrap()).changed);
    }
    eprintln!(
        "pipe: {:?} per no-change copy task ({rounds} rounds)",
        started.elapsed() / rounds
    );
    agent.close();
}

#[test]
fn an_unarchive_of_a_controller_archive_is_streamed_to_the_agent() {
    let test = Test::new();
    let root = test.root();
    std::fs::create_dir_all(root.join("opt")).unwrap();
    let files = test.project().join("files");
    std::fs::create_dir_all(files.join("app")).unwrap();
    std::fs::write(files.join("app/readme"), "hello\n").unwrap();
    let archive = files.join("app.tar.gz");
    let made = Command::new("tar")
        .arg("czf")
        .arg(&archive)
        .arg("-C")
        .arg(&files)
        .arg("app")
        .status()
        .unwrap();
    assert!(made.success());
    let unarchive = request(
        Builtin::Unarchive,
        json!({"src": archive.display().to_string(), "dest": "/opt"}),
        false,
    );
    let mut agent = session(&root);
    let first = done(
        agent
            .run_module(&unarchive, &mut |_| {})
            .expect("reachable"),
    );
    assert!(first.changed && !first.failed, "{first:?}");
    let second = done(
        agent
            .run_module(&unarchive, &mut |_| {})
            .expect("reachable"),
    );
    assert!(!second.changed && !second.failed, "{second:?}");
    // A controller file that cannot be read fails the task; the agent goes on.
    let missing = request(
        Builtin::Unarchive,
        json!({"src": "/nonexistent/x.tar", "dest": "/opt"}),
        false,
    );
    let failed = done(agent.run_module(&missing, &mut |_| {}).expect("reachable"));
    assert!(failed.failed, "{failed:?}");
    agent.close();
    assert_eq!(test.read("opt/app/readme"), "hello\n");
}

#[test]
fn a_controller_file_argument_that_was_not_sent_is_refused() {
    let test = Test::new();
    std::fs::create_dir_all(test.root()).unwrap();
    let mut child = Command::new(machinist())
        .arg("agent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut output = child.stdout.take().unwrap();
    let mut input = child.stdin.take().unwrap();
    let _started: Reply = read_message(&mut output).unwrap();
    let hello = Request::Hello {
        version: VERSION.into(),
        content_hash: Some(
            AgentExe::at(&machinist())
                .unwrap()
                .sha256()
                .unwrap()
                .to_string(),
        ),
        root: test.root(),
    };
    write_message(&mut input, &hello).unwrap();
    assert!(matches!(read_message(&mut output).unwrap(), Reply::Ready));
    // A path of the target posing as the controller's copy source.
    let Value::Object(args) = json!({"dest": "/stolen", "_copy_from": "/etc/hostname"}) else {
        unreachable!()
    };
    let run = Request::RunModule {
        module: "copy".into(),
        args,
        check: false,
        keys_read: false,
        files: Vec::new(),
        root: None,
        async_limit: None,
        timeout: None,
    };
    write_message(&mut input, &run).unwrap();
    let reply: Reply = read_message(&mut output).unwrap();
    let Reply::Ran {
        run: ModuleRun::BadArgs { message, .. },
    } = reply
    else {
        panic!("{reply:?}")
    };
    assert!(message.contains("not sent"), "{message}");
    write_message(&mut input, &Request::Bye).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(!test.root().join("stolen").exists());
}

/// A copy of a directory through the agent: each file announced and sent, planned
/// there by the same module code (changed, then ok, then ok again without a byte
/// sent: the dests hold them); an announcement that leaves one of its files out is
/// refused by the agent.
#[test]
fn a_copy_of_a_directory_goes_through_the_agent_and_a_rerun_sends_no_byte() {
    let test = Test::new();
    std::fs::create_dir_all(test.root()).unwrap();
    let conf = test.project().join("files/conf");
    std::fs::create_dir_all(conf.join("sub")).unwrap();
    std::fs::write(conf.join("a"), "a\n").unwrap();
    std::fs::write(conf.join("sub/b"), "b\n").unwrap();
    std::fs::write(conf.join("sub/same-as-a"), "a\n").unwrap();
    let from = |name: &str| conf.join(name).display().to_string();
    let tree = json!({
        "src": format!("{}/", conf.display()),
        "entries": [
            {"path": "a", "from": from("a")},
            {"path": "sub", "from": null},
            {"path": "sub/b", "from": from("sub/b")},
            {"path": "sub/same-as-a", "from": from("sub/same-as-a")},
        ],
    });
    let copy = |check: bool| {
        request(
            Builtin::Copy,
            json!({"dest": "/etc/conf", "mode": "0600", "_copy_tree": tree}),
            check,
        )
    };
    let before = snapshot(&test.root());
    let mut agent = session(&test.root());
    let predicted = done(agent.run_module(&copy(true), &mut |_| {}).unwrap());
    agent.close();
    assert_eq!(snapshot(&test.root()), before, "check mode wrote");
    let mut agent = session(&test.root());
    let first = done(agent.run_module(&copy(false), &mut |_| {}).unwrap());
    let second = done(agent.run_module(&copy(false), &mut |_| {}).unwrap());
    // Two distinct contents: sent once each, for the first run; kept after.
    assert_eq!(agent.files_sent(), (2, 4));
    agent.close();
    assert!(
        predicted.changed && first.changed && !second.changed,
        "{first:?} {second:?}"
    );
    assert_eq!(predicted.diff, first.diff);
    assert_eq!(test.read("etc/conf/sub/b"), "b\n");
    assert_eq!(test.read("etc/conf/sub/same-as-a"), "a\n");
    assert_eq!(test.mode("etc/conf/a") & 0o7777, 0o600);

    // A new session (a rerun): the dests hold the bytes, none is sent.
    let mut agent = session(&test.root());
    let rerun = done(agent.run_module(&copy(false), &mut |_| {}).unwrap());
    assert_eq!(agent.files_sent(), (0, 0));
    agent.close();
    assert!(!rerun.changed && !rerun.failed, "{rerun:?}");

    let mut child = Command::new(machinist())
        .arg("agent")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut output = child.stdout.take().unwrap();
    let mut input = child.stdin.take().unwrap();
    let _started: Reply = read_message(&mut output).unwrap();
    let hello = Request::Hello {
        version: VERSION.into(),
        content_hash: Some(
            AgentExe::at(&machinist())
                .unwrap()
                .sha256()
                .unwrap()
                .to_string(),
        ),
        root: test.root(),
    };
    write_message(&mut input, &hello).unwrap();
    assert!(matches!(read_message(&mut output).unwrap(), Reply::Ready));
    let Value::Object(args) = json!({"dest": "/etc/other", "_copy_tree": tree}) else {
        unreachable!()
    };
    let run = Request::RunModule {
        module: "copy".into(),
        args,
        check: false,
        keys_read: false,
        files: Vec::new(),
        root: None,
        async_limit: None,
        timeout: None,
    };
    write_message(&mut input, &run).unwrap();
    let reply: Reply = read_message(&mut output).unwrap();
    let Reply::Ran {
        run: ModuleRun::BadArgs { message, .. },
    } = reply
    else {
        panic!("{reply:?}")
    };
    assert!(
        message.contains("names a controller file that was not sent"),
        "{message}"
    );
    write_message(&mut input, &Request::Bye).unwrap();
    assert!(child.wait().unwrap().success());
    assert!(!test.root().join("etc/other").exists());
}

#[test]
fn outcomes_through_the_agent_equal_the_local_ones_task_by_task() {
    use machinist::run::module_run::run_module;
    use machinist_modules::{Host, HostOptions};
    for check in [true, false] {
        let local = Test::new();
        let remote = Test::new();
        for test in [&local, &remote] {
            std::fs::create_dir_all(test.root().join("etc")).unwrap();
            std::fs::write(test.root().join("etc/motd"), "old\n").unwrap();
        }
        let host = Host::new(HostOptions { root: local.root() }).unwrap();
        let mut agent = session(&remote.root());
        let here = tasks(&local, check);
        let there = tasks(&remote, check);
        for (task_here, task_there) in here.iter().zip(&there) {
            let ran_here = done(run_module(&host, task_here, &mut |_| {}));
            let ran_there = done(
                agent
                    .run_module(task_there, &mut |_| {})
                    .expect("reachable"),
            );
            let shape = |o: &Outcome| {
                // The temp roots differ in name only; the registered keys name paths
                // inside the root.
                let text = serde_json::to_string(&o.registered()).unwrap();
                text.replace(&local.project().display().to_string(), "PROJECT")
                    .replace(&remote.project().display().to_string(), "PROJECT")
            };
            assert_eq!(shape(&ran_here), shape(&ran_there), "check: {check}");
        }
        agent.close();
        assert_eq!(
            snapshot(&local.root()),
            snapshot(&remote.root()),
            "check: {check}"
        );
    }
}

#[test]
fn the_become_password_flags_that_cannot_give_one_are_bad_input() {
    // Their use over ssh: tests/connections_ssh.rs.
    let test = Test::new();
    test.playbook("- hosts: localhost\n  gather_facts: false\n  tasks: []\n");
    let missing = test.run(&["--become-password-file", "missing"]);
    assert_eq!(missing.code, 4, "{missing:?}");
    assert!(
        missing.stderr.contains("--become-password-file"),
        "{missing:?}"
    );
    let mut ask = test.command(&["run", "site.yml", "--ask-become-pass"]);
    ask.stdin(std::process::Stdio::null());
    // A session of its own: no controlling terminal to ask on.
    use std::os::unix::process::CommandExt;
    unsafe {
        ask.pre_exec(|| rustix::process::setsid().map(drop).map_err(Into::into));
    }
    let asked = ask.output().unwrap();
    let stderr = String::from_utf8_lossy(&asked.stderr);
    assert_eq!(asked.status.code(), Some(4), "{stderr}");
    assert!(
        stderr.contains("--ask-become-pass needs a terminal"),
        "{stderr}"
    );
    test.project_file("pw", "secret\n");
    let given = test.run(&["--become-password-file", "pw"]);
    assert_eq!(given.code, 0, "{given:?}");
}

/// Peak resident memory of a process, KiB (VmHWM).
fn peak_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    let line = status.lines().find(|l| l.starts_with("VmHWM:")).unwrap();
    line.split_whitespace().nth(1).unwrap().parse().unwrap()
}

#[test]
fn a_file_larger_than_the_agents_memory_limit_streams_through_it() {
    let test = Test::new();
    let root = test.root();
    std::fs::create_dir_all(&root).unwrap();
    std::fs::create_dir_all(test.project()).unwrap();
    // Past the agent's default memory limit (256 MiB): held whole, it would stop.
    let size: u64 = 300 << 20;
    let source = test.project().join("huge");
    let file = std::fs::File::create(&source).unwrap();
    file.set_len(size).unwrap();
    let mut agent = session(&root);
    let copy = request(
        Builtin::Copy,
        json!({"dest": "/huge", "_copy_from": source.display().to_string()}),
        false,
    );
    let outcome = done(agent.run_module(&copy, &mut |_| {}).expect("reachable"));
    assert!(outcome.changed && !outcome.failed, "{outcome:?}");
    let peak = peak_kib(agent.process_id());
    agent.close();
    assert_eq!(std::fs::metadata(root.join("huge")).unwrap().len(), size);
    eprintln!(
        "agent peak RSS copying {} MiB: {} MiB",
        size >> 20,
        peak >> 10
    );
    assert!(peak < 128 << 10, "the agent held {} MiB", peak >> 10);
}
