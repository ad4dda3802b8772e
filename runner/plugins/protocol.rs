//! The JSON a plugin gets and gives.
//!
//! In: the task's rendered arguments plus, for machinist's protocol, `_machinist`:
//! `{check_mode, diff, root, no_log, verbosity}` on stdin; for Ansible's WANT_JSON
//! contract, `_ansible_check_mode`, `_ansible_diff`, `_ansible_no_log`,
//! `_ansible_verbosity` and `_ansible_module_name` in a file.
//!
//! Out: one JSON object on stdout. `changed`, `failed`, `skipped` (booleans), `msg`,
//! `diff` (`{before, after, before_header, after_header}` or a list of them) and
//! `warnings` have their Ansible meaning; every other key goes to the registered
//! result. As Ansible does, lines before the object are ignored (a noisy login
//! script), and text after it draws a warning.

use super::Protocol;
use machinist_modules::Diff;
use serde_json::{Map, Value as Json};

/// What masks a `no_log` value in a result.
pub const MASK: &str = "********";

/// What the runner tells a plugin about the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    pub check_mode: bool,
    pub diff: bool,
    /// The target root on the controller (the plugin already runs inside it, so its
    /// paths need no prefix; this is for messages).
    pub root: String,
    pub no_log: bool,
    pub verbosity: u8,
}

/// The request for one call: the arguments and the run's metadata.
pub fn request(protocol: Protocol, name: &str, args: Map<String, Json>, meta: &Meta) -> Vec<u8> {
    let mut object = args;
    match protocol {
        Protocol::Stdin => {
            let metadata = serde_json::json!({
                "check_mode": meta.check_mode,
                "diff": meta.diff,
                "root": meta.root,
                "no_log": meta.no_log,
                "verbosity": meta.verbosity,
            });
            object.insert("_machinist".into(), metadata);
        }
        Protocol::WantJson => {
            object.insert("_ansible_check_mode".into(), meta.check_mode.into());
            object.insert("_ansible_diff".into(), meta.diff.into());
            object.insert("_ansible_no_log".into(), meta.no_log.into());
            object.insert("_ansible_verbosity".into(), meta.verbosity.into());
            object.insert("_ansible_module_name".into(), name.into());
        }
    }
    let mut bytes = Json::Object(object).to_string().into_bytes();
    bytes.push(b'\n');
    bytes
}

/// A plugin's answer.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Answer {
    pub changed: bool,
    pub failed: bool,
    pub skipped: bool,
    pub msg: Option<String>,
    pub diff: Vec<Diff>,
    pub warnings: Vec<String>,
    /// Every other key: the registered result.
    pub data: Map<String, Json>,
}

/// Read a plugin's stdout; `Err` says why it is no answer (said after "plugin NAME").
/// Strings equal to or containing one of `secrets` are masked.
pub fn parse(stdout: &[u8], secrets: &[String]) -> Result<Answer, String> {
    let text = String::from_utf8_lossy(stdout);
    if text.trim().is_empty() {
        return Err("printed nothing on stdout (a JSON object was expected)".into());
    }
    let start = line_starts(&text)
        .find(|&at| text[at..].trim_start_matches([' ', '\t']).starts_with('{'))
        .ok_or("printed no JSON object on stdout")?;
    let mut stream = serde_json::Deserializer::from_str(&text[start..]).into_iter::<Json>();
    let mut value = match stream.next() {
        Some(Ok(value)) => value,
        Some(Err(err)) => return Err(format!("printed invalid JSON on stdout: {err}")),
        None => return Err("printed no JSON object on stdout".into()),
    };
    let after = text[start + stream.byte_offset()..].trim();
    mask(&mut value, secrets);
    let Json::Object(mut object) = value else {
        return Err("printed JSON that is not an object".into());
    };
    let mut answer = Answer {
        changed: flag(&mut object, "changed")?,
        failed: flag(&mut object, "failed")?,
        skipped: flag(&mut object, "skipped")?,
        msg: object.remove("msg").map(|msg| match msg {
            Json::String(s) => s,
            other => other.to_string(),
        }),
        diff: match object.remove("diff") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) => items.iter().map(diff).collect::<Result<_, _>>()?,
            Some(one) => vec![diff(&one)?],
        },
        warnings: match object.remove("warnings") {
            None | Some(Json::Null) => Vec::new(),
            Some(Json::Array(items)) => items.iter().map(text_of).collect(),
            Some(one) => vec![text_of(&one)],
        },
        data: Map::new(),
    };
    if !after.is_empty() {
        answer
            .warnings
            .push("it printed text after its JSON result; the text was ignored".to_string());
    }
    object.retain(|key, _| !key.starts_with("_ansible_") && !key.starts_with("_machinist"));
    answer.data = object;
    Ok(answer)
}

fn line_starts(text: &str) -> impl Iterator<Item = usize> + '_ {
    std::iter::once(0).chain(text.match_indices('\n').map(|(at, _)| at + 1))
}

