//! Transports move JSON-RPC messages between a client and a server [`Session`](crate::server).
//!
//! - [`stdio`]: newline-delimited JSON on stdin/stdout (logs go to stderr).
//! - [`memory`]: an in-process [`Client`](memory::Client) for tests.

pub mod memory;
pub mod stdio;

/// Where a session writes the messages meant for one client stream. Bounded, so a client that
/// stops reading slows its own handlers down instead of growing memory.
pub type Outbound = tokio::sync::mpsc::Sender<crate::protocol::Message>;

/// Capacity of one outbound stream.
pub(crate) const OUTBOUND_CAPACITY: usize = 256;
