//! In-root paths: how a path a task names becomes a canonical path inside the root.
//!
//! The chase here is the userspace twin of openat2's RESOLVE_IN_ROOT: `..` at the root
//! stays at the root, an absolute symlink target starts again at the root, and a
//! relative one continues from the link's directory. It runs over the *effective* tree
//! (the check-mode overlay on top of the disk), which the kernel cannot see; the disk
//! operations then open the canonical parent with openat2, so a race cannot lead out.

use crate::ModuleError;
use std::collections::VecDeque;
use std::ffi::{OsStr, OsString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Component, Path, PathBuf};

/// How many symlinks one resolution may follow (the kernel's MAXSYMLINKS).
const MAX_SYMLINK_HOPS: usize = 40;

/// One step of a path: a name or `..` (`.` and the leading `/` vanish).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    Up,
    Name(OsString),
}

fn steps(path: &Path) -> VecDeque<Step> {
    path.components()
        .filter_map(|component| match component {
            Component::ParentDir => Some(Step::Up),
            Component::Normal(name) => Some(Step::Name(name.to_os_string())),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

/// The path as an absolute in-root path, `..` and `.` left in place (for messages and
/// for keys of paths that are already canonical). A relative path is relative to `/`.
pub fn absolute(path: &Path) -> PathBuf {
    Path::new("/").join(path)
}

/// The path relative to the root, as the `*at` calls on a root fd want it (`.` for `/`).
pub fn relative_to_root(canonical: &Path) -> &Path {
    // The leading slashes off, byte by byte (Path::strip_prefix walks components).
    let bytes = canonical.as_os_str().as_bytes();
    let start = bytes.iter().take_while(|byte| **byte == b'/').count();
    match &bytes[start..] {
        rest if start == 0 || rest.is_empty() => Path::new("."),
        rest => Path::new(OsStr::from_bytes(rest)),
    }
}

/// Resolve `path` inside the root. `symlink_at` answers, for a canonical path, the
/// target of the symlink there (or `None` when there is no symlink: absent, file, dir).
/// Missing components are kept lexically, so the result names where a new file would
/// go. With `follow_final` false, a final symlink is not followed (lstat semantics).
pub fn chase(
    path: &Path,
    follow_final: bool,
    mut symlink_at: impl FnMut(&Path) -> Result<Option<PathBuf>, ModuleError>,
) -> Result<PathBuf, ModuleError> {
    let mut pending = steps(path);
    let mut canonical = PathBuf::from("/");
    let mut hops = 0;
    while let Some(step) = pending.pop_front() {
        let name = match step {
            Step::Up => {
                canonical.pop();
                continue;
            }
            Step::Name(name) => name,
        };
        let candidate = canonical.join(&name);
        if pending.is_empty() && !follow_final {
            return Ok(candidate);
        }
        match symlink_at(&candidate)? {
            Some(target) => {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(ModuleError::io(
                        absolute(path),
                        std::io::Error::from(rustix::io::Errno::LOOP),
                    ));
                }
                if target.has_root() {
                    canonical = PathBuf::from("/");
                }
                let mut next = steps(&target);
                next.append(&mut pending);
                pending = next;
            }
            None => canonical = candidate,
        }
    }
    Ok(canonical)
}

/// Whether `path` is absolute and spelt plainly: no empty, `.` or `..` component
/// and no trailing `/` (so it is its own canonical form when no component of it is
/// a symlink).
pub fn is_plain(path: &Path) -> bool {
    let bytes = path.as_os_str().as_bytes();
    match bytes.strip_prefix(b"/") {
        None => false,
        Some(rest) => {
            !rest.is_empty()
                && rest
                    .split(|byte| *byte == b'/')
                    .all(|name| !matches!(name, b"" | b"." | b".."))
        }
    }
}

/// A canonical path split into its parent and final name; `None` for `/` itself.
pub fn split(canonical: &Path) -> Option<(&Path, &std::ffi::OsStr)> {
    Some((canonical.parent()?, canonical.file_name()?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn resolve(links: &[(&str, &str)], path: &str, follow: bool) -> Result<PathBuf, ModuleError> {
        let links: HashMap<PathBuf, PathBuf> = links
            .iter()
            .map(|(at, to)| (PathBuf::from(at), PathBuf::from(to)))
            .collect();
        chase(Path::new(path), follow, |p| Ok(links.get(p).cloned()))
    }

    #[test]
    fn plain_paths_are_absolute_without_dots_or_empty_names() {
        for plain in ["/etc", "/etc/hostname", "/srv/a b/c.conf"] {
            assert!(is_plain(Path::new(plain)), "{plain}");
        }
        for not in [
            "/",
            "etc/x",
            "/etc/",
            "//etc",
            "/etc/./x",
            "/etc/../x",
            "/etc/..",
        ] {
            assert!(!is_plain(Path::new(not)), "{not}");
        }
    }

    #[test]
    fn plain_paths_are_normalised() {
        assert_eq!(
            resolve(&[], "/etc/./hostname", true).ok(),
            Some("/etc/hostname".into())
        );
        assert_eq!(
            resolve(&[], "etc/hostname", true).ok(),
            Some("/etc/hostname".into())
        );
        assert_eq!(resolve(&[], "/", true).ok(), Some("/".into()));
    }

    #[test]
    fn dotdot_stays_at_the_root() {
        assert_eq!(resolve(&[], "/../../etc", true).ok(), Some("/etc".into()));
        assert_eq!(resolve(&[], "/a/../../b", true).ok(), Some("/b".into()));
    }

    #[test]
    fn absolute_targets_restart_at_the_root() {
        let links = [("/etc/resolv.conf", "/run/x/stub.conf")];
        assert_eq!(
            resolve(&links, "/etc/resolv.conf", true).ok(),
            Some("/run/x/stub.conf".into())
        );
        assert_eq!(
            resolve(&links, "/etc/resolv.conf", false).ok(),
            Some("/etc/resolv.conf".into())
        );
    }

    #[test]
    fn relative_targets_continue_from_the_link_directory() {
        let links = [("/a/b", "../../../decoy/x"), ("/lib", "usr/lib")];
        assert_eq!(resolve(&links, "/a/b", true).ok(), Some("/decoy/x".into()));
        assert_eq!(
            resolve(&links, "/lib/libc.so", false).ok(),
            Some("/usr/lib/libc.so".into())
        );
    }

    #[test]
    fn loops_are_an_error() {
        let links = [("/a", "/b"), ("/b", "/a")];
        assert!(resolve(&links, "/a", true).is_err());
        assert_eq!(resolve(&links, "/a", false).ok(), Some("/a".into()));
        assert!(resolve(&links, "/a/x", false).is_err());
    }

    #[test]
    fn root_relative_helpers() {
        assert_eq!(relative_to_root(Path::new("/")), Path::new("."));
        assert_eq!(relative_to_root(Path::new("/etc/x")), Path::new("etc/x"));
        assert_eq!(split(Path::new("/")), None);
        assert_eq!(absolute(Path::new("etc")), Path::new("/etc"));
    }
}
