//! `ansible_connection: ssh`: the OpenSSH client itself (`ssh`), so ~/.ssh/config,
//! the agent, known_hosts, ProxyJump and certificates work as for the user. One
//! multiplexed connection per host (ControlMaster, its socket in a private 0700
//! folder of this run, closed with the run); the agent, this executable, is copied
//! once to `~/.cache/machinist/agent/SHA256` on the target (a folder owned by the
//! connecting user, 0700) and its sha256 checked by the target's `sha256sum` before
//! every start. A host's agents (one per become: run/remote.rs) share its
//! multiplexed connection ([`SshConnection::start_as`]). `become` runs it through sudo (`-n`, or `-S` answering sudo's prompt
//! with the password given): as root, the connecting user's copy; as another user,
//! one cached in THAT user's home (0700, its own), written and run through
//! `sudo -u USER sh -c` (nothing is made readable to others). `become_method: su`
//! runs the connecting user's copy as a launcher (`agent --via-su USER`,
//! runner/agent/via_su.rs) that drives su on a pty of its own and hands the agent
//! its pipes and a sealed copy of itself; su's password prompt is relayed as sudo's
//! is, with the same [`BECOME_PROMPT`]. run0 is refused (said missing when the host
//! lacks it). Nothing of the controller's environment goes along: ssh
//! runs with HOME, USER, LOGNAME, PATH and SSH_AUTH_SOCK only (no LANG for SendEnv).

mod upload;

use super::session::{AgentSession, BecomePrompt, Setup};
use super::Unreachable;
use crate::agent::identity::AgentExe;
// The prompt sudo is given and su's launcher says, recognized on stderr.
use crate::agent::via_su::BECOME_PROMPT;
pub use crate::inventory::connection::Become;
use crate::inventory::connection::{Connection, Target};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use upload::UPLOAD_READY;

/// How the script below says the cached agent is missing or not the right one.
const MISSING: &str = "machinist-agent-missing";

/// The folder of the cached agent, relative to the user's home on the target.
const CACHE: &str = ".cache/machinist/agent";

/// How many agents (versions) a host's cache keeps: a new copy removes the oldest
/// past this many (an agent running from a removed file runs on).
const KEPT_AGENTS: usize = 3;

/// The controller's environment ssh keeps: what finds the user's keys and agent.
const KEPT_ENVIRONMENT: &[&str] = &["HOME", "USER", "LOGNAME", "PATH", "SSH_AUTH_SOCK"];

/// How an ssh host is reached (its inventory variables).
#[derive(Debug, Clone, Default)]
pub struct SshTarget {
    /// `ansible_host`, else the inventory name.
    pub address: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub private_key_file: Option<PathBuf>,
    /// `ansible_ssh_common_args` and `ansible_ssh_extra_args`, split as a shell would.
    pub common_args: Vec<String>,
    pub extra_args: Vec<String>,
    pub become_: Option<Become>,
}

impl SshTarget {
    /// The ssh side of an inventory host's target.
    pub fn of(target: &Target) -> SshTarget {
        SshTarget {
            address: target.address.clone(),
            port: target.port,
            user: target.user.clone(),
            private_key_file: target.private_key_file.clone(),
            common_args: target.ssh_common_args.clone(),
            extra_args: target.ssh_extra_args.clone(),
            become_: target.become_.clone(),
        }
    }
}

/// One host's multiplexed ssh connection and its private control folder.
pub struct SshConnection {
    name: String,
    target: SshTarget,
    control: tempfile::TempDir,
    closed: std::sync::atomic::AtomicBool,
}

impl SshConnection {
    pub fn new(name: &str, target: SshTarget) -> Result<SshConnection, Unreachable> {
        if let Some(become_) = &target.become_ {
            if let Some(why) = become_.refusal(Connection::Ssh) {
                return Err(Unreachable::new(name, why));
            }
        }
        // A private folder (0700) for the control socket.
        let control = tempfile::Builder::new()
            .prefix("machinist-ssh-")
            .tempdir()
            .map_err(|err| {
                Unreachable::new(name, format!("cannot make a control folder: {err}"))
            })?;
        Ok(SshConnection {
            name: name.to_string(),
            target,
            control,
            closed: std::sync::atomic::AtomicBool::new(false),
        })
    }

    /// Start the agent on the host as its target's become, copying it there first
    /// when its cache lacks it.
    pub fn start(&self, setup: &Setup) -> Result<AgentSession, Unreachable> {
        self.start_as(setup, self.target.become_.as_ref())
    }

    /// Start an agent as `become_` (`None`: the connecting user) through this
    /// host's multiplexed connection: another session of the same host shares it.
    pub fn start_as(
        &self,
        setup: &Setup,
        become_: Option<&Become>,
    ) -> Result<AgentSession, Unreachable> {
        if let Some(become_) = become_ {
            if let Some(why) = become_.refusal(Connection::Ssh) {
                return Err(Unreachable::new(&self.name, why));
            }
            if become_.method == "run0" {
                return Err(self.run0_refusal());
            }
        }
        let hash = &self.agent_hash(&setup.agent)?;
        match self.start_cached(hash, setup, become_) {
            Err(err) if err.message.contains(MISSING) => {
                self.upload(&setup.agent, Self::own_cache_user(become_))?;
                self.start_cached(hash, setup, become_)
            }
            started => started,
        }
        .map_err(|err| {
            // The prompt answered is no part of what went wrong.
            let message = err.message.replace(BECOME_PROMPT, "");
            Unreachable::new(&self.name, plain_ssh_error(&message))
        })
    }

