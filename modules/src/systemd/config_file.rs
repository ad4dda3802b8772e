//! Configuration files a module owns whole — a unit file, a drop-in, a `.nspawn`
//! file: planned as "this exact content at this path", with the missing directories
//! made on the way (mode 0755) and a diff of the content. A symlink at the path (a
//! mask to /dev/null, a link into /usr/lib) is replaced by the file, never written
//! through.

use crate::host::Kind;
use crate::{Change, Diff, Host, ModuleError, Op, Ownership};
use std::path::{Path, PathBuf};

const FILE_MODE: u32 = 0o644;
const DIR_MODE: u32 = 0o755;

/// The change that makes `path` a regular file holding `content`; `None` if it does.
pub fn plan_file(host: &Host, path: &Path, content: &str) -> Result<Option<Change>, ModuleError> {
    let shown = path.display().to_string();
    let write = Op::WriteFile {
        path: path.to_path_buf(),
        content: content.as_bytes().to_vec(),
        mode: FILE_MODE,
        owner: Ownership::default(),
    };
    let (summary, before, mut ops) = match host.lstat(path)?.map(|meta| meta.kind) {
        None => (
            format!("create {shown}"),
            String::new(),
            missing_dirs(host, path)?,
        ),
        Some(Kind::File) => {
            let old = host.read_file(path)?.unwrap_or_default();
            if old == content.as_bytes() {
                return Ok(None);
            }
            let before = String::from_utf8_lossy(&old).into_owned();
            (format!("update {shown}"), before, Vec::new())
        }
        Some(Kind::Symlink(target)) => (
            format!("replace the symlink {shown} with a file"),
            format!("(symlink to {})\n", target.display()),
            vec![Op::Remove {
                path: path.to_path_buf(),
            }],
        ),
        Some(Kind::Dir | Kind::Other) => {
            return Err(ModuleError::Failed(format!(
                "{shown} exists and is not a file; refusing to replace it"
            )))
        }
    };
    ops.push(write);
    Ok(Some(Change {
        summary,
        diff: Some(Diff::of_path(&shown, before, content)),
        ops,
    }))
}

/// The change that removes the file at `path`; `None` if there is none.
pub fn plan_absent(host: &Host, path: &Path) -> Result<Option<Change>, ModuleError> {
    let shown = path.display().to_string();
    let before = match host.lstat(path)?.map(|meta| meta.kind) {
        None => return Ok(None),
        Some(Kind::File) => {
            String::from_utf8_lossy(&host.read_file(path)?.unwrap_or_default()).into_owned()
        }
        Some(Kind::Symlink(target)) => format!("(symlink to {})\n", target.display()),
        Some(Kind::Dir | Kind::Other) => {
            return Err(ModuleError::Failed(format!(
                "{shown} exists and is not a file; refusing to remove it"
            )))
        }
    };
    Ok(Some(Change {
        summary: format!("remove {shown}"),
        diff: Some(Diff::of_path(&shown, before, "")),
        ops: vec![Op::Remove {
            path: path.to_path_buf(),
        }],
    }))
}

/// `Mkdir` ops for the missing ancestors of `path`, outermost first.
fn missing_dirs(host: &Host, path: &Path) -> Result<Vec<Op>, ModuleError> {
    let mut missing: Vec<PathBuf> = Vec::new();
    for dir in path.ancestors().skip(1) {
        if dir == Path::new("/") || dir.as_os_str().is_empty() {
            break;
        }
        match host.stat(dir)? {
            Some(meta) if meta.is_dir() => break,
            Some(_) => {
                return Err(ModuleError::Failed(format!(
                    "{} is not a directory",
                    dir.display()
                )))
            }
            None => {
                if let Some(target) = host.read_link(dir)? {
                    return Err(ModuleError::Failed(format!(
                        "{} is a symlink to {}, which does not exist in the root",
                        dir.display(),
                        target.display()
                    )));
                }
                missing.push(dir.to_path_buf());
            }
        }
    }
    Ok(missing
        .into_iter()
        .rev()
        .map(|path| Op::Mkdir {
            path,
            mode: DIR_MODE,
            owner: Ownership::default(),
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Sandbox, TestResult};

    #[test]
    fn creates_with_its_directories_then_is_ok() -> TestResult {
        let sandbox = Sandbox::new()?;
        let host = sandbox.host(false);
        let path = Path::new("/etc/systemd/system/a.service.d/override.conf");
        let change = plan_file(&host, path, "[Service]\n")?.ok_or("no change")?;
        let mkdirs = change
            .ops
            .iter()
            .filter(|op| matches!(op, Op::Mkdir { .. }))
            .count();
        assert_eq!(mkdirs, 3);
        host.apply(&change.ops)?;
        assert_eq!(
            std::fs::read_to_string(sandbox.real(&path.display().to_string()))?,
            "[Service]\n"
        );
        assert!(plan_file(&host, path, "[Service]\n")?.is_none());
        let update = plan_file(&host, path, "[Unit]\n")?.ok_or("no update")?;
        assert_eq!(
            update.diff,
            Some(Diff::of_path(
                &path.display().to_string(),
                "[Service]\n",
                "[Unit]\n"
            ))
        );
        Ok(())
    }

    #[test]
    fn a_symlink_is_replaced_not_written_through() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::create_dir_all(sandbox.real("/etc/systemd/system"))?;
        std::os::unix::fs::symlink("/dev/null", sandbox.real("/etc/systemd/system/a.service"))?;
        let host = sandbox.host(false);
        let path = Path::new("/etc/systemd/system/a.service");
        let change = plan_file(&host, path, "[Unit]\n")?.ok_or("no change")?;
        host.apply(&change.ops)?;
        let meta = std::fs::symlink_metadata(sandbox.real("/etc/systemd/system/a.service"))?;
        assert!(meta.is_file());
        assert!(plan_absent(&host, path)?.is_some());
        Ok(())
    }

    #[test]
    fn a_dangling_directory_link_is_an_error_not_a_mkdir() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::remove_dir(sandbox.real("/etc"))?;
        std::os::unix::fs::symlink(&sandbox.decoy, sandbox.real("/etc"))?;
        let err = plan_file(&sandbox.host(false), Path::new("/etc/systemd/x.conf"), "x")
            .err()
            .ok_or("planned a mkdir over a link")?;
        assert!(err.to_string().contains("is a symlink to"), "{err}");
        Ok(())
    }
}
