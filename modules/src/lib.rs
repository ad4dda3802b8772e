//! The module API of machinist and its built-in modules.
//!
//! A module is pure planning: it gets typed arguments and a [`Host`], inspects the
//! target through the host (read-only), and answers with a [`Plan`]: either nothing to
//! do, or a list of [`Change`]s, each with a human summary, an optional [`Diff`] and the
//! [`Op`]s that carry it out. Only the executor applies ops (`Host::apply`), so check
//! mode is honest by construction: the same code decides `changed` in both modes.
//!
//! This crate knows nothing about playbooks, YAML files, templates or the CLI; it never
//! prints. Built-ins are one enum ([`registry::Builtin`]) and one `match`.

pub mod accounts;
pub mod apt;
pub mod apt_repository;
pub mod archive;
pub mod args;
pub mod assemble;
pub mod authorized_key;
pub mod blockinfile;
pub mod command;
pub mod cron;
pub mod deb822_repository;
pub mod debconf;
pub mod doc;
pub(crate) mod edit;
pub mod error;
pub mod expect;
pub mod file;
pub mod find;
pub mod firstboot;
pub mod get_url;
pub mod getent;
pub mod git;
pub mod group;
pub mod host;
pub mod hostname;
pub mod http;
pub mod ini_file;
pub mod interrupt;
pub mod known_hosts;
pub mod lineinfile;
pub mod locale_gen;
pub mod mode;
pub mod mount;
pub mod nspawn;
pub mod package;
pub mod package_facts;
pub mod pacman;
pub mod pacstrap;
pub mod pam_limits;
pub mod passwd;
pub mod ping;
pub mod presence;
pub mod progress;
pub mod pyregex;
pub mod raw;
pub mod registry;
pub mod replace;
pub mod resolv_link;
pub mod script;
pub mod service_facts;
pub mod shell_words;
pub mod slurp;
pub mod source;
pub mod stat;
pub mod synchronize;
pub mod sysctl;
pub mod systemd;
pub mod temp_file;
#[cfg(test)]
mod test_support;
pub mod timezone;
pub mod unarchive;
pub mod unit;
pub mod user;
pub mod verify;

pub use error::ModuleError;
pub use host::{Host, HostOptions};
pub use progress::{Progress, ProgressLines, ProgressUnit};
pub use registry::Builtin;
pub use verify::Verify;

use serde::de::DeserializeOwned;
use serde::Serialize;
use std::path::PathBuf;

/// A built-in module: typed arguments in, a plan out, no side effects.
pub trait Module {
    /// The arguments, deserialized from the task's rendered arguments.
    /// Every `Args` type uses `#[serde(deny_unknown_fields)]`.
    type Args: DeserializeOwned;
    /// The name tasks use (`file`, `command`, …).
    const NAME: &'static str;
    /// Read-only: inspect the target through `host` and say what must change.
    fn plan(&self, args: &Self::Args, host: &Host) -> Result<Plan, ModuleError>;
}

/// What a module decided.
#[derive(Debug, Default)]
pub struct Plan {
    /// Empty: the target is already as wanted (`ok`).
    pub changes: Vec<Change>,
    /// Whether the changes can be predicted without applying them. A command without
    /// `creates`/`removes` cannot: in check mode it is reported `skipped`.
    pub predictable: bool,
    /// A message for the result (`msg`), if the module has one to give.
    pub msg: Option<String>,
    /// Extra keys of the registered result (`path`, `mode`, `state`, …).
    pub data: serde_json::Map<String, serde_json::Value>,
    /// More keys of the result, built only when asked for ([`Plan::take_data`]),
    /// ahead of `data`'s: most tasks are not registered, and an unchanged file's
    /// keys cost more to build than the rest of its plan.
    pub deferred_data: Option<DeferredData>,
    /// Things the user should know even when the task succeeds (a setting nspawn will
    /// ignore, a unit assumed to come from an earlier task in check mode). The runner
    /// reports each as a warning.
    pub warnings: Vec<String>,
    /// Nothing done because the task said when not to act (unarchive's `creates`):
    /// reported `skipped`, as Ansible's action reports it.
    pub skipped: bool,
}

impl Plan {
    /// Nothing to do.
    pub fn ok() -> Plan {
        Plan {
            predictable: true,
            ..Plan::default()
        }
    }

    /// Nothing to do, reported `skipped` with `msg`.
    pub fn skipped(msg: impl Into<String>) -> Plan {
        Plan {
            skipped: true,
            ..Plan::ok()
        }
        .with_msg(msg)
    }

    /// The given changes, predictable in check mode.
    pub fn change(changes: Vec<Change>) -> Plan {
        Plan {
            changes,
            predictable: true,
            ..Plan::default()
        }
    }

    pub fn with_msg(mut self, msg: impl Into<String>) -> Plan {
        self.msg = Some(msg.into());
        self
    }

