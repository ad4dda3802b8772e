//! The `file` module: one module for what Ansible splits into file, copy and template.
//! It plans the content, type, mode and owner of one path inside the target root.

use crate::{Host, Module, ModuleError, Plan};
use serde::Deserialize;

/// What the path should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    File,
    Directory,
    Link,
    Hard,
    Absent,
    Touch,
}

/// A mode as written by the user: an octal string (`"0644"`) or symbolic (`u=rw,g=r,o=`).
/// Bare YAML numbers are refused: `644` is decimal to YAML, a well-known Ansible trap.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum ModeArg {
    Text(String),
    Number(u64),
}

/// An owner or group: a name (looked up in the TARGET root) or a numeric id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged)]
pub enum IdArg {
    Name(String),
    Id(u32),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The path inside the target root.
    #[serde(alias = "dest", alias = "name")]
    pub path: String,
    /// Default: `file` when content is given, else the path's current type.
    pub state: Option<State>,
    /// The file's whole content (a trailing newline is kept as written).
    pub content: Option<String>,
    /// state=link/hard: the link target; otherwise a file in the playbook's or role's
    /// files/ (read by the runner into `content` before planning).
    pub src: Option<String>,
    /// A template in templates/ (rendered by the runner into `content` before planning).
    pub template: Option<String>,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
    /// state=directory: apply mode/owner/group to everything below.
    #[serde(default)]
    pub recurse: bool,
    /// Replace content that differs (false: only create missing files); replace a
    /// non-link with a link.
    #[serde(default = "yes")]
    pub force: bool,
    /// Keep the old file as PATH.TIMESTAMP~ before replacing it.
    #[serde(default)]
    pub backup: bool,
    /// Templates: Ansible's defaults (trim_blocks on, lstrip_blocks off).
    pub trim_blocks: Option<bool>,
    pub lstrip_blocks: Option<bool>,
}

fn yes() -> bool {
    true
}

pub struct FileModule;

impl Module for FileModule {
    type Args = Args;
    const NAME: &'static str = "file";

    fn plan(&self, _args: &Args, _host: &Host) -> Result<Plan, ModuleError> {
        Err(ModuleError::Failed("file: not built yet".into()))
    }
}
