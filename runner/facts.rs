//! The fact set `gather_facts` provides, with Ansible's names and shapes: hostname,
//! nodename, fqdn and domain (facts/names.rs),
//! os-release fields, architecture, the distribution's version, release and package
//! manager (facts/distribution.rs) and the release file Ansible reads them from
//! (facts/distribution_file.rs), the running system's machine id, service manager,
//! virtualization and default IPv4 route (facts/system.rs), its interfaces and
//! addresses (facts/addresses.rs), each interface's facts and `default_ipv6`
//! (facts/interfaces.rs), the gathering user and
//! environment (facts/user.rs), `date_time` (facts/date_time.rs), processors, memory
//! and uptime (facts/hardware.rs), the firmware's DMI tables (facts/dmi.rs), block
//! devices and their links (facts/devices.rs), `mounts` (facts/mounts.rs), `local`
//! (facts/local.rs), lvm (facts/lvm.rs), the capabilities (facts/caps.rs), each
//! interface's ethtool facts (facts/ethtool.rs) — these and a device's host and serial
//! run tools, as
//! facts/tools.rs says —, AppArmor, SELinux, FIPS and chroot (facts/security.rs), the ssh
//! host keys and storage initiators (facts/host_ids.rs), and the platform, kernel command line and resolver
//! (facts/platform.rs). Files are read from the TARGET (its root, or the system an
//! agent runs in) through the Host; kernel-wide values (uname, /proc) from the kernel.

mod addresses;
mod caps;
mod date_time;
mod devices;
mod distribution;
mod distribution_file;
mod dmi;
mod ethtool;
mod hardware;
mod host_ids;
mod interfaces;
mod local;
mod lvm;
mod mounts;
mod names;
mod platform;
mod security;
pub mod subsets;
mod system;
mod tools;
mod user;

/// Facts by name, without the `ansible_` prefix.
type Facts = IndexMap<String, Value>;

use indexmap::IndexMap;
use machinist_modules::Host;
use minijinja::Value;
use std::path::Path;

/// How to gather, as a `setup` task or a play says (sent to an agent as it is).
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Gathering {
    /// `fact_path`: the folder of the local facts (`/etc/ansible/facts.d`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fact_path: Option<String>,
    /// `gather_timeout`, in seconds (10): how long a mount's size may take.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<u64>,
}

/// ansible-core's default `gather_timeout`.
const DEFAULT_TIMEOUT: u64 = 10;

