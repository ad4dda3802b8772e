//! Ansible's `interfaces` and per-interface facts (`ansible_eth0`, `ansible_lo`, a bridge's with its
//! `interfaces`) and `default_ipv6`, shaped as ansible-core's Linux network
//! collector shapes them: what it reads in /sys/class/net/DEVICE (macaddress, mtu,
//! active, module, type, bridge and bonding details, pciid, speed, promisc) and
//! what it parses out of `ip addr` (ipv4, ipv4_secondaries, ipv6 with scope), here
//! from getifaddrs(3) (facts/addresses.rs) with no tool run; `features` and the
//! timestamping facts from ethtool where the target has it (facts/ethtool.rs). The kernel's views are
//! read only for a running target (facts/system.rs says why).

use super::addresses::{Address, Network};
use super::ethtool::Ethtool;
use super::Facts;
use minijinja::Value;
use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv6Addr};
use std::path::Path;

type Fields = BTreeMap<String, Value>;

/// ansible-core's names for /sys/class/net/DEVICE/type (ARPHRD_*).
pub fn link_type(arphrd: Option<&str>) -> &'static str {
    match arphrd {
        Some("1") => "ether",
        Some("32") => "infiniband",
        Some("512") => "ppp",
        Some("772") => "loopback",
        Some("65534") => "tunnel",
        _ => "unknown",
    }
}

fn sys_text(path: &Path) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_string())
}

/// One device's facts from /sys/class/net/DEVICE, as ansible-core reads them (a
/// file that cannot be read leaves its fact out).
fn device_facts(device: &str) -> Fields {
    let dir = Path::new("/sys/class/net").join(device);
    let read = |name: &str| sys_text(&dir.join(name));
    let mut fields = Fields::new();
    fields.insert("device".into(), Value::from(device));
    if let Some(mac) = read("address").filter(|mac| !mac.is_empty() && mac != "00:00:00:00:00:00") {
        fields.insert("macaddress".into(), Value::from(mac));
    }
    if let Some(mtu) = read("mtu").and_then(|mtu| mtu.parse::<i64>().ok()) {
        fields.insert("mtu".into(), Value::from(mtu));
    }
    if let Some(state) = read("operstate") {
        fields.insert("active".into(), Value::from(state != "down"));
    }
    if let Ok(module) = std::fs::canonicalize(dir.join("device/driver/module")) {
        if let Some(name) = module.file_name() {
            fields.insert(
                "module".into(),
                Value::from(name.to_string_lossy().as_ref()),
            );
        }
    }
    if dir.join("type").exists() {
        fields.insert(
            "type".into(),
            Value::from(link_type(read("type").as_deref())),
        );
    }
    if dir.join("bridge").exists() {
        fields.insert("type".into(), Value::from("bridge"));
        fields.insert("interfaces".into(), Value::from(entries(&dir.join("brif"))));
        if let Some(id) = read("bridge/bridge_id") {
            fields.insert("id".into(), Value::from(id));
        }
        if let Some(stp) = read("bridge/stp_state") {
            fields.insert("stp".into(), Value::from(stp == "1"));
        }
    }
    if dir.join("bonding").exists() {
        let first_word = |name: &str| {
            read(name).and_then(|text| text.split_whitespace().next().map(String::from))
        };
        fields.insert("type".into(), Value::from("bonding"));
        let slaves: Vec<String> = read("bonding/slaves")
            .unwrap_or_default()
            .split_whitespace()
            .map(String::from)
            .collect();
        fields.insert("slaves".into(), Value::from(slaves));
        for (fact, file) in [
            ("mode", "bonding/mode"),
            ("miimon", "bonding/miimon"),
            ("lacp_rate", "bonding/lacp_rate"),
        ] {
            if let Some(word) = first_word(file) {
                fields.insert(fact.into(), Value::from(word));
            }
        }
        if let Some(primary) = read("bonding/primary").filter(|p| !p.is_empty()) {
            fields.insert("primary".into(), Value::from(primary));
            if let Some(active) = read("bonding/all_slaves_active") {
                fields.insert("all_slaves_active".into(), Value::from(active == "1"));
            }
        }
    }
    if dir.join("bonding_slave").exists() {
        let perm = read("bonding_slave/perm_hwaddr").unwrap_or_default();
        fields.insert("perm_macaddress".into(), Value::from(perm));
    }
    if let Ok(target) = std::fs::read_link(dir.join("device")) {
        if let Some(name) = target.file_name() {
            fields.insert("pciid".into(), Value::from(name.to_string_lossy().as_ref()));
        }
    }
    if let Some(speed) = read("speed").and_then(|speed| speed.parse::<i64>().ok()) {
        fields.insert("speed".into(), Value::from(speed));
    }
    if let Some(flags) =
        read("flags").and_then(|flags| i64::from_str_radix(flags.trim_start_matches("0x"), 16).ok())
    {
        fields.insert("promisc".into(), Value::from(flags & 0x100 != 0));
    }
    fields
}

