//! Ansible's `hardware` subset, the part roles read: the processor counts
//! (`processor_count`, `processor_cores`, `processor_threads_per_core`,
//! `processor_vcpus`, `processor_nproc`, `processor`, and the CPU `flags`), memory
//! and swap in MB (and `memory_mb`'s real/nocache/swap table), `uptime_seconds`, and
//! `loadavg` (the kernel's, unrounded, as Python's `os.getloadavg()`). These are the kernel's (one kernel runs a root, its
//! containers and the host), read from /proc as ansible-core's Linux collector reads
//! them, with its arithmetic (Python's rounding included).

use super::Facts;
use minijinja::Value;

fn kernel_text(path: &str) -> Option<String> {
    std::fs::read_to_string(path).ok()
}

/// The processor, memory and uptime facts.
pub fn add(architecture: &str, facts: &mut Facts) {
    if let Some(cpuinfo) = kernel_text("/proc/cpuinfo") {
        let xen_paravirt = is_xen()
            && cpuinfo.lines().any(|line| {
                line.split_once(':').is_some_and(|(key, flags)| {
                    key.trim() == "flags" && !flags.split_whitespace().any(|f| f == "vme")
                })
            });
        let cpu = Cpus::parse(&cpuinfo, architecture, xen_paravirt);
        let nproc = kernel_text("/proc/self/status")
            .and_then(|status| allowed_cpus(&status))
            .unwrap_or(cpu.nproc);
        if let Some(flags) = cpu_flags(&cpuinfo) {
            facts.insert("flags".into(), Value::from(flags));
        }
        facts.insert("processor".into(), Value::from(cpu.processor));
        facts.insert("processor_count".into(), Value::from(cpu.count));
        facts.insert("processor_cores".into(), Value::from(cpu.cores));
        facts.insert(
            "processor_threads_per_core".into(),
            Value::from(cpu.threads_per_core),
        );
        facts.insert("processor_vcpus".into(), Value::from(cpu.vcpus));
        facts.insert("processor_nproc".into(), Value::from(nproc));
    }
    if let Some(meminfo) = kernel_text("/proc/meminfo") {
        for (fact, key) in [
            ("memtotal_mb", "MemTotal"),
            ("memfree_mb", "MemFree"),
            ("swaptotal_mb", "SwapTotal"),
            ("swapfree_mb", "SwapFree"),
        ] {
            if let Some(kb) = meminfo_kb(&meminfo, key) {
                facts.insert(fact.into(), Value::from(kb / 1024));
            }
        }
        facts.insert(
            "memory_mb".into(),
            minijinja::Value::from_serialize(memory_mb(&meminfo)),
        );
    }
    let loads = rustix::system::sysinfo().loads;
    facts.insert(
        "loadavg".into(),
        Value::from_iter(
            ["1m", "5m", "15m"]
                .iter()
                .zip(loads)
                .map(|(name, load)| (*name, Value::from(load as f64 / 65536.0))),
        ),
    );
    if let Some(seconds) = kernel_text("/proc/uptime").and_then(|text| uptime_seconds(&text)) {
        facts.insert("uptime_seconds".into(), Value::from(seconds));
    }
}

/// The last `flags` line's words (each processor has one), as ansible-core keeps.
fn cpu_flags(cpuinfo: &str) -> Option<Vec<String>> {
    cpuinfo
        .lines()
        .rev()
        .filter_map(|line| line.split_once(':'))
        .find(|(key, _)| key.trim() == "flags")
        .map(|(_, flags)| flags.split_whitespace().map(str::to_string).collect())
}

/// ansible-core's `memory_mb`: MB (kB / 1024, floored) of real memory, of what is
/// free once caches and buffers are counted as free, and of swap; `null` where
/// /proc/meminfo lacks a line.
fn memory_mb(meminfo: &str) -> serde_json::Value {
    let mb = |key: &str| meminfo_kb(meminfo, key).map(|kb| kb / 1024);
    let (total, free) = (mb("MemTotal"), mb("MemFree"));
    let (swap_total, swap_free) = (mb("SwapTotal"), mb("SwapFree"));
    let nocache_free = match (mb("Cached"), free, mb("Buffers")) {
        (Some(cached), Some(free), Some(buffers)) => Some(cached + free + buffers),
        _ => None,
    };
    let minus = |a: Option<u64>, b: Option<u64>| Some(a? as i64 - b? as i64);
    serde_json::json!({
        "real": {"total": total, "used": minus(total, free), "free": free},
        "nocache": {"free": nocache_free, "used": minus(total, nocache_free)},
        "swap": {
            "total": swap_total,
            "free": swap_free,
            "used": minus(swap_total, swap_free),
            "cached": mb("SwapCached"),
        },
    })
}

