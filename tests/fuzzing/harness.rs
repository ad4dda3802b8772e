//! What the fuzz targets do with one input, shared by the cargo-fuzz targets
//! (fuzz/fuzz_targets/, through `#[path]`) and by tests/fuzz_regressions.rs, which
//! replays every committed seed and every crash ever found on the stable toolchain.
//! A crash is a panic (or an abort) in here.

#![allow(dead_code)]

use machinist::error::SourceMap;
use machinist::template::{FileOptions, Templates};
use machinist::vars::Layer;
use minijinja::Value;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// A project folder made once per process: a role, a task file, a template, a file and
/// a vars file that a fuzzed playbook may name.
fn project() -> &'static Path {
    static DIR: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIR.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let files = [
            (
                "roles/r/tasks/main.yml",
                "- debug: msg={{ x | default(1) }}\n",
            ),
            ("roles/r/meta/main.yml", "dependencies: []\n"),
            ("roles/r/defaults/main.yml", "x: 1\n"),
            ("tasks.yml", "- debug: msg=included\n"),
            ("templates/t.j2", "{{ x }}\n"),
            ("files/f", "f\n"),
            ("vars.yml", "v: 1\n"),
        ];
        for (name, content) in files {
            let path = dir.path().join(name);
            std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
            std::fs::write(path, content).expect("write");
        }
        dir
    })
    .path()
}

/// Load `data` as a playbook (and list its tasks and tags if it loads).
pub fn playbook(data: &[u8]) {
    let path: PathBuf = project().join("site.yml");
    if std::fs::write(&path, data).is_err() {
        return;
    }
    let sources = SourceMap::default();
    if let Ok(playbooks) = machinist::load(&[path], &sources, &Layer::default()) {
        for playbook in &playbooks {
            let _ = machinist::listing::tasks(playbook, &Default::default());
            let _ = machinist::listing::tags(playbook);
        }
    }
}

fn engine() -> &'static (Templates, Value) {
    static ENGINE: OnceLock<(Templates, Value)> = OnceLock::new();
    ENGINE.get_or_init(|| {
        let vars = serde_json::json!({
            "s": "Hello, World: 10.0.0.1/24",
            "n": 42,
            "f": 1.5,
            "b": true,
            "l": [3, 1, 2, "x", null, [1, 2], {"k": "v"}],
            "d": {"a": 1, "b": [1, 2], "c": {"d": "e"}},
            "empty": "",
            "playbook_dir": "/nonexistent-machinist-fuzz",
        });
        (Templates::new(), Value::from_serialize(&vars))
    })
}

/// Render `data`: its first byte picks how (a playbook string, a `when:` condition,
/// a template file with trim_blocks, a native `{{ }}` argument), the rest is the text.
pub fn template(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let (templates, vars) = engine();
    match mode % 4 {
        0 => drop(templates.render_str(text, vars)),
        1 => drop(templates.condition(text, vars)),
        2 => drop(templates.render_file(
            "fuzz.j2",
            text,
            vars,
            FileOptions {
                trim_blocks: true,
                lstrip_blocks: mode & 4 != 0,
                newline_sequence: if mode & 8 != 0 { "\r\n" } else { "\n" },
                ..FileOptions::default()
            },
        )),
        _ => drop(templates.render_native(text, vars)),
    }
}

/// The agent's frame decoder (runner/agent/frame.rs): the input is what a peer wrote
/// on the agent's stdin (or the controller's end); every message in it is decoded as
/// a request and as a reply until the first error. Errors are fine; panics, and
/// allocations beyond one frame's limit per frame, are not.
pub fn agent_frames(data: &[u8]) {
    use machinist::agent::frame::read_message;
    use machinist::agent::message::{Reply, Request};
    let mut as_requests = data;
    while read_message::<Request>(&mut as_requests).is_ok() {}
    let mut as_replies = data;
    while read_message::<Reply>(&mut as_replies).is_ok() {}
}
