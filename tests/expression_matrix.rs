//! The expression matrix (issue 15): more than a thousand Jinja expressions, made by
//! crossing literal values of every type with Ansible's filters, tests and operators,
//! are evaluated by ansible-core and by machinist, and compared as JSON value by value.
//!
//! Each expression becomes one `debug: msg: "{{ EXPR }}"` task with `ignore_errors`,
//! in one generated playbook; both tools print what `debug` showed (Ansible's default
//! callback with JSON results, which machinist's reporter reproduces), and the corpus'
//! output parser reads it. An expression is recorded as `{"ok": VALUE}` or
//! `{"failed": true}` (error messages are the tools' own and are not compared).
//! ansible-core's answers are `ansible_compat/matrix.json`, written only by
//! `scripts/regen-expression-matrix`; a difference machinist keeps on purpose is in
//! `ansible_compat/matrix_differences.yml` with the heading of its explanation in
//! docs/ansible-differences.md. A failure names every expression that differs.

// Shared with the corpus test, which uses more of them (inventories).
#[path = "ansible_compat/output.rs"]
#[allow(dead_code)]
mod output;
#[path = "ansible_compat/tool.rs"]
#[allow(dead_code)]
mod tool;

use serde::Deserialize;
use serde_json::{json, Map, Value};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tool::{ansible_playbook, ansible_version, Tool};

/// Issue 15 asks for at least this many expressions.
const MIN_EXPRESSIONS: usize = 1000;

/// Literal values of every type the expressions are built from.
const VALUES: &[&str] = &[
    "0",
    "1",
    "-7",
    "42",
    "3.5",
    "-0.25",
    "'abc'",
    "''",
    "'Hello World'",
    "'  padded  '",
    "'42'",
    "'3.14'",
    "'yes'",
    "'a,b,c'",
    "'/etc/nginx/nginx.conf'",
    "'ÄÖ ü'",
    "true",
    "false",
    "none",
    "[]",
    "[3, 1, 2]",
    "['b', 'a', 'B']",
    "[1, [2, [3, [4]]]]",
    "[1, 1, 2, 'x', 'x']",
    "{}",
    "{'b': 2, 'a': 1}",
    "{'k': [1, 2], 'n': none}",
    "[{'n': 'x', 'v': 1}, {'n': 'y', 'v': 2}]",
];

/// Filters applied to every value (with fixed arguments where they need some).
const FILTERS: &[&str] = &[
    "length",
    "count",
    "first",
    "last",
    "min",
    "max",
    "sum",
    "unique",
    "sort",
    "reverse | list",
    "list",
    "string",
    "int",
    "float",
    "bool",
    "lower",
    "upper",
    "capitalize",
    "title",
    "trim",
    "to_json",
    "to_nice_json",
    "to_yaml",
    "to_nice_yaml",
    "join",
    "join('-')",
    "default('D')",
    "default('D', true)",
    "flatten",
    "flatten(levels=1)",
    "dict2items",
    "b64encode",
    "hash('sha1')",
    "checksum",
    "quote",
    "regex_escape",
    "basename",
    "dirname",
    "splitext",
    "abs",
    "round",
    "type_debug",
    "ternary('T', 'F')",
    "wordcount",
    "indent(2)",
    "center(12)",
    "replace('a', 'X')",
    "regex_replace('[aeiou]', '_')",
    "regex_search('[0-9]+')",
    "regex_findall('[a-z]')",
    "split(',')",
    "combine({'z': 0})",
    "dictsort",
    "batch(2) | list",
    "slice(2) | list",
    "map('string') | list",
    "select | list",
    "reject | list",
    "zip(['p', 'q']) | list",
    "intersect([1, 'x', 'a'])",
    "difference([1])",
    "union([9])",
    "symmetric_difference([1, 5])",
    "human_readable",
    "items2dict(key_name='n', value_name='v')",
    "string | length",
    "urlencode",
    "comment",
    "to_uuid",
    "truncate(5)",
    "mandatory",
    "tojson",
    "e",
    "striptags",
    "from_json",
    "from_yaml",
    "pow(2)",
    "log",
    "selectattr('v') | list",
    "map(attribute='n') | list",
    "wordwrap(5)",
    "wordwrap(3, false, '|')",
];

/// ansible-core's set filters answer in the order of a Python set, which for strings
/// changes from run to run (hash randomisation): not applied to values holding strings.
const SET_FILTERS: &[&str] = &["intersect", "difference", "union", "symmetric_difference"];

