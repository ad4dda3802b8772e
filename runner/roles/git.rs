//! The real `git` CLI, run the same way every time: no terminal prompts (a bad URL fails
//! instead of asking for a password), no advice, quiet. Role installs use only `clone`,
//! `rev-parse`, `checkout --detach` and `ls-remote`, so any git a user has will do.

use super::error::GitError;
use std::ffi::OsStr;
use std::path::Path;
use std::process::{Command, Stdio};

/// Runs `git ARGS` (in `repo` when given) and returns its stdout. With `may_say_no`,
/// exit 1 with nothing on stderr is `Ok(None)`: how `rev-parse --verify --quiet` says "no".
fn git(repo: Option<&Path>, args: &[&OsStr], may_say_no: bool) -> Result<Option<String>, GitError> {
    let mut command = Command::new("git");
    command.args(["-c", "advice.detachedHead=false"]);
    if let Some(repo) = repo {
        command.arg("-C").arg(repo);
    }
    command
        .args(args)
        .env("GIT_TERMINAL_PROMPT", "0")
        .stdin(Stdio::null());
    let shown = || {
        let words: Vec<String> = args
            .iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect();
        format!("git {}", words.join(" "))
    };
    let output = command.output().map_err(|err| GitError {
        command: shown(),
        detail: format!("cannot run git: {err}"),
    })?;
    let stderr = String::from_utf8_lossy(&output.stderr).trim().to_string();
    if output.status.success() {
        return Ok(Some(String::from_utf8_lossy(&output.stdout).into_owned()));
    }
    if may_say_no && output.status.code() == Some(1) && stderr.is_empty() {
        return Ok(None);
    }
    Err(GitError {
        command: shown(),
        detail: if stderr.is_empty() {
            output.status.to_string()
        } else {
            stderr
        },
    })
}

fn run(repo: Option<&Path>, args: &[&OsStr]) -> Result<String, GitError> {
    Ok(git(repo, args, false)?.unwrap_or_default())
}

/// A full clone of `url` into `dest` (which must not exist), without a checkout.
pub fn clone(url: &str, dest: &Path) -> Result<(), GitError> {
    let args: [&OsStr; 5] = [
        "clone".as_ref(),
        "--quiet".as_ref(),
        "--no-checkout".as_ref(),
        "--".as_ref(),
        url.as_ref(),
    ];
    let mut all = args.to_vec();
    all.push(dest.as_os_str());
    run(None, &all).map(drop)
}

/// The commit `rev` names in `repo`, if it names one.
fn rev_parse(repo: &Path, rev: &str) -> Result<Option<String>, GitError> {
    let rev = format!("{rev}^{{commit}}");
    let out = git(
        Some(repo),
        &[
            "rev-parse".as_ref(),
            "--verify".as_ref(),
            "--quiet".as_ref(),
            rev.as_ref(),
        ],
        true,
    )?;
    Ok(out.map(|s| s.trim().to_string()).filter(|s| !s.is_empty()))
}

/// Whether `text` could be a (possibly abbreviated) commit id.
pub fn is_commit_id(text: &str) -> bool {
    (4..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit())
}

/// The commit `version` names in a fresh clone: a tag first, then a branch (as
/// `git checkout` prefers), then a commit id; no version means the remote's HEAD.
/// `Ok(None)` when it names nothing there.
pub fn resolve(repo: &Path, version: Option<&str>) -> Result<Option<String>, GitError> {
    let Some(version) = version else {
        return rev_parse(repo, "HEAD");
    };
    for candidate in [
        format!("refs/tags/{version}"),
        format!("refs/remotes/origin/{version}"),
    ] {
        if let Some(commit) = rev_parse(repo, &candidate)? {
            return Ok(Some(commit));
        }
    }
    if is_commit_id(version) {
        return rev_parse(repo, version);
    }
    Ok(None)
}

/// The full id of commit `id` in `repo`, if it has it.
pub fn find_commit(repo: &Path, id: &str) -> Result<Option<String>, GitError> {
    if !is_commit_id(id) {
        return Ok(None);
    }
    rev_parse(repo, id)
}

/// Check out `commit` (a full id) as a detached HEAD.
pub fn checkout(repo: &Path, commit: &str) -> Result<(), GitError> {
    run(
        Some(repo),
        &[
            "checkout".as_ref(),
            "--quiet".as_ref(),
            "--detach".as_ref(),
            commit.as_ref(),
        ],
    )
    .map(drop)
}

/// The refs of a remote as (commit, ref name) pairs, without cloning it.
pub fn ls_remote(url: &str) -> Result<Vec<(String, String)>, GitError> {
    let out = run(None, &["ls-remote".as_ref(), "--".as_ref(), url.as_ref()])?;
    Ok(out
        .lines()
        .filter_map(|line| line.split_once('\t'))
        .map(|(commit, name)| (commit.to_string(), name.to_string()))
        .collect())
}

/// What [`resolve`] would answer, from `ls-remote` refs alone: tags (peeled), then
/// branches; `None` for commit ids and names the remote does not have.
pub fn resolve_remote(refs: &[(String, String)], version: Option<&str>) -> Option<String> {
    let find = |name: &str| {
        refs.iter()
            .find(|(_, r)| r == name)
            .map(|(commit, _)| commit.clone())
    };
    let Some(version) = version else {
        return find("HEAD");
    };
    find(&format!("refs/tags/{version}^{{}}"))
        .or_else(|| find(&format!("refs/tags/{version}")))
        .or_else(|| find(&format!("refs/heads/{version}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remote_refs_prefer_peeled_tags_then_branches() {
        let refs = vec![
            ("h".to_string(), "HEAD".to_string()),
            ("b".to_string(), "refs/heads/v1".to_string()),
            ("t".to_string(), "refs/tags/v1".to_string()),
            ("c".to_string(), "refs/tags/v1^{}".to_string()),
            ("m".to_string(), "refs/heads/main".to_string()),
        ];
        assert_eq!(resolve_remote(&refs, None).as_deref(), Some("h"));
        assert_eq!(resolve_remote(&refs, Some("v1")).as_deref(), Some("c"));
        assert_eq!(resolve_remote(&refs, Some("main")).as_deref(), Some("m"));
        assert_eq!(resolve_remote(&refs, Some("abc123")), None);
    }

    #[test]
    fn commit_ids_are_hex() {
        assert!(is_commit_id("0a1b2c3d"));
        assert!(!is_commit_id("main"));
        assert!(!is_commit_id("abc"));
    }
}
