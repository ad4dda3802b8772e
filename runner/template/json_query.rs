//! community.general's `json_query` filter: a JMESPath query over a value, run by the
//! jmespath crate (the reference implementation's author's Rust port) as the
//! collection runs Python's jmespath, with its error wording.

use minijinja::{Environment, Error, ErrorKind, Value};

pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("json_query", json_query);
}

fn json_query(data: Value, query: String) -> Result<Value, Error> {
    let failed = |err: &dyn std::fmt::Display| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("JMESPathError in json_query filter plugin:\n{err}"),
        )
    };
    let expression = jmespath::compile(&legacy_literals(&query)).map_err(|err| failed(&err))?;
    let json = serde_json::to_value(&data).map_err(|err| failed(&err))?;
    let found = expression.search(json).map_err(|err| failed(&err))?;
    let found = serde_json::to_value(&*found).map_err(|err| failed(&err))?;
    Ok(Value::from_serialize(&found))
}

/// `query` with each backtick literal that is not JSON (`` `wheel` ``) written as the
/// JSON string Python's jmespath reads it as (its lexer's deprecated fallback: the
/// text, left-trimmed, in quotes); raw strings and quoted names are left alone.
fn legacy_literals(query: &str) -> String {
    let mut out = String::with_capacity(query.len() + 8);
    let mut chars = query.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\'' | '"' => {
                out.push(c);
                while let Some(inner) = chars.next() {
                    out.push(inner);
                    if inner == '\\' {
                        out.extend(chars.next());
                    } else if inner == c {
                        break;
                    }
                }
            }
            '`' => {
                let mut literal = String::new();
                while let Some(inner) = chars.next() {
                    match inner {
                        '\\' if chars.peek() == Some(&'`') => {
                            literal.push('`');
                            chars.next();
                        }
                        '`' => break,
                        other => literal.push(other),
                    }
                }
                let json = match serde_json::from_str::<serde_json::Value>(&literal) {
                    Ok(_) => literal,
                    Err(_) => serde_json::Value::from(literal.trim_start()).to_string(),
                };
                out.push('`');
                out.push_str(&json.replace('`', "\\`"));
                out.push('`');
            }
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use crate::template::Templates;
    use minijinja::context;

    fn render(source: &str) -> String {
        let users = serde_json::json!([
            {"name": "alice", "groups": ["wheel", "dev"], "port": 22},
            {"name": "bob", "groups": ["dev"], "port": 2222},
        ]);
        Templates::new()
            .render_str(source, &context! { users => users })
            .expect("renders")
    }

    #[test]
    fn queries_select_project_and_filter_as_jmespath_does() {
        assert_eq!(
            render("{{ users | json_query('[].name') }}"),
            "['alice', 'bob']"
        );
        assert_eq!(
            render("{{ users | json_query(\"[?port > `100`].name | [0]\") }}"),
            "bob"
        );
        assert_eq!(
            render(
                "{{ users | community.general.json_query('[?contains(groups, `wheel`)].name') }}"
            ),
            "['alice']"
        );
        assert_eq!(
            render("{{ users | json_query('[0].missing') is none }}"),
            "True"
        );
    }

    #[test]
    fn a_bare_word_literal_is_a_string_as_pythons_jmespath_reads_it() {
        assert_eq!(
            super::legacy_literals("[?name==`bob`] | [?port==`22`] | ['`x`']"),
            "[?name==`\"bob\"`] | [?port==`22`] | ['`x`']"
        );
        assert_eq!(
            render("{{ users | json_query('[?name==`bob`].port') }}"),
            "[2222]"
        );
    }

    #[test]
    fn a_bad_query_says_what_jmespath_said() {
        let err = Templates::new()
            .render_str("{{ [] | json_query('[?') }}", &context! {})
            .expect_err("a syntax error");
        assert!(
            err.to_string()
                .contains("JMESPathError in json_query filter plugin"),
            "{err}"
        );
    }
}
