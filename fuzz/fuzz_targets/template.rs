//! Fuzz target: template rendering with the Ansible filters and tests; the first byte
//! picks the way of rendering (see tests/fuzzing/harness.rs). Errors are fine; panics,
//! hangs and runaway memory are not.

#![no_main]

#[path = "../../tests/fuzzing/harness.rs"]
mod harness;

libfuzzer_sys::fuzz_target!(|data: &[u8]| harness::template(data));
