//! Confinement by construction for the controller's tools that are handed a root
//! (`systemctl --root`, `systemd-firstboot --root`, `pacstrap`, `pacman --dbpath`):
//! every [`Place::Controller`](crate::Place::Controller) run on a root other than `/`.
//!
//! Such a tool resolves the root's symlinks the kernel's way, where `/` and `..` lead
//! to whatever its own `/` is. Checking the root's paths first and calling the tool
//! later loses to a process in the root that swaps a folder for a link in between.
//! So the tool's `/` holds nothing worth reaching: it runs in a private mount
//! namespace, chrooted into a fresh tmpfs holding only read-only binds of the
//! controller's `/usr` (the `/bin`, `/lib*` links or binds beside it), the loader
//! cache, a few device nodes, the controller paths its [`RunSpec`] names, and the root
//! itself, bound at [`TOOL_ROOT`]. No host `/etc`, no `/home`, no `/run`, and a `/proc`
//! of the tool's own PID namespace ([`PID_NAMESPACE`]), where `/proc/self/root` and
//! `/proc/1/root` lead back into the jail. Whatever link the root holds, at whatever
//! moment, leads at worst to a read-only copy of `/usr` or into the jail's own
//! read-only tmpfs, which dies with the tool.
//!
//! The jail is set up in the child between fork and exec (`pre_exec`) with plain
//! system calls on paths prepared beforehand: nothing is allocated there.

use crate::{ModuleError, RunSpec};
use rustix::mount::{MountFlags, MountPropagationFlags};
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// Where a jailed tool sees the root (`systemctl --root=/machinist-root`).
pub const TOOL_ROOT: &str = "/machinist-root";

/// What every jailed tool runs under, inside the jail: its own PID namespace whose
/// `/proc` shows only its own processes (systemd's tools reopen files through
/// `/proc/self/fd`; `/proc/1/root` is then the tool's own jail), killed whole when
/// machinist dies however it dies.
pub(super) const PID_NAMESPACE: &[&str] = &[
    "setpriv",
    "--pdeathsig",
    "KILL",
    "--",
    "unshare",
    "--pid",
    "--fork",
    "--kill-child",
    "--mount-proc",
    "--",
];

/// The PATH of every program machinist runs on a root: the target's usual one.
pub const TARGET_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The controller's top-level entries a tool may need, replicated in the jail: a
/// symlink as the same symlink (`/bin -> usr/bin`), a folder as a read-only bind.
const SYSTEM_DIRS: &[&str] = &["usr", "bin", "sbin", "lib", "lib32", "lib64", "libx32"];
/// Single files bound read-only at the same path, when the controller has them.
const SYSTEM_FILES: &[&str] = &[
    "etc/ld.so.cache",
    "dev/null",
    "dev/zero",
    "dev/full",
    "dev/random",
    "dev/urandom",
];
/// Empty folders of the jail's tmpfs, made before anything is bound.
const JAIL_DIRS: &[&str] = &["etc", "dev", "proc", "tmp", "run", "var", "var/tmp"];

/// A controller path a jailed tool needs besides the root (pacstrap's pacman.conf and
/// package cache), bound at the same path inside the jail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ControllerPath {
    pub path: PathBuf,
    /// Bound read-write (a cache the tool fills); read-only otherwise.
    pub writable: bool,
}

impl ControllerPath {
    pub fn read_only(path: impl Into<PathBuf>) -> ControllerPath {
        ControllerPath {
            path: path.into(),
            writable: false,
        }
    }

    pub fn writable(path: impl Into<PathBuf>) -> ControllerPath {
        ControllerPath {
            path: path.into(),
            writable: true,
        }
    }
}

/// One step of setting up the jail, all paths absolute on the controller.
#[derive(Debug)]
enum Step {
    Mkdir(CString),
    /// A mount point for a single file.
    Touch(CString),
    Symlink {
        target: CString,
        path: CString,
    },
    Bind {
        source: CString,
        target: CString,
        writable: bool,
    },
}

