//! Sending the agent's bytes into a host's cache through a script that may run under
//! sudo: sudo reads its password from the same stdin (`-S`), so the password goes
//! only when sudo's prompt shows on stderr, and the bytes only once the script says
//! it reads them ([`UPLOAD_READY`]). Neither depends on how much sudo reads, nor on
//! whether it asks at all (a cached or NOPASSWD sudo never does).

use super::super::session::BecomePrompt;
use super::super::Unreachable;
use std::io::{Read, Write};
use std::process::{Command, Stdio};
use std::sync::mpsc::{channel, RecvTimeoutError};
use std::time::{Duration, Instant};

/// What the upload script says on stderr just before it reads the bytes.
pub const UPLOAD_READY: &str = "machinist-upload-ready";

/// How long the script may take to be ready (an ssh login, a sudo); the copy itself
/// has no deadline (a slow link).
const READY_TIMEOUT: Duration = Duration::from_secs(60);

/// Run `command` (ssh with the upload script), answer sudo's prompt, send `bytes`
/// when the script is ready, and wait for it to end well.
pub fn send(
    name: &str,
    mut command: Command,
    mut bytes: std::fs::File,
    become_prompt: Option<BecomePrompt>,
) -> Result<(), Unreachable> {
    let unreachable = |message: String| Unreachable::new(name, message);
    let mut child = command
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|err| unreachable(format!("cannot run ssh: {err}")))?;
    let (Some(input), Some(mut stderr)) = (child.stdin.take(), child.stderr.take()) else {
        let _ = child.kill();
        let _ = child.wait();
        return Err(unreachable("ssh's pipes are missing".into()));
    };
    let (said, heard) = channel();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 || said.send(buf[..n].to_vec()).is_err() {
                return;
            }
        }
    });
    // Dropped once the bytes are sent: the script's `cat` ends.
    let mut input = Some(input);
    let mut stderr = Vec::new();
    let deadline = Instant::now() + READY_TIMEOUT;
    let mut answered = false;
    let mut sent = false;
    let failure = loop {
        // Until the script is ready: a deadline; then the bytes take what they take.
        let next = match sent {
            false => heard.recv_timeout(deadline.saturating_duration_since(Instant::now())),
            true => heard.recv().map_err(|_| RecvTimeoutError::Disconnected),
        };
        match next {
            Ok(chunk) => stderr.extend_from_slice(&chunk),
            Err(RecvTimeoutError::Disconnected) => break None,
            Err(RecvTimeoutError::Timeout) => {
                break Some("the host did not take the agent's copy in time".to_string())
            }
        }
        let text = String::from_utf8_lossy(&stderr);
        if let Some(prompt) = &become_prompt {
            match text.matches(prompt.prompt).count() {
                0 => {}
                1 if !answered => {
                    answered = true;
                    let password = format!("{}\n", prompt.password);
                    let written = match input.as_mut() {
                        Some(input) => input.write_all(password.as_bytes()),
                        None => Ok(()),
                    };
                    if let Err(err) = written {
                        break Some(format!("cannot answer the become prompt: {err}"));
                    }
                }
                1 => {}
                _ => break Some("the become password was refused".into()),
            }
        }
        if !sent && text.contains(UPLOAD_READY) {
            sent = true;
            tracing::debug!(host = name, "the host reads the agent's copy");
            if let Some(mut input) = input.take() {
                if let Err(err) = std::io::copy(&mut bytes, &mut input) {
                    break Some(format!("cannot send the agent: {err}"));
                }
            }
        }
    };
    if failure.is_some() {
        let _ = child.kill();
    }
    let status = child.wait();
    let said = String::from_utf8_lossy(&stderr)
        .lines()
        .filter(|line| {
            !line.contains(UPLOAD_READY)
                && !become_prompt
                    .as_ref()
                    .is_some_and(|prompt| line.trim() == prompt.prompt)
        })
        .map(|line| match &become_prompt {
            Some(prompt) => line.replace(prompt.prompt, ""),
            None => line.to_string(),
        })
        .collect::<Vec<_>>()
        .join("\n");
    let said = said.trim();
    let what = match (failure, status) {
        (None, Ok(status)) if status.success() => return Ok(()),
        (Some(failure), _) => failure,
        (None, Ok(_)) => "cannot copy the agent".to_string(),
        (None, Err(err)) => format!("cannot copy the agent: {err}"),
    };
    Err(unreachable(if said.is_empty() {
        what
    } else {
        format!("{what}: {said}")
    }))
}