/// Tests applied to every value.
const TESTS: &[&str] = &[
    "defined",
    "undefined",
    "none",
    "string",
    "number",
    "integer",
    "float",
    "boolean",
    "mapping",
    "iterable",
    "sequence",
    "sameas(true)",
    "lower",
    "upper",
    "truthy",
    "falsy",
    "even",
    "odd",
    "divisibleby(3)",
    "contains(1)",
    "in([1, 'abc', none])",
    "eq(1)",
    "ge(1)",
    "match('a')",
    "search('b')",
    "regex('^[a-z]+$')",
    "subset([1, 2, 3])",
    "superset([1])",
    "abs",
    "callable",
    "vault_encrypted",
];

/// A smaller set of values crossed with each other under every operator.
const OPERANDS: &[&str] = &[
    "0", "3", "2.5", "'ab'", "'3'", "true", "none", "[1, 2]", "{'a': 1}",
];

const OPERATORS: &[&str] = &[
    "+", "-", "*", "/", "//", "%", "**", "==", "!=", "<", "in", "~", "and", "or",
];

/// Plugins the crossing above does not reach, added for the roles issue 15 found
/// using them (`human_to_bytes`, `urlsplit`, `strftime`, the `varnames` lookup, …),
/// each on a few telling inputs and failures.
const PLUGIN_EXPRESSIONS: &[&str] = &[
    "'1 MB' | human_to_bytes",
    "'2K' | human_to_bytes",
    "'10' | human_to_bytes('M')",
    "10 | human_to_bytes(default_unit='K')",
    "'1.5 kilobyte' | human_to_bytes",
    "'1Mb' | human_to_bytes(isbits=true)",
    "'1Mb' | human_to_bytes",
    "'2.5' | human_to_bytes",
    "'3.5' | human_to_bytes",
    "'.5K' | human_to_bytes",
    "'1 XB' | human_to_bytes",
    "'abc' | human_to_bytes",
    "' 1K' | human_to_bytes",
    "'1.K' | human_to_bytes",
    "'4 GB ' | human_to_bytes",
    "true | human_to_bytes",
    "1048576 | human_readable",
    "2048 | human_readable(unit='K')",
    "1000000 | human_readable(isbits=true)",
    "'https://user:pw@Example.com:8443/a/b?x=1&y=2#top' | urlsplit",
    "'https://user:pw@Example.com:8443/a/b?x=1&y=2#top' | urlsplit('hostname')",
    "'https://user:pw@Example.com:8443/a/b?x=1&y=2#top' | urlsplit('port')",
    "'https://user:pw@Example.com:8443/a/b?x=1&y=2#top' | urlsplit('netloc')",
    "'https://user:pw@Example.com:8443/a/b?x=1&y=2#top' | urlsplit('query')",
    "'http://example.com' | urlsplit('path')",
    "'http://admin@example.com/' | urlsplit('password')",
    "'/just/a/path?q' | urlsplit",
    "'ftp://[::1]:21/x' | urlsplit('hostname')",
    "'mailto:a@b.c' | urlsplit",
    "'http://h:port/' | urlsplit('port')",
    "'http://example.com' | urlsplit('nope')",
    "'a%20b+c%2Fd' | urldecode",
    "'%C3%A4%zz' | urldecode",
    "'%Y-%m-%d %H:%M:%S' | strftime(0, utc=true)",
    "'%Y-%m-%d %H:%M:%S' | strftime(1700000000.9, utc=true)",
    "'%j %a %b %A %B %y %e' | strftime(3888000, utc=true)",
    "'%H:%M' | strftime('3600', utc=true)",
    "'%Y' | strftime('soon')",
    "'/a//b/./c/../d/' | normpath",
    "'../a/..' | normpath",
    "'' | normpath",
    "'//a' | normpath",
    "'///a/b' | normpath",
    "['/a/b/c', '/a/b/d'] | commonpath",
    "['a/b', 'a/./b/c'] | commonpath",
    "['/a', 'b'] | commonpath",
    "[] | commonpath",
    "['/'] | commonpath",
    "query('list', [1, [2]])",
    "query('indexed_items', ['a', 'b'])",
    "query('nested', [1, 2], ['a', 'b'])",
    "query('nested', [[1, 2], ['a']])",
    "query('together', [1, 2], ['a'])",
    "query('subelements', [{'n': 1, 'l': [1, 2]}], 'l')",
    "lookup('varnames', '^playbook_dir$')",
    "lookup('varnames', '^inventory_hostname')",
    "query('varnames', '^nope')",
    "'/' is directory",
    "'/' is is_dir",
    "'/proc/self' is link",
    "'/proc/self/stat' is file",
    "'/proc/self' is is_file",
    "'/' is exists",
    "'/nonexistent/machinist' is exists",
    "'' is exists",
    "'/proc/self' is link_exists",
    "'/' is mount",
    "'/proc/self' is mount",
    "'/' is same_file('/proc/../')",
    "'/nonexistent/machinist' is same_file('/')",
    "none is exists",
    "'https://example.com/x' is url",
    "'file:///etc/hosts' is url",
    "'mailto:a@b.c' is url",
    "'mailto:a@b.c' is uri",
    "'just text' is uri",
    "'https://example.com' is uri(['http', 'https'])",
    "'ftp://example.com' is url(schemes=['http'])",
    "'urn:isbn:0451450523' is urn",
    "'http://h:port/' is url",
    "42 is uri",
    "[1, 5, 9, 17, 33] | union([2, 16])",
    "[100, 3, 17, 8] | union([64, 0])",
    "[-1, -2, 5, 7] | difference([7])",
    "[1, 2, 3, 4, 5, 6, 7, 8, 9, 10] | difference([3])",
    "[40, 8, 16, 24] | intersect([24, 16, 8, 99])",
    "[1, 2, 3] | symmetric_difference([3, 4, 12, 20])",
    "[3, 2.5, 1] | union([1])",
    "'/etc/nginx/nginx.conf' | relpath('/etc')",
    "'/etc' | relpath('/usr/lib')",
    "'/a/b' | relpath('/a/b/')",
    "'' | relpath('/')",
    "[{'n': 'a', 'v': 1}, {'n': 'b', 'v': 2}] | rekey_on_member('n')",
    "{'x': {'n': 'a'}, 'y': {'n': 'b'}} | rekey_on_member('n')",
    "{'x': {'n': 'a'}, 'y': {'n': 'a'}} | rekey_on_member('n')",
    "[{'n': 'a'}, {'n': 'a', 'z': 1}] | rekey_on_member('n', duplicates='overwrite')",
    "[{'n': 'a'}] | rekey_on_member('m')",
    "[1] | rekey_on_member('n')",
    "'text' | rekey_on_member('n')",
    "'~root/x' | expanduser",
    "'~nosuchuser_machinist/x' | expanduser",
    "'/a/~b' | expanduser",
    "'$MACHINIST_NOPE_X/${}/$' | expandvars",
    "'/usr/${MACHINIST_NOPE_Y}x$' | expandvars",
    "{'class': 'a b', 'id': none, 'x': '<&>'} | xmlattr",
    "{'class': 'a'} | xmlattr(false)",
    "{'a b': 1} | xmlattr",
    "{} | xmlattr",
    "[1] | xmlattr",
    "'<a & b>' | forceescape",
    "[1, '<'] | forceescape",
    "none | forceescape",
    "query('random_choice')",
    "lookup('random_choice', 'a', 'a')",
    "59 | random(seed='web1')",
    "60 | random(seed=42)",
    "100 | random(5, 7, seed='')",
    "['a', 'b', 'c', 'd'] | random(seed='web1')",
    "'hostname' | random(seed='db2')",
    "0 | random(seed='a')",
    "[] | random(seed='a')",
    "[1, 2, 3, 4, 5] | shuffle(seed='x')",
    "['w', 'x', 'y', 'z'] | shuffle(seed=7)",
    "'abc' | shuffle(seed='x')",
    "5 | shuffle",
    "[] | shuffle",
    "[7] | shuffle",
    "('2016-08-14 20:00:12' | to_datetime).year",
    "('2016-08-14 20:00:12' | to_datetime).strftime('%d.%m.%Y %H:%M:%S %j %U %w %y %b %B %a %A %p %I %f %%')",
    "('2016-08-14 20:00:12.5' | to_datetime('%Y-%m-%d %H:%M:%S.%f')).microsecond",
    "('2016-08-14 20:00:12.5' | to_datetime('%Y-%m-%d %H:%M:%S.%f')).isoformat()",
    "('2016-08-14 20:00:12' | to_datetime).isoformat(' ')",
    "('2016-08-14 20:00:12' | to_datetime) | string",
    "('Mon, 5 Feb 2024 07:08:09' | to_datetime('%a, %d %b %Y %H:%M:%S')).isoweekday()",
    "('24-060' | to_datetime('%y-%j')).month",
    "('99' | to_datetime('%y')).year",
    "('69' | to_datetime('%y')).year",
    "('2016-08-14T20:00:12+0130' | to_datetime('%Y-%m-%dT%H:%M:%S%z')).timestamp()",
    "('2016-08-14T20:00:12Z' | to_datetime('%Y-%m-%dT%H:%M:%S%z')) | string",
    "('12 AM' | to_datetime('%I %p')).hour",
    "('12 pm' | to_datetime('%I %p')).hour",
    "('  2016  8  4' | to_datetime(' %Y %m %d')).day",
    "'2016-08-14' | to_datetime",
    "'2016-08-14 20:00:12 ' | to_datetime",
    "'2023-02-29 00:00:00' | to_datetime",
    "'2016-13-01 00:00:00' | to_datetime",
    "1 | to_datetime",
    "'x' | to_datetime('%Q')",
    "('2016-08-14 20:00:12' | to_datetime).tzinfo",
    "'one two three four five six' | wordwrap(9)",
    "'one two three four five six' | wordwrap(width=9, wrapstring='<br>')",
    "'a-very-long-hyphenated-word here' | wordwrap(7)",
    "'a-very-long-hyphenated-word here' | wordwrap(7, break_on_hyphens=false)",
    "'line one\nline two is longer\n\nend' | wordwrap(8)",
    "'x' | wordwrap(0)",
    "'' | wordwrap",
    "'tab\tseparated words here' | wordwrap(6)",
    "'hello' | vault('pw', salt='saltsalt')",
    "'hello' | vault('pw', salt='saltsalt', vault_id='prod')",
    "'hello' | vault('pw', salt='saltsalt') | unvault('pw')",
    "'not vaulted' | unvault('pw')",
    "1 | vault('pw')",
    "'x' | vault(1)",
    "lookup('password', '/dev/null', seed='web1')",
    "lookup('password', '/dev/null seed=db length=10 chars=ascii_letters,digits')",
    "query('password', '/dev/null', seed=7, length=4, chars=['digits'])",
    "query('inventory_hostnames', 'all')",
    "query('inventory_hostnames', 'localhost:!all')",
    "query('inventory_hostnames', 'nothere')",
    "{'started': 0} is started",
    "{} is started",
    "'see (www.example.com). or mail a@b.org' | urlize",
    "'go to http://example.org/a?b=1#c, now' | urlize(10)",
    "'<https://[::1]:8080/p> & foo.com' | urlize(nofollow=true, target='_blank')",
    "'ftp://h/x mailto:me@x.io' | urlize(rel='me', extra_schemes=['ftp:'])",
    "42 | urlize",
    "'x' | urlize(extra_schemes=['1bad'])",
];

