//! The `apt_repository` module (Ansible's `ansible.builtin.apt_repository`): one
//! one-line `deb`/`deb-src` repository present in, or absent from, a Debian target's
//! sources, decided as Ansible decides it (sources.rs): every sources file is read
//! through the Host (/etc/apt/sources.list and /etc/apt/sources.list.d/*.list); a
//! repository present anywhere, commented out or not, is enabled where it is, else
//! appended to the file named after it; absent removes every enabled line of it.
//! When something changes, every file is written back in Ansible's normal form (a
//! file left without lines is removed) and, with `update_cache`, the lists are
//! refreshed inside the target (`apt-get update`, retried as Ansible retries; on
//! failure the files are put back as they were and the task fails).
//! `ppa:` lines are refused: they need Launchpad, which a Debian target does not use.

pub mod doc;
pub(crate) mod sources;

use crate::mode::ModeArg;
use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Plan, RunSpec};
use serde::Deserialize;
use sources::{Sources, MAIN, PARTS};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub use crate::presence::Presence as State;

fn yes() -> bool {
    true
}

fn default_retries() -> u32 {
    5
}

fn default_retry_max_delay() -> u32 {
    12
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// `deb [options] URI SUITE [COMPONENTS…]` or `deb-src …`.
    pub repo: String,
    #[serde(default)]
    pub state: State,
    /// The mode of a file this task creates or appends to (else 0644 when created).
    #[serde(default)]
    pub mode: Option<ModeArg>,
    #[serde(default = "yes", alias = "update-cache")]
    pub update_cache: bool,
    #[serde(default = "default_retries")]
    pub update_cache_retries: u32,
    #[serde(default = "default_retry_max_delay")]
    pub update_cache_retry_max_delay: u32,
    /// The file's name without `.list` (in /etc/apt/sources.list.d unless it has a `/`).
    #[serde(default)]
    pub filename: Option<String>,
    /// Ansible installs python3-apt with it; machinist needs no python on the target.
    #[serde(default = "yes")]
    pub install_python_apt: bool,
    /// Ansible uses it only for a `ppa:` line's Launchpad query (refused here).
    #[serde(default = "yes")]
    pub validate_certs: bool,
    /// Ansible uses it only to expand a `ppa:` line (refused here).
    #[serde(default)]
    pub codename: Option<String>,
}

pub struct AptRepositoryModule;

impl Module for AptRepositoryModule {
    type Args = Args;
    const NAME: &'static str = "apt_repository";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        if args.repo.is_empty() {
            return Err(ModuleError::invalid(
                "repo",
                "Please set argument 'repo' to a non-empty value",
            ));
        }
        if args.repo.starts_with("ppa:") {
            return Err(ModuleError::invalid(
                "repo",
                format!(
                    "'{}': a PPA is Ubuntu's Launchpad, which a Debian target does not use; \
                     give the repository's deb line (or use deb822_repository)",
                    args.repo
                ),
            ));
        }
        let source = sources::parse_repo(&args.repo).map_err(ModuleError::Failed)?;
        let (mut sources, mut found) = read_sources(host)?;
        let before = sources.dump();
        let mut appended_to = None;
        match args.state {
            State::Present => {
                let name = sources::suggest_filename(&source, args.filename.as_deref());
                let file = expand_path(&name)?;
                if !sources.files.contains_key(&file) {
                    // A file named outside sources.list.d: read too, so a second run
                    // finds the line (Ansible overwrites such a file every run).
                    if let Some(text) = read_text(host, &file)? {
                        sources.load(&file, &text);
                        found.insert(file.clone(), text);
                    }
                }
                if sources.add(&source, &file) {
                    appended_to = Some(file);
                }
            }
            State::Absent => sources.remove(&source),
        }
        let after = sources.dump();
        let keys = |dump: &BTreeMap<String, String>| -> BTreeSet<String> {
            dump.keys().cloned().collect()
        };
        let added: Vec<String> = keys(&after).difference(&keys(&before)).cloned().collect();
        let removed: Vec<String> = keys(&before).difference(&keys(&after)).cloned().collect();
        let mut plan = Plan::ok()
            .with_data("repo", &args.repo)
            .with_data("state", args.state.as_str())
            .with_data("sources_added", &added)
            .with_data("sources_removed", &removed);
        if before == after {
            return Ok(plan);
        }
        let mut undo = Vec::new();
        for path in sources.files.keys() {
            let now = found.get(path);
            let wanted = after.get(path);
            let change = match wanted {
                Some(text) if now == Some(text) => continue,
                Some(text) => write(host, path, text, appended_to.as_ref() == Some(path), args)?,
                None if now.is_some() => remove(host, path)?,
                None => continue,
            };
            let before_text = now.cloned().unwrap_or_default();
            let after_text = wanted.cloned().unwrap_or_default();
            let (before_header, after_header) = match (now, wanted) {
                (None, _) => ("/dev/null".to_string(), path.clone()),
                (_, None) => (path.clone(), "/dev/null".to_string()),
                _ => (path.clone(), path.clone()),
            };
            undo.push((path.clone(), now.cloned()));
            plan.changes.push(Change {
                diff: Some(Diff {
                    before_header,
                    after_header,
                    before: before_text,
                    after: after_text,
                }),
                ..change
            });
        }
        if args.update_cache {
            plan.changes.push(update_cache(args, &undo));
        }
        tracing::debug!(
            files = plan.changes.len(),
            "apt_repository: {} {}",
            args.state.as_str(),
            source
        );
        Ok(plan)
    }
}

