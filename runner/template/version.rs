//! Version comparison for the `version` test: Python's LooseVersion (Ansible's
//! default), StrictVersion (`strict=true` or `version_type='strict'`) and semver.

use std::cmp::Ordering;

use minijinja::Error;

use super::filters::invalid;

/// One component of a loose version: a number or a run of other text.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Num(u128),
    Text(String),
}

/// LooseVersion's parse: numbers, lowercase words, and whatever lies between them,
/// with the dots dropped.
fn loose_parts(version: &str) -> Vec<Part> {
    let mut parts = Vec::new();
    let mut other = String::new();
    let mut chars = version.chars().peekable();
    let flush = |other: &mut String, parts: &mut Vec<Part>| {
        if !other.is_empty() {
            parts.push(Part::Text(std::mem::take(other)));
        }
    };
    while let Some(&c) = chars.peek() {
        if c.is_ascii_digit() {
            flush(&mut other, &mut parts);
            let mut digits = String::new();
            while let Some(&d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(d);
                chars.next();
            }
            parts.push(digits.parse().map_or(Part::Text(digits), Part::Num));
        } else if c.is_ascii_lowercase() {
            flush(&mut other, &mut parts);
            let mut word = String::new();
            while let Some(&l) = chars.peek().filter(|l| l.is_ascii_lowercase()) {
                word.push(l);
                chars.next();
            }
            parts.push(Part::Text(word));
        } else if c == '.' {
            flush(&mut other, &mut parts);
            chars.next();
        } else {
            other.push(c);
            chars.next();
        }
    }
    flush(&mut other, &mut parts);
    parts
}

/// Python's list ordering over loose parts; a number against text cannot be ordered.
fn loose_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    let (pa, pb) = (loose_parts(a), loose_parts(b));
    for (x, y) in pa.iter().zip(&pb) {
        match (x, y) {
            (Part::Num(x), Part::Num(y)) if x != y => return Ok(x.cmp(y)),
            (Part::Text(x), Part::Text(y)) if x != y => return Ok(x.cmp(y)),
            (Part::Num(_), Part::Text(_)) | (Part::Text(_), Part::Num(_)) => {
                return Err(invalid(format!(
                    "version: cannot compare '{a}' with '{b}': a number meets text"
                )))
            }
            _ => {}
        }
    }
    Ok(pa.len().cmp(&pb.len()))
}

/// major, minor, patch, and the pre-release tag (`a1`, `b2`) if any.
type StrictKey = (u64, u64, u64, Option<(char, u64)>);

/// StrictVersion: `N.N[.N][(a|b)N]`; a pre-release sorts before the release.
fn strict_key(version: &str) -> Result<StrictKey, Error> {
    let bad = || invalid(format!("version: invalid version number '{version}'"));
    let (numbers, pre) = match version.find(['a', 'b']) {
        Some(at) => {
            let tag = version[at..].chars().next().ok_or_else(bad)?;
            let n = version[at + 1..].parse().map_err(|_| bad())?;
            (&version[..at], Some((tag, n)))
        }
        None => (version, None),
    };
    let fields: Vec<u64> = numbers
        .split('.')
        .map(|f| {
            if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) {
                Err(bad())
            } else {
                f.parse().map_err(|_| bad())
            }
        })
        .collect::<Result<_, _>>()?;
    match fields.as_slice() {
        [major, minor] => Ok((*major, *minor, 0, pre)),
        [major, minor, patch] => Ok((*major, *minor, *patch, pre)),
        _ => Err(bad()),
    }
}

fn strict_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    let (ka, kb) = (strict_key(a)?, strict_key(b)?);
    let core = (ka.0, ka.1, ka.2).cmp(&(kb.0, kb.1, kb.2));
    Ok(core.then(match (ka.3, kb.3) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(x), Some(y)) => x.cmp(&y),
    }))
}

