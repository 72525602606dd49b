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

mod executor;
mod memory;
#[cfg(feature = "redis")]
mod redis;

pub use executor::{Execution, Executor, RunContext};

#[doc(hidden)]
#[cfg(feature = "redis")]
pub use redis::fuzz_decode as __fuzz_redis_decode;

use crate::sync::{BoxFuture, lock};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The environment variable naming the docket backend.
pub const DOCKET_URL_ENV: &str = "FASTMCP_DOCKET_URL";

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
    fn delay_after(&self, attempt: u32) -> u64 {
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
    /// [`DocketConfig::group_share`] runs of one group at once, so one group's long runs cannot
    /// take every slot; runs over the share wait their turn.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
}

/// Options of [`Docket::add_with`].
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

/// What [`Docket::add_with`] did.
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

/// A strike: stop runs of a function, optionally only those whose argument matches.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Strike {
    /// The function it strikes (`*`: every function).
    pub function: String,
    /// `(argument, operator, value)`; operators `==`, `!=`, `>`, `>=`, `<`, `<=`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub condition: Option<(String, String, Value)>,
}

impl Strike {
    /// Strikes every run of `function`.
    pub fn function(function: impl Into<String>) -> Self {
        Strike { function: function.into(), condition: None }
    }
    /// Strikes runs of `function` whose `argument` compares with `value` (`==`, `!=`, `>`, `>=`, `<`, `<=`).
    pub fn when(function: impl Into<String>, argument: impl Into<String>, op: &str, value: Value) -> Self {
        Strike { function: function.into(), condition: Some((argument.into(), op.to_owned(), value)) }
    }

    fn matches(&self, function: &str, args: &Map<String, Value>) -> bool {
        if self.function != function && self.function != "*" {
            return false;
        }
        let Some((arg, op, value)) = &self.condition else { return true };
        let Some(actual) = args.get(arg) else { return false };
        let ord = match (actual.as_f64(), value.as_f64()) {
            (Some(a), Some(b)) => a.partial_cmp(&b),
            _ => match (actual.as_str(), value.as_str()) {
                (Some(a), Some(b)) => Some(a.cmp(b)),
                _ => None,
            },
        };
        use std::cmp::Ordering::*;
        match op.as_str() {
            "==" => actual == value,
            "!=" => actual != value,
            ">" => ord == Some(Greater),
            ">=" => matches!(ord, Some(Greater | Equal)),
            "<" => ord == Some(Less),
            "<=" => matches!(ord, Some(Less | Equal)),
            _ => false,
        }
    }
}

/// Strikes in effect in this process (kept in sync with the backend).
#[derive(Default)]
pub(crate) struct StrikeList {
    list: Mutex<Vec<Strike>>,
    /// Lets the hot path skip the lock when nothing is struck (the usual case).
    any: std::sync::atomic::AtomicBool,
}

impl StrikeList {
    pub fn apply(&self, restore: bool, strike: Strike) {
        let mut list = lock(&self.list);
        if restore {
            list.retain(|s| *s != strike);
        } else if !list.contains(&strike) {
            list.push(strike);
        }
        self.any.store(!list.is_empty(), std::sync::atomic::Ordering::Release);
    }
    pub fn is_struck(&self, function: &str, args: &Map<String, Value>) -> bool {
        self.any.load(std::sync::atomic::Ordering::Acquire)
            && lock(&self.list).iter().any(|s| s.matches(function, args))
    }
}

/// A scheduling request handed to a backend.
#[derive(Debug, Clone)]
pub(crate) struct Schedule {
    pub key: String,
    pub function: String,
    pub args: Map<String, Value>,
    pub when_ms: u64,
    pub replace: bool,
    pub policy: Policy,
}

/// A run a worker has claimed.
#[derive(Debug, Clone)]
pub(crate) struct Claimed {
    pub key: String,
    pub generation: u64,
    pub function: String,
    pub args: Map<String, Value>,
    pub attempt: u32,
    pub policy: Policy,
    /// Backend delivery id (the stream entry on Redis).
    pub delivery: String,
    /// The backend's stored form of the claimed run, for `finish` to rewrite (Redis: the
    /// running record); `None` where the backend keeps runs itself.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))] // only Redis keeps records outside
    pub stored: Option<String>,
}

