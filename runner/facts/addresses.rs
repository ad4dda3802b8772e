//! Ansible's `interfaces`, `all_ipv4_addresses` and `all_ipv6_addresses` (the
//! `network` subset): the running system's network devices in /sys/class/net's order
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

/// The network subset's lists.
pub fn add(host: &Host, facts: &mut Facts) {
    let running = host.root() == Path::new("/");
    let devices: Vec<String> = if running {
        std::fs::read_dir("/sys/class/net")
            .map(|entries| {
                entries
                    .filter_map(|entry| entry.ok())
                    .map(|entry| entry.file_name().to_string_lossy().into_owned())
                    .collect()
            })
            .unwrap_or_default()
    } else {
        Vec::new()
    };
    let found = if running {
        interface_addresses()
    } else {
        Vec::new()
    };
    let (ipv4, ipv6) = by_device(&devices, &found);
    facts.insert("interfaces".into(), Value::from(devices));
    facts.insert("all_ipv4_addresses".into(), Value::from(ipv4));
    facts.insert("all_ipv6_addresses".into(), Value::from(ipv6));
}

/// The addresses of `devices`, device by device, each device's in the order found;
/// loopback ones left out.
fn by_device(devices: &[String], found: &[(String, IpAddr)]) -> (Vec<String>, Vec<String>) {
    let (mut ipv4, mut ipv6) = (Vec::new(), Vec::new());
    for device in devices {
        for (_, address) in found.iter().filter(|(name, _)| name == device) {
            match address {
                IpAddr::V4(v4) if v4.octets()[0] != 127 => ipv4.push(v4.to_string()),
                IpAddr::V6(v6) if !v6.is_loopback() => ipv6.push(v6.to_string()),
                _ => {}
            }
        }
    }
    (ipv4, ipv6)
}

/// Every (device, address) getifaddrs(3) lists; none when it fails.
fn interface_addresses() -> Vec<(String, IpAddr)> {
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
            match i32::from(address.sa_family) {
                libc::AF_INET => {
                    let v4 = &*(entry.ifa_addr as *const libc::sockaddr_in);
                    let octets = v4.sin_addr.s_addr.to_ne_bytes();
                    found.push((name, IpAddr::V4(Ipv4Addr::from(octets))));
                }
                libc::AF_INET6 => {
                    let v6 = &*(entry.ifa_addr as *const libc::sockaddr_in6);
                    found.push((name, IpAddr::V6(Ipv6Addr::from(v6.sin6_addr.s6_addr))));
                }
                _ => {}
            }
        }
        libc::freeifaddrs(list);
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_by_device_order_without_loopback() {
        let found = vec![
            ("lo".to_string(), "127.0.0.1".parse().unwrap()),
            ("eth1".to_string(), "10.1.0.2".parse().unwrap()),
            ("eth0".to_string(), "192.0.2.2".parse().unwrap()),
            ("lo".to_string(), "::1".parse().unwrap()),
            ("eth0".to_string(), "fd00::2".parse().unwrap()),
            ("eth0".to_string(), "fe80::1".parse().unwrap()),
        ];
        let devices = ["lo", "eth0", "eth1"].map(String::from);
        let (ipv4, ipv6) = by_device(&devices, &found);
        assert_eq!(ipv4, ["192.0.2.2", "10.1.0.2"]);
        assert_eq!(ipv6, ["fd00::2", "fe80::1"]);
    }

    #[test]
    fn this_system_lists_its_loopback_device() {
        let found = interface_addresses();
        assert!(found
            .iter()
            .any(|(name, address)| name == "lo" && address.is_loopback()));
    }
}
