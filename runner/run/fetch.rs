//! `fetch` (Ansible's `ansible.builtin.fetch`): a target's file copied to the
//! CONTROLLER, at `dest/INVENTORY_HOSTNAME/SRC` (or `dest` itself with `flat`). The
//! target side ([`probe`] and [`stream`]) reads through the target's Host — this
//! process's, confined to its root like every read, or the agent's over a connection,
//! which sends the bytes as Data frames (runner/agent/serve.rs) — chunk by chunk on
//! both sides: memory does not grow with the file. The target's sha1 is compared with
//! the controller's copy first: `ok` when they match (nothing sent), `changed`
//! otherwise; the copy lands in a temporary file beside `dest`, checked against the
//! target's sha1 (`validate_checksum`) and renamed into place, never half written.
//! Under `--check` the same comparison predicts `ok` or `changed` and nothing is sent
//! or written (Ansible skips the task instead: docs/ansible-differences.md).

use super::outcome::Outcome;
pub use crate::playbook::action_args::fetch::Args;
use machinist_modules::Host;
use md5::Md5;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value as Json};
use sha1::{Digest, Sha1};
use std::io::{self, Read, Write};
use std::path::{Component, Path, PathBuf};

/// What the target has at `src`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case", deny_unknown_fields)]
pub enum Found {
    Missing,
    Directory,
    /// It could not be read (no permission, a path leaving the root, …).
    Unreadable {
        message: String,
    },
    File {
        size: u64,
        sha1: String,
    },
}

/// What a fetch from the target gave: what is there, and whether its bytes were
/// handed to the sink (and how their sending ended, when it broke on the target).
#[derive(Debug, Clone)]
pub struct Fetched {
    pub found: Found,
    pub sent: bool,
    pub error: Option<String>,
}

/// What is at `src` in `host`, its sha1 read in chunks.
pub fn probe(host: &Host, src: &str) -> Found {
    let path = Path::new("/").join(src);
    match host.stat(&path) {
        Ok(None) => return Found::Missing,
        Ok(Some(meta)) if meta.is_dir() => return Found::Directory,
        Ok(Some(_)) => {}
        Err(err) => {
            return Found::Unreadable {
                message: err.to_string(),
            }
        }
    }
    let mut digest = Sha1::new();
    let mut size = 0u64;
    let read = host.file_chunks(&path, &mut |chunk| {
        digest.update(chunk);
        size += chunk.len() as u64;
        Ok(())
    });
    match read {
        Ok(true) => Found::File {
            size,
            sha1: hex(&digest.finalize()),
        },
        Ok(false) => Found::Missing,
        Err(err) => Found::Unreadable {
            message: err.to_string(),
        },
    }
}

/// The bytes of `src` in `host`, chunk by chunk to `each`.
pub fn stream(
    host: &Host,
    src: &str,
    mut each: impl FnMut(&[u8]) -> io::Result<()>,
) -> Result<(), String> {
    match host.file_chunks(&Path::new("/").join(src), &mut each) {
        Ok(true) => Ok(()),
        Ok(false) => Err(format!("{src} is gone")),
        Err(err) => Err(err.to_string()),
    }
}

/// Whether the bytes of what was found are to be sent: a file, when `send` (not
/// `--check`) and the controller's copy (`have`, its sha1) differs.
pub fn to_send(found: &Found, have: Option<&str>, send: bool) -> bool {
    send && matches!(found, Found::File { sha1, .. } if Some(sha1.as_str()) != have)
}

/// Where the copy goes on the controller: `dest/HOST/SRC` (SRC made relative, `..`
/// taken out, so it stays below `dest/HOST`), or with `flat` `dest` itself (`dest/`
/// and SRC's file name when it ends in `/`). A relative `dest` is below `base` (the
/// playbook's folder).
pub fn destination(args: &Args, host_name: &str, base: &Path) -> PathBuf {
    let dest = base.join(&args.dest);
    let src = normalized(&args.src);
    if args.flat {
        return match args.dest.ends_with('/') {
            true => dest.join(src.file_name().unwrap_or_default()),
            false => dest,
        };
    }
    dest.join(host_name).join(src)
}

/// `src` as a relative path without `.`, `..` or the root (as Python's normpath of an
/// absolute path, then without its `/`).
fn normalized(src: &str) -> PathBuf {
    let mut out = PathBuf::new();
    for component in Path::new(src).components() {
        match component {
            Component::Normal(part) => out.push(part),
            Component::ParentDir => {
                out.pop();
            }
            _ => {}
        }
    }
    out
}

