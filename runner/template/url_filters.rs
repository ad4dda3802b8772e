//! ansible-core's URL filters and tests: `urlsplit` (Python's `urllib.parse.urlsplit`
//! as a mapping of its parts, or one part by name), `urldecode` (`unquote_plus`), and
//! `is uri`, `is url`, `is urn` (any string is a URI to Python's `urlparse`; a URL has
//! a host or the `file` scheme; `schemes` limits them).

use minijinja::{Environment, Error, Value};

use super::filters::{invalid, keywords_as_positions, string_only};

pub(crate) fn register(env: &mut Environment<'static>) {
    let urlsplit_filter = Value::from_function(|url: Value, query: Option<String>| {
        let parts = urlsplit(&string_only(&url, "urlsplit")?)?;
        match query.filter(|q| !q.is_empty()) {
            None => Ok(Value::from_iter(parts)),
            Some(query) => parts
                .into_iter()
                .find(|(name, _)| *name == query)
                .map(|(_, value)| value)
                .ok_or_else(|| invalid(format!("urlsplit: unknown URL component: {query}"))),
        }
    });
    env.add_filter(
        "urlsplit",
        keywords_as_positions(urlsplit_filter, vec![("query", Value::from(""))]),
    );
    env.add_test("uri", |value: Value, schemes: Option<Value>| {
        is_uri(&value, schemes.as_ref(), false)
    });
    env.add_test("url", |value: Value, schemes: Option<Value>| {
        is_uri(&value, schemes.as_ref(), true)
    });
    env.add_test("urn", |value: Value| {
        is_uri(&value, Some(&Value::from(vec!["urn"])), false)
    });
    env.add_filter("urldecode", |text: Value| {
        Ok::<_, Error>(unquote_plus(&string_only(&text, "urldecode")?))
    });
}

/// ansible-core's `is_uri`/`is_url`: a string whose scheme is one of `schemes` (when
/// given), with a host or the `file` scheme for a URL; anything else is false.
fn is_uri(value: &Value, schemes: Option<&Value>, url: bool) -> Result<bool, Error> {
    let Some(text) = value.as_str() else {
        return Ok(false);
    };
    let (scheme, netloc, _) = scheme_and_netloc(text);
    // urlparse refuses a netloc with one bracket of an IPv6 address only.
    if netloc.contains('[') != netloc.contains(']') {
        return Ok(false);
    }
    if let Some(schemes) = schemes.filter(|s| s.is_true()) {
        if !schemes
            .try_iter()?
            .any(|s| s.as_str() == Some(scheme.as_str()))
        {
            return Ok(false);
        }
    }
    Ok(!url || !netloc.is_empty() || scheme == "file")
}

/// The parts of `urlsplit(url)`, named and ordered as ansible-core lists them (the
/// attributes of Python's SplitResult, sorted).
fn urlsplit(url: &str) -> Result<Vec<(&'static str, Value)>, Error> {
    let (scheme, netloc, rest) = scheme_and_netloc(url);
    let (rest, fragment) = rest.split_once('#').unwrap_or((rest, ""));
    let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
    let (userinfo, host_port) = match netloc.rsplit_once('@') {
        Some((userinfo, host)) => (Some(userinfo), host),
        None => (None, netloc),
    };
    let (username, password) = match userinfo {
        Some(info) => match info.split_once(':') {
            Some((user, password)) => (Value::from(user), Value::from(password)),
            None => (Value::from(info), Value::from(())),
        },
        None => (Value::from(()), Value::from(())),
    };
    let (host, port) = match host_port.strip_prefix('[') {
        Some(bracketed) => match bracketed.split_once(']') {
            Some((host, after)) => (host, after.strip_prefix(':')),
            None => return Err(invalid("urlsplit: Invalid IPv6 URL")),
        },
        None => match host_port.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (host_port, None),
        },
    };
    let hostname = if host.is_empty() {
        Value::from(())
    } else {
        Value::from(host.to_lowercase())
    };
    let port = match port.filter(|p| !p.is_empty()) {
        None => Value::from(()),
        Some(port) => match port.parse::<u16>() {
            Ok(number) if port.bytes().all(|b| b.is_ascii_digit()) => Value::from(number),
            _ => {
                return Err(invalid(format!(
                    "urlsplit: Port could not be cast to integer value as '{port}'"
                )))
            }
        },
    };
    Ok(vec![
        ("fragment", Value::from(fragment)),
        ("hostname", hostname),
        ("netloc", Value::from(netloc)),
        ("password", password),
        ("path", Value::from(path)),
        ("port", port),
        ("query", Value::from(query)),
        ("scheme", Value::from(scheme)),
        ("username", username),
    ])
}

/// A URL's scheme (lower case), its netloc and the rest, as `urlsplit` cuts them.
fn scheme_and_netloc(url: &str) -> (String, &str, &str) {
    let url = url.trim_start_matches(|c: char| c <= ' ');
    let (scheme, rest) = match url.split_once(':') {
        Some((scheme, rest)) if is_scheme(scheme) => (scheme.to_ascii_lowercase(), rest),
        _ => (String::new(), url),
    };
    match rest.strip_prefix("//") {
        Some(after) => {
            let end = after.find(['/', '?', '#']).unwrap_or(after.len());
            (scheme, &after[..end], &after[end..])
        }
        None => (scheme, "", rest),
    }
}

/// A URL scheme as Python accepts one: a letter, then letters, digits, `+`, `-`, `.`.
fn is_scheme(text: &str) -> bool {
    let mut bytes = text.bytes();
    bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric() || b"+-.".contains(&b))
}

/// Python's `urllib.parse.unquote_plus`: `+` is a space, `%XX` a byte; bytes that do
/// not make UTF-8 become U+FFFD.
fn unquote_plus(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|b| char::from(*b).to_digit(16))
                .and_then(|d| u8::try_from(d).ok())
        };
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => match (hex(i + 1), hex(i + 2)) {
                (Some(high), Some(low)) => {
                    out.push(high * 16 + low);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            other => out.push(other),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(url: &str, name: &str) -> Value {
        urlsplit(url)
            .unwrap()
            .into_iter()
            .find(|(n, _)| *n == name)
            .unwrap()
            .1
    }

    #[test]
    fn splits_as_python() {
        let url = "HTTP://user:pw@Example.com:8080/a/b?x=1&y=2#frag";
        assert_eq!(part(url, "scheme"), Value::from("http"));
        assert_eq!(part(url, "netloc"), Value::from("user:pw@Example.com:8080"));
        assert_eq!(part(url, "hostname"), Value::from("example.com"));
        assert_eq!(part(url, "port"), Value::from(8080));
        assert_eq!(part(url, "username"), Value::from("user"));
        assert_eq!(part(url, "password"), Value::from("pw"));
        assert_eq!(part(url, "path"), Value::from("/a/b"));
        assert_eq!(part(url, "query"), Value::from("x=1&y=2"));
        assert_eq!(part(url, "fragment"), Value::from("frag"));
        assert!(part("/just/a/path", "hostname").is_none());
        assert_eq!(part("ssh://[::1]:22", "hostname"), Value::from("::1"));
        assert!(urlsplit("http://h:port/").is_err());
    }

    #[test]
    fn unquotes_as_python() {
        assert_eq!(unquote_plus("a+b%20c%2Fd%zz"), "a b c/d%zz");
        assert_eq!(unquote_plus("%C3%A4"), "ä");
    }
}
