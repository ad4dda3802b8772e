//! The `get_url` module (Ansible's `ansible.builtin.get_url`): a file downloaded over
//! http(s), or read from a `file://` URL inside the target, written to `dest` inside
//! the root with the file module's planning (atomic write, mode, owner, backup, diff).
//!
//! Plan and apply: the download happens while planning, into memory (at most
//! [`MAX_DOWNLOAD`] bytes), and the planned `Op::WriteFile` carries the bytes; the
//! apply writes them. So one run downloads once, check mode downloads too and predicts
//! exactly (Ansible sends a HEAD in check mode and guesses), and planning has no side
//! effect on the target: the request is a read on the machine running machinist.
//! Ansible's rule decides whether to download at all: an existing `dest` that a
//! `checksum` matches is left alone (unless `force`); anything else is downloaded and
//! compared. (Ansible sends If-Modified-Since with the file's mtime and keeps it on a
//! 304; machinist does not, and compares the content instead.)

pub(crate) mod doc;
#[cfg(test)]
mod tests;

use crate::file::{self, IdArg, ModeArg};
use crate::{http, Host, Module, ModuleError, Plan};
use indexmap::IndexMap;
use serde::Deserialize;
use sha2::Digest;
use std::path::Path;
use std::time::{Duration, Instant};

/// The largest download kept (as the runner's cap on a `src:` file).
pub const MAX_DOWNLOAD: u64 = 256 << 20;

/// The arguments whose values are secrets.
pub const SECRET_ARGS: &[&str] = &["url_password"];

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub url: String,
    /// A file, or a directory to download into (the name from Content-Disposition or
    /// the URL).
    pub dest: String,
    /// Download even when a checksum says `dest` is right already.
    #[serde(default)]
    pub force: bool,
    #[serde(default)]
    pub backup: bool,
    /// `ALGORITHM:HEX`, or `ALGORITHM:URL` of a checksum file (GNU or BSD lines).
    #[serde(default)]
    pub checksum: String,
    /// Seconds for the whole request.
    #[serde(default = "ten")]
    pub timeout: u64,
    #[serde(default)]
    pub headers: IndexMap<String, String>,
    #[serde(default = "yes")]
    pub validate_certs: bool,
    #[serde(alias = "username")]
    pub url_username: Option<String>,
    #[serde(alias = "password")]
    pub url_password: Option<String>,
    #[serde(default)]
    pub force_basic_auth: bool,
    #[serde(default = "http_agent")]
    pub http_agent: String,
    pub mode: Option<ModeArg>,
    pub owner: Option<IdArg>,
    pub group: Option<IdArg>,
}

fn ten() -> u64 {
    10
}

fn yes() -> bool {
    true
}

fn http_agent() -> String {
    "ansible-httpget".into()
}

pub struct GetUrlModule;

impl Module for GetUrlModule {
    type Args = Args;
    const NAME: &'static str = "get_url";

    fn plan(&self, args: &Args, host: &Host) -> Result<Plan, ModuleError> {
        let dest = Path::new("/").join(&args.dest);
        let checksum = Checksum::parse(args, host)?;
        let dest_is_dir = host.stat(&dest)?.is_some_and(|meta| meta.is_dir());
        // Ansible's rule (ansible-core 2.19's code, not its docs): an existing dest is
        // kept without a download only when a checksum says it is right; otherwise it
        // is downloaded and replaced if the content differs.
        if let (false, false, Some(wanted)) = (dest_is_dir, args.force, &checksum) {
            if let Some(current) = host.read_file(&dest)? {
                if wanted.hex == wanted.algorithm.digest(&current) {
                    let plan = file::FileModule.plan(&file_args(args, &dest)?, host)?;
                    let msg = if plan.is_changed() {
                        "file already exists but file attributes changed"
                    } else {
                        "file already exists"
                    };
                    return Ok(plan
                        .with_msg(msg)
                        .with_data("dest", dest.display().to_string())
                        .with_data("url", http::mask_url(&args.url))
                        .with_data("checksum_dest", serde_json::Value::Null)
                        .with_data("checksum_src", serde_json::Value::Null)
                        .with_data("elapsed", 0));
                }
            }
        }
        let started = Instant::now();
        let download = fetch(args, &args.url, host)?;
        let elapsed = started.elapsed().as_secs();
        let dest = if dest_is_dir {
            let name = download
                .disposition_name
                .clone()
                .unwrap_or_else(|| http::url_filename(&download.url));
            dest.join(name)
        } else {
            dest
        };
        if let Some(wanted) = &checksum {
            let got = wanted.algorithm.digest(&download.body);
            if got != wanted.hex {
                return Err(ModuleError::Failed(format!(
                    "The checksum for {} did not match {}; it was {got}.",
                    http::mask_url(&args.url),
                    wanted.hex
                )));
            }
        }
        let checksum_src = hex(&sha1::Sha1::digest(&download.body));
        let checksum_dest = match host.stat(&dest)? {
            Some(meta) if meta.is_file() => host
                .read_file(&dest)?
                .map(|current| hex(&sha1::Sha1::digest(&current))),
            _ => None,
        };
        tracing::debug!(
            url = %http::mask_url(&args.url),
            bytes = download.body.len(),
            %checksum_src,
            "downloaded"
        );
        let mut wanted = file_args(args, &dest)?;
        wanted.force = Some(true);
        wanted.backup = args.backup;
        let plan = file::plan_bytes(&wanted, &download.body, host)?;
        Ok(plan
            .with_msg(download.msg)
            .with_data("dest", dest.display().to_string())
            .with_data("url", http::mask_url(&args.url))
            .with_data("checksum_dest", checksum_dest)
            .with_data("checksum_src", checksum_src)
            .with_data("md5sum", hex(&md5::Md5::digest(&download.body)))
            .with_data("status_code", download.status)
            .with_data("elapsed", elapsed))
    }
}

