//! sysctl_file: kernel settings in /etc/sysctl.d/NAME.conf, idempotent, with check
//! mode and a diff. An example plugin module for machinist in Rust with no
//! dependencies: it reads one JSON object on stdin (the task's arguments and
//! `_machinist` metadata) and prints one JSON object on stdout.

mod json;

use json::Json;
use std::io::Read;
use std::path::Path;

/// What the task asked for, and how to run.
struct Task {
    name: String,
    settings: Vec<(String, String)>,
    present: bool,
    check_mode: bool,
    diff: bool,
}

fn main() {
    let answer = match run() {
        Ok(answer) => answer,
        Err(msg) => Json::object([("failed", Json::Bool(true)), ("msg", Json::text(msg))]),
    };
    println!("{answer}");
    if answer.get("failed").is_some() {
        std::process::exit(1);
    }
}

fn run() -> Result<Json, String> {
    let mut input = String::new();
    std::io::stdin()
        .read_to_string(&mut input)
        .map_err(|err| format!("cannot read the request: {err}"))?;
    let request = json::parse(&input)?;
    let task = task(&request)?;
    let path = format!("/etc/sysctl.d/{}.conf", task.name);
    let before = match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => None,
        Err(err) => return Err(format!("cannot read {path}: {err}")),
    };
    let after = task.present.then(|| content(&task.settings));
    let mut fields = vec![("path", Json::text(&path))];
    if before == after {
        fields.push(("changed", Json::Bool(false)));
        fields.push(("msg", Json::text(format!("{path} is as wanted"))));
        return Ok(Json::object(fields));
    }
    if !task.check_mode {
        write(Path::new(&path), after.as_deref())?;
    }
    fields.push(("changed", Json::Bool(true)));
    let msg = match &after {
        Some(_) if before.is_none() => format!("{path} created"),
        Some(_) => format!("{path} updated"),
        None => format!("{path} removed"),
    };
    fields.push(("msg", Json::text(msg)));
    if task.diff {
        let diff = Json::object([
            ("before_header", Json::text(&path)),
            ("after_header", Json::text(&path)),
            ("before", Json::text(before.unwrap_or_default())),
            ("after", Json::text(after.unwrap_or_default())),
        ]);
        fields.push(("diff", diff));
    }
    Ok(Json::object(fields))
}

fn task(request: &Json) -> Result<Task, String> {
    let name = match request.get("name") {
        Some(Json::Str(name)) => name.clone(),
        _ => return Err("sysctl_file: 'name' is required".into()),
    };
    if name.is_empty() || name.contains('/') || name.starts_with('.') {
        return Err(format!("sysctl_file: '{name}' is not a file name"));
    }
    let settings = match request.get("settings") {
        Some(Json::Object(entries)) => entries
            .iter()
            .map(|(key, value)| Ok((key.clone(), scalar(key, value)?)))
            .collect::<Result<_, String>>()?,
        None | Some(Json::Null) => Vec::new(),
        Some(_) => return Err("sysctl_file: 'settings' is a mapping".into()),
    };
    let present = match request.get("state") {
        None | Some(Json::Null) => true,
        Some(Json::Str(state)) if state == "present" => true,
        Some(Json::Str(state)) if state == "absent" => false,
        Some(other) => return Err(format!("sysctl_file: unknown state {other}")),
    };
    let meta = |key: &str| {
        request
            .get("_machinist")
            .and_then(|m| m.get(key))
            .is_some_and(|v| *v == Json::Bool(true))
    };
    Ok(Task {
        name,
        settings,
        present,
        check_mode: meta("check_mode"),
        diff: meta("diff"),
    })
}

/// A setting's value as sysctl.d writes it.
fn scalar(key: &str, value: &Json) -> Result<String, String> {
    match value {
        Json::Str(text) => Ok(text.clone()),
        Json::Num(number) => Ok(number.clone()),
        Json::Bool(true) => Ok("1".into()),
        Json::Bool(false) => Ok("0".into()),
        _ => Err(format!(
            "sysctl_file: the value of {key} is not a single value"
        )),
    }
}

fn content(settings: &[(String, String)]) -> String {
    let mut text = String::from("# Managed by machinist (sysctl_file); changes here are lost.\n");
    for (key, value) in settings {
        text.push_str(&format!("{key} = {value}\n"));
    }
    text
}

/// Replace the file atomically (temp file, rename), or remove it.
fn write(path: &Path, content: Option<&str>) -> Result<(), String> {
    let fail = |err: std::io::Error| format!("cannot write {}: {err}", path.display());
    let Some(content) = content else {
        return std::fs::remove_file(path).map_err(fail);
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let temp = path.with_extension("conf.sysctl_file-new");
    std::fs::write(&temp, content).map_err(fail)?;
    std::fs::rename(&temp, path).map_err(fail)
}
