//! Unit and drop-in names as systemctl would take them: a name without a unit type
//! suffix is a service (`sshd` is `sshd.service`), as `systemctl` itself assumes.

use crate::ModuleError;

/// The unit types systemd knows, as name suffixes.
const UNIT_SUFFIXES: &[&str] = &[
    ".service",
    ".socket",
    ".device",
    ".mount",
    ".automount",
    ".swap",
    ".target",
    ".path",
    ".timer",
    ".slice",
    ".scope",
];

/// The full unit name: `.service` appended when the name has no unit type suffix.
pub fn unit_name(name: &str) -> Result<String, ModuleError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ModuleError::invalid("name", "the unit name is empty"));
    }
    if name.contains('/') || name.chars().any(char::is_whitespace) || name.starts_with('.') {
        return Err(ModuleError::invalid(
            "name",
            format!("'{name}' is not a unit name (no '/', spaces or leading '.')"),
        ));
    }
    if UNIT_SUFFIXES.iter().any(|suffix| name.ends_with(suffix)) {
        Ok(name.to_string())
    } else {
        Ok(format!("{name}.service"))
    }
}

/// A drop-in file name: a plain file name ending in `.conf` (systemd ignores others).
pub fn dropin_name(name: &str) -> Result<String, ModuleError> {
    let name = name.trim();
    let plain = !name.is_empty() && !name.contains('/') && !name.starts_with('.');
    if !plain || !name.ends_with(".conf") || name == ".conf" {
        return Err(ModuleError::invalid(
            "dropin",
            format!(
                "'{name}' is not a drop-in name: give a file name ending in .conf (override.conf)"
            ),
        ));
    }
    Ok(name.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn services_are_implied() {
        assert_eq!(unit_name("sshd").ok().as_deref(), Some("sshd.service"));
        assert_eq!(unit_name("a.b").ok().as_deref(), Some("a.b.service"));
        assert_eq!(
            unit_name("systemd-nspawn@box").ok().as_deref(),
            Some("systemd-nspawn@box.service")
        );
        assert_eq!(
            unit_name("machines.target").ok().as_deref(),
            Some("machines.target")
        );
        assert_eq!(unit_name("tmp.mount").ok().as_deref(), Some("tmp.mount"));
    }

    #[test]
    fn paths_and_blanks_are_not_names() {
        assert!(unit_name("").is_err());
        assert!(unit_name("../x").is_err());
        assert!(unit_name("a b").is_err());
    }

    #[test]
    fn dropins_end_in_conf() {
        assert_eq!(
            dropin_name("override.conf").ok().as_deref(),
            Some("override.conf")
        );
        assert!(dropin_name("override").is_err());
        assert!(dropin_name("../x.conf").is_err());
        assert!(dropin_name(".conf").is_err());
    }
}