/// The file module's arguments for `dest` with get_url's mode, owner and group.
fn file_args(args: &Args, dest: &Path) -> Result<file::Args, ModuleError> {
    let mut wanted: file::Args = serde_json::from_value(serde_json::json!({
        "path": dest.display().to_string(),
        "state": "file",
    }))
    .map_err(|err| ModuleError::Failed(format!("get_url: {err}")))?;
    wanted.mode = args.mode.clone();
    wanted.owner = args.owner.clone();
    wanted.group = args.group.clone();
    Ok(wanted)
}

/// A downloaded (or read) body and what the answer said about it.
struct Download {
    body: Vec<u8>,
    /// The URL answered, after redirects.
    url: String,
    status: Option<u16>,
    msg: String,
    /// The file name of a `Content-Disposition: attachment; filename=…`.
    disposition_name: Option<String>,
}

/// GET `url`, or read a `file://` URL's path inside the target (the module runs on the
/// target in Ansible, so that is where the path is).
fn fetch(args: &Args, url: &str, host: &Host) -> Result<Download, ModuleError> {
    if let Some(path) = http::file_url_path(url) {
        let body = host.read_file(Path::new(&path))?.ok_or_else(|| {
            ModuleError::Failed(format!("Request failed: {url}: {path} does not exist"))
        })?;
        return Ok(Download {
            msg: format!("OK ({} bytes)", body.len()),
            body,
            url: url.to_string(),
            status: None,
            disposition_name: None,
        });
    }
    if !(url.starts_with("http://") || url.starts_with("https://")) {
        return Err(ModuleError::invalid(
            "url",
            format!("{url}: only http, https and file URLs are supported"),
        ));
    }
    let headers: Vec<(String, String)> = args
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    let auth = match (&args.url_username, &args.url_password) {
        (Some(user), password) => Some((user.as_str(), password.as_deref().unwrap_or(""))),
        (None, _) => None,
    };
    let response = http::send(&http::Request {
        method: "GET",
        url,
        headers: &headers,
        body: None,
        timeout: Duration::from_secs(args.timeout),
        validate_certs: args.validate_certs,
        auth,
        force_basic_auth: args.force_basic_auth,
        follow_redirects: true,
        user_agent: &args.http_agent,
        limit: MAX_DOWNLOAD,
    })
    .map_err(|err| ModuleError::Failed(err.to_string()))?;
    if response.status != 200 {
        return Err(ModuleError::Failed(format!(
            "Request failed: {} answered HTTP {}",
            http::mask_url(url),
            response.status
        )));
    }
    let length = response
        .header("content-length")
        .map_or_else(|| "unknown".to_string(), str::to_string);
    Ok(Download {
        disposition_name: response
            .header("content-disposition")
            .and_then(disposition_filename),
        msg: format!("OK ({length} bytes)"),
        status: Some(response.status),
        url: response.url,
        body: response.body,
    })
}

/// `filename=` of a Content-Disposition header, its last path component only (a
/// server does not choose where the file goes).
fn disposition_filename(header: &str) -> Option<String> {
    let value = header.split(';').map(str::trim).find_map(|param| {
        let (key, value) = param.split_once('=')?;
        key.trim()
            .eq_ignore_ascii_case("filename")
            .then(|| value.trim().trim_matches('"').to_string())
    })?;
    let name = value.rsplit(['/', '\\']).next()?.to_string();
    (!name.is_empty() && name != "." && name != "..").then_some(name)
}