fn is_xen() -> bool {
    std::path::Path::new("/proc/xen").exists()
        || kernel_text("/sys/hypervisor/type")
            .and_then(|text| text.lines().next().map(|line| line.trim() == "xen"))
            .unwrap_or(false)
}

/// What ansible-core's `get_cpu_facts` counts in /proc/cpuinfo.
#[derive(Debug, PartialEq, Eq)]
struct Cpus {
    processor: Vec<String>,
    count: u64,
    cores: u64,
    threads_per_core: u64,
    vcpus: u64,
    nproc: u64,
}

impl Cpus {
    fn parse(cpuinfo: &str, architecture: &str, xen_paravirt: bool) -> Cpus {
        let mut processor = Vec::new();
        let (mut entries, mut vendor_ids, mut model_names, mut processors) = (0u64, 0, 0, 0u64);
        // ansible-core starts both at the integer 0, a key no line's text equals.
        let mut physical_id = "\0".to_string();
        let mut core_id = "\0".to_string();
        // Insertion-ordered as Python's dicts: the first socket's and core's counts are read.
        let mut sockets: Vec<(String, u64)> = Vec::new();
        let mut cores: Vec<(String, u64)> = Vec::new();
        let set = |table: &mut Vec<(String, u64)>, key: &str, value: u64| match table
            .iter_mut()
            .find(|(k, _)| k == key)
        {
            Some(entry) => entry.1 = value,
            None => table.push((key.to_string(), value)),
        };
        for line in cpuinfo.lines() {
            let (key, value) = match line.split_once(':') {
                Some((key, value)) => (key.trim(), value.trim()),
                None => (line.trim(), ""),
            };
            match key {
                "model name" | "Processor" | "vendor_id" | "cpu" | "Vendor" | "processor" => {
                    processor.push(value.to_string());
                    match key {
                        "vendor_id" => vendor_ids += 1,
                        "model name" => model_names += 1,
                        "processor" => processors += 1,
                        _ => {}
                    }
                    entries += 1;
                }
                "physical id" => {
                    physical_id = value.to_string();
                    if !sockets.iter().any(|(k, _)| *k == physical_id) {
                        sockets.push((physical_id.clone(), 1));
                    }
                }
                "core id" => {
                    core_id = value.to_string();
                    // ansible-core checks the core id against the sockets here.
                    if !sockets.iter().any(|(k, _)| *k == core_id) {
                        set(&mut cores, &core_id, 1);
                    }
                }
                "cpu cores" => set(&mut sockets, &physical_id, value.parse().unwrap_or(0)),
                "siblings" => set(&mut cores, &core_id, value.parse().unwrap_or(0)),
                "ncpus active" => entries = value.parse().unwrap_or(entries),
                _ => {}
            }
        }
        if vendor_ids > 0 && vendor_ids == model_names {
            entries = vendor_ids;
        }
        if ["armv", "aarch", "ppc"]
            .iter()
            .any(|p| architecture.starts_with(p))
        {
            entries = processors;
        }
        if xen_paravirt {
            return Cpus {
                processor,
                count: entries,
                cores: entries,
                threads_per_core: 1,
                vcpus: entries,
                nproc: entries,
            };
        }
        let count = if sockets.is_empty() {
            entries
        } else {
            sockets.len() as u64
        };
        let cores_per_socket = sockets
            .first()
            .map(|(_, n)| *n)
            .filter(|n| *n > 0)
            .unwrap_or(1);
        let siblings = cores.first().map(|(_, n)| *n).unwrap_or(1);
        let threads_per_core = python_round_ratio(siblings, cores_per_socket);
        Cpus {
            processor,
            count,
            cores: cores_per_socket,
            threads_per_core,
            vcpus: threads_per_core * count * cores_per_socket,
            nproc: processors,
        }
    }
}

/// Python's `round(a / b)`: halves go to the even neighbour.
fn python_round_ratio(a: u64, b: u64) -> u64 {
    let (quotient, remainder) = (a / b, a % b);
    match (2 * remainder).cmp(&b) {
        std::cmp::Ordering::Less => quotient,
        std::cmp::Ordering::Greater => quotient + 1,
        std::cmp::Ordering::Equal => quotient + (quotient % 2),
    }
}

