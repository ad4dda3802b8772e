//! Errors that end a run before or outside the task stream: bad input (with carets)
//! and internal errors. They go to stderr; stdout stays the reporters' alone. Vaulted
//! values are masked in both (`vault::revealed`).

use crate::error::{Diagnostic, SourceMap};
use std::io::Write;

/// Print every diagnostic of bad input, then how many there were.
pub fn print_errors(diags: &[Diagnostic], sources: &SourceMap, color: bool) {
    let mut err = std::io::stderr().lock();
    for diag in diags {
        let text = super::diagnostic::render(diag, sources, color);
        let _ = write!(err, "{}", crate::revealed::mask(&text));
    }
    if diags.len() > 1 {
        let _ = writeln!(err, "{} errors; nothing was run", diags.len());
    }
}

/// Print an error that is machinist's fault or the machine's, not the playbook's.
pub fn print_internal_error(error: &dyn std::fmt::Display) {
    let text = error.to_string();
    let _ = writeln!(
        std::io::stderr().lock(),
        "machinist: error: {}",
        crate::revealed::mask(&text)
    );
}
