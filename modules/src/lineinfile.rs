//! The lineinfile module (Ansible's `ansible.builtin.lineinfile`): one line present or
//! absent in a text file, found by `regexp`, `search_string` or the line itself, with
//! Ansible's exact rules for where a new line goes (insertafter/insertbefore, BOF/EOF,
//! firstmatch) and for backrefs. The reading, writing, backup, validate and file
//! attributes are [`crate::edit`]'s.
//!
//! Ansible matches `regexp` against each line with its newline; here the newline is
//! cut first, which is the same for every pattern that does not spell `\n` (Python's
//! `$` matches before a final newline, the regex crate's does not).

pub(crate) mod doc;

use crate::edit::{self, Common, Edit, TextFile};
use crate::file::{IdArg, ModeArg};
use crate::{Host, Module, ModuleError, Plan};
use regex::bytes::Regex;
use serde::Deserialize;

pub use crate::presence::Presence as State;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(alias = "dest", alias = "destfile", alias = "name")]
    pub path: String,
    #[serde(default)]
    pub state: State,
    #[serde(alias = "regex")]
    pub regexp: Option<String>,
    pub search_string: Option<String>,
    #[serde(
        alias = "value",
        default,
        deserialize_with = "crate::file::text_or_scalar"
    )]
    pub line: Option<String>,
    pub insertafter: Option<String>,
    pub insertbefore: Option<String>,
    #[serde(default)]
    pub backrefs: bool,
    #[serde(default)]
    pub create: bool,
    #[serde(default)]
    pub backup: bool,
    #[serde(default)]
    pub firstmatch: bool,
    pub validate: Option<String>,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
    pub unsafe_writes: Option<bool>,
}

pub struct LineinfileModule;

impl Module for LineinfileModule {
    type Args = Args;
    const NAME: &'static str = "lineinfile";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        check(args)?;
        let file = TextFile::open(host, &args.path)?;
        let common = Common {
            backup: args.backup,
            validate: args.validate.as_deref(),
            mode: args.mode.as_ref(),
            owner: args.owner.as_ref(),
            group: args.group.as_ref(),
            unsafe_writes: args.unsafe_writes,
        };
        let regexp = args
            .regexp
            .as_deref()
            .map(|pattern| compile("regexp", pattern))
            .transpose()?;
        let mut plan = match args.state {
            State::Present => present(&file, args, regexp.as_ref(), &common)?,
            State::Absent => match file.content()? {
                None => Plan::ok().with_msg("file not present"),
                Some(before) => absent(&file, args, regexp.as_ref(), before, &common)?,
            },
        };
        if args.regexp.as_deref() == Some("") || args.search_string.as_deref() == Some("") {
            plan = plan.with_warning(empty_pattern_warning(args.regexp.as_deref() == Some("")));
        }
        Ok(plan)
    }
}

/// The argument combinations Ansible refuses.
fn check(args: &Args) -> Result<(), ModuleError> {
    let both = |a: bool, b: bool, first: &str, second: &str| {
        if a && b {
            Err(ModuleError::invalid(
                second,
                format!("parameters are mutually exclusive: {first}|{second}"),
            ))
        } else {
            Ok(())
        }
    };
    let search = args.search_string.is_some();
    both(
        args.insertbefore.is_some(),
        args.insertafter.is_some(),
        "insertbefore",
        "insertafter",
    )?;
    both(args.regexp.is_some(), search, "regexp", "search_string")?;
    both(args.backrefs, search, "backrefs", "search_string")?;
    match args.state {
        State::Present if args.backrefs && args.regexp.is_none() => Err(ModuleError::invalid(
            "backrefs",
            "regexp is required with backrefs=true",
        )),
        State::Present if args.line.is_none() => Err(ModuleError::invalid(
            "line",
            "line is required with state=present",
        )),
        State::Absent
            if args.regexp.is_none() && args.search_string.is_none() && args.line.is_none() =>
        {
            Err(ModuleError::invalid(
                "line",
                "one of line, search_string, or regexp is required with state=absent",
            ))
        }
        _ => Ok(()),
    }
}

fn compile(field: &str, pattern: &str) -> Result<Regex, ModuleError> {
    crate::pyregex::compile(pattern, false).map_err(|message| ModuleError::invalid(field, message))
}

fn empty_pattern_warning(regexp: bool) -> String {
    let name = if regexp {
        "regular expression"
    } else {
        "search string"
    };
    let mut msg = format!(
        "The {name} is an empty string, which will match every line in the file. This may \
         have unintended consequences, such as replacing the last line in the file rather \
         than appending."
    );
    if regexp {
        msg.push_str(
            " If this is desired, use '^' to match every line in the file and avoid this warning.",
        );
    }
    msg
}

/// How the line to replace was found: by the regexp (its text, for backrefs), or by
/// search_string.
enum Found {
    Regex(Vec<u8>),
    Plain,
}

