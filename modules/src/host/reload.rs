//! Daemon-reload bookkeeping: whether the service manager of this host still has to
//! re-read its unit files.
//!
//! The host sees every op applied (or recorded, in check mode), so it keeps the books:
//! a write, link or removal below a unit directory makes a reload owed; a successful
//! `systemctl daemon-reload` (from the unit module, or a user's own `command` task) pays
//! it. The unit and nspawn modules ask [`Host::daemon_reload_owed`] and put one
//! `daemon-reload` before the first start/restart/reload that follows, so a run with
//! many unit files written reloads once, right before it is needed. One Host serves
//! every play on the same root, so the books are kept per run.

use crate::{Op, OpOutput};
use std::path::Path;

/// Where systemd reads unit files and drop-ins from (system and user managers).
pub const UNIT_DIRS: &[&str] = &[
    "/etc/systemd/system",
    "/run/systemd/system",
    "/usr/local/lib/systemd/system",
    "/usr/lib/systemd/system",
    "/lib/systemd/system",
    "/etc/systemd/user",
    "/usr/lib/systemd/user",
];

/// Whether an op changes what the manager would load.
pub fn changes_units(op: &Op) -> bool {
    let path = match op {
        Op::WriteFile { path, .. }
        | Op::CopyFile { path, .. }
        | Op::WriteValidated { path, .. }
        | Op::Symlink { path, .. }
        | Op::Hardlink { path, .. }
        | Op::Remove { path }
        | Op::Touch { path, .. } => path,
        // Check mode: what a program is predicted to leave counts as written.
        Op::Predicted(op) => return changes_units(op),
        Op::Mkdir { .. }
        | Op::Backup { .. }
        | Op::Chmod { .. }
        | Op::Chown { .. }
        | Op::SetTimes { .. }
        | Op::Run(_)
        | Op::Verify(_)
        | Op::PredictedEnablement { .. } => return false,
    };
    let path = Path::new("/").join(path);
    UNIT_DIRS.iter().any(|dir| path.starts_with(dir))
}

/// Whether an op is a `systemctl daemon-reload` that succeeded (or was recorded).
pub fn pays_reload(op: &Op, output: &OpOutput) -> bool {
    let Op::Run(spec) = op else {
        return false;
    };
    let is_systemctl = spec
        .argv
        .first()
        .and_then(|program| Path::new(program).file_name())
        .is_some_and(|name| name == "systemctl");
    let reloads = spec.argv.iter().any(|word| word == "daemon-reload");
    let user = spec.argv.iter().any(|word| word == "--user");
    is_systemctl && reloads && !user && output.rc == Some(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Ownership, RunSpec};

    fn write(path: &str) -> Op {
        Op::WriteFile {
            path: path.into(),
            content: Vec::new(),
            mode: 0o644,
            owner: Ownership::default(),
        }
    }

    fn run(argv: &[&str]) -> Op {
        Op::Run(RunSpec {
            argv: argv.iter().map(|word| word.to_string()).collect(),
            ..RunSpec::default()
        })
    }

    #[test]
    fn writes_below_unit_directories_owe_a_reload() {
        assert!(changes_units(&write("/etc/systemd/system/a.service")));
        assert!(changes_units(&write(
            "/etc/systemd/system/a.service.d/override.conf"
        )));
        assert!(changes_units(&write("etc/systemd/system/b.service")));
        assert!(!changes_units(&write(
            "/etc/systemd/network/50-br0.network"
        )));
        assert!(!changes_units(&write("/etc/systemd/systemd.conf")));
    }

    #[test]
    fn only_a_successful_system_reload_pays() {
        let ok = OpOutput {
            rc: Some(0),
            ..OpOutput::default()
        };
        let failed = OpOutput {
            rc: Some(1),
            ..OpOutput::default()
        };
        assert!(pays_reload(&run(&["systemctl", "daemon-reload"]), &ok));
        assert!(pays_reload(
            &run(&["/usr/bin/systemctl", "daemon-reload"]),
            &ok
        ));
        assert!(!pays_reload(&run(&["systemctl", "daemon-reload"]), &failed));
        assert!(!pays_reload(
            &run(&["systemctl", "--user", "daemon-reload"]),
            &ok
        ));
        assert!(!pays_reload(&run(&["systemctl", "start", "a"]), &ok));
    }
}
