//! A guard in front of minijinja's expression compiler: minijinja 2.24 panics ("empty
//! lexer stack") on a standalone expression holding `}}` with more after it, so a
//! playbook with `when: "a }} {{ b"` crashed machinist (found by the template fuzz
//! target; pinned in tests/fuzz-regressions/). A `}}` outside a string literal can
//! only be a mistake in an expression (inside brackets it closes two of them, as in
//! `{'a': {'b': 1}}`): it is refused here with a syntax error first.

use minijinja::{Error, ErrorKind};

/// Err when `expr` holds a `}}` outside its string literals and brackets.
pub(crate) fn check(expr: &str) -> Result<(), Error> {
    match closing_braces(expr) {
        Some(_) => Err(Error::new(
            ErrorKind::SyntaxError,
            "unexpected '}}' in an expression (write the expression without {{ }})",
        )),
        None => Ok(()),
    }
}

/// Where the first `}}` outside string literals and brackets starts: the end of an
/// expression, as Jinja's lexer finds it (`{'a': {'b': 1}}` closes two mappings).
pub(crate) fn closing_braces(expr: &str) -> Option<usize> {
    let bytes = expr.as_bytes();
    let mut depth = 0usize;
    let mut quote = None;
    let mut index = 0;
    while index < bytes.len() {
        let byte = bytes[index];
        match quote {
            Some(_) if byte == b'\\' => index += 1,
            Some(open) if byte == open => quote = None,
            Some(_) => {}
            None => match byte {
                b'\'' | b'"' => quote = Some(byte),
                b'(' | b'[' | b'{' => depth += 1,
                b'}' if depth == 0 && bytes.get(index + 1) == Some(&b'}') => return Some(index),
                b')' | b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            },
        }
        index += 1;
    }
    None
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
        assert!(check("{'a': {'b': 1}} == d").is_ok());
        assert!(check("[{'a': 1}] }} x").is_err());
        assert!(check("{'a': {'b': 1} } == d").is_ok());
        // What used to panic now compiles to an error.
        let env = minijinja::Environment::new();
        assert!(check("a }} {{ b")
            .and_then(|()| env.compile_expression("a }} {{ b").map(drop))
            .is_err());
    }
}