/// Everything the child needs, prepared before the fork.
struct Plan {
    top: CString,
    /// The jail's /tmp, on the controller.
    tmp: CString,
    steps: Vec<Step>,
    chdir: CString,
    user: Option<UserMaps>,
}

/// An unprivileged machinist (a `--check` run as a plain user) gets the namespaces
/// it needs inside a user namespace of its own, where it is root mapped to itself.
struct UserMaps {
    uid_map: Vec<u8>,
    gid_map: Vec<u8>,
}

impl UserMaps {
    fn for_unprivileged() -> Option<UserMaps> {
        let (uid, gid) = super::effective_ids();
        (uid != 0).then(|| UserMaps {
            uid_map: format!("0 {uid} 1\n").into_bytes(),
            gid_map: format!("0 {gid} 1\n").into_bytes(),
        })
    }
}

/// The jail of one run: its folder on the controller (empty there: the tmpfs is
/// mounted over it in the tool's namespace only), removed when dropped.
pub(super) struct Jail {
    dir: PathBuf,
}

impl Drop for Jail {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir(&self.dir);
    }
}

impl Jail {
    /// Prepare `command` (a program of `spec`, still unresolved) to run jailed with
    /// `root` at [`TOOL_ROOT`]; keep the returned Jail until the program has ended.
    pub(super) fn confine(
        command: &mut Command,
        root: &Path,
        spec: &RunSpec,
    ) -> Result<Jail, ModuleError> {
        let root = std::path::absolute(root).map_err(|err| ModuleError::io(root, err))?;
        remove_stale_jails(&std::env::temp_dir());
        let dir = super::plugin::private_dir(&std::env::temp_dir(), JAIL_PREFIX)?;
        let jail = Jail { dir };
        let steps = jail.steps(&root, spec)?;
        let top = c_path(&jail.dir)?;
        let chdir = c_path(spec.chdir.as_deref().unwrap_or(Path::new("/")))?;
        let plan = Arc::new(Plan {
            tmp: c_path(&jail.dir.join("tmp"))?,
            top,
            steps,
            chdir,
            user: UserMaps::for_unprivileged(),
        });
        // SAFETY: the closure runs between fork and exec and only makes system calls
        // on strings prepared above; it allocates nothing and takes no lock.
        unsafe {
            command.pre_exec(move || enter(&plan).map_err(std::io::Error::from));
        }
        Ok(jail)
    }

    fn steps(&self, root: &Path, spec: &RunSpec) -> Result<Vec<Step>, ModuleError> {
        let inside = |path: &Path| c_path(&self.dir.join(path.strip_prefix("/").unwrap_or(path)));
        let mut steps = Vec::new();
        for dir in JAIL_DIRS {
            steps.push(Step::Mkdir(inside(Path::new(dir))?));
        }
        for name in SYSTEM_DIRS {
            let host = Path::new("/").join(name);
            match std::fs::symlink_metadata(&host) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    let target =
                        std::fs::read_link(&host).map_err(|e| ModuleError::io(&host, e))?;
                    steps.push(Step::Symlink {
                        target: c_path(&target)?,
                        path: inside(&host)?,
                    });
                }
                Ok(meta) if meta.is_dir() => {
                    steps.push(Step::Mkdir(inside(&host)?));
                    steps.push(bind(&host, inside(&host)?, false)?);
                }
                _ => {}
            }
        }
        for name in SYSTEM_FILES {
            let host = Path::new("/").join(name);
            if std::fs::symlink_metadata(&host).is_ok() {
                steps.push(Step::Touch(inside(&host)?));
                steps.push(bind(&host, inside(&host)?, false)?);
            }
        }
        for extra in &spec.controller_paths {
            let meta =
                std::fs::metadata(&extra.path).map_err(|e| ModuleError::io(&extra.path, e))?;
            let target = inside(&extra.path)?;
            for parent in extra
                .path
                .ancestors()
                .skip(1)
                .collect::<Vec<_>>()
                .iter()
                .rev()
            {
                if parent.parent().is_some() {
                    steps.push(Step::Mkdir(inside(parent)?));
                }
            }
            steps.push(if meta.is_dir() {
                Step::Mkdir(target.clone())
            } else {
                Step::Touch(target.clone())
            });
            steps.push(bind(&extra.path, target, extra.writable)?);
        }
        let root_inside = inside(Path::new(TOOL_ROOT))?;
        steps.push(Step::Mkdir(root_inside.clone()));
        // A root not made yet (a bootstrap task comes first) is an empty folder.
        if std::fs::metadata(root).is_ok_and(|meta| meta.is_dir()) {
            steps.push(bind(root, root_inside, true)?);
        }
        Ok(steps)
    }
}

