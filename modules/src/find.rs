//! The find module (Ansible's `ansible.builtin.find`): the files of the target's
//! directories that pass Ansible's filters (glob or regex patterns and excludes on
//! the base name, file_type, age, size, contains, mode, hidden, depth), walked as
//! Python's `os.walk` walks (a directory's files, then its subdirectories), through
//! the Host: in-root resolution and the check-mode overlay. Each found path gets
//! stat's keys. It never changes anything: always `ok`.
//!
//! Names are walked in sorted order (Python's follows the directory's order). With
//! `follow`, a directory reached twice through links is walked once (Python's walk
//! would loop forever in a root whose links make a cycle).

pub(crate) mod doc;

use crate::host::{Details, Kind};
use crate::mode;
use crate::stat::{checksum, Algorithm};
use crate::{Host, Module, ModuleError, Plan};
use regex::bytes::Regex;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::HashSet;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FileType {
    #[default]
    File,
    Directory,
    Link,
    Any,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum AgeStamp {
    Atime,
    Ctime,
    #[default]
    Mtime,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    #[serde(alias = "name", alias = "path", deserialize_with = "list")]
    pub paths: Vec<String>,
    #[serde(default, alias = "pattern", deserialize_with = "list")]
    pub patterns: Vec<String>,
    #[serde(default, alias = "exclude", deserialize_with = "list")]
    pub excludes: Vec<String>,
    pub contains: Option<String>,
    #[serde(default)]
    pub read_whole_file: bool,
    #[serde(default)]
    pub file_type: FileType,
    #[serde(default, deserialize_with = "crate::file::text_or_scalar")]
    pub age: Option<String>,
    #[serde(default)]
    pub age_stamp: AgeStamp,
    #[serde(default, deserialize_with = "crate::file::text_or_scalar")]
    pub size: Option<String>,
    #[serde(default)]
    pub recurse: bool,
    #[serde(default)]
    pub hidden: bool,
    #[serde(default)]
    pub follow: bool,
    #[serde(default)]
    pub get_checksum: bool,
    #[serde(default, alias = "checksum", alias = "checksum_algo")]
    pub checksum_algorithm: Algorithm,
    #[serde(default)]
    pub use_regex: bool,
    pub depth: Option<u64>,
    pub mode: Option<String>,
    #[serde(default = "yes")]
    pub exact_mode: bool,
    pub encoding: Option<String>,
    pub limit: Option<i64>,
}

fn yes() -> bool {
    true
}

/// Ansible's `type='list'`: a list, or a string split at commas.
pub(crate) fn list<'de, D: serde::Deserializer<'de>>(de: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum OneOrMany {
        One(String),
        Many(Vec<String>),
    }
    Ok(match OneOrMany::deserialize(de)? {
        OneOrMany::One(text) => text.split(',').map(|s| s.trim().to_string()).collect(),
        OneOrMany::Many(items) => items,
    })
}

pub struct FindModule;

impl Module for FindModule {
    type Args = Args;
    const NAME: &'static str = "find";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let filters = Filters::new(args)?;
        let mut search = Search {
            host,
            args,
            filters,
            files: Vec::new(),
            examined: 0,
            skipped: Map::new(),
            warnings: Vec::new(),
            walked: HashSet::new(),
            limit_reached: false,
        };
        for path in &args.paths {
            if search.limit_reached {
                break;
            }
            search.top(path)?;
        }
        let msg = if !search.warnings.is_empty() {
            "Not all paths examined, check warnings for details"
        } else if search.limit_reached {
            "Limit of matches reached"
        } else {
            "All paths examined"
        };
        let mut plan = Plan::ok()
            .with_msg(msg)
            .with_data("matched", search.files.len())
            .with_data("examined", search.examined)
            .with_data("skipped_paths", Value::Object(search.skipped))
            .with_data("files", Value::Array(search.files));
        plan.warnings = search.warnings;
        Ok(plan)
    }
}

/// The filters, parsed once.
struct Filters {
    patterns: Vec<Pattern>,
    excludes: Vec<Pattern>,
    contains: Option<Regex>,
    age: Option<i64>,
    size: Option<i64>,
    mode: Option<u32>,
    now: f64,
}

enum Pattern {
    Glob(String),
    Regex(Regex),
}

