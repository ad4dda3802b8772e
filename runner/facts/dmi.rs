//! Ansible's DMI facts (`product_name`, `product_serial`, `product_uuid`,
//! `product_version`, `system_vendor`, `bios_*`, `board_*`, `chassis_*`,
//! `form_factor`), part of the `hardware` subset: the firmware's tables as the kernel
//! shows them in /sys/devices/virtual/dmi/id, read as ansible-core's Linux collector
//! reads them (stripped, `NA` when absent, empty or unreadable — `product_serial` and
//! the other serials are root's only). Where the kernel has no DMI (a VM without
//! firmware tables, most ARM boards) every fact is `NA`, as ansible-core gives when
//! dmidecode is not installed: machinist does not run dmidecode.

use super::Facts;
use minijinja::Value;
use std::path::Path;

/// Where the kernel shows the DMI tables.
pub const DMI_DIR: &str = "/sys/devices/virtual/dmi/id";

/// Each fact and the file it is read from.
const FILES: [(&str, &str); 18] = [
    ("bios_date", "bios_date"),
    ("bios_vendor", "bios_vendor"),
    ("bios_version", "bios_version"),
    ("board_asset_tag", "board_asset_tag"),
    ("board_name", "board_name"),
    ("board_serial", "board_serial"),
    ("board_vendor", "board_vendor"),
    ("board_version", "board_version"),
    ("chassis_asset_tag", "chassis_asset_tag"),
    ("chassis_serial", "chassis_serial"),
    ("chassis_vendor", "chassis_vendor"),
    ("chassis_version", "chassis_version"),
    ("form_factor", "chassis_type"),
    ("product_name", "product_name"),
    ("product_serial", "product_serial"),
    ("product_uuid", "product_uuid"),
    ("product_version", "product_version"),
    ("system_vendor", "sys_vendor"),
];

/// The DMI chassis types (DSP0134 3.2.0), as ansible-core names them.
const FORM_FACTORS: [&str; 37] = [
    "Unknown",
    "Other",
    "Unknown",
    "Desktop",
    "Low Profile Desktop",
    "Pizza Box",
    "Mini Tower",
    "Tower",
    "Portable",
    "Laptop",
    "Notebook",
    "Hand Held",
    "Docking Station",
    "All In One",
    "Sub Notebook",
    "Space-saving",
    "Lunch Box",
    "Main Server Chassis",
    "Expansion Chassis",
    "Sub Chassis",
    "Bus Expansion Chassis",
    "Peripheral Chassis",
    "RAID Chassis",
    "Rack Mount Chassis",
    "Sealed-case PC",
    "Multi-system",
    "CompactPCI",
    "AdvancedTCA",
    "Blade",
    "Blade Enclosure",
    "Tablet",
    "Convertible",
    "Detachable",
    "IoT Gateway",
    "Embedded PC",
    "Mini PC",
    "Stick PC",
];

/// The DMI facts of the tables in `dir` (the kernel's: [`DMI_DIR`]).
pub fn add(dir: &Path, facts: &mut Facts) {
    // ansible-core looks for product_name to decide the kernel has the tables.
    let tables = dir.join("product_name").exists();
    for (fact, file) in FILES {
        let content = if tables {
            super::sys_content(&dir.join(file))
        } else {
            None
        };
        let value = match (fact, content) {
            (_, None) => "NA".to_string(),
            ("form_factor", Some(chassis_type)) => form_factor(&chassis_type),
            (_, Some(text)) => text,
        };
        facts.insert(fact.into(), Value::from(value));
    }
}

/// A chassis type's name; ansible-core says `unknown (N)` past the table's end.
fn form_factor(chassis_type: &str) -> String {
    chassis_type
        .parse::<usize>()
        .ok()
        .and_then(|index| FORM_FACTORS.get(index))
        .map(|name| name.to_string())
        .unwrap_or_else(|| format!("unknown ({chassis_type})"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts_of(dir: &Path) -> Facts {
        let mut facts = Facts::new();
        add(dir, &mut facts);
        facts
    }

    #[test]
    fn reads_the_tables_stripped_with_na_for_what_is_missing() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("product_name"), "ThinkPad X1\n").expect("write");
        std::fs::write(dir.path().join("sys_vendor"), "LENOVO\n").expect("write");
        std::fs::write(dir.path().join("chassis_type"), "10\n").expect("write");
        std::fs::write(dir.path().join("bios_version"), "  \n").expect("write");
        let facts = facts_of(dir.path());
        assert_eq!(facts.len(), 18);
        assert_eq!(facts["product_name"].as_str(), Some("ThinkPad X1"));
        assert_eq!(facts["system_vendor"].as_str(), Some("LENOVO"));
        assert_eq!(facts["form_factor"].as_str(), Some("Notebook"));
        assert_eq!(facts["bios_version"].as_str(), Some("NA"));
        assert_eq!(facts["product_serial"].as_str(), Some("NA"));
    }

    #[test]
    fn no_tables_is_na_everywhere() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("sys_vendor"), "QEMU\n").expect("write");
        let facts = facts_of(dir.path());
        assert!(facts.values().all(|value| value.as_str() == Some("NA")));
    }

    #[test]
    fn chassis_types_past_the_table_are_unknown() {
        assert_eq!(form_factor("3"), "Desktop");
        assert_eq!(form_factor("36"), "Stick PC");
        assert_eq!(form_factor("37"), "unknown (37)");
    }
}
