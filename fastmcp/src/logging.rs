//! Log setup for servers. Logs always go to stderr: on the stdio transport stdout carries the
//! protocol and nothing else.

use tracing_subscriber::filter::LevelFilter;

/// Installs a `tracing` subscriber writing to stderr, filtered by `FASTMCP_LOG` (then
/// `RUST_LOG`, default `warn`). Does nothing if a subscriber is already installed.
///
/// The filter takes `EnvFilter` directives (`fastmcp=debug,warn`); a bare level (`info`)
/// is applied as a plain level filter, which is cheaper to set up and to check.
pub fn init() {
    let filter = std::env::var("FASTMCP_LOG").or_else(|_| std::env::var("RUST_LOG")).unwrap_or_else(|_| "warn".into());
    let builder = tracing_subscriber::fmt().with_writer(std::io::stderr).with_ansi(false);
    let _ = match filter.trim().parse::<LevelFilter>() {
        Ok(level) => builder.with_max_level(level).try_init(),
        Err(_) => builder.with_env_filter(tracing_subscriber::EnvFilter::new(filter)).try_init(),
    };
}
