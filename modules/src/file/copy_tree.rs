//! copy of a directory (Ansible's copy with `src: DIR`, or `src: DIR/` for its
//! contents): the runner walks the controller's tree into `_copy_tree` (each entry a
//! path under dest, and for a file the controller file it copies), and this plans
//! every entry as one `file` task would plan it, each against what the entries before
//! it would leave (a scratch view of the Host), so a file inside a directory the copy
//! makes is planned as new and `--check` predicts the run. The ops are the Host's, as
//! for any file: every path is resolved inside the root when they are applied.

use super::{Args, State, Task};
use crate::{Change, Host, ModuleError, Op, Plan};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};

/// What the runner found at `src:` (a directory), walked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CopyTree {
    /// The source as found on the controller (the registered result's `src`), with
    /// the trailing `/` the task gave.
    pub src: String,
    /// Parents before their children.
    pub entries: Vec<TreeEntry>,
}

/// One directory or file of the source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TreeEntry {
    /// Relative to dest (`confdir/sub/b`, or `sub/b` for `src: confdir/`).
    pub path: String,
    /// A file: the controller file it is copied from (streamed). `None`: a directory
    /// (or a link).
    pub from: Option<String>,
    /// `local_follow: false`: a symlink of the source, copied as a link to this target
    /// (as the source's link reads, never followed on the controller).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
}