/// How a claimed run ended.
#[derive(Debug, Clone)]
pub(crate) enum Outcome {
    Done {
        state: RunState,
        result: Option<Value>,
        error: Option<String>,
    },
    /// Run again after `delay_ms` as `attempt` (retry, perpetual).
    Again {
        delay_ms: u64,
        attempt: u32,
        result: Option<Value>,
        error: Option<String>,
    },
    /// Not finished here (shutdown): make it due again now for another worker.
    HandBack,
}

/// A storage and delivery backend of the docket.
pub(crate) trait Backend: Send + Sync + 'static {
    fn schedule(self: Arc<Self>, s: Schedule) -> BoxFuture<Result<Added, DocketError>>;
    fn cancel(self: Arc<Self>, key: String) -> BoxFuture<Result<bool, DocketError>>;
    fn info(self: Arc<Self>, key: String) -> BoxFuture<Result<Option<RunInfo>, DocketError>>;
    /// The run's state alone (a backend may read less than `info` does).
    fn state(self: Arc<Self>, key: String) -> BoxFuture<Result<Option<RunState>, DocketError>> {
        Box::pin(async move { Ok(self.info(key).await?.map(|i| i.state)) })
    }
    /// Waits until the run is terminal (or `timeout`), then returns what is known.
    fn wait(self: Arc<Self>, key: String, timeout: Duration) -> BoxFuture<Result<Option<RunInfo>, DocketError>>;
    /// Claims up to `max` due runs for `worker`, waiting (bounded) for work; includes runs whose
    /// worker stopped renewing its claim for longer than the redelivery timeout.
    fn take(self: Arc<Self>, worker: String, max: usize) -> BoxFuture<Result<Vec<Claimed>, DocketError>>;
    fn finish(self: Arc<Self>, batch: Vec<(Claimed, Outcome)>) -> BoxFuture<Result<(), DocketError>>;
    /// Keeps the claims of runs still executing alive.
    fn renew(self: Arc<Self>, worker: String, deliveries: Vec<String>) -> BoxFuture<Result<(), DocketError>>;
    fn progress(
        self: Arc<Self>,
        key: String,
        generation: u64,
        progress: RunProgress,
    ) -> BoxFuture<Result<(), DocketError>>;
    fn strike(self: Arc<Self>, restore: bool, strike: Strike) -> BoxFuture<Result<(), DocketError>>;
    /// Runs cancelled while running, as they are announced (for the worker to abort them).
    fn cancellations(&self) -> tokio::sync::broadcast::Receiver<String>;
    fn is_distributed(&self) -> bool;

    /// Ticks on the changes of the run or task record under `key` that a follower acts on
    /// (the run scheduled or ended, progress, task fields), whichever process made them. A
    /// run becoming due or starting need not tick (on Redis it does not: nothing follows it).
    fn watch(&self, key: &str) -> tokio::sync::watch::Receiver<u64>;
    /// Stores a new task record that expires `ttl_ms` after creation, indexed under `owner`.
    fn task_create(
        self: Arc<Self>,
        id: String,
        owner: String,
        fields: Vec<(String, String)>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<(), DocketError>>;
    /// A task record and the run behind it, read together.
    fn task_get(self: Arc<Self>, id: String) -> BoxFuture<Result<Option<TaskRecord>, DocketError>>;
    /// Sets and deletes fields of an existing record and announces the change; false when the
    /// record is gone (expired).
    fn task_update(
        self: Arc<Self>,
        id: String,
        set: Vec<(String, String)>,
        delete: Vec<String>,
    ) -> BoxFuture<Result<bool, DocketError>>;
    /// Sets `field` to `value` unless it holds it already: true for the one caller that changed
    /// it (an atomic claim across processes).
    fn task_claim(self: Arc<Self>, id: String, field: String, value: String) -> BoxFuture<Result<bool, DocketError>>;
    /// Sets a record's `lease` (ms since the epoch) without announcing a change; false when the
    /// record is gone.
    fn task_lease(self: Arc<Self>, id: String, until_ms: u64) -> BoxFuture<Result<bool, DocketError>>;
    /// Ids of the live tasks of `owner`, oldest first.
    fn task_ids(self: Arc<Self>, owner: String) -> BoxFuture<Result<Vec<String>, DocketError>>;
}

/// The fields of a task record (the tasks layer gives them meaning).
pub(crate) type TaskFields = HashMap<String, String>;

/// A task record and the run behind it (none before it is queued or after it expired).
pub(crate) type TaskRecord = (TaskFields, Option<RunInfo>);

