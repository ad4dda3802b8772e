//! The facts of a running system besides os-release: machine id, service manager,
//! virtualization and the default IPv4 route, with Ansible's names and
//! shapes, read from files (no tool, no Python). Files of the target go through the
//! Host; the kernel's views (/proc, /sys) are read only when the target is this
//! process's own `/` (locally, or an agent inside a container or on a host): an
//! offline root has no running system, so its service manager is what would boot it
//! and it has no network.

use machinist_modules::Host;
use std::net::Ipv4Addr;
use std::path::Path;

fn target_text(host: &Host, path: &str) -> Option<String> {
    let bytes = host.read_file(Path::new(path)).ok()??;
    Some(String::from_utf8_lossy(&bytes).trim().to_string())
}

fn kernel_text(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|text| text.trim().to_string())
}

/// `machine_id`: /etc/machine-id, when the target has one.
pub fn machine_id(host: &Host) -> Option<String> {
    target_text(host, "/etc/machine-id").filter(|id| !id.is_empty())
}

/// `service_mgr`: `systemd` when systemd runs the system (/run/systemd/system, as
/// sd_booted(3) and Ansible check), else PID 1's name on the running system; on an
/// offline root, `systemd` when systemd is what it would boot, else `unknown`.
pub fn service_mgr(host: &Host) -> String {
    let systemd_runs = matches!(
        host.stat(Path::new("/run/systemd/system")),
        Ok(Some(meta)) if meta.kind == machinist_modules::host::Kind::Dir
    );
    if systemd_runs {
        return "systemd".into();
    }
    if host.root() == Path::new("/") {
        if let Some(init) = kernel_text("/proc/1/comm").filter(|name| !name.is_empty()) {
            return init;
        }
    }
    let booted_by_systemd = ["/usr/lib/systemd/systemd", "/lib/systemd/systemd"]
        .iter()
        .any(|path| host.exists(Path::new(path)).unwrap_or(false));
    if booted_by_systemd && host.root() != Path::new("/") {
        return "systemd".into();
    }
    "unknown".into()
}

/// `virtualization_type` and `virtualization_role`: a container's manager names
/// itself in /run/systemd/container (systemd-nspawn, docker, lxc, podman…), Docker
/// leaves /.dockerenv; a virtual machine's firmware says so in DMI. `NA` when none
/// does, as Ansible says.
pub fn virtualization(host: &Host) -> (String, String) {
    if let Some(container) = target_text(host, "/run/systemd/container").filter(|c| !c.is_empty()) {
        return (container, "guest".into());
    }
    if host.exists(Path::new("/.dockerenv")).unwrap_or(false) {
        return ("docker".into(), "guest".into());
    }
    if host.root() == Path::new("/") {
        let dmi = |field: &str| kernel_text(&format!("/sys/class/dmi/id/{field}"));
        let product = dmi("product_name").unwrap_or_default();
        let vendor = dmi("sys_vendor").unwrap_or_default();
        let machine = if product.contains("KVM") || vendor == "QEMU" || product.contains("QEMU") {
            Some("kvm")
        } else if product.contains("VirtualBox") {
            Some("virtualbox")
        } else if product.contains("VMware") {
            Some("VMware")
        } else if vendor.contains("Xen") || product.contains("HVM domU") {
            Some("xen")
        } else if vendor.contains("Microsoft") && product.contains("Virtual Machine") {
            Some("VirtualPC")
        } else {
            None
        };
        if let Some(machine) = machine {
            return (machine.into(), "guest".into());
        }
    }
    ("NA".into(), "NA".into())
}

/// The default IPv4 route's interface, gateway and this system's address on it
/// (facts/interfaces.rs shapes `default_ipv4` from them); none when there is no
/// default route (a container on a private network, an offline root).
pub fn default_ipv4_route(host: &Host) -> Option<super::interfaces::DefaultRoute> {
    if host.root() != Path::new("/") {
        return None;
    }
    let (routes, trie) = kernel_text("/proc/net/route").zip(kernel_text("/proc/net/fib_trie"))?;
    let route = default_route(&routes, &trie)?;
    Some(super::interfaces::DefaultRoute {
        interface: route.interface,
        gateway: route.gateway.to_string(),
        address: route.address.to_string(),
    })
}

