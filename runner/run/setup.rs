//! `setup` (Ansible's `ansible.builtin.setup`, also `gather_facts`) as a task: the
//! facts a play's `gather_facts` gathers (runner/facts.rs), read on the target (the
//! Host here, or the host's agent), narrowed by `gather_subset` and `filter` as
//! Ansible narrows them (the collectors facts/subsets.rs chooses), set as host facts (`ansible_NAME` and in `ansible_facts`,
//! merged with the facts already there) and registered under `ansible_facts` with
//! their `ansible_` names. It changes nothing: `ok`, in check mode too.

use crate::facts::subsets::subsets;
pub use crate::playbook::action_args::setup::{Args, Names};
use serde_json::{Map, Value as Json};

/// What ansible-core's `gather_facts` action (a play's gathering, or a task named
/// gather_facts; not `setup`) adds to `ansible_facts`, and only there.
pub const GATHERED_MARK: &str = "_ansible_facts_gathered";

/// The facts Ansible's setup returns without the `ansible_` prefix (its metadata).
const UNPREFIXED: [&str; 2] = ["gather_subset", "module_setup"];

/// A fact's name in the registered result (and for `filter`): `ansible_NAME`, but
/// for the metadata.
pub fn registered_name(name: &str) -> String {
    match UNPREFIXED.contains(&name) {
        true => name.to_string(),
        false => format!("ansible_{name}"),
    }
}

/// A play's gathering: the facts of `gather_subset` (checked when the play loaded,
/// or when rendered)
/// from what runner/facts.rs gathered (`ansible_*` and `ansible_facts`), with the
/// `gather_subset` and `module_setup` facts Ansible adds.
pub fn select_subsets(
    all: &Map<String, Json>,
    gather_subset: Option<&[String]>,
) -> Result<Map<String, Json>, String> {
    let gathered = match all.get("ansible_facts") {
        Some(Json::Object(facts)) => facts.clone(),
        _ => Map::new(),
    };
    let args = Args {
        gather_subset: gather_subset.map(|names| Names::Many(names.to_vec())),
        filter: None,
        fact_path: None,
        gather_timeout: None,
    };
    select(&gathered, &args)
}