/// Per-key change notification for the runs and task records someone is following. Cheap when
/// nobody follows anything (the usual case on the hot path).
pub(crate) struct Watchers {
    map: Mutex<HashMap<String, tokio::sync::watch::Sender<u64>>>,
    any: std::sync::atomic::AtomicBool,
    /// The map size at which abandoned entries are next swept. It doubles with the live
    /// entries, so a sweep (O(n)) happens once per O(n) subscriptions: O(1) amortized, where
    /// sweeping on every subscription past a fixed size was quadratic under the lock.
    sweep_at: std::sync::atomic::AtomicUsize,
}

impl Default for Watchers {
    fn default() -> Self {
        Watchers { map: Mutex::default(), any: Default::default(), sweep_at: 64.into() }
    }
}

/// How long a follower of a run or task waits for a backend watch tick before it looks
/// again anyway. Ticks come with every change (in process on `memory://`; over Redis pub/sub
/// otherwise, and a reconnected listener ticks every watcher since it may have missed some),
/// so this only bounds what a lost tick costs: following a working task on Redis costs 4
/// commands per fallback period, not per second.
pub const WATCH_FALLBACK: Duration = Duration::from_secs(30);

impl Watchers {
    /// Ticks every watcher: after a gap in the change feed, everyone looks again.
    #[cfg_attr(not(feature = "redis"), allow(dead_code))] // only a remote feed has gaps
    pub fn notify_all(&self) {
        for tx in lock(&self.map).values() {
            tx.send_modify(|n| *n = n.wrapping_add(1));
        }
    }

    pub fn subscribe(&self, key: &str) -> tokio::sync::watch::Receiver<u64> {
        use std::sync::atomic::Ordering::Relaxed;
        let mut map = lock(&self.map);
        if map.len() >= self.sweep_at.load(Relaxed) {
            map.retain(|_, tx| tx.receiver_count() > 0);
            self.sweep_at.store((map.len() * 2).max(64), Relaxed);
        }
        let rx = map.entry(key.to_owned()).or_insert_with(|| tokio::sync::watch::channel(0).0).subscribe();
        self.any.store(true, std::sync::atomic::Ordering::Release);
        rx
    }

    pub fn notify(&self, key: &str) {
        if !self.any.load(std::sync::atomic::Ordering::Acquire) {
            return;
        }
        let mut map = lock(&self.map);
        if let Some(tx) = map.get(key) {
            if tx.receiver_count() == 0 {
                map.remove(key);
            } else {
                tx.send_modify(|n| *n = n.wrapping_add(1));
            }
        }
        if map.is_empty() {
            self.any.store(false, std::sync::atomic::Ordering::Release);
        }
    }
}

/// The Redis backend, connected and listening.
#[cfg(feature = "redis")]
async fn connect_redis(config: &DocketConfig, strikes: &Arc<StrikeList>) -> Result<Arc<dyn Backend>, DocketError> {
    let backend = Arc::new(redis::RedisBackend::connect(config.clone(), strikes.clone()).await?);
    backend.start_listeners();
    Ok(backend)
}

/// Without the `redis` feature, a Redis URL is a configuration error that says what to enable.
#[cfg(not(feature = "redis"))]
async fn connect_redis(config: &DocketConfig, _: &Arc<StrikeList>) -> Result<Arc<dyn Backend>, DocketError> {
    Err(DocketError::BadUrl(
        redact_url(&config.url),
        "this build of fastmcp has no Redis support; enable its `redis` feature".into(),
    ))
}

/// A URL with its password replaced by `***` (and a user name kept), for errors and logs:
/// `redis://:secret@host/` becomes `redis://:***@host/`.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else { return url.to_owned() };
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    match authority.rsplit_once('@') {
        Some((userinfo, host)) => {
            let user = userinfo.split_once(':').map_or(userinfo, |(user, _)| user);
            let hidden = if userinfo.contains(':') { format!("{user}:***") } else { "***".to_owned() };
            format!("{scheme}://{hidden}@{host}{tail}")
        }
        None => url.to_owned(),
    }
}

/// Docket settings, from the environment or code.
#[derive(Clone)]
pub struct DocketConfig {
    /// `memory://`, `redis://` or `rediss://`.
    pub url: String,
    /// Key prefix; keys are `{name}:...` (a Redis Cluster hash tag).
    pub name: String,
    /// A run whose worker stopped renewing its claim this long ago is delivered again.
    pub redelivery_timeout: Duration,
    /// How long results, errors and run records are kept after a run ends.
    pub result_ttl: Duration,
    /// Runs one worker executes at once.
    pub concurrency: usize,
    /// Runs of one fairness group (see [`Policy::group`]) one worker executes at once; 0 means
    /// half of `concurrency` (rounded up), the default unless `FASTMCP_DOCKET_GROUP_SHARE` is set.
    pub group_share: usize,
    /// For `rediss://`: a PEM file of the CA that signed the server's certificate, when it is
    /// not in the system trust store.
    pub tls_ca_file: Option<std::path::PathBuf>,
}

