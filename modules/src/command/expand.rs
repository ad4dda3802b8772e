//! What ansible-core's command module does to each argument before it runs the
//! program (`expand_argument_vars`, on by default): Python's `os.path.expandvars` —
//! `$NAME` and `${NAME}` from the environment the program gets, unknown names left as
//! written — then `os.path.expanduser` — a leading `~` as `$HOME`, or the home of the
//! running user (root) in the target's /etc/passwd, `~NAME` as NAME's home there.

use crate::{Host, ModuleError};
use std::path::Path;

/// `argument` as the command module hands it to the program.
pub fn argument(
    host: &Host,
    env: &[(String, String)],
    argument: &str,
) -> Result<String, ModuleError> {
    let vars = expand_vars(argument, env);
    expand_user(host, env, &vars)
}

fn lookup<'a>(env: &'a [(String, String)], name: &str) -> Option<&'a str> {
    env.iter()
        .rev()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn expand_vars(text: &str, env: &[(String, String)]) -> String {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        let (name, consumed) = match after.strip_prefix('{') {
            Some(braced) => match braced.find('}') {
                Some(end) if end > 0 && braced[..end].chars().all(word) => {
                    (&braced[..end], end + 2)
                }
                _ => ("", 0),
            },
            None => {
                let end = after.find(|c: char| !word(c)).unwrap_or(after.len());
                (&after[..end], end)
            }
        };
        match (name.is_empty(), lookup(env, name)) {
            (false, Some(value)) => {
                out.push_str(value);
                rest = &after[consumed..];
            }
            _ => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

fn expand_user(host: &Host, env: &[(String, String)], text: &str) -> Result<String, ModuleError> {
    let Some(after) = text.strip_prefix('~') else {
        return Ok(text.to_string());
    };
    let (user, tail) = match after.find('/') {
        Some(slash) => (&after[..slash], &after[slash..]),
        None => (after, ""),
    };
    let home = if user.is_empty() {
        match lookup(env, "HOME") {
            Some(home) => Some(home.to_string()),
            None => home_of(host, "root")?,
        }
    } else {
        home_of(host, user)?
    };
    Ok(match home {
        Some(home) => {
            let expanded = format!("{}{tail}", home.trim_end_matches('/'));
            if expanded.is_empty() {
                "/".to_string()
            } else {
                expanded
            }
        }
        None => text.to_string(),
    })
}

/// NAME's home directory in the target's /etc/passwd.
fn home_of(host: &Host, name: &str) -> Result<Option<String>, ModuleError> {
    let Some(passwd) = host.read_file(Path::new("/etc/passwd"))? else {
        return Ok(None);
    };
    Ok(String::from_utf8_lossy(&passwd)
        .lines()
        .map(|line| line.split(':').collect::<Vec<_>>())
        .find(|fields| fields.first() == Some(&name))
        .and_then(|fields| fields.get(5).map(|home| home.to_string())))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_as_pythons_expandvars() {
        let env = vec![
            ("HOME".to_string(), "/root".to_string()),
            ("A_1".into(), "x".into()),
        ];
        assert_eq!(expand_vars("$HOME/a", &env), "/root/a");
        assert_eq!(expand_vars("${A_1}b $A_1-c", &env), "xb x-c");
        assert_eq!(
            expand_vars("$NOPE ${NOPE} $ ${}", &env),
            "$NOPE ${NOPE} $ ${}"
        );
        assert_eq!(expand_vars("a$$HOME", &env), "a$/root");
    }
}