/// Where one entry's file comes from: the controller (streamed) or the target itself
/// (`remote_src`, read through the Host: inside the root). `None` in an entry: a
/// directory.
pub(super) enum EntrySource<'a> {
    Controller(&'a str),
    Target(PathBuf),
    /// A symlink to this target (`local_follow: false`).
    Link(&'a str),
}

pub(super) fn plan(args: &Args, tree: &CopyTree, host: &Host) -> Result<Plan, ModuleError> {
    if args.content.is_some() || args.copy_from.is_some() || args.src.is_some() {
        return Err(ModuleError::invalid(
            "src",
            "a copy of a directory takes no content or other source",
        ));
    }
    let mut entries = Vec::with_capacity(tree.entries.len());
    for entry in &tree.entries {
        let relative = PathBuf::from(&entry.path);
        let source = match (&entry.from, &entry.link) {
            (Some(_), Some(_)) => {
                return Err(ModuleError::invalid(
                    "_copy_tree",
                    format!("{} is both a file and a link", entry.path),
                ))
            }
            (Some(from), None) => Some(EntrySource::Controller(from)),
            (None, Some(target)) => Some(EntrySource::Link(target)),
            (None, None) => None,
        };
        entries.push((relative, source));
    }
    plan_entries(args, &tree.src, &entries, host)
}

/// The plan of a copy of a directory into dest, given its entries (relative to dest,
/// parents before their children), wherever they come from.
pub(super) fn plan_entries(
    args: &Args,
    src: &str,
    entries: &[(PathBuf, Option<EntrySource>)],
    host: &Host,
) -> Result<Plan, ModuleError> {
    if !matches!(args.state, None | Some(State::File)) {
        return Err(ModuleError::invalid(
            "state",
            "a copy of a directory takes no state",
        ));
    }
    if args.validate.is_some() {
        return Err(ModuleError::invalid(
            "validate",
            "validate checks one file's new content, not a copy of a directory",
        ));
    }
    if args.recurse || args.modification_time.is_some() || args.access_time.is_some() {
        return Err(ModuleError::invalid(
            "recurse",
            "recurse, modification_time and access_time are not taken by a copy of a directory",
        ));
    }
    let dest = Path::new("/").join(&args.path);
    let scratch = host.scratch();
    let mut changes = Vec::new();
    let mut warnings = Vec::new();
    // The dest itself is made when missing (as Ansible's copy makes it, with
    // directory_mode), and left as it is when there.
    if scratch.stat(&dest)?.is_none() {
        warnings.extend(plan_entry(args, &dest, None, &scratch, &mut changes)?);
    }
    let mut files = 0;
    // Links last, as Ansible's copy makes them: a link to a file of the copy finds it.
    let (links, others): (Vec<_>, Vec<_>) = entries
        .iter()
        .partition(|(_, from)| matches!(from, Some(EntrySource::Link(_))));
    for (relative, from) in others.into_iter().chain(links) {
        if relative.is_absolute()
            || relative
                .components()
                .any(|part| !matches!(part, std::path::Component::Normal(_)))
        {
            return Err(ModuleError::invalid(
                "_copy_tree",
                format!("{} is not a path below dest", relative.display()),
            ));
        }
        let path = dest.join(relative);
        if matches!(
            from,
            Some(EntrySource::Controller(_) | EntrySource::Target(_))
        ) {
            files += 1;
            // force: no: a file that is there is left alone, as Ansible's copy does.
            if args.force == Some(false) && scratch.lstat(&path)?.is_some() {
                continue;
            }
        }
        warnings.extend(plan_entry(
            args,
            &path,
            from.as_ref(),
            &scratch,
            &mut changes,
        )?);
    }
    tracing::debug!(
        dest = %dest.display(),
        files,
        changes = changes.len(),
        "planned a copy of a directory"
    );
    let mut shown = dest.to_string_lossy().into_owned();
    if !shown.ends_with('/') {
        shown.push('/');
    }
    let mut plan = Plan::change(changes)
        .with_data("dest", shown)
        .with_data("src", src);
    plan.warnings = warnings;
    Ok(plan)
}

/// Plans one directory (`from: None`) or file at `path` as the file module would, and
/// records its ops in the scratch host for the entries after it; its warnings.
fn plan_entry(
    args: &Args,
    path: &Path,
    from: Option<&EntrySource>,
    scratch: &Host,
    changes: &mut Vec<Change>,
) -> Result<Vec<String>, ModuleError> {
    let controller = match from {
        Some(EntrySource::Controller(file)) => Some(*file),
        _ => None,
    };
    if let Some(EntrySource::Link(target)) = from {
        let link_args = link_args(args, path, target);
        let plan = Task::with_dest(&link_args, scratch, false)?.plan_link()?;
        return record(plan, scratch, changes);
    }
    let is_file = from.is_some();
    let entry_args = entry_args(args, path, is_file, controller);
    let task = Task::with_dest(&entry_args, scratch, false)?;
    let plan = match from {
        Some(EntrySource::Controller(_)) => task.plan_file()?,
        Some(EntrySource::Target(source)) => {
            let found = super::copy_remote::target_source(scratch, source)?;
            super::copy_remote::plan_source(&task, found)?
        }
        Some(EntrySource::Link(_)) | None => task.plan_directory()?,
    };
    record(plan, scratch, changes)
}

/// An entry's plan: its ops assumed in the scratch host for the entries after it, its
/// changes kept; its warnings.
fn record(
    plan: Plan,
    scratch: &Host,
    changes: &mut Vec<Change>,
) -> Result<Vec<String>, ModuleError> {
    let ops: Vec<Op> = plan
        .changes
        .iter()
        .flat_map(|change| change.ops.iter().cloned())
        .collect();
    scratch.assume(&ops)?;
    changes.extend(plan.changes);
    Ok(plan.warnings)
}

/// The arguments of a link of the source (`local_follow: false`), as Ansible's copy
/// hands them to its file module: state=link to the link's own target, not followed,
/// owner and group (no mode: a link has none), force as the task's (default no).
fn link_args(args: &Args, path: &Path, target: &str) -> Args {
    let mut link = entry_args(args, path, false, None);
    link.state = Some(State::Link);
    link.src = Some(target.to_string());
    link.mode = None;
    link.follow = false;
    link.force = args.force;
    link
}

/// The arguments of one entry, as Ansible's copy hands them to its copy and file
/// modules: files get `mode`, directories `directory_mode`; both owner and group.
/// `controller`: the controller file a file entry is streamed from (none for a
/// directory or a file of the target, planned as bytes).
fn entry_args(args: &Args, path: &Path, is_file: bool, controller: Option<&str>) -> Args {
    Args {
        path: PathBuf::from(path).to_string_lossy().into_owned(),
        state: Some(if is_file {
            State::File
        } else {
            State::Directory
        }),
        content: None,
        src: None,
        template: None,
        copy_from: controller.map(str::to_string),
        copy_tree: None,
        remote_src: false,
        directory_mode: None,
        local_follow: None,
        mode: if is_file {
            args.mode.clone()
        } else {
            args.directory_mode.clone()
        },
        owner: args.owner.clone(),
        group: args.group.clone(),
        recurse: false,
        // A copy replaces a differing file unless `force: no` (bytes planned from the
        // target have no `copy_from` to make that the default).
        force: is_file.then(|| args.force.unwrap_or(true)),
        backup: is_file && args.backup,
        trim_blocks: None,
        lstrip_blocks: None,
        newline_sequence: None,
        block_start_string: None,
        block_end_string: None,
        variable_start_string: None,
        variable_end_string: None,
        comment_start_string: None,
        comment_end_string: None,
        // As Ansible's copy: no link at a file's dest is followed in a directory copy
        // (the link gives way to the file); a directory's follows the task's `follow`.
        follow: !is_file && args.follow,
        validate: None,
        modification_time: None,
        modification_time_format: None,
        access_time: None,
        access_time_format: None,
    }
}

#[cfg(test)]
mod tests {
    use super::super::FileModule;
    use crate::test_support::{three_checks, Sandbox, TestResult};
    use serde_json::json;

    /// A tree copied through a link that tries to leave the root lands inside it; the
    /// three checks hold (check mode plans files inside directories it only assumed).
    #[test]
    fn a_tree_is_planned_entry_by_entry_inside_the_root() -> TestResult {
        let source = tempfile::tempdir()?;
        std::fs::create_dir_all(source.path().join("sub"))?;
        std::fs::write(source.path().join("a"), "a\n")?;
        std::fs::write(source.path().join("sub/b"), "b\n")?;
        let from = |name: &str| source.path().join(name).display().to_string();
        let args = json!({
            "dest": "/srv/conf",
            "mode": "0600",
            "directory_mode": "0700",
            "_copy_tree": {
                "src": format!("{}/", source.path().display()),
                "entries": [
                    {"path": "a", "from": from("a")},
                    {"path": "sub", "from": null},
                    {"path": "sub/b", "from": from("sub/b")},
                ],
            },
        });
        let escape = |sandbox: &Sandbox| -> TestResult {
            std::os::unix::fs::symlink("../decoy", sandbox.real("/srv"))?;
            Ok(())
        };
        let (sandbox, first) = three_checks(&FileModule, escape, args)?;
        assert_eq!(
            std::fs::read_to_string(sandbox.real("/decoy/conf/sub/b"))?,
            "b\n"
        );
        assert_eq!(first.data["dest"], "/srv/conf/");
        assert_eq!(first.changes.len(), 4, "{:?}", first.changes);
        Ok(())
    }

    #[test]
    fn an_entry_that_climbs_out_of_dest_is_refused() -> TestResult {
        let sandbox = Sandbox::new()?;
        let host = sandbox.host(false);
        let args = json!({
            "dest": "/srv",
            "_copy_tree": {"src": "x/", "entries": [{"path": "../etc", "from": null}]},
        });
        let planned = crate::test_support::plan_with(&FileModule, &host, args);
        assert!(
            matches!(&planned, Err(err) if err.to_string().contains("not a path below dest")),
            "{:?}",
            planned.map(|plan| plan.changes)
        );
        Ok(())
    }
}