impl std::fmt::Debug for DocketConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DocketConfig")
            .field("url", &redact_url(&self.url))
            .field("name", &self.name)
            .field("redelivery_timeout", &self.redelivery_timeout)
            .field("result_ttl", &self.result_ttl)
            .field("concurrency", &self.concurrency)
            .field("group_share", &self.group_share)
            .field("tls_ca_file", &self.tls_ca_file)
            .finish()
    }
}

impl DocketConfig {
    /// `FASTMCP_DOCKET_URL` (default `memory://`), `FASTMCP_DOCKET_NAME` (default `fastmcp`),
    /// `FASTMCP_DOCKET_REDELIVERY_TIMEOUT_MS` (30 000), `FASTMCP_DOCKET_RESULT_TTL_MS`
    /// (900 000), `FASTMCP_DOCKET_CONCURRENCY` (10), `FASTMCP_DOCKET_TLS_CA_FILE` (none).
    pub fn from_env() -> Self {
        let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
        let ms = |k: &str, d: u64| Duration::from_millis(env(k).and_then(|v| v.parse().ok()).unwrap_or(d));
        let concurrency = env("FASTMCP_DOCKET_CONCURRENCY").and_then(|v| v.parse().ok()).unwrap_or(10usize).max(1);
        DocketConfig {
            url: env(DOCKET_URL_ENV).unwrap_or_else(|| "memory://".into()),
            name: env("FASTMCP_DOCKET_NAME").unwrap_or_else(|| "fastmcp".into()),
            redelivery_timeout: ms("FASTMCP_DOCKET_REDELIVERY_TIMEOUT_MS", 30_000),
            result_ttl: ms("FASTMCP_DOCKET_RESULT_TTL_MS", 900_000),
            concurrency,
            group_share: env("FASTMCP_DOCKET_GROUP_SHARE").and_then(|v| v.parse().ok()).unwrap_or(0),
            tls_ca_file: env("FASTMCP_DOCKET_TLS_CA_FILE").map(Into::into),
        }
    }
}

/// A new generated run key: one random prefix per process, then a counter shared by every
/// docket of the process (no syscall per key). Per docket, two dockets of one process (two
/// servers, or a server started again) would hand out the same keys, and the second add of a
/// key still live would be taken for the first.
fn new_key() -> String {
    static PREFIX: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    static COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    let prefix = PREFIX.get_or_init(|| uuid::Uuid::new_v4().simple().to_string());
    format!("{prefix}-{}", COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed))
}

pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

struct DocketInner {
    config: DocketConfig,
    backend: Arc<dyn Backend>,
    /// The executor of this process's worker (set by `start_worker`). Held strongly: an
    /// executor holds its application weakly, so this is no cycle.
    executor: std::sync::OnceLock<Arc<dyn Executor>>,
    strikes: Arc<StrikeList>,
}

/// A handle to the server's docket.
#[derive(Clone)]
pub struct Docket {
    inner: Arc<DocketInner>,
}

impl Docket {
    /// Opens the backend named by the configuration (a Redis backend checks its server once).
    pub async fn open(config: DocketConfig) -> Result<Docket, DocketError> {
        let strikes = Arc::new(StrikeList::default());
        let backend: Arc<dyn Backend> = if config.url.starts_with("memory://") {
            Arc::new(memory::MemoryBackend::new(config.clone(), strikes.clone()))
        } else if config.url.starts_with("redis://") || config.url.starts_with("rediss://") {
            connect_redis(&config, &strikes).await?
        } else {
            return Err(DocketError::BadUrl(
                redact_url(&config.url),
                "expected memory://, redis:// or rediss://".into(),
            ));
        };
        Ok(Docket::with_backend(config, backend, strikes))
    }

    fn with_backend(config: DocketConfig, backend: Arc<dyn Backend>, strikes: Arc<StrikeList>) -> Docket {
        Docket { inner: Arc::new(DocketInner { config, backend, executor: std::sync::OnceLock::new(), strikes }) }
    }

