//! The Jinja tests Ansible adds (`is match`, `is version`, `is changed`…) and the
//! builtin type tests, against Ansible's documented results.

use serde_json::json;

use super::filter_tests::{fails, r, rc};

#[test]
fn regex_tests() {
    let url = json!({"url": "https://example.com/users/foo/resources/bar"});
    assert_eq!(
        rc(
            "{{ url is match('https://example.com/users/.*/resources') }}",
            url.clone()
        ),
        "True"
    );
    assert_eq!(
        rc("{{ url is match('example.com') }}", url.clone()),
        "False"
    );
    assert_eq!(
        rc("{{ url is search('users/.*/resources/.*') }}", url.clone()),
        "True"
    );
    assert_eq!(
        rc("{{ url is search('USERS', ignorecase=true) }}", url.clone()),
        "True"
    );
    assert_eq!(
        rc("{{ url is regex('example\\.com/\\w+/foo') }}", url.clone()),
        "True"
    );
    assert_eq!(rc("{{ url is not match('users') }}", url), "True");
}

#[test]
fn version_tests() {
    assert_eq!(r("{{ '1.2.10' is version('1.2.9', '>') }}"), "True");
    assert_eq!(r("{{ '1.2.10' is version('1.2.9', 'lt') }}"), "False");
    for (op, expected) in [
        ("lt", "True"),
        ("<", "True"),
        ("le", "True"),
        ("<=", "True"),
        ("gt", "False"),
        (">", "False"),
        ("ge", "False"),
        (">=", "False"),
        ("eq", "False"),
        ("==", "False"),
        ("ne", "True"),
        ("!=", "True"),
    ] {
        assert_eq!(
            r(&format!("{{{{ '2.9' is version('2.10', '{op}') }}}}")),
            expected,
            "{op}"
        );
    }
    assert_eq!(r("{{ '1.0' is version('1.0') }}"), "True");
    assert_eq!(r("{{ '1.0' is version('1.0.0', operator='lt') }}"), "True");
    assert_eq!(
        r("{{ '1.0a1' is version('1.0', 'lt', strict=true) }}"),
        "True"
    );
    assert_eq!(
        r("{{ '1.0.0-rc.1' is version('1.0.0', 'lt', version_type='semver') }}"),
        "True"
    );
    assert_eq!(
        r("{{ '6.1.9-arch1-1' is version_compare('6.1', '>=') }}"),
        "True"
    );
    assert!(fails("{{ '1.0' is version('1.0', 'bigger') }}")
        .message
        .contains("invalid operator"));
}

#[test]
fn result_tests() {
    let results = json!({
        "changed": {"changed": true, "failed": false},
        "ok": {"changed": false},
        "failed": {"failed": true, "changed": false},
        "skipped": {"skipped": true, "changed": false},
        "looped": {"results": [{"changed": false}, {"changed": true}]}
    });
    let check = |expr: &str| rc(&format!("{{{{ {expr} }}}}"), results.clone());
    assert_eq!(check("changed is changed"), "True");
    assert_eq!(check("ok is changed"), "False");
    assert_eq!(check("looped is changed"), "True");
    assert_eq!(check("failed is failed"), "True");
    assert_eq!(check("ok is failed"), "False");
    assert_eq!(check("ok is succeeded"), "True");
    assert_eq!(check("ok is success"), "True");
    assert_eq!(check("failed is succeeded"), "False");
    assert_eq!(check("skipped is skipped"), "True");
    assert_eq!(check("ok is skipped"), "False");
    assert_eq!(check("ok is not changed"), "True");
    assert!(fails("{{ 'x' is changed }}")
        .message
        .contains("expects a dictionary"));
}

#[test]
fn other_tests() {
    assert_eq!(
        r("{{ foo is defined }} {{ foo is undefined }}"),
        "False True"
    );
    assert_eq!(
        r("{{ none is none }} {{ 'x' is string }} {{ 1 is number }}"),
        "True True True"
    );
    assert_eq!(
        r("{{ {} is mapping }} {{ [] is iterable }} {{ 1 is iterable }}"),
        "True True False"
    );
    assert_eq!(
        r("{{ 'x' is truthy }} {{ '' is truthy }} {{ 'no' is falsy(convert_bool=true) }}"),
        "True False True"
    );
    assert_eq!(
        r("{{ [1, 2] is subset([1, 2, 3]) }} {{ [1, 2, 3] is superset([3]) }}"),
        "True True"
    );
    assert_eq!(r("{{ [1, 2] is contains(2) }}"), "True");
}