/// Facts as top-level `ansible_*` variables plus the `ansible_facts` mapping.
pub fn gather(host: &Host, gathering: &Gathering) -> IndexMap<String, Value> {
    let mut facts: Facts = IndexMap::new();
    let os_release = ["/etc/os-release", "/usr/lib/os-release"]
        .iter()
        .find_map(|p| read_text(host, p))
        .map(|text| parse_os_release(&text))
        .unwrap_or_default();
    let names = names::of(host);
    let field = |key: &str| os_release.get(key).cloned().unwrap_or_default();
    let distribution = match field("ID").as_str() {
        "arch" => "Archlinux".to_string(),
        "" => "Unknown".to_string(),
        _ => capitalize(&field("ID")),
    };
    let os_family = match field("ID").as_str() {
        "arch" => "Archlinux".to_string(),
        "debian" | "ubuntu" => "Debian".to_string(),
        _ => field("ID_LIKE")
            .split_whitespace()
            .next()
            .map(capitalize)
            .unwrap_or_else(|| distribution.clone()),
    };
    let uname = rustix::system::uname();
    let architecture = uname.machine().to_string_lossy().into_owned();
    facts.insert("hostname".into(), Value::from(names.hostname.as_str()));
    facts.insert("nodename".into(), Value::from(names.nodename.as_str()));
    facts.insert("fqdn".into(), Value::from(names.fqdn.as_str()));
    facts.insert("domain".into(), Value::from(names.domain.as_str()));
    facts.insert("architecture".into(), Value::from(architecture.as_str()));
    facts.insert("system".into(), Value::from("Linux"));
    facts.insert(
        "kernel".into(),
        Value::from(uname.release().to_string_lossy().into_owned()),
    );
    facts.insert("distribution".into(), Value::from(distribution));
    let lsb_running = distribution::add(host, &os_release, &os_family, &mut facts);
    distribution_file::add(host, &os_release, &mut facts);
    facts.insert("os_family".into(), Value::from(os_family));
    facts.insert(
        "os_release".into(),
        Value::from_iter(
            os_release
                .iter()
                .map(|(k, v)| (k.clone(), Value::from(v.as_str()))),
        ),
    );
    if let Some(machine_id) = system::machine_id(host) {
        facts.insert("machine_id".into(), Value::from(machine_id));
    }
    facts.insert("service_mgr".into(), Value::from(system::service_mgr(host)));
    let (virtualization_type, virtualization_role) = system::virtualization(host);
    facts.insert(
        "virtualization_type".into(),
        Value::from(virtualization_type),
    );
    facts.insert(
        "virtualization_role".into(),
        Value::from(virtualization_role),
    );
    let network = addresses::network(host);
    addresses::add(&network, &mut facts);
    let ethtool = ethtool::Ethtool::of(host);
    interfaces::add(
        &network,
        system::default_ipv4_route(host),
        ethtool.as_ref(),
        &mut facts,
    );
    platform::add(host, &mut facts);
    user::add(host, &mut facts);
    date_time::add(&mut facts);
    hardware::add(&architecture, &mut facts);
    dmi::add(Path::new(dmi::DMI_DIR), &mut facts);
    // The tools these run (sg_inq, lspci; vgs, lvs, pvs) take a while: side by side.
    let lvm = std::thread::scope(|scope| {
        let lvm = scope.spawn(|| lvm::fact(host));
        devices::add(
            &devices::Sources::default(),
            &devices::Tools::of(host),
            &mut facts,
        );
        lvm.join()
    });
    facts.insert(
        "lvm".into(),
        lvm.unwrap_or_else(|_| Value::from(lvm::NOT_GATHERED)),
    );
    security::add(host, &mut facts);
    caps::add(host, &mut facts);
    host_ids::add(host, &mut facts);
    let timeout = std::time::Duration::from_secs(gathering.timeout.unwrap_or(DEFAULT_TIMEOUT));
    mounts::add(host, timeout, &mut facts);
    let fact_path = gathering
        .fact_path
        .as_deref()
        .unwrap_or(local::DEFAULT_FACT_PATH);
    facts.insert("local".into(), Value::from(local::gather(host, fact_path)));
    if let Some(running) = lsb_running {
        facts.insert("lsb".into(), Value::from(running.finish()));
    }
    let mut vars: IndexMap<String, Value> = facts
        .iter()
        .map(|(k, v)| (format!("ansible_{k}"), v.clone()))
        .collect();
    vars.insert("ansible_facts".into(), Value::from_iter(facts));
    vars
}

fn read_text(host: &Host, path: &str) -> Option<String> {
    let bytes = host.read_file(Path::new(path)).ok()??;
    String::from_utf8(bytes).ok()
}

/// A kernel file's text as ansible-core's `get_file_content` gives it: stripped, and
/// none when it is missing, unreadable or blank.
fn sys_content(path: &Path) -> Option<String> {
    let text = std::fs::read_to_string(path).ok()?;
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}

/// os-release(5): `KEY=value` lines, values optionally quoted.
pub fn parse_os_release(text: &str) -> IndexMap<String, String> {
    text.lines()
        .filter_map(|line| {
            let line = line.trim();
            if line.starts_with('#') {
                return None;
            }
            let (key, value) = line.split_once('=')?;
            let value = value.trim();
            let unquoted = value
                .strip_prefix('"')
                .and_then(|v| v.strip_suffix('"'))
                .or_else(|| value.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')))
                .unwrap_or(value);
            Some((key.to_string(), unquoted.replace("\\\"", "\"")))
        })
        .collect()
}

fn capitalize(word: &str) -> String {
    let mut chars = word.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_os_release() {
        let fields =
            parse_os_release("NAME=\"Arch Linux\"\nID=arch\n# comment\nBUILD_ID=rolling\n");
        assert_eq!(fields["NAME"], "Arch Linux");
        assert_eq!(fields["ID"], "arch");
        assert_eq!(fields["BUILD_ID"], "rolling");
    }

    #[test]
    fn every_fact_gathered_here_belongs_to_a_collector() {
        let host = Host::new(machinist_modules::HostOptions::new(Path::new("/"))).expect("host");
        let vars = gather(&host, &Gathering::default());
        let Some(facts) = vars.get("ansible_facts") else {
            panic!("no ansible_facts")
        };
        let facts = serde_json::to_value(facts).expect("facts are JSON");
        let interfaces: Vec<String> = facts["interfaces"]
            .as_array()
            .expect("interfaces")
            .iter()
            .filter_map(|name| name.as_str().map(|name| name.replace(['-', ':'], "_")))
            .collect();
        for name in facts.as_object().expect("facts").keys() {
            assert!(
                subsets::is_known_fact(name) || interfaces.contains(name),
                "{name} has no collector"
            );
        }
    }
}
