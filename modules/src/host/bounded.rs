//! Running a program within bounds: a deadline, a cap on what it may print, and its
//! whole process group killed when either is passed, so a program (a plugin module)
//! can neither hang the run nor fill the controller's memory. Each pipe is served by
//! its own thread that reports to one channel; the caller only ever waits on that
//! channel with a deadline, so nothing here blocks for good, even when a background
//! child keeps a pipe open after the program has ended.

use std::io::{Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::process::{Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::time::{Duration, Instant};

/// How long the pipes may stay open after the program has exited (a background child
/// that inherited them); after that, what was read is what there is.
const DRAIN_AFTER_EXIT: Duration = Duration::from_secs(2);

/// The bounds of one run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// Kill the program's process group after this long; `None`: wait for it.
    pub timeout: Option<Duration>,
    /// Kill it when it prints more than this many bytes on stdout.
    pub max_stdout: usize,
    /// Keep this much of stderr; the rest is read and dropped.
    pub max_stderr: usize,
}

/// How the program ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ended {
    /// It exited with this status.
    Exited(i32),
    /// A signal killed it (not one of ours).
    Signaled(i32),
    /// It ran past `Limits::timeout` (the limit); its process group was killed.
    TimedOut(Duration),
    /// It printed more than `Limits::max_stdout`; its process group was killed.
    TooMuchOutput(usize),
}

/// What the program printed, and how it ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounded {
    pub ended: Ended,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    /// Stderr was longer than `Limits::max_stderr` and was cut.
    pub stderr_cut: bool,
}

enum Message {
    Stdout(Vec<u8>),
    Stderr(Vec<u8>),
    StdoutClosed,
    StderrClosed,
    Exited(std::io::Result<ExitStatus>),
}

/// Start `command` in a process group of its own, give it `stdin`, and collect its
/// output within `limits`. An error means it could not be started.
pub fn run(mut command: Command, stdin: Vec<u8>, limits: &Limits) -> std::io::Result<Bounded> {
    command
        .process_group(0)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn()?;
    let pid = child.id();
    // Its own process group keeps a terminal's Ctrl-C away; machinist forwards it.
    let _forwarded = crate::interrupt::track(pid);
    let (tx, rx) = mpsc::channel();
    if let Some(mut pipe) = child.stdin.take() {
        // A program that does not read its input closes the pipe: not our error.
        std::thread::spawn(move || pipe.write_all(&stdin));
    }
    if let Some(pipe) = child.stdout.take() {
        forward(pipe, tx.clone(), Message::Stdout, Message::StdoutClosed);
    }
    if let Some(pipe) = child.stderr.take() {
        forward(pipe, tx.clone(), Message::Stderr, Message::StderrClosed);
    }
    std::thread::spawn(move || tx.send(Message::Exited(child.wait())));

    let started = Instant::now();
    let deadline = limits.timeout.map(|timeout| started + timeout);
    let mut out = Bounded {
        ended: Ended::Exited(0),
        stdout: Vec::new(),
        stderr: Vec::new(),
        stderr_cut: false,
    };
    let (mut stdout_open, mut stderr_open) = (true, true);
    let mut exited: Option<(Ended, Instant)> = None;
    loop {
        if let Some((ended, _)) = exited {
            if !stdout_open && !stderr_open {
                out.ended = ended;
                return Ok(out);
            }
        }
        let drain_until = exited.map(|(_, at)| at + DRAIN_AFTER_EXIT);
        let wait_until = match (deadline, drain_until) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        };
        let message = match wait_until {
            Some(until) => rx.recv_timeout(until.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match message {
            Ok(Message::Stdout(bytes)) => {
                out.stdout.extend_from_slice(&bytes);
                if out.stdout.len() > limits.max_stdout {
                    kill_group(pid);
                    out.ended = Ended::TooMuchOutput(limits.max_stdout);
                    return Ok(out);
                }
            }
            Ok(Message::Stderr(bytes)) => {
                let room = limits.max_stderr.saturating_sub(out.stderr.len());
                out.stderr_cut |= bytes.len() > room;
                out.stderr
                    .extend_from_slice(&bytes[..bytes.len().min(room)]);
            }
            Ok(Message::StdoutClosed) => stdout_open = false,
            Ok(Message::StderrClosed) => stderr_open = false,
            Ok(Message::Exited(status)) => exited = Some((ended(status?), Instant::now())),
            Err(RecvTimeoutError::Timeout) => {
                if let Some((ended, _)) = exited {
                    // Still open after the program ended: a background child holds
                    // the pipes. What was read is the program's output.
                    out.ended = ended;
                    return Ok(out);
                }
                kill_group(pid);
                // The limit, not the time measured: the message says what was set.
                out.ended = Ended::TimedOut(limits.timeout.unwrap_or_else(|| started.elapsed()));
                return Ok(out);
            }
            Err(RecvTimeoutError::Disconnected) => {
                out.ended = exited.map_or(Ended::Signaled(0), |(ended, _)| ended);
                return Ok(out);
            }
        }
    }
}

/// Read `pipe` to its end on a thread of its own, sending what it reads.
fn forward(
    mut pipe: impl Read + Send + 'static,
    tx: Sender<Message>,
    data: fn(Vec<u8>) -> Message,
    closed: Message,
) {
    std::thread::spawn(move || {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match pipe.read(&mut buffer) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if tx.send(data(buffer[..n].to_vec())).is_err() {
                        // Nobody listens any more (the run was cut short).
                        return;
                    }
                }
            }
        }
        let _ = tx.send(closed);
    });
}

