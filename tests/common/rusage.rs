//! Run a child to its end and read its peak memory: `wait4(2)`'s rusage of exactly
//! that child (`ru_maxrss`, in KiB on Linux), so a test can bound what a run costs.

use std::process::{Command, Stdio};

/// How one run ended and what it cost.
#[derive(Debug)]
pub struct Measured {
    /// The exit code (128 + the signal when one killed it).
    pub code: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Peak resident set size, KiB.
    pub max_rss_kb: u64,
}

/// Run `command` (stdin closed, output captured) and measure it.
// The child is reaped by wait4 below, not `Child::wait`, to get its rusage.
#[allow(clippy::zombie_processes)]
pub fn measure(mut command: Command) -> Measured {
    use std::io::Read;
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let mut out = child.stdout.take().expect("stdout");
    let mut err = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = err.read_to_end(&mut bytes);
        bytes
    });
    let mut stdout = Vec::new();
    let _ = out.read_to_end(&mut stdout);
    let stderr = reader.join().expect("stderr reader");
    let pid = child.id() as libc::pid_t;
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero rusage is a valid value of the C type.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid for writes; `pid` is our child, which
        // nothing else waits for (std's Child is never waited on).
        let rc = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if rc == pid {
            break;
        }
        let error = std::io::Error::last_os_error();
        assert_eq!(
            error.kind(),
            std::io::ErrorKind::Interrupted,
            "wait4: {error}"
        );
    }
    let code = if libc::WIFEXITED(status) {
        libc::WEXITSTATUS(status)
    } else {
        128 + libc::WTERMSIG(status)
    };
    Measured {
        code,
        stdout,
        stderr,
        max_rss_kb: u64::try_from(usage.ru_maxrss).unwrap_or(0),
    }
}
