//! Who an agent is: the version and the sha256 of the executable running it. The
//! controller names its own in the hello; the agent, the same executable copied or
//! handed over, refuses to serve when either differs. The ssh connection names the
//! cached copy on a target by this hash (runner/connection/ssh.rs).

use machinist_modules::source::hex;
use sha2::{Digest, Sha256};
use std::io::{self, Read};
use std::sync::OnceLock;

/// The version both ends must share (`machinist --version`, with its commit).
pub const VERSION: &str = crate::cli::VERSION;

/// The sha256 of this process's executable, hex; read once.
pub fn own_hash() -> io::Result<&'static str> {
    static HASH: OnceLock<String> = OnceLock::new();
    if let Some(hash) = HASH.get() {
        return Ok(hash);
    }
    let hash = file_sha256(&mut std::fs::File::open("/proc/self/exe")?)?;
    Ok(HASH.get_or_init(|| hash))
}

/// The executable a connection starts as the agent: this one (`/proc/self/exe`), or
/// another build of the same version (the tests' machinist binary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgentExe {
    pub path: std::path::PathBuf,
    /// Its sha256, hex, read the first time a connection needs it: `machine` hands
    /// the open executable over and never does; ssh names its cached copy by it.
    sha256: OnceLock<String>,
}

impl AgentExe {
    /// This process's executable.
    pub fn own() -> AgentExe {
        AgentExe {
            path: "/proc/self/exe".into(),
            sha256: OnceLock::new(),
        }
    }

    /// The machinist executable at `path`, hashed now.
    pub fn at(path: &std::path::Path) -> io::Result<AgentExe> {
        let hash = file_sha256(&mut std::fs::File::open(path)?)?;
        Ok(AgentExe {
            path: path.to_path_buf(),
            sha256: OnceLock::from(hash),
        })
    }

    /// Its sha256, hex (read once).
    pub fn sha256(&self) -> io::Result<&str> {
        if let Some(hash) = self.sha256.get() {
            return Ok(hash);
        }
        let hash = match self.path.as_path() == std::path::Path::new("/proc/self/exe") {
            true => own_hash()?.to_string(),
            false => file_sha256(&mut std::fs::File::open(&self.path)?)?,
        };
        Ok(self.sha256.get_or_init(|| hash))
    }
}

/// The sha256 of what `reader` gives, hex, read in pieces.
pub fn file_sha256(reader: &mut impl Read) -> io::Result<String> {
    let mut digest = Sha256::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => digest.update(&buf[..n]),
            Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
            Err(err) => return Err(err),
        }
    }
    Ok(hex(&digest.finalize().into()))
}
