//! Ansible's `lvm` fact (the `hardware` subset): the volume groups, logical and
//! physical volumes as ansible-core's Linux collector lists them, by running `vgs`,
//! `lvs` and `pvs` (`--noheadings --nosuffix --units g --separator ,`) through the
//! Host and taking the same columns; a physical volume named `/dev/dm-N` is named by
//! `dmsetup` as `/dev/mapper/NAME`. `N/A` where `vgs` is not found (or on an
//! offline root, which runs no programs) and when not gathering as root, as
//! ansible-core gives.

use super::tools;
use machinist_modules::Host;
use minijinja::Value;
use std::collections::BTreeMap;

const LVM_OPTIONS: [&str; 6] = [
    "--noheadings",
    "--nosuffix",
    "--units",
    "g",
    "--separator",
    ",",
];

/// What ansible-core gives without vgs.
pub const NOT_GATHERED: &str = "N/A";

/// The `lvm` fact.
pub fn fact(host: &Host) -> Value {
    gather(host).unwrap_or_else(|| Value::from(NOT_GATHERED))
}

fn gather(host: &Host) -> Option<Value> {
    let vgs_path = tools::bin_path(host, "vgs")?;
    if !rustix::process::getuid().is_root() {
        return None;
    }
    let listed =
        |path: &std::path::Path| tools::output_of(host, path, &LVM_OPTIONS).unwrap_or_default();
    let lvs_path = tools::bin_path(host, "lvs");
    let pvs_path = tools::bin_path(host, "pvs");
    // Each listing scans the devices: the three side by side.
    let (vgs_out, lvs_out, pvs_out) = std::thread::scope(|scope| {
        let lvs = scope.spawn(|| lvs_path.as_deref().map(listed));
        let pvs = scope.spawn(|| pvs_path.as_deref().map(listed));
        let vgs = listed(&vgs_path);
        (vgs, lvs.join().ok().flatten(), pvs.join().ok().flatten())
    });
    let vgs = rows(&vgs_out, |items| {
        (items.len() >= 3).then(|| {
            let named = |key: &str, value: &str| (key.to_string(), value.to_string());
            BTreeMap::from([
                named("size_g", items[items.len() - 2]),
                named("free_g", items[items.len() - 1]),
                named("num_lvs", items[2]),
                named("num_pvs", items[1]),
            ])
        })
    });
    let lvs = match lvs_out {
        Some(out) => rows(&out, |items| {
            (items.len() >= 4).then(|| {
                BTreeMap::from([
                    ("size_g".to_string(), items[3].to_string()),
                    ("vg".to_string(), items[1].to_string()),
                ])
            })
        }),
        None => BTreeMap::new(),
    };
    let pvs = match pvs_out {
        Some(out) => rows(&out, |items| {
            (items.len() >= 6).then(|| {
                BTreeMap::from([
                    ("size_g".to_string(), items[4].to_string()),
                    ("free_g".to_string(), items[5].to_string()),
                    ("vg".to_string(), items[1].to_string()),
                ])
            })
        })
        .into_iter()
        .map(|(device, pv)| (mapper_name(host, &device), pv))
        .collect(),
        None => BTreeMap::new(),
    };
    Some(Value::from_serialize(BTreeMap::from([
        ("lvs", lvs),
        ("pvs", pvs),
        ("vgs", vgs),
    ])))
}

type Rows = BTreeMap<String, BTreeMap<String, String>>;

/// Each line of the tool's output split at commas (stripped), keyed by its first
/// column, as ansible-core reads them.
fn rows(out: &str, row: impl Fn(&[&str]) -> Option<BTreeMap<String, String>>) -> Rows {
    out.lines()
        .filter_map(|line| {
            let items: Vec<&str> = line.trim().split(',').collect();
            row(&items).map(|fields| (items[0].to_string(), fields))
        })
        .collect()
}

/// `/dev/dm-N` as `/dev/mapper/NAME` (what `dmsetup info -C --noheadings -o name`
/// says), any other device as it is.
fn mapper_name(host: &Host, device: &str) -> String {
    if !device.starts_with("/dev/dm-") {
        return device.to_string();
    }
    let named = tools::bin_path(host, "dmsetup").and_then(|dmsetup| {
        tools::output_of(
            host,
            &dmsetup,
            &["info", "-C", "--noheadings", "-o", "name", device],
        )
    });
    match named {
        Some(name) => format!("/dev/mapper/{}", name.trim_end()),
        None => device.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_as_ansible_takes_them() {
        let vgs = "  vg0,1,2,0,wz--n-,9.99,4.00\n";
        let parsed = rows(vgs, |items| {
            Some(BTreeMap::from([
                ("size_g".to_string(), items[items.len() - 2].to_string()),
                ("num_pvs".to_string(), items[1].to_string()),
            ]))
        });
        assert_eq!(parsed["vg0"]["size_g"], "9.99");
        assert_eq!(parsed["vg0"]["num_pvs"], "1");
    }

    #[test]
    fn this_systems_lvm_or_na() {
        let host = Host::new(machinist_modules::HostOptions::new(std::path::Path::new(
            "/",
        )))
        .expect("host");
        let lvm = &fact(&host);
        match tools::bin_path(&host, "vgs") {
            Some(_) if rustix::process::getuid().is_root() => {
                assert!(
                    lvm.get_attr("vgs").is_ok_and(|vgs| !vgs.is_undefined()),
                    "{lvm}"
                )
            }
            _ => assert_eq!(lvm.to_string(), "N/A"),
        }
    }
}
