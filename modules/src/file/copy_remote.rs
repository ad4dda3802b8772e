//! copy with `remote_src: true` (Ansible's copy of a path on the target): `src` is a
//! file or directory inside the Host's root, read through the Host like every other
//! read of a plan (the overlay first, symlinks followed only inside the root), then
//! planned exactly as a controller-side copy of the same bytes — one file through
//! the file module's content planning, a directory through copy_tree.rs's entries —
//! so ok/changed, the diff, `--check`, mode/owner/group/backup/force/validate are the
//! controller copy's. It runs where the module runs (the agent, over a connection):
//! no controller file is involved.

use super::copy_tree::{self, EntrySource};
use super::{Args, ModeArg, State, Task};
use crate::{Host, ModuleError, Plan};
use std::path::{Path, PathBuf};

/// A file of the target bigger than this is refused: its bytes are held in memory
/// while planned and written (twice: the plan's and the write's), which must stay
/// under the run's default memory limit (256 MiB; a 64 MiB copy peaks at 160 MB).
pub(super) const MAX_REMOTE_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// More entries than this in one copied directory of the target are refused (as the
/// controller-side walk refuses).
const MAX_REMOTE_ENTRIES: usize = 10_000;

pub(super) fn plan(args: &Args, host: &Host) -> Result<Plan, ModuleError> {
    let Some(src) = args.src.as_deref() else {
        return Err(ModuleError::invalid(
            "remote_src",
            "remote_src: true needs src: the path on the target to copy",
        ));
    };
    if args.content.is_some() || args.copy_from.is_some() {
        return Err(ModuleError::invalid(
            "content",
            "remote_src copies src from the target; it takes no content",
        ));
    }
    if !matches!(args.state, None | Some(State::File)) {
        return Err(ModuleError::invalid("state", "a copy takes no state"));
    }
    if args.recurse || args.modification_time.is_some() || args.access_time.is_some() {
        return Err(ModuleError::invalid(
            "recurse",
            "recurse, modification_time and access_time are not taken by copy",
        ));
    }
    if !Path::new(src).is_absolute() {
        return Err(ModuleError::invalid(
            "src",
            format!("with remote_src, src must be an absolute path on the target, not {src}"),
        ));
    }
    let source = Path::new(src);
    let Some(meta) = host.stat(source)? else {
        return Err(ModuleError::Failed(format!("Source {src} not found")));
    };
    let mut args = args.clone();
    args.src = None;
    args.remote_src = false;
    let preserve = matches!(&args.mode, Some(ModeArg::Text(mode)) if mode == "preserve");
    if preserve && meta.is_dir() {
        return Err(ModuleError::invalid(
            "mode",
            "mode: preserve is not supported for a copy of a directory (give a mode, or none)",
        ));
    }
    if preserve {
        // The source file's own mode, as Ansible's copy gives it.
        args.mode = Some(ModeArg::Text(format!("{:04o}", meta.mode & 0o7777)));
    }
    if meta.is_dir() {
        return plan_directory(&args, src, host);
    }
    if !meta.is_file() {
        return Err(ModuleError::Failed(format!(
            "{src} is not a regular file or directory; machinist refuses to copy it"
        )));
    }
    let bytes = read_source(host, source)?;
    args.path = file_dest(&args.path, source, host)?;
    // A copy replaces a differing file unless `force: no`.
    args.force = Some(args.force.unwrap_or(true));
    tracing::debug!(src, dest = %args.path, size = bytes.len(), "copy of a file of the target");
    let plan = Task::with_dest(&args, host, false)?.plan_file_content(Some(&bytes))?;
    Ok(plan.with_data("src", src))
}

/// The dest of one copied file: inside dest when dest is a directory or ends in `/`
/// (with the source's name), as Ansible's copy places it.
fn file_dest(dest: &str, source: &Path, host: &Host) -> Result<String, ModuleError> {
    let into = dest.ends_with('/')
        || host
            .stat(Path::new(dest))?
            .is_some_and(|meta| meta.is_dir());
    match (into, source.file_name()) {
        (true, Some(name)) => Ok(Path::new(dest).join(name).to_string_lossy().into_owned()),
        _ => Ok(dest.to_string()),
    }
}

