//! Fuzz target: the agent protocol's frame decoder, decoding requests and replies
//! from arbitrary bytes (see tests/fuzzing/harness.rs). Errors are fine; panics,
//! hangs and runaway memory are not.

#![no_main]

#[path = "../../tests/fuzzing/harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::agent_frames(data));
