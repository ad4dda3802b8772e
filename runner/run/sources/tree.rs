//! The controller's half of a copy of a directory: the source tree (a role's or the
//! playbook's files/) walked into the entries the module plans (`_copy_tree`), as
//! ansible-core's copy action walks it. Its symlinks are followed (Ansible's
//! `local_follow`, default yes) but never out of the source tree; a broken or circular
//! link, a special file, a vaulted file and a tree too big are refused with a message
//! rather than copied differently from Ansible. With `local_follow: false` each
//! symlink is an entry of its own, copied as a link to what it reads (not followed).

use crate::input::{special_kind, MAX_SOURCE_BYTES};
use machinist_modules::file::copy_tree::{CopyTree, TreeEntry};
use std::path::{Path, PathBuf};

/// More entries than this in one copied directory are refused.
pub(super) const MAX_TREE_ENTRIES: usize = 10_000;

/// The tree at `found` (a directory), for `src:` as the task wrote it: `confdir`
/// copies the directory itself into dest, `confdir/` its contents. `follow`
/// (`local_follow`): a symlink inside is copied as what it leads to; else as a link.
pub(super) fn walk(found: &Path, contents_only: bool, follow: bool) -> Result<CopyTree, String> {
    let top = found
        .canonicalize()
        .map_err(|err| format!("{}: {err}", found.display()))?;
    let mut walk = Walk {
        top: top.clone(),
        entries: Vec::new(),
        bytes: 0,
        follow,
    };
    let prefix = if contents_only {
        PathBuf::new()
    } else {
        let name = found
            .file_name()
            .or_else(|| top.file_name())
            .ok_or_else(|| format!("{}: a directory without a name", found.display()))?;
        walk.push(PathBuf::from(name), None)?;
        PathBuf::from(name)
    };
    walk.directory(&top, &prefix, &mut vec![top.clone()])?;
    let mut src = std::path::absolute(found)
        .unwrap_or_else(|_| found.to_path_buf())
        .to_string_lossy()
        .into_owned();
    let had_slash = src.ends_with('/');
    if contents_only && !had_slash {
        src.push('/');
    } else if !contents_only && had_slash {
        src.pop();
    }
    tracing::debug!(
        src = %src,
        entries = walk.entries.len(),
        bytes = walk.bytes,
        "walked a source directory"
    );
    Ok(CopyTree {
        src,
        entries: walk.entries,
    })
}

struct Walk {
    /// The source directory, canonical: no followed link may leave it.
    top: PathBuf,
    entries: Vec<TreeEntry>,
    /// The size of the files so far.
    bytes: u64,
    /// `local_follow`: links followed (inside the tree), or copied as links.
    follow: bool,
}

impl Walk {
    fn push(&mut self, relative: PathBuf, from: Option<&Path>) -> Result<(), String> {
        self.push_entry(relative, from, None)
    }

    fn push_entry(
        &mut self,
        relative: PathBuf,
        from: Option<&Path>,
        link: Option<String>,
    ) -> Result<(), String> {
        if self.entries.len() >= MAX_TREE_ENTRIES {
            return Err(format!(
                "{} has more than {MAX_TREE_ENTRIES} files and directories; machinist refuses to copy it",
                self.top.display()
            ));
        }
        let path = relative
            .to_str()
            .ok_or_else(|| format!("{}: a name that is not UTF-8", relative.display()))?
            .to_string();
        let from = match from {
            None => None,
            Some(from) => Some(
                from.to_str()
                    .ok_or_else(|| format!("{}: a name that is not UTF-8", from.display()))?
                    .to_string(),
            ),
        };
        self.entries.push(TreeEntry { path, from, link });
        Ok(())
    }

    /// The entries below `dir` (canonical), named under `prefix`, by name; `open`: the
    /// directories being walked (a link back to one of them is a loop).
    fn directory(
        &mut self,
        dir: &Path,
        prefix: &Path,
        open: &mut Vec<PathBuf>,
    ) -> Result<(), String> {
        let shown = |err: std::io::Error| format!("{}: {err}", dir.display());
        let mut names: Vec<_> = std::fs::read_dir(dir)
            .map_err(shown)?
            .map(|entry| entry.map(|entry| entry.file_name()))
            .collect::<Result<_, _>>()
            .map_err(shown)?;
        names.sort();
        for name in names {
            let path = dir.join(&name);
            let relative = prefix.join(&name);
            if !self.follow && path.is_symlink() {
                // Copied as the link reads: never followed, wherever it leads.
                let target = std::fs::read_link(&path).map_err(shown)?;
                let target = target
                    .to_str()
                    .ok_or_else(|| format!("{}: a link target that is not UTF-8", path.display()))?
                    .to_string();
                self.push_entry(relative, None, Some(target))?;
                continue;
            }
            let real = self.followed(&path)?;
            if let Some(kind) = special_kind(&real) {
                return Err(format!(
                    "{} is {kind}, not a regular file; machinist refuses to read it",
                    path.display()
                ));
            }
            if real.is_dir() {
                if open.contains(&real) {
                    return Err(format!(
                        "{} is a link to a directory that contains it; machinist refuses to copy a loop",
                        path.display()
                    ));
                }
                self.push(relative.clone(), None)?;
                open.push(real.clone());
                self.directory(&real, &relative, open)?;
                open.pop();
            } else {
                self.file(&path, &real, relative)?;
            }
        }
        Ok(())
    }

    fn file(&mut self, path: &Path, real: &Path, relative: PathBuf) -> Result<(), String> {
        let size = std::fs::metadata(real)
            .map_err(|err| format!("{}: {err}", path.display()))?
            .len();
        self.bytes += size;
        if self.bytes > MAX_SOURCE_BYTES {
            return Err(format!(
                "{} holds more than {MAX_SOURCE_BYTES} bytes; machinist refuses to copy it",
                self.top.display()
            ));
        }
        if super::vaulted(real) {
            return Err(format!(
                "{} is vaulted: a vaulted file inside a copied directory is not decrypted yet; copy it on its own (src: FILE)",
                path.display()
            ));
        }
        self.push(relative, Some(real))
    }

    /// Where `path` leads, its links followed: inside the source tree, or an error.
    fn followed(&self, path: &Path) -> Result<PathBuf, String> {
        let real = path
            .canonicalize()
            .map_err(|err| format!("{}: {err} (a broken link is not copied)", path.display()))?;
        if !real.starts_with(&self.top) {
            return Err(format!(
                "{} is a link to {}, outside the copied directory {}; machinist refuses to follow it",
                path.display(),
                real.display(),
                self.top.display()
            ));
        }
        Ok(real)
    }
}
