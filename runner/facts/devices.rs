//! Ansible's `devices` and `device_links` facts (the `hardware` subset): every block
//! device the kernel lists in /sys/block with its vendor, model, size (as Ansible
//! formats it: `256.00 GB`), sectors, sector size, partitions, holders (device-mapper
//! names), removable, rotational, scheduler, discard support and the /dev/disk/by-*
//! links (`ids`, `uuids`, `labels`, and `masters` from the devices' slaves/), read as
//! ansible-core's Linux collector reads them, keys, types and quirks included (every
//! device of a sysfs with links is `virtual: 1`; a partition's sector size is the
//! number 512 when it has no queue/). Two values come from tools, run as ansible-core
//! runs them on a running target (facts/tools.rs): `host` is `lspci -D`'s name of the
//! PCI function the device hangs from (`""` without lspci or one), and `serial` is
//! `sg_inq`'s answer where sg_inq is found (none when it fails), else the kernel's
//! device/serial.

use super::Facts;
use machinist_modules::Host;
use minijinja::Value;
use serde_json::{json, Map, Value as Json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Where the facts are read: the kernel's /sys/block and udev's /dev.
pub struct Sources {
    pub sys_block: PathBuf,
    pub dev: PathBuf,
}

impl Default for Sources {
    fn default() -> Sources {
        Sources {
            sys_block: PathBuf::from("/sys/block"),
            dev: PathBuf::from("/dev"),
        }
    }
}

/// What ansible-core asks tools on a running target: `lspci -D`'s listing (a
/// device's `host`) and `sg_inq /dev/NAME`'s serial number of each block device (its
/// `serial`; with sg_inq found, the kernel's device/serial is not read).
#[derive(Default)]
pub struct Tools {
    pub pci_listing: Option<String>,
    /// Each device's serial as sg_inq answered (none where it failed); `None`
    /// without sg_inq.
    pub sg_inq_serials: Option<BTreeMap<String, Option<String>>>,
}

impl Tools {
    /// The tools of the host's running system (none for an offline root), run side
    /// by side: one lspci, one sg_inq per device of /sys/block.
    pub fn of(host: &Host) -> Tools {
        let lspci = super::tools::bin_path(host, "lspci");
        let sg_inq = super::tools::bin_path(host, "sg_inq");
        let blocks = match &sg_inq {
            Some(_) => names_in(Path::new("/sys/block")),
            None => Vec::new(),
        };
        std::thread::scope(|scope| {
            let serials: Vec<_> = blocks
                .iter()
                .filter_map(|block| {
                    let sg_inq = sg_inq.as_deref()?;
                    Some((
                        block,
                        scope.spawn(move || sg_inq_serial(host, sg_inq, block)),
                    ))
                })
                .collect();
            let pci_listing =
                lspci.and_then(|lspci| super::tools::output_of(host, &lspci, &["-D"]));
            let sg_inq_serials = sg_inq.as_ref().map(|_| {
                serials
                    .into_iter()
                    .map(|(block, serial)| (block.clone(), serial.join().ok().flatten()))
                    .collect()
            });
            Tools {
                pci_listing,
                sg_inq_serials,
            }
        })
    }

    /// `serial` as ansible-core finds it: sg_inq's answer when sg_inq is found (none
    /// when it fails), else the kernel's.
    fn serial(&self, sys_block: &Path, block: &str) -> Option<String> {
        match &self.sg_inq_serials {
            Some(serials) => serials.get(block).cloned().flatten(),
            None => super::sys_content(&sys_block.join(block).join("device/serial")),
        }
    }

    /// `host`: lspci's name of the PCI function the device's sysfs path passes
    /// through last, `""` without one (or without lspci).
    fn pci_host(&self, sysdir: &Path) -> String {
        let Some(listing) = &self.pci_listing else {
            return String::new();
        };
        let path = sysdir.to_string_lossy();
        let Ok(function) = regex::Regex::new(r".+/([a-f0-9]{4}:[a-f0-9]{2}:[0|1][a-f0-9]\.[0-7])/")
        else {
            return String::new();
        };
        let Some(pci_id) = function.captures(&path).and_then(|found| found.get(1)) else {
            return String::new();
        };
        listing
            .lines()
            .find_map(|line| {
                line.strip_prefix(pci_id.as_str())
                    .and_then(|rest| rest.strip_prefix(char::is_whitespace))
            })
            .map(str::to_string)
            .unwrap_or_default()
    }
}

/// The serial number `sg_inq /dev/BLOCK` reports, as ansible-core's pattern finds it.
fn sg_inq_serial(host: &Host, sg_inq: &Path, block: &str) -> Option<String> {
    let device = format!("/dev/{block}");
    let said = super::tools::output_of(host, sg_inq, &[&device])?;
    let pattern = regex::Regex::new(r"(?:Unit serial|Serial) number:\s+(\w+)").ok()?;
    Some(pattern.captures(&said)?.get(1)?.as_str().to_string())
}

/// The link kinds, in ansible-core's order: their folder under /dev/disk, or the
/// devices' slaves/ for `masters`.
const LINK_KINDS: [(&str, Option<&str>); 4] = [
    ("ids", Some("by-id")),
    ("uuids", Some("by-uuid")),
    ("labels", Some("by-label")),
    ("masters", None),
];

/// A device's names under each link kind.
type Links = BTreeMap<&'static str, BTreeMap<String, Vec<String>>>;

/// `devices` and `device_links`.
pub fn add(sources: &Sources, tools: &Tools, facts: &mut Facts) {
    let Ok(entries) = std::fs::read_dir(&sources.sys_block) else {
        facts.insert(
            "devices".into(),
            Value::from_iter(Vec::<(String, Value)>::new()),
        );
        return;
    };
    let links = all_links(sources);
    let wwns = wwns(&sources.dev.join("disk/by-id"));
    let mut devices = Map::new();
    for entry in entries.flatten() {
        let block = entry.file_name().to_string_lossy().into_owned();
        if let Some(device) = device(sources, tools, &block, &links, &wwns) {
            devices.insert(block, device);
        }
    }
    let mut device_links = Map::new();
    for (kind, _) in LINK_KINDS {
        device_links.insert(
            kind.into(),
            json!(links.get(kind).cloned().unwrap_or_default()),
        );
    }
    facts.insert(
        "devices".into(),
        minijinja::Value::from_serialize(Json::Object(devices)),
    );
    facts.insert(
        "device_links".into(),
        minijinja::Value::from_serialize(Json::Object(device_links)),
    );
}

/// One device's facts, or none when /sys/block/NAME cannot be read.
fn device(
    sources: &Sources,
    tools: &Tools,
    block: &str,
    links: &Links,
    wwns: &BTreeMap<String, String>,
) -> Option<Json> {
    let entry = sources.sys_block.join(block);
    let (sysdir, no_links) = match std::fs::read_link(&entry) {
        Ok(target) => (sources.sys_block.join(target), false),
        Err(err) if err.raw_os_error() == Some(rustix::io::Errno::INVAL.raw_os_error()) => {
            (entry, true)
        }
        Err(_) => return None,
    };
    let virtual_ = if no_links && names_in(&sysdir).iter().any(|n| n.contains("device")) {
        0
    } else {
        1
    };
    let diskname = sysdir
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| block.to_string());
    let content = |path: &str| super::sys_content(&sysdir.join(path));
    let mut d = Map::new();
    d.insert("virtual".into(), json!(virtual_));
    d.insert("links".into(), links_of(links, block));
    for key in ["vendor", "model", "sas_address", "sas_device_handle"] {
        d.insert(key.into(), json!(content(&format!("device/{key}"))));
    }
    if let Some(serial) = tools.serial(&sources.sys_block, block) {
        d.insert("serial".into(), json!(serial));
    }
    d.insert("removable".into(), json!(content("removable")));
    let support_discard = match content("queue/discard_max_hw_bytes").as_deref() {
        Some("0") => Some("0".to_string()),
        _ => content("queue/discard_granularity"),
    };
    d.insert("support_discard".into(), json!(support_discard));
    if let Some(wwn) = wwns.get(&diskname) {
        d.insert("wwn".into(), json!(wwn));
    }
    let mut partitions = Map::new();
    for folder in names_in(&sysdir) {
        if let Some(partname) = partition_name(&diskname, &folder) {
            let partition = partition(sources, &sysdir.join(&partname), &partname, links);
            partitions.insert(partname, partition);
        }
    }
    d.insert("partitions".into(), Json::Object(partitions));
    d.insert("rotational".into(), json!(content("queue/rotational")));
    let scheduler = content("queue/scheduler")
        .and_then(|text| scheduler_mode(&text))
        .unwrap_or_default();
    d.insert("scheduler_mode".into(), json!(scheduler));
    let (sectorsize, sectors) = geometry(&sysdir);
    d.insert("sectorsize".into(), sectorsize.json());
    d.insert("sectors".into(), json!(sectors));
    d.insert(
        "size".into(),
        json!(bytes_to_human(sectors as f64 * sectorsize.bytes() as f64)),
    );
    d.insert("host".into(), json!(tools.pci_host(&sysdir)));
    d.insert("holders".into(), json!(holders(&sysdir)));
    Some(Json::Object(d))
}

