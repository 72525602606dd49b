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
//! ## Layers
//!
//! Each layer uses only the layers below it (`fastmcp/tests/layers.rs` checks every `crate::`
//! path, so it stays true):
//!
//! | layer | modules | what |
//! |---|---|---|
//! | foundations | `sync`, `signal`, [`logging`], [`protocol`], [`bounded_json`], [`uri_template`], `outbound`, `auth` (feature `jwt`) | JSON-RPC and MCP types, request helpers, results as JSON of bounded depth, the outbound channel, URI templates, JWT verification |
//! | job queue | [`docket`] | runs, retries, timeouts, strikes, schedules, result TTL, fairness; executes through the [`docket::Executor`] trait and knows nothing of MCP |
//! | components | [`extract`], [`registry`] | `Context` (which talks to its peer and its server through two traits), extractors, tools, prompts, resources |
//! | MCP tasks | [`tasks`] | task records on the docket, status, input relay; the requester is a trait |
//! | server | [`server`] (with [`server::rev2026`]) | builder, lifecycle, sessions; one typed parse of each request and one dispatch for both revisions (the revision shapes envelope and results); the component executor |
//! | transports | [`transport`] | stdio, in-memory, and Streamable HTTP (feature `http`, one POST path for every revision and mode); the client over each |
//! | proxies | [`proxy`] | another MCP server's components served as this server's own, through the client and the server's component sources |
//!
//! Cargo features (all on by default): `http`, `jwt` (JWT bearer auth, implies `http`), `redis`,
//! `tls` (`rediss://`) and `validation` (tool arguments checked against their schema). Without
//! them the crate is stdio + in-memory + `memory://`.
//!
//! Unit-test components outside a server with [`testing`]; print a server's reference with
//! [`Server::manifest`] / [`Server::to_markdown`] or `FASTMCP_MANIFEST=markdown`.

#![warn(missing_docs)]
// The README, as the guide on docs.rs (its snippets are excerpts, so they are not doctests).
#![cfg_attr(not(doctest), doc = "\n---\n")]
#![cfg_attr(not(doctest), doc = include_str!("../../README.md"))]

#[cfg(feature = "jwt")]
pub mod auth;
pub mod bounded_json;
pub mod docket;
pub mod extract;
pub mod logging;
pub mod protocol;
pub mod proxy;
pub mod registry;
pub mod server;
/// Revision 2026-07-28 (stateless): its envelope, errors and result shaping.
pub use extract::testing;
pub use server::rev2026;
mod outbound;
mod signal;
mod sync;
pub mod tasks;
pub mod transport;
pub mod uri_template;

#[doc(hidden)]
#[path = "macro_support/mod.rs"]
pub mod __private;

pub use extract::{
    Args, ClientRequestError, Context, CurrentDocket, CurrentWorker, ExtractError, FromCall, GivenArguments, Progress,
    State,
};
pub use fastmcp_macros::{prompt, resource, tool};
pub use protocol::{
    CallToolResult, Content, ErrorObject, GetPromptResult, LoggingLevel, PromptMessage, ReadResourceResult,
    ResourceContents, Role,
};
pub use registry::{TaskSupport, Tool};
/// The schemars (1.x) fastmcp generates schemas with: derive `fastmcp::schemars::JsonSchema` to
/// be sure the versions match.
pub use schemars;
pub use server::{FastMcp, Lifespan, Server, ServerError};
pub use transport::client::{Client, ClientBuilder, ClientError, LogMessage, ProgressUpdate};
pub use transport::client_tasks::{TaskHandle, TaskStatus};

/// Everything a server author usually needs, and what the README's snippets use:
/// `use fastmcp::prelude::*;`.
pub mod prelude {
    #[cfg(feature = "jwt")]
    pub use crate::auth::JwtVerifier;
    pub use crate::docket::{AddOptions, Docket, DocketConfig, Retry, RunState, Strike};
    pub use crate::tasks::TaskSettings;
    #[cfg(feature = "http")]
    pub use crate::transport::http::HttpOptions;
    pub use crate::{
        Args, CallToolResult, Client, ClientRequestError, Content, Context, CurrentDocket, CurrentWorker, ErrorObject,
        FastMcp, GetPromptResult, Lifespan, Progress, PromptMessage, ResourceContents, Server, State, prompt, resource,
        tool,
    };
}
