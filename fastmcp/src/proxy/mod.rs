//! Proxies and remote mounts: another MCP server's components served as this server's own.
//!
//! ```no_run
//! use fastmcp::{FastMcp, proxy::Remote};
//! # async fn run() -> Result<(), fastmcp::ServerError> {
//! // Everything `weather-server` offers, over this server's transports.
//! FastMcp::proxy("weather-proxy", Remote::stdio("weather-server", ["--stdio"])).run_stdio().await?;
//! // Or next to local tools, under a prefix: `weather_forecast`, `weather://weather/...`
//! // (`Remote::http(url)` reaches a Streamable HTTP server, with feature `http-client`).
//! FastMcp::new("assistant")
//!     .all_registered()
//!     .mount_remote("weather", Remote::stdio("weather-server", ["--stdio"]))
//!     .run_stdio()
//!     .await
//! # }
//! ```
//!
//! How it behaves:
//! - **One upstream connection per server start.** It opens when the server starts (a failure
//!   fails the start, like a lifespan) and closes at shutdown. When it is lost (the child
//!   process exited, the HTTP server is unreachable or forgot the session), calls answer at
//!   once that the upstream is unavailable (`isError` for tools, -32603 otherwise) while the
//!   proxy reconnects in the background (100 ms doubling to 5 s); once back, it lists again.
//! - **Lists.** Tools, prompts, resources and templates are listed from the upstream at
//!   connection and again whenever it sends `list_changed`; what changed reaches this server's
//!   clients as their own `list_changed`. A name this server already serves is left to it.
//!   The builders' tag filters apply (tags from `_meta.fastmcp.tags`).
//! - **Forwarded to the upstream:** calls, reads, prompt gets, and cancellation (a downstream
//!   `notifications/cancelled` drops the forwarded request, which cancels it upstream).
//! - **Forwarded to the downstream client:** progress (each forwarded call has its own
//!   progress token), log messages, `resources/updated`, and the upstream's own requests
//!   (`sampling/createMessage`, `elicitation/create`, `roots/list`). The upstream connection is
//!   shared, and MCP does not say which call a server request belongs to: it goes to the
//!   client of the oldest forwarded call in progress (exact when one call is in progress).
//! - **Not forwarded:** tasks (proxied components are `taskSupport: forbidden`; a
//!   task-augmented call gets the spec's -32601; a task a 2026-07-28 upstream answers with is
//!   followed by the proxy), completions, and resource subscriptions.

mod components;
mod upstream;

use crate::registry::BoxFuture;
use crate::server::FastMcp;
use crate::transport::client::{Client, ClientBuilder, ClientError};
use std::future::Future;
use std::sync::Arc;

type ConnectFn = Arc<dyn Fn(ClientBuilder) -> BoxFuture<Result<Client, ClientError>> + Send + Sync>;

/// How to reach an upstream server; the proxy connects with it at start and after each loss.
#[derive(Clone)]
pub struct Remote {
    label: String,
    connect: ConnectFn,
}

impl std::fmt::Debug for Remote {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote").field("label", &self.label).finish()
    }
}

impl Remote {
    /// A connection made by `connect`, which must use the builder it is given (it carries the
    /// proxy's capabilities and its handler of upstream requests): for example
    /// `|b| async move { b.bearer_token(&token).connect_http(&url).await }`.
    pub fn custom<F, Fut>(label: impl Into<String>, connect: F) -> Self
    where
        F: Fn(ClientBuilder) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Client, ClientError>> + Send + 'static,
    {
        Remote { label: label.into(), connect: Arc::new(move |b| Box::pin(connect(b))) }
    }

    /// A child process speaking stdio, spawned again after it exits. `command` builds it
    /// (program, arguments, environment, working directory).
    pub fn command(
        label: impl Into<String>,
        command: impl Fn() -> tokio::process::Command + Send + Sync + 'static,
    ) -> Self {
        let command = Arc::new(command);
        Remote::custom(label, move |b| {
            let command = command.clone();
            async move { b.spawn(command()).await }
        })
    }

    /// `program args...` as a child process speaking stdio.
    pub fn stdio<I, S>(program: impl Into<String>, args: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let program: String = program.into();
        let args: Vec<String> = args.into_iter().map(Into::into).collect();
        let label = program.clone();
        Remote::command(label, move || {
            let mut c = tokio::process::Command::new(&program);
            c.args(&args);
            c
        })
    }

    /// A Streamable HTTP endpoint (`http://host:port/mcp`).
    #[cfg(feature = "http-client")]
    pub fn http(url: impl Into<String>) -> Self {
        let url: String = url.into();
        Remote::custom(url.clone(), move |b| {
            let url = url.clone();
            async move { b.connect_http(&url).await }
        })
    }

    /// A server in this process, reached in memory (tests, composition).
    pub fn in_memory(server: crate::Server) -> Self {
        Remote::custom(server.name().to_owned(), move |b| {
            let server = server.clone();
            async move { b.connect(&server).await }
        })
    }

    /// The name used in logs and errors (the program or URL).
    pub fn label(&self) -> &str {
        &self.label
    }
}

impl FastMcp {
    /// A server that serves `remote`'s components as its own (and, unlike a plain builder,
    /// none of this binary's registered components unless asked with `.all_registered()` or
    /// named with `.tool(f)`...). See [`crate::proxy`] for what is forwarded.
    pub fn proxy(name: impl Into<String>, remote: Remote) -> FastMcp {
        FastMcp::new(name).source(Arc::new(upstream::Upstream::new(remote)))
    }

    /// Serves `remote`'s components next to this server's own, under `prefix` (names
    /// `{prefix}_{name}`, URIs `scheme://{prefix}/{rest}`, as [`FastMcp::mount`] does).
    pub fn mount_remote(self, prefix: impl Into<String>, remote: Remote) -> FastMcp {
        let name = format!("{}-proxy", remote.label);
        self.mount(prefix, FastMcp::proxy(name, remote))
    }
}
