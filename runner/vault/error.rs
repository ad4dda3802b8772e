//! What can go wrong with vaulted text and vault passwords. No message carries a
//! password or a plaintext: only paths, labels and what kind of thing failed.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum VaultError {
    #[error("not a valid vault text: its {0} is malformed")]
    Format(&'static str),
    #[error("unsupported vault format '{0}' (machinist reads $ANSIBLE_VAULT;1.1 and 1.2)")]
    Version(String),
    #[error("unsupported vault cipher '{0}' (only AES256)")]
    Cipher(String),
    #[error("wrong vault password (the HMAC does not match)")]
    WrongPassword,
    #[error("this is vaulted, but no vault password was given (use --vault-password-file, --vault-id or --ask-vault-pass)")]
    NoSecrets,
    #[error("decryption failed: no vault secret given could decrypt it (tried: {0})")]
    NoMatch(String),
    #[error("the vaulted text is not UTF-8")]
    NotUtf8,
    #[error("vault password: {0}")]
    Read(#[from] crate::input::ReadError),
    #[error("the vault password script {path} failed: {why}")]
    Script { path: PathBuf, why: String },
    #[error("the vault password for '{0}' is empty")]
    EmptyPassword(String),
    #[error("{0} needs a terminal to ask on, and there is none (give the password with --vault-password-file or --vault-id LABEL@FILE)")]
    NoTerminal(&'static str),
    #[error("cannot read from the terminal: {0}")]
    Terminal(#[source] std::io::Error),
    #[error("the passwords do not match")]
    Mismatch,
    #[error(
        "--vault-id '{0}': expected LABEL@SOURCE or SOURCE (a file, an executable, or 'prompt')"
    )]
    BadVaultId(String),
    #[error("no vault password given to encrypt with (use --vault-password-file, --vault-id or --ask-vault-pass)")]
    NothingToEncryptWith,
    #[error(
        "the vault ids {0} are all available to encrypt with: name one with --encrypt-vault-id"
    )]
    AmbiguousEncryptId(String),
    #[error("--encrypt-vault-id '{0}' names no vault id given (with --vault-id)")]
    UnknownEncryptId(String),
}
