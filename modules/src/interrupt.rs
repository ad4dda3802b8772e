//! Interruption: the signal that asked a run to stop (SIGINT, SIGTERM), and the child
//! processes that signal is passed on to.
//!
//! The binary's signal handler calls [`raise`]; the Host reads [`pending`] before each
//! operation and stops there, so an operation that has begun (an atomic write, a
//! rename) always finishes and an interrupted run leaves every file old or new. A
//! program the Host runs is registered with [`track`] while it runs, so the signal
//! reaches it too and a long `pacstrap` or `systemd-nspawn` stops instead of running to
//! its end. Everything a signal handler touches here is a lock-free atomic and the
//! only call it makes is kill(2): both are async-signal-safe.
//!
//! This is process-wide state on purpose (a signal is process-wide); modules never
//! read it, only the Host's apply loop and the runner do. A background job (the
//! runner's `async:` tasks) runs on a thread with a stop request of its own besides
//! ([`as_job`]): its children are tracked there too, so a job past its time limit is
//! stopped alone while the run goes on.

use rustix::process::{getpgid, kill_process, kill_process_group, Pid, Signal};
use std::cell::RefCell;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Arc;

/// How many running children can be tracked at once (one runs at a time today).
const SLOTS: usize = 16;

/// A stop request and the children it is forwarded to.
#[derive(Debug)]
pub struct Interrupt {
    /// The first signal received; 0 while none.
    signal: AtomicI32,
    /// Pids of running children; 0 marks a free slot.
    children: [AtomicI32; SLOTS],
}

impl Default for Interrupt {
    fn default() -> Interrupt {
        Interrupt::new()
    }
}

impl Interrupt {
    pub const fn new() -> Interrupt {
        Interrupt {
            signal: AtomicI32::new(0),
            children: [const { AtomicI32::new(0) }; SLOTS],
        }
    }

    /// A signal arrived: remember the first one and pass this one on to every running
    /// child. Async-signal-safe.
    pub fn raise(&self, signal: i32) {
        let _ = self
            .signal
            .compare_exchange(0, signal, Ordering::SeqCst, Ordering::SeqCst);
        for slot in &self.children {
            send(slot.load(Ordering::SeqCst), signal);
        }
    }

    /// The signal that asked the run to stop, if one did.
    pub fn pending(&self) -> Option<i32> {
        match self.signal.load(Ordering::SeqCst) {
            0 => None,
            signal => Some(signal),
        }
    }

    /// Forward signals to the child `pid` until the guard is dropped (drop it before
    /// the child is reaped, or right after: a pid is not reused while it is a zombie).
    /// A signal that came before the child was tracked is sent to it at once.
    pub fn track(&self, pid: u32) -> Tracked<'_> {
        let pid = i32::try_from(pid).unwrap_or(0);
        let slot = self.children.iter().find(|slot| {
            pid > 0
                && slot
                    .compare_exchange(0, pid, Ordering::SeqCst, Ordering::SeqCst)
                    .is_ok()
        });
        if let Some(signal) = self.pending() {
            send(pid, signal);
        }
        Tracked { slot, job: None }
    }
}

/// A child registered for forwarding; dropping it unregisters the child.
#[derive(Debug)]
pub struct Tracked<'a> {
    slot: Option<&'a AtomicI32>,
    /// The same child in the stop request of the job this thread runs, if one.
    job: Option<(Arc<Interrupt>, usize)>,
}

impl Drop for Tracked<'_> {
    fn drop(&mut self) {
        if let Some(slot) = self.slot {
            slot.store(0, Ordering::SeqCst);
        }
        if let Some((job, at)) = &self.job {
            job.children[*at].store(0, Ordering::SeqCst);
        }
    }
}

/// The signal to the child `pid`, and to everything it started when it leads a
/// process group of its own (the Host starts its programs so): a shell's `sleep`
/// stops with the shell, and no pipe stays open behind it.
fn send(pid: i32, signal: i32) {
    let (Some(pid), Some(signal)) = (Pid::from_raw(pid), Signal::from_named_raw(signal)) else {
        return;
    };
    if getpgid(Some(pid)).is_ok_and(|group| group == pid) {
        let _ = kill_process_group(pid, signal);
    } else {
        let _ = kill_process(pid, signal);
    }
}