impl Pattern {
    fn matches(&self, name: &str) -> bool {
        match self {
            Pattern::Glob(glob) => fnmatch(glob.as_bytes(), name.as_bytes()),
            Pattern::Regex(regex) => regex.is_match(name.as_bytes()),
        }
    }
}

impl Filters {
    fn new(args: &Args) -> Result<Filters, ModuleError> {
        if let Some(encoding) = &args.encoding {
            let normal = encoding.to_ascii_lowercase().replace('_', "-");
            if normal != "utf-8" && normal != "utf8" {
                return Err(ModuleError::invalid(
                    "encoding",
                    format!("encoding '{encoding}' is not supported: only utf-8 files are"),
                ));
            }
        }
        if let Some(limit) = args.limit.filter(|limit| *limit <= 0) {
            return Err(ModuleError::invalid(
                "limit",
                format!("limit cannot be {limit} (use None for unlimited)"),
            ));
        }
        let pattern = |field: &str, text: &str| -> Result<Pattern, ModuleError> {
            if !args.use_regex {
                return Ok(Pattern::Glob(text.to_string()));
            }
            // re.match: anchored at the start only.
            crate::pyregex::compile(&format!("\\A(?:{text})"), false)
                .map(Pattern::Regex)
                .map_err(|message| ModuleError::invalid(field, message))
        };
        let mut patterns = args
            .patterns
            .iter()
            .map(|p| pattern("patterns", p))
            .collect::<Result<Vec<_>, _>>()?;
        if patterns.is_empty() {
            patterns.push(pattern(
                "patterns",
                if args.use_regex { ".*" } else { "*" },
            )?);
        }
        let excludes = args
            .excludes
            .iter()
            .map(|p| pattern("excludes", p))
            .collect::<Result<Vec<_>, _>>()?;
        let contains = args
            .contains
            .as_deref()
            .map(|text| {
                let anchored = if args.read_whole_file {
                    text.to_string()
                } else {
                    format!("\\A(?:{text})")
                };
                crate::pyregex::compile(&anchored, false)
                    .map_err(|message| ModuleError::invalid("contains", message))
            })
            .transpose()?;
        let units = |field: &str, text: &str, table: &[(char, i64)]| {
            let lower = text.to_ascii_lowercase();
            let (digits, factor) = match lower.chars().last() {
                Some(unit) if unit.is_ascii_alphabetic() => {
                    let factor = table.iter().find(|(u, _)| *u == unit).map(|(_, f)| *f);
                    (&lower[..lower.len() - 1], factor)
                }
                _ => (lower.as_str(), Some(1)),
            };
            match (digits.parse::<i64>(), factor) {
                (Ok(number), Some(factor)) => Ok(number.saturating_mul(factor)),
                _ => Err(ModuleError::invalid(
                    field,
                    format!("failed to process {field}"),
                )),
            }
        };
        let age = args
            .age
            .as_deref()
            .map(|age| {
                let table = [
                    ('s', 1),
                    ('m', 60),
                    ('h', 3600),
                    ('d', 86_400),
                    ('w', 604_800),
                ];
                units("age", age, &table)
            })
            .transpose()?;
        let size = args
            .size
            .as_deref()
            .map(|size| {
                let table = [
                    ('b', 1),
                    ('k', 1 << 10),
                    ('m', 1 << 20),
                    ('g', 1 << 30),
                    ('t', 1 << 40),
                ];
                units("size", size, &table)
            })
            .transpose()?;
        let mode = args
            .mode
            .as_deref()
            .map(|text| match u32::from_str_radix(text, 8) {
                Ok(octal) => Ok(octal & 0o7777),
                Err(_) => mode::parse(text, 0, false),
            })
            .transpose()?;
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0.0, |since| since.as_secs_f64());
        Ok(Filters {
            patterns,
            excludes,
            contains,
            age,
            size,
            mode,
            now,
        })
    }

    /// Ansible's pfilter: a pattern matches and no exclude does.
    fn name(&self, name: &str) -> bool {
        self.patterns.iter().any(|p| p.matches(name))
            && !self.excludes.iter().any(|e| e.matches(name))
    }

    fn age(&self, details: &Details, stamp: AgeStamp) -> bool {
        let Some(age) = self.age else {
            return true;
        };
        let time = match stamp {
            AgeStamp::Atime => details.extra.atime,
            AgeStamp::Ctime => details.extra.ctime,
            AgeStamp::Mtime => details.extra.mtime,
        };
        let elapsed = self.now - time.as_f64();
        if age >= 0 {
            elapsed >= age as f64
        } else {
            elapsed <= age.unsigned_abs() as f64
        }
    }

    fn size(&self, details: &Details) -> bool {
        match self.size {
            None => true,
            Some(size) if size >= 0 => details.meta.size >= size as u64,
            Some(size) => details.meta.size <= size.unsigned_abs(),
        }
    }

    fn mode(&self, details: &Details, exact: bool) -> bool {
        match self.mode {
            None => true,
            Some(mode) if exact => details.meta.mode & 0o7777 == mode,
            Some(mode) => details.meta.mode & mode != 0,
        }
    }
}

