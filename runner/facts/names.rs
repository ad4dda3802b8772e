//! The system's names as ansible-core's platform collector computes them:
//! `nodename` is uname's (Python's `platform.node()`), `hostname` its first label,
//! `fqdn` what Python's `socket.getfqdn()` answers (the node name resolved to an
//! address, that address resolved back through the C library's resolver —
//! /etc/hosts first, as nsswitch.conf says — and the first of the name and its
//! aliases with a dot, else the name), and `domain` what follows the fqdn's first
//! dot. So on a Debian whose /etc/hosts says `127.0.0.1 localhost` then
//! `127.0.0.1 vm`, the fqdn is `localhost`, as Ansible says. An offline root runs no
//! resolver and has no node name of its own: its names come from its /etc/hostname.

use machinist_modules::Host;
use std::ffi::{CStr, CString};
use std::path::Path;

pub struct Names {
    pub nodename: String,
    pub hostname: String,
    pub fqdn: String,
    pub domain: String,
}

/// The names of the target.
pub fn of(host: &Host) -> Names {
    let (nodename, fqdn) = if host.root() == Path::new("/") {
        let nodename = rustix::system::uname()
            .nodename()
            .to_string_lossy()
            .into_owned();
        let fqdn = getfqdn(&nodename);
        (nodename, fqdn)
    } else {
        let named = super::read_text(host, "/etc/hostname")
            .map(|name| name.trim().to_string())
            .filter(|name| !name.is_empty())
            .unwrap_or_else(|| "localhost".into());
        (named.clone(), named)
    };
    Names {
        hostname: nodename.split('.').next().unwrap_or_default().to_string(),
        domain: fqdn
            .split_once('.')
            .map(|(_, d)| d)
            .unwrap_or_default()
            .to_string(),
        nodename,
        fqdn,
    }
}

/// Python's `socket.getfqdn(name)`.
fn getfqdn(name: &str) -> String {
    match address_of(name).and_then(|address| names_of(&address)) {
        Some((canonical, aliases)) => first_dotted(canonical, aliases),
        None => name.to_string(),
    }
}

/// The first of a resolved name and its aliases that has a dot, else the name.
fn first_dotted(canonical: String, aliases: Vec<String>) -> String {
    aliases
        .into_iter()
        .find(|alias| alias.contains('.') && !canonical.contains('.'))
        .unwrap_or(canonical)
}

/// The first address getaddrinfo(3) gives for `name`, as raw bytes and family.
fn address_of(name: &str) -> Option<(Vec<u8>, i32)> {
    let name = CString::new(name).ok()?;
    let mut found: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: zeroed hints are "any family, any socket type"; getaddrinfo fills
    // `found` with a list the C library owns until freeaddrinfo, and only its first
    // node's address is read, as the type its family says, before that.
    unsafe {
        let hints: libc::addrinfo = std::mem::zeroed();
        if libc::getaddrinfo(name.as_ptr(), std::ptr::null(), &hints, &mut found) != 0 {
            return None;
        }
        let first = found.as_ref().and_then(|node| {
            let address = node.ai_addr.as_ref()?;
            match i32::from(address.sa_family) {
                libc::AF_INET => {
                    let v4 = &*(node.ai_addr as *const libc::sockaddr_in);
                    Some((v4.sin_addr.s_addr.to_ne_bytes().to_vec(), libc::AF_INET))
                }
                libc::AF_INET6 => {
                    let v6 = &*(node.ai_addr as *const libc::sockaddr_in6);
                    Some((v6.sin6_addr.s6_addr.to_vec(), libc::AF_INET6))
                }
                _ => None,
            }
        });
        libc::freeaddrinfo(found);
        first
    }
}

extern "C" {
    // glibc's and musl's reentrant reverse lookup (not in the libc crate).
    fn gethostbyaddr_r(
        addr: *const libc::c_void,
        len: libc::socklen_t,
        family: libc::c_int,
        entry: *mut libc::hostent,
        buffer: *mut libc::c_char,
        buffer_len: libc::size_t,
        result: *mut *mut libc::hostent,
        h_errno: *mut libc::c_int,
    ) -> libc::c_int;
}

/// The name and aliases gethostbyaddr(3) gives for an address.
fn names_of((address, family): &(Vec<u8>, i32)) -> Option<(String, Vec<String>)> {
    let mut buffer: Vec<libc::c_char> = vec![0; 4096];
    loop {
        // SAFETY: the entry and every string it points to live in `buffer`, which
        // outlives the reads below; a too small buffer is ERANGE and is retried
        // larger.
        unsafe {
            let mut entry: libc::hostent = std::mem::zeroed();
            let mut result: *mut libc::hostent = std::ptr::null_mut();
            let mut h_errno = 0;
            let status = gethostbyaddr_r(
                address.as_ptr().cast(),
                libc::socklen_t::try_from(address.len()).ok()?,
                *family,
                &mut entry,
                buffer.as_mut_ptr(),
                buffer.len(),
                &mut result,
                &mut h_errno,
            );
            if status == libc::ERANGE && buffer.len() < 1 << 20 {
                buffer.resize(buffer.len() * 2, 0);
                continue;
            }
            let found = result.as_ref()?;
            if status != 0 || found.h_name.is_null() {
                return None;
            }
            let name = CStr::from_ptr(found.h_name).to_string_lossy().into_owned();
            let mut aliases = Vec::new();
            let mut alias = found.h_aliases;
            while !alias.is_null() && !(*alias).is_null() {
                aliases.push(CStr::from_ptr(*alias).to_string_lossy().into_owned());
                alias = alias.add(1);
            }
            return Some((name, aliases));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn localhost_resolves_back_to_a_name() {
        assert!(!getfqdn("localhost").is_empty());
    }

    #[test]
    fn the_first_name_with_a_dot_is_the_fqdn() {
        let names = |list: &[&str]| list.iter().map(|n| n.to_string()).collect::<Vec<_>>();
        assert_eq!(first_dotted("localhost".into(), vec![]), "localhost");
        assert_eq!(
            first_dotted("vm".into(), names(&["vm.example.org", "x.y"])),
            "vm.example.org"
        );
        assert_eq!(
            first_dotted("a.example".into(), names(&["b.example"])),
            "a.example"
        );
    }
}
