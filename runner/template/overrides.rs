//! A template's `#jinja2:` first line, as ansible-core reads it: settings for that one
//! template (`#jinja2: lstrip_blocks: True, trim_blocks: False`), the line itself not
//! part of the output. Pairs are `key: Python literal`, separated by commas.
//!
//! machinist renders with four prepared environments (trim_blocks × lstrip_blocks), so
//! it takes those two, `keep_trailing_newline` and `newline_sequence`; ansible-core's
//! other keys (other delimiters, line statements) are refused with an error that says
//! so, never ignored.

/// The header's prefix.
const HEADER: &str = "#jinja2:";

/// What a header sets (`None`: what the caller chose).
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Overrides {
    pub trim_blocks: Option<bool>,
    pub lstrip_blocks: Option<bool>,
    pub keep_trailing_newline: Option<bool>,
    pub newline_sequence: Option<&'static str>,
}

/// ansible-core's keys that machinist does not take.
const UNSUPPORTED: [&str; 8] = [
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
];

/// A newline sequence written as a Python string literal (`'\r\n'`), one of the three
/// Jinja allows.
pub(crate) fn newline_sequence(text: &str) -> Option<&'static str> {
    let inner = text
        .strip_prefix('\'')
        .and_then(|t| t.strip_suffix('\''))
        .or_else(|| text.strip_prefix('"').and_then(|t| t.strip_suffix('"')))
        .unwrap_or(text);
    match inner {
        "\\n" | "\n" => Some("\n"),
        "\\r\\n" | "\r\n" => Some("\r\n"),
        "\\r" | "\r" => Some("\r"),
        _ => None,
    }
}

/// The template without its header line, and what the header set; a source without
/// a header comes back whole with no overrides.
pub(crate) fn split(source: &str) -> Result<(&str, Overrides), String> {
    let Some(rest) = source.strip_prefix(HEADER) else {
        return Ok((source, Overrides::default()));
    };
    let Some((line, body)) = rest.split_once('\n') else {
        return Err(format!("missing newline after the '{HEADER}' line"));
    };
    let mut overrides = Overrides::default();
    for pair in line.split(',') {
        let Some((key, value)) = pair.split_once(':') else {
            return Err(format!(
                "missing ':' in the '{HEADER}' pair '{}'",
                pair.trim()
            ));
        };
        let key = key.trim();
        if key == "newline_sequence" {
            overrides.newline_sequence = Some(newline_sequence(value.trim()).ok_or_else(|| {
                format!(
                    "'{HEADER}' newline_sequence: {} is not '\\n', '\\r\\n' or '\\r'",
                    value.trim()
                )
            })?);
            continue;
        }
        let slot = match key {
            "trim_blocks" => &mut overrides.trim_blocks,
            "lstrip_blocks" => &mut overrides.lstrip_blocks,
            "keep_trailing_newline" => &mut overrides.keep_trailing_newline,
            _ if UNSUPPORTED.contains(&key) => {
                return Err(format!(
                    "'{HEADER}' {key} is not supported by machinist \
                     (trim_blocks, lstrip_blocks, keep_trailing_newline and \
                     newline_sequence are)"
                ))
            }
            _ => return Err(format!("unknown '{HEADER}' key '{key}'")),
        };
        *slot = match value.trim() {
            "True" => Some(true),
            "False" => Some(false),
            other => return Err(format!("'{HEADER}' {key}: {other} is not True or False")),
        };
    }
    Ok((body, overrides))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_header_sets_what_it_names_and_leaves_the_line_out() {
        let (body, set) = split("#jinja2: lstrip_blocks: True\nx\n").unwrap();
        assert_eq!(body, "x\n");
        assert_eq!(set.lstrip_blocks, Some(true));
        assert_eq!(set.trim_blocks, None);
        let (_, set) = split("#jinja2:trim_blocks: False, keep_trailing_newline: True\n").unwrap();
        assert_eq!(set.trim_blocks, Some(false));
        assert_eq!(set.keep_trailing_newline, Some(true));
        let (_, set) = split("#jinja2: newline_sequence: '\\r\\n'\n").unwrap();
        assert_eq!(set.newline_sequence, Some("\r\n"));
        assert_eq!(
            split("no header\n").unwrap(),
            ("no header\n", Overrides::default())
        );
    }

    #[test]
    fn what_it_cannot_honour_is_refused() {
        assert!(split("#jinja2: lstrip_blocks: True")
            .unwrap_err()
            .contains("newline"));
        assert!(split("#jinja2: lstrip_blocks: yes\n")
            .unwrap_err()
            .contains("True or False"));
        assert!(split("#jinja2: variable_start_string: '[%'\n")
            .unwrap_err()
            .contains("not supported"));
        assert!(split("#jinja2: trimblocks: True\n")
            .unwrap_err()
            .contains("unknown"));
        assert!(split("#jinja2: trim_blocks True\n")
            .unwrap_err()
            .contains("missing ':'"));
    }
}