    pub fn with_data(mut self, key: &str, value: impl Serialize) -> Plan {
        let value = serde_json::to_value(value).unwrap_or(serde_json::Value::Null);
        self.data.insert(key.to_string(), value);
        self
    }

    /// Keys of the result that `build` makes if they are asked for.
    pub fn with_deferred_data(
        mut self,
        build: impl FnOnce() -> serde_json::Map<String, serde_json::Value> + 'static,
    ) -> Plan {
        self.deferred_data = Some(DeferredData(Box::new(build)));
        self
    }

    /// Every key of the result: the deferred ones, then `data`'s.
    pub fn take_data(&mut self) -> serde_json::Map<String, serde_json::Value> {
        let data = std::mem::take(&mut self.data);
        match self.deferred_data.take() {
            None => data,
            Some(DeferredData(build)) => {
                let mut all = build();
                all.extend(data);
                all
            }
        }
    }

    pub fn with_warning(mut self, warning: impl Into<String>) -> Plan {
        self.warnings.push(warning.into());
        self
    }

    pub fn is_changed(&self) -> bool {
        !self.changes.is_empty()
    }
}

/// See [`Plan::deferred_data`].
pub struct DeferredData(Box<dyn FnOnce() -> serde_json::Map<String, serde_json::Value>>);

impl std::fmt::Debug for DeferredData {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DeferredData(..)")
    }
}

/// One thing that differs from what is wanted.
#[derive(Debug, Clone)]
pub struct Change {
    /// What changes, in a few words (`create /etc/hostname`, `mode 0644 -> 0600`).
    pub summary: String,
    /// What the reporter shows under `--diff`.
    pub diff: Option<Diff>,
    /// How the executor carries it out.
    pub ops: Vec<Op>,
}

/// A before/after pair, rendered as a unified diff by the reporter.
/// Serializable both ways: an agent sends it back to the controller (issue 17).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Diff {
    pub before_header: String,
    pub after_header: String,
    pub before: String,
    pub after: String,
}

impl Diff {
    /// A diff of one path, with Ansible's `before: PATH` / `after: PATH` headers.
    pub fn of_path(path: &str, before: impl Into<String>, after: impl Into<String>) -> Diff {
        Diff {
            before_header: path.to_string(),
            after_header: path.to_string(),
            before: before.into(),
            after: after.into(),
        }
    }
}

/// Who owns a file: numeric ids, already resolved against the target's own
/// /etc/passwd and /etc/group.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Ownership {
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// An operation on the target. Paths are absolute paths INSIDE the host's root.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// Atomically replace (or create) a regular file: temp file in the same directory
    /// with `mode` and owner from the first byte, fsync, rename.
    WriteFile {
        path: PathBuf,
        content: Vec<u8>,
        mode: u32,
        owner: Ownership,
    },
    /// As `WriteFile`, with the bytes of a controller file, streamed (copy's `src:`):
    /// never held in memory whole.
    CopyFile {
        path: PathBuf,
        source: source::SourceFile,
        mode: u32,
        owner: Ownership,
    },
    /// [`Op::WriteFile`], with a check of the new content before it replaces the old:
    /// the temp file is written beside the file, `validate` (argv, `%s` standing for
    /// the temp file's path inside the root) runs in the target, and only when it
    /// exits 0 is the temp file renamed into place (Ansible's `validate`). Check mode
    /// records the write without running the program, as Ansible does.
    WriteValidated {
        path: PathBuf,
        content: Vec<u8>,
        mode: u32,
        owner: Ownership,
        validate: Vec<String>,
    },
    /// Create one directory (the parent must exist or be created by an earlier op).
    Mkdir {
        path: PathBuf,
        mode: u32,
        owner: Ownership,
    },
    /// Create or replace a symbolic link; `target` is stored as given, never followed.
    Symlink { path: PathBuf, target: PathBuf },
    /// Create or replace a hard link to `target` (a path inside the root).
    Hardlink { path: PathBuf, target: PathBuf },
    /// Remove a file, link or (recursively) a directory.
    Remove { path: PathBuf },
    /// Copy a file aside before it is replaced (`backup: true`).
    Backup { path: PathBuf, to: PathBuf },
    /// Set permission bits (never follows a final symlink).
    Chmod { path: PathBuf, mode: u32 },
    /// Set owner and/or group (never follows a final symlink).
    Chown { path: PathBuf, owner: Ownership },
    /// Set the modification time to now, creating an empty file if needed.
    Touch { path: PathBuf, mode: u32 },
    /// Set the access and/or modification time (`None`: left as it is) of the object
    /// at `path`, never following a final symlink (utimensat).
    SetTimes {
        path: PathBuf,
        atime: Option<TimeSpec>,
        mtime: Option<TimeSpec>,
    },
    /// Run a program in the target (directly on `/`, in the root otherwise).
    Run(RunSpec),
    /// After a real run of the ops before it, check that the target is as planned
    /// (pacstrap: the ignored packages are really absent); its error fails the task.
    /// Skipped in check mode, and when an earlier `Run` of the same list failed (that
    /// failure is the one to report).
    Verify(Verify),
    /// Check mode only: what an earlier `Run` is predicted to leave behind (pacstrap:
    /// the new root's skeleton), recorded in the overlay so later tasks of the same
    /// check run plan against it. A real run skips it: the program did the work.
    Predicted(Box<Op>),
    /// Check mode only: the enablement `systemctl enable|disable|mask|unmask` would
    /// leave `unit` (`scope/name`) in, as `is-enabled` would print it (`None`: not
    /// known beforehand, as after `unmask`), remembered for later tasks of the same
    /// check run: systemctl itself sees only the disk. A real run skips it.
    PredictedEnablement { unit: String, state: Option<String> },
}

