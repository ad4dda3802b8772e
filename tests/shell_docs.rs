//! What packaging ships beside the binary (issue 19), generated from the one clap
//! definition: `machinist completions bash|zsh|fish` (bash's script driven by bash
//! itself), the man pages of `machinist man DIR` (rendered by man(1)), and
//! `machinist --version` naming the commit.

mod common;

use common::Test;
use std::process::Command;

const SUBCOMMANDS: [&str; 6] = ["run", "role", "vault", "doc", "completions", "man"];

fn completions(shell: &str) -> String {
    let run = Test::new().machinist(&["completions", shell]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.is_empty(), "{}", run.stderr);
    run.stdout
}

#[test]
fn completion_scripts_name_every_subcommand_and_option() {
    for shell in ["bash", "zsh", "fish"] {
        let script = completions(shell);
        for word in SUBCOMMANDS.iter().chain(&[
            "--check",
            "--diff",
            "--extra-vars",
            "--skip-tags",
            "--root",
        ]) {
            let bare = word.trim_start_matches('-');
            assert!(
                script.contains(word) || (shell == "fish" && script.contains(bare)),
                "{shell}: no {word} in\n{script}"
            );
        }
    }
    assert!(completions("zsh").starts_with("#compdef machinist"));
    assert!(completions("fish").contains("complete -c machinist"));
    let bad = Test::new().machinist(&["completions", "tcsh"]);
    assert_eq!(bad.code, 4, "{}", bad.stderr);
}

/// bash itself completes `machinist ru` to `run` and `machinist run --ch` to `--check`.
#[test]
fn bash_completes_with_the_script() {
    let dir = tempfile::tempdir().expect("tempdir");
    let script = dir.path().join("machinist.bash");
    std::fs::write(&script, completions("bash")).expect("write");
    let complete = |line: &str| {
        let words: Vec<String> = line.split(' ').map(|w| format!("'{w}'")).collect();
        let words = words.join(" ");
        let program = format!(
            "source '{}'; COMP_WORDS=({words}); COMP_CWORD=$((${{#COMP_WORDS[@]}} - 1)); \
             COMP_LINE='{line}'; COMP_POINT=${{#COMP_LINE}}; \
             _machinist machinist \"${{COMP_WORDS[COMP_CWORD]}}\" \"${{COMP_WORDS[COMP_CWORD-1]}}\"; \
             printf '%s\\n' \"${{COMPREPLY[@]}}\"",
            script.display()
        );
        let output = Command::new("bash")
            .args(["--norc", "-c", &program])
            .output()
            .expect("bash");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    assert_eq!(complete("machinist ru").trim(), "run");
    assert!(complete("machinist run --ch")
        .lines()
        .any(|w| w == "--check"));
    assert!(complete("machinist role ").lines().any(|w| w == "install"));
}

#[test]
fn man_pages_for_every_subcommand() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("man1");
    let run = Test::new().machinist(&["man", out.to_str().expect("utf-8")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let mut pages: Vec<String> = std::fs::read_dir(&out)
        .expect("man dir")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    pages.sort();
    assert_eq!(
        pages,
        [
            "machinist-completions.1",
            "machinist-doc.1",
            "machinist-inventory.1",
            "machinist-man.1",
            "machinist-role-init.1",
            "machinist-role-install.1",
            "machinist-role-list.1",
            "machinist-role.1",
            "machinist-run.1",
            "machinist-vault-create.1",
            "machinist-vault-decrypt.1",
            "machinist-vault-edit.1",
            "machinist-vault-encrypt.1",
            "machinist-vault-encrypt_string.1",
            "machinist-vault-rekey.1",
            "machinist-vault-view.1",
            "machinist-vault.1",
            "machinist.1"
        ]
    );
    // man(1) renders them; the run page documents the run options.
    let rendered = Command::new("man")
        .arg("-l")
        .arg(out.join("machinist-run.1"))
        .env("MANWIDTH", "100")
        .env("MAN_KEEP_FORMATTING", "0")
        .output()
        .expect("man");
    assert!(rendered.status.success());
    // Without a terminal man still overstrikes bold (`X\bX`): keep the last of each.
    let overstruck = regex::Regex::new(".\x08").expect("regex");
    let text = overstruck
        .replace_all(&String::from_utf8_lossy(&rendered.stdout), "")
        .replace(['\u{2010}', '\u{2212}'], "-");
    for option in [
        "--check",
        "--diff",
        "--extra-vars",
        "--format",
        "--root",
        "--vault-password-file",
    ] {
        assert!(text.contains(option), "no {option} in\n{text}");
    }
    let top = std::fs::read_to_string(out.join("machinist.1")).expect("machinist.1");
    for sub in SUBCOMMANDS {
        assert!(
            top.contains(&format!("machinist\\-{sub}(1)")),
            "{sub} in\n{top}"
        );
    }
    assert!(top.contains(machinist::cli::VERSION.split(' ').next().unwrap_or("?")));
}

#[test]
fn version_names_the_commit() {
    let run = Test::new().machinist(&["--version"]);
    assert_eq!(run.code, 0);
    let version = run.stdout.trim();
    assert!(
        version.starts_with(&format!("machinist {} (commit ", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    let head = Command::new("git")
        .args([
            "-C",
            env!("CARGO_MANIFEST_DIR"),
            "rev-parse",
            "--short=12",
            "HEAD",
        ])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string());
    match head {
        // Built from a checkout: its commit.
        Some(head) => assert!(version.contains(&head), "{version} is not {head}"),
        // From a tarball: said so.
        None => assert!(version.ends_with("(commit unknown)"), "{version}"),
    }
}
