//! The `deb822_repository` module (Ansible's `ansible.builtin.deb822_repository`):
//! one repository as a deb822 stanza in /etc/apt/sources.list.d/SLUG.sources, written
//! byte for byte as Ansible writes it (python-debian's Deb822 dump of the options in
//! the order of their names: `Key: value`, a multi-line value indented with `.` for
//! blank lines, yes/no booleans, lists joined by spaces), or removed with its key.
//! `signed_by` is a key file of the target (named as is), an armored key block (kept
//! in the stanza) or an http(s) URL: downloaded with the http client get_url uses, on
//! the machine running machinist while planning, into /etc/apt/keyrings/SLUG.asc
//! (armored) or .gpg. Everything goes through the Host, inside its root.

pub mod doc;
mod stanza;

use crate::mode::ModeArg;
use crate::{Change, Diff, Host, Module, ModuleError, Op, Ownership, Plan};
use serde::{Deserialize, Deserializer};
use std::path::Path;

const KEYRINGS: &str = "/etc/apt/keyrings";
use crate::apt_repository::sources::PARTS;

pub use crate::presence::Presence as State;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Type {
    #[serde(rename = "deb")]
    Deb,
    #[serde(rename = "deb-src")]
    DebSrc,
}

impl Type {
    fn word(self) -> &'static str {
        match self {
            Type::Deb => "deb",
            Type::DebSrc => "deb-src",
        }
    }
}

fn default_types() -> Vec<Type> {
    vec![Type::Deb]
}

fn default_mode() -> ModeArg {
    ModeArg::Text("0644".into())
}

/// Ansible's `list` of strings: a list, or one string split at commas.
fn optional_list<'de, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<Option<Vec<String>>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        Text(String),
        List(Vec<serde_json::Value>),
    }
    Ok(Some(match Given::deserialize(deserializer)? {
        Given::Text(text) => text.split(',').map(str::to_string).collect(),
        Given::List(items) => items
            .into_iter()
            .map(|item| match item {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            })
            .collect(),
    }))
}

fn types<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Vec<Type>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Given {
        One(Type),
        List(Vec<Type>),
    }
    Ok(match Given::deserialize(deserializer)? {
        Given::One(one) => vec![one],
        Given::List(list) => list,
    })
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    /// The repository's name (X-Repolib-Name); its slug names the files.
    pub name: String,
    #[serde(default)]
    pub state: State,
    #[serde(default = "default_types", deserialize_with = "types")]
    pub types: Vec<Type>,
    #[serde(default, deserialize_with = "optional_list")]
    pub uris: Option<Vec<String>>,
    #[serde(default, deserialize_with = "optional_list")]
    pub suites: Option<Vec<String>>,
    #[serde(default, deserialize_with = "optional_list")]
    pub components: Option<Vec<String>>,
    #[serde(default, deserialize_with = "optional_list")]
    pub architectures: Option<Vec<String>>,
    #[serde(default, deserialize_with = "optional_list")]
    pub languages: Option<Vec<String>>,
    #[serde(default, deserialize_with = "optional_list")]
    pub targets: Option<Vec<String>>,
    #[serde(default)]
    pub signed_by: Option<String>,
    #[serde(default)]
    pub enabled: Option<bool>,
    #[serde(default)]
    pub trusted: Option<bool>,
    #[serde(default)]
    pub pdiffs: Option<bool>,
    #[serde(default)]
    pub by_hash: Option<bool>,
    #[serde(default)]
    pub allow_insecure: Option<bool>,
    #[serde(default)]
    pub allow_weak: Option<bool>,
    #[serde(default)]
    pub allow_downgrade_to_insecure: Option<bool>,
    #[serde(default)]
    pub check_date: Option<bool>,
    #[serde(default)]
    pub check_valid_until: Option<bool>,
    #[serde(default)]
    pub date_max_future: Option<i64>,
    #[serde(default)]
    pub inrelease_path: Option<String>,
    #[serde(default = "default_mode")]
    pub mode: ModeArg,
}

pub struct Deb822RepositoryModule;