fn partition(sources: &Sources, part_sysdir: &Path, partname: &str, links: &Links) -> Json {
    let mut part = Map::new();
    part.insert("links".into(), links_of(links, partname));
    let start = super::sys_content(&part_sysdir.join("start"))
        .map(Json::from)
        .unwrap_or(json!(0));
    part.insert("start".into(), start);
    let (sectorsize, sectors) = geometry(part_sysdir);
    part.insert("sectorsize".into(), sectorsize.json());
    part.insert("sectors".into(), json!(sectors));
    part.insert(
        "size".into(),
        json!(bytes_to_human(sectors as f64 * sectorsize.bytes() as f64)),
    );
    part.insert("uuid".into(), json!(partition_uuid(&sources.dev, partname)));
    part.insert("holders".into(), json!(holders(part_sysdir)));
    Json::Object(part)
}

/// A sector size as ansible-core has it: the kernel's text, or the number 512.
enum SectorSize {
    Text(String),
    Default,
}

impl SectorSize {
    fn bytes(&self) -> u64 {
        match self {
            SectorSize::Text(text) => text.parse().unwrap_or(512),
            SectorSize::Default => 512,
        }
    }

    fn json(&self) -> Json {
        match self {
            SectorSize::Text(text) => json!(text),
            SectorSize::Default => json!(512),
        }
    }
}

