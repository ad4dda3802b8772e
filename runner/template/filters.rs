//! Ansible's path (`normpath`, `commonpath`, `relpath`, `expanduser`, `expandvars` as
//! Python's posixpath, `fileglob`), shell, base64 and
//! hash filters, and the helpers every filter file
//! shares. Conversions (`bool`, `int`, `string`, `ternary`…) are in `conversions.rs`,
//! regex filters in `regexes.rs`, collections in `collections.rs`, serialisation in
//! `pyjson.rs`/`pyyaml.rs`.

use base64::Engine as _;
use md5::Md5;
use minijinja::value::{from_args, Kwargs, Rest, ValueKind};
use minijinja::{Environment, Error, ErrorKind, State, Value};
use sha1::Sha1;
use sha2::{Digest, Sha224, Sha256, Sha384, Sha512};

use super::value_format::{py_text, py_type_name};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("type_debug", |value: Value| py_type_name(&value));
    env.add_filter("basename", |path: Value| {
        string_only(&path, "basename").map(|p| basename(&p).to_string())
    });
    env.add_filter("dirname", |path: Value| {
        string_only(&path, "dirname").map(|p| dirname(&p).to_string())
    });
    env.add_filter("path_join", path_join);
    env.add_filter("splitext", |path: Value| {
        string_only(&path, "splitext").map(|p| splitext(&p))
    });
    env.add_filter("realpath", |path: Value| text(&path).map(|p| realpath(&p)));
    env.add_filter("normpath", |path: Value| {
        string_only(&path, "normpath").map(|p| normpath(&p))
    });
    env.add_filter("commonpath", commonpath);
    env.add_filter("expanduser", |path: Value| {
        string_only(&path, "expanduser").map(|p| expanduser(&p))
    });
    env.add_filter("expandvars", |path: Value| {
        string_only(&path, "expandvars").map(|p| expandvars(&p))
    });
    let relpath_filter = Value::from_function(|path: Value, start: Option<Value>| {
        let path = string_only(&path, "relpath")?;
        let start = match start {
            Some(start) => string_only(&start, "relpath")?,
            None => ".".to_string(),
        };
        relpath(&path, &start)
    });
    env.add_filter(
        "relpath",
        keywords_as_positions(relpath_filter, vec![("start", Value::from("."))]),
    );
    env.add_filter("quote", |value: Value| quote(&value));
    for name in ["win_basename", "win_dirname", "win_splitdrive"] {
        env.add_filter(name, move |_: Value| -> Result<Value, Error> {
            let reason = super::names::refusal(super::names::NameKind::Filter, name);
            Err(invalid(format!(
                "filter '{name}' is not supported: {}",
                reason.unwrap_or_default()
            )))
        });
    }
    env.add_filter("fileglob", |pattern: Value| {
        string_only(&pattern, "fileglob").and_then(|p| fileglob(&p))
    });
    env.add_filter("b64encode", b64encode);
    env.add_filter("b64decode", b64decode);
    let hash = Value::from_function(|value: Value, kind: Option<String>| {
        digest(&text(&value)?, kind.as_deref().unwrap_or("sha1"))
    });
    env.add_filter(
        "hash",
        keywords_as_positions(hash, vec![("hashtype", Value::from("sha1"))]),
    );
    env.add_filter("checksum", |value: Value| digest(&text(&value)?, "sha1"));
    env.add_filter("sha1", |value: Value| digest(&text(&value)?, "sha1"));
    env.add_filter("md5", |value: Value| digest(&text(&value)?, "md5"));
    let center_filter = Value::from_function(|value: Value, width: Option<usize>| {
        Ok::<_, Error>(center(&text(&value)?, width.unwrap_or(80)))
    });
    env.add_filter(
        "center",
        keywords_as_positions(center_filter, vec![("width", Value::from(80))]),
    );
}

