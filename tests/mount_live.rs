//! The `mount` module on the running system (the machine's own `/`, as root): a tmpfs
//! mounted with its fstab entry, then unmounted, remounted and removed, each first run
//! `changed`, the next `ok`, and `--check` mounting nothing. The fstab is a file of the
//! test's own (`fstab:`), never the machine's; every mount is undone when the test ends.

use std::path::{Path, PathBuf};
use std::process::Command;

struct Scratch {
    dir: tempfile::TempDir,
}

impl Scratch {
    fn point(&self) -> PathBuf {
        self.dir.path().join("point")
    }

    fn fstab(&self) -> PathBuf {
        self.dir.path().join("fstab")
    }

    /// Run a play of one mount task with `state`; the exit code and stdout.
    fn run(&self, state: &str, extra: &[&str]) -> (i32, String) {
        let play = format!(
            "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - mount:\n        path: {}\n        src: tmpfs\n        fstype: tmpfs\n        opts: size=1m\n        state: {state}\n        fstab: {}\n",
            self.point().display(),
            self.fstab().display()
        );
        let playbook = self.dir.path().join("site.yml");
        std::fs::write(&playbook, play).expect("playbook");
        let out = Command::new(env!("CARGO_BIN_EXE_machinist"))
            .arg("run")
            .arg(&playbook)
            .args(extra)
            .output()
            .expect("machinist");
        (
            out.status.code().unwrap_or(-1),
            String::from_utf8_lossy(&out.stdout).into_owned(),
        )
    }

    fn mounted(&self) -> bool {
        let info = std::fs::read_to_string("/proc/self/mountinfo").expect("mountinfo");
        let point = self.point().display().to_string();
        info.lines()
            .any(|line| line.split(' ').nth(4) == Some(point.as_str()))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        while self.mounted() {
            let _ = Command::new("umount").arg(self.point()).status();
        }
    }
}

fn changed(stdout: &str) -> usize {
    stdout
        .lines()
        .find_map(|line| line.split("changed=").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(usize::MAX)
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

#[test]
fn mounted_unmounted_remounted_and_absent_on_the_running_system() {
    if !rustix::process::geteuid().is_root() {
        panic!("mount_live needs root (scripts/test runs the suite as root in CI)");
    }
    let scratch = Scratch {
        dir: tempfile::tempdir().expect("tempdir"),
    };

    let (code, out) = scratch.run("mounted", &["--check"]);
    assert_eq!((code, changed(&out)), (0, 1), "{out}");
    assert!(!scratch.mounted(), "--check mounted it");
    assert!(
        !scratch.point().exists() && !scratch.fstab().exists(),
        "--check wrote"
    );

    let (code, out) = scratch.run("mounted", &[]);
    assert_eq!((code, changed(&out)), (0, 1), "{out}");
    assert!(scratch.mounted());
    let entry = format!("tmpfs {} tmpfs size=1m 0 0\n", scratch.point().display());
    assert_eq!(read(&scratch.fstab()), entry);
    let (code, out) = scratch.run("mounted", &[]);
    assert_eq!((code, changed(&out)), (0, 0), "{out}");

    let (code, out) = scratch.run("remounted", &[]);
    assert_eq!((code, changed(&out)), (0, 1), "{out}");
    assert!(scratch.mounted());

    let (code, out) = scratch.run("unmounted", &["--check"]);
    assert_eq!((code, changed(&out)), (0, 1), "{out}");
    assert!(scratch.mounted(), "--check unmounted it");
    let (code, out) = scratch.run("unmounted", &[]);
    assert_eq!((code, changed(&out)), (0, 1), "{out}");
    assert!(!scratch.mounted());
    assert_eq!(read(&scratch.fstab()), entry, "unmounted keeps the entry");
    let (code, out) = scratch.run("unmounted", &[]);
    assert_eq!((code, changed(&out)), (0, 0), "{out}");

    let (code, out) = scratch.run("ephemeral", &[]);
    assert_eq!((code, changed(&out)), (0, 1), "{out}");
    assert!(scratch.mounted());

    let (code, out) = scratch.run("absent", &[]);
    assert_eq!((code, changed(&out)), (0, 1), "{out}");
    assert!(!scratch.mounted());
    assert_eq!(read(&scratch.fstab()), "");
    assert!(
        !scratch.point().exists(),
        "the empty mount point is removed"
    );
    let (code, out) = scratch.run("absent", &[]);
    assert_eq!((code, changed(&out)), (0, 0), "{out}");
}