/// The sector size and the count of such sectors (sysfs counts 512-byte ones).
fn geometry(sysdir: &Path) -> (SectorSize, u64) {
    let sectorsize = super::sys_content(&sysdir.join("queue/logical_block_size"))
        .or_else(|| super::sys_content(&sysdir.join("queue/hw_sector_size")))
        .map(SectorSize::Text)
        .unwrap_or(SectorSize::Default);
    let size: u64 = super::sys_content(&sysdir.join("size"))
        .and_then(|text| text.parse().ok())
        .unwrap_or(0);
    let bytes = sectorsize.bytes().max(1);
    (sectorsize, size * 512 / bytes)
}

/// The names in a folder, in the order the kernel lists them (as `os.listdir`).
fn names_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|entry| entry.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

/// ansible-core's `re.search("(" + diskname + "[p]?\d+)", folder)`: the first
/// place in a disk's folder name where its name, an optional `p` and digits follow
/// (`sda1`, `nvme0n1p2`) names a partition.
fn partition_name(diskname: &str, folder: &str) -> Option<String> {
    folder.match_indices(diskname).find_map(|(at, _)| {
        let rest = &folder[at + diskname.len()..];
        let digits_from = usize::from(rest.starts_with('p'));
        let digits = rest[digits_from..]
            .bytes()
            .take_while(u8::is_ascii_digit)
            .count();
        (digits > 0).then(|| folder[at..at + diskname.len() + digits_from + digits].to_string())
    })
}

