//! apt-get and apt-cache as the module runs them: inside the target (on the machine's
//! own `/` directly; in a root the root's own apt, run in the root as its `/` —
//! systemd-nspawn for an OS tree — so every path apt and dpkg and the packages'
//! scripts name is the root's), with Ansible's environment; the read-only queries a
//! plan asks (`apt-cache policy`, `apt-get -s`), which keep their caches in memory so
//! planning writes nothing; and what their output says.

use crate::{Host, ModuleError, Op, RunSpec};
use std::collections::BTreeMap;

/// Ansible's APT_ENV_VARS, with the C locale apt's output is parsed in.
fn env() -> Vec<(String, String)> {
    [
        ("DEBIAN_FRONTEND", "noninteractive"),
        ("DEBIAN_PRIORITY", "critical"),
        ("LANG", "C"),
        ("LC_ALL", "C"),
        ("LC_MESSAGES", "C"),
        ("LC_CTYPE", "C"),
        ("LANGUAGE", "C"),
    ]
    .iter()
    .map(|(key, value)| (key.to_string(), value.to_string()))
    .collect()
}

/// Options that keep a query from writing: the binary caches built in memory, no
/// planner log, no lock taken.
const READ_ONLY: [&str; 8] = [
    "-o",
    "Dir::Cache::pkgcache=",
    "-o",
    "Dir::Cache::srcpkgcache=",
    "-o",
    "Dir::Log::Planner=/dev/null",
    "-o",
    "Debug::NoLocking=1",
];

/// A program run in the target: `argv` as given.
pub fn run(argv: Vec<String>) -> Op {
    Op::Run(RunSpec {
        argv,
        env: env(),
        ..RunSpec::default()
    })
}

/// Ask apt (read-only) or dpkg-deb and return its stdout; a failure is its message.
pub fn query(host: &Host, program: &str, words: &[String]) -> Result<String, ModuleError> {
    let mut argv = vec![program.to_string()];
    if program.starts_with("apt") {
        argv.extend(READ_ONLY.iter().map(|word| word.to_string()));
    }
    argv.extend(words.iter().cloned());
    asked(host, argv.clone(), &argv)
}

/// The script of [`query_fresh`]: the lists refreshed into a private folder of /tmp
/// (seeded with the current ones, so unchanged lists are not fetched again; removed
/// on exit), then the query run against them. `$1` is the program, the rest its
/// words.
const FRESH: &str = r#"set -e
lists=$(mktemp -d /tmp/machinist-apt-lists.XXXXXX)
trap 'rm -rf "$lists"' EXIT
chmod 755 "$lists"
cp -a /var/lib/apt/lists/. "$lists/" 2>/dev/null || true
rm -f "$lists/lock"
mkdir -p "$lists/partial"
program=$1
shift
apt-get -qq -o Dir::State::Lists="$lists" -o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache= -o Debug::NoLocking=1 update >&2
exec "$program" -o Dir::State::Lists="$lists" "$@"
"#;

/// [`query`] of an apt program against the lists as the refresh this task runs first
/// will leave them: refreshed into a temporary folder of the target's /tmp (inside
/// systemd-nspawn, a tmpfs of its own), never into /var/lib/apt/lists.
pub fn query_fresh(host: &Host, program: &str, words: &[String]) -> Result<String, ModuleError> {
    let mut argv = vec![
        "sh".to_string(),
        "-c".into(),
        FRESH.into(),
        "sh".into(),
        program.to_string(),
    ];
    argv.extend(READ_ONLY.iter().map(|word| word.to_string()));
    argv.extend(words.iter().cloned());
    let mut shown = vec![program.to_string(), "(on refreshed lists)".into()];
    shown.extend(words.iter().cloned());
    asked(host, argv, &shown)
}

fn asked(host: &Host, argv: Vec<String>, shown: &[String]) -> Result<String, ModuleError> {
    let output = host.query(&RunSpec {
        argv,
        env: env(),
        ..RunSpec::default()
    })?;
    if output.rc != Some(0) {
        return Err(ModuleError::Failed(format!(
            "'{}' failed: {}",
            shown.join(" "),
            output.said()
        )));
    }
    Ok(output.stdout)
}

/// One package as `apt-cache policy` shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Policy {
    pub installed: Option<String>,
    pub candidate: Option<String>,
    /// Every version apt knows, highest first.
    pub versions: Vec<String>,
}

