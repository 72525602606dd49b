//! What a worker needs from the application it serves: a way to run a function by name. The
//! docket is a job queue and knows nothing else of what it runs; the server implements this
//! trait with its components (`crate::server`), a test with a stub.

use super::Docket;
use crate::sync::BoxFuture;
use serde_json::{Map, Value};
use tokio_util::sync::CancellationToken;

/// Runs the functions a worker claims.
pub trait Executor: Send + Sync + 'static {
    /// Whether `function` can run here. On `memory://` (where this process is the only worker)
    /// adding a run of an unknown function is refused up front.
    fn knows(&self, function: &str) -> bool;

    /// Runs one claimed run to its end; `None` when it cannot run here now (its application is
    /// shutting down), and the run is handed back. The worker bounds the future (timeout,
    /// deadline) and drops it when `run.cancel` fires.
    fn execute(&self, run: RunContext) -> Option<BoxFuture<Execution>>;

    /// The result stored for a run that ended without producing one (timeout), given its error.
    fn failure_result(&self, function: &str, error: &str) -> Value;
}

/// One run, as the worker hands it to the [`Executor`].
pub struct RunContext {
    /// The docket the run belongs to (progress, nested adds).
    pub docket: Docket,
    /// The run's key.
    pub key: String,
    /// The run's generation: progress is stored against it.
    pub generation: u64,
    /// The function to run.
    pub function: String,
    /// Its arguments.
    pub args: Map<String, Value>,
    /// 1 for the first attempt.
    pub attempt: u32,
    /// The run has a record under its key (an MCP task, for the server's executor).
    pub linked_record: bool,
    /// Cancelled when the run is cancelled or abandoned.
    pub cancel: CancellationToken,
}

/// How a run went.
#[derive(Debug, Clone, PartialEq)]
pub struct Execution {
    /// The result as JSON.
    pub result: Value,
    /// Set when the run failed (retries apply).
    pub error: Option<String>,
}
