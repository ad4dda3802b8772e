//! Prints a [`Diagnostic`] the way compilers do: `file:line:col: message`, then the
//! line it points at with a caret under the spot. A very long line (a minified or
//! hostile file) is shown as a window around the spot, and control characters as
//! U+FFFD, so an error message stays one screen of plain text.

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
        let (text, col) = window(&text, span.col.saturating_sub(1) as usize);
        let indent: String = text
            .chars()
            .take(col)
            .map(|c| if c.is_whitespace() { c } else { ' ' })
            .collect();
        let room = text.chars().count().saturating_sub(col).max(1);
        let caret = "^".repeat((span.len.max(1) as usize).min(room));
        let _ = writeln!(out, "{blue}{pad} |{reset}");
        let _ = writeln!(out, "{blue}{number} |{reset} {text}");
        let _ = writeln!(out, "{blue}{pad} |{reset} {indent}{red}{caret}{reset}");
    }
    out
}

/// Lines longer than this are shown as a window around the spot.
const MAX_SHOWN: usize = 120;

/// The line as shown (tabs as spaces, control characters as U+FFFD, at most
/// MAX_SHOWN characters around `col` with `…` where it was cut), and where `col`
/// (0-based, in characters) falls in it.
fn window(line: &str, col: usize) -> (String, usize) {
    let chars: Vec<char> = line
        .chars()
        .map(|c| match c {
            '\t' => ' ',
            c if c.is_control() => '\u{fffd}',
            c => c,
        })
        .collect();
    if chars.len() <= MAX_SHOWN {
        return (chars.into_iter().collect(), col);
    }
    let start = col
        .saturating_sub(MAX_SHOWN / 2)
        .min(chars.len() - MAX_SHOWN);
    let end = start + MAX_SHOWN;
    let mut shown = String::new();
    if start > 0 {
        shown.push('…');
    }
    shown.extend(&chars[start..end]);
    if end < chars.len() {
        shown.push('…');
    }
    (shown, col - start + usize::from(start > 0))
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
                file: file.into(),
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

    #[test]
    fn long_lines_are_shown_around_the_spot() {
        let line = format!("{}X{}", "a".repeat(1000), "b".repeat(1000));
        let (shown, col) = window(&line, 1000);
        assert_eq!(shown.chars().count(), MAX_SHOWN + 2);
        assert!(shown.starts_with('…') && shown.ends_with('…'), "{shown}");
        assert_eq!(shown.chars().nth(col), Some('X'));
        let (start, col) = window(&format!("X{}", "b".repeat(500)), 0);
        assert_eq!((start.chars().next(), col), (Some('X'), 0));
        let (end, col) = window(&format!("{}X", "a".repeat(500)), 500);
        assert_eq!(end.chars().nth(col), Some('X'));
        assert!(!end.ends_with('…'));
        assert_eq!(window("a\tb\u{0}c", 4), ("a b\u{fffd}c".to_string(), 4));
    }
}