/// `filename` or the derived name: in /etc/apt/sources.list.d unless it has a `/`
/// (then an absolute path of the target).
fn expand_path(name: &str) -> Result<String, ModuleError> {
    if !name.contains('/') {
        return Ok(format!("{PARTS}/{name}"));
    }
    if !name.starts_with('/') {
        return Err(ModuleError::invalid(
            "filename",
            format!("'{name}': a filename with a '/' must be an absolute path of the target"),
        ));
    }
    Ok(name.to_string())
}

/// The target's sources files (Ansible's: sources.list when a regular file, then each
/// sources.list.d/*.list), with each one's text as read.
fn read_sources(host: &Host) -> Result<(Sources, BTreeMap<String, String>), ModuleError> {
    let mut paths = vec![MAIN.to_string()];
    if let Some(names) = host.read_dir(Path::new(PARTS))? {
        for name in names {
            let name = name.to_string_lossy();
            if name.ends_with(".list") && !name.starts_with('.') {
                paths.push(format!("{PARTS}/{name}"));
            }
        }
    }
    let mut sources = Sources::default();
    let mut found = BTreeMap::new();
    for path in paths {
        if !host
            .stat(Path::new(&path))?
            .is_some_and(|meta| meta.is_file())
        {
            continue;
        }
        if let Some(text) = read_text(host, &path)? {
            sources.load(&path, &text);
            found.insert(path, text);
        }
    }
    Ok((sources, found))
}

fn read_text(host: &Host, path: &str) -> Result<Option<String>, ModuleError> {
    let Some(bytes) = host.read_file(Path::new(path))? else {
        return Ok(None);
    };
    String::from_utf8(bytes)
        .map(Some)
        .map_err(|_| ModuleError::Failed(format!("{path}: a sources file that is not UTF-8 text")))
}

/// The file written whole with `text` (through a final symlink, as Ansible writes the
/// link's target): an existing file keeps its mode and owner unless this task appended
/// to it and names a `mode`; a new one gets `mode`, else 0644.
fn write(
    host: &Host,
    path: &str,
    text: &str,
    appended: bool,
    args: &Args,
) -> Result<Change, ModuleError> {
    let place = host.resolve(Path::new(path))?;
    let meta = host.stat(&place)?;
    let current = meta.as_ref().map_or(0o644, |meta| meta.mode & 0o7777);
    let mode = match (&args.mode, appended) {
        (Some(mode), true) => mode.resolve(current, false)?,
        _ => current,
    };
    let owner = meta.map_or(Ownership::default(), |meta| Ownership {
        uid: Some(meta.uid),
        gid: Some(meta.gid),
    });
    let mut ops = crate::edit::missing_parents(host, &place)?;
    ops.push(Op::WriteFile {
        path: place,
        content: text.as_bytes().to_vec(),
        mode,
        owner,
    });
    Ok(Change {
        summary: format!("write {path}"),
        diff: None,
        ops,
    })
}

fn remove(host: &Host, path: &str) -> Result<Change, ModuleError> {
    Ok(Change {
        summary: format!("remove {path} (no lines left)"),
        diff: None,
        ops: vec![Op::Remove {
            path: host.resolve(Path::new(path))?,
        }],
    })
}

/// The lists refreshed after the files changed, in the target, as Ansible does it:
/// up to `update_cache_retries` tries of `apt-get update` (a failed fetch is a failure,
/// as python-apt's), sleeping 2^try seconds (at most the max delay) between them;
/// when all fail the files written are put back (`-` after a path: it did not exist)
/// and the task fails with Ansible's message.
fn update_cache(args: &Args, undo: &[(String, Option<String>)]) -> Change {
    const SCRIPT: &str = r#"retries=$1 max=$2
shift 2
try=0 delay=1 said=
while [ "$try" -lt "$retries" ]; do
    if said=$(apt-get update -q --error-on=any 2>&1); then exit 0; fi
    try=$((try + 1))
    echo "Failed to update cache after $try due to $said retry, retrying" >&2
    [ "$try" -lt "$retries" ] || break
    [ "$delay" -gt "$max" ] && delay=$max
    sleep "$delay"
    delay=$((delay * 2))
done
while [ "$#" -ge 2 ]; do
    if [ "$2" = - ]; then rm -f -- "$1"; else printf '%s' "${2#+}" > "$1"; fi
    shift 2
done
echo "Failed to update apt cache after $retries retries: ${said:-unknown reason}" >&2
exit 1
"#;
    let mut argv = vec![
        "sh".to_string(),
        "-c".into(),
        SCRIPT.into(),
        "sh".into(),
        args.update_cache_retries.to_string(),
        args.update_cache_retry_max_delay.to_string(),
    ];
    for (path, text) in undo {
        argv.push(path.clone());
        argv.push(
            text.as_ref()
                .map_or("-".to_string(), |text| format!("+{text}")),
        );
    }
    Change {
        summary: "update the package lists".into(),
        diff: None,
        ops: vec![Op::Run(RunSpec {
            argv,
            env: vec![
                ("DEBIAN_FRONTEND".into(), "noninteractive".into()),
                ("LANG".into(), "C".into()),
                ("LC_ALL".into(), "C".into()),
            ],
            ..RunSpec::default()
        })],
    }
}
