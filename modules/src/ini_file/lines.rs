//! community.general's `do_ini` on the file's lines, step by step: the text an edit
//! leaves, whether it changed, and the message. Patterns as its Python ones, matched
//! on a line without its `\n` (Python's `$` also matches before a final newline).

use super::State;
use crate::ModuleError;
use regex::Regex;

/// The fake section community.general puts first, so options before any section
/// header have one (`section: null`).
const FAKE_SECTION: &str = "ad01e11446efb704fcdbdb21f2c43757423d91c5";

pub struct Wanted<'a> {
    pub section: Option<&'a str>,
    pub option: Option<&'a str>,
    pub values: Vec<Option<String>>,
    pub state: State,
    pub exclusive: bool,
    pub allow_no_value: bool,
    pub no_extra_spaces: bool,
    pub ignore_spaces: bool,
    pub modify_inactive_option: bool,
}

pub struct Edited {
    pub text: String,
    pub changed: bool,
    pub msg: &'static str,
}

/// An option's line: (commented-out marker, value), or `None` when the line is not it.
/// `active` only: no `#`/`;` allowed (`match_active_opt`).
struct OptionPattern {
    any: Regex,
    active: Regex,
}

impl OptionPattern {
    fn new(option: &str) -> Result<OptionPattern, ModuleError> {
        let escaped = regex::escape(option);
        let compile = |pattern: String| {
            Regex::new(&pattern).map_err(|err| ModuleError::invalid("option", err.to_string()))
        };
        Ok(OptionPattern {
            any: compile(format!(
                r"^[ \t]*([#;]?)[ \t]*{escaped}[ \t]*(?:=|$)[ \t]*(.*)"
            ))?,
            active: compile(format!(r"^()[ \t]*{escaped}[ \t]*(?:=|$)[ \t]*(.*)"))?,
        })
    }

    /// (marker, value) of `line` if it sets the option (commented out too unless
    /// `active`).
    fn matches<'l>(&self, line: &'l str, active: bool) -> Option<(&'l str, &'l str)> {
        let line = line.strip_suffix('\n').unwrap_or(line);
        let pattern = if active { &self.active } else { &self.any };
        let caps = pattern.captures(line)?;
        Some((
            caps.get(1).map_or("", |m| m.as_str()),
            caps.get(2).map_or("", |m| m.as_str()),
        ))
    }
}

/// A blank or comment line (`^[ \t]*([#;].*)?$`).
fn blank_or_comment(line: &str) -> bool {
    let line = line.strip_suffix('\n').unwrap_or(line);
    let rest = line.trim_start_matches([' ', '\t']);
    rest.is_empty() || rest.starts_with(['#', ';'])
}

/// Python's `readlines()`: each line with its `\n`, the last one maybe without.
fn read_lines(text: &str) -> Vec<String> {
    text.split_inclusive('\n').map(str::to_string).collect()
}