/// `apt-cache policy NAMES…`: the packages apt knows (an unknown name is missing).
pub fn policies(text: &str) -> BTreeMap<String, Policy> {
    let mut all = BTreeMap::new();
    let mut current: Option<(String, Policy)> = None;
    let none = |value: &str| (value != "(none)").then(|| value.to_string());
    for line in text.lines() {
        if !line.starts_with(' ') {
            if let Some((name, policy)) = current.take() {
                all.insert(name, policy);
            }
            if let Some(name) = line.strip_suffix(':') {
                current = Some((name.to_string(), Policy::default()));
            }
            continue;
        }
        let Some((_, policy)) = current.as_mut() else {
            continue;
        };
        let trimmed = line.trim();
        if let Some(value) = trimmed.strip_prefix("Installed:") {
            policy.installed = none(value.trim());
        } else if let Some(value) = trimmed.strip_prefix("Candidate:") {
            policy.candidate = none(value.trim());
        } else if let Some(rest) = line.strip_prefix(" *** ").or(line.strip_prefix("     ")) {
            // A version line; its sources are indented deeper.
            if !rest.starts_with(' ') {
                if let Some(version) = rest.split_whitespace().next() {
                    policy.versions.push(version.to_string());
                }
            }
        }
    }
    if let Some((name, policy)) = current {
        all.insert(name, policy);
    }
    all
}

/// What `apt-get -s` says a run would do to one package.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    /// `Inst NAME [OLD] (NEW REPO [ARCH])`.
    Install {
        name: String,
        version: String,
        arch: String,
    },
    /// `Remv NAME [VERSION]`: configuration files kept.
    Remove { name: String },
    /// `Purg NAME [VERSION]`.
    Purge { name: String },
}

/// The steps of a simulation's output.
pub fn steps(text: &str) -> Vec<Step> {
    text.lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let verb = words.next()?;
            let name = words.next()?.to_string();
            match verb {
                "Inst" => {
                    let open = line.find('(')?;
                    let inside = line[open + 1..].trim_end_matches(')');
                    let version = inside.split_whitespace().next()?.to_string();
                    let arch = inside
                        .rsplit_once('[')
                        .map(|(_, arch)| arch.split(']').next().unwrap_or_default())
                        .unwrap_or_default()
                        .to_string();
                    Some(Step::Install {
                        name,
                        version,
                        arch,
                    })
                }
                "Remv" => Some(Step::Remove { name }),
                "Purg" => Some(Step::Purge { name }),
                _ => None,
            }
        })
        .collect()
}

/// Ansible's `parse_diff`: apt-get's output from after "Reading state information..."
/// to the "N upgraded, …" line (its `prepared` diff).
pub fn prepared(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|line| *line == "Reading state information...")
        .map_or(0, |at| at + 1);
    let end = lines
        .iter()
        .position(|line| {
            let mut words = line.split_whitespace();
            words
                .next()
                .is_some_and(|n| n.bytes().all(|b| b.is_ascii_digit()))
                && matches!(
                    (words.next(), words.next()),
                    (Some("upgraded,"), _) | (Some("packages"), Some("upgraded,"))
                )
        })
        .map_or(lines.len(), |at| at + 1);
    lines
        .get(start..end.max(start))
        .unwrap_or_default()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: &str = "machinist-test-a:\n  Installed: 1.0\n  Candidate: 2.0\n  Version table:\n     2.0 500\n        500 file:/srv/repo ./ Packages\n *** 1.0 100\n        100 /var/lib/dpkg/status\nvirtual:\n  Installed: (none)\n  Candidate: (none)\n  Version table:\n";

    #[test]
    fn policy_output_gives_installed_candidate_and_versions() {
        let all = policies(POLICY);
        assert_eq!(
            all["machinist-test-a"],
            Policy {
                installed: Some("1.0".into()),
                candidate: Some("2.0".into()),
                versions: vec!["2.0".into(), "1.0".into()],
            }
        );
        assert_eq!(all["virtual"], Policy::default());
        assert!(!all.contains_key("unknown"));
    }

    const SIMULATION: &str = "Reading package lists...\nBuilding dependency tree...\nReading state information...\nThe following NEW packages will be installed:\n  machinist-test-a\n0 upgraded, 1 newly installed, 1 to remove and 0 not upgraded.\nRemv old [1]\nPurg gone [2]\nInst machinist-test-a [0.9] (1.0 localhost [all])\nConf machinist-test-a (1.0 localhost [all])\n";

    #[test]
    fn a_simulation_gives_its_steps_and_ansibles_prepared_text() {
        assert_eq!(
            steps(SIMULATION),
            [
                Step::Remove { name: "old".into() },
                Step::Purge {
                    name: "gone".into()
                },
                Step::Install {
                    name: "machinist-test-a".into(),
                    version: "1.0".into(),
                    arch: "all".into()
                },
            ]
        );
        assert_eq!(
            prepared(SIMULATION),
            "The following NEW packages will be installed:\n  machinist-test-a\n0 upgraded, 1 newly installed, 1 to remove and 0 not upgraded."
        );
    }
}
