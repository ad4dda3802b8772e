//! Ansible's vault format, byte for byte (ansible-core's `parsing/vault`):
//! `$ANSIBLE_VAULT;1.1;AES256` (or `1.2;AES256;LABEL` with a vault id), then the
//! body in lines of 80 hex digits. The body is the hex of
//! `hex(salt) \n hex(hmac) \n hex(ciphertext)`; PBKDF2-HMAC-SHA256 (10000 rounds, a
//! 32-byte random salt) of the password gives 80 bytes: the AES-256 key, the HMAC
//! key and the CTR counter's first block; the plaintext is PKCS#7-padded to 16 bytes
//! and encrypted with AES-256-CTR, and the HMAC-SHA256 covers the ciphertext.
//! The crypto is RustCrypto's (aes, ctr, hmac, pbkdf2, sha2): none is written here,
//! and the HMAC is checked in constant time (`Mac::verify_slice`).

use aes::cipher::{KeyIvInit, StreamCipher};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::error::VaultError;

/// What every vaulted text starts with.
pub const HEADER: &str = "$ANSIBLE_VAULT";
const CIPHER: &str = "AES256";
const PBKDF2_ROUNDS: u32 = 10_000;
const KEY_LEN: usize = 32;
const IV_LEN: usize = 16;
const SALT_LEN: usize = 32;
const BLOCK: usize = 16;
const LINE: usize = 80;
/// The id a secret has when none is given (and the one 1.1 files carry).
pub const DEFAULT_ID: &str = "default";

type Aes256Ctr = ctr::Ctr128BE<aes::Aes256>;
type HmacSha256 = Hmac<Sha256>;

/// Whether `text` is a vaulted text (a whole file, or an inline `!vault` value).
pub fn is_vaulted(text: &[u8]) -> bool {
    text.trim_ascii_start().starts_with(HEADER.as_bytes())
}

/// A parsed envelope: the vault id its header names (1.2), and the body.
#[derive(Debug, PartialEq, Eq)]
pub struct Envelope {
    pub vault_id: Option<String>,
    salt: Vec<u8>,
    hmac: Vec<u8>,
    ciphertext: Vec<u8>,
}

impl Envelope {
    /// Read a vaulted text (surrounding blank space and the 80-column line breaks
    /// allowed, as ansible-core allows them).
    pub fn parse(text: &[u8]) -> Result<Envelope, VaultError> {
        let text = text.trim_ascii();
        let mut lines = text.split(|&b| b == b'\n');
        let header = lines.next().unwrap_or_default().trim_ascii();
        let header = std::str::from_utf8(header).map_err(|_| format_error("header"))?;
        let fields: Vec<&str> = header.split(';').map(str::trim).collect();
        if fields.first() != Some(&HEADER) || fields.len() < 3 {
            return Err(format_error("header"));
        }
        if !matches!(fields[1], "1.1" | "1.2") || fields.len() > 4 {
            return Err(VaultError::Version(header.to_string()));
        }
        if fields[2] != CIPHER {
            return Err(VaultError::Cipher(fields[2].to_string()));
        }
        let vault_id = fields.get(3).map(|id| (*id).to_string());
        let body: Vec<u8> = lines
            .flat_map(|line| line.trim_ascii().iter().copied())
            .collect();
        let inner = unhex(&body).ok_or_else(|| format_error("body"))?;
        let mut parts = inner.splitn(3, |&b| b == b'\n');
        let (Some(salt), Some(hmac), Some(ciphertext)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format_error("body"));
        };
        Ok(Envelope {
            vault_id,
            salt: unhex(salt).ok_or_else(|| format_error("salt"))?,
            hmac: unhex(hmac).ok_or_else(|| format_error("hmac"))?,
            ciphertext: unhex(ciphertext).ok_or_else(|| format_error("ciphertext"))?,
        })
    }

    /// The plaintext, if `password` is the one it was encrypted with.
    pub fn decrypt(&self, password: &[u8]) -> Result<Vec<u8>, VaultError> {
        let keys = Keys::derive(password, &self.salt);
        let mut mac = HmacSha256::new_from_slice(&keys.hmac).map_err(|_| format_error("key"))?;
        mac.update(&self.ciphertext);
        mac.verify_slice(&self.hmac)
            .map_err(|_| VaultError::WrongPassword)?;
        let mut plain = self.ciphertext.clone();
        Aes256Ctr::new(&keys.aes.into(), &keys.iv.into()).apply_keystream(&mut plain);
        let pad = usize::from(*plain.last().ok_or_else(|| format_error("padding"))?);
        if pad == 0
            || pad > BLOCK
            || pad > plain.len()
            || !plain[plain.len() - pad..]
                .iter()
                .all(|&b| usize::from(b) == pad)
        {
            return Err(format_error("padding"));
        }
        plain.truncate(plain.len() - pad);
        Ok(plain)
    }
}

