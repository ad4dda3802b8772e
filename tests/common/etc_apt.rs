//! What the apt repository modules' tests compare: every file below a root's
//! etc/apt (after machinist's run, after ansible-core's in its own tree).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

/// Every file below `root`/etc/apt: path (from `root`), mode and content, sorted.
pub fn apt_files(root: &Path) -> Vec<(String, u32, String)> {
    let mut found = Vec::new();
    let mut dirs = vec![root.join("etc/apt")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read_dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let mode = entry.metadata().expect("metadata").permissions().mode() & 0o7777;
            let shown = path
                .strip_prefix(root)
                .expect("below")
                .display()
                .to_string();
            found.push((shown, mode, std::fs::read_to_string(&path).expect("read")));
        }
    }
    found.sort();
    found
}
