//! The agent benchmark: one module request on an established agent session, the agent
//! the real `machinist agent` over a pipe (the protocol, the framing, the module run
//! in another process, as the machine and ssh connections have it without their
//! transport). The task is a no-change `copy` of 2 bytes of content (the goal: under
//! 1 ms each, issue 17), then a no-change copy of a 1 MiB controller file (streamed in
//! frames every time). The median of five runs of N requests, per request.
//!
//! `cargo bench --bench agent` runs it; under `cargo test --all-targets` it is a smoke
//! test (N = 20, one run). The ssh and machine figures: the `#[ignore]`d
//! `per_request` tests of tests/agent_ssh.rs and tests/agent_machine.rs.

use machinist::agent::identity::AgentExe;
use machinist::connection::{AgentSession, Setup};
use machinist::run::module_run::{ModuleRequest, ModuleRun};
use machinist_modules::Builtin;
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_machinist");

fn request(args: Value) -> ModuleRequest {
    let Value::Object(args) = args else {
        panic!("a mapping")
    };
    ModuleRequest {
        builtin: Builtin::Copy,
        args,
        check: false,
        keys_read: false,
        async_limit: None,
        timeout: None,
    }
}

fn per_request(agent: &mut AgentSession, task: &ModuleRequest, rounds: u32) -> Duration {
    let started = Instant::now();
    for _ in 0..rounds {
        match agent.run_module(task, &mut |_| {}).expect("reachable") {
            ModuleRun::Done(outcome) => assert!(!outcome.changed && !outcome.failed),
            other => panic!("{other:?}"),
        }
    }
    started.elapsed() / rounds
}

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let (rounds, repeats) = if benching { (2000, 5) } else { (20, 1) };
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path().join("root");
    std::fs::create_dir_all(&root).expect("root");
    let source = dir.path().join("big");
    std::fs::write(&source, vec![7u8; 1 << 20]).expect("source");
    let mut command = Command::new(BIN);
    command.arg("agent").env_clear();
    let setup = Setup {
        agent: AgentExe::at(Path::new(BIN)).expect("hash machinist"),
        root,
    };
    let mut agent = AgentSession::start("bench", command, &setup, true, None).expect("agent");
    let small = request(json!({"dest": "/small", "content": "x\n"}));
    let big = request(json!({"dest": "/big", "_copy_from": source.display().to_string()}));
    for (name, task, rounds) in [
        ("no-change copy, 2 bytes of content", &small, rounds),
        ("no-change copy, 1 MiB controller file", &big, rounds / 10),
    ] {
        let _ = agent.run_module(task, &mut |_| {});
        let mut runs: Vec<Duration> = (0..repeats)
            .map(|_| per_request(&mut agent, task, rounds.max(1)))
            .collect();
        runs.sort();
        println!(
            "{name}: {:?} per request (median of {repeats} × {rounds})",
            runs[runs.len() / 2]
        );
    }
    agent.close();
}