impl Module for Deb822RepositoryModule {
    type Args = Args;
    const NAME: &'static str = "deb822_repository";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let slug = stanza::slug(&args.name);
        let dest = format!("{PARTS}/{slug}.sources");
        match args.state {
            State::Absent => absent(host, &slug, &dest),
            State::Present => present(args, host, &slug, &dest),
        }
    }
}

/// The sources file and both key files removed where they exist.
fn absent(host: &Host, slug: &str, dest: &str) -> Result<Plan, ModuleError> {
    let key_filename = format!("{KEYRINGS}/{slug}.gpg");
    let mut plan = Plan::ok()
        .with_data("repo", serde_json::Value::Null)
        .with_data("dest", dest)
        .with_data("key_filename", &key_filename);
    for path in [
        dest.to_string(),
        format!("{KEYRINGS}/{slug}.asc"),
        key_filename,
    ] {
        let place = host.resolve(Path::new(&path))?;
        let Some(meta) = host.lstat(&place)? else {
            continue;
        };
        let before = match meta.is_file() {
            true => host.read_file(&place)?,
            false => None,
        };
        plan.changes.push(Change {
            summary: format!("remove {path}"),
            diff: Some(Diff {
                before_header: path.clone(),
                after_header: "/dev/null".into(),
                before: String::from_utf8_lossy(&before.unwrap_or_default()).into_owned(),
                after: String::new(),
            }),
            ops: vec![Op::Remove { path: place }],
        });
    }
    Ok(plan)
}

fn present(args: &Args, host: &Host, slug: &str, dest: &str) -> Result<Plan, ModuleError> {
    let mut changes = Vec::new();
    let mut key_filename = None;
    let signed_by = match &args.signed_by {
        None => None,
        Some(value)
            if value.starts_with('/')
                && host.stat(Path::new(value))?.is_some_and(|m| m.is_file()) =>
        {
            key_filename = Some(value.clone());
            Some(value.clone())
        }
        Some(value) => match stanza::scheme(value) {
            None => Some(value.clone()),
            Some(scheme) => {
                let (path, key_changes) = key_from_url(host, slug, value, scheme)?;
                changes.extend(key_changes);
                key_filename = Some(path.clone());
                Some(path)
            }
        },
    };
    let repo = stanza::render(args, signed_by.as_deref());
    let mut plan = Plan::ok()
        .with_data("repo", &repo)
        .with_data("dest", dest)
        .with_data("key_filename", &key_filename);
    changes.extend(file_change(host, dest, repo.as_bytes(), &args.mode)?);
    plan.changes = changes;
    path_info(host, plan, dest, repo.len(), &args.mode)
}

/// Ansible's path keys of a result naming `dest` (state, mode, owner, group, ids,
/// size), as the file will be after the task.
fn path_info(
    host: &Host,
    plan: Plan,
    dest: &str,
    size: usize,
    mode: &ModeArg,
) -> Result<Plan, ModuleError> {
    let meta = host.stat(Path::new(dest))?;
    let (uid, gid) = meta
        .as_ref()
        .map_or_else(crate::host::effective_ids, |meta| (meta.uid, meta.gid));
    let mode = mode.resolve(meta.map_or(0o644, |meta| meta.mode & 0o7777), false)?;
    let owner = host.user_name(uid)?.unwrap_or_else(|| uid.to_string());
    let group = host.group_name(gid)?.unwrap_or_else(|| gid.to_string());
    Ok(plan
        .with_data("state", "file")
        .with_data("mode", crate::mode::format(mode))
        .with_data("uid", uid)
        .with_data("gid", gid)
        .with_data("owner", owner)
        .with_data("group", group)
        .with_data("size", size))
}