/// The names in a folder (a bridge's ports in `brif`), in directory order as
/// Python's glob gives them.
fn entries(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// An IPv4 address as `ip addr` shows it and Ansible shapes it.
fn ipv4_fields(found: &Address) -> Fields {
    let prefix = match found.netmask {
        Some(IpAddr::V4(mask)) => u32::from(mask).count_ones(),
        _ => 32,
    };
    let mask = u32::MAX.checked_shl(32 - prefix).unwrap_or(0);
    let address = match found.address {
        IpAddr::V4(v4) => u32::from(v4),
        IpAddr::V6(_) => 0,
    };
    let text = |n: u32| Value::from(std::net::Ipv4Addr::from(n).to_string());
    let broadcast = match found.broadcast {
        Some(IpAddr::V4(brd)) if prefix < 32 => brd.to_string(),
        _ => String::new(),
    };
    Fields::from([
        ("address".into(), Value::from(found.address.to_string())),
        ("broadcast".into(), Value::from(broadcast)),
        ("netmask".into(), text(mask)),
        ("network".into(), text(address & mask)),
        ("prefix".into(), Value::from(prefix.to_string())),
    ])
}

/// The scope `ip addr` prints for an IPv6 address (the kernel's ipv6_addr_scope).
pub fn ipv6_scope(address: &Ipv6Addr) -> &'static str {
    let first = address.segments()[0];
    if address.is_loopback() {
        "host"
    } else if first & 0xffc0 == 0xfe80 {
        "link"
    } else if first & 0xffc0 == 0xfec0 {
        "site"
    } else {
        "global"
    }
}

fn ipv6_fields(found: &Address) -> Fields {
    let prefix = match found.netmask {
        Some(IpAddr::V6(mask)) => u128::from(mask).count_ones(),
        _ => 128,
    };
    let scope = match found.address {
        IpAddr::V6(v6) => ipv6_scope(&v6),
        IpAddr::V4(_) => "global",
    };
    Fields::from([
        ("address".into(), Value::from(found.address.to_string())),
        ("prefix".into(), Value::from(prefix.to_string())),
        ("scope".into(), Value::from(scope)),
    ])
}

/// Every device's facts with its addresses, by Ansible's name for it (`:` as `_`);
/// an IPv4 address with a label of its own (`eth0:1`) is also an entry of that
/// label, as ansible-core makes one from `ip addr`'s last word.
fn all_devices(network: &Network, ethtool: Option<&Ethtool<'_>>) -> Vec<(String, Fields)> {
    let mut devices: Vec<(String, Fields)> = Vec::new();
    for device in &network.devices {
        let mut fields = device_facts(device);
        if let Some(ethtool) = ethtool {
            fields.extend(ethtool.device_facts(device));
        }
        let mut labels: Vec<(String, Fields)> = Vec::new();
        let mut secondaries: Vec<Value> = Vec::new();
        let mut ipv6: Vec<Value> = Vec::new();
        for found in network.addresses.iter().filter(|found| found.is_on(device)) {
            match found.address {
                IpAddr::V4(_) => {
                    let address = ipv4_fields(found);
                    if found.name != *device {
                        labels.push((
                            found.name.clone(),
                            Fields::from([("ipv4".into(), Value::from(address.clone()))]),
                        ));
                    }
                    if fields.contains_key("ipv4") {
                        secondaries.push(Value::from(address));
                    } else {
                        fields.insert("ipv4".into(), Value::from(address));
                    }
                }
                IpAddr::V6(_) => ipv6.push(Value::from(ipv6_fields(found))),
            }
        }
        if !secondaries.is_empty() {
            fields.insert("ipv4_secondaries".into(), Value::from(secondaries));
        }
        if !ipv6.is_empty() {
            fields.insert("ipv6".into(), Value::from(ipv6));
        }
        devices.push((device.clone(), fields));
        devices.extend(labels);
    }
    devices
        .into_iter()
        .map(|(name, fields)| (name.replace(':', "_"), fields))
        .collect()
}

