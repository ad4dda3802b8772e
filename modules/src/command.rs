//! The `command` and `shell` modules: run a program in the target. Planning decides
//! only whether to run (`creates`/`removes`, checked through the Host so a check-mode
//! overlay counts); the executor runs it as an `Op::Run`. A run without `creates` or
//! `removes` cannot be predicted, so the runner reports it skipped in check mode.

mod expand;

use crate::{shell_words, Change, Host, Module, ModuleError, Op, Plan, RunSpec};
use indexmap::IndexMap;
use serde::Deserialize;
use std::path::Path;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The command line (`command: echo hi` is the same as `cmd: echo hi`).
    #[serde(alias = "_raw_params")]
    pub cmd: Option<String>,
    /// The program and its arguments, no splitting or quoting involved.
    pub argv: Option<Vec<String>>,
    pub chdir: Option<String>,
    /// Do not run when this path exists.
    pub creates: Option<String>,
    /// Do not run unless this path exists.
    pub removes: Option<String>,
    #[serde(default)]
    pub environment: IndexMap<String, String>,
    pub stdin: Option<String>,
    #[serde(default = "yes")]
    pub stdin_add_newline: bool,
    /// shell only: the shell to run the command line with (default /bin/sh).
    pub executable: Option<String>,
    /// command only: `$NAME` and a leading `~` in each argument expanded, as
    /// ansible-core's command module does (see command/expand.rs).
    #[serde(default = "yes")]
    pub expand_argument_vars: bool,
}

fn yes() -> bool {
    true
}

pub struct CommandModule {
    pub shell: bool,
}

impl Module for CommandModule {
    type Args = Args;
    const NAME: &'static str = "command";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let (argv, shown) = self.argv(args)?;
        let registered_cmd = match (&args.cmd, self.shell) {
            (Some(cmd), true) => serde_json::Value::from(cmd.as_str()),
            _ => serde_json::Value::from(argv.clone()),
        };
        let chdir = args.chdir.as_ref().map(|dir| Path::new("/").join(dir));
        let from_chdir = |path: &str| chdir.as_deref().unwrap_or(Path::new("/")).join(path);
        if let Some(creates) = &args.creates {
            if glob_matches(host, &from_chdir(creates))? {
                return Ok(skipped(creates, "exists", registered_cmd));
            }
        }
        if let Some(removes) = &args.removes {
            if !glob_matches(host, &from_chdir(removes))? {
                return Ok(skipped(removes, "does not exist", registered_cmd));
            }
        }
        let stdin = args.stdin.as_ref().map(|text| {
            let mut bytes = text.clone().into_bytes();
            if args.stdin_add_newline {
                bytes.push(b'\n');
            }
            bytes
        });
        let mut run = RunSpec {
            argv,
            chdir,
            env: args
                .environment
                .iter()
                .map(|(key, value)| (key.clone(), value.clone()))
                .collect(),
            stdin,
            place: crate::Place::Target,
            ..RunSpec::default()
        };
        if !self.shell && args.expand_argument_vars {
            // The environment the program gets: a root's clean one, or this machine's.
            let env = if host.is_offline() {
                crate::host::clean_env(&run)
            } else {
                std::env::vars().chain(run.env.iter().cloned()).collect()
            };
            run.argv = run
                .argv
                .iter()
                .map(|arg| expand::argument(host, &env, arg))
                .collect::<Result<_, _>>()?;
        }
        let change = Change {
            summary: format!("run: {shown}"),
            diff: None,
            ops: vec![Op::Run(run)],
        };
        let mut plan = Plan::change(vec![change]).with_data("cmd", registered_cmd);
        plan.predictable = args.creates.is_some() || args.removes.is_some();
        Ok(plan)
    }
}

