//! `csvfile`: a column of the first row of a CSV/TSV file on the controller whose key
//! column equals the term, read as Python's `csv.reader` reads the `excel` dialect
//! (quotes, doubled quotes, delimiters and newlines inside quotes). Options as keyword
//! arguments or in the deprecated inline form (`'alice file=users.csv delimiter=,'`).

use minijinja::value::Kwargs;
use minijinja::{Error, State, Value};

use super::super::filters::{invalid, text};
use super::{find, read};

const OPTIONS: [&str; 6] = ["col", "keycol", "default", "delimiter", "file", "encoding"];

#[derive(Clone)]
struct Options {
    col: usize,
    keycol: usize,
    default: Value,
    delimiter: String,
    file: String,
}

impl Options {
    fn set(&mut self, name: &str, value: Value) -> Result<(), Error> {
        let index = |value: &Value| -> Result<usize, Error> {
            text(value)?.trim().parse::<usize>().map_err(|_| {
                invalid(format!(
                    "lookup('csvfile'): {name} must be a column number, got '{value}'"
                ))
            })
        };
        match name {
            "col" => self.col = index(&value)?,
            "keycol" => self.keycol = index(&value)?,
            "default" => self.default = value,
            "delimiter" => self.delimiter = text(&value)?,
            "file" => self.file = text(&value)?,
            "encoding" => {
                let name = text(&value)?.to_ascii_lowercase().replace('_', "-");
                if name != "utf-8" && name != "utf8" {
                    return Err(invalid(format!(
                        "lookup('csvfile'): encoding '{name}' is not supported; machinist reads UTF-8 only"
                    )));
                }
            }
            other => return Err(invalid(format!("'{other}' is not a valid option"))),
        }
        Ok(())
    }
}

pub(super) fn csvfile(
    state: &State,
    terms: &[Value],
    kwargs: &Kwargs,
) -> Result<Vec<Value>, Error> {
    let mut options = Options {
        col: 1,
        keycol: 0,
        default: Value::from(()),
        delimiter: "TAB".into(),
        file: "ansible.csv".into(),
    };
    for name in OPTIONS {
        if let Some(value) = kwargs.get::<Option<Value>>(name)? {
            options.set(name, value)?;
        }
    }
    kwargs.assert_all_used()?;
    if terms.is_empty() {
        return Err(invalid("Search key is required but was not found"));
    }
    let mut found = Vec::new();
    for term in terms {
        let (key, inline) = split_inline(&text(term)?)?;
        for (name, value) in inline {
            options.set(&name, Value::from(value))?;
        }
        let delimiter = match options.delimiter.as_str() {
            "TAB" => '\t',
            other => {
                let mut chars = other.chars();
                match (chars.next(), chars.next()) {
                    (Some(c), None) => c,
                    _ => {
                        return Err(invalid(format!(
                            "lookup('csvfile'): \"delimiter\" must be a 1-character string, got '{other}'"
                        )))
                    }
                }
            }
        };
        let path = find(state, &options.file, "files")?;
        let contents = read(&path)?.text;
        let mut value = None;
        for row in rows(&contents, delimiter) {
            if row.is_empty() {
                continue;
            }
            let cell = |index: usize| {
                row.get(index).cloned().ok_or_else(|| {
                    invalid(format!(
                        "lookup('csvfile'): {}: a row has no column {index} (list index out of range)",
                        options.file
                    ))
                })
            };
            if cell(options.keycol)? == key {
                value = Some(Value::from(cell(options.col)?));
                break;
            }
        }
        let value = value.unwrap_or_else(|| options.default.clone());
        if !value.is_none() {
            found.push(value);
        }
    }
    Ok(found)
}

/// ansible-core's `parse_kv`: `name=value` words are options, the other words the key.
fn split_inline(term: &str) -> Result<(String, Vec<(String, String)>), Error> {
    let option_start = term.char_indices().find_map(|(at, _)| {
        let before_ok = at == 0 || term[..at].ends_with(char::is_whitespace);
        let word = term[at..].split('=').next()?;
        (before_ok
            && term[at..].contains('=')
            && !word.is_empty()
            && !word.contains(char::is_whitespace))
        .then_some(at)
    });
    let Some(start) = option_start else {
        return Ok((term.trim().to_string(), Vec::new()));
    };
    let key = term[..start].trim().to_string();
    if key.is_empty() {
        return Err(invalid("Search key is required but was not found"));
    }
    let pairs = crate::key_values::split_key_values(&term[start..]).ok_or_else(|| {
        invalid(format!(
            "lookup('csvfile'): could not read the options of '{term}'"
        ))
    })?;
    Ok((key, pairs))
}

/// Python's `csv.reader` with the `excel` dialect and this delimiter.
fn rows(text: &str, delimiter: char) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    let mut row: Vec<String> = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut in_field = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    field.push('"');
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
            continue;
        }
        match c {
            '"' if !in_field => {
                quoted = true;
                in_field = true;
            }
            c if c == delimiter => {
                row.push(std::mem::take(&mut field));
                in_field = false;
            }
            '\r' | '\n' => {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                if in_field || !row.is_empty() {
                    row.push(std::mem::take(&mut field));
                }
                rows.push(std::mem::take(&mut row));
                in_field = false;
            }
            c => {
                field.push(c);
                in_field = true;
            }
        }
    }
    if in_field || !row.is_empty() || quoted {
        row.push(field);
        rows.push(row);
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_as_python_csv_does() {
        let rows = rows(
            "a,b,c\n\"x, y\",\"say \"\"hi\"\"\",\n\nlast,\"two\nlines\"",
            ',',
        );
        assert_eq!(
            rows,
            vec![
                vec!["a", "b", "c"],
                vec!["x, y", "say \"hi\"", ""],
                vec![],
                vec!["last", "two\nlines"],
            ]
        );
    }

    #[test]
    fn splits_inline_options() {
        let (key, pairs) = split_inline("Li file=elements.csv delimiter=,").unwrap();
        assert_eq!(key, "Li");
        assert_eq!(
            pairs,
            vec![
                ("file".to_string(), "elements.csv".to_string()),
                ("delimiter".to_string(), ",".to_string())
            ]
        );
        assert_eq!(split_inline("two words").unwrap().0, "two words");
    }
}
