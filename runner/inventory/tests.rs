//! Loading, selecting and layering variables, on small inventories in temp folders.

use super::*;
use std::fs;

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    if let Some(parent) = path.parent() {
        fs::create_dir_all(parent).unwrap();
    }
    fs::write(&path, text).unwrap();
    path
}

fn var(inventory: &Inventory, host: &str, dir: &Path, name: &str) -> serde_json::Value {
    let layer = inventory.host_vars(host, dir);
    layer
        .get(name)
        .map(crate::vars::to_json)
        .unwrap_or(serde_json::Value::Null)
}

#[test]
fn a_comma_list_is_ungrouped_hosts() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = Inventory::load(&["web1,web2:2222,".into()], dir.path()).unwrap();
    assert_eq!(inventory.select("all").unwrap(), ["web1", "web2"]);
    assert_eq!(inventory.groups()["ungrouped"], ["web1", "web2"]);
    assert_eq!(inventory.group_names("web1"), ["ungrouped"]);
    assert_eq!(var(&inventory, "web2", dir.path(), "ansible_port"), 2222);
}

#[test]
fn no_inventory_is_the_implicit_localhost() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = Inventory::load(&[], dir.path()).unwrap();
    assert!(inventory.select("all").unwrap().is_empty());
    assert_eq!(inventory.select("localhost").unwrap(), ["localhost"]);
    assert!(inventory.is_implicit("localhost"));
    assert!(inventory.group_names("localhost").is_empty());
    assert_eq!(
        var(&inventory, "localhost", dir.path(), "ansible_connection"),
        "local"
    );
}

#[test]
fn an_inventory_beside_the_playbook_is_the_default() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "inventory", "[web]\nw1\n");
    let inventory = Inventory::load(&[], dir.path()).unwrap();
    assert_eq!(inventory.select("web").unwrap(), ["w1"]);
}

#[test]
fn variables_layer_as_ansible() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "inv/hosts.ini",
        "[all:vars]\nv=all\nw=all\n[parent:children]\nchild\n[parent:vars]\nv=parent\n\
         [child]\nh1 x=host\n[child:vars]\nv=child\n",
    );
    write(dir.path(), "inv/group_vars/all.yml", "w: inv_all\n");
    write(dir.path(), "inv/group_vars/child/a.yml", "y: inv_child\n");
    write(dir.path(), "inv/host_vars/h1", "x: inv_host\nz: inv_host\n");
    write(dir.path(), "play/host_vars/h1.yaml", "z: play_host\n");
    let play = dir.path().join("play");
    let inventory = Inventory::load(&[inv.display().to_string()], &play).unwrap();
    assert_eq!(var(&inventory, "h1", &play, "v"), "child");
    assert_eq!(var(&inventory, "h1", &play, "w"), "inv_all");
    assert_eq!(var(&inventory, "h1", &play, "y"), "inv_child");
    assert_eq!(var(&inventory, "h1", &play, "x"), "inv_host");
    assert_eq!(var(&inventory, "h1", &play, "z"), "play_host");
    assert_eq!(inventory.group_names("h1"), ["child", "parent"]);
}

#[test]
fn yaml_inventories_with_children() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "hosts.yml",
        "all:\n  vars:\n    a: 1\n  children:\n    web:\n      hosts:\n        web[1:2]:\n          p: 80\n    db:\n      hosts: db1\n",
    );
    let inventory = Inventory::load(&[inv.display().to_string()], dir.path()).unwrap();
    assert_eq!(inventory.select("all").unwrap(), ["web1", "web2", "db1"]);
    assert_eq!(inventory.select("web:&web2").unwrap(), ["web2"]);
    assert_eq!(inventory.select("all:!db").unwrap(), ["web1", "web2"]);
    assert_eq!(inventory.select("web[-1]").unwrap(), ["web2"]);
    assert_eq!(inventory.select("~w.*1,db*").unwrap(), ["web1", "db1"]);
    assert_eq!(var(&inventory, "web1", dir.path(), "p"), 80);
    assert_eq!(var(&inventory, "db1", dir.path(), "a"), 1);
}

#[test]
fn an_unknown_pattern_warns_and_selects_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let inventory = Inventory::load(&["a,b".into()], dir.path()).unwrap();
    assert!(inventory.select("nosuch").unwrap().is_empty());
    assert_eq!(
        inventory.take_warnings(),
        ["Could not match supplied host pattern, ignoring: nosuch"]
    );
}

