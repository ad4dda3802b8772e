//! Where synchronize's rsync runs, as ansible.posix's action plugin decides it: always
//! on this machine. On a local Site the module runs there like any module (both
//! paths local). For an ssh host it runs on a Host of this machine's `/`, the host's
//! side handed over as `_rsync_remote` (`machinist_modules::synchronize::Remote`):
//! its address, user, port, key and ssh arguments, and the control socket of
//! machinist's multiplexed connection, which rsync's ssh goes through; `become`
//! with sudo becomes `--rsync-path="sudo -u USER rsync"`. Refused here, with the
//! reason: a machine connection and a root on the host (rsync would write into a
//! tree whose links it follows: docs/SECURITY.md), `delegate_to`, a become other
//! than sudo or one needing a password, a become on this machine.

use super::remote::Site;
use super::step::{located, Step};
use crate::inventory::connection::{Become, Connection};
use machinist_modules::host::HostOptions;
use machinist_modules::synchronize::{Remote, RUNNER_ARG};
use machinist_modules::Host;
use serde_json::{Map, Value as Json};
use std::path::PathBuf;

impl Step<'_> {
    /// The Site synchronize's module runs on instead of the task's (`None`: the
    /// task's own), `args` given the ssh host's side when it is one.
    pub(super) fn synchronize_site(
        &self,
        args: &mut Map<String, Json>,
        becoming: Option<&Become>,
    ) -> Result<Option<Site>, String> {
        let span = &self.task.span;
        let refuse = |why: &str| Err(located(span, format!("synchronize: {why}")));
        if args.remove(RUNNER_ARG).is_some() {
            return Err(located(span, format!("unknown argument '{RUNNER_ARG}'")));
        }
        if self.task.fleet().delegate_to.is_some() {
            return refuse(
                "delegate_to is not supported: rsync runs on this machine and reaches the \
                 task's host itself (over ssh, or locally on a local connection)",
            );
        }
        let (remote, inner_root) =
            match self.host {
                Site::Local(_) if becoming.is_some() => return refuse(
                    "become on a local connection is not supported: rsync would run as this user",
                ),
                Site::Local(_) => return Ok(None),
                Site::Remote(remote, inner_root) => (remote, inner_root),
            };
        let target = remote.target();
        match target.connection {
            Connection::Ssh => {}
            Connection::Local => {
                return refuse(
                    "become on a local connection is not supported: rsync would run as this user",
                )
            }
            _ => {
                return refuse(
                    "a machine connection is not supported: rsync run from this machine into \
                     a container's tree follows the links in it out of the container; use copy \
                     with a directory src, which writes inside it",
                )
            }
        }
        if target.root.is_some() || inner_root.is_some() {
            return refuse(
                "a root on an ssh host (machinist_root, root:) is not supported: rsync would \
                 write into a tree whose links it follows out of the root; use copy with a \
                 directory src",
            );
        }
        let sudo_user = match becoming {
            None => None,
            Some(become_) if become_.method != "sudo" => {
                return refuse(&format!(
                    "become_method {} is not supported: Ansible's synchronize becomes only \
                     with sudo (--rsync-path=\"sudo rsync\")",
                    become_.method
                ))
            }
            Some(become_) if become_.password.is_some() => {
                return refuse(
                    "a become password cannot be given to the host's sudo that rsync starts: \
                     allow the user passwordless sudo for rsync",
                )
            }
            Some(become_) => Some(become_.user.clone()),
        };
        let Some((target, control)) = remote
            .rsync_route()
            .map_err(|unreachable| unreachable.message)?
        else {
            return refuse("the host's connection has no ssh control socket");
        };
        let ssh_args = target
            .ssh_common_args
            .iter()
            .chain(&target.ssh_extra_args)
            .cloned()
            .collect();
        let side = Remote {
            address: target.address.clone(),
            user: target.user.clone(),
            port: target.port,
            private_key: target
                .private_key_file
                .as_ref()
                .map(|key| key.display().to_string()),
            control_path: control.display().to_string(),
            ssh_args,
            sudo_user,
        };
        let side = serde_json::to_value(side).map_err(|err| located(span, err.to_string()))?;
        args.insert(RUNNER_ARG.into(), side);
        let here = Host::new(HostOptions::new(PathBuf::from("/")))
            .map_err(|err| located(span, format!("synchronize: this machine's /: {err}")))?;
        tracing::debug!(host = %target.host, "synchronize: rsync on this machine over ssh");
        Ok(Some(Site::Local(here)))
    }
}
