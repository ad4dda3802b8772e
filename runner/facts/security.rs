//! Ansible's `apparmor`, `selinux` (and `selinux_python_present`), `fips` and
//! `is_chroot` facts, read as ansible-core's collectors read them, without Python:
//! AppArmor and FIPS from the kernel (/sys/kernel/security/apparmor,
//! /proc/sys/crypto/fips_enabled); SELinux from selinuxfs (/sys/fs/selinux: enabled,
//! `mode`, `policyvers`) and the TARGET's /etc/selinux/config (`config_mode`, `type`),
//! what libselinux reads for ansible-core — machinist needs no binding, so
//! `selinux_python_present` is true; `is_chroot` is true for a root machinist acts in
//! (`root:`), else when / is not PID 1's root (or `debian_chroot` is set), as
//! ansible-core decides.

use super::Facts;
use machinist_modules::Host;
use minijinja::Value;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

const SELINUXFS: &str = "/sys/fs/selinux";

/// The AppArmor, SELinux, FIPS and chroot facts.
pub fn add(host: &Host, facts: &mut Facts) {
    let apparmor = match Path::new("/sys/kernel/security/apparmor").exists() {
        true => "enabled",
        false => "disabled",
    };
    facts.insert(
        "apparmor".into(),
        Value::from_iter([("status", Value::from(apparmor))]),
    );
    let config = super::read_text(host, "/etc/selinux/config").unwrap_or_default();
    facts.insert(
        "selinux".into(),
        minijinja::Value::from_serialize(selinux(Path::new(SELINUXFS), &config)),
    );
    facts.insert("selinux_python_present".into(), Value::from(true));
    let fips = super::sys_content(Path::new("/proc/sys/crypto/fips_enabled"));
    facts.insert("fips".into(), Value::from(fips.as_deref() == Some("1")));
    facts.insert("is_chroot".into(), Value::from(is_chroot(host)));
}

/// libselinux's view: enabled when selinuxfs is mounted (it has `enforce`).
fn selinux(selinuxfs: &Path, config: &str) -> serde_json::Value {
    use serde_json::json;
    let Some(enforce) = super::sys_content(&selinuxfs.join("enforce")) else {
        return json!({"status": "disabled"});
    };
    let mode = |value: &str| match value {
        "1" | "enforcing" => "enforcing",
        "0" | "permissive" => "permissive",
        "-1" | "disabled" => "disabled",
        _ => "unknown",
    };
    let setting = |key: &str| {
        config.lines().find_map(|line| {
            let (name, value) = line.trim().split_once('=')?;
            (name.trim() == key).then(|| value.trim().to_string())
        })
    };
    let policyvers = super::sys_content(&selinuxfs.join("policyvers"))
        .and_then(|text| text.parse::<u64>().ok())
        .map(serde_json::Value::from)
        .unwrap_or_else(|| json!("unknown"));
    json!({
        "status": "enabled",
        "policyvers": policyvers,
        "config_mode": setting("SELINUX").map(|v| mode(&v.to_lowercase())).unwrap_or("unknown"),
        "mode": mode(&enforce),
        "type": setting("SELINUXTYPE").unwrap_or_else(|| "unknown".into()),
    })
}

/// Whether the facts are a chroot's: a root machinist acts in, or (as ansible-core
/// decides) a / that is not PID 1's, or the root folder's inode where PID 1's root
/// cannot be read (2; 256 on btrfs, 128 on xfs).
fn is_chroot(host: &Host) -> bool {
    if host.root() != Path::new("/")
        || std::env::var_os("debian_chroot").is_some_and(|v| !v.is_empty())
    {
        return true;
    }
    let Ok(mine) = std::fs::metadata("/") else {
        return false;
    };
    match std::fs::metadata("/proc/1/root/.") {
        Ok(init) => mine.ino() != init.ino() || mine.dev() != init.dev(),
        Err(_) => {
            // f_type is i64 here and narrower on other architectures.
            #[allow(clippy::unnecessary_cast)]
            let fs_type = rustix::fs::statfs("/").map(|fs| fs.f_type as i64);
            let root_inode = match fs_type {
                Ok(0x9123_683E) => 256,
                Ok(0x5846_5342) => 128,
                _ => 2,
            };
            mine.ino() != root_inode
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn selinux_is_disabled_without_selinuxfs_and_read_when_mounted() {
        let fs = tempfile::tempdir().expect("tempdir");
        assert_eq!(selinux(fs.path(), ""), json!({"status": "disabled"}));
        std::fs::write(fs.path().join("enforce"), "0\n").expect("write");
        std::fs::write(fs.path().join("policyvers"), "33\n").expect("write");
        let config = "# comment\nSELINUX=enforcing\nSELINUXTYPE=targeted\n";
        assert_eq!(
            selinux(fs.path(), config),
            json!({"status": "enabled", "policyvers": 33, "config_mode": "enforcing",
                "mode": "permissive", "type": "targeted"})
        );
    }
}
