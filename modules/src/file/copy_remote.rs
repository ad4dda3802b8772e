//! copy with `remote_src: true` (Ansible's copy of a path on the target): `src` is a
//! file or directory inside the Host's root, read through the Host like every other
//! read of a plan (the overlay first, symlinks followed only inside the root), then
//! planned exactly as a controller-side copy of the same bytes — one file through
//! the file module's content planning, a directory through copy_tree.rs's entries —
//! so ok/changed, the diff, `--check`, mode/owner/group/backup/force/validate are the
//! controller copy's. A file is streamed as a controller file is: opened inside the
//! root and hashed in chunks, compared with the dest by digest, written in chunks
//! through the Host's temp file and rename (hashed again as it is written: a source
//! that changed meanwhile leaves the dest as it was), so memory does not grow with
//! it. It runs where the module runs (the agent, over a connection): no controller
//! file is involved.

use super::copy_tree::{self, EntrySource};
use super::{Args, ModeArg, State, Task};
use crate::source::TargetSource;
use crate::{Host, ModuleError, Plan};
use std::path::{Path, PathBuf};

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
    let found = target_source(host, source)?;
    args.path = file_dest(&args.path, source, host)?;
    // A copy replaces a differing file unless `force: no`.
    args.force = Some(args.force.unwrap_or(true));
    let plan = plan_source(&Task::with_dest(&args, host, false)?, found)?;
    Ok(plan.with_data("src", src))
}

/// A task's plan with the bytes of a file of the target.
pub(super) fn plan_source(task: &Task, found: TargetSource) -> Result<Plan, ModuleError> {
    match found {
        TargetSource::Open(source) => {
            tracing::debug!(src = %source.path.display(), size = source.size, "copy of a file of the target, streamed");
            task.plan_file_source(source)
        }
        TargetSource::Recorded(bytes) => task.plan_file_content(Some(&bytes)),
    }
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

/// A regular file of the target (its links followed inside the root) as a source.
pub(super) fn target_source(host: &Host, source: &Path) -> Result<TargetSource, ModuleError> {
    let not_found = || ModuleError::Failed(format!("Source {} not found", source.display()));
    match host.stat(source)? {
        Some(meta) if meta.is_file() => host.target_source(source)?.ok_or_else(not_found),
        Some(_) => Err(ModuleError::Failed(format!(
            "{} is not a regular file; machinist refuses to copy it",
            source.display()
        ))),
        None => Err(not_found()),
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
    walk(host, top, &prefix, &mut entries)?;
    tracing::debug!(
        src,
        entries = entries.len(),
        "walked a directory of the target"
    );
    copy_tree::plan_entries(args, src, &entries, host)
}

/// The entries below `dir` (a directory of the target), named under `prefix`, by name.
/// A symlink inside it is refused rather than copied differently from Ansible.
fn walk(
    host: &Host,
    dir: &Path,
    prefix: &Path,
    entries: &mut Vec<(PathBuf, Option<EntrySource<'static>>)>,
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
            walk(host, &path, &relative, entries)?;
        } else if meta.is_file() {
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
    use crate::test_support::{apply, plan_with, three_checks, Sandbox, TestResult};
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

    /// The source is streamed from the file planned: changed after the plan, the
    /// write is refused and the dest stays as it was (never a mix of the two).
    #[test]
    fn a_source_changed_between_plan_and_write_leaves_the_dest_as_it_was() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::write(sandbox.real("/etc/src.conf"), "planned\n")?;
        std::fs::write(sandbox.real("/etc/dest.conf"), "old\n")?;
        let host = sandbox.host(false);
        let args = json!({"src": "/etc/src.conf", "dest": "/etc/dest.conf", "remote_src": true});
        let plan = plan_with(&FileModule, &host, args.clone())?;
        // Rewritten in place, same size: the open file now holds other bytes.
        std::fs::OpenOptions::new()
            .write(true)
            .open(sandbox.real("/etc/src.conf"))
            .and_then(|mut file| std::io::Write::write_all(&mut file, b"changed\n"))?;
        let applied = apply(&host, &plan);
        assert!(
            matches!(&applied, Err(err) if err.to_string().contains("changed while it was copied")),
            "{applied:?}"
        );
        assert_eq!(
            std::fs::read_to_string(sandbox.real("/etc/dest.conf"))?,
            "old\n"
        );
        // Planned again, it copies what is there now.
        apply(&host, &plan_with(&FileModule, &host, args)?)?;
        assert_eq!(
            std::fs::read_to_string(sandbox.real("/etc/dest.conf"))?,
            "changed\n"
        );
        Ok(())
    }

    #[test]
    fn a_symlink_inside_a_copied_directory_and_a_relative_src_are_refused() -> TestResult {
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
