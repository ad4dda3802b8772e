//! Tests of unarchive's planning on a sandbox root: archives built in memory with the
//! tar crate (so hostile names the real tar would not write can be tried), the three
//! checks, a link in the target that points out of the root, and the reader's refusals.
//! The real binary with archives made by GNU tar, zstd and zipfile: tests/unarchive_module.rs.

use super::read::{members, Format, MemberKind};
use super::*;
use crate::test_support::{plan_with, three_checks, Sandbox, TestResult};
use serde_json::json;

/// A tar of (name, content or None for a directory), gzip-compressed.
fn tar_gz(entries: &[(&str, Option<&[u8]>)]) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    for (name, content) in entries {
        let mut header = tar::Header::new_gnu();
        match content {
            Some(bytes) => {
                header.set_entry_type(tar::EntryType::Regular);
                header.set_size(bytes.len() as u64);
                header.set_mode(0o640);
            }
            None => {
                header.set_entry_type(tar::EntryType::Directory);
                header.set_size(0);
                header.set_mode(0o750);
            }
        }
        header.set_uid(0);
        header.set_gid(0);
        // set_path refuses '..'; the raw name field takes anything, as a hostile
        // archive would.
        let raw = &mut header.as_old_mut().name;
        raw[..name.len()].copy_from_slice(name.as_bytes());
        header.set_cksum();
        builder
            .append(&header, content.unwrap_or_default())
            .unwrap_or_else(|err| panic!("{name}: {err}"));
    }
    let tar = builder.into_inner().unwrap_or_default();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    std::io::Write::write_all(&mut gz, &tar).unwrap_or_default();
    gz.finish().unwrap_or_default()
}

fn setup_archive(bytes: Vec<u8>) -> impl Fn(&Sandbox) -> TestResult {
    move |sandbox| {
        std::fs::create_dir_all(sandbox.real("/srv"))?;
        std::fs::write(sandbox.real("/etc/a.tar.gz"), &bytes)?;
        Ok(())
    }
}

#[test]
fn unpacks_three_checks_with_modes_and_missing_parents() -> TestResult {
    let archive = tar_gz(&[
        ("top/", None),
        ("top/a", Some(b"a\n")),
        ("other/deep/b", Some(b"b\n")),
    ]);
    let (sandbox, first) = three_checks(
        &UnarchiveModule,
        setup_archive(archive),
        json!({"src": "/etc/a.tar.gz", "dest": "/srv", "remote_src": true}),
    )?;
    assert_eq!(std::fs::read(sandbox.real("/srv/top/a"))?, b"a\n");
    assert_eq!(std::fs::read(sandbox.real("/srv/other/deep/b"))?, b"b\n");
    let mode = |path| {
        std::fs::metadata(sandbox.real(path))
            .map(|meta| std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777)
            .unwrap_or(0)
    };
    assert_eq!((mode("/srv/top"), mode("/srv/top/a")), (0o750, 0o640));
    // A parent the archive does not list is made as tar makes it.
    assert_eq!(mode("/srv/other/deep"), 0o755);
    assert_eq!(first.data["handler"], "TgzArchive");
    Ok(())
}

#[test]
fn a_mode_argument_applies_to_every_member() -> TestResult {
    let archive = tar_gz(&[("a", Some(b"a\n"))]);
    let (sandbox, _) = three_checks(
        &UnarchiveModule,
        setup_archive(archive),
        json!({"src": "/etc/a.tar.gz", "dest": "/srv", "remote_src": true, "mode": "u=rw,go="}),
    )?;
    let meta = std::fs::metadata(sandbox.real("/srv/a"))?;
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777,
        0o600
    );
    Ok(())
}

#[test]
fn hostile_names_are_refused_by_the_reader() {
    let error = |entries: &[(&str, Option<&[u8]>)]| {
        members(&tar_gz(entries), Format::TarGz, 0)
            .err()
            .map(|err| err.to_string())
            .unwrap_or_default()
    };
    assert!(error(&[("../x", Some(b"x"))]).contains("climbs out"));
    assert!(error(&[("a/../../x", Some(b"x"))]).contains("climbs out"));
    assert!(error(&[("/etc/x", Some(b"x"))]).contains("is absolute"));
    let fine = members(&tar_gz(&[("./a/b", Some(b"x"))]), Format::TarGz, 1).unwrap_or_default();
    assert_eq!(fine.len(), 1);
    assert_eq!(fine[0].path, Path::new("b"));
    assert_eq!(fine[0].kind, MemberKind::File(b"x".to_vec()));
}

