//! What a requirement's `src` is: a git repository, a tarball or a local folder, decided
//! the way ansible-galaxy does (`git+` prefix or `scm: git`, then the look of the string),
//! and the role name it implies when no `name` is given.

use super::git;
use std::path::{Path, PathBuf};

/// Where a role's content comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Anything `git clone` takes: a URL, `user@host:path`, or a local repository.
    Git { url: String },
    /// A local `.tar.gz`/`.tgz`/`.tar` (a path or a `file://` URL).
    Tarball { path: PathBuf },
    /// A local folder, copied as it is (without its `.git`).
    Dir { path: PathBuf },
}

const TARBALL_ENDINGS: [&str; 5] = [".tar.gz", ".tgz", ".tar", ".tar.xz", ".tar.bz2"];

fn is_url(src: &str) -> bool {
    src.split_once("://").is_some_and(|(scheme, _)| {
        !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"+.-".contains(&b))
    })
}

/// `user@host:path`, git's scp-like syntax.
fn is_scp_like(src: &str) -> bool {
    match src.split_once(':') {
        Some((host, _)) => host.contains('@') && !host.contains('/'),
        None => false,
    }
}

/// Whether `src` is a repository or a URL (not a role's name, nor a path).
pub fn is_remote(src: &str) -> bool {
    src.starts_with("git+") || is_url(src) || is_scp_like(src)
}

/// `src` as a path: `file://` removed, relative paths taken from `base`.
fn local_path(src: &str, base: &Path) -> PathBuf {
    let path = Path::new(src.strip_prefix("file://").unwrap_or(src));
    base.join(path)
}

/// Decide what `src` is. `base` is the folder relative paths start from (the
/// requirements file's, or the current one). The error says what is wrong with `src`.
pub fn classify(
    src: &str,
    scm: Option<&str>,
    has_version: bool,
    base: &Path,
) -> Result<Source, String> {
    if let Some(scm) = scm.filter(|s| *s != "git") {
        return Err(format!(
            "scm '{scm}' is not supported; machinist installs with git"
        ));
    }
    let stripped = src.strip_prefix("git+");
    if stripped.is_some() || scm.is_some() {
        let url = stripped.unwrap_or(src);
        if is_url(url) || is_scp_like(url) {
            return Ok(Source::Git {
                url: url.to_string(),
            });
        }
        return Ok(Source::Git {
            url: local_path(url, base).to_string_lossy().into_owned(),
        });
    }
    if TARBALL_ENDINGS.iter().any(|e| src.ends_with(e)) {
        if is_url(src) && !src.starts_with("file://") {
            return Err(format!(
                "'{src}': only local tarballs (a path or a file:// URL) are supported; download it first, or use its git repository"
            ));
        }
        let path = local_path(src, base);
        if !path.is_file() {
            return Err(format!("no such tarball: {}", path.display()));
        }
        return Ok(Source::Tarball { path });
    }
    if is_url(src) || is_scp_like(src) {
        return Ok(Source::Git {
            url: src.to_string(),
        });
    }
    let path = local_path(src, base);
    if path.is_dir() {
        return Ok(if has_version {
            Source::Git {
                url: path.to_string_lossy().into_owned(),
            }
        } else {
            Source::Dir { path }
        });
    }
    if !src.contains('/') && src.contains('.') {
        return Err(format!(
            "'{src}' looks like an Ansible Galaxy name; machinist does not download from Galaxy: give its git URL as src"
        ));
    }
    Err(format!(
        "'{src}' is not a git URL, a tarball, or a folder that exists ({})",
        path.display()
    ))
}

/// The role name `src` implies: its last path component without `.git` or a tarball
/// ending (ansible-galaxy's `repo_url_to_role_name`).
pub fn default_name(src: &str) -> String {
    let src = src
        .strip_prefix("git+")
        .unwrap_or(src)
        .trim_end_matches('/');
    let last = src.rsplit(['/', ':']).next().unwrap_or(src);
    let mut name = last.strip_suffix(".git").unwrap_or(last);
    for ending in TARBALL_ENDINGS {
        if let Some(stripped) = name.strip_suffix(ending) {
            name = stripped;
            break;
        }
    }
    name.to_string()
}

/// Why `name` cannot be a role folder's name, if it cannot.
pub fn invalid_name(name: &str) -> Option<String> {
    let ok = !name.is_empty()
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b));
    (!ok).then(|| {
        format!("'{name}' is not a valid role name (letters, digits, '_', '-' and '.', not starting with '.')")
    })
}

/// Whether `version` is a commit id and `commit` starts with it.
pub fn names_commit(version: Option<&str>, commit: &str) -> bool {
    version.is_some_and(|v| {
        git::is_commit_id(v) && v.len() >= 7 && commit.starts_with(&v.to_ascii_lowercase())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_like_ansible_galaxy() {
        assert_eq!(default_name("https://github.com/bennojoy/nginx"), "nginx");
        assert_eq!(
            default_name("git+https://x.org/g/ansible-core.git"),
            "ansible-core"
        );
        assert_eq!(default_name("git@github.com:me/web.git"), "web");
        assert_eq!(default_name("file:///srv/roles/db.tar.gz"), "db");
        assert_eq!(default_name("./roles-src/base/"), "base");
    }

    #[test]
    fn classifies_sources() {
        let base = Path::new("/nonexistent-base");
        let git = |url: &str| Ok(Source::Git { url: url.into() });
        assert_eq!(
            classify("git+https://h/r.git", None, false, base),
            git("https://h/r.git")
        );
        assert_eq!(
            classify("https://h/r", None, false, base),
            git("https://h/r")
        );
        assert_eq!(
            classify("git@h:me/r.git", None, false, base),
            git("git@h:me/r.git")
        );
        assert_eq!(
            classify("repo", Some("git"), false, base),
            git("/nonexistent-base/repo")
        );
        assert!(classify("r", Some("hg"), false, base)
            .unwrap_err()
            .contains("hg"));
        assert!(classify("https://h/r.tar.gz", None, false, base)
            .unwrap_err()
            .contains("local tarballs"));
        assert!(classify("geerlingguy.apache", None, false, base)
            .unwrap_err()
            .contains("Galaxy"));
    }

    #[test]
    fn refuses_names_that_escape_the_roles_folder() {
        assert!(invalid_name("web_1.x-y").is_none());
        for bad in ["", ".", "..", ".hidden", "a/b", "a b"] {
            assert!(invalid_name(bad).is_some(), "{bad}");
        }
    }
}
