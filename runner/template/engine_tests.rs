//! Tests of the engine's contract: strict undefined with named variables, Ansible's
//! value printing and whitespace rules, native rendering, conditions, `omit`, the
//! backslash rule, lookups. Filter and test semantics are in `filter_tests.rs`.

use std::fs;

use minijinja::value::ValueKind;
use minijinja::Value;
use serde_json::json;

use super::{FileOptions, TemplateErrorKind, Templates, OMIT};

fn vars(value: serde_json::Value) -> Value {
    Value::from_serialize(value)
}

fn render(source: &str, context: serde_json::Value) -> String {
    match Templates::new().render_str(source, &vars(context)) {
        Ok(text) => text,
        Err(err) => panic!("{source}: {err}"),
    }
}

#[test]
fn templates_is_shareable_across_threads() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Templates>();
}

#[test]
fn plain_strings_are_returned_untouched() {
    let t = Templates::new();
    assert_eq!(
        t.render_str("no {markers} here", &Value::UNDEFINED)
            .unwrap(),
        "no {markers} here"
    );
    assert_eq!(
        t.render_native("{not a template}", &Value::UNDEFINED)
            .unwrap(),
        Value::from("{not a template}")
    );
}

#[test]
fn undefined_variable_is_named() {
    let err = Templates::new()
        .render_str("hello {{ foo }}", &vars(json!({"bar": 1})))
        .unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Undefined);
    assert_eq!(err.message, "'foo' is undefined");
    assert_eq!(err.line, None);
}

#[test]
fn undefined_attribute_is_named_by_its_owners_type() {
    let err = Templates::new()
        .render_str(
            "{{ item.path }}: {{ item.name }}",
            &vars(json!({"item": {"path": "/x"}})),
        )
        .unwrap_err();
    assert_eq!(err.message, "object of type 'dict' has no attribute 'name'");
}

#[test]
fn undefined_in_filter_argument_and_expression_is_named() {
    let t = Templates::new();
    let err = t.render_str(
        "{{ x | upper }}{{ x | replace(missing, 'b') }}",
        &vars(json!({"x": "a"})),
    );
    assert_eq!(err.unwrap_err().message, "'missing' is undefined");
    let err = t
        .eval("count > limit", &vars(json!({"count": 3})))
        .unwrap_err();
    assert_eq!(err.message, "'limit' is undefined");
    let err = t.condition("enabled", &vars(json!({}))).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Undefined);
    assert_eq!(err.message, "'enabled' is undefined");
}

#[test]
fn undefined_loop_attribute_is_named_from_the_source() {
    let err = Templates::new()
        .render_file(
            "motd.j2",
            "line one\n{% for u in users %}\n{{ u.shell }}\n{% endfor %}\n",
            &vars(json!({"users": [{"name": "a"}]})),
            FileOptions::default(),
        )
        .unwrap_err();
    assert_eq!(err.message, "'u.shell' is undefined");
    assert_eq!(err.line, Some(3));
    assert_eq!(err.name.as_deref(), Some("motd.j2"));
    assert_eq!(err.to_string(), "motd.j2:3: 'u.shell' is undefined");
}

#[test]
fn the_missing_part_of_a_path_is_named() {
    let t = Templates::new();
    let context = vars(json!({"d": {"a": 1}}));
    let message = |src: &str| t.render_str(src, &context).unwrap_err().message;
    assert_eq!(message("{{ foo.bar }}"), "'foo' is undefined");
    // As ansible-core 2.19: the owner of the missing key, item or attribute by type.
    let no_b = "object of type 'dict' has no attribute 'b'";
    assert_eq!(message("{{ d.b.c }}"), no_b);
    assert_eq!(message("{{ d.b.c | length }}"), no_b);
    assert_eq!(message("{{ d['b'] }}"), no_b);
    assert_eq!(
        message("{{ d.a.b }}"),
        "object of type 'int' has no attribute 'b'"
    );
    assert_eq!(
        t.eval("d.l[5]", &vars(json!({"d": {"l": [1]}})))
            .unwrap_err()
            .message,
        "object of type 'list' has no attribute 5"
    );
    assert_eq!(message("{{ missing.keys() }}"), "'missing' is undefined");
    assert_eq!(
        message("{{ d.keys() | list + missing }}"),
        "'missing' is undefined"
    );
    assert_eq!(message("{% if flag %}x{% endif %}"), "'flag' is undefined");
    let err = t.render_str("a\n{{ x + }}", &context).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
    assert_eq!(err.line, Some(2));
}

