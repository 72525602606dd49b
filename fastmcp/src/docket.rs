//! The always-on task worker ("docket"). Every server starts one with its lifespan.
//!
//! This module holds the embedded `memory://` backend: runs are kept in process, the worker
//! waits on a channel (no polling, so an idle server uses no CPU) and executes registered
//! components by name.

use crate::extract::{Call, Context, RequestCtx};
use crate::protocol::CallToolResult;
use crate::server::{Server, ServerError, ServerInner};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The environment variable naming the docket backend.
pub const DOCKET_URL_ENV: &str = "FASTMCP_DOCKET_URL";

/// Errors of the docket API.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum DocketError {
    #[error("no component named `{0}` is registered with the worker")]
    UnknownFunction(String),
    #[error("no run with key `{0}`")]
    UnknownKey(String),
    #[error("arguments must be a JSON object")]
    BadArguments,
    #[error("the docket has shut down")]
    Stopped,
}

/// Where a run is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunState {
    Scheduled,
    Queued,
    Running,
    Completed,
    Failed,
    Cancelled,
}

impl RunState {
    pub fn is_terminal(self) -> bool {
        matches!(
            self,
            RunState::Completed | RunState::Failed | RunState::Cancelled
        )
    }
}

/// Options of [`Docket::add_with`].
#[derive(Debug, Clone, Default)]
pub struct AddOptions {
    /// Runs are idempotent by key while scheduled or running.
    pub key: Option<String>,
    /// Delay before the run becomes due.
    pub delay: Option<Duration>,
}

struct Run {
    function: String,
    args: Map<String, Value>,
    state: watch::Sender<RunState>,
    result: Option<CallToolResult>,
    cancel: CancellationToken,
}

struct DocketInner {
    url: String,
    server: Weak<ServerInner>,
    runs: Mutex<HashMap<String, Run>>,
    queue: mpsc::UnboundedSender<String>,
    queue_rx: Mutex<Option<mpsc::UnboundedReceiver<String>>>,
    counter: AtomicU64,
    result_ttl: Duration,
}

