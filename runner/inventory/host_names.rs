//! A host entry of an inventory file as ansible-core reads it: an optional `:PORT`
//! (`db:2222`, `[::1]:2222`; parsing/utils/addresses.py `parse_address`) and ranges
//! that stand for many hosts (`web[01:20].example`, `db-[a:f]`, steps `[1:9:2]`,
//! several ranges in one name; plugins/inventory/__init__.py `expand_hostname_range`).

use regex::Regex;
use std::sync::OnceLock;

/// The names `pattern` stands for and the port given with it.
pub fn expand(pattern: &str) -> Result<(Vec<String>, Option<u16>), String> {
    let (name, port) = split_port(pattern).unwrap_or((pattern.to_string(), None));
    let names = if name.contains('[') {
        expand_ranges(&name)?
    } else {
        vec![name]
    };
    Ok((names, port))
}

/// `HOST:PORT` or `[HOST]:PORT` split, when HOST is a valid address or name (with
/// ranges); `None` when the text is not one (it is then taken whole as a name).
pub fn split_port(address: &str) -> Option<(String, Option<u16>)> {
    static BRACKETED: OnceLock<Regex> = OnceLock::new();
    static HOST_PORT: OnceLock<Regex> = OnceLock::new();
    let bracketed = BRACKETED.get_or_init(|| {
        Regex::new(r"^\[(.+)\]:([0-9]+)$").unwrap_or_else(|_| unreachable!("a fixed pattern"))
    });
    let host_port = HOST_PORT.get_or_init(|| {
        Regex::new(r"^((?:[^:\[\]]|\[[^\]]*\])*):([0-9]+)$")
            .unwrap_or_else(|_| unreachable!("a fixed pattern"))
    });
    let mut host = address.to_string();
    let mut port = None;
    for pattern in [bracketed, host_port] {
        if let Some(found) = pattern.captures(&host) {
            port = Some(found[2].parse::<u16>().ok()?);
            host = found[1].to_string();
        }
    }
    (is_hostname(&host) || is_ipv6(&host)).then_some((host, port))
}

/// The ranges Ansible's address grammar allows inside a name.
fn without_ranges(text: &str, replacement: &str) -> String {
    static RANGE: OnceLock<Regex> = OnceLock::new();
    RANGE
        .get_or_init(|| {
            Regex::new(r"(?i)\[(?:[a-z]:[a-z]|[0-9a-f]+:[0-9a-f]+)(?::[0-9]+)?\]")
                .unwrap_or_else(|_| unreachable!("a fixed pattern"))
        })
        .replace_all(text, replacement)
        .into_owned()
}

/// Labels of word characters and `-`, separated by dots, none ending in `_` or `-`
/// (an IPv4 address is one too).
fn is_hostname(text: &str) -> bool {
    let plain = without_ranges(text, "a");
    !plain.is_empty()
        && plain.split('.').all(|label| {
            let mut chars = label.chars();
            chars
                .next()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
                && label
                    .chars()
                    .all(|c| c.is_alphanumeric() || c == '_' || c == '-')
                && !label.ends_with(['_', '-'])
        })
}

fn is_ipv6(text: &str) -> bool {
    let plain = without_ranges(text, "0");
    let colons = plain.matches(':').count();
    (2..=7).contains(&colons)
        && (colons == 7 || plain.contains("::"))
        && plain.matches("::").count() <= 1
        && plain
            .chars()
            .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.')
}

/// `head[BEGIN:END(:STEP)]tail`, each range expanded in turn.
fn expand_ranges(line: &str) -> Result<Vec<String>, String> {
    let Some(open) = line.find('[') else {
        return Ok(vec![line.to_string()]);
    };
    let Some(close) = line.find(']') else {
        return Err(format!("host range in '{line}' has no closing ']'"));
    };
    if close < open {
        return Err(format!("host range in '{line}' closes before it opens"));
    }
    let (head, range, tail) = (&line[..open], &line[open + 1..close], &line[close + 1..]);
    let bounds: Vec<&str> = range.split(':').collect();
    if bounds.len() != 2 && bounds.len() != 3 {
        return Err("host range must be begin:end or begin:end:step".into());
    }
    let begin = if bounds[0].is_empty() { "0" } else { bounds[0] };
    let end = bounds[1];
    if end.is_empty() {
        return Err("host range must specify end value".into());
    }
    let step: usize = match bounds.get(2) {
        None => 1,
        Some(step) => step
            .parse()
            .ok()
            .filter(|s| *s > 0)
            .ok_or_else(|| format!("host range step '{step}' is not a positive number"))?,
    };
    let width = match begin.len() > 1 && begin.starts_with('0') {
        true if begin.len() != end.len() => {
            return Err("host range must specify equal-length begin and end formats".into())
        }
        true => begin.len(),
        false => 0,
    };
    const LETTERS: &str = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ";
    let parts: Vec<String> = match (LETTERS.find(begin), LETTERS.find(end)) {
        (Some(b), Some(e)) if begin.len() == 1 && end.len() == 1 => {
            if b > e {
                return Err("host range must have begin <= end".into());
            }
            LETTERS[b..=e]
                .chars()
                .step_by(step)
                .map(String::from)
                .collect()
        }
        _ => {
            let number = |text: &str| {
                text.parse::<u64>()
                    .map_err(|_| format!("host range bound '{text}' is not a number or a letter"))
            };
            (number(begin)?..=number(end)?)
                .step_by(step)
                .map(|n| format!("{n:0width$}"))
                .collect()
        }
    };
    let mut names = Vec::new();
    for part in parts {
        names.extend(expand_ranges(&format!("{head}{part}{tail}"))?);
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(pattern: &str) -> Vec<String> {
        expand(pattern).unwrap().0
    }

    #[test]
    fn ranges_expand_as_ansible_does() {
        assert_eq!(names("web[01:03].x"), ["web01.x", "web02.x", "web03.x"]);
        assert_eq!(names("db-[a:c]"), ["db-a", "db-b", "db-c"]);
        assert_eq!(names("n[1:9:4]"), ["n1", "n5", "n9"]);
        assert_eq!(names("h[1:2]-[a:b]"), ["h1-a", "h1-b", "h2-a", "h2-b"]);
        assert_eq!(names("h[:1]"), ["h0", "h1"]);
        assert!(expand("h[01:100]").is_err());
        assert!(expand("h[1:]").is_err());
    }

    #[test]
    fn ports_are_split_off_valid_addresses() {
        assert_eq!(
            expand("db:2222").unwrap(),
            (vec!["db".to_string()], Some(2222))
        );
        assert_eq!(
            expand("[::1]:22").unwrap(),
            (vec!["::1".to_string()], Some(22))
        );
        assert_eq!(
            expand("web[1:2]:22").unwrap(),
            (vec!["web1".to_string(), "web2".to_string()], Some(22))
        );
        assert_eq!(expand("a:b").unwrap(), (vec!["a:b".to_string()], None));
        assert_eq!(expand("10.0.0.1").unwrap().1, None);
    }
}
