//! A program held on a pseudo-terminal, its prompts answered (the expect module's
//! [`Conversation`]), as pexpect's `run` does for Ansible: the program gets a pty as
//! stdin, stdout and stderr, 24×80, echo off unless asked, and — through util-linux's
//! `setsid --ctty` on the controller, so no code of ours runs between fork and exec —
//! a session of its own with the pty as its controlling terminal (a program that
//! opens /dev/tty, as passwd does, gets it, never the terminal machinist runs on).
//! What it prints is searched with every prompt's regex; the match that starts first
//! (the first prompt on a tie) is answered, after pexpect's 50 ms, and the search goes
//! on after it. The wait for each prompt is bounded by `timeout`; past it the
//! program's process group is killed and it has no exit code, as pexpect reports it.
//!
//! Inside another root the same `setsid` wraps chroot (the program keeps the
//! controlling terminal); under systemd-nspawn (`--pipe`) the pty is its stdio, but
//! nspawn starts it in a session of its own, without a controlling terminal.

use super::exec::{self, Exec};
use crate::expect::{compile, Answers, Conversation};
use crate::{ModuleError, OpOutput, RunSpec};
use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::OwnedFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration, Instant};

/// pexpect's `delaybeforesend`: a program that turns its echo off after printing its
/// prompt (passwd) has done so before the answer comes.
const DELAY_BEFORE_SEND: Duration = Duration::from_millis(50);

/// More output than this ends the run (a program that never stops printing).
const MAX_OUTPUT: usize = 64 << 20;

/// The `setsid` that gives the program its session and controlling terminal.
pub(super) const SESSION: [&str; 3] = ["setsid", "--ctty", "--wait"];

/// Run `spec` on a pty in `root` the given way, answering its prompts.
pub(super) fn converse(
    exec: Exec,
    root: &Path,
    spec: &RunSpec,
    conversation: &Conversation,
) -> Result<OpOutput, ModuleError> {
    let patterns = conversation
        .responses
        .iter()
        .map(|(prompt, _)| compile(prompt))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|err| ModuleError::invalid("responses", err))?;
    let mut turns: Vec<usize> = vec![0; patterns.len()];
    let program = PathBuf::from(spec.argv.first().cloned().unwrap_or_default());
    let failed = |source| ModuleError::io(program.clone(), source);
    let (master, slave) = open_pty(conversation.echo).map_err(failed)?;
    let mut command = exec::command(exec, root, spec)?;
    let stdio = |fd: &OwnedFd| fd.try_clone().map(Stdio::from);
    command
        .stdin(stdio(&slave).map_err(failed)?)
        .stdout(stdio(&slave).map_err(failed)?)
        .stderr(stdio(&slave).map_err(failed)?);
    let mut child = command.spawn().map_err(failed)?;
    // Only the program holds the terminal now: its end is the master's end of input.
    drop(command);
    drop(slave);
    let pid = child.id();
    let _forwarded = crate::interrupt::track(pid);
    let mut writer = File::from(master.try_clone().map_err(failed)?);
    let (tx, rx) = mpsc::channel::<Vec<u8>>();
    let mut reader = File::from(master);
    std::thread::spawn(move || {
        let mut chunk = vec![0; 8192];
        // EIO: every holder of the terminal closed it (pexpect's EOF).
        while let Ok(read @ 1..) = reader.read(&mut chunk) {
            if tx.send(chunk[..read].to_vec()).is_err() {
                break;
            }
        }
    });

    let mut output: Vec<u8> = Vec::new();
    // What was read and not yet matched; `output` has all of it.
    let mut unmatched = 0;
    let mut deadline = conversation.timeout.map(|timeout| Instant::now() + timeout);
    let timed_out = loop {
        if let Some((index, end)) = earliest_match(&patterns, &output[unmatched..]) {
            let matched = &output[unmatched..unmatched + end];
            let (prompt, answers) = &conversation.responses[index];
            let answer = match answers {
                Answers::Always(answer) => Some(answer),
                Answers::InTurn(list) => list.get(turns[index]),
            };
            turns[index] += 1;
            let Some(answer) = answer else {
                super::bounded::kill_group(pid);
                let _ = child.wait();
                return Err(ModuleError::Failed(format!(
                    "No remaining responses for '{prompt}', output was '{}'",
                    python_bytes_repr(matched)
                )));
            };
            unmatched += end;
            std::thread::sleep(DELAY_BEFORE_SEND);
            let mut line = answer.trim_end_matches('\n').as_bytes().to_vec();
            line.push(b'\n');
            // A program that ended meanwhile reads no more: its end says the rest.
            let _ = writer.write_all(&line);
            deadline = conversation.timeout.map(|timeout| Instant::now() + timeout);
            continue;
        }
        let received = match deadline {
            Some(deadline) => rx.recv_timeout(deadline.saturating_duration_since(Instant::now())),
            None => rx.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match received {
            Ok(chunk) => {
                output.extend_from_slice(&chunk);
                if output.len() > MAX_OUTPUT {
                    super::bounded::kill_group(pid);
                    let _ = child.wait();
                    return Err(ModuleError::Failed(format!(
                        "the command printed more than {} MiB; it was stopped",
                        MAX_OUTPUT >> 20
                    )));
                }
            }
            Err(RecvTimeoutError::Timeout) => break true,
            Err(RecvTimeoutError::Disconnected) => break false,
        }
    };
    if timed_out {
        super::bounded::kill_group(pid);
    }
    let status = child.wait().map_err(failed)?;
    tracing::debug!(
        rc = ?status.code(),
        signal = ?status.signal(),
        timed_out,
        "a conversation on a pty ended"
    );
    Ok(OpOutput {
        // pexpect's exitstatus: none when a signal ended it (or the timeout did).
        rc: if timed_out { None } else { status.code() },
        stdout: String::from_utf8_lossy(&output).into_owned(),
        stderr: String::new(),
    })
}

