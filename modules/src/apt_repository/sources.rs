//! apt's one-line sources files as Ansible's apt_repository reads and rewrites them
//! (its `SourcesList`): every line parsed into enabled/disabled, valid (`deb`,
//! `deb-src`) or not, source and trailing comment; a file written back in Ansible's
//! normal form (`# ` before a disabled line, single spaces between a valid source's
//! words, ` # ` before a comment), and left out when it has no lines.

use std::collections::BTreeMap;

pub const MAIN: &str = "/etc/apt/sources.list";
pub const PARTS: &str = "/etc/apt/sources.list.d";
const TYPES: [&str; 2] = ["deb", "deb-src"];

/// One line of a sources file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub valid: bool,
    pub enabled: bool,
    pub source: String,
    pub comment: String,
}

impl Line {
    /// Ansible's `_parse`: a leading `#` disables the line, a later `#` starts its
    /// comment, a valid source's words are joined by single spaces.
    pub fn parse(text: &str) -> Line {
        let mut line = text.trim();
        let enabled = !line.starts_with('#');
        if !enabled {
            line = &line[1..];
        }
        let mut comment = String::new();
        if let Some(at) = line.find('#').filter(|at| *at > 0) {
            comment = line[at + 1..].trim().to_string();
            line = &line[..at];
        }
        let mut source = line.trim().to_string();
        let words: Vec<&str> = source.split_whitespace().collect();
        let valid = words.first().is_some_and(|word| TYPES.contains(word));
        if valid {
            source = words.join(" ");
        }
        Line {
            valid,
            enabled,
            source,
            comment,
        }
    }

    /// The line as Ansible writes it back.
    fn render(&self) -> String {
        let mut text = String::new();
        if !self.enabled {
            text.push_str("# ");
        }
        text.push_str(&self.source);
        if !self.comment.is_empty() {
            text.push_str(" # ");
            text.push_str(&self.comment);
        }
        text.push('\n');
        text
    }
}

/// The repository line a task names, as Ansible checks it: a valid, enabled source;
/// else the message Ansible fails with (`Invalid repository string: …`, naming the
/// line as its parser left it).
pub fn parse_repo(repo: &str) -> Result<String, String> {
    let line = Line::parse(repo);
    if line.valid && line.enabled {
        return Ok(line.source);
    }
    let mut shown = repo.trim();
    if let Some(rest) = shown.strip_prefix('#') {
        shown = rest;
    }
    if let Some(at) = shown.find('#').filter(|at| *at > 0) {
        shown = &shown[..at];
    }
    Err(format!("Invalid repository string: {shown}"))
}

/// Every sources file read, by its path in the target.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sources {
    pub files: BTreeMap<String, Vec<Line>>,
}

impl Sources {
    pub fn load(&mut self, path: &str, text: &str) {
        let lines = text.split_inclusive('\n').map(Line::parse).collect();
        self.files.insert(path.to_string(), lines);
    }

    /// Ansible's `dump`: each file with lines, in its normal form.
    pub fn dump(&self) -> BTreeMap<String, String> {
        self.files
            .iter()
            .filter(|(_, lines)| !lines.is_empty())
            .map(|(path, lines)| (path.clone(), lines.iter().map(Line::render).collect()))
            .collect()
    }

    /// Ansible's `_add_valid_source`: every line of the source anywhere (commented
    /// out or not) enabled; if there is none, the source appended to `file`. Whether
    /// it was appended.
    pub fn add(&mut self, source: &str, file: &str) -> bool {
        let mut found = false;
        for line in self.files.values_mut().flatten() {
            if line.valid && line.source == source {
                line.enabled = true;
                found = true;
            }
        }
        if !found {
            self.files.entry(file.to_string()).or_default().push(Line {
                valid: true,
                enabled: true,
                source: source.to_string(),
                comment: String::new(),
            });
        }
        !found
    }