/// state=present, as Ansible's `present()` does it, step by step.
fn present(
    file: &TextFile,
    args: &Args,
    regexp: Option<&Regex>,
    common: &Common,
) -> Result<Plan, ModuleError> {
    let existing = file.content()?;
    if existing.is_none() && !args.create {
        return Err(ModuleError::Failed(format!(
            "Destination {} does not exist !",
            file.shown
        )));
    }
    let before = existing.unwrap_or_default();
    let mut lines = edit::lines_of(&before);
    let line = args.line.as_deref().unwrap_or_default().as_bytes();
    let (insertafter, insertbefore) = match (&args.insertafter, &args.insertbefore) {
        (None, None) => (Some("EOF"), None),
        (after, before) => (after.as_deref(), before.as_deref()),
    };
    let insert_pattern = match (insertafter, insertbefore) {
        (Some(after), _) if after != "BOF" && after != "EOF" => {
            Some(compile("insertafter", after)?)
        }
        (None, Some(before)) if before != "BOF" => Some(compile("insertbefore", before)?),
        _ => None,
    };

    // index.0: the line regexp/search_string (or the line itself) was found at;
    // index.1: where insertafter/insertbefore puts a new line.
    let mut index: (Option<usize>, Option<usize>) = (None, None);
    let mut found: Option<Found> = None;
    if let Some(regexp) = regexp {
        for (lineno, current) in lines.iter().enumerate() {
            let text = edit::without_newline(current);
            if regexp.is_match(text) {
                index.0 = Some(lineno);
                found = Some(Found::Regex(text.to_vec()));
                if args.firstmatch {
                    break;
                }
            }
        }
    }
    if let Some(search) = &args.search_string {
        for (lineno, current) in lines.iter().enumerate() {
            if contains(current, search.as_bytes()) {
                index.0 = Some(lineno);
                found = Some(Found::Plain);
                if args.firstmatch {
                    break;
                }
            }
        }
    }
    if found.is_none() {
        for (lineno, current) in lines.iter().enumerate() {
            if edit::rstrip_newlines(current) == line {
                index.0 = Some(lineno);
            } else if insert_pattern
                .as_ref()
                .is_some_and(|pattern| pattern.is_match(edit::without_newline(current)))
            {
                if insertafter.is_some() {
                    index.1 = Some(lineno + 1);
                } else {
                    index.1 = Some(lineno);
                }
                if args.firstmatch {
                    break;
                }
            }
        }
    }

    let mut added = false;
    let mut replaced = false;
    let with_newline = |text: &[u8]| {
        let mut text = text.to_vec();
        text.push(b'\n');
        text
    };
    if let Some(at) = index.0 {
        let mut new_line = match (&found, args.backrefs, regexp) {
            (Some(Found::Regex(text)), true, Some(regexp)) => expand(regexp, text, line),
            _ => line.to_vec(),
        };
        if !new_line.ends_with(b"\n") {
            new_line.push(b'\n');
        }
        if lines[at] != new_line {
            lines[at] = new_line;
            replaced = true;
        }
    } else if args.backrefs {
        // Nothing: without a match there is nothing to fill the backrefs with.
    } else if insertbefore == Some("BOF") || insertafter == Some("BOF") {
        lines.insert(0, with_newline(line));
        added = true;
    } else if insertafter == Some("EOF") || index.1.is_none() {
        if lines
            .last()
            .is_some_and(|last| !matches!(last.last(), Some(b'\n' | b'\r')))
        {
            lines.push(b"\n".to_vec());
        }
        lines.push(with_newline(line));
        added = true;
    } else if let (Some(_), Some(at)) = (insertafter, index.1) {
        if lines.len() == at {
            if edit::rstrip_newlines(&lines[at - 1]) != line {
                lines.push(with_newline(line));
                added = true;
            }
        } else if line != edit::rstrip_newlines(&lines[at]) {
            lines.insert(at, with_newline(line));
            added = true;
        }
    } else if let Some(at) = index.1 {
        lines.insert(at, with_newline(line));
        added = true;
    }

    let msg = if added {
        "line added"
    } else if replaced {
        "line replaced"
    } else {
        ""
    };
    let after = lines.concat();
    let edit = Edit {
        changed: added || replaced,
        before,
        after,
        msg: msg.to_string(),
        make_parents: true,
        header: crate::edit::DiffHeader::Content,
    };
    let planned = file.plan(edit, common)?;
    Ok(planned
        .plan
        .with_data("backup", planned.backup.unwrap_or_default()))
}

/// state=absent: every matching line removed.
fn absent(
    file: &TextFile,
    args: &Args,
    regexp: Option<&Regex>,
    before: Vec<u8>,
    common: &Common,
) -> Result<Plan, ModuleError> {
    let line = args.line.as_deref().unwrap_or_default().as_bytes();
    let matches = |current: &[u8]| match (regexp, &args.search_string) {
        (Some(regexp), _) => regexp.is_match(edit::without_newline(current)),
        (None, Some(search)) => contains(current, search.as_bytes()),
        (None, None) => edit::rstrip_newlines(current) == line,
    };
    let lines = edit::lines_of(&before);
    let total = lines.len();
    let kept: Vec<Vec<u8>> = lines.into_iter().filter(|l| !matches(l)).collect();
    let found = total - kept.len();
    let edit = Edit {
        changed: found > 0,
        after: kept.concat(),
        before,
        msg: if found > 0 {
            format!("{found} line(s) removed")
        } else {
            String::new()
        },
        make_parents: false,
        header: crate::edit::DiffHeader::Content,
    };
    let planned = file.plan(edit, common)?;
    Ok(planned
        .plan
        .with_data("found", found)
        .with_data("backup", planned.backup.unwrap_or_default()))
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty()
        || haystack
            .windows(needle.len())
            .any(|window| window == needle)
}

/// Python's `match.expand(template)`: `\1`, `\g<name>` and escapes, from the groups
/// of the matched line.
fn expand(regexp: &Regex, text: &[u8], template: &[u8]) -> Vec<u8> {
    let template = String::from_utf8_lossy(template);
    let translated = crate::pyregex::python_replacement(&template);
    let mut out = Vec::new();
    if let Some(caps) = regexp.captures(text) {
        caps.expand(translated.as_bytes(), &mut out);
    }
    out
}

#[cfg(test)]
mod tests;
