//! ansible-core's file tests (`is file`, `is directory`, `is link`, `is exists`,
//! `is link_exists`, `is same_file`, `is mount` and their `is_` names, `is vaulted_file`): Python's
//! `os.path` functions on the controller, where ansible-core runs them too (never
//! inside the target's root). A path that cannot be read is false, as in Python; a
//! value that is not a string is refused (Python would read a number as an open file
//! descriptor of the controller).

use std::fs::{self, Metadata};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use minijinja::{Environment, Error, Value};

use super::filters::{invalid, string_only};

/// ansible-core's `vaulted_file`: whether the controller's file starts with the vault
/// header; a file that cannot be read is an error, not false.
fn vaulted_file(path: &Value) -> Result<bool, Error> {
    let path = string_only(path, "vaulted_file")?;
    let bytes = fs::read(&path).map_err(|err| {
        invalid(format!(
            "Cannot test if the file '{path}' is a vault: {err}"
        ))
    })?;
    Ok(crate::vault::envelope::is_vaulted(&bytes))
}

/// A test of one path on the controller.
type PathTest = fn(&str) -> bool;

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_test("vaulted_file", |path: Value| vaulted_file(&path));
    let kinds: [(&[&str], PathTest); 6] = [
        (&["directory", "is_dir"], |p| {
            fs::metadata(p).is_ok_and(|m| m.is_dir())
        }),
        (&["file", "is_file"], |p| {
            fs::metadata(p).is_ok_and(|m| m.is_file())
        }),
        (&["link", "is_link"], |p| {
            fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
        }),
        (&["exists"], |p| fs::metadata(p).is_ok()),
        (&["link_exists"], |p| fs::symlink_metadata(p).is_ok()),
        (&["mount", "is_mount"], is_mount),
    ];
    for (names, test) in kinds {
        for name in names {
            env.add_test(*name, move |path: Value| {
                let path = string_only(&path, name)?;
                Ok::<_, Error>(!path.contains('\0') && test(&path))
            });
        }
    }
    for name in ["same_file", "is_same_file"] {
        env.add_test(name, move |a: Value, b: Value| {
            let stat = |path: &Value| -> Result<Metadata, Error> {
                let path = string_only(path, name)?;
                fs::metadata(&path).map_err(|err| invalid(format!("{name}: '{path}': {err}")))
            };
            let (a, b) = (stat(&a)?, stat(&b)?);
            Ok::<_, Error>(a.dev() == b.dev() && a.ino() == b.ino())
        });
    }
}

/// Python's `posixpath.ismount`: not a link, and on another device than its parent
/// or the same inode as it (the root).
fn is_mount(path: &str) -> bool {
    let Ok(own) = fs::symlink_metadata(path) else {
        return false;
    };
    if own.file_type().is_symlink() {
        return false;
    }
    let Ok(parent) = fs::metadata(Path::new(path).join("..")) else {
        return false;
    };
    own.dev() != parent.dev() || own.ino() == parent.ino()
}
