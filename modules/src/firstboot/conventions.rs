//! Where the root's own distribution reads its first-boot settings, decided by the
//! root's os-release (read through the Host), never by the controller: Debian's
//! patched systemd-firstboot writes the locale to /etc/default/locale even into an
//! Arch root, where nothing reads it. So the locale and the keymap are written
//! through the Host to the files the root's distribution reads.

use crate::{Host, ModuleError};
use std::path::Path;

/// systemd's own place for the locale, read by Arch and every distribution that does
/// not patch it.
pub const LOCALE_CONF: &str = "/etc/locale.conf";
/// Debian's (and its derivatives') place for the locale.
pub const DEFAULT_LOCALE: &str = "/etc/default/locale";
/// The console keymap, the same everywhere systemd-vconsole-setup runs.
pub const VCONSOLE_CONF: &str = "/etc/vconsole.conf";

/// The files a root's distribution reads its settings from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conventions {
    pub locale_file: &'static str,
    pub keymap_file: &'static str,
}

impl Conventions {
    /// From the root's /etc/os-release (or /usr/lib/os-release); a root without one
    /// (not bootstrapped yet) gets systemd's own places.
    pub fn of(host: &Host) -> Result<Conventions, ModuleError> {
        let mut release = None;
        for path in ["/etc/os-release", "/usr/lib/os-release"] {
            if let Some(bytes) = host.read_file(Path::new(path))? {
                release = Some(String::from_utf8_lossy(&bytes).into_owned());
                break;
            }
        }
        let conventions = Conventions::from_os_release(release.as_deref().unwrap_or_default());
        tracing::debug!(
            locale_file = conventions.locale_file,
            "the root's os-release decides where the locale goes"
        );
        Ok(conventions)
    }

    pub fn from_os_release(content: &str) -> Conventions {
        let family = ["ID", "ID_LIKE"]
            .iter()
            .filter_map(|key| super::current::assignment(content, key))
            .flat_map(|value| {
                value
                    .split_whitespace()
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect::<Vec<_>>();
        let debian_like = family.iter().any(|id| id == "debian");
        Conventions {
            locale_file: if debian_like {
                DEFAULT_LOCALE
            } else {
                LOCALE_CONF
            },
            keymap_file: VCONSOLE_CONF,
        }
    }
}
