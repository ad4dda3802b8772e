//! Which number useradd and groupadd give a new account, so check mode can predict
//! it: the ranges of login.defs (UID_MIN…UID_MAX, SYS_UID_MIN…SYS_UID_MAX and the GID
//! ones, with the shadow tools' defaults), then shadow's rule — a regular account gets
//! one more than the highest number in use in its range (the lowest free one when
//! that is past the end), a system account the highest free number of its range.

/// Users or groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdKind {
    User,
    Group,
}

/// The numbers a new account may get.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub min: u32,
    pub max: u32,
    pub system: bool,
}

impl IdRange {
    /// The range login.defs sets (through `def`), `min`/`max` given as `-K` overrides.
    pub fn from_defs<'a>(
        kind: IdKind,
        system: bool,
        def: impl Fn(&str) -> Option<&'a str>,
        min: Option<u32>,
        max: Option<u32>,
    ) -> IdRange {
        let prefix = match kind {
            IdKind::User => "UID",
            IdKind::Group => "GID",
        };
        let number = |key: String, default: u32| {
            def(&key)
                .and_then(|value| value.parse().ok())
                .unwrap_or(default)
        };
        let regular_min = number(format!("{prefix}_MIN"), 1000);
        if system {
            IdRange {
                min: min.unwrap_or_else(|| number(format!("SYS_{prefix}_MIN"), 101)),
                max: max.unwrap_or_else(|| {
                    number(format!("SYS_{prefix}_MAX"), regular_min.saturating_sub(1))
                }),
                system,
            }
        } else {
            IdRange {
                min: min.unwrap_or(regular_min),
                max: max.unwrap_or_else(|| number(format!("{prefix}_MAX"), 60000)),
                system,
            }
        }
    }
}

/// The number the tools pick among `used` ones (`preferred` first when it is free:
/// useradd gives a user's own group the user's number).
pub fn pick(used: &[u32], range: &IdRange, preferred: Option<u32>) -> u32 {
    let free = |id: &u32| !used.contains(id);
    if let Some(id) = preferred.filter(free) {
        return id;
    }
    let mut candidates = range.min..=range.max;
    if range.system {
        return candidates.rev().find(free).unwrap_or(range.max);
    }
    let highest = used
        .iter()
        .copied()
        .filter(|id| (range.min..=range.max).contains(id))
        .max();
    match highest {
        Some(id) if id < range.max => id + 1,
        Some(_) => candidates.find(free).unwrap_or(range.max),
        None => range.min,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const REGULAR: IdRange = IdRange {
        min: 1000,
        max: 1005,
        system: false,
    };
    const SYSTEM: IdRange = IdRange {
        min: 101,
        max: 999,
        system: true,
    };

    #[test]
    fn regular_ids_follow_the_highest() {
        assert_eq!(pick(&[0, 65534], &REGULAR, None), 1000);
        assert_eq!(pick(&[0, 1000, 1003], &REGULAR, None), 1004);
        assert_eq!(pick(&[1001, 1005], &REGULAR, None), 1000);
        assert_eq!(pick(&[1000], &REGULAR, Some(1003)), 1003);
        assert_eq!(pick(&[1003], &REGULAR, Some(1003)), 1004);
    }

    #[test]
    fn system_ids_come_from_the_top() {
        assert_eq!(pick(&[0], &SYSTEM, None), 999);
        assert_eq!(pick(&[999, 998], &SYSTEM, None), 997);
    }

    #[test]
    fn login_defs_set_the_ranges() {
        let defs = |key: &str| match key {
            "UID_MIN" => Some("2000"),
            "SYS_UID_MAX" => Some("500"),
            _ => None,
        };
        let regular = IdRange::from_defs(IdKind::User, false, defs, None, None);
        assert_eq!((regular.min, regular.max), (2000, 60000));
        let system = IdRange::from_defs(IdKind::User, true, defs, None, None);
        assert_eq!((system.min, system.max), (101, 500));
        let gids = IdRange::from_defs(IdKind::Group, true, defs, None, Some(300));
        assert_eq!((gids.min, gids.max), (101, 300));
    }
}
