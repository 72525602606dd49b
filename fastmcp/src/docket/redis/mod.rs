//! `redis://` and `rediss://`: Redis Streams + a consumer group for due runs, a sorted set for
//! scheduled ones, one string record per run. Every state change is one Lua script, which also
//! publishes the state events followers act on, so the record and the event never disagree.
//!
//! What a run costs Redis is what bounds a deployment (every worker shares one redis-server),
//! so the layout is built for few commands per run: the record is written whole by one
//! `SET .. GET` that also returns what was there to check (value and TTL in one command), the
//! stream entry carries the queued record so a worker claims without reading first; adds,
//! claims and outcomes go in batches, one script call each (adds gather while one call is in
//! flight); acknowledged stream entries are trimmed every second rather than deleted one by
//! one. A run that is added, claimed and completed costs 6 commands (and one more for each
//! read of its state).
//!
//! Keys (the docket name in braces is a Redis Cluster hash tag: one slot per docket). Runs live
//! under `rec:`, so no task key can collide with the docket's own keys:
//!
//! | key | type | contents |
//! |---|---|---|
//! | `{name}:runs` | stream, group `workers` | due runs: `key`, `gen`, `r` (the queued record) |
//! | `{name}:queue` | sorted set | scheduled runs by due time (ms) |
//! | `{name}:rec:{key}` | string | the run's record (`record.rs`): state, generation, attempt, times, worker, function, policy, args, error, result; kept for the result TTL once it ends |
//! | `{name}:progress:{key}` | hash | current, total, message, generation |
//! | `{name}:events` | channel | `{"key","state","generation"}` when a run is scheduled for later or ends; progress |
//! | `{name}:cancel` | channel | keys of running runs that were cancelled |
//! | `{name}:strikes` | stream | strike / restore instructions |
//! | `{name}:task:{id}` | hash | an MCP task's record (owner, ttl, pending input, ...), expiring with the task |
//! | `{name}:tasks:{owner}` | sorted set | the owner's task ids by creation time (for `tasks/list`; listing drops the ids whose record expired) |
//! | `{name}:tasks-expiring:{owner}` | sorted set | the same ids by expiry time: admitting a task counts the live ones in two commands |

// Files: `keys.rs` (key names, Lua scripts), `decode.rs` (reply decoders), `listeners.rs`
// (event channel, strikes); the backend itself is here.
mod decode;
mod keys;
mod listeners;
mod record;

pub use decode::fuzz_decode;
use decode::*;
use keys::*;
use listeners::*;
use record::Record;

use super::{
    Added, Backend, Claimed, DocketConfig, DocketError, Outcome, Policy, RunInfo, RunProgress, RunState, Schedule,
    Strike, StrikeList, TaskFields, TaskRecord, Watchers, now_ms,
};
use crate::sync::BoxFuture;
use crate::sync::lock;
use futures::StreamExt;
use redis::aio::ConnectionManager;
use redis::{AsyncCommands, Script, Value as RValue};
use serde_json::Value;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{broadcast, mpsc};

const GROUP: &str = "workers";

/// The stream of due runs (`runs`; earlier layouts used `stream`, whose entries had no record).
const STREAM: &str = "runs";

/// How often a worker drops acknowledged entries from the stream (when it finished any).
const TRIM_EVERY_MS: u64 = 1_000;

/// Errors of a connection that is (re)connecting, worth another try.
fn is_transient(e: &redis::RedisError) -> bool {
    e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal() || e.is_timeout()
}

fn backend_err(e: impl std::fmt::Display) -> DocketError {
    DocketError::Backend(e.to_string())
}

pub(crate) struct RedisBackend {
    config: DocketConfig,
    client: redis::Client,
    conn: ConnectionManager,
    keys: Keys,
    scripts: Scripts,
    events: broadcast::Sender<(String, RunState)>,
    /// Followers of single runs and task records (fed by the event listener).
    watchers: Watchers,
    cancel_tx: broadcast::Sender<String>,
    strikes: Arc<StrikeList>,
    /// When the next scheduled run is due (ms), as last seen; 0 = check now.
    next_due: AtomicU64,
    sweep: Mutex<SweepState>,
    group_ready: std::sync::atomic::AtomicBool,
    /// The worker's connection for blocking reads (made on first use).
    blocking: tokio::sync::Mutex<Option<ConnectionManager>>,
    /// When the stream is next trimmed (ms); see `TRIM_EVERY_MS`.
    next_trim: AtomicU64,
    /// A trim failed (warned once).
    trim_failed: std::sync::atomic::AtomicBool,
    /// Runs to add, for the batcher (`add_batches`); bounded (an add past 4,096 waiting ones
    /// waits for room).
    adds: mpsc::Sender<Add>,
    adds_rx: Mutex<Option<mpsc::Receiver<Add>>>,
}