fn ended(status: ExitStatus) -> Ended {
    match (status.code(), status.signal()) {
        (Some(code), _) => Ended::Exited(code),
        (None, Some(signal)) => Ended::Signaled(signal),
        (None, None) => Ended::Signaled(0),
    }
}

/// SIGKILL the process group the program leads (it and every child it started that
/// did not leave the group).
pub(super) fn kill_group(pid: u32) {
    let Some(pid) = i32::try_from(pid)
        .ok()
        .and_then(rustix::process::Pid::from_raw)
    else {
        return;
    };
    // ESRCH: the group is already gone.
    let _ = rustix::process::kill_process_group(pid, rustix::process::Signal::KILL);
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIMITS: Limits = Limits {
        timeout: None,
        max_stdout: 1024 * 1024,
        max_stderr: 16,
    };

    fn sh(script: &str) -> Command {
        let mut command = Command::new("/bin/sh");
        command.args(["-c", script]);
        command
    }

    #[test]
    fn collects_output_exit_code_and_input() -> std::io::Result<()> {
        let run = run(sh("cat; echo oops >&2; exit 3"), b"hello".to_vec(), &LIMITS)?;
        assert_eq!(run.ended, Ended::Exited(3));
        assert_eq!(run.stdout, b"hello");
        assert_eq!(run.stderr, b"oops\n");
        Ok(())
    }

    #[test]
    fn stderr_is_cut_and_the_rest_drained() -> std::io::Result<()> {
        let run = run(
            sh("i=0; while [ $i -lt 1000 ]; do echo 0123456789 >&2; i=$((i+1)); done"),
            Vec::new(),
            &LIMITS,
        )?;
        assert_eq!(run.ended, Ended::Exited(0));
        assert_eq!(run.stderr.len(), 16);
        assert!(run.stderr_cut);
        Ok(())
    }

    #[test]
    fn too_much_output_kills_the_program() -> std::io::Result<()> {
        let started = Instant::now();
        let run = run(
            sh("while :; do echo yyyyyyyyyyyyyyyy; done"),
            Vec::new(),
            &LIMITS,
        )?;
        assert_eq!(run.ended, Ended::TooMuchOutput(LIMITS.max_stdout));
        assert!(started.elapsed() < Duration::from_secs(20));
        Ok(())
    }

    #[test]
    fn a_timeout_kills_the_whole_process_group() -> std::io::Result<()> {
        let dir = tempfile::tempdir()?;
        let pids = dir.path().join("pids");
        let script = format!(
            "sleep 30 & echo $! > {0}; echo $$ >> {0}; wait",
            pids.display()
        );
        let limits = Limits {
            timeout: Some(Duration::from_millis(300)),
            ..LIMITS
        };
        let started = Instant::now();
        let run = run(sh(&script), Vec::new(), &limits)?;
        assert!(matches!(run.ended, Ended::TimedOut(_)), "{:?}", run.ended);
        assert!(started.elapsed() < Duration::from_secs(10));
        std::thread::sleep(Duration::from_millis(200));
        for pid in std::fs::read_to_string(&pids)?.split_whitespace() {
            let state = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
            // Gone, or a zombie waiting for its reaper: not running.
            assert!(
                state.is_empty() || state.contains(") Z"),
                "process {pid} survived: {state}"
            );
        }
        Ok(())
    }

    #[test]
    fn a_background_child_holding_the_pipes_does_not_hang_the_run() -> std::io::Result<()> {
        let started = Instant::now();
        let run = run(sh("echo $$; sleep 30 &"), Vec::new(), &LIMITS)?;
        assert_eq!(run.ended, Ended::Exited(0));
        assert!(started.elapsed() < Duration::from_secs(10));
        let pid = String::from_utf8_lossy(&run.stdout).trim().parse::<u32>();
        assert!(pid.is_ok(), "{:?}", run.stdout);
        kill_group(pid.unwrap_or(0));
        Ok(())
    }

    #[test]
    fn signals_are_reported() -> std::io::Result<()> {
        let run = run(sh("kill -9 $$"), Vec::new(), &LIMITS)?;
        assert_eq!(run.ended, Ended::Signaled(9));
        Ok(())
    }
}