#[test]
fn a_link_in_the_target_cannot_lead_a_member_out_of_the_root() -> TestResult {
    let sandbox = Sandbox::new()?;
    std::fs::create_dir_all(sandbox.real("/srv"))?;
    // /srv/out -> the decoy's absolute path: resolved inside the root, it is missing.
    std::os::unix::fs::symlink(&sandbox.decoy, sandbox.real("/srv/out"))?;
    std::fs::write(
        sandbox.real("/etc/a.tar.gz"),
        tar_gz(&[("out/secret", Some(b"pwned\n"))]),
    )?;
    let host = sandbox.host(false);
    let args = json!({"src": "/etc/a.tar.gz", "dest": "/srv", "remote_src": true});
    if let Ok(plan) = plan_with(&UnarchiveModule, &host, args) {
        let _ = crate::test_support::apply(&host, &plan);
    }
    assert_eq!(
        std::fs::read_to_string(sandbox.decoy.join("secret"))?,
        "keep me\n"
    );
    Ok(())
}

#[test]
fn formats_are_told_by_their_magic() {
    assert_eq!(Format::detect(&tar_gz(&[])), Some(Format::TarGz));
    assert_eq!(Format::detect(b"PK\x03\x04rest"), Some(Format::Zip));
    assert_eq!(Format::detect(b"BZh91AY"), Some(Format::TarBz2));
    assert_eq!(Format::detect(b"plain text"), None);
}

#[test]
fn extra_opts_take_only_strip_components() {
    let opts =
        |list: &[&str]| strip_components(&list.iter().map(|s| s.to_string()).collect::<Vec<_>>());
    assert_eq!(opts(&["--strip-components=2"]).ok(), Some(2));
    assert_eq!(opts(&["--strip-components", "1"]).ok(), Some(1));
    assert!(opts(&["--absolute-names"]).is_err());
    assert!(opts(&["--strip-components=x"]).is_err());
}

#[test]
fn a_pattern_naming_a_folder_takes_what_is_below_it() {
    let pattern = |text: &str| vec![glob::Pattern::new(text).expect("a pattern")];
    assert!(named(&pattern("site/css"), "site/css/a.css"));
    assert!(named(&pattern("site/css"), "site/css/"));
    assert!(named(&pattern("*.css"), "./site/css/a.css"));
    assert!(!named(&pattern("site/css"), "site/index.html"));
    assert!(!named(&pattern("css"), "site/css/a.css"));
}

#[test]
fn hard_links_and_symlinks_are_made_and_then_left_alone() -> TestResult {
    let mut builder = tar::Builder::new(Vec::new());
    let mut header = tar::Header::new_gnu();
    header.set_entry_type(tar::EntryType::Regular);
    header.set_size(2);
    header.set_mode(0o644);
    builder.append_data(&mut header, "a", &b"a\n"[..])?;
    let mut link = tar::Header::new_gnu();
    link.set_entry_type(tar::EntryType::Link);
    link.set_size(0);
    builder.append_link(&mut link, "b", "a")?;
    let mut symlink = tar::Header::new_gnu();
    symlink.set_entry_type(tar::EntryType::Symlink);
    symlink.set_size(0);
    builder.append_link(&mut symlink, "c", "a")?;
    let tar = builder.into_inner()?;
    let (sandbox, _) = three_checks(
        &UnarchiveModule,
        move |sandbox: &Sandbox| {
            std::fs::create_dir_all(sandbox.real("/srv"))?;
            std::fs::write(sandbox.real("/etc/a.tar"), &tar)?;
            Ok(())
        },
        json!({"src": "/etc/a.tar", "dest": "/srv", "remote_src": true}),
    )?;
    use std::os::unix::fs::MetadataExt;
    let (a, b) = (
        std::fs::metadata(sandbox.real("/srv/a"))?,
        std::fs::metadata(sandbox.real("/srv/b"))?,
    );
    assert_eq!(a.ino(), b.ino(), "b is a hard link of a");
    assert_eq!(std::fs::read_link(sandbox.real("/srv/c"))?, Path::new("a"));
    Ok(())
}
