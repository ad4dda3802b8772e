//! `wait_for` (Ansible's `ansible.builtin.wait_for`), a runner action: wait until a TCP
//! port answers (or stops answering), optionally with a regex in what it sends, or
//! until a path of the target exists (or is gone), optionally holding a regex. It
//! changes nothing, so it reports `ok`; like Ansible's module, which has no check mode,
//! it is skipped under `--check`. Paths are read through the Host (inside the root);
//! ports are reached from the target (this machine, or a remote host's agent). A stop
//! signal ends the wait.

use super::outcome::Outcome;
pub use crate::playbook::action_args::wait_for::Args;
use crate::playbook::action_args::wait_for::State;
use machinist_modules::{interrupt, Host};
use regex::bytes::{Regex, RegexBuilder};
use serde_json::{json, Value as Json};
use std::io::Read;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Wait as `args` say; the outcome is Ansible's result (`elapsed`, `match_groups`, …).
pub fn wait(args: &Args, host: &Host) -> Outcome {
    match Waiter::new(args, host) {
        Ok(waiter) => waiter.run(),
        Err(msg) => failed(msg, 0),
    }
}

fn failed(msg: String, elapsed: u64) -> Outcome {
    let mut outcome = Outcome::failed(msg);
    outcome.data.insert("elapsed".into(), Json::from(elapsed));
    outcome
}

struct Waiter<'a> {
    args: &'a Args,
    host: &'a Host,
    regex: Option<Regex>,
    path: Option<PathBuf>,
    start: Instant,
    end: Instant,
}

/// What a satisfied wait found.
#[derive(Default)]
struct Found {
    groups: Vec<Json>,
    named: serde_json::Map<String, Json>,
}

