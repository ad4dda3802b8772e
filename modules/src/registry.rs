//! The built-in modules: one enum, one `match`. Everything that needs the list of
//! modules (validation, dispatch, docs) asks this enum, so nothing keeps a copy.

use crate::{
    apt, apt_repository, archive, args, assemble, authorized_key, blockinfile, command, cron,
    deb822_repository, debconf, expect, file, find, firstboot, get_url, getent, git, group,
    hostname, ini_file, known_hosts, lineinfile, locale_gen, mount, nspawn, package, package_facts,
    pacman, pacstrap, pam_limits, ping, raw, replace, resolv_link, script, service_facts, slurp,
    stat, synchronize, sysctl, temp_file, timezone, unarchive, unit, user, Host, Module,
    ModuleError, Plan,
};
use serde::de::DeserializeOwned;

/// The modules Ansible keeps in a collection, by the collection's prefix: a task may
/// name them either way (`community.general.pacman` or `pacman`).
const COLLECTIONS: &[(&str, &[&str])] = &[
    (
        "community.general.",
        &[
            "pacman",
            "timezone",
            "locale_gen",
            "ini_file",
            "archive",
            "pam_limits",
        ],
    ),
    (
        "ansible.posix.",
        &["authorized_key", "mount", "sysctl", "synchronize"],
    ),
];

