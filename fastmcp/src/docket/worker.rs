//! This process's worker: it claims due runs from the backend (as many as it has free
//! slots), runs them on the executor with their timeout, deadline and fairness share, stores
//! their outcomes in batches, renews its claims, and hands unfinished runs back when it stops.

use super::backend::{Backend, Claimed, Outcome};
use super::handle::{Docket, now_ms};
use super::{RunContext, RunState};
use crate::sync::lock;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

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

    /// Starts the worker of `docket` (whose executor is set): it claims runs until stopped.
    /// `name` prefixes the worker's name (`{name}-{pid}-{random}`).
    pub(super) fn start(docket: Docket, name: &str) -> Worker {
        let config = docket.config();
        let worker = Worker {
            inner: Arc::new(WorkerInner {
                name: format!("{name}-{}-{}", std::process::id(), &uuid::Uuid::new_v4().simple().to_string()[..8]),
                concurrency: config.concurrency,
                tracker: TaskTracker::new(),
                stop: CancellationToken::new(),
                running: Mutex::new(HashMap::new()),
                drain: Mutex::new(Duration::from_secs(10)),
                handle: Mutex::new(None),
                groups: Mutex::new(HashMap::new()),
                deferred: Mutex::new(HashMap::new()),
                group_share: match config.group_share {
                    0 => config.concurrency.div_ceil(2),
                    n => n,
                }
                .clamp(1, config.concurrency.max(1)),
            }),
        };
        let handle = tokio::spawn(worker.clone().run(docket));
        *lock(&worker.inner.handle) = Some(handle);
        worker
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
        // Outcomes are not dropped on a backend hiccup: retried for about half a minute. Past
        // that they are given up, and their runs delivered again once their claims lapse
        // (at-least-once), which is wasteful but loses nothing.
        let mut stored = false;
        for _ in 0..FINISH_ATTEMPTS {
            match backend.clone().finish(items.clone()).await {
                Ok(()) => {
                    stored = true;
                    break;
                }
                Err(e) => {
                    tracing::warn!("storing {} outcomes failed, retrying: {e}", items.len());
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(Duration::from_secs(2));
                }
            }
        }
        if !stored {
            tracing::error!(
                "gave up storing {} outcomes after {FINISH_ATTEMPTS} attempts; their runs will be delivered again",
                items.len()
            );
        }
    }
}

/// Attempts at storing a batch of outcomes (backing off from 50 ms to 2 s: about 35 s).
const FINISH_ATTEMPTS: usize = 20;

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
