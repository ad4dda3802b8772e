//! Every plaintext a vault gave this process, so no output shows it: the events the
//! reporters get are masked (`report::Masked`), and so are the diagnostics and the
//! log lines on stderr. Masking is by value, as `no_log` arguments are masked
//! (`run/secrets.rs`): wherever a decrypted value shows up whole, it reads
//! `********`; a diff that holds one is censored whole. A value the playbook
//! transforms (`{{ secret | b64encode }}`) is a new string and is not recognised:
//! docs/SECURITY.md says so.
//!
//! Process-wide: values are revealed while files load, long before the reporters
//! exist, and every output channel must see the same set.

use std::borrow::Cow;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard};

/// What a masked value reads as (Ansible's mask, as `no_log` arguments).
pub const MASK: &str = "********";

static ANY: AtomicBool = AtomicBool::new(false);
static REVEALED: Mutex<Vec<String>> = Mutex::new(Vec::new());

fn revealed() -> MutexGuard<'static, Vec<String>> {
    REVEALED
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Lines of a multi-line secret shorter than this are not masked on their own (a
/// `}` or `---` line is no secret, and masking it everywhere would garble output).
pub const MIN_LINE: usize = 4;

/// Remember a decrypted value (and each line of a multi-line one, since output
/// may break it into lines).
pub fn reveal(plaintext: &str) {
    reveal_all([plaintext]);
}

/// [`reveal`] of many values at once (a `no_log` result's strings): the set is
/// locked and ordered once, however many there are.
pub fn reveal_all<'a>(plaintexts: impl IntoIterator<Item = &'a str>) {
    let mut values = revealed();
    let mut known: std::collections::HashSet<String> = values.iter().cloned().collect();
    let mut add = |value: &str| {
        if !value.is_empty() && known.insert(value.to_string()) {
            values.push(value.to_string());
        }
    };
    for plaintext in plaintexts {
        add(plaintext);
        add(plaintext.trim());
        if plaintext.trim().contains('\n') {
            for line in plaintext.lines().map(str::trim) {
                if line.chars().count() >= MIN_LINE {
                    add(line);
                }
            }
        }
    }
    // The longest first, so a secret containing another is masked whole.
    values.sort_by_key(|value| std::cmp::Reverse(value.len()));
    ANY.store(!values.is_empty(), Ordering::Release);
}

/// Whether any value was revealed (when none was, nothing needs masking).
pub fn any() -> bool {
    ANY.load(Ordering::Acquire)
}

/// `text` with every revealed value masked.
pub fn mask(text: &str) -> Cow<'_, str> {
    if !any() {
        return Cow::Borrowed(text);
    }
    let values = revealed();
    let mut out = Cow::Borrowed(text);
    for value in values.iter() {
        if out.contains(value.as_str()) {
            out = Cow::Owned(out.replace(value.as_str(), MASK));
        }
    }
    out
}

/// Whether `text` holds a revealed value.
pub fn holds_secret(text: &str) -> bool {
    any() && revealed().iter().any(|value| text.contains(value.as_str()))
}

/// Mask every string in a JSON value, keys included.
pub fn mask_json(value: &mut serde_json::Value) {
    use serde_json::Value as Json;
    if !any() {
        return;
    }
    match value {
        Json::String(text) => {
            if let Cow::Owned(masked) = mask(text) {
                *text = masked;
            }
        }
        Json::Array(items) => items.iter_mut().for_each(mask_json),
        Json::Object(map) => {
            if map.keys().any(|key| holds_secret(key)) {
                let entries = std::mem::take(map);
                *map = entries
                    .into_iter()
                    .map(|(key, value)| (mask(&key).into_owned(), value))
                    .collect();
            }
            map.values_mut().for_each(mask_json);
        }
        Json::Null | Json::Bool(_) | Json::Number(_) => {}
    }
}

/// A writer for stderr logs that masks what goes through it, one write at a time
/// (the log formatter writes each line whole).
pub struct MaskedWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for MaskedWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match std::str::from_utf8(buf) {
            Ok(text) if any() => self.0.write_all(mask(text).as_bytes())?,
            _ => self.0.write_all(buf)?,
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The set is process-wide: these values are unlike anything other tests print.
    #[test]
    fn revealed_values_are_masked_in_text_and_json() {
        reveal("Zq-revealed-1\nZq-second-line\n");
        assert!(any());
        assert_eq!(mask("a Zq-revealed-1 b"), "a ******** b");
        assert_eq!(mask("x Zq-second-line"), "x ********");
        assert!(holds_secret("..Zq-revealed-1.."));
        assert!(!holds_secret("nothing here"));
        let mut json = serde_json::json!({"Zq-revealed-1": ["Zq-second-line", 1, null]});
        mask_json(&mut json);
        assert_eq!(json, serde_json::json!({"********": ["********", 1, null]}));
        let mut out = Vec::new();
        std::io::Write::write_all(&mut MaskedWriter(&mut out), b"log Zq-revealed-1\n").unwrap();
        assert_eq!(out, b"log ********\n");
    }
}
