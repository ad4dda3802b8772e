//! A booted container for the live tests: a fresh overlay view of the cached rootfs,
//! booted with `systemd-nspawn -b` (private network, the machinist binary bound in
//! read-only at /usr/local/bin/machinist), and commands run in it with `nsenter` into
//! its init. Inside it, /var/lib/machines/box is another fresh view of the rootfs, for
//! a container started in the container.
//!
//! One container is shared by the tests of a binary that run at the same time
//! ([`shared`]); the last test to let go powers it off. The tests take turns in it
//! ([`Turn`]): each restarts services and reloads the manager, and one counts reloads. Dropping the guard — a test
//! that passes, fails or panics — powers the container off, waits for systemd-nspawn
//! to exit (killing it after a timeout), unmounts the two overlays and removes their
//! changes; the container's own mounts live in nspawn's mount namespace and go with it.

use super::rootfs::{self, Overlay};
use super::Run;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::time::{Duration, Instant};

const BOOT_TIMEOUT: Duration = Duration::from_secs(120);
const POWEROFF_TIMEOUT: Duration = Duration::from_secs(30);

/// The nested container's name, the one playbooks/nspawn-container-steps.yml defaults to.
pub const NESTED: &str = "box";

pub struct Booted {
    nspawn: Child,
    leader: u32,
    name: String,
    /// The container's rootfs, then the nested one inside it (unmounted in reverse).
    mounts: Vec<Overlay>,
    dir: tempfile::TempDir,
}

/// A test's turn in the shared container: the container, and the right to use it
/// alone until the turn is dropped.
pub struct Turn {
    // Declared first: the turn ends before this test's hold on the container does.
    _alone: MutexGuard<'static, ()>,
    pub booted: Arc<Booted>,
}

impl std::ops::Deref for Turn {
    type Target = Booted;
    fn deref(&self) -> &Booted {
        &self.booted
    }
}

/// Wait for a turn in the container the running tests share (booted if none runs).
/// The container is taken before the turn is waited for, so it stays up for tests
/// that wait while another has its turn.
pub fn turn() -> Turn {
    static TURNS: Mutex<()> = Mutex::new(());
    let booted = shared();
    let alone = TURNS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    Turn {
        _alone: alone,
        booted,
    }
}

/// The container the running tests share, booted if none runs.
pub fn shared() -> Arc<Booted> {
    static SHARED: Mutex<Weak<Booted>> = Mutex::new(Weak::new());
    let mut slot = SHARED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(booted) = slot.upgrade() {
        return booted;
    }
    let booted = Arc::new(Booted::boot());
    *slot = Arc::downgrade(&booted);
    booted
}

