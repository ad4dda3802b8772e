//! Ansible's `distribution_file_path`, `distribution_file_variety`,
//! `distribution_file_parsed` and `distribution_file_search_string`: which of the
//! target's release files ansible-core's `DistributionFiles.process_dist_files` settles
//! on. It walks its list of (file, variety) in order; an existing file whose variety
//! accepts its content (stripped of blanks and quotes) wins, an empty
//! `/etc/arch-release` (or `/etc/vmware-release`) wins as it is, with no `_parsed`.
//! So a Debian answers `/etc/os-release` as `Debian`, an Arch root with pacman's
//! empty `/etc/arch-release` answers that file as `Archlinux`, and one without it
//! `/etc/os-release` (`Arch Linux` in it). What each variety's parser adds to the
//! distribution facts is facts/distribution.rs's; only the choice is here.

use super::Facts;
use indexmap::IndexMap;
use machinist_modules::Host;
use minijinja::Value;
use std::path::Path;

/// A release file and what accepts it, in ansible-core's `OSDIST_LIST` order.
struct DistFile {
    path: &'static str,
    variety: &'static str,
    /// Wins when it exists, empty or not (no parsing).
    allow_empty: bool,
}

const fn file(path: &'static str, variety: &'static str) -> DistFile {
    DistFile {
        path,
        variety,
        allow_empty: false,
    }
}

const DIST_FILES: &[DistFile] = &[
    file("/etc/altlinux-release", "Altlinux"),
    file("/etc/oracle-release", "OracleLinux"),
    file("/etc/slackware-version", "Slackware"),
    file("/etc/centos-release", "CentOS"),
    file("/etc/redhat-release", "RedHat"),
    DistFile {
        path: "/etc/vmware-release",
        variety: "VMwareESX",
        allow_empty: true,
    },
    file("/etc/openwrt_release", "OpenWrt"),
    file("/etc/os-release", "Amazon"),
    file("/etc/system-release", "Amazon"),
    file("/etc/alpine-release", "Alpine"),
    DistFile {
        path: "/etc/arch-release",
        variety: "Archlinux",
        allow_empty: true,
    },
    file("/etc/os-release", "Archlinux"),
    file("/etc/os-release", "SUSE"),
    file("/etc/SuSE-release", "SUSE"),
    file("/etc/gentoo-release", "Gentoo"),
    file("/etc/os-release", "Debian"),
    file("/etc/lsb-release", "Debian"),
    file("/etc/lsb-release", "Mandriva"),
    file("/etc/sourcemage-release", "SMGL"),
    file("/usr/lib/os-release", "ClearLinux"),
    file("/etc/coreos/update.conf", "Coreos"),
    file("/etc/os-release", "Flatcar"),
    file("/etc/os-release", "NA"),
];

/// ansible-core's `SEARCH_STRING`: varieties recognised by a text in their file
/// (which they accept either way).
const SEARCH_STRINGS: &[(&str, &str)] = &[
    ("OracleLinux", "Oracle Linux"),
    ("RedHat", "Red Hat"),
    ("Altlinux", "ALT"),
    ("SMGL", "Source Mage GNU/Linux"),
];

/// The `distribution_file_*` facts of the target (none when no file is found).
pub fn add(host: &Host, os_release: &IndexMap<String, String>, facts: &mut Facts) {
    let distro_id = os_release
        .get("ID")
        .map(|id| id.to_lowercase())
        .unwrap_or_default();
    for dist in DIST_FILES {
        let Some(bytes) = host.read_file(Path::new(dist.path)).ok().flatten() else {
            continue;
        };
        if dist.allow_empty {
            insert_chosen(facts, dist, None, None);
            return;
        }
        if bytes.is_empty() {
            continue;
        }
        let text = String::from_utf8_lossy(&bytes);
        let data = text.trim().trim_matches(['\'', '"', '\\']);
        if let Some(&(_, search)) = SEARCH_STRINGS.iter().find(|(v, _)| *v == dist.variety) {
            let found = data.contains(search).then_some(search);
            insert_chosen(facts, dist, Some(true), found);
            return;
        }
        if accepts(dist, data, &distro_id) {
            insert_chosen(facts, dist, Some(true), None);
            return;
        }
    }
}

fn insert_chosen(facts: &mut Facts, dist: &DistFile, parsed: Option<bool>, search: Option<&str>) {
    tracing::debug!(
        path = dist.path,
        variety = dist.variety,
        "facts: distribution file"
    );
    facts.insert("distribution_file_path".into(), Value::from(dist.path));
    facts.insert(
        "distribution_file_variety".into(),
        Value::from(dist.variety),
    );
    if let Some(parsed) = parsed {
        facts.insert("distribution_file_parsed".into(), Value::from(parsed));
    }
    if let Some(search) = search {
        facts.insert(
            "distribution_file_search_string".into(),
            Value::from(search),
        );
    }
}

