//! `gather_subset`'s names as ansible-core reads them (`all`, `min`, `network`,
//! `virtual`, `hardware`, each with `!`): checked when a play loads, and what a
//! gathering or a `setup` task then keeps (run/setup.rs).

/// The subsets of external tools' facts, which machinist does not run: refused when
/// asked for, accepted left out (`!facter`).
const TOOL_SUBSETS: &[&str] = &["facter", "ohai"];

/// Which subsets are gathered, as ansible-core's `get_collector_names` decides: `min`
/// and the named ones, less the `!` ones unless named too.
#[derive(Debug, PartialEq, Eq)]
pub struct Subsets {
    pub min: bool,
    pub network: bool,
    pub virtual_: bool,
    pub hardware: bool,
}

const NOT_MIN: [&str; 3] = ["network", "virtual", "hardware"];

pub fn subsets(names: &[String]) -> Result<Subsets, String> {
    let mut added: Vec<&str> = vec!["min"];
    let mut named: Vec<&str> = Vec::new();
    let mut removed: Vec<&str> = Vec::new();
    for name in names {
        let (excluded, subset) = match name.strip_prefix('!') {
            Some(subset) => (true, subset.trim()),
            None => (false, name.trim()),
        };
        let known = ["all", "min"].contains(&subset)
            || NOT_MIN.contains(&subset)
            || TOOL_SUBSETS.contains(&subset);
        if !known {
            return Err(format!(
                "Bad subset '{subset}' given to gather_subset: the subsets here are all, min, \
                 network, virtual, hardware (and !facter, !ohai)"
            ));
        }
        if TOOL_SUBSETS.contains(&subset) && !excluded {
            return Err(format!(
                "gather_subset '{subset}' is not supported: machinist gathers facts without \
                 external tools (facter, ohai); leave it out or write '!{subset}'"
            ));
        }
        match (excluded, subset) {
            (false, "all") => added.extend(NOT_MIN),
            (false, "min") => {}
            (true, "all") => removed.extend(NOT_MIN),
            (false, subset) => {
                added.push(subset);
                named.push(subset);
            }
            (true, subset) => removed.push(subset),
        }
    }
    let has = |subset: &str| {
        added.contains(&subset) && (!removed.contains(&subset) || named.contains(&subset))
    };
    Ok(Subsets {
        min: has("min"),
        network: has("network"),
        virtual_: has("virtual"),
        hardware: has("hardware"),
    })
}

/// Whether `names` are subsets `gather_subset` takes (the message says why not).
pub fn check_subsets(names: &[String]) -> Result<(), String> {
    subsets(names).map(|_| ())
}