impl<'a> Waiter<'a> {
    fn new(args: &'a Args, host: &'a Host) -> Result<Waiter<'a>, String> {
        if args.port.is_some() && args.path.is_some() {
            return Err("port and path parameter can not both be passed to wait_for".into());
        }
        if args.path.is_some() && args.state == State::Stopped {
            return Err(
                "state=stopped should only be used for checking a port in the wait_for module"
                    .into(),
            );
        }
        if args.state == State::Drained {
            return Err(
                "wait_for: state=drained is not supported (it reads the kernel's connection table)"
                    .into(),
            );
        }
        let regex = args
            .search_regex
            .as_deref()
            .map(|text| {
                RegexBuilder::new(text)
                    .multi_line(true)
                    .build()
                    .map_err(|err| format!("Invalid regular expression: {err}"))
            })
            .transpose()?;
        let start = Instant::now();
        Ok(Waiter {
            args,
            host,
            regex,
            path: args.path.as_ref().map(|path| Path::new("/").join(path)),
            start,
            end: start + Duration::from_secs(args.timeout),
        })
    }

    fn elapsed(&self) -> u64 {
        self.start.elapsed().as_secs()
    }

    /// Sleep `seconds`, or less when a stop signal arrives; false when one did.
    fn pause(&self, seconds: u64) -> bool {
        let until = Instant::now() + Duration::from_secs(seconds);
        while Instant::now() < until {
            if interrupt::pending().is_some() {
                return false;
            }
            std::thread::sleep(Duration::from_millis(50).min(until - Instant::now()));
        }
        true
    }

    fn run(self) -> Outcome {
        let args = self.args;
        if !self.pause(args.delay) {
            return failed("wait_for: interrupted".into(), self.elapsed());
        }
        let found = if args.port.is_none() && self.path.is_none() {
            let left = self.end.saturating_duration_since(Instant::now()).as_secs();
            self.pause(left);
            Ok(Found::default())
        } else {
            self.poll()
        };
        match found {
            Err(msg) => failed(msg, self.elapsed()),
            Ok(found) => {
                let mut outcome = Outcome::ok();
                let data = &mut outcome.data;
                data.insert("state".into(), json!(args.state.name()));
                data.insert("port".into(), json!(args.port));
                data.insert("search_regex".into(), json!(args.search_regex));
                data.insert("match_groups".into(), Json::Array(found.groups));
                data.insert("match_groupdict".into(), Json::Object(found.named));
                data.insert("path".into(), json!(args.path));
                data.insert("elapsed".into(), json!(self.elapsed()));
                outcome
            }
        }
    }

    /// Check, sleep, check again until the condition holds or the time is up.
    fn poll(&self) -> Result<Found, String> {
        let wants_gone = matches!(self.args.state, State::Stopped | State::Absent);
        loop {
            let check = if wants_gone {
                self.gone().map(|gone| gone.then(Found::default))
            } else {
                self.there()
            };
            if let Some(found) = check? {
                return Ok(found);
            }
            if Instant::now() >= self.end || !self.pause(self.args.sleep) {
                return Err(self.timeout_msg());
            }
        }
    }

    fn gone(&self) -> Result<bool, String> {
        match (&self.path, self.args.port) {
            (Some(path), _) => Ok(!self.host.exists(path).map_err(|err| err.to_string())?),
            (None, Some(port)) => Ok(self.connect(port).is_none()),
            (None, None) => Ok(true),
        }
    }

    /// The start condition: `Some` once it holds.
    fn there(&self) -> Result<Option<Found>, String> {
        if let Some(path) = &self.path {
            let Some(regex) = &self.regex else {
                return Ok(self
                    .host
                    .exists(path)
                    .map_err(|err| err.to_string())?
                    .then(Found::default));
            };
            let content = match self.host.read_file(path) {
                Ok(content) => content.unwrap_or_default(),
                Err(_) => return Ok(None),
            };
            return Ok(regex.captures(&content).map(|caps| found(regex, &caps)));
        }
        let Some(port) = self.args.port else {
            return Ok(Some(Found::default()));
        };
        let Some(mut stream) = self.connect(port) else {
            return Ok(None);
        };
        let Some(regex) = &self.regex else {
            return Ok(Some(Found::default()));
        };
        let mut data = Vec::new();
        let mut buffer = [0u8; 1024];
        while Instant::now() < self.end && interrupt::pending().is_none() {
            let left = self.end.saturating_duration_since(Instant::now());
            let _ = stream.set_read_timeout(Some(
                left.clamp(Duration::from_millis(1), Duration::from_millis(200)),
            ));
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => {
                    data.extend_from_slice(&buffer[..n]);
                    if regex.is_match(&data) {
                        // Ansible gives no groups for a port's match.
                        return Ok(Some(Found::default()));
                    }
                }
                Err(err)
                    if matches!(
                        err.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) => {}
                Err(_) => break,
            }
        }
        Ok(None)
    }

    fn connect(&self, port: u16) -> Option<TcpStream> {
        let left = self.end.saturating_duration_since(Instant::now());
        let timeout = Duration::from_secs(self.args.connect_timeout)
            .min(left)
            .max(Duration::from_millis(100));
        let addresses = (self.args.host.as_str(), port).to_socket_addrs().ok()?;
        addresses
            .into_iter()
            .find_map(|address| TcpStream::connect_timeout(&address, timeout).ok())
    }

    fn timeout_msg(&self) -> String {
        if let Some(msg) = &self.args.msg {
            return msg.clone();
        }
        let args = self.args;
        let host = &args.host;
        let path = args.path.as_deref().unwrap_or_default();
        let port = args.port.unwrap_or_default();
        match (args.state, args.port.is_some(), &args.search_regex) {
            (State::Stopped | State::Absent, true, _) => {
                format!("Timeout when waiting for {host}:{port} to stop.")
            }
            (State::Stopped | State::Absent, false, _) => {
                format!("Timeout when waiting for {path} to be absent.")
            }
            (_, true, Some(regex)) => {
                format!("Timeout when waiting for search string {regex} in {host}:{port}")
            }
            (_, true, None) => format!("Timeout when waiting for {host}:{port}"),
            (_, false, Some(regex)) => {
                format!("Timeout when waiting for search string {regex} in {path}")
            }
            (_, false, None) => format!("Timeout when waiting for file {path}"),
        }
    }
}

/// The groups of a match on a file, as Ansible registers them.
fn found(regex: &Regex, caps: &regex::bytes::Captures) -> Found {
    let text = |m: Option<regex::bytes::Match>| {
        m.map_or(Json::Null, |m| {
            Json::String(String::from_utf8_lossy(m.as_bytes()).into_owned())
        })
    };
    Found {
        groups: (1..caps.len()).map(|i| text(caps.get(i))).collect(),
        named: regex
            .capture_names()
            .flatten()
            .map(|name| (name.to_string(), text(caps.name(name))))
            .collect(),
    }
}
