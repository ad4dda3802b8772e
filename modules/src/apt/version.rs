//! Debian version strings compared as dpkg compares them (deb-version(5): epoch,
//! upstream version, revision; `~` before anything, even the end), and package specs
//! as Ansible's apt splits them (`name`, `name=1.2*`, `name>=1.2`).

use std::cmp::Ordering;

/// How a spec constrains the version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Wanted {
    Any,
    /// `name=GLOB`: a version matching the glob (fnmatch).
    Matching(String),
    /// `name>=VERSION`.
    AtLeast(String),
}

/// `name=1.2*` → (`name`, Matching("1.2*")), as Ansible's `package_split`: the first
/// `=` or `>=` splits; anything after it is the version.
pub fn split(spec: &str) -> (String, Wanted) {
    if let Some(at) = spec.find('=') {
        let (name, wanted) = match spec[..at].strip_suffix('>') {
            Some(name) => (name, Wanted::AtLeast(spec[at + 1..].to_string())),
            None => (&spec[..at], Wanted::Matching(spec[at + 1..].to_string())),
        };
        return (name.to_string(), wanted);
    }
    (spec.to_string(), Wanted::Any)
}

impl Wanted {
    /// Whether `version` satisfies the spec.
    pub fn accepts(&self, version: &str) -> bool {
        match self {
            Wanted::Any => true,
            Wanted::Matching(glob) => crate::find::fnmatch(glob.as_bytes(), version.as_bytes()),
            Wanted::AtLeast(least) => compare(version, least) != Ordering::Less,
        }
    }
}

/// dpkg's order of two versions.
pub fn compare(a: &str, b: &str) -> Ordering {
    let (a_epoch, a_rest) = epoch(a);
    let (b_epoch, b_rest) = epoch(b);
    a_epoch.cmp(&b_epoch).then_with(|| {
        let (a_upstream, a_revision) = revision(a_rest);
        let (b_upstream, b_revision) = revision(b_rest);
        part(a_upstream, b_upstream).then_with(|| part(a_revision, b_revision))
    })
}

fn epoch(version: &str) -> (u64, &str) {
    match version.split_once(':') {
        Some((epoch, rest)) if epoch.bytes().all(|b| b.is_ascii_digit()) => {
            (epoch.parse().unwrap_or(0), rest)
        }
        _ => (0, version),
    }
}

fn revision(version: &str) -> (&str, &str) {
    match version.rsplit_once('-') {
        Some((upstream, revision)) => (upstream, revision),
        None => (version, ""),
    }
}

/// dpkg's `order`: `~` sorts before everything, the end next, then letters, then the
/// rest of ASCII.
fn weight(byte: Option<u8>) -> i32 {
    match byte {
        Some(b'~') => -1,
        None => 0,
        Some(b) if b.is_ascii_digit() => 0,
        Some(b) if b.is_ascii_alphabetic() => i32::from(b),
        Some(b) => i32::from(b) + 256,
    }
}

/// dpkg's `verrevcmp`: alternating non-digit and digit runs.
fn part(a: &str, b: &str) -> Ordering {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    let (mut i, mut j) = (0, 0);
    while i < a.len() || j < b.len() {
        while (i < a.len() && !a[i].is_ascii_digit()) || (j < b.len() && !b[j].is_ascii_digit()) {
            let wa = weight(a.get(i).copied().filter(|c| !c.is_ascii_digit()));
            let wb = weight(b.get(j).copied().filter(|c| !c.is_ascii_digit()));
            if wa != wb {
                return wa.cmp(&wb);
            }
            i += 1;
            j += 1;
        }
        while i < a.len() && a[i] == b'0' {
            i += 1;
        }
        while j < b.len() && b[j] == b'0' {
            j += 1;
        }
        let mut first_diff = Ordering::Equal;
        while i < a.len() && a[i].is_ascii_digit() && j < b.len() && b[j].is_ascii_digit() {
            if first_diff == Ordering::Equal {
                first_diff = a[i].cmp(&b[j]);
            }
            i += 1;
            j += 1;
        }
        if i < a.len() && a[i].is_ascii_digit() {
            return Ordering::Greater;
        }
        if j < b.len() && b[j].is_ascii_digit() {
            return Ordering::Less;
        }
        if first_diff != Ordering::Equal {
            return first_diff;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_order_as_dpkg_orders_them() {
        for (a, b, order) in [
            ("1.0", "1.0", Ordering::Equal),
            ("1.0", "1.1", Ordering::Less),
            ("1.10", "1.9", Ordering::Greater),
            ("1.0~rc1", "1.0", Ordering::Less),
            ("1:0.1", "2.0", Ordering::Greater),
            ("2.36-9", "2.36-10", Ordering::Less),
            ("1.0a", "1.0", Ordering::Greater),
            ("1.0+b1", "1.0", Ordering::Greater),
            ("1.0-1", "1.0", Ordering::Greater),
            ("001", "1", Ordering::Equal),
        ] {
            assert_eq!(compare(a, b), order, "{a} vs {b}");
        }
    }

    #[test]
    fn specs_split_as_ansible_splits_them() {
        assert_eq!(split("nginx"), ("nginx".into(), Wanted::Any));
        assert_eq!(
            split("nginx=1.2*"),
            ("nginx".into(), Wanted::Matching("1.2*".into()))
        );
        assert_eq!(
            split("nginx>=1.2"),
            ("nginx".into(), Wanted::AtLeast("1.2".into()))
        );
        assert!(Wanted::Matching("1.2*".into()).accepts("1.2.3-1"));
        assert!(!Wanted::AtLeast("1.2".into()).accepts("1.1"));
    }
}
