//! `memory://`: the embedded backend. One process, no polling: the worker waits on a `Notify`
//! or until the next scheduled run is due, so an idle server never wakes up.

use super::{
    Added, Backend, Claimed, DocketConfig, DocketError, Outcome, RunInfo, RunProgress, RunState, Schedule, Strike,
    StrikeList, TaskFields, TaskRecord, Watchers, now_ms,
};
use crate::sync::BoxFuture;
use crate::sync::lock;
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Notify, broadcast, watch};

struct MemRun {
    info: RunInfo,
    args: serde_json::Map<String, serde_json::Value>,
    policy: super::Policy,
    /// Made when someone first waits on the run.
    state_tx: Option<watch::Sender<RunState>>,
    expires_ms: Option<u64>,
}

impl MemRun {
    fn set_state(&mut self, state: RunState) {
        self.info.state = state;
        if let Some(tx) = &self.state_tx {
            tx.send_replace(state);
        }
    }
}

#[derive(Default)]
struct MemState {
    runs: HashMap<String, MemRun>,
    /// Due runs, in order: (key, generation).
    ready: VecDeque<(String, u64)>,
    /// Scheduled runs: (due ms, sequence, key, generation).
    scheduled: BTreeSet<(u64, u64, String, u64)>,
    /// Terminal runs by expiry: (expires ms, key).
    expiries: BTreeSet<(u64, String)>,
    seq: u64,
}

impl MemState {
    fn purge_expired(&mut self, now: u64) {
        while let Some((at, key)) = self.expiries.first().cloned() {
            if at > now {
                break;
            }
            self.expiries.pop_first();
            if self.runs.get(&key).is_some_and(|r| r.expires_ms == Some(at)) {
                self.runs.remove(&key);
            }
        }
    }

    fn promote_due(&mut self, now: u64) {
        while let Some(first) = self.scheduled.first() {
            if first.0 > now {
                break;
            }
            let (_, _, key, generation) = self.scheduled.pop_first().expect("checked");
            if let Some(run) = self.runs.get_mut(&key)
                && run.info.generation == generation
                && run.info.state == RunState::Scheduled
            {
                run.set_state(RunState::Queued);
                self.ready.push_back((key, generation));
            }
        }
    }

    fn end(&mut self, key: &str, state: RunState, ttl: Duration) {
        let now = now_ms();
        if let Some(run) = self.runs.get_mut(key) {
            run.info.state = state;
            run.info.completed_ms = Some(now);
            let at = now + ttl.as_millis() as u64;
            run.expires_ms = Some(at);
            run.set_state(state);
            self.expiries.insert((at, key.to_owned()));
        }
    }
}

/// Task records with their expiry, and the index by owner.
#[derive(Default)]
struct MemTasks {
    records: HashMap<String, (TaskFields, u64)>,
    by_owner: HashMap<String, Vec<String>>,
    /// (expires ms, id), for prompt removal.
    expiries: BTreeSet<(u64, String)>,
}

impl MemTasks {
    fn purge_expired(&mut self, now: u64) {
        while let Some((at, id)) = self.expiries.first().cloned() {
            if at > now {
                break;
            }
            self.expiries.pop_first();
            if let Some((fields, _)) = self.records.remove(&id)
                && let Some(owner) = fields.get("owner")
                && let Some(ids) = self.by_owner.get_mut(owner)
            {
                ids.retain(|i| *i != id);
                if ids.is_empty() {
                    self.by_owner.remove(owner);
                }
            }
        }
    }
}

pub(crate) struct MemoryBackend {
    config: DocketConfig,
    state: Mutex<MemState>,
    tasks: Mutex<MemTasks>,
    watchers: Watchers,
    work: Notify,
    cancel_tx: broadcast::Sender<String>,
    strikes: Arc<StrikeList>,
}

impl MemoryBackend {
    pub fn new(config: DocketConfig, strikes: Arc<StrikeList>) -> Self {
        MemoryBackend {
            config,
            state: Mutex::default(),
            tasks: Mutex::default(),
            watchers: Watchers::default(),
            work: Notify::new(),
            cancel_tx: broadcast::channel(1024).0,
            strikes,
        }
    }

