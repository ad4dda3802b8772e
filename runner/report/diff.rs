//! Unified diffs for `--diff`, shaped like Ansible's (`--- before: PATH`, `+++ after:
//! PATH`, `@@` hunks with 3 lines of context, `\ No newline at end of file`, a blank line
//! after each diff), coloured line by line as Ansible does.

use crate::report::color::{Color, Painter};
use machinist_modules::Diff;
use similar::udiff::UnifiedHunkHeader;
use similar::{ChangeTag, TextDiff};

/// Lines of context around each change, as Ansible's default `DIFF_CONTEXT`.
const CONTEXT: usize = 3;

/// The diff as text, ending in a blank line; empty when before and after are the same.
pub(crate) fn render(diff: &Diff, paint: Painter) -> String {
    let text = TextDiff::from_lines(diff.before.as_str(), diff.after.as_str());
    let groups = text.grouped_ops(CONTEXT);
    if groups.is_empty() {
        return String::new();
    }
    let mut out = String::new();
    let mut line = |text: &str, color: Option<Color>| {
        match color {
            Some(color) => out.push_str(&paint.paint(text, color)),
            None => out.push_str(text),
        }
        out.push('\n');
    };
    line(&header("--- before", &diff.before_header), Some(Color::Red));
    line(&header("+++ after", &diff.after_header), Some(Color::Green));
    for group in &groups {
        line(
            &UnifiedHunkHeader::new(group).to_string(),
            Some(Color::Cyan),
        );
        for op in group {
            for change in text.iter_changes(op) {
                let (sign, color) = match change.tag() {
                    ChangeTag::Delete => ('-', Some(Color::Red)),
                    ChangeTag::Insert => ('+', Some(Color::Green)),
                    ChangeTag::Equal => (' ', None),
                };
                let value = change.value();
                let value = value.strip_suffix('\n').unwrap_or(value);
                line(&format!("{sign}{value}"), color);
                if change.missing_newline() {
                    line("\\ No newline at end of file", color);
                }
            }
        }
    }
    out.push('\n');
    out
}

/// `--- before: PATH`, or Ansible's bare `--- before` when there is no header.
fn header(lead: &str, name: &str) -> String {
    if name.is_empty() {
        lead.to_string()
    } else {
        format!("{lead}: {name}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAIN: Painter = Painter { enabled: false };

    #[test]
    fn hunks_with_context() {
        let before = "1\n2\n3\n4\n5\n6\n7\n8\n9\n";
        let after = "1\n2\n3\n4\nfive\n6\n7\n8\n9\n";
        assert_eq!(
            render(&Diff::of_path("/etc/x", before, after), PLAIN),
            "--- before: /etc/x\n+++ after: /etc/x\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+five\n 6\n 7\n 8\n\n"
        );
    }

    #[test]
    fn new_file_and_single_line_ranges() {
        assert_eq!(
            render(&Diff::of_path("/f", "", "a\n"), PLAIN),
            "--- before: /f\n+++ after: /f\n@@ -0,0 +1 @@\n+a\n\n"
        );
    }

    #[test]
    fn missing_trailing_newline_is_marked() {
        assert_eq!(
            render(&Diff::of_path("/f", "a\nb", "a\nb\n"), PLAIN),
            "--- before: /f\n+++ after: /f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+b\n\n"
        );
    }

    #[test]
    fn nothing_when_equal_or_empty() {
        assert_eq!(render(&Diff::of_path("/f", "", ""), PLAIN), "");
        assert_eq!(render(&Diff::of_path("/f", "same\n", "same\n"), PLAIN), "");
    }

    #[test]
    fn headers_fall_back_to_bare_words() {
        let diff = Diff {
            before_header: String::new(),
            after_header: String::new(),
            before: "a\n".into(),
            after: "b\n".into(),
        };
        assert!(render(&diff, PLAIN).starts_with("--- before\n+++ after\n@@ -1 +1 @@\n"));
    }

    #[test]
    fn colours_lines_like_ansible() {
        let out = render(
            &Diff::of_path("/f", "a\n", "b\n"),
            Painter { enabled: true },
        );
        assert_eq!(
            out,
            "\x1b[0;31m--- before: /f\x1b[0m\n\x1b[0;32m+++ after: /f\x1b[0m\n\x1b[0;36m@@ -1 +1 @@\x1b[0m\n\x1b[0;31m-a\x1b[0m\n\x1b[0;32m+b\x1b[0m\n\n"
        );
    }
}
