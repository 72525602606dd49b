//! # fastmcp
//!
//! The fastest, most complete way to build [MCP](https://modelcontextprotocol.io) servers in Rust.
//!
//! ```no_run
//! use fastmcp::prelude::*;
//!
//! /// Adds two numbers.
//! #[tool]
//! fn add(
//!     /// The first number.
//!     a: i64,
//!     /// The second number.
//!     b: i64,
//! ) -> i64 {
//!     a + b
//! }
//!
//! #[tokio::main]
//! async fn main() -> Result<(), fastmcp::ServerError> {
//!     fastmcp::logging::init();
//!     FastMcp::new("calculator").run_stdio().await
//! }
//! ```
//!
//! Modules, one per concern: [`protocol`] (JSON-RPC and MCP types), [`registry`] (components and
//! the compile-time registry), [`server`] (builder, lifespan, sessions, dispatch), [`transport`]
//! (stdio, in-memory, and Streamable HTTP with the `http` feature), [`docket`] (the always-on
//! task worker; `redis://` with the `redis` feature) and [`extract`] (extractors).
//!
//! Cargo features (all on by default): `http`, `jwt` (JWT bearer auth, implies `http`), `redis`
//! and `tls` (`rediss://`). Without them the crate is stdio + in-memory + `memory://`.

#[cfg(feature = "jwt")]
pub mod auth;
pub mod docket;
pub mod extract;
pub mod logging;
pub mod modern;
pub mod protocol;
pub mod registry;
pub mod server;
mod sync;
pub mod tasks;
pub mod transport;
pub mod uri_template;

#[doc(hidden)]
#[path = "macro_support.rs"]
pub mod __private;

pub use extract::{ClientRequestError, Context, CurrentDocket, CurrentWorker, ExtractError, FromCall, Progress, State};
pub use fastmcp_macros::{prompt, resource, tool};
pub use protocol::{
    CallToolResult, Content, ErrorObject, GetPromptResult, LoggingLevel, PromptMessage, ReadResourceResult,
    ResourceContents, Role,
};
pub use registry::{TaskSupport, Tool};
pub use server::{FastMcp, Lifespan, Server, ServerError};
pub use transport::memory::{Client, ClientError};

/// Everything a server author usually needs.
pub mod prelude {
    pub use crate::docket::{AddOptions, Docket, DocketConfig, Retry, RunState, Strike};
    pub use crate::{
        CallToolResult, Client, Content, Context, CurrentDocket, CurrentWorker, FastMcp, GetPromptResult, Lifespan,
        Progress, PromptMessage, ResourceContents, Server, State, prompt, resource, tool,
    };
}