/// Python's `os.path.realpath` on the controller: links resolved as far as the path
/// exists, the rest normalised (`.` and `..` folded).
fn realpath(path: &str) -> String {
    use std::path::{Component, Path, PathBuf};
    let mut absolute = match std::env::current_dir() {
        Ok(cwd) if Path::new(path).is_relative() => cwd,
        _ => PathBuf::from("/"),
    };
    for component in Path::new(path).components() {
        match component {
            Component::ParentDir => {
                absolute.pop();
            }
            Component::Normal(name) => {
                absolute.push(name);
                if let Ok(resolved) = std::fs::canonicalize(&absolute) {
                    absolute = resolved;
                }
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    absolute.display().to_string()
}

/// ansible-core's `fileglob` filter: Python's `glob.glob` on the controller (relative
/// to the working directory, a leading dot matched only literally), regular files
/// only, sorted (Python gives them in directory order).
fn fileglob(pattern: &str) -> Result<Vec<String>, Error> {
    let options = glob::MatchOptions {
        case_sensitive: true,
        require_literal_separator: true,
        require_literal_leading_dot: true,
    };
    let paths = glob::glob_with(pattern, options)
        .map_err(|err| invalid(format!("fileglob: {pattern}: {err}")))?;
    let mut found: Vec<String> = paths
        .filter_map(Result::ok)
        .filter(|path| path.is_file())
        .map(|path| path.display().to_string())
        .collect();
    found.sort();
    Ok(found)
}

/// Python's `posixpath.normpath`: `.`, `..` and doubled slashes folded, lexically
/// (two leading slashes are kept, as POSIX allows them a meaning).
pub(crate) fn normpath(path: &str) -> String {
    if path.is_empty() {
        return ".".to_string();
    }
    let leading = match path.bytes().take_while(|&b| b == b'/').count() {
        0 => "",
        2 => "//",
        _ => "/",
    };
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if leading.is_empty() && parts.last().map_or(true, |last| *last == "..") => {
                parts.push("..")
            }
            ".." => {
                parts.pop();
            }
            part => parts.push(part),
        }
    }
    let joined = format!("{leading}{}", parts.join("/"));
    if joined.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// Python's `posixpath.relpath(path, start)`: both made absolute against the
/// working directory and normalised, then `..` up to their common part.
fn relpath(path: &str, start: &str) -> Result<String, Error> {
    if path.is_empty() {
        return Err(invalid("relpath: no path specified"));
    }
    let absolute = |p: &str| -> Result<Vec<String>, Error> {
        let joined = if p.starts_with('/') {
            p.to_string()
        } else {
            let cwd = std::env::current_dir()
                .map_err(|err| invalid(format!("relpath: the working directory: {err}")))?;
            format!("{}/{p}", cwd.display())
        };
        Ok(normpath(&joined)
            .split('/')
            .filter(|part| !part.is_empty())
            .map(String::from)
            .collect())
    };
    let (path, start) = (absolute(path)?, absolute(start)?);
    let common = path.iter().zip(&start).take_while(|(a, b)| a == b).count();
    let parts: Vec<&str> = std::iter::repeat("..")
        .take(start.len() - common)
        .chain(path[common..].iter().map(String::as_str))
        .collect();
    Ok(if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    })
}

/// Python's `os.path.expanduser` on the controller: `~` is `$HOME` (or the user's
/// home in /etc/passwd), `~name` that user's home; anything else stays as it is.
fn expanduser(path: &str) -> String {
    let Some(rest) = path.strip_prefix('~') else {
        return path.to_string();
    };
    let (name, tail) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let home = if name.is_empty() {
        std::env::var("HOME")
            .ok()
            .or_else(|| passwd_home(&rustix::process::getuid().as_raw().to_string(), 2))
    } else {
        passwd_home(name, 0)
    };
    match home {
        Some(home) => {
            let expanded = format!("{}{tail}", home.trim_end_matches('/'));
            if expanded.is_empty() {
                "/".to_string()
            } else {
                expanded
            }
        }
        None => path.to_string(),
    }
}

/// The home directory of the /etc/passwd entry whose field `field` (0 the name, 2
/// the uid) is `key`.
fn passwd_home(key: &str, field: usize) -> Option<String> {
    let passwd = std::fs::read_to_string("/etc/passwd").ok()?;
    passwd.lines().find_map(|line| {
        let fields: Vec<&str> = line.split(':').collect();
        (fields.len() >= 7 && fields[field] == key).then(|| fields[5].to_string())
    })
}

/// Python's `os.path.expandvars` on the controller: `$name` and `${name}` of set
/// environment variables replaced, everything else kept.
fn expandvars(path: &str) -> String {
    if !path.contains('$') {
        return path.to_string();
    }
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(path.len());
    let mut rest = path;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) => (&braced[..end], end + 2),
                None => ("", 0),
            },
            None => {
                let end = after.find(|c: char| !word(c)).unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        match std::env::var(name).ok().filter(|_| !name.is_empty()) {
            Some(value) => {
                out.push_str(&value);
                rest = &after[consumed..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// Python's `posixpath.commonpath(paths)`: the longest common leading run of path
/// components; all absolute or all relative, at least one.
fn commonpath(paths: Value) -> Result<String, Error> {
    if !matches!(paths.kind(), ValueKind::Seq | ValueKind::Iterable) {
        return Err(invalid(format!(
            "commonpath: expected a list of paths, got {}",
            py_type_name(&paths)
        )));
    }
    let paths: Vec<String> = paths
        .try_iter()?
        .map(|p| string_only(&p, "commonpath"))
        .collect::<Result<_, _>>()?;
    let Some(first) = paths.first() else {
        return Err(invalid("commonpath() arg is an empty sequence"));
    };
    let absolute = first.starts_with('/');
    if paths.iter().any(|p| p.starts_with('/') != absolute) {
        return Err(invalid("commonpath: can't mix absolute and relative paths"));
    }
    let parts = |p: &str| -> Vec<String> {
        p.split('/')
            .filter(|c| !c.is_empty() && *c != ".")
            .map(String::from)
            .collect()
    };
    let mut common = parts(first);
    for path in &paths[1..] {
        let other = parts(path);
        let same = common
            .iter()
            .zip(&other)
            .take_while(|(a, b)| a == b)
            .count();
        common.truncate(same);
    }
    let prefix = if absolute { "/" } else { "" };
    Ok(format!("{prefix}{}", common.join("/")))
}

/// Jinja2's `center`: Python's `str.center`, which puts an odd space on the left
/// when the width is odd and on the right otherwise.
fn center(text: &str, width: usize) -> String {
    let len = text.chars().count();
    if width <= len {
        return text.to_string();
    }
    let margin = width - len;
    let left = margin / 2 + (margin & width & 1);
    format!("{}{text}{}", " ".repeat(left), " ".repeat(margin - left))
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

/// A value that must already be a string, as Python's `os.path` functions, `str`
/// methods and `json.loads` demand (`0 | basename` fails in ansible-core too).
pub(crate) fn string_only(value: &Value, filter: &str) -> Result<String, Error> {
    match value.kind() {
        ValueKind::String => Ok(value.as_str().unwrap_or_default().to_string()),
        ValueKind::Undefined => Err(Error::from(ErrorKind::UndefinedError)),
        _ => Err(invalid(format!(
            "{filter} expects a string, got {}",
            py_type_name(value)
        ))),
    }
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

#[derive(PartialEq)]
enum TextEncoding {
    Utf8,
    Utf16,
}

/// The `encoding=` of `b64encode`/`b64decode`: the codecs Python names UTF-8 and UTF-16;
/// any other is refused rather than read as UTF-8.
fn b64_encoding(kwargs: &Kwargs, filter: &str) -> Result<TextEncoding, Error> {
    let Some(name) = kwargs.get::<Option<String>>("encoding")? else {
        return Ok(TextEncoding::Utf8);
    };
    match name.to_ascii_lowercase().replace('_', "-").as_str() {
        "utf-8" | "utf8" | "u8" => Ok(TextEncoding::Utf8),
        "utf-16" | "utf16" | "u16" => Ok(TextEncoding::Utf16),
        _ => Err(invalid(format!(
            "{filter}: encoding '{name}' is not supported (utf-8 and utf-16 are)"
        ))),
    }
}

pub(crate) fn flag(kwargs: &Kwargs, name: &str) -> Result<bool, Error> {
    Ok(kwargs.get::<Option<bool>>(name)?.unwrap_or(false))
}

fn b64encode(value: Value, kwargs: Kwargs) -> Result<String, Error> {
    let input = text(&value)?;
    let urlsafe = flag(&kwargs, "urlsafe")?;
    let encoding = b64_encoding(&kwargs, "b64encode")?;
    kwargs.assert_all_used()?;
    let bytes = match encoding {
        TextEncoding::Utf8 => input.into_bytes(),
        // Python's 'utf-16' writes a byte order mark, then little-endian units.
        TextEncoding::Utf16 => [0xff, 0xfe]
            .into_iter()
            .chain(input.encode_utf16().flat_map(u16::to_le_bytes))
            .collect(),
    };
    Ok(b64_engine(urlsafe).encode(bytes))
}

fn b64decode(value: Value, kwargs: Kwargs) -> Result<String, Error> {
    let input: String = text(&value)?
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    let urlsafe = flag(&kwargs, "urlsafe")?;
    let encoding = b64_encoding(&kwargs, "b64decode")?;
    kwargs.assert_all_used()?;
    let bytes = b64_engine(urlsafe)
        .decode(input.as_bytes())
        .map_err(|err| invalid(format!("b64decode: {err}")))?;
    if encoding == TextEncoding::Utf16 {
        let (units, big_endian) = match bytes.as_slice() {
            [0xff, 0xfe, rest @ ..] => (rest, false),
            [0xfe, 0xff, rest @ ..] => (rest, true),
            rest => (rest, false),
        };
        let units: Vec<u16> = units
            .chunks(2)
            .map(|pair| match (pair, big_endian) {
                ([a, b], false) => Ok(u16::from_le_bytes([*a, *b])),
                ([a, b], true) => Ok(u16::from_be_bytes([*a, *b])),
                _ => Err(invalid("b64decode: truncated UTF-16 data")),
            })
            .collect::<Result<_, Error>>()?;
        return String::from_utf16(&units)
            .map_err(|_| invalid("b64decode: the decoded bytes are not UTF-16 text"));
    }
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

/// Python's binding of keyword arguments, for a filter or test whose Rust signature
/// takes its parameters by position: `center(width=10)` is `center(10)`,
/// `batch(linecount=2, fill_with=0)` is `batch(2, 0)`. `params` names the parameters
/// after the value in order, each with the value a skipped one takes when a later one
/// is given (undefined: it has none, and skipping it is an error). Keywords not named
/// there stay keywords for the callee to take or refuse.
pub(crate) fn keywords_as_positions(
    callee: Value,
    params: Vec<(&'static str, Value)>,
) -> impl Fn(&State, Rest<Value>) -> Result<Value, Error> + Send + Sync + 'static {
    move |state: &State, args: Rest<Value>| {
        let Some((last, positional)) = args.split_last().filter(|(last, _)| last.is_kwargs())
        else {
            return callee.call(state, &args);
        };
        let (kwargs,): (Kwargs,) = from_args(std::slice::from_ref(last))?;
        let mut bound: Vec<Value> = positional.to_vec();
        let mut skipped = Vec::new();
        for (index, (name, default)) in params.iter().enumerate() {
            let given = kwargs.get::<Option<Value>>(name)?;
            if index + 1 < positional.len() {
                if given.is_some() {
                    return Err(invalid(format!(
                        "got multiple values for argument '{name}'"
                    )));
                }
                continue;
            }
            match given {
                Some(value) => {
                    if let Some(missing) = skipped
                        .iter()
                        .find(|(_, v): &&(&str, Value)| v.is_undefined())
                    {
                        return Err(invalid(format!(
                            "missing required argument '{}'",
                            missing.0
                        )));
                    }
                    bound.extend(skipped.drain(..).map(|(_, v)| v));
                    bound.push(value);
                }
                None => skipped.push((*name, default.clone())),
            }
        }
        let others: Kwargs = kwargs
            .args()
            .filter(|key| !params.iter().any(|(name, _)| name == key))
            .map(|key| Ok((key.to_string(), kwargs.peek::<Value>(key)?)))
            .collect::<Result<Vec<_>, Error>>()?
            .into_iter()
            .collect();
        if others.args().next().is_some() {
            bound.push(Value::from(others));
        }
        callee.call(state, &bound)
    }
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
        assert_eq!(normpath("/a//b/./c/../d/"), "/a/b/d");
        assert_eq!(normpath("../a/.."), "..");
        assert_eq!(normpath("/.."), "/");
        assert_eq!(normpath("//a"), "//a");
        assert_eq!(normpath(""), ".");
        assert_eq!(
            expanduser("~root/x"),
            format!("{}/x", passwd_home("root", 0).unwrap())
        );
        assert_eq!(
            expanduser("~nosuchuser_machinist/x"),
            "~nosuchuser_machinist/x"
        );
        assert_eq!(expanduser("/a/~b"), "/a/~b");
        assert_eq!(
            expandvars("$MACHINIST_NOPE_X/${}/$"),
            "$MACHINIST_NOPE_X/${}/$"
        );
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