/// Whether Python's `glob.glob(path)` finds anything in the target, as Ansible's
/// `creates`/`removes` ask: a component with `*`, `?` or `[` matched against the
/// names of its directory (read through the Host; a hidden name only by a pattern
/// that starts with `.`), the others taken as written.
fn glob_matches(host: &Host, path: &Path) -> Result<bool, ModuleError> {
    let wild = |text: &str| text.contains(['*', '?', '[']);
    if !wild(&path.to_string_lossy()) {
        return host.exists(path);
    }
    let mut found = vec![std::path::PathBuf::from("/")];
    for component in path.components() {
        let std::path::Component::Normal(name) = component else {
            continue;
        };
        let name = name.to_string_lossy();
        let mut next = Vec::new();
        for dir in found {
            if !wild(&name) {
                next.push(dir.join(&*name));
                continue;
            }
            let entries = match host.read_dir(&dir) {
                Ok(Some(entries)) => entries,
                Ok(None) | Err(ModuleError::Io { .. }) => continue,
                Err(err) => return Err(err),
            };
            for entry in entries {
                let entry = entry.to_string_lossy();
                let hidden = entry.starts_with('.') && !name.starts_with('.');
                if !hidden && crate::find::fnmatch(name.as_bytes(), entry.as_bytes()) {
                    next.push(dir.join(&*entry));
                }
            }
        }
        found = next;
    }
    for candidate in found {
        if host.exists(&candidate)? {
            return Ok(true);
        }
    }
    Ok(false)
}

impl CommandModule {
    fn name(&self) -> &'static str {
        if self.shell {
            "shell"
        } else {
            "command"
        }
    }

    /// The argv to run and the command line to show for it.
    fn argv(&self, args: &Args) -> Result<(Vec<String>, String), ModuleError> {
        if args.executable.is_some() && !self.shell {
            return Err(ModuleError::invalid(
                "executable",
                "executable is only for the shell module; command runs no shell",
            ));
        }
        let (argv, shown) = match (&args.cmd, &args.argv) {
            (Some(_), Some(_)) | (None, None) => {
                return Err(ModuleError::invalid(
                    "cmd",
                    format!("{}: give exactly one of cmd and argv", self.name()),
                ))
            }
            (Some(cmd), None) if self.shell => {
                let shell = args.executable.clone().unwrap_or_else(|| "/bin/sh".into());
                (vec![shell, "-c".into(), cmd.clone()], cmd.clone())
            }
            (Some(cmd), None) => {
                let argv = shell_words::split(cmd).map_err(|err| {
                    ModuleError::invalid("cmd", format!("cannot split cmd: {err}"))
                })?;
                (argv, cmd.clone())
            }
            (None, Some(_)) if self.shell => {
                return Err(ModuleError::invalid(
                    "argv",
                    "shell runs a command line: give cmd (the command module takes argv)",
                ))
            }
            (None, Some(argv)) => (argv.clone(), shell_words::join(argv)),
        };
        if argv.is_empty() || argv[0].is_empty() {
            return Err(ModuleError::invalid(
                "cmd",
                format!("{}: no program to run", self.name()),
            ));
        }
        Ok((argv, shown))
    }
}

/// Nothing to run, with the result keys Ansible registers for a skipped run (its msg
/// quotes the path, its stdout does not).
fn skipped(path: &str, reason: &str, cmd: serde_json::Value) -> Plan {
    let stdout = format!("skipped, since {path} {reason}");
    Plan::ok()
        .with_msg(format!("Did not run command since '{path}' {reason}"))
        .with_data("cmd", cmd)
        .with_data("rc", 0)
        .with_data("stdout_lines", serde_json::json!([stdout]))
        .with_data("stdout", stdout)
        .with_data("stderr", "")
        .with_data("stderr_lines", serde_json::json!([]))
        .with_data("start", serde_json::Value::Null)
        .with_data("end", serde_json::Value::Null)
        .with_data("delta", serde_json::Value::Null)
}

pub(crate) mod doc;
#[cfg(test)]
mod tests;
