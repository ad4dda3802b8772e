//! The `git` module (Ansible's `ansible.builtin.git`): a checkout of a repository at
//! `dest` in the target, at `version` (a branch, a tag, a commit, or the remote's HEAD).
//!
//! The target's own git does the work, run where programs of the target run (directly
//! on `/`, through systemd-nspawn or chroot inside a root: see `host/exec.rs`), so a
//! repository path, `key_file` and `dest` are paths of the target and git never sees
//! the controller's tree. Planning only asks: `git ls-remote` of the remote (as
//! Ansible's check mode does), `rev-parse`, `status --porcelain`, `branch -a` of an
//! existing checkout, and the repository's HEAD file through the Host. The plan's ops
//! then run Ansible's sequence of commands (git/steps.rs): clone or fetch, switch to
//! the version, submodules, and last `git rev-parse HEAD`, whose output is the
//! registered `after` of a real run (the runner asks [`after_of_run`]); check mode
//! registers the `after` the remote announced. Ansible's decisions are followed step
//! by step (ansible-core 2.19's git.py); what differs is in docs/ansible-differences.md.

pub(crate) mod doc;
mod remote;
mod steps;
#[cfg(test)]
mod tests;

use crate::{Change, Diff, Host, Module, ModuleError, Op, OpOutput, Ownership, Plan, RunSpec};
use serde::Deserialize;
use std::path::{Component, Path, PathBuf};

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The repository: a URL, `user@host:path`, or a path in the target.
    #[serde(alias = "name")]
    pub repo: String,
    /// Where the checkout goes (required unless `clone: false`).
    pub dest: Option<String>,
    #[serde(default = "head")]
    pub version: String,
    #[serde(default = "origin")]
    pub remote: String,
    pub refspec: Option<String>,
    pub reference: Option<String>,
    #[serde(default)]
    pub force: bool,
    pub depth: Option<u32>,
    #[serde(default = "yes")]
    pub clone: bool,
    #[serde(default = "yes")]
    pub update: bool,
    #[serde(default)]
    pub verify_commit: bool,
    #[serde(default, alias = "gpg_whitelist")]
    pub gpg_allowlist: Vec<String>,
    #[serde(default)]
    pub accept_hostkey: bool,
    #[serde(default)]
    pub accept_newhostkey: bool,
    pub key_file: Option<String>,
    pub ssh_opts: Option<String>,
    pub executable: Option<String>,
    #[serde(default)]
    pub bare: bool,
    #[serde(default = "yes")]
    pub recursive: bool,
    #[serde(default)]
    pub single_branch: bool,
    #[serde(default)]
    pub track_submodules: bool,
    /// A quoted octal string (`'0022'`), as Ansible requires.
    pub umask: Option<serde_json::Value>,
    pub archive: Option<String>,
    pub archive_prefix: Option<String>,
    pub separate_git_dir: Option<String>,
    /// Variables added to git's environment (the `environment` keyword's go here):
    /// proxies, GIT_SSH_COMMAND, GIT_CONFIG_* settings.
    #[serde(default)]
    pub environment: indexmap::IndexMap<String, String>,
}

fn head() -> String {
    "HEAD".into()
}

fn origin() -> String {
    "origin".into()
}

fn yes() -> bool {
    true
}

pub struct GitModule;

impl Module for GitModule {
    type Args = Args;
    const NAME: &'static str = "git";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        refuse_unsupported(args)?;
        let git = Git::new(args, host)?;
        // Ansible: "depth require[s] a file:/// protocol for path based urls".
        let repo = if args.repo.starts_with('/') {
            format!("file://{}", args.repo)
        } else {
            args.repo.clone()
        };
        let Some(dest) = args.dest.as_deref() else {
            if args.clone {
                return Err(ModuleError::invalid(
                    "dest",
                    "the destination directory must be specified unless clone=no",
                ));
            }
            // clone=no and no dest: what the remote has, as Ansible reports it.
            let after = git.remote_head(&repo, None, &args.version, args.bare)?;
            return Ok(Plan::change(vec![Change {
                summary: format!("{} is at {after} in {repo}", args.version),
                diff: None,
                ops: Vec::new(),
            }])
            .with_data("before", serde_json::Value::Null)
            .with_data("after", after));
        };
        let dest = absolute(dest);
        let repo_dir = repo_dir(host, &dest, args.bare)?;
        let planner = steps::Planner {
            args,
            git: &git,
            repo: &repo,
            dest: &dest,
        };
        if !host.exists(&repo_dir.join("config"))? {
            if !args.clone {
                let after = git.remote_head(&repo, None, &args.version, args.bare)?;
                return Ok(Plan::change(vec![Change {
                    summary: format!("{} is not a checkout (clone=no)", dest.display()),
                    diff: Some(newly_checked_out(&dest, &after)),
                    ops: Vec::new(),
                }])
                .with_data("before", serde_json::Value::Null)
                .with_data("after", after));
            }
            return planner.cloning();
        }
        let before = git.current(&dest)?;
        if !args.update {
            return Ok(Plan::ok()
                .with_data("before", &before)
                .with_data("after", &before));
        }
        planner.updating(before)
    }
}

