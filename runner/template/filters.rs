//! Ansible's scalar filters with Ansible's semantics: `bool`, `mandatory`, `ternary`,
//! `string`, the regex filters, path and shell helpers, base64 and hashes. Collection
//! filters live in `collections.rs`, serialisation in `pyjson.rs`/`pyyaml.rs`.

use base64::Engine as _;
use md5::Md5;
use minijinja::value::{Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, Value};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::regexes;
use super::value_format::{py_repr, py_text, py_type_name};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("bool", to_bool);
    env.add_filter("mandatory", mandatory);
    env.add_filter("ternary", ternary);
    env.add_filter("string", string);
    env.add_filter("type_debug", |value: Value| py_type_name(&value));
    env.add_filter("regex_replace", regex_replace);
    env.add_filter("regex_search", regex_search);
    env.add_filter("regex_findall", regex_findall);
    env.add_filter("regex_escape", regex_escape);
    env.add_filter("basename", |path: Value| {
        text(&path).map(|p| basename(&p).to_string())
    });
    env.add_filter("dirname", |path: Value| {
        text(&path).map(|p| dirname(&p).to_string())
    });
    env.add_filter("path_join", path_join);
    env.add_filter("splitext", |path: Value| text(&path).map(|p| splitext(&p)));
    env.add_filter("quote", |value: Value| quote(&value));
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    env.add_filter("hash", |value: Value, kind: Option<String>| {
        digest(&text(&value)?, kind.as_deref().unwrap_or("sha1"))
    });
    env.add_filter("checksum", |value: Value| digest(&text(&value)?, "sha1"));
    env.add_filter("sha1", |value: Value| digest(&text(&value)?, "sha1"));
    env.add_filter("md5", |value: Value| digest(&text(&value)?, "md5"));
}

pub(crate) fn invalid(message: impl Into<String>) -> Error {
    Error::new(ErrorKind::InvalidOperation, message.into())
}

/// The text of a value as Python's `to_text` gives it; undefined is an error.
pub(crate) fn text(value: &Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    Ok(py_text(value))
}

/// Ansible's `bool`: the well-known spellings only; anything else is an error.
pub(crate) fn to_bool(value: Value) -> Result<bool, Error> {
    let refuse = || {
        invalid(format!(
            "bool: {} is not a boolean (accepted: true/false, yes/no, on/off, y/n, 1/0, '')",
            py_repr(&value)
        ))
    };
    match value.kind() {
        ValueKind::Undefined => Err(Error::from(ErrorKind::UndefinedError)),
        ValueKind::Bool => Ok(value.is_true()),
        ValueKind::Number => {
            let number = f64::try_from(value.clone()).unwrap_or(f64::NAN);
            if number == 1.0 {
                Ok(true)
            } else if number == 0.0 {
                Ok(false)
            } else {
                Err(refuse())
            }
        }
        ValueKind::String => {
            let lowered = value.as_str().unwrap_or_default().to_lowercase();
            match lowered.as_str() {
                "yes" | "on" | "true" | "1" | "y" => Ok(true),
                "no" | "off" | "false" | "0" | "n" | "" => Ok(false),
                _ => Err(refuse()),
            }
        }
        _ => Err(refuse()),
    }
}

fn mandatory(value: Value, msg: Option<String>, kwargs: Kwargs) -> Result<Value, Error> {
    let msg = match msg {
        Some(msg) => Some(msg),
        None => kwargs.get::<Option<String>>("msg")?,
    };
    kwargs.assert_all_used()?;
    if !value.is_undefined() {
        return Ok(value);
    }
    Err(match msg {
        Some(msg) => invalid(msg),
        // The engine names the variable from this.
        None => Error::new(ErrorKind::UndefinedError, "mandatory variable not defined"),
    })
}

fn ternary(
    value: Value,
    true_val: Value,
    false_val: Value,
    none_val: Option<Value>,
) -> Result<Value, Error> {
    if value.is_undefined() {
        return Err(Error::from(ErrorKind::UndefinedError));
    }
    Ok(match none_val {
        Some(none_val) if value.is_none() && !none_val.is_none() => none_val,
        _ if value.is_true() => true_val,
        _ => false_val,
    })
}

fn string(value: Value) -> Result<Value, Error> {
    if value.kind() == ValueKind::String {
        return Ok(value);
    }
    text(&value).map(Value::from)
}

