//! The new root of a pacstrap task: where it is inside the target, where the controller
//! finds it (what pacstrap is given), the paths pacstrap's script follows there, and
//! the skeleton pacstrap makes, predicted for check mode.

use crate::{Host, ModuleError, Op, Ownership};
use std::path::{Path, PathBuf};

/// The new root: the path inside the target, and where the controller finds it.
pub struct Dest {
    /// Canonical, inside the target's root.
    pub inside: PathBuf,
    /// On the controller (shown to the user).
    pub real: PathBuf,
    /// As pacstrap is handed it, in its jail ([`Host::tool_path`]).
    pub tool: PathBuf,
    /// The target's root on the controller.
    host_root: PathBuf,
}

impl Dest {
    pub fn new(host: &Host, dest: &str) -> Result<Dest, ModuleError> {
        let inside = host.resolve(Path::new(dest))?;
        let host_root =
            std::path::absolute(host.root()).map_err(|err| ModuleError::io(host.root(), err))?;
        let dest = Dest {
            real: host_root.join(relative(&inside)),
            tool: host.tool_path(&inside),
            inside,
            host_root,
        };
        // `inside` is canonical in the root: `/` of a root that is this machine's.
        if !host.is_offline() && dest.inside == Path::new("/") {
            return Err(ModuleError::invalid(
                "dest",
                "refusing to pacstrap the controller's own /",
            ));
        }
        Ok(dest)
    }

    /// A path below the new root, inside the target.
    pub fn inside(&self, below: &str) -> PathBuf {
        self.inside.join(below)
    }

    /// Where the controller finds a path inside the target (shown to the user).
    pub fn real_path(&self, inside: &Path) -> PathBuf {
        self.host_root.join(relative(inside))
    }

    /// The new root and its missing parents: pacstrap wants an existing directory.
    pub fn mkdir_ops(&self, host: &Host) -> Result<Vec<Op>, ModuleError> {
        let mut ops = Vec::new();
        for dir in self
            .inside
            .ancestors()
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
        {
            if dir == Path::new("/") || host.lstat(dir)?.is_some() {
                continue;
            }
            ops.push(Op::Mkdir {
                path: dir.to_path_buf(),
                mode: 0o755,
                owner: Ownership::default(),
            });
        }
        Ok(ops)
    }

    /// What pacstrap's script makes before pacman runs, plus pacman's database.
    pub fn predicted_skeleton(&self) -> Vec<Op> {
        SKELETON
            .iter()
            .map(|(path, mode)| {
                Op::Predicted(Box::new(Op::Mkdir {
                    path: self.inside(path),
                    mode: *mode,
                    owner: Ownership::default(),
                }))
            })
            .collect()
    }
}

/// The directories pacstrap creates (`mkdir -m MODE -p`), parents first, and pacman's
/// local database below them.
const SKELETON: &[(&str, u32)] = &[
    ("var", 0o755),
    ("var/cache", 0o755),
    ("var/cache/pacman", 0o755),
    ("var/cache/pacman/pkg", 0o755),
    ("var/lib", 0o755),
    ("var/lib/pacman", 0o755),
    ("var/lib/pacman/local", 0o755),
    ("var/lib/pacman/sync", 0o755),
    ("var/log", 0o755),
    ("dev", 0o755),
    ("run", 0o755),
    ("etc", 0o755),
    ("etc/pacman.d", 0o755),
    ("tmp", 0o1777),
    ("sys", 0o555),
    ("proc", 0o555),
];

fn relative(inside: &Path) -> &Path {
    inside.strip_prefix("/").unwrap_or(inside)
}