impl Op {
    /// The op's word in logs (`write`, `mkdir`, `run` …).
    pub fn kind(&self) -> &'static str {
        match self {
            Op::WriteFile { .. } => "write",
            Op::CopyFile { .. } => "copy",
            Op::WriteValidated { .. } => "write (validated)",
            Op::Mkdir { .. } => "mkdir",
            Op::Symlink { .. } => "symlink",
            Op::Hardlink { .. } => "hardlink",
            Op::Remove { .. } => "remove",
            Op::Backup { .. } => "backup",
            Op::Chmod { .. } => "chmod",
            Op::Chown { .. } => "chown",
            Op::Touch { .. } => "touch",
            Op::SetTimes { .. } => "set times",
            Op::Run(_) => "run",
            Op::Verify(_) => "verify",
            Op::Predicted(_) => "predicted",
            Op::PredictedEnablement { .. } => "predicted enablement",
        }
    }

    /// The in-root path the op names, if it names one.
    pub fn path(&self) -> Option<&std::path::Path> {
        match self {
            Op::WriteFile { path, .. }
            | Op::CopyFile { path, .. }
            | Op::WriteValidated { path, .. }
            | Op::Mkdir { path, .. }
            | Op::Symlink { path, .. }
            | Op::Hardlink { path, .. }
            | Op::Remove { path }
            | Op::Backup { path, .. }
            | Op::Chmod { path, .. }
            | Op::Chown { path, .. }
            | Op::Touch { path, .. }
            | Op::SetTimes { path, .. } => Some(path),
            Op::Predicted(op) => op.path(),
            Op::Run(_) | Op::Verify(_) | Op::PredictedEnablement { .. } => None,
        }
    }
}

/// A time to set: the moment the op is applied, or a given one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeSpec {
    Now,
    At(host::Timestamp),
}

/// A program to run, and how.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunSpec {
    pub argv: Vec<String>,
    pub chdir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    pub stdin: Option<Vec<u8>>,
    pub place: Place,
    /// How the program's output tells its progress, for long runs (pacstrap).
    pub progress: Option<ProgressLines>,
    /// [`Place::Controller`] only: the controller's paths the tool needs besides the
    /// root (a pacman.conf, a package cache), bound at the same path in its jail.
    pub controller_paths: Vec<host::ControllerPath>,
    /// Values in `argv` that logs never show (a password hash): masked wherever they
    /// occur in a word. (`stdin` is never logged at all.)
    pub secrets: Vec<String>,
    /// Run on a pseudo-terminal with its prompts answered (the expect module; in the
    /// target only): host/pty.rs.
    pub conversation: Option<expect::Conversation>,
    /// Not run (rc `None`, no output) when a `Run` before it in the same apply failed:
    /// a step of a sequence that only makes sense after the steps before it (git's).
    pub after_success_only: bool,
}

/// Where a program runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Place {
    /// Inside the target: directly on `/`, through systemd-nspawn or chroot otherwise.
    #[default]
    Target,
    /// A tool of the machine running machinist, handed the root in its arguments as
    /// [`Host::tool_root`] (`systemctl --root=…`, `pacstrap …/dest`). On a root other
    /// than `/` it runs jailed: the root is all it can reach (see `host/jail.rs`).
    Controller,
}

/// The programs among `ops` with what each printed (`outputs` is the apply's, one per
/// op): for the results of modules whose ops run programs.
pub fn runs_of<'a>(ops: &'a [Op], outputs: &'a [OpOutput]) -> Vec<(&'a RunSpec, &'a OpOutput)> {
    ops.iter()
        .zip(outputs)
        .filter_map(|(op, output)| match op {
            Op::Run(spec) => Some((spec, output)),
            _ => None,
        })
        .collect()
}

/// What running one op produced (only `Run` produces anything).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct OpOutput {
    pub rc: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl OpOutput {
    /// What a failed tool said, for an error message: its stderr, or that it printed
    /// nothing there (with its exit code), never an empty tail after a colon.
    pub fn said(&self) -> String {
        let stderr = self.stderr.trim();
        if !stderr.is_empty() {
            return stderr.to_string();
        }
        let rc = self
            .rc
            .map_or("no exit code".into(), |rc| format!("exit code {rc}"));
        format!("it printed nothing on stderr ({rc})")
    }
}
