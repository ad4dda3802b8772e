//! The fuzz targets' inputs on the stable toolchain, in the normal test run (issue 7):
//! every committed seed (fuzz/corpus/) and every crash ever found
//! (tests/fuzz-regressions/TARGET/, one file each, named after what it found) go
//! through the very code the cargo-fuzz targets run (tests/fuzzing/harness.rs); then
//! a few thousand deterministic mutations of the seeds (a fixed-seed generator:
//! the same inputs every run) do too. None may panic. This is also the fallback when
//! cargo-fuzz is not there: weaker than coverage-guided fuzzing, but always run.
//!
//! A crash found by `cargo fuzz run` becomes a regression: copy the artifact to
//! tests/fuzz-regressions/TARGET/WHAT-IT-BROKE, fix the bug, and this test keeps it fixed.

#[path = "fuzzing/harness.rs"]
mod harness;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use std::path::Path;

/// Mutations per target: enough to matter, cheap in a debug build (~2 s).
const MUTATIONS: usize = 1500;

fn files(dir: &Path) -> Vec<Vec<u8>> {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .map(|entries| entries.map(|e| e.expect("entry").path()).collect())
        .unwrap_or_default();
    paths.sort();
    paths
        .iter()
        .filter(|p| p.is_file())
        .map(|p| std::fs::read(p).expect("read"))
        .collect()
}

fn inputs(target: &str) -> Vec<Vec<u8>> {
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut all = files(&repo.join("fuzz/corpus").join(target));
    all.extend(files(&repo.join("tests/fuzz-regressions").join(target)));
    all
}

/// Byte-level mutations in the spirit of libFuzzer's: flip, insert, delete, splice,
/// repeat a slice, insert a token the grammar knows.
fn mutate(rng: &mut StdRng, seeds: &[Vec<u8>], tokens: &[&[u8]]) -> Vec<u8> {
    let mut data = seeds[rng.gen_range(0..seeds.len())].clone();
    for _ in 0..rng.gen_range(1..8) {
        let at = rng.gen_range(0..=data.len());
        match rng.gen_range(0..6) {
            0 if !data.is_empty() => {
                let i = rng.gen_range(0..data.len());
                data[i] ^= 1 << rng.gen_range(0..8);
            }
            1 => data.insert(at, rng.gen()),
            2 if at < data.len() => {
                let end = rng.gen_range(at..=data.len().min(at + 16));
                data.drain(at..end);
            }
            3 => {
                let other = &seeds[rng.gen_range(0..seeds.len())];
                let from = rng.gen_range(0..=other.len());
                let to = rng.gen_range(from..=other.len().min(from + 64));
                data.splice(at..at, other[from..to].iter().copied());
            }
            4 if at < data.len() => {
                let end = rng.gen_range(at..=data.len().min(at + 8));
                let piece = data[at..end].to_vec();
                for _ in 0..rng.gen_range(1..20) {
                    data.splice(at..at, piece.iter().copied());
                }
            }
            _ => {
                let token = tokens[rng.gen_range(0..tokens.len())];
                data.splice(at..at, token.iter().copied());
            }
        }
    }
    data.truncate(16 * 1024);
    data
}

#[test]
fn playbook_seeds_crashes_and_mutations_load_without_panic() {
    let seeds = inputs("playbook");
    assert!(seeds.len() >= 5, "no playbook seeds");
    for seed in &seeds {
        harness::playbook(seed);
    }
    let tokens: &[&[u8]] = &[
        b"\n- ",
        b": ",
        b"{{ ",
        b" }}",
        b"&a ",
        b"*a",
        b"<<: ",
        b"\t",
        b"[",
        b"]",
        b"{",
        b"}",
        b"block:\n",
        b"include_tasks: tasks.yml",
        b"roles: [r]",
        b"when: ",
        b"loop: ",
        b"'",
        b"\"",
        b"\x00",
        b"\xff",
        b"!!str ",
        b"? ",
        b"---\n",
        b"...\n",
        b"0644",
        b"~",
    ];
    let mut rng = StdRng::seed_from_u64(7);
    for _ in 0..MUTATIONS {
        harness::playbook(&mutate(&mut rng, &seeds, tokens));
    }
}

#[test]
fn template_seeds_crashes_and_mutations_render_without_panic() {
    let seeds = inputs("template");
    assert!(seeds.len() >= 5, "no template seeds");
    for seed in &seeds {
        harness::template(seed);
    }
    let tokens: &[&[u8]] = &[
        b"{{ ",
        b" }}",
        b"{% ",
        b" %}",
        b"{# ",
        b" #}",
        b"|",
        b"(",
        b")",
        b"[",
        b"]",
        b"'",
        b"\"",
        b"regex_replace('(', ')')",
        b"password_hash('sha256')",
        b"from_yaml",
        b"from_json",
        b"to_yaml",
        b"combine",
        b"flatten(99)",
        b"int",
        b"b64decode",
        b"version('1', '<')",
        b"lookup('vars', 's')",
        b"range(3)",
        b" is ",
        b" not ",
        b" and ",
        b"-",
        b"\\",
    ];
    let mut rng = StdRng::seed_from_u64(11);
    for _ in 0..MUTATIONS {
        harness::template(&mutate(&mut rng, &seeds, tokens));
    }
}

#[test]
fn agent_frame_seeds_crashes_and_mutations_decode_without_panic() {
    let seeds = inputs("agent_frames");
    assert!(seeds.len() >= 5, "no agent_frames seeds");
    for seed in &seeds {
        harness::agent_frames(seed);
    }
    let tokens: &[&[u8]] = &[
        b"\x00\x00\x00",
        b"\x00\x10\x00\x01",
        b"\xff\xff\xff\xff",
        b"\x01",
        b"\x02",
        b"\x03",
        b"{\"type\":",
        b"\"run_module\"",
        b"\"files\":[",
        b"null",
    ];
    let mut rng = StdRng::seed_from_u64(17);
    for _ in 0..MUTATIONS {
        harness::agent_frames(&mutate(&mut rng, &seeds, tokens));
    }
}