    /// A producer-only handle on a shared docket (no worker in this process): add, cancel,
    /// follow and read runs that workers elsewhere execute. Needs `redis://`.
    pub async fn connect(config: DocketConfig) -> Result<Docket, DocketError> {
        if !(config.url.starts_with("redis://") || config.url.starts_with("rediss://")) {
            return Err(DocketError::NotDistributed("Docket::connect"));
        }
        let strikes = Arc::new(StrikeList::default());
        let backend = connect_redis(&config, &strikes).await?;
        Ok(Docket::with_backend(config, backend, strikes))
    }

    /// The backend URL (with its password: see `display_url`).
    pub fn url(&self) -> &str {
        &self.inner.config.url
    }

    /// The URL with its password redacted, for logs.
    pub fn display_url(&self) -> String {
        redact_url(&self.inner.config.url)
    }

    /// The settings it was opened with.
    pub fn config(&self) -> &DocketConfig {
        &self.inner.config
    }

    /// Fails with a clear error on `memory://`, for features that need several processes.
    pub fn check_distributed_backend(&self, feature: &'static str) -> Result<(), DocketError> {
        if self.inner.backend.is_distributed() { Ok(()) } else { Err(DocketError::NotDistributed(feature)) }
    }

    /// Queues a run of the component `function` with `args`; returns its key.
    pub async fn add(&self, function: &str, args: Value) -> Result<String, DocketError> {
        Ok(self.add_with(function, args, AddOptions::default()).await?.key().to_owned())
    }

    /// Queues a run with options (key, delay, replace, retry, timeout, perpetual).
    pub async fn add_with(&self, function: &str, args: Value, options: AddOptions) -> Result<Added, DocketError> {
        let Value::Object(args) = args else { return Err(DocketError::BadArguments) };
        // On memory:// this process's worker is the only executor, so the name must resolve
        // here; on Redis another process may serve it.
        if !self.inner.backend.is_distributed() {
            let executor = self.inner.executor.get().ok_or(DocketError::Stopped)?;
            if !executor.knows(function) {
                return Err(DocketError::UnknownFunction(function.to_owned()));
            }
        }
        if self.inner.strikes.is_struck(function, &args) {
            return Err(DocketError::Struck(function.to_owned()));
        }
        let key = options.key.unwrap_or_else(new_key);
        let when_ms = now_ms() + options.delay.map_or(0, |d| d.as_millis() as u64);
        let policy = Policy {
            retry: options.retry,
            timeout_ms: options.timeout.map(|d| d.as_millis() as u64),
            every_ms: options.every.map(|d| d.as_millis() as u64),
            task: false,
            result_ttl_ms: options.result_ttl.map(|d| d.as_millis() as u64),
            deadline_ms: options.expire_after.map(|d| now_ms() + d.as_millis() as u64),
            group: options.group,
        };
        self.inner
            .backend
            .clone()
            .schedule(Schedule { key, function: function.to_owned(), args, when_ms, replace: options.replace, policy })
            .await
    }

    /// Replaces the scheduled or queued run under `key` (a running one finishes first).
    pub async fn replace(
        &self,
        function: &str,
        args: Value,
        key: &str,
        delay: Option<Duration>,
    ) -> Result<Added, DocketError> {
        self.add_with(
            function,
            args,
            AddOptions { key: Some(key.to_owned()), delay, replace: true, ..Default::default() },
        )
        .await
    }

    /// Cancels a scheduled, queued or running run. Returns whether it was still live.
    pub async fn cancel(&self, key: &str) -> Result<bool, DocketError> {
        self.inner.backend.clone().cancel(key.to_owned()).await
    }

    /// The state of a run.
    pub async fn state(&self, key: &str) -> Result<Option<RunState>, DocketError> {
        self.inner.backend.clone().state(key.to_owned()).await
    }

    /// Everything known about a run (from any process, on Redis).
    pub async fn info(&self, key: &str) -> Result<Option<RunInfo>, DocketError> {
        self.inner.backend.clone().info(key.to_owned()).await
    }

    /// Waits until the run is terminal and returns its result as JSON (`None` when cancelled);
    /// see [`RunInfo::result`].
    pub async fn result(&self, key: &str) -> Result<Option<Value>, DocketError> {
        let info = self.wait(key, Duration::MAX).await?;
        Ok(info.result)
    }

    /// Waits (at most `timeout`) until the run is terminal.
    pub async fn wait(&self, key: &str, timeout: Duration) -> Result<RunInfo, DocketError> {
        self.inner
            .backend
            .clone()
            .wait(key.to_owned(), timeout)
            .await?
            .ok_or_else(|| DocketError::UnknownKey(key.to_owned()))
    }

