//! `machinist vault create|edit|view|encrypt|decrypt|encrypt_string|rekey`:
//! ansible-vault's commands, flags and output, on ansible-core's format. Called by
//! main.rs; errors become exit codes (4 bad input: a wrong password, a file that is
//! or is not vaulted; 1 anything else). Results go to stdout (or `--output`),
//! Ansible's "Encryption successful" notes to stderr; no plaintext reaches stderr.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use super::envelope;
use super::error::VaultError;
use super::files::{self, PrivateDir};
use super::keyring::{self, Keyring, SecretSource};
use super::terminal::Terminal;
use crate::cli::{
    VaultArgs, VaultCommand, VaultDecryptArgs, VaultEncryptArgs, VaultFileArgs, VaultRekeyArgs,
    VaultSecretArgs, VaultStringArgs, VaultViewArgs,
};
use crate::input::ReadError;

#[derive(Debug, thiserror::Error)]
pub enum CommandError {
    #[error("{path}: {source}")]
    Vault {
        path: String,
        #[source]
        source: VaultError,
    },
    #[error(transparent)]
    Secrets(#[from] VaultError),
    #[error(transparent)]
    Read(#[from] ReadError),
    #[error("{0} is already vault encrypted")]
    AlreadyEncrypted(String),
    #[error("{0} is not vault encrypted")]
    NotEncrypted(String),
    #[error("{0} exists already; `machinist vault create` makes new files (use edit)")]
    Exists(String),
    #[error("the plaintext from {0} is empty; not encrypting")]
    Empty(&'static str),
    #[error("--output names one file: give one input with it")]
    OutputOfMany,
    #[error(
        "--stdin-name names the string read from stdin, and none is read (give `-` or no string)"
    )]
    StdinNameUnused,
    #[error("more --name options than strings to encrypt")]
    NamesLeft,
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("the editor ({editor}) failed: {why}")]
    Editor { editor: String, why: String },
}

impl CommandError {
    /// 4 for what the user handed in, 1 for what failed on the way.
    fn exit_code(&self) -> u8 {
        match self {
            CommandError::Write { .. } | CommandError::Editor { .. } => 1,
            _ => 4,
        }
    }
}

