//! A known_hosts file's lines as ssh-keygen reads them: which lines name a host
//! (`ssh-keygen -F HOST`: comma-separated patterns with `*`, `?` and `!`, or a hashed
//! `|1|SALT|HASH` name), what `ssh-keygen -R HOST` leaves, hashing a name for
//! `hash_host`, and the key fields ansible-core's module compares.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha1::Sha1;

/// A line of the file with its line ending, numbered from 1 as ssh-keygen counts.
pub struct Line<'a> {
    pub number: usize,
    pub text: &'a str,
}

/// The lines of `content`, each with its line ending (Python's `readlines()`).
pub fn lines(content: &str) -> Vec<Line<'_>> {
    content
        .split_inclusive('\n')
        .enumerate()
        .map(|(at, text)| Line {
            number: at + 1,
            text,
        })
        .collect()
}

/// Whether ssh-keygen counts `line` as naming `host` (blank and comment lines
/// never do).
pub fn names_host(line: &str, host: &str) -> bool {
    let mut fields = line.split_whitespace();
    let Some(mut first) = fields.next() else {
        return false;
    };
    if first.starts_with('#') {
        return false;
    }
    if first.starts_with('@') {
        match fields.next() {
            Some(names) => first = names,
            None => return false,
        }
    }
    if let Some(hashed) = first.strip_prefix("|1|") {
        return hashed_matches(hashed, host);
    }
    match_patterns(first, host)
}

/// Whether a line carries a marker (`@cert-authority`, `@revoked`): ssh-keygen -R
/// keeps those.
pub fn has_marker(line: &str) -> bool {
    line.trim_start().starts_with('@')
}

/// OpenSSH's match_hostname: a comma-separated list of patterns; a negated one that
/// matches rules the host out, else any plain one that matches rules it in.
fn match_patterns(list: &str, host: &str) -> bool {
    let host = host.to_lowercase();
    let mut matched = false;
    for pattern in list.split(',') {
        let (negated, pattern) = match pattern.strip_prefix('!') {
            Some(rest) => (true, rest),
            None => (false, pattern),
        };
        if wildcard(pattern.to_lowercase().as_bytes(), host.as_bytes()) {
            if negated {
                return false;
            }
            matched = true;
        }
    }
    matched
}

/// `*` and `?` as OpenSSH's match_pattern.
fn wildcard(pattern: &[u8], text: &[u8]) -> bool {
    match pattern.split_first() {
        None => text.is_empty(),
        Some((b'*', rest)) => (0..=text.len()).any(|skip| wildcard(rest, &text[skip..])),
        Some((b'?', rest)) => !text.is_empty() && wildcard(rest, &text[1..]),
        Some((c, rest)) => text.first() == Some(c) && wildcard(rest, &text[1..]),
    }
}

/// `SALT|HASH` (base64) against HMAC-SHA1(SALT, host).
fn hashed_matches(hashed: &str, host: &str) -> bool {
    let Some((salt, hash)) = hashed.split_once('|') else {
        return false;
    };
    let (Ok(salt), Ok(hash)) = (STANDARD.decode(salt), STANDARD.decode(hash)) else {
        return false;
    };
    hmac_sha1(&salt, host).is_some_and(|mine| mine == hash)
}

fn hmac_sha1(salt: &[u8], host: &str) -> Option<Vec<u8>> {
    let mut mac = <Hmac<Sha1> as Mac>::new_from_slice(salt).ok()?;
    mac.update(host.as_bytes());
    Some(mac.finalize().into_bytes().to_vec())
}

/// ansible-core's hash_host_key: the key's name field replaced by `|1|SALT|HASH` of
/// `host` with a fresh 20-byte salt, the fields joined by single spaces.
pub fn hash_key(host: &str, key: &str, salt: &[u8; 20]) -> Option<String> {
    let mut parts: Vec<String> = key.split_whitespace().map(str::to_string).collect();
    let at = usize::from(parts.first()?.starts_with('@'));
    let hash = hmac_sha1(salt, host)?;
    *parts.get_mut(at)? = format!("|1|{}|{}", STANDARD.encode(salt), STANDARD.encode(hash));
    Some(parts.join(" "))
}

/// ansible-core's normalize_known_hosts_key: marker, name, type and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fields {
    pub options: Option<String>,
    pub host: String,
    pub kind: String,
    pub key: String,
}

impl Fields {
    pub fn of(line: &str) -> Option<Fields> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let (options, rest) = match words.first()?.starts_with('@') {
            true => (Some(words[0].to_string()), &words[1..]),
            false => (None, &words[..]),
        };
        Some(Fields {
            options,
            host: rest.first()?.to_string(),
            kind: rest.get(1)?.to_string(),
            key: rest.get(2)?.to_string(),
        })
    }
}
