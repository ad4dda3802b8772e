//! rsync's command line as Ansible's synchronize module builds it: the same options
//! in the same order, and `cmd` shown as Ansible registers it (its words joined,
//! the ones it quotes quoted). Each `rsync_opts` entry is split as a shell line, as
//! Ansible's `run_command` of the joined string splits it.

use super::{run_spec, Args, Direction, Remote, CHANGED_MARKER};
use crate::shell_words::{self, quote, split};
use crate::{ModuleError, RunSpec};
use std::path::{Path, PathBuf};

/// The command, before `--dry-run` is added or left out.
pub struct Command {
    /// Each word as run, and as Ansible's `cmd` shows it.
    words: Vec<Word>,
    /// Where `--dry-run` goes (Ansible's place for it).
    dry_run_at: usize,
}

struct Word {
    run: String,
    shown: String,
}

impl Word {
    fn plain(word: impl Into<String>) -> Word {
        let word = word.into();
        Word {
            shown: word.clone(),
            run: word,
        }
    }

    /// `--name=VALUE`, VALUE quoted in `cmd` as Ansible quotes it.
    fn quoted_value(name: &str, value: &str) -> Word {
        Word {
            run: format!("{name}={value}"),
            shown: format!("{name}={}", quote(value)),
        }
    }

    fn quoted(word: &str) -> Word {
        Word {
            run: word.to_string(),
            shown: quote(word),
        }
    }
}

impl Command {
    pub fn of(args: &Args) -> Result<Command, ModuleError> {
        let (src, dest) = operands(args)?;
        let rsync = find_rsync()?;
        let mut words = vec![Word::plain(rsync.display().to_string())];
        if args.delay_updates {
            words.push(Word::plain("--delay-updates"));
            words.push(Word::plain("-F"));
        }
        if args.compress {
            words.push(Word::plain("--compress"));
        }
        if args.rsync_timeout > 0 {
            words.push(Word::plain(format!("--timeout={}", args.rsync_timeout)));
        }
        let dry_run_at = words.len();
        let flags = [
            (args.delete, "--delete-after"),
            (args.existing_only, "--existing"),
            (args.checksum, "--checksum"),
            (args.copy_links, "--copy-links"),
        ];
        words.extend(flags.iter().filter(|f| f.0).map(|f| Word::plain(f.1)));
        let tuned = [
            (args.recursive, "recursive"),
            (args.links, "links"),
            (args.perms, "perms"),
            (args.times, "times"),
            (args.owner, "owner"),
            (args.group, "group"),
        ];
        if args.archive {
            words.push(Word::plain("--archive"));
            for (value, name) in tuned {
                if value == Some(false) {
                    words.push(Word::plain(format!("--no-{name}")));
                }
            }
        } else {
            for (value, name) in tuned {
                if value == Some(true) {
                    words.push(Word::plain(format!("--{name}")));
                }
            }
        }
        if args.dirs {
            words.push(Word::plain("--dirs"));
        }
        if let Some(remote) = &args.remote {
            words.push(Word::quoted_value(
                "--rsh",
                &shell_words::join(&ssh_words(args, remote)),
            ));
        }
        let rsync_path = match (
            &args.rsync_path,
            args.remote.as_ref().and_then(|r| r.sudo_user.as_ref()),
        ) {
            (Some(path), _) => Some(path.clone()),
            (None, Some(user)) => Some(format!("sudo -u {user} rsync")),
            (None, None) => None,
        };
        if let Some(path) = &rsync_path {
            words.push(Word::quoted_value("--rsync-path", path));
        }
        for opt in &args.rsync_opts {
            if opt.is_empty() {
                return Err(ModuleError::invalid(
                    "rsync_opts",
                    "an empty string in rsync_opts would make rsync copy the current \
                     directory; use \".\" if that is meant",
                ));
            }
            if opt.contains("--rsh") || opt.starts_with("-e") {
                return Err(ModuleError::invalid(
                    "rsync_opts",
                    "a remote shell (--rsh/-e) in rsync_opts is refused: over ssh rsync goes \
                     through machinist's connection to the host; locally there is none",
                ));
            }
            let split = split(opt).map_err(|err| {
                ModuleError::invalid("rsync_opts", format!("cannot split {opt:?}: {err}"))
            })?;
            // Ansible shows the entry as written (it joins the list, then splits it).
            for (at, word) in split.into_iter().enumerate() {
                let shown = if at == 0 { opt.clone() } else { String::new() };
                words.push(Word { run: word, shown });
            }
        }
        if args.partial {
            words.push(Word::plain("--partial"));
        }
        if let Some(link_dest) = &args.link_dest {
            words.push(Word::plain("-H"));
            words.push(Word::plain("-vv"));
            let dest_dir = Path::new(&args.dest).parent().unwrap_or(Path::new("/"));
            for link in link_dest {
                let link = local_path("link_dest", link)?;
                // Ansible's test: the one path's text starts with the other's.
                if dest_dir
                    .to_string_lossy()
                    .starts_with(&*link.to_string_lossy())
                {
                    return Err(ModuleError::invalid(
                        "link_dest",
                        format!(
                            "Hardlinking into a subdirectory of the source would cause recursion. {} and {}",
                            dest_dir.display(),
                            args.dest
                        ),
                    ));
                }
                words.push(Word::plain(format!("--link-dest={}", link.display())));
            }
        }
        words.push(Word::quoted_value(
            "--out-format",
            &format!("{CHANGED_MARKER}%i %n%L"),
        ));
        words.push(Word::quoted(&src));
        words.push(Word::quoted(&dest));
        Ok(Command { words, dry_run_at })
    }

