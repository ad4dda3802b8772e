//! The `known_hosts` module (ansible.builtin.known_hosts): one host's key present in
//! or absent from a known_hosts file, decided as ansible-core decides it (its
//! search_for_host_key and compute_diff, ported), with ssh-keygen's reading of the
//! file done here (known_hosts/lines.rs): which lines name the host (`-F`), what
//! removing every key of a host leaves (`-R`, which keeps the old file as
//! `PATH.old`). The file is written whole through the Host, so a root's file is
//! edited inside the root and check mode predicts it.

mod lines;

use crate::host::effective_ids;
use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Plan};
use lines::{has_marker, names_host, Fields};
use serde::Deserialize;
use std::path::PathBuf;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The host (`[host]:port` for another port), lowercased as Ansible does.
    #[serde(alias = "host")]
    pub name: String,
    /// The known_hosts line: `NAMES TYPE KEY` (with an optional `@marker` first).
    pub key: Option<String>,
    #[serde(default = "default_path")]
    pub path: String,
    #[serde(default)]
    pub hash_host: bool,
    #[serde(default)]
    pub state: State,
}

fn default_path() -> String {
    "~/.ssh/known_hosts".into()
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum State {
    #[default]
    Present,
    Absent,
}

pub struct KnownHostsModule;

/// What ansible-core's search_for_host_key answers.
struct Search {
    found: bool,
    replace_or_add: bool,
    found_line: Option<usize>,
}

impl Module for KnownHostsModule {
    type Args = Args;
    const NAME: &'static str = "known_hosts";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let name = args.name.to_lowercase();
        let present = args.state == State::Present;
        let mut key = args.key.clone().filter(|key| !key.is_empty());
        if key.is_none() && present {
            return Err(ModuleError::Failed(
                "No key specified when adding a host".into(),
            ));
        }
        if let (Some(given), true) = (&key, args.hash_host) {
            let mut salt = [0u8; 20];
            fill_random(&mut salt)?;
            key =
                Some(lines::hash_key(&name, given, &salt).ok_or_else(|| {
                    ModuleError::invalid("key", "the key has no name field to hash")
                })?);
        }
        if let Some(key) = &mut key {
            if !key.ends_with('\n') {
                key.push('\n');
            }
            sanity_check(&name, key)?;
        }
        let path = expand_path(host, &args.path)?;
        let shown = path.display().to_string();
        let current = match host.read_file(&path)? {
            Some(bytes) => Some(
                String::from_utf8(bytes)
                    .map_err(|_| ModuleError::Failed(format!("{shown} is not UTF-8 text")))?,
            ),
            None => None,
        };
        let search = search(&name, key.as_deref(), current.as_deref())?;
        let diff = compute_diff(&shown, current.as_deref(), &search, present, key.as_deref());
        let (mode, owner) = match host.stat(&path)? {
            Some(meta) => (meta.mode, (meta.uid, meta.gid)),
            None => (0o644, effective_ids()),
        };
        // Ansible's result: the arguments as given, its diff (one mapping, registered
        // with or without diff mode), then (its exit_json's add_path_info) the file's
        // state, mode, ids, names and size afterwards.
        let registered_diff = serde_json::json!({
            "before_header": diff.before_header,
            "after_header": diff.after_header,
            "before": diff.before,
            "after": diff.after,
        });
        let result = |plan: Plan, size: Option<usize>| -> Result<Plan, ModuleError> {
            let plan = plan
                .with_data("diff", &registered_diff)
                .with_data("name", &args.name)
                .with_data("key", &args.key)
                .with_data("path", &shown)
                .with_data("hash_host", args.hash_host);
            let Some(size) = size else {
                return Ok(plan.with_data("state", "absent"));
            };
            let user = host
                .user_name(owner.0)?
                .unwrap_or_else(|| owner.0.to_string());
            let group = host
                .group_name(owner.1)?
                .unwrap_or_else(|| owner.1.to_string());
            Ok(plan
                .with_data("state", "file")
                .with_data("mode", crate::mode::format(mode))
                .with_data("uid", owner.0)
                .with_data("gid", owner.1)
                .with_data("owner", user)
                .with_data("group", group)
                .with_data("size", size))
        };
        let changed = search.replace_or_add || present != search.found;
        if (!present && search.found_line.is_none() && key.is_some()) || !changed {
            return result(Plan::ok(), current.as_ref().map(String::len));
        }
        let owner = Ownership {
            uid: Some(owner.0),
            gid: Some(owner.1),
        };
        let mut ops = Vec::new();
        let mut content = current.clone().unwrap_or_default();
        if search.found && key.is_none() && !present {
            // `ssh-keygen -R NAME -f PATH`: every line naming the host goes (marked
            // ones stay), the original kept beside it as PATH.old.
            ops.push(Op::WriteFile {
                path: PathBuf::from(format!("{shown}.old")),
                content: content.clone().into_bytes(),
                mode,
                owner,
            });
            content = lines::lines(&content)
                .into_iter()
                .filter(|line| !names_host(line.text, &name) || has_marker(line.text))
                .map(|line| line.text)
                .collect();
        }
        let mut written: String = lines::lines(&content)
            .into_iter()
            .filter(|line| {
                !(search.found_line == Some(line.number) && (search.replace_or_add || !present))
            })
            .map(|line| line.text)
            .collect();
        if present {
            written.push_str(key.as_deref().unwrap_or_default());
        }
        if let Some(parent) = path.parent() {
            if !host.stat(parent)?.is_some_and(|meta| meta.is_dir()) {
                return Err(ModuleError::Failed(format!(
                    "Failed to write to file '{shown}': {} is not a directory",
                    parent.display()
                )));
            }
        }
        let size = written.len();
        ops.push(Op::WriteFile {
            path: path.clone(),
            content: written.into_bytes(),
            mode,
            owner,
        });
        let summary = format!(
            "{shown}: {name} {}",
            if present { "added" } else { "removed" }
        );
        let plan = Plan::change(vec![Change {
            summary,
            diff: Some(diff),
            ops,
        }]);
        result(plan, Some(size))
    }
}

