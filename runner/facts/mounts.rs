//! Ansible's `mounts` (the `hardware` subset): each mounted file system whose source
//! is a path (`/dev/vda`, `server:/export`), as ansible-core lists /etc/mtab's lines,
//! with its size from statvfs(3) and its UUID. Read from /proc/self/mountinfo (the
//! mounts of the target's own mount namespace, an agent's inside a container), with
//! no tool run: the options as /proc/mounts (what /etc/mtab links to) prints them,
//! `,bind` added where the mount shows a folder of its file system (what ansible-core
//! asks findmnt), and the UUID from /dev/disk/by-uuid (what lsblk reports from udev),
//! `N/A` without one; `gather_timeout` bounds the mounts' statvfs. An offline
//! root has no mounts: an empty list.

use super::Facts;
use machinist_modules::Host;
use minijinja::Value;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

/// One line of /proc/self/mountinfo, its escapes undone.
#[derive(Debug, PartialEq, Eq)]
struct MountInfo {
    root: String,
    mount: String,
    /// As /proc/mounts prints them.
    options: String,
    fstype: String,
    device: String,
}

/// `mounts`, for a running target. A mount whose size takes longer than `timeout`
/// (`gather_timeout`: a hung network file system) gets ansible-core's `note`
/// instead of its size and UUID.
pub fn add(host: &Host, timeout: Duration, facts: &mut Facts) {
    let table = if host.root() == Path::new("/") {
        std::fs::read_to_string("/proc/self/mountinfo").unwrap_or_default()
    } else {
        String::new()
    };
    let mounts = parse_mountinfo(&table);
    let binds: Vec<&str> = mounts
        .iter()
        .filter(|found| found.root != "/")
        .map(|found| found.mount.as_str())
        .collect();
    let uuids = uuids_by_device();
    let listed: Vec<&MountInfo> = mounts
        .iter()
        .filter(|found| {
            let path_source = found.device.starts_with(['/', '\\']) || found.device.contains(":/");
            path_source && found.fstype != "none"
        })
        .collect();
    let sizes = sizes(
        listed.iter().map(|found| found.mount.clone()).collect(),
        timeout,
    );
    let listed: Vec<Value> = listed
        .into_iter()
        .zip(sizes)
        .map(|(found, size)| {
            let mut options = found.options.clone();
            if binds.contains(&found.mount.as_str()) {
                options.push_str(",bind");
            }
            let mut fields: BTreeMap<String, Value> = BTreeMap::from([
                ("mount".into(), Value::from(found.mount.as_str())),
                ("device".into(), Value::from(found.device.as_str())),
                ("fstype".into(), Value::from(found.fstype.as_str())),
                ("options".into(), Value::from(options)),
                ("dump".into(), Value::from(0)),
                ("passno".into(), Value::from(0)),
            ]);
            match size {
                Some(size) => {
                    fields.extend(size);
                    let uuid = uuid_of(&uuids, &found.device).unwrap_or_else(|| "N/A".into());
                    fields.insert("uuid".into(), Value::from(uuid));
                }
                None => {
                    tracing::warn!(
                        mount = found.mount,
                        "Timeout exceeded when getting mount info"
                    );
                    let note = "Could not get extra information due to timeout";
                    fields.insert("note".into(), Value::from(note));
                }
            }
            Value::from(fields)
        })
        .collect();
    facts.insert("mounts".into(), Value::from(listed));
}

/// How many threads ask for the mounts' sizes at once (ansible-core's pool has as
/// many as the processors and four, up to 32).
const SIZE_WORKERS: usize = 8;

type Size = BTreeMap<String, Value>;

/// Each mount's size, asked by a few threads (statvfs on a hung network file system
/// never returns: one such mount holds up one thread, not the others); `None` for
/// one that has not answered by `timeout` (its thread is left behind, as
/// ansible-core leaves its daemon thread).
fn sizes(mounts: Vec<String>, timeout: Duration) -> Vec<Option<Size>> {
    let deadline = Instant::now() + timeout;
    let count = mounts.len();
    let queue = Arc::new(Mutex::new(mounts.into_iter().enumerate()));
    let next = |queue: &Mutex<std::iter::Enumerate<std::vec::IntoIter<String>>>| {
        queue
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .next()
    };
    let (sender, answers) = mpsc::channel();
    let mut started = 0;
    for _ in 0..SIZE_WORKERS.min(count) {
        let (queue, sender) = (Arc::clone(&queue), sender.clone());
        let spawned = std::thread::Builder::new()
            .name("mount-size".into())
            .spawn(move || {
                while let Some((index, mount)) = next(&queue) {
                    if sender.send((index, size(&mount))).is_err() {
                        break;
                    }
                }
            });
        started += usize::from(spawned.is_ok());
    }
    drop(sender);
    if started == 0 {
        tracing::warn!("facts: no thread for the mounts' sizes; asked without a bound");
        let mut found = Vec::with_capacity(count);
        while let Some((_, mount)) = next(&queue) {
            found.push(Some(size(&mount)));
        }
        return found;
    }
    let mut found: Vec<Option<Size>> = vec![None; count];
    for _ in 0..count {
        let left = deadline.saturating_duration_since(Instant::now());
        match answers.recv_timeout(left) {
            Ok((index, size)) => found[index] = Some(size),
            Err(_) => break,
        }
    }
    found
}

