//! The inventory benchmark (issue 16: "loading a 1000-host inventory with group_vars:
//! under 50 ms"): a generated INI inventory of N hosts in N/50 groups under two
//! parents, each group with a `group_vars/` file, a tenth of the hosts with a
//! `host_vars/` file, loaded with `Inventory::load` in this process, then every
//! host's variable layer built (what the executor asks once per host), and the whole
//! `machinist inventory --list` of the binary for comparison.
//!
//! `cargo bench --bench inventory` runs N = 100, 1000 and 10 000; under
//! `cargo test --all-targets` (no `--bench`) it is a smoke test at N = 100. The table
//! shows the median of the repetitions; speed is reported, never asserted.

use machinist::inventory::Inventory;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_machinist");
const REPEATS: usize = 7;

fn main() {
    let benching = std::env::args().any(|a| a == "--bench");
    let (sizes, repeats): (&[usize], usize) = match benching {
        true => (&[100, 1000, 10_000], REPEATS),
        false => (&[100], 1),
    };
    let mut table = String::from(
        "| hosts | load (library) | load + every host's vars | `machinist inventory --list` |\n\
         |---:|---:|---:|---:|\n",
    );
    for &hosts in sizes {
        let dir = tempfile::tempdir().expect("temp dir");
        let inventory = generate(dir.path(), hosts);
        let source = vec![inventory.display().to_string()];
        let mut load = Vec::new();
        let mut with_vars = Vec::new();
        let mut binary = Vec::new();
        for _ in 0..repeats {
            let start = Instant::now();
            let loaded = Inventory::load(&source, dir.path()).expect("inventory loads");
            load.push(start.elapsed());
            let all = loaded.select("all").expect("all");
            assert_eq!(all.len(), hosts);
            let vars: usize = all
                .iter()
                .map(|host| loaded.host_vars(host, dir.path()).names().count())
                .sum();
            with_vars.push(start.elapsed());
            assert!(vars >= hosts * 3, "every host has its group's variables");
            let start = Instant::now();
            let status = Command::new(BIN)
                .args(["inventory", "-i", &source[0], "--list"])
                .stdout(Stdio::null())
                .status()
                .expect("machinist inventory");
            binary.push(start.elapsed());
            assert!(status.success());
        }
        let _ = writeln!(
            table,
            "| {hosts} | {} | {} | {} |",
            ms(median(load)),
            ms(median(with_vars)),
            ms(median(binary))
        );
    }
    print!("{table}");
}

/// `hosts.ini` with `hosts` hosts in groups of 50, two parent groups, group_vars/
/// for every group and host_vars/ for every tenth host.
fn generate(dir: &Path, hosts: usize) -> std::path::PathBuf {
    let groups = hosts.div_ceil(50);
    let mut ini = String::from("[all:vars]\nansible_connection=local\n\n");
    for group in 0..groups {
        let _ = writeln!(ini, "[g{group}]");
        for host in group * 50..((group + 1) * 50).min(hosts) {
            let _ = writeln!(
                ini,
                "host{host:05}.example machinist_root=/var/lib/machines/host{host:05} n={host}"
            );
        }
        let _ = writeln!(ini, "\n[g{group}:vars]\ngroup_index={group}\n");
    }
    ini.push_str("[even:children]\n");
    for group in (0..groups).step_by(2) {
        let _ = writeln!(ini, "g{group}");
    }
    ini.push_str("\n[odd:children]\n");
    for group in (1..groups).step_by(2) {
        let _ = writeln!(ini, "g{group}");
    }
    let write = |name: String, text: String| {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    };
    for group in 0..groups {
        write(
            format!("group_vars/g{group}.yml"),
            format!(
                "packages: [nginx, curl]\nport: {}\ntemplated: \"{{{{ group_index }}}}-x\"\n",
                8000 + group
            ),
        );
    }
    write("group_vars/all.yml".into(), "domain: example.org\n".into());
    for host in (0..hosts).step_by(10) {
        write(
            format!("host_vars/host{host:05}.example.yml"),
            format!("serial: {host}\n"),
        );
    }
    let path = dir.join("hosts.ini");
    std::fs::write(&path, ini).expect("write inventory");
    path
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(duration: Duration) -> String {
    format!("{:.1} ms", duration.as_secs_f64() * 1000.0)
}
