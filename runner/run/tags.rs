//! `--tags` and `--skip-tags`, with Ansible's special tags: `always` runs unless
//! skipped by name, `never` runs only when asked for by name, `all`, `tagged`,
//! `untagged`.

#[derive(Debug, Clone, Default)]
pub struct TagFilter {
    /// Empty: every task but those tagged `never`.
    pub only: Vec<String>,
    pub skip: Vec<String>,
}

impl TagFilter {
    pub fn selects(&self, tags: &[String]) -> bool {
        let has = |t: &str| tags.iter().any(|x| x == t);
        let asked = |list: &[String], t: &str| list.iter().any(|x| x == t);
        if !self.skip.is_empty() {
            let skipped = tags.iter().any(|t| asked(&self.skip, t))
                || (asked(&self.skip, "tagged") && !tags.is_empty())
                || (asked(&self.skip, "untagged") && tags.is_empty())
                || asked(&self.skip, "all") && !has("always");
            if skipped {
                return false;
            }
        }
        if has("always") {
            return true;
        }
        if self.only.is_empty() || asked(&self.only, "all") {
            return !has("never") || tags.iter().any(|t| t != "never" && asked(&self.only, t));
        }
        tags.iter().any(|t| asked(&self.only, t))
            || (asked(&self.only, "tagged") && !tags.is_empty() && !has("never"))
            || (asked(&self.only, "untagged") && tags.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tags(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn selects_like_ansible() {
        let none = TagFilter::default();
        assert!(none.selects(&tags(&[])));
        assert!(none.selects(&tags(&["web"])));
        assert!(!none.selects(&tags(&["never"])));

        let web = TagFilter {
            only: tags(&["web"]),
            skip: vec![],
        };
        assert!(web.selects(&tags(&["web"])));
        assert!(!web.selects(&tags(&["db"])));
        assert!(web.selects(&tags(&["always"])));
        assert!(!web.selects(&tags(&[])));
        assert!(web.selects(&tags(&["never", "web"])));

        let skip = TagFilter {
            only: vec![],
            skip: tags(&["web", "always"]),
        };
        assert!(!skip.selects(&tags(&["web"])));
        assert!(!skip.selects(&tags(&["always"])));
        assert!(skip.selects(&tags(&["db"])));

        let untagged = TagFilter {
            only: tags(&["untagged"]),
            skip: vec![],
        };
        assert!(untagged.selects(&tags(&[])));
        assert!(!untagged.selects(&tags(&["x"])));
    }
}