/// One run of the module: what it found and counted so far.
struct Search<'a> {
    host: &'a Host,
    args: &'a Args,
    filters: Filters,
    files: Vec<Value>,
    examined: usize,
    skipped: Map<String, Value>,
    warnings: Vec<String>,
    /// Directories walked, by device and inode (links followed into a cycle).
    walked: HashSet<(u64, u64)>,
    limit_reached: bool,
}

impl Search<'_> {
    fn top(&mut self, path: &str) -> Result<(), ModuleError> {
        let absolute = Path::new("/").join(path);
        let is_dir = self.host.stat(&absolute)?.is_some_and(|meta| meta.is_dir());
        if !is_dir {
            let reason = format!("'{path}' is not a directory");
            self.warnings.push(format!(
                "Skipped '{path}' path due to this access issue: {reason}\n"
            ));
            self.skipped.insert(path.to_string(), json!(reason));
            return Ok(());
        }
        // Ansible's depth: separators in the path beyond those of `PATH/`, plus one.
        let top_depth = format!("{}/", path.trim_end_matches('/'))
            .matches('/')
            .count();
        self.walk(path, top_depth)
    }

    /// One directory, as one step of os.walk: its entries examined, then (recurse)
    /// its subdirectories.
    fn walk(&mut self, dir: &str, top_depth: usize) -> Result<(), ModuleError> {
        let dir_path = Path::new("/").join(dir);
        if let Some(meta) = self.host.stat(&dir_path)? {
            if !self.walked.insert((meta.dev, meta.ino)) {
                return Ok(());
            }
        }
        let Some(names) = self.host.read_dir(&dir_path)? else {
            self.skipped
                .insert(dir.to_string(), json!("No such file or directory"));
            return Ok(());
        };
        let mut files = Vec::new();
        let mut dirs = Vec::new();
        for name in names {
            let name = name.to_string_lossy().into_owned();
            let child = dir_path.join(&name);
            if self.host.stat(&child)?.is_some_and(|meta| meta.is_dir()) {
                dirs.push(name);
            } else {
                files.push(name);
            }
        }
        self.examined += files.len() + dirs.len();
        let mut descend = true;
        for name in files.iter().chain(dirs.iter()) {
            let shown = normpath(&format!("{}/{name}", dir.trim_end_matches('/')));
            if let Some(depth) = self.args.depth.filter(|depth| *depth > 0) {
                let level = shown.matches('/').count() + 1 - top_depth;
                if level as u64 > depth {
                    descend = false;
                    continue;
                }
            }
            if name.starts_with('.') && !self.args.hidden {
                continue;
            }
            let Some(details) = self.host.details(&Path::new("/").join(&shown), false)? else {
                continue;
            };
            if self.wanted(name, &details)? {
                self.files.push(self.entry(&shown, &details)?);
            }
            if self
                .args
                .limit
                .is_some_and(|limit| self.files.len() as i64 == limit)
            {
                self.limit_reached = true;
                return Ok(());
            }
        }
        if !self.args.recurse || !descend {
            return Ok(());
        }
        for name in dirs {
            let child = format!("{}/{name}", dir.trim_end_matches('/'));
            let is_link = self
                .host
                .lstat(&Path::new("/").join(&child))?
                .is_some_and(|meta| meta.is_symlink());
            if is_link && !self.args.follow {
                continue;
            }
            self.walk(&child, top_depth)?;
            if self.limit_reached {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Ansible's filters for the entry's type.
    fn wanted(&self, name: &str, details: &Details) -> Result<bool, ModuleError> {
        let filters = &self.filters;
        let common = filters.name(name)
            && filters.age(details, self.args.age_stamp)
            && filters.mode(details, self.args.exact_mode);
        let is_file = details.meta.is_file();
        Ok(match self.args.file_type {
            FileType::Any => common && (!is_file || filters.size(details)),
            FileType::Directory => details.meta.is_dir() && common,
            FileType::Link => details.meta.is_symlink() && common,
            FileType::File => {
                is_file && common && filters.size(details) && self.contains(details)?
            }
        })
    }

    fn contains(&self, details: &Details) -> Result<bool, ModuleError> {
        let Some(regex) = &self.filters.contains else {
            return Ok(true);
        };
        let content = self.host.read_file(&details.canonical)?.unwrap_or_default();
        if self.args.read_whole_file {
            return Ok(regex.is_match(&content));
        }
        Ok(content
            .split_inclusive(|byte| *byte == b'\n')
            .any(|line| regex.is_match(line)))
    }

    /// Ansible's statinfo for a found path.
    fn entry(&self, shown: &str, details: &Details) -> Result<Value, ModuleError> {
        let mut entry = crate::stat::format_output(shown, details);
        for key in ["exists", "blocks", "block_size", "device_type"] {
            entry.remove(key);
        }
        let user = self.host.user_name(details.meta.uid)?.unwrap_or_default();
        let group = self.host.group_name(details.meta.gid)?.unwrap_or_default();
        entry.insert("gr_name".into(), json!(group));
        entry.insert("pw_name".into(), json!(user));
        let regular = matches!(details.meta.kind, Kind::File);
        if regular && self.args.get_checksum {
            let content = self.host.read_file(&details.canonical)?.unwrap_or_default();
            let digest = checksum(self.args.checksum_algorithm, &content);
            entry.insert("checksum".into(), json!(digest));
        }
        Ok(Value::Object(entry))
    }
}

/// Python's `os.path.normpath` for the absolute or relative paths find shows.
fn normpath(path: &str) -> String {
    let absolute = path.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." if parts.last().is_some_and(|last| *last != "..") => {
                parts.pop();
            }
            ".." if absolute => {}
            part => parts.push(part),
        }
    }
    let joined = parts.join("/");
    match (absolute, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".into(),
        (false, false) => joined,
    }
}