/// The enum and its `ALL` written from one list: a variant added to the enum is in
/// `ALL` by construction, and every `match` below is exhaustive, so the compiler asks
/// for the new module's name, doc, arguments and plan.
macro_rules! builtins {
    ($(#[$meta:meta])* pub enum Builtin { $($variant:ident,)* }) => {
        $(#[$meta])*
        pub enum Builtin {
            $($variant,)*
        }

        impl Builtin {
            /// Every built-in, in the enum's order.
            pub const ALL: &'static [Builtin] = &[$(Builtin::$variant,)*];
        }
    };
}

builtins! {
    /// A module implemented in this crate. `Copy` and `Template` are `file` with Ansible's
    /// meaning of `src` (the runner reads or renders the source into `content` first).
    #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
    pub enum Builtin {
        File,
        Copy,
        Template,
        Command,
        Shell,
        Pacstrap,
        Firstboot,
        Unit,
        Nspawn,
        ResolvLink,
        Group,
        User,
        Pacman,
        Package,
        Hostname,
        Sysctl,
        Timezone,
        LocaleGen,
        AuthorizedKey,
        Mount,
        Lineinfile,
        Stat,
        Blockinfile,
        Replace,
        Slurp,
        Find,
        GetUrl,
        Unarchive,
        Assemble,
        Ping,
        Getent,
        Tempfile,
        // modfacts' modules:
        ServiceFacts,
        PackageFacts,
        IniFile,
        PamLimits,
        // modcron: raw, script, cron, known_hosts
        Raw,
        Script,
        Cron,
        KnownHosts,
        // modmisc: expect, archive
        Expect,
        Archive,
        // modgit: git
        Git,
        Synchronize,
        // modapt: apt, debconf
        Apt,
        Debconf,
        // aptrepo: apt_repository
        AptRepository,
        Deb822Repository,
    }
}

impl Builtin {
    pub fn name(self) -> &'static str {
        match self {
            Builtin::File => file::FileModule::NAME,
            Builtin::Copy => "copy",
            Builtin::Template => "template",
            Builtin::Command => command::CommandModule::NAME,
            Builtin::Shell => "shell",
            Builtin::Pacstrap => pacstrap::PacstrapModule::NAME,
            Builtin::Firstboot => firstboot::FirstbootModule::NAME,
            Builtin::Unit => unit::UnitModule::NAME,
            Builtin::Nspawn => nspawn::NspawnModule::NAME,
            Builtin::ResolvLink => resolv_link::ResolvLinkModule::NAME,
            Builtin::Group => group::GroupModule::NAME,
            Builtin::User => user::UserModule::NAME,
            Builtin::Pacman => pacman::PacmanModule::NAME,
            Builtin::Package => package::PackageModule::NAME,
            Builtin::Apt => apt::AptModule::NAME,
            Builtin::Debconf => debconf::DebconfModule::NAME,
            Builtin::AptRepository => apt_repository::AptRepositoryModule::NAME,
            Builtin::Deb822Repository => deb822_repository::Deb822RepositoryModule::NAME,
            Builtin::Mount => mount::MountModule::NAME,
            Builtin::AuthorizedKey => authorized_key::AuthorizedKeyModule::NAME,
            Builtin::LocaleGen => locale_gen::LocaleGenModule::NAME,
            Builtin::Timezone => timezone::TimezoneModule::NAME,
            Builtin::Sysctl => sysctl::SysctlModule::NAME,
            Builtin::Hostname => hostname::HostnameModule::NAME,
            Builtin::Lineinfile => lineinfile::LineinfileModule::NAME,
            Builtin::Stat => stat::StatModule::NAME,
            Builtin::Blockinfile => blockinfile::BlockinfileModule::NAME,
            Builtin::Replace => replace::ReplaceModule::NAME,
            Builtin::Slurp => slurp::SlurpModule::NAME,
            Builtin::Find => find::FindModule::NAME,
            Builtin::GetUrl => get_url::GetUrlModule::NAME,
            Builtin::Unarchive => unarchive::UnarchiveModule::NAME,
            Builtin::Assemble => assemble::AssembleModule::NAME,
            Builtin::Ping => ping::PingModule::NAME,
            Builtin::Getent => getent::GetentModule::NAME,
            Builtin::Tempfile => temp_file::TempfileModule::NAME,
            Builtin::IniFile => ini_file::IniFileModule::NAME,
            Builtin::PamLimits => pam_limits::PamLimitsModule::NAME,
            Builtin::PackageFacts => package_facts::PackageFactsModule::NAME,
            Builtin::ServiceFacts => service_facts::ServiceFactsModule::NAME,
            Builtin::Raw => raw::RawModule::NAME,
            Builtin::Script => script::ScriptModule::NAME,
            Builtin::Cron => cron::CronModule::NAME,
            Builtin::KnownHosts => known_hosts::KnownHostsModule::NAME,
            Builtin::Expect => expect::ExpectModule::NAME,
            Builtin::Archive => archive::ArchiveModule::NAME,
            Builtin::Git => git::GitModule::NAME,
            Builtin::Synchronize => synchronize::SynchronizeModule::NAME,
        }
    }

    /// Other names the module answers to: Ansible's, where the arguments overlap.
    pub fn aliases(self) -> &'static [&'static str] {
        match self {
            // Ansible's service, as systemd's: its pattern, sleep, arguments and
            // runlevel are not arguments here, so they are refused as unknown.
            Builtin::Unit => &["systemd", "systemd_service", "service"],
            _ => &[],
        }
    }

    /// One line for `machinist doc`.
    pub fn summary(self) -> &'static str {
        match self {
            Builtin::File => "Files, directories, links and their content, mode and owner",
            Builtin::Copy => "Ansible's copy: file content from `content` or a file in files/",
            Builtin::Template => "Ansible's template: a file rendered from templates/",
            Builtin::Command => {
                "Run a program (no shell); skipped in check mode unless creates/removes decide"
            }
            Builtin::Shell => "Run a command line through /bin/sh",
            Builtin::Pacstrap => {
                "Install packages into a new root with pacstrap (missing ones only)"
            }
            Builtin::Firstboot => {
                "Locale, keymap, timezone, hostname, root password, machine id of a root"
            }
            Builtin::Unit => {
                "A systemd unit: its file or drop-in, enabled, masked, and (live) started/stopped"
            }
            Builtin::Nspawn => {
                "A systemd-nspawn container: its .nspawn settings, flags, enabled and running"
            }
            Builtin::ResolvLink => "/etc/resolv.conf as a link to systemd-resolved's file",
            Builtin::Group => "A group of the target, through its groupadd/groupmod/groupdel",
            Builtin::User => {
                "An account of the target, through its useradd/usermod/userdel (password as a hash)"
            }
            Builtin::Pacman => "Packages of the target installed, upgraded or removed with pacman",
            Builtin::Package => {
                "Ansible's generic package task: apt on a Debian target, pacman on an Arch one"
            }
            Builtin::Apt => "Packages of a Debian target installed, upgraded or removed with apt",
            Builtin::Debconf => "A Debian package's debconf answer set (pre-seeded), or its answers read",
            Builtin::AptRepository => "A one-line apt repository present in or absent from a Debian target's sources",
            Builtin::Deb822Repository => "An apt repository as a deb822 .sources file of a Debian target (and its key)",
            Builtin::Mount => "An /etc/fstab entry (ansible.posix.mount's present/absent)",
            Builtin::AuthorizedKey => {
                "SSH public keys in a user's authorized_keys (its ~/.ssh 0700, the file 0600)"
            }
            Builtin::LocaleGen => "Locales of the target enabled in /etc/locale.gen and generated",
            Builtin::Timezone => {
                "The target's time zone (/etc/localtime, through systemd-firstboot)"
            }
            Builtin::Sysctl => {
                "A kernel setting in a sysctl file (loaded now on the machine's own /)"
            }
            Builtin::Hostname => {
                "The target's hostname: /etc/hostname (and hostnamectl on the machine's own /)"
            }
            Builtin::Lineinfile => {
                "One line present or absent in a text file (Ansible's lineinfile)"
            }
            Builtin::Stat => "Everything about one path of the target, registered (never changes)",
            Builtin::Blockinfile => {
                "A marked block of lines in a text file (Ansible's blockinfile)"
            }
            Builtin::Replace => "Every match of a regular expression in a file replaced",
            Builtin::Slurp => "A file of the target, registered base64-encoded (never changes)",
            Builtin::Find => "Paths of the target that pass Ansible's find filters, registered",
            Builtin::GetUrl => {
                "Download a file over http(s) (or file://) into the target, verified"
            }
            Builtin::Unarchive => {
                "Unpack a tar (gz, xz, zst, bz2) or zip archive into a directory of the target"
            }
            Builtin::Assemble => "One file of the target joined from the fragments of a directory",
            Builtin::Ping => {
                "Prove the target answers (over a connection: its agent); never changes"
            }
            Builtin::Getent => {
                "Read a name service database of the target (passwd, group, hosts …) into facts"
            }
            Builtin::Tempfile => {
                "A new temporary file or directory in the target's /tmp (always changes)"
            }
            Builtin::PamLimits => {
                "A limit of limits.conf(5) (community.general.pam_limits)"
            }
            Builtin::IniFile => {
                "An option of a section of an INI-style file (community.general.ini_file)"
            }
            Builtin::PackageFacts => {
                "The target's installed packages (apt's, pacman's) as the fact packages"
            }
            Builtin::ServiceFacts => {
                "The target's services (systemd's, or SysV's) as the fact services"
            }
            Builtin::Raw => {
                "A command line run by the target's shell as written (always changed; skipped in check mode)"
            }
            Builtin::Script => {
                "A script of files/ sent into the target, run with its arguments, and removed"
            }
            Builtin::Cron => {
                "A named job or variable of a user's crontab or a cron file (Ansible's markers)"
            }
            Builtin::KnownHosts => {
                "One host's SSH key present in or absent from a known_hosts file"
            }
            Builtin::Expect => {
                "Run a program on a pseudo-terminal and answer its prompts (skipped in check mode)"
            }
            Builtin::Archive => {
                "Pack paths of the target into a tar (gz, bz2, xz, zst) or zip, or compress one file"
            }
            Builtin::Git => {
                "A checkout of a git repository at a branch, tag or commit (the target's git)"
            }
            Builtin::Synchronize => {
                "A tree copied by rsync on this machine, changes from its itemized output"
            }
        }
    }

    /// Arguments, check-mode and diff support, and examples for `machinist doc`.
    pub fn doc(self) -> crate::doc::ModuleDoc {
        match self {
            Builtin::File => file::doc::FILE,
            Builtin::Copy => file::doc::COPY,
            Builtin::Template => file::doc::TEMPLATE,
            Builtin::Command => command::doc::COMMAND,
            Builtin::Shell => command::doc::SHELL,
            Builtin::Pacstrap => pacstrap::doc::PACSTRAP,
            Builtin::Firstboot => firstboot::doc::FIRSTBOOT,
            Builtin::Unit => unit::doc::UNIT,
            Builtin::Nspawn => nspawn::doc::NSPAWN,
            Builtin::ResolvLink => resolv_link::doc::RESOLV_LINK,
            Builtin::Group => group::doc::GROUP,
            Builtin::User => user::doc::USER,
            Builtin::Pacman => pacman::doc::PACMAN,
            Builtin::Package => package::doc::PACKAGE,
            Builtin::Apt => apt::doc::APT,
            Builtin::Debconf => debconf::doc::DEBCONF,
            Builtin::AptRepository => apt_repository::doc::APT_REPOSITORY,
            Builtin::Deb822Repository => deb822_repository::doc::DEB822_REPOSITORY,
            Builtin::Mount => mount::doc::MOUNT,
            Builtin::AuthorizedKey => authorized_key::doc::AUTHORIZED_KEY,
            Builtin::LocaleGen => locale_gen::doc::LOCALE_GEN,
            Builtin::Timezone => timezone::doc::TIMEZONE,
            Builtin::Sysctl => sysctl::doc::SYSCTL,
            Builtin::Hostname => hostname::doc::HOSTNAME,
            Builtin::Lineinfile => lineinfile::doc::LINEINFILE,
            Builtin::Stat => stat::doc::STAT,
            Builtin::Blockinfile => blockinfile::doc::BLOCKINFILE,
            Builtin::Replace => replace::doc::REPLACE,
            Builtin::Slurp => slurp::doc::SLURP,
            Builtin::Find => find::doc::FIND,
            Builtin::GetUrl => get_url::doc::GET_URL,
            Builtin::Unarchive => unarchive::doc::UNARCHIVE,
            Builtin::Assemble => assemble::doc::ASSEMBLE,
            Builtin::Ping => ping::doc::PING,
            Builtin::Getent => getent::doc::GETENT,
            Builtin::Tempfile => temp_file::doc::TEMPFILE,
            Builtin::IniFile => ini_file::doc::INI_FILE,
            Builtin::PamLimits => pam_limits::doc::PAM_LIMITS,
            Builtin::PackageFacts => package_facts::doc::PACKAGE_FACTS,
            Builtin::ServiceFacts => service_facts::doc::SERVICE_FACTS,
            Builtin::Raw => raw::doc::RAW,
            Builtin::Script => script::doc::SCRIPT,
            Builtin::Cron => cron::doc::CRON,
            Builtin::KnownHosts => known_hosts::doc::KNOWN_HOSTS,
            Builtin::Expect => expect::doc::EXPECT,
            Builtin::Archive => archive::doc::ARCHIVE,
            Builtin::Git => git::doc::GIT,
            Builtin::Synchronize => synchronize::doc::SYNCHRONIZE,
        }
    }

    /// The built-in a task's module key names: the short name, `ansible.builtin.NAME`
    /// or `ansible.legacy.NAME`.
    pub fn from_name(name: &str) -> Option<Builtin> {
        let short = COLLECTIONS
            .iter()
            .find_map(|(prefix, modules)| {
                let short = name.strip_prefix(prefix)?;
                modules.contains(&short).then_some(short)
            })
            .unwrap_or_else(|| unqualified(name));
        let short = short.strip_prefix("machinist.").unwrap_or(short);
        Builtin::ALL
            .iter()
            .copied()
            .find(|b| b.name() == short || b.aliases().contains(&short))
    }

    /// Whether the runner reads `src:` (files/) and renders `template:` (templates/)
    /// into `content` before planning, as it does for Ansible's copy and template.
    pub fn reads_sources(self) -> bool {
        matches!(
            self,
            Builtin::File | Builtin::Copy | Builtin::Template | Builtin::Unit
        )
    }

    /// Whether the module's result keeps a program's output whole, as Ansible's raw
    /// and script (run by the connection, not a module) register it: no final
    /// newline stripped, no `cmd`.
    pub fn output_whole(self) -> bool {
        matches!(self, Builtin::Raw | Builtin::Script)
    }

    /// The argument names the module accepts, from its serde definition (less the
    /// ones only the runner sets: `file::RUNNER_ARGS`, `file::RUNNER_TREE_ARG`,
    /// `script::RUNNER_ARG`, `synchronize::RUNNER_ARG`).
    pub fn arg_names(self) -> &'static [&'static str] {
        match self {
            Builtin::File | Builtin::Copy | Builtin::Template => {
                static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
                NAMES.get_or_init(|| {
                    args::field_names::<file::Args>()
                        .iter()
                        .copied()
                        .filter(|name| {
                            !file::RUNNER_ARGS.contains(name) && *name != file::RUNNER_TREE_ARG
                        })
                        .collect()
                })
            }
            Builtin::Command | Builtin::Shell => args::field_names::<command::Args>(),
            Builtin::Pacstrap => args::field_names::<pacstrap::Args>(),
            Builtin::Firstboot => args::field_names::<firstboot::Args>(),
            Builtin::Unit => args::field_names::<unit::Args>(),
            Builtin::Nspawn => args::field_names::<nspawn::Args>(),
            Builtin::ResolvLink => args::field_names::<resolv_link::Args>(),
            Builtin::Group => args::field_names::<group::Args>(),
            Builtin::User => args::field_names::<user::Args>(),
            Builtin::Pacman => args::field_names::<pacman::Args>(),
            Builtin::Package => args::field_names::<package::Args>(),
            Builtin::Apt => args::field_names::<apt::Args>(),
            Builtin::Debconf => args::field_names::<debconf::Args>(),
            Builtin::AptRepository => args::field_names::<apt_repository::Args>(),
            Builtin::Deb822Repository => args::field_names::<deb822_repository::Args>(),
            Builtin::Mount => args::field_names::<mount::Args>(),
            Builtin::AuthorizedKey => args::field_names::<authorized_key::Args>(),
            Builtin::LocaleGen => args::field_names::<locale_gen::Args>(),
            Builtin::Timezone => args::field_names::<timezone::Args>(),
            Builtin::Sysctl => args::field_names::<sysctl::Args>(),
            Builtin::Hostname => args::field_names::<hostname::Args>(),
            Builtin::Lineinfile => args::field_names::<lineinfile::Args>(),
            Builtin::Stat => args::field_names::<stat::Args>(),
            Builtin::Blockinfile => args::field_names::<blockinfile::Args>(),
            Builtin::Replace => args::field_names::<replace::Args>(),
            Builtin::Slurp => args::field_names::<slurp::Args>(),
            Builtin::Find => args::field_names::<find::Args>(),
            Builtin::GetUrl => args::field_names::<get_url::Args>(),
            Builtin::Unarchive => args::field_names::<unarchive::Args>(),
            Builtin::Assemble => args::field_names::<assemble::Args>(),
            Builtin::Ping => args::field_names::<ping::Args>(),
            Builtin::Getent => args::field_names::<getent::Args>(),
            Builtin::Tempfile => args::field_names::<temp_file::Args>(),
            Builtin::IniFile => args::field_names::<ini_file::Args>(),
            Builtin::PamLimits => args::field_names::<pam_limits::Args>(),
            Builtin::PackageFacts => args::field_names::<package_facts::Args>(),
            Builtin::ServiceFacts => args::field_names::<service_facts::Args>(),
            Builtin::Raw => args::field_names::<raw::Args>(),
            Builtin::Cron => args::field_names::<cron::Args>(),
            Builtin::KnownHosts => args::field_names::<known_hosts::Args>(),
            Builtin::Expect => args::field_names::<expect::Args>(),
            Builtin::Archive => args::field_names::<archive::Args>(),
            Builtin::Git => args::field_names::<git::Args>(),
            Builtin::Synchronize => {
                static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
                NAMES.get_or_init(|| {
                    args::field_names::<synchronize::Args>()
                        .iter()
                        .copied()
                        .filter(|name| *name != synchronize::RUNNER_ARG)
                        .collect()
                })
            }
            Builtin::Script => {
                static NAMES: std::sync::OnceLock<Vec<&'static str>> = std::sync::OnceLock::new();
                NAMES.get_or_init(|| {
                    args::field_names::<script::Args>()
                        .iter()
                        .copied()
                        .filter(|name| *name != script::RUNNER_ARG)
                        .collect()
                })
            }
        }
    }

    /// Arguments whose values are secrets (Ansible's `no_log` in an argument spec): the
    /// runner masks their values wherever a result, diff or error could show them.
    pub fn secret_args(self) -> &'static [&'static str] {
        match self {
            Builtin::Firstboot => firstboot::SECRET_ARGS,
            Builtin::GetUrl => get_url::SECRET_ARGS,
            Builtin::User => user::SECRET_ARGS,
            _ => &[],
        }
    }

    /// Arguments of which one must be given (Ansible's `required_one_of`), beyond
    /// the ones documented as required.
    pub fn required_one_of(self) -> &'static [&'static str] {
        match self {
            Builtin::Command | Builtin::Shell => &["cmd", "argv"],
            _ => &[],
        }
    }

    /// Type-check rendered arguments without planning.
    pub fn check_args(self, value: &serde_json::Value) -> Result<(), ArgError> {
        match self {
            Builtin::Copy
                if value
                    .get("content")
                    .is_some_and(|c| c.is_array() || c.is_object()) =>
            {
                // The runner writes a list or mapping `content` as JSON, as ansible-core.
                let mut as_text = value.clone();
                as_text["content"] = serde_json::Value::String(String::new());
                decode_tracked::<file::Args>(&as_text).map(drop)
            }
            Builtin::File | Builtin::Copy | Builtin::Template => {
                let args = decode_tracked::<file::Args>(value)?;
                let links = matches!(args.state, Some(file::State::Link | file::State::Hard));
                let given = [
                    ("src", args.src.is_some() && !links),
                    ("content", args.content.is_some()),
                    ("template", args.template.is_some()),
                ];
                exclusive(&given)
            }
            Builtin::Command | Builtin::Shell => {
                let args = decode_tracked::<command::Args>(value)?;
                exclusive(&[("cmd", args.cmd.is_some()), ("argv", args.argv.is_some())])?;
                if args.cmd.is_none() && args.argv.is_none() {
                    // Said as a missing argument, so a templated one may still give it.
                    return Err(ArgError {
                        field: Some("cmd".into()),
                        path: vec!["cmd".into()],
                        message: "missing required argument 'cmd' (or 'argv')".into(),
                    });
                }
                Ok(())
            }
            // Names handed to a tool follow its grammar (literal ones checked here, at
            // load; templated ones when the module plans).
            Builtin::Pacstrap => {
                let args = decode_tracked::<pacstrap::Args>(value)?;
                pacstrap::check_names(&args).map_err(arg_error)
            }
            Builtin::Firstboot => decode_tracked::<firstboot::Args>(value).map(drop),
            Builtin::Unit => {
                let args = decode_tracked::<unit::Args>(value)?;
                exclusive(&[
                    ("src", args.src.is_some()),
                    ("content", args.content.is_some()),
                    ("template", args.template.is_some()),
                ])?;
                match &args.name {
                    Some(name) => crate::systemd::unit_name(name).map(drop).map_err(arg_error),
                    None => Ok(()),
                }
            }
            Builtin::Nspawn => {
                self.check_templated("settings", value.get("settings"))?;
                let args = decode_tracked::<nspawn::Args>(value)?;
                nspawn::machine_name(&args.name)
                    .map(drop)
                    .map_err(arg_error)
            }
            Builtin::ResolvLink => decode_tracked::<resolv_link::Args>(value).map(drop),
            Builtin::Group => decode_tracked::<group::Args>(value).map(drop),
            Builtin::User => decode_tracked::<user::Args>(value).map(drop),
            Builtin::Pacman => decode_tracked::<pacman::Args>(value).map(drop),
            Builtin::Package => decode_tracked::<package::Args>(value).map(drop),
            Builtin::Apt => decode_tracked::<apt::Args>(value).map(drop),
            Builtin::Debconf => decode_tracked::<debconf::Args>(value).map(drop),
            Builtin::AptRepository => decode_tracked::<apt_repository::Args>(value).map(drop),
            Builtin::Deb822Repository => decode_tracked::<deb822_repository::Args>(value).map(drop),
            Builtin::Mount => decode_tracked::<mount::Args>(value).map(drop),
            Builtin::AuthorizedKey => decode_tracked::<authorized_key::Args>(value).map(drop),
            Builtin::LocaleGen => decode_tracked::<locale_gen::Args>(value).map(drop),
            Builtin::Timezone => decode_tracked::<timezone::Args>(value).map(drop),
            Builtin::Sysctl => decode_tracked::<sysctl::Args>(value).map(drop),
            Builtin::Hostname => decode_tracked::<hostname::Args>(value).map(drop),
            Builtin::Lineinfile => decode_tracked::<lineinfile::Args>(value).map(drop),
            Builtin::Stat => decode_tracked::<stat::Args>(value).map(drop),
            Builtin::Blockinfile => decode_tracked::<blockinfile::Args>(value).map(drop),
            Builtin::Replace => decode_tracked::<replace::Args>(value).map(drop),
            Builtin::Slurp => decode_tracked::<slurp::Args>(value).map(drop),
            Builtin::Find => decode_tracked::<find::Args>(value).map(drop),
            Builtin::GetUrl => decode_tracked::<get_url::Args>(value).map(drop),
            Builtin::Unarchive => decode_tracked::<unarchive::Args>(value).map(drop),
            Builtin::Assemble => decode_tracked::<assemble::Args>(value).map(drop),
            Builtin::Ping => decode_tracked::<ping::Args>(value).map(drop),
            Builtin::Getent => decode_tracked::<getent::Args>(value).map(drop),
            Builtin::Tempfile => decode_tracked::<temp_file::Args>(value).map(drop),
            Builtin::IniFile => decode_tracked::<ini_file::Args>(value).map(drop),
            Builtin::PamLimits => decode_tracked::<pam_limits::Args>(value).map(drop),
            Builtin::PackageFacts => decode_tracked::<package_facts::Args>(value).map(drop),
            Builtin::ServiceFacts => decode_tracked::<service_facts::Args>(value).map(drop),
            Builtin::Raw => decode_tracked::<raw::Args>(value).map(drop),
            Builtin::Script => decode_tracked::<script::Args>(value).map(drop),
            Builtin::Cron => decode_tracked::<cron::Args>(value).map(drop),
            Builtin::KnownHosts => decode_tracked::<known_hosts::Args>(value).map(drop),
            Builtin::Expect => decode_tracked::<expect::Args>(value).map(drop),
            Builtin::Archive => decode_tracked::<archive::Args>(value).map(drop),
            Builtin::Git => decode_tracked::<git::Args>(value).map(drop),
            Builtin::Synchronize => decode_tracked::<synchronize::Args>(value).map(drop),
        }
    }

    /// Check what can be checked of an argument whose value is still a template: the
    /// names inside it that cannot depend on variables (nspawn's section and key names).
    pub fn check_templated(
        self,
        name: &str,
        value: Option<&serde_json::Value>,
    ) -> Result<(), ArgError> {
        let (Builtin::Nspawn, "settings", Some(settings)) = (self, name, value) else {
            return Ok(());
        };
        nspawn::check_names(settings).map_err(|unknown| ArgError {
            field: Some(name.to_string()),
            path: std::iter::once(name.to_string())
                .chain(unknown.path)
                .collect(),
            message: unknown.message,
        })
    }

    /// Which argument needs a running service manager, and how it says so
    /// (`("state", "state=started")`), given the arguments known before templating;
    /// `None` when the task works on an offline root.
    pub fn needs_manager(self, args: &serde_json::Value) -> Option<(&'static str, String)> {
        match self {
            Builtin::Unit => {
                let parsed: unit::Args = serde_json::from_value(args.clone()).ok()?;
                let what = unit::needs_manager(&parsed)?;
                let field = if parsed.state.is_some() {
                    "state"
                } else {
                    "daemon_reload"
                };
                Some((field, what))
            }
            Builtin::Nspawn => nspawn::needs_manager(args).map(|what| ("state", what)),
            _ => None,
        }
    }

    /// Decode the rendered arguments and plan.
    pub fn plan(self, value: &serde_json::Value, host: &Host) -> Result<Plan, PlanError> {
        match self {
            Builtin::File | Builtin::Copy | Builtin::Template => file::FileModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Command => command::CommandModule { shell: false }
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Shell => command::CommandModule { shell: true }
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Pacstrap => pacstrap::PacstrapModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Firstboot => firstboot::FirstbootModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Unit => unit::UnitModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Nspawn => nspawn::NspawnModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::ResolvLink => resolv_link::ResolvLinkModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Group => group::GroupModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::User => user::UserModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Pacman => pacman::PacmanModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Package => package::PackageModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Apt => apt::AptModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Debconf => debconf::DebconfModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::AptRepository => apt_repository::AptRepositoryModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Deb822Repository => deb822_repository::Deb822RepositoryModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Mount => mount::MountModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::AuthorizedKey => authorized_key::AuthorizedKeyModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::LocaleGen => locale_gen::LocaleGenModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Timezone => timezone::TimezoneModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Sysctl => sysctl::SysctlModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Hostname => hostname::HostnameModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Lineinfile => lineinfile::LineinfileModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Stat => stat::StatModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Blockinfile => blockinfile::BlockinfileModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Replace => replace::ReplaceModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Slurp => slurp::SlurpModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Find => find::FindModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::GetUrl => get_url::GetUrlModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Unarchive => unarchive::UnarchiveModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Assemble => assemble::AssembleModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Ping => ping::PingModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Getent => getent::GetentModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Tempfile => temp_file::TempfileModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::PamLimits => pam_limits::PamLimitsModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::IniFile => ini_file::IniFileModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::PackageFacts => package_facts::PackageFactsModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::ServiceFacts => service_facts::ServiceFactsModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Raw => raw::RawModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Script => script::ScriptModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Cron => cron::CronModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::KnownHosts => known_hosts::KnownHostsModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Expect => expect::ExpectModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Archive => archive::ArchiveModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Git => git::GitModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
            Builtin::Synchronize => synchronize::SynchronizeModule
                .plan(&decode(value)?, host)
                .map_err(PlanError::Module),
        }
    }
}