/// The registered `after` of a real run: what the plan's last step, `git rev-parse
/// HEAD`, printed (`None` when the plan has no such step, a step failed, or nothing
/// ran: check mode).
pub fn after_of_run(ops: &[Op], outputs: &[OpOutput]) -> Option<String> {
    let runs = crate::runs_of(ops, outputs);
    if runs.iter().any(|(_, output)| output.rc != Some(0)) {
        return None;
    }
    let (spec, output) = runs.last()?;
    let printed = output.stdout.trim_end_matches('\n');
    // Check mode ran nothing: its steps print nothing, and the plan's `after` stays.
    (spec
        .argv
        .ends_with(&["rev-parse".to_string(), "HEAD".to_string()])
        && !printed.is_empty())
    .then(|| printed.to_string())
}

/// The words a failed git step gets in the task's message: which step and what git
/// said on stderr.
pub fn failure(spec: &RunSpec, output: &OpOutput) -> String {
    // Past the umask wrapper (`/bin/sh -c SCRIPT sh MASK`) and the program, `-C DIR`.
    let skip = if spec.argv.first().is_some_and(|word| word == UMASK_SHELL) {
        6
    } else {
        1
    };
    let mut words = spec.argv.iter().skip(skip).peekable();
    if words.peek().is_some_and(|word| *word == "-C") {
        words.nth(1);
    }
    let step = words.next().map_or("", String::as_str);
    format!("Failed to run git {step}: {}", output.said())
}

/// The shell a `umask` runs git through.
const UMASK_SHELL: &str = "/bin/sh";

/// What is not implemented is refused, never ignored.
fn refuse_unsupported(args: &Args) -> Result<(), ModuleError> {
    let refused = [
        (
            "archive",
            args.archive.is_some() || args.archive_prefix.is_some(),
        ),
        (
            "verify_commit",
            args.verify_commit || !args.gpg_allowlist.is_empty(),
        ),
        ("track_submodules", args.track_submodules),
        ("separate_git_dir", args.separate_git_dir.is_some()),
    ];
    if let Some((name, _)) = refused.iter().find(|(_, given)| *given) {
        return Err(ModuleError::invalid(
            name,
            format!("git: {name} is not supported by machinist yet"),
        ));
    }
    if args.accept_hostkey && args.accept_newhostkey {
        return Err(ModuleError::invalid(
            "accept_hostkey",
            "parameters are mutually exclusive: accept_hostkey|accept_newhostkey",
        ));
    }
    for (name, value) in [("remote", &args.remote), ("version", &args.version)] {
        if value.starts_with('-') || value.is_empty() {
            return Err(ModuleError::invalid(
                name,
                format!("git: {name} '{value}' is not a name git takes"),
            ));
        }
    }
    if args.repo.starts_with('-') {
        return Err(ModuleError::invalid(
            "repo",
            format!("git: repo '{}' would be read as an option", args.repo),
        ));
    }
    if args.refspec.as_deref().is_some_and(|r| r.starts_with('-')) {
        return Err(ModuleError::invalid(
            "refspec",
            "git: a refspec starting with '-' would be read as an option",
        ));
    }
    Ok(())
}

/// `dest` made absolute and normal (Python's `os.path.abspath` from `/`).
fn absolute(dest: &str) -> PathBuf {
    let mut normal = PathBuf::from("/");
    for component in Path::new(dest).components() {
        match component {
            Component::Normal(name) => normal.push(name),
            Component::ParentDir => {
                normal.pop();
            }
            Component::RootDir | Component::CurDir | Component::Prefix(_) => {}
        }
    }
    normal
}