/// A signal's name for messages (`SIGINT`, `SIGTERM`, `signal 10`).
pub fn name(signal: i32) -> String {
    match signal {
        1 => "SIGHUP".into(),
        2 => "SIGINT".into(),
        3 => "SIGQUIT".into(),
        15 => "SIGTERM".into(),
        other => format!("signal {other}"),
    }
}

static PROCESS: Interrupt = Interrupt::new();

thread_local! {
    /// The stop request of the background job this thread runs (see [`as_job`]).
    static JOB: RefCell<Option<Arc<Interrupt>>> = const { RefCell::new(None) };
}

/// Run `work` as a background job stopped by `job` as well as by the process's signal:
/// [`pending`] sees either, and the children started meanwhile get either's signal.
pub fn as_job<T>(job: Arc<Interrupt>, work: impl FnOnce() -> T) -> T {
    JOB.with(|current| *current.borrow_mut() = Some(job));
    let done = work();
    JOB.with(|current| *current.borrow_mut() = None);
    done
}

fn this_job() -> Option<Arc<Interrupt>> {
    JOB.with(|current| current.borrow().clone())
}

/// This process's interrupt state (what the signal handler raises).
pub fn process() -> &'static Interrupt {
    &PROCESS
}

/// [`Interrupt::raise`] on this process's state: call it from a signal handler.
pub fn raise(signal: i32) {
    PROCESS.raise(signal);
}

/// [`Interrupt::pending`] on this process's state (and this thread's job's).
pub fn pending() -> Option<i32> {
    PROCESS
        .pending()
        .or_else(|| this_job().and_then(|job| job.pending()))
}

/// [`Interrupt::track`] on this process's state (and this thread's job's).
pub fn track(pid: u32) -> Tracked<'static> {
    let mut tracked = PROCESS.track(pid);
    if let Some(job) = this_job() {
        let mut in_job = job.track(pid);
        let at = in_job.slot.take().and_then(|slot| {
            job.children
                .iter()
                .position(|candidate| std::ptr::eq(candidate, slot))
        });
        drop(in_job);
        tracked.job = at.map(|at| (job, at));
    }
    tracked
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::process::Command;

    #[test]
    fn the_first_signal_is_kept() {
        let interrupt = Interrupt::new();
        assert_eq!(interrupt.pending(), None);
        interrupt.raise(15);
        interrupt.raise(2);
        assert_eq!(interrupt.pending(), Some(15));
    }

    #[test]
    fn tracked_children_get_the_signal_and_untracked_ones_do_not(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let interrupt = Interrupt::new();
        let mut tracked = Command::new("sleep").arg("30").spawn()?;
        let mut other = Command::new("sleep").arg("30").spawn()?;
        let guard = interrupt.track(tracked.id());
        interrupt.raise(15);
        let status = tracked.wait()?;
        drop(guard);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(15));
        assert!(
            other.try_wait()?.is_none(),
            "an untracked child was signalled"
        );
        other.kill()?;
        other.wait()?;
        Ok(())
    }

    #[test]
    fn a_child_tracked_after_the_signal_gets_it_at_once() -> Result<(), Box<dyn std::error::Error>>
    {
        let interrupt = Interrupt::new();
        interrupt.raise(15);
        let mut child = Command::new("sleep").arg("30").spawn()?;
        let guard = interrupt.track(child.id());
        let status = child.wait()?;
        drop(guard);
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(15));
        assert!(interrupt
            .children
            .iter()
            .all(|s| s.load(Ordering::SeqCst) == 0));
        Ok(())
    }

    #[test]
    fn a_jobs_children_get_its_signal_and_the_process_stays_unstopped(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let job = Arc::new(Interrupt::new());
        let mut child = Command::new("sleep").arg("30").spawn()?;
        let status = as_job(Arc::clone(&job), || {
            let guard = track(child.id());
            assert_eq!(pending(), None);
            job.raise(9);
            assert_eq!(pending(), Some(9));
            let status = child.wait();
            drop(guard);
            status
        })?;
        use std::os::unix::process::ExitStatusExt;
        assert_eq!(status.signal(), Some(9));
        assert_eq!(pending(), None, "the job's signal stays the job's");
        assert!(job.children.iter().all(|s| s.load(Ordering::SeqCst) == 0));
        Ok(())
    }
}