/// Semantic versioning 2.0 precedence (build metadata ignored).
fn semver_cmp(a: &str, b: &str) -> Result<Ordering, Error> {
    fn parse(v: &str) -> Result<(Vec<u64>, Vec<String>), Error> {
        let bad = || invalid(format!("version: invalid semantic version '{v}'"));
        let v = v.split_once('+').map_or(v, |(core, _)| core);
        let (core, pre) = v.split_once('-').map_or((v, ""), |(c, p)| (c, p));
        let nums: Vec<u64> = core
            .split('.')
            .map(|n| n.parse().map_err(|_| bad()))
            .collect::<Result<_, _>>()?;
        if nums.len() != 3 {
            return Err(bad());
        }
        let pre = if pre.is_empty() {
            Vec::new()
        } else {
            pre.split('.').map(str::to_string).collect()
        };
        Ok((nums, pre))
    }
    let (ca, pa) = parse(a)?;
    let (cb, pb) = parse(b)?;
    let core = ca.cmp(&cb);
    if core != Ordering::Equal {
        return Ok(core);
    }
    Ok(match (pa.is_empty(), pb.is_empty()) {
        (true, true) => Ordering::Equal,
        (true, false) => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            for (x, y) in pa.iter().zip(&pb) {
                let ord = match (x.parse::<u64>(), y.parse::<u64>()) {
                    (Ok(x), Ok(y)) => x.cmp(&y),
                    (Ok(_), Err(_)) => Ordering::Less,
                    (Err(_), Ok(_)) => Ordering::Greater,
                    (Err(_), Err(_)) => x.cmp(y),
                };
                if ord != Ordering::Equal {
                    return Ok(ord);
                }
            }
            pa.len().cmp(&pb.len())
        }
    })
}

/// Ansible's `version` test: compare `value` with `other` under `operator`.
pub(crate) fn compare(
    value: &str,
    other: &str,
    operator: &str,
    version_type: &str,
) -> Result<bool, Error> {
    if value.is_empty() {
        return Err(invalid("version: input version value cannot be empty"));
    }
    if other.is_empty() {
        return Err(invalid(
            "version: version parameter to compare against cannot be empty",
        ));
    }
    let ordering = match version_type {
        "loose" => loose_cmp(value, other),
        "strict" => strict_cmp(value, other),
        "semver" | "semantic" => semver_cmp(value, other),
        other => Err(invalid(format!(
            "version: version_type must be loose, strict or semver, not '{other}'"
        ))),
    };
    let equal_only = matches!(operator, "==" | "=" | "eq" | "!=" | "<>" | "ne");
    let ordering = match ordering {
        // Python compares a number and text for equality without complaint.
        Err(_) if equal_only && version_type == "loose" => {
            let equal = loose_parts(value) == loose_parts(other);
            return Ok(equal == matches!(operator, "==" | "=" | "eq"));
        }
        result => result?,
    };
    Ok(match operator {
        "==" | "=" | "eq" => ordering == Ordering::Equal,
        "!=" | "<>" | "ne" => ordering != Ordering::Equal,
        "<" | "lt" => ordering == Ordering::Less,
        "<=" | "le" => ordering != Ordering::Greater,
        ">" | "gt" => ordering == Ordering::Greater,
        ">=" | "ge" => ordering != Ordering::Less,
        other => {
            return Err(invalid(format!(
                "version: invalid operator '{other}' (use ==, !=, <, <=, >, >=, eq, ne, lt, le, gt, ge)"
            )))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::compare;

    #[test]
    fn loose_versions() {
        assert!(compare("1.2.10", "1.2.9", ">", "loose").unwrap());
        assert!(compare("1.2.10", "1.2.9", "gt", "loose").unwrap());
        assert!(compare("2.0", "2.0.0", "<", "loose").unwrap());
        assert!(compare("1.0", "1.0", "eq", "loose").unwrap());
        assert!(compare("5.10.1-arch1-1", "5.9", "ge", "loose").unwrap());
        assert!(compare("1.0a", "1.0b", "lt", "loose").unwrap());
        assert!(!compare("1.0", "1.a", "==", "loose").unwrap());
        assert!(compare("1.0", "1.a", "<", "loose").is_err());
    }

    #[test]
    fn strict_and_semver() {
        assert!(compare("1.0a1", "1.0", "lt", "strict").unwrap());
        assert!(compare("1.2", "1.2.0", "eq", "strict").unwrap());
        assert!(compare("1.2-x", "1.2", "eq", "strict").is_err());
        assert!(compare("1.0.0-alpha", "1.0.0", "lt", "semver").unwrap());
        assert!(compare("1.0.0-alpha.1", "1.0.0-alpha.beta", "lt", "semver").unwrap());
    }
}
