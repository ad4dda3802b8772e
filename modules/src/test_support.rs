//! Helpers for the unit tests: a temp root with a decoy directory beside it (to prove
//! nothing leaks out of the root), and snapshots of whole trees (to prove check mode
//! changes no byte).

use crate::{Host, HostOptions, Module, ModuleError, Plan};
use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

pub type TestResult = Result<(), Box<dyn std::error::Error>>;

/// `TMP/root` (the target) and `TMP/decoy/secret` next to it.
pub struct Sandbox {
    _dir: tempfile::TempDir,
    pub root: PathBuf,
    pub decoy: PathBuf,
}

impl Sandbox {
    pub fn new() -> Result<Sandbox, std::io::Error> {
        let dir = tempfile::tempdir()?;
        let root = dir.path().join("root");
        let decoy = dir.path().join("decoy");
        std::fs::create_dir_all(root.join("etc"))?;
        std::fs::create_dir_all(&decoy)?;
        std::fs::write(decoy.join("secret"), "keep me\n")?;
        std::fs::set_permissions(decoy.join("secret"), std::fs::Permissions::from_mode(0o644))?;
        Ok(Sandbox {
            _dir: dir,
            root,
            decoy,
        })
    }

    /// A path on the real disk, inside the root.
    pub fn real(&self, in_root: &str) -> PathBuf {
        self.root.join(in_root.trim_start_matches('/'))
    }

    /// A Host on the root whose [`TestHost::apply`] records (`check`) or applies, as
    /// the executor's calls do for a task in check mode or not.
    pub fn host(&self, check: bool) -> TestHost {
        let host = Host::new(HostOptions::new(&self.root))
            .unwrap_or_else(|err| panic!("host on {}: {err}", self.root.display()));
        TestHost { host, check }
    }

    pub fn decoy_snapshot(&self) -> BTreeMap<PathBuf, String> {
        snapshot(&self.decoy)
    }
}

/// A Host with the check flag of the task a test plays: every apply passes it.
pub struct TestHost {
    pub host: Host,
    pub check: bool,
}

impl TestHost {
    pub fn apply(&self, ops: &[crate::Op]) -> Result<Vec<crate::OpOutput>, ModuleError> {
        self.host.apply(ops, self.check)
    }
}

impl std::ops::Deref for TestHost {
    type Target = Host;

    fn deref(&self) -> &Host {
        &self.host
    }
}

/// Every path below `dir` with its type, mode, owner and content or link target.
pub fn snapshot(dir: &Path) -> BTreeMap<PathBuf, String> {
    let mut found = BTreeMap::new();
    walk(dir, dir, &mut found);
    found
}

fn walk(base: &Path, dir: &Path, found: &mut BTreeMap<PathBuf, String>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let relative = path.strip_prefix(base).unwrap_or(&path).to_path_buf();
        let attrs = format!("{:o} {}:{}", meta.mode() & 0o7777, meta.uid(), meta.gid());
        let described = if meta.file_type().is_symlink() {
            format!(
                "link -> {}",
                std::fs::read_link(&path)
                    .map(|t| t.display().to_string())
                    .unwrap_or_default()
            )
        } else if meta.is_dir() {
            walk(base, &path, found);
            format!("dir {attrs}")
        } else {
            let content = std::fs::read(&path).unwrap_or_default();
            format!("file {attrs} {}", String::from_utf8_lossy(&content))
        };
        found.insert(relative, described);
    }
}

/// Copy an executable for a test to run, through `cp` in a child process: a copy
/// written by this (multi-threaded) test process could be held open by a child that
/// another test thread forks at that moment, and exec would then fail with ETXTBSY.
pub fn copy_executable(from: &std::path::Path, to: &std::path::Path) -> std::io::Result<()> {
    let status = std::process::Command::new("cp")
        .arg(from)
        .arg(to)
        .status()?;
    if status.success() {
        Ok(())
    } else {
        Err(std::io::Error::other(format!(
            "cp {} {} failed",
            from.display(),
            to.display()
        )))
    }
}

/// `module`'s plan for `args` (JSON, as a task would give them) on `host`.
pub fn plan_with<M: Module>(
    module: &M,
    host: &Host,
    args: serde_json::Value,
) -> Result<Plan, ModuleError> {
    let args: M::Args =
        serde_json::from_value(args).map_err(|err| ModuleError::Failed(err.to_string()))?;
    let mut plan = module.plan(&args, host)?;
    plan.data = plan.take_data();
    Ok(plan)
}

/// Apply every change of `plan`; a program that exits non-zero is a failure.
pub fn apply(host: &TestHost, plan: &Plan) -> Result<(), ModuleError> {
    for change in &plan.changes {
        for output in host.apply(&change.ops)? {
            if output.rc.is_some_and(|rc| rc != 0) {
                return Err(ModuleError::Failed(output.stderr));
            }
        }
    }
    Ok(())
}

/// The three checks of a module on a fresh sandbox prepared by `setup`: in check mode
/// the first plan changes, applying it touches no byte, and the second plan is ok (the
/// overlay holds the first); for real the first plan changes, the second is ok, and the
/// decoy beside the root is untouched. Returns the sandbox of the real run and its
/// first plan.
pub fn three_checks<M: Module>(
    module: &M,
    setup: impl Fn(&Sandbox) -> TestResult,
    args: serde_json::Value,
) -> Result<(Sandbox, Plan), Box<dyn std::error::Error>> {
    let sandbox = Sandbox::new()?;
    setup(&sandbox)?;
    let before = snapshot(&sandbox.root);
    let decoy = sandbox.decoy_snapshot();
    let check = sandbox.host(true);
    let checked = plan_with(module, &check, args.clone())?;
    assert!(checked.is_changed(), "check mode predicted nothing");
    apply(&check, &checked)?;
    assert_eq!(
        snapshot(&sandbox.root),
        before,
        "check mode touched the disk"
    );
    let again = plan_with(module, &check, args.clone())?;
    assert!(
        !again.is_changed(),
        "check mode, second plan (the overlay should hold the first): {:?}",
        again.changes
    );

    let host = sandbox.host(false);
    let first = plan_with(module, &host, args.clone())?;
    assert!(first.is_changed(), "first plan: nothing to do");
    apply(&host, &first)?;
    let second = plan_with(module, &host, args)?;
    assert!(!second.is_changed(), "second plan: {:?}", second.changes);
    assert_eq!(sandbox.decoy_snapshot(), decoy, "the decoy changed");
    Ok((sandbox, first))
}
