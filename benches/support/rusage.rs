//! `wait4(2)`: the exit status and the resource usage of exactly one child (and of
//! the children it reaped: the kernel folds those in, so ansible-playbook's forked
//! workers count too). std links the C library on Linux already; this declares the one
//! function it does not wrap. Shared by the benchmarks.

use std::os::raw::{c_int, c_long};
use std::time::Duration;

#[repr(C)]
#[derive(Default)]
struct Timeval {
    tv_sec: c_long,
    tv_usec: c_long,
}

/// `struct rusage` of Linux: two timevals, then fourteen longs.
#[repr(C)]
#[derive(Default)]
struct RawRusage {
    ru_utime: Timeval,
    ru_stime: Timeval,
    ru_maxrss: c_long,
    rest: [c_long; 13],
}

extern "C" {
    fn wait4(pid: c_int, status: *mut c_int, options: c_int, rusage: *mut RawRusage) -> c_int;
}

pub struct Usage {
    pub user: Duration,
    pub system: Duration,
    /// The child's peak resident set size, in KiB (Linux reports `ru_maxrss` in KiB).
    pub max_rss_kb: u64,
}

fn duration(tv: &Timeval) -> Duration {
    Duration::from_secs(tv.tv_sec as u64) + Duration::from_micros(tv.tv_usec as u64)
}

/// Wait for the child `pid`; its exit code (128 + signal when killed) and usage.
pub fn wait(pid: u32) -> (i32, Usage) {
    let mut status: c_int = 0;
    let mut raw = RawRusage::default();
    loop {
        // SAFETY: `status` and `raw` are valid for writes and laid out as the C
        // types; `pid` is a child of this process that nothing else waits for.
        let rc = unsafe { wait4(pid as c_int, &mut status, 0, &mut raw) };
        if rc == pid as c_int {
            break;
        }
        let err = std::io::Error::last_os_error();
        assert!(
            err.kind() == std::io::ErrorKind::Interrupted,
            "wait4({pid}): {err}"
        );
    }
    let code = if status & 0x7f == 0 {
        (status >> 8) & 0xff
    } else {
        128 + (status & 0x7f)
    };
    let usage = Usage {
        user: duration(&raw.ru_utime),
        system: duration(&raw.ru_stime),
        max_rss_kb: raw.ru_maxrss as u64,
    };
    (code, usage)
}
