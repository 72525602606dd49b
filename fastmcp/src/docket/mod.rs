//! The always-on task worker ("docket"). Every server starts a docket and a worker in its
//! lifespan; every registered component can run on it by name.
//!
//! Backends, chosen by URL (`FASTMCP_DOCKET_URL`, default `memory://`):
//! - `memory://` — embedded and event-driven: the worker sleeps on a notification or on the next
//!   due time, so an idle server uses no CPU.
//! - `redis://` / `rediss://` — Redis Streams with a consumer group for due runs, a sorted set
//!   for scheduled ones and one string record per run; each state change is one Lua script
//!   that also publishes the events followers act on. Several processes share the work.
//!
//! Both give the same semantics: idempotent adds by key while scheduled or running, replace and
//! cancel by key, delays, retries (fixed or exponential), timeouts, perpetual runs, strikes,
//! at-least-once delivery with claim renewal and redelivery, results and progress kept for a TTL.
//!
//! Files by concern: `types.rs` (errors, states, policies, run info), `config.rs` (settings),
//! `strike.rs`, `backend.rs` (the backend trait and change notification), `handle.rs` (the
//! [`Docket`] handle), `worker.rs` (the [`Worker`] loop), `executor.rs` (how a claimed run
//! reaches the server), and the backends `memory.rs` and `redis/`.

mod backend;
mod config;
mod executor;
mod handle;
mod memory;
#[cfg(feature = "redis")]
mod redis;
mod strike;
mod types;
mod worker;

pub use backend::WATCH_FALLBACK;
pub(crate) use backend::{Backend, Claimed, Outcome, Schedule, TaskFields, TaskRecord, Watchers};
pub use config::{DOCKET_URL_ENV, DocketConfig, redact_url};
pub use executor::{Execution, Executor, RunContext};
pub use handle::Docket;
pub(crate) use handle::now_ms;
pub use strike::Strike;
pub(crate) use strike::StrikeList;
pub use types::{AddOptions, Added, DocketError, Policy, Retry, RunInfo, RunProgress, RunState};
pub use worker::Worker;

#[doc(hidden)]
#[cfg(feature = "redis")]
pub use redis::fuzz_decode as __fuzz_redis_decode;

#[cfg(test)]
mod tests;
