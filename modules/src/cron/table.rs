//! A crontab as lines, edited as ansible-core's cron module edits it (its `CronTab`
//! class, ported line for line): the `#Ansible: NAME` marker line above each job,
//! a job found by its marker or else by its exact line (which then gets a marker),
//! environment lines `NAME="VALUE"` on top or beside another, and the rendering with
//! one final newline. Only text here: where the crontab lives is spool.rs's.

/// The marker line's prefix, byte for byte Ansible's.
pub const MARKER: &str = "#Ansible: ";

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub lines: Vec<String>,
}

/// A job found: its marker and line; `inserted` when the marker was added (or
/// renamed) because the job was found by its line alone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoundJob {
    pub line: String,
    pub inserted: bool,
}

impl Table {
    /// A crontab's text as Python's `splitlines()` splits it.
    pub fn parse(text: &str) -> Table {
        Table {
            lines: split_lines(text),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.lines.iter().all(|line| line.trim().is_empty())
    }

    pub fn marker(name: &str) -> String {
        format!("{MARKER}{name}")
    }

    /// Ansible's `find_job`: the line after the marker named `name`, else a line equal
    /// to `job` (given a marker, or its empty marker renamed, when it has none).
    pub fn find_job(&mut self, name: &str, job: Option<&str>) -> Option<FoundJob> {
        let mut comment: Option<String> = None;
        for line in &self.lines {
            if let Some(found) = comment.take() {
                if found == name {
                    return Some(FoundJob {
                        line: line.clone(),
                        inserted: false,
                    });
                }
            } else if line.starts_with(MARKER) {
                comment = Some(line.replace(MARKER, ""));
            }
        }
        let job = job.filter(|job| !job.is_empty())?;
        for at in 0..self.lines.len() {
            if self.lines[at] != job {
                continue;
            }
            // Python's lines[i - 1] with i == 0 is the last line.
            let before = if at == 0 {
                self.lines.last().cloned().unwrap_or_default()
            } else {
                self.lines[at - 1].clone()
            };
            if !before.starts_with(MARKER) {
                self.lines.insert(at, Table::marker(name));
                return Some(FoundJob {
                    line: job.to_string(),
                    inserted: true,
                });
            }
            // Ansible's `do_comment(None)`: the marker of no name, "#Ansible: None".
            if !name.is_empty() && before == Table::marker("None") {
                let marker_at = if at == 0 {
                    self.lines.len() - 1
                } else {
                    at - 1
                };
                self.lines[marker_at] = Table::marker(name);
                return Some(FoundJob {
                    line: job.to_string(),
                    inserted: true,
                });
            }
        }
        None
    }

    pub fn add_job(&mut self, name: &str, job: &str) {
        self.lines.push(Table::marker(name));
        self.lines.push(job.to_string());
    }

    /// Ansible's `_update_job`: the line after each marker named `name` replaced by
    /// `job` (`None`: the marker and its line removed).
    pub fn update_job(&mut self, name: &str, job: Option<&str>) {
        let marker = Table::marker(name);
        let mut kept = Vec::with_capacity(self.lines.len() + 1);
        let mut comment: Option<String> = None;
        for line in std::mem::take(&mut self.lines) {
            if let Some(found) = comment.take() {
                if let Some(job) = job {
                    kept.push(found);
                    kept.push(job.to_string());
                }
            } else if line == marker {
                comment = Some(line);
            } else {
                kept.push(line);
            }
        }
        self.lines = kept;
    }

    /// Ansible's `find_env`: the first line `NAME=…`, with its index.
    pub fn find_env(&self, name: &str) -> Option<(usize, String)> {
        let prefix = format!("{name}=");
        self.lines
            .iter()
            .position(|line| line.starts_with(&prefix))
            .map(|at| (at, self.lines[at].clone()))
    }

    /// Ansible's `add_env`: on top, or after/before another variable's line (which
    /// must exist).
    pub fn add_env(
        &mut self,
        decl: &str,
        insertafter: Option<&str>,
        insertbefore: Option<&str>,
    ) -> Result<(), String> {
        let other = match (insertafter, insertbefore) {
            (None, None) => {
                self.lines.insert(0, decl.to_string());
                return Ok(());
            }
            (Some(other), _) | (None, Some(other)) => other,
        };
        match self.find_env(other) {
            Some((at, _)) => {
                let at = if insertafter.is_some() { at + 1 } else { at };
                self.lines.insert(at, decl.to_string());
                Ok(())
            }
            None => Err(format!("Variable named '{other}' not found.")),
        }
    }

    /// Ansible's `_update_env`: every `NAME=…` line replaced by `decl` (`None`:
    /// removed).
    pub fn update_env(&mut self, name: &str, decl: Option<&str>) {
        let prefix = format!("{name}=");
        let mut kept = Vec::with_capacity(self.lines.len());
        for line in std::mem::take(&mut self.lines) {
            if line.starts_with(&prefix) {
                kept.extend(decl.map(str::to_string));
            } else {
                kept.push(line);
            }
        }
        self.lines = kept;
    }

    /// The names of the jobs (their markers), as the result's `jobs`.
    pub fn job_names(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|line| line.starts_with(MARKER))
            .map(|line| line.replace(MARKER, ""))
            .collect()
    }

    /// The names of the variables (`^\S+=` lines), as the result's `envs`.
    pub fn env_names(&self) -> Vec<String> {
        self.lines
            .iter()
            .filter(|line| {
                let name = line.split('=').next().unwrap_or_default();
                line.contains('=') && !name.is_empty() && !name.contains(char::is_whitespace)
            })
            .map(|line| line.split('=').next().unwrap_or_default().to_string())
            .collect()
    }

    /// The crontab's text: the lines joined, trailing line breaks made one newline.
    pub fn render(&self) -> String {
        let joined = self.lines.join("\n");
        if joined.is_empty() {
            return joined;
        }
        let mut text = joined.trim_end_matches(['\r', '\n']).to_string();
        text.push('\n');
        text
    }
}

/// Ansible's job line: `[#]MIN HOUR DAY MONTH WEEKDAY [USER] JOB` or
/// `[#]@SPECIAL [USER] JOB` (the user only in a cron file).
pub fn job_line(when: &When, user: Option<&str>, job: &str, disabled: bool) -> String {
    let job = job.trim_matches(['\r', '\n']);
    let prefix = if disabled { "#" } else { "" };
    let user = user.map(|user| format!(" {user}")).unwrap_or_default();
    match when {
        When::Special(special) => format!("{prefix}@{special}{user} {job}"),
        When::Fields(fields) => format!("{prefix}{}{user} {job}", fields.join(" ")),
    }
}

/// When a job runs: the five fields, or a nickname (`@reboot`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum When {
    Fields([String; 5]),
    Special(String),
}

/// Python's `str.splitlines()`: \n, \r, \r\n and the other line boundaries Python
/// knows end a line; no empty last line for a final break.
pub fn split_lines(text: &str) -> Vec<String> {
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' | '\u{0b}' | '\u{0c}' | '\u{1c}' | '\u{1d}' | '\u{1e}' | '\u{85}' | '\u{2028}'
            | '\u{2029}' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }
    if !line.is_empty() {
        lines.push(line);
    }
    lines
}