/// The vaulted text of `plaintext`: header (1.2 with the id unless it is `default`),
/// body in 80-column lines, a final newline — what ansible-vault writes.
pub fn encrypt(plaintext: &[u8], password: &[u8], vault_id: &str) -> Result<String, VaultError> {
    let mut salt = [0u8; SALT_LEN];
    rand::Rng::fill(&mut rand::rngs::OsRng, &mut salt[..]);
    encrypt_with_salt(plaintext, password, vault_id, &salt)
}

/// [`encrypt`] with a given salt (ansible-core's `vault` filter takes one).
pub fn encrypt_with_salt(
    plaintext: &[u8],
    password: &[u8],
    vault_id: &str,
    salt: &[u8],
) -> Result<String, VaultError> {
    let keys = Keys::derive(password, salt);
    let pad = BLOCK - plaintext.len() % BLOCK;
    let mut ciphertext = plaintext.to_vec();
    ciphertext.extend(std::iter::repeat(pad as u8).take(pad));
    Aes256Ctr::new(&keys.aes.into(), &keys.iv.into()).apply_keystream(&mut ciphertext);
    let mut mac = HmacSha256::new_from_slice(&keys.hmac).map_err(|_| format_error("key"))?;
    mac.update(&ciphertext);
    let inner = format!(
        "{}\n{}\n{}",
        hex(salt),
        hex(&mac.finalize().into_bytes()),
        hex(&ciphertext)
    );
    let body = hex(inner.as_bytes());
    let mut out = if vault_id.is_empty() || vault_id == DEFAULT_ID {
        format!("{HEADER};1.1;{CIPHER}\n")
    } else {
        format!("{HEADER};1.2;{CIPHER};{vault_id}\n")
    };
    for line in body.as_bytes().chunks(LINE) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    Ok(out)
}

/// The three values PBKDF2 derives from a password and a salt.
struct Keys {
    aes: [u8; KEY_LEN],
    hmac: [u8; KEY_LEN],
    iv: [u8; IV_LEN],
}

impl Keys {
    fn derive(password: &[u8], salt: &[u8]) -> Keys {
        let mut derived = [0u8; 2 * KEY_LEN + IV_LEN];
        pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, PBKDF2_ROUNDS, &mut derived);
        let mut keys = Keys {
            aes: [0; KEY_LEN],
            hmac: [0; KEY_LEN],
            iv: [0; IV_LEN],
        };
        keys.aes.copy_from_slice(&derived[..KEY_LEN]);
        keys.hmac.copy_from_slice(&derived[KEY_LEN..2 * KEY_LEN]);
        keys.iv.copy_from_slice(&derived[2 * KEY_LEN..]);
        keys
    }
}

fn format_error(part: &'static str) -> VaultError {
    VaultError::Format(part)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 15)]));
    }
    out
}