/// The name of a jail's folder starts so (then the pid of its machinist).
const JAIL_PREFIX: &str = ".machinist-jail";

/// The empty folders of jails whose machinist was killed before it could remove them.
fn remove_stale_jails(parent: &Path) {
    let Ok(entries) = std::fs::read_dir(parent) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(pid) = name
            .to_str()
            .and_then(|name| name.strip_prefix(JAIL_PREFIX)?.strip_prefix('-'))
            .and_then(|rest| rest.split('-').next()?.parse::<i32>().ok())
        else {
            continue;
        };
        let alive = rustix::process::Pid::from_raw(pid)
            .is_some_and(|pid| rustix::process::test_kill_process(pid).is_ok());
        if !alive {
            // Only an empty folder goes: rmdir refuses anything else.
            let _ = std::fs::remove_dir(entry.path());
        }
    }
}

fn bind(source: &Path, target: CString, writable: bool) -> Result<Step, ModuleError> {
    Ok(Step::Bind {
        source: c_path(source)?,
        target,
        writable,
    })
}

fn c_path(path: &Path) -> Result<CString, ModuleError> {
    CString::new(path.as_os_str().as_bytes())
        .map_err(|_| ModuleError::invalid("path", format!("{}: a NUL byte", path.display())))
}

/// In the child: private namespaces, the tmpfs over `top`, the steps, then chroot
/// into it. Any failure stops the exec (the tool never runs unconfined).
fn enter(plan: &Plan) -> rustix::io::Result<()> {
    use rustix::thread::UnshareFlags;
    // Its own hostname and IPC too: `/proc/sys/kernel/hostname` in the jail's /proc
    // is then the jail's.
    let mut flags = UnshareFlags::NEWNS | UnshareFlags::NEWUTS | UnshareFlags::NEWIPC;
    if plan.user.is_some() {
        flags |= UnshareFlags::NEWUSER;
    }
    // SAFETY: a fresh single-threaded child; no file table is shared.
    unsafe { rustix::thread::unshare_unsafe(flags)? };
    if let Some(maps) = &plan.user {
        write_file(c"/proc/self/setgroups", b"deny")?;
        write_file(c"/proc/self/uid_map", &maps.uid_map)?;
        write_file(c"/proc/self/gid_map", &maps.gid_map)?;
    }
    rustix::mount::mount_change(
        c"/",
        MountPropagationFlags::PRIVATE | MountPropagationFlags::REC,
    )?;
    rustix::mount::mount(
        c"tmpfs",
        plan.top.as_c_str(),
        c"tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV,
        c"mode=0755",
    )?;
    // A scratch /tmp of its own (pacstrap's temporary files), gone with the tool;
    // first, so what is bound below /tmp lands on it.
    rustix::fs::mkdir(plan.tmp.as_c_str(), 0o755.into())?;
    rustix::mount::mount(
        c"tmpfs",
        plan.tmp.as_c_str(),
        c"tmpfs",
        MountFlags::NOSUID | MountFlags::NODEV,
        c"mode=1777",
    )?;
    for step in &plan.steps {
        take(step)?;
    }
    // Nothing of the jail itself is writable but its scratch /tmp: a link of the root
    // into the jail's /etc or /usr fails the tool instead of writing into the void.
    rustix::mount::mount_remount(
        plan.top.as_c_str(),
        MountFlags::BIND | MountFlags::RDONLY | MountFlags::NOSUID | MountFlags::NODEV,
        c"",
    )?;
    rustix::process::chroot(plan.top.as_c_str())?;
    rustix::process::chdir(plan.chdir.as_c_str())
}

