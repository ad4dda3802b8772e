//! One HTTP request for get_url and uri, with ureq (rustls, webpki roots): the body read
//! into memory up to a cap, redirects followed, basic auth as Ansible's url modules
//! send it. It runs while a task plans, on the machine running machinist: a request
//! reads the network and changes nothing on the target, so planning stays free of side
//! effects there (a GET is assumed safe; other methods are the uri module's business).

use std::io::Read;
use std::time::Duration;

/// What to ask for.
#[derive(Debug, Clone)]
pub struct Request<'a> {
    pub method: &'a str,
    pub url: &'a str,
    pub headers: &'a [(String, String)],
    pub body: Option<Vec<u8>>,
    pub timeout: Duration,
    pub validate_certs: bool,
    /// `url_username`/`url_password`.
    pub auth: Option<(&'a str, &'a str)>,
    /// Send the credentials with the first request (`force_basic_auth`); otherwise only
    /// after the server answers 401, as urllib's basic auth handler does.
    pub force_basic_auth: bool,
    pub follow_redirects: bool,
    pub user_agent: &'a str,
    /// The most bytes of body kept; a longer body is an error.
    pub limit: u64,
}

/// What came back.
#[derive(Debug, Clone)]
pub struct Response {
    pub status: u16,
    /// The URL answered, after redirects.
    pub url: String,
    /// Header names lowercased (HTTP/1.1 names are case-insensitive), in arrival order.
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    /// The standard reason phrase of the status (`Not Found`), empty if none.
    pub fn reason(&self) -> &'static str {
        ureq::http::StatusCode::from_u16(self.status)
            .ok()
            .and_then(|code| code.canonical_reason())
            .unwrap_or("")
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    #[error("Request failed: {url}: {message}")]
    Failed { url: String, message: String },
    #[error("{url}: the response is larger than {limit} bytes")]
    TooLarge { url: String, limit: u64 },
}

/// Send the request and read the whole answer (any status: the caller judges it).
pub fn send(request: &Request) -> Result<Response, HttpError> {
    let response = send_once(request, request.force_basic_auth)?;
    if response.status == 401 && request.auth.is_some() && !request.force_basic_auth {
        tracing::debug!(url = request.url, "401: sending the credentials");
        return send_once(request, true);
    }
    Ok(response)
}

fn send_once(request: &Request, with_auth: bool) -> Result<Response, HttpError> {
    let failed = |message: String| HttpError::Failed {
        url: request.url.to_string(),
        message,
    };
    let tls = ureq::tls::TlsConfig::builder()
        .disable_verification(!request.validate_certs)
        .build();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .timeout_global(Some(request.timeout))
        .http_status_as_error(false)
        .max_redirects(if request.follow_redirects { 10 } else { 0 })
        .max_redirects_will_error(false)
        .allow_non_standard_methods(true)
        .user_agent(request.user_agent)
        .tls_config(tls)
        .build()
        .into();
    let mut builder = ureq::http::Request::builder()
        .method(request.method)
        .uri(request.url);
    for (name, value) in request.headers {
        builder = builder.header(name, value);
    }
    if let (true, Some((user, password))) = (with_auth, request.auth) {
        builder = builder.header("Authorization", basic_auth(user, password));
    }
    tracing::debug!(method = request.method, url = request.url, "HTTP request");
    let sent = match &request.body {
        Some(body) => builder
            .body(body.clone())
            .map_err(|err| failed(err.to_string()))
            .and_then(|req| agent.run(req).map_err(|err| failed(err.to_string()))),
        None => builder
            .body(())
            .map_err(|err| failed(err.to_string()))
            .and_then(|req| agent.run(req).map_err(|err| failed(err.to_string()))),
    };
    let mut response = sent?;
    let status = response.status().as_u16();
    let url = ureq::ResponseExt::get_uri(&response).to_string();
    let headers = response
        .headers()
        .iter()
        .map(|(name, value)| {
            (
                name.as_str().to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    let mut body = Vec::new();
    response
        .body_mut()
        .as_reader()
        .take(request.limit + 1)
        .read_to_end(&mut body)
        .map_err(|err| failed(err.to_string()))?;
    if body.len() as u64 > request.limit {
        return Err(HttpError::TooLarge {
            url: request.url.to_string(),
            limit: request.limit,
        });
    }
    tracing::debug!(status, bytes = body.len(), "HTTP response");
    Ok(Response {
        status,
        url,
        headers,
        body,
    })
}

fn basic_auth(user: &str, password: &str) -> String {
    use base64::Engine;
    let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
    format!("Basic {token}")
}

/// The text of a `file://` URL's path (`file:///etc/x` → `/etc/x`), percent-decoded;
/// `None` for other schemes.
pub fn file_url_path(url: &str) -> Option<String> {
    let rest = url.strip_prefix("file://")?;
    let path = match rest.find('/') {
        Some(0) => rest,
        // file://localhost/etc/x
        Some(at) if &rest[..at] == "localhost" => &rest[at..],
        _ => return None,
    };
    Some(percent_decode(path))
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |at: usize| {
            bytes
                .get(at)
                .and_then(|b| char::from(*b).to_digit(16))
                .map(|d| d as u8)
        };
        match (bytes[i], hex(i + 1), hex(i + 2)) {
            (b'%', Some(high), Some(low)) => {
                out.push(high * 16 + low);
                i += 3;
            }
            (byte, _, _) => {
                out.push(byte);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The last path segment of a URL (`index.html` when there is none), as Ansible's
/// `url_filename` names a download into a directory.
pub fn url_filename(url: &str) -> String {
    let without_query = url.split(['?', '#']).next().unwrap_or("");
    let path = without_query
        .split_once("://")
        .map_or(without_query, |(_, rest)| {
            rest.find('/').map_or("", |at| &rest[at..])
        });
    match path.rsplit('/').next() {
        Some(name) if !name.is_empty() => percent_decode(name),
        _ => "index.html".to_string(),
    }
}

/// Ansible's url masking for results: the password of `user:password@` hidden.
pub fn mask_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_string();
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    let (authority, path) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => match userinfo.split_once(':') {
            Some((user, _)) => format!("{scheme}://{user}:********@{host}{path}"),
            None => url.to_string(),
        },
        None => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_names_and_paths() {
        assert_eq!(url_filename("http://h/a/b.tar.gz?x=1"), "b.tar.gz");
        assert_eq!(url_filename("http://h/"), "index.html");
        assert_eq!(url_filename("http://h"), "index.html");
        assert_eq!(url_filename("http://h/a%20b"), "a b");
        assert_eq!(
            file_url_path("file:///etc/x%2Fy").as_deref(),
            Some("/etc/x/y")
        );
        assert_eq!(
            file_url_path("file://localhost/etc").as_deref(),
            Some("/etc")
        );
        assert_eq!(file_url_path("http://h/etc"), None);
        assert_eq!(mask_url("https://me:secret@h/x"), "https://me:********@h/x");
    }

    #[test]
    fn basic_auth_is_base64() {
        assert_eq!(
            basic_auth("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }
}
