//! `machinist doc` output: the list of modules and one module's page, as text for
//! people (shaped like ansible-doc's) or JSON for editors and completion. The pages'
//! shape is defined here; they are built by `crate::doc` (which depends on this,
//! never the reverse) and only written to stdout here.

use crate::cli::Format;
use serde::Serialize;
use serde_json::Value as Json;
use std::fmt::Write as _;
use std::io::Write;

/// What a module is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// A module of machinist-modules.
    Builtin,
    /// One of the runner's own actions (debug, set_fact, assert, fail, meta).
    Action,
    /// An executable in a library/ folder.
    Plugin,
}

/// One line of the list.
#[derive(Debug, Clone, Serialize)]
pub struct Entry {
    pub name: String,
    pub kind: Kind,
    pub summary: String,
}

/// One module's page.
#[derive(Debug, Clone, Serialize)]
pub struct ModuleDoc {
    pub name: String,
    pub kind: Kind,
    pub summary: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// A plugin's executable.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// `full`, `partial` or `none`.
    pub check_mode: &'static str,
    pub diff: &'static str,
    /// `None`: any argument is accepted (set_fact; a plugin without argument_spec).
    pub arguments: Option<Vec<ArgDoc>>,
    pub examples: String,
}

#[derive(Debug, Clone, Serialize)]
pub struct ArgDoc {
    pub name: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub required: bool,
    pub default: Option<Json>,
    pub choices: Vec<Json>,
    pub aliases: Vec<String>,
    pub description: String,
    pub no_log: bool,
}

/// One keyword of plays, blocks, tasks or includes (`machinist doc --keywords`).
#[derive(Debug, Clone, Serialize)]
pub struct KeywordDoc {
    pub name: String,
    /// `play`, `task`, `block` (block, import_tasks, import_role), `include`
    /// (include_tasks, include_role), `role entry`.
    pub places: Vec<&'static str>,
    /// Passed down to the tasks of what it is written on.
    pub inherited: bool,
    /// What its value is.
    pub value: &'static str,
    /// `supported`, or `issue #N` for a keyword refused until that issue.
    pub status: String,
    /// Where it is refused though taken elsewhere, and the issue (`block: issue #15`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub waiting_on: Option<String>,
    pub description: &'static str,
}

/// Print the keywords.
pub fn keywords(keywords: &[KeywordDoc], format: Format) -> std::io::Result<()> {
    match format {
        Format::Json => print(&json(&keywords)?),
        Format::Human => print(&keywords_text(keywords)),
    }
}

pub(crate) fn keywords_text(keywords: &[KeywordDoc]) -> String {
    let width = keywords.iter().map(|k| k.name.len()).max().unwrap_or(0);
    let places = |k: &KeywordDoc| match k.status.as_str() {
        "supported" => k.places.join(", "),
        _ => "-".to_string(),
    };
    let where_width = keywords.iter().map(|k| places(k).len()).max().unwrap_or(0);
    let mut out = format!(
        "{:width$}  {:where_width$}  DOWN  DESCRIPTION\n",
        "KEYWORD", "WHERE"
    );
    for keyword in keywords {
        let mut description = match keyword.status.as_str() {
            "supported" => format!("{} ({})", keyword.description, keyword.value),
            waiting => format!("not supported yet ({waiting})"),
        };
        if let Some(waiting_on) = &keyword.waiting_on {
            let _ = write!(description, "; not yet on a {waiting_on}");
        }
        let _ = writeln!(
            out,
            "{:width$}  {:where_width$}  {:4}  {description}",
            keyword.name,
            places(keyword),
            if keyword.inherited { "yes" } else { "-" },
        );
    }
    out.push_str(
        "\nDOWN: a play, block, import or include passes it down to every task it covers.\n\
         Handlers are tasks: they take the task keywords.\n\
         Any other with_<lookup> loop: not supported yet (issue #15).\n",
    );
    out
}

/// Print the list of modules.
pub fn list(entries: &[Entry], format: Format) -> std::io::Result<()> {
    match format {
        Format::Json => print(&json(&entries)?),
        Format::Human => print(&list_text(entries)),
    }
}

