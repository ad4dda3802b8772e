//! The commands a git task runs, decided while planning as ansible-core 2.19's git.py
//! decides them while running: a clone (clone, then the refspec, the version, the
//! submodules), or an update of a checkout (local modifications, the remote's URL,
//! fetch, the version, the submodules). Each becomes an `Op::Run` that runs only if
//! the ones before it succeeded; the last is `git rev-parse HEAD` (see
//! [`super::after_of_run`]).

use super::{missing_parents, newly_checked_out, Args, Git};
use crate::{Change, Diff, ModuleError, Op, Plan};
use std::path::Path;

pub(super) struct Planner<'a> {
    pub args: &'a Args,
    pub git: &'a Git<'a>,
    /// The repository as git is handed it (a path made a file:// URL).
    pub repo: &'a str,
    pub dest: &'a Path,
}

/// What the version is on the remote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Head,
    Branch,
    Tag,
    /// Anything else: a commit.
    Commit,
}

impl Planner<'_> {
    fn kind(&self, remote: &str, dest: Option<&Path>) -> Result<Kind, ModuleError> {
        let version = self.args.version.as_str();
        Ok(if version == "HEAD" {
            Kind::Head
        } else if self.git.is_remote_branch(remote, dest, version)? {
            Kind::Branch
        } else if self.git.is_remote_tag(remote, dest, version)? {
            Kind::Tag
        } else {
            Kind::Commit
        })
    }

    /// A new checkout (or bare repository) at dest.
    pub fn cloning(&self) -> Result<Plan, ModuleError> {
        let args = self.args;
        let git = self.git;
        let version = args.version.as_str();
        let dest = self.dest;
        let after = git.remote_head(self.repo, None, version, args.bare)?;
        let kind = self.kind(self.repo, None)?;
        let branch_or_tag = matches!(kind, Kind::Branch | Kind::Tag);
        let mut warnings = Vec::new();
        let mut words: Vec<String> = vec!["clone".into()];
        if args.bare {
            words.push("--bare".into());
        } else {
            words.extend(["--origin".into(), args.remote.clone()]);
        }
        let mut branch_given = false;
        if let Some(depth) = args.depth.filter(|depth| *depth > 0) {
            if version == "HEAD" || args.refspec.is_some() {
                words.extend(["--depth".into(), depth.to_string()]);
            } else if branch_or_tag {
                words.extend(["--depth".into(), depth.to_string()]);
                words.extend(["--branch".into(), version.into()]);
                branch_given = true;
            } else {
                warnings.push(
                    "Ignoring depth argument. Shallow clones are only available for HEAD, \
                     branches, tags or in combination with refspec."
                        .to_string(),
                );
            }
        }
        if let Some(reference) = &args.reference {
            words.extend(["--reference".into(), reference.clone()]);
        }
        if args.single_branch {
            words.push("--single-branch".into());
            if branch_or_tag {
                words.extend(["--branch".into(), version.into()]);
                branch_given = true;
            }
        }
        words.push("--".into());
        words.extend([self.repo.to_string(), dest.display().to_string()]);
        let mut ops = missing_parents(git.host, dest, git.umask)?;
        ops.push(git.op(None, &as_strs(&words)));
        if args.bare && args.remote != "origin" {
            ops.push(git.op(
                Some(dest),
                &["remote", "add", "--", &args.remote, self.repo],
            ));
        }
        if let Some(refspec) = &args.refspec {
            ops.push(self.fetch_refspec(refspec));
        }
        if !args.bare {
            // Right after the clone the local branch is the remote's default one (or
            // the one --branch named).
            let local = match kind {
                Kind::Branch if branch_given => true,
                Kind::Branch => git.remote_default_branch(self.repo)?.as_deref() == Some(version),
                _ => false,
            };
            ops.extend(self.switch(kind, local, None)?);
            if args.recursive {
                ops.extend(self.submodule_update());
            }
        }
        ops.push(git.op(Some(dest), &["rev-parse", "HEAD"]));
        let mut plan = Plan::change(vec![Change {
            summary: format!("clone {} into {} at {version}", self.repo, dest.display()),
            diff: Some(newly_checked_out(dest, &after)),
            ops,
        }])
        .with_data("before", serde_json::Value::Null)
        .with_data("after", after);
        plan.warnings = warnings;
        Ok(plan)
    }

    /// An existing checkout brought to the version.
    pub fn updating(&self, before: String) -> Result<Plan, ModuleError> {
        let args = self.args;
        let git = self.git;
        let dest = self.dest;
        let shown = dest.display().to_string();
        let mut ops = Vec::new();
        let mut msg = None;
        let local_mods = !args.bare && self.has_local_mods()?;
        if local_mods {
            if !args.force {
                return Err(ModuleError::Failed(format!(
                    "Local modifications exist in the destination: {shown} (force=no)."
                )));
            }
            ops.push(git.op(Some(dest), &["reset", "--hard", "HEAD"]));
            msg = Some(format!(
                "Local modifications exist in the destination: {shown}"
            ));
        }
        let remote_url = git.ask(Some(dest), &["ls-remote", "--get-url", &args.remote])?;
        let remote_url = (remote_url.rc == Some(0))
            .then(|| remote_url.stdout.trim_end_matches('\n').to_string());
        let remote_url_changed = remote_url
            .as_deref()
            .is_some_and(|url| !url.is_empty() && url != self.repo && !same_path(url, self.repo));
        if remote_url_changed {
            ops.push(git.op(
                Some(dest),
                &["remote", "set-url", "--", &args.remote, self.repo],
            ));
        }
        // Asked where the fetch will go: the remote's name, or the new URL it gets.
        let asked = if remote_url_changed {
            self.repo
        } else {
            args.remote.as_str()
        };
        let version = args.version.as_str();
        let mut after = git.remote_head(asked, Some(dest), version, args.bare)?;
        let kind = self.kind(asked, Some(dest))?;
        if kind == Kind::Commit {
            // A commit the checkout has already: its full name, as rev-parse will say.
            let wanted = format!("{version}^{{commit}}");
            let known = git.ask(Some(dest), &["rev-parse", "--verify", "--quiet", &wanted])?;
            if known.rc == Some(0) {
                after = known.stdout.trim_end_matches('\n').to_string();
            }
        }
        let submodules_changed = args.recursive && !args.bare && self.submodules_changed()?;
        let changed = local_mods || before != after || remote_url_changed || submodules_changed;
        if !changed {
            return Ok(Plan::ok()
                .with_data("before", &before)
                .with_data("after", &before)
                .with_data("remote_url_changed", false));
        }
        ops.push(self.fetch(kind)?);
        if !args.bare {
            let mut local = kind == Kind::Branch && git.is_local_branch(dest, version)?;
            // A shallow fetch of another branch made it a local branch too.
            if kind == Kind::Branch
                && args.depth.is_some_and(|depth| depth > 0)
                && args.refspec.is_none()
            {
                local |= git.head_branch(dest, &args.remote, false)? != version;
            }
            ops.extend(self.switch(kind, local, Some(dest))?);
            if args.recursive {
                ops.extend(self.submodule_update());
            }
        }
        ops.push(git.op(Some(dest), &["rev-parse", "HEAD"]));
        let diff = if before == after {
            None
        } else {
            Some(Diff::of_path(
                &shown,
                format!("{before}\n"),
                format!("{after}\n"),
            ))
        };
        let mut plan = Plan::change(vec![Change {
            summary: format!("update {shown} from {before} to {after}"),
            diff,
            ops,
        }])
        .with_data("before", before)
        .with_data("after", after)
        .with_data("remote_url_changed", remote_url_changed);
        if submodules_changed {
            plan = plan.with_data("submodules_changed", true);
        }
        if let Some(msg) = msg {
            plan = plan.with_msg(msg);
        }
        Ok(plan)
    }

    /// Tracked files changed in the checkout (`git status --porcelain`, untracked
    /// files not counted).
    fn has_local_mods(&self) -> Result<bool, ModuleError> {
        let output = self.git.ask(Some(self.dest), &["status", "--porcelain"])?;
        Ok(output.stdout.lines().any(|line| !line.starts_with("??")))
    }

    /// Whether a submodule is missing or not at the commit the checkout records
    /// (`git submodule status`).
    fn submodules_changed(&self) -> Result<bool, ModuleError> {
        let host = self.git.host;
        let Some(text) = host.read_file(&self.dest.join(".gitmodules"))? else {
            return Ok(false);
        };
        for line in String::from_utf8_lossy(&text).lines() {
            if let Some((key, path)) = line.trim().split_once('=') {
                if key.trim() == "path"
                    && !host.exists(&self.dest.join(path.trim()).join(".git"))?
                {
                    return Ok(true);
                }
            }
        }
        let status = self.git.must(Some(self.dest), &["submodule", "status"])?;
        Ok(status.lines().any(|line| !line.starts_with(' ')))
    }

    /// `git fetch` as Ansible's fetch() builds it.
    fn fetch(&self, kind: Kind) -> Result<Op, ModuleError> {
        let args = self.args;
        let version = args.version.as_str();
        let mut words: Vec<String> = vec!["fetch".into()];
        let mut refspecs: Vec<String> = Vec::new();
        let depth = args.depth.filter(|depth| *depth > 0);
        if let Some(depth) = depth {
            let current = self.git.head_branch(self.dest, &args.remote, false)?;
            if let Some(refspec) = &args.refspec {
                refspecs.push(refspec.clone());
            } else if kind == Kind::Head {
                refspecs.push(current);
            } else if kind == Kind::Branch {
                if current != version {
                    refspecs.push(format!("+refs/heads/{version}:refs/heads/{version}"));
                }
                refspecs.push(format!(
                    "+refs/heads/{version}:refs/remotes/{}/{version}",
                    args.remote
                ));
            } else if kind == Kind::Tag {
                refspecs.push(format!("+refs/tags/{version}:refs/tags/{version}"));
            }
            if !refspecs.is_empty() {
                words.extend(["--depth".into(), depth.to_string()]);
            }
        }
        if depth.is_none() || refspecs.is_empty() {
            if args.bare {
                refspecs = vec![
                    "+refs/heads/*:refs/heads/*".into(),
                    "+refs/tags/*:refs/tags/*".into(),
                ];
            } else {
                words.push("--tags".into());
            }
            if let Some(refspec) = &args.refspec {
                refspecs.push(refspec.clone());
            }
        }
        if args.force {
            words.push("--force".into());
        }
        words.push("--".into());
        words.push(args.remote.clone());
        words.extend(refspecs);
        Ok(self.git.op(Some(self.dest), &as_strs(&words)))
    }

    /// The refspec fetched after a clone.
    fn fetch_refspec(&self, refspec: &str) -> Op {
        let mut words: Vec<String> = vec!["fetch".into()];
        if let Some(depth) = self.args.depth.filter(|depth| *depth > 0) {
            words.extend(["--depth".into(), depth.to_string()]);
        }
        words.extend(["--".into(), self.args.remote.clone(), refspec.to_string()]);
        self.git.op(Some(self.dest), &as_strs(&words))
    }

    /// Ansible's switch_version: the checkout moved to the version. `local`: the
    /// branch exists locally when the switch starts; `existing`: the checkout was
    /// there before this task (else it is a clone of `repo`).
    fn switch(
        &self,
        kind: Kind,
        local: bool,
        existing: Option<&Path>,
    ) -> Result<Vec<Op>, ModuleError> {
        let git = self.git;
        let dest = Some(self.dest);
        let remote = self.args.remote.as_str();
        let version = self.args.version.as_str();
        Ok(match kind {
            Kind::Head => {
                // The branch HEAD is on: the checkout's, or after a clone the remote's
                // default one.
                let branch = match existing {
                    Some(dir) => Some(git.head_branch(dir, remote, false)?),
                    None => git.remote_default_branch(self.repo)?,
                };
                match branch {
                    Some(branch) => {
                        let tracked = format!("{remote}/{branch}");
                        vec![
                            git.op(dest, &["checkout", "--force", &branch, "--"]),
                            git.op(dest, &["reset", "--hard", &tracked, "--"]),
                        ]
                    }
                    None => Vec::new(),
                }
            }
            Kind::Branch => {
                let tracked = format!("{remote}/{version}");
                let mut ops = Vec::new();
                let mut local = local;
                if let Some(depth) = self.args.depth.filter(|depth| *depth > 0) {
                    if !local {
                        let depth = format!("--depth={depth}");
                        let to_local = format!("+refs/heads/{version}:refs/heads/{version}");
                        let to_remote =
                            format!("+refs/heads/{version}:refs/remotes/{remote}/{version}");
                        ops.push(git.op(
                            dest,
                            &["fetch", &depth, "--", remote, &to_local, &to_remote],
                        ));
                        local = true;
                    }
                }
                if local {
                    ops.push(git.op(dest, &["checkout", "--force", version, "--"]));
                    ops.push(git.op(dest, &["reset", "--hard", &tracked, "--"]));
                } else {
                    ops.push(git.op(
                        dest,
                        &["checkout", "--track", "-b", version, &tracked, "--"],
                    ));
                }
                ops
            }
            Kind::Tag | Kind::Commit => vec![git.op(dest, &["checkout", "--force", version, "--"])],
        })
    }

    /// Ansible's submodule_update (sync, then update --init --recursive); both do
    /// nothing in a checkout without submodules.
    fn submodule_update(&self) -> Vec<Op> {
        let dest = Some(self.dest);
        let mut update = vec!["submodule", "update", "--init", "--recursive"];
        if self.args.force {
            update.push("--force");
        }
        vec![
            self.git.op(dest, &["submodule", "sync"]),
            self.git.op(dest, &update),
        ]
    }
}

fn as_strs(words: &[String]) -> Vec<&str> {
    words.iter().map(String::as_str).collect()
}

/// Ansible's unfrackgitpath comparison of two remote URLs: the same once made
/// normal paths (`/srv/a.git/` and `/srv/a.git`).
fn same_path(a: &str, b: &str) -> bool {
    super::absolute(a) == super::absolute(b)
}