/// A fact's name as Ansible's namespace makes it: `-` becomes `_`.
pub fn fact_name(device: &str) -> String {
    device.replace(['-', ':'], "_")
}

/// The per-interface facts, `default_ipv4` completed from its interface (as
/// ansible-core completes the route's interface and address) and `default_ipv6`.
pub fn add(
    network: &Network,
    default_ipv4: Option<DefaultRoute>,
    ethtool: Option<&Ethtool<'_>>,
    facts: &mut Facts,
) {
    let devices = all_devices(network, ethtool);
    let of = |interface: &str| {
        devices
            .iter()
            .find(|(name, _)| name == interface)
            .map(|(_, fields)| fields)
    };
    let mut ipv4 = Fields::new();
    if let Some(route) = default_ipv4 {
        ipv4.insert("address".into(), Value::from(route.address.as_str()));
        ipv4.insert("gateway".into(), Value::from(route.gateway.as_str()));
        ipv4.insert("interface".into(), Value::from(route.interface.as_str()));
        let found = network.addresses.iter().find(|found| {
            found.is_on(&route.interface) && found.address.to_string() == route.address
        });
        if let (Some(found), Some(device)) = (found, of(&route.interface)) {
            ipv4.extend(
                ipv4_fields(found)
                    .into_iter()
                    .filter(|(k, _)| k != "address"),
            );
            ipv4.extend(link_fields(&route.interface, device));
            ipv4.insert("alias".into(), Value::from(found.name.as_str()));
        }
    }
    facts.insert("default_ipv4".into(), Value::from(ipv4));
    let mut ipv6 = Fields::new();
    if let Some(route) = default_ipv6(network) {
        ipv6.insert("address".into(), Value::from(route.address.as_str()));
        if !route.gateway.is_empty() {
            ipv6.insert("gateway".into(), Value::from(route.gateway.as_str()));
        }
        ipv6.insert("interface".into(), Value::from(route.interface.as_str()));
        let found = network.addresses.iter().find(|found| {
            found.is_on(&route.interface) && found.address.to_string() == route.address
        });
        if let (Some(found), Some(device)) = (found, of(&route.interface)) {
            let fields = ipv6_fields(found);
            ipv6.extend(fields.into_iter().filter(|(k, _)| k != "address"));
            ipv6.extend(link_fields(&route.interface, device));
        }
    }
    facts.insert("default_ipv6".into(), Value::from(ipv6));
    let names: Vec<String> = devices.iter().map(|(name, _)| name.clone()).collect();
    facts.insert("interfaces".into(), Value::from(names));
    for (name, fields) in devices {
        facts.insert(fact_name(&name), Value::from(fields));
    }
}

/// The device's macaddress (as its `address` file has it, zeros too, as
/// ansible-core takes it), mtu and type, for a default route's facts.
fn link_fields(device: &str, fields: &Fields) -> Fields {
    let mac =
        sys_text(&Path::new("/sys/class/net").join(device).join("address")).unwrap_or_default();
    let mut link = Fields::from([("macaddress".into(), Value::from(mac))]);
    if let Some(mtu) = fields.get("mtu") {
        link.insert("mtu".into(), mtu.clone());
    }
    let kind = fields
        .get("type")
        .cloned()
        .unwrap_or_else(|| Value::from("unknown"));
    link.insert("type".into(), kind);
    link
}

/// A default route: its interface, the source address and the gateway (empty when
/// the route has none).
#[derive(Debug, PartialEq, Eq)]
pub struct DefaultRoute {
    pub interface: String,
    pub gateway: String,
    pub address: String,
}

