//! Fuzz target: playbook loading. Any bytes as `site.yml` (with a role, a task file and
//! a template beside it for the input to reach) must load or give located errors:
//! never panic, never hang, never take unbounded memory.

#![no_main]

#[path = "../../tests/fuzzing/harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::playbook(data));
