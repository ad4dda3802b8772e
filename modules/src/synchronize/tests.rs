use super::line::Command;
use super::*;

fn args(extra: serde_json::Value) -> Args {
    let mut value = serde_json::json!({"src": "/srv/a/", "dest": "/srv/b"});
    if let (Some(map), serde_json::Value::Object(more)) = (value.as_object_mut(), extra) {
        map.extend(more);
    }
    serde_json::from_value(value).expect("args")
}

#[test]
fn the_command_line_is_ansibles() {
    let command = Command::of(&args(serde_json::json!({
        "delete": true,
        "perms": false,
        "rsync_opts": ["--exclude='*.tmp'", "--no-motd"],
    })))
    .expect("command");
    let shown = command.shown(false);
    assert!(
        shown.ends_with(
            "rsync --delay-updates -F --compress --delete-after --archive --no-perms \
         --exclude='*.tmp' --no-motd --out-format='<<CHANGED>>%i %n%L' /srv/a/ /srv/b"
        ),
        "{shown}"
    );
    let dry = command.spec(true).argv;
    assert_eq!(dry[4], "--dry-run", "{dry:?}");
    assert!(dry.contains(&"--exclude=*.tmp".to_string()), "{dry:?}");
    assert!(dry.contains(&"--out-format=<<CHANGED>>%i %n%L".to_string()));
}

#[test]
fn itemized_output_tells_changes_as_ansible_does() {
    let out = "<<CHANGED>>cd+++++++++ b/\n<<CHANGED>>>f+++++++++ b/x\n";
    let seen = Itemized::of(out, false);
    assert!(seen.changed);
    assert_eq!(seen.lines, ["cd+++++++++ b/", ">f+++++++++ b/x"]);
    assert!(!Itemized::of("", false).changed);
    assert!(!Itemized::of("<<CHANGED>>.f          x\n", true).changed);
}

#[test]
fn remote_only_options_and_relative_paths_are_refused() {
    for extra in [
        serde_json::json!({"dest_port": 22}),
        serde_json::json!({"private_key": "/k"}),
        serde_json::json!({"use_ssh_args": true}),
        serde_json::json!({"set_remote_user": false}),
    ] {
        assert!(refuse_remote_only(&args(extra.clone())).is_err(), "{extra}");
    }
    assert!(Command::of(&args(serde_json::json!({"dest": "b"}))).is_err());
    assert!(Command::of(&args(serde_json::json!({"rsync_opts": ["-e ssh"]}))).is_err());
}
