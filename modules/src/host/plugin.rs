//! Running a plugin module inside the target, the way `command` runs programs (the
//! same [`Exec`]): directly on `/`; through chroot, with the plugin copied into a
//! private folder of the root's /tmp for the run; through systemd-nspawn, with a
//! private folder of the controller bound read-only at /run/machinist-plugin (nspawn
//! mounts a fresh /tmp, which would hide a copy in the root's). The folder also holds
//! the arguments file of Ansible's WANT_JSON contract, and is removed afterwards.
//!
//! A plugin's interpreter (`#!/bin/sh`) and libraries must exist in the target, as a
//! program run by `command` must: compiled plugins are best linked statically.

use super::bounded::{self, Bounded, Limits};
use super::exec::{self, Exec};
use crate::{ModuleError, RunSpec};
use std::fs::DirBuilder;
use std::io::ErrorKind;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

/// Where an nspawn container sees the plugin's folder.
pub const NSPAWN_PLUGIN_DIR: &str = "/run/machinist-plugin";

/// The name of a plugin's private folder starts so.
const PLUGIN_DIR_PREFIX: &str = ".machinist-plugin";

/// One call of a plugin.
#[derive(Debug, Clone)]
pub struct PluginCall<'a> {
    /// The executable, on the controller.
    pub program: &'a Path,
    /// The request (JSON text).
    pub request: &'a [u8],
    /// Ansible's WANT_JSON contract: the request is written to a file whose path (as
    /// the plugin sees it) is the plugin's only argument, and stdin is empty.
    /// Otherwise the request is the plugin's stdin.
    pub args_file: bool,
    pub limits: Limits,
}

/// What a plugin printed and how it ended, and how it was run.
#[derive(Debug, Clone)]
pub struct PluginRun {
    pub output: Bounded,
    pub exec: Exec,
}

/// A private folder for one run: `dir` on the controller, `inside` as the plugin
/// sees it. Removed when dropped.
struct Stage {
    dir: PathBuf,
    inside: PathBuf,
}