fn flag(kwargs: &Kwargs, name: &str) -> Result<bool, Error> {
    Ok(kwargs.get::<Option<bool>>(name)?.unwrap_or(false))
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
    let regex = regexes::compile(
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
    let replacement = regexes::python_replacement(&replacement);
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
    let regex = regexes::compile(
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
    let regex = regexes::compile(
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

/// Python's `os.path.basename`.
pub(crate) fn basename(path: &str) -> &str {
    path.rsplit_once('/').map_or(path, |(_, tail)| tail)
}

/// Python's `os.path.dirname`.
pub(crate) fn dirname(path: &str) -> &str {
    let Some(at) = path.rfind('/') else {
        return "";
    };
    let head = &path[..=at];
    if head.chars().all(|c| c == '/') {
        head
    } else {
        head.trim_end_matches('/')
    }
}

fn splitext(path: &str) -> Value {
    let name_start = path.rfind('/').map_or(0, |at| at + 1);
    let name = &path[name_start..];
    let leading_dots = name.len() - name.trim_start_matches('.').len();
    match name.rfind('.') {
        Some(dot) if dot > leading_dots => {
            let split = name_start + dot;
            Value::from(vec![path[..split].to_string(), path[split..].to_string()])
        }
        _ => Value::from(vec![path.to_string(), String::new()]),
    }
}

fn path_join(paths: Value) -> Result<String, Error> {
    if paths.kind() == ValueKind::String {
        return text(&paths);
    }
    let mut joined = String::new();
    for part in paths.try_iter()? {
        let part = text(&part)?;
        if part.starts_with('/') || joined.is_empty() {
            joined = part;
        } else {
            if !joined.ends_with('/') {
                joined.push('/');
            }
            joined.push_str(&part);
        }
    }
    Ok(joined)
}

/// Python's `shlex.quote`.
pub(crate) fn quote(value: &Value) -> Result<String, Error> {
    let input = if value.is_none() {
        String::new()
    } else {
        text(value)?
    };
    if input.is_empty() {
        return Ok("''".to_string());
    }
    let safe = |c: char| c.is_ascii_alphanumeric() || "_@%+=:,./-".contains(c);
    if input.chars().all(safe) {
        return Ok(input);
    }
    Ok(format!("'{}'", input.replace('\'', "'\"'\"'")))
}

fn b64_engine(urlsafe: bool) -> base64::engine::GeneralPurpose {
    if urlsafe {
        base64::engine::general_purpose::URL_SAFE
    } else {
        base64::engine::general_purpose::STANDARD
    }
}

fn b64encode(value: Value, kwargs: Kwargs) -> Result<String, Error> {
    let input = text(&value)?;
    let urlsafe = flag(&kwargs, "urlsafe")?;
    let _encoding = kwargs.get::<Option<String>>("encoding")?;
    kwargs.assert_all_used()?;
    Ok(b64_engine(urlsafe).encode(input.as_bytes()))
}

fn b64decode(value: Value, kwargs: Kwargs) -> Result<String, Error> {
    let input: String = text(&value)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let urlsafe = flag(&kwargs, "urlsafe")?;
    let _encoding = kwargs.get::<Option<String>>("encoding")?;
    kwargs.assert_all_used()?;
    let bytes = b64_engine(urlsafe)
        .decode(input.as_bytes())
        .map_err(|err| invalid(format!("b64decode: {err}")))?;
    String::from_utf8(bytes).map_err(|_| invalid("b64decode: the decoded bytes are not UTF-8 text"))
}

fn hex_digest<D: Digest>(data: &[u8]) -> String {
    D::digest(data).iter().map(|b| format!("{b:02x}")).collect()
}

fn digest(data: &str, kind: &str) -> Result<String, Error> {
    let bytes = data.as_bytes();
    Ok(match kind {
        "sha1" => hex_digest::<Sha1>(bytes),
        "md5" => hex_digest::<Md5>(bytes),
        "sha224" => hex_digest::<Sha224>(bytes),
        "sha256" => hex_digest::<Sha256>(bytes),
        "sha384" => hex_digest::<Sha384>(bytes),
        "sha512" => hex_digest::<Sha512>(bytes),
        other => return Err(invalid(format!("hash: unsupported hash type '{other}'"))),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_path_helpers() {
        assert_eq!(basename("/etc/hosts"), "hosts");
        assert_eq!(basename("/etc/"), "");
        assert_eq!(basename("hosts"), "hosts");
        assert_eq!(dirname("/etc/hosts"), "/etc");
        assert_eq!(dirname("/hosts"), "/");
        assert_eq!(dirname("hosts"), "");
        assert_eq!(dirname("a//b"), "a");
        let split = |p: &str| super::super::value_format::py_repr(&splitext(p));
        assert_eq!(split("/a/b.tar.gz"), "['/a/b.tar', '.gz']");
        assert_eq!(split("/a/.bashrc"), "['/a/.bashrc', '']");
        assert_eq!(split("a.d/b"), "['a.d/b', '']");
    }

    #[test]
    fn shell_quote_like_shlex() {
        let q = |s: &str| quote(&Value::from(s)).unwrap();
        assert_eq!(q(""), "''");
        assert_eq!(q("abc/d-e.f"), "abc/d-e.f");
        assert_eq!(q("a b"), "'a b'");
        assert_eq!(q("it's"), "'it'\"'\"'s'");
    }
}
