//! Prints a [`Diagnostic`] the way compilers do: `file:line:col: message`, then the
//! line it points at with a caret under the spot.

use crate::error::{Diagnostic, SourceMap};
use std::fmt::Write;

pub fn render(diag: &Diagnostic, sources: &SourceMap, color: bool) -> String {
    let (red, bold, blue, reset) = if color {
        ("\x1b[31m", "\x1b[1m", "\x1b[34m", "\x1b[0m")
    } else {
        ("", "", "", "")
    };
    let mut out = String::new();
    let Some(span) = &diag.span else {
        let _ = writeln!(out, "{red}{bold}error{reset}: {}", diag.message);
        return out;
    };
    let _ = writeln!(
        out,
        "{bold}{span}{reset}: {red}{bold}error{reset}: {}",
        diag.message
    );
    if let Some(text) = sources.line(&span.file, span.line) {
        let number = span.line.to_string();
        let pad = " ".repeat(number.len());
        let text = text.replace('\t', " ");
        let indent: String = text
            .chars()
            .take(span.col.saturating_sub(1) as usize)
            .map(|c| if c.is_whitespace() { c } else { ' ' })
            .collect();
        let caret = "^".repeat(span.len.max(1) as usize);
        let _ = writeln!(out, "{blue}{pad} |{reset}");
        let _ = writeln!(out, "{blue}{number} |{reset} {text}");
        let _ = writeln!(out, "{blue}{pad} |{reset} {indent}{red}{caret}{reset}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Span;
    use std::path::Path;
    use std::sync::Arc;

    #[test]
    fn points_a_caret_at_the_column() {
        let sources = SourceMap::default();
        let file: Arc<Path> = Arc::from(Path::new("site.yml"));
        sources.insert(
            &file,
            Arc::from("- hosts: localhost\n  tasks:\n    - file: {mdoe: x}\n"),
        );
        let diag = Diagnostic::at(
            &Span {
                file,
                line: 3,
                col: 14,
                len: 4,
            },
            "unknown argument 'mdoe' for module file (did you mean 'mode'?)",
        );
        assert_eq!(
            render(&diag, &sources, false),
            "site.yml:3:14: error: unknown argument 'mdoe' for module file (did you mean 'mode'?)\n  |\n3 |     - file: {mdoe: x}\n  |              ^^^^\n"
        );
    }
}