    /// What runs: rsync for real, or with `--dry-run` (which only reads).
    pub fn spec(&self, dry_run: bool) -> RunSpec {
        run_spec(self.argv(dry_run).map(|word| word.run.clone()).collect())
    }

    /// `cmd` as Ansible's module registers it.
    pub fn shown(&self, dry_run: bool) -> String {
        self.argv(dry_run)
            .map(|word| word.shown.as_str())
            .filter(|shown| !shown.is_empty())
            .collect::<Vec<_>>()
            .join(" ")
    }

    fn argv(&self, dry_run: bool) -> impl Iterator<Item = &Word> {
        let dry = DRY_RUN.get_or_init(|| Word::plain("--dry-run"));
        let (before, after) = self.words.split_at(self.dry_run_at);
        before
            .iter()
            .chain(dry_run.then_some(dry))
            .chain(after.iter())
    }
}

static DRY_RUN: std::sync::OnceLock<Word> = std::sync::OnceLock::new();

/// rsync's two operands: both paths of this machine, or over ssh the host's side
/// as `[USER@]HOST:PATH` (the host's `dest` in push mode, its `src` in pull mode).
fn operands(args: &Args) -> Result<(String, String), ModuleError> {
    let Some(remote) = &args.remote else {
        local_path("src", &args.src)?;
        local_path("dest", &args.dest)?;
        return Ok((args.src.clone(), args.dest.clone()));
    };
    let there = |path: &str| {
        let host = if remote.address.contains(':') {
            format!("[{}]", remote.address)
        } else {
            remote.address.clone()
        };
        match remote.user.as_ref().filter(|_| args.set_remote_user) {
            Some(user) => format!("{user}@{host}:{path}"),
            None => format!("{host}:{path}"),
        }
    };
    Ok(match args.mode {
        Direction::Push => {
            local_path("src", &args.src)?;
            (args.src.clone(), there(&args.dest))
        }
        Direction::Pull => {
            local_path("dest", &args.dest)?;
            (there(&args.src), args.dest.clone())
        }
    })
}

/// The ssh command rsync runs (`--rsh`), as Ansible's module builds it, through
/// machinist's multiplexed connection to the host (its control socket, never a new
/// master) and with host keys checked as machinist's connection checks them.
fn ssh_words(args: &Args, remote: &Remote) -> Vec<String> {
    let mut words = vec!["ssh".to_string()];
    words.extend(["-o", "ControlMaster=no", "-o"].map(String::from));
    words.push(format!("ControlPath={}", remote.control_path));
    if let Some(key) = args.private_key.as_ref().or(remote.private_key.as_ref()) {
        words.extend(["-i".to_string(), key.clone()]);
    }
    if let Some(port) = args.dest_port.or(remote.port) {
        words.extend(["-o".to_string(), format!("Port={port}")]);
    }
    if args.use_ssh_args {
        words.extend(remote.ssh_args.iter().cloned());
    }
    words
}

/// A path of this machine: absolute (a relative one would depend on where machinist
/// was started; rsync's `host:path` and `rsync://` forms are remote).
fn local_path(name: &str, path: &str) -> Result<PathBuf, ModuleError> {
    if !path.starts_with('/') {
        return Err(ModuleError::invalid(
            name,
            format!(
                "synchronize: {name} must be an absolute path on this machine (got {path:?}); \
                 a relative src is found in files/ by the runner"
            ),
        ));
    }
    Ok(PathBuf::from(path))
}

/// rsync on this machine's PATH, by its full path as Ansible's `get_bin_path` gives it.
fn find_rsync() -> Result<PathBuf, ModuleError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("rsync"))
        .find(|candidate| candidate.is_file())
        .ok_or_else(|| {
            ModuleError::Failed(
                "Failed to find required executable \"rsync\" in paths: install rsync on this machine".into(),
            )
        })
}
