//! A guard in front of minijinja's expression compiler: minijinja 2.24 panics ("empty
//! lexer stack") on a standalone expression holding `}}` with more after it, so a
//! playbook with `when: "a }} {{ b"` crashed machinist (found by the template fuzz
//! target; pinned in tests/fuzz-regressions/). A `}}` outside a string literal can
//! only be a mistake in an expression: it is refused here with a syntax error first.

use minijinja::{Error, ErrorKind};

/// Err when `expr` holds a `}}` outside its string literals.
pub(crate) fn check(expr: &str) -> Result<(), Error> {
    let bytes = expr.as_bytes();
    let mut quote = None;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        match quote {
            Some(_) if byte == b'\\' => index += 1,
            Some(open) if byte == open => quote = None,
            Some(_) => {}
            None if byte == b'\'' || byte == b'"' => quote = Some(byte),
            None if bytes[index..].starts_with(b"}}") => {
                return Err(Error::new(
                    ErrorKind::SyntaxError,
                    "unexpected '}}' in an expression (write the expression without {{ }})",
                ));
            }
            None => {}
        }
        index += 1;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closing_braces_outside_strings_are_refused() {
        assert!(check("a }} {{ b").is_err());
        assert!(check("a -}}").is_err());
        assert!(check("x }}").is_err());
        assert!(check("'}}' in x and \"}}\" != y").is_ok());
        assert!(check("'it\\'s }}' in x").is_ok());
        assert!(check("{'a': {'b': 1}} == d").is_err());
        assert!(check("{'a': {'b': 1} } == d").is_ok());
        // What used to panic now compiles to an error.
        let env = minijinja::Environment::new();
        assert!(check("a }} {{ b")
            .and_then(|()| env.compile_expression("a }} {{ b").map(drop))
            .is_err());
    }
}
