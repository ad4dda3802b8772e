//! Vault secrets: where passwords come from and which one opens a vaulted text.
//!
//! Sources are Ansible's: `--vault-id LABEL@SOURCE` (SOURCE a file, an executable
//! that prints the password, or `prompt`), `--vault-password-file FILE` and
//! `--ask-vault-pass` (both the `default` id), and `ANSIBLE_VAULT_PASSWORD_FILE` /
//! `ANSIBLE_VAULT_IDENTITY_LIST`. A file's password is its text without surrounding
//! blank space; an executable's is its stdout, and one named `*-client` (before its
//! extension) is asked for the label with `--vault-id LABEL`. To decrypt, the
//! secrets whose label the envelope names are tried first, then all the others (as
//! ansible-core with `vault_id_match` off).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::envelope::{self, Envelope, DEFAULT_ID};
use super::error::VaultError;
use super::terminal::Terminal;
use crate::input::ReadError;

/// One password, with the id (label) it was given under.
pub struct VaultSecret {
    pub id: String,
    password: Vec<u8>,
}

impl std::fmt::Debug for VaultSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultSecret")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl VaultSecret {
    pub fn new(id: &str, password: Vec<u8>) -> Result<VaultSecret, VaultError> {
        if password.is_empty() {
            return Err(VaultError::EmptyPassword(id.to_string()));
        }
        Ok(VaultSecret {
            id: id.to_string(),
            password,
        })
    }

    /// `text` encrypted with this secret, under its id.
    pub fn encrypt(&self, text: &[u8]) -> Result<String, VaultError> {
        envelope::encrypt(text, &self.password, &self.id)
    }
}

impl Drop for VaultSecret {
    fn drop(&mut self) {
        self.password.fill(0);
    }
}

/// Where one secret comes from: `LABEL@SOURCE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SecretSource {
    pub id: String,
    pub source: Source,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// Asked on the terminal; the text says which option asked (for its error).
    Prompt(&'static str),
    File(PathBuf),
}

impl SecretSource {
    /// `--vault-id`'s value: `LABEL@SOURCE`, or a bare SOURCE (the `default` id).
    pub fn parse_vault_id(text: &str) -> Result<SecretSource, VaultError> {
        let (id, source) = match text.split_once('@') {
            Some((id, source)) => (id, source),
            None => ("", text),
        };
        if source.is_empty() || id.contains(';') {
            return Err(VaultError::BadVaultId(text.to_string()));
        }
        let id = if id.is_empty() { DEFAULT_ID } else { id };
        let source = if source == "prompt" {
            Source::Prompt("--vault-id LABEL@prompt")
        } else {
            Source::File(PathBuf::from(source))
        };
        Ok(SecretSource {
            id: id.to_string(),
            source,
        })
    }

    pub fn password_file(path: &Path) -> SecretSource {
        SecretSource {
            id: DEFAULT_ID.into(),
            source: Source::File(path.to_path_buf()),
        }
    }

    pub fn ask_vault_pass() -> SecretSource {
        SecretSource {
            id: DEFAULT_ID.into(),
            source: Source::Prompt("--ask-vault-pass"),
        }
    }

    /// Read the password. `new` asks twice (a password to encrypt with: "New Vault
    /// password", then confirmed), as ansible-vault does for one it will write.
    pub fn load(&self, new: bool) -> Result<VaultSecret, VaultError> {
        let password = match &self.source {
            Source::Prompt(option) => self.ask(option, new)?,
            Source::File(path) => read_source(path, &self.id)?,
        };
        VaultSecret::new(&self.id, password)
    }

    fn ask(&self, option: &'static str, new: bool) -> Result<Vec<u8>, VaultError> {
        let mut terminal = Terminal::open().ok_or(VaultError::NoTerminal(option))?;
        let label = if self.id == DEFAULT_ID {
            String::new()
        } else {
            format!(" ({})", self.id)
        };
        let new_word = if new { "New " } else { "" };
        let first = terminal
            .ask(&format!("{new_word}Vault password{label}: "), true)
            .map_err(VaultError::Terminal)?;
        if new {
            let again = terminal
                .ask(&format!("Confirm {new_word}Vault password{label}: "), true)
                .map_err(VaultError::Terminal)?;
            if again != first {
                return Err(VaultError::Mismatch);
            }
        }
        Ok(first.into_bytes())
    }
}

/// A password file's text, or an executable's output.
fn read_source(path: &Path, id: &str) -> Result<Vec<u8>, VaultError> {
    let meta = std::fs::metadata(path).map_err(|source| ReadError::Io {
        path: path.display().to_string(),
        source,
    })?;
    let bytes = if meta.is_file() && meta.permissions().mode() & 0o111 != 0 {
        run_script(path, id)?
    } else {
        crate::input::read(path, crate::input::MAX_TEXT_BYTES)?
    };
    Ok(bytes.trim_ascii().to_vec())
}