/// Every expression of the matrix, in a stable order, without repeats.
fn expressions() -> Vec<String> {
    let mut all = Vec::new();
    for value in VALUES {
        for filter in FILTERS {
            if SET_FILTERS.iter().any(|f| filter.starts_with(f)) && value.contains('\'') {
                continue;
            }
            all.push(format!("{value} | {filter}"));
        }
        for test in TESTS {
            all.push(format!("{value} is {test}"));
        }
    }
    all.extend(PLUGIN_EXPRESSIONS.iter().map(|e| e.to_string()));
    for left in OPERANDS {
        for right in OPERANDS {
            for op in OPERATORS {
                all.push(format!("{left} {op} {right}"));
            }
        }
    }
    let mut seen = std::collections::HashSet::new();
    all.retain(|e| seen.insert(e.clone()));
    all
}

fn compat_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/ansible_compat")
}

/// Write the matrix as one playbook in `dir`: one debug task per expression, named by
/// its index.
fn write_playbook(dir: &Path, exprs: &[String]) -> PathBuf {
    let tasks: Vec<Value> = exprs
        .iter()
        .enumerate()
        .map(|(i, e)| {
            json!({
                "name": format!("m{i}"),
                "debug": { "msg": format!("{{{{ {e} }}}}") },
                "ignore_errors": true,
            })
        })
        .collect();
    let play = json!([{
        "name": "expression matrix",
        "hosts": "localhost",
        "gather_facts": false,
        "tasks": tasks,
    }]);
    let path = dir.join("matrix.yml");
    std::fs::write(&path, serde_json::to_string_pretty(&play).expect("json"))
        .expect("write the matrix playbook");
    path
}

