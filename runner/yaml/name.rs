//! The text of a mapping key, shared: keys are most of a playbook's strings (`name`,
//! `path`, `state`, `mode` in every task) and the model keeps every module
//! argument's key for the whole run. The parser gives each distinct key of a file
//! one allocation ([`Names`]); a 10 000-task playbook's keys then take none of their
//! own (each was 32 bytes more, and a key 8 bytes less).

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::Arc;

/// A key's text: derefs to `str`.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Name(Arc<str>);

impl Name {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The names met so far (in one file), so equal keys share their text.
#[derive(Default)]
pub struct Names(HashSet<Arc<str>>);

impl Names {
    pub fn name(&mut self, text: String) -> Name {
        if let Some(known) = self.0.get(text.as_str()) {
            return Name(known.clone());
        }
        let text: Arc<str> = text.into();
        self.0.insert(text.clone());
        Name(text)
    }
}

impl From<&str> for Name {
    fn from(text: &str) -> Name {
        Name(text.into())
    }
}

impl From<String> for Name {
    fn from(text: String) -> Name {
        Name(text.into())
    }
}

impl Default for Name {
    fn default() -> Name {
        Name::from("")
    }
}

impl Deref for Name {
    type Target = str;

    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Name {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl std::borrow::Borrow<str> for Name {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Name {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Name {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl PartialEq<String> for Name {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<Name> for &str {
    fn eq(&self, other: &Name) -> bool {
        *self == other.as_str()
    }
}

impl PartialEq<Name> for String {
    fn eq(&self, other: &Name) -> bool {
        self.as_str() == other.as_str()
    }
}

impl fmt::Debug for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_names_share_their_text() {
        let mut names = Names::default();
        let first = names.name("path".to_string());
        let second = names.name("path".to_string());
        assert!(Arc::ptr_eq(&first.0, &second.0));
        assert_eq!(first, "path");
        assert_eq!(Name::from("mode").as_str(), "mode");
    }
}
