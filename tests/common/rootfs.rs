//! A real Debian rootfs for the systemd tests: debootstrapped ONCE into the test cache
//! (`cache::cached`: built under a lock, renamed into place when complete) and given to
//! each test as a fresh writable view: an overlayfs mount with the cache as its
//! read-only lower layer and the test's own temp folder as the upper one, so a test
//! starts in milliseconds and can never change the cache. The [`Overlay`] guard
//! unmounts it when the test ends, passed or failed.
//!
//! Needs root, debootstrap and the network the first time; a test that cannot have it
//! fails loudly (scripts/test installs debootstrap).

use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use super::cache;
use super::{Run, Test};

/// What the tests need in the rootfs: systemd as init, resolved, and
/// systemd-nspawn@.service/machines.target (systemd-container).
const PACKAGES: &str = "systemd,systemd-sysv,dbus,systemd-resolved,systemd-container";
const CACHE_NAME: &str = "debian-bookworm-systemd-v1";
const MIRROR: &str = "http://deb.debian.org/debian";

pub fn require_root() {
    assert_eq!(
        rustix::process::geteuid().as_raw(),
        0,
        "the systemd tests need root (systemctl --root on a real rootfs, systemd-nspawn); run them as root (scripts/test does)"
    );
}

/// The cached rootfs, built on first use.
pub fn cached() -> PathBuf {
    require_root();
    cache::cached(CACHE_NAME, |dir| {
        assert!(
            Path::new("/usr/sbin/debootstrap").exists(),
            "debootstrap is missing: apt-get install debootstrap (scripts/test does)"
        );
        cache::run(
            Command::new("debootstrap")
                .args([
                    "--variant=minbase",
                    &format!("--include={PACKAGES}"),
                    "bookworm",
                ])
                .arg(dir)
                .arg(MIRROR),
        );
        // The downloaded packages are not part of the system.
        let archives = dir.join("var/cache/apt/archives");
        for entry in std::fs::read_dir(archives).into_iter().flatten().flatten() {
            if entry.path().extension().is_some_and(|ext| ext == "deb") {
                let _ = std::fs::remove_file(entry.path());
            }
        }
    })
}

/// A writable view of the cached rootfs mounted at `merged`, its changes kept in
/// `scratch` (a folder of the test's own); unmounted when dropped.
pub struct Overlay {
    merged: PathBuf,
}

impl Overlay {
    pub fn mount(merged: &Path, scratch: &Path) -> Overlay {
        let lower = cached();
        let upper = scratch.join("upper");
        let work = scratch.join("work");
        for dir in [merged, &upper, &work] {
            std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
        }
        let options = format!(
            "lowerdir={},upperdir={},workdir={}",
            lower.display(),
            upper.display(),
            work.display()
        );
        let status = Command::new("mount")
            .args(["-t", "overlay", "overlay", "-o", &options])
            .arg(merged)
            .status()
            .expect("run mount");
        assert!(
            status.success(),
            "mount -t overlay {options} {}: overlayfs is needed for the rootfs tests",
            merged.display()
        );
        Overlay {
            merged: merged.to_path_buf(),
        }
    }
}

impl Drop for Overlay {
    fn drop(&mut self) {
        let unmounted = Command::new("umount")
            .arg(&self.merged)
            .status()
            .is_ok_and(|status| status.success());
        if !unmounted {
            // Still busy (a process of a failed test): detach it now, gone when free.
            let _ = Command::new("umount").arg("-l").arg(&self.merged).status();
        }
    }
}

/// A test whose `--root` is a fresh view of the rootfs; unmounted before its temp
/// folder goes.
pub struct RootfsTest {
    _overlay: Overlay,
    pub test: Test,
}

impl std::ops::Deref for RootfsTest {
    type Target = Test;
    fn deref(&self) -> &Test {
        &self.test
    }
}

pub fn test_with_rootfs() -> RootfsTest {
    let test = Test::new();
    let overlay = Overlay::mount(&test.root(), &test.outside().join("rootfs-changes"));
    RootfsTest {
        _overlay: overlay,
        test,
    }
}

/// Every path below `dir` with what would show any change to it: type, inode, size,
/// mode, owner, mtime and ctime (a write, chmod, chown or rename moves ctime), and
/// link targets. Stat only, so a 250 MB rootfs is compared in a blink.
pub fn stat_tree(dir: &Path) -> std::collections::BTreeMap<PathBuf, String> {
    let mut tree = std::collections::BTreeMap::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(current) = pending.pop() {
        let entries =
            std::fs::read_dir(&current).unwrap_or_else(|e| panic!("{}: {e}", current.display()));
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let link = if meta.file_type().is_symlink() {
                std::fs::read_link(&path)
                    .map(|target| target.display().to_string())
                    .unwrap_or_default()
            } else {
                String::new()
            };
            if meta.is_dir() {
                pending.push(path.clone());
            }
            let seen = format!(
                "{:o} {} {} {}:{} {}.{} {}.{} {link}",
                meta.mode(),
                meta.ino(),
                meta.size(),
                meta.uid(),
                meta.gid(),
                meta.mtime(),
                meta.mtime_nsec(),
                meta.ctime(),
                meta.ctime_nsec()
            );
            tree.insert(path.strip_prefix(dir).unwrap_or(&path).to_path_buf(), seen);
        }
    }
    tree
}

/// The three checks on a rootfs test, comparing only stat data of the root's files
/// (see [`stat_tree`]).
pub fn three_checks_on_rootfs(test: &Test) {
    let root = test.root();
    super::three_checks_looking(test, || stat_tree(&root));
}

/// The JSON events of a run that are warnings.
pub fn warnings(run: &Run) -> Vec<String> {
    run.events()
        .into_iter()
        .filter(|event| event["event"] == "warning")
        .map(|event| event["msg"].as_str().unwrap_or_default().to_string())
        .collect()
}

/// What `systemctl --root=ROOT is-enabled UNIT` says.
pub fn is_enabled(root: &Path, unit: &str) -> String {
    let output = Command::new("systemctl")
        .arg(format!("--root={}", root.display()))
        .args(["is-enabled", unit])
        .output()
        .expect("run systemctl");
    String::from_utf8_lossy(&output.stdout).trim().to_string()
}
