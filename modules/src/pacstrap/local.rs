//! The packages a root has: the entries of its local database
//! (var/lib/pacman/local/NAME-VERSION-RELEASE/), read through the Host so a root that
//! check mode "bootstrapped" a moment ago counts.

use crate::{Host, ModuleError};
use std::collections::BTreeSet;
use std::path::Path;

/// The names of the packages in the local database at `local` (in-root path); empty
/// when there is none.
pub fn installed(host: &Host, local: &Path) -> Result<BTreeSet<String>, ModuleError> {
    let Some(entries) = host.read_dir(local)? else {
        return Ok(BTreeSet::new());
    };
    Ok(entries
        .iter()
        .filter_map(|entry| package_name(&entry.to_string_lossy()).map(str::to_string))
        .collect())
}

/// `NAME` of an entry `NAME-PKGVER-PKGREL` (names may hold dashes, versions may not);
/// `None` for anything else (`ALPM_DB_VERSION`).
pub fn package_name(entry: &str) -> Option<&str> {
    let mut parts = entry.rsplitn(3, '-');
    let (_release, _version, name) = (parts.next()?, parts.next()?, parts.next()?);
    (!name.is_empty()).then_some(name)
}
