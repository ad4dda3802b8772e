//! OpenSSH servers for the ssh connection's tests: `sshd -D` on a loopback address
//! and port of its own, with a generated host key, a non-root user (`machinist-agent-t`,
//! made once, password `machinist-agent-t`, sudo with its password) who logs in with a
//! generated key, and a known_hosts file for the client. Several are several hosts.
//! Dropping one (or `kill`) kills the server and every process under it: the
//! sessions and the agents they started.

use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU8, Ordering};
use std::time::{Duration, Instant};

pub const USER: &str = "machinist-agent-t";
pub const PASSWORD: &str = "machinist-agent-t";
/// A second user the test user may sudo to (`become_user`), with a home.
pub const BECOME_USER: &str = "machinist-become-t";
/// A user the test user may sudo to without a password (sudo never prompts).
pub const NOPASSWD_USER: &str = "machinist-nopass-t";
/// A user the test user may sudo to that has no home (its passwd names one missing).
pub const HOMELESS_USER: &str = "machinist-homeless-t";

pub struct Sshd {
    pub address: String,
    pub port: u16,
    child: Option<Child>,
    dir: tempfile::TempDir,
}

fn run(command: &mut Command) {
    let output = command.output().expect("run a setup tool");
    assert!(
        output.status.success(),
        "{command:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// The test user, with sudo behind its password.
pub fn ensure_user() {
    static MADE: std::sync::Once = std::sync::Once::new();
    MADE.call_once(make_user);
}

fn make_user() {
    super::rootfs::require_root();
    let exists = Command::new("id")
        .arg(USER)
        .output()
        .is_ok_and(|o| o.status.success());
    if !exists {
        run(Command::new("useradd").args(["-m", "-s", "/bin/sh", USER]));
    }
    run(Command::new("chown")
        .arg(format!("{USER}:{USER}"))
        .arg(home()));
    let mut chpasswd = Command::new("chpasswd")
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    writeln!(chpasswd.stdin.take().unwrap(), "{USER}:{PASSWORD}").unwrap();
    assert!(chpasswd.wait().unwrap().success());
    let sudoers = format!("{USER} ALL=(ALL) ALL\n");
    std::fs::write(format!("/etc/sudoers.d/{USER}"), sudoers).unwrap();
}

/// The become users: [`BECOME_USER`] with a home of its own (0700), [`NOPASSWD_USER`]
/// too (sudo to it asks no password), [`HOMELESS_USER`] without one.
pub fn ensure_become_users() {
    static MADE: std::sync::Once = std::sync::Once::new();
    ensure_user();
    MADE.call_once(|| {
        let exists = |user: &str| {
            Command::new("id")
                .arg(user)
                .output()
                .is_ok_and(|o| o.status.success())
        };
        for user in [BECOME_USER, NOPASSWD_USER] {
            if !exists(user) {
                run(Command::new("useradd").args(["-m", "-s", "/bin/sh", user]));
            }
        }
        // Read after the test user's own file (sudoers.d in name order): the last
        // matching rule wins.
        let sudoers = format!("{USER} ALL=({NOPASSWD_USER}) NOPASSWD: ALL\n");
        std::fs::write(format!("/etc/sudoers.d/{NOPASSWD_USER}"), sudoers).unwrap();
        run(Command::new("chmod").arg("700").arg(become_user_home()));
        if !exists(HOMELESS_USER) {
            run(Command::new("useradd").args([
                "-M",
                "-d",
                "/nonexistent/machinist-homeless-t",
                "-s",
                "/bin/sh",
                HOMELESS_USER,
            ]));
        }
    });
}

pub fn become_user_home() -> PathBuf {
    PathBuf::from(format!("/home/{BECOME_USER}"))
}

/// The user's home on the targets (all the servers are this machine).
pub fn home() -> PathBuf {
    PathBuf::from(format!("/home/{USER}"))
}

fn keygen(path: &Path) {
    run(Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f"])
        .arg(path));
}

impl Sshd {
    /// A running server on 127.0.0.N and a free port.
    pub fn start() -> Sshd {
        Sshd::start_allowing(false)
    }

    /// A server root may log in to as well (with the same key).
    pub fn start_for_root() -> Sshd {
        Sshd::start_allowing(true)
    }

    fn start_allowing(root: bool) -> Sshd {
        static NEXT: AtomicU8 = AtomicU8::new(20);
        ensure_user();
        std::fs::create_dir_all("/run/sshd").unwrap();
        let dir = tempfile::Builder::new()
            .prefix("machinist-sshd")
            .tempdir()
            .unwrap();
        let address = format!("127.0.0.{}", NEXT.fetch_add(1, Ordering::SeqCst));
        let port = TcpListener::bind((address.as_str(), 0))
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        keygen(&dir.path().join("host_key"));
        keygen(&dir.path().join("user_key"));
        std::fs::copy(
            dir.path().join("user_key.pub"),
            dir.path().join("authorized_keys"),
        )
        .unwrap();
        let host_public = std::fs::read_to_string(dir.path().join("host_key.pub")).unwrap();
        std::fs::write(
            dir.path().join("known_hosts"),
            format!("[{address}]:{port} {host_public}"),
        )
        .unwrap();
        let config = format!(
            "ListenAddress {address}:{port}\nHostKey {dir}/host_key\nAuthorizedKeysFile {dir}/authorized_keys\n\
             PasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\nStrictModes no\n\
             PermitRootLogin {permit_root}\nPidFile none\nAllowUsers {USER}{also_root}\n",
            dir = dir.path().display(),
            permit_root = if root { "prohibit-password" } else { "no" },
            also_root = if root { " root" } else { "" },
        );
        std::fs::write(dir.path().join("sshd_config"), config).unwrap();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("sshd.log")).unwrap())
            .spawn()
            .expect("start sshd");
        let sshd = Sshd {
            address,
            port,
            child: Some(child),
            dir,
        };
        let at: SocketAddr = format!("{}:{}", sshd.address, sshd.port).parse().unwrap();
        let started = Instant::now();
        while TcpStream::connect_timeout(&at, Duration::from_millis(100)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "sshd did not listen: {}",
                sshd.log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        sshd
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("sshd.log")).unwrap_or_default()
    }

    pub fn user_key(&self) -> PathBuf {
        self.dir.path().join("user_key")
    }

    pub fn known_hosts(&self) -> PathBuf {
        self.dir.path().join("known_hosts")
    }

    /// Its host key's fingerprint, as ssh shows it (`SHA256:…`).
    pub fn host_fingerprint(&self) -> String {
        let output = Command::new("ssh-keygen")
            .arg("-lf")
            .arg(self.dir.path().join("host_key.pub"))
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout)
            .split_whitespace()
            .nth(1)
            .unwrap()
            .to_string()
    }

    /// Put another key than the server's in the client's known_hosts for it.
    pub fn forget_host_key_for_another(&self) {
        let other = self.dir.path().join("other_key");
        keygen(&other);
        let public = std::fs::read_to_string(other.with_extension("pub")).unwrap();
        std::fs::write(
            self.known_hosts(),
            format!("[{}]:{} {public}", self.address, self.port),
        )
        .unwrap();
    }

    /// Start the killed server again, same address, port and keys (a host that comes
    /// back); returns once it listens.
    pub fn restart(&mut self) {
        self.kill();
        let child = Command::new("/usr/sbin/sshd")
            .args(["-D", "-e", "-f"])
            .arg(self.dir.path().join("sshd_config"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(self.dir.path().join("sshd.log")).unwrap())
            .spawn()
            .expect("start sshd");
        self.child = Some(child);
        let at: SocketAddr = format!("{}:{}", self.address, self.port).parse().unwrap();
        let started = Instant::now();
        while TcpStream::connect_timeout(&at, Duration::from_millis(100)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "sshd did not listen again"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Kill the server and everything under it (sessions, agents).
    pub fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            kill_tree(child.id());
            let _ = child.wait();
        }
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        self.kill();
    }
}

/// SIGKILL `pid` and its descendants (children first found, then killed top-down).
pub fn kill_tree(pid: u32) {
    let mut all = vec![pid];
    let mut at = 0;
    while at < all.len() {
        let parent = all[at];
        for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
            let Some(child) = entry
                .file_name()
                .to_str()
                .and_then(|n| n.parse::<u32>().ok())
            else {
                continue;
            };
            let stat = std::fs::read_to_string(format!("/proc/{child}/stat")).unwrap_or_default();
            // pid (comm) state ppid …: the comm may hold spaces, so after the last ')'.
            let ppid = stat
                .rsplit_once(')')
                .and_then(|(_, rest)| rest.split_whitespace().nth(1))
                .and_then(|p| p.parse::<u32>().ok());
            if ppid == Some(parent) && !all.contains(&child) {
                all.push(child);
            }
        }
        at += 1;
    }
    for pid in all {
        if let Some(pid) = rustix::process::Pid::from_raw(pid as i32) {
            // A process gone meanwhile is no error.
            let _ = rustix::process::kill_process(pid, rustix::process::Signal::KILL);
        }
    }
}