/// A digest algorithm `checksum:` names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Algorithm {
    Md5,
    Sha1,
    Sha224,
    Sha256,
    Sha384,
    Sha512,
}

impl Algorithm {
    fn named(name: &str) -> Option<Algorithm> {
        Some(match name.to_ascii_lowercase().as_str() {
            "md5" => Algorithm::Md5,
            "sha1" => Algorithm::Sha1,
            "sha224" => Algorithm::Sha224,
            "sha256" => Algorithm::Sha256,
            "sha384" => Algorithm::Sha384,
            "sha512" => Algorithm::Sha512,
            _ => return None,
        })
    }

    fn digest(self, bytes: &[u8]) -> String {
        match self {
            Algorithm::Md5 => hex(&md5::Md5::digest(bytes)),
            Algorithm::Sha1 => hex(&sha1::Sha1::digest(bytes)),
            Algorithm::Sha224 => hex(&sha2::Sha224::digest(bytes)),
            Algorithm::Sha256 => hex(&sha2::Sha256::digest(bytes)),
            Algorithm::Sha384 => hex(&sha2::Sha384::digest(bytes)),
            Algorithm::Sha512 => hex(&sha2::Sha512::digest(bytes)),
        }
    }
}

/// The checksum the download must have.
struct Checksum {
    algorithm: Algorithm,
    /// Lowercase hex.
    hex: String,
}

impl Checksum {
    fn parse(args: &Args, host: &Host) -> Result<Option<Checksum>, ModuleError> {
        if args.checksum.is_empty() {
            return Ok(None);
        }
        let Some((name, value)) = args.checksum.split_once(':') else {
            return Err(ModuleError::invalid(
                "checksum",
                "The checksum parameter has to be in format <algorithm>:<checksum>",
            ));
        };
        let algorithm = Algorithm::named(name).ok_or_else(|| {
            ModuleError::invalid(
                "checksum",
                format!("unsupported checksum algorithm '{name}' (md5, sha1, sha224, sha256, sha384, sha512)"),
            )
        })?;
        let value = if is_url(value) {
            let listing = fetch(args, value, host)?;
            let filename = http::url_filename(&args.url);
            let lines = String::from_utf8_lossy(&listing.body).into_owned();
            digest_for(&filename, &lines).ok_or_else(|| {
                ModuleError::Failed(format!(
                    "Unable to find a checksum for file '{filename}' in '{}'",
                    http::mask_url(value)
                ))
            })?
        } else {
            value.to_string()
        };
        // Ansible drops every non-word character (a pasted zero-width space).
        let hex: String = value
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '_')
            .collect::<String>()
            .to_lowercase();
        if hex.is_empty() || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ModuleError::invalid(
                "checksum",
                "The checksum format is invalid",
            ));
        }
        Ok(Some(Checksum { algorithm, hex }))
    }
}

fn is_url(text: &str) -> bool {
    ["http://", "https://", "file://"]
        .iter()
        .any(|scheme| text.starts_with(scheme))
}

/// The digest a checksum file gives `filename`: a lone digest, or the first GNU
/// (`DIGEST  [*]NAME`) or BSD (`ALGO (NAME) = DIGEST`) line naming it.
fn digest_for(filename: &str, text: &str) -> Option<String> {
    let lines: Vec<&str> = text.lines().collect();
    if let [only] = lines.as_slice() {
        if only.split_whitespace().count() == 1 {
            return Some(only.trim().to_string());
        }
    }
    lines.iter().find_map(|line| {
        let (digest, path) = bsd_line(line).or_else(|| gnu_line(line))?;
        (path == filename).then(|| digest.to_string())
    })
}

fn bsd_line(line: &str) -> Option<(&str, &str)> {
    let (head, digest) = line
        .rsplit_once(" = ")
        .or_else(|| line.rsplit_once(")= "))?;
    let open = head.find('(')?;
    let path = head[open + 1..]
        .trim_end()
        .strip_suffix(')')
        .unwrap_or(&head[open + 1..]);
    Some((digest.trim(), path))
}

fn gnu_line(line: &str) -> Option<(&str, &str)> {
    let (digest, rest) = line.split_once(char::is_whitespace)?;
    let path = rest.trim_start();
    let path = path
        .strip_prefix('*')
        .or_else(|| path.strip_prefix("./"))
        .unwrap_or(path);
    let path = path.trim_start_matches("./");
    (!digest.is_empty() && !path.is_empty()).then_some((digest, path))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}
