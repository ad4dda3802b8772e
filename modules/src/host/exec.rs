//! Running a program in the target: directly on `/`, or inside another root through
//! systemd-nspawn (an OS tree) or chroot (anything else). The choice is a public enum so
//! the runner can say which one it used.

use super::jail::{clean_env, tool_env, Jail, TARGET_PATH};
use crate::{ModuleError, OpOutput, RunSpec};
use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// How programs are run in the target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exec {
    /// On this machine, as a child process (the root is `/`).
    Direct,
    /// `systemd-nspawn -q -D ROOT --register=no --keep-unit --pipe --timezone=off
    /// --resolv-conf=off --link-journal=no`: a container of the root, with its own
    /// /proc, /dev and /run, that leaves the root's files alone.
    Nspawn,
    /// `chroot ROOT`: for roots that are not an OS tree (no os-release).
    Chroot,
}

impl Exec {
    /// The way to run programs in `root`: directly on `/`; systemd-nspawn when it is
    /// installed and the root looks like an OS tree (ROOT/usr and an os-release);
    /// chroot otherwise.
    pub fn auto(root: &Path) -> Exec {
        if is_host_root(root) {
            Exec::Direct
        } else if find_program("systemd-nspawn").is_some() && looks_like_os_tree(root) {
            Exec::Nspawn
        } else {
            Exec::Chroot
        }
    }

    /// A word for reports (`direct`, `nspawn`, `chroot`).
    pub fn name(self) -> &'static str {
        match self {
            Exec::Direct => "direct",
            Exec::Nspawn => "nspawn",
            Exec::Chroot => "chroot",
        }
    }
}

pub(super) fn is_host_root(root: &Path) -> bool {
    root == Path::new("/") || std::fs::canonicalize(root).is_ok_and(|real| real == Path::new("/"))
}

/// The root has /usr and an os-release (checked with lstat: a link is enough, and no
/// link of the root is followed onto the host).
fn looks_like_os_tree(root: &Path) -> bool {
    let present = |relative: &str| std::fs::symlink_metadata(root.join(relative)).is_ok();
    present("usr") && (present("etc/os-release") || present("usr/lib/os-release"))
}

fn find_program(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| candidate.is_file())
}

/// The command line that runs `spec` in `root` the given way. On the machine's own `/`
/// the program inherits machinist's environment (as Ansible's local connection does),
/// plus the run's; in another root it gets [`clean_env`] only.
pub fn command(exec: Exec, root: &Path, spec: &RunSpec) -> Result<Command, ModuleError> {
    command_binding(exec, root, spec, None)
}