/// The whole content of a regular file of the target (its links followed inside the
/// root), refused over [`MAX_REMOTE_FILE_BYTES`].
pub(super) fn read_source(host: &Host, source: &Path) -> Result<Vec<u8>, ModuleError> {
    let meta = host.stat(source)?;
    match meta {
        Some(meta) if meta.is_file() && meta.size > MAX_REMOTE_FILE_BYTES => {
            Err(ModuleError::Failed(format!(
                "{} holds {} bytes, more than the {MAX_REMOTE_FILE_BYTES} machinist copies on the target",
                source.display(),
                meta.size
            )))
        }
        Some(meta) if meta.is_file() => host
            .read_file(source)?
            .ok_or_else(|| ModuleError::Failed(format!("Source {} not found", source.display()))),
        Some(_) => Err(ModuleError::Failed(format!(
            "{} is not a regular file; machinist refuses to copy it",
            source.display()
        ))),
        None => Err(ModuleError::Failed(format!(
            "Source {} not found",
            source.display()
        ))),
    }
}

/// A directory of the target: `DIR/` copies its contents into dest, `DIR` the folder
/// itself (rsync's rule, as Ansible's and the controller-side copy's).
fn plan_directory(args: &Args, src: &str, host: &Host) -> Result<Plan, ModuleError> {
    let top = Path::new(src);
    let contents_only = src.ends_with('/');
    let mut entries = Vec::new();
    let prefix = if contents_only {
        PathBuf::new()
    } else {
        let name = top.file_name().ok_or_else(|| {
            ModuleError::invalid("src", format!("{src} names no directory to copy"))
        })?;
        let name = PathBuf::from(name);
        entries.push((name.clone(), None));
        name
    };
    let mut bytes = 0;
    walk(host, top, &prefix, &mut entries, &mut bytes)?;
    tracing::debug!(
        src,
        entries = entries.len(),
        "walked a directory of the target"
    );
    copy_tree::plan_entries(args, src, &entries, host)
}