/// One run to add: the record built for a fresh key, and where its answer goes (true: added;
/// false: a live run has the key).
struct Add {
    key: String,
    record: String,
    when_ms: u64,
    replace: bool,
    reply: tokio::sync::oneshot::Sender<Result<bool, DocketError>>,
}

/// Adds at most this many runs per script call.
const ADD_BATCH: usize = 256;

struct SweepState {
    cursor: String,
    next_at: u64,
}

impl RedisBackend {
    pub async fn connect(config: DocketConfig, strikes: Arc<StrikeList>) -> Result<RedisBackend, DocketError> {
        #[cfg(feature = "tls")]
        if config.url.starts_with("rediss://") {
            // Fails harmlessly when the application installed a provider already.
            let _ = rustls::crypto::ring::default_provider().install_default();
        }
        let shown = super::redact_url(&config.url);
        let bad_url = |e: redis::RedisError| DocketError::BadUrl(shown.clone(), e.to_string());
        #[cfg(not(feature = "tls"))]
        if config.url.starts_with("rediss://") {
            return Err(DocketError::BadUrl(
                shown,
                "this build of fastmcp has no TLS support; enable its `tls` feature".into(),
            ));
        }
        let client = match &config.tls_ca_file {
            #[cfg(feature = "tls")]
            Some(path) => {
                let root_cert = std::fs::read(path)
                    .map_err(|e| DocketError::BadUrl(shown.clone(), format!("reading {}: {e}", path.display())))?;
                let certs = redis::TlsCertificates { client_tls: None, root_cert: Some(root_cert) };
                redis::Client::build_with_tls(config.url.as_str(), certs).map_err(bad_url)?
            }
            _ => redis::Client::open(config.url.as_str()).map_err(bad_url)?,
        };
        let mut conn =
            manager(&client, Some(Duration::from_secs(30))).await.map_err(|e| unreachable_redis(&shown, e))?;
        // A connection is not enough: a server wanting a password we were not given (NOAUTH)
        // or refusing our user accepts the connection and fails every command. Ask once now,
        // so startup (and readiness) fails with a clear error instead of every task call.
        let pong: redis::RedisResult<String> = redis::cmd("PING").query_async(&mut conn).await;
        if let Err(e) = pong {
            return Err(unreachable_redis(&shown, backend_err(e)));
        }
        // The scripts use `SET .. NX GET` (Redis 7.0): an older server would fail every add.
        // (A user not allowed INFO, a @dangerous command, is given the benefit of the doubt.)
        let info: redis::RedisResult<String> = redis::cmd("INFO").arg("server").query_async(&mut conn).await;
        if let Some(version) = info.as_deref().ok().and_then(too_old) {
            let why = format!("Redis {version} is too old; the docket needs 7.0 or later (or Valkey)");
            return Err(unreachable_redis(&shown, DocketError::Backend(why)));
        }
        let keys = Keys { prefix: format!("{{{}}}", config.name) };
        let (adds, adds_rx) = mpsc::channel(4096);
        let backend = RedisBackend {
            config,
            client,
            conn,
            keys,
            scripts: Scripts::new(),
            watchers: Watchers::default(),
            events: broadcast::channel(4096).0,
            cancel_tx: broadcast::channel(1024).0,
            strikes,
            next_due: AtomicU64::new(0),
            sweep: Mutex::new(SweepState { cursor: "0-0".into(), next_at: 0 }),
            group_ready: false.into(),
            blocking: tokio::sync::Mutex::new(None),
            next_trim: AtomicU64::new(0),
            trim_failed: false.into(),
            adds,
            adds_rx: Mutex::new(Some(adds_rx)),
        };
        Ok(backend)
    }

