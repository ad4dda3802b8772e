//! `machinist completions SHELL` and `machinist man DIR`: shell completion scripts
//! (clap_complete) and man pages (clap_mangen), both generated from the one clap
//! definition of the command line (`crate::cli::Cli`), so they cannot drift from it.
//! The completion script goes to stdout; the pages are files, one per subcommand
//! (`machinist.1`, `machinist-run.1`, `machinist-role-install.1`, …).

use crate::cli::{Cli, CompletionShell};
use clap::CommandFactory;
use clap_complete::Shell;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

/// Writes the completion script for `shell` to stdout.
pub fn completions(shell: CompletionShell) -> io::Result<()> {
    let mut script = Vec::new();
    write_completions(shell, &mut script);
    let mut out = io::stdout().lock();
    out.write_all(&script)?;
    out.flush()
}

/// The completion script for `shell`, into `out`.
pub fn write_completions(shell: CompletionShell, out: &mut dyn Write) {
    let shell = match shell {
        CompletionShell::Bash => Shell::Bash,
        CompletionShell::Zsh => Shell::Zsh,
        CompletionShell::Fish => Shell::Fish,
    };
    clap_complete::generate(shell, &mut Cli::command(), "machinist", out);
}

/// Writes a man page for `machinist` and each visible subcommand into `dir` (created
/// if missing); returns the files written, sorted.
pub fn man_pages(dir: &Path) -> io::Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir)?;
    clap_mangen::generate_to(Cli::command(), dir)?;
    let mut written = Vec::new();
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if name.starts_with("machinist") && name.ends_with(".1") {
            written.push(path);
        }
    }
    written.sort();
    tracing::debug!(pages = written.len(), dir = %dir.display(), "man pages written");
    Ok(written)
}
