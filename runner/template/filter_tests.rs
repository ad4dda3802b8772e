//! Every Ansible filter and test we provide, against the output Ansible documents (or
//! that Python/PyYAML produce for the same call). Expressions are written as a
//! playbook string reaches the engine after YAML: backslashes single.

use minijinja::value::ValueKind;
use minijinja::Value;
use serde_json::json;

use super::value_format::py_repr;
use super::{TemplateError, Templates};

fn ctx(value: serde_json::Value) -> Value {
    Value::from_serialize(value)
}

pub(super) fn r(source: &str) -> String {
    rc(source, json!({}))
}

pub(super) fn rc(source: &str, context: serde_json::Value) -> String {
    match Templates::new().render_str(source, &ctx(context)) {
        Ok(text) => text,
        Err(err) => panic!("{source}: {err}"),
    }
}

/// The native value's Python repr.
fn n(source: &str) -> String {
    match Templates::new().render_native(source, &ctx(json!({}))) {
        Ok(value) => py_repr(&value),
        Err(err) => panic!("{source}: {err}"),
    }
}

pub(super) fn fails(source: &str) -> TemplateError {
    match Templates::new().render_str(source, &ctx(json!({}))) {
        Ok(text) => panic!("{source} rendered {text:?}"),
        Err(err) => err,
    }
}

#[test]
fn bool_accepts_ansible_spellings_only() {
    for yes in [
        "'yes'", "'Yes'", "'on'", "'true'", "'True'", "'1'", "'y'", "1", "true",
    ] {
        assert_eq!(r(&format!("{{{{ {yes} | bool }}}}")), "True", "{yes}");
    }
    for no in ["'no'", "'OFF'", "'false'", "'0'", "'n'", "''", "0", "false"] {
        assert_eq!(r(&format!("{{{{ {no} | bool }}}}")), "False", "{no}");
    }
    let err = fails("{{ 'maybe' | bool }}");
    assert!(
        err.message.contains("'maybe' is not a boolean"),
        "{}",
        err.message
    );
    assert!(fails("{{ 2 | bool }}").message.contains("not a boolean"));
}

#[test]
fn ternary() {
    assert_eq!(r("{{ (1 == 1) | ternary('yes', 'no') }}"), "yes");
    assert_eq!(r("{{ '' | ternary('yes', 'no') }}"), "no");
    assert_eq!(r("{{ none | ternary('t', 'f', 'n') }}"), "n");
    assert_eq!(r("{{ false | ternary('t', 'f', 'n') }}"), "f");
    assert_eq!(r("{{ none | ternary('t', 'f') }}"), "f");
}

