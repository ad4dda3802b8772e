//! What the installed pacstrap accepts, read from `pacstrap -h`, and the command line
//! built from it: versions differ (`-d` is gone from recent arch-install-scripts and
//! `-N` is new), so nothing is passed that the installed one would refuse.

use super::{Args, Keyring, Mirrorlist, ASK_SKIP_IGNORED};
use crate::{Host, ModuleError, Place, RunSpec};
use std::collections::BTreeSet;
use std::path::Path;

/// The single-letter options of the installed pacstrap.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Accepted {
    options: BTreeSet<char>,
    /// `-d` of older versions: "Allow installation to a non-mountpoint directory",
    /// needed there for a directory such as /var/lib/machines/NAME.
    non_mountpoint: bool,
}

impl Accepted {
    /// Ask the installed pacstrap.
    pub fn query(host: &Host) -> Result<Accepted, ModuleError> {
        let output = host.query(&RunSpec {
            argv: vec!["pacstrap".into(), "-h".into()],
            place: Place::Controller,
            ..RunSpec::default()
        })?;
        let accepted = Accepted::parse(&format!("{}{}", output.stdout, output.stderr));
        if accepted.options.is_empty() {
            return Err(ModuleError::Failed(format!(
                "pacstrap -h printed no options (is arch-install-scripts installed?): {}",
                output.said()
            )));
        }
        Ok(accepted)
    }

    /// The options of a `pacstrap -h` text: lines such as `    -C <config>    Use …`.
    pub fn parse(help: &str) -> Accepted {
        let mut accepted = Accepted::default();
        for line in help.lines() {
            let mut chars = line.trim_start().chars();
            let (Some('-'), Some(letter)) = (chars.next(), chars.next()) else {
                continue;
            };
            if !letter.is_ascii_alphabetic() || !chars.next().is_some_and(char::is_whitespace) {
                continue;
            }
            accepted.options.insert(letter);
            if letter == 'd' && line.contains("mountpoint") {
                accepted.non_mountpoint = true;
            }
        }
        accepted
    }

    fn require(&self, letter: char, field: &str, wanted: &str) -> Result<String, ModuleError> {
        if self.options.contains(&letter) {
            Ok(format!("-{letter}"))
        } else {
            Err(ModuleError::invalid(
                field,
                format!("{wanted} needs pacstrap's -{letter}, which this pacstrap lacks"),
            ))
        }
    }
}

/// `pacstrap OPTIONS -- DEST PACKAGES… PACMAN-OPTIONS…`.
pub fn argv(
    accepted: &Accepted,
    args: &Args,
    dest: &Path,
    packages: &[String],
) -> Result<Vec<String>, ModuleError> {
    let mut argv = vec!["pacstrap".to_string()];
    if accepted.non_mountpoint {
        argv.push("-d".into());
    }
    if args.host_cache {
        argv.push(accepted.require('c', "host_cache", "host_cache: true")?);
    }
    if let Some(conf) = &args.pacman_conf {
        argv.push(accepted.require('C', "pacman_conf", "pacman_conf")?);
        argv.push(conf.clone());
    }
    match args.keyring {
        Keyring::Init => argv.push(accepted.require('K', "keyring", "keyring: init")?),
        Keyring::None => argv.push(accepted.require('G', "keyring", "keyring: none")?),
        Keyring::Copy => {}
    }
    if args.mirrorlist == Mirrorlist::None {
        argv.push(accepted.require('M', "mirrorlist", "mirrorlist: none")?);
    }
    // `--` ends pacstrap's options before the root. pacstrap appends options of its
    // own (`--config`, `--noconfirm`) after the packages, so pacman cannot be given
    // `--` there: a package name never starts with '-' (`check_names`, at load and
    // when the task plans) instead.
    argv.push("--".into());
    argv.push(dest.display().to_string());
    argv.extend(packages.iter().cloned());
    argv.push("--needed".into());
    if !args.ignore.is_empty() {
        argv.push(ASK_SKIP_IGNORED.into());
        argv.extend(args.ignore.iter().map(|name| format!("--ignore={name}")));
    }
    argv.extend(args.extra_args.iter().cloned());
    Ok(argv)
}
