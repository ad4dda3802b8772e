//! A machinist run in the background: its output read line by line as it comes (to
//! act at a known point of the run), signals sent to it, and its end awaited with a
//! deadline so a hung run fails the test instead of hanging it.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc::{channel, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

/// Which output a line came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

pub struct Running {
    child: Child,
    lines: Receiver<(Stream, String)>,
    pub stdout: Vec<String>,
    pub stderr: Vec<String>,
    started: Instant,
}

/// How a background run ended.
#[derive(Debug)]
pub struct Finished {
    /// The exit code, or `None` when a signal killed it.
    pub code: Option<i32>,
    /// The signal that killed it, if one did.
    pub signal: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

fn pump(
    stream: impl Read + Send + 'static,
    which: Stream,
    to: std::sync::mpsc::Sender<(Stream, String)>,
) {
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines() {
            let Ok(line) = line else { break };
            if to.send((which, line)).is_err() {
                break;
            }
        }
    });
}

impl Running {
    pub fn start(mut command: Command) -> Running {
        let mut child = command
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start machinist");
        let (send, lines) = channel();
        pump(
            child.stdout.take().expect("stdout"),
            Stream::Stdout,
            send.clone(),
        );
        pump(child.stderr.take().expect("stderr"), Stream::Stderr, send);
        Running {
            child,
            lines,
            stdout: Vec::new(),
            stderr: Vec::new(),
            started: Instant::now(),
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    fn keep(&mut self, stream: Stream, line: String) {
        match stream {
            Stream::Stdout => self.stdout.push(line),
            Stream::Stderr => self.stderr.push(line),
        }
    }

    /// Read lines until one satisfies `wanted` (true) or `timeout` passes or the output
    /// ends (false).
    pub fn wait_for(&mut self, timeout: Duration, wanted: impl Fn(Stream, &str) -> bool) -> bool {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok((stream, line)) => {
                    let found = wanted(stream, &line);
                    self.keep(stream, line);
                    if found {
                        return true;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// Send a signal (`libc::SIGTERM`, `libc::SIGINT`).
    pub fn signal(&self, signal: i32) {
        let pid = rustix::process::Pid::from_raw(self.pid() as i32).expect("pid");
        let signal = rustix::process::Signal::from_named_raw(signal).expect("signal");
        rustix::process::kill_process(pid, signal).expect("kill");
    }

    /// Wait for the end (killing the run and failing after `timeout`), with all output.
    pub fn finish(mut self, timeout: Duration) -> Finished {
        let deadline = Instant::now() + timeout;
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("try_wait") {
                break status;
            }
            if Instant::now() > deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                panic!(
                    "machinist still running after {timeout:?}\nstdout:\n{}\nstderr:\n{}",
                    self.stdout.join("\n"),
                    self.stderr.join("\n")
                );
            }
            std::thread::sleep(Duration::from_millis(10));
        };
        let elapsed = self.started.elapsed();
        while let Ok((stream, line)) = self.lines.recv_timeout(Duration::from_secs(5)) {
            self.keep(stream, line);
        }
        use std::os::unix::process::ExitStatusExt;
        Finished {
            code: status.code(),
            signal: status.signal(),
            stdout: self.stdout.join("\n"),
            stderr: self.stderr.join("\n"),
            elapsed,
        }
    }
}