/// ansible-core's size fields from statvfs(3); none when it fails.
fn size(mount: &str) -> Size {
    let Ok(vfs) = rustix::fs::statvfs(mount) else {
        return BTreeMap::new();
    };
    BTreeMap::from([
        (
            "size_total".into(),
            Value::from(vfs.f_frsize * vfs.f_blocks),
        ),
        (
            "size_available".into(),
            Value::from(vfs.f_frsize * vfs.f_bavail),
        ),
        ("block_size".into(), Value::from(vfs.f_bsize)),
        ("block_total".into(), Value::from(vfs.f_blocks)),
        ("block_available".into(), Value::from(vfs.f_bavail)),
        (
            "block_used".into(),
            Value::from(vfs.f_blocks.saturating_sub(vfs.f_bavail)),
        ),
        ("inode_total".into(), Value::from(vfs.f_files)),
        ("inode_available".into(), Value::from(vfs.f_favail)),
        (
            "inode_used".into(),
            Value::from(vfs.f_files.saturating_sub(vfs.f_favail)),
        ),
    ])
}

/// The devices /dev/disk/by-uuid names (udev's links), by the device they point to.
fn uuids_by_device() -> Vec<(PathBuf, String)> {
    let dir = Path::new("/dev/disk/by-uuid");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|entry| entry.ok())
        .filter_map(|entry| {
            let device = std::fs::canonicalize(entry.path()).ok()?;
            Some((device, entry.file_name().to_string_lossy().into_owned()))
        })
        .collect()
}

fn uuid_of(uuids: &[(PathBuf, String)], device: &str) -> Option<String> {
    if uuids.is_empty() || !device.starts_with('/') {
        return None;
    }
    let device = std::fs::canonicalize(device).ok()?;
    uuids
        .iter()
        .find(|(path, _)| *path == device)
        .map(|(_, uuid)| uuid.clone())
}

/// The flags of a super block that /proc/mounts prints before the mount's own.
const SUPER_BLOCK_FLAGS: [&str; 4] = ["sync", "dirsync", "mand", "lazytime"];

/// proc(5)'s mountinfo lines: `ID PARENT MAJ:MIN ROOT MOUNT OPTIONS [TAGS…] -
/// FSTYPE SOURCE SUPER_OPTIONS`. The options are put together as /proc/mounts shows
/// them: the mount's rw/ro, the super block's flags, the mount's other options, then
/// the file system's own.
fn parse_mountinfo(table: &str) -> Vec<MountInfo> {
    table
        .lines()
        .filter_map(|line| {
            let fields: Vec<&str> = line.split(' ').collect();
            let separator = fields.iter().position(|field| *field == "-")?;
            let (root, mount, mount_options) = (fields.get(3)?, fields.get(4)?, fields.get(5)?);
            let (fstype, source, super_options) = (
                fields.get(separator + 1)?,
                fields.get(separator + 2)?,
                fields.get(separator + 3).copied().unwrap_or_default(),
            );
            let mut mine = mount_options.split(',');
            let mut options: Vec<&str> = mine.next().into_iter().collect();
            let mut theirs = super_options.split(',').skip(1).peekable();
            while let Some(flag) = theirs.next_if(|flag| SUPER_BLOCK_FLAGS.contains(flag)) {
                options.push(flag);
            }
            options.extend(mine);
            options.extend(theirs.filter(|option| !option.is_empty()));
            Some(MountInfo {
                root: machinist_modules::mount::unescape(root),
                mount: machinist_modules::mount::unescape(mount),
                options: machinist_modules::mount::unescape(&options.join(",")),
                fstype: machinist_modules::mount::unescape(fstype),
                device: machinist_modules::mount::unescape(source),
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mountinfo_lines_with_the_options_of_proc_mounts() {
        let table = "\
29 1 254:0 / / rw,relatime shared:1 - ext4 /dev/vda rw,discard,resv_strict
41 29 254:0 /srv/a\\040b /mnt/my\\040dir rw,nosuid,nodev - ext4 /dev/vda rw,lazytime,discard
50 29 0:40 / /run rw,nosuid,nodev - tmpfs tmpfs rw,size=10k,mode=755
";
        let found = parse_mountinfo(table);
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].options, "rw,relatime,discard,resv_strict");
        assert_eq!(found[1].mount, "/mnt/my dir");
        assert_eq!(found[1].root, "/srv/a b");
        assert_eq!(found[1].options, "rw,lazytime,nosuid,nodev,discard");
        assert_eq!(found[2].options, "rw,nosuid,nodev,size=10k,mode=755");
        assert_eq!(found[2].device, "tmpfs");
    }

    #[test]
    fn sizes_in_the_order_asked_by_a_few_threads() {
        let mounts: Vec<String> = (0..20)
            .map(|n| {
                if n % 2 == 0 {
                    "/".into()
                } else {
                    format!("/no/such/{n}")
                }
            })
            .collect();
        let found = sizes(mounts, Duration::from_secs(10));
        assert_eq!(found.len(), 20);
        for (n, size) in found.iter().enumerate() {
            let size = size.as_ref().expect("answered in time");
            assert_eq!(size.contains_key("size_total"), n % 2 == 0, "{n}: {size:?}");
        }
    }

    #[test]
    fn this_systems_mountinfo_reads_as_its_proc_mounts() {
        let (Ok(info), Ok(mounts)) = (
            std::fs::read_to_string("/proc/self/mountinfo"),
            std::fs::read_to_string("/proc/self/mounts"),
        ) else {
            return;
        };
        let from_info: Vec<String> = parse_mountinfo(&info)
            .iter()
            .map(|m| format!("{} {}", m.fstype, m.options))
            .collect();
        let from_mounts: Vec<String> = mounts
            .lines()
            .filter_map(|line| {
                let fields: Vec<&str> = line.split(' ').collect();
                Some(format!(
                    "{} {}",
                    fields.get(2)?,
                    machinist_modules::mount::unescape(fields.get(3)?)
                ))
            })
            .collect();
        assert_eq!(from_info, from_mounts);
    }
}
