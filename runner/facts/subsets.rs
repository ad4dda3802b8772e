//! `gather_subset` as ansible-core 2.19 reads it on Linux: its fact collectors
//! (`platform`, `distribution`, `hardware`, `network`, `dns`, `user`, …), each named by
//! its own name or one of its fact ids (`devices` names `hardware`, `os_family` names
//! `distribution`), with `all`, `min` and `!name`, the collectors a chosen one
//! requires (`network` brings `platform` and `distribution`), and which collector
//! gives each fact machinist gathers. Checked when a play loads (a templated list when
//! it is rendered), applied by run/setup.rs.

use std::collections::BTreeSet;

/// One of ansible-core's Linux fact collectors.
struct Collector {
    name: &'static str,
    /// The fact ids that name it in `gather_subset` too.
    ids: &'static [&'static str],
    /// The collectors it needs gathered first (gathered with it).
    requires: &'static [&'static str],
    /// The facts it gives (names without `ansible_`); a network interface's own fact
    /// (`eth0`) is the `network` collector's too.
    facts: &'static [&'static str],
}

/// Collectors whose facts machinist does not gather: refused when named, left out
/// of `all` (they run a program or Python ansible-core has and machinist does not).
const NOT_GATHERED: &[(&str, &str)] = &[
    ("systemd", "it runs systemctl --version"),
    ("facter", "it runs facter"),
    ("ohai", "it runs ohai"),
];