    /// Stops runs of a function (optionally only those matching a condition), on every worker.
    pub async fn strike(&self, strike: Strike) -> Result<(), DocketError> {
        self.inner.backend.clone().strike(false, strike).await
    }

    /// Lifts a strike.
    pub async fn restore(&self, strike: Strike) -> Result<(), DocketError> {
        self.inner.backend.clone().strike(true, strike).await
    }

    /// Starts this process's worker: it claims runs and has `executor` run them. `name` prefixes
    /// the worker's name (`{name}-{pid}-{random}`). When the executor cannot run a claimed run
    /// (its application is going away), the run is handed back.
    pub fn start_worker(&self, name: &str, executor: Arc<dyn Executor>) -> Worker {
        let _ = self.inner.executor.set(executor);
        let worker = Worker {
            inner: Arc::new(WorkerInner {
                name: format!("{name}-{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]),
                concurrency: self.inner.config.concurrency,
                tracker: TaskTracker::new(),
                stop: CancellationToken::new(),
                running: Mutex::new(HashMap::new()),
                drain: Mutex::new(Duration::from_secs(10)),
                handle: Mutex::new(None),
                groups: Mutex::new(HashMap::new()),
                deferred: Mutex::new(HashMap::new()),
                group_share: match self.inner.config.group_share {
                    0 => self.inner.config.concurrency.div_ceil(2),
                    n => n,
                }
                .clamp(1, self.inner.config.concurrency.max(1)),
            }),
        };
        let handle = tokio::spawn(worker.clone().run(self.clone()));
        *lock(&worker.inner.handle) = Some(handle);
        worker
    }

    /// Queues the run of an MCP task: keyed by the task id, marked as a task.
    /// The run ends with its task: it does not start, or is cancelled, once `ttl` has passed.
    pub(crate) async fn add_task(
        &self,
        id: &str,
        function: &str,
        args: Map<String, Value>,
        ttl: Duration,
        group: String,
    ) -> Result<Added, DocketError> {
        if self.inner.strikes.is_struck(function, &args) {
            return Err(DocketError::Struck(function.to_owned()));
        }
        let result_ttl_ms = Some(ttl.min(self.inner.config.result_ttl).as_millis() as u64);
        let policy = Policy {
            task: true,
            result_ttl_ms,
            deadline_ms: Some(now_ms() + ttl.as_millis() as u64),
            group: Some(group),
            ..Default::default()
        };
        let schedule = Schedule {
            key: id.to_owned(),
            function: function.to_owned(),
            args,
            when_ms: now_ms(),
            replace: false,
            policy,
        };
        self.inner.backend.clone().schedule(schedule).await
    }

    pub(crate) fn backend(&self) -> Arc<dyn Backend> {
        self.inner.backend.clone()
    }

    pub(crate) async fn report_progress(&self, key: &str, generation: u64, progress: RunProgress) {
        if let Err(e) = self.inner.backend.clone().progress(key.to_owned(), generation, progress).await {
            tracing::warn!(key, "progress not stored: {e}");
        }
    }
}

struct WorkerInner {
    name: String,
    concurrency: usize,
    tracker: TaskTracker,
    stop: CancellationToken,
    /// Runs executing here: key -> (delivery id, cancel token).
    running: Mutex<HashMap<String, (String, CancellationToken)>>,
    /// How long a stop lets running runs finish before handing them back.
    drain: Mutex<Duration>,
    /// The worker loop, awaited by `stop` so every outcome is stored before it returns.
    handle: Mutex<Option<tokio::task::JoinHandle<()>>>,
    /// Runs executing here per fairness group (entries removed at zero, so bounded by the
    /// runs executing).
    groups: Mutex<HashMap<String, usize>>,
    group_share: usize,
    /// How often each run was deferred here in a row (fairness), so a long wait backs off
    /// instead of re-queueing every `DEFER_MS`. Entries leave when the run executes; the map
    /// is cleared past `MAX_DEFERRED` entries (only the backoff is forgotten).
    deferred: Mutex<HashMap<String, u32>>,
}

/// How long a run over its group's share first waits before it is offered again; it doubles
/// with each deferral in a row, up to `DEFER_MAX_MS`.
const DEFER_MS: u64 = 100;
const DEFER_MAX_MS: u64 = 3200;
const MAX_DEFERRED: usize = 65_536;

/// A handle to the server's task worker.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<WorkerInner>,
}

