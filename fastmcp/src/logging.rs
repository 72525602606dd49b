//! Log setup for servers. Logs always go to stderr: on the stdio transport stdout carries the
//! protocol and nothing else.

/// Installs a `tracing` subscriber writing to stderr, filtered by `FASTMCP_LOG` (then
/// `RUST_LOG`, default `warn`). Does nothing if a subscriber is already installed.
pub fn init() {
    let filter = std::env::var("FASTMCP_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| "warn".into());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .try_init();
}