fn run_script(path: &Path, id: &str) -> Result<Vec<u8>, VaultError> {
    let script_error = |why: String| VaultError::Script {
        path: path.to_path_buf(),
        why,
    };
    // A relative path is the file in this folder (as Ansible's), never one on $PATH.
    let program = std::path::absolute(path).map_err(|err| script_error(err.to_string()))?;
    let mut command = Command::new(program);
    let is_client = path
        .file_stem()
        .and_then(|stem| stem.to_str())
        .is_some_and(|stem| stem.ends_with("-client"));
    if is_client {
        command.args(["--vault-id", id]);
    }
    tracing::debug!(script = %path.display(), client = is_client, "running a vault password script");
    let output = command
        .stdin(Stdio::inherit())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|err| script_error(err.to_string()))?;
    match output.status.code() {
        Some(0) => Ok(output.stdout),
        Some(2) if is_client => Err(script_error(format!(
            "it knows no vault id '{id}' (exit 2)"
        ))),
        _ => Err(script_error(format!("it ended with {}", output.status))),
    }
}

/// The secrets of a run or of a `machinist vault` command.
#[derive(Debug, Default)]
pub struct Keyring {
    secrets: Vec<VaultSecret>,
}

impl Keyring {
    /// The secrets of `sources`; `new`: prompts ask twice (a password to encrypt with).
    pub fn load(sources: &[SecretSource], new: bool) -> Result<Keyring, VaultError> {
        let mut secrets = Vec::new();
        for source in sources {
            secrets.push(source.load(new)?);
        }
        Ok(Keyring { secrets })
    }

    pub fn from_secrets(secrets: Vec<VaultSecret>) -> Keyring {
        Keyring { secrets }
    }

    pub fn is_empty(&self) -> bool {
        self.secrets.is_empty()
    }

    /// The plaintext of a vaulted text: the secrets labelled as its header says
    /// first, then all others.
    pub fn decrypt(&self, text: &[u8]) -> Result<Vec<u8>, VaultError> {
        self.decrypt_with_secret(text).map(|(plain, _)| plain)
    }

    /// [`Keyring::decrypt`], and the secret that opened it.
    pub fn decrypt_with_secret(&self, text: &[u8]) -> Result<(Vec<u8>, &VaultSecret), VaultError> {
        let envelope = Envelope::parse(text)?;
        if self.secrets.is_empty() {
            return Err(VaultError::NoSecrets);
        }
        let wanted = envelope.vault_id.as_deref();
        let labelled = self
            .secrets
            .iter()
            .filter(|s| Some(s.id.as_str()) == wanted);
        let others = self
            .secrets
            .iter()
            .filter(|s| Some(s.id.as_str()) != wanted);
        for secret in labelled.chain(others) {
            match envelope.decrypt(&secret.password) {
                Ok(plain) => {
                    tracing::debug!(vault_id = %secret.id, "decrypted a vaulted text");
                    return Ok((plain, secret));
                }
                Err(VaultError::WrongPassword) => continue,
                Err(err) => return Err(err),
            }
        }
        let tried: Vec<&str> = self.secrets.iter().map(|s| s.id.as_str()).collect();
        Err(VaultError::NoMatch(tried.join(", ")))
    }

    /// The secret to encrypt with: the one named by `--encrypt-vault-id`, or the
    /// only one there is.
    pub fn for_encrypt(&self, encrypt_id: Option<&str>) -> Result<&VaultSecret, VaultError> {
        if let Some(id) = encrypt_id {
            return self
                .secrets
                .iter()
                .find(|s| s.id == id)
                .ok_or_else(|| VaultError::UnknownEncryptId(id.to_string()));
        }
        match self.secrets.as_slice() {
            [] => Err(VaultError::NothingToEncryptWith),
            [only] => Ok(only),
            many => {
                let mut ids: Vec<&str> = many.iter().map(|s| s.id.as_str()).collect();
                ids.sort_unstable();
                ids.dedup();
                if ids.len() == 1 {
                    return Ok(&many[0]);
                }
                Err(VaultError::AmbiguousEncryptId(ids.join(", ")))
            }
        }
    }
}