const COLLECTORS: &[Collector] = &[
    Collector {
        name: "platform",
        ids: &[
            "system",
            "kernel",
            "kernel_version",
            "machine",
            "python_version",
            "architecture",
            "machine_id",
        ],
        requires: &[],
        facts: &[
            "system",
            "kernel",
            "kernel_version",
            "machine",
            "architecture",
            "userspace_bits",
            "userspace_architecture",
            "fqdn",
            "hostname",
            "nodename",
            "domain",
            "machine_id",
        ],
    },
    Collector {
        name: "distribution",
        ids: &[
            "distribution_version",
            "distribution_release",
            "distribution_major_version",
            "os_family",
        ],
        requires: &[],
        facts: &[
            "distribution",
            "distribution_version",
            "distribution_release",
            "distribution_major_version",
            "distribution_minor_version",
            "distribution_file_path",
            "distribution_file_variety",
            "distribution_file_parsed",
            "distribution_file_search_string",
            "os_family",
            "os_release",
        ],
    },
    Collector {
        name: "lsb",
        ids: &[],
        requires: &[],
        facts: &["lsb"],
    },
    Collector {
        name: "selinux",
        ids: &[],
        requires: &[],
        facts: &["selinux", "selinux_python_present"],
    },
    Collector {
        name: "apparmor",
        ids: &[],
        requires: &[],
        facts: &["apparmor"],
    },
    Collector {
        name: "chroot",
        ids: &["is_chroot"],
        requires: &[],
        facts: &["is_chroot"],
    },
    Collector {
        name: "fips",
        ids: &[],
        requires: &[],
        facts: &["fips"],
    },
    // Gathered, with no facts: ansible-core's are the Python that ran its module, and
    // machinist runs none (docs/ansible-differences.md).
    Collector {
        name: "python",
        ids: &[],
        requires: &[],
        facts: &[],
    },
    Collector {
        name: "caps",
        ids: &["system_capabilities", "system_capabilities_enforced"],
        requires: &[],
        facts: &["system_capabilities", "system_capabilities_enforced"],
    },
    Collector {
        name: "pkg_mgr",
        ids: &[],
        requires: &["distribution"],
        facts: &["pkg_mgr"],
    },
    Collector {
        name: "service_mgr",
        ids: &[],
        requires: &["platform", "distribution"],
        facts: &["service_mgr"],
    },
    Collector {
        name: "cmdline",
        ids: &[],
        requires: &[],
        facts: &["cmdline", "proc_cmdline"],
    },
    Collector {
        name: "date_time",
        ids: &[],
        requires: &[],
        facts: &["date_time"],
    },
    Collector {
        name: "env",
        ids: &[],
        requires: &[],
        facts: &["env"],
    },
    Collector {
        name: "loadavg",
        ids: &[],
        requires: &[],
        facts: &["loadavg"],
    },
    Collector {
        name: "ssh_pub_keys",
        ids: &[
            "ssh_host_pub_keys",
            "ssh_host_key_dsa_public",
            "ssh_host_key_rsa_public",
            "ssh_host_key_ecdsa_public",
            "ssh_host_key_ed25519_public",
        ],
        requires: &[],
        facts: &[
            "ssh_host_key_dsa_public",
            "ssh_host_key_dsa_public_keytype",
            "ssh_host_key_rsa_public",
            "ssh_host_key_rsa_public_keytype",
            "ssh_host_key_ecdsa_public",
            "ssh_host_key_ecdsa_public_keytype",
            "ssh_host_key_ed25519_public",
            "ssh_host_key_ed25519_public_keytype",
        ],
    },
    Collector {
        name: "user",
        ids: &[
            "user_id",
            "user_uid",
            "user_gid",
            "user_gecos",
            "user_dir",
            "user_shell",
            "real_user_id",
            "effective_user_id",
            "effective_group_ids",
        ],
        requires: &[],
        facts: &[
            "user_id",
            "user_uid",
            "user_gid",
            "user_gecos",
            "user_dir",
            "user_shell",
            "real_user_id",
            "effective_user_id",
            "real_group_id",
            "effective_group_id",
        ],
    },
    Collector {
        name: "systemd",
        ids: &[],
        requires: &[],
        facts: &[],
    },
    Collector {
        name: "virtual",
        ids: &[
            "virtualization_type",
            "virtualization_role",
            "virtualization_tech_guest",
            "virtualization_tech_host",
        ],
        requires: &[],
        facts: &["virtualization_type", "virtualization_role"],
    },
    Collector {
        name: "hardware",
        ids: &[
            "processor",
            "processor_cores",
            "processor_count",
            "mounts",
            "devices",
        ],
        requires: &["platform"],
        facts: &[
            "processor",
            "processor_count",
            "processor_cores",
            "processor_threads_per_core",
            "processor_vcpus",
            "processor_nproc",
            "flags",
            "memtotal_mb",
            "memfree_mb",
            "swaptotal_mb",
            "swapfree_mb",
            "memory_mb",
            "bios_date",
            "bios_vendor",
            "bios_version",
            "board_asset_tag",
            "board_name",
            "board_serial",
            "board_vendor",
            "board_version",
            "chassis_asset_tag",
            "chassis_serial",
            "chassis_vendor",
            "chassis_version",
            "form_factor",
            "product_name",
            "product_serial",
            "product_uuid",
            "product_version",
            "system_vendor",
            "devices",
            "device_links",
            "uptime_seconds",
            "lvm",
            "mounts",
        ],
    },
    Collector {
        name: "dns",
        ids: &[],
        requires: &[],
        facts: &["dns"],
    },
    Collector {
        name: "fibre_channel_wwn",
        ids: &[],
        requires: &[],
        facts: &["fibre_channel_wwn"],
    },
    Collector {
        name: "network",
        ids: &[
            "interfaces",
            "default_ipv4",
            "default_ipv6",
            "all_ipv4_addresses",
            "all_ipv6_addresses",
        ],
        requires: &["distribution", "platform"],
        facts: &[
            "interfaces",
            "default_ipv4",
            "default_ipv6",
            "all_ipv4_addresses",
            "all_ipv6_addresses",
        ],
    },
    Collector {
        name: "iscsi",
        ids: &[],
        requires: &[],
        facts: &["iscsi_iqn"],
    },
    Collector {
        name: "nvme",
        ids: &[],
        requires: &[],
        facts: &["hostnqn"],
    },
    Collector {
        name: "local",
        ids: &[],
        requires: &[],
        facts: &["local"],
    },
    Collector {
        name: "facter",
        ids: &[],
        requires: &[],
        facts: &[],
    },
    Collector {
        name: "ohai",
        ids: &[],
        requires: &[],
        facts: &[],
    },
];

