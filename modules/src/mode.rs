//! File modes as users write them: octal strings (`"0644"`, `"644"`, `"0o644"`) and
//! chmod(1)'s symbolic form (`"u=rw,g=r,o="`, `"u+x,go-w"`, `"a=rX"`), and back to the
//! four-digit octal text Ansible reports (`"0644"`).
//!
//! Bare YAML numbers are refused: YAML reads `644` as decimal (0o1204), a well-known
//! Ansible trap; we ask for a quoted string instead of guessing.

use crate::ModuleError;
use serde::Deserialize;

/// The umask a symbolic clause without a "who" (`+x`, `=rw`) respects, as chmod(1)
/// does. The conventional 022, not the process umask: the result of a playbook must
/// not depend on the environment the runner was started from.
pub const SYMBOLIC_UMASK: u32 = 0o022;

/// A mode as written by the user: an octal string (`"0644"`) or symbolic (`u=rw,g=r,o=`).
/// Bare YAML numbers are refused: `644` is decimal to YAML, a well-known Ansible trap.
/// They are refused when the arguments are decoded, so a playbook that writes one
/// fails validation (exit 4) with the place and the advice, before anything runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ModeArg {
    Text(String),
    Number(u64),
}

impl<'de> Deserialize<'de> for ModeArg {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<ModeArg, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = ModeArg;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a quoted octal mode like '0644', or a symbolic one like 'u=rw,g=r,o='")
            }
            fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<ModeArg, E> {
                Ok(ModeArg::Text(text.to_string()))
            }
            fn visit_u64<E: serde::de::Error>(self, number: u64) -> Result<ModeArg, E> {
                Err(E::custom(number_message(number)))
            }
            fn visit_i64<E: serde::de::Error>(self, number: i64) -> Result<ModeArg, E> {
                match u64::try_from(number) {
                    Ok(number) => self.visit_u64(number),
                    Err(_) => Err(E::custom(format!("mode {number} is negative"))),
                }
            }
        }
        deserializer.deserialize_any(Visitor)
    }
}

impl ModeArg {
    /// The mode asked for, given the path's `current` mode (for a path about to be
    /// created: the default mode of what is created) and whether it is a directory
    /// (symbolic `X`).
    pub fn resolve(&self, current: u32, is_dir: bool) -> Result<u32, ModuleError> {
        match self {
            ModeArg::Text(text) => parse(text, current, is_dir),
            // Decoding refuses numbers; a value built in code gets the same advice.
            ModeArg::Number(number) => Err(ModuleError::invalid("mode", number_message(*number))),
        }
    }
}

fn number_message(number: u64) -> String {
    let digits = number.to_string();
    let suggestion = if digits.bytes().all(|digit| digit < b'8') {
        format!("{digits:0>4}")
    } else {
        format!("0{number:03o}")
    };
    format!(
        "mode {number} is a number; YAML reads unquoted numbers as decimal ({number} = 0o{number:o}), \
         so quote it: mode: '{suggestion}'"
    )
}

/// Mode bits as Ansible reports them: `0644`, `0755`, `01777`, `04755`.
pub fn format(mode: u32) -> String {
    format!("0{:03o}", mode & 0o7777)
}

/// Parse an octal or symbolic mode, applied to `current` for the symbolic form.
pub fn parse(text: &str, current: u32, is_dir: bool) -> Result<u32, ModuleError> {
    let text = text.trim();
    let invalid = |why: &str| ModuleError::invalid("mode", format!("invalid mode '{text}': {why}"));
    if let Some(digits) = text.strip_prefix("0o").or_else(|| text.strip_prefix("0O")) {
        return octal(digits).ok_or_else(|| invalid("expected octal digits after 0o"));
    }
    if text.starts_with(|c: char| c.is_ascii_digit()) {
        return octal(text)
            .ok_or_else(|| invalid("expected up to four octal digits (0-7), like 0644"));
    }
    if text.is_empty() {
        return Err(invalid("empty"));
    }
    text.split(',')
        .try_fold(current & 0o7777, |mode, clause| {
            apply_clause(clause, mode, is_dir)
        })
        .map_err(|why| invalid(&why))
}

