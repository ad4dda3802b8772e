//! The distribution facts Ansible computes beyond os-release's fields:
//! `distribution_version` (Debian's point release from /etc/debian_version, as
//! ansible-core's `distro.version(best=True)` picks it), `distribution_major_version`,
//! `distribution_minor_version` (Debian), `distribution_release` (`NA` when the system
//! names no codename), `lsb` (from /etc/lsb-release, else from `lsb_release -a` on a
//! running system that has it; `{}` without either) and `pkg_mgr`
//! (which package manager's binary the target has, then the family's rule, as
//! ansible-core's pkg_mgr collector decides). All read from the target's files through
//! the Host.

use super::Facts;
use indexmap::IndexMap;
use machinist_modules::Host;
use minijinja::Value;
use std::collections::BTreeMap;
use std::path::Path;

/// The distribution's version, release and package manager facts; `lsb` from the
/// tool is still running when this returns (see [`LsbRelease`]).
pub fn add(
    host: &Host,
    os_release: &IndexMap<String, String>,
    os_family: &str,
    facts: &mut Facts,
) -> Option<LsbRelease> {
    let field = |key: &str| os_release.get(key).cloned().unwrap_or_default();
    let debian_version = super::read_text(host, "/etc/debian_version")
        .map(|text| text.trim().to_string())
        .unwrap_or_default();
    let lsb_release = super::read_text(host, "/etc/lsb-release")
        .map(|text| super::parse_os_release(&text))
        .unwrap_or_default();
    let version = version(
        &field("ID"),
        &field("VERSION_ID"),
        lsb_release
            .get("DISTRIB_RELEASE")
            .map(String::as_str)
            .unwrap_or_default(),
        &debian_version,
    );
    let (lsb, running) = match lsb(&lsb_release) {
        Some(from_file) => (from_file, None),
        None if host.root() == Path::new("/") => (BTreeMap::new(), LsbRelease::start()),
        None => (BTreeMap::new(), None),
    };
    facts.insert("lsb".into(), Value::from(lsb));
    let major = version
        .split('.')
        .next()
        .filter(|m| !m.is_empty())
        .unwrap_or("NA");
    facts.insert("distribution_major_version".into(), Value::from(major));
    if field("ID") == "debian" {
        if let Some(minor) = debian_minor_version(&debian_version) {
            facts.insert("distribution_minor_version".into(), Value::from(minor));
        }
    }
    facts.insert("distribution_version".into(), Value::from(version));
    facts.insert(
        "distribution_release".into(),
        Value::from(release(os_release)),
    );
    facts.insert(
        "pkg_mgr".into(),
        Value::from(pkg_mgr(os_family, |path| {
            host.exists(Path::new(path)).unwrap_or(false)
        })),
    );
    running
}

/// ansible-core's `get_distribution_version`: os-release's `VERSION_ID`, else the
/// lsb release; on Debian the candidate with the most dots (/etc/debian_version's
/// `12.11` over `12`); `NA` when none says.
fn version(id: &str, version_id: &str, lsb_release: &str, debian_version: &str) -> String {
    let mut candidates = vec![version_id, lsb_release];
    if id == "debian" {
        candidates.push(debian_version);
        let mut best = "";
        for candidate in candidates {
            if best.is_empty() || candidate.matches('.').count() > best.matches('.').count() {
                best = candidate;
            }
        }
        return if best.is_empty() {
            "NA".into()
        } else {
            best.into()
        };
    }
    candidates
        .into_iter()
        .find(|candidate| !candidate.is_empty())
        .unwrap_or("NA")
        .to_string()
}

/// The second number of /etc/debian_version's `12.11`, as Ansible reads it.
fn debian_minor_version(debian_version: &str) -> Option<String> {
    let (major, rest) = debian_version.split_once('.')?;
    let digits = |s: &str| s.chars().all(|c| c.is_ascii_digit()) && !s.is_empty();
    let major_digits: String = major
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect();
    let minor: String = rest.chars().take_while(char::is_ascii_digit).collect();
    (digits(&major_digits) && digits(&minor)).then_some(minor)
}

/// Ansible's `lsb` from /etc/lsb-release's `DISTRIB_*` fields (values unquoted, as
/// the `lsb_release` tool ansible-core prefers prints them), with `major_release`;
/// `None` when the file names none.
fn lsb(fields: &IndexMap<String, String>) -> Option<BTreeMap<String, Value>> {
    let mut lsb: BTreeMap<String, Value> = BTreeMap::new();
    for (key, name) in [
        ("DISTRIB_ID", "id"),
        ("DISTRIB_RELEASE", "release"),
        ("DISTRIB_DESCRIPTION", "description"),
        ("DISTRIB_CODENAME", "codename"),
    ] {
        if let Some(value) = fields.get(key) {
            lsb.insert(name.into(), Value::from(value.as_str()));
        }
    }
    if let Some(release) = fields.get("DISTRIB_RELEASE") {
        let major = release.split('.').next().unwrap_or_default();
        lsb.insert("major_release".into(), Value::from(major));
    }
    (!lsb.is_empty()).then_some(lsb)
}