/// ansible-core's `minimal_gather_subset` (setup.py): gathered unless `!min`.
const MINIMAL: &[&str] = &[
    "apparmor",
    "caps",
    "cmdline",
    "date_time",
    "distribution",
    "dns",
    "env",
    "fips",
    "local",
    "lsb",
    "pkg_mgr",
    "platform",
    "python",
    "selinux",
    "service_mgr",
    "ssh_pub_keys",
    "user",
];

/// The collectors `gather_subset` chooses.
#[derive(Debug, PartialEq, Eq)]
pub struct Subsets {
    collectors: BTreeSet<&'static str>,
}

impl Subsets {
    /// Whether the fact `name` (without `ansible_`) is gathered; `interface` says it
    /// is a network interface's own fact (`eth0`).
    pub fn keeps(&self, name: &str, interface: bool) -> bool {
        let owner = match interface {
            true => Some("network"),
            false => COLLECTORS
                .iter()
                .find(|collector| collector.facts.contains(&name))
                .map(|collector| collector.name),
        };
        owner.is_some_and(|owner| self.collectors.contains(owner))
    }

    /// The collectors chosen, by name.
    pub fn collectors(&self) -> impl Iterator<Item = &'static str> + '_ {
        self.collectors.iter().copied()
    }
}

/// Whether ansible-core gives the fact `name`: one of a collector's.
pub fn is_known_fact(name: &str) -> bool {
    COLLECTORS
        .iter()
        .any(|collector| collector.facts.contains(&name))
}

/// Every name `gather_subset` takes: the collectors and their fact ids.
fn valid_names() -> BTreeSet<&'static str> {
    COLLECTORS
        .iter()
        .flat_map(|collector| std::iter::once(collector.name).chain(collector.ids.iter().copied()))
        .collect()
}

/// The collector a name (its own or a fact id) stands for.
fn collector_named(name: &str) -> Option<&'static Collector> {
    COLLECTORS
        .iter()
        .find(|collector| collector.name == name || collector.ids.contains(&name))
}

/// The collectors `names` choose, as ansible-core's `get_collector_names` and
/// `_solve_deps` decide: `min` and the named ones, less the `!` ones (a collector's
/// `!name` leaves its fact ids out too) unless named as well, plus what they require.
pub fn subsets(names: &[String]) -> Result<Subsets, String> {
    let valid = valid_names();
    let minimal: BTreeSet<&str> = MINIMAL.iter().copied().collect();
    let mut added: BTreeSet<&str> = minimal.clone();
    let mut excluded: BTreeSet<String> = BTreeSet::new();
    let mut explicit: BTreeSet<&str> = BTreeSet::new();
    for name in names {
        let name = name.trim();
        match name.strip_prefix('!').map(str::trim) {
            Some("min") => excluded.extend(minimal.iter().map(|n| n.to_string())),
            Some("all") => excluded.extend(valid.difference(&minimal).map(|n| n.to_string())),
            Some(subset) => {
                if let Some(collector) = COLLECTORS.iter().find(|c| c.name == subset) {
                    excluded.extend(collector.ids.iter().map(|id| id.to_string()));
                }
                excluded.insert(subset.to_string());
            }
            None if name == "min" => {}
            None if name == "all" => added.extend(valid.iter().copied()),
            None => {
                let Some(known) = valid.get(name).copied() else {
                    return Err(format!(
                        "Bad subset '{name}' given to gather_subset: options allowed: all, min, {}",
                        valid.iter().copied().collect::<Vec<_>>().join(", ")
                    ));
                };
                explicit.insert(known);
                added.insert(known);
            }
        }
    }
    added.retain(|name| !excluded.contains(*name) || explicit.contains(name));
    for name in &explicit {
        let collector = collector_named(name).map_or(*name, |collector| collector.name);
        if let Some((_, why)) = NOT_GATHERED.iter().find(|(n, _)| *n == collector) {
            return Err(format!(
                "gather_subset '{name}' is not supported: machinist does not gather the \
                 '{collector}' collector's facts ({why}); leave it out or write '!{name}'"
            ));
        }
    }
    let mut collectors: BTreeSet<&'static str> = added
        .iter()
        .filter_map(|name| collector_named(name))
        .map(|collector| collector.name)
        .collect();
    loop {
        let required: Vec<&'static str> = collectors
            .iter()
            .filter_map(|name| collector_named(name))
            .flat_map(|collector| collector.requires.iter().copied())
            .filter(|name| !collectors.contains(name))
            .collect();
        if required.is_empty() {
            break;
        }
        collectors.extend(required);
    }
    Ok(Subsets { collectors })
}

