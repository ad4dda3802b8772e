//! Asking on the terminal: the vault password (`--ask-vault-pass`, `--vault-id
//! LABEL@prompt`) and `vars_prompt` values. Read from `/dev/tty` (as Python's getpass
//! does, so stdin stays free for `-` and pipes), with echo off for private answers and
//! restored however the read ends (a SIGINT only sets the stop flag of
//! `signals.rs`, installed first, so echo is always turned back on). Without a controlling terminal, nothing is asked:
//! the caller gets `None` and refuses with its own clear error.

use std::fs::{File, OpenOptions};
use std::io::{self, BufRead, BufReader, Write};

use rustix::termios::{self, LocalModes, OptionalActions};

/// The controlling terminal, opened for a question.
pub struct Terminal {
    file: File,
}

impl Terminal {
    /// The controlling terminal, or `None` when there is none (a service, a pipe
    /// under `setsid`, CI).
    pub fn open() -> Option<Terminal> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open("/dev/tty")
            .ok()?;
        termios::isatty(&file).then_some(Terminal { file })
    }

    /// Print a line of its own (a complaint about the answer).
    pub fn tell(&mut self, text: &str) -> io::Result<()> {
        self.file.write_all(text.as_bytes())?;
        self.file.flush()
    }

    /// Print `prompt` and read one line (without its line end); `private` turns
    /// echo off while it is typed.
    pub fn ask(&mut self, prompt: &str, private: bool) -> io::Result<String> {
        self.file.write_all(prompt.as_bytes())?;
        self.file.flush()?;
        let saved = if private {
            let saved = termios::tcgetattr(&self.file)?;
            let mut quiet = saved.clone();
            quiet.local_modes.remove(LocalModes::ECHO);
            quiet.local_modes.insert(LocalModes::ECHONL);
            termios::tcsetattr(&self.file, OptionalActions::Drain, &quiet)?;
            Some(saved)
        } else {
            None
        };
        let mut line = String::new();
        let read = BufReader::new(&self.file).read_line(&mut line);
        if let Some(saved) = saved {
            termios::tcsetattr(&self.file, OptionalActions::Drain, &saved)?;
        }
        // SIGINT/SIGTERM only set the stop flag (signals.rs): the read goes on
        // until Enter, and the answer is thrown away, echo back on.
        if let Some(signal) = crate::signals::pending() {
            return Err(io::Error::new(
                io::ErrorKind::Interrupted,
                format!("stopped by signal {signal}"),
            ));
        }
        if read? == 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the terminal closed before an answer",
            ));
        }
        while line.ends_with('\n') || line.ends_with('\r') {
            line.pop();
        }
        Ok(line)
    }
}