/// Whether the variety's `parse_distribution_file_*` of ansible-core returns parsed
/// for `data` (a variety without a parser never does).
fn accepts(dist: &DistFile, data: &str, distro_id: &str) -> bool {
    match dist.variety {
        "Archlinux" => data.contains("Arch Linux"),
        "Slackware" => data.contains("Slackware"),
        "Amazon" => data.contains("Amazon"),
        "Alpine" | "NA" => true,
        "SUSE" => data.to_lowercase().contains("suse"),
        "Debian" => debian_accepts(dist.path, data),
        "Mandriva" => data.contains("Mandriva"),
        "OpenWrt" => data.contains("OpenWrt"),
        "CentOS" => data.contains("CentOS Stream") || data.contains("TencentOS Server"),
        "ClearLinux" => clear_linux_accepts(data),
        "Coreos" => distro_id == "coreos",
        "Flatcar" => distro_id == "flatcar",
        _ => false,
    }
}

/// `parse_distribution_file_Debian`: the Debian family's names it knows.
fn debian_accepts(path: &str, data: &str) -> bool {
    let kali_or_parrot = matches!(path, "/etc/lsb-release" | "/etc/os-release")
        && (data.contains("Kali") || data.contains("Parrot"));
    [
        "Debian", "Raspbian", "Ubuntu", "SteamOS", "Devuan", "Cumulus", "Mint", "UOS", "Uos",
        "uos", "Deepin", "deepin", "LMDE",
    ]
    .iter()
    .any(|name| data.contains(name))
        || kali_or_parrot
}

/// `parse_distribution_file_ClearLinux`: refused when a `NAME="…"` names another.
fn clear_linux_accepts(data: &str) -> bool {
    match data.split_once("NAME=\"") {
        Some((_, rest)) => rest
            .lines()
            .next()
            .unwrap_or_default()
            .contains("Clear Linux"),
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(files: &[(&str, &str)]) -> Facts {
        let root = tempfile::tempdir().expect("tempdir");
        for (path, content) in files {
            let path = root.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(path.parent().expect("parent")).expect("dirs");
            std::fs::write(path, content).expect("write");
        }
        let host =
            Host::new(machinist_modules::HostOptions::new(root.path())).expect("host in root");
        let os_release = files
            .iter()
            .find(|(path, _)| *path == "/etc/os-release")
            .map(|(_, text)| super::super::parse_os_release(text))
            .unwrap_or_default();
        let mut facts = Facts::new();
        add(&host, &os_release, &mut facts);
        facts
    }

    fn shown(facts: &Facts) -> Vec<String> {
        facts.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    const DEBIAN: &str =
        "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nNAME=\"Debian GNU/Linux\"\nID=debian\n";
    const ARCH: &str = "NAME=\"Arch Linux\"\nPRETTY_NAME=\"Arch Linux\"\nID=arch\n";

    #[test]
    fn debian_answers_its_os_release() {
        let facts = chosen(&[
            ("/etc/os-release", DEBIAN),
            ("/etc/debian_version", "12.8\n"),
        ]);
        assert_eq!(
            shown(&facts),
            [
                "distribution_file_path=/etc/os-release",
                "distribution_file_variety=Debian",
                "distribution_file_parsed=True"
            ]
        );
    }

    #[test]
    fn arch_answers_its_empty_arch_release_else_os_release() {
        let facts = chosen(&[("/etc/os-release", ARCH), ("/etc/arch-release", "")]);
        assert_eq!(
            shown(&facts),
            [
                "distribution_file_path=/etc/arch-release",
                "distribution_file_variety=Archlinux"
            ]
        );
        let facts = chosen(&[("/etc/os-release", ARCH)]);
        assert_eq!(
            shown(&facts),
            [
                "distribution_file_path=/etc/os-release",
                "distribution_file_variety=Archlinux",
                "distribution_file_parsed=True"
            ]
        );
    }

    #[test]
    fn search_strings_and_the_last_resort() {
        let facts = chosen(&[(
            "/etc/redhat-release",
            "Red Hat Enterprise Linux release 9.4\n",
        )]);
        assert_eq!(facts["distribution_file_variety"].to_string(), "RedHat");
        assert_eq!(
            facts["distribution_file_search_string"].to_string(),
            "Red Hat"
        );
        let facts = chosen(&[("/etc/redhat-release", "Fedora release 40\n")]);
        assert!(!facts.contains_key("distribution_file_search_string"));
        let facts = chosen(&[("/etc/os-release", "NAME=Other\nID=other\n")]);
        assert_eq!(facts["distribution_file_variety"].to_string(), "NA");
        assert!(chosen(&[]).is_empty());
    }
}
