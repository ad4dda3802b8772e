//! A project's `ansible.cfg`, read as defaults of the command line. A project moved
//! from Ansible keeps its inventory, remote user, key, forks, vault password file and
//! become settings there; ignoring the file would run such a project against the
//! implicit localhost. It is found where ansible-core looks, first found wins:
//! `$ANSIBLE_CONFIG`, `./ansible.cfg` (not in a world-writable folder, as Ansible
//! refuses it there), `~/.ansible.cfg`, `/etc/ansible/ansible.cfg`. A flag given on
//! the command line wins over the file; a setting machinist does not follow is named
//! in a warning, never dropped silently.

use crate::cli::RunArgs;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};

/// One `key = value` of the file, with where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Setting {
    pub section: String,
    pub key: String,
    pub value: String,
    pub line: usize,
}

/// The file found and its settings.
#[derive(Debug, Clone)]
pub struct AnsibleCfg {
    pub path: PathBuf,
    pub settings: Vec<Setting>,
}

/// Settings that change nothing in machinist because it does the thing anyway (or has
/// no such machinery): read without a warning. `gathering` and `host_key_checking`
/// reach this list only with the values machinist follows anyway; the others warn.
/// Settings that change what is shown (`stdout_callback`, `display_ok_hosts`, …) are
/// not here: they warn.
const NOTHING_TO_DO: &[(&str, &str)] = &[
    ("defaults", "retry_files_enabled"),
    ("defaults", "retry_files_save_path"),
    ("defaults", "nocows"),
    ("defaults", "interpreter_python"),
    ("defaults", "deprecation_warnings"),
    ("defaults", "command_warnings"),
    ("defaults", "system_warnings"),
    ("defaults", "localhost_warning"),
    ("defaults", "bin_ansible_callbacks"),
    ("defaults", "gathering"),
    ("defaults", "host_key_checking"),
    ("ssh_connection", "pipelining"),
    ("ssh_connection", "control_path"),
    ("ssh_connection", "control_path_dir"),
    ("ssh_connection", "scp_if_ssh"),
    ("ssh_connection", "transfer_method"),
    ("connection", "pipelining"),
];

/// The file ansible-core would read, if there is one.
pub fn find() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ANSIBLE_CONFIG").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        let path = if path.is_dir() {
            path.join("ansible.cfg")
        } else {
            path
        };
        return path.is_file().then_some(path);
    }
    let here = Path::new("ansible.cfg");
    if here.is_file() && !world_writable(Path::new(".")) {
        return Some(here.to_path_buf());
    }
    let home = std::env::var_os("HOME").map(|home| Path::new(&home).join(".ansible.cfg"));
    [home, Some(PathBuf::from("/etc/ansible/ansible.cfg"))]
        .into_iter()
        .flatten()
        .find(|path| path.is_file())
}

fn world_writable(dir: &Path) -> bool {
    std::fs::metadata(dir).is_ok_and(|meta| meta.permissions().mode() & 0o002 != 0)
}

impl AnsibleCfg {
    /// The file at `path`, read.
    pub fn read(path: &Path) -> Result<AnsibleCfg, String> {
        let text = crate::input::read_text(path, crate::input::MAX_TEXT_BYTES)
            .map_err(|err| format!("{}: {err}", path.display()))?;
        let settings = parse(&text).map_err(|err| format!("{}:{err}", path.display()))?;
        Ok(AnsibleCfg {
            path: path.to_path_buf(),
            settings,
        })
    }

    fn get(&self, section: &str, key: &str) -> Option<&Setting> {
        self.settings
            .iter()
            .rev()
            .find(|s| s.section == section && s.key == key)
    }

    /// A path the file names, relative to the file's folder as Ansible reads it.
    fn path_of(&self, value: &str) -> String {
        let expanded = match (value.strip_prefix("~/"), std::env::var_os("HOME")) {
            (Some(rest), Some(home)) => Path::new(&home).join(rest),
            _ => PathBuf::from(value),
        };
        if expanded.is_absolute() {
            return expanded.display().to_string();
        }
        let base = self.path.parent().unwrap_or(Path::new("."));
        base.join(expanded).display().to_string()
    }

