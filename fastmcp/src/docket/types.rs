//! The docket's vocabulary: its errors, where a run is in its life, how it executes
//! (retries, timeout, repetition, fairness group) and what is known about it.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::time::Duration;

/// Errors of the docket API.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocketError {
    #[error("no component named `{0}` is registered with the worker")]
    /// No component by that name here.
    UnknownFunction(String),
    #[error("no run with key `{0}`")]
    /// No run with that key.
    UnknownKey(String),
    #[error("arguments must be a JSON object")]
    /// The arguments are not a JSON object.
    BadArguments,
    #[error("`{0}` is struck: runs of it are not accepted")]
    /// The function is struck.
    Struck(String),
    /// The URL (its password redacted) and why it was refused.
    #[error("invalid docket URL {0:?}: {1}")]
    BadUrl(String, String),
    #[error(
        "{0} needs a docket shared by several processes, but FASTMCP_DOCKET_URL is memory:// (in-process); use redis://"
    )]
    /// The feature needs a shared (Redis) docket.
    NotDistributed(&'static str),
    #[error("docket backend error: {0}")]
    /// The backend (Redis) failed.
    Backend(String),
    #[error("the docket has shut down")]
    /// It has shut down.
    Stopped,
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Waiting for its time.
    Scheduled,
    /// Due, waiting for a worker.
    Queued,
    /// A worker runs it.
    Running,
    /// It succeeded.
    Completed,
    /// It failed (after its retries).
    Failed,
    /// It was cancelled.
    Cancelled,
}

impl RunState {
    /// Completed, failed or cancelled.
    pub fn is_terminal(self) -> bool {
        matches!(self, RunState::Completed | RunState::Failed | RunState::Cancelled)
    }
    /// The lowercase name.
    pub fn as_str(self) -> &'static str {
        match self {
            RunState::Scheduled => "scheduled",
            RunState::Queued => "queued",
            RunState::Running => "running",
            RunState::Completed => "completed",
            RunState::Failed => "failed",
            RunState::Cancelled => "cancelled",
        }
    }
    /// From the lowercase name.
    pub fn parse(s: &str) -> Option<RunState> {
        Some(match s {
            "scheduled" => RunState::Scheduled,
            "queued" => RunState::Queued,
            "running" => RunState::Running,
            "completed" => RunState::Completed,
            "failed" => RunState::Failed,
            "cancelled" => RunState::Cancelled,
            _ => return None,
        })
    }
}

/// How a failed run is retried.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Retry {
    /// Total attempts, the first included.
    pub attempts: u32,
    /// Delay before the second attempt.
    pub delay_ms: u64,
    /// Double the delay after each attempt.
    pub exponential: bool,
}

impl Retry {
    /// `attempts` in all, `delay` apart.
    pub fn fixed(attempts: u32, delay: Duration) -> Self {
        Retry { attempts, delay_ms: delay.as_millis() as u64, exponential: false }
    }
    /// `attempts` in all, the delay doubling from `first_delay`.
    pub fn exponential(attempts: u32, first_delay: Duration) -> Self {
        Retry { attempts, delay_ms: first_delay.as_millis() as u64, exponential: true }
    }
    pub(super) fn delay_after(&self, attempt: u32) -> u64 {
        if self.exponential {
            self.delay_ms.saturating_mul(1u64 << (attempt.saturating_sub(1)).min(20))
        } else {
            self.delay_ms
        }
    }
}

/// How a run executes: retries, timeout, repetition. Stored with the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Policy {
    #[serde(skip_serializing_if = "Option::is_none")]
    /// How a failed run is retried.
    pub retry: Option<Retry>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// A run taking longer fails (milliseconds).
    pub timeout_ms: Option<u64>,
    /// Perpetual: run again this long after each run ends (until cancelled).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub every_ms: Option<u64>,
    /// The run executes an MCP task (its key is the task id; see `crate::tasks`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub task: bool,
    /// How long the outcome is kept once the run ends, when not the docket's `result_ttl` (a
    /// task's result is useless after its record expires).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result_ttl_ms: Option<u64>,
    /// When the run is useless (ms since the epoch): one not started by then is cancelled
    /// without running, one still running then is cancelled (an MCP task's expiry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline_ms: Option<u64>,
    /// Fairness group (an MCP task's requester): one worker runs at most
    /// [`DocketConfig::group_share`](crate::docket::DocketConfig::group_share) runs of one group at once, so one group's long runs cannot
    /// take every slot; runs over the share wait their turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Options of [`Docket::add_with`](crate::docket::Docket::add_with).
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// Runs are idempotent by key while scheduled, queued or running.
    pub key: Option<String>,
    /// Delay before the run becomes due.
    pub delay: Option<Duration>,
    /// Replace a scheduled or queued run with the same key (a running one finishes).
    pub replace: bool,
    /// How a failed run is retried.
    pub retry: Option<Retry>,
    /// A run taking longer fails.
    pub timeout: Option<Duration>,
    /// Perpetual: run again this long after each run ends.
    pub every: Option<Duration>,
    /// Keep this run's outcome this long after it ends (default: the docket's `result_ttl`).
    pub result_ttl: Option<Duration>,
    /// The run is useless after this long from now: not started by then, it is cancelled
    /// without running; still running then, it is cancelled.
    pub expire_after: Option<Duration>,
    /// Fairness group: see [`Policy::group`].
    pub group: Option<String>,
}

/// What [`Docket::add_with`](crate::docket::Docket::add_with) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Added {
    /// A new run was scheduled under this key.
    Scheduled(String),
    /// A run with this key is already scheduled or running; nothing was added.
    Exists(String),
}

impl Added {
    /// The run's key.
    pub fn key(&self) -> &str {
        match self {
            Added::Scheduled(k) | Added::Exists(k) => k,
        }
    }
}

/// Progress of a run, readable from any process.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RunProgress {
    /// Progress so far.
    pub current: f64,
    /// The total, when known.
    pub total: Option<f64>,
    /// What the run is doing now.
    pub message: Option<String>,
}

/// Everything known about a run.
#[derive(Debug, Clone, PartialEq)]
pub struct RunInfo {
    /// The run's key.
    pub key: String,
    /// The function it runs.
    pub function: String,
    /// Where it is in its life.
    pub state: RunState,
    /// The attempt, from 1.
    pub attempt: u32,
    /// Increases each time the run is scheduled again (retries, perpetual runs).
    pub generation: u64,
    /// The worker running or that ran it.
    pub worker: Option<String>,
    /// When it was added (ms since the epoch).
    pub created_ms: u64,
    /// When it last started.
    pub started_ms: Option<u64>,
    /// When it ended.
    pub completed_ms: Option<u64>,
    /// The error.
    pub error: Option<String>,
    /// The run's result as JSON, as the executor produced it (the server's: a `CallToolResult`
    /// for tools, a `GetPromptResult` for prompts, a `ReadResourceResult` for resources,
    /// `{"error": {...}}` for a failed prompt/resource).
    pub result: Option<Value>,
    /// Its last reported progress.
    pub progress: Option<RunProgress>,
}

impl RunInfo {
    /// The result decoded as `T` (for a tool run of the server's executor: a
    /// `CallToolResult`).
    pub fn result_as<T: serde::de::DeserializeOwned>(&self) -> Option<T> {
        self.result.clone().and_then(|v| serde_json::from_value(v).ok())
    }
}