fn octal(digits: &str) -> Option<u32> {
    let significant = digits.trim_start_matches('0');
    if digits.is_empty()
        || significant.len() > 4
        || !digits.bytes().all(|d| (b'0'..=b'7').contains(&d))
    {
        return None;
    }
    u32::from_str_radix(digits, 8)
        .ok()
        .filter(|mode| *mode <= 0o7777)
}

/// The bits each "who" may touch: its rwx, plus setuid (u), setgid (g), sticky (o).
fn who_mask(who: char) -> u32 {
    match who {
        'u' => 0o4700,
        'g' => 0o2070,
        'o' => 0o1007,
        _ => 0o7777,
    }
}

/// One clause: `[ugoa]*([-+=]([rwxXst]*|[ugo]))+`.
fn apply_clause(clause: &str, mut mode: u32, is_dir: bool) -> Result<u32, String> {
    let who_end = clause
        .find(|c: char| !"ugoa".contains(c))
        .unwrap_or(clause.len());
    let (who, mut rest) = clause.split_at(who_end);
    let use_umask = who.is_empty();
    let affected = if who.is_empty() {
        0o7777
    } else {
        who.chars().map(who_mask).fold(0, |all, mask| all | mask)
    };
    if rest.is_empty() {
        return Err(format!("clause '{clause}' has no operator (+, - or =)"));
    }
    while let Some(operator) = rest.chars().next().filter(|c| "+-=".contains(*c)) {
        let perms_end = rest[1..]
            .find(|c| "+-=".contains(c))
            .map_or(rest.len(), |at| at + 1);
        let perms = &rest[1..perms_end];
        rest = &rest[perms_end..];
        let mut bits = perm_bits(perms, mode, is_dir)
            .ok_or_else(|| format!("bad permissions '{perms}' in '{clause}'"))?;
        bits &= affected;
        if use_umask {
            bits &= !SYMBOLIC_UMASK;
        }
        mode = match operator {
            '+' => mode | bits,
            '-' => mode & !bits,
            _ => (mode & !affected) | bits,
        };
    }
    if rest.is_empty() {
        Ok(mode)
    } else {
        Err(format!("unexpected '{rest}' in '{clause}'"))
    }
}

