//! `pipe` and `lines`: a command line run with `/bin/sh -c` on the controller, in the
//! playbook's folder, as Ansible's lookups run it; its output (bounded: 16 MiB, no
//! timeout, as Ansible sets none) is the result. A non-zero exit is an error.

use std::path::PathBuf;
use std::process::Command;

use machinist_modules::host::bounded::{self, Ended, Limits};
use minijinja::{Error, State, Value};

use super::super::filters::{invalid, text};
use super::var_path;

/// `pipe`: each command's whole output, trailing whitespace stripped.
pub(super) fn pipe(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    terms
        .iter()
        .map(|term| {
            let out = run(state, "pipe", &text(term)?)?;
            Ok(Value::from(out.trim_end()))
        })
        .collect()
}

/// `lines`: each line of each command's output, one result per line.
pub(super) fn lines(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    let mut results = Vec::new();
    for term in terms {
        let out = run(state, "lines", &text(term)?)?;
        results.extend(out.lines().map(Value::from));
    }
    Ok(results)
}

fn run(state: &State, plugin: &str, command_line: &str) -> Result<String, Error> {
    let mut command = Command::new("/bin/sh");
    command.arg("-c").arg(command_line);
    if let Some(dir) = var_path(state, "playbook_dir").or_else(|| Some(PathBuf::from("."))) {
        command.current_dir(dir);
    }
    tracing::debug!(plugin, command = command_line, "lookup runs");
    let limits = Limits {
        timeout: None,
        max_stdout: crate::input::MAX_TEXT_BYTES as usize,
        max_stderr: 64 << 10,
    };
    let ran = bounded::run(command, Vec::new(), &limits)
        .map_err(|err| invalid(format!("lookup_plugin.{plugin}({command_line}): {err}")))?;
    match ran.ended {
        Ended::Exited(0) => {}
        Ended::Exited(rc) => {
            return Err(invalid(format!(
                "lookup_plugin.{plugin}({command_line}) returned {rc}"
            )))
        }
        other => {
            return Err(invalid(format!(
                "lookup_plugin.{plugin}({command_line}) ended: {other:?}"
            )))
        }
    }
    String::from_utf8(ran.stdout).map_err(|_| {
        invalid(format!(
            "lookup_plugin.{plugin}({command_line}): the output is not UTF-8"
        ))
    })
}
