//! A debootstrapped Debian root (bookworm, minbase, with `locales` for locale-gen) for
//! the firstboot tests: built once into the test cache, copied fresh for each test.

use super::cache::{cached, copy_tree, run};
use std::path::Path;
use std::process::Command;

const MIRROR: &str = "http://deb.debian.org/debian";

/// Fill `root` with a fresh copy of the Debian root.
pub fn debian_root(root: &Path) {
    let cache = cached("debian-bookworm-minbase-locales-v1", |dir| {
        assert!(
            Path::new("/usr/sbin/debootstrap").exists(),
            "debootstrap is missing: install it (scripts/test does)"
        );
        run(Command::new("debootstrap")
            .args(["--variant=minbase", "--include=locales", "bookworm"])
            .arg(dir)
            .arg(MIRROR));
    });
    copy_tree(&cache, root);
}