impl Drop for Stage {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

pub(super) fn run(exec: Exec, root: &Path, call: &PluginCall) -> Result<PluginRun, ModuleError> {
    let io = |path: &Path| {
        let path = path.to_path_buf();
        move |err| ModuleError::io(path, err)
    };
    let stage = match exec {
        Exec::Direct if !call.args_file => None,
        Exec::Direct => {
            let dir = private_dir(&std::env::temp_dir(), PLUGIN_DIR_PREFIX)?;
            Some(Stage {
                inside: dir.clone(),
                dir,
            })
        }
        Exec::Chroot => {
            let tmp = root.join("tmp");
            let real_tmp = std::fs::symlink_metadata(&tmp).is_ok_and(|meta| meta.is_dir());
            let dir = private_dir(if real_tmp { &tmp } else { root }, PLUGIN_DIR_PREFIX)?;
            let inside = Path::new("/").join(dir.strip_prefix(root).unwrap_or(&dir));
            Some(Stage { dir, inside })
        }
        Exec::Nspawn => Some(Stage {
            dir: private_dir(&std::env::temp_dir(), PLUGIN_DIR_PREFIX)?,
            inside: PathBuf::from(NSPAWN_PLUGIN_DIR),
        }),
    };
    let mut argv = vec![call.program.to_path_buf()];
    if let Some(stage) = &stage {
        if exec != Exec::Direct {
            let name = call.program.file_name().unwrap_or("plugin".as_ref());
            let copy = stage.dir.join(name);
            std::fs::copy(call.program, &copy).map_err(io(call.program))?;
            std::fs::set_permissions(&copy, std::fs::Permissions::from_mode(0o700))
                .map_err(io(&copy))?;
            argv[0] = stage.inside.join(name);
        }
        if call.args_file {
            let file = stage.dir.join("args");
            write_private(&file, call.request).map_err(io(&file))?;
            argv.push(stage.inside.join("args"));
        }
    }
    let spec = RunSpec {
        argv: argv.iter().map(|p| p.display().to_string()).collect(),
        // chroot and nspawn start in the root's `/`; so does a direct run.
        chdir: (exec == Exec::Direct).then(|| PathBuf::from("/")),
        ..RunSpec::default()
    };
    let bind = match (&stage, exec) {
        (Some(stage), Exec::Nspawn) => Some((stage.dir.as_path(), stage.inside.as_path())),
        _ => None,
    };
    let command = exec::command_binding(exec, root, &spec, bind)?;
    let stdin = if call.args_file {
        Vec::new()
    } else {
        call.request.to_vec()
    };
    let output = bounded::run(command, stdin, &call.limits).map_err(io(call.program))?;
    drop(stage);
    Ok(PluginRun { output, exec })
}

/// A new folder only we may enter, in `parent`.
pub(super) fn private_dir(parent: &Path, prefix: &str) -> Result<PathBuf, ModuleError> {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    for _ in 0..1000 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = parent.join(format!("{prefix}-{}-{n}", std::process::id()));
        match DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => return Ok(dir),
            Err(err) if err.kind() == ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(ModuleError::io(dir, err)),
        }
    }
    Err(ModuleError::io(
        parent,
        std::io::Error::new(
            ErrorKind::AlreadyExists,
            "no free name for a private folder",
        ),
    ))
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::host::bounded::Ended;

    const LIMITS: Limits = Limits {
        timeout: None,
        max_stdout: 1 << 20,
        max_stderr: 1 << 20,
    };

    fn script(dir: &Path, text: &str) -> std::io::Result<PathBuf> {
        let path = dir.join("probe");
        std::fs::write(&path, text)?;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755))?;
        Ok(path)
    }

    #[test]
    fn direct_runs_get_the_request_on_stdin() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let program = script(dir.path(), "#!/bin/sh\npwd\ncat\n")?;
        let call = PluginCall {
            program: &program,
            request: b"{\"a\":1}",
            args_file: false,
            limits: LIMITS,
        };
        let run = run(Exec::Direct, Path::new("/"), &call)?;
        assert_eq!(run.output.ended, Ended::Exited(0));
        assert_eq!(run.output.stdout, b"/\n{\"a\":1}");
        Ok(())
    }

    #[test]
    fn want_json_gets_a_private_args_file_removed_afterwards(
    ) -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let program = script(
            dir.path(),
            "#!/bin/sh\necho \"$1\"\nls -l \"$1\"\ncat \"$1\"\n",
        )?;
        let call = PluginCall {
            program: &program,
            request: b"{\"a\":1}",
            args_file: true,
            limits: LIMITS,
        };
        let run = run(Exec::Direct, Path::new("/"), &call)?;
        let text = String::from_utf8(run.output.stdout)?;
        let path = text.lines().next().unwrap_or_default();
        assert!(text.contains("-rw-------"), "{text}");
        assert!(text.ends_with("{\"a\":1}"), "{text}");
        assert!(!Path::new(path).exists(), "{path} was left behind");
        Ok(())
    }

    #[test]
    fn nspawn_binds_the_private_folder_read_only() -> Result<(), ModuleError> {
        let spec = RunSpec {
            argv: vec!["/run/machinist-plugin/probe".into()],
            ..RunSpec::default()
        };
        let command = exec::command_binding(
            Exec::Nspawn,
            Path::new("/m"),
            &spec,
            Some((Path::new("/tmp/x"), Path::new(NSPAWN_PLUGIN_DIR))),
        )?;
        let words: Vec<String> = command
            .get_args()
            .map(|w| w.to_string_lossy().into_owned())
            .collect();
        assert!(words.contains(&"--bind-ro=/tmp/x:/run/machinist-plugin".to_string()));
        let bind = words.iter().position(|w| w.starts_with("--bind-ro"));
        let separator = words.iter().position(|w| w == "--");
        assert!(bind < separator, "{words:?}");
        Ok(())
    }
}