    /// The sha256 naming the agent's cached copy (read once per run).
    fn agent_hash(&self, agent: &AgentExe) -> Result<String, Unreachable> {
        agent.sha256().map(str::to_string).map_err(|err| {
            Unreachable::new(
                &self.name,
                format!("cannot read machinist's own executable: {err}"),
            )
        })
    }

    /// The become user whose own cache the agent runs from: one sudo makes, other
    /// than root (root can run the connecting user's copy; another user cannot read
    /// it). su's become user runs a sealed copy the launcher hands it.
    fn own_cache_user(become_: Option<&Become>) -> Option<&Become> {
        become_.filter(|become_| become_.method != "su" && become_.user != "root")
    }

    /// `script` as the shell command ssh runs: as the connecting user, or through
    /// sudo as the become user whose cache it works in.
    fn in_cache_owner_shell(script: String, become_: Option<&Become>) -> String {
        match Self::own_cache_user(become_) {
            None => script,
            Some(become_) => format!("exec {}sh -c {}", sudo(become_), shell_quote(&script)),
        }
    }

    fn start_cached(
        &self,
        hash: &str,
        setup: &Setup,
        become_: Option<&Become>,
    ) -> Result<AgentSession, Unreachable> {
        // Root runs the connecting user's copy through sudo; another sudo become user
        // runs its own; su's is started by the connecting user's copy.
        let (runner, launcher) = match become_ {
            Some(become_) if become_.method == "su" => (String::new(), via_su(become_)),
            Some(become_) if Self::own_cache_user(Some(become_)).is_none() => {
                (sudo(become_), String::new())
            }
            _ => (String::new(), String::new()),
        };
        let script = Self::in_cache_owner_shell(
            format!(
                r#"d="$HOME/{CACHE}"; f="$d/{hash}"
if [ ! -f "$f" ]; then echo {MISSING} >&2; exit 97; fi
{private}
if [ "$(sha256sum < "$f")" != "{hash}  -" ]; then echo {MISSING} >&2; exit 97; fi
exec {runner}"$f" agent{launcher}"#,
                private = PRIVATE_CHECK,
            ),
            become_,
        );
        AgentSession::start(
            &self.name,
            self.ssh(&script),
            setup,
            true,
            become_prompt(become_),
        )
    }

    /// Copy this executable into the cache (the connecting user's, or the become
    /// user's, written as that user through sudo): a temp file in the private folder,
    /// checked, then renamed; refused before sending when the host's architecture is
    /// not the one machinist was built for. The bytes go only once the script says it
    /// reads them ([`UPLOAD_READY`]), so sudo's password, given when it asks, never
    /// mixes with them.
    fn upload(&self, agent: &AgentExe, become_: Option<&Become>) -> Result<(), Unreachable> {
        let hash = &self.agent_hash(agent)?;
        let arch = std::env::consts::ARCH;
        let script = Self::in_cache_owner_shell(
            format!(
                r#"a="$(uname -m)"; if [ "$a" != "{arch}" ]; then echo "this host is $a, machinist was built for {arch}: build one for it (docs/connections.md)" >&2; exit 1; fi
umask 077; d="$HOME/{CACHE}"
if ! mkdir -p "$d" 2>/dev/null || ! chmod 700 "$d"; then echo "cannot make $d for the agent: $(id -un) needs a home folder it can write" >&2; exit 1; fi
{private}
t="$(mktemp "$d/.upload.XXXXXX")" || exit 1
echo {UPLOAD_READY} >&2
if cat > "$t" && [ "$(sha256sum < "$t")" = "{hash}  -" ] && chmod 700 "$t" && mv -f "$t" "$d/{hash}"; then
  ls -t "$d" | grep -E '^[0-9a-f]{{64}}$' | tail -n +{keep} | while read -r old; do rm -f "$d/$old"; done
  exit 0
fi
rm -f "$t"; echo "the copy of machinist did not arrive whole" >&2; exit 1"#,
                private = PRIVATE_CHECK,
                keep = KEPT_AGENTS + 1,
            ),
            become_,
        );
        let exe = std::fs::File::open(&agent.path)
            .map_err(|err| Unreachable::new(&self.name, format!("cannot read machinist: {err}")))?;
        tracing::debug!(host = %self.name, hash, "copying the agent");
        upload::send(&self.name, self.ssh(&script), exe, become_prompt(become_))
    }