/// The selected scheduler, `[mq-deadline]` in `none [mq-deadline] kyber`.
fn scheduler_mode(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    let open = line.find('[')?;
    let close = line.rfind(']').filter(|close| *close > open)?;
    Some(line[open + 1..close].to_string())
}

/// The device-mapper devices holding this one, by their names (dm/name).
fn holders(sysdir: &Path) -> Vec<String> {
    let folder = sysdir.join("holders");
    names_in(&folder)
        .into_iter()
        .filter(|holder| holder.starts_with("dm-"))
        .map(|holder| super::sys_content(&folder.join(&holder).join("dm/name")).unwrap_or(holder))
        .collect()
}

/// Each link kind's names per device: /dev/disk/by-*'s links by the basename of
/// their target, and the devices each one is a slave of.
fn all_links(sources: &Sources) -> Links {
    let mut links = Links::new();
    for (kind, folder) in LINK_KINDS {
        let mut by_device: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        match folder {
            Some(folder) => {
                let dir = sources.dev.join("disk").join(folder);
                for name in names_in(&dir) {
                    if let Some(target) = link_target_name(&dir.join(&name)) {
                        by_device.entry(target).or_default().insert(name);
                    }
                }
            }
            None => {
                for device in names_in(&sources.sys_block) {
                    for slave in names_in(&sources.sys_block.join(&device).join("slaves")) {
                        by_device.entry(slave).or_default().insert(device.clone());
                    }
                }
            }
        }
        let sorted = by_device
            .into_iter()
            .map(|(device, names)| (device, names.into_iter().collect()))
            .collect();
        links.insert(kind, sorted);
    }
    links
}

fn link_target_name(link: &Path) -> Option<String> {
    let target = std::fs::read_link(link).ok()?;
    Some(target.file_name()?.to_string_lossy().into_owned())
}

fn links_of(links: &Links, device: &str) -> Json {
    let mut of = Map::new();
    for (kind, _) in LINK_KINDS {
        let names = links
            .get(kind)
            .and_then(|by_device| by_device.get(device))
            .cloned()
            .unwrap_or_default();
        of.insert(kind.into(), json!(names));
    }
    Json::Object(of)
}

/// The World Wide Names of /dev/disk/by-id's `wwn-*` links, by device.
fn wwns(by_id: &Path) -> BTreeMap<String, String> {
    names_in(by_id)
        .into_iter()
        .filter_map(|name| {
            let wwn = name.strip_prefix("wwn-")?.to_string();
            Some((link_target_name(&by_id.join(&name))?, wwn))
        })
        .collect()
}

/// The filesystem UUID whose /dev/disk/by-uuid link resolves to /dev/PARTNAME.
fn partition_uuid(dev: &Path, partname: &str) -> Option<String> {
    let dir = dev.join("disk/by-uuid");
    let wanted = dev.join(partname);
    names_in(&dir)
        .into_iter()
        .find(|uuid| std::fs::canonicalize(dir.join(uuid)).is_ok_and(|resolved| resolved == wanted))
}

