//! Reading the target's own /etc/passwd and /etc/group. Owners are looked up in the
//! root being configured, never through the running system's NSS: a container's
//! `http` user need not have the host's uid.

/// The id of `name` in a passwd or group database (both keep it in the third field).
pub fn id_of(database: &str, name: &str) -> Option<u32> {
    entries(database)
        .find(|(entry, _)| *entry == name)
        .map(|(_, id)| id)
}

/// The first name with id `id` in a passwd or group database.
pub fn name_of(database: &str, id: u32) -> Option<String> {
    entries(database)
        .find(|(_, entry)| *entry == id)
        .map(|(name, _)| name.to_string())
}

fn entries(database: &str) -> impl Iterator<Item = (&str, u32)> {
    database.lines().filter_map(|line| {
        if line.starts_with('#') {
            return None;
        }
        let mut fields = line.split(':');
        let name = fields.next().filter(|name| !name.is_empty())?;
        let id = fields.nth(1)?.trim().parse().ok()?;
        Some((name, id))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWD: &str = "root:x:0:0::/root:/bin/bash\n# comment\nbroken\nhttp:x:33:33::/srv/http:/usr/bin/nologin\nalias:x:33:33::/:/bin/sh\n";
    const GROUP: &str = "root:x:0:root\nwheel:x:998:alice,bob\n";

    #[test]
    fn finds_ids_by_name() {
        assert_eq!(id_of(PASSWD, "http"), Some(33));
        assert_eq!(id_of(PASSWD, "nobody"), None);
        assert_eq!(id_of(GROUP, "wheel"), Some(998));
    }

    #[test]
    fn finds_the_first_name_of_an_id() {
        assert_eq!(name_of(PASSWD, 33).as_deref(), Some("http"));
        assert_eq!(name_of(GROUP, 0).as_deref(), Some("root"));
        assert_eq!(name_of(GROUP, 5), None);
    }
}
