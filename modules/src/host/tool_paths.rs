//! Confinement for tools that are handed a root: `systemctl --root=ROOT`,
//! `systemd-firstboot --root=ROOT`, `pacstrap ROOT`, …
//!
//! Those tools open `ROOT/etc/systemd/system/...` as plain paths, so the kernel follows
//! every symlink on the way *the host's way*: an absolute link `ROOT/etc -> /srv/decoy`
//! leads onto the host, and systemd 252 writes its enable symlinks there. Our own file
//! access is confined (openat2 RESOLVE_IN_ROOT), theirs is not. So before a tool runs,
//! every path it will touch is followed here exactly as the kernel would follow it
//! for the tool, and the tool is refused unless each one ends inside the root.
//!
//! The check runs on the disk at the time of the call (a tool sees the disk, not the
//! check-mode overlay). A link swapped in between the check and the tool is not caught:
//! the root is trusted not to change under us while a task runs.

use super::Host;
use crate::ModuleError;
use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

/// How many symlinks one resolution may follow (the kernel's MAXSYMLINKS).
const MAX_SYMLINK_HOPS: usize = 40;

/// Where the kernel would take an absolute `path` on this machine: every symlink
/// followed (absolute targets from the machine's `/`, `..` above any root allowed),
/// the final one included. Missing components are kept as written, since a tool may
/// create them there. Errors only on a symlink loop.
pub fn follow_on_host(path: &Path) -> io::Result<PathBuf> {
    let mut pending: VecDeque<OsString> = words(path);
    let mut here = PathBuf::from("/");
    let mut hops = 0;
    let mut missing = false;
    while let Some(word) = pending.pop_front() {
        if word == ".." {
            here.pop();
            continue;
        }
        let candidate = here.join(&word);
        if missing {
            here = candidate;
            continue;
        }
        match std::fs::symlink_metadata(&candidate) {
            Ok(meta) if meta.file_type().is_symlink() => {
                hops += 1;
                if hops > MAX_SYMLINK_HOPS {
                    return Err(io::Error::from(rustix::io::Errno::LOOP));
                }
                let target = std::fs::read_link(&candidate)?;
                if target.has_root() {
                    here = PathBuf::from("/");
                }
                let mut next = words(&target);
                next.append(&mut pending);
                pending = next;
            }
            Ok(_) => here = candidate,
            Err(_) => {
                // Absent (or below a non-directory): nothing further can redirect.
                missing = true;
                here = candidate;
            }
        }
    }
    Ok(here)
}

/// The names and `..` of a path, in order (`.` and the leading `/` vanish).
fn words(path: &Path) -> VecDeque<OsString> {
    path.components()
        .filter_map(|component| match component {
            Component::Normal(name) => Some(name.to_os_string()),
            Component::ParentDir => Some(OsString::from("..")),
            Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
        })
        .collect()
}

impl Host {
    /// Refuse to hand this root to `tool` unless every in-root path in `paths`, followed
    /// the way the kernel follows it for the tool, stays inside the root. Paths that do
    /// not exist yet pass (the tool may create them where they are). On the machine's
    /// own `/` there is nothing to leave, and a root that does not exist yet has
    /// nothing to follow.
    pub fn check_tool_paths<P: AsRef<Path>>(
        &self,
        tool: &str,
        paths: &[P],
    ) -> Result<(), ModuleError> {
        if !self.is_offline() {
            return Ok(());
        }
        let Ok(root) = std::fs::canonicalize(self.root()) else {
            return Ok(());
        };
        for path in paths {
            let in_root = super::path::absolute(path.as_ref());
            let on_disk = root.join(super::path::relative_to_root(&in_root));
            let lands = follow_on_host(&on_disk).map_err(|err| ModuleError::io(&in_root, err))?;
            if !lands.starts_with(&root) {
                return Err(ModuleError::Escape {
                    path: in_root,
                    reason: format!(
                        "on this machine it leads to {}, outside the root {}; {tool} follows \
                         such links the host's way, so it is not run on this root",
                        lands.display(),
                        root.display()
                    ),
                });
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Sandbox, TestResult};
    use std::os::unix::fs::symlink;

    #[test]
    fn plain_and_missing_paths_stay_where_they_are() -> TestResult {
        let sandbox = Sandbox::new()?;
        let root = std::fs::canonicalize(&sandbox.root)?;
        assert_eq!(follow_on_host(&root.join("etc"))?, root.join("etc"));
        assert_eq!(
            follow_on_host(&root.join("etc/systemd/system/x.wants"))?,
            root.join("etc/systemd/system/x.wants")
        );
        Ok(())
    }

    #[test]
    fn links_are_followed_the_hosts_way() -> TestResult {
        let sandbox = Sandbox::new()?;
        let root = std::fs::canonicalize(&sandbox.root)?;
        let decoy = std::fs::canonicalize(&sandbox.decoy)?;
        symlink(&decoy, root.join("abs"))?;
        symlink("../decoy", root.join("rel"))?;
        symlink("/nonexistent/dir", root.join("dangling"))?;
        assert_eq!(
            follow_on_host(&root.join("abs/secret"))?,
            decoy.join("secret")
        );
        assert_eq!(follow_on_host(&root.join("rel"))?, decoy);
        assert_eq!(
            follow_on_host(&root.join("dangling/x"))?,
            Path::new("/nonexistent/dir/x")
        );
        Ok(())
    }

    #[test]
    fn tools_are_refused_a_root_whose_paths_lead_out() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::create_dir_all(sandbox.real("/usr/lib/systemd/system"))?;
        std::fs::create_dir_all(sandbox.real("/etc/systemd"))?;
        let host = sandbox.host(false);
        let paths = ["/etc/systemd/system", "/usr/lib/systemd/system"];
        assert!(host.check_tool_paths("systemctl", &paths).is_ok());

        symlink("../../../decoy", sandbox.real("/etc/systemd/system"))?;
        let err = host
            .check_tool_paths("systemctl", &paths)
            .err()
            .ok_or("a ../ chain out of the root passed")?;
        let message = err.to_string();
        assert!(matches!(err, ModuleError::Escape { .. }), "{message}");
        assert!(message.contains("/etc/systemd/system"), "{message}");
        assert!(message.contains("systemctl"), "{message}");
        Ok(())
    }

    #[test]
    fn an_absolute_etc_link_is_refused() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::remove_dir(sandbox.real("/etc"))?;
        symlink(&sandbox.decoy, sandbox.real("/etc"))?;
        let host = sandbox.host(false);
        assert!(host.check_tool_paths("systemctl", &["/etc"]).is_err());
        assert!(host.check_tool_paths("systemctl", &["/usr/lib"]).is_ok());
        Ok(())
    }

    #[test]
    fn the_machines_own_root_is_never_refused() -> TestResult {
        let host = Host::new(crate::HostOptions::new("/"))?;
        assert!(host.check_tool_paths("systemctl", &["/etc"]).is_ok());
        Ok(())
    }
}
