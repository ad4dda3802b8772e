//! Captures the commit machinist is built from, for `machinist --version`
//! (`machinist 0.1.0 (commit 1a2b3c4d5e6f)`): `MACHINIST_COMMIT` from the environment
//! when the builder sets it (a package built from a tarball), else `git describe` of
//! the checkout, else `unknown` (a tarball without .git, no git installed). Git is
//! asked here, at build time only; the binary never runs it.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=MACHINIST_COMMIT");
    let commit = std::env::var("MACHINIST_COMMIT")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .or_else(git_commit)
        .unwrap_or_else(|| "unknown".to_string());
    println!("cargo:rustc-env=MACHINIST_COMMIT={}", commit.trim());
}

/// `git describe --always --tags --abbrev=12` of the checkout, and the files whose
/// change means another commit (HEAD, and the branch it names).
fn git_commit() -> Option<String> {
    // A tarball unpacked inside another checkout must not take that one's commit.
    let top = PathBuf::from(git(&["rev-parse", "--show-toplevel"])?);
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR")?);
    if top.canonicalize().ok()? != manifest_dir.canonicalize().ok()? {
        return None;
    }
    let git_dir = PathBuf::from(git(&["rev-parse", "--absolute-git-dir"])?);
    println!("cargo:rerun-if-changed={}", git_dir.join("HEAD").display());
    if let Some(branch) = git(&["symbolic-ref", "-q", "HEAD"]) {
        if let Some(common) = git(&["rev-parse", "--path-format=absolute", "--git-common-dir"]) {
            let common = PathBuf::from(common);
            println!("cargo:rerun-if-changed={}", common.join(&branch).display());
            println!(
                "cargo:rerun-if-changed={}",
                common.join("packed-refs").display()
            );
        }
    }
    git(&["describe", "--always", "--tags", "--abbrev=12"])
}

fn git(args: &[&str]) -> Option<String> {
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")?;
    let output = Command::new("git")
        .arg("-C")
        .arg(manifest_dir)
        .args(args)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8(output.stdout).ok()?;
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}