    /// Ansible's `_remove_valid_source`: every enabled line of the source removed
    /// (commented-out ones stay).
    pub fn remove(&mut self, source: &str) {
        for lines in self.files.values_mut() {
            lines.retain(|line| !(line.valid && line.enabled && line.source == source));
        }
    }
}

/// Ansible's `_suggest_filename`: the repository's host and path (options, scheme and
/// credentials dropped) with every run of other characters made one `_`, or the
/// task's `filename`; `.list` appended.
pub fn suggest_filename(source: &str, filename: Option<&str>) -> String {
    if let Some(filename) = filename {
        return format!("{filename}.list");
    }
    let mut line = String::new();
    let mut in_options = false;
    for c in source.chars() {
        match c {
            '[' if !in_options => in_options = true,
            ']' if in_options => in_options = false,
            _ if in_options => {}
            _ => line.push(c),
        }
    }
    // `[` without a closing `]` is kept, as Ansible's `\[[^\]]+\]` keeps it.
    if in_options {
        line = source.to_string();
    }
    let first = line
        .split_whitespace()
        .filter(|word| !TYPES.contains(word))
        .map(strip_scheme)
        .next()
        .unwrap_or_default();
    let first = first
        .split_once('@')
        .map_or(first.as_str(), |(_, host)| host);
    let cleaned: String = first
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { ' ' })
        .collect();
    format!(
        "{}.list",
        cleaned.split_whitespace().collect::<Vec<_>>().join("_")
    )
}

/// `\w+://` removed (the first occurrence of each in the word, as re.sub does for all).
fn strip_scheme(word: &str) -> String {
    let mut rest = word;
    let mut out = String::new();
    while let Some(at) = rest.find("://") {
        let head = &rest[..at];
        let keep = head.trim_end_matches(|c: char| c.is_alphanumeric() || c == '_');
        if keep.len() == head.len() {
            out.push_str(&rest[..at + 3]);
        } else {
            out.push_str(keep);
        }
        rest = &rest[at + 3..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_parse_and_render_as_ansibles_do() {
        let line = Line::parse("  #deb   http://x/debian  stable main #  note \n");
        assert_eq!(
            line,
            Line {
                valid: true,
                enabled: false,
                source: "deb http://x/debian stable main".into(),
                comment: "note".into()
            }
        );
        assert_eq!(line.render(), "# deb http://x/debian stable main # note\n");
        assert_eq!(Line::parse("##x").render(), "# #x\n");
        assert_eq!(Line::parse("\n").render(), "\n");
        assert!(!Line::parse("debian stuff").valid);
    }

    #[test]
    fn filenames_are_derived_as_ansible_derives_them() {
        assert_eq!(
            suggest_filename("deb http://deb.debian.org/debian bookworm main", None),
            "deb_debian_org_debian.list"
        );
        assert_eq!(
            suggest_filename(
                "deb [arch=amd64 signed-by=/k.gpg] https://user:pw@repo.example.com/apt/ stable main",
                None
            ),
            "repo_example_com_apt.list"
        );
        assert_eq!(
            suggest_filename("deb file:///srv/repo ./", None),
            "srv_repo.list"
        );
        assert_eq!(suggest_filename("deb x y", Some("mine")), "mine.list");
    }

    #[test]
    fn a_repo_is_added_once_enabled_and_removed_where_enabled() {
        let mut sources = Sources::default();
        sources.load(MAIN, "# deb http://a s m\ndeb http://b s m\n");
        assert!(!sources.add("deb http://a s m", "/etc/apt/sources.list.d/a.list"));
        assert_eq!(sources.dump()[MAIN], "deb http://a s m\ndeb http://b s m\n");
        assert!(sources.add("deb http://c s m", "/etc/apt/sources.list.d/c.list"));
        sources.remove("deb http://b s m");
        assert_eq!(sources.dump()[MAIN], "deb http://a s m\n");
        assert_eq!(
            parse_repo("foo bar"),
            Err("Invalid repository string: foo bar".into())
        );
        assert_eq!(
            parse_repo("# deb x"),
            Err("Invalid repository string:  deb x".into())
        );
    }
}