/// A file of the target with exactly `content` and `mode` (owner root when created):
/// the write and/or the chmod it needs.
fn file_change(
    host: &Host,
    path: &str,
    content: &[u8],
    mode: &ModeArg,
) -> Result<Vec<Change>, ModuleError> {
    let place = host.resolve(Path::new(path))?;
    let meta = host.stat(&place)?;
    let current = host.read_file(&place)?;
    let current_mode = meta.as_ref().map(|meta| meta.mode & 0o7777);
    let wanted_mode = mode.resolve(current_mode.unwrap_or(0o644), false)?;
    let mut changes = Vec::new();
    if current.as_deref() != Some(content) {
        let mut ops = crate::edit::missing_parents(host, &place)?;
        ops.push(Op::WriteFile {
            path: place.clone(),
            content: content.to_vec(),
            mode: wanted_mode,
            owner: meta
                .as_ref()
                .map_or(Ownership::default(), |meta| Ownership {
                    uid: Some(meta.uid),
                    gid: Some(meta.gid),
                }),
        });
        changes.push(Change {
            summary: format!("write {path}"),
            diff: Some(Diff {
                before_header: if current.is_some() { path } else { "/dev/null" }.to_string(),
                after_header: path.to_string(),
                before: String::from_utf8_lossy(&current.unwrap_or_default()).into_owned(),
                after: String::from_utf8_lossy(content).into_owned(),
            }),
            ops,
        });
    } else if current_mode != Some(wanted_mode) {
        changes.push(Change {
            summary: format!(
                "mode of {path}: {} -> {}",
                crate::mode::format(current_mode.unwrap_or_default()),
                crate::mode::format(wanted_mode)
            ),
            diff: Some(Diff {
                before_header: path.to_string(),
                after_header: path.to_string(),
                before: format!(
                    "mode: {}\n",
                    crate::mode::format(current_mode.unwrap_or_default())
                ),
                after: format!("mode: {}\n", crate::mode::format(wanted_mode)),
            }),
            ops: vec![Op::Chmod {
                path: place,
                mode: wanted_mode,
            }],
        });
    }
    Ok(changes)
}

/// `signed_by` as a URL: the key downloaded (while planning, on the machine running
/// machinist) into /etc/apt/keyrings/SLUG.asc or .gpg (0644; the folder made 0755 if
/// missing), as Ansible's `write_signed_by_key` does.
fn key_from_url(
    host: &Host,
    slug: &str,
    url: &str,
    scheme: &str,
) -> Result<(String, Vec<Change>), ModuleError> {
    if scheme != "http" && scheme != "https" {
        return Err(ModuleError::invalid(
            "signed_by",
            format!("'{url}': only http and https keys are downloaded here; give the key's text or a key file of the target"),
        ));
    }
    tracing::debug!(
        url = crate::http::mask_url(url),
        "deb822_repository: downloading the key"
    );
    let response = crate::http::send(&crate::http::Request {
        method: "GET",
        url,
        headers: &[],
        body: None,
        timeout: std::time::Duration::from_secs(10),
        validate_certs: true,
        auth: None,
        force_basic_auth: false,
        follow_redirects: true,
        user_agent: "ansible-httpget",
        limit: 1 << 20,
    })
    .map_err(|err| ModuleError::Failed(format!("Could not fetch signed_by key: {err}")))?;
    if response.status != 200 {
        return Err(ModuleError::Failed(format!(
            "Could not fetch signed_by key: HTTP Error {}: {}",
            response.status,
            response.reason()
        )));
    }
    let armored = response
        .body
        .windows(b"-----BEGIN PGP PUBLIC KEY BLOCK-----".len())
        .any(|window| window == b"-----BEGIN PGP PUBLIC KEY BLOCK-----");
    let path = format!("{KEYRINGS}/{slug}.{}", if armored { "asc" } else { "gpg" });
    let mut changes = Vec::new();
    let keyrings = host.resolve(Path::new(KEYRINGS))?;
    match host.stat(&keyrings)? {
        Some(meta) if meta.is_dir() => {}
        _ => changes.push(Change {
            summary: format!("create {KEYRINGS}"),
            diff: None,
            ops: crate::edit::missing_parents(host, &keyrings.join("key"))?,
        }),
    }
    changes.extend(file_change(
        host,
        &path,
        &response.body,
        &ModeArg::Text("0644".into()),
    )?);
    Ok((path, changes))
}