fn unhex(text: &[u8]) -> Option<Vec<u8>> {
    fn digit(b: u8) -> Option<u8> {
        char::from(b).to_digit(16).map(|d| d as u8)
    }
    if text.len() % 2 != 0 {
        return None;
    }
    text.chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_with_and_without_a_label() {
        for id in ["default", "prod"] {
            let text = encrypt(b"hunter2\n", b"pw", id).unwrap();
            let envelope = Envelope::parse(text.as_bytes()).unwrap();
            assert_eq!(envelope.decrypt(b"pw").unwrap(), b"hunter2\n");
            let expected_id = (id != "default").then(|| id.to_string());
            assert_eq!(envelope.vault_id, expected_id);
        }
    }

    #[test]
    fn the_envelope_is_ansibles_shape() {
        let text = encrypt_with_salt(b"x", b"pw", "default", &[7; SALT_LEN]).unwrap();
        let mut lines = text.lines();
        assert_eq!(lines.next(), Some("$ANSIBLE_VAULT;1.1;AES256"));
        assert!(lines.clone().all(|line| line.len() <= 80));
        assert!(lines.clone().rev().skip(1).all(|line| line.len() == 80));
        assert!(text.ends_with('\n'));
        let labelled = encrypt(b"x", b"pw", "prod").unwrap();
        assert!(labelled.starts_with("$ANSIBLE_VAULT;1.2;AES256;prod\n"));
    }

    #[test]
    fn block_sized_plaintexts_get_a_whole_block_of_padding() {
        for len in [0, 1, 15, 16, 17, 32] {
            let plain = vec![b'a'; len];
            let text = encrypt(&plain, b"pw", "default").unwrap();
            let envelope = Envelope::parse(text.as_bytes()).unwrap();
            assert_eq!(envelope.ciphertext.len(), (len / 16 + 1) * 16);
            assert_eq!(envelope.decrypt(b"pw").unwrap(), plain);
        }
    }

    #[test]
    fn a_wrong_password_or_a_changed_byte_is_refused() {
        let text = encrypt(b"secret", b"pw", "default").unwrap();
        let envelope = Envelope::parse(text.as_bytes()).unwrap();
        assert!(matches!(
            envelope.decrypt(b"wrong"),
            Err(VaultError::WrongPassword)
        ));
        let mut tampered = Envelope::parse(text.as_bytes()).unwrap();
        tampered.ciphertext[0] ^= 1;
        assert!(matches!(
            tampered.decrypt(b"pw"),
            Err(VaultError::WrongPassword)
        ));
    }

    #[test]
    fn malformed_envelopes_are_format_errors() {
        for bad in [
            "$ANSIBLE_VAULT;1.1\nabcd",
            "$ANSIBLE_VAULT;1.1;AES256\nzz",
            "$ANSIBLE_VAULT;1.1;AES256\n6162",
            "$ANSIBLE_VAULT;9.9;AES256\n6162",
            "$ANSIBLE_VAULT;1.2;AES256;a;b\n6162",
            "$ANSIBLE_VAULT;1.1;AES\n6162",
            "nope",
        ] {
            assert!(Envelope::parse(bad.as_bytes()).is_err(), "{bad}");
        }
    }

    #[test]
    fn indented_inline_values_parse() {
        let text = encrypt(b"v", b"pw", "default").unwrap();
        let indented: String = text.lines().map(|l| format!("  {l}\n")).collect();
        assert!(is_vaulted(indented.as_bytes()));
        let envelope = Envelope::parse(indented.as_bytes()).unwrap();
        assert_eq!(envelope.decrypt(b"pw").unwrap(), b"v");
    }

    #[test]
    fn hex_round_trips() {
        assert_eq!(hex(&[0, 15, 255]), "000fff");
        assert_eq!(unhex(b"000fFf"), Some(vec![0, 15, 255]));
        assert_eq!(unhex(b"0"), None);
        assert_eq!(unhex(b"0g"), None);
    }
}