/// The prompt whose match starts first in `text` (the earlier prompt on a tie), and
/// where its match ends, as pexpect's searcher_re picks it.
fn earliest_match(patterns: &[regex::bytes::Regex], text: &[u8]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize, usize)> = None;
    for (index, pattern) in patterns.iter().enumerate() {
        if let Some(found) = pattern.find(text) {
            if best.map_or(true, |(_, start, _)| found.start() < start) {
                best = Some((index, found.start(), found.end()));
            }
        }
    }
    best.map(|(index, _, end)| (index, end))
}

/// A pty: its master (ours) and its slave (the program's terminal), 24×80, echo as
/// asked (pexpect's setecho on the terminal before the program starts).
fn open_pty(echo: bool) -> std::io::Result<(OwnedFd, OwnedFd)> {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    use rustix::termios::{
        tcgetattr, tcsetattr, tcsetwinsize, LocalModes, OptionalActions, Winsize,
    };
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave: OwnedFd = File::options()
        .read(true)
        .write(true)
        .custom_flags(rustix::fs::OFlags::NOCTTY.bits() as i32)
        .open(std::ffi::OsStr::from_bytes(name.as_bytes()))?
        .into();
    let mut termios = tcgetattr(&slave)?;
    if echo {
        termios.local_modes.insert(LocalModes::ECHO);
    } else {
        termios.local_modes.remove(LocalModes::ECHO);
    }
    tcsetattr(&slave, OptionalActions::Now, &termios)?;
    tcsetwinsize(
        &slave,
        Winsize {
            ws_row: 24,
            ws_col: 80,
            ws_xpixel: 0,
            ws_ypixel: 0,
        },
    )?;
    Ok((master, slave))
}

/// Python's repr() of bytes (`b'...'`), as Ansible's message shows the output.
fn python_bytes_repr(bytes: &[u8]) -> String {
    let quote = if bytes.contains(&b'\'') && !bytes.contains(&b'"') {
        '"'
    } else {
        '\''
    };
    let mut out = format!("b{quote}");
    for &byte in bytes {
        match byte {
            b'\\' => out.push_str("\\\\"),
            b'\t' => out.push_str("\\t"),
            b'\n' => out.push_str("\\n"),
            b'\r' => out.push_str("\\r"),
            _ if byte as char == quote => {
                out.push('\\');
                out.push(quote);
            }
            0x20..=0x7e => out.push(byte as char),
            _ => out.push_str(&format!("\\x{byte:02x}")),
        }
    }
    out.push(quote);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn patterns(list: &[&str]) -> Vec<regex::bytes::Regex> {
        list.iter()
            .map(|p| compile(p).unwrap_or_else(|err| panic!("{err}")))
            .collect()
    }

    #[test]
    fn the_match_that_starts_first_wins_then_the_first_prompt() {
        let found = earliest_match(&patterns(&["word", "Pass"]), b"Password: ");
        assert_eq!(found, Some((1, 4)));
        let found = earliest_match(&patterns(&["Pa", "Pass"]), b"Password: ");
        assert_eq!(found, Some((0, 2)));
        // re.DOTALL: `.` crosses lines.
        let found = earliest_match(&patterns(&["a.b"]), b"a\nb");
        assert_eq!(found, Some((0, 3)));
        assert_eq!(earliest_match(&patterns(&["x"]), b"abc"), None);
    }

    #[test]
    fn bytes_are_shown_as_python_shows_them() {
        assert_eq!(python_bytes_repr(b"Name? \r\n"), r"b'Name? \r\n'");
        assert_eq!(python_bytes_repr(b"it's"), r#"b"it's""#);
        assert_eq!(python_bytes_repr(b"a'\"\xff"), r#"b'a\'"\xff'"#);
    }
}
