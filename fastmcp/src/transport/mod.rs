//! Transports move JSON-RPC messages between a client and a server session.
//!
//! - [`stdio`]: newline-delimited JSON on stdin/stdout (logs go to stderr).
//! - [`http`]: Streamable HTTP (POST/GET/DELETE on one endpoint, JSON or SSE answers).
//! - [`memory`]: an in-process connection from a [`Client`](client::Client) to a server object.
//! - [`client`]: the client, over memory, a child process's stdio (`child`) or Streamable HTTP;
//!   [`client_tasks`]: its MCP tasks.

mod child;
pub mod client;
pub mod client_rev2026;
pub mod client_tasks;
#[cfg(feature = "http")]
pub mod http;
#[cfg(feature = "http-client")]
mod http_client;
#[cfg(feature = "http")]
mod http_conn;
pub mod memory;
pub mod stdio;

#[cfg(feature = "http")]
pub(crate) use crate::outbound::ReusableChannel;
pub use crate::outbound::{Outbound, Outgoing};