#[test]
fn limit_narrows_and_reads_files() {
    let dir = tempfile::tempdir().unwrap();
    let file = write(dir.path(), "retry", "b\nc\n");
    let inventory = Inventory::load(&["a,b,c".into()], dir.path()).unwrap();
    let all = inventory.select("all").unwrap();
    assert_eq!(
        inventory.limit(all.clone(), Some("a:c")).unwrap(),
        ["a", "c"]
    );
    let at = format!("@{}", file.display());
    assert_eq!(inventory.limit(all, Some(&at)).unwrap(), ["b", "c"]);
    assert!(inventory.check_limit(Some("zzz")).is_err());
}

#[test]
fn errors_in_ini_files_are_located() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(dir.path(), "hosts", "[web]\nw1 novalue\n");
    let err = Inventory::load(&[inv.display().to_string()], dir.path()).unwrap_err();
    let text = err.to_string();
    assert!(text.contains("hosts:2:4"), "{text}");
    assert!(text.contains("Expected key=value"), "{text}");
}

#[test]
fn a_missing_source_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let err = Inventory::load(&["/no/such/inventory".into()], dir.path()).unwrap_err();
    assert!(err.to_string().contains("/no/such/inventory"));
}

#[test]
fn an_inventory_is_shared_by_threads() {
    fn shared<T: Send + Sync>() {}
    shared::<Inventory>();
}

#[test]
fn group_priority_orders_groups_of_one_depth() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "hosts",
        "[a]\nh\n[b]\nh\n[a:vars]\nv=a\nansible_group_priority=5\n[b:vars]\nv=b\n",
    );
    let inventory = Inventory::load(&[inv.display().to_string()], dir.path()).unwrap();
    assert_eq!(var(&inventory, "h", dir.path(), "v"), "a");
    assert_eq!(inventory.group_names("h"), ["a", "b"]);
}

#[test]
fn vars_of_an_undeclared_group_are_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(dir.path(), "hosts", "[web:vars]\nx=1\n");
    let err = Inventory::load(&[inv.display().to_string()], dir.path()).unwrap_err();
    assert!(err.to_string().contains("hosts:1:1"), "{err}");
    assert!(err.to_string().contains("undefined group 'web'"), "{err}");
}

#[test]
fn yaml_keys_ansible_skips_are_warnings() {
    let dir = tempfile::tempdir().unwrap();
    let inv = write(
        dir.path(),
        "hosts.yml",
        "all:\n  hosts:\n    a:\n  extra: {x: 1}\n  note: 3\nbad: 1\n",
    );
    let inventory = Inventory::load(&[inv.display().to_string()], dir.path()).unwrap();
    assert_eq!(
        inventory.take_warnings(),
        [
            "Skipping unexpected key (extra) in group (all), only \"vars\", \"children\" and \"hosts\" are valid",
            "Skipping key (note) in group (all) as it is not a mapping, it is a number",
            "Skipping 'bad' as this is not a valid group definition",
        ]
    );
    assert_eq!(inventory.hosts(), ["a"]);
}

#[test]
fn scripts_plugins_and_toml_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (name, text, says) in [
        ("inv.sh", "#!/bin/sh\necho {}\n", "inventory scripts"),
        (
            "aws.yml",
            "plugin: amazon.aws.aws_ec2\n",
            "inventory plugins",
        ),
        ("hosts.toml", "[web]\n", "TOML"),
    ] {
        let path = write(dir.path(), name, text);
        let err = Inventory::load(&[path.display().to_string()], dir.path()).unwrap_err();
        assert!(err.to_string().contains(says), "{name}: {err}");
    }
}

/// The `inventory_hostnames` lookup evaluates its patterns with this room's patterns,
/// over the `groups` variable only.
#[test]
fn inventory_hostnames_evaluates_patterns_over_groups() {
    crate::template::install_host_patterns(select_over_groups);
    let templates = crate::template::Templates::new();
    let groups = serde_json::json!({"groups": {
        "all": ["w1", "w2", "d1"],
        "ungrouped": [],
        "web": ["w1", "w2"],
        "db": ["d1", "w2"],
    }});
    let ctx = minijinja::Value::from_serialize(&groups);
    let hosts = |pattern: &str| {
        let source = format!("{{{{ query('inventory_hostnames', {pattern}) | join(',') }}}}");
        templates.render_str(&source, &ctx).unwrap()
    };
    assert_eq!(hosts("'web:!db'"), "w1");
    assert_eq!(hosts("'web:&db'"), "w2");
    // Both terms are one evaluation: the exclusion applies to web[0] too.
    assert_eq!(hosts("'all:!web', 'web[0]'"), "d1");
    // A regex matches group names too (db), as ansible-core's does.
    assert_eq!(hosts("'~d.'"), "d1,w2");
    assert_eq!(hosts("'nowhere'"), "");
}
