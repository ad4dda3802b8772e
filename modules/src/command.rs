//! The `command` and `shell` modules: run a program in the target. Planning decides
//! only whether to run (`creates`/`removes`); the executor runs it as an `Op::Run`.

use crate::{Host, Module, ModuleError, Plan};
use indexmap::IndexMap;
use serde::Deserialize;

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

    fn plan(&self, _args: &Args, _host: &Host) -> Result<Plan, ModuleError> {
        Err(ModuleError::Failed("command: not built yet".into()))
    }
}