    /// `-i` from the file's `inventory` (a comma list of paths), when not given.
    pub fn fill_inventory(&self, hosts: &mut crate::cli::HostArgs) {
        let Some(setting) = self
            .get("defaults", "inventory")
            .or_else(|| self.get("defaults", "hostfile"))
        else {
            return;
        };
        if hosts.inventory.is_empty() {
            hosts.inventory = setting
                .value
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| self.path_of(p))
                .collect();
        }
    }

    /// The roles folders of `roles_path` (colon separated), if the file sets it.
    pub fn roles_path(&self) -> Vec<PathBuf> {
        self.get("defaults", "roles_path")
            .map(|s| {
                s.value
                    .split(':')
                    .filter(|p| !p.trim().is_empty())
                    .map(|p| PathBuf::from(self.path_of(p.trim())))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Fill what `args` leaves unsaid from the file; the warnings name each setting
    /// machinist does not follow.
    pub fn apply(&self, args: &mut RunArgs) -> Vec<String> {
        let mut warnings = Vec::new();
        let shown = self.path.display();
        for setting in &self.settings {
            let section = setting.section.as_str();
            let key = setting.key.as_str();
            let value = setting.value.as_str();
            let here = format!("{shown}:{}: [{section}] {key}", setting.line);
            match (section, key) {
                ("defaults", "inventory" | "hostfile") => self.fill_inventory(&mut args.hosts),
                ("defaults", "remote_user") => fill(&mut args.connection.user, value),
                ("defaults", "private_key_file") => {
                    fill(&mut args.connection.private_key, &self.path_of(value))
                }
                ("defaults", "timeout") => fill(&mut args.connection.timeout, value),
                ("defaults", "forks") => match value.parse::<u16>() {
                    Ok(forks) if forks > 0 && args.forks == DEFAULT_FORKS => args.forks = forks,
                    Ok(forks) if forks > 0 => {}
                    _ => warnings.push(format!("{here}: '{value}' is not a number of forks")),
                },
                ("defaults", "vault_password_file")
                    if args.vault.vault_password_files.is_empty()
                        && args.vault.vault_ids.is_empty()
                        && !args.vault.ask_vault_pass =>
                {
                    args.vault.vault_password_files = vec![PathBuf::from(self.path_of(value))];
                }
                ("defaults", "ask_vault_pass") if boolean(value) == Some(true) => {
                    args.vault.ask_vault_pass |= args.vault.vault_password_files.is_empty();
                }
                ("defaults", "roles_path") => {}
                ("defaults", "host_key_checking") if boolean(value) == Some(false) => {
                    warnings.push(format!(
                        "{here} = {value} is not followed: machinist checks ssh host keys \
                         (add the hosts to known_hosts, or give ansible_ssh_common_args \
                         '-o StrictHostKeyChecking=accept-new')"
                    ));
                }
                ("defaults", "gathering") if !matches!(value, "implicit" | "smart") => {
                    warnings.push(format!(
                        "{here} = {value} is not followed: plays gather facts unless they \
                         say `gather_facts: false`"
                    ));
                }
                ("privilege_escalation", "become") => {
                    args.become_password.become_ |= boolean(value) == Some(true);
                }
                ("privilege_escalation", "become_user") => {
                    fill(&mut args.become_password.become_user, value)
                }
                ("privilege_escalation", "become_method") => {
                    fill(&mut args.become_password.become_method, value)
                }
                ("privilege_escalation", "become_ask_pass") => {
                    args.become_password.ask_become_pass |= boolean(value) == Some(true)
                        && args.become_password.become_password_file.is_none();
                }
                ("ssh_connection", "ssh_args" | "ssh_common_args") => {
                    fill(&mut args.connection.ssh_common_args, value)
                }
                ("ssh_connection", "ssh_extra_args") => {
                    fill(&mut args.connection.ssh_extra_args, value)
                }
                ("diff", "always") => args.diff |= boolean(value) == Some(true),
                ("defaults", "show_custom_stats") => match boolean(value) {
                    Some(show) => args.show_custom_stats = show,
                    None => warnings.push(format!("{here}: '{value}' is not a boolean")),
                },
                _ if NOTHING_TO_DO.contains(&(section, key)) => {}
                ("defaults", "vault_password_file" | "ask_vault_pass") => {}
                _ => warnings.push(format!("{here} is not read by machinist")),
            }
        }
        if !warnings.is_empty() {
            tracing::debug!(file = %shown, "ansible.cfg read with warnings");
        }
        warnings
    }
}

/// The environment's settings over the file's, as ansible-core's config manager takes
/// them (only those machinist follows): `ANSIBLE_SHOW_CUSTOM_STATS`. The warnings name
/// values that are no booleans.
pub fn apply_env(args: &mut RunArgs) -> Vec<String> {
    let mut warnings = Vec::new();
    if let Some(value) = std::env::var_os("ANSIBLE_SHOW_CUSTOM_STATS") {
        let value = value.to_string_lossy();
        match boolean(value.trim()) {
            Some(show) => args.show_custom_stats = show,
            None => warnings.push(format!(
                "ANSIBLE_SHOW_CUSTOM_STATS: '{value}' is not a boolean"
            )),
        }
    }
    warnings
}

/// `-f`'s default: a `forks` in the file counts only when the flag was not given.
const DEFAULT_FORKS: u16 = 5;

fn fill(slot: &mut Option<String>, value: &str) {
    if slot.is_none() {
        *slot = Some(value.to_string());
    }
}

/// Ansible's booleans in a config file.
fn boolean(value: &str) -> Option<bool> {
    match value.to_ascii_lowercase().as_str() {
        "yes" | "y" | "true" | "t" | "on" | "1" => Some(true),
        "no" | "n" | "false" | "f" | "off" | "0" => Some(false),
        _ => None,
    }
}

/// Python configparser's reading as ansible-core configures it: `[section]` headers,
/// `key = value` or `key: value`, whole-line `#`/`;` comments, `;` after whitespace
/// ending a value, indented lines continuing the value before them. Keys are
/// lowercased, as configparser does.
pub fn parse(text: &str) -> Result<Vec<Setting>, String> {
    let mut settings: Vec<Setting> = Vec::new();
    let mut section: Option<String> = None;
    for (index, raw) in text.lines().enumerate() {
        let line = index + 1;
        let trimmed = raw.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed.starts_with(';') {
            continue;
        }
        let continues = raw.starts_with([' ', '\t']);
        if continues {
            if let Some(last) = settings.last_mut() {
                if !last.value.is_empty() {
                    last.value.push('\n');
                }
                last.value.push_str(strip_inline_comment(trimmed));
                continue;
            }
        }
        if let Some(name) = trimmed.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
            section = Some(name.trim().to_string());
            continue;
        }
        let Some(at) = trimmed.find(['=', ':']) else {
            return Err(format!("{line}: not a `key = value` line: {trimmed}"));
        };
        let Some(section) = &section else {
            return Err(format!("{line}: a setting before any [section]"));
        };
        settings.push(Setting {
            section: section.clone(),
            key: trimmed[..at].trim().to_ascii_lowercase(),
            value: strip_inline_comment(trimmed[at + 1..].trim()).to_string(),
            line,
        });
    }
    Ok(settings)
}

fn strip_inline_comment(value: &str) -> &str {
    let cut = value
        .char_indices()
        .find(|(at, c)| *c == ';' && value[..*at].ends_with([' ', '\t']))
        .map_or(value.len(), |(at, _)| at);
    value[..cut].trim_end()
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    fn run_args(flags: &[&str]) -> RunArgs {
        let mut argv = vec!["machinist", "run"];
        argv.extend_from_slice(flags);
        argv.push("site.yml");
        match crate::cli::Cli::parse_from(argv).command {
            crate::cli::Command::Run(args) => *args,
            _ => unreachable!("a run"),
        }
    }

    fn cfg(text: &str) -> AnsibleCfg {
        AnsibleCfg {
            path: PathBuf::from("/srv/project/ansible.cfg"),
            settings: parse(text).expect("parses"),
        }
    }

    #[test]
    fn reads_as_configparser_does() {
        let settings = parse(
            "# comment\n[defaults]\nInventory = hosts.ini ; inline\nroles_path: roles:\n  /opt/roles\n; another\n[ssh_connection]\nssh_args=-o A=b\n",
        )
        .expect("parses");
        let pairs: Vec<(&str, &str, &str)> = settings
            .iter()
            .map(|s| (s.section.as_str(), s.key.as_str(), s.value.as_str()))
            .collect();
        assert_eq!(
            pairs,
            [
                ("defaults", "inventory", "hosts.ini"),
                ("defaults", "roles_path", "roles:\n/opt/roles"),
                ("ssh_connection", "ssh_args", "-o A=b"),
            ]
        );
        assert!(parse("key = value\n").is_err());
        assert!(parse("[defaults]\njust words\n").is_err());
    }

    #[test]
    fn fills_what_the_command_line_leaves_unsaid() {
        let file = cfg("[defaults]\ninventory = inventory/hosts,extra.yml\nremote_user = deploy\nprivate_key_file = ~/.ssh/id_deploy\nforks = 20\nvault_password_file = .vault_pass\n[privilege_escalation]\nbecome = True\nbecome_user = admin\n[ssh_connection]\nssh_args = -o ForwardAgent=yes\npipelining = True\n");
        let mut args = run_args(&[]);
        let warnings = file.apply(&mut args);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            args.hosts.inventory,
            ["/srv/project/inventory/hosts", "/srv/project/extra.yml"]
        );
        assert_eq!(args.connection.user.as_deref(), Some("deploy"));
        assert!(args
            .connection
            .private_key
            .as_deref()
            .is_some_and(|key| key.ends_with("/.ssh/id_deploy") && key.starts_with('/')));
        assert_eq!(args.forks, 20);
        assert_eq!(
            args.vault.vault_password_files,
            [PathBuf::from("/srv/project/.vault_pass")]
        );
        assert!(args.become_password.become_);
        assert_eq!(args.become_password.become_user.as_deref(), Some("admin"));
        assert_eq!(
            args.connection.ssh_common_args.as_deref(),
            Some("-o ForwardAgent=yes")
        );

        // Flags win.
        let mut args = run_args(&["-i", "other", "-u", "me", "-f", "3"]);
        file.apply(&mut args);
        assert_eq!(args.hosts.inventory, ["other"]);
        assert_eq!(args.connection.user.as_deref(), Some("me"));
        assert_eq!(args.forks, 3);
    }

    #[test]
    fn show_custom_stats_is_followed() {
        let mut args = run_args(&[]);
        assert!(!args.show_custom_stats);
        let warnings = cfg("[defaults]\nshow_custom_stats = yes\n").apply(&mut args);
        assert!(warnings.is_empty(), "{warnings:?}");
        assert!(args.show_custom_stats);
        let warnings = cfg("[defaults]\nshow_custom_stats = sometimes\n").apply(&mut args);
        assert!(warnings[0].ends_with("[defaults] show_custom_stats: 'sometimes' is not a boolean"));
    }

    #[test]
    fn names_what_it_does_not_follow() {
        let file = cfg("[defaults]\nhost_key_checking = False\ncallbacks_enabled = timer\nnocows = 1\n[galaxy]\nserver = x\n");
        let warnings = file.apply(&mut run_args(&[]));
        assert_eq!(warnings.len(), 3, "{warnings:?}");
        assert!(warnings[0].contains(":2: [defaults] host_key_checking = False is not followed"));
        assert!(warnings[1].ends_with(":3: [defaults] callbacks_enabled is not read by machinist"));
        assert!(warnings[2].contains("[galaxy] server is not read"));
    }

    #[test]
    fn roles_path_is_relative_to_the_file() {
        let file = cfg("[defaults]\nroles_path = roles:/usr/share/roles\n");
        assert_eq!(
            file.roles_path(),
            [
                PathBuf::from("/srv/project/roles"),
                PathBuf::from("/usr/share/roles")
            ]
        );
    }
}