/// Ansible's mutually exclusive arguments: at most one of `given` (name, present).
fn exclusive(given: &[(&str, bool)]) -> Result<(), ArgError> {
    let present: Vec<&str> = given
        .iter()
        .filter(|(_, present)| *present)
        .map(|(name, _)| *name)
        .collect();
    match present[..] {
        [first, second, ..] => Err(ArgError {
            field: Some(second.to_string()),
            path: vec![second.to_string()],
            message: format!("'{first}' and '{second}' are mutually exclusive"),
        }),
        _ => Ok(()),
    }
}

/// Arguments that do not fit the module's definition.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct ArgError {
    /// The top-level argument at fault (`mode`), when serde names one.
    pub field: Option<String>,
    /// The keys down to the place at fault (`settings`, `Network`, `Bridg`), outermost
    /// first; empty when only `field` is known.
    pub path: Vec<String>,
    pub message: String,
}

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error(transparent)]
    Args(#[from] ArgError),
    #[error(transparent)]
    Module(#[from] ModuleError),
}

/// Rendered arguments decoded for planning: nearly all decode, and do without
/// tracking the path; a failure is decoded again with it, for the field at fault
/// (decoding has no effects, so the second attempt fails the same way).
fn decode<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ArgError> {
    match T::deserialize(value) {
        Ok(decoded) => Ok(decoded),
        Err(_) => decode_tracked(value),
    }
}

/// Arguments decoded with the path to the field at fault, if one is.
/// A module's own argument error, as a load-time one.
fn arg_error(err: crate::ModuleError) -> ArgError {
    match err {
        crate::ModuleError::InvalidArgs { field, message } => ArgError {
            path: field.iter().cloned().collect(),
            field,
            message,
        },
        other => ArgError {
            field: None,
            path: Vec::new(),
            message: other.to_string(),
        },
    }
}

fn decode_tracked<T: DeserializeOwned>(value: &serde_json::Value) -> Result<T, ArgError> {
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path: Vec<String> = err
            .path()
            .iter()
            .map_while(|segment| match segment {
                serde_path_to_error::Segment::Map { key } => Some(key.clone()),
                _ => None,
            })
            .collect();
        let field = path.first().cloned();
        let message = err.into_inner().to_string();
        let missing = message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.strip_suffix('`'));
        match missing {
            Some(name) => ArgError {
                field: Some(name.to_string()),
                path: vec![name.to_string()],
                message: format!("missing required argument '{name}'"),
            },
            None => ArgError {
                field,
                path,
                message,
            },
        }
    })
}

