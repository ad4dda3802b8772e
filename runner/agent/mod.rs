//! The agent: the machinist executable itself, started on a target by a connection
//! (runner/connection/), running modules there for a controller that loads, renders
//! and reports. The protocol is framed JSON on the agent's stdin and stdout
//! (frame.rs, message.rs); controller files travel streamed (file_transfer.rs),
//! announced by hash and sent only when the agent has not kept them (kept.rs);
//! plugins run from its cache (plugin_cache.rs); the loop is serve.rs; identity.rs says which executable both ends must be;
//! via_su.rs is the launcher that starts an agent as another user through su.

pub mod file_transfer;
pub mod frame;
pub mod identity;
pub mod kept;
pub mod message;
pub mod plugin_cache;
pub mod serve;
pub mod via_su;
