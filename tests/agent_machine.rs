//! The `machine` connection against the booted debootstrapped container (its leader
//! named as `machinist_machine_pid` names it): the agent, this build's machinist
//! executed from a descriptor without being copied in, runs modules inside the
//! container's namespaces: a file (changed, then ok, seen from inside), a live unit
//! started and restarted (checked with `systemctl is-active` and its MainPID inside),
//! a networkd file templated in and networkd restarted,
//! check mode that records and leaves the container untouched, and facts read back. A
//! container that is not running is unreachable with a message that says so.

mod common;

use common::container;
use machinist::agent::identity::AgentExe;
use machinist::connection::{machine, AgentSession, Setup};
use machinist::run::module_run::{ModuleRequest, ModuleRun};
use machinist::run::outcome::Outcome;
use machinist_modules::Builtin;
use serde_json::{json, Value};
use std::path::PathBuf;

fn setup() -> Setup {
    Setup {
        agent: AgentExe::at(&PathBuf::from(env!("CARGO_BIN_EXE_machinist"))).unwrap(),
        root: "/".into(),
    }
}

fn run(agent: &mut AgentSession, builtin: Builtin, args: Value, check: bool) -> Outcome {
    let Value::Object(args) = args else { panic!() };
    let request = ModuleRequest {
        builtin,
        args,
        check,
        keys_read: false,
        async_limit: None,
        timeout: None,
    };
    match agent.run_module(&request, &mut |_| {}).expect("reachable") {
        ModuleRun::Done(outcome) => outcome,
        other => panic!("{other:?}"),
    }
}

#[test]
fn modules_run_inside_a_running_container_through_its_leader() {
    let turn = container::turn();
    let leader = Some(turn.leader());
    let mut agent = machine::start("box", "box", leader, &setup()).expect("reachable");

    // A file: changed, then ok; it is the container's.
    let file = json!({"path": "/srv/agent-machine", "content": "inside\n", "mode": "0600"});
    let first = run(&mut agent, Builtin::Copy, file.clone(), false);
    assert!(first.changed && !first.failed, "{first:?}");
    assert!(!run(&mut agent, Builtin::Copy, file, false).changed);
    assert_eq!(turn.says(&["cat", "/srv/agent-machine"]), "inside");

    // A live unit, started then restarted by the container's own systemd.
    let unit = json!({
        "name": "agent-sleeper.service",
        "content": "[Service]\nExecStart=/bin/sleep infinity\n",
        "state": "started",
        "daemon_reload": true,
    });
    let started = run(&mut agent, Builtin::Unit, unit.clone(), false);
    assert!(started.changed && !started.failed, "{started:?}");
    assert_eq!(
        turn.says(&["systemctl", "is-active", "agent-sleeper"]),
        "active"
    );
    assert!(!run(&mut agent, Builtin::Unit, unit, false).changed);
    let pid = || {
        turn.says(&[
            "systemctl",
            "show",
            "-p",
            "MainPID",
            "--value",
            "agent-sleeper",
        ])
    };
    let before = pid();
    let restart = json!({"name": "agent-sleeper", "state": "restarted"});
    assert!(run(&mut agent, Builtin::Unit, restart, false).changed);
    assert_eq!(
        turn.says(&["systemctl", "is-active", "agent-sleeper"]),
        "active"
    );
    assert_ne!(pid(), before, "restarted: a new main process");

    // A networkd file templated in (rendered content, as the runner hands it over),
    // and networkd restarted live.
    let network = json!({
        "dest": "/etc/systemd/network/90-agent-test.network",
        "content": "[Match]\nName=agent-none\n\n[Network]\nDHCP=no\n",
    });
    assert!(run(&mut agent, Builtin::Template, network, false).changed);
    let networkd = json!({"name": "systemd-networkd", "state": "restarted"});
    let restarted = run(&mut agent, Builtin::Unit, networkd, false);
    assert!(restarted.changed && !restarted.failed, "{restarted:?}");
    assert_eq!(
        turn.says(&["systemctl", "is-active", "systemd-networkd"]),
        "active"
    );
    let _ = turn.exec(&["rm", "-f", "/etc/systemd/network/90-agent-test.network"]);

    // Facts are the container's.
    let facts = agent.gather_facts(&Default::default()).expect("reachable");
    assert_eq!(facts["ansible_distribution"], "Debian");
    assert_eq!(facts["ansible_os_family"], "Debian");
    let machine_id = turn.says(&["cat", "/etc/machine-id"]);
    assert_eq!(facts["ansible_machine_id"], machine_id.as_str());
    assert_eq!(facts["ansible_service_mgr"], "systemd");
    assert_eq!(facts["ansible_virtualization_type"], "systemd-nspawn");
    assert_eq!(facts["ansible_virtualization_role"], "guest");
    // Its own network namespace: no default route on its private network.
    assert!(facts["ansible_default_ipv4"].is_object(), "{facts:?}");
    let hostname = turn.says(&["hostname"]);
    assert_eq!(
        facts["ansible_hostname"],
        hostname.split('.').next().unwrap()
    );
    agent.close();

    // Check mode inside: predicted, recorded, nothing written.
    let mut agent = machine::start("box", "box", leader, &setup()).expect("reachable");
    let file = json!({"path": "/srv/agent-machine-check", "content": "x"});
    assert!(run(&mut agent, Builtin::Copy, file, true).changed);
    let stop = json!({"name": "agent-sleeper", "state": "stopped"});
    assert!(run(&mut agent, Builtin::Unit, stop, true).changed);
    agent.close();
    assert_eq!(
        turn.says(&["systemctl", "is-active", "agent-sleeper"]),
        "active"
    );
    assert_eq!(
        turn.exec(&["test", "-e", "/srv/agent-machine-check"])
            .status
            .code(),
        Some(1)
    );
    let _ = turn.exec(&["systemctl", "stop", "agent-sleeper"]);
}