/// Where the repository is: `dest` for a bare one, else `dest/.git`, or the folder a
/// `.git` file names (`gitdir: PATH`, as a submodule's).
fn repo_dir(host: &Host, dest: &Path, bare: bool) -> Result<PathBuf, ModuleError> {
    if bare {
        return Ok(dest.to_path_buf());
    }
    let dot_git = dest.join(".git");
    match host.stat(&dot_git)? {
        Some(meta) if meta.is_file() => {}
        _ => return Ok(dot_git),
    }
    let text = host.read_file(&dot_git)?.unwrap_or_default();
    let text = String::from_utf8_lossy(&text);
    let invalid = |why: &str| {
        ModuleError::Failed(format!(
            "Current repo does not have a valid reference to a separate Git dir or it refers to the invalid path: {why}"
        ))
    };
    let gitdir = text
        .trim_end()
        .strip_prefix("gitdir: ")
        .ok_or_else(|| invalid(".git file has invalid git dir reference format"))?;
    let dir = dest.join(gitdir);
    if !host.stat(&dir)?.is_some_and(|meta| meta.is_dir()) {
        return Err(invalid(&format!("{} is not a directory", dir.display())));
    }
    Ok(dir)
}

/// The diff of a checkout made from nothing (Ansible: `>> Newly checked out SHA`).
fn newly_checked_out(dest: &Path, after: &str) -> Diff {
    Diff::of_path(&dest.display().to_string(), "", format!("{after}\n"))
}

/// The target's git, how it is run, and the queries planning asks it.
pub(crate) struct Git<'a> {
    host: &'a Host,
    program: String,
    env: Vec<(String, String)>,
    /// `umask`, applied through the target's sh before git starts.
    umask: Option<u32>,
}

