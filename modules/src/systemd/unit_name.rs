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

/// The longest unit name systemd accepts (UNIT_NAME_MAX).
const UNIT_NAME_MAX: usize = 255;

/// The full unit name: `.service` appended when the name has no unit type suffix.
/// The name must follow systemd's grammar (systemd.unit(5)): ASCII letters, digits and
/// `:-_.\`, one `@` between a non-empty prefix and the (possibly empty) instance, a
/// known type suffix, at most 255 characters. A leading `-` is refused but for the root
/// units (`-.mount`, `-.slice`), so no name can ever read as a tool's option.
pub fn unit_name(name: &str) -> Result<String, ModuleError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(ModuleError::invalid("name", "the unit name is empty"));
    }
    let full = if UNIT_SUFFIXES.iter().any(|suffix| name.ends_with(suffix)) {
        name.to_string()
    } else {
        format!("{name}.service")
    };
    match grammar_error(&full) {
        None => Ok(full),
        Some(why) => Err(ModuleError::invalid(
            "name",
            format!("'{name}' is not a systemd unit name: {why}"),
        )),
    }
}

/// What breaks systemd's unit name grammar in `full` (a name with its type suffix).
fn grammar_error(full: &str) -> Option<&'static str> {
    if full.len() > UNIT_NAME_MAX {
        return Some("longer than 255 characters");
    }
    let valid = |c: char| c.is_ascii_alphanumeric() || ":-_.\\@".contains(c);
    if !full.chars().all(valid) {
        return Some("only ASCII letters, digits and :-_.\\@ are allowed");
    }
    let stem = full.rsplit_once('.').map_or(full, |(stem, _)| stem);
    let prefix = stem.split_once('@').map_or(stem, |(prefix, _)| prefix);
    if prefix.is_empty() {
        return Some("the name before the type (and '@') is empty");
    }
    if full.starts_with('-') && prefix != "-" {
        return Some("it starts with '-'");
    }
    if full.starts_with('.') {
        return Some("it starts with '.'");
    }
    None
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
    fn systemds_unit_name_grammar_holds() {
        for good in [
            "-.mount",
            "-.slice",
            "getty@tty1.service",
            "getty@.service",
            "dev-disk-by\\x2duuid-x.device",
            "a:b_c.timer",
        ] {
            assert!(unit_name(good).is_ok(), "{good}");
        }
        for bad in [
            "--root=/",
            "-x",
            "--force.service",
            "@x.service",
            ".service",
            "a=b",
            "a/b.service",
            "ü.service",
            &"a".repeat(250),
        ] {
            assert!(unit_name(bad).is_err(), "{bad}");
        }
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
