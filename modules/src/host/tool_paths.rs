//! Confinement for tools that are handed a path on the controller (`pacstrap ROOT/x`,
//! `systemd-firstboot --root=ROOT`): they resolve symlinks the kernel's way, where an
//! absolute link target means the controller's `/`. Before such a tool runs, every path
//! it will touch must reach, the kernel's way, exactly the place the Host resolves
//! inside the root; otherwise a link in the target (`/etc -> /etc`) would lead the
//! tool onto the controller.

use super::{path, Host, Kind};
use crate::ModuleError;
use std::path::{Path, PathBuf};

impl Host {
    /// Refuse unless each in-root path, given to a tool as ROOT/PATH, reaches the same
    /// file as inside the root (symlinks followed, the final one included). Name the
    /// paths the tool follows: the directories it works in, the files it writes
    /// through; a file it replaces (temporary file, then rename) is not followed, so
    /// name its directory. The tree checked is the effective one (the check-mode overlay
    /// over the disk), so check mode refuses what the real run would.
    pub fn check_tool_paths(&self, paths: &[&str]) -> Result<(), ModuleError> {
        let root =
            std::path::absolute(self.root()).map_err(|err| ModuleError::io(self.root(), err))?;
        let host_root = path::chase(&root, true, |candidate| {
            self.controller_link(&root, candidate, false)
        })?;
        for written in paths {
            let in_root = self.canonical(Path::new(written), true)?;
            let expected = host_root.join(path::relative_to_root(&in_root));
            let given = host_root.join(path::relative_to_root(&path::absolute(Path::new(written))));
            let reached = path::chase(&given, true, |candidate| {
                self.controller_link(&host_root, candidate, true)
            })?;
            if reached != expected {
                return Err(ModuleError::Escape {
                    path: path::absolute(Path::new(written)),
                    reason: format!(
                        "a tool given {} would reach {}, not {} (a symlink on the way \
                         leads out of the root)",
                        given.display(),
                        reached.display(),
                        expected.display()
                    ),
                });
            }
        }
        Ok(())
    }

    /// The target of the symlink at a controller path: read through the Host (overlay
    /// included) below the root, from the controller's disk elsewhere.
    fn controller_link(
        &self,
        host_root: &Path,
        candidate: &Path,
        below_root_in_host: bool,
    ) -> Result<Option<PathBuf>, ModuleError> {
        if below_root_in_host {
            if let Ok(relative) = candidate.strip_prefix(host_root) {
                let in_root = Path::new("/").join(relative);
                return Ok(self
                    .lstat_canonical(&in_root)?
                    .and_then(|meta| match meta.kind {
                        Kind::Symlink(target) => Some(target),
                        _ => None,
                    }));
            }
        }
        match std::fs::symlink_metadata(candidate) {
            Ok(meta) if meta.file_type().is_symlink() => std::fs::read_link(candidate)
                .map(Some)
                .map_err(|err| ModuleError::io(candidate, err)),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::test_support::{Sandbox, TestResult};
    use crate::ModuleError;
    use std::os::unix::fs::symlink;

    #[test]
    fn plain_and_missing_paths_pass() -> TestResult {
        let sandbox = Sandbox::new()?;
        let host = sandbox.host(false);
        host.check_tool_paths(&["/", "/etc", "/etc/hostname", "/var/lib/machines/new"])?;
        Ok(())
    }

    #[test]
    fn relative_links_inside_the_root_pass() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::create_dir_all(sandbox.real("/usr/bin"))?;
        symlink("usr/bin", sandbox.real("/bin"))?;
        let host = sandbox.host(false);
        host.check_tool_paths(&["/bin/sh", "/bin"])?;
        Ok(())
    }

    #[test]
    fn an_absolute_link_is_refused_even_when_it_resolves_inside() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::create_dir_all(sandbox.real("/srv/etc"))?;
        symlink("/srv/etc", sandbox.real("/etc/pacman.d"))?;
        let host = sandbox.host(false);
        let refused = host.check_tool_paths(&["/etc/pacman.d/gnupg"]);
        assert!(
            matches!(refused, Err(ModuleError::Escape { .. })),
            "{refused:?}"
        );
        Ok(())
    }

    #[test]
    fn a_relative_link_climbing_out_is_refused() -> TestResult {
        let sandbox = Sandbox::new()?;
        symlink("../../decoy", sandbox.real("/etc/out"))?;
        let host = sandbox.host(false);
        assert!(host.check_tool_paths(&["/etc/out/secret"]).is_err());
        assert!(host.check_tool_paths(&["/etc/../../decoy"]).is_err());
        Ok(())
    }

    #[test]
    fn links_made_in_check_mode_count() -> TestResult {
        let sandbox = Sandbox::new()?;
        let host = sandbox.host(true);
        host.apply(&[crate::Op::Symlink {
            path: "/etc/x".into(),
            target: "/etc".into(),
        }])?;
        assert!(host.check_tool_paths(&["/etc/x/hostname"]).is_err());
        Ok(())
    }

    #[test]
    fn a_symlinked_root_is_followed_first() -> TestResult {
        let sandbox = Sandbox::new()?;
        let alias = sandbox.root.with_file_name("alias");
        symlink(&sandbox.root, &alias)?;
        let host = crate::Host::new(crate::HostOptions::new(&alias))?;
        host.check_tool_paths(&["/etc/hostname"])?;
        Ok(())
    }
}
