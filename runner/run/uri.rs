//! `uri` (Ansible's `ansible.builtin.uri`), a runner action: one HTTP request from the
//! target (this machine, or a remote host's agent: run/remote.rs), with
//! machinist-modules' http.rs (ureq, rustls), judged by
//! `status_code`, registered as Ansible registers it (`status`, `url`, `redirected`,
//! `msg`, every response header as a lowercased key with `-` made `_`, `content` when
//! asked or on failure, `json` for a JSON answer). It reports `ok` (Ansible's uri sets
//! `changed` only when it writes `dest`, which is not taken here), and like Ansible's
//! module, which has no check mode, it is skipped under `--check`: a POST must not be
//! sent by a dry run. `creates`/`removes` are paths of the target, read through the
//! Host.

use super::outcome::Outcome;
pub use crate::playbook::action_args::uri::Args;
use crate::playbook::action_args::uri::{BodyFormat, FollowRedirects, StatusCode, Statuses};
use machinist_modules::{http, Host};
use serde_json::{json, Map, Value as Json};
use std::path::Path;
use std::time::{Duration, Instant};

/// The largest answer kept.
const MAX_BODY: u64 = 64 << 20;

/// The arguments whose values are secrets.
pub const SECRET_ARGS: &[&str] = &["url_password"];

/// Send the request the arguments describe and judge the answer.
pub fn request(args: &Args, host: &Host) -> Outcome {
    match send(args, host) {
        Ok(outcome) => outcome,
        Err(msg) => Outcome::failed(msg),
    }
}

fn send(args: &Args, host: &Host) -> Result<Outcome, String> {
    let method = args.method.to_ascii_uppercase();
    if method.is_empty() || !method.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(
            "Parameter 'method' needs to be a single word in uppercase, like GET or POST.".into(),
        );
    }
    let expected = statuses(args.status_code.as_ref())?;
    let exists = |path: &str| {
        host.exists(&Path::new("/").join(path))
            .map_err(|err| err.to_string())
    };
    if let Some(creates) = &args.creates {
        if exists(creates)? {
            return Ok(skipped_run(format!("skipped, since '{creates}' exists")));
        }
    }
    if let Some(removes) = &args.removes {
        if !exists(removes)? {
            return Ok(skipped_run(format!(
                "skipped, since '{removes}' does not exist"
            )));
        }
    }
    let mut headers: Vec<(String, String)> = args
        .headers
        .iter()
        .map(|(name, value)| (name.clone(), scalar_text(value)))
        .collect();
    let body = body(args, &mut headers)?;
    let follow = match args.follow_redirects {
        FollowRedirects::All | FollowRedirects::Yes => true,
        FollowRedirects::Safe | FollowRedirects::Urllib2 => {
            matches!(method.as_str(), "GET" | "HEAD")
        }
        FollowRedirects::None | FollowRedirects::No => false,
    };
    let auth = args
        .url_username
        .as_deref()
        .map(|user| (user, args.url_password.as_deref().unwrap_or("")));
    let started = Instant::now();
    let answer = http::send(&http::Request {
        method: &method,
        url: &args.url,
        headers: &headers,
        body,
        timeout: Duration::from_secs(args.timeout),
        validate_certs: args.validate_certs,
        auth,
        force_basic_auth: args.force_basic_auth,
        follow_redirects: follow,
        user_agent: &args.http_agent,
        limit: MAX_BODY,
    });
    let elapsed = started.elapsed().as_secs();
    let masked = http::mask_url(&args.url);
    let response = match answer {
        Ok(response) => response,
        Err(err) => {
            let mut outcome = Outcome::failed(format!(
                "Status code was -1 and not {}: {err}",
                list(&expected)
            ));
            outcome.data.insert("status".into(), json!(-1));
            outcome.data.insert("url".into(), json!(masked));
            outcome.data.insert("elapsed".into(), json!(elapsed));
            return Ok(outcome);
        }
    };
    Ok(judge(args, &expected, response, &masked, elapsed))
}

/// The result of a run not made (`creates`/`removes`), as Ansible's uri exits.
fn skipped_run(stdout: String) -> Outcome {
    let mut outcome = Outcome::ok();
    outcome.data.insert("stdout".into(), json!(stdout));
    outcome
}

fn judge(
    args: &Args,
    expected: &[i64],
    response: http::Response,
    masked: &str,
    elapsed: u64,
) -> Outcome {
    let status = i64::from(response.status);
    let length = response
        .header("content-length")
        .map_or_else(|| "unknown".to_string(), str::to_string);
    let reason = response.reason();
    let info_msg = if (200..400).contains(&status) {
        format!("OK ({length} bytes)")
    } else {
        format!("HTTP Error {status}: {reason}")
    };
    let content_type = response.header("content-type").unwrap_or("").to_string();
    let maybe_json = is_json(&content_type);
    let ok = expected.contains(&status);
    let mut data = Map::new();
    data.insert("redirected".into(), json!(response.url != masked));
    for (name, value) in &response.headers {
        data.insert(name.replace('-', "_").to_ascii_lowercase(), json!(value));
    }
    if let Some(location) = response.header("location") {
        data.insert("location".into(), json!(join_url(&response.url, location)));
    }
    data.insert("url".into(), json!(response.url));
    data.insert("status".into(), json!(status));
    data.insert("elapsed".into(), json!(elapsed));
    // The cookies the answer set, as Ansible registers them: a mapping and a header.
    let cookies: Map<String, Json> = response
        .headers
        .iter()
        .filter(|(name, _)| name == "set-cookie")
        .filter_map(|(_, value)| {
            let pair = value.split(';').next()?.trim();
            let (name, value) = pair.split_once('=')?;
            Some((name.to_string(), json!(value)))
        })
        .collect();
    let cookies_string: Vec<String> = cookies
        .iter()
        .map(|(name, value)| format!("{name}={}", value.as_str().unwrap_or_default()))
        .collect();
    data.insert("cookies".into(), Json::Object(cookies));
    data.insert("cookies_string".into(), json!(cookies_string.join("; ")));
    let text = String::from_utf8_lossy(&response.body).into_owned();
    if maybe_json {
        if let Ok(parsed) = serde_json::from_str::<Json>(&text) {
            data.insert("json".into(), parsed);
        }
    }
    if args.return_content || !ok {
        data.insert("content".into(), json!(text));
    }
    let mut outcome = if ok {
        Outcome::ok().with_msg(info_msg.clone())
    } else {
        Outcome::failed(format!(
            "Status code was {status} and not {}: {info_msg}",
            list(expected)
        ))
    };
    data.insert("msg".into(), json!(outcome.msg.clone().unwrap_or_default()));
    outcome.data = data;
    outcome
}