    fn schedule_now(&self, s: Schedule) -> Added {
        let now = now_ms();
        let mut st = lock(&self.state);
        st.purge_expired(now);
        let previous_generation = match st.runs.get(&s.key) {
            Some(run) if !run.info.state.is_terminal() && !s.replace => return Added::Exists(s.key),
            Some(run) => run.info.generation,
            None => 0,
        };
        let generation = previous_generation + 1;
        let due = s.when_ms <= now;
        let state = if due { RunState::Queued } else { RunState::Scheduled };
        let info = RunInfo {
            key: s.key.clone(),
            function: s.function,
            state,
            attempt: 1,
            generation,
            worker: None,
            created_ms: now,
            started_ms: None,
            completed_ms: None,
            error: None,
            result: None,
            progress: None,
        };
        // Waiters on a replaced run keep following the key.
        let state_tx = st.runs.remove(&s.key).and_then(|old| old.state_tx);
        if let Some(tx) = &state_tx {
            tx.send_replace(state);
        }
        st.runs.insert(s.key.clone(), MemRun { info, args: s.args, policy: s.policy, state_tx, expires_ms: None });
        if due {
            st.ready.push_back((s.key.clone(), generation));
        } else {
            st.seq += 1;
            let seq = st.seq;
            st.scheduled.insert((s.when_ms, seq, s.key.clone(), generation));
        }
        drop(st);
        // Wakes the worker: to take the run, or to recompute when to wake for it.
        self.work.notify_one();
        Added::Scheduled(s.key)
    }

    fn try_take(&self, worker: &str, max: usize) -> (Vec<Claimed>, Option<u64>) {
        let now = now_ms();
        let mut st = lock(&self.state);
        st.purge_expired(now);
        st.promote_due(now);
        let mut out = Vec::new();
        while out.len() < max {
            let Some((key, generation)) = st.ready.pop_front() else { break };
            let Some(run) = st.runs.get_mut(&key) else { continue };
            if run.info.generation != generation || run.info.state != RunState::Queued {
                continue;
            }
            run.set_state(RunState::Running);
            run.info.worker = Some(worker.to_owned());
            run.info.started_ms = Some(now);
            run.info.progress = Some(RunProgress::default());
            out.push(Claimed {
                key: key.clone(),
                generation,
                function: run.info.function.clone(),
                args: run.args.clone(),
                attempt: run.info.attempt,
                policy: run.policy.clone(),
                delivery: key,
                stored: None,
            });
        }
        let next_due = st.scheduled.first().map(|s| s.0);
        (out, next_due)
    }
}

impl Backend for MemoryBackend {
    fn schedule(self: Arc<Self>, s: Schedule) -> BoxFuture<Result<Added, DocketError>> {
        let added = self.schedule_now(s);
        if let Added::Scheduled(key) = &added {
            self.watchers.notify(key);
        }
        Box::pin(async move { Ok(added) })
    }

    fn cancel(self: Arc<Self>, key: String) -> BoxFuture<Result<bool, DocketError>> {
        let mut st = lock(&self.state);
        let live = st.runs.get(&key).map(|r| r.info.state);
        let was_live = matches!(live, Some(s) if !s.is_terminal());
        if was_live {
            st.end(&key, RunState::Cancelled, self.config.result_ttl);
        }
        drop(st);
        if was_live {
            self.watchers.notify(&key);
        }
        if live == Some(RunState::Running) {
            let _ = self.cancel_tx.send(key);
        }
        Box::pin(async move { Ok(was_live) })
    }

    fn info(self: Arc<Self>, key: String) -> BoxFuture<Result<Option<RunInfo>, DocketError>> {
        let info = lock(&self.state).runs.get(&key).map(|r| r.info.clone());
        Box::pin(async move { Ok(info) })
    }