#[test]
fn a_container_that_is_not_running_is_unreachable_and_says_so() {
    // A pid no process has (beyond the default pid_max).
    let gone = machine::start("box", "box", Some(4_194_305), &setup()).err();
    let message = gone.expect("unreachable").message;
    assert!(message.contains("machine box is not running"), "{message}");
    // Without a leader, systemd-machined is asked; here it does not run.
    let unknown = machine::start("ghost", "ghost", None, &setup()).err();
    let message = unknown.expect("unreachable").message;
    assert!(message.contains("ghost"), "{message}");
    assert!(
        message.contains("not running") || message.contains("machinist_machine_pid"),
        "{message}"
    );
}

/// The cost of one no-change file task through `machine`, printed:
/// `cargo test --release --test agent_machine per_request -- --ignored --nocapture`.
#[test]
#[ignore = "a measurement, run by hand"]
fn per_request_cost_through_machine() {
    let turn = container::turn();
    let mut agent = machine::start("box", "box", Some(turn.leader()), &setup()).unwrap();
    let file = json!({"path": "/srv/agent-bench", "content": "x\n"});
    run(&mut agent, Builtin::Copy, file.clone(), false);
    let rounds = 2000;
    let started = std::time::Instant::now();
    for _ in 0..rounds {
        assert!(!run(&mut agent, Builtin::Copy, file.clone(), false).changed);
    }
    eprintln!(
        "machine: {:?} per no-change copy task ({rounds} rounds)",
        started.elapsed() / rounds
    );
    agent.close();
}

#[test]
fn an_agent_the_container_cannot_run_is_unreachable_with_the_reason() {
    let turn = container::turn();
    // An executable whose loader the container does not have: what a build against
    // another C library looks like at exec (this machine's `true`, its interpreter
    // renamed).
    let dir = tempfile::tempdir().unwrap();
    let foreign = dir.path().join("machinist");
    let mut bytes = std::fs::read("/bin/true").unwrap();
    let loader = b"/lib64/ld-linux-x86-64.so.2";
    let at = bytes
        .windows(loader.len())
        .position(|window| window == loader)
        .expect("a dynamically linked /bin/true");
    bytes[at + loader.len() - 1] = b'9';
    std::fs::write(&foreign, bytes).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o755)).unwrap();
    let setup = Setup {
        agent: AgentExe::at(&foreign).unwrap(),
        ..setup()
    };
    let err = machine::start("box", "box", Some(turn.leader()), &setup).err();
    let message = err.expect("unreachable").message;
    assert!(message.contains("No such file or directory"), "{message}");
    assert!(message.contains("static"), "{message}");
}