#[test]
fn default_and_defined_see_through_a_chain_as_in_ansible() {
    let t = Templates::new();
    let context = vars(json!({"d": {"a": {"b": 1}}}));
    let render = |src: &str| t.render_str(src, &context).unwrap();
    assert_eq!(render("{{ d.x.y | default('x') }}"), "x");
    assert_eq!(render("{{ nope.a.b | default('y') }}"), "y");
    assert_eq!(render("{{ d.a.b | default(0) }}"), "1");
    assert_eq!(render("{{ d.x['k'] | default(1) }}"), "1");
    assert_eq!(render("{{ d.x.y is defined }}"), "False");
    assert!(!t.condition("d.x.y is defined", &context).unwrap());
    assert!(t.condition("nope.a is undefined", &context).unwrap());
    assert!(t
        .render_str("{% for i in d.x.y %}{% endfor %}", &context)
        .is_err());
    assert!(t.condition("not d.x.y", &context).is_err());
}

#[test]
fn default_and_defined_work_with_strict_undefined() {
    let context = json!({"empty": "", "set": "v"});
    assert_eq!(render("{{ foo | default('x') }}", context.clone()), "x");
    assert_eq!(render("{{ foo | d('x') }}", context.clone()), "x");
    assert_eq!(render("{{ empty | default('x') }}", context.clone()), "");
    assert_eq!(
        render("{{ empty | default('x', true) }}", context.clone()),
        "x"
    );
    assert_eq!(render("{{ set | default('x') }}", context.clone()), "v");
    assert_eq!(
        render(
            "{{ foo is defined }} {{ foo is undefined }}",
            context.clone()
        ),
        "False True"
    );
    assert_eq!(
        render("{% if foo is defined %}yes{% else %}no{% endif %}", context),
        "no"
    );
}

#[test]
fn mandatory_names_the_variable_or_uses_msg() {
    let t = Templates::new();
    let err = t
        .render_str("{{ secret | mandatory }}", &vars(json!({})))
        .unwrap_err();
    assert_eq!(err.message, "mandatory variable 'secret' is not defined");
    let err = t
        .render_str(
            "{{ secret | mandatory('set secret in vars.yml') }}",
            &vars(json!({})),
        )
        .unwrap_err();
    assert_eq!(err.message, "set secret in vars.yml");
    assert_eq!(render("{{ 'x' | mandatory }}", json!({})), "x");
}

#[test]
fn values_print_as_ansible_prints_them() {
    let context = json!({
        "yes": true, "no": false, "nothing": null, "list": ["a", "b"],
        "dict": {"k": "v", "n": [1, null, true]}, "num": 1.0, "int": 7
    });
    assert_eq!(render("{{ yes }} {{ no }}", context.clone()), "True False");
    assert_eq!(render("[{{ nothing }}]", context.clone()), "[]");
    assert_eq!(render("{{ list }}", context.clone()), "['a', 'b']");
    assert_eq!(
        render("{{ dict }}", context.clone()),
        "{'k': 'v', 'n': [1, None, True]}"
    );
    assert_eq!(render("{{ num }} {{ int }}", context.clone()), "1.0 7");
    assert_eq!(render("{{ 1 == 1 }}", context), "True");
}

#[test]
fn trailing_newline_is_kept_and_nothing_is_escaped() {
    let t = Templates::new();
    let context = vars(json!({"x": "<b>&\"'"}));
    assert_eq!(t.render_str("{{ x }}\n", &context).unwrap(), "<b>&\"'\n");
    for name in ["page.html", "conf.xml", "data.json", "vars.yml", "x.j2"] {
        let out = t
            .render_file(name, "{{ x }}\n", &context, FileOptions::default())
            .unwrap();
        assert_eq!(out, "<b>&\"'\n", "{name}");
    }
}

