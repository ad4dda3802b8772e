//! Ansible's facts that name this host to others: the SSH host keys
//! (`ssh_host_key_<algo>_public` and `_keytype`, from the first of /etc/ssh,
//! /etc/openssh, /etc holding any), the iSCSI initiator (`iscsi_iqn`), the NVMe host
//! NQN (`hostnqn`) — all files of the TARGET, read through the Host — and the Fibre
//! Channel ports' WWNs (`fibre_channel_wwn`, the kernel's /sys/class/fc_host), as
//! ansible-core's `ssh_pub_keys`, `iscsi`, `nvme` and `fibre_channel_wwn` collectors
//! read them.

use super::Facts;
use machinist_modules::Host;
use minijinja::Value;

/// The ssh, iSCSI, NVMe and Fibre Channel facts.
pub fn add(host: &Host, facts: &mut Facts) {
    for (fact, value) in ssh_host_keys(|path| super::read_text(host, path)) {
        facts.insert(fact, Value::from(value));
    }
    let iscsi = super::read_text(host, "/etc/iscsi/initiatorname.iscsi").unwrap_or_default();
    let iqn = first_line(&iscsi, |line| {
        line.strip_prefix("InitiatorName=").map(str::to_string)
    });
    facts.insert("iscsi_iqn".into(), Value::from(iqn.unwrap_or_default()));
    let nvme = super::read_text(host, "/etc/nvme/hostnqn").unwrap_or_default();
    let nqn = first_line(&nvme, |line| {
        line.starts_with("nqn.").then(|| line.to_string())
    });
    facts.insert("hostnqn".into(), Value::from(nqn.unwrap_or_default()));
    facts.insert("fibre_channel_wwn".into(), Value::from(fc_wwns()));
}

/// The first line (past comments and blanks, of the stripped text) `pick` takes.
fn first_line(text: &str, pick: impl Fn(&str) -> Option<String>) -> Option<String> {
    text.trim()
        .lines()
        .filter(|line| !(line.starts_with('#') || line.starts_with(';') || line.trim().is_empty()))
        .find_map(pick)
}

/// Each key's fact and type, from the first folder that has any.
fn ssh_host_keys(read: impl Fn(&str) -> Option<String>) -> Vec<(String, String)> {
    for dir in ["/etc/ssh", "/etc/openssh", "/etc"] {
        let mut found = Vec::new();
        for algo in ["dsa", "rsa", "ecdsa", "ed25519"] {
            let text = read(&format!("{dir}/ssh_host_{algo}_key.pub")).unwrap_or_default();
            let mut words = text.split_whitespace();
            if let (Some(keytype), Some(key)) = (words.next(), words.next()) {
                let fact = format!("ssh_host_key_{algo}_public");
                found.push((fact.clone(), key.to_string()));
                found.push((format!("{fact}_keytype"), keytype.to_string()));
            }
        }
        if !found.is_empty() {
            return found;
        }
    }
    Vec::new()
}

/// The WWN of each Fibre Channel port (`0x` left off).
fn fc_wwns() -> Vec<String> {
    let Ok(hosts) = std::fs::read_dir("/sys/class/fc_host") else {
        return Vec::new();
    };
    let mut wwns = Vec::new();
    for host in hosts.flatten() {
        let text = std::fs::read_to_string(host.path().join("port_name")).unwrap_or_default();
        for line in text.lines() {
            wwns.push(line.trim_end().get(2..).unwrap_or_default().to_string());
        }
    }
    wwns
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ssh_keys_come_from_the_first_folder_with_any() {
        let keys = ssh_host_keys(|path| match path {
            "/etc/ssh/ssh_host_ed25519_key.pub" => Some("ssh-ed25519 AAAAC3Nz root@box\n".into()),
            "/etc/ssh_host_rsa_key.pub" => Some("ssh-rsa AAAAB3 old\n".into()),
            _ => None,
        });
        assert_eq!(
            keys,
            [
                (
                    "ssh_host_key_ed25519_public".to_string(),
                    "AAAAC3Nz".to_string()
                ),
                (
                    "ssh_host_key_ed25519_public_keytype".to_string(),
                    "ssh-ed25519".to_string()
                ),
            ]
        );
    }

    #[test]
    fn initiator_names_skip_comments() {
        let text = "## DO NOT EDIT\n; x\n\nInitiatorName=iqn.1993-08.org.debian:01:44a4\n";
        assert_eq!(
            first_line(text, |line| line
                .strip_prefix("InitiatorName=")
                .map(str::to_string)),
            Some("iqn.1993-08.org.debian:01:44a4".to_string())
        );
    }
}
