//! The expect module (ansible.builtin.expect): a program run on a pseudo-terminal, its
//! prompts answered. Planning decides only whether it runs (`creates`/`removes`,
//! through the Host so a check-mode overlay counts) and checks the prompts' regexes;
//! the Host runs it as an `Op::Run` whose [`Conversation`] host/pty.rs holds with the
//! program, as pexpect's `run` does for Ansible. A run cannot be predicted: in check
//! mode it is skipped unless `creates`/`removes` decide.

use crate::{shell_words, Change, Host, Module, ModuleError, Op, Plan, RunSpec};
use indexmap::IndexMap;
use serde::{Deserialize, Deserializer};
use serde_json::Value as Json;
use std::path::Path;
use std::time::Duration;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The command line, split as a shell would (no shell runs it).
    pub command: String,
    /// Prompt regexes (Python's) → an answer, or a list of answers for the
    /// successive matches.
    pub responses: IndexMap<String, Json>,
    /// Seconds to wait for each prompt (and the end); `null`: no limit. Default 30.
    #[serde(default = "default_timeout", deserialize_with = "timeout")]
    pub timeout: Option<u64>,
    /// Leave the terminal's echo on, so the answers are in the output.
    #[serde(default)]
    pub echo: bool,
    pub chdir: Option<String>,
    /// Do not run when this path exists.
    pub creates: Option<String>,
    /// Do not run unless this path exists.
    pub removes: Option<String>,
}

fn default_timeout() -> Option<u64> {
    Some(30)
}

/// Ansible's `type: raw` timeout read with check_type_int: an int, or a text of one;
/// `null` disables it.
fn timeout<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<u64>, D::Error> {
    let value = Json::deserialize(deserializer)?;
    let seconds = match &value {
        Json::Null => return Ok(None),
        Json::Number(number) => number.as_u64(),
        Json::String(text) => text.trim().parse::<u64>().ok(),
        _ => None,
    };
    seconds.map(Some).ok_or_else(|| {
        serde::de::Error::custom(format!(
            "argument 'timeout' is {value} and could not be converted to a number of seconds"
        ))
    })
}

/// A program's prompts and their answers, held with it on a pseudo-terminal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// Each prompt's Python regex, as written, and its answers (each sent with a
    /// newline, as pexpect's `run` is given them by Ansible).
    pub responses: Vec<(String, Answers)>,
    /// How long to wait for a prompt (or the end) after the last one.
    pub timeout: Option<Duration>,
    /// The terminal echoes what is typed (the answers show in the output).
    pub echo: bool,
}

/// The answer to a prompt each time, or one answer per match in turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answers {
    Always(String),
    InTurn(Vec<String>),
}

pub struct ExpectModule;

impl Module for ExpectModule {
    type Args = Args;
    const NAME: &'static str = "expect";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.command.trim().is_empty() {
            return Err(ModuleError::invalid("command", "no command given"));
        }
        let argv = shell_words::split(&args.command).map_err(|err| {
            ModuleError::invalid("command", format!("cannot split command: {err}"))
        })?;
        let mut responses = Vec::new();
        for (prompt, answer) in &args.responses {
            compile(prompt).map_err(|err| ModuleError::invalid("responses", err))?;
            let answers = match answer {
                Json::Array(items) => Answers::InTurn(items.iter().map(python_str).collect()),
                other => Answers::Always(python_str(other)),
            };
            responses.push((prompt.clone(), answers));
        }
        let chdir = args.chdir.as_ref().map(|dir| Path::new("/").join(dir));
        let from_chdir = |path: &str| chdir.as_deref().unwrap_or(Path::new("/")).join(path);
        let cmd = Json::from(args.command.as_str());
        if let Some(creates) = &args.creates {
            if host.exists(&from_chdir(creates))? {
                return Ok(skipped(format!("skipped, since {creates} exists"), cmd));
            }
        }
        if let Some(removes) = &args.removes {
            if !host.exists(&from_chdir(removes))? {
                return Ok(skipped(
                    format!("skipped, since {removes} does not exist"),
                    cmd,
                ));
            }
        }
        let run = RunSpec {
            argv,
            chdir,
            place: crate::Place::Target,
            conversation: Some(Conversation {
                responses,
                timeout: args.timeout.map(Duration::from_secs),
                echo: args.echo,
            }),
            ..RunSpec::default()
        };
        let change = Change {
            summary: format!("run: {}", args.command),
            diff: None,
            ops: vec![Op::Run(run)],
        };
        let mut plan = Plan::change(vec![change]).with_data("cmd", cmd);
        plan.predictable = args.creates.is_some() || args.removes.is_some();
        Ok(plan)
    }
}

/// A prompt's regex as pexpect compiles it: Python's syntax, `re.DOTALL`, on bytes.
pub fn compile(prompt: &str) -> Result<regex::bytes::Regex, String> {
    regex::bytes::RegexBuilder::new(&crate::pyregex::python_pattern(prompt))
        .dot_matches_new_line(true)
        .build()
        .map_err(|err| format!("invalid regular expression '{prompt}': {err}"))
}

/// An answer as Ansible's to_bytes makes it of a YAML value (Python's str()).
fn python_str(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        Json::Null => "None".into(),
        other => other.to_string(),
    }
}

/// Nothing to run: Ansible's expect exits with these keys (no msg).
fn skipped(stdout: String, cmd: Json) -> Plan {
    Plan::ok()
        .with_data("cmd", cmd)
        .with_data("rc", 0)
        .with_data("stdout_lines", serde_json::json!([stdout]))
        .with_data("stdout", stdout)
}

pub(crate) mod doc;
#[cfg(test)]
mod tests;