#[test]
fn template_files_use_ansible_whitespace_rules() {
    let t = Templates::new();
    let context = vars(json!({"xs": ["a", "b"], "on": true}));
    let looped = "{% for x in xs %}\n{{ x }}\n{% endfor %}\n";
    // Expected bytes from ansible-core: jinja2 with trim_blocks=True drops the last
    // newline of the source, then as many newlines as the source ended in are restored.
    assert_eq!(
        t.render_file("l.j2", looped, &context, FileOptions::default())
            .unwrap(),
        "a\nb\n"
    );
    let untrimmed = FileOptions {
        trim_blocks: false,
        lstrip_blocks: false,
        ..FileOptions::default()
    };
    assert_eq!(
        t.render_file("l.j2", looped, &context, untrimmed).unwrap(),
        "\na\n\nb\n"
    );
    let indented = "[main]\n  {% if on %}\nx=1\n  {% endif %}\nend\n";
    assert_eq!(
        t.render_file("i.j2", indented, &context, FileOptions::default())
            .unwrap(),
        "[main]\n  x=1\n  end\n"
    );
    let lstrip = FileOptions {
        trim_blocks: true,
        lstrip_blocks: true,
        ..FileOptions::default()
    };
    assert_eq!(
        t.render_file("i.j2", indented, &context, lstrip).unwrap(),
        "[main]\nx=1\nend\n"
    );
    let crlf = FileOptions {
        newline_sequence: "\r\n",
        ..FileOptions::default()
    };
    assert_eq!(
        t.render_file("c.j2", "a\n{{ 'b\n' }}c\n", &context, crlf)
            .unwrap(),
        "a\r\nb\r\nc\r\n",
        "the template's newlines (string literals too) change, and so does the last one \
         ansible-core adds back"
    );
}

#[test]
fn template_files_take_their_own_delimiters() {
    let t = Templates::new();
    let context = minijinja::Value::from_iter([("ports", minijinja::Value::from(vec![80, 443]))]);
    let source = "{{ go }}\n<% for p in ports %>\nport=[[ p ]]\n<% endfor %><# note #>\n";
    let options = FileOptions {
        delimiters: crate::template::Delimiters {
            block_start: Some("<%".into()),
            block_end: Some("%>".into()),
            variable_start: Some("[[".into()),
            variable_end: Some("]]".into()),
            comment_start: Some("<#".into()),
            comment_end: Some("#>".into()),
        },
        ..FileOptions::default()
    };
    assert_eq!(
        t.render_file("d.j2", source, &context, options).unwrap(),
        "{{ go }}\nport=80\nport=443\n"
    );
    // The same file with Jinja's own delimiters, rendered after, is compiled anew.
    assert!(t
        .render_file("d.j2", source, &context, FileOptions::default())
        .is_err());
}

#[test]
fn playbook_strings_trim_blocks_like_ansible() {
    assert_eq!(
        render(
            "{% for x in xs %}\n{{ x }}\n{% endfor %}\n",
            json!({"xs": [1, 2]})
        ),
        "1\n2\n"
    );
}

#[test]
fn render_native_keeps_types() {
    let t = Templates::new();
    let context = vars(json!({"n": 3, "flag": true, "names": ["a"], "cfg": {"k": 1}, "s": "txt"}));
    let native = |src: &str| t.render_native(src, &context).unwrap();
    assert_eq!(native("{{ names }}").kind(), ValueKind::Seq);
    assert_eq!(native("{{ names + ['b'] }}").len(), Some(2));
    assert_eq!(native("{{ cfg }}").kind(), ValueKind::Map);
    assert_eq!(native("{{ flag }}"), Value::from(true));
    assert_eq!(native("{{ n * 2 }}"), Value::from(6));
    assert_eq!(native("  {{ n }}\n"), Value::from("  3\n"));
    assert_eq!(native("{{ names }}\n").kind(), ValueKind::Seq);
    assert_eq!(native("{{- n -}}"), Value::from(3));
    assert_eq!(native("{{ s }}"), Value::from("txt"));
    assert_eq!(native(" {{ s }}\n"), Value::from(" txt\n"));
    assert_eq!(native("n={{ n }}"), Value::from("n=3"));
    assert_eq!(native("{{ n }}{{ n }}"), Value::from("33"));
    assert_eq!(native("{{ '{{' }}"), Value::from("{{"));
    assert_eq!(native("{{ none }}"), Value::from(()));
}