fn take(step: &Step) -> rustix::io::Result<()> {
    use rustix::fs::OFlags;
    match step {
        Step::Mkdir(path) => match rustix::fs::mkdir(path.as_c_str(), 0o755.into()) {
            Ok(()) | Err(rustix::io::Errno::EXIST) => Ok(()),
            Err(errno) => Err(errno),
        },
        Step::Touch(path) => rustix::fs::open(
            path.as_c_str(),
            OFlags::CREATE | OFlags::WRONLY | OFlags::CLOEXEC,
            0o644.into(),
        )
        .map(drop),
        Step::Symlink { target, path } => rustix::fs::symlink(target.as_c_str(), path.as_c_str()),
        Step::Bind {
            source,
            target,
            writable,
        } => {
            rustix::mount::mount_bind_recursive(source.as_c_str(), target.as_c_str())?;
            if *writable {
                return Ok(());
            }
            // A remount keeps the flags the mount already has (a user namespace may
            // not drop them), and adds read-only.
            let kept = rustix::fs::statvfs(target.as_c_str())?.f_flag;
            let flags =
                kept_flags(kept) | MountFlags::BIND | MountFlags::RDONLY | MountFlags::NOSUID;
            rustix::mount::mount_remount(target.as_c_str(), flags, c"")
        }
    }
}

/// The mount flags statvfs reports, as mount(2) takes them (most bits agree, not all).
fn kept_flags(reported: rustix::fs::StatVfsMountFlags) -> MountFlags {
    use rustix::fs::StatVfsMountFlags as St;
    const SAME: &[(St, MountFlags)] = &[
        (St::NOSUID, MountFlags::NOSUID),
        (St::NODEV, MountFlags::NODEV),
        (St::NOEXEC, MountFlags::NOEXEC),
        (St::SYNCHRONOUS, MountFlags::SYNCHRONOUS),
        (St::NOATIME, MountFlags::NOATIME),
        (St::NODIRATIME, MountFlags::NODIRATIME),
        (St::RELATIME, MountFlags::RELATIME),
    ];
    SAME.iter()
        .filter(|(reported_flag, _)| reported.contains(*reported_flag))
        .fold(MountFlags::empty(), |flags, (_, flag)| flags | *flag)
}

fn write_file(path: &CStr, bytes: &[u8]) -> rustix::io::Result<()> {
    let file = rustix::fs::open(
        path,
        rustix::fs::OFlags::WRONLY | rustix::fs::OFlags::CLOEXEC,
        0.into(),
    )?;
    rustix::io::write(&file, bytes).map(drop)
}

/// The environment of a program run on a root: [`TARGET_PATH`], the controller's
/// `LANG`, `LC_*` and `TERM`, then the run's own (the task's `environment:`).
/// Nothing else of the controller's passes; a task passes more on purpose with
/// `environment: {NAME: "{{ lookup('env', 'NAME') }}"}`.
pub fn clean_env(spec: &RunSpec) -> Vec<(String, String)> {
    let mut env = vec![("PATH".to_string(), TARGET_PATH.to_string())];
    for (name, value) in std::env::vars_os() {
        let (Some(name), Some(value)) = (name.to_str(), value.to_str()) else {
            continue;
        };
        if passes_through(name) {
            env.push((name.to_string(), value.to_string()));
        }
    }
    for (name, value) in &spec.env {
        env.retain(|(kept, _)| kept != name);
        env.push((name.clone(), value.clone()));
    }
    env
}

