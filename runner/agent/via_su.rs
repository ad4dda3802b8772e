//! `machinist agent --via-su USER [--ask-password]`: the launcher that starts the
//! agent as another user through `su` (`become_method: su` over ssh,
//! runner/connection/ssh.rs). su reads its password from a terminal, and a terminal
//! mangles bytes, so the agent's framed protocol never passes through one: the
//! launcher (the connecting user's cached agent) gives su a pty of its own as
//! controlling terminal, stdin, stdout and stderr, and hands its own stdin, stdout
//! and stderr to su's command as descriptors 3, 4 and 5, which su keeps (util-linux
//! su passes inherited descriptors on). The command is Ansible's: `su USER -c CMD`
//! (its su become_flags default is empty: no `-`), CMD being `/bin/sh -c 'exec
//! /proc/self/fd/6 agent 0<&3 1>&4 2>&5 …'`.
//!
//! The password: when su asks on the pty (its prompt, in the C locale: su runs with
//! LC_ALL=C; Ansible's localized words are recognized too), the launcher asks the
//! controller with the become prompt on stderr and reads one line from its stdin,
//! byte by byte (the protocol has not begun: the controller sends its hello only once
//! the agent greets), and types it into the pty, whose echo is off. It is never on a
//! command line nor in an environment. Without `--ask-password` (no become password
//! given) a prompt ends the launch at once; root becoming another user is never
//! asked. A refused password (`Authentication failure`) is said on stderr as
//! "Incorrect su password" and the launcher ends with su's status: the controller's
//! session ends before the agent's greeting, and the host is unreachable with it.
//!
//! The executable the become user runs: the connecting user's cache is private (0700)
//! and stays so, and writing into the become user's own cache would take a second su
//! (and a second password). So the launcher copies its own executable into a sealed
//! memfd (not writable, not growable: the bytes the controller checked), reopens it
//! read-only, and passes it as descriptor 6; the become user executes
//! `/proc/self/fd/6`. Nothing is made readable to others and nothing is written on
//! the target; the agent then checks its own hash against the controller's hello as
//! any agent does.

use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::process::CommandExt;
use std::process::{Command, Stdio};

/// The prompt the launcher gives the controller when su asks for the password (the
/// one sudo is given: runner/connection/ssh.rs answers both alike).
pub const BECOME_PROMPT: &str = "[machinist become password]";

/// What su's failure to authenticate says (util-linux, C locale), as Ansible's su
/// become plugin looks for it.
const AUTHENTICATION_FAILURE: &str = "authentication failure";

/// su's password prompt in the languages Ansible's su become plugin knows
/// (`SU_PROMPT_LOCALIZATIONS`), followed by a colon; su runs with LC_ALL=C, so
/// "Password:" is the one expected.
const PROMPT_WORDS: &[&str] = &[
    "password",
    "암호",
    "パスワード",
    "adgangskode",
    "contraseña",
    "contrasenya",
    "hasło",
    "heslo",
    "jelszó",
    "lösenord",
    "mật khẩu",
    "mot de passe",
    "parola",
    "parool",
    "pasahitza",
    "passord",
    "passwort",
    "salasana",
    "sandi",
    "senha",
    "wachtwoord",
    "ססמה",
    "лозинка",
    "парола",
    "пароль",
    "गुप्तशब्द",
    "शब्दकूट",
    "సంకేతపదము",
    "හස්පදය",
    "密码",
    "密碼",
    "口令",
];

/// The most of su's terminal output kept for a message.
const PTY_TAIL: usize = 4096;

/// The descriptors su's command gets: the launcher's stdin, stdout, stderr, and the
/// agent's executable.
const PROTOCOL_IN: RawFd = 3;
const PROTOCOL_OUT: RawFd = 4;
const DIAGNOSTICS: RawFd = 5;
const EXECUTABLE: RawFd = 6;

#[derive(Debug, thiserror::Error)]
pub enum ViaSuError {
    #[error("cannot copy machinist's executable for {user}: {source}")]
    Executable { user: String, source: io::Error },
    #[error("cannot open a terminal for su: {0}")]
    Pty(io::Error),
    #[error("cannot run su: {0}")]
    Spawn(io::Error),
    #[error(
        "su asks for {user}'s password and no become password was given \
         (ansible_become_password, --become-password-file or --ask-become-pass)"
    )]
    NoPassword { user: String },
    #[error("the controller gave no become password: {0}")]
    PasswordRead(io::Error),
    #[error("cannot type the become password into su's terminal: {0}")]
    PasswordWrite(io::Error),
    #[error("su to {user} ended with status {code}: {said}")]
    Ended {
        user: String,
        code: i32,
        said: String,
    },
    #[error("Incorrect su password: su refused the become password for {user}{said}")]
    Refused { user: String, said: String },
}

