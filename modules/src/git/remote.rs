//! What planning asks about refs: the remote's (`git ls-remote`, as Ansible's
//! get_remote_head, is_remote_branch and is_remote_tag ask it) and the checkout's
//! (its HEAD file read through the Host, `git branch -a`).

use super::Git;
use crate::ModuleError;
use std::path::Path;

impl Git<'_> {
    /// The commit `version` names on `remote` (a URL, or a remote's name asked in
    /// `dest`); a version that is neither a branch nor a tag is returned as it is
    /// (Ansible: "appears to be a sha1").
    pub(super) fn remote_head(
        &self,
        remote: &str,
        dest: Option<&Path>,
        version: &str,
        bare: bool,
    ) -> Result<String, ModuleError> {
        let mut tag = false;
        let out = if version == "HEAD" {
            match dest {
                None => self.must(None, &["ls-remote", remote, "-h", "HEAD"])?,
                Some(dest) => {
                    let branch = self.head_branch(dest, remote, bare)?;
                    let wanted = format!("refs/heads/{branch}");
                    self.must(Some(dest), &["ls-remote", remote, "-h", &wanted])?
                }
            }
        } else if self.is_remote_branch(remote, dest, version)? {
            let wanted = format!("refs/heads/{version}");
            self.must(dest, &["ls-remote", remote, "-h", &wanted])?
        } else if self.is_remote_tag(remote, dest, version)? {
            tag = true;
            let wanted = format!("refs/tags/{version}*");
            self.must(dest, &["ls-remote", remote, "-t", &wanted])?
        } else {
            return Ok(version.to_string());
        };
        if out.is_empty() {
            return Err(ModuleError::Failed(format!(
                "Could not determine remote revision for {version}"
            )));
        }
        let mut line = out.as_str();
        if tag {
            // The dereferenced commit of an annotated tag wins.
            for candidate in out.split('\n') {
                if candidate.ends_with(&format!("{version}^{{}}")) {
                    line = candidate;
                    break;
                } else if candidate.ends_with(version) {
                    line = candidate;
                }
            }
        }
        Ok(line
            .split_whitespace()
            .next()
            .unwrap_or_default()
            .to_string())
    }

    /// Whether `remote` has a branch of that name (Ansible's substring test).
    pub(super) fn is_remote_branch(
        &self,
        remote: &str,
        dest: Option<&Path>,
        version: &str,
    ) -> Result<bool, ModuleError> {
        let wanted = format!("refs/heads/{version}");
        let cwd = dest.filter(|dir| self.host.exists(dir).unwrap_or(false));
        Ok(self
            .must(cwd, &["ls-remote", remote, "-h", &wanted])?
            .contains(version))
    }

    /// Whether `remote` has a tag of that name (Ansible's substring test).
    pub(super) fn is_remote_tag(
        &self,
        remote: &str,
        dest: Option<&Path>,
        version: &str,
    ) -> Result<bool, ModuleError> {
        let wanted = format!("refs/tags/{version}");
        let cwd = dest.filter(|dir| self.host.exists(dir).unwrap_or(false));
        Ok(self
            .must(cwd, &["ls-remote", remote, "-t", &wanted])?
            .contains(version))
    }

    /// The branch the remote's HEAD points at (`ls-remote --symref`), for a clone.
    pub(super) fn remote_default_branch(
        &self,
        remote: &str,
    ) -> Result<Option<String>, ModuleError> {
        let out = self.must(None, &["ls-remote", "--symref", remote, "HEAD"])?;
        Ok(out.lines().find_map(|line| {
            let (reference, name) = line.strip_prefix("ref: ")?.split_once('\t')?;
            (name == "HEAD").then(|| reference.trim_start_matches("refs/heads/").to_string())
        }))
    }

    /// The branch the checkout is on: its HEAD file, or when HEAD is detached the
    /// remote's HEAD as the checkout remembers it (Ansible's get_head_branch).
    pub(super) fn head_branch(
        &self,
        dest: &Path,
        remote: &str,
        bare: bool,
    ) -> Result<String, ModuleError> {
        let repo_dir = super::repo_dir(self.host, dest, bare)?;
        let headfile = if self.is_detached(dest)? {
            repo_dir.join("refs/remotes").join(remote).join("HEAD")
        } else {
            repo_dir.join("HEAD")
        };
        let text = self.host.read_file(&headfile)?.unwrap_or_default();
        let first = String::from_utf8_lossy(&text);
        let first = first.split_inclusive('\n').next().unwrap_or_default();
        Ok(head_splitter(first, remote))
    }

    /// The checkout's local branches as `git branch -a` lists them (trimmed).
    pub(super) fn branches(&self, dest: &Path) -> Result<Vec<String>, ModuleError> {
        let output = self.ask(Some(dest), &["branch", "--no-color", "-a"])?;
        if output.rc != Some(0) {
            return Err(ModuleError::Failed(format!(
                "Could not determine branch data - received {}",
                output.stdout
            )));
        }
        Ok(output
            .stdout
            .split('\n')
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .map(str::to_string)
            .collect())
    }

    pub(super) fn is_local_branch(&self, dest: &Path, branch: &str) -> Result<bool, ModuleError> {
        let branches = self.branches(dest)?;
        let current = format!("* {branch}");
        Ok(branches
            .iter()
            .any(|line| line == branch || *line == current))
    }

    fn is_detached(&self, dest: &Path) -> Result<bool, ModuleError> {
        Ok(self.branches(dest)?.iter().any(|line| {
            line.starts_with("* ")
                && ["no branch", "detached from", "detached at"]
                    .iter()
                    .any(|word| line.contains(word))
        }))
    }
}

/// Ansible's head_splitter: the branch in a HEAD file's first line.
pub(super) fn head_splitter(line: &str, remote: &str) -> String {
    let line = line.replacen(&format!("refs/remotes/{remote}"), "", 1);
    let last = line.split(' ').next_back().unwrap_or_default();
    let name = last.splitn(3, '/').last().unwrap_or_default();
    name.trim_end_matches('\n').to_string()
}
