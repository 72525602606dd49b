//! What a storage and delivery backend of the docket implements (`memory.rs`, `redis/`),
//! and the per-key change notification both use to wake followers.

use super::{Added, DocketError, Policy, RunInfo, RunProgress, RunState, Strike};
use crate::sync::{BoxFuture, lock};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

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
    /// How many live task records `owner` has. Admitting a task reads it, so it is cheap
    /// (no listing): a count on `memory://`, two commands on Redis.
    fn task_count(self: Arc<Self>, owner: String) -> BoxFuture<Result<usize, DocketError>>;
    /// Ids of the live tasks of `owner`, in no particular order, read as cheaply as the
    /// backend can (one command on Redis, where listing in order checks every record).
    fn task_live_ids(self: Arc<Self>, owner: String) -> BoxFuture<Result<Vec<String>, DocketError>>;
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
