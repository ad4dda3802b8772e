//! The `uri` action's arguments (Ansible's names and defaults), read by validation
//! (their names, through serde) and by run/uri.rs, which sends the request.

use serde::Deserialize;
use serde_json::{Map, Value as Json};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum BodyFormat {
    #[serde(rename = "raw")]
    Raw,
    #[serde(rename = "json")]
    Json,
    #[serde(rename = "form-urlencoded")]
    FormUrlencoded,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum FollowRedirects {
    All,
    Yes,
    Safe,
    Urllib2,
    None,
    No,
}

/// One status or a list of them (numbers or numeric strings, as Ansible converts).
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Statuses {
    One(StatusCode),
    Many(Vec<StatusCode>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum StatusCode {
    Number(i64),
    Text(String),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Args {
    pub url: String,
    #[serde(default = "get")]
    pub method: String,
    pub body: Option<Json>,
    #[serde(default = "raw")]
    pub body_format: BodyFormat,
    #[serde(default)]
    pub headers: Map<String, Json>,
    pub status_code: Option<Statuses>,
    #[serde(default)]
    pub return_content: bool,
    #[serde(default = "thirty")]
    pub timeout: u64,
    #[serde(default = "yes")]
    pub validate_certs: bool,
    #[serde(alias = "user")]
    pub url_username: Option<String>,
    #[serde(alias = "password")]
    pub url_password: Option<String>,
    #[serde(default)]
    pub force_basic_auth: bool,
    #[serde(default = "safe")]
    pub follow_redirects: FollowRedirects,
    #[serde(default = "http_agent")]
    pub http_agent: String,
    pub creates: Option<String>,
    pub removes: Option<String>,
}

fn get() -> String {
    "GET".into()
}
fn raw() -> BodyFormat {
    BodyFormat::Raw
}
fn thirty() -> u64 {
    30
}
fn yes() -> bool {
    true
}
fn safe() -> FollowRedirects {
    FollowRedirects::Safe
}
fn http_agent() -> String {
    "ansible-httpget".into()
}