/// The bits named by a permission list, for every who (masked by the caller); `u`,
/// `g` or `o` alone copy that class's current bits.
fn perm_bits(perms: &str, mode: u32, is_dir: bool) -> Option<u32> {
    let spread = |three: u32| three | three << 3 | three << 6;
    match perms {
        "u" => return Some(spread((mode >> 6) & 0o7)),
        "g" => return Some(spread((mode >> 3) & 0o7)),
        "o" => return Some(spread(mode & 0o7)),
        _ => {}
    }
    perms.chars().try_fold(0, |bits, perm| {
        let more = match perm {
            'r' => 0o444,
            'w' => 0o222,
            'x' => 0o111,
            'X' if is_dir || mode & 0o111 != 0 => 0o111,
            'X' => 0,
            's' => 0o6000,
            't' => 0o1000,
            _ => return None,
        };
        Some(bits | more)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(text: &str, current: u32) -> u32 {
        parse(text, current, false).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    fn dir(text: &str, current: u32) -> u32 {
        parse(text, current, true).unwrap_or_else(|err| panic!("{text}: {err}"))
    }

    #[test]
    fn octal_strings() {
        assert_eq!(file("0644", 0), 0o644);
        assert_eq!(file("644", 0), 0o644);
        assert_eq!(file("0o644", 0), 0o644);
        assert_eq!(file("1777", 0), 0o1777);
        assert_eq!(file("04755", 0), 0o4755);
        assert_eq!(file("0", 0o777), 0);
        for bad in ["0648", "99", "17777", "0o", "0o9", "64a", ""] {
            assert!(parse(bad, 0, false).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn symbolic_assignments() {
        assert_eq!(file("u=rw,g=r,o=", 0o777), 0o640);
        assert_eq!(file("u=rwx,g=rx,o=rx", 0), 0o755);
        assert_eq!(file("a=r", 0o777), 0o444);
        assert_eq!(file("ug=rw", 0o7), 0o667);
    }

    #[test]
    fn symbolic_additions_and_removals() {
        assert_eq!(file("u+x,go-w", 0o666), 0o744);
        assert_eq!(file("u+r-w", 0o200), 0o400);
        assert_eq!(file("a-x", 0o755), 0o644);
        assert_eq!(file("+x", 0o644), 0o755);
        // No "who": the umask (022) protects group and other write bits.
        assert_eq!(file("+w", 0o444), 0o644);
        assert_eq!(file("=rw", 0o777), 0o644);
    }

    #[test]
    fn capital_x_only_for_directories_or_executables() {
        assert_eq!(file("a=rX", 0o600), 0o444);
        assert_eq!(file("a=rX", 0o700), 0o555);
        assert_eq!(dir("a=rX", 0o600), 0o555);
        assert_eq!(dir("u=rwX,go=rX", 0o000), 0o755);
    }

    #[test]
    fn special_bits() {
        assert_eq!(file("u+s", 0o755), 0o4755);
        assert_eq!(file("g+s", 0o755), 0o2755);
        assert_eq!(dir("o+t", 0o777), 0o1777);
        assert_eq!(dir("+t", 0o777), 0o1777);
        assert_eq!(file("o+s,u+t", 0o755), 0o755);
        assert_eq!(file("u-s", 0o4755), 0o755);
        assert_eq!(file("u=rwx", 0o4755), 0o755);
    }

    #[test]
    fn copying_a_class() {
        assert_eq!(file("g=u", 0o640), 0o660);
        assert_eq!(file("o=g", 0o750), 0o755);
    }

    #[test]
    fn bad_symbolic_modes() {
        for bad in ["u", "u=rwq", "x=r", "u=rw,", "u+rwu", "u=r g=r"] {
            assert!(parse(bad, 0, false).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn yaml_numbers_are_refused_with_advice() {
        let error = ModeArg::Number(644)
            .resolve(0, false)
            .err()
            .map(|err| err.to_string());
        assert_eq!(
            error.as_deref(),
            Some(
                "mode 644 is a number; YAML reads unquoted numbers as decimal (644 = 0o1204), \
                 so quote it: mode: '0644'"
            )
        );
        let decimal = ModeArg::Number(493)
            .resolve(0, false)
            .err()
            .map(|err| err.to_string());
        assert!(decimal.is_some_and(|message| message.ends_with("mode: '0755'")));
        assert_eq!(
            ModeArg::Text("0600".into()).resolve(0o644, false).ok(),
            Some(0o600)
        );
    }

    #[test]
    fn decoding_refuses_numbers_and_keeps_strings() {
        let number = serde_json::from_value::<ModeArg>(serde_json::json!(755));
        let message = number.err().map(|err| err.to_string()).unwrap_or_default();
        assert!(message.starts_with("mode 755 is a number"), "{message}");
        let text = serde_json::from_value::<ModeArg>(serde_json::json!("0755"));
        assert_eq!(text.ok(), Some(ModeArg::Text("0755".into())));
        assert!(serde_json::from_value::<ModeArg>(serde_json::json!(["0755"])).is_err());
    }

    #[test]
    fn formats_like_ansible() {
        assert_eq!(format(0o644), "0644");
        assert_eq!(format(0o7), "0007");
        assert_eq!(format(0o1777), "01777");
        assert_eq!(format(0o100644), "0644");
    }
}
