//! The `resolv_link` module: ROOT/etc/resolv.conf as a symlink to systemd-resolved's
//! file — `uplink` (/run/systemd/resolve/resolv.conf, the seed's choice and the
//! default), `stub` (/run/systemd/resolve/stub-resolv.conf) or an explicit path.
//!
//! It acts on the link itself and never follows the old one: the old resolv.conf is
//! often an absolute link that, followed, would lead onto the host. A regular file in
//! the way is replaced (kept as resolv.conf.TIMESTAMP~ with `backup: true`); a wrong
//! link is replaced; the diff shows the old and the new.

pub mod doc;

use crate::host::Kind;
use crate::{Change, Diff, Host, Module, ModuleError, Op, Plan};
use serde::Deserialize;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

const RESOLV_CONF: &str = "/etc/resolv.conf";
const UPLINK: &str = "/run/systemd/resolve/resolv.conf";
const STUB: &str = "/run/systemd/resolve/stub-resolv.conf";

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// `uplink`, `stub`, or the path the link points to (stored as written).
    #[serde(default = "uplink")]
    pub target: String,
    /// Keep a regular file that is replaced as /etc/resolv.conf.TIMESTAMP~.
    #[serde(default)]
    pub backup: bool,
}

fn uplink() -> String {
    "uplink".into()
}

pub struct ResolvLinkModule;

impl Module for ResolvLinkModule {
    type Args = Args;
    const NAME: &'static str = "resolv_link";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let target = link_target(&args.target)?;
        let path = Path::new(RESOLV_CONF);
        match host.stat(Path::new("/etc"))? {
            Some(meta) if meta.is_dir() => {}
            _ => {
                return Err(ModuleError::Failed(format!(
                    "/etc is not a directory in {} (followed inside the root); refusing to \
                     place resolv.conf",
                    host.root().display()
                )))
            }
        }
        let plan = Plan::ok()
            .with_data("dest", RESOLV_CONF)
            .with_data("src", &target);
        let link = Op::Symlink {
            path: path.to_path_buf(),
            target: target.clone(),
        };
        let after = format!("-> {}\n", target.display());
        let (summary, before, ops) = match host.lstat(path)?.map(|meta| meta.kind) {
            Some(Kind::Symlink(old)) if old == target => return Ok(plan),
            Some(Kind::Symlink(old)) => (
                format!("relink {RESOLV_CONF} to {}", target.display()),
                format!("-> {}\n", old.display()),
                vec![link],
            ),
            None => (
                format!("link {RESOLV_CONF} to {}", target.display()),
                String::new(),
                vec![link],
            ),
            Some(Kind::File) => {
                let old = host.read_file(path)?.unwrap_or_default();
                let mut ops = Vec::new();
                let mut plan_backup = None;
                if args.backup {
                    let to = crate::file::backup_name(path, SystemTime::now());
                    ops.push(Op::Backup {
                        path: path.to_path_buf(),
                        to: to.clone(),
                    });
                    plan_backup = Some(to);
                }
                ops.push(link);
                let change = Change {
                    summary: format!(
                        "replace the file {RESOLV_CONF} with a link to {}",
                        target.display()
                    ),
                    diff: Some(Diff::of_path(
                        RESOLV_CONF,
                        String::from_utf8_lossy(&old),
                        after,
                    )),
                    ops,
                };
                let plan = Plan::change(vec![change])
                    .with_data("dest", RESOLV_CONF)
                    .with_data("src", &target);
                return Ok(match plan_backup {
                    Some(to) => plan.with_data("backup_file", to.display().to_string()),
                    None => plan,
                });
            }
            Some(Kind::Dir | Kind::Other) => {
                return Err(ModuleError::Failed(format!(
                    "{RESOLV_CONF} is not a file or a link; refusing to replace it"
                )))
            }
        };
        let change = Change {
            summary,
            diff: Some(Diff::of_path(RESOLV_CONF, before, after)),
            ops,
        };
        let mut changed = Plan::change(vec![change]);
        changed.data = plan.data;
        Ok(changed)
    }
}

