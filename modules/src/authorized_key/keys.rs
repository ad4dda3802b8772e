//! authorized_keys lines: a key is `[OPTIONS] TYPE BLOB [COMMENT]`, known by its type
//! and blob; the file edited with the given keys added, rewritten in place, or removed.

use crate::ModuleError;

/// One key line, taken apart.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyLine {
    pub options: Option<String>,
    pub kind: String,
    pub blob: String,
    pub comment: Option<String>,
}

impl KeyLine {
    pub fn line(&self) -> String {
        let mut line = String::new();
        if let Some(options) = &self.options {
            line.push_str(options);
            line.push(' ');
        }
        line.push_str(&self.kind);
        line.push(' ');
        line.push_str(&self.blob);
        if let Some(comment) = &self.comment {
            line.push(' ');
            line.push_str(comment);
        }
        line
    }

    fn same_key(&self, other: &KeyLine) -> bool {
        self.kind == other.kind && self.blob == other.blob
    }
}

fn is_key_type(word: &str) -> bool {
    word.starts_with("ssh-")
        || word.starts_with("ecdsa-sha2-")
        || word.starts_with("sk-")
        || word.contains("@openssh.com")
}

/// Split off a leading options field (it may hold quoted spaces).
fn split_options(line: &str) -> (Option<&str>, &str) {
    let first_word = line.split_whitespace().next().unwrap_or("");
    if is_key_type(first_word) {
        return (None, line);
    }
    let mut quoted = false;
    for (at, c) in line.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                return (Some(&line[..at]), line[at..].trim_start())
            }
            _ => {}
        }
    }
    (Some(line), "")
}

/// A key line, or `None` for a comment, a blank or something else.
pub fn parse(line: &str) -> Option<KeyLine> {
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return None;
    }
    let (options, rest) = split_options(line);
    let mut words = rest.splitn(3, char::is_whitespace);
    let kind = words.next().filter(|w| is_key_type(w))?;
    let blob = words.next().filter(|b| !b.is_empty())?;
    let comment = words.next().map(str::trim).filter(|c| !c.is_empty());
    Some(KeyLine {
        options: options.map(str::to_string),
        kind: kind.to_string(),
        blob: blob.to_string(),
        comment: comment.map(str::to_string),
    })
}

/// The given keys, with `key_options` and `comment` applied to each.
pub fn parse_given(
    text: &str,
    key_options: Option<&str>,
    comment: Option<&str>,
) -> Result<Vec<KeyLine>, ModuleError> {
    let mut keys = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        let mut key = parse(trimmed).ok_or_else(|| {
            ModuleError::invalid("key", format!("invalid key specified: {trimmed}"))
        })?;
        if let Some(options) = key_options {
            key.options = Some(options.to_string()).filter(|o| !o.is_empty());
        }
        if let Some(comment) = comment {
            key.comment = Some(comment.to_string());
        }
        keys.push(key);
    }
    if keys.is_empty() {
        return Err(ModuleError::invalid("key", "no key given"));
    }
    Ok(keys)
}

/// The file with every wanted key in it (rewritten in place when it differs, appended
/// when missing); with `exclusive` nothing else but them.
pub fn with_keys(current: &str, wanted: &[KeyLine], exclusive: bool) -> String {
    let mut placed = vec![false; wanted.len()];
    let mut lines: Vec<String> = Vec::new();
    for line in current.lines() {
        let Some(existing) = parse(line) else {
            if !exclusive {
                lines.push(line.to_string());
            }
            continue;
        };
        match wanted.iter().position(|w| w.same_key(&existing)) {
            Some(at) if !placed[at] => {
                placed[at] = true;
                if wanted[at] == existing {
                    lines.push(line.to_string());
                } else {
                    lines.push(wanted[at].line());
                }
            }
            Some(_) => {}
            None if !exclusive => lines.push(line.to_string()),
            None => {}
        }
    }
    for (key, done) in wanted.iter().zip(placed) {
        if !done {
            lines.push(key.line());
        }
    }
    finish(current, lines)
}

/// The file without the given keys.
pub fn without_keys(current: &str, unwanted: &[KeyLine]) -> String {
    let lines = current
        .lines()
        .filter(|line| !parse(line).is_some_and(|key| unwanted.iter().any(|u| u.same_key(&key))))
        .map(str::to_string)
        .collect();
    finish(current, lines)
}

fn finish(current: &str, lines: Vec<String>) -> String {
    let text: String = lines.iter().map(|line| format!("{line}\n")).collect();
    if text.trim_end() == current.trim_end() && !current.is_empty() {
        return current.to_string();
    }
    text
}