/// Start the agent as `user` through su and wait for it; su's exit status (the
/// agent's, once it ran) is the launcher's.
pub fn launch(user: &str, ask_password: bool) -> Result<i32, ViaSuError> {
    let executable = sealed_executable().map_err(|source| ViaSuError::Executable {
        user: user.to_string(),
        source,
    })?;
    let (master, slave) = open_pty().map_err(ViaSuError::Pty)?;
    let mut su = su_command(user, slave, &executable)?
        .spawn()
        .map_err(ViaSuError::Spawn)?;
    tracing::debug!(user, pid = su.id(), "su started");
    let mut master = File::from(master);
    let talked = talk_to_su(&mut master, user, ask_password);
    // Closing the terminal hangs su up when it still waits for a password.
    drop(master);
    let status = su.wait().map_err(ViaSuError::Spawn)?;
    let said = talked?;
    let code = status.code().unwrap_or(1);
    if code != 0 {
        let said = said.trim();
        if said.to_lowercase().contains(AUTHENTICATION_FAILURE) {
            return Err(ViaSuError::Refused {
                user: user.to_string(),
                said: format!(" ({said})"),
            });
        }
        // su's own words (a user it does not know, a shell that refuses); an agent
        // that ran and failed said why on its own stderr.
        if !said.is_empty() {
            return Err(ViaSuError::Ended {
                user: user.to_string(),
                code,
                said: said.to_string(),
            });
        }
    }
    Ok(code)
}

/// Read su's terminal until it closes, answering its password prompt once; what it
/// said after that (a failure's words), its tail.
fn talk_to_su(master: &mut File, user: &str, ask_password: bool) -> Result<String, ViaSuError> {
    let mut said: Vec<u8> = Vec::new();
    let mut answered = false;
    let mut buf = [0u8; 4096];
    loop {
        let n = match master.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(err) if err.kind() == io::ErrorKind::Interrupted => continue,
            // EIO: every holder of the terminal's other side is gone (su ended).
            Err(_) => break,
        };
        said.extend_from_slice(&buf[..n]);
        if said.len() > PTY_TAIL {
            said.drain(..said.len() - PTY_TAIL);
        }
        if !is_password_prompt(&String::from_utf8_lossy(&said)) {
            continue;
        }
        if answered {
            // Asked again: the first was refused.
            return Err(ViaSuError::Refused {
                user: user.to_string(),
                said: String::new(),
            });
        }
        if !ask_password {
            return Err(ViaSuError::NoPassword {
                user: user.to_string(),
            });
        }
        answered = true;
        said.clear();
        let mut password = read_password_line()?;
        password.push(b'\n');
        let typed = master.write_all(&password).and_then(|()| master.flush());
        password.fill(0);
        typed.map_err(ViaSuError::PasswordWrite)?;
        tracing::debug!(user, "su's password prompt answered");
    }
    Ok(String::from_utf8_lossy(&said).into_owned())
}

/// Whether su's terminal output ends in a password prompt (a known word, then a
/// colon, as Ansible's su plugin matches).
fn is_password_prompt(output: &str) -> bool {
    let output = output.trim_end().to_lowercase();
    let Some(before_colon) = output
        .strip_suffix(':')
        .or_else(|| output.strip_suffix('：'))
    else {
        return false;
    };
    let before_colon = before_colon.trim_end();
    PROMPT_WORDS
        .iter()
        .any(|word| before_colon.ends_with(word) || before_colon.contains(&format!("{word} ")))
}

/// Ask the controller (the become prompt on stderr) and read its answer from stdin,
/// one byte at a time so nothing after the line is taken from the protocol.
fn read_password_line() -> Result<Vec<u8>, ViaSuError> {
    let mut stderr = io::stderr();
    stderr
        .write_all(BECOME_PROMPT.as_bytes())
        .and_then(|()| stderr.flush())
        .map_err(ViaSuError::PasswordRead)?;
    let mut line = Vec::new();
    let mut byte = [0u8; 1];
    loop {
        match rustix::io::read(rustix::stdio::stdin(), &mut byte) {
            Ok(0) => {
                return Err(ViaSuError::PasswordRead(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "its stream ended",
                )))
            }
            Ok(_) if byte[0] == b'\n' => return Ok(line),
            Ok(_) => line.push(byte[0]),
            Err(rustix::io::Errno::INTR) => {}
            Err(err) => return Err(ViaSuError::PasswordRead(err.into())),
        }
    }
}

/// This executable's bytes in a memfd sealed against any change, reopened read-only
/// (an executable open for writing cannot be run).
fn sealed_executable() -> io::Result<OwnedFd> {
    use rustix::fs::{fcntl_add_seals, memfd_create, MemfdFlags, SealFlags};
    let flags = MemfdFlags::CLOEXEC | MemfdFlags::ALLOW_SEALING;
    // MFD_EXEC says it is to be run (kernels that restrict memfd execution);
    // older kernels do not know the flag.
    let memfd = match memfd_create("machinist-agent", flags | MemfdFlags::EXEC) {
        Err(rustix::io::Errno::INVAL) => memfd_create("machinist-agent", flags)?,
        made => made?,
    };
    let mut copy = File::from(memfd);
    io::copy(&mut File::open("/proc/self/exe")?, &mut copy)?;
    fcntl_add_seals(
        &copy,
        SealFlags::SEAL | SealFlags::SHRINK | SealFlags::GROW | SealFlags::WRITE,
    )?;
    let read_only = File::open(format!("/proc/self/fd/{}", copy.as_raw_fd()))?;
    Ok(read_only.into())
}