#[test]
fn a_closing_brace_pair_inside_brackets_does_not_end_the_expression() {
    let t = Templates::new();
    let context = vars(json!({"cfg": {"server": {"port": 80}}}));
    let native = |src: &str| t.render_native(src, &context).unwrap();
    let merged = native("{{ cfg | combine({'server': {'port': 8080}}, recursive=true) }}");
    assert_eq!(merged.kind(), ValueKind::Map);
    let port = merged.get_attr("server").unwrap().get_attr("port").unwrap();
    assert_eq!(port, Value::from(8080));
    let mapped = native("{{ [{'v': {'b': 1}}] | map(attribute='v.b') | list }}");
    assert_eq!(mapped.kind(), ValueKind::Seq);
    assert_eq!(mapped.get_item(&Value::from(0)).unwrap(), Value::from(1));
    assert_eq!(native("{{ '}}' }}"), Value::from("}}"));
    assert_eq!(native("{{ {'a': 1} }}").kind(), ValueKind::Map);
    assert_eq!(native("{{ {'a': 1} }} x"), Value::from("{'a': 1} x"));
    assert_eq!(native("{{ 1 }} {{ 2 }}"), Value::from("1 2"));
}

#[test]
fn omit_is_usable_and_dropped_from_trees() {
    let t = Templates::new();
    let context = vars(json!({"mode": "0644"}));
    let omitted = t
        .render_native("{{ owner | default(omit) }}", &context)
        .unwrap();
    assert!(Templates::is_omit(&omitted));
    assert_eq!(omitted.as_str(), Some(OMIT));
    let args = vars(json!({
        "path": "/etc/x", "owner": "{{ owner | default(omit) }}", "mode": "{{ mode }}",
        "list": ["a", "{{ omit }}", "{{ mode }}"]
    }));
    let rendered = t.render_tree(&args, &context).unwrap();
    assert_eq!(
        super::value_format::py_repr(&rendered),
        "{'path': '/etc/x', 'mode': '0644', 'list': ['a', '0644']}"
    );
}

#[test]
fn eval_caches_and_reports_syntax_errors() {
    let t = Templates::new();
    for n in 0..3 {
        let value = t.eval("n + 1", &vars(json!({"n": n}))).unwrap();
        assert_eq!(value, Value::from(n + 1));
    }
    let err = t.eval("n +", &vars(json!({"n": 1}))).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
    let err = t.eval("a %} {{ b", &vars(json!({}))).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::Syntax);
    assert_eq!(
        t.eval("{{ n > 1 }}", &vars(json!({"n": 2}))).unwrap(),
        Value::from(true)
    );
}

#[test]
fn condition_requires_a_boolean() {
    let t = Templates::new();
    let context = vars(json!({"name": "web", "list": [], "n": 0, "on": "yes"}));
    assert!(t.condition("name == 'web' and not list", &context).unwrap());
    assert!(t.condition("True or False", &context).unwrap());
    assert!(t.condition("none is none", &context).unwrap());
    assert!(t.condition("None is none and true", &context).unwrap());
    assert!(t.condition("on | bool", &context).unwrap());
    let err = t.condition("name", &context).unwrap_err();
    assert_eq!(err.kind, TemplateErrorKind::NotBoolean);
    assert!(err.message.contains("of type 'str'"), "{}", err.message);
    assert!(err.message.contains("'web'"), "{}", err.message);
    let err = t.condition("n", &context).unwrap_err();
    assert!(err.message.contains("of type 'int'"), "{}", err.message);
    assert!(t.condition("list", &context).is_err());
}

