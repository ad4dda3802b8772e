//! The running system's network devices and addresses, and Ansible's
//! `all_ipv4_addresses` and `all_ipv6_addresses` (the `network` subset; `interfaces`
//! is facts/interfaces.rs's): the devices in /sys/class/net's order
//! (ansible-core globs that directory, then hands the names on as a set: its order
//! changes from run to run), and every address on them as getifaddrs(3)
//! lists them (the kernel's netlink order, which `ip addr` — what ansible-core parses —
//! shows too), by device in that order, less 127.0.0.0/8 and ::1 as Ansible leaves
//! them out. An offline root has no network: empty lists.

use super::Facts;
use machinist_modules::Host;
use minijinja::Value;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::path::Path;

/// The running system's network devices and their addresses; none for an offline
/// root.
pub struct Network {
    pub devices: Vec<String>,
    pub addresses: Vec<Address>,
}

/// One address getifaddrs(3) lists: `name` is the device, or an IPv4 address's
/// label (`eth0:1`) when it has one.
#[derive(Debug, Clone, PartialEq)]
pub struct Address {
    pub name: String,
    pub address: IpAddr,
    pub netmask: Option<IpAddr>,
    /// The broadcast address of an interface that has one (IFF_BROADCAST).
    pub broadcast: Option<IpAddr>,
}

impl Address {
    /// Whether the address is `device`'s: its own name, or one of its labels.
    pub fn is_on(&self, device: &str) -> bool {
        self.name == device
            || self
                .name
                .strip_prefix(device)
                .is_some_and(|label| label.starts_with(':'))
    }
}

/// Reads the devices (/sys/class/net) and addresses when the target runs here.
pub fn network(host: &Host) -> Network {
    if host.root() != Path::new("/") {
        return Network {
            devices: Vec::new(),
            addresses: Vec::new(),
        };
    }
    let devices = std::fs::read_dir("/sys/class/net")
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok())
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    Network {
        devices,
        addresses: interface_addresses(),
    }
}

/// The network subset's address lists.
pub fn add(network: &Network, facts: &mut Facts) {
    let (ipv4, ipv6) = by_device(&network.devices, &network.addresses);
    facts.insert("all_ipv4_addresses".into(), Value::from(ipv4));
    facts.insert("all_ipv6_addresses".into(), Value::from(ipv6));
}

/// The addresses of `devices`, device by device, each device's in the order found;
/// loopback ones left out.
fn by_device(devices: &[String], found: &[Address]) -> (Vec<String>, Vec<String>) {
    let (mut ipv4, mut ipv6) = (Vec::new(), Vec::new());
    for device in devices {
        for Address { address, .. } in found.iter().filter(|found| found.is_on(device)) {
            match address {
                IpAddr::V4(v4) if v4.octets()[0] != 127 => ipv4.push(v4.to_string()),
                IpAddr::V6(v6) if !v6.is_loopback() => ipv6.push(v6.to_string()),
                _ => {}
            }
        }
    }
    (ipv4, ipv6)
}

/// Every address getifaddrs(3) lists; none when it fails.
fn interface_addresses() -> Vec<Address> {
    let mut found = Vec::new();
    let mut list: *mut libc::ifaddrs = std::ptr::null_mut();
    // SAFETY: getifaddrs fills `list` with a linked list the C library owns until
    // freeifaddrs; each node, its name and its address are only read while it lives,
    // and an address is read as the sockaddr type its family says.
    unsafe {
        if libc::getifaddrs(&mut list) != 0 {
            return found;
        }
        let mut node = list;
        while let Some(entry) = node.as_ref() {
            node = entry.ifa_next;
            let Some(address) = entry.ifa_addr.as_ref() else {
                continue;
            };
            let name = std::ffi::CStr::from_ptr(entry.ifa_name)
                .to_string_lossy()
                .into_owned();
            let Some(address) = ip_of(address) else {
                continue;
            };
            let has_broadcast = entry.ifa_flags & (libc::IFF_BROADCAST as u32) != 0;
            found.push(Address {
                name,
                address,
                netmask: entry.ifa_netmask.as_ref().and_then(|mask| ip_of(mask)),
                broadcast: if has_broadcast {
                    entry.ifa_ifu.as_ref().and_then(|brd| ip_of(brd))
                } else {
                    None
                },
            });
        }
        libc::freeifaddrs(list);
    }
    found
}

/// The IP address a socket address holds, read as the type its family says.
///
/// # Safety
/// `address` must be the start of a socket address of the size its family says
/// (as getifaddrs(3) gives them).
unsafe fn ip_of(address: &libc::sockaddr) -> Option<IpAddr> {
    match i32::from(address.sa_family) {
        libc::AF_INET => {
            let v4 = &*(address as *const libc::sockaddr as *const libc::sockaddr_in);
            Some(IpAddr::V4(Ipv4Addr::from(v4.sin_addr.s_addr.to_ne_bytes())))
        }
        libc::AF_INET6 => {
            let v6 = &*(address as *const libc::sockaddr as *const libc::sockaddr_in6);
            Some(IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr)))
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_by_device_order_without_loopback() {
        let at = |name: &str, address: &str| Address {
            name: name.into(),
            address: address.parse().unwrap(),
            netmask: None,
            broadcast: None,
        };
        let found = vec![
            at("lo", "127.0.0.1"),
            at("eth1", "10.1.0.2"),
            at("eth0", "192.0.2.2"),
            at("lo", "::1"),
            at("eth0", "fd00::2"),
            at("eth0:1", "192.0.2.3"),
            at("eth0", "fe80::1"),
        ];
        let devices = ["lo", "eth0", "eth1"].map(String::from);
        let (ipv4, ipv6) = by_device(&devices, &found);
        assert_eq!(ipv4, ["192.0.2.2", "192.0.2.3", "10.1.0.2"]);
        assert_eq!(ipv6, ["fd00::2", "fe80::1"]);
    }

    #[test]
    fn this_system_lists_its_loopback_device() {
        let found = interface_addresses();
        assert!(found
            .iter()
            .any(|found| found.name == "lo" && found.address.is_loopback()));
    }
}
