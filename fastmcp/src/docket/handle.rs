//! The docket handle: opening a backend, adding, cancelling, following and reading runs,
//! strikes, and starting this process's worker.

use super::backend::{Backend, Schedule};
use super::config::{DocketConfig, redact_url};
use super::strike::StrikeList;
use super::worker::Worker;
use super::{AddOptions, Added, DocketError, Executor, Policy, RunInfo, RunProgress, RunState, Strike, memory};
use serde_json::{Map, Value};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The Redis backend, connected and listening.
#[cfg(feature = "redis")]
async fn connect_redis(config: &DocketConfig, strikes: &Arc<StrikeList>) -> Result<Arc<dyn Backend>, DocketError> {
    let backend = Arc::new(super::redis::RedisBackend::connect(config.clone(), strikes.clone()).await?);
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

/// Now, in milliseconds since the Unix epoch (the time every backend stores).
pub(crate) fn now_ms() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64)
}

/// What every clone of a [`Docket`] shares.
pub(super) struct DocketInner {
    pub(super) config: DocketConfig,
    pub(super) backend: Arc<dyn Backend>,
    /// The executor of this process's worker (set by `start_worker`). Held strongly: an
    /// executor holds its application weakly, so this is no cycle.
    pub(super) executor: std::sync::OnceLock<Arc<dyn Executor>>,
    pub(super) strikes: Arc<StrikeList>,
}

/// A handle to the server's docket.
#[derive(Clone)]
pub struct Docket {
    pub(super) inner: Arc<DocketInner>,
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
        Worker::start(self.clone(), name)
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