/// The environment of a jailed tool: [`clean_env`] without `TERM`. The tool is PID 1
/// of its namespace, and systemd's tools then colour their messages for any terminal
/// named; without one they write plain text.
pub fn tool_env(spec: &RunSpec) -> Vec<(String, String)> {
    let mut env = clean_env(spec);
    env.retain(|(name, _)| name != "TERM" || spec.env.iter().any(|(own, _)| own == "TERM"));
    env
}

/// Whether the controller's variable `name` reaches programs run on a root.
fn passes_through(name: &str) -> bool {
    name == "LANG" || name == "TERM" || name == "LANGUAGE" || name.starts_with("LC_")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jailed_tool_sees_the_root_and_usr_only() -> Result<(), Box<dyn std::error::Error>> {
        let root = tempfile::tempdir()?;
        std::fs::create_dir(root.path().join("etc"))?;
        std::fs::write(root.path().join("etc/hostname"), "inside\n")?;
        std::os::unix::fs::symlink("/proc/1/root/etc/shadow", root.path().join("etc/shadow"))?;
        let script = "cat /machinist-root/etc/hostname; ls / | tr '\\n' ' '; echo; \
                      ls /proc/1/root/ | tr '\\n' ' '; echo; \
                      cat /machinist-root/etc/shadow /etc/shadow /proc/self/root/etc/shadow \
                      2>/dev/null; echo \"PATH=$PATH\"; env | cut -d= -f1 | tr '\\n' ' '; echo; \
                      touch /usr/x /etc/x 2>/dev/null || echo read-only";
        let spec = RunSpec {
            argv: vec!["sh".into(), "-c".into(), script.into()],
            place: crate::Place::Controller,
            ..RunSpec::default()
        };
        let output = super::super::exec::run_tool_streaming(root.path(), &spec, &mut |_| {})?;
        let lines: Vec<&str> = output.stdout.lines().collect();
        assert_eq!(lines[0], "inside", "{output:?}");
        for top in [lines[1], lines[2]] {
            let mut names: Vec<&str> = top.split_whitespace().collect();
            names.sort_unstable();
            for absent in ["home", "root", "boot", "srv", "opt", "work"] {
                assert!(!names.contains(&absent), "{absent} in the jail: {names:?}");
            }
            assert!(
                names.contains(&"machinist-root") && names.contains(&"usr"),
                "{names:?}"
            );
        }
        assert_eq!(lines[3], format!("PATH={TARGET_PATH}"), "{output:?}");
        assert!(
            !output.stdout.contains("root:"),
            "a shadow was read: {output:?}"
        );
        for name in lines[4].split_whitespace() {
            assert!(
                name == "PATH" || name == "PWD" || (passes_through(name) && name != "TERM"),
                "{name} reached the tool"
            );
        }
        assert_eq!(lines.last().copied(), Some("read-only"), "{output:?}");
        Ok(())
    }

    #[test]
    fn jails_of_dead_runs_are_removed() -> Result<(), Box<dyn std::error::Error>> {
        let tmp = tempfile::tempdir()?;
        let dead = tmp.path().join(format!("{JAIL_PREFIX}-2147483000-1"));
        let live = tmp
            .path()
            .join(format!("{JAIL_PREFIX}-{}-1", std::process::id()));
        let other = tmp.path().join(format!("{JAIL_PREFIX}-x"));
        for dir in [&dead, &live, &other] {
            std::fs::create_dir(dir)?;
        }
        remove_stale_jails(tmp.path());
        assert!(!dead.exists() && live.exists() && other.exists());
        Ok(())
    }

    #[test]
    fn clean_env_keeps_locale_term_and_the_tasks_own() {
        let spec = RunSpec {
            env: vec![("PATH".into(), "/opt/bin".into()), ("X".into(), "1".into())],
            ..RunSpec::default()
        };
        let env = clean_env(&spec);
        assert!(env.contains(&("PATH".into(), "/opt/bin".into())));
        assert!(env.contains(&("X".into(), "1".into())));
        assert!(env
            .iter()
            .all(|(name, _)| name == "PATH" || name == "X" || passes_through(name)));
    }
}