/// The facts `args` select from `gathered` (names without `ansible_`), with the
/// `gather_subset` and `module_setup` facts Ansible adds.
pub fn select(gathered: &Map<String, Json>, args: &Args) -> Result<Map<String, Json>, String> {
    let asked: Vec<String> = args
        .gather_subset
        .as_ref()
        .map(|names| names.to_vec())
        .unwrap_or_else(|| vec!["all".into()]);
    let wanted = subsets(&asked)?;
    let globs = args
        .filter
        .as_ref()
        .map(|names| names.to_vec())
        .unwrap_or_default()
        .iter()
        .map(|glob| {
            glob::Pattern::new(glob).map_err(|err| format!("filter: bad pattern '{glob}': {err}"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Each interface's facts (`eth0`, `br_lan`) are the network subset's too.
    let interface_facts: Vec<String> = match gathered.get("interfaces") {
        Some(Json::Array(names)) => names
            .iter()
            .filter_map(Json::as_str)
            .map(|name| name.replace(['-', ':'], "_"))
            .collect(),
        _ => Vec::new(),
    };
    let mut facts: Map<String, Json> = gathered
        .iter()
        .filter(|(name, _)| wanted.keeps(name, interface_facts.contains(name)))
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    facts.insert("gather_subset".into(), Json::from(asked));
    facts.insert("module_setup".into(), Json::Bool(true));
    if !globs.is_empty() {
        facts.retain(|name, _| {
            let registered = registered_name(name);
            globs.iter().any(|glob| glob.matches(&registered))
        });
    }
    Ok(facts)
}

impl super::step::Step<'_> {
    /// The task: gather (on the target), narrow, set and register.
    pub(super) fn setup(
        &mut self,
        module: &str,
        args: &crate::yaml::Node,
    ) -> super::outcome::Outcome {
        use super::outcome::Outcome;
        use super::remote::Site;
        let becoming = match self.becoming() {
            Ok(becoming) => becoming,
            Err(refusal) => return Outcome::failed(refusal),
        };
        let rendered = match self.render_args(args) {
            Ok(rendered) => rendered,
            Err(msg) => return Outcome::failed(msg),
        };
        let parsed: Args = match serde_json::from_value(Json::Object(rendered)) {
            Ok(parsed) => parsed,
            Err(err) => return Outcome::failed(format!("setup: {err}")),
        };
        let gathering = crate::facts::Gathering {
            fact_path: parsed.fact_path.clone(),
            timeout: parsed.gather_timeout,
        };
        let all: Map<String, Json> = match self.host {
            Site::Local(host) => crate::facts::gather(host, &gathering)
                .into_iter()
                .map(|(name, value)| (name, crate::vars::to_json(&value)))
                .collect(),
            Site::Remote(remote, _) => match remote.gather_facts(becoming.as_ref(), &gathering) {
                Ok(facts) => facts,
                Err(unreachable) => return Outcome::unreachable(unreachable.message),
            },
        };
        let gathered = match all.get("ansible_facts") {
            Some(Json::Object(facts)) => facts.clone(),
            _ => Map::new(),
        };
        let selected = match select(&gathered, &parsed) {
            Ok(selected) => selected,
            Err(msg) => return Outcome::failed(msg),
        };
        tracing::debug!(facts = selected.len(), "setup: facts set");
        // Merged into the facts the host has (an earlier gathering's stay).
        let mut merged = match self.templates().eval("ansible_facts", self.ctx) {
            Ok(value) if !value.is_undefined() => match crate::vars::to_json(&value) {
                Json::Object(map) => map,
                _ => Map::new(),
            },
            _ => Map::new(),
        };
        let mut layer = crate::vars::Layer::default();
        let mut registered = Map::new();
        for (name, value) in &selected {
            merged.insert(name.clone(), value.clone());
            layer.set(&registered_name(name), crate::vars::from_json(value));
            registered.insert(registered_name(name), value.clone());
        }
        if module.ends_with("gather_facts") {
            merged.insert(GATHERED_MARK.into(), Json::Bool(true));
        }
        layer.set(
            "ansible_facts",
            crate::vars::from_json(&Json::Object(merged)),
        );
        self.set_facts(&layer);
        let mut outcome = Outcome::ok();
        outcome
            .data
            .insert("ansible_facts".into(), Json::Object(registered));
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn gathered() -> Map<String, Json> {
        let Json::Object(map) = json!({
            "hostname": "box", "distribution": "Debian", "distribution_version": "12",
            "os_family": "Debian", "default_ipv4": {"address": "10.0.0.2"},
            "virtualization_type": "systemd-nspawn", "virtualization_role": "guest",
            "memtotal_mb": 1024,
        }) else {
            unreachable!()
        };
        map
    }

    fn names(args: serde_json::Value) -> Vec<String> {
        let args: Args = serde_json::from_value(args).expect("args");
        select(&gathered(), &args)
            .expect("selected")
            .keys()
            .cloned()
            .collect()
    }

    #[test]
    fn subsets_narrow_as_ansibles_do() {
        assert_eq!(names(json!({})).len(), 10);
        let min = names(json!({"gather_subset": ["!all"]}));
        assert!(!min.contains(&"memtotal_mb".to_string()));
        let hardware = names(json!({"gather_subset": ["!all", "hardware"]}));
        assert!(hardware.contains(&"memtotal_mb".to_string()));
        assert!(!hardware.contains(&"default_ipv4".to_string()));
        assert!(min.contains(&"hostname".to_string()));
        assert!(!min.contains(&"default_ipv4".to_string()));
        assert!(!min.contains(&"virtualization_type".to_string()));
        let virt = names(json!({"gather_subset": ["!all", "virtual"]}));
        assert!(virt.contains(&"virtualization_type".to_string()));
        assert!(!virt.contains(&"default_ipv4".to_string()));
        let network = names(json!({"gather_subset": "network"}));
        assert!(network.contains(&"default_ipv4".to_string()));
        assert!(!network.contains(&"virtualization_role".to_string()));
        assert!(network.contains(&"os_family".to_string()));
        let nothing = names(json!({"gather_subset": ["!all", "!min"]}));
        assert_eq!(nothing, ["gather_subset", "module_setup"]);
        let args: Args = serde_json::from_value(json!({"gather_subset": ["disks"]})).expect("args");
        assert!(select(&gathered(), &args).is_err());
        let args: Args =
            serde_json::from_value(json!({"gather_subset": ["facter"]})).expect("args");
        let refused = select(&gathered(), &args).expect_err("facter refused");
        assert!(refused.contains("not supported"), "{refused}");
        assert_eq!(
            names(json!({"gather_subset": ["all", "!facter", "!ohai"]})).len(),
            10
        );
    }

    #[test]
    fn filter_globs_match_the_ansible_names() {
        let picked = names(json!({"filter": ["ansible_distribution*", "ansible_os_family"]}));
        assert_eq!(
            picked,
            ["distribution", "distribution_version", "os_family"]
        );
        let picked = names(json!({"filter": "ansible_[hv]*"}));
        assert_eq!(
            picked,
            ["hostname", "virtualization_type", "virtualization_role"]
        );
    }
}
