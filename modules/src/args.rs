//! Argument introspection: the names of a module's arguments, read from its serde
//! definition, so validation ("did you mean"), docs and the parser cannot drift apart.

use serde::de::{self, DeserializeOwned, Visitor};
use std::cell::Cell;

/// The field names `T`'s derived `Deserialize` asks for (empty for non-structs).
pub fn field_names<T: DeserializeOwned>() -> &'static [&'static str] {
    let captured = Cell::new(None);
    let _ = T::deserialize(FieldCapture {
        captured: &captured,
    });
    captured.get().unwrap_or(&[])
}

struct FieldCapture<'a> {
    captured: &'a Cell<Option<&'static [&'static str]>>,
}

#[derive(Debug)]
struct Captured;

impl std::fmt::Display for Captured {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("fields captured")
    }
}

impl std::error::Error for Captured {}

impl de::Error for Captured {
    fn custom<T: std::fmt::Display>(_msg: T) -> Self {
        Captured
    }
}

impl<'de> de::Deserializer<'de> for FieldCapture<'_> {
    type Error = Captured;

    fn deserialize_any<V: Visitor<'de>>(self, _visitor: V) -> Result<V::Value, Captured> {
        Err(Captured)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value, Captured> {
        self.captured.set(Some(fields));
        Err(Captured)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf option unit unit_struct newtype_struct seq tuple
        tuple_struct map enum identifier ignored_any
    }
}

/// The candidate closest to `word` by edit distance, if it is close enough to be a
/// plausible typo ("did you mean 'mode'?").
pub fn did_you_mean<'a>(
    word: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, c)| *d <= (c.len().max(word.len()) / 3).max(1))
        .min_by_key(|(d, _)| *d)
        .map(|(_, c)| c)
}

/// Optimal string alignment distance: insertions, deletions, substitutions and
/// swaps of two neighbours (the typo `mdoe` is one step from `mode`).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in d[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            d[i][j] = (d[i - 1][j] + 1)
                .min(d[i][j - 1] + 1)
                .min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d[i][j] = d[i][j].min(d[i - 2][j - 2] + 1);
            }
        }
    }
    d[a.len()][b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    #[allow(dead_code)]
    struct Example {
        path: String,
        mode: Option<String>,
    }

    #[test]
    fn captures_struct_fields() {
        assert_eq!(field_names::<Example>(), &["path", "mode"]);
        assert!(field_names::<String>().is_empty());
    }

    #[test]
    fn suggests_close_names_only() {
        assert_eq!(
            did_you_mean("mdoe", ["path", "mode", "owner"]),
            Some("mode")
        );
        assert_eq!(did_you_mean("xyzzy", ["path", "mode"]), None);
    }
}
