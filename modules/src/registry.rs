//! The built-in modules: one enum, one `match`. Everything that needs the list of
//! modules (validation, dispatch, docs) asks this enum, so nothing keeps a copy.

use crate::{args, command, file, Host, Module, ModuleError, Plan};
use serde::de::DeserializeOwned;

/// A module implemented in this crate. `Copy` and `Template` are `file` with Ansible's
/// meaning of `src` (the runner reads or renders the source into `content` first).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Builtin {
    File,
    Copy,
    Template,
    Command,
    Shell,
}

impl Builtin {
    pub const ALL: &'static [Builtin] = &[
        Builtin::File,
        Builtin::Copy,
        Builtin::Template,
        Builtin::Command,
        Builtin::Shell,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Builtin::File => file::FileModule::NAME,
            Builtin::Copy => "copy",
            Builtin::Template => "template",
            Builtin::Command => command::CommandModule::NAME,
            Builtin::Shell => "shell",
        }
    }

    /// One line for `machinist doc`.
    pub fn summary(self) -> &'static str {
        match self {
            Builtin::File => "Files, directories, links and their content, mode and owner",
            Builtin::Copy => "Ansible's copy: file content from `content` or a file in files/",
            Builtin::Template => "Ansible's template: a file rendered from templates/",
            Builtin::Command => {
                "Run a program (no shell); skipped in check mode unless creates/removes decide"
            }
            Builtin::Shell => "Run a command line through /bin/sh",
        }
    }

    /// The built-in a task's module key names: the short name or `ansible.builtin.NAME`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        let short = name.strip_prefix("ansible.builtin.").unwrap_or(name);
        let short = short.strip_prefix("machinist.").unwrap_or(short);
        Builtin::ALL.iter().copied().find(|b| b.name() == short)
    }

    /// The argument names the module accepts, from its serde definition.
    pub fn arg_names(self) -> &'static [&'static str] {
        match self {
            Builtin::File | Builtin::Copy | Builtin::Template => args::field_names::<file::Args>(),
            Builtin::Command | Builtin::Shell => args::field_names::<command::Args>(),
        }
    }

    /// Type-check rendered arguments without planning.
    pub fn check_args(self, value: &serde_json::Value) -> Result<(), ArgError> {
        match self {
            Builtin::File | Builtin::Copy | Builtin::Template => {
                decode::<file::Args>(value).map(drop)
            }
            Builtin::Command | Builtin::Shell => {
                let args = decode::<command::Args>(value)?;
                if args.cmd.is_none() && args.argv.is_none() {
                    // Said as a missing argument, so a templated one may still give it.
                    return Err(ArgError {
                        field: Some("cmd".into()),
                        message: "missing required argument 'cmd' (or 'argv')".into(),
                    });
                }
                Ok(())
            }
        }
    }

    /// Decode the rendered arguments and plan.
    pub fn plan(self, value: &serde_json::Value, host: &Host) -> Result<Plan, PlanError> {
        match self {
            Builtin::File | Builtin::Copy | Builtin::Template => file::FileModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Command => command::CommandModule { shell: false }
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Shell => command::CommandModule { shell: true }
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
        }
    }
}

/// Arguments that do not fit the module's definition.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ArgError {
    /// The top-level argument at fault (`mode`), when serde names one.
    pub field: Option<String>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Args(#[from] ArgError),
    #[error(transparent)]
    Module(#[from] ModuleError),
}

fn decode<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ArgError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let field = err.path().iter().next().and_then(|segment| match segment {
            serde_path_to_error::Segment::Map { key } => Some(key.clone()),
            _ => None,
        });
        let message = err.into_inner().to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'));
        match missing {
            Some(name) => ArgError {
                field: Some(name.to_string()),
                message: format!("missing required argument '{name}'"),
            },
            None => ArgError { field, message },
        }
    })
}