/// How many CPUs this process may run on (`Cpus_allowed_list`), as Python's
/// `len(os.sched_getaffinity(0))`.
fn allowed_cpus(status: &str) -> Option<u64> {
    let list = status
        .lines()
        .find_map(|line| line.strip_prefix("Cpus_allowed_list:"))?;
    let mut total = 0;
    for range in list.trim().split(',').filter(|r| !r.is_empty()) {
        total += match range.split_once('-') {
            Some((low, high)) => high.parse::<u64>().ok()? - low.parse::<u64>().ok()? + 1,
            None => {
                range.parse::<u64>().ok()?;
                1
            }
        };
    }
    (total > 0).then_some(total)
}

/// A /proc/meminfo line's kB.
fn meminfo_kb(meminfo: &str, key: &str) -> Option<u64> {
    meminfo.lines().find_map(|line| {
        let (name, value) = line.split_once(':')?;
        (name.trim() == key).then(|| value.split_whitespace().next()?.parse().ok())?
    })
}

/// /proc/uptime's first number, truncated as Python's `int(float(...))`.
fn uptime_seconds(text: &str) -> Option<u64> {
    let seconds: f64 = text.split_whitespace().next()?.parse().ok()?;
    (seconds >= 0.0).then_some(seconds as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    const TWO_THREADED_CORES: &str =
        "processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n\
        physical id\t: 0\nsiblings\t: 4\ncore id\t\t: 0\ncpu cores\t: 2\n\n\
        processor\t: 1\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n\
        physical id\t: 0\nsiblings\t: 4\ncore id\t\t: 0\ncpu cores\t: 2\n\n\
        processor\t: 2\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n\
        physical id\t: 0\nsiblings\t: 4\ncore id\t\t: 1\ncpu cores\t: 2\n\n\
        processor\t: 3\nvendor_id\t: GenuineIntel\nmodel name\t: Xeon\n\
        physical id\t: 0\nsiblings\t: 4\ncore id\t\t: 1\ncpu cores\t: 2\n";

    #[test]
    fn counts_sockets_cores_and_threads() {
        let cpus = Cpus::parse(TWO_THREADED_CORES, "x86_64", false);
        assert_eq!(
            (
                cpus.count,
                cpus.cores,
                cpus.threads_per_core,
                cpus.vcpus,
                cpus.nproc
            ),
            (1, 2, 2, 4, 4)
        );
        assert_eq!(cpus.processor[..3], ["0", "GenuineIntel", "Xeon"]);
    }

    #[test]
    fn arm_without_sockets_counts_processors() {
        let arm = "processor\t: 0\nBogoMIPS\t: 50.00\n\nprocessor\t: 1\nBogoMIPS\t: 50.00\n";
        let cpus = Cpus::parse(arm, "aarch64", false);
        assert_eq!(
            (cpus.count, cpus.cores, cpus.threads_per_core, cpus.vcpus),
            (2, 1, 1, 2)
        );
    }

    #[test]
    fn rounds_as_python() {
        assert_eq!(python_round_ratio(1, 2), 0);
        assert_eq!(python_round_ratio(3, 2), 2);
        assert_eq!(python_round_ratio(5, 2), 2);
        assert_eq!(python_round_ratio(4, 2), 2);
    }

    #[test]
    fn reads_memory_uptime_and_affinity() {
        let meminfo = "MemTotal:       24684324 kB\nMemFree:         1220116 kB\nSwapTotal:             0 kB\n";
        assert_eq!(
            meminfo_kb(meminfo, "MemTotal").map(|kb| kb / 1024),
            Some(24105)
        );
        assert_eq!(meminfo_kb(meminfo, "SwapTotal"), Some(0));
        assert_eq!(meminfo_kb(meminfo, "SwapFree"), None);
        assert_eq!(uptime_seconds("45003.71 88000.12\n"), Some(45003));
        let table = memory_mb(
            "MemTotal: 2048000 kB\nMemFree: 1024000 kB\nBuffers: 10240 kB\n\
             Cached: 102400 kB\nSwapCached: 0 kB\nSwapTotal: 0 kB\nSwapFree: 0 kB\n",
        );
        assert_eq!(
            table,
            serde_json::json!({"real": {"total": 2000, "used": 1000, "free": 1000},
                "nocache": {"free": 1110, "used": 890},
                "swap": {"total": 0, "free": 0, "used": 0, "cached": 0}})
        );
        assert_eq!(
            cpu_flags("flags\t: fpu vme\nflags\t: fpu sse\n"),
            Some(vec!["fpu".to_string(), "sse".to_string()])
        );
        assert_eq!(
            allowed_cpus("Name:\tx\nCpus_allowed_list:\t0-3,6\n"),
            Some(5)
        );
    }
}