/// A pty: its master (the launcher's) and its slave (su's terminal), echo off so a
/// typed password is never said back.
fn open_pty() -> io::Result<(OwnedFd, OwnedFd)> {
    use rustix::pty::{grantpt, openpt, ptsname, unlockpt, OpenptFlags};
    let master = openpt(OpenptFlags::RDWR | OpenptFlags::NOCTTY | OpenptFlags::CLOEXEC)?;
    grantpt(&master)?;
    unlockpt(&master)?;
    let name = ptsname(&master, Vec::new())?;
    let slave: OwnedFd = File::options()
        .read(true)
        .write(true)
        .custom_flags(libc::O_NOCTTY)
        .open(std::ffi::OsStr::from_bytes(name.as_bytes()))?
        .into();
    let mut termios = rustix::termios::tcgetattr(&slave)?;
    termios
        .local_modes
        .remove(rustix::termios::LocalModes::ECHO | rustix::termios::LocalModes::ECHONL);
    rustix::termios::tcsetattr(&slave, rustix::termios::OptionalActions::Now, &termios)?;
    Ok((master, slave))
}

/// `su USER -c CMD` on the pty, in its own session with the pty as its controlling
/// terminal, with descriptors 3 to 6 set (see the header).
fn su_command(user: &str, slave: OwnedFd, executable: &OwnedFd) -> Result<Command, ViaSuError> {
    use std::os::fd::{AsFd, BorrowedFd};
    // Above 6, so setting 3 to 6 in the child overwrites none of them.
    let spare = |fd: BorrowedFd| rustix::io::fcntl_dupfd_cloexec(fd, 10).map_err(io::Error::from);
    let handed = (|| -> io::Result<[OwnedFd; 4]> {
        Ok([
            spare(rustix::stdio::stdin())?,
            spare(rustix::stdio::stdout())?,
            spare(rustix::stdio::stderr())?,
            spare(executable.as_fd())?,
        ])
    })()
    .map_err(ViaSuError::Spawn)?;
    let stdio = |fd: &OwnedFd| fd.try_clone().map(Stdio::from).map_err(ViaSuError::Pty);
    let (stdin, stdout, stderr) = (stdio(&slave)?, stdio(&slave)?, stdio(&slave)?);
    drop(slave);
    let mut command = Command::new("su");
    command
        .arg(user)
        .arg("-c")
        .arg(agent_command_line())
        .env("LC_ALL", "C")
        .stdin(stdin)
        .stdout(stdout)
        .stderr(stderr);
    let targets = [PROTOCOL_IN, PROTOCOL_OUT, DIAGNOSTICS, EXECUTABLE];
    // SAFETY: only async-signal-safe calls (setsid, ioctl, dup2) between fork and
    // exec; `handed` is moved in and nothing is allocated.
    unsafe {
        command.pre_exec(move || {
            if libc::setsid() < 0 || libc::ioctl(0, libc::TIOCSCTTY, 0) < 0 {
                return Err(io::Error::last_os_error());
            }
            for (from, to) in handed.iter().zip(targets) {
                // dup2 leaves the copy open across exec.
                if libc::dup2(from.as_raw_fd(), to) < 0 {
                    return Err(io::Error::last_os_error());
                }
            }
            Ok(())
        });
    }
    Ok(command)
}

/// The command su runs as the become user: the agent from descriptor 6, on
/// descriptors 3 to 5, with the LC_ALL the launcher had (su's is C), through
/// /bin/sh whatever the user's shell is.
fn agent_command_line() -> String {
    let locale = match std::env::var("LC_ALL") {
        Ok(value) => format!("LC_ALL={}; export LC_ALL; ", shell_quote(&value)),
        Err(_) => "unset LC_ALL; ".to_string(),
    };
    let script = format!(
        "{locale}exec /proc/self/fd/{EXECUTABLE} agent 0<&{PROTOCOL_IN} 1>&{PROTOCOL_OUT} \
         2>&{DIAGNOSTICS} {PROTOCOL_IN}<&- {PROTOCOL_OUT}<&- {DIAGNOSTICS}<&-"
    );
    format!("/bin/sh -c {}", shell_quote(&script))
}

/// A word for a shell, in single quotes.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r#"'\''"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn su_prompts_are_recognized_and_other_output_is_not() {
        assert!(is_password_prompt("Password: "));
        assert!(is_password_prompt("Passwort:"));
        assert!(is_password_prompt("Mot de passe : "));
        assert!(is_password_prompt("密码："));
        assert!(!is_password_prompt("su: Authentication failure\r\n"));
        assert!(!is_password_prompt("Password changed\n"));
        assert!(!is_password_prompt(""));
    }

    #[test]
    fn the_agent_command_line_takes_the_protocol_from_the_handed_descriptors() {
        let line = agent_command_line();
        assert!(line.starts_with("/bin/sh -c '"), "{line}");
        assert!(
            line.contains("exec /proc/self/fd/6 agent 0<&3 1>&4 2>&5"),
            "{line}"
        );
    }
}