    /// Starts the listeners (events, cancellations, strikes). Called once the backend is in an Arc.
    pub fn start_listeners(self: &Arc<Self>) {
        tokio::spawn(listen_events(Arc::downgrade(self)));
        tokio::spawn(follow_strikes(Arc::downgrade(self)));
        if let Some(rx) = lock(&self.adds_rx).take() {
            tokio::spawn(add_batches(Arc::downgrade(self), rx));
        }
    }

    /// Adds a batch of runs with one script call; every add gets its own answer.
    async fn add_batch(&self, batch: Vec<Add>) {
        let mut invocation = self.scripts.schedule.key(self.keys.k(STREAM));
        invocation.key(self.keys.k("queue")).key(self.keys.k("events")).arg(&self.keys.prefix).arg(now_ms());
        for add in &batch {
            invocation.arg(&add.key).arg(&add.record).arg(add.when_ms).arg(if add.replace { "1" } else { "0" });
        }
        let mut conn = self.conn.clone();
        let generations: Result<Vec<u64>, DocketError> = invocation.invoke_async(&mut conn).await.map_err(backend_err);
        for (i, add) in batch.into_iter().enumerate() {
            let answer = match &generations {
                Ok(g) => g.get(i).map(|g| *g > 0).ok_or_else(|| backend_err("a short reply from the add script")),
                Err(e) => Err(e.clone()),
            };
            let _ = add.reply.send(answer);
        }
    }

