//! ansible-core's `vault(secret, salt=none, vault_id='filter_default')` and
//! `unvault(secret, vault_id='filter_default')` filters: a string encrypted with, or
//! opened by, the password given to the filter (not the run's vault secrets, as in
//! ansible-core). What `unvault` opens is remembered as a secret, as every vault
//! plaintext is (`crate::revealed`): output masks it. `wrap_object=true` is refused:
//! machinist keeps no encrypted value objects.

use minijinja::value::{Kwargs, ValueKind};
use minijinja::{Environment, Error, Value};

use super::filters::invalid;
use super::value_format::py_type_name;
use crate::vault::envelope;

const FILTER_DEFAULT_ID: &str = "filter_default";

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter(
        "vault",
        |data: Value, secret: Value, salt: Option<Value>, kwargs: Kwargs| {
            let salt = match salt {
                Some(salt) => Some(salt),
                None => kwargs.get::<Option<Value>>("salt")?,
            };
            let vault_id = vault_id(&kwargs)?;
            if kwargs.get::<Option<bool>>("wrap_object")?.unwrap_or(false) {
                return Err(invalid(
                    "vault: wrap_object=true is not supported (machinist keeps no vaulted value objects)",
                ));
            }
            kwargs.assert_all_used()?;
            let secret = secret_text(&secret, "Secret passed is required to be a string")?;
            let Some(data) = data.as_str().filter(|_| data.kind() == ValueKind::String) else {
                return Err(invalid(format!(
                    "Can only vault strings, instead we got {}.",
                    py_type_name(&data)
                )));
            };
            let encrypted = match salt.filter(|s| !s.is_none()) {
                None => envelope::encrypt(data.as_bytes(), secret.as_bytes(), &vault_id),
                Some(salt) => {
                    let salt = salt.to_string();
                    if salt.is_empty() {
                        return Err(invalid("Unable to encrypt: Empty or invalid salt passed"));
                    }
                    envelope::encrypt_with_salt(data.as_bytes(), secret.as_bytes(), &vault_id, salt.as_bytes())
                }
            };
            encrypted.map_err(|err| invalid(format!("Unable to encrypt: {err}")))
        },
    );
    env.add_filter("unvault", |vault: Value, secret: Value, kwargs: Kwargs| {
        let _vault_id = vault_id(&kwargs)?;
        kwargs.assert_all_used()?;
        let secret = secret_text(&secret, "Secret passed is required to be as string")?;
        let Some(text) = vault.as_str().filter(|_| vault.kind() == ValueKind::String) else {
            return Err(invalid(format!(
                "Vault should be in the form of a string, instead we got {}.",
                py_type_name(&vault)
            )));
        };
        if !envelope::is_vaulted(text.as_bytes()) {
            return Ok(text.to_string());
        }
        let plain = envelope::Envelope::parse(text.as_bytes())
            .and_then(|parsed| parsed.decrypt(secret.as_bytes()))
            .map_err(|err| invalid(format!("Unable to decrypt: {err}")))?;
        let plain = String::from_utf8_lossy(&plain).into_owned();
        crate::revealed::reveal(&plain);
        Ok(plain)
    });
}

/// `vault_id` (or the deprecated `vaultid`).
fn vault_id(kwargs: &Kwargs) -> Result<String, Error> {
    let given = kwargs.get::<Option<String>>("vault_id")?;
    let legacy = kwargs.get::<Option<String>>("vaultid")?;
    Ok(given
        .or(legacy)
        .unwrap_or_else(|| FILTER_DEFAULT_ID.to_string()))
}

fn secret_text(secret: &Value, message: &str) -> Result<String, Error> {
    match secret.as_str() {
        Some(text) if secret.kind() == ValueKind::String => Ok(text.to_string()),
        _ => Err(invalid(format!(
            "{message}, instead we got {}.",
            py_type_name(secret)
        ))),
    }
}