#[derive(Debug, PartialEq, Eq)]
struct DefaultRoute {
    interface: String,
    gateway: Ipv4Addr,
    address: Ipv4Addr,
    netmask: Ipv4Addr,
}

/// The default route's interface and gateway (/proc/net/route), and the interface's
/// address: the local address (/proc/net/fib_trie's `/32 host LOCAL`) inside one of
/// the networks routed on that interface.
fn default_route(routes: &str, fib_trie: &str) -> Option<DefaultRoute> {
    // The kernel prints addresses as the hex of their bytes in memory order.
    let address = |hex: &str| {
        u32::from_str_radix(hex, 16)
            .ok()
            .map(|n| Ipv4Addr::from(n.swap_bytes()))
    };
    let table: Vec<(String, Ipv4Addr, Ipv4Addr, Ipv4Addr)> = routes
        .lines()
        .skip(1)
        .filter_map(|line| {
            let fields: Vec<&str> = line.split_whitespace().collect();
            Some((
                fields.first()?.to_string(),
                address(fields.get(1)?)?,
                address(fields.get(2)?)?,
                address(fields.get(7)?)?,
            ))
        })
        .collect();
    let (interface, _, gateway, _) = table
        .iter()
        .find(|(_, destination, _, mask)| destination.is_unspecified() && mask.is_unspecified())?;
    let locals = local_addresses(fib_trie);
    table
        .iter()
        .filter(|(name, _, _, mask)| name == interface && !mask.is_unspecified())
        .find_map(|(_, destination, _, mask)| {
            let mask_bits = u32::from(*mask);
            let local = locals
                .iter()
                .find(|local| u32::from(**local) & mask_bits == u32::from(*destination))?;
            Some(DefaultRoute {
                interface: interface.clone(),
                gateway: *gateway,
                address: *local,
                netmask: *mask,
            })
        })
}

/// The addresses /proc/net/fib_trie marks `/32 host LOCAL`: this system's own.
fn local_addresses(fib_trie: &str) -> Vec<Ipv4Addr> {
    let mut found = Vec::new();
    let mut last: Option<Ipv4Addr> = None;
    for line in fib_trie.lines() {
        let line = line.trim();
        if let Some(leaf) = line.strip_prefix("|-- ") {
            last = leaf.trim().parse().ok();
        } else if line.starts_with("/32 host LOCAL") {
            if let Some(address) = last.filter(|a| !a.is_loopback() && !found.contains(a)) {
                found.push(address);
            }
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const ROUTES: &str =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n\
        eth0\t00000000\t010200C0\t0003\t0\t0\t0\t00000000\t0\t0\t0\n\
        eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n";
    const TRIE: &str =
        "Main:\n  +-- 0.0.0.0/0 3 0 5\n     |-- 0.0.0.0\n        /0 universe UNICAST\n\
        \x20    +-- 127.0.0.0/8 2 0 2\n           |-- 127.0.0.1\n              /32 host LOCAL\n\
        \x20    +-- 192.0.2.0/24 2 0 2\n           |-- 192.0.2.0\n              /24 link UNICAST\n\
        \x20          |-- 192.0.2.2\n              /32 host LOCAL\n\
        \x20       |-- 192.0.2.255\n           /32 link BROADCAST\n";

    #[test]
    fn the_default_routes_interface_and_its_own_address() {
        let route = default_route(ROUTES, TRIE).expect("a default route");
        assert_eq!(
            route,
            DefaultRoute {
                interface: "eth0".into(),
                gateway: Ipv4Addr::new(192, 0, 2, 1),
                address: Ipv4Addr::new(192, 0, 2, 2),
                netmask: Ipv4Addr::new(255, 255, 255, 0),
            }
        );
    }

    #[test]
    fn no_default_route_is_none() {
        let only_local = "Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\n\
            eth0\t000200C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\n";
        assert_eq!(default_route(only_local, TRIE), None);
        assert_eq!(default_route("", ""), None);
    }
}