#[test]
fn python_methods_work() {
    let context = json!({"s": " a,b ", "d": {"x": 1, "y": 2}, "p": "/etc/hosts"});
    assert_eq!(
        render("{{ s.strip().split(',') }}", context.clone()),
        "['a', 'b']"
    );
    assert_eq!(
        render("{{ p.startswith('/etc') }}", context.clone()),
        "True"
    );
    assert_eq!(
        render("{{ d.keys() | list }}", context.clone()),
        "['x', 'y']"
    );
    assert_eq!(
        render(
            "{% for k, v in d.items() %}{{ k }}={{ v }};{% endfor %}",
            context.clone()
        ),
        "x=1;y=2;"
    );
    assert_eq!(render("{{ d.get('z', 0) }}", context), "0");
}

#[test]
fn backslashes_in_playbook_expressions_are_literal() {
    // As YAML hands it over from "{{ v | regex_replace('(\\d+)', '<\\1>') }}".
    let out = render(
        r"{{ v | regex_replace('(\d+)', '<\1>') }}",
        json!({"v": "ab12"}),
    );
    assert_eq!(out, "ab<12>");
    let out = render(r"{{ 'C:\new' }} \t", json!({}));
    assert_eq!(out, r"C:\new \t");
    // Template files keep Jinja's own escapes, as in Ansible.
    let t = Templates::new();
    let file = t
        .render_file(
            "f.j2",
            r"{{ v | regex_replace('(\\d+)', '<\\1>') }}",
            &vars(json!({"v": "a1"})),
            FileOptions::default(),
        )
        .unwrap();
    assert_eq!(file, "a<1>");
}

#[test]
fn lookups_search_role_then_playbook() {
    let dir = tempfile::tempdir().unwrap();
    let play = dir.path().join("play");
    let role = play.join("roles/web");
    fs::create_dir_all(play.join("files")).unwrap();
    fs::create_dir_all(role.join("files")).unwrap();
    fs::create_dir_all(role.join("templates")).unwrap();
    fs::write(play.join("files/motd"), "from playbook\n\n").unwrap();
    fs::write(play.join("only-here.txt"), "top").unwrap();
    fs::write(role.join("files/motd"), "from role\n").unwrap();
    fs::write(
        role.join("templates/site.conf.j2"),
        "{% for p in ports %}\nlisten {{ p }}\n{% endfor %}\n",
    )
    .unwrap();
    let t = Templates::new();
    let play_dir = play.display().to_string();
    let role_dir = role.display().to_string();
    let both = vars(json!({"playbook_dir": play_dir, "role_path": role_dir, "ports": [80, 443]}));
    let play_only = vars(json!({"playbook_dir": play_dir}));

    assert_eq!(
        t.render_str("{{ lookup('file', 'motd') }}", &both).unwrap(),
        "from role"
    );
    assert_eq!(
        t.render_str("{{ lookup('file', 'motd') }}", &play_only)
            .unwrap(),
        "from playbook"
    );
    assert_eq!(
        t.render_str("{{ lookup('file', 'only-here.txt') }}", &both)
            .unwrap(),
        "top"
    );
    assert_eq!(
        t.render_str("{{ lookup('template', 'site.conf.j2') }}", &both)
            .unwrap(),
        "listen 80\nlisten 443\n"
    );
    let listed = t
        .render_native("{{ query('file', 'motd', 'only-here.txt') }}", &both)
        .unwrap();
    assert_eq!(
        super::value_format::py_repr(&listed),
        "['from role', 'top']"
    );
    assert_eq!(
        t.render_str("{{ lookup('file', 'motd', 'only-here.txt') }}", &both)
            .unwrap(),
        "from role,top"
    );

    let err = t
        .render_str("{{ lookup('file', 'nope') }}", &both)
        .unwrap_err();
    for place in [
        format!("{role_dir}/files/nope"),
        format!("{role_dir}/nope"),
        format!("{play_dir}/files/nope"),
        format!("{play_dir}/nope"),
    ] {
        assert!(
            err.message.contains(&place),
            "{} lacks {place}",
            err.message
        );
    }
    // first_found, called as a lookup, searches no files/ folder (ansible-core 2.19).
    let none = t
        .render_str(
            "{{ query('first_found', ['nope', 'motd'], skip=true) }}",
            &play_only,
        )
        .unwrap();
    assert_eq!(none, "[]");
    let first = t
        .render_str(
            "{{ lookup('first_found', ['nope', 'files/motd']) }}",
            &play_only,
        )
        .unwrap();
    assert_eq!(first, format!("{play_dir}/files/motd"));
}