impl Worker {
    /// The worker's name (`{server}-{pid}-{random}`).
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    async fn run(self, docket: Docket) {
        let backend = docket.inner.backend.clone();
        let slots = Arc::new(Semaphore::new(self.inner.concurrency));
        let (done_tx, done_rx) = tokio::sync::mpsc::unbounded_channel::<(Claimed, Outcome)>();
        let finisher = tokio::spawn(finish_loop(backend.clone(), done_rx));
        let renewer =
            tokio::spawn(renew_loop(self.clone(), backend.clone(), docket.inner.config.redelivery_timeout / 4));
        let canceller = tokio::spawn(cancel_loop(self.clone(), backend.cancellations()));
        let mut backoff = Duration::from_millis(100);
        loop {
            // Wait for a free slot, then ask for as many runs as there are free slots.
            let first = tokio::select! {
                p = slots.clone().acquire_owned() => match p { Ok(p) => p, Err(_) => break },
                _ = self.inner.stop.cancelled() => break,
            };
            let free = slots.available_permits() + 1;
            let batch = tokio::select! {
                b = backend.clone().take(self.inner.name.clone(), free) => b,
                _ = self.inner.stop.cancelled() => break,
            };
            let batch = match batch {
                Ok(b) => {
                    backoff = Duration::from_millis(100);
                    b
                }
                Err(e) => {
                    tracing::warn!(worker = %self.inner.name, "docket unavailable, retrying in {backoff:?}: {e}");
                    drop(first);
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {},
                        _ = self.inner.stop.cancelled() => break,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(5));
                    continue;
                }
            };
            let mut permit = Some(first);
            for claimed in batch {
                // Fairness: a group at its share here waits (re-queued shortly, without using
                // an attempt), so other groups' runs get the free slots.
                if let Some(group) = &claimed.policy.group {
                    let mut groups = lock(&self.inner.groups);
                    let running = groups.entry(group.clone()).or_insert(0);
                    if *running >= self.inner.group_share {
                        drop(groups);
                        let delay_ms = {
                            let mut deferred = lock(&self.inner.deferred);
                            if deferred.len() >= MAX_DEFERRED {
                                deferred.clear();
                            }
                            let n = deferred.entry(claimed.key.clone()).or_insert(0);
                            *n = n.saturating_add(1);
                            (DEFER_MS << (*n - 1).min(16)).min(DEFER_MAX_MS)
                        };
                        let attempt = claimed.attempt;
                        let defer = Outcome::Again { delay_ms, attempt, result: None, error: None };
                        let _ = done_tx.send((claimed, defer));
                        continue;
                    }
                    *running += 1;
                    drop(groups);
                    lock(&self.inner.deferred).remove(&claimed.key);
                }
                let p = match permit.take() {
                    Some(p) => p,
                    None => match slots.clone().try_acquire_owned() {
                        Ok(p) => p,
                        Err(_) => slots.clone().acquire_owned().await.expect("semaphore open"),
                    },
                };
                let token = CancellationToken::new();
                lock(&self.inner.running).insert(claimed.key.clone(), (claimed.delivery.clone(), token.clone()));
                let (worker, docket, done) = (self.clone(), docket.clone(), done_tx.clone());
                self.inner.tracker.spawn(async move {
                    let outcome = worker.execute(&docket, &claimed, token).await;
                    lock(&worker.inner.running).remove(&claimed.key);
                    if let Some(group) = &claimed.policy.group {
                        let mut groups = lock(&worker.inner.groups);
                        if let Some(n) = groups.get_mut(group) {
                            *n = n.saturating_sub(1);
                            if *n == 0 {
                                groups.remove(group);
                            }
                        }
                    }
                    let _ = done.send((claimed, outcome));
                    drop(p);
                });
            }
        }
        // Graceful stop: let running runs finish (bounded); what is left is handed back.
        self.inner.tracker.close();
        let drain = *lock(&self.inner.drain);
        if tokio::time::timeout(drain, self.inner.tracker.wait()).await.is_err() {
            let left: Vec<_> = lock(&self.inner.running).drain().collect();
            for (_, (_, token)) in &left {
                token.cancel();
            }
            let _ = tokio::time::timeout(Duration::from_secs(1), self.inner.tracker.wait()).await;
        }
        drop(done_tx);
        let _ = finisher.await;
        renewer.abort();
        canceller.abort();
    }

    async fn execute(&self, docket: &Docket, claimed: &Claimed, token: CancellationToken) -> Outcome {
        if docket.inner.strikes.is_struck(&claimed.function, &claimed.args) {
            return Outcome::Done { state: RunState::Cancelled, result: None, error: Some("struck".into()) };
        }
        let expired = || Outcome::Done { state: RunState::Cancelled, result: None, error: Some("expired".into()) };
        let left = claimed.policy.deadline_ms.map(|d| d.saturating_sub(now_ms()));
        if left == Some(0) {
            return expired();
        }
        let Some(executor) = docket.inner.executor.get() else { return Outcome::HandBack };
        let Some(call) = executor.execute(RunContext {
            docket: docket.clone(),
            key: claimed.key.clone(),
            generation: claimed.generation,
            function: claimed.function.clone(),
            args: claimed.args.clone(),
            attempt: claimed.attempt,
            linked_record: claimed.policy.task,
            cancel: token.clone(),
        }) else {
            return Outcome::HandBack;
        };
        let timeout = claimed.policy.timeout_ms.map(Duration::from_millis).unwrap_or(Duration::MAX);
        let stop = self.inner.stop.clone();
        let deadline = async {
            match left {
                Some(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                None => std::future::pending().await,
            }
        };
        // (result as JSON, error message when the run failed)
        let (result, error) = tokio::select! {
            r = tokio::time::timeout(timeout, call) => match r {
                Ok(done) => (done.result, done.error),
                Err(_) => {
                    let error = format!("timed out after {timeout:?}");
                    (executor.failure_result(&claimed.function, &error), Some(error))
                }
            },
            _ = deadline => return expired(),
            _ = token.cancelled() => {
                // Cancelled by the docket, or abandoned at shutdown.
                return if stop.is_cancelled() { Outcome::HandBack } else {
                    Outcome::Done { state: RunState::Cancelled, result: None, error: None }
                };
            }
        };
        let failed = error.is_some();
        if let Some(every) = claimed.policy.every_ms {
            return Outcome::Again { delay_ms: every, attempt: 1, result: Some(result), error };
        }
        if failed
            && let Some(retry) = claimed.policy.retry
            && claimed.attempt < retry.attempts
        {
            return Outcome::Again {
                delay_ms: retry.delay_after(claimed.attempt),
                attempt: claimed.attempt + 1,
                result: Some(result),
                error,
            };
        }
        let state = if failed { RunState::Failed } else { RunState::Completed };
        Outcome::Done { state, result: Some(result), error }
    }

    /// Stops taking new runs and lets the running ones finish for up to `drain`; runs still
    /// going then are handed back to the docket for another worker. Returns once every outcome
    /// is stored (bounded).
    pub(crate) async fn stop(&self, drain: Duration) {
        *lock(&self.inner.drain) = drain;
        self.inner.stop.cancel();
        let handle = lock(&self.inner.handle).take();
        if let Some(handle) = handle {
            let _ = tokio::time::timeout(drain + Duration::from_secs(5), handle).await;
        }
    }
}

