//! `password`: a random password kept in a file on the controller, created the first
//! time and read back every time after, as Ansible's lookup keeps it (the path
//! relative to the playbook's folder; folders made 0700, the file 0600; `/dev/null`
//! keeps nothing). `encrypt` (sha512_crypt, sha256_crypt) returns the crypt(3) hash
//! and stores its salt beside the password (`PASSWORD salt=SALT`) so the hash is the
//! same next run. Like Ansible, the file is written when the lookup runs, so also
//! under `--check`: it is the controller's state, not the target's. With `seed`, the
//! characters are picked by Python's `random.Random(seed)` (python_random.rs), so a
//! seed gives the password ansible-core gives.

use std::fs::Permissions;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

use minijinja::value::Kwargs;
use minijinja::{Error, State, Value};
use rand::Rng;

use super::super::crypt;
use super::super::filters::{invalid, text};
use super::super::python_random::PyRandom;
use super::var_path;

const DEFAULT_LENGTH: usize = 20;
const DEFAULT_CHARS: &[&str] = &["ascii_letters", "digits", ".,:-_"];

/// What one term asks for.
struct Wanted {
    path: PathBuf,
    length: usize,
    chars: Vec<char>,
    encrypt: Option<String>,
    /// Python's `random.Random(seed)` picks the characters: the same seed, the same
    /// password.
    seed: Option<Value>,
}

pub(super) fn password(
    state: &State,
    terms: &[Value],
    kwargs: &Kwargs,
) -> Result<Vec<Value>, Error> {
    let length = kwargs.get::<Option<usize>>("length")?;
    let chars = kwargs.get::<Option<Value>>("chars")?;
    let encrypt = kwargs.get::<Option<String>>("encrypt")?;
    let seed = kwargs.get::<Option<Value>>("seed")?;
    let ident = kwargs.get::<Option<Value>>("ident")?;
    kwargs.assert_all_used()?;
    refuse_unsupported(ident.is_some())?;
    let chars = match chars {
        None => None,
        Some(value) if value.as_str().is_some() => Some(char_specs(&text(&value)?)),
        Some(list) => Some(
            list.try_iter()?
                .map(|v| text(&v))
                .collect::<Result<Vec<_>, _>>()?,
        ),
    };
    terms
        .iter()
        .map(|term| {
            let mut wanted =
                parse_term(state, &text(term)?, length, chars.clone(), encrypt.clone())?;
            if wanted.seed.is_none() {
                // The option is a string: `seed=42` seeds with '42', as in ansible-core.
                wanted.seed = seed
                    .as_ref()
                    .filter(|s| !s.is_none())
                    .map(|s| text(s).map(Value::from))
                    .transpose()?;
            }
            kept_or_new(&wanted).map(Value::from)
        })
        .collect()
}

fn refuse_unsupported(ident: bool) -> Result<(), Error> {
    if ident {
        return Err(invalid(
            "lookup('password'): ident is not supported (only for bcrypt, which is not supported)",
        ));
    }
    Ok(())
}

/// `PATH key=value …`, the parameters over the keyword arguments.
fn parse_term(
    state: &State,
    term: &str,
    length: Option<usize>,
    chars: Option<Vec<String>>,
    encrypt: Option<String>,
) -> Result<Wanted, Error> {
    let mut words = term.split_whitespace();
    let relpath = words
        .next()
        .ok_or_else(|| invalid("lookup('password'): no path given"))?;
    let (mut length, mut chars, mut encrypt) = (length, chars, encrypt);
    let mut seed = None;
    for word in words {
        let (key, value) = word.split_once('=').ok_or_else(|| {
            invalid("lookup('password'): Unrecognized value after key=value parameters")
        })?;
        let value = value.trim_matches(|c| c == '"' || c == '\'');
        match key {
            "length" => {
                length = Some(value.parse().map_err(|_| {
                    invalid(format!(
                        "lookup('password'): length must be a number, not '{value}'"
                    ))
                })?)
            }
            "chars" => chars = Some(char_specs(value)),
            "encrypt" => encrypt = Some(value.to_string()),
            "seed" => seed = Some(Value::from(value)),
            "ident" => refuse_unsupported(true)?,
            other => {
                return Err(invalid(format!(
                    "Unrecognized parameter(s) given to password lookup: {other}"
                )))
            }
        }
    }
    if let Some(kind) = &encrypt {
        if !matches!(kind.as_str(), "sha512_crypt" | "sha256_crypt") {
            return Err(invalid(format!(
                "lookup('password'): encrypt={kind} is not supported (sha512_crypt, sha256_crypt)"
            )));
        }
    }
    let specs = chars.unwrap_or_else(|| DEFAULT_CHARS.iter().map(|s| s.to_string()).collect());
    let chars = candidate_chars(&specs);
    if chars.is_empty() {
        return Err(invalid("lookup('password'): no characters to choose from"));
    }
    let path = Path::new(relpath);
    let path = match var_path(state, "playbook_dir") {
        Some(base) if path.is_relative() => base.join(path),
        _ => path.to_path_buf(),
    };
    Ok(Wanted {
        path,
        length: length.unwrap_or(DEFAULT_LENGTH),
        chars,
        encrypt,
        seed,
    })
}

