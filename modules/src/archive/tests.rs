//! Tests of `archive`: community.general's decisions (paths, globs, excludes, arcroot,
//! must-archive, dest's default), archives read back member by member, the second
//! plan unchanged, and a single file compressed.

use super::*;
use crate::test_support::{Sandbox, TestResult};
use serde_json::{json, Value};
use std::io::Read;

fn plan(host: &Host, args: Value) -> Result<Plan, ModuleError> {
    let args: Args =
        serde_json::from_value(args).map_err(|err| ModuleError::Failed(err.to_string()))?;
    ArchiveModule.plan(&args, host)
}

fn tree(sandbox: &Sandbox) -> std::io::Result<()> {
    std::fs::create_dir_all(sandbox.real("/src/conf/sub"))?;
    std::fs::write(sandbox.real("/src/conf/a.txt"), "a\n")?;
    std::fs::write(sandbox.real("/src/conf/b.key"), "secret\n")?;
    std::fs::write(sandbox.real("/src/conf/sub/c.txt"), "c\n")?;
    std::fs::write(sandbox.real("/src/one.log"), "log line\n")?;
    Ok(())
}

fn tar_names(bytes: &[u8]) -> Vec<String> {
    let mut data = Vec::new();
    let _ = flate2::read::GzDecoder::new(bytes).read_to_end(&mut data);
    let mut archive = tar::Archive::new(data.as_slice());
    let mut names: Vec<String> = archive
        .entries()
        .map(|entries| {
            entries
                .filter_map(|entry| entry.ok()?.path().ok().map(|p| p.display().to_string()))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_folder_is_packed_with_its_contents_and_stays_ok() -> TestResult {
    let sandbox = Sandbox::new()?;
    tree(&sandbox)?;
    let host = sandbox.host(false);
    let args =
        json!({"path": "/src/conf", "dest": "/src/conf.tgz", "exclusion_patterns": ["*.key"]});
    let first = plan(&host, args.clone())?;
    assert!(first.is_changed());
    assert_eq!(first.data["dest_state"], "archive");
    assert_eq!(first.data["arcroot"], "/src/");
    assert_eq!(
        first.data["archived"],
        json!(["/src/conf/sub", "/src/conf/a.txt", "/src/conf/sub/c.txt"])
    );
    assert_eq!(first.data["expanded_paths"], json!(["/src/conf"]));
    assert_eq!(first.data["missing"], json!([]));
    host.apply(&first.changes[0].ops)?;
    let bytes = std::fs::read(sandbox.real("/src/conf.tgz"))?;
    assert_eq!(
        tar_names(&bytes),
        ["conf/a.txt", "conf/sub/", "conf/sub/c.txt"]
    );
    let second = plan(&host, args.clone())?;
    assert!(!second.is_changed(), "{:?}", second.changes);
    // A changed source changes the archive.
    std::fs::write(sandbox.real("/src/conf/a.txt"), "a, longer\n")?;
    assert!(plan(&host, args)?.is_changed());
    Ok(())
}

#[test]
fn globs_excludes_and_missing_paths() -> TestResult {
    let sandbox = Sandbox::new()?;
    tree(&sandbox)?;
    let host = sandbox.host(false);
    let result = plan(
        &host,
        json!({"path": ["/src/conf/*.txt", "/src/gone", "/src/one.log"],
               "exclude_path": ["/src/one.log"], "dest": "/out.zip", "format": "zip"}),
    )?;
    assert_eq!(
        result.data["expanded_paths"],
        json!(["/src/conf/a.txt", "/src/gone", "/src/one.log"])
    );
    assert_eq!(
        result.data["expanded_exclude_paths"],
        json!(["/src/one.log"])
    );
    assert_eq!(result.data["missing"], json!(["/src/gone"]));
    assert_eq!(result.data["dest_state"], "incomplete");
    assert_eq!(result.data["archived"], json!(["/src/conf/a.txt"]));
    host.apply(&result.changes[0].ops)?;
    let zip = zip::ZipArchive::new(std::fs::File::open(sandbox.real("/out.zip"))?)?;
    assert_eq!(zip.file_names().collect::<Vec<_>>(), ["conf/a.txt"]);
    Ok(())
}

#[test]
fn one_file_is_compressed_beside_itself() -> TestResult {
    let sandbox = Sandbox::new()?;
    tree(&sandbox)?;
    let host = sandbox.host(false);
    for format in ["gz", "bz2", "xz", "zst"] {
        let args = json!({"path": "/src/one.log", "format": format});
        let first = plan(&host, args.clone())?;
        assert_eq!(first.data["dest"], format!("/src/one.log.{format}"));
        assert_eq!(first.data["dest_state"], "compress");
        host.apply(&first.changes[0].ops)?;
        assert!(!plan(&host, args)?.is_changed(), "{format}");
    }
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(sandbox.real("/src/one.log.gz"))?)
        .read_to_string(&mut text)?;
    assert_eq!(text, "log line\n");
    Ok(())
}

#[test]
fn remove_takes_the_sources_away_and_refuses_a_dest_inside_them() -> TestResult {
    let sandbox = Sandbox::new()?;
    tree(&sandbox)?;
    let host = sandbox.host(false);
    let inside = plan(
        &host,
        json!({"path": "/src/conf", "dest": "/src/conf/x.tgz", "remove": true}),
    );
    assert!(inside
        .err()
        .map(|err| err.to_string())
        .unwrap_or_default()
        .contains("can not be contained in source paths"));
    let args = json!({"path": "/src/conf", "dest": "/x.tar", "format": "tar", "remove": true});
    let first = plan(&host, args.clone())?;
    for change in &first.changes {
        host.apply(&change.ops)?;
    }
    assert!(!sandbox.real("/src/conf").exists());
    let second = plan(&host, args)?;
    assert!(!second.is_changed());
    assert_eq!(second.data["missing"], json!(["/src/conf"]));
    assert_eq!(second.data["dest_state"], "archive");
    Ok(())
}

#[test]
fn what_community_general_refuses() -> TestResult {
    let sandbox = Sandbox::new()?;
    tree(&sandbox)?;
    let host = sandbox.host(false);
    let error = |args: Value| {
        plan(&host, args)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(error(json!({"path": "/src/conf"})).contains("must specify \"dest\""));
    assert!(error(json!({"path": "/nothing/*"})).contains("no source paths were found"));
    Ok(())
}

#[test]
fn common_path_is_community_generals() {
    assert_eq!(common_path(&["/a/b/c".into(), "/a/b/d".into()]), "/a/b/");
    assert_eq!(common_path(&["/a/bc/x".into(), "/a/bd/y".into()]), "/a/");
    assert_eq!(common_path(&["/x".into()]), "/");
    assert!(is_archive("/tmp/X.TGZ") && !is_archive("/tmp/x.gz"));
}
