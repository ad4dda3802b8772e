//! The `file` module: one module for what Ansible splits into file, copy and template.
//! It plans the content, type, mode and owner of one path inside the target root.
//!
//! `template` is rendered by the runner into `content`, and `src` (copy) is found by it
//! and handed over as `_copy_from` (streamed, see source.rs), before planning; here `src` only means the target of state=link/hard. The plan is
//! read-only: it inspects the target through the [`Host`] (so a check-mode overlay
//! counts) and answers with changes whose ops the executor applies.

pub(crate) mod attrs;
pub(crate) mod content;
mod copy_remote;
pub mod copy_tree;
pub(crate) mod doc;
mod links;
mod times;
mod tree;

pub use crate::mode::ModeArg;
/// The id an `owner`/`group` argument names, for other modules' owners.
pub(crate) use attrs::owner_id as attrs_owner_id;
/// Ansible's backup file name (`PATH.YYYY-MM-DD@HH:MM:SS~`), for other modules' backups.
pub(crate) use content::backup_name;

use crate::{Host, Module, ModuleError, Ownership, Plan};
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// What the path should be.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    File,
    Directory,
    Link,
    Hard,
    Absent,
    /// Create an empty file when missing. Unlike Ansible, an existing path is left
    /// alone (`ok`): Ansible updates its mtime and reports `changed` on every run,
    /// which makes a playbook never converge; we keep the second run `ok`.
    Touch,
}

/// An owner or group: a name (looked up in the TARGET root) or a numeric id.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(untagged, expecting = "a user or group name, or a numeric id")]
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
    /// The file's whole content (a trailing newline is kept as written). A number or
    /// boolean (`content: "{{ count }}"` renders natively) is written as Python's
    /// `str()` prints it, as Ansible's copy does.
    #[serde(default, deserialize_with = "text_or_scalar")]
    pub content: Option<String>,
    /// state=link/hard: the link target; otherwise a file in the playbook's or role's
    /// files/ (read by the runner into `content` before planning).
    pub src: Option<String>,
    /// A template in templates/ (rendered by the runner into `content` before planning).
    pub template: Option<String>,
    /// Set by the runner, never by a task: the controller file `src:` was found at,
    /// copied streamed (never read whole).
    #[serde(rename = "_copy_from")]
    pub copy_from: Option<String>,
    /// Set by the runner, never by a task: copy's `src:` is a directory, walked on the
    /// controller into these entries (see copy_tree.rs).
    #[serde(rename = "_copy_tree")]
    pub copy_tree: Option<copy_tree::CopyTree>,
    /// Copy of a directory: the mode of the directories it creates or copies (default:
    /// new ones 0755, existing ones as they are), as Ansible's copy.
    pub directory_mode: Option<ModeArg>,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
    /// state=directory: apply mode/owner/group to everything below.
    #[serde(default)]
    pub recurse: bool,
    /// Content: replace a file whose content differs (default yes; no: only create
    /// missing files). state=link/hard: replace a file or empty directory with the
    /// link, or link to a missing target (default no). Ansible's copy and file differ
    /// here, and so do the defaults per state.
    pub force: Option<bool>,
    /// Keep the old file as PATH.TIMESTAMP~ before replacing it.
    #[serde(default)]
    pub backup: bool,
    /// Templates: Ansible's defaults (trim_blocks on, lstrip_blocks off).
    pub trim_blocks: Option<bool>,
    pub lstrip_blocks: Option<bool>,
    /// copy: `src` is a path on the target (a file, or a directory: `DIR/` its
    /// contents), read through the Host inside the root rather than on the controller.
    #[serde(default)]
    pub remote_src: bool,
    /// copy: follow the symlinks of a `src:` directory (Ansible's default, yes), or
    /// copy them as links; read by the runner, which walks the source.
    pub local_follow: Option<bool>,
    /// Templates: what each newline of the template's text becomes (`\n`, `\r\n`,
    /// `\r`); read by the runner, which renders templates.
    pub newline_sequence: Option<String>,
    /// Templates: Jinja's delimiters (`{%`/`%}`, `{{`/`}}`, `{#`/`#}` unless given);
    /// read by the runner, which renders templates.
    pub block_start_string: Option<String>,
    pub block_end_string: Option<String>,
    pub variable_start_string: Option<String>,
    pub variable_end_string: Option<String>,
    pub comment_start_string: Option<String>,
    pub comment_end_string: Option<String>,
    /// Act on the target of a symlink at `path` (inside the root) rather than the link
    /// itself, for state=file/directory/touch and mode/owner (Ansible's default, yes).
    /// With `follow: false` content replaces a symlink by a regular file.
    #[serde(default = "yes")]
    pub follow: bool,
    /// copy/template: a command run in the target on the new content (`%s`: its temp
    /// file) before it replaces the file.
    pub validate: Option<String>,
    /// `preserve`, `now`, or a timestamp read with `modification_time_format`.
    pub modification_time: Option<String>,
    pub modification_time_format: Option<String>,
    /// `preserve`, `now`, or a timestamp read with `access_time_format`.
    pub access_time: Option<String>,
    pub access_time_format: Option<String>,
}