    fn wait(self: Arc<Self>, key: String, timeout: Duration) -> BoxFuture<Result<Option<RunInfo>, DocketError>> {
        Box::pin(async move {
            let rx = lock(&self.state).runs.get_mut(&key).map(|r| match &r.state_tx {
                Some(tx) => tx.subscribe(),
                None => {
                    let (tx, rx) = watch::channel(r.info.state);
                    r.state_tx = Some(tx);
                    rx
                }
            });
            let Some(mut rx) = rx else { return Ok(None) };
            let _ = tokio::time::timeout(timeout, rx.wait_for(|s| s.is_terminal())).await;
            Ok(lock(&self.state).runs.get(&key).map(|r| r.info.clone()))
        })
    }

    fn take(self: Arc<Self>, worker: String, max: usize) -> BoxFuture<Result<Vec<Claimed>, DocketError>> {
        Box::pin(async move {
            loop {
                // Registered before looking, so a run added meanwhile is not missed.
                let notified = self.work.notified();
                tokio::pin!(notified);
                notified.as_mut().enable();
                let (out, next_due) = self.try_take(&worker, max);
                if !out.is_empty() {
                    for claimed in &out {
                        self.watchers.notify(&claimed.key);
                    }
                    return Ok(out);
                }
                match next_due {
                    Some(due) => {
                        let wait = Duration::from_millis(due.saturating_sub(now_ms()));
                        tokio::select! {
                            _ = tokio::time::sleep(wait) => {},
                            _ = &mut notified => {},
                        }
                    }
                    None => notified.await,
                }
            }
        })
    }

    fn finish(self: Arc<Self>, batch: Vec<(Claimed, Outcome)>) -> BoxFuture<Result<(), DocketError>> {
        let now = now_ms();
        let mut st = lock(&self.state);
        let mut woke = false;
        let keys: Vec<String> = batch.iter().map(|(c, _)| c.key.clone()).collect();
        for (claimed, outcome) in batch {
            let current = st.runs.get(&claimed.key).map(|r| (r.info.generation, r.info.state));
            // A newer generation (replaced) or a cancellation wins over this outcome.
            if current != Some((claimed.generation, RunState::Running)) {
                continue;
            }
            match outcome {
                Outcome::Done { state, result, error } => {
                    if let Some(run) = st.runs.get_mut(&claimed.key) {
                        run.info.result = result;
                        run.info.error = error;
                    }
                    let ttl = claimed.policy.result_ttl_ms.map_or(self.config.result_ttl, Duration::from_millis);
                    st.end(&claimed.key, state, ttl);
                }
                Outcome::Again { delay_ms, attempt, result, error } => {
                    st.seq += 1;
                    let seq = st.seq;
                    if let Some(run) = st.runs.get_mut(&claimed.key) {
                        run.info.generation += 1;
                        run.info.attempt = attempt;
                        run.info.result = result;
                        run.info.error = error;
                        run.set_state(RunState::Scheduled);
                        run.info.worker = None;
                        let generation = run.info.generation;
                        st.scheduled.insert((now + delay_ms, seq, claimed.key.clone(), generation));
                        woke = true;
                    }
                }
                Outcome::HandBack => {
                    if let Some(run) = st.runs.get_mut(&claimed.key) {
                        run.set_state(RunState::Queued);
                        run.info.worker = None;
                        st.ready.push_front((claimed.key.clone(), claimed.generation));
                        woke = true;
                    }
                }
            }
        }
        drop(st);
        for key in &keys {
            self.watchers.notify(key);
        }
        if woke {
            self.work.notify_one();
        }
        Box::pin(async { Ok(()) })
    }

    fn renew(self: Arc<Self>, _worker: String, _deliveries: Vec<String>) -> BoxFuture<Result<(), DocketError>> {
        // One process: a claim cannot outlive its worker, so there is nothing to renew.
        Box::pin(async { Ok(()) })
    }

    fn progress(
        self: Arc<Self>,
        key: String,
        generation: u64,
        progress: RunProgress,
    ) -> BoxFuture<Result<(), DocketError>> {
        let stored = match lock(&self.state).runs.get_mut(&key) {
            Some(run) if run.info.generation == generation => {
                run.info.progress = Some(progress);
                true
            }
            _ => false,
        };
        if stored {
            self.watchers.notify(&key);
        }
        Box::pin(async { Ok(()) })
    }