/// `lsb_release -a`, run on a running system that has the tool (Debian's
/// `lsb-release` package) but no /etc/lsb-release, as ansible-core runs it. Debian's
/// is a shell script of a dozen processes (some 45 ms): it runs while the other
/// facts are read, and [`LsbRelease::finish`] reads its answer.
pub struct LsbRelease(std::process::Child);

impl LsbRelease {
    fn start() -> Option<LsbRelease> {
        std::process::Command::new("lsb_release")
            .arg("-a")
            .env("LC_ALL", "C")
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .spawn()
            .ok()
            .map(LsbRelease)
    }

    /// Ansible's `lsb` from the tool's answer; empty when it failed.
    pub fn finish(self) -> BTreeMap<String, Value> {
        match self.0.wait_with_output() {
            Ok(output) if output.status.success() => {
                tracing::debug!("facts: lsb from lsb_release -a");
                parse_lsb_release(&String::from_utf8_lossy(&output.stdout))
            }
            _ => BTreeMap::new(),
        }
    }
}

/// `lsb_release -a`'s lines as ansible-core reads them (quotes and backslashes
/// stripped from the ends), with `major_release`.
fn parse_lsb_release(text: &str) -> BTreeMap<String, Value> {
    let mut lsb: BTreeMap<String, String> = BTreeMap::new();
    for line in text.lines() {
        let Some((_, value)) = line.split_once(':') else {
            continue;
        };
        let value = value.trim().to_string();
        let name = if line.contains("LSB Version:") || line.contains("Release:") {
            "release"
        } else if line.contains("Distributor ID:") {
            "id"
        } else if line.contains("Description:") {
            "description"
        } else if line.contains("Codename:") {
            "codename"
        } else {
            continue;
        };
        lsb.insert(name.into(), value);
    }
    if let Some(release) = lsb.get("release") {
        let major = release.split('.').next().unwrap_or_default().to_string();
        lsb.insert("major_release".into(), major);
    }
    lsb.into_iter()
        .map(|(name, value)| {
            let stripped = value.trim_matches(['\'', '"', '\\']);
            (name, Value::from(stripped))
        })
        .collect()
}

/// `VERSION_CODENAME`, `UBUNTU_CODENAME`, or the parenthesised name in `VERSION`
/// (`12 (bookworm)`); `NA` when there is none (Arch).
fn release(os_release: &IndexMap<String, String>) -> String {
    let named = |key: &str| os_release.get(key).filter(|v| !v.is_empty()).cloned();
    named("VERSION_CODENAME")
        .or_else(|| named("UBUNTU_CODENAME"))
        .or_else(|| {
            let version = named("VERSION")?;
            let (_, inside) = version.split_once('(')?;
            let codename = inside.split(')').next()?.trim();
            (!codename.is_empty()).then(|| codename.to_string())
        })
        .unwrap_or_else(|| "NA".into())
}

/// ansible-core's list: the last one whose binary exists names the manager.
const PKG_MGRS: &[(&str, &str)] = &[
    ("/usr/bin/rpm-ostree", "atomic_container"),
    ("/usr/bin/yum", "dnf"),
    ("/usr/bin/dnf-3", "dnf"),
    ("/usr/bin/dnf5", "dnf5"),
    ("/usr/bin/apt-get", "apt"),
    ("/usr/bin/zypper", "zypper"),
    ("/usr/sbin/urpmi", "urpmi"),
    ("/usr/bin/pacman", "pacman"),
    ("/bin/opkg", "opkg"),
    ("/usr/pkg/bin/pkgin", "pkgin"),
    ("/opt/local/bin/pkgin", "pkgin"),
    ("/opt/tools/bin/pkgin", "pkgin"),
    ("/opt/local/bin/port", "macports"),
    ("/usr/local/bin/brew", "homebrew"),
    ("/opt/homebrew/bin/brew", "homebrew"),
    ("/sbin/apk", "apk"),
    ("/usr/sbin/pkg", "pkgng"),
    ("/usr/sbin/swlist", "swdepot"),
    ("/usr/bin/emerge", "portage"),
    ("/usr/sbin/pkgadd", "svr4pkg"),
    ("/usr/bin/pkg", "pkg5"),
    ("/usr/bin/xbps-install", "xbps"),
    ("/usr/local/sbin/pkg", "pkgng"),
    ("/usr/bin/swupd", "swupd"),
    ("/usr/sbin/sorcery", "sorcery"),
    ("/usr/bin/installp", "installp"),
];