    /// run0 (systemd 256+) is not driven over ssh: refused, saying whether the host
    /// has it at all.
    fn run0_refusal(&self) -> Unreachable {
        let found = self
            .ssh("command -v run0 >/dev/null 2>&1 || exit 3")
            .stdin(Stdio::null())
            .output()
            .map_err(|err| Unreachable::new(&self.name, format!("cannot run ssh: {err}")));
        let message = match found {
            Err(err) => return err,
            Ok(output) if output.status.success() => {
                "become_method run0 is not supported over ssh yet: run0 asks polkit, which \
                 has no one to answer over a pipe (use sudo)"
                    .to_string()
            }
            Ok(output) if output.status.code() == Some(3) => "run0 is not on this host \
                 (it came with systemd 256; Debian 12's systemd 252 has none): use \
                 become_method sudo or su"
                .to_string(),
            Ok(output) => plain_ssh_error(String::from_utf8_lossy(&output.stderr).trim()),
        };
        Unreachable::new(&self.name, message)
    }

    /// `ssh … HOST 'sh -c SCRIPT'` through this host's multiplexed connection.
    fn ssh(&self, script: &str) -> Command {
        let mut command = self.ssh_to_host(&[]);
        command.arg(format!("sh -c {}", shell_quote(script)));
        command
    }

    /// ssh with its options and the host, before the remote command.
    fn ssh_to_host(&self, options: &[&str]) -> Command {
        let target = &self.target;
        let mut command = Command::new("ssh");
        command.env_clear();
        for name in KEPT_ENVIRONMENT {
            if let Some(value) = std::env::var_os(name) {
                command.env(name, value);
            }
        }
        // ssh takes the first value given for an option: the user's come first.
        command.args(&target.common_args).args(&target.extra_args);
        if let Some(port) = target.port {
            command.arg("-p").arg(port.to_string());
        }
        if let Some(user) = &target.user {
            command.arg("-l").arg(user);
        }
        if let Some(key) = &target.private_key_file {
            command.arg("-i").arg(key);
        }
        command
            .args(["-o", "ControlMaster=auto", "-o", "ControlPersist=60s"])
            .arg("-o")
            .arg(format!("ControlPath={}", self.control_path().display()))
            .args(["-o", "ConnectTimeout=10", "-T"])
            .args(options)
            .arg("--")
            .arg(&target.address);
        command
    }

    /// The master's `ControlPath` (with ssh's `%C`: one socket per host, port, user).
    pub fn control_path(&self) -> PathBuf {
        self.control.path().join("%C")
    }

    /// End the multiplexed connection (its master would otherwise linger for
    /// ControlPersist).
    pub fn close(&self) {
        if self.closed.swap(true, std::sync::atomic::Ordering::SeqCst) {
            return;
        }
        let _ = self
            .ssh_to_host(&["-O", "exit"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for SshConnection {
    fn drop(&mut self) {
        self.close();
    }
}

/// What answers sudo's prompt, when `become_` has a password.
fn become_prompt(become_: Option<&Become>) -> Option<BecomePrompt<'_>> {
    become_?.password.as_deref().map(|password| BecomePrompt {
        prompt: BECOME_PROMPT,
        password,
    })
}

/// ` --via-su USER` (with `--ask-password` when there is one to give): the agent's
/// arguments that make it su's launcher.
fn via_su(become_: &Become) -> String {
    let ask = match become_.password {
        Some(_) => " --ask-password",
        None => "",
    };
    format!(" --via-su {}{ask}", shell_quote(&become_.user))
}

/// `sudo -u USER -- ` (`-S` with the prompt machinist answers, else `-n`).
fn sudo(become_: &Become) -> String {
    match &become_.password {
        Some(_) => format!(
            "sudo -H -S -p '{BECOME_PROMPT}' -u {} -- ",
            shell_quote(&become_.user)
        ),
        None => format!("sudo -H -n -u {} -- ", shell_quote(&become_.user)),
    }
}

/// The cache folder must be the connecting user's, 0700, not a link.
const PRIVATE_CHECK: &str = r#"if [ -L "$d" ] || [ "$(stat -c %u:%a "$d")" != "$(id -u):700" ]; then echo "$d is not a private folder (0700) of $(id -un): machinist will not run an agent from it" >&2; exit 1; fi"#;

/// A word for the remote shell, in single quotes.
fn shell_quote(word: &str) -> String {
    format!("'{}'", word.replace('\'', r#"'\''"#))
}

/// ssh's long warnings said in one line: a changed host key names the key it got.
fn plain_ssh_error(message: &str) -> String {
    if message.contains("REMOTE HOST IDENTIFICATION HAS CHANGED") {
        let key = message
            .split("The fingerprint for the ")
            .nth(1)
            .map(|rest| {
                let words: Vec<&str> = rest.split_whitespace().collect();
                // "ED25519 key sent by the remote host is SHA256:…."
                let kind = words.first().copied().unwrap_or("host");
                let fingerprint = words
                    .iter()
                    .find(|word| word.starts_with("SHA256:"))
                    .map(|word| word.trim_end_matches('.'))
                    .unwrap_or("(unknown)");
                format!("{kind} key {fingerprint}")
            })
            .unwrap_or_else(|| "host key".into());
        return format!(
            "host key verification failed: the host offered the {key}, which is not the \
             one known_hosts has for it"
        );
    }
    message.to_string()
}
