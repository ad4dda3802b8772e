//! Commands that speak in plain lines (`machinist role …`): what to say is theirs
//! (roles/output.rs), writing it is here, one line on stdout each. A closed pipe is
//! not an error worth reporting (`machinist role list | head -1`).

use std::io::Write;

/// Print one line on stdout.
pub fn print_line(text: &str) {
    let _ = writeln!(std::io::stdout().lock(), "{text}");
}
