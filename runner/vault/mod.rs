//! Ansible Vault: secrets kept encrypted in playbooks, vars files and `-e @file`,
//! whole files or inline `!vault` values, in ansible-core's format (`envelope.rs`),
//! opened with the passwords the command line names (`keyring.rs`), and never shown
//! once opened (`crate::revealed`, below the reporters that mask with it). `copy`/`template` sources and `lookup('file')` that
//! are vaulted files are opened too, as Ansible opens them. `machinist vault …` is
//! `command.rs`.
//!
//! The run's keyring is installed once, before anything loads: the YAML loader
//! (`yaml.rs`) opens vaulted text wherever it meets it, and is called from
//! many places (playbooks, vars files, roles, extra vars) that need not carry it.

pub mod command;
pub mod envelope;
pub mod error;
mod files;
pub mod keyring;
pub mod terminal;

pub use error::VaultError;
pub use keyring::{Keyring, SecretSource};

use crate::revealed;

use std::sync::OnceLock;

static KEYRING: OnceLock<Keyring> = OnceLock::new();

/// Give the process its vault secrets (once; a second call is ignored, and says so
/// in the log).
pub fn install(keyring: Keyring) {
    if KEYRING.set(keyring).is_err() {
        tracing::warn!("the vault keyring was installed twice; the first one stays");
    }
}

/// `text` itself, or its plaintext (remembered as a secret) if it is vaulted: what
/// Ansible does with a file it reads for `copy`/`template` `src:` and `lookup('file')`.
pub fn open_if_vaulted(text: String) -> Result<Opened, VaultError> {
    if envelope::is_vaulted(text.as_bytes()) {
        Ok(Opened {
            text: open(&text)?,
            vaulted: true,
        })
    } else {
        Ok(Opened {
            text,
            vaulted: false,
        })
    }
}

/// A file's text, and whether it came out of a vault: what is made of it (a
/// template's rendering) is a secret too.
#[derive(Debug, Clone)]
pub struct Opened {
    pub text: String,
    pub vaulted: bool,
}

impl Opened {
    /// `derived` (rendered from this text), remembered as a secret if this was vaulted.
    pub fn derive(&self, derived: String) -> String {
        if self.vaulted {
            revealed::reveal(&derived);
        }
        derived
    }
}

/// The plaintext of a vaulted text met while loading, remembered as a secret.
pub fn open(text: &str) -> Result<String, VaultError> {
    let plain = decrypt(text)?;
    revealed::reveal(&plain);
    Ok(plain)
}

/// An inline `!vault` value's plaintext, remembered as one: Ansible keeps such a
/// value encrypted until used, so `is vault_encrypted` is true of it (and of nothing
/// else: a string that merely looks vaulted, or a vaulted file's values).
pub fn open_inline(text: &str) -> Result<String, VaultError> {
    let plain = open(text)?;
    if let Ok(mut inline) = INLINE.lock() {
        inline.insert(plain.clone());
    }
    Ok(plain)
}

/// Whether `text` came from an inline `!vault` value (compared by value, as
/// `crate::revealed` masks).
pub fn is_inline_plaintext(text: &str) -> bool {
    INLINE.lock().is_ok_and(|inline| inline.contains(text))
}

static INLINE: std::sync::Mutex<std::collections::BTreeSet<String>> =
    std::sync::Mutex::new(std::collections::BTreeSet::new());

/// The plaintext of a vaulted text, not remembered: the caller reveals what in it
/// is secret (a vaulted YAML file: its string values, not its keys and markers).
pub fn decrypt(text: &str) -> Result<String, VaultError> {
    let keyring = KEYRING.get().ok_or(VaultError::NoSecrets)?;
    let plain = keyring.decrypt(text.as_bytes())?;
    String::from_utf8(plain).map_err(|_| VaultError::NotUtf8)
}
