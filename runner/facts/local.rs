//! Ansible's `ansible_local`: the target's own facts, one per `*.fact` file in
//! `fact_path` (`/etc/ansible/facts.d`), named by the file less `.fact`, read as
//! ansible-core's local collector reads them: an executable file is run and its
//! output is the fact, another file's content is; JSON first, else INI as Python's
//! `ConfigParser` reads it (sections of lower-cased options). A file that fails
//! gives its error message as its fact, as ansible-core's does. Files are the
//! target's (through the Host); an offline root runs no programs, so its executable
//! facts are that error.

use machinist_modules::Host;
use minijinja::Value;
use std::collections::BTreeMap;
use std::os::unix::ffi::OsStrExt;
use std::path::Path;

/// Where ansible-core's `setup` looks by default.
pub const DEFAULT_FACT_PATH: &str = "/etc/ansible/facts.d";

/// `local`: each fact file's fact by its name; empty when the folder is missing.
pub fn gather(host: &Host, fact_path: &str) -> BTreeMap<String, Value> {
    let mut local = BTreeMap::new();
    let Ok(Some(names)) = host.read_dir(Path::new(fact_path)) else {
        return local;
    };
    for name in names {
        let bytes = name.as_bytes();
        if !bytes.ends_with(b".fact") || bytes.starts_with(b".") {
            continue;
        }
        let name = name.to_string_lossy();
        let file = format!("{fact_path}/{name}");
        let fact = read_fact(host, &file);
        if fact.kind() == minijinja::value::ValueKind::String {
            tracing::warn!(file, message = %fact, "local fact");
        }
        local.insert(name.replace(".fact", ""), fact);
    }
    local
}

/// One fact file's fact (or the message of what failed, as a string).
fn read_fact(host: &Host, file: &str) -> Value {
    let path = Path::new(file);
    let meta = match host.stat(path) {
        Ok(Some(meta)) => meta,
        Ok(None) => return Value::from(format!("Could not stat fact ({file}): not found")),
        Err(err) => return Value::from(format!("Could not stat fact ({file}): {err}")),
    };
    let output = if meta.mode & 0o100 != 0 {
        match run(host, file) {
            Ok(output) => output,
            Err(failed) => return Value::from(failed),
        }
    } else {
        host.read_file(path).ok().flatten().unwrap_or_default()
    };
    let Ok(text) = String::from_utf8(output) else {
        return Value::from(format!(
            "error loading fact - output of running \"{file}\" was not utf-8"
        ));
    };
    parse(&text, file)
}

/// An executable fact's output, or ansible-core's message when it fails.
fn run(host: &Host, file: &str) -> Result<Vec<u8>, String> {
    if host.root() != Path::new("/") {
        return Err(format!(
            "Could not execute fact script ({file}): an offline root runs no programs"
        ));
    }
    tracing::debug!(file, "local fact: running");
    let output = std::process::Command::new(file)
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|err| format!("Could not execute fact script ({file}): {err}"))?;
    if !output.status.success() {
        let rc = output.status.code().unwrap_or(-1);
        let err = String::from_utf8_lossy(&output.stderr);
        return Err(format!(
            "Failure executing fact script ({file}), rc: {rc}, err: {err}"
        ));
    }
    Ok(output.stdout)
}

/// JSON, else INI, else ansible-core's message.
fn parse(text: &str, file: &str) -> Value {
    if let Ok(json) = serde_json::from_str::<serde_json::Value>(text) {
        return Value::from_serialize(&json);
    }
    match crate::template::configparser_sections(text) {
        Ok(sections) => Value::from_iter(sections.into_iter().map(|(section, options)| {
            let options: BTreeMap<String, Value> = options
                .into_iter()
                .map(|(key, value)| (key, Value::from(value)))
                .collect();
            (section, Value::from(options))
        })),
        Err(_) => Value::from(format!(
            "error loading facts as JSON or ini - please check content: {file}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_then_ini_then_a_message() {
        let json = parse("{\"a\": [1, 2]}", "x.fact");
        assert_eq!(json.get_attr("a").unwrap().len(), Some(2));
        let ini = parse("[general]\nName = box\n[other]\nk: v\n", "x.fact");
        assert_eq!(
            ini.get_attr("general")
                .unwrap()
                .get_attr("name")
                .unwrap()
                .to_string(),
            "box"
        );
        let bad = parse("no section here", "/f/x.fact");
        assert_eq!(
            bad.to_string(),
            "error loading facts as JSON or ini - please check content: /f/x.fact"
        );
        assert_eq!(parse("", "x.fact").len(), Some(0));
    }
}