impl Booted {
    pub fn boot() -> Booted {
        rootfs::require_root();
        for tool in ["/usr/bin/systemd-nspawn", "/usr/bin/nsenter"] {
            assert!(
                Path::new(tool).exists(),
                "{tool} is missing: install systemd-container and util-linux (scripts/test does)"
            );
        }
        let dir = tempfile::Builder::new()
            .prefix("machinist-live")
            .tempdir_in("/var/tmp")
            .expect("temp dir");
        let root = dir.path().join("root");
        let outer = Overlay::mount(&root, &dir.path().join("changes"));
        let nested = root.join("var/lib/machines").join(NESTED);
        let inner = Overlay::mount(&nested, &dir.path().join("nested-changes"));
        let name = format!(
            "mtest-{}-{}",
            std::process::id(),
            dir.path()
                .file_name()
                .map(|n| n
                    .to_string_lossy()
                    .chars()
                    .rev()
                    .take(6)
                    .collect::<String>())
                .unwrap_or_default()
        )
        .replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "x");
        let log = std::fs::File::create(dir.path().join("nspawn.log")).expect("log file");
        let nspawn = Command::new("systemd-nspawn")
            .args(["-b", "-D"])
            .arg(&root)
            .arg(format!("--machine={name}"))
            .args([
                "--register=no",
                "--keep-unit",
                "--private-network",
                "--console=pipe",
            ])
            .arg(format!(
                "--bind-ro={}:/usr/local/bin/machinist",
                env!("CARGO_BIN_EXE_machinist")
            ))
            .stdin(Stdio::null())
            .stdout(log.try_clone().expect("log file"))
            .stderr(log)
            .spawn()
            .expect("start systemd-nspawn");
        let mut booted = Booted {
            leader: 0,
            nspawn,
            name,
            mounts: vec![outer, inner],
            dir,
        };
        booted.leader = booted.wait_for_leader();
        booted.wait_until_running();
        booted
    }

    /// The container's init, as `machinist_machine_pid` names it.
    pub fn leader(&self) -> u32 {
        self.leader
    }

    /// The container's rootfs, as seen from this machine.
    pub fn root(&self) -> PathBuf {
        self.dir.path().join("root")
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("nspawn.log")).unwrap_or_default()
    }

    /// The container's init: the child of systemd-nspawn once it has become systemd
    /// (before that, the child is still nspawn setting the container up).
    fn wait_for_leader(&mut self) -> u32 {
        let pid = self.nspawn.id();
        let started = Instant::now();
        while started.elapsed() < BOOT_TIMEOUT {
            if let Ok(Some(status)) = self.nspawn.try_wait() {
                panic!(
                    "systemd-nspawn exited ({status}) before booting:\n{}",
                    self.log()
                );
            }
            let children = std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
                .unwrap_or_default();
            let init = children
                .split_whitespace()
                .filter_map(|child| child.parse::<u32>().ok())
                .find(|child| {
                    std::fs::read_to_string(format!("/proc/{child}/comm"))
                        .is_ok_and(|comm| comm.trim() == "systemd")
                });
            if let Some(init) = init {
                return init;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        panic!("systemd-nspawn started no container:\n{}", self.log());
    }

    fn wait_until_running(&mut self) {
        let started = Instant::now();
        let mut said = String::new();
        while started.elapsed() < BOOT_TIMEOUT {
            let output = self.exec(&["systemctl", "is-system-running"]);
            said = format!(
                "{} {}",
                String::from_utf8_lossy(&output.stdout).trim(),
                String::from_utf8_lossy(&output.stderr).trim()
            )
            .trim()
            .to_string();
            if said == "running" || said == "degraded" {
                return;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        panic!(
            "the container (init {}) did not finish booting (is-system-running: {said}):\n{}",
            self.leader,
            self.log()
        );
    }

    /// Run a program inside the container (all its namespaces).
    pub fn exec(&self, argv: &[&str]) -> Output {
        Command::new("nsenter")
            .args(["-t", &self.leader.to_string(), "-a"])
            .args(argv)
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .output()
            .expect("run nsenter")
    }

    /// A program's trimmed stdout.
    pub fn says(&self, argv: &[&str]) -> String {
        String::from_utf8_lossy(&self.exec(argv).stdout)
            .trim()
            .to_string()
    }

    /// A folder for one test's playbooks, as (path in the container, path here).
    pub fn project(&self, test: &str) -> (PathBuf, PathBuf) {
        let inside = Path::new("/srv/machinist-tests").join(test);
        let here = self
            .root()
            .join(inside.strip_prefix("/").unwrap_or(&inside));
        let _ = std::fs::remove_dir_all(&here);
        std::fs::create_dir_all(&here).expect("project dir");
        (inside, here)
    }

    /// `machinist run PLAYBOOK --format json ARGS` inside the container.
    pub fn machinist(&self, playbook: &Path, args: &[&str]) -> Run {
        let mut argv = vec!["machinist", "run", playbook.to_str().expect("utf-8")];
        argv.extend(["--format", "json"]);
        argv.extend_from_slice(args);
        let output = self.exec(&argv);
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }
}

impl Drop for Booted {
    fn drop(&mut self) {
        let _ = Command::new("nsenter")
            .args([
                "-t",
                &self.leader.to_string(),
                "-a",
                "systemctl",
                "poweroff",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        let started = Instant::now();
        while started.elapsed() < POWEROFF_TIMEOUT {
            if let Ok(Some(_)) = self.nspawn.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if let Ok(None) = self.nspawn.try_wait() {
            let _ = self.nspawn.kill();
            let _ = self.nspawn.wait();
        }
        while let Some(overlay) = self.mounts.pop() {
            drop(overlay);
        }
        // nspawn leaves its mount-propagation folder behind when it is not a service.
        let _ =
            std::fs::remove_dir_all(Path::new("/run/systemd/nspawn/propagate").join(&self.name));
    }
}
