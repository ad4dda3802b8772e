//! A password argument: kept out of every `Debug`, error message and output, and
//! hashed with sha512-crypt (`$6$…`) before it goes anywhere near a command line.

use crate::ModuleError;
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;

/// What error messages and the redacted command line show instead of a secret.
pub const MASK: &str = "********";

/// A secret string. A number in YAML (`root_password: 1234`) is taken as its digits.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for hashing and comparing only.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A sha512-crypt hash with a random salt, as /etc/shadow holds it.
    pub fn sha512_crypt(&self) -> Result<String, ModuleError> {
        sha_crypt::sha512_simple(&self.0, &sha_crypt::Sha512Params::default())
            .map_err(|_| ModuleError::Failed("sha512-crypt: cannot hash the password".into()))
    }

    /// Whether `hash` (a crypt(3) string from /etc/shadow) is a sha512-crypt hash of this
    /// secret. Other schemes (yescrypt `$y$`, …) cannot be checked and count as not.
    pub fn matches_hash(&self, hash: &str) -> bool {
        sha_crypt::sha512_check(&self.0, hash).is_ok()
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Secret({MASK})")
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Secret, D::Error> {
        deserializer.deserialize_any(SecretVisitor)
    }
}

struct SecretVisitor;

/// serde's own messages quote the value (`invalid type: integer `1234``): every
/// refusal here names the type only.
fn refused<E: de::Error>(what: &str) -> E {
    E::custom(format!(
        "expected a string, got {what} (the value is not shown)"
    ))
}

impl<'de> Visitor<'de> for SecretVisitor {
    type Value = Secret;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a string")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<Secret, E> {
        Ok(Secret::new(value))
    }

    fn visit_string<E: de::Error>(self, value: String) -> Result<Secret, E> {
        Ok(Secret(value))
    }

    fn visit_i64<E: de::Error>(self, value: i64) -> Result<Secret, E> {
        Ok(Secret(value.to_string()))
    }

    fn visit_u64<E: de::Error>(self, value: u64) -> Result<Secret, E> {
        Ok(Secret(value.to_string()))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Secret, E> {
        Err(refused("a float"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Secret, E> {
        Err(refused("a boolean"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Secret, E> {
        Err(refused("null"))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
        Err(refused("a list"))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, _: A) -> Result<Secret, A::Error> {
        Err(refused("a mapping"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_and_errors_never_show_the_value() {
        let secret: Secret =
            serde_json::from_value(serde_json::json!("hunter2")).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(format!("{secret:?}"), "Secret(********)");
        let numeric: Result<Secret, _> = serde_json::from_value(serde_json::json!(31337));
        assert_eq!(
            numeric.ok().map(|s| s.expose().to_string()),
            Some("31337".into())
        );
        let float = serde_json::from_value::<Secret>(serde_json::json!(2.5));
        let message = float.err().map(|e| e.to_string()).unwrap_or_default();
        assert!(!message.contains("2.5"), "{message}");
    }

    #[test]
    fn hashes_are_sha512_crypt_and_verify() -> Result<(), ModuleError> {
        let secret = Secret::new("hunter2");
        let hash = secret.sha512_crypt()?;
        assert!(hash.starts_with("$6$"), "{hash}");
        assert!(secret.matches_hash(&hash));
        assert!(!Secret::new("other").matches_hash(&hash));
        assert!(!secret.matches_hash("$y$j9T$abc$def"));
        assert!(!secret.matches_hash("*"));
        Ok(())
    }
}