impl<'a> Git<'a> {
    fn new(args: &Args, host: &'a Host) -> Result<Git<'a>, ModuleError> {
        let umask = match &args.umask {
            None => None,
            Some(serde_json::Value::String(text)) => Some(
                u32::from_str_radix(text.trim(), 8)
                    .ok()
                    .filter(|mask| *mask <= 0o777)
                    .ok_or_else(|| {
                        ModuleError::invalid("umask", "umask must be an octal integer")
                    })?,
            ),
            Some(_) => {
                return Err(ModuleError::invalid(
                    "umask",
                    "umask must be defined as a quoted octal integer",
                ))
            }
        };
        // As Ansible's module: the task's environment, the C locale over it, and ssh's
        // command line built on a GIT_SSH or GIT_SSH_COMMAND it had (machinist's own
        // environment reaches programs only on the machine's own /).
        let inherited = |name: &str| {
            args.environment.get(name).cloned().or_else(|| {
                (!host.is_offline())
                    .then(|| std::env::var(name).ok())
                    .flatten()
            })
        };
        let ssh = inherited("GIT_SSH")
            .or_else(|| inherited("GIT_SSH_COMMAND"))
            .unwrap_or_else(|| "ssh".into());
        let mut env: Vec<(String, String)> = args
            .environment
            .iter()
            .map(|(name, value)| (name.clone(), value.clone()))
            .collect();
        env.extend(
            ["LANG", "LC_ALL", "LC_MESSAGES", "LC_CTYPE", "LANGUAGE"]
                .iter()
                .map(|name| (name.to_string(), "C".to_string())),
        );
        env.push((
            "GIT_SSH_COMMAND".into(),
            format!("{ssh} {}", ssh_options(args)),
        ));
        Ok(Git {
            host,
            program: args.executable.clone().unwrap_or_else(|| "git".into()),
            env,
            umask,
        })
    }

    /// A git command, in `cwd` (`git -C DIR`) when given.
    fn spec(&self, cwd: Option<&Path>, words: &[&str]) -> RunSpec {
        let mut argv = vec![self.program.clone()];
        if let Some(dir) = cwd {
            argv.push("-C".into());
            argv.push(dir.display().to_string());
        }
        argv.extend(words.iter().map(|word| word.to_string()));
        if let Some(mask) = self.umask {
            let mut wrapped = vec![
                UMASK_SHELL.to_string(),
                "-c".into(),
                r#"umask "$1" && shift && exec "$@""#.into(),
                "sh".into(),
                format!("{mask:04o}"),
            ];
            wrapped.extend(argv);
            argv = wrapped;
        }
        RunSpec {
            argv,
            env: self.env.clone(),
            after_success_only: true,
            ..RunSpec::default()
        }
    }

    /// A step of the plan.
    fn op(&self, cwd: Option<&Path>, words: &[&str]) -> Op {
        Op::Run(self.spec(cwd, words))
    }

    /// A read-only question while planning: git's output and exit code.
    fn ask(&self, cwd: Option<&Path>, words: &[&str]) -> Result<OpOutput, ModuleError> {
        let output = self.host.query(&self.spec(cwd, words))?;
        if output.rc == Some(127) && output.stdout.is_empty() {
            return Err(ModuleError::Failed(format!(
                "Failed to find required executable \"{}\" in the target: {}",
                self.program,
                output.said()
            )));
        }
        Ok(output)
    }

    /// [`Git::ask`], failing unless git exits 0 (Ansible's `check_rc=True`).
    fn must(&self, cwd: Option<&Path>, words: &[&str]) -> Result<String, ModuleError> {
        let output = self.ask(cwd, words)?;
        if output.rc != Some(0) {
            return Err(ModuleError::Failed(format!(
                "git {} failed: {}",
                words.first().copied().unwrap_or_default(),
                output.said()
            )));
        }
        Ok(output.stdout)
    }

    /// `git rev-parse HEAD` of the checkout (Ansible's get_version: empty when git
    /// cannot say).
    fn current(&self, dest: &Path) -> Result<String, ModuleError> {
        let output = self.ask(Some(dest), &["rev-parse", "HEAD"])?;
        Ok(output.stdout.trim_end_matches('\n').to_string())
    }
}

/// What Ansible's GIT_SSH_COMMAND adds to ssh: `ssh_opts`, the host key options,
/// batch mode (never a prompt) and the key file.
fn ssh_options(args: &Args) -> String {
    let strict = |opts: &str| {
        opts.contains("-o StrictHostKeyChecking=no")
            || opts.contains("-o StrictHostKeyChecking=accept-new")
    };
    // main(): the host key options join ssh_opts (or become it).
    let mut given = args.ssh_opts.clone();
    for (wanted, option) in [
        (args.accept_hostkey, "-o StrictHostKeyChecking=no"),
        (
            args.accept_newhostkey,
            "-o StrictHostKeyChecking=accept-new",
        ),
    ] {
        if wanted {
            given = Some(match given {
                Some(opts) if strict(&opts) => opts,
                Some(opts) => format!("{opts} {option}"),
                None => option.to_string(),
            });
        }
    }
    // set_git_ssh_env(): batch mode and the key file.
    let mut opts = given.map(|opts| format!(" {opts}")).unwrap_or_default();
    if args.accept_hostkey && !opts.contains("StrictHostKeyChecking=no") {
        opts.push_str(" -o StrictHostKeyChecking=no");
    }
    if !opts.contains("BatchMode=yes") {
        opts.push_str(" -o BatchMode=yes");
    }
    if let Some(key) = &args.key_file {
        let key_opt = format!("-i {key}");
        if !opts.contains(&key_opt) {
            opts.push_str("  ");
            opts.push_str(&key_opt);
        }
        if !opts.contains("IdentitiesOnly=yes") {
            opts.push_str(" -o IdentitiesOnly=yes");
        }
    }
    opts
}

/// Parent folders of `dest` that do not exist yet, outermost first, as Ansible's
/// `os.makedirs` makes them before a clone.
fn missing_parents(host: &Host, dest: &Path, umask: Option<u32>) -> Result<Vec<Op>, ModuleError> {
    let mut missing = Vec::new();
    let mut parent = dest.parent();
    while let Some(dir) = parent {
        // Anything there, a link that leads nowhere too, is git's to go through: it
        // makes what is missing beyond it itself, inside the target.
        if host.lstat(dir)?.is_some() {
            break;
        }
        missing.push(dir.to_path_buf());
        parent = dir.parent();
    }
    let mode = 0o777 & !umask.unwrap_or(0o022);
    Ok(missing
        .into_iter()
        .rev()
        .map(|path| Op::Mkdir {
            path,
            mode,
            owner: Ownership::default(),
        })
        .collect())
}