    async fn ensure_group(&self) -> Result<(), DocketError> {
        if self.group_ready.load(Ordering::Relaxed) {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        let created: redis::RedisResult<()> = redis::cmd("XGROUP")
            .arg("CREATE")
            .arg(self.keys.k(STREAM))
            .arg(GROUP)
            .arg("0-0")
            .arg("MKSTREAM")
            .query_async(&mut conn)
            .await;
        match created {
            Ok(()) => {}
            Err(e) if e.to_string().contains("BUSYGROUP") => {}
            Err(e) => return Err(backend_err(e)),
        }
        self.group_ready.store(true, Ordering::Relaxed);
        Ok(())
    }

    /// Moves due scheduled runs to the stream when one may be due.
    async fn promote_due(&self) -> Result<(), DocketError> {
        let now = now_ms();
        if self.next_due.load(Ordering::Relaxed) > now {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        let (_, next): (i64, String) = self
            .scripts
            .due
            .key(self.keys.k("queue"))
            .key(self.keys.k(STREAM))
            .arg(now)
            .arg(1000)
            .arg(&self.keys.prefix)
            .invoke_async(&mut conn)
            .await
            .map_err(backend_err)?;
        // Check again at the next due time, and at least every 250 ms (another process may
        // schedule an earlier run; its event lowers this too).
        let next = next.parse::<f64>().map_or(u64::MAX, |n| n as u64);
        self.next_due.store(next.min(now + 250), Ordering::Relaxed);
        Ok(())
    }

    /// Claims deliveries: each is written as running (built here from the queued record its
    /// entry carries) by one script that checks it is still the run's current generation.
    async fn claim(&self, worker: &str, deliveries: Vec<Delivery>) -> Result<Vec<Claimed>, DocketError> {
        if deliveries.is_empty() {
            return Ok(Vec::new());
        }
        let now = now_ms();
        let mut invocation = self.scripts.claim.key(self.keys.k(STREAM));
        invocation.arg(&self.keys.prefix);
        let mut candidates = Vec::with_capacity(deliveries.len());
        let mut unreadable = Vec::new();
        for d in deliveries {
            let record = d.record.as_deref().and_then(Record::decode);
            let Some(mut record) = record.filter(|r| r.generation.to_string() == d.generation) else {
                unreadable.push(d.id);
                continue;
            };
            let claimed = Claimed {
                key: d.key,
                generation: record.generation,
                function: record.function.clone(),
                args: serde_json::from_str(&record.args).unwrap_or_default(),
                attempt: record.attempt,
                policy: serde_json::from_str::<Policy>(&record.policy).unwrap_or_default(),
                delivery: d.id,
                stored: None,
            };
            record.state = RunState::Running;
            record.worker = Some(worker.to_owned());
            record.started = Some(now);
            let stored = record.encode();
            invocation.arg(&claimed.key).arg(&d.generation).arg(&claimed.delivery).arg(&stored);
            candidates.push(Claimed { stored: Some(stored), ..claimed });
        }
        let mut conn = self.conn.clone();
        if !unreadable.is_empty() {
            // An entry from an earlier layout, or damaged: nothing can run it.
            tracing::warn!(count = unreadable.len(), "dropping docket stream entries without a readable run record");
            let mut pipe = redis::pipe();
            pipe.xack(self.keys.k(STREAM), GROUP, &unreadable).xdel(self.keys.k(STREAM), &unreadable);
            let _: RValue = pipe.query_async(&mut conn).await.map_err(backend_err)?;
        }
        if candidates.is_empty() {
            return Ok(Vec::new());
        }
        let accepted: Vec<usize> = invocation.invoke_async(&mut conn).await.map_err(backend_err)?;
        let mut candidates: Vec<Option<Claimed>> = candidates.into_iter().map(Some).collect();
        Ok(accepted.into_iter().filter_map(|i| candidates.get_mut(i.checked_sub(1)?)?.take()).collect())
    }

    /// Drops acknowledged entries from the stream, at most every `TRIM_EVERY_MS`.
    async fn trim(&self) -> Result<(), DocketError> {
        let now = now_ms();
        let next = self.next_trim.load(Ordering::Relaxed);
        if next > now
            || self.next_trim.compare_exchange(next, now + TRIM_EVERY_MS, Ordering::Relaxed, Ordering::Relaxed).is_err()
        {
            return Ok(());
        }
        let mut conn = self.conn.clone();
        let _: i64 =
            self.scripts.trim.key(self.keys.k(STREAM)).arg(GROUP).invoke_async(&mut conn).await.map_err(backend_err)?;
        Ok(())
    }

    /// Runs whose worker stopped renewing its claim (crashed) for the redelivery timeout.
    async fn redeliveries(&self, worker: &str, max: usize) -> Result<Vec<Delivery>, DocketError> {
        let now = now_ms();
        let cursor = {
            let sweep = lock(&self.sweep);
            if sweep.cursor == "0-0" && sweep.next_at > now {
                return Ok(Vec::new());
            }
            sweep.cursor.clone()
        };
        let mut conn = self.conn.clone();
        let reply: RValue = redis::cmd("XAUTOCLAIM")
            .arg(self.keys.k(STREAM))
            .arg(GROUP)
            .arg(worker)
            .arg(self.config.redelivery_timeout.as_millis() as u64)
            .arg(&cursor)
            .arg("COUNT")
            .arg(max)
            .query_async(&mut conn)
            .await
            .map_err(backend_err)?;
        let (next_cursor, entries) = parse_autoclaim(reply);
        let mut sweep = lock(&self.sweep);
        if next_cursor == "0-0" {
            sweep.next_at = now + (self.config.redelivery_timeout.as_millis() as u64 / 4).max(50);
        }
        sweep.cursor = next_cursor;
        if !entries.is_empty() {
            tracing::info!(worker, count = entries.len(), "redelivering runs of a worker that stopped");
        }
        Ok(entries)
    }

    /// Runs a read-only pipeline. A read is safe to repeat, so a reconnect (Redis restarting)
    /// is ridden out: up to 20 attempts, 50 ms doubling to 1 s apart.
    async fn read<T: redis::FromRedisValue>(&self, pipe: &redis::Pipeline) -> Result<T, DocketError> {
        let mut delay = Duration::from_millis(50);
        let mut attempts = 0;
        loop {
            let mut conn = self.conn.clone();
            match pipe.query_async(&mut conn).await {
                Ok(v) => return Ok(v),
                Err(e) if is_transient(&e) && attempts < 20 => {
                    attempts += 1;
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(1));
                }
                Err(e) => return Err(backend_err(e)),
            }
        }
    }

    async fn read_new(&self, worker: &str, max: usize, block: Duration) -> Result<Vec<Delivery>, DocketError> {
        // A connection of its own: a blocking read must not hold up other commands.
        let mut conn = {
            let mut slot = self.blocking.lock().await;
            match &*slot {
                Some(c) => c.clone(),
                None => {
                    let c = manager(&self.client, Some(Duration::from_secs(15))).await?;
                    *slot = Some(c.clone());
                    c
                }
            }
        };
        let reply: RValue = redis::cmd("XREADGROUP")
            .arg("GROUP")
            .arg(GROUP)
            .arg(worker)
            .arg("COUNT")
            .arg(max)
            .arg("BLOCK")
            .arg(block.as_millis() as u64)
            .arg("STREAMS")
            .arg(self.keys.k(STREAM))
            .arg(">")
            .query_async(&mut conn)
            .await
            .map_err(|e| {
                if e.to_string().contains("NOGROUP") {
                    self.group_ready.store(false, Ordering::Relaxed);
                }
                backend_err(e)
            })?;
        Ok(parse_xread(reply))
    }
}

/// Adds runs in batches: while one script call is in flight, the adds that arrive meanwhile
/// gather for the next (one add alone goes at once). Ends with the backend.
async fn add_batches(backend: std::sync::Weak<RedisBackend>, mut rx: mpsc::Receiver<Add>) {
    let mut batch = Vec::with_capacity(ADD_BATCH);
    while rx.recv_many(&mut batch, ADD_BATCH).await > 0 {
        let Some(b) = backend.upgrade() else { return };
        b.add_batch(std::mem::take(&mut batch)).await;
    }
}

/// The server's version from `INFO server` when it is older than 7.0 (an unreadable one is
/// given the benefit of the doubt).
fn too_old(info: &str) -> Option<&str> {
    let version = info.lines().find_map(|l| l.strip_prefix("redis_version:"))?.trim();
    let major: u32 = version.split('.').next()?.parse().ok()?;
    (major < 7).then_some(version)
}

/// Startup could not use Redis: says where (password redacted) and why.
fn unreachable_redis(shown: &str, e: DocketError) -> DocketError {
    let why = match e {
        DocketError::Backend(why) => why,
        other => other.to_string(),
    };
    DocketError::Backend(format!("cannot use the Redis docket at {shown}: {why}"))
}

async fn manager(client: &redis::Client, response_timeout: Option<Duration>) -> Result<ConnectionManager, DocketError> {
    let config = redis::aio::ConnectionManagerConfig::new()
        .set_response_timeout(response_timeout)
        .set_connection_timeout(Some(Duration::from_secs(5)))
        .set_number_of_retries(2)
        .set_max_delay(Duration::from_secs(2));
    client.get_connection_manager_with_config(config).await.map_err(backend_err)
}

impl RedisBackend {
    /// An owner's live task records from its expiry index: `what` is `count` or `ids`.
    async fn live_tasks<T: redis::FromRedisValue>(&self, owner: &str, what: &str) -> Result<T, DocketError> {
        let mut invocation = self.scripts.task_count.key(self.keys.tasks_expiring(owner));
        invocation.arg(now_ms()).arg(what);
        let mut conn = self.conn.clone();
        invocation.invoke_async(&mut conn).await.map_err(backend_err)
    }
}

impl Backend for RedisBackend {
    fn schedule(self: Arc<Self>, s: Schedule) -> BoxFuture<Result<Added, DocketError>> {
        Box::pin(async move {
            let now = now_ms();
            let record = Record {
                progress: false,
                state: if s.when_ms <= now { RunState::Queued } else { RunState::Scheduled },
                generation: 1,
                attempt: 1,
                created: now,
                when: s.when_ms,
                started: None,
                completed: None,
                worker: None,
                function: s.function,
                policy: serde_json::to_string(&s.policy).map_err(backend_err)?,
                args: serde_json::to_string(&s.args).map_err(backend_err)?,
                error: None,
                result: None,
            };
            let (reply, answer) = tokio::sync::oneshot::channel();
            let add =
                Add { key: s.key.clone(), record: record.encode(), when_ms: s.when_ms, replace: s.replace, reply };
            self.adds.send(add).await.map_err(|_| DocketError::Stopped)?;
            let added = answer.await.map_err(|_| DocketError::Stopped)??;
            if s.when_ms > now {
                self.next_due.fetch_min(s.when_ms, Ordering::Relaxed);
            }
            Ok(if added { Added::Scheduled(s.key) } else { Added::Exists(s.key) })
        })
    }

