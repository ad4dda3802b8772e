//! The `raw` module (ansible.builtin.raw): a command line handed to the target's shell
//! as it is, with none of a module's machinery (no creates/removes, no chdir, no
//! environment). It always reports `changed`; a run cannot be predicted, so in check
//! mode the runner reports it skipped, as Ansible's raw action does.

use crate::{Change, Host, Module, ModuleError, Op, Plan, RunSpec};
use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The command line (the free form: `raw: pacman -Sy --noconfirm python`).
    #[serde(rename = "_raw_params")]
    pub cmd: String,
    /// The shell that runs the command line (`EXECUTABLE -c LINE`); default /bin/sh.
    pub executable: Option<String>,
}

pub struct RawModule;

/// The shell a raw line runs with when the task names none: Ansible's local
/// connection's (`DEFAULT_EXECUTABLE`).
const DEFAULT_SHELL: &str = "/bin/sh";

impl Module for RawModule {
    type Args = Args;
    const NAME: &'static str = "raw";

    fn plan(&self, args: &Args, _host: &Host) -> Result<Plan, ModuleError> {
        if args.cmd.trim().is_empty() {
            return Err(ModuleError::invalid(
                "_raw_params",
                "raw: no command line to run",
            ));
        }
        let shell = match args.executable.as_deref() {
            Some("") => {
                return Err(ModuleError::invalid(
                    "executable",
                    "raw: executable is empty",
                ))
            }
            Some(shell) => shell,
            None => DEFAULT_SHELL,
        };
        let run = RunSpec {
            argv: vec![shell.to_string(), "-c".into(), args.cmd.clone()],
            place: crate::Place::Target,
            ..RunSpec::default()
        };
        let change = Change {
            summary: format!("run raw: {}", args.cmd),
            diff: None,
            ops: vec![Op::Run(run)],
        };
        let mut plan = Plan::change(vec![change]);
        plan.predictable = false;
        Ok(plan)
    }
}

pub(crate) mod doc;
#[cfg(test)]
mod tests;