#[test]
fn json_filters() {
    assert_eq!(
        r("{{ {'a': [1, 'é', none, 1.5]} | to_json }}"),
        r#"{"a": [1, "\u00e9", null, 1.5]}"#
    );
    assert_eq!(
        r("{{ {'b': 1, 'a': {'c': [true]}} | to_nice_json }}"),
        "{\n    \"a\": {\n        \"c\": [\n            true\n        ]\n    },\n    \"b\": 1\n}"
    );
    assert_eq!(r("{{ [1] | to_nice_json(indent=2) }}"), "[\n  1\n]");
    assert_eq!(
        r("{{ {'b': 1, 'a': 2} | to_json(sort_keys=true) }}"),
        r#"{"a": 2, "b": 1}"#
    );
    assert_eq!(
        n(r#"{{ '{"a": [1, true, null]}' | from_json }}"#),
        "{'a': [1, True, None]}"
    );
    assert!(fails("{{ '{' | from_json }}")
        .message
        .starts_with("from_json:"));
}

#[test]
fn yaml_filters_write_pyyaml_bytes() {
    let data = json!({"data": {
        "b": [1, 2, {"x": "y", "a": true}],
        "a": {"k": null, "s": "héllo", "m": "multi\nline"},
        "e": [], "f": {}, "n": "yes", "q": "1.0"
    }});
    // yaml.dump(d, allow_unicode=True, default_flow_style=None)
    assert_eq!(
        rc("{{ data | to_yaml }}", data.clone()),
        "a: {k: null, m: 'multi\n\n    line', s: héllo}\nb:\n- 1\n- 2\n- {a: true, x: y}\ne: []\nf: {}\nn: 'yes'\nq: '1.0'\n"
    );
    // yaml.dump(d, indent=4, allow_unicode=True, default_flow_style=False)
    assert_eq!(
        rc("{{ data | to_nice_yaml }}", data),
        "a:\n    k: null\n    m: 'multi\n\n        line'\n    s: héllo\nb:\n- 1\n- 2\n-   a: true\n    x: y\ne: []\nf: {}\nn: 'yes'\nq: '1.0'\n"
    );
    // Long lines fold at 80 columns as PyYAML folds them.
    let words = vec!["word"; 25].join(" ");
    assert_eq!(
        rc("{{ {'x': w} | to_yaml }}", json!({"w": words})),
        "{x: word word word word word word word word word word word word word word word word\n    word word word word word word word word word}\n"
    );
    assert_eq!(r("{{ 'plain' | to_yaml }}"), "plain\n");
    assert_eq!(r("{{ [1, 2] | to_nice_yaml(indent=2) }}"), "- 1\n- 2\n");
    assert_eq!(
        rc(
            "{{ (doc | from_yaml).a }}",
            json!({"doc": "a: [1, 2]\nb: x"})
        ),
        "[1, 2]"
    );
    assert_eq!(
        n("{{ '{a: yes, b: [1]}' | from_yaml }}"),
        "{'a': True, 'b': [1]}",
        "YAML 1.1, as PyYAML reads it"
    );
}

#[test]
fn regex_replace_as_documented() {
    assert_eq!(
        r(r"{{ 'ansible' | regex_replace('^a.*i(.*)$', 'a\1') }}"),
        "able"
    );
    assert_eq!(
        r(r"{{ 'foobar' | regex_replace('^f.*o(.*)$', '\1') }}"),
        "bar"
    );
    assert_eq!(
        r(
            r"{{ 'localhost:80' | regex_replace('^(?P<host>.+):(?P<port>\d+)$', '\g<host>, \g<port>') }}"
        ),
        "localhost, 80"
    );
    assert_eq!(
        r("{{ 'localhost:80' | regex_replace(':80') }}"),
        "localhost"
    );
    assert_eq!(
        r("{{ 'ABC' | regex_replace('b', 'x', ignorecase=true) }}"),
        "AxC"
    );
    assert_eq!(r("{{ 'aaa' | regex_replace('a', 'b', count=2) }}"), "bba");
    assert_eq!(r("{{ 'x' | regex_replace('x', '$1') }}"), "$1");
    assert_eq!(
        r("{{ 'a\nb' | regex_replace('^', '# ', multiline=true) }}"),
        "# a\n# b"
    );
    let err = fails("{{ 'aaa' | regex_replace('a', 'b', mandatory_count=2) }}");
    assert!(
        err.message
            .contains("should match 2 times, but matches 3 times"),
        "{}",
        err.message
    );
}

#[test]
fn regex_search_and_findall_as_documented() {
    assert_eq!(
        r("{{ 'server1/database42' | regex_search('database[0-9]+') }}"),
        "database42"
    );
    assert_eq!(
        r("{{ 'foo\nBAR' | regex_search('^bar', multiline=True, ignorecase=True) }}"),
        "BAR"
    );
    assert_eq!(
        r(
            r"{{ 'server1/database42' | regex_search('server([0-9]+)/database([0-9]+)', '\1', '\2') }}"
        ),
        "['1', '42']"
    );
    assert_eq!(
        r(
            r"{{ '21/42' | regex_search('(?P<dividend>[0-9]+)/(?P<divisor>[0-9]+)', '\g<dividend>', '\g<divisor>') }}"
        ),
        "['21', '42']"
    );
    assert_eq!(
        r("{{ 'ansible' | regex_search('foobar') is none }}"),
        "True"
    );
    assert_eq!(
        r(
            r"{{ 'Our IPs are: 10.10.10.1 and 10.10.10.2' | regex_findall('\b(?:[0-9]{1,3}\.){3}[0-9]{1,3}\b') }}"
        ),
        "['10.10.10.1', '10.10.10.2']"
    );
    assert_eq!(
        r(r"{{ 'a=1,b=2' | regex_findall('(\w)=\d') }}"),
        "['a', 'b']"
    );
    assert_eq!(
        r(r"{{ 'a=1,b=2' | regex_findall('(\w)=(\d)') }}"),
        "[['a', '1'], ['b', '2']]"
    );
    assert_eq!(r(r"{{ 'a.b*c' | regex_escape }}"), r"a\.b\*c");
    assert_eq!(
        r(r"{{ 'a.b' | regex_escape(re_type='posix_basic') }}"),
        r"a\.b"
    );
}

#[test]
fn path_and_shell_filters() {
    assert_eq!(r("{{ '/etc/asdf/foo.txt' | basename }}"), "foo.txt");
    assert_eq!(r("{{ '/etc/asdf/foo.txt' | dirname }}"), "/etc/asdf");
    assert_eq!(
        r("{{ ['/etc', 'systemd', 'x.conf'] | path_join }}"),
        "/etc/systemd/x.conf"
    );
    assert_eq!(r("{{ ['/etc', '/abs'] | path_join }}"), "/abs");
    assert_eq!(
        r("{{ 'nginx.conf.j2' | splitext }}"),
        "['nginx.conf', '.j2']"
    );
    assert_eq!(r("{{ 'hello world' | quote }}"), "'hello world'");
    assert_eq!(r("{{ \"it's\" | quote }}"), r#"'it'"'"'s'"#);
    assert_eq!(r("{{ '/plain/path' | quote }}"), "/plain/path");
    assert_eq!(r("{{ '' | quote }}"), "''");
}

#[test]
fn base64_and_hashes() {
    assert_eq!(r("{{ 'Hello' | b64encode }}"), "SGVsbG8=");
    assert_eq!(r("{{ 'Ünïcode' | b64encode }}"), "w5xuw69jb2Rl");
    assert_eq!(r("{{ 'SGVsbG8=' | b64decode }}"), "Hello");
    assert_eq!(r("{{ 'SGVs\nbG8=' | b64decode }}"), "Hello");
    assert!(fails("{{ '!!!' | b64decode }}")
        .message
        .starts_with("b64decode"));
    // hashlib.new(name, b'test2').hexdigest()
    assert_eq!(
        r("{{ 'test2' | hash('sha1') }}"),
        "109f4b3c50d7b0df729d299bc6f8e9ef9066971f"
    );
    assert_eq!(
        r("{{ 'test2' | hash }}"),
        "109f4b3c50d7b0df729d299bc6f8e9ef9066971f"
    );
    assert_eq!(
        r("{{ 'test2' | checksum }}"),
        "109f4b3c50d7b0df729d299bc6f8e9ef9066971f"
    );
    assert_eq!(
        r("{{ 'test2' | hash('md5') }}"),
        "ad0234829205b9033196ba818f7a872b"
    );
    assert_eq!(r("{{ 'test2' | md5 }}"), "ad0234829205b9033196ba818f7a872b");
    assert_eq!(
        r("{{ 'test2' | hash('sha256') }}"),
        "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752"
    );
    assert_eq!(
        r("{{ 'test2' | hash('sha512') }}"),
        "6d201beeefb589b08ef0672dac82353d0cbd9ad99e1642c83a1601f3d647bcca003257b5e8f31bdc1d73fbec84fb085c79d6e2677b7ff927e823a54e789140d9"
    );
    assert!(fails("{{ 'x' | hash('crc') }}")
        .message
        .contains("unsupported hash type"));
}

#[test]
fn password_hash_is_sha512_crypt() {
    // openssl passwd -6 -salt saltsalt password
    let expected = "$6$saltsalt$qFmFH.bQmmtXzyBY0s9v7Oicd2z4XSIecDzlB5KiA2/jctKu9YterLp8wwnSq.qc.eoxqOmSuNp2xS0ktL3nh/";
    assert_eq!(
        r("{{ 'password' | password_hash('sha512', 'saltsalt') }}"),
        expected
    );
    assert_eq!(
        r("{{ 'password' | password_hash(salt='saltsalt') }}"),
        expected
    );
    let random = r("{{ 'password' | password_hash('sha512') }}");
    let parts: Vec<&str> = random.split('$').collect();
    assert_eq!(parts.len(), 4, "{random}");
    assert_eq!((parts[1], parts[2].len(), parts[3].len()), ("6", 16, 86));
    assert_ne!(random, r("{{ 'password' | password_hash }}"));
    assert!(
        r("{{ 'p' | password_hash('sha512', 'saltsalt', rounds=10000) }}")
            .starts_with("$6$rounds=10000$saltsalt$")
    );
    assert!(fails("{{ 'p' | password_hash('blowfish') }}")
        .message
        .contains("unsupported"));
}

#[test]
fn combine_as_documented() {
    assert_eq!(
        r("{{ {'a': 1, 'b': 2} | combine({'b': 3}) }}"),
        "{'a': 1, 'b': 3}"
    );
    assert_eq!(
        r("{{ {'a': {'foo': 1, 'bar': 2}, 'b': 2} | combine({'a': {'bar': 3, 'baz': 4}}, recursive=true) }}"),
        "{'a': {'foo': 1, 'bar': 3, 'baz': 4}, 'b': 2}"
    );
    assert_eq!(
        r("{{ {'a': {'foo': 1, 'bar': 2}, 'b': 2} | combine({'a': {'bar': 3, 'baz': 4}}) }}"),
        "{'a': {'bar': 3, 'baz': 4}, 'b': 2}"
    );
    assert_eq!(
        r("{{ {'a': 1} | combine({'b': 2}, {'a': 3}) }}"),
        "{'a': 3, 'b': 2}"
    );
    assert_eq!(
        r("{{ [{'a': 1}, {'b': 2}] | combine }}"),
        "{'a': 1, 'b': 2}"
    );
    let merged = |how: &str| {
        r(&format!(
            "{{{{ {{'a': [1, 2]}} | combine({{'a': [2, 3]}}, list_merge='{how}') | to_json }}}}"
        ))
    };
    assert_eq!(merged("replace"), r#"{"a": [2, 3]}"#);
    assert_eq!(merged("keep"), r#"{"a": [1, 2]}"#);
    assert_eq!(merged("append"), r#"{"a": [1, 2, 2, 3]}"#);
    assert_eq!(merged("prepend"), r#"{"a": [2, 3, 1, 2]}"#);
    assert_eq!(merged("append_rp"), r#"{"a": [1, 2, 3]}"#);
    assert_eq!(merged("prepend_rp"), r#"{"a": [2, 3, 1]}"#);
    assert!(fails("{{ {'a': 1} | combine([1]) }}")
        .message
        .contains("expected dictionaries"));
}

#[test]
fn dict2items_and_items2dict() {
    assert_eq!(
        r("{{ {'a': 1, 'b': 2} | dict2items }}"),
        "[{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}]"
    );
    assert_eq!(
        r("{{ {'Env': 'prod'} | dict2items(key_name='k', value_name='v') }}"),
        "[{'k': 'Env', 'v': 'prod'}]"
    );
    assert_eq!(
        r("{{ [{'key': 'a', 'value': 1}, {'key': 'b', 'value': 2}] | items2dict }}"),
        "{'a': 1, 'b': 2}"
    );
    assert_eq!(
        r("{{ [{'name': 'a', 'v': 1}] | items2dict(key_name='name', value_name='v') }}"),
        "{'a': 1}"
    );
    assert!(fails("{{ [1] | dict2items }}")
        .message
        .contains("requires a dictionary"));
    assert!(fails("{{ [{'k': 1}] | items2dict }}")
        .message
        .contains("'key' and 'value'"));
}

#[test]
fn flatten_and_set_operations() {
    assert_eq!(
        r("{{ [1, [2, [3, [4]]], none, 'None'] | flatten }}"),
        "[1, 2, 3, 4]"
    );
    assert_eq!(
        r("{{ [1, [2, [3, [4]]]] | flatten(levels=1) }}"),
        "[1, 2, [3, [4]]]"
    );
    assert_eq!(r("{{ [1, [2, [3]]] | flatten(1) }}"), "[1, 2, [3]]");
    assert_eq!(
        r("{{ [1, none, [none]] | flatten(skip_nulls=false) }}"),
        "[1, None, None]"
    );
    let sets = json!({"a": [1, 2, 5, 1, 3, 4, 10], "b": [1, 2, 3, 4, 5, 11, 99]});
    assert_eq!(
        rc("{{ a | union(b) }}", sets.clone()),
        "[1, 2, 3, 4, 5, 99, 10, 11]"
    );
    assert_eq!(
        rc("{{ a | intersect(b) }}", sets.clone()),
        "[1, 2, 3, 4, 5]"
    );
    assert_eq!(rc("{{ a | difference(b) }}", sets.clone()), "[10]");
    assert_eq!(
        rc("{{ a | symmetric_difference(b) }}", sets),
        "[99, 10, 11]"
    );
    assert_eq!(r("{{ ['A'] | union(['a']) }}"), "['A', 'a']");
}

#[test]
fn extract_and_subelements() {
    assert_eq!(
        r("{{ ['a', 'b'] | map('extract', {'a': 1, 'b': 2}) | list }}"),
        "[1, 2]"
    );
    assert_eq!(
        r("{{ 'h' | extract({'h': {'ip': '10.0.0.1'}}, 'ip') }}"),
        "10.0.0.1"
    );
    let users = json!({"users": [
        {"name": "alice", "keys": ["k1", "k2"]},
        {"name": "bob", "keys": ["k3"]}
    ]});
    assert_eq!(
        rc(
            "{% for u, k in users | subelements('keys') %}{{ u.name }}:{{ k }} {% endfor %}",
            users.clone()
        ),
        "alice:k1 alice:k2 bob:k3 "
    );
    assert_eq!(
        rc(
            "{{ users | subelements('nope', skip_missing=true) }}",
            users.clone()
        ),
        "[]"
    );
    let err = Templates::new()
        .render_str("{{ users | subelements('nope') }}", &ctx(users))
        .unwrap_err();
    assert!(
        err.message.contains("could not find 'nope'"),
        "{}",
        err.message
    );
}

#[test]
fn int_float_and_join_behave_as_jinja2() {
    assert_eq!(
        r("{{ 'abc' | int }} {{ '' | int }} {{ none | int }}"),
        "0 0 0"
    );
    assert_eq!(
        r("{{ 'abc' | int(7) }} {{ 'abc' | int(default=7) }}"),
        "7 7"
    );
    assert_eq!(
        r("{{ ' 42 ' | int }} {{ '4_2' | int }} {{ '-3' | int }} {{ '3.7' | int }}"),
        "42 42 -3 3"
    );
    assert_eq!(
        r("{{ '0x1F' | int(base=16) }} {{ '1F' | int(0, 16) }} {{ '0b101' | int(base=2) }}"),
        "31 31 5"
    );
    assert_eq!(r("{{ true | int }} {{ 3.9 | int }}"), "1 3");
    assert_eq!(
        r("{{ '1.5' | float }} {{ 'x' | float }} {{ 2 | float }} {{ 'x' | float(1.5) }}"),
        "1.5 0.0 2.0 1.5"
    );
    assert_eq!(
        r("{{ [['a'], true, none] | join(',') }}"),
        "['a'],True,None"
    );
    assert_eq!(
        r("{{ [{'n': 'a'}, {'n': 'b'}] | join(', ', attribute='n') }}"),
        "a, b"
    );
    assert_eq!(r("{{ 'abc' | join('-') }}"), "a-b-c");
}

#[test]
fn builtin_filters_with_python_printing() {
    assert_eq!(r("{{ '42' | int + 1 }}"), "43");
    assert_eq!(r("{{ true | string }}"), "True");
    assert_eq!(r("{{ [1, none] | string }}"), "[1, None]");
    assert_eq!(r("{{ none | string }}"), "None");
    assert_eq!(r("{{ 'AbC' | lower }} {{ 'abc' | upper }}"), "abc ABC");
    assert_eq!(r("{{ ['a', 'b'] | join(',') }}"), "a,b");
    assert_eq!(r("{{ [1, 2] | join('-') }}"), "1-2");
    assert_eq!(r("{{ [1, 2, 3] | length }}"), "3");
    assert_eq!(r("{{ ['a', 'A', 'b', 'a'] | unique }}"), "['a', 'b']");
    assert_eq!(r("{{ [3, 1, 2] | sort }}"), "[1, 2, 3]");
    assert_eq!(
        r("{{ 'x' | type_debug }} {{ 1 | type_debug }} {{ {} | type_debug }}"),
        "str int dict"
    );
}

#[test]
fn native_rendering_of_filter_results() {
    let t = Templates::new();
    let value = t
        .render_native("{{ {'a': 1} | combine({'b': [1, 2]}) }}", &ctx(json!({})))
        .unwrap();
    assert_eq!(value.kind(), ValueKind::Map);
    assert_eq!(value.get_attr("b").unwrap().len(), Some(2));
}

/// Python's iteration rules (python_iteration.rs) keep the everyday idioms working:
/// a test given to `selectattr` sees a missing attribute as undefined, `map` with a
/// `default` fills it, `sort(attribute=)` orders mappings; only a truth test of a
/// missing attribute, or a mapping sorted as a whole, fails as in ansible-core.
#[test]
fn sequence_filters_follow_python_and_keep_the_idioms() {
    let people = json!({"people": [{"n": "b", "admin": true}, {"n": "a"}]});
    assert_eq!(
        rc(
            "{{ people | selectattr('admin', 'defined') | map(attribute='n') | list }}",
            people.clone()
        ),
        "['b']"
    );
    assert_eq!(
        rc(
            "{{ people | map(attribute='admin', default=false) | list }}",
            people.clone()
        ),
        "[True, False]"
    );
    assert_eq!(
        rc(
            "{{ people | sort(attribute='n') | map(attribute='n') | join }}",
            people.clone()
        ),
        "ab"
    );
    assert_eq!(
        r("{{ 0 | select | list }} {{ '' | map('upper') | list }}"),
        "[] []"
    );
    for failing in [
        "{{ people | selectattr('admin') | list }}",
        "{{ people | map(attribute='admin') | list }}",
        "{{ people | sort }}",
    ] {
        assert!(
            Templates::new()
                .render_str(failing, &ctx(people.clone()))
                .is_err(),
            "{failing} rendered"
        );
    }
    for failing in [
        "{{ none | list }}",
        "{{ none | sort }}",
        "{{ 1 | indent(2) }}",
    ] {
        fails(failing);
    }
    assert_eq!(r("{{ {'b': 1, 'a': 2} | reverse | list }}"), "['a', 'b']");
}