    fn cancel(self: Arc<Self>, key: String) -> BoxFuture<Result<bool, DocketError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let done: i64 = self
                .scripts
                .cancel
                .key(self.keys.run(&key))
                .key(self.keys.k("queue"))
                .key(self.keys.k("events"))
                .key(self.keys.k("cancel"))
                .key(self.keys.progress(&key))
                .arg(&key)
                .arg(now_ms())
                .arg(self.config.result_ttl.as_millis() as u64)
                .invoke_async(&mut conn)
                .await
                .map_err(backend_err)?;
            Ok(done == 1)
        })
    }

    fn info(self: Arc<Self>, key: String) -> BoxFuture<Result<Option<RunInfo>, DocketError>> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.get(self.keys.run(&key)).hgetall(self.keys.progress(&key));
            let (record, progress): (Option<String>, HashMap<String, String>) = self.read(&pipe).await?;
            Ok(parse_info(&key, record, &progress))
        })
    }

    fn state(self: Arc<Self>, key: String) -> BoxFuture<Result<Option<RunState>, DocketError>> {
        Box::pin(async move {
            let mut pipe = redis::pipe();
            pipe.getrange(self.keys.run(&key), 0, 63);
            let (head,): (String,) = self.read(&pipe).await?;
            Ok(record::state_of(&head))
        })
    }

    fn wait(self: Arc<Self>, key: String, timeout: Duration) -> BoxFuture<Result<Option<RunInfo>, DocketError>> {
        Box::pin(async move {
            let deadline = tokio::time::Instant::now().checked_add(timeout);
            // Subscribed before looking, so the terminal event cannot slip between.
            let mut events = self.events.subscribe();
            loop {
                let info = self.clone().info(key.clone()).await?;
                match &info {
                    None => return Ok(None),
                    Some(i) if i.state.is_terminal() => return Ok(info),
                    _ => {}
                }
                // Wake on this key's events; re-read at least every second in case an event was
                // lost (e.g. while the listener reconnected).
                let tick = tokio::time::sleep(Duration::from_secs(1));
                tokio::pin!(tick);
                loop {
                    let remaining = deadline.map(|d| d.saturating_duration_since(tokio::time::Instant::now()));
                    if remaining == Some(Duration::ZERO) {
                        return self.clone().info(key.clone()).await;
                    }
                    tokio::select! {
                        ev = events.recv() => match ev {
                            Ok((k, s)) if k == key && s.is_terminal() => break,
                            Ok(_) => continue,
                            Err(broadcast::error::RecvError::Lagged(_)) => break,
                            Err(_) => return Err(DocketError::Stopped),
                        },
                        _ = &mut tick => break,
                        _ = tokio::time::sleep(remaining.unwrap_or(Duration::from_secs(3600))) => {},
                    }
                }
            }
        })
    }

    fn take(self: Arc<Self>, worker: String, max: usize) -> BoxFuture<Result<Vec<Claimed>, DocketError>> {
        Box::pin(async move {
            self.ensure_group().await?;
            self.promote_due().await?;
            let mut deliveries = self.redeliveries(&worker, max).await?;
            if deliveries.is_empty() {
                let until_due = self.next_due.load(Ordering::Relaxed).saturating_sub(now_ms());
                let block = Duration::from_millis(until_due.clamp(10, 2_000));
                deliveries = self.read_new(&worker, max, block).await?;
            }
            self.claim(&worker, deliveries).await
        })
    }

    fn finish(self: Arc<Self>, batch: Vec<(Claimed, Outcome)>) -> BoxFuture<Result<(), DocketError>> {
        Box::pin(async move {
            let now = now_ms();
            let mut invocation = self.scripts.finish.key(self.keys.k(STREAM));
            invocation.key(self.keys.k("events")).key(self.keys.k("queue")).arg(&self.keys.prefix);
            let json = |r: &Option<Value>| r.as_ref().map(|r| r.to_string());
            let event = |key: &str, state: RunState, generation: u64| {
                serde_json::json!({ "key": key, "state": state.as_str(), "generation": generation }).to_string()
            };
            for (c, outcome) in &batch {
                let ttl = c.policy.result_ttl_ms.unwrap_or(self.config.result_ttl.as_millis() as u64).max(1);
                // The running record this worker wrote; a claim always carries it.
                let Some(mut record) = c.stored.as_deref().and_then(Record::decode) else { continue };
                let (kind, at, event) = match outcome {
                    Outcome::Done { state, result, error } => {
                        record.state = *state;
                        record.completed = Some(now);
                        record.error.clone_from(error);
                        record.result = json(result);
                        ("done", 0, event(&c.key, *state, c.generation))
                    }
                    Outcome::Again { delay_ms, attempt, result, error } => {
                        let at = if *delay_ms > 0 { now + delay_ms } else { 0 };
                        record.state = if at > 0 { RunState::Scheduled } else { RunState::Queued };
                        record.generation = c.generation + 1;
                        record.attempt = *attempt;
                        record.when = at.max(now);
                        (record.worker, record.started, record.completed) = (None, None, None);
                        record.error.clone_from(error);
                        record.result = json(result);
                        ("again", at, event(&c.key, RunState::Scheduled, record.generation))
                    }
                    Outcome::HandBack => {
                        record.state = RunState::Queued;
                        (record.worker, record.started) = (None, None);
                        ("back", 0, String::new())
                    }
                };
                invocation
                    .arg(&c.key)
                    .arg(c.generation)
                    .arg(&c.delivery)
                    .arg(kind)
                    .arg(record.encode())
                    .arg(ttl)
                    .arg(at)
                    .arg(event);
            }
            let mut conn = self.conn.clone();
            let _: i64 = invocation.invoke_async(&mut conn).await.map_err(backend_err)?;
            if batch.iter().any(|(_, o)| matches!(o, Outcome::Again { delay_ms, .. } if *delay_ms > 0)) {
                self.next_due.store(0, Ordering::Relaxed);
            }
            if let Err(e) = self.trim().await
                && !self.trim_failed.swap(true, Ordering::Relaxed)
            {
                // Once: until it works, acknowledged entries stay in the stream (memory grows).
                tracing::warn!(
                    "the docket cannot trim its stream (the Redis user needs XINFO, XPENDING and XTRIM): {e}"
                );
            }
            Ok(())
        })
    }

    fn renew(self: Arc<Self>, worker: String, deliveries: Vec<String>) -> BoxFuture<Result<(), DocketError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            for chunk in deliveries.chunks(5000) {
                let _: RValue = redis::cmd("XCLAIM")
                    .arg(self.keys.k(STREAM))
                    .arg(GROUP)
                    .arg(&worker)
                    .arg(0)
                    .arg(chunk)
                    .arg("IDLE")
                    .arg(0)
                    .arg("JUSTID")
                    .query_async(&mut conn)
                    .await
                    .map_err(backend_err)?;
            }
            Ok(())
        })
    }

    fn progress(
        self: Arc<Self>,
        key: String,
        generation: u64,
        progress: RunProgress,
    ) -> BoxFuture<Result<(), DocketError>> {
        Box::pin(async move {
            let event = serde_json::json!({
                "key": key, "state": "running", "generation": generation,
                "progress": { "current": progress.current, "total": progress.total, "message": progress.message },
            });
            let mut conn = self.conn.clone();
            let _: i64 = self
                .scripts
                .progress
                .key(self.keys.run(&key))
                .key(self.keys.progress(&key))
                .key(self.keys.k("events"))
                .arg(generation)
                .arg(progress.current)
                .arg(progress.total.map(|t| t.to_string()).unwrap_or_default())
                .arg(progress.message.unwrap_or_default())
                .arg(event.to_string())
                .invoke_async(&mut conn)
                .await
                .map_err(backend_err)?;
            Ok(())
        })
    }

    fn strike(self: Arc<Self>, restore: bool, strike: Strike) -> BoxFuture<Result<(), DocketError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let json = serde_json::to_string(&strike).map_err(backend_err)?;
            let direction = if restore { "restore" } else { "strike" };
            let _: String = conn
                .xadd(self.keys.k("strikes"), "*", &[("direction", direction), ("strike", json.as_str())])
                .await
                .map_err(backend_err)?;
            // Applied here at once; other processes follow the stream.
            self.strikes.apply(restore, strike);
            Ok(())
        })
    }

    fn cancellations(&self) -> broadcast::Receiver<String> {
        self.cancel_tx.subscribe()
    }

    fn is_distributed(&self) -> bool {
        true
    }

    fn watch(&self, key: &str) -> tokio::sync::watch::Receiver<u64> {
        self.watchers.subscribe(key)
    }

    fn task_create(
        self: Arc<Self>,
        id: String,
        owner: String,
        fields: Vec<(String, String)>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<(), DocketError>> {
        Box::pin(async move {
            let mut invocation = self.scripts.task_create.key(self.keys.task(&id));
            invocation
                .key(self.keys.tasks_of(&owner))
                .key(self.keys.tasks_expiring(&owner))
                .arg(&id)
                .arg(now_ms())
                .arg(ttl_ms.max(1))
                // The index outlives every task in it: entries older than the longest TTL go.
                .arg(ttl_ms.max(self.config.result_ttl.as_millis() as u64).max(1))
                .arg("owner")
                .arg(&owner);
            for (k, v) in &fields {
                invocation.arg(k).arg(v);
            }
            let mut conn = self.conn.clone();
            let _: i64 = invocation.invoke_async(&mut conn).await.map_err(backend_err)?;
            Ok(())
        })
    }

    fn task_get(self: Arc<Self>, id: String) -> BoxFuture<Result<Option<TaskRecord>, DocketError>> {
        Box::pin(async move {
            type Reply = (TaskFields, Option<String>, HashMap<String, String>);
            let mut pipe = redis::pipe();
            pipe.hgetall(self.keys.task(&id)).get(self.keys.run(&id)).hgetall(self.keys.progress(&id));
            let (fields, record, progress): Reply = self.read(&pipe).await?;
            if fields.is_empty() {
                return Ok(None);
            }
            Ok(Some((fields, parse_info(&id, record, &progress))))
        })
    }

    fn task_update(
        self: Arc<Self>,
        id: String,
        set: Vec<(String, String)>,
        delete: Vec<String>,
    ) -> BoxFuture<Result<bool, DocketError>> {
        Box::pin(async move {
            let mut invocation = self.scripts.task_update.key(self.keys.task(&id));
            invocation.key(self.keys.k("events")).arg(&id).arg(set.len());
            for (k, v) in &set {
                invocation.arg(k).arg(v);
            }
            for k in &delete {
                invocation.arg(k);
            }
            let mut conn = self.conn.clone();
            let done: i64 = invocation.invoke_async(&mut conn).await.map_err(backend_err)?;
            Ok(done == 1)
        })
    }

    fn task_claim(self: Arc<Self>, id: String, field: String, value: String) -> BoxFuture<Result<bool, DocketError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let done: i64 = self
                .scripts
                .task_claim
                .key(self.keys.task(&id))
                .key(self.keys.k("events"))
                .arg(&id)
                .arg(&field)
                .arg(&value)
                .invoke_async(&mut conn)
                .await
                .map_err(backend_err)?;
            Ok(done == 1)
        })
    }

    fn task_lease(self: Arc<Self>, id: String, until_ms: u64) -> BoxFuture<Result<bool, DocketError>> {
        Box::pin(async move {
            let mut conn = self.conn.clone();
            let done: i64 = self
                .scripts
                .task_lease
                .key(self.keys.task(&id))
                .arg(until_ms)
                .invoke_async(&mut conn)
                .await
                .map_err(backend_err)?;
            Ok(done == 1)
        })
    }

    fn task_count(self: Arc<Self>, owner: String) -> BoxFuture<Result<usize, DocketError>> {
        Box::pin(async move { self.live_tasks(&owner, "count").await })
    }

    fn task_live_ids(self: Arc<Self>, owner: String) -> BoxFuture<Result<Vec<String>, DocketError>> {
        Box::pin(async move { self.live_tasks(&owner, "ids").await })
    }

    fn task_ids(self: Arc<Self>, owner: String) -> BoxFuture<Result<Vec<String>, DocketError>> {
        Box::pin(async move {
            // One script, not ZRANGE and an EXISTS per id; it drops the entries of expired records.
            let mut invocation = self.scripts.task_ids.key(self.keys.tasks_of(&owner));
            invocation.arg(&self.keys.prefix);
            let mut conn = self.conn.clone();
            invocation.invoke_async(&mut conn).await.map_err(backend_err)
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn servers_older_than_7_are_refused() {
        assert_eq!(super::too_old("# Server\r\nredis_version:6.2.14\r\n"), Some("6.2.14"));
        assert_eq!(super::too_old("redis_version:7.0.15\r\n"), None);
        assert_eq!(super::too_old("redis_version:8.2.1"), None);
        assert_eq!(super::too_old("no version here"), None);
    }
}