/// Python's `fnmatch.fnmatch` on POSIX: `*`, `?`, `[seq]`, `[!seq]`, case-sensitive.
pub(crate) fn fnmatch(pattern: &[u8], name: &[u8]) -> bool {
    match pattern.split_first() {
        None => name.is_empty(),
        Some((b'*', rest)) => (0..=name.len()).any(|skip| fnmatch(rest, &name[skip..])),
        Some((b'?', rest)) => !name.is_empty() && fnmatch(rest, &name[1..]),
        Some((b'[', rest)) => match class(rest) {
            Some((members, negated, after)) => name.split_first().is_some_and(|(first, tail)| {
                in_class(members, *first) != negated && fnmatch(after, tail)
            }),
            // No closing bracket: a literal `[`.
            None => name.first() == Some(&b'[') && fnmatch(rest, &name[1..]),
        },
        Some((literal, rest)) => name.first() == Some(literal) && fnmatch(rest, &name[1..]),
    }
}

/// A bracket expression after its `[`: its members, whether negated, and the rest.
fn class(pattern: &[u8]) -> Option<(&[u8], bool, &[u8])> {
    let (negated, body) = match pattern.first() {
        Some(b'!') => (true, &pattern[1..]),
        _ => (false, pattern),
    };
    // A `]` first is a member.
    let close = body.iter().skip(1).position(|b| *b == b']')? + 1;
    Some((&body[..close], negated, &body[close + 1..]))
}

fn in_class(members: &[u8], byte: u8) -> bool {
    let mut at = 0;
    while at < members.len() {
        if at + 2 < members.len() && members[at + 1] == b'-' {
            if members[at] <= byte && byte <= members[at + 2] {
                return true;
            }
            at += 3;
        } else {
            if members[at] == byte {
                return true;
            }
            at += 1;
        }
    }
    false
}

#[cfg(test)]
mod tests;