/// A module's or task keyword's name without `ansible.builtin.` or `ansible.legacy.`
/// (ansible-core resolves both to its own plugins, the legacy one after the play's
/// `library/`, which machinist searches for a short name too).
pub fn unqualified(name: &str) -> &str {
    name.strip_prefix("ansible.builtin.")
        .or_else(|| name.strip_prefix("ansible.legacy."))
        .unwrap_or(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ansible_names_reach_the_unit_module() {
        for name in [
            "unit",
            "systemd",
            "systemd_service",
            "ansible.builtin.systemd",
            "ansible.builtin.systemd_service",
            "service",
            "ansible.builtin.service",
        ] {
            assert_eq!(Builtin::from_name(name), Some(Builtin::Unit), "{name}");
        }
        assert_eq!(Builtin::from_name("nspawn"), Some(Builtin::Nspawn));
        assert!(!Builtin::Unit.arg_names().contains(&"pattern"));
        for (name, builtin) in [
            ("community.general.pacman", Builtin::Pacman),
            ("ansible.builtin.user", Builtin::User),
            ("ansible.builtin.package", Builtin::Package),
        ] {
            assert_eq!(Builtin::from_name(name), Some(builtin), "{name}");
        }
        assert_eq!(Builtin::from_name("community.general.user"), None);
        assert_eq!(Builtin::from_name("resolv_link"), Some(Builtin::ResolvLink));
        let names = Builtin::Unit.arg_names();
        for ansible in [
            "name",
            "state",
            "enabled",
            "masked",
            "daemon_reload",
            "scope",
        ] {
            assert!(names.contains(&ansible), "{ansible} missing from {names:?}");
        }
    }

    #[test]
    fn running_manager_arguments_are_named() {
        let need = |builtin: Builtin, args| builtin.needs_manager(&args);
        assert_eq!(
            need(
                Builtin::Unit,
                serde_json::json!({"name": "a", "state": "started"})
            ),
            Some(("state", "state=started".to_string()))
        );
        assert_eq!(
            need(Builtin::Unit, serde_json::json!({"daemon_reload": true})),
            Some(("daemon_reload", "daemon_reload".to_string()))
        );
        assert_eq!(
            need(
                Builtin::Unit,
                serde_json::json!({"name": "a", "enabled": true})
            ),
            None
        );
        assert_eq!(
            need(
                Builtin::Nspawn,
                serde_json::json!({"name": "a", "state": "running"})
            ),
            Some(("state", "state=running".to_string()))
        );
    }

    #[test]
    fn nspawn_setting_names_are_checked_with_their_path() {
        let err = Builtin::Nspawn
            .check_args(
                &serde_json::json!({"name": "a", "settings": {"Network": {"Bridg": "br0"}}}),
            )
            .err();
        let err = err.map(|err| (err.path, err.message.contains("did you mean 'Bridge'")));
        assert_eq!(
            err,
            Some((
                vec!["settings".into(), "Network".into(), "Bridg".into()],
                true
            ))
        );
    }
}