/// [`command`], with `bind_ro = (controller path, path inside)` bound read-only into
/// an nspawn container (how a plugin reaches it; chroot and direct runs see the
/// root's own files, so the caller puts what they need there instead).
pub(crate) fn command_binding(
    exec: Exec,
    root: &Path,
    spec: &RunSpec,
    bind_ro: Option<(&Path, &Path)>,
) -> Result<Command, ModuleError> {
    let (program, args) = spec
        .argv
        .split_first()
        .ok_or_else(|| ModuleError::invalid("argv", "no program to run"))?;
    // A conversation's program gets a session of its own with its pty as controlling
    // terminal (host/pty.rs): util-linux's setsid, on the controller, around it all.
    let new_command = |program: &std::ffi::OsStr| {
        if spec.conversation.is_none() {
            return Command::new(program);
        }
        let mut command = Command::new(super::pty::SESSION[0]);
        command.args(&super::pty::SESSION[1..]).arg(program);
        command
    };
    let mut command;
    match exec {
        Exec::Direct => {
            command = new_command(program.as_ref());
            command
                .args(args)
                .envs(spec.env.iter().map(|(key, value)| (key, value)));
            if let Some(dir) = &spec.chdir {
                command.current_dir(dir);
            }
        }
        Exec::Nspawn => {
            command = new_command("systemd-nspawn".as_ref());
            command.args(["-q", "-D"]).arg(root);
            command.args(["--register=no", "--keep-unit", "--pipe"]);
            // nspawn's defaults (auto) would rewrite the root's /etc/localtime and
            // /etc/resolv.conf, and link its journal, on every run of a task's program.
            command.args(["--timezone=off", "--resolv-conf=off", "--link-journal=no"]);
            if let Some((outside, inside)) = bind_ro {
                let mut bind = std::ffi::OsString::from("--bind-ro=");
                bind.push(outside);
                bind.push(":");
                bind.push(inside);
                command.arg(bind);
            }
            if let Some(dir) = &spec.chdir {
                command.arg(format!("--chdir={}", dir.display()));
            }
            // nspawn builds the container's environment itself; its own is clean too.
            command.env_clear().env("PATH", TARGET_PATH);
            for (key, value) in clean_env(spec) {
                command.arg(format!("--setenv={key}={value}"));
            }
            command.arg("--").arg(program).args(args);
        }
        Exec::Chroot => {
            command = new_command("chroot".as_ref());
            command.arg(root);
            if let Some(dir) = &spec.chdir {
                command.args(["/bin/sh", "-c", r#"cd "$1" && shift && exec "$@""#, "sh"]);
                command.arg(dir);
            }
            command.arg(program).args(args);
            command.env_clear().envs(clean_env(spec));
        }
    }
    Ok(command)
}

/// Run `spec` and collect its exit code and output (decoded as lossy UTF-8). A program
/// killed by a signal reports `rc = -signal`, as Ansible does.
#[cfg(test)]
pub fn run(exec: Exec, root: &Path, spec: &RunSpec) -> Result<OpOutput, ModuleError> {
    run_streaming(exec, root, spec, &mut |_| {})
}

/// [`run`], handing each line of standard output (without its newline) to `on_line`
/// while the program runs.
pub fn run_streaming(
    exec: Exec,
    root: &Path,
    spec: &RunSpec,
    on_line: &mut dyn FnMut(&str),
) -> Result<OpOutput, ModuleError> {
    run_command(command(exec, root, spec)?, spec, on_line)
}

/// Run `spec`, a tool of the controller handed `root` ([`Place::Controller`]): on the
/// machine's own `/` as a plain child; on any other root jailed (see `jail`), where it
/// finds the root at [`super::jail::TOOL_ROOT`].
///
/// [`Place::Controller`]: crate::Place::Controller
pub(super) fn run_tool_streaming(
    root: &Path,
    spec: &RunSpec,
    on_line: &mut dyn FnMut(&str),
) -> Result<OpOutput, ModuleError> {
    if is_host_root(root) {
        return run_streaming(Exec::Direct, root, spec, on_line);
    }
    let (program, args) = spec
        .argv
        .split_first()
        .ok_or_else(|| ModuleError::invalid("argv", "no program to run"))?;
    let mut command = Command::new(super::jail::PID_NAMESPACE[0]);
    command
        .args(&super::jail::PID_NAMESPACE[1..])
        .arg(program)
        .args(args)
        .env_clear()
        .envs(tool_env(spec));
    let _jail = Jail::confine(&mut command, root, spec)?;
    // The program only: its arguments may hold secrets (a password hash).
    tracing::debug!(program = %program, root = %root.display(), "running a tool jailed");
    run_command(command, spec, on_line).map_err(|err| match err {
        ModuleError::Io { source, .. } => ModuleError::Failed(format!(
            "{program}: could not run jailed on {} ({source}); the jail needs mount \
             namespaces: run machinist as root, or allow unprivileged user namespaces",
            root.display()
        )),
        other => other,
    })
}

fn run_command(
    mut command: Command,
    spec: &RunSpec,
    on_line: &mut dyn FnMut(&str),
) -> Result<OpOutput, ModuleError> {
    let program = command.get_program().to_os_string();
    let failed = |source| ModuleError::io(PathBuf::from(&program), source);
    // A process group of its own: a stop (a signal, a task's timeout, an async job's
    // limit) reaches everything the program started (interrupt.rs).
    command
        .process_group(0)
        .stdin(if spec.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = command.spawn().map_err(failed)?;
    // SIGINT/SIGTERM reach the program too, so a long run stops when machinist does.
    let _forwarded = crate::interrupt::track(child.id());
    let feeding = child.stdin.take().zip(spec.stdin.as_deref());
    let stdout_pipe = child.stdout.take();
    let stderr_pipe = child.stderr.take();
    let (stdout, stderr) = std::thread::scope(|scope| {
        if let Some((mut pipe, bytes)) = feeding {
            // A program that stops reading early closes the pipe: not our error.
            scope.spawn(move || pipe.write_all(bytes));
        }
        let stderr = scope.spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut pipe) = stderr_pipe {
                pipe.read_to_end(&mut bytes)?;
            }
            Ok::<_, std::io::Error>(bytes)
        });
        let stdout = read_lines(stdout_pipe, on_line);
        let stderr = stderr
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("stderr reader panicked")));
        (stdout, stderr)
    });
    let status = child.wait().map_err(failed)?;
    let (stdout, stderr) = (stdout.map_err(failed)?, stderr.map_err(failed)?);
    let rc = status
        .code()
        .or_else(|| status.signal().map(|signal| -signal));
    Ok(OpOutput {
        rc,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr: String::from_utf8_lossy(&stderr).into_owned(),
    })
}