/// The default IPv6 route (/proc/net/ipv6_route's `::/0` entry that is not a
/// reject route, the lowest metric first) and the source the kernel would pick:
/// the first global address on its device.
fn default_ipv6(network: &Network) -> Option<DefaultRoute> {
    let routes = sys_text(Path::new("/proc/net/ipv6_route"))?;
    let (interface, gateway) = default_ipv6_route(&routes)?;
    let address = network
        .addresses
        .iter()
        .find_map(|found| match found.address {
            IpAddr::V6(v6) if found.name == interface && ipv6_scope(&v6) == "global" => Some(v6),
            _ => None,
        })?;
    Some(DefaultRoute {
        interface,
        gateway: gateway.map(|g| g.to_string()).unwrap_or_default(),
        address: address.to_string(),
    })
}

const RTF_REJECT: u32 = 0x200;

/// The device and gateway of the best `::/0` route in /proc/net/ipv6_route.
fn default_ipv6_route(routes: &str) -> Option<(String, Option<Ipv6Addr>)> {
    let hex = |text: &str| u128::from_str_radix(text, 16).ok().map(Ipv6Addr::from);
    routes
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let [destination, length, _, _, next_hop, metric, _, _, flags, device] =
                fields.as_slice()
            else {
                return None;
            };
            let flags = u32::from_str_radix(flags, 16).ok()?;
            let default = hex(destination)?.is_unspecified() && *length == "00";
            if !default || flags & RTF_REJECT != 0 || *device == "lo" {
                return None;
            }
            let metric = u32::from_str_radix(metric, 16).ok()?;
            let gateway = hex(next_hop).filter(|hop| !hop.is_unspecified());
            Some((metric, device.to_string(), gateway))
        })
        .min_by_key(|(metric, _, _)| *metric)
        .map(|(_, device, gateway)| (device, gateway))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_default_ipv6_route_skips_reject_routes() {
        let routes = "\
fd000000000000000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 fd000000000000000000000000000001 00000400 00000003 00000000 00000003     eth0
00000000000000000000000000000000 00 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo
";
        assert_eq!(
            default_ipv6_route(routes),
            Some(("eth0".into(), Some("fd00::1".parse().unwrap())))
        );
        assert_eq!(
            default_ipv6_route(routes.lines().last().unwrap_or_default()),
            None
        );
    }

    #[test]
    fn ipv6_scopes_are_ips() {
        let scope = |text: &str| ipv6_scope(&text.parse().unwrap());
        assert_eq!(scope("::1"), "host");
        assert_eq!(scope("fe80::1"), "link");
        assert_eq!(scope("fd00::2"), "global");
        assert_eq!(scope("2001:db8::1"), "global");
    }

    #[test]
    fn ipv4_addresses_as_ip_addr_shows_them() {
        let found = Address {
            name: "eth0".into(),
            address: "192.0.2.2".parse().unwrap(),
            netmask: Some("255.255.255.0".parse().unwrap()),
            broadcast: Some("192.0.2.255".parse().unwrap()),
        };
        let fields = ipv4_fields(&found);
        assert_eq!(fields["network"].to_string(), "192.0.2.0");
        assert_eq!(fields["prefix"].to_string(), "24");
        assert_eq!(fields["broadcast"].to_string(), "192.0.2.255");
        let loopback = Address {
            name: "lo".into(),
            address: "127.0.0.1".parse().unwrap(),
            netmask: Some("255.0.0.0".parse().unwrap()),
            broadcast: None,
        };
        assert_eq!(ipv4_fields(&loopback)["broadcast"].to_string(), "");
    }

    #[test]
    fn fact_names_are_ansibles() {
        assert_eq!(fact_name("br-lan"), "br_lan");
        assert_eq!(fact_name("eth0:1"), "eth0_1");
    }

    #[test]
    fn this_systems_loopback_has_its_facts() {
        let network = Network {
            devices: vec!["lo".into()],
            addresses: vec![Address {
                name: "lo".into(),
                address: "127.0.0.1".parse().unwrap(),
                netmask: Some("255.0.0.0".parse().unwrap()),
                broadcast: None,
            }],
        };
        let devices = all_devices(&network, None);
        let (name, lo) = &devices[0];
        assert_eq!(name, "lo");
        assert_eq!(lo["type"].to_string(), "loopback");
        assert!(!lo.contains_key("macaddress"));
        assert_eq!(lo["ipv4"].get_attr("prefix").unwrap().to_string(), "8");
    }
}
