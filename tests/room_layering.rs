//! The rooms of runner/ (its top-level modules) import one another without a circle,
//! in the layers docs/ARCHITECTURE.md writes down: each room uses only rooms of the
//! layers below its own. Read from the sources (every `crate::ROOM` path outside
//! comments), so a new circle, or a room the map does not place, fails here with the
//! files that make it.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// room → room it uses → the files that use it.
type Graph = BTreeMap<String, BTreeMap<String, BTreeSet<String>>>;

#[test]
fn rooms_form_no_circle() {
    let graph = room_graph();
    if let Some(circle) = find_circle(&graph) {
        let why: Vec<String> = circle
            .windows(2)
            .map(|pair| {
                let files = &graph[&pair[0]][&pair[1]];
                format!("{} → {} ({})", pair[0], pair[1], join(files))
            })
            .collect();
        panic!(
            "the rooms of runner/ import in a circle:\n  {}",
            why.join("\n  ")
        );
    }
}

#[test]
fn rooms_use_only_the_layers_below_theirs() {
    let graph = room_graph();
    let layers = documented_layers();
    let mut problems = Vec::new();
    for room in graph.keys() {
        if !layers.contains_key(room) {
            problems.push(format!(
                "room `{room}` is not in docs/ARCHITECTURE.md's layers (\"## The rooms\")"
            ));
        }
    }
    for room in layers.keys() {
        if !graph.contains_key(room) {
            problems.push(format!(
                "docs/ARCHITECTURE.md's layers name `{room}`, which runner/ does not have"
            ));
        }
    }
    for (room, uses) in &graph {
        for (used, files) in uses {
            if let (Some(mine), Some(theirs)) = (layers.get(room), layers.get(used)) {
                if theirs >= mine {
                    problems.push(format!(
                        "`{room}` uses `{used}`, which is not below it ({})",
                        join(files)
                    ));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn paths_into_rooms_are_read_from_every_form_of_use() {
    let found = used_rooms(
        "use crate::a::b;\n// crate::comment\nlet x = crate::c::f(); // crate::tail\n\
         use crate::{d::e, f};\nuse crate::{\n    g::{h, i},\n};\n",
    );
    let expected: BTreeSet<String> = ["a", "c", "d", "f", "g"].map(String::from).into();
    assert_eq!(found, expected);
}

/// Every room of runner/ and the rooms each one uses (itself aside).
fn room_graph() -> Graph {
    let runner = Path::new(ROOT).join("runner");
    let mut graph = Graph::new();
    for entry in std::fs::read_dir(&runner).expect("runner/") {
        let path = entry.expect("entry").path();
        let name = path
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let room = match name.strip_suffix(".rs") {
            Some("lib" | "main") => continue,
            Some(stem) => stem.to_string(),
            None if path.is_dir() => name,
            None => continue,
        };
        graph.entry(room).or_default();
    }
    let rooms: BTreeSet<String> = graph.keys().cloned().collect();
    for file in rust_files(&runner) {
        let relative = file.strip_prefix(&runner).expect("inside runner/");
        let first = relative.components().next().expect("a component");
        let first = first.as_os_str().to_string_lossy();
        let room = first.strip_suffix(".rs").unwrap_or(&first).to_string();
        if !rooms.contains(&room) {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("source");
        for used in used_rooms(&text) {
            if used != room && rooms.contains(&used) {
                graph
                    .get_mut(&room)
                    .expect("room")
                    .entry(used)
                    .or_default()
                    .insert(format!("runner/{}", relative.display()));
            }
        }
    }
    graph
}

fn rust_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    for entry in std::fs::read_dir(dir).expect("folder") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            files.extend(rust_files(&path));
        } else if path.extension().is_some_and(|ext| ext == "rs") {
            files.push(path);
        }
    }
    files
}

/// The first segment of every `crate::` path in `text`, comments left out; a group
/// (`crate::{a::x, b}`) names each of its members.
fn used_rooms(text: &str) -> BTreeSet<String> {
    let code: String = text
        .lines()
        .map(|line| line.split("//").next().unwrap_or(""))
        .collect::<Vec<_>>()
        .join("\n");
    let mut rooms = BTreeSet::new();
    let mut rest = code.as_str();
    while let Some(at) = rest.find("crate::") {
        let before = rest[..at].chars().next_back();
        rest = &rest[at + "crate::".len()..];
        if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
            continue; // `$crate::`, `my_crate::`
        }
        if let Some(group) = rest.strip_prefix('{') {
            let mut depth = 0usize;
            let mut member_start = true;
            for (i, c) in group.char_indices() {
                match c {
                    '{' => depth += 1,
                    '}' if depth == 0 => {
                        rest = &group[i..];
                        break;
                    }
                    '}' => depth -= 1,
                    ',' if depth == 0 => member_start = true,
                    c if member_start && (c.is_alphanumeric() || c == '_') => {
                        rooms.insert(identifier(&group[i..]));
                        member_start = false;
                    }
                    _ => {}
                }
            }
        } else {
            rooms.insert(identifier(rest));
        }
    }
    rooms
}

fn identifier(text: &str) -> String {
    text.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

/// The layers of docs/ARCHITECTURE.md's "## The rooms" section: its first fenced
/// block, top layer first, one line per layer: `room, room | what they are`.
/// room → its layer, the bottom one 0.
fn documented_layers() -> BTreeMap<String, usize> {
    let doc = std::fs::read_to_string(Path::new(ROOT).join("docs/ARCHITECTURE.md"))
        .expect("docs/ARCHITECTURE.md");
    let section = doc
        .split("\n## The rooms")
        .nth(1)
        .expect("docs/ARCHITECTURE.md has a \"## The rooms\" section");
    let block = section
        .split("```")
        .nth(1)
        .expect("the rooms section has a fenced block of layers");
    let lines: Vec<&str> = block
        .lines()
        .skip(1)
        .filter(|line| !line.trim().is_empty())
        .collect();
    let mut layers = BTreeMap::new();
    for (top_down, line) in lines.iter().enumerate() {
        let (rooms, _what) = line
            .split_once('|')
            .unwrap_or_else(|| panic!("a layer line is `rooms | what`: {line:?}"));
        for room in rooms.split(',') {
            let layer = lines.len() - 1 - top_down;
            let previous = layers.insert(room.trim().to_string(), layer);
            assert!(previous.is_none(), "`{}` is in two layers", room.trim());
        }
    }
    layers
}

/// A circle of the graph (its first room repeated at the end), if there is one.
fn find_circle(graph: &Graph) -> Option<Vec<String>> {
    #[derive(Clone, Copy, PartialEq)]
    enum Mark {
        Open,
        Done,
    }
    fn visit(
        room: &str,
        graph: &Graph,
        marks: &mut BTreeMap<String, Mark>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        match marks.get(room) {
            Some(Mark::Done) => return None,
            Some(Mark::Open) => {
                let start = path.iter().position(|r| r == room).expect("on the path");
                let mut circle = path[start..].to_vec();
                circle.push(room.to_string());
                return Some(circle);
            }
            None => {}
        }
        marks.insert(room.to_string(), Mark::Open);
        path.push(room.to_string());
        for used in graph.get(room).into_iter().flat_map(BTreeMap::keys) {
            if let Some(circle) = visit(used, graph, marks, path) {
                return Some(circle);
            }
        }
        path.pop();
        marks.insert(room.to_string(), Mark::Done);
        None
    }
    let mut marks = BTreeMap::new();
    graph
        .keys()
        .find_map(|room| visit(room, graph, &mut marks, &mut Vec::new()))
}

#[test]
fn a_circle_is_found_and_named() {
    let mut graph = Graph::new();
    for (from, to) in [("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")] {
        graph
            .entry(from.to_string())
            .or_default()
            .entry(to.to_string())
            .or_default()
            .insert(format!("{from}.rs"));
    }
    assert_eq!(
        find_circle(&graph),
        Some(["a", "b", "c", "a"].map(String::from).to_vec())
    );
    graph.get_mut("c").expect("c").clear();
    assert_eq!(find_circle(&graph), None);
}

fn join(files: &BTreeSet<String>) -> String {
    files.iter().cloned().collect::<Vec<_>>().join(", ")
}