/// The sha1 and md5 of a controller file, read in chunks; `None` if it is not there.
pub fn controller_digests(path: &Path) -> io::Result<Option<(String, String)>> {
    let mut file = match std::fs::File::open(path) {
        Ok(file) => file,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    if file.metadata()?.is_dir() {
        return Ok(None);
    }
    let mut sha1 = Sha1::new();
    let mut md5 = Md5::new();
    let mut buffer = vec![0u8; 64 * 1024];
    loop {
        match file.read(&mut buffer) {
            Ok(0) => break,
            Ok(read) => {
                sha1.update(&buffer[..read]);
                md5.update(&buffer[..read]);
            }
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(Some((hex(&sha1.finalize()), hex(&md5.finalize()))))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The copy on its way to `dest`: a temporary file beside it, made at the first
/// chunk, hashed as it is written.
pub struct Landing {
    dest: PathBuf,
    temp: Option<tempfile::NamedTempFile>,
    sha1: Sha1,
    md5: Md5,
}

impl Landing {
    pub fn new(dest: PathBuf) -> Landing {
        Landing {
            dest,
            temp: None,
            sha1: Sha1::new(),
            md5: Md5::new(),
        }
    }

    fn file(&mut self) -> io::Result<&mut tempfile::NamedTempFile> {
        if self.temp.is_none() {
            let dir = self.dest.parent().unwrap_or(Path::new("."));
            std::fs::create_dir_all(dir)?;
            self.temp = Some(tempfile::NamedTempFile::new_in(dir)?);
        }
        self.temp
            .as_mut()
            .ok_or_else(|| io::Error::other("no temporary file"))
    }

    pub fn write(&mut self, chunk: &[u8]) -> io::Result<()> {
        self.sha1.update(chunk);
        self.md5.update(chunk);
        self.file()?.write_all(chunk)
    }

    /// Put the copy in place (`expected`: the target's sha1, when it is to be
    /// checked); its sha1 and md5.
    pub fn land(mut self, expected: Option<&str>) -> Result<(String, String), String> {
        let dest = self.dest.clone();
        let failed = |err: io::Error| format!("cannot write {}: {err}", dest.display());
        self.file().map_err(failed)?;
        let sha1 = hex(&self.sha1.finalize());
        let md5 = hex(&self.md5.finalize());
        if let Some(expected) = expected {
            if sha1 != expected {
                return Err(format!(
                    "checksum mismatch: the copy has sha1 {sha1}, the target's file {expected}"
                ));
            }
        }
        let Some(temp) = self.temp else {
            return Err(failed(io::Error::other("no temporary file")));
        };
        // The mode an existing copy has, else a new file's (umask 022).
        let mode = std::fs::metadata(&dest)
            .map(|meta| std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777)
            .unwrap_or(0o644);
        let perms = std::os::unix::fs::PermissionsExt::from_mode(mode);
        temp.as_file().set_permissions(perms).map_err(failed)?;
        temp.as_file().sync_all().map_err(failed)?;
        temp.persist(&dest).map_err(|err| failed(err.error))?;
        Ok((sha1, md5))
    }
}

/// The outcome when the target has no file to send (Ansible's messages).
pub fn not_a_file(found: &Found, args: &Args) -> Option<Outcome> {
    let msg = match found {
        Found::File { .. } => return None,
        Found::Missing => "the remote file does not exist".to_string(),
        Found::Directory => "remote file is a directory, fetch cannot work on directories".into(),
        Found::Unreadable { message } => format!("unable to read the remote file: {message}"),
    };
    let mut outcome = match args.fail_on_missing || matches!(found, Found::Directory) {
        true => Outcome::failed(msg),
        false => Outcome::ok().with_msg(format!("{msg}, not transferring, ignored")),
    };
    outcome
        .data
        .insert("file".into(), Json::from(args.src.clone()));
    Some(outcome)
}

/// The outcome of a fetch that found a file: `ok` when the copy was the same.
pub fn outcome(
    args: &Args,
    dest: &Path,
    remote_sha1: &str,
    copy: Result<Copied, String>,
) -> Outcome {
    let dest_text = dest.display().to_string();
    match copy {
        Err(msg) => {
            let mut outcome = Outcome::failed(msg);
            outcome.data.insert("dest".into(), Json::from(dest_text));
            outcome
                .data
                .insert("file".into(), Json::from(args.src.clone()));
            outcome
        }
        Ok(Copied::Same { md5 }) => {
            let mut outcome = Outcome::ok();
            let data = json!({
                "md5sum": md5, "file": args.src, "dest": dest_text, "checksum": remote_sha1,
            });
            outcome.data.extend(object(data));
            outcome
        }
        Ok(Copied::New { sha1, md5 }) => {
            let mut outcome = Outcome::ok();
            outcome.changed = true;
            let data = json!({
                "md5sum": md5, "dest": dest_text, "remote_md5sum": null,
                "checksum": sha1, "remote_checksum": remote_sha1,
            });
            outcome.data.extend(object(data));
            outcome
        }
    }
}

fn object(value: Json) -> serde_json::Map<String, Json> {
    match value {
        Json::Object(map) => map,
        _ => serde_json::Map::new(),
    }
}

/// What became of the controller's copy.
pub enum Copied {
    /// It was already the target's file (its md5).
    Same { md5: String },
    /// It was written (or would be, under `--check`: then the target's sha1 and no md5).
    New { sha1: String, md5: Option<String> },
}

impl super::step::Step<'_> {
    /// The task: where the copy goes, the target's file compared with it, and sent
    /// (or, under --check, predicted).
    pub(super) fn fetch(&mut self, args: &crate::yaml::Node) -> Outcome {
        use super::remote::Site;
        let becoming = match self.becoming() {
            Ok(becoming) => becoming,
            Err(refusal) => return Outcome::failed(refusal),
        };
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let parsed: Args = match serde_json::from_value(Json::Object(rendered)) {
            Ok(parsed) => parsed,
            Err(err) => return Outcome::failed(format!("fetch: {err}")),
        };
        let text_var = |name: &str| {
            self.templates()
                .eval(name, self.ctx)
                .ok()
                .filter(|value| !value.is_undefined())
                .map(|value| value.to_string())
        };
        let host_name = text_var("inventory_hostname").unwrap_or_else(|| "localhost".into());
        let base = text_var("playbook_dir")
            .map(PathBuf::from)
            .unwrap_or_else(|| self.task.origin.dir.clone());
        let dest = destination(&parsed, &host_name, &base);
        let have = match controller_digests(&dest) {
            Ok(have) => have,
            Err(err) => return Outcome::failed(format!("cannot read {}: {err}", dest.display())),
        };
        let have_sha1 = have.as_ref().map(|(sha1, _)| sha1.as_str());
        let send = !self.flags.check;
        let mut landing = Landing::new(dest.clone());
        let mut sink = |chunk: &[u8]| landing.write(chunk);
        let fetched = match self.host {
            Site::Local(host) => {
                let found = probe(host, &parsed.src);
                let sent = to_send(&found, have_sha1, send);
                let error = match sent {
                    true => stream(host, &parsed.src, &mut sink).err(),
                    false => None,
                };
                Fetched { found, sent, error }
            }
            Site::Remote(remote, root) => {
                match remote.fetch(
                    &parsed.src,
                    have_sha1,
                    send,
                    root.as_deref(),
                    becoming.as_ref(),
                    &mut sink,
                ) {
                    Ok(fetched) => fetched,
                    Err(unreachable) => return Outcome::unreachable(unreachable.message),
                }
            }
        };
        if let Some(outcome) = not_a_file(&fetched.found, &parsed) {
            return outcome;
        }
        let Found::File {
            sha1: remote_sha1,
            size,
        } = &fetched.found
        else {
            return Outcome::failed("fetch: no file");
        };
        tracing::debug!(src = %parsed.src, dest = %dest.display(), size, sent = fetched.sent, "fetch");
        let copy = match (&have, fetched.sent, fetched.error) {
            (_, _, Some(error)) => Err(format!("fetch of {} broke: {error}", parsed.src)),
            (Some((sha1, md5)), false, None) if sha1 == remote_sha1 => {
                Ok(Copied::Same { md5: md5.clone() })
            }
            // --check: what the run would write.
            (_, false, None) => Ok(Copied::New {
                sha1: remote_sha1.clone(),
                md5: None,
            }),
            (_, true, None) => {
                let expected = parsed.validate_checksum.then_some(remote_sha1.as_str());
                landing.land(expected).map(|(sha1, md5)| Copied::New {
                    sha1,
                    md5: Some(md5),
                })
            }
        };
        outcome(&parsed, &dest, remote_sha1, copy)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(src: &str, dest: &str, flat: bool) -> Args {
        Args {
            src: src.into(),
            dest: dest.into(),
            flat,
            fail_on_missing: true,
            validate_checksum: true,
        }
    }

    #[test]
    fn the_destination_is_below_dest_and_the_host_name() {
        let base = Path::new("/play");
        let at = |a: &Args| destination(a, "web1", base);
        assert_eq!(
            at(&args("/etc/motd", "/f", false)),
            Path::new("/f/web1/etc/motd")
        );
        assert_eq!(
            at(&args("/etc/../../x/y", "f", false)),
            Path::new("/play/f/web1/x/y")
        );
        assert_eq!(at(&args("/etc/motd", "/f/m", true)), Path::new("/f/m"));
        assert_eq!(at(&args("/etc/motd", "/f/", true)), Path::new("/f/motd"));
    }

    #[test]
    fn a_landing_is_checked_then_renamed_into_place() -> Result<(), Box<dyn std::error::Error>> {
        let dir = tempfile::tempdir()?;
        let dest = dir.path().join("a/b/copy");
        let mut landing = Landing::new(dest.clone());
        landing.write(b"hello\n")?;
        let (sha1, md5) = landing.land(Some("f572d396fae9206628714fb2ce00f72e94f2258f"))?;
        assert_eq!(sha1, "f572d396fae9206628714fb2ce00f72e94f2258f");
        assert_eq!(md5, "b1946ac92492d2347c6235b4d2611184");
        assert_eq!(std::fs::read(&dest)?, b"hello\n");
        let mut wrong = Landing::new(dest.clone());
        wrong.write(b"other\n")?;
        assert!(wrong
            .land(Some("f572d396fae9206628714fb2ce00f72e94f2258f"))
            .is_err());
        assert_eq!(
            std::fs::read(&dest)?,
            b"hello\n",
            "a mismatch left the copy"
        );
        assert_eq!(controller_digests(&dest)?, Some((sha1, md5)),);
        Ok(())
    }
}
