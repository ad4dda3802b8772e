//! SIGINT and SIGTERM caught for the whole process: a run stops after the operation in
//! progress instead of dying mid-write.
//!
//! [`install`] sets a signal handler that only calls
//! `machinist_modules::interrupt::raise` (an atomic store and kill(2) to a running
//! child: async-signal-safe). The executor looks at the flag ([`pending`]) before each
//! task, loop item and handler, the Host before each operation, the root locks while
//! they wait and the vault's terminal prompts while they read, so an operation that has
//! begun always finishes (writes are atomic renames: every file is old or new, no temp
//! file is left). The binary then exits 128 + the signal number ([`exit_code`]): 130
//! for SIGINT, 143 for SIGTERM, as a shell reports a process a signal killed. A second
//! signal kills machinist at once (the operation in progress may never end): files are
//! still old or new, but a temp file may be left. What a stopped run did and did not do
//! is told by run/interrupt.rs.

pub use machinist_modules::interrupt::pending;

/// The signals that stop a run.
const SIGNALS: [libc::c_int; 2] = [libc::SIGINT, libc::SIGTERM];

extern "C" fn on_signal(signal: libc::c_int) {
    let again = machinist_modules::interrupt::pending().is_some();
    machinist_modules::interrupt::raise(signal);
    if again {
        // A second signal: the operator means it. Die of it now (an operation that
        // never ends, a render running away, must not keep machinist alive); writes are
        // renames, so a file is still old or new, though a temp file may stay.
        // SAFETY: signal(2) and raise(3) are async-signal-safe.
        unsafe {
            libc::signal(signal, libc::SIG_DFL);
            libc::raise(signal);
        }
    }
}

/// Catch SIGINT and SIGTERM for the rest of the process's life: they set the stop flag
/// (and reach a running child) instead of killing machinist mid-write.
pub fn install() -> std::io::Result<()> {
    for signal in SIGNALS {
        // SAFETY: a zeroed sigaction is a valid value of the C type; the handler only
        // does async-signal-safe work (atomics and kill(2)); SA_RESTART keeps the
        // interrupted system calls of the main thread going.
        let rc = unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as libc::sighandler_t;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut())
        };
        if rc != 0 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The exit code of a run a signal stopped: 128 + its number (130, 143).
pub fn exit_code(signal: i32) -> u8 {
    u8::try_from(128 + signal.clamp(0, 127)).unwrap_or(u8::MAX)
}

/// Sleep `duration`, or less when a stop signal arrives (a loop's `pause`, a retried
/// task's `delay`): false when one did.
pub fn sleep(duration: std::time::Duration) -> bool {
    let until = std::time::Instant::now() + duration;
    loop {
        if pending().is_some() {
            return false;
        }
        let left = until.saturating_duration_since(std::time::Instant::now());
        if left.is_zero() {
            return true;
        }
        std::thread::sleep(left.min(std::time::Duration::from_millis(50)));
    }
}
