//! Plays on ssh hosts for the connection tests: a root per host in the test user's
//! home (tests/common/sshd.rs), the inventory variables that reach a server as that
//! user, and a YAML inventory of such hosts.

use super::sshd::{self, Sshd};
use super::Test;
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

/// A root for one host in the test user's home, theirs, removed when dropped.
pub struct RemoteRoot(PathBuf);

impl RemoteRoot {
    pub fn new(name: &str) -> RemoteRoot {
        sshd::ensure_user();
        let dir = tempfile::Builder::new()
            .prefix(&format!("conn-{name}-"))
            .tempdir_in(sshd::home())
            .unwrap()
            .keep();
        let chown = std::process::Command::new("chown")
            .arg(format!("{0}:{0}", sshd::USER))
            .arg(&dir)
            .status()
            .unwrap();
        assert!(chown.success());
        RemoteRoot(dir)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }

    /// A file of the test user's in the root.
    pub fn file(&self, name: &str, content: &[u8]) {
        let path = self.0.join(name);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, content).unwrap();
        let chown = std::process::Command::new("chown")
            .arg("-R")
            .arg(format!("{0}:{0}", sshd::USER))
            .arg(&self.0)
            .status()
            .unwrap();
        assert!(chown.success());
    }
}

impl Drop for RemoteRoot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The inventory variables that reach `sshd` as the test user, into `root`.
pub fn ssh_vars(sshd: &Sshd, root: &Path) -> Value {
    json!({
        "ansible_connection": "ssh",
        "ansible_host": sshd.address,
        "ansible_port": sshd.port,
        "ansible_user": sshd::USER,
        "ansible_ssh_private_key_file": sshd.user_key(),
        "ansible_ssh_common_args": common_args(sshd),
        "machinist_root": root,
    })
}

/// The ssh options that trust `sshd`'s host key alone and never ask anything.
pub fn common_args(sshd: &Sshd) -> String {
    format!(
        "-F /dev/null -o UserKnownHostsFile={} -o StrictHostKeyChecking=yes -o BatchMode=yes",
        sshd.known_hosts().display()
    )
}

/// A YAML inventory (JSON is YAML) of these hosts.
pub fn inventory(test: &Test, hosts: &[(&str, Value)]) {
    let hosts: serde_json::Map<String, Value> = hosts
        .iter()
        .map(|(name, vars)| (name.to_string(), vars.clone()))
        .collect();
    test.project_file(
        "inventory.yml",
        &json!({"all": {"hosts": hosts}}).to_string(),
    );
}