/// Ansible's sanity_check: one name, and the key's name field must name it.
fn sanity_check(name: &str, key: &str) -> Result<(), ModuleError> {
    let listed = name
        .find(',')
        .is_some_and(|at| name[..at].trim_end().chars().any(|c| !c.is_whitespace()));
    if listed {
        return Err(ModuleError::Failed(
            "Comma separated list of names is not supported. Please pass a single name to lookup in the known_hosts file.".into(),
        ));
    }
    let named = key.lines().any(|line| names_host(line, name));
    if !named {
        return Err(ModuleError::Failed(
            "Host parameter does not match hashed host field in supplied key".into(),
        ));
    }
    Ok(())
}

/// Ansible's search_for_host_key, over the lines `ssh-keygen -F` would print.
fn search(name: &str, key: Option<&str>, content: Option<&str>) -> Result<Search, ModuleError> {
    let nothing = Search {
        found: false,
        replace_or_add: false,
        found_line: None,
    };
    let Some(content) = content else {
        return Ok(nothing);
    };
    let found: Vec<lines::Line> = lines::lines(content)
        .into_iter()
        .filter(|line| names_host(line.text, name))
        .collect();
    if found.is_empty() {
        return Ok(nothing);
    }
    let Some(key) = key else {
        return Ok(Search {
            found: true,
            replace_or_add: false,
            found_line: None,
        });
    };
    let mut new_key = Fields::of(key)
        .ok_or_else(|| ModuleError::invalid("key", "the key is not NAMES TYPE KEY"))?;
    for line in found {
        let Some(found_key) = Fields::of(line.text) else {
            continue;
        };
        let at = |replace| Search {
            found: true,
            replace_or_add: replace,
            found_line: Some(line.number),
        };
        let marker = found_key.options.as_deref().unwrap_or_default();
        if marker.starts_with("@cert-authority") || marker.starts_with("@revoke") {
            if new_key == found_key {
                return Ok(at(false));
            }
            continue;
        }
        if new_key.host.starts_with("|1|") && found_key.host.starts_with("|1|") {
            // A hashed name already there is kept (its salt differs from ours).
            new_key.host = found_key.host.clone();
        }
        if new_key == found_key {
            return Ok(at(false));
        }
        if new_key.kind == found_key.kind {
            return Ok(at(true));
        }
    }
    Ok(Search {
        found: true,
        replace_or_add: true,
        found_line: None,
    })
}

/// Ansible's compute_diff.
fn compute_diff(
    shown: &str,
    current: Option<&str>,
    search: &Search,
    present: bool,
    key: Option<&str>,
) -> Diff {
    let before = current.unwrap_or_default();
    let mut after: Vec<&str> = lines::lines(before).into_iter().map(|l| l.text).collect();
    if let Some(line) = search.found_line {
        if (search.replace_or_add || !present) && (1..=after.len()).contains(&line) {
            after.remove(line - 1);
        }
    }
    if present && (search.replace_or_add || search.found_line.is_none()) {
        after.extend(key);
    }
    Diff {
        before_header: if current.is_some() {
            shown.into()
        } else {
            "/dev/null".into()
        },
        after_header: shown.into(),
        before: before.into(),
        after: after.concat(),
    }
}

/// `~/…` from the home of the user machinist runs as (the target's /etc/passwd);
/// otherwise the path must be absolute.
fn expand_path(host: &Host, path: &str) -> Result<PathBuf, ModuleError> {
    if let Some(rest) = path.strip_prefix("~/") {
        let (uid, _) = effective_ids();
        let home = crate::accounts::Accounts::read(host)?
            .users()
            .find(|user| user.uid == uid)
            .map(|user| user.home)
            .ok_or_else(|| {
                ModuleError::Failed(format!("uid {uid} has no home in the target's /etc/passwd"))
            })?;
        return Ok(PathBuf::from(home).join(rest));
    }
    if !path.starts_with('/') {
        return Err(ModuleError::invalid(
            "path",
            format!("path must be absolute or start with ~/, not '{path}'"),
        ));
    }
    Ok(PathBuf::from(path))
}

fn fill_random(bytes: &mut [u8]) -> Result<(), ModuleError> {
    let mut filled = 0;
    while filled < bytes.len() {
        filled +=
            rustix::rand::getrandom(&mut bytes[filled..], rustix::rand::GetRandomFlags::empty())
                .map_err(|err| ModuleError::Failed(format!("cannot draw a salt: {err}")))?;
    }
    Ok(())
}

pub(crate) mod doc;
#[cfg(test)]
mod tests;
