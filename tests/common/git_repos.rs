//! git for the git module's tests: a root holding the controller's own git (its
//! binary, helpers and libraries, busybox for the shell its transports and
//! `git submodule` need, a /dev/null) so the module runs the target's git inside the
//! root as on a real one; and repositories made in the root with commits of fixed
//! author and dates, so their SHAs are the same on every run.

use super::{busybox_root, Test};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Make the test's root a busybox root with git in /usr/bin and its helpers in
/// /usr/lib/git-core, and file:// submodules allowed (git refuses them by default
/// since 2.38.1; a system gitconfig of the root allows them).
pub fn git_root(test: &Test) {
    busybox_root(test);
    let root = test.root();
    let bin = root.join("bin");
    let applets = Command::new("/bin/busybox")
        .arg("--list")
        .output()
        .expect("busybox --list");
    for applet in String::from_utf8_lossy(&applets.stdout).lines() {
        let link = bin.join(applet);
        if applet != "busybox" && !link.exists() {
            std::os::unix::fs::symlink("busybox", link).expect("applet link");
        }
    }
    // The controller's merged /usr (lib -> usr/lib), so its libraries' paths work.
    for dir in ["lib", "lib32", "lib64", "libx32"] {
        let host_dir = Path::new("/").join(dir);
        if let Ok(target) = std::fs::read_link(&host_dir) {
            std::fs::create_dir_all(root.join(dir.replacen("lib", "usr/lib", 1)))
                .expect("mkdir usr/lib");
            std::os::unix::fs::symlink(target, root.join(dir)).expect("lib link");
        }
    }
    copy_into(&root, Path::new("/usr/bin/git"));
    copy_into(&root, Path::new("/usr/lib/git-core"));
    let ldd = Command::new("ldd")
        .arg("/usr/bin/git")
        .output()
        .expect("ldd git");
    for line in String::from_utf8_lossy(&ldd.stdout).lines() {
        let path = line
            .split_whitespace()
            .find(|word| word.starts_with('/'))
            .map(PathBuf::from);
        if let Some(path) = path {
            copy_into(&root, &path);
            if let Ok(real) = std::fs::canonicalize(&path) {
                copy_into(&root, &real);
            }
        }
    }
    // glibc loads it to end a thread; git's templates for new repositories.
    for extra in [
        "/usr/lib/x86_64-linux-gnu/libgcc_s.so.1",
        "/usr/share/git-core",
    ] {
        if Path::new(extra).exists() {
            copy_into(&root, Path::new(extra));
        }
    }
    std::fs::create_dir_all(root.join("dev")).expect("mkdir dev");
    for (name, minor) in [("null", "3"), ("urandom", "9")] {
        let node = root.join("dev").join(name);
        let made = Command::new("mknod")
            .arg(&node)
            .args(["c", "1", minor])
            .status()
            .expect("mknod");
        assert!(
            made.success(),
            "mknod /dev/{name} failed (the git tests need root)"
        );
        std::fs::set_permissions(&node, std::os::unix::fs::PermissionsExt::from_mode(0o666))
            .expect("chmod");
    }
    test.root_file(
        "etc/gitconfig",
        "[protocol \"file\"]\n\tallow = always\n[init]\n\tdefaultBranch = main\n",
    );
}

/// `from` (a file, link or folder of the controller) copied to the same path in
/// `root`, links kept as links.
fn copy_into(root: &Path, from: &Path) {
    let to = root.join(from.strip_prefix("/").expect("absolute"));
    if to.symlink_metadata().is_ok() {
        return;
    }
    std::fs::create_dir_all(to.parent().expect("parent")).expect("mkdir");
    let copied = Command::new("cp")
        .arg("-a")
        .arg(from)
        .arg(&to)
        .status()
        .expect("cp");
    assert!(copied.success(), "cp -a {} failed", from.display());
}

/// A repository being built in the root (at `path` inside it) with the controller's
/// git: commits with a fixed author and fixed dates, so every run makes the same SHAs.
pub struct Repo {
    pub dir: PathBuf,
    commits: u32,
}

impl Repo {
    /// A new repository (`git init -b main`) at `path` inside the test's root.
    pub fn init(test: &Test, path: &str) -> Repo {
        Repo::init_at(test.root().join(path.trim_start_matches('/')))
    }

    /// A new repository (`git init -b main`) in the folder `dir` of this machine.
    pub fn init_at(dir: PathBuf) -> Repo {
        std::fs::create_dir_all(&dir).expect("mkdir repo");
        let repo = Repo { dir, commits: 0 };
        repo.git(&["init", "-q", "-b", "main"]);
        repo
    }

    /// Run git in the repository, panicking when it fails; its stdout.
    pub fn git(&self, args: &[&str]) -> String {
        let output = Command::new("git")
            .arg("-C")
            .arg(&self.dir)
            .args(args)
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("HOME", &self.dir)
            .env("GIT_CONFIG_NOSYSTEM", "1")
            .env("GIT_AUTHOR_NAME", "Test")
            .env("GIT_AUTHOR_EMAIL", "test@example.org")
            .env("GIT_COMMITTER_NAME", "Test")
            .env("GIT_COMMITTER_EMAIL", "test@example.org")
            .env(
                "GIT_AUTHOR_DATE",
                format!("2024-01-01T00:00:{:02}Z", self.commits),
            )
            .env(
                "GIT_COMMITTER_DATE",
                format!("2024-01-01T00:00:{:02}Z", self.commits),
            )
            .env("GIT_ALLOW_PROTOCOL", "file")
            .output()
            .expect("git");
        assert!(
            output.status.success(),
            "git {args:?} failed:\n{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout)
            .trim_end()
            .to_string()
    }

    /// Write `content` to `file` and commit it with `message`; the commit's SHA.
    pub fn commit(&mut self, file: &str, content: &str, message: &str) -> String {
        let path = self.dir.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(&path, content).expect("write");
        self.git(&["add", "--", file]);
        self.git(&["commit", "-q", "-m", message]);
        self.commits += 1;
        self.git(&["rev-parse", "HEAD"])
    }
}