/// Arguments the runner sets naming one controller file each, never a task
/// (validation does not know them; an agent receives them as files).
pub const RUNNER_ARGS: &[&str] = &["_copy_from"];

/// The argument the runner sets for a copy of a directory, never a task: it names many
/// controller files, which no agent is sent (refused over a connection).
pub const RUNNER_TREE_ARG: &str = "_copy_tree";

fn yes() -> bool {
    true
}

/// A string, or a number or boolean as Python's `str()` prints it (`True`, `2`, `1.5`).
pub(crate) fn text_or_scalar<'de, D: serde::Deserializer<'de>>(
    de: D,
) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Scalar {
        Text(String),
        Bool(bool),
        Int(i64),
        Float(f64),
    }
    Ok(
        Option::<Scalar>::deserialize(de)?.map(|scalar| match scalar {
            Scalar::Text(text) => text,
            Scalar::Bool(true) => "True".into(),
            Scalar::Bool(false) => "False".into(),
            Scalar::Int(n) => n.to_string(),
            Scalar::Float(f) if f.fract() == 0.0 && f.is_finite() => format!("{f:.1}"),
            Scalar::Float(f) => f.to_string(),
        }),
    )
}

pub struct FileModule;

impl Module for FileModule {
    type Args = Args;
    const NAME: &'static str = "file";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if let Some(tree) = &args.copy_tree {
            return copy_tree::plan(args, tree, host);
        }
        if args.remote_src {
            return copy_remote::plan(args, host);
        }
        if args.directory_mode.is_some() {
            return Err(ModuleError::invalid(
                "directory_mode",
                "directory_mode is the mode of the directories a copy of a directory (src: DIR) makes; this task copies no directory",
            ));
        }
        let task = Task::new(args, host)?;
        let state = task.state()?;
        let mut plan = match state {
            State::File => task.plan_file(),
            State::Directory => task.plan_directory(),
            State::Link => task.plan_link(),
            State::Hard => task.plan_hard(),
            State::Absent => task.plan_absent(),
            State::Touch => task.plan_touch(),
        }?;
        if task.sets_times() {
            let place = task.place(args.follow)?;
            let change = task.time_change(state, &place)?;
            plan.changes.extend(change);
        }
        Ok(plan)
    }
}

/// state=file with the content given as bytes, for modules whose content is not text
/// from the task (get_url's download, unarchive's entries): the file module's planning
/// of content, mode, owner, backup and result keys. `args.content` must be `None`.
pub(crate) fn plan_bytes(args: &Args, content: &[u8], host: &Host) -> Result<Plan, ModuleError> {
    Task::new(args, host)?.plan_file_content(Some(content))
}

/// One planning of one `file` task: the arguments, the host, and what they resolve to.
struct Task<'a> {
    args: &'a Args,
    host: &'a Host,
    /// The path as written, made absolute (for messages and diff headers).
    path: PathBuf,
    /// `path` as text, as messages, diffs and results show it.
    shown: String,
    /// The owner and group asked for, as ids of the target.
    owner: Ownership,
}