/// The entries below `dir` (a directory of the target), named under `prefix`, by name;
/// `bytes`: the size of its files so far. A symlink inside it is refused rather than
/// copied differently from Ansible.
fn walk(
    host: &Host,
    dir: &Path,
    prefix: &Path,
    entries: &mut Vec<(PathBuf, Option<EntrySource<'static>>)>,
    bytes: &mut u64,
) -> Result<(), ModuleError> {
    for name in host.read_dir(dir)?.unwrap_or_default() {
        if entries.len() >= MAX_REMOTE_ENTRIES {
            return Err(ModuleError::Failed(format!(
                "{} has more than {MAX_REMOTE_ENTRIES} files and directories; machinist refuses to copy it",
                dir.display()
            )));
        }
        let path = dir.join(&name);
        let relative = prefix.join(&name);
        let Some(meta) = host.lstat(&path)? else {
            continue;
        };
        if meta.is_symlink() {
            return Err(ModuleError::Failed(format!(
                "{} is a symlink: a symlink inside a remote_src directory is not copied yet",
                path.display()
            )));
        }
        if meta.is_dir() {
            entries.push((relative.clone(), None));
            walk(host, &path, &relative, entries, bytes)?;
        } else if meta.is_file() {
            // Every file's new bytes are held in the plan's writes at once.
            *bytes += meta.size;
            if *bytes > MAX_REMOTE_FILE_BYTES {
                return Err(ModuleError::Failed(format!(
                    "the files below {} hold more than the {MAX_REMOTE_FILE_BYTES} bytes machinist copies on the target",
                    dir.display()
                )));
            }
            entries.push((relative, Some(EntrySource::Target(path))));
        } else {
            return Err(ModuleError::Failed(format!(
                "{} is not a regular file or directory; machinist refuses to copy it",
                path.display()
            )));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::FileModule;
    use crate::test_support::{plan_with, three_checks, Sandbox, TestResult};
    use serde_json::json;

    /// A directory of the target reached through a link that tries to leave the root,
    /// copied into a dest reached the same way: both resolve inside the root, the
    /// decoy beside it is neither read nor written; the three checks hold.
    #[test]
    fn a_directory_of_the_target_is_copied_inside_the_root() -> TestResult {
        let setup = |sandbox: &Sandbox| -> TestResult {
            std::fs::create_dir_all(sandbox.real("/opt/skel/sub"))?;
            std::fs::write(sandbox.real("/opt/skel/.bashrc"), "alias ll='ls -l'\n")?;
            std::fs::write(sandbox.real("/opt/skel/sub/x"), [0xff, 0x00, 0x01])?;
            std::os::unix::fs::symlink("../../opt/skel", sandbox.real("/etc/skel"))?;
            std::os::unix::fs::symlink("../decoy", sandbox.real("/srv"))?;
            Ok(())
        };
        let args = json!({
            "src": "/etc/skel/", "dest": "/srv/home", "remote_src": true,
            "mode": "0600", "directory_mode": "0700",
        });
        let (sandbox, first) = three_checks(&FileModule, setup, args)?;
        assert_eq!(
            std::fs::read_to_string(sandbox.real("/decoy/home/.bashrc"))?,
            "alias ll='ls -l'\n"
        );
        assert_eq!(
            std::fs::read(sandbox.real("/decoy/home/sub/x"))?,
            [0xff, 0x00, 0x01]
        );
        assert_eq!(first.data["src"], "/etc/skel/");
        assert_eq!(first.changes.len(), 4, "{:?}", first.changes);
        Ok(())
    }

    /// A file of the target whose link points out of the root is read inside it: a
    /// missing source there, never the decoy's secret.
    #[test]
    fn a_link_out_of_the_root_is_not_followed_out() -> TestResult {
        let sandbox = Sandbox::new()?;
        let secret = sandbox.decoy.join("secret");
        std::os::unix::fs::symlink(&secret, sandbox.real("/etc/leak"))?;
        let host = sandbox.host(false);
        let args = json!({"src": "/etc/leak", "dest": "/etc/copied", "remote_src": true});
        let planned = plan_with(&FileModule, &host, args);
        assert!(
            matches!(&planned, Err(err) if err.to_string().contains("not found")),
            "{:?}",
            planned.map(|plan| plan.changes)
        );
        Ok(())
    }

    #[test]
    fn a_symlink_inside_a_copied_directory_a_big_file_and_a_relative_src_are_refused() -> TestResult
    {
        let sandbox = Sandbox::new()?;
        std::fs::create_dir_all(sandbox.real("/opt/d"))?;
        std::os::unix::fs::symlink("x", sandbox.real("/opt/d/l"))?;
        let host = sandbox.host(false);
        let planned = plan_with(
            &FileModule,
            &host,
            json!({"src": "/opt/d", "dest": "/srv", "remote_src": true}),
        );
        assert!(
            matches!(&planned, Err(err) if err.to_string().contains("is a symlink")),
            "{:?}",
            planned.map(|plan| plan.changes)
        );
        let big = std::fs::File::create(sandbox.real("/opt/big"))?;
        big.set_len(super::MAX_REMOTE_FILE_BYTES + 1)?;
        let planned = plan_with(
            &FileModule,
            &host,
            json!({"src": "/opt/big", "dest": "/srv", "remote_src": true}),
        );
        assert!(
            matches!(&planned, Err(err) if err.to_string().contains("more than the 67108864")),
            "{:?}",
            planned.map(|plan| plan.changes)
        );
        let planned = plan_with(
            &FileModule,
            &host,
            json!({"src": "/opt", "dest": "/srv", "remote_src": true, "mode": "preserve"}),
        );
        assert!(
            matches!(&planned, Err(err) if err.to_string().contains("mode: preserve")),
            "{:?}",
            planned.map(|plan| plan.changes)
        );
        let planned = plan_with(
            &FileModule,
            &host,
            json!({"src": "opt/d", "dest": "/srv", "remote_src": true}),
        );
        assert!(
            matches!(&planned, Err(err) if err.to_string().contains("absolute path")),
            "{:?}",
            planned.map(|plan| plan.changes)
        );
        Ok(())
    }
}