/// Run the matrix with one tool: each expression's outcome, by expression.
fn evaluate(tool: &Tool, exprs: &[String]) -> BTreeMap<String, Value> {
    let scratch = tempfile::Builder::new()
        .prefix("machinist-matrix-")
        .tempdir()
        .expect("temp dir");
    write_playbook(scratch.path(), exprs);
    let output = tool
        .command(scratch.path(), scratch.path())
        .args(["-i", "localhost,", "matrix.yml"])
        .output()
        .expect("start the tool");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let parsed = output::parse(&stdout);
    let mut outcomes = BTreeMap::new();
    for record in parsed.records {
        let Some(index) = record["task"]
            .as_str()
            .and_then(|t| t.strip_prefix('m'))
            .and_then(|i| i.parse::<usize>().ok())
        else {
            continue;
        };
        let Some(expr) = exprs.get(index) else {
            continue;
        };
        let outcome = match record["status"].as_str() {
            Some("ok") => json!({ "ok": record["shown"]["msg"] }),
            Some(other) => json!({ other: true }),
            None => continue,
        };
        outcomes.insert(expr.clone(), outcome);
    }
    assert!(
        !outcomes.is_empty(),
        "no expression was evaluated; the tool said:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    outcomes
}

fn golden_path() -> PathBuf {
    compat_dir().join("matrix.json")
}

fn read_golden() -> (String, BTreeMap<String, Value>) {
    let text = std::fs::read_to_string(golden_path())
        .expect("ansible_compat/matrix.json: run scripts/regen-expression-matrix");
    let golden: Value = serde_json::from_str(&text).expect("matrix.json is JSON");
    let values = golden["values"]
        .as_object()
        .cloned()
        .unwrap_or_default()
        .into_iter()
        .collect();
    (
        golden["ansible_core"].as_str().unwrap_or_default().into(),
        values,
    )
}

/// A difference machinist keeps on purpose (`matrix_differences.yml`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Kept {
    expr: String,
    /// The bold heading of its entry in docs/ansible-differences.md.
    doc: String,
    ansible: Value,
    machinist: Value,
}