/// Ansible's JSON candidates: `json`, or a `+json` suffix (`application/problem+json`).
fn is_json(content_type: &str) -> bool {
    let mime = content_type.split(';').next().unwrap_or("").trim();
    let sub = mime.split_once('/').map_or("", |(_, sub)| sub);
    let sub = sub.rsplit_once('+').map_or(sub, |(_, suffix)| suffix);
    matches!(
        sub.to_ascii_lowercase().as_str(),
        "json" | "javascript" | "x-json" | "x-javascript"
    )
}

fn join_url(base: &str, location: &str) -> String {
    if location.contains("://") {
        return location.to_string();
    }
    let Some((scheme, rest)) = base.split_once("://") else {
        return location.to_string();
    };
    let authority = rest.split('/').next().unwrap_or(rest);
    if location.starts_with('/') {
        format!("{scheme}://{authority}{location}")
    } else {
        let dir = base.rsplit_once('/').map_or(base, |(dir, _)| dir);
        format!("{dir}/{location}")
    }
}

fn statuses(given: Option<&Statuses>) -> Result<Vec<i64>, String> {
    let codes: Vec<&StatusCode> = match given {
        None => return Ok(vec![200]),
        Some(Statuses::One(code)) => vec![code],
        Some(Statuses::Many(codes)) => codes.iter().collect(),
    };
    codes
        .into_iter()
        .map(|code| match code {
            StatusCode::Number(n) => Ok(*n),
            StatusCode::Text(text) => text
                .split(',')
                .map(|part| part.trim().parse::<i64>())
                .next()
                .and_then(Result::ok)
                .ok_or_else(|| format!("status_code: '{text}' is not a number")),
        })
        .collect()
}

/// Python's `str()` of a list of ints: `[200, 201]`.
fn list(codes: &[i64]) -> String {
    let shown: Vec<String> = codes.iter().map(i64::to_string).collect();
    format!("[{}]", shown.join(", "))
}

fn scalar_text(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Bool(true) => "True".into(),
        Json::Bool(false) => "False".into(),
        other => other.to_string(),
    }
}

/// The request body for `body_format`, and its Content-Type unless one is given.
fn body(args: &Args, headers: &mut Vec<(String, String)>) -> Result<Option<Vec<u8>>, String> {
    let Some(body) = &args.body else {
        return Ok(None);
    };
    let mut content_type = |value: &str| {
        if !headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("content-type"))
        {
            headers.push(("Content-Type".into(), value.into()));
        }
    };
    let bytes = match args.body_format {
        BodyFormat::Raw => scalar_text(body).into_bytes(),
        BodyFormat::Json => {
            content_type("application/json");
            match body {
                Json::String(text) => text.clone().into_bytes(),
                other => crate::report::pyjson::dump(other, None).into_bytes(),
            }
        }
        BodyFormat::FormUrlencoded => {
            content_type("application/x-www-form-urlencoded");
            match body {
                Json::String(text) => text.clone().into_bytes(),
                Json::Object(fields) => form_urlencoded(fields).into_bytes(),
                _ => {
                    return Err(
                        "failed to parse body as form_urlencoded: give a mapping or a string"
                            .into(),
                    )
                }
            }
        }
    };
    Ok(Some(bytes))
}

fn form_urlencoded(fields: &Map<String, Json>) -> String {
    let encode = |text: &str| {
        let mut out = String::new();
        for byte in text.bytes() {
            match byte {
                b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                    out.push(char::from(byte))
                }
                b' ' => out.push('+'),
                other => out.push_str(&format!("%{other:02X}")),
            }
        }
        out
    };
    fields
        .iter()
        .map(|(key, value)| format!("{}={}", encode(key), encode(&scalar_text(value))))
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_types_and_urls() {
        assert!(is_json("application/json; charset=utf-8"));
        assert!(is_json("application/problem+json"));
        assert!(!is_json("text/html"));
        assert_eq!(join_url("http://h:1/a/b", "/c"), "http://h:1/c");
        assert_eq!(join_url("http://h:1/a/b", "c"), "http://h:1/a/c");
        assert_eq!(list(&[200, 201]), "[200, 201]");
    }

    #[test]
    fn forms_are_encoded_as_urllib_does() {
        let mut fields = Map::new();
        fields.insert("name".into(), json!("a b&c"));
        fields.insert("n".into(), json!(1));
        assert_eq!(form_urlencoded(&fields), "name=a+b%26c&n=1");
    }
}