/// Everything a pipe gives until it closes, each line shown to `on_line` on the way.
fn read_lines(
    pipe: Option<std::process::ChildStdout>,
    on_line: &mut dyn FnMut(&str),
) -> std::io::Result<Vec<u8>> {
    let mut all = Vec::new();
    let Some(pipe) = pipe else {
        return Ok(all);
    };
    let mut reader = BufReader::new(pipe);
    loop {
        let start = all.len();
        if reader.read_until(b'\n', &mut all)? == 0 {
            return Ok(all);
        }
        let line = String::from_utf8_lossy(&all[start..]);
        on_line(line.trim_end_matches(['\n', '\r']));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(argv: &[&str]) -> RunSpec {
        RunSpec {
            argv: argv.iter().map(|word| word.to_string()).collect(),
            ..RunSpec::default()
        }
    }

    fn words(command: &Command) -> Vec<String> {
        std::iter::once(command.get_program())
            .chain(command.get_args())
            .map(|word| word.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn the_host_root_runs_directly() {
        assert_eq!(Exec::auto(Path::new("/")), Exec::Direct);
    }

    #[test]
    fn a_bare_root_uses_chroot() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        assert_eq!(Exec::auto(root.path()), Exec::Chroot);
        Ok(())
    }

    #[test]
    fn an_os_tree_uses_nspawn_when_installed() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        std::fs::create_dir_all(root.path().join("usr/lib"))?;
        std::fs::write(root.path().join("usr/lib/os-release"), "ID=arch\n")?;
        let expected = if find_program("systemd-nspawn").is_some() {
            Exec::Nspawn
        } else {
            Exec::Chroot
        };
        assert_eq!(Exec::auto(root.path()), expected);
        Ok(())
    }

    #[test]
    fn nspawn_command_line() -> Result<(), ModuleError> {
        let mut run = spec(&["echo", "hi"]);
        run.chdir = Some("/etc".into());
        run.env = vec![("A".into(), "b c".into())];
        let command = command(Exec::Nspawn, Path::new("/m"), &run)?;
        let words = words(&command);
        assert_eq!(
            words[..11],
            [
                "systemd-nspawn",
                "-q",
                "-D",
                "/m",
                "--register=no",
                "--keep-unit",
                "--pipe",
                "--timezone=off",
                "--resolv-conf=off",
                "--link-journal=no",
                "--chdir=/etc",
            ]
        );
        // The environment: the target's PATH, the controller's locale and terminal
        // (whatever this test runs with), the run's own; then the program.
        let setenv: Vec<&str> = words[11..words.len() - 3]
            .iter()
            .map(|word| word.strip_prefix("--setenv=").unwrap_or("NOT --setenv"))
            .collect();
        assert_eq!(setenv[0], format!("PATH={TARGET_PATH}"));
        assert_eq!(setenv[setenv.len() - 1], "A=b c");
        assert!(setenv.iter().all(|pair| pair.starts_with("PATH=")
            || pair.starts_with("A=")
            || pair.starts_with("LANG")
            || pair.starts_with("LC_")
            || pair.starts_with("TERM=")));
        assert_eq!(words[words.len() - 3..], ["--", "echo", "hi"]);
        let inherited: Vec<_> = command
            .get_envs()
            .map(|(name, _)| name.to_owned())
            .collect();
        assert_eq!(
            inherited,
            ["PATH"],
            "nspawn itself gets a clean environment"
        );
        Ok(())
    }

    #[test]
    fn chroot_command_line_changes_directory_through_sh() -> Result<(), ModuleError> {
        let mut run = spec(&["pwd"]);
        run.chdir = Some("/etc".into());
        let command = command(Exec::Chroot, Path::new("/m"), &run)?;
        assert_eq!(
            words(&command),
            [
                "chroot",
                "/m",
                "/bin/sh",
                "-c",
                r#"cd "$1" && shift && exec "$@""#,
                "sh",
                "/etc",
                "pwd"
            ]
        );
        Ok(())
    }

    #[test]
    fn empty_argv_is_refused() {
        assert!(command(Exec::Direct, Path::new("/"), &RunSpec::default()).is_err());
    }

    #[test]
    fn output_lines_are_streamed_and_kept() -> Result<(), ModuleError> {
        let mut seen = Vec::new();
        let output = run_streaming(
            Exec::Direct,
            Path::new("/"),
            &spec(&["sh", "-c", "printf 'a\\nb\\n'; echo err >&2; printf c"]),
            &mut |line| seen.push(line.to_string()),
        )?;
        assert_eq!(seen, ["a", "b", "c"]);
        assert_eq!(output.stdout, "a\nb\nc");
        assert_eq!(output.stderr, "err\n");
        assert_eq!(output.rc, Some(0));
        Ok(())
    }

    #[test]
    fn signals_become_negative_rc() -> Result<(), ModuleError> {
        let output = run(
            Exec::Direct,
            Path::new("/"),
            &spec(&["sh", "-c", "kill -9 $$"]),
        )?;
        assert_eq!(output.rc, Some(-9));
        Ok(())
    }
}