fn kept() -> Vec<Kept> {
    let path = compat_dir().join("matrix_differences.yml");
    let text = std::fs::read_to_string(&path).expect("matrix_differences.yml");
    serde_yaml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_matrix_is_large_enough() {
    let exprs = expressions();
    assert!(
        exprs.len() >= MIN_EXPRESSIONS,
        "the matrix has {} expressions, issue 15 asks for {MIN_EXPRESSIONS}",
        exprs.len()
    );
    let (version, golden) = read_golden();
    assert!(!version.is_empty(), "matrix.json names no ansible-core");
    let missing: Vec<&String> = exprs.iter().filter(|e| !golden.contains_key(*e)).collect();
    assert!(
        missing.is_empty(),
        "matrix.json lacks {} expressions (run scripts/regen-expression-matrix): {missing:?}",
        missing.len()
    );
}

#[test]
fn machinist_evaluates_the_matrix_as_ansible_core() {
    let exprs = expressions();
    let (version, golden) = read_golden();
    let kept = kept();
    let docs = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ansible-differences.md"),
    )
    .expect("docs/ansible-differences.md");
    let mut problems = Vec::new();
    for k in &kept {
        if !docs.contains(&k.doc) {
            problems.push(format!(
                "matrix_differences.yml: {}: docs/ansible-differences.md has no '{}'",
                k.expr, k.doc
            ));
        }
    }
    let actual = evaluate(&Tool::Machinist, &exprs);
    let absent = json!("<not run>");
    for expr in &exprs {
        let Some(ansible) = golden.get(expr) else {
            continue;
        };
        let mine = actual.get(expr).unwrap_or(&absent);
        let (expected, expected_mine) = match kept.iter().find(|k| &k.expr == expr) {
            Some(k) => (&k.ansible, &k.machinist),
            None => (ansible, ansible),
        };
        if expected != ansible {
            problems.push(format!(
                "matrix_differences.yml: {expr}: ansible-core gives {ansible}, not {expected}"
            ));
        } else if mine != expected_mine {
            problems.push(format!(
                "{{{{ {expr} }}}}\n    ansible-core: {ansible}\n    machinist:    {mine}"
            ));
        }
    }
    assert!(
        problems.is_empty(),
        "{} of {} expressions differ from ansible-core {version}:\n{}",
        problems.len(),
        exprs.len(),
        problems.join("\n")
    );
}

/// Write matrix.json with the real ansible-core. Only scripts/regen-expression-matrix
/// runs this (it is ignored otherwise).
#[test]
#[ignore = "run by scripts/regen-expression-matrix"]
fn regen_matrix() {
    let playbook = ansible_playbook().unwrap_or_else(|msg| panic!("{msg}"));
    let version = ansible_version(&playbook);
    let exprs = expressions();
    let values: Map<String, Value> = evaluate(&Tool::Ansible { playbook }, &exprs)
        .into_iter()
        .collect();
    let golden = json!({ "ansible_core": version, "values": values });
    std::fs::write(
        golden_path(),
        serde_json::to_string_pretty(&golden).expect("json") + "\n",
    )
    .expect("write matrix.json");
    eprintln!("matrix.json: {} expressions", exprs.len());
}
