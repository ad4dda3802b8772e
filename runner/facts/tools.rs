//! The programs some of ansible-core's collectors run (`capsh`, `ethtool`, `vgs`,
//! `lspci`, `sg_inq`): found as its `get_bin_path` finds them (PATH, then /sbin,
//! /usr/sbin, /usr/local/sbin) and run through the Host as a read-only query, only
//! on a running target (this process's `/`, locally or an agent's): an offline root
//! runs no programs, so those facts are what Ansible gives without the tool.

use machinist_modules::{Host, RunSpec};
use std::path::{Path, PathBuf};

/// Where ansible-core's `get_bin_path` looks after PATH.
const SBIN_DIRS: [&str; 3] = ["/sbin", "/usr/sbin", "/usr/local/sbin"];

/// The program `name` of the running target, as `get_bin_path` finds it; none on an
/// offline root.
pub fn bin_path(host: &Host, name: &str) -> Option<PathBuf> {
    if host.root() != Path::new("/") {
        return None;
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(SBIN_DIRS.iter().map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .is_ok_and(|meta| meta.is_file() && meta.permissions().mode() & 0o111 != 0)
}

/// What `program` with `args` printed, when it exited 0 (as the collectors use it).
pub fn output_of(host: &Host, program: &Path, args: &[&str]) -> Option<String> {
    let argv = std::iter::once(program.display().to_string())
        .chain(args.iter().map(|arg| arg.to_string()))
        .collect();
    let spec = RunSpec {
        argv,
        env: vec![("LC_ALL".into(), "C".into())],
        ..RunSpec::default()
    };
    match host.query(&spec) {
        Ok(output) if output.rc == Some(0) => Some(output.stdout),
        Ok(output) => {
            tracing::debug!(program = %program.display(), rc = ?output.rc, "facts: tool failed");
            None
        }
        Err(err) => {
            tracing::debug!(program = %program.display(), %err, "facts: tool did not run");
            None
        }
    }
}