/// The secret sources of a command line, in Ansible's order: the identity list of
/// the environment, `--vault-id`s, password files (`--vault-password-file`, then
/// `ANSIBLE_VAULT_PASSWORD_FILE`), and `--ask-vault-pass`.
pub fn sources(
    vault_ids: &[String],
    password_files: &[PathBuf],
    ask_vault_pass: bool,
) -> Result<Vec<SecretSource>, VaultError> {
    let mut out = Vec::new();
    if let Ok(list) = std::env::var("ANSIBLE_VAULT_IDENTITY_LIST") {
        for item in list.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            out.push(SecretSource::parse_vault_id(item)?);
        }
    }
    for id in vault_ids {
        out.push(SecretSource::parse_vault_id(id)?);
    }
    for file in password_files {
        out.push(SecretSource::password_file(file));
    }
    if let Some(file) = std::env::var_os("ANSIBLE_VAULT_PASSWORD_FILE").filter(|f| !f.is_empty()) {
        out.push(SecretSource::password_file(Path::new(&file)));
    }
    if ask_vault_pass {
        out.push(SecretSource::ask_vault_pass());
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret(id: &str, password: &str) -> VaultSecret {
        VaultSecret::new(id, password.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn vault_ids_parse_as_ansibles() {
        let parsed = SecretSource::parse_vault_id("prod@/etc/pw").unwrap();
        assert_eq!(parsed.id, "prod");
        assert_eq!(parsed.source, Source::File("/etc/pw".into()));
        assert_eq!(
            SecretSource::parse_vault_id("/etc/pw").unwrap().id,
            "default"
        );
        assert!(matches!(
            SecretSource::parse_vault_id("dev@prompt").unwrap().source,
            Source::Prompt(_)
        ));
        assert!(SecretSource::parse_vault_id("dev@").is_err());
    }

    #[test]
    fn the_labelled_secret_is_tried_first_then_all() {
        let text = secret("prod", "p1").encrypt(b"x").unwrap();
        let keyring = Keyring::from_secrets(vec![secret("dev", "d1"), secret("prod", "p1")]);
        assert_eq!(
            keyring.decrypt_with_secret(text.as_bytes()).unwrap().1.id,
            "prod"
        );
        // A label that matches no secret: every secret is tried.
        let other = secret("stage", "d1").encrypt(b"y").unwrap();
        assert_eq!(
            keyring.decrypt_with_secret(other.as_bytes()).unwrap().1.id,
            "dev"
        );
        let none = secret("x", "nope").encrypt(b"z").unwrap();
        let err = keyring.decrypt(none.as_bytes()).unwrap_err().to_string();
        assert_eq!(
            err,
            "decryption failed: no vault secret given could decrypt it (tried: dev, prod)"
        );
        assert!(matches!(
            Keyring::default().decrypt(none.as_bytes()),
            Err(VaultError::NoSecrets)
        ));
    }

    #[test]
    fn encrypting_needs_one_id() {
        let keyring = Keyring::from_secrets(vec![secret("dev", "d"), secret("prod", "p")]);
        assert!(matches!(
            keyring.for_encrypt(None),
            Err(VaultError::AmbiguousEncryptId(_))
        ));
        assert_eq!(keyring.for_encrypt(Some("prod")).unwrap().id, "prod");
        assert!(keyring.for_encrypt(Some("qa")).is_err());
        assert!(Keyring::default().for_encrypt(None).is_err());
    }

    #[test]
    fn files_and_scripts_give_passwords() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pw");
        std::fs::write(&file, "  s3cret \n").unwrap();
        assert_eq!(read_source(&file, "default").unwrap(), b"s3cret");
        // Installed by a child: a file this multi-threaded process had open for
        // writing could be inherited by another test's child (ETXTBSY at exec).
        let executable = |name: &str, body: &str| {
            let draft = dir.path().join(format!("{name}.draft"));
            std::fs::write(&draft, body).unwrap();
            let dest = dir.path().join(name);
            let status = Command::new("install")
                .arg("-m")
                .arg("700")
                .arg(&draft)
                .arg(&dest)
                .status()
                .unwrap();
            assert!(status.success());
            dest
        };
        let script = executable("pass.sh", "#!/bin/sh\necho from-script\n");
        assert_eq!(read_source(&script, "default").unwrap(), b"from-script");
        let client = executable("keys-client.sh", "#!/bin/sh\n[ \"$1\" = --vault-id ] || exit 1\n[ \"$2\" = prod ] || exit 2\necho for-$2\n");
        assert_eq!(read_source(&client, "prod").unwrap(), b"for-prod");
        let err = read_source(&client, "dev").unwrap_err().to_string();
        assert!(err.contains("knows no vault id 'dev'"), "{err}");
        let empty = dir.path().join("empty");
        std::fs::write(&empty, "\n").unwrap();
        let source = SecretSource::password_file(&empty);
        assert!(matches!(
            source.load(false),
            Err(VaultError::EmptyPassword(_))
        ));
    }
}