#[test]
fn template_files_include_and_import_from_the_templates_tree() {
    let dir = tempfile::tempdir().unwrap();
    let templates = dir.path().join("roles/web/templates");
    fs::create_dir_all(templates.join("sub")).unwrap();
    fs::write(templates.join("common.j2"), "common {{ name }}\n").unwrap();
    fs::write(templates.join("sub/local.j2"), "local\n").unwrap();
    fs::write(
        templates.join("macros.j2"),
        "{% macro line(k, v) %}{{ k }}={{ v }}{% endmacro %}",
    )
    .unwrap();
    let main = templates.join("sub/site.j2");
    let source = "{% include 'common.j2' %}{% include 'local.j2' %}\
                  {% import 'macros.j2' as m %}{{ m.line('a', 1) }}\n";
    let out = Templates::new()
        .render_file(
            &main.display().to_string(),
            source,
            &vars(json!({"name": "web"})),
            FileOptions::default(),
        )
        .unwrap();
    // An included file's last newline is dropped, as ansible-core's Jinja does.
    assert_eq!(out, "common weblocala=1\n");
}

#[test]
fn a_template_looking_itself_up_is_an_error_not_a_crash() {
    let dir = tempfile::tempdir().unwrap();
    fs::create_dir_all(dir.path().join("templates")).unwrap();
    fs::write(
        dir.path().join("templates/self.j2"),
        "{{ lookup('template', 'self.j2') }}",
    )
    .unwrap();
    let context = vars(json!({"playbook_dir": dir.path().display().to_string()}));
    let err = Templates::new()
        .render_str("{{ lookup('template', 'self.j2') }}", &context)
        .unwrap_err();
    assert!(err.message.contains("more than 20 deep"), "{}", err.message);
    assert!(
        err.message.starts_with("lookup('template', 'self.j2')"),
        "{}",
        err.message
    );
}

#[test]
fn env_and_vars_lookups() {
    let t = Templates::new();
    let home = std::env::var("HOME").unwrap_or_default();
    assert_eq!(
        t.render_str("{{ lookup('env', 'HOME') }}", &vars(json!({})))
            .unwrap(),
        home
    );
    assert_eq!(
        t.render_str(
            "[{{ lookup('env', 'MACHINIST_SURELY_UNSET') }}]",
            &vars(json!({}))
        )
        .unwrap(),
        "[]"
    );
    assert_eq!(
        t.render_str(
            "{{ lookup('ansible.builtin.vars', 'a') }}",
            &vars(json!({"a": "x"}))
        )
        .unwrap(),
        "x"
    );
    let err = t
        .render_str("{{ lookup('dig', 'example.org') }}", &vars(json!({})))
        .unwrap_err();
    assert!(err.message.contains("'dig'"), "{}", err.message);
}

#[test]
fn a_template_file_is_compiled_per_source_and_includes_beside_its_name() {
    let t = Templates::new();
    let context = vars(json!({"x": 1}));
    let dir = tempfile::tempdir().unwrap();
    fs::write(dir.path().join("inc.j2"), "inc {{ x }}").unwrap();
    let name = dir.path().join("main.j2").display().to_string();
    let main = "main {% include 'inc.j2' %}\n";
    for _ in 0..2 {
        assert_eq!(
            t.render_file(&name, main, &context, FileOptions::default())
                .unwrap(),
            "main inc 1\n"
        );
    }
    assert_eq!(
        t.render_file(&name, "changed {{ x }}\n", &context, FileOptions::default())
            .unwrap(),
        "changed 1\n"
    );
}
