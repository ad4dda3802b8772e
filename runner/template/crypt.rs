//! `password_hash`: the SHA-crypt hashes `/etc/shadow` uses (`$6$salt$…` sha512,
//! `$5$…` sha256), as Ansible's filter makes them: deterministic with a salt, a random
//! 16-character salt otherwise, and `rounds=N` written only when rounds are given.

use minijinja::value::Kwargs;
use minijinja::{Environment, Error, Value};
use rand::Rng;
use sha_crypt::{sha256_crypt_b64, sha512_crypt_b64, Sha256Params, Sha512Params};

use super::filters::{invalid, text};

const SALT_CHARS: &[u8] = b"./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const SALT_MAX: usize = 16;
const DEFAULT_ROUNDS: usize = 5000;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("password_hash", password_hash);
}

fn password_hash(
    password: Value,
    hashtype: Option<String>,
    salt: Option<Value>,
    kwargs: Kwargs,
) -> Result<String, Error> {
    let password = text(&password)?;
    let hashtype = match hashtype {
        Some(kind) => kind,
        None => kwargs
            .get::<Option<String>>("hashtype")?
            .unwrap_or_else(|| "sha512".into()),
    };
    let salt = match salt {
        Some(salt) if !salt.is_none() => Some(text(&salt)?),
        _ => kwargs.get::<Option<String>>("salt")?,
    };
    let rounds = kwargs.get::<Option<usize>>("rounds")?;
    let salt_size = kwargs.get::<Option<usize>>("salt_size")?;
    let ident = kwargs.get::<Option<String>>("ident")?;
    kwargs.assert_all_used()?;
    if ident.is_some() {
        return Err(invalid(
            "password_hash: ident is not supported for sha256/sha512 crypt",
        ));
    }
    let salt = match salt {
        Some(salt) => checked_salt(&salt)?,
        None => random_salt(salt_size.unwrap_or(SALT_MAX).min(SALT_MAX)),
    };
    hash(&password, &hashtype, &salt, rounds)
}

pub(crate) fn checked_salt(salt: &str) -> Result<String, Error> {
    if !salt.bytes().all(|b| SALT_CHARS.contains(&b)) {
        return Err(invalid(
            "password_hash: invalid characters in salt (use only [./0-9A-Za-z])",
        ));
    }
    // crypt(3) uses at most 16 characters of the salt.
    Ok(salt.chars().take(SALT_MAX).collect())
}

pub(crate) fn random_salt(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(SALT_CHARS[rng.gen_range(0..SALT_CHARS.len())]))
        .collect()
}

/// The crypt(3) string for `password` with this salt and rounds.
pub(crate) fn hash(
    password: &str,
    hashtype: &str,
    salt: &str,
    rounds: Option<usize>,
) -> Result<String, Error> {
    let crypt_err = |err: sha_crypt::CryptError| invalid(format!("password_hash: {err:?}"));
    let effective = rounds.unwrap_or(DEFAULT_ROUNDS);
    let (ident, digest) = match hashtype {
        "sha512" | "sha512_crypt" => {
            let params = Sha512Params::new(effective).map_err(crypt_err)?;
            (
                "6",
                sha512_crypt_b64(password.as_bytes(), salt.as_bytes(), &params)
                    .map_err(crypt_err)?,
            )
        }
        "sha256" | "sha256_crypt" => {
            let params = Sha256Params::new(effective).map_err(crypt_err)?;
            (
                "5",
                sha256_crypt_b64(password.as_bytes(), salt.as_bytes(), &params)
                    .map_err(crypt_err)?,
            )
        }
        other => {
            return Err(invalid(format!(
                "password_hash: unsupported hash type '{other}' (use sha512 or sha256)"
            )))
        }
    };
    Ok(match rounds {
        Some(rounds) => format!("${ident}$rounds={rounds}${salt}${digest}"),
        None => format!("${ident}${salt}${digest}"),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values from `openssl passwd -6 -salt saltsalt password`,
    // `openssl passwd -5 -salt saltsalt password` and Python's
    // crypt.crypt('password', '$6$rounds=10000$saltsalt').
    #[test]
    fn matches_crypt3() {
        assert_eq!(
            hash("password", "sha512", "saltsalt", None).unwrap(),
            "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/"
        );
        assert_eq!(
            hash("password", "sha256", "saltsalt", None).unwrap(),
            "$5$saltsalt$gOjOtoMpVhru2uyjeJSEc/JaLQWOXMNmlOnj6T4AtC."
        );
        assert_eq!(
            hash("password", "sha512", "saltsalt", Some(10000)).unwrap(),
            "$6$rounds=10000$saltsalt$ZqOTO2O04D/DgwZlm.rZTgWxvBaIf4LQsZKtXFEu9UHJ4CvgmdLAGxKUzJ0mPO98OevETdY6oK/Oac6j2Axxq/"
        );
    }

    #[test]
    fn long_salts_are_cut_like_crypt3() {
        // crypt.crypt('password', '$6$0123456789abcdefXYZ')
        assert_eq!(
            checked_salt("0123456789abcdefXYZ").unwrap(),
            "0123456789abcdef"
        );
        assert!(checked_salt("bad salt").is_err());
    }

    #[test]
    fn random_salts_differ() {
        let a = random_salt(16);
        assert_eq!(a.len(), 16);
        assert_ne!(a, random_salt(16));
    }
}