pub fn run(args: VaultArgs) -> ExitCode {
    // A signal while a password is typed must not leave the terminal without echo:
    // it only sets the stop flag, and the command ends after the read.
    if let Err(err) = crate::signals::install() {
        crate::report::print_internal_error(&format!("cannot catch SIGINT/SIGTERM: {err}"));
        return ExitCode::from(1);
    }
    let result = match args.command {
        VaultCommand::Create(args) => create(args),
        VaultCommand::Edit(args) => edit(args),
        VaultCommand::View(args) => view(args),
        VaultCommand::Encrypt(args) => encrypt(args),
        VaultCommand::Decrypt(args) => decrypt(args),
        VaultCommand::EncryptString(args) => encrypt_string(args),
        VaultCommand::Rekey(args) => rekey(args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(_) if crate::signals::pending().is_some() => {
            let signal = crate::signals::pending().unwrap_or_default();
            ExitCode::from(crate::signals::exit_code(signal))
        }
        Err(err) => {
            crate::report::print_internal_error(&err);
            ExitCode::from(err.exit_code())
        }
    }
}

/// Ansible's notes ("Encryption successful"): stderr, so stdout holds only results.
fn note(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}

/// The secrets to open vaulted text with; without any source, the terminal is asked.
fn opening_keyring(secrets: &VaultSecretArgs) -> Result<Keyring, CommandError> {
    keyring_of(secrets, false)
}

/// The secrets to encrypt with; a password asked on the terminal is asked twice.
fn sealing_keyring(secrets: &VaultSecretArgs) -> Result<Keyring, CommandError> {
    keyring_of(secrets, true)
}

fn keyring_of(secrets: &VaultSecretArgs, new: bool) -> Result<Keyring, CommandError> {
    let mut sources = keyring::sources(
        &secrets.vault_ids,
        &secrets.vault_password_files,
        secrets.ask_vault_pass,
    )?;
    if sources.is_empty() {
        sources.push(SecretSource::ask_vault_pass());
    }
    Ok(Keyring::load(&sources, new)?)
}

fn shown(path: &Path) -> String {
    if files::is_stdio(path) {
        "stdin".into()
    } else {
        path.display().to_string()
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), CommandError> {
    files::write(path, bytes).map_err(|source| CommandError::Write {
        path: shown(path),
        source,
    })
}

fn open_file(keyring: &Keyring, path: &Path) -> Result<Vec<u8>, CommandError> {
    let text = files::read(path)?;
    if !envelope::is_vaulted(&text) {
        return Err(CommandError::NotEncrypted(shown(path)));
    }
    keyring
        .decrypt(&text)
        .map_err(|source| CommandError::Vault {
            path: shown(path),
            source,
        })
}

/// The files named, or stdin (`-`) when none is.
fn inputs(files: &[PathBuf]) -> Vec<PathBuf> {
    if files.is_empty() {
        vec![PathBuf::from("-")]
    } else {
        files.to_vec()
    }
}

/// Input files and where each result goes: in place, or `--output` for one input.
fn targets(
    files: &[PathBuf],
    output: Option<&Path>,
) -> Result<Vec<(PathBuf, PathBuf)>, CommandError> {
    let inputs = inputs(files);
    if output.is_some() && inputs.len() > 1 {
        return Err(CommandError::OutputOfMany);
    }
    Ok(inputs
        .into_iter()
        .map(|input| {
            let output = output.map_or_else(|| input.clone(), Path::to_path_buf);
            (input, output)
        })
        .collect())
}

fn view(args: VaultViewArgs) -> Result<(), CommandError> {
    let keyring = opening_keyring(&args.secrets)?;
    for input in inputs(&args.files) {
        let plain = open_file(&keyring, &input)?;
        write(Path::new("-"), &plain)?;
    }
    Ok(())
}

fn decrypt(args: VaultDecryptArgs) -> Result<(), CommandError> {
    let keyring = opening_keyring(&args.secrets)?;
    for (input, output) in targets(&args.files, args.output.as_deref())? {
        let plain = open_file(&keyring, &input)?;
        write(&output, &plain)?;
    }
    note("Decryption successful");
    Ok(())
}

fn encrypt(args: VaultEncryptArgs) -> Result<(), CommandError> {
    let keyring = sealing_keyring(&args.secrets)?;
    let secret = keyring.for_encrypt(args.encrypt_vault_id.as_deref())?;
    for (input, output) in targets(&args.files, args.output.as_deref())? {
        let plain = files::read(&input)?;
        if envelope::is_vaulted(&plain) {
            return Err(CommandError::AlreadyEncrypted(shown(&input)));
        }
        write(&output, secret.encrypt(&plain)?.as_bytes())?;
    }
    note("Encryption successful");
    Ok(())
}

fn encrypt_string(args: VaultStringArgs) -> Result<(), CommandError> {
    let keyring = sealing_keyring(&args.secrets)?;
    let secret = keyring.for_encrypt(args.encrypt_vault_id.as_deref())?;
    let mut names = args.names.iter().cloned();
    let reads_stdin =
        (args.strings.is_empty() && !args.prompt) || args.strings.iter().any(|s| s == "-");
    if args.stdin_name.is_some() && !reads_stdin {
        return Err(CommandError::StdinNameUnused);
    }
    // (name, plaintext, where it came from), in ansible-vault's order.
    let mut plaintexts: Vec<(Option<String>, Vec<u8>, &'static str)> = Vec::new();
    if args.prompt {
        let mut terminal = Terminal::open().ok_or(VaultError::NoTerminal("--prompt"))?;
        let text = terminal
            .ask("String to encrypt (hidden): ", true)
            .map_err(VaultError::Terminal)?;
        plaintexts.push((names.next(), text.into_bytes(), "the prompt"));
    }
    if reads_stdin {
        let name = args.stdin_name.clone().or_else(|| names.next());
        if std::io::IsTerminal::is_terminal(&std::io::stdin()) {
            note("Reading plaintext input from stdin. (ctrl-d to end input, twice if your content does not already have a newline)");
        }
        plaintexts.push((name, files::read(Path::new("-"))?, "stdin"));
    }
    for text in args.strings.iter().filter(|s| *s != "-") {
        plaintexts.push((names.next(), text.clone().into_bytes(), "the command line"));
    }
    if names.next().is_some() {
        return Err(CommandError::NamesLeft);
    }
    let mut out = String::new();
    for (name, plain, from) in plaintexts {
        if plain.is_empty() {
            return Err(CommandError::Empty(from));
        }
        let vaulted = secret.encrypt(&plain)?;
        if !out.is_empty() {
            out.push('\n');
        }
        out.push_str(&yaml_block(name.as_deref(), &vaulted));
    }
    write(
        args.output.as_deref().unwrap_or(Path::new("-")),
        out.as_bytes(),
    )?;
    note("Encryption successful");
    Ok(())
}

/// An inline vaulted value as ansible-vault prints it: `NAME: !vault |`, then the
/// envelope indented by 10.
fn yaml_block(name: Option<&str>, vaulted: &str) -> String {
    let mut out = match name {
        Some(name) => format!("{name}: !vault |\n"),
        None => "!vault |\n".to_string(),
    };
    for line in vaulted.lines() {
        out.push_str("          ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

fn rekey(args: VaultRekeyArgs) -> Result<(), CommandError> {
    let keyring = opening_keyring(&args.secrets)?;
    let new_source = match (&args.new_vault_id, &args.new_vault_password_file) {
        (Some(id), _) => SecretSource::parse_vault_id(id)?,
        (None, Some(file)) => SecretSource::password_file(file),
        (None, None) => SecretSource::ask_vault_pass(),
    };
    let new_secret = new_source.load(true)?;
    for file in &args.files {
        let plain = open_file(&keyring, file)?;
        write(file, new_secret.encrypt(&plain)?.as_bytes())?;
    }
    note("Rekey successful");
    Ok(())
}

fn create(args: VaultFileArgs) -> Result<(), CommandError> {
    if files::exists(&args.file) {
        return Err(CommandError::Exists(shown(&args.file)));
    }
    let keyring = sealing_keyring(&args.secrets)?;
    let secret = keyring.for_encrypt(args.encrypt_vault_id.as_deref())?;
    let plain = in_editor(&args.file, b"")?;
    write(&args.file, secret.encrypt(&plain)?.as_bytes())
}

fn edit(args: VaultFileArgs) -> Result<(), CommandError> {
    let keyring = opening_keyring(&args.secrets)?;
    let text = files::read(&args.file)?;
    if !envelope::is_vaulted(&text) {
        return Err(CommandError::NotEncrypted(shown(&args.file)));
    }
    let (plain, secret) =
        keyring
            .decrypt_with_secret(&text)
            .map_err(|source| CommandError::Vault {
                path: shown(&args.file),
                source,
            })?;
    // Re-encrypted with the id that opened it, unless another is asked for.
    let secret = match &args.encrypt_vault_id {
        Some(id) => keyring.for_encrypt(Some(id))?,
        None => secret,
    };
    let edited = in_editor(&args.file, &plain)?;
    if edited == plain {
        tracing::info!(file = %args.file.display(), "unchanged; not re-encrypted");
        return Ok(());
    }
    write(&args.file, secret.encrypt(&edited)?.as_bytes())
}

/// What the user made of `plain` in $EDITOR (vi without one), on a 0600 file in a
/// private folder that is wiped afterwards.
fn in_editor(original: &Path, plain: &[u8]) -> Result<Vec<u8>, CommandError> {
    let editor = std::env::var("EDITOR")
        .ok()
        .filter(|e| !e.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let failed = |why: String| CommandError::Editor {
        editor: editor.clone(),
        why,
    };
    let dir = PrivateDir::new().map_err(|err| failed(format!("no private temp folder: {err}")))?;
    let path = dir
        .file(original, plain)
        .map_err(|err| failed(format!("cannot write the temp file: {err}")))?;
    // EDITOR may carry arguments (`code -w`), as ansible-vault allows.
    let status = Command::new("/bin/sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("sh")
        .arg(&path)
        .status()
        .map_err(|err| failed(err.to_string()))?;
    if !status.success() {
        return Err(failed(format!("it ended with {status}")));
    }
    files::read_back(&path).map_err(|err| failed(format!("cannot read what it wrote: {err}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_values_are_indented_as_ansible_vault_prints_them() {
        let block = yaml_block(Some("pw"), "$ANSIBLE_VAULT;1.1;AES256\nabcd\n");
        assert_eq!(
            block,
            "pw: !vault |\n          $ANSIBLE_VAULT;1.1;AES256\n          abcd\n"
        );
    }
}