    fn strike(self: Arc<Self>, restore: bool, strike: Strike) -> BoxFuture<Result<(), DocketError>> {
        self.strikes.apply(restore, strike);
        Box::pin(async { Ok(()) })
    }

    fn cancellations(&self) -> broadcast::Receiver<String> {
        self.cancel_tx.subscribe()
    }

    fn is_distributed(&self) -> bool {
        false
    }

    fn watch(&self, key: &str) -> watch::Receiver<u64> {
        self.watchers.subscribe(key)
    }

    fn task_create(
        self: Arc<Self>,
        id: String,
        owner: String,
        fields: Vec<(String, String)>,
        ttl_ms: u64,
    ) -> BoxFuture<Result<(), DocketError>> {
        let now = now_ms();
        let mut tasks = lock(&self.tasks);
        tasks.purge_expired(now);
        let mut record: TaskFields = fields.into_iter().collect();
        record.insert("owner".into(), owner.clone());
        let expires = now.saturating_add(ttl_ms);
        tasks.records.insert(id.clone(), (record, expires));
        tasks.expiries.insert((expires, id.clone()));
        tasks.by_owner.entry(owner).or_default().push(id);
        Box::pin(async { Ok(()) })
    }

    fn task_get(self: Arc<Self>, id: String) -> BoxFuture<Result<Option<TaskRecord>, DocketError>> {
        let record = {
            let mut tasks = lock(&self.tasks);
            tasks.purge_expired(now_ms());
            tasks.records.get(&id).map(|(f, _)| f.clone())
        };
        let found = record.map(|fields| (fields, lock(&self.state).runs.get(&id).map(|r| r.info.clone())));
        Box::pin(async { Ok(found) })
    }

    fn task_update(
        self: Arc<Self>,
        id: String,
        set: Vec<(String, String)>,
        delete: Vec<String>,
    ) -> BoxFuture<Result<bool, DocketError>> {
        let updated = {
            let mut tasks = lock(&self.tasks);
            tasks.purge_expired(now_ms());
            match tasks.records.get_mut(&id) {
                Some((fields, _)) => {
                    for k in &delete {
                        fields.remove(k);
                    }
                    fields.extend(set);
                    true
                }
                None => false,
            }
        };
        if updated {
            self.watchers.notify(&id);
        }
        Box::pin(async move { Ok(updated) })
    }

    fn task_claim(self: Arc<Self>, id: String, field: String, value: String) -> BoxFuture<Result<bool, DocketError>> {
        let claimed = {
            let mut tasks = lock(&self.tasks);
            match tasks.records.get_mut(&id) {
                Some((fields, _)) if fields.get(&field) != Some(&value) => {
                    fields.insert(field, value);
                    true
                }
                _ => false,
            }
        };
        if claimed {
            self.watchers.notify(&id);
        }
        Box::pin(async move { Ok(claimed) })
    }

    fn task_lease(self: Arc<Self>, id: String, until_ms: u64) -> BoxFuture<Result<bool, DocketError>> {
        let renewed = match lock(&self.tasks).records.get_mut(&id) {
            Some((fields, _)) => {
                fields.insert("lease".into(), until_ms.to_string());
                true
            }
            None => false,
        };
        Box::pin(async move { Ok(renewed) })
    }

    fn task_count(self: Arc<Self>, owner: String) -> BoxFuture<Result<usize, DocketError>> {
        let n = {
            let mut tasks = lock(&self.tasks);
            tasks.purge_expired(now_ms());
            tasks.by_owner.get(&owner).map_or(0, Vec::len)
        };
        Box::pin(async move { Ok(n) })
    }

    fn task_live_ids(self: Arc<Self>, owner: String) -> BoxFuture<Result<Vec<String>, DocketError>> {
        self.task_ids(owner)
    }

    fn task_ids(self: Arc<Self>, owner: String) -> BoxFuture<Result<Vec<String>, DocketError>> {
        let ids = {
            let mut tasks = lock(&self.tasks);
            tasks.purge_expired(now_ms());
            tasks.by_owner.get(&owner).cloned().unwrap_or_default()
        };
        Box::pin(async { Ok(ids) })
    }
}