/// The link's target for a `target:` argument.
fn link_target(target: &str) -> Result<PathBuf, ModuleError> {
    match target.trim() {
        "uplink" => Ok(PathBuf::from(UPLINK)),
        "stub" => Ok(PathBuf::from(STUB)),
        "" => Err(ModuleError::invalid(
            "target",
            "target is empty: give uplink, stub or a path",
        )),
        path => Ok(PathBuf::from(path)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::{Sandbox, TestResult};
    use serde_json::{json, Value};
    use std::os::unix::fs::symlink;

    fn plan(host: &Host, args: Value) -> Result<Plan, ModuleError> {
        crate::test_support::plan_with(&ResolvLinkModule, host, args)
    }

    fn three_checks(
        setup: fn(&Sandbox) -> TestResult,
        args: Value,
    ) -> Result<(Sandbox, Plan), Box<dyn std::error::Error>> {
        crate::test_support::three_checks(&ResolvLinkModule, setup, args)
    }

    fn resolv(sandbox: &Sandbox) -> Result<PathBuf, std::io::Error> {
        std::fs::read_link(sandbox.real(RESOLV_CONF))
    }

    #[test]
    fn a_regular_file_becomes_the_uplink_link_with_a_backup() -> TestResult {
        fn file(sandbox: &Sandbox) -> TestResult {
            Ok(std::fs::write(
                sandbox.real(RESOLV_CONF),
                "nameserver 1.1.1.1\n",
            )?)
        }
        let (sandbox, first) = three_checks(file, json!({"backup": true}))?;
        assert_eq!(resolv(&sandbox)?, Path::new(UPLINK));
        let diff = first.changes[0].diff.clone().ok_or("no diff")?;
        assert_eq!(
            (diff.before.as_str(), diff.after.as_str()),
            (
                "nameserver 1.1.1.1\n",
                "-> /run/systemd/resolve/resolv.conf\n"
            )
        );
        let backups: Vec<_> = std::fs::read_dir(sandbox.real("/etc"))?
            .flatten()
            .filter(|entry| {
                entry
                    .file_name()
                    .to_string_lossy()
                    .starts_with("resolv.conf.")
            })
            .collect();
        assert_eq!(backups.len(), 1);
        assert_eq!(
            std::fs::read_to_string(backups[0].path())?,
            "nameserver 1.1.1.1\n"
        );
        Ok(())
    }

    #[test]
    fn a_wrong_link_pointing_out_of_the_root_is_replaced_not_followed() -> TestResult {
        fn hostile(sandbox: &Sandbox) -> TestResult {
            Ok(symlink(
                sandbox.decoy.join("secret"),
                sandbox.real(RESOLV_CONF),
            )?)
        }
        let (sandbox, first) = three_checks(hostile, json!({"target": "stub", "backup": true}))?;
        assert_eq!(resolv(&sandbox)?, Path::new(STUB));
        let diff = first.changes[0].diff.clone().ok_or("no diff")?;
        assert!(diff.before.starts_with("-> "), "{}", diff.before);
        Ok(())
    }

    #[test]
    fn a_missing_link_is_created_with_an_explicit_target() -> TestResult {
        let (sandbox, _) = three_checks(|_| Ok(()), json!({"target": "../run/x/resolv.conf"}))?;
        assert_eq!(resolv(&sandbox)?, Path::new("../run/x/resolv.conf"));
        Ok(())
    }

    #[test]
    fn an_etc_leading_out_of_the_root_is_refused() -> TestResult {
        let sandbox = Sandbox::new()?;
        std::fs::remove_dir(sandbox.real("/etc"))?;
        symlink(&sandbox.decoy, sandbox.real("/etc"))?;
        let decoy = sandbox.decoy_snapshot();
        assert!(plan(&sandbox.host(false), json!({})).is_err());
        assert_eq!(sandbox.decoy_snapshot(), decoy);
        Ok(())
    }
}
