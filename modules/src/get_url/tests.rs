//! Tests of get_url's pure parts: checksum files (GNU and BSD lines, a lone digest) and
//! Content-Disposition names. Downloads are tested end to end in tests/get_url_module.rs
//! against a real HTTP server.

use super::*;

#[test]
fn checksum_files_name_their_files() {
    let gnu = "aaa  tool.tar\nbbb *other.tar\nccc ./third.tar\n";
    assert_eq!(digest_for("tool.tar", gnu).as_deref(), Some("aaa"));
    assert_eq!(digest_for("other.tar", gnu).as_deref(), Some("bbb"));
    assert_eq!(digest_for("third.tar", gnu).as_deref(), Some("ccc"));
    assert_eq!(digest_for("missing.tar", gnu), None);
    let bsd = "SHA256 (tool.tar) = ddd\n";
    assert_eq!(digest_for("tool.tar", bsd).as_deref(), Some("ddd"));
    assert_eq!(digest_for("anything", "eee\n").as_deref(), Some("eee"));
}

#[test]
fn a_disposition_names_a_file_never_a_path() {
    assert_eq!(
        disposition_filename("attachment; filename=\"a.tar.gz\"").as_deref(),
        Some("a.tar.gz")
    );
    assert_eq!(
        disposition_filename("attachment; filename=../../etc/passwd").as_deref(),
        Some("passwd")
    );
    assert_eq!(disposition_filename("attachment; filename=\"..\""), None);
    assert_eq!(disposition_filename("inline"), None);
}

#[test]
fn algorithms_digest_as_ansible_names_them() {
    assert_eq!(
        Algorithm::named("SHA256").map(|algorithm| algorithm.digest(b"test")),
        Some("9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08".into())
    );
    assert_eq!(
        Algorithm::named("md5").map(|algorithm| algorithm.digest(b"")),
        Some("d41d8cd98f00b204e9800998ecf8427e".into())
    );
    assert_eq!(Algorithm::named("crc32"), None);
}