pub fn edit(text: &str, wanted: &Wanted) -> Result<Edited, ModuleError> {
    let mut values: Vec<String> = Vec::new();
    for value in wanted.values.iter().flatten() {
        if !values.contains(value) {
            values.push(value.clone());
        }
    }
    // Python's `if option:` — an empty option is none.
    let option = wanted.option.filter(|option| !option.is_empty());
    let pattern = option.map(OptionPattern::new).transpose()?;
    let matches = |line: &str, active: bool| -> Option<(String, String)> {
        pattern
            .as_ref()
            .and_then(|p| p.matches(line, active))
            .map(|(marker, value)| (marker.to_string(), value.to_string()))
    };
    let inactive_too = wanted.modify_inactive_option;
    let assignment = |option: &str, value: &str| {
        if wanted.no_extra_spaces {
            format!("{option}={value}\n")
        } else {
            format!("{option} = {value}\n")
        }
    };

    let mut ini_lines = read_lines(text);
    let mut changed = false;
    if ini_lines.is_empty() {
        ini_lines.push("\n".into());
    }
    if let Some(last) = ini_lines.last_mut() {
        if !last.ends_with('\n') {
            last.push('\n');
            changed = true;
        }
    }
    ini_lines.insert(0, format!("[{FAKE_SECTION}]"));
    ini_lines.push("[".into());
    let section = wanted.section.unwrap_or(FAKE_SECTION);
    let section_pattern = Regex::new(&format!(r"^\[\s*{}\s*]", regex::escape(section.trim())))
        .map_err(|err| ModuleError::invalid("section", err.to_string()))?;

    let mut within_section = false;
    let (mut section_start, mut section_end) = (0, 0);
    let mut msg = "OK";
    let mut option_no_value_present = false;
    for (index, line) in ini_lines.iter().enumerate() {
        if within_section && line.starts_with('[') {
            section_end = index;
            break;
        }
        if section_pattern.is_match(line) {
            within_section = true;
            section_start = index;
        }
    }
    let after: Vec<String> = ini_lines[section_end..].to_vec();
    let mut section_lines: Vec<String> = ini_lines[section_start..section_end].to_vec();
    let before: Vec<String> = ini_lines[..section_start].to_vec();
    let mut changed_lines = vec![false; section_lines.len()];

    // Set one line to `newline`, as update_section_line does: with ignore_spaces an
    // active line whose value is already the new one stays as it is.
    let update = |section_lines: &mut Vec<String>,
                  changed_lines: &mut Vec<bool>,
                  index: usize,
                  newline: String,
                  changed: &mut bool,
                  msg: &mut &'static str| {
        let mut option_changed = None;
        if wanted.ignore_spaces {
            if let Some((marker, old_value)) = matches(&section_lines[index], false) {
                if marker.is_empty() {
                    let new_value = matches(&newline, false).map(|(_, v)| v);
                    option_changed = Some(new_value.as_deref() != Some(old_value.as_str()));
                }
            }
        }
        let option_changed = option_changed.unwrap_or(section_lines[index] != newline);
        if option_changed {
            section_lines[index] = newline;
            *changed = true;
            *msg = "option changed";
        }
        changed_lines[index] = true;
    };

    if wanted.state == State::Present {
        if let Some(option) = option {
            for index in 0..section_lines.len() {
                let Some((_, found)) = matches(&section_lines[index], !inactive_too) else {
                    continue;
                };
                if !values.is_empty() && values.contains(&found) {
                    let newline = if found.is_empty() && wanted.allow_no_value {
                        option_no_value_present = true;
                        format!("{option}\n")
                    } else {
                        assignment(option, &found)
                    };
                    update(
                        &mut section_lines,
                        &mut changed_lines,
                        index,
                        newline,
                        &mut changed,
                        &mut msg,
                    );
                    values.retain(|v| v != &found);
                } else if values.is_empty() && wanted.allow_no_value {
                    update(
                        &mut section_lines,
                        &mut changed_lines,
                        index,
                        format!("{option}\n"),
                        &mut changed,
                        &mut msg,
                    );
                    option_no_value_present = true;
                    break;
                }
            }
        }
    }

    if wanted.state == State::Present && wanted.exclusive && !wanted.allow_no_value {
        if let Some(option) = option {
            if !values.is_empty() {
                for index in 0..section_lines.len() {
                    if !changed_lines[index]
                        && matches(&section_lines[index], !inactive_too).is_some()
                    {
                        let value = values.remove(0);
                        update(
                            &mut section_lines,
                            &mut changed_lines,
                            index,
                            assignment(option, &value),
                            &mut changed,
                            &mut msg,
                        );
                        if values.is_empty() {
                            break;
                        }
                    }
                }
            }
            for index in (1..section_lines.len()).rev() {
                if !changed_lines[index] && matches(&section_lines[index], !inactive_too).is_some()
                {
                    section_lines.remove(index);
                    changed_lines.remove(index);
                    changed = true;
                    msg = "option changed";
                }
            }
        }
    }

    if wanted.state == State::Present {
        for index in (1..=section_lines.len()).rev() {
            if blank_or_comment(&section_lines[index - 1]) {
                continue;
            }
            match option {
                Some(option) if !values.is_empty() => {
                    for value in values.iter().rev() {
                        section_lines.insert(index, assignment(option, value));
                        msg = "option added";
                        changed = true;
                    }
                }
                Some(option) if wanted.allow_no_value && !option_no_value_present => {
                    section_lines.insert(index, format!("{option}\n"));
                    msg = "option added";
                    changed = true;
                }
                _ => {}
            }
            break;
        }
    }

    if wanted.state == State::Absent {
        match option {
            Some(_) if wanted.exclusive => {
                let kept: Vec<String> = section_lines
                    .iter()
                    .filter(|line| matches(line, true).is_none())
                    .cloned()
                    .collect();
                if kept != section_lines {
                    changed = true;
                    msg = "option changed";
                    section_lines = kept;
                }
            }
            Some(_) if !values.is_empty() => {
                let kept: Vec<String> = section_lines
                    .iter()
                    .filter(|line| !matches(line, true).is_some_and(|(_, v)| values.contains(&v)))
                    .cloned()
                    .collect();
                if kept != section_lines {
                    changed = true;
                    msg = "option changed";
                    section_lines = kept;
                }
            }
            Some(_) => {}
            None => {
                if !section_lines.is_empty() {
                    section_lines.clear();
                    msg = "section removed";
                    changed = true;
                }
            }
        }
    }

    let mut ini_lines: Vec<String> = before;
    ini_lines.extend(section_lines);
    ini_lines.extend(after);
    ini_lines.remove(0);
    ini_lines.pop();

    if !within_section && wanted.state == State::Present {
        ini_lines.push(format!("[{section}]\n"));
        msg = "section and option added";
        match option {
            Some(option) if !values.is_empty() => {
                for value in &values {
                    ini_lines.push(assignment(option, value));
                }
            }
            Some(option) if wanted.allow_no_value => ini_lines.push(format!("{option}\n")),
            _ => msg = "only section added",
        }
        changed = true;
    }
    Ok(Edited {
        text: ini_lines.concat(),
        changed,
        msg,
    })
}
