//! Things the end-to-end tests build once and share (a pacman repository, a
//! debootstrapped Debian root): built into /var/tmp/machinist-test-cache/NAME the first
//! time, under a lock file so parallel tests wait instead of building twice, and renamed
//! into place only when complete, so a killed build never leaves half a cache. Tests
//! take fresh copies; the cache itself is never changed after it is built.

use std::path::{Path, PathBuf};
use std::process::Command;

pub const CACHE_DIR: &str = "/var/tmp/machinist-test-cache";

/// The cached directory `name`, built by `build` into an empty directory if missing.
pub fn cached(name: &str, build: impl FnOnce(&Path)) -> PathBuf {
    let base = Path::new(CACHE_DIR);
    std::fs::create_dir_all(base).expect("cache dir");
    let done = base.join(name);
    if done.is_dir() {
        return done;
    }
    let lock = std::fs::File::create(base.join(format!("{name}.lock"))).expect("lock file");
    rustix::fs::flock(&lock, rustix::fs::FlockOperation::LockExclusive).expect("flock");
    if done.is_dir() {
        return done;
    }
    let building = base.join(format!("{name}.building"));
    if building.exists() {
        std::fs::remove_dir_all(&building).expect("remove a half-built cache");
    }
    std::fs::create_dir(&building).expect("mkdir");
    build(&building);
    std::fs::rename(&building, &done).expect("rename the built cache into place");
    done
}

/// Run a program, panicking with its output when it fails.
pub fn run(command: &mut Command) {
    let output = command
        .output()
        .unwrap_or_else(|e| panic!("{command:?}: {e}"));
    assert!(
        output.status.success(),
        "{command:?} failed:\n{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// A fresh copy of a directory's content (owners, modes, links, devices kept).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("mkdir");
    let mut source = from.as_os_str().to_os_string();
    source.push("/.");
    run(Command::new("cp").arg("-a").arg(source).arg(to));
}
