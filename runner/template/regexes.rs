//! Python-flavoured regular expressions and the regex filters (`regex_replace`,
//! `regex_search`, `regex_findall`, `regex_escape`): a small compile cache (the same
//! pattern runs once per loop item), Python's `\Z`, and Python's replacement syntax
//! (`\1`, `\g<name>`) translated to the regex crate's (the translation lives in
//! machinist-modules' pyregex.rs, shared with lineinfile and replace). Look-around and
//! back-references are not supported by the regex crate.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};

use minijinja::value::{Kwargs, Rest};
use minijinja::{Environment, Error, ErrorKind, Value};
use regex::{Regex, RegexBuilder};

use super::filters::{flag, invalid, text};
pub(crate) use machinist_modules::pyregex::{python_pattern, python_replacement};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", regex_escape);
}

type Key = (String, bool, bool);

fn cache() -> &'static Mutex<HashMap<Key, Arc<Regex>>> {
    static CACHE: OnceLock<Mutex<HashMap<Key, Arc<Regex>>>> = OnceLock::new();
    CACHE.get_or_init(Mutex::default)
}

/// Compile (or fetch) `pattern` with Python's `re.I` / `re.M` flags.
pub(crate) fn compile(
    pattern: &str,
    ignorecase: bool,
    multiline: bool,
) -> Result<Arc<Regex>, Error> {
    let key = (pattern.to_string(), ignorecase, multiline);
    if let Ok(cache) = cache().lock() {
        if let Some(regex) = cache.get(&key) {
            return Ok(regex.clone());
        }
    }
    let regex = RegexBuilder::new(&python_pattern(pattern))
        .case_insensitive(ignorecase)
        .multi_line(multiline)
        .build()
        .map_err(|err| {
            Error::new(
                ErrorKind::InvalidOperation,
                format!("invalid regular expression '{pattern}': {err}"),
            )
        })?;
    let regex = Arc::new(regex);
    if let Ok(mut cache) = cache().lock() {
        if cache.len() >= 512 {
            cache.clear();
        }
        cache.insert(key, regex.clone());
    }
    Ok(regex)
}

fn regex_replace(
    value: Value,
    pattern: Option<String>,
    replacement: Option<String>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let haystack = text(&value)?;
    let pattern = match pattern {
        Some(p) => p,
        None => kwargs.get::<Option<String>>("pattern")?.unwrap_or_default(),
    };
    let replacement = match replacement {
        Some(r) => r,
        None => kwargs
            .get::<Option<String>>("replacement")?
            .unwrap_or_default(),
    };
    let regex = compile(
        &pattern,
        flag(&kwargs, "ignorecase")?,
        flag(&kwargs, "multiline")?,
    )?;
    let count = kwargs.get::<Option<usize>>("count")?.unwrap_or(0);
    let mandatory_count = kwargs.get::<Option<usize>>("mandatory_count")?.unwrap_or(0);
    kwargs.assert_all_used()?;
    if mandatory_count != 0 {
        let matches = regex.find_iter(&haystack).count();
        let subs = if count == 0 {
            matches
        } else {
            matches.min(count)
        };
        if subs != mandatory_count {
            return Err(invalid(format!(
                "'{pattern}' should match {mandatory_count} times, but matches {subs} times in '{haystack}'"
            )));
        }
    }
    let replacement = python_replacement(&replacement);
    Ok(regex
        .replacen(&haystack, count, replacement.as_str())
        .into_owned())
}

/// A group reference argument of `regex_search`: `'\1'` or `'\g<name>'`.
enum Group {
    Index(usize),
    Name(String),
}

fn parse_group(arg: &Value) -> Result<Group, Error> {
    let arg = text(arg)?;
    if let Some(name) = arg.strip_prefix("\\g<").and_then(|a| a.strip_suffix('>')) {
        return Ok(Group::Name(name.to_string()));
    }
    if let Some(index) = arg.strip_prefix('\\').and_then(|a| a.parse().ok()) {
        return Ok(Group::Index(index));
    }
    Err(invalid(format!("regex_search: unknown argument '{arg}'")))
}

fn regex_search(
    value: Value,
    pattern: String,
    groups: Rest<Value>,
    kwargs: Kwargs,
) -> Result<Value, Error> {
    let haystack = text(&value)?;
    let regex = compile(
        &pattern,
        flag(&kwargs, "ignorecase")?,
        flag(&kwargs, "multiline")?,
    )?;
    kwargs.assert_all_used()?;
    let groups = groups
        .iter()
        .map(parse_group)
        .collect::<Result<Vec<_>, _>>()?;
    let Some(caps) = regex.captures(&haystack) else {
        return Ok(Value::from(()));
    };
    if groups.is_empty() {
        return Ok(Value::from(caps.get(0).map_or("", |m| m.as_str())));
    }
    let mut found = Vec::new();
    for group in groups {
        let m = match &group {
            Group::Index(i) if *i < caps.len() => caps.get(*i),
            Group::Name(name) if regex.capture_names().any(|n| n == Some(name.as_str())) => {
                caps.name(name)
            }
            _ => return Err(invalid("regex_search: no such group")),
        };
        found.push(m.map_or(Value::from(()), |m| Value::from(m.as_str())));
    }
    Ok(Value::from(found))
}

fn regex_findall(value: Value, pattern: String, kwargs: Kwargs) -> Result<Value, Error> {
    let haystack = text(&value)?;
    let regex = compile(
        &pattern,
        flag(&kwargs, "ignorecase")?,
        flag(&kwargs, "multiline")?,
    )?;
    kwargs.assert_all_used()?;
    let groups = regex.captures_len() - 1;
    let group_text =
        |caps: &regex::Captures, i: usize| Value::from(caps.get(i).map_or("", |m| m.as_str()));
    let found: Vec<Value> = regex
        .captures_iter(&haystack)
        .map(|caps| match groups {
            0 => group_text(&caps, 0),
            1 => group_text(&caps, 1),
            n => Value::from((1..=n).map(|i| group_text(&caps, i)).collect::<Vec<_>>()),
        })
        .collect();
    Ok(Value::from(found))
}

fn regex_escape(value: Value, re_type: Option<String>, kwargs: Kwargs) -> Result<String, Error> {
    let input = text(&value)?;
    let re_type = match re_type {
        Some(kind) => Some(kind),
        None => kwargs.get::<Option<String>>("re_type")?,
    };
    kwargs.assert_all_used()?;
    let special: &str = match re_type.as_deref().unwrap_or("python") {
        "python" => "()[]{}?*+-|^$\\.&~# \t\n\r\x0b\x0c",
        "posix_basic" => "].[^$*\\",
        other => {
            return Err(invalid(format!(
                "regex_escape: unsupported re_type '{other}'"
            )))
        }
    };
    let mut out = String::with_capacity(input.len());
    for c in input.chars() {
        if special.contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_end_anchor() {
        let re = compile(r"b\Z", false, false).unwrap();
        assert!(re.is_match("ab"));
        assert!(!re.is_match("ab\n"));
    }
}