/// A handle to the server's docket.
#[derive(Clone)]
pub struct Docket {
    inner: Arc<DocketInner>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl Docket {
    /// Opens the backend named by `FASTMCP_DOCKET_URL` (default `memory://`).
    pub(crate) fn from_env(server: &Server) -> Result<Docket, ServerError> {
        let url = std::env::var(DOCKET_URL_ENV).unwrap_or_else(|_| "memory://".to_owned());
        if !url.starts_with("memory://") {
            return Err(ServerError::Config(format!(
                "{DOCKET_URL_ENV}={url:?}: unsupported docket backend; this version supports memory://"
            )));
        }
        let (queue, rx) = mpsc::unbounded_channel();
        Ok(Docket {
            inner: Arc::new(DocketInner {
                url,
                server: Arc::downgrade(&server.inner),
                runs: Mutex::new(HashMap::new()),
                queue,
                queue_rx: Mutex::new(Some(rx)),
                counter: AtomicU64::new(0),
                result_ttl: Duration::from_secs(15 * 60),
            }),
        })
    }

    /// The backend URL.
    pub fn url(&self) -> &str {
        &self.inner.url
    }

    /// Queues a run of the component `function` with `args`; returns its key.
    pub fn add(&self, function: &str, args: Value) -> Result<String, DocketError> {
        self.add_with(function, args, AddOptions::default())
    }

    /// Queues a run with a key and/or a delay. Adding a key that is scheduled or running returns
    /// that run's key without queueing another.
    pub fn add_with(
        &self,
        function: &str,
        args: Value,
        options: AddOptions,
    ) -> Result<String, DocketError> {
        let Value::Object(args) = args else {
            return Err(DocketError::BadArguments);
        };
        let server = self.inner.server.upgrade().ok_or(DocketError::Stopped)?;
        if !server
            .components
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .tools
            .contains_key(function)
        {
            return Err(DocketError::UnknownFunction(function.to_owned()));
        }
        let key = options.key.unwrap_or_else(|| {
            format!(
                "run-{}-{}",
                std::process::id(),
                self.inner.counter.fetch_add(1, Ordering::Relaxed)
            )
        });
        {
            let mut runs = lock(&self.inner.runs);
            if let Some(existing) = runs.get(&key)
                && !existing.state.borrow().is_terminal()
            {
                return Ok(key);
            }
            let initial = if options.delay.is_some() {
                RunState::Scheduled
            } else {
                RunState::Queued
            };
            runs.insert(
                key.clone(),
                Run {
                    function: function.to_owned(),
                    args,
                    state: watch::channel(initial).0,
                    result: None,
                    cancel: CancellationToken::new(),
                },
            );
        }
        match options.delay {
            None => self
                .inner
                .queue
                .send(key.clone())
                .map_err(|_| DocketError::Stopped)?,
            Some(delay) => {
                let inner = self.inner.clone();
                let k = key.clone();
                tokio::spawn(async move {
                    tokio::time::sleep(delay).await;
                    let due = lock(&inner.runs).get(&k).is_some_and(|r| {
                        r.state.send_if_modified(|s| {
                            let due = *s == RunState::Scheduled;
                            if due {
                                *s = RunState::Queued;
                            }
                            due
                        })
                    });
                    if due {
                        let _ = inner.queue.send(k);
                    }
                });
            }
        }
        Ok(key)
    }

    /// The current state of a run.
    pub fn state(&self, key: &str) -> Option<RunState> {
        lock(&self.inner.runs).get(key).map(|r| *r.state.borrow())
    }

    /// Cancels a scheduled, queued or running run. Returns whether it was still live.
    pub fn cancel(&self, key: &str) -> bool {
        let runs = lock(&self.inner.runs);
        let Some(run) = runs.get(key) else {
            return false;
        };
        let live = run.state.send_if_modified(|s| {
            let live = !s.is_terminal();
            if live {
                *s = RunState::Cancelled;
            }
            live
        });
        run.cancel.cancel();
        live
    }

    /// Waits until the run is terminal and returns its result (`None` when cancelled).
    pub async fn result(&self, key: &str) -> Result<Option<CallToolResult>, DocketError> {
        let mut rx = lock(&self.inner.runs)
            .get(key)
            .map(|r| r.state.subscribe())
            .ok_or_else(|| DocketError::UnknownKey(key.to_owned()))?;
        rx.wait_for(|s| s.is_terminal())
            .await
            .map_err(|_| DocketError::Stopped)?;
        Ok(lock(&self.inner.runs)
            .get(key)
            .and_then(|r| r.result.clone()))
    }

    /// Starts the worker that executes this docket's runs.
    pub(crate) fn start_worker(&self, server: Server) -> Worker {
        let rx = lock(&self.inner.queue_rx).take();
        let worker = Worker {
            inner: Arc::new(WorkerInner {
                name: format!("{}-{}", server.name(), std::process::id()),
                concurrency: Arc::new(Semaphore::new(10)),
                tracker: TaskTracker::new(),
                stop: CancellationToken::new(),
            }),
        };
        if let Some(rx) = rx {
            tokio::spawn(worker.clone().run(self.clone(), rx));
        }
        worker
    }

    async fn execute(&self, key: String) {
        let Some(server) = self.inner.server.upgrade() else {
            return;
        };
        let (function, args, cancel) = {
            let runs = lock(&self.inner.runs);
            let Some(run) = runs.get(&key) else { return };
            let started = run.state.send_if_modified(|s| {
                let queued = *s == RunState::Queued;
                if queued {
                    *s = RunState::Running;
                }
                queued
            });
            if !started {
                return;
            }
            (run.function.clone(), run.args.clone(), run.cancel.clone())
        };
        let tool = server
            .components
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .tools
            .get(&function)
            .cloned();
        let ctx = Context::new(RequestCtx {
            server: server.clone(),
            session: None,
            request_id: None,
            progress_token: None,
            meta: None,
            out: None,
            cancel: cancel.clone(),
            progress: Mutex::default(),
        });
        let outcome = match tool {
            None => Some(CallToolResult::error(format!(
                "no component named `{function}`"
            ))),
            Some(tool) => tokio::select! {
                r = tool.call(Call::new(args, None, ctx)) => Some(r.unwrap_or_else(|e| CallToolResult::error(e.message))),
                _ = cancel.cancelled() => None,
            },
        };
        if let Some(result) = outcome {
            let mut runs = lock(&self.inner.runs);
            if let Some(run) = runs.get_mut(&key) {
                let state = if result.is_error() {
                    RunState::Failed
                } else {
                    RunState::Completed
                };
                run.result = Some(result);
                run.state.send_if_modified(|s| {
                    let live = !s.is_terminal();
                    if live {
                        *s = state;
                    }
                    live
                });
            }
        }
        // Results are kept for a while, then dropped so memory stays bounded.
        let inner = Arc::downgrade(&self.inner);
        let ttl = self.inner.result_ttl;
        tokio::spawn(async move {
            tokio::time::sleep(ttl).await;
            if let Some(inner) = inner.upgrade() {
                lock(&inner.runs).remove(&key);
            }
        });
    }
}

struct WorkerInner {
    name: String,
    concurrency: Arc<Semaphore>,
    tracker: TaskTracker,
    stop: CancellationToken,
}

/// A handle to the server's task worker.
#[derive(Clone)]
pub struct Worker {
    inner: Arc<WorkerInner>,
}

impl Worker {
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    async fn run(self, docket: Docket, mut rx: mpsc::UnboundedReceiver<String>) {
        loop {
            let key = tokio::select! {
                k = rx.recv() => match k { Some(k) => k, None => break },
                _ = self.inner.stop.cancelled() => break,
            };
            let Ok(permit) = self.inner.concurrency.clone().acquire_owned().await else {
                break;
            };
            let docket = docket.clone();
            self.inner.tracker.spawn(async move {
                docket.execute(key).await;
                drop(permit);
            });
        }
    }

    /// Stops taking new runs and waits (bounded) for the running ones.
    pub(crate) async fn stop(&self) {
        self.inner.stop.cancel();
        self.inner.tracker.close();
        let _ = tokio::time::timeout(Duration::from_secs(5), self.inner.tracker.wait()).await;
    }
}