/// Print one module's page.
pub fn module(doc: &ModuleDoc, format: Format) -> std::io::Result<()> {
    match format {
        Format::Json => print(&json(doc)?),
        Format::Human => print(&module_text(doc)),
    }
}

fn json(value: &impl serde::Serialize) -> std::io::Result<String> {
    Ok(serde_json::to_string_pretty(value)? + "\n")
}

fn print(text: &str) -> std::io::Result<()> {
    let mut out = std::io::stdout().lock();
    out.write_all(text.as_bytes())?;
    out.flush()
}

fn kind(kind: Kind) -> &'static str {
    match kind {
        Kind::Builtin => "builtin",
        Kind::Action => "action",
        Kind::Plugin => "plugin",
    }
}

pub(crate) fn list_text(entries: &[Entry]) -> String {
    let width = entries
        .iter()
        .map(|e| e.name.len())
        .max()
        .unwrap_or(0)
        .max(6);
    let mut out = format!("{:width$}  {:7}  SUMMARY\n", "MODULE", "KIND");
    for entry in entries {
        let _ = writeln!(
            out,
            "{:width$}  {:7}  {}",
            entry.name,
            kind(entry.kind),
            entry.summary
        );
    }
    out
}

pub(crate) fn module_text(doc: &ModuleDoc) -> String {
    let what = match (&doc.kind, &doc.path) {
        (Kind::Plugin, Some(path)) => format!("plugin: {path}"),
        (kind_of, _) => kind(*kind_of).to_string(),
    };
    let mut out = format!("> {}  ({what})\n\n", doc.name.to_uppercase());
    let _ = writeln!(out, "  {}\n", doc.summary);
    if let Some(description) = &doc.description {
        let _ = writeln!(out, "{}\n", wrap(description, "  "));
    }
    let _ = writeln!(
        out,
        "  check mode: {}    diff: {}\n",
        doc.check_mode, doc.diff
    );
    out.push_str("ARGUMENTS\n\n");
    match &doc.arguments {
        None => out.push_str("  Any name: none is declared.\n\n"),
        Some(args) if args.is_empty() => out.push_str("  None.\n\n"),
        Some(args) => {
            for arg in args {
                out.push_str(&argument(arg));
            }
        }
    }
    out.push_str("EXAMPLES\n\n");
    if doc.examples.trim().is_empty() {
        out.push_str("  None.\n");
    } else {
        out.push_str(&indent(doc.examples.trim_end(), "  "));
        out.push('\n');
    }
    out
}

fn argument(arg: &ArgDoc) -> String {
    let mut head = format!("  {} ({}", arg.name, arg.kind);
    if arg.required {
        head.push_str(", required");
    }
    if let Some(default) = &arg.default {
        let _ = write!(head, ", default: {}", scalar(default));
    }
    if arg.no_log {
        head.push_str(", secret");
    }
    head.push_str(")\n");
    let mut body = Vec::new();
    if !arg.description.is_empty() {
        body.push(arg.description.clone());
    }
    if !arg.choices.is_empty() {
        let choices: Vec<String> = arg.choices.iter().map(scalar).collect();
        body.push(format!("choices: {}", choices.join(", ")));
    }
    if !arg.aliases.is_empty() {
        body.push(format!("aliases: {}", arg.aliases.join(", ")));
    }
    for text in body {
        let _ = writeln!(head, "{}", wrap(&text, "      "));
    }
    head.push('\n');
    head
}

fn scalar(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Words of `text` in lines of at most `WIDTH` columns, each starting with `by`.
fn wrap(text: &str, by: &str) -> String {
    const WIDTH: usize = 80;
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split_whitespace() {
        if !line.is_empty() && by.len() + line.len() + 1 + word.chars().count() > WIDTH {
            lines.push(format!("{by}{}", std::mem::take(&mut line)));
        }
        if !line.is_empty() {
            line.push(' ');
        }
        line.push_str(word);
    }
    if !line.is_empty() {
        lines.push(format!("{by}{line}"));
    }
    lines.join("\n")
}

fn indent(text: &str, by: &str) -> String {
    text.lines()
        .map(|line| {
            if line.is_empty() {
                String::new()
            } else {
                format!("{by}{line}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}
