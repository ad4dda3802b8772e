//! Tests of the Jinja that real roles' templates use and minijinja lacks: mutating
//! list/dict methods (python_mutation.rs), macros' varargs/kwargs (macro_varargs.rs),
//! keyword forms of positional filters (filters.rs), map(attribute=) over items
//! without it (python_iteration.rs). Each expected value is what ansible-core 2.19.14
//! rendered for the same source.

use serde_json::json;

use super::filter_tests::{fails, r, rc};

#[test]
fn mutating_methods_change_the_templates_own_values() {
    assert_eq!(
        r("{% set l = [3] %}{% set _ = l.append(1) %}{% set _ = l.extend([2]) %}{{ l }}"),
        "[3, 1, 2]"
    );
    assert_eq!(
        r("{% set l = [1, 2, 3] %}{{ l.pop() }} {{ l.pop(0) }} {{ l }}"),
        "3 1 [2]"
    );
    assert_eq!(
        r("{% set d = {'a': 1} %}{% set _ = d.update({'b': 2}, c=3) %}{{ d.setdefault('a', 9) }} {{ d.pop('b') }} {{ d }}"),
        "1 2 {'a': 1, 'c': 3}"
    );
    assert_eq!(
        r("{% set ns = namespace(l=[]) %}{% for i in [1, 2] %}{% set _ = ns.l.append(i) %}{% endfor %}{{ ns.l | sum }}"),
        "3"
    );
    assert_eq!(
        rc(
            "{% set _ = ports.append(8080) %}{{ ports }}",
            json!({"ports": [80]})
        ),
        "[80, 8080]"
    );
    // A tuple stays a tuple for '%' formatting.
    assert_eq!(
        r("{% set l = [] %}{% set _ = l.append(1) %}{{ '%s-%s' % (l, 2) }}"),
        "[1]-2"
    );
    assert!(fails("{% set l = [] %}{{ l.pop() }}")
        .to_string()
        .contains("pop from empty list"));
}

#[test]
fn macros_take_varargs_and_kwargs() {
    assert_eq!(
        r("{% macro m(a) %}{{ a }}:{{ varargs }}:{{ kwargs }}{% endmacro %}{{ m(1, 2, 3, k=4) }}"),
        "1:[2, 3]:{'k': 4}"
    );
    assert_eq!(
        r("{% macro w(a) %}[{{ caller(a) }}|{{ varargs }}]{% endmacro %}{% call(x) w(5, 6) %}got {{ x }}{% endcall %}"),
        "[got 5|[6]]"
    );
    assert_eq!(
        r("{% macro m(a, b=[1, 2]) %}{{ varargs | length }}{% endmacro %}{{ m(1) }}{{ m.arguments }}"),
        "0['a', 'b']"
    );
    // Without them in the body, extra arguments still fail.
    fails("{% macro m(a) %}{{ a }}{% endmacro %}{{ m(1, 2) }}");
}

#[test]
fn macro_defaults_read_the_parameters_before_them() {
    assert_eq!(
        r("{% macro f(a, b=a) %}{{ a }}-{{ b }}{% endmacro %}{{ f(1) }} {{ f(1, 2) }} {{ f(a=3) }}"),
        "1-1 1-2 3-3"
    );
    assert_eq!(
        r("{% macro g(a, b=a * 2, c=b + 1) %}{{ a }}{{ b }}{{ c }}{% endmacro %}{{ g(1) }} {{ g(1, 5) }} {{ g(1, c=0) }}"),
        "123 156 120"
    );
    // With varargs too, and the tag's whitespace control kept.
    assert_eq!(
        r("{% macro h(a, b='/' ~ a) -%}\n {{ b }}{{ varargs }}{%- endmacro %}{{ h('x', '/y', 3) }}|{{ h('x') }}"),
        "/y[3]|/x[]"
    );
}

#[test]
fn lists_of_lists_become_a_dict_by_index() {
    assert_eq!(
        r("{{ [['a', 1], ['b', 2]] | items2dict(key_name=0, value_name=1) }}"),
        "{'a': 1, 'b': 2}"
    );
    fails("{{ [['a', 1]] | items2dict(key_name='k', value_name='v') }}");
}

#[test]
fn datetimes_show_as_python_shows_them() {
    let at = "('2024-01-15 10:30:00' | to_datetime)";
    assert_eq!(
        r(&format!("{{{{ [{at}] }}}} {{{{ {at}.date() }}}} {{{{ {at}.time() }}}} {{{{ {at} | type_debug }}}}")),
        "[datetime.datetime(2024, 1, 15, 10, 30)] 2024-01-15 10:30:00 datetime"
    );
    assert_eq!(
        r(&format!(
            "{{{{ [('2024-03-01 08:00:05' | to_datetime), {at}] | min }}}}"
        )),
        "2024-01-15 10:30:00"
    );
    assert!(r("{{ lipsum(2) }}").matches("<p>").count() == 2);
}

#[test]
fn filters_take_their_python_keywords() {
    assert_eq!(r("[{{ 'ab' | center(width=6) }}]"), "[  ab  ]");
    assert_eq!(
        r("{{ [1, 2, 3] | batch(linecount=2, fill_with=0) | list }}"),
        "[[1, 2], [3, 0]]"
    );
    assert_eq!(
        r("{{ 'abc' | hash(hashtype='md5') }}"),
        "900150983cd24fb0d6963f7d28e17f72"
    );
    assert_eq!(r("{{ '/a/b/c' | relpath(start='/a') }}"), "b/c");
    assert_eq!(r("{{ 10 is divisibleby(num=5) }}"), "True");
    assert_eq!(
        r("{{ '1.2.3' is version(version='1.2', operator='gt') }}"),
        "True"
    );
    assert_eq!(r("{{ 'a-b' | replace(old='-', new='_') }}"), "a_b");
    assert_eq!(
        r("{{ '' | default(default_value='d', boolean=true) }}"),
        "d"
    );
    assert_eq!(
        r("{{ {'b': 1, 'a': 2} | to_json(separators=[',', ':']) }}"),
        "{\"b\":1,\"a\":2}"
    );
    assert_eq!(
        r("{{ 'abc' | b64encode(encoding='utf-16') }}"),
        "//5hAGIAYwA="
    );
    assert_eq!(
        r("{{ {'a': 2, 'b': 1} | dictsort(false, 'value') }}"),
        "[['b', 1], ['a', 2]]"
    );
    fails("{{ 'abc' | b64encode(encoding='latin-1') }}");
}

#[test]
fn map_attribute_yields_undefined_for_items_without_it() {
    let users = json!({"users": [{"name": "a", "shell": "/bin/sh"}, {"name": "b"}]});
    assert_eq!(
        rc(
            "{{ users | map(attribute='shell') | select('defined') | list }}",
            users.clone()
        ),
        "['/bin/sh']"
    );
    assert_eq!(
        rc(
            "{{ users | map(attribute='shell') | length }}",
            users.clone()
        ),
        "2"
    );
    assert!(super::Templates::new()
        .render_str(
            "{{ users | map(attribute='shell') | list }}",
            &minijinja::Value::from_serialize(&users),
        )
        .is_err());
}
