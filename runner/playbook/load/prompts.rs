//! A play's `vars_prompt`: Ansible's list of questions asked on the terminal before
//! the play runs (`name`, `prompt`, `private` (default yes), `confirm`, `default`,
//! `encrypt` (sha512_crypt, sha256_crypt), `salt`, `salt_size`, `unsafe`). Read and
//! checked here; asked by `run/prompt.rs`.

use super::Loader;
use crate::playbook::model::VarPrompt;
use crate::yaml::{Node, Value};

const PROMPT_KEYS: &[&str] = &[
    "name",
    "prompt",
    "private",
    "confirm",
    "default",
    "encrypt",
    "salt",
    "salt_size",
    "unsafe",
];

/// The hashes `encrypt:` makes (passlib's names, as Ansible's).
const ENCRYPTS: &[&str] = &["sha512_crypt", "sha256_crypt"];

impl Loader {
    pub(super) fn vars_prompt(&mut self, node: &Node) -> Vec<VarPrompt> {
        let Value::Seq(items) = &node.value else {
            if !matches!(node.value, Value::Null) {
                self.error(
                    &node.span,
                    "vars_prompt is a list of prompts ({name: …, prompt: …})",
                );
            }
            return Vec::new();
        };
        items
            .iter()
            .filter_map(|item| self.var_prompt(item))
            .collect()
    }

    fn var_prompt(&mut self, node: &Node) -> Option<VarPrompt> {
        let Some(entries) = node.as_map() else {
            self.error(
                &node.span,
                "a vars_prompt entry is a mapping ({name: …, prompt: …})",
            );
            return None;
        };
        for (key, _) in entries {
            if !PROMPT_KEYS.contains(&&*key.name) {
                self.unknown_key(key, "vars_prompt", PROMPT_KEYS.iter().copied());
            }
        }
        let Some(name) = node.get("name") else {
            self.error(&node.span, "a vars_prompt entry needs a name");
            return None;
        };
        let name = self.identifier(name)?;
        let text = |this: &mut Loader, key: &str| node.get(key).and_then(|n| this.string(n));
        let flag = |this: &mut Loader, key: &str, default: bool| {
            node.get(key).map_or(default, |n| this.boolean(n))
        };
        let encrypt = text(self, "encrypt");
        if let (Some(kind), Some(at)) = (&encrypt, node.get("encrypt")) {
            if !ENCRYPTS.contains(&kind.as_str()) {
                self.error(
                    &at.span,
                    format!(
                        "encrypt '{kind}' is not supported (use {})",
                        ENCRYPTS.join(" or ")
                    ),
                );
            }
        }
        let salt_size = match node.get("salt_size") {
            Some(Node {
                value: Value::Int(size @ 1..=16),
                ..
            }) => Some(*size as usize),
            Some(other) => {
                self.error(&other.span, "salt_size is a whole number from 1 to 16");
                None
            }
            None => None,
        };
        let salt = text(self, "salt");
        if let (Some(salt), Some(at)) = (&salt, node.get("salt")) {
            if crate::template::crypt::checked_salt(salt).is_err() {
                self.error(&at.span, "a salt uses only the characters ./0-9A-Za-z");
            }
        }
        if encrypt.is_none() && (salt.is_some() || salt_size.is_some()) {
            self.error(&node.span, "salt and salt_size go with encrypt");
        }
        if salt.is_some() && salt_size.is_some() {
            self.error(
                &node.span,
                "give salt or salt_size, not both (a given salt has its own size)",
            );
        }
        Some(VarPrompt {
            prompt: text(self, "prompt").unwrap_or_else(|| name.clone()),
            name,
            private: flag(self, "private", true),
            confirm: flag(self, "confirm", false),
            default: text(self, "default"),
            encrypt,
            salt,
            salt_size,
            unsafe_text: flag(self, "unsafe", false),
            span: node.span.clone(),
        })
    }
}