/// Whether `names` are subsets `gather_subset` takes (the message says why not).
pub fn check_subsets(names: &[String]) -> Result<(), String> {
    subsets(names).map(|_| ())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chosen(names: &[&str]) -> Vec<&'static str> {
        let names: Vec<String> = names.iter().map(|n| n.to_string()).collect();
        subsets(&names).expect("subsets").collectors().collect()
    }

    #[test]
    fn single_collectors_and_their_requirements() {
        assert_eq!(chosen(&["!all", "!min", "env"]), ["env"]);
        assert_eq!(
            chosen(&["!all", "!min", "devices"]),
            ["hardware", "platform"]
        );
        assert_eq!(
            chosen(&["!all", "!min", "default_ipv4"]),
            ["distribution", "network", "platform"]
        );
        assert_eq!(
            chosen(&["!all", "!min", "pkg_mgr"]),
            ["distribution", "pkg_mgr"]
        );
        assert_eq!(chosen(&["!all", "!min", "os_family"]), ["distribution"]);
        assert_eq!(chosen(&["!all", "!min", "is_chroot"]), ["chroot"]);
        // Named and left out: named wins.
        assert_eq!(chosen(&["!all", "!min", "env", "!env"]), ["env"]);
    }

    #[test]
    fn all_min_and_exclusions_as_ansible() {
        let min = chosen(&["min"]);
        assert!(min.contains(&"lsb") && !min.contains(&"hardware"));
        assert_eq!(chosen(&["!all"]), min);
        // Only exclusions: min alone, as ansible-core gives.
        assert_eq!(chosen(&["!hardware"]), min);
        assert_eq!(chosen(&["!bogus"]), min);
        let all = chosen(&["all"]);
        assert!(all.contains(&"hardware") && all.contains(&"network"));
        let no_hardware = chosen(&["all", "!hardware"]);
        assert!(!no_hardware.contains(&"hardware") && no_hardware.contains(&"virtual"));
        // A fact id left out does not leave its collector out.
        assert!(chosen(&["all", "!devices"]).contains(&"hardware"));
        let devices = chosen(&["devices"]);
        assert!(devices.contains(&"hardware") && devices.contains(&"lsb"));
        assert!(!devices.contains(&"network"));
    }

    #[test]
    fn unknown_names_and_ungathered_collectors_are_refused() {
        let bad = subsets(&["dmi".to_string()]).expect_err("dmi is no subset");
        assert!(bad.starts_with("Bad subset 'dmi'"), "{bad}");
        assert!(bad.contains("devices"), "{bad}");
        let systemd = subsets(&["systemd".to_string()]).expect_err("systemd");
        assert!(systemd.contains("systemctl"), "{systemd}");
        assert!(subsets(&["all".into(), "!facter".into(), "!systemd".into()]).is_ok());
        // caps runs capsh; python is gathered with no facts (machinist runs no Python).
        assert!(subsets(&["system_capabilities".to_string()]).is_ok());
        assert!(chosen(&["!all", "!min", "python"]) == ["python"]);
    }

    #[test]
    fn every_fact_has_one_collector() {
        let mut seen = BTreeSet::new();
        for collector in COLLECTORS {
            for fact in collector.facts {
                assert!(seen.insert(*fact), "{fact} twice");
            }
        }
    }
}
