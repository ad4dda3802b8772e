//! Progress where work is long (issue 19): a large file write shows its bytes, total
//! and rate on a terminal (pacstrap's packages: tests/pacstrap_module.rs), as one line
//! redrawn in place; JSON has `progress` events for the same; nothing of it when the
//! output is not a terminal.

mod common;
use common::play;

use common::Test;

/// 12 MiB: over the 8 MiB from which a write reports progress.
const BIG: usize = 12 * 1024 * 1024;

fn big_copy(test: &Test) {
    let content: String = "0123456789abcde\n".repeat(BIG / 16);
    test.project_file("files/big.txt", &content);
    test.playbook(&play(
        "    - name: copy big\n      copy: {src: big.txt, dest: /big.txt}\n",
    ));
}

#[test]
fn a_large_copy_reports_bytes_in_json() {
    let test = Test::new();
    big_copy(&test);
    let run = test.run_json(&[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let progress: Vec<(u64, u64)> = run
        .events()
        .iter()
        .filter(|e| e["event"] == "progress")
        .map(|e| {
            assert_eq!(e["unit"], "bytes", "{e}");
            assert_eq!(e["task"], "copy big");
            assert_eq!(e["what"], "writing /big.txt");
            (
                e["done"].as_u64().unwrap_or_default(),
                e["total"].as_u64().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(progress.len(), 12, "{progress:?}");
    assert!(progress.iter().all(|&(_, total)| total == BIG as u64));
    assert!(progress.windows(2).all(|w| w[0].0 < w[1].0));
    assert_eq!(progress.last().map(|p| p.0), Some(BIG as u64));
    // A small write, and the second run (nothing written), report none.
    let again = test.run_json(&[]);
    assert!(!again.stdout.contains("\"progress\""), "{}", again.stdout);
}

#[test]
fn a_large_copy_draws_bytes_and_rate_on_a_terminal_only() {
    let test = Test::new();
    big_copy(&test);
    let terminal = test.run_on_terminal(&[]);
    assert_eq!(terminal.code, 0, "{}", terminal.stdout);
    let screen = &terminal.stdout;
    assert!(
        screen.contains("\r\x1b[Kwriting /big.txt "),
        "no progress line in {screen:?}"
    );
    let last = regex::Regex::new(
        r"writing /big\.txt +12\.0 MiB/12\.0 MiB [0-9.]+ [KMG]?i?B/s \[#{20}\] 100%",
    )
    .expect("regex");
    assert!(last.is_match(screen), "no finished line in {screen:?}");
    // The line is cleared before the result.
    assert!(
        screen.contains("100%\r\x1b[Kchanged: [localhost]"),
        "{screen:?}"
    );

    std::fs::remove_file(test.root().join("big.txt")).expect("rm");
    let piped = test.run(&[]);
    assert_eq!(piped.code, 0);
    assert!(!piped.stdout.contains("writing"), "{}", piped.stdout);
    assert!(!piped.stdout.contains('\r'), "{:?}", piped.stdout);
}