impl<'a> Task<'a> {
    fn new(args: &'a Args, host: &'a Host) -> Result<Task<'a>, ModuleError> {
        Task::with_dest(args, host, true)
    }

    /// `into_dir`: a copy's dest that is a directory gets the source's name inside it
    /// (a task's own dest); not for the entries of a directory copy, whose paths are
    /// exact.
    fn with_dest(args: &'a Args, host: &'a Host, into_dir: bool) -> Result<Task<'a>, ModuleError> {
        if args.template.is_some() {
            return Err(ModuleError::invalid(
                "template",
                "template must be rendered by the runner into content before planning",
            ));
        }
        if args.path.trim().is_empty() {
            return Err(ModuleError::invalid("path", "path is empty"));
        }
        let owner = Ownership {
            uid: attrs::owner_id(host, args.owner.as_ref(), "owner")?,
            gid: attrs::owner_id(host, args.group.as_ref(), "group")?,
        };
        let mut path = PathBuf::with_capacity(1 + args.path.len());
        path.push("/");
        path.push(&args.path);
        if let (true, Some(source)) = (into_dir, &args.copy_from) {
            // As Ansible's copy: a dest that is a directory (trailing slash or not)
            // gets the source's name inside it.
            let into_dir = host.stat(&path)?.is_some_and(|meta| meta.is_dir());
            if let (true, Some(name)) = (into_dir, Path::new(source).file_name()) {
                path.push(name);
            }
        }
        Ok(Task {
            args,
            host,
            // What Display shows (invalid UTF-8 replaced), without its formatter.
            shown: path.to_string_lossy().into_owned(),
            path,
            owner,
        })
    }

    /// `force`, defaulting as Ansible's copy (content) or file (links) would.
    fn force(&self) -> bool {
        let copies = self.args.content.is_some() || self.args.copy_from.is_some();
        self.args.force.unwrap_or(copies)
    }

    fn shown(&self) -> &str {
        &self.shown
    }

    /// The state asked for, or the one the path has now.
    fn state(&self) -> Result<State, ModuleError> {
        let args = self.args;
        let state = match args.state {
            Some(state) => state,
            None if args.content.is_some() || args.copy_from.is_some() => State::File,
            None if args.src.is_some() => {
                return Err(ModuleError::invalid(
                    "src",
                    "src without state: give state: link or state: hard, or let the runner read it into content (copy)",
                ))
            }
            None => self.current_state()?,
        };
        if args.src.is_some() && !matches!(state, State::Link | State::Hard) {
            return Err(ModuleError::invalid(
                "src",
                format!(
                    "src with state={} must be read by the runner into content before planning; \
                     the file module uses src only as the target of state=link/hard",
                    state_name(state)
                ),
            ));
        }
        let new_content = args.content.is_some() || args.copy_from.is_some();
        if args.validate.is_some() && (state != State::File || !new_content) {
            return Err(ModuleError::invalid(
                "validate",
                "validate checks new content: it needs content (copy, template) and state=file",
            ));
        }
        if new_content && state != State::File {
            return Err(ModuleError::invalid(
                if args.content.is_some() {
                    "content"
                } else {
                    "src"
                },
                format!(
                    "content is only used with state=file, not state={}",
                    state_name(state)
                ),
            ));
        }
        Ok(state)
    }

    fn current_state(&self) -> Result<State, ModuleError> {
        let meta = if self.args.follow {
            self.host.stat(&self.path)?
        } else {
            self.host.lstat(&self.path)?
        };
        match meta.map(|meta| meta.kind) {
            Some(crate::host::Kind::Dir) => Ok(State::Directory),
            Some(crate::host::Kind::Symlink(_)) => Ok(State::Link),
            Some(_) => Ok(State::File),
            None => Err(ModuleError::invalid(
                "path",
                format!(
                    "path {} does not exist; give content, or state=touch/directory",
                    self.shown()
                ),
            )),
        }
    }

    /// The canonical in-root path the task acts on: the final symlink followed (inside
    /// the root) when `follow`, else the path itself under its canonical parent.
    fn place(&self, follow: bool) -> Result<PathBuf, ModuleError> {
        if follow {
            return self.host.resolve(&self.path);
        }
        match (self.path.parent(), self.path.file_name()) {
            (Some(parent), Some(name)) => Ok(self.host.resolve(parent)?.join(name)),
            _ => self.host.resolve(&self.path),
        }
    }

    /// The directory that must hold a new file or link (Ansible's copy refuses too).
    fn expect_parent_dir(&self, place: &Path) -> Result<(), ModuleError> {
        let parent = place.parent().unwrap_or(Path::new("/"));
        match self.host.stat(parent)? {
            Some(meta) if meta.is_dir() => Ok(()),
            _ => Err(ModuleError::Failed(format!(
                "Destination directory {} does not exist",
                parent.display()
            ))),
        }
    }
}

fn state_name(state: State) -> &'static str {
    match state {
        State::File => "file",
        State::Directory => "directory",
        State::Link => "link",
        State::Hard => "hard",
        State::Absent => "absent",
        State::Touch => "touch",
    }
}

#[cfg(test)]
mod tests;