fn flag(object: &mut Map<String, Json>, key: &str) -> Result<bool, String> {
    match object.remove(key) {
        None | Some(Json::Null) => Ok(false),
        Some(Json::Bool(b)) => Ok(b),
        Some(other) => Err(format!(
            "answered '{key}': {other}; it must be true or false"
        )),
    }
}

fn diff(value: &Json) -> Result<Diff, String> {
    let Json::Object(map) = value else {
        return Err(format!(
            "answered a diff that is not an object: {value} (expected before/after/before_header/after_header)"
        ));
    };
    let field = |key: &str| map.get(key).map(text_of).unwrap_or_default();
    Ok(Diff {
        before_header: field("before_header"),
        after_header: field("after_header"),
        before: field("before"),
        after: field("after"),
    })
}

/// A string as itself; anything else as pretty JSON with a final newline (Ansible
/// shows structured before/after that way).
fn text_of(value: &Json) -> String {
    match value {
        Json::String(s) => s.clone(),
        Json::Null => String::new(),
        other => serde_json::to_string_pretty(other).unwrap_or_default() + "\n",
    }
}

/// Replace every occurrence of a secret in the strings of `value`.
pub fn mask(value: &mut Json, secrets: &[String]) {
    if secrets.is_empty() {
        return;
    }
    match value {
        Json::String(s) => {
            for secret in secrets {
                if s.contains(secret.as_str()) {
                    *s = s.replace(secret.as_str(), MASK);
                }
            }
        }
        Json::Array(items) => items.iter_mut().for_each(|v| mask(v, secrets)),
        Json::Object(map) => map.values_mut().for_each(|v| mask(v, secrets)),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn meta() -> Meta {
        Meta {
            check_mode: true,
            diff: false,
            root: "/m".into(),
            no_log: false,
            verbosity: 2,
        }
    }

    #[test]
    fn requests_carry_the_metadata_of_each_protocol() -> serde_json::Result<()> {
        let args = json!({"path": "/x"})
            .as_object()
            .cloned()
            .unwrap_or_default();
        let ours: Json =
            serde_json::from_slice(&request(Protocol::Stdin, "m", args.clone(), &meta()))?;
        assert_eq!(
            ours,
            json!({"path": "/x", "_machinist": {"check_mode": true, "diff": false, "root": "/m", "no_log": false, "verbosity": 2}})
        );
        let ansible: Json =
            serde_json::from_slice(&request(Protocol::WantJson, "m", args, &meta()))?;
        assert_eq!(ansible["_ansible_check_mode"], json!(true));
        assert_eq!(ansible["_ansible_diff"], json!(false));
        assert_eq!(ansible["_ansible_no_log"], json!(false));
        assert_eq!(ansible["_ansible_module_name"], json!("m"));
        Ok(())
    }

    #[test]
    fn answers_are_read_with_their_ansible_meaning() {
        let out = br#"{"changed": true, "msg": "set", "diff": {"before": "a\n", "after": "b\n", "before_header": "/f"}, "path": "/f", "_ansible_no_log": false, "warnings": ["careful"]}"#;
        let answer = parse(out, &[]);
        let expected = Answer {
            changed: true,
            msg: Some("set".into()),
            diff: vec![Diff {
                before_header: "/f".into(),
                after_header: String::new(),
                before: "a\n".into(),
                after: "b\n".into(),
            }],
            warnings: vec!["careful".into()],
            data: json!({"path": "/f"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
            ..Answer::default()
        };
        assert_eq!(answer, Ok(expected));
    }

    #[test]
    fn noise_before_the_object_is_ignored_and_after_it_warned_about() {
        let before = parse(b"Welcome!\n{\"changed\": true}\n", &[]);
        assert!(before.is_ok_and(|a| a.changed && a.warnings.is_empty()));
        let after = parse(b"{\"changed\": false}\nbye\n", &[]);
        assert!(after.is_ok_and(|a| !a.changed && a.warnings.len() == 1));
    }

    #[test]
    fn unusable_answers_say_why() {
        let why = |out: &[u8]| parse(out, &[]).err().unwrap_or_default();
        assert!(why(b"").contains("printed nothing"));
        assert!(why(b"hello\n").contains("no JSON object"));
        assert!(why(b"{\"changed\": tru}").contains("invalid JSON"));
        assert!(why(b"{\"changed\": \"yes\"}").contains("must be true or false"));
        assert!(why(b"{\"diff\": 3}").contains("diff that is not an object"));
    }

    #[test]
    fn secrets_are_masked() {
        let answer = parse(
            br#"{"msg": "token s3cr3t set", "list": ["s3cr3t"]}"#,
            &["s3cr3t".into()],
        );
        let answer = answer.unwrap_or_default();
        assert_eq!(answer.msg.as_deref(), Some("token ******** set"));
        assert_eq!(answer.data["list"], json!([MASK]));
    }
}
