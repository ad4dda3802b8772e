//! `generate_ssh_key`: a key pair for the account, made as Ansible makes it
//! (`ssh-keygen -t TYPE [-b BITS] -C COMMENT -N PASSPHRASE`) when the key file is
//! missing, and never replaced when it exists. ssh-keygen runs on the controller into a
//! private temporary directory while planning (nothing of the target is touched); the
//! pair is then written through the Host like any file — ~/.ssh 0700, the private key
//! 0600, the public one 0644, all the account's — so it stays inside the root, and
//! check mode records it in the overlay. The private key is in no diff, message or
//! result; the passphrase is a secret argument.

use super::Args;
use crate::accounts::PasswdEntry;
use crate::firstboot::current;
use crate::{Change, Diff, Host, ModuleError, Op, Ownership, Place, RunSpec};
use std::path::{Path, PathBuf};

/// What the result says of the key: Ansible's `ssh_fingerprint`, `ssh_key_file` and
/// `ssh_public_key`.
pub(super) struct KeyFacts {
    pub fingerprint: String,
    pub file: String,
    pub public_key: String,
}

/// The key file, inside the target (`ssh_key_file`, relative to the home).
fn key_path(args: &Args, user: &PasswdEntry) -> PathBuf {
    let default = format!(".ssh/id_{}", args.ssh_key_type);
    let file = args.ssh_key_file.as_deref().unwrap_or(&default);
    Path::new(&user.home).join(file)
}

/// The change making the pair (none when the key file exists), and the result's keys.
pub(super) fn change(
    host: &Host,
    args: &Args,
    user: &PasswdEntry,
) -> Result<(Option<Change>, KeyFacts), ModuleError> {
    let path = key_path(args, user);
    let public_path = PathBuf::from(format!("{}.pub", path.display()));
    if host.lstat(&path)?.is_some() {
        let public_key = host
            .read_file(&public_path)?
            .map(|bytes| String::from_utf8_lossy(&bytes).trim().to_string())
            .unwrap_or_default();
        let fingerprint = fingerprint_of(host, &public_key)?;
        let facts = KeyFacts {
            fingerprint,
            file: path.display().to_string(),
            public_key,
        };
        return Ok((None, facts));
    }
    let comment = match &args.ssh_key_comment {
        Some(comment) => comment.clone(),
        None => format!(
            "ansible-generated on {}",
            current::hostname(host)?.unwrap_or_else(|| "localhost".into())
        ),
    };
    let scratch = tempfile::Builder::new()
        .prefix("machinist-ssh-key-")
        .tempdir()
        .map_err(|err| ModuleError::io(std::env::temp_dir(), err))?;
    let made = scratch.path().join("key");
    let mut argv = vec![
        "ssh-keygen".to_string(),
        "-q".into(),
        "-t".into(),
        args.ssh_key_type.clone(),
    ];
    if let Some(bits) = args.ssh_key_bits {
        argv.extend(["-b".into(), bits.to_string()]);
    }
    let passphrase = args
        .ssh_key_passphrase
        .as_ref()
        .map_or("", |secret| secret.expose());
    argv.extend([
        "-C".into(),
        comment,
        "-N".into(),
        passphrase.to_string(),
        "-f".into(),
        made.display().to_string(),
    ]);
    // Jailed (host/jail.rs): ssh-keygen sees only its scratch folder of the controller.
    let scratch_dir = made.parent().unwrap_or(&made).to_path_buf();
    let output = host.query(&RunSpec {
        argv,
        place: Place::Controller,
        controller_paths: keygen_paths(crate::host::ControllerPath::writable(scratch_dir)),
        ..RunSpec::default()
    })?;
    if output.rc != Some(0) {
        return Err(ModuleError::Failed(format!(
            "ssh-keygen failed: {}",
            output.stderr.trim()
        )));
    }
    let read = |file: &Path| std::fs::read(file).map_err(|err| ModuleError::io(file, err));
    let private = read(&made)?;
    let public = read(&made.with_extension("pub"))?;
    let public_key = String::from_utf8_lossy(&public).trim().to_string();
    let fingerprint = fingerprint_of(host, &public_key)?;
    let owner = Ownership {
        uid: Some(user.uid),
        gid: Some(user.gid),
    };
    let mut ops = Vec::new();
    let dir = path.parent().unwrap_or(Path::new("/"));
    if host.lstat(dir)?.is_none() {
        ops.push(Op::Mkdir {
            path: dir.to_path_buf(),
            mode: 0o700,
            owner,
        });
    }
    ops.push(Op::WriteFile {
        path: path.clone(),
        content: private,
        mode: 0o600,
        owner,
    });
    ops.push(Op::WriteFile {
        path: public_path,
        content: public,
        mode: 0o644,
        owner,
    });
    let shown = path.display().to_string();
    let change = Change {
        summary: format!("generate the SSH key {shown}"),
        diff: Some(Diff::of_path(
            &shown,
            "",
            format!("{} key, {fingerprint}\n", args.ssh_key_type),
        )),
        ops,
    };
    let facts = KeyFacts {
        fingerprint,
        file: shown,
        public_key,
    };
    Ok((Some(change), facts))
}

/// `ssh-keygen -l` of a public key line (`256 SHA256:… comment (ED25519)`).
fn fingerprint_of(host: &Host, public_key: &str) -> Result<String, ModuleError> {
    if public_key.is_empty() {
        return Ok(String::new());
    }
    let scratch = tempfile::Builder::new()
        .prefix("machinist-ssh-key-")
        .tempdir()
        .map_err(|err| ModuleError::io(std::env::temp_dir(), err))?;
    let file = scratch.path().join("key.pub");
    std::fs::write(&file, format!("{public_key}\n")).map_err(|err| ModuleError::io(&file, err))?;
    let output = host.query(&RunSpec {
        argv: vec![
            "ssh-keygen".into(),
            "-l".into(),
            "-f".into(),
            file.display().to_string(),
        ],
        place: Place::Controller,
        controller_paths: keygen_paths(crate::host::ControllerPath::read_only(scratch.path())),
        ..RunSpec::default()
    })?;
    Ok(output.stdout.trim().to_string())
}

/// What a jailed ssh-keygen needs of the controller besides its scratch folder: it
/// looks up the running user (the public account files, never shadow).
fn keygen_paths(scratch: crate::host::ControllerPath) -> Vec<crate::host::ControllerPath> {
    let mut paths = vec![scratch];
    for file in ["/etc/passwd", "/etc/group", "/etc/nsswitch.conf"] {
        if std::path::Path::new(file).exists() {
            paths.push(crate::host::ControllerPath::read_only(file));
        }
    }
    paths
}