/// `a,b,,c` → `a`, `b`, `,`, `c` (a doubled comma is a comma).
fn char_specs(text: &str) -> Vec<String> {
    let mut specs = Vec::new();
    if text.contains(",,") {
        specs.push(",".to_string());
    }
    specs.extend(
        text.replace(",,", ",")
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string),
    );
    specs
}

/// Python's `string` module sets by name, other specs as themselves; quotes dropped.
fn candidate_chars(specs: &[String]) -> Vec<char> {
    let mut all = String::new();
    for spec in specs {
        all.push_str(match spec.as_str() {
            "ascii_letters" => "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "ascii_lowercase" => "abcdefghijklmnopqrstuvwxyz",
            "ascii_uppercase" => "ABCDEFGHIJKLMNOPQRSTUVWXYZ",
            "digits" => "0123456789",
            "hexdigits" => "0123456789abcdefABCDEF",
            "octdigits" => "01234567",
            "punctuation" => "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~",
            other => other,
        });
    }
    all.chars().filter(|c| *c != '"' && *c != '\'').collect()
}

fn kept_or_new(wanted: &Wanted) -> Result<String, Error> {
    let keeps = wanted.path != Path::new("/dev/null");
    let stored = if keeps { read(&wanted.path)? } else { None };
    let (password, salt) = match &stored {
        Some(content) => parse_content(content),
        None => (
            generate(wanted.length, &wanted.chars, wanted.seed.as_ref())?,
            None,
        ),
    };
    let mut changed = stored.is_none();
    let salt = match (&wanted.encrypt, salt) {
        (Some(_), None) => {
            changed = true;
            Some(crypt::random_salt(16))
        }
        (_, salt) => salt,
    };
    if changed && keeps {
        let content = match &salt {
            Some(salt) => format!("{password} salt={salt}"),
            None => password.clone(),
        };
        write(&wanted.path, &content)?;
    }
    match (&wanted.encrypt, salt) {
        (Some(kind), Some(salt)) => crypt::hash(&password, kind, &salt, None),
        _ => Ok(password),
    }
}

/// The stored text, trailing whitespace stripped; `None` when there is no file.
fn read(path: &Path) -> Result<Option<String>, Error> {
    if !path.exists() {
        return Ok(None);
    }
    crate::input::read_text(path, crate::input::MAX_TEXT_BYTES)
        .map(|text| Some(text.trim_end().to_string()))
        .map_err(|err| invalid(err.to_string()))
}

/// `PASSWORD[ salt=SALT[ ident=IDENT]]`.
fn parse_content(content: &str) -> (String, Option<String>) {
    match content.rsplit_once(" salt=") {
        Some((password, rest)) => {
            let salt = rest.rsplit_once(" ident=").map_or(rest, |(salt, _)| salt);
            (password.to_string(), Some(salt.to_string()))
        }
        None => (content.to_string(), None),
    }
}

fn generate(length: usize, chars: &[char], seed: Option<&Value>) -> Result<String, Error> {
    let Some(seed) = seed else {
        let mut rng = rand::rngs::OsRng;
        return Ok((0..length)
            .map(|_| chars[rng.gen_range(0..chars.len())])
            .collect());
    };
    let mut random = PyRandom::new(seed)?;
    let choices: Vec<Value> = chars.iter().map(|c| Value::from(c.to_string())).collect();
    Ok((0..length)
        .filter_map(|_| {
            random
                .choice(&choices)
                .and_then(Value::as_str)
                .map(str::to_string)
        })
        .collect())
}

fn write(path: &Path, content: &str) -> Result<(), Error> {
    let failed =
        |err: std::io::Error| invalid(format!("lookup('password'): {}: {err}", path.display()));
    if let Some(dir) = path.parent().filter(|dir| !dir.exists()) {
        std::fs::create_dir_all(dir).map_err(failed)?;
        std::fs::set_permissions(dir, Permissions::from_mode(0o700)).map_err(failed)?;
    }
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut temp = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    std::io::Write::write_all(&mut temp, format!("{content}\n").as_bytes()).map_err(failed)?;
    temp.as_file()
        .set_permissions(Permissions::from_mode(0o600))
        .map_err(failed)?;
    temp.persist(path).map_err(|err| failed(err.error))?;
    tracing::debug!(path = %path.display(), "password lookup stored a new password");
    Ok(())
}
