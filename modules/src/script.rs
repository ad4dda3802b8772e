//! The `script` module (ansible.builtin.script): a file of the controller (found in
//! files/ as copy's `src`, by the runner, which hands it over as `_script_from`) sent
//! into a private folder of the target's /tmp, run there through the shell with the
//! task's arguments, and removed with its folder whatever the script did. Nothing is
//! left on the target. `creates`/`removes` decide first (reported skipped, as
//! Ansible's action); in check mode a run they do not decide is skipped, one they
//! allow is predicted `changed` (the overlay records the send and the removal).

use crate::source::SourceFile;
use crate::{shell_words, Change, Host, Module, ModuleError, Op, Ownership, Plan, RunSpec};
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The script's name and its arguments (the free form: `script: setup.sh --fast`).
    #[serde(rename = "_raw_params")]
    pub raw_params: Option<String>,
    /// The same, as an argument.
    pub cmd: Option<String>,
    /// Do not run when this path of the target exists.
    pub creates: Option<String>,
    /// Do not run unless this path of the target exists.
    pub removes: Option<String>,
    /// Run in this directory of the target (absolute).
    pub chdir: Option<String>,
    /// The program that runs the script (`EXECUTABLE SCRIPT ARGS`), else its `#!` line.
    pub executable: Option<String>,
    /// Variables added to the script's environment (the `environment` keyword's).
    #[serde(default)]
    pub environment: indexmap::IndexMap<String, String>,
    /// The runner's: the controller file found for the script's name.
    #[serde(rename = "_script_from")]
    pub script_from: Option<String>,
}

/// The runner's argument: never a task's.
pub const RUNNER_ARG: &str = "_script_from";

/// The shell the command line runs with (Ansible's `DEFAULT_EXECUTABLE`).
const SHELL: &str = "/bin/sh";

pub struct ScriptModule;

impl Module for ScriptModule {
    type Args = Args;
    const NAME: &'static str = "script";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let line = command_line(args)?;
        let words = shell_words::split(line.trim())
            .map_err(|err| ModuleError::invalid("_raw_params", format!("cannot split: {err}")))?;
        let Some(script) = words.first().filter(|word| !word.is_empty()) else {
            return Err(ModuleError::invalid(
                "_raw_params",
                "script: no script named",
            ));
        };
        if let Some(creates) = &args.creates {
            if host.exists(&absolute("creates", creates)?)? {
                return Ok(Plan::skipped(format!(
                    "{creates} exists, matching creates option"
                )));
            }
        }
        if let Some(removes) = &args.removes {
            if !host.exists(&absolute("removes", removes)?)? {
                return Ok(Plan::skipped(format!(
                    "{removes} does not exist, matching removes option"
                )));
            }
        }
        let chdir = match &args.chdir {
            Some(dir) if !dir.starts_with('/') => {
                return Err(ModuleError::invalid(
                    "chdir",
                    format!("chdir {dir} must be an absolute path for a Unix-aware remote node"),
                ))
            }
            dir => dir.as_ref().map(PathBuf::from),
        };
        let Some(from) = &args.script_from else {
            return Err(ModuleError::Failed(format!(
                "script: the runner found no controller file for '{script}'"
            )));
        };
        let source = SourceFile::open(Path::new(from))
            .map_err(|err| ModuleError::io(Path::new(from), err))?;
        let folder = Path::new("/tmp").join(format!(
            "machinist-script-{}",
            crate::temp_file::random_name()?
        ));
        let name = Path::new(script).file_name().map_or_else(
            || "script".into(),
            |name| name.to_string_lossy().into_owned(),
        );
        let sent = folder.join(&name);
        let sent_text = sent.to_string_lossy();
        // As Ansible's: every occurrence of the script's name in the line becomes the
        // sent file's path, the rest of the line (its quoting too) as written.
        let target_command = line.trim().replace(script.as_str(), &sent_text);
        let shell_line = match &args.executable {
            Some(executable) => format!("{executable} {target_command}"),
            None => target_command,
        };
        let run = RunSpec {
            argv: vec![SHELL.into(), "-c".into(), shell_line],
            chdir,
            env: args
                .environment
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
            place: crate::Place::Target,
            ..RunSpec::default()
        };
        let change = Change {
            summary: format!("run script: {}", line.trim()),
            diff: None,
            ops: vec![
                Op::Mkdir {
                    path: folder.clone(),
                    mode: 0o700,
                    owner: Ownership::default(),
                },
                Op::CopyFile {
                    path: sent,
                    source,
                    mode: 0o700,
                    owner: Ownership::default(),
                },
                Op::Run(run),
                // Ops go on after a failed run: the folder goes whatever the script did.
                Op::Remove { path: folder },
            ],
        };
        let mut plan = Plan::change(vec![change]);
        plan.predictable = args.creates.is_some() || args.removes.is_some();
        Ok(plan)
    }
}

/// The script and its arguments: the free form or `cmd`, exactly one.
fn command_line(args: &Args) -> Result<&str, ModuleError> {
    match (&args.raw_params, &args.cmd) {
        (Some(line), None) | (None, Some(line)) => Ok(line),
        (Some(_), Some(_)) => Err(ModuleError::invalid(
            "cmd",
            "parameters are mutually exclusive: _raw_params, cmd",
        )),
        (None, None) => Err(ModuleError::invalid(
            "cmd",
            "one of the following is required: _raw_params, cmd",
        )),
    }
}

/// A creates/removes path, which must be absolute here (Ansible's is relative to the
/// remote user's home, which a root has no notion of).
fn absolute(field: &str, path: &str) -> Result<PathBuf, ModuleError> {
    if !path.starts_with('/') {
        return Err(ModuleError::invalid(
            field,
            format!("{field} must be an absolute path of the target, not '{path}'"),
        ));
    }
    Ok(PathBuf::from(path))
}

pub(crate) mod doc;
#[cfg(test)]
mod tests;
