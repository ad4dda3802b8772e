//! `inventory_hostnames`: the hosts host patterns select (`all:!web`, `db*`,
//! `web[0]`), evaluated as a play's `hosts:` is, over an inventory made of the
//! `groups` variable only, as ansible-core's lookup builds it. A pattern that cannot
//! be evaluated gives no hosts, as in ansible-core. The evaluation is the inventory
//! room's, which sits above the templates: it installs it here when an inventory
//! loads ([`install_host_patterns`]).

use minijinja::value::ValueKind;
use minijinja::{Error, State, Value};
use std::sync::OnceLock;

use super::super::filters::{invalid, text};

/// The hosts `patterns` select (evaluated as one) in an inventory of these
/// `(group, hosts)` pairs only.
pub type HostPatterns = fn(&[(String, Vec<String>)], &[String]) -> Result<Vec<String>, String>;

static HOST_PATTERNS: OnceLock<HostPatterns> = OnceLock::new();

/// Give the lookup its pattern evaluation (the first one installed stays).
pub fn install_host_patterns(evaluate: HostPatterns) {
    let _ = HOST_PATTERNS.set(evaluate);
}

pub(super) fn inventory_hostnames(state: &State, terms: &[Value]) -> Result<Vec<Value>, Error> {
    let groups = state
        .lookup("groups")
        .filter(|g| g.kind() == ValueKind::Map)
        .ok_or_else(|| {
            invalid("lookup('inventory_hostnames'): the variable 'groups' is not set")
        })?;
    let mut members = Vec::new();
    for group in groups.try_iter()? {
        let hosts = groups.get_item(&group)?;
        let hosts = hosts
            .try_iter()?
            .map(|host| text(&host))
            .collect::<Result<Vec<_>, _>>()?;
        members.push((text(&group)?, hosts));
    }
    let patterns = terms.iter().map(text).collect::<Result<Vec<_>, _>>()?;
    let Some(evaluate) = HOST_PATTERNS.get() else {
        return Err(invalid(
            "lookup('inventory_hostnames'): no inventory was loaded",
        ));
    };
    match evaluate(&members, &patterns) {
        Ok(hosts) => Ok(hosts.into_iter().map(Value::from).collect()),
        Err(err) => {
            tracing::debug!(%err, "lookup('inventory_hostnames'): no hosts");
            Ok(Vec::new())
        }
    }
}