/// Ansible's `bytes_to_human`: the largest binary unit the size reaches, two decimals.
pub fn bytes_to_human(size: f64) -> String {
    const UNITS: [(&str, u32); 8] = [
        ("YB", 80),
        ("ZB", 70),
        ("EB", 60),
        ("PB", 50),
        ("TB", 40),
        ("GB", 30),
        ("MB", 20),
        ("KB", 10),
    ];
    for (suffix, shift) in UNITS {
        let limit = 2f64.powi(shift as i32);
        if size >= limit {
            return format!("{:.2} {suffix}", size / limit);
        }
    }
    format!("{size:.2} Bytes")
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::symlink;

    #[test]
    fn formats_sizes_as_ansible() {
        assert_eq!(bytes_to_human(0.0), "0.00 Bytes");
        assert_eq!(bytes_to_human(512.0), "512.00 Bytes");
        assert_eq!(bytes_to_human(274877906944.0), "256.00 GB");
        assert_eq!(bytes_to_human(1536.0), "1.50 KB");
        assert_eq!(bytes_to_human(1_000_204_886_016.0), "931.51 GB");
    }

    #[test]
    fn names_partitions_and_schedulers_as_ansible() {
        assert_eq!(partition_name("sda", "sda1").as_deref(), Some("sda1"));
        assert_eq!(
            partition_name("nvme0n1", "nvme0n1p12").as_deref(),
            Some("nvme0n1p12")
        );
        assert_eq!(partition_name("sda", "queue"), None);
        assert_eq!(partition_name("sda", "holders"), None);
        assert_eq!(partition_name("sda", "sdap"), None);
        assert_eq!(
            partition_name("loop0", "loop0p1").as_deref(),
            Some("loop0p1")
        );
        assert_eq!(
            scheduler_mode("none [mq-deadline] kyber bfq").as_deref(),
            Some("mq-deadline")
        );
        assert_eq!(scheduler_mode("none"), None);
    }

    /// A /sys/block with one disk (two partitions, one held by device-mapper) and a
    /// /dev/disk with its links, as the kernel and udev lay them out.
    fn fixture(root: &Path) -> Sources {
        let devices = root.join("sys/devices/pci0000:00/0000:00:05.0/block");
        let sda = devices.join("sda");
        let write = |path: PathBuf, text: &str| {
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write(sda.join("device/vendor"), "ATA     \n");
        write(sda.join("device/model"), "Samsung SSD 870\n");
        write(sda.join("device/serial"), "S5Y1\n");
        write(sda.join("removable"), "0\n");
        write(sda.join("queue/discard_max_hw_bytes"), "2147450880\n");
        write(sda.join("queue/discard_granularity"), "512\n");
        write(sda.join("queue/rotational"), "0\n");
        write(sda.join("queue/scheduler"), "[mq-deadline] none\n");
        write(sda.join("queue/logical_block_size"), "512\n");
        write(sda.join("size"), "1953525168\n");
        write(sda.join("sda1/start"), "2048\n");
        write(sda.join("sda1/size"), "1048576\n");
        write(sda.join("sda2/start"), "1050624\n");
        write(sda.join("sda2/size"), "2097152\n");
        write(
            root.join("sys/devices/virtual/block/dm-0/dm/name"),
            "cryptroot\n",
        );
        std::fs::create_dir_all(sda.join("sda2/holders")).expect("mkdir");
        symlink(
            "../../../../../../virtual/block/dm-0",
            sda.join("sda2/holders/dm-0"),
        )
        .expect("link");
        let sys_block = root.join("sys/block");
        std::fs::create_dir_all(&sys_block).expect("mkdir");
        symlink(
            "../devices/pci0000:00/0000:00:05.0/block/sda",
            sys_block.join("sda"),
        )
        .expect("link");
        let dev = root.join("dev");
        for part in ["sda", "sda1", "sda2"] {
            write(dev.join(part), "");
        }
        for (folder, name, target) in [
            ("by-id", "ata-Samsung_SSD_870_S5Y1", "../../sda"),
            ("by-id", "wwn-0x5002538f", "../../sda"),
            ("by-id", "ata-Samsung_SSD_870_S5Y1-part1", "../../sda1"),
            ("by-uuid", "7C1A-2B3D", "../../sda1"),
            ("by-label", "EFI", "../../sda1"),
        ] {
            let dir = dev.join("disk").join(folder);
            std::fs::create_dir_all(&dir).expect("mkdir");
            symlink(target, dir.join(name)).expect("link");
        }
        Sources { sys_block, dev }
    }

    #[test]
    fn host_is_lspcis_name_of_the_last_pci_function() {
        let root = tempfile::tempdir().expect("tempdir");
        let sources = fixture(root.path());
        let tools = Tools {
            pci_listing: Some(
                "0000:00:00.0 Host bridge: Intel Corporation Device 0d57\n\
                 0000:00:05.0 SATA controller: Intel Corporation C600 (rev 06)\n"
                    .into(),
            ),
            sg_inq_serials: None,
        };
        let mut facts = Facts::new();
        add(&sources, &tools, &mut facts);
        let devices = serde_json::to_value(&facts["devices"]).expect("facts are JSON");
        assert_eq!(
            devices["sda"]["host"],
            "SATA controller: Intel Corporation C600 (rev 06)"
        );
        assert_eq!(devices["sda"]["serial"], "S5Y1");
        let pci_host = tools.pci_host(Path::new("/sys/block/../devices/virtual/block/loop0"));
        assert_eq!(pci_host, "");
    }

    #[test]
    fn this_systems_sg_inq_decides_the_serial() {
        let host = Host::new(machinist_modules::HostOptions::new(Path::new("/"))).expect("host");
        let tools = Tools::of(&host);
        let root = tempfile::tempdir().expect("tempdir");
        let sources = fixture(root.path());
        // With sg_inq found, its answer (none for a device it cannot open) replaces
        // the kernel's device/serial, as in ansible-core.
        match &tools.sg_inq_serials {
            Some(_) => assert_ne!(
                tools.serial(&sources.sys_block, "sda").as_deref(),
                Some("S5Y1")
            ),
            None => assert_eq!(
                tools.serial(&sources.sys_block, "sda").as_deref(),
                Some("S5Y1")
            ),
        }
    }

    #[test]
    fn reads_a_disk_its_partitions_and_links_as_ansible() {
        let root = tempfile::tempdir().expect("tempdir");
        let sources = fixture(root.path());
        let mut facts = Facts::new();
        add(&sources, &Tools::default(), &mut facts);
        let devices = serde_json::to_value(&facts["devices"]).expect("facts are JSON");
        let sda = &devices["sda"];
        assert_eq!(sda["vendor"], "ATA");
        assert_eq!(sda["model"], "Samsung SSD 870");
        assert_eq!(sda["serial"], "S5Y1");
        assert_eq!(sda["sas_address"], Json::Null);
        assert_eq!(sda["virtual"], 1);
        assert_eq!(sda["sectors"], 1953525168u64);
        assert_eq!(sda["sectorsize"], "512");
        assert_eq!(sda["size"], "931.51 GB");
        assert_eq!(sda["support_discard"], "512");
        assert_eq!(sda["scheduler_mode"], "mq-deadline");
        assert_eq!(sda["wwn"], "0x5002538f");
        assert_eq!(sda["host"], "");
        assert_eq!(
            sda["links"]["ids"],
            json!(["ata-Samsung_SSD_870_S5Y1", "wwn-0x5002538f"])
        );
        let sda1 = &sda["partitions"]["sda1"];
        assert_eq!(sda1["start"], "2048");
        assert_eq!(sda1["sectorsize"], 512);
        assert_eq!(sda1["sectors"], 1048576);
        assert_eq!(sda1["size"], "512.00 MB");
        assert_eq!(sda1["uuid"], "7C1A-2B3D");
        assert_eq!(sda1["links"]["labels"], json!(["EFI"]));
        let sda2 = &sda["partitions"]["sda2"];
        assert_eq!(sda2["uuid"], Json::Null);
        assert_eq!(sda2["holders"], json!(["cryptroot"]));
        let links = serde_json::to_value(&facts["device_links"]).expect("facts are JSON");
        assert_eq!(links["uuids"], json!({"sda1": ["7C1A-2B3D"]}));
        assert_eq!(links["masters"], json!({}));
    }
}
