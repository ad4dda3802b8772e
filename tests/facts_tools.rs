//! The facts gathered by running the tools ansible-core runs, through the real binary
//! on this machine: `lvm` lists a volume group made for the test on a loop device
//! (vgs, lvs, pvs), as ansible-core's collector reads them. Needs root, losetup and
//! lvm2 (scripts/debian-packages); without them it says so and passes, except in CI.

mod common;
use common::Test;
use std::path::Path;
use std::process::Command;

/// A volume group on a loop device over a file, removed with the device when dropped.
struct LoopVolumeGroup {
    name: String,
    device: String,
}

impl LoopVolumeGroup {
    fn new(image: &Path, name: &str) -> Option<LoopVolumeGroup> {
        std::fs::File::create(image).ok()?.set_len(16 << 20).ok()?;
        let attached = Command::new("losetup")
            .args(["-f", "--show"])
            .arg(image)
            .output()
            .ok()?;
        if !attached.status.success() {
            return None;
        }
        let device = String::from_utf8_lossy(&attached.stdout).trim().to_string();
        let group = LoopVolumeGroup {
            name: name.to_string(),
            device,
        };
        let made = Command::new("vgcreate")
            .args([&group.name, &group.device])
            .output()
            .ok()?;
        assert!(
            made.status.success(),
            "vgcreate: {}",
            String::from_utf8_lossy(&made.stderr)
        );
        Some(group)
    }
}

impl Drop for LoopVolumeGroup {
    fn drop(&mut self) {
        let _ = Command::new("vgremove").args(["-f", &self.name]).output();
        let _ = Command::new("pvremove").args(["-f", &self.device]).output();
        let _ = Command::new("losetup").args(["-d", &self.device]).output();
    }
}

fn have(program: &str) -> bool {
    Command::new("sh")
        .args([
            "-c",
            &format!("command -v {program} || test -x /usr/sbin/{program}"),
        ])
        .output()
        .is_ok_and(|found| found.status.success())
}

#[test]
fn lvm_lists_a_loop_devices_volume_group() {
    let usable = rustix::process::getuid().is_root() && have("vgcreate") && have("losetup");
    if !usable {
        assert!(
            std::env::var_os("CI").is_none(),
            "CI needs root, losetup and lvm2"
        );
        eprintln!("skipped: needs root, losetup and lvm2");
        return;
    }
    let test = Test::new();
    let name = format!("machinist_f4_{}", std::process::id());
    let Some(group) = LoopVolumeGroup::new(&test.outside().join("pv.img"), &name) else {
        assert!(std::env::var_os("CI").is_none(), "no loop device in CI");
        eprintln!("skipped: no loop device");
        return;
    };
    test.playbook(&format!(
        "- hosts: localhost\n  gather_subset: ['!all', '!min', 'hardware']\n  tasks:\n    - assert:\n        that:\n\
         \x20         - ansible_lvm.vgs['{name}'].num_pvs == '1'\n\
         \x20         - ansible_lvm.vgs['{name}'].num_lvs == '0'\n\
         \x20         - ansible_lvm.vgs['{name}'].size_g == ansible_lvm.vgs['{name}'].free_g\n\
         \x20         - ansible_lvm.vgs['{name}'].size_g | float > 0\n\
         \x20         - ansible_lvm.pvs['{device}'].vg == '{name}'\n\
         \x20         - ansible_lvm.pvs['{device}'].size_g | float > 0\n\
         \x20         - ansible_lvm.lvs is mapping\n",
        device = group.device,
    ));
    let run = test.machinist(&["run", "site.yml"]);
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    drop(group);
}