/// `pkg_mgr` as ansible-core's collector decides, `exists` answering for the target.
fn pkg_mgr(os_family: &str, exists: impl Fn(&str) -> bool) -> String {
    let mut found = "unknown";
    for (path, name) in PKG_MGRS {
        if os_family == "Altlinux" && *path == "/usr/bin/pkg" {
            continue;
        }
        if exists(path) {
            found = name;
        }
    }
    match os_family {
        "RedHat" => {
            if exists("/run/ostree-booted") {
                return "atomic_container".into();
            }
            let dnf5 = exists("/usr/bin/dnf5") && !exists("/usr/bin/dnf-3");
            if exists("/usr/bin/dnf") || exists("/usr/bin/microdnf") {
                return if dnf5 { "dnf5" } else { "dnf" }.into();
            }
            "unknown".into()
        }
        "Debian" => "apt".into(),
        "Altlinux" if found == "apt" => "apt_rpm".into(),
        _ => found.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lsb_release_output_as_ansible_reads_it() {
        let lsb = parse_lsb_release(
            "No LSB modules are available.\nDistributor ID:\tDebian\n\
             Description:\tDebian GNU/Linux 12 (bookworm)\nRelease:\t12\nCodename:\tbookworm\n",
        );
        let text = |key: &str| lsb[key].to_string();
        assert_eq!(text("id"), "Debian");
        assert_eq!(text("release"), "12");
        assert_eq!(text("major_release"), "12");
        assert_eq!(text("codename"), "bookworm");
        assert_eq!(text("description"), "Debian GNU/Linux 12 (bookworm)");
    }

    #[test]
    fn debian_takes_the_point_release() {
        assert_eq!(version("debian", "12", "", "12.11"), "12.11");
        assert_eq!(debian_minor_version("12.11").as_deref(), Some("11"));
        assert_eq!(version("debian", "", "", "trixie/sid"), "trixie/sid");
        assert_eq!(debian_minor_version("trixie/sid"), None);
    }

    #[test]
    fn others_take_version_id_and_arch_has_none() {
        assert_eq!(version("ubuntu", "24.04", "24.04", ""), "24.04");
        assert_eq!(version("arch", "", "", ""), "NA");
        assert_eq!(version("arch", "", "rolling", ""), "rolling");
    }

    #[test]
    fn release_from_codename_or_version() {
        let fields = |text: &str| crate::facts::parse_os_release(text);
        assert_eq!(release(&fields("VERSION_CODENAME=bookworm\n")), "bookworm");
        assert_eq!(release(&fields("VERSION=\"12 (bookworm)\"\n")), "bookworm");
        assert_eq!(release(&fields("ID=arch\nBUILD_ID=rolling\n")), "NA");
    }

    #[test]
    fn lsb_from_the_lsb_release_file() {
        let fields = crate::facts::parse_os_release(
            "DISTRIB_ID=Ubuntu\nDISTRIB_RELEASE=24.04\nDISTRIB_CODENAME=noble\n\
             DISTRIB_DESCRIPTION=\"Ubuntu 24.04 LTS\"\n",
        );
        let found = serde_json::to_value(lsb(&fields)).expect("json");
        assert_eq!(
            found,
            serde_json::json!({"id": "Ubuntu", "release": "24.04", "codename": "noble",
                "description": "Ubuntu 24.04 LTS", "major_release": "24"})
        );
        assert_eq!(lsb(&IndexMap::new()), None);
    }

    #[test]
    fn package_manager_by_binary_and_family() {
        let on = |paths: &'static [&'static str]| move |p: &str| paths.contains(&p);
        assert_eq!(pkg_mgr("Archlinux", on(&["/usr/bin/pacman"])), "pacman");
        assert_eq!(pkg_mgr("Debian", on(&["/usr/bin/apt-get"])), "apt");
        assert_eq!(pkg_mgr("Debian", on(&[])), "apt");
        assert_eq!(pkg_mgr("Alpine", on(&["/sbin/apk"])), "apk");
        assert_eq!(
            pkg_mgr("RedHat", on(&["/usr/bin/dnf", "/usr/bin/dnf-3"])),
            "dnf"
        );
        assert_eq!(pkg_mgr("Archlinux", on(&[])), "unknown");
    }
}