async fn finish_loop(backend: Arc<dyn Backend>, mut rx: tokio::sync::mpsc::UnboundedReceiver<(Claimed, Outcome)>) {
    let mut batch = Vec::new();
    while rx.recv_many(&mut batch, 512).await > 0 {
        let items = std::mem::take(&mut batch);
        let mut delay = Duration::from_millis(50);
        // Outcomes are not dropped on a backend hiccup: retry until stored (the run would be
        // redelivered otherwise, which is allowed but wasteful).
        for _ in 0..20 {
            match backend.clone().finish(items.clone()).await {
                Ok(()) => break,
                Err(e) => {
                    tracing::warn!("storing {} outcomes failed, retrying: {e}", items.len());
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
    }
}

async fn renew_loop(worker: Worker, backend: Arc<dyn Backend>, every: Duration) {
    let every = every.max(Duration::from_millis(50));
    loop {
        tokio::time::sleep(every).await;
        let ids: Vec<String> = lock(&worker.inner.running).values().map(|(d, _)| d.clone()).collect();
        if !ids.is_empty()
            && let Err(e) = backend.clone().renew(worker.inner.name.clone(), ids).await
        {
            tracing::warn!("renewing claims failed: {e}");
        }
    }
}

async fn cancel_loop(worker: Worker, mut rx: tokio::sync::broadcast::Receiver<String>) {
    loop {
        match rx.recv().await {
            Ok(key) => {
                if let Some((_, token)) = lock(&worker.inner.running).get(&key) {
                    token.cancel();
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => continue,
            Err(_) => return,
        }
    }
}

#[cfg(test)]
mod tests;
