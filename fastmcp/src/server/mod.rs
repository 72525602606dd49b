//! The server: lifecycle (start, readiness, graceful shutdown), the shared server state and its
//! broadcasts. The builder, the catalog, sessions and their dispatch each have a file.

mod builder;
mod catalog;
mod dispatch;
mod executor;
mod manifest;
mod markdown;
mod methods;
mod peer;
mod request;
mod requester;
pub mod rev2026;
mod session;
mod sources;

use builder::LifespanFn;
pub use builder::{FastMcp, Lifespan};
pub(crate) use catalog::Components;
pub use manifest::{MANIFEST_ENV, Manifest, ManifestFormat};
pub(crate) use session::Session;
use session::SessionState;
pub(crate) use sources::{ComponentSource, Owned, SourceComponents, SourceScope, WeakServer};

use crate::docket::{Docket, Worker};
use crate::outbound::Outbound;
use crate::protocol::{Implementation, Message, RequestId};
use crate::registry::{BoxFuture, Tool};
use crate::sync::{lock, read, write};
use crate::tasks::TaskSettings;
use serde_json::{Map, Value, json};
use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

type BoxError = Box<dyn std::error::Error + Send + Sync>;
type StateMap = HashMap<TypeId, Arc<dyn Any + Send + Sync>>;
type Teardown = Box<dyn FnOnce() -> BoxFuture<()> + Send>;

/// Errors of building, starting or running a server.
#[derive(Debug, thiserror::Error)]
pub enum ServerError {
    #[error("invalid server configuration: {0}")]
    /// The configuration is invalid.
    Config(String),
    #[error("lifespan setup failed: {0}")]
    /// A lifespan setup failed.
    Lifespan(String),
    #[error("the server has shut down")]
    /// It has shut down.
    Stopped,
    #[error(transparent)]
    /// An I/O error (binding a socket, ...).
    Io(#[from] std::io::Error),
}

/// Where a server is in its life.
#[derive(Debug, Clone, PartialEq)]
enum Phase {
    Created,
    Starting,
    /// Lifespan and worker are up; waiting for a transport.
    Started,
    Ready,
    Failed(String),
    /// Shutdown has begun: draining requests and the worker.
    Stopping,
    Stopped,
}

pub(crate) struct ServerInner {
    pub info: Implementation,
    instructions: Option<String>,
    page_size: usize,
    pub(crate) shutdown_timeout: Duration,
    pub(crate) request_timeout: Duration,
    docket_config: Option<crate::docket::DocketConfig>,
    tasks: TaskSettings,
    max_concurrent_requests: usize,
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub local_addr: OnceLock<std::net::SocketAddr>,
    /// Shared with the component executor, which reads it on every docket add and run.
    pub components: Arc<RwLock<Components>>,
    pub(crate) states: RwLock<StateMap>,
    lifespans: Vec<LifespanFn>,
    /// Components known only at run time, attached by `start` and detached by `shutdown`.
    sources: Vec<(SourceScope, Arc<dyn ComponentSource>)>,
    teardowns: Mutex<Vec<Teardown>>,
    sessions: Mutex<HashMap<String, Weak<Session>>>,
    phase: watch::Sender<Phase>,
    start_lock: tokio::sync::Mutex<()>,
    pub tracker: TaskTracker,
    pub shutdown: CancellationToken,
    /// Cancelled when the shutdown drain runs out: requests still running are answered with
    /// an error.
    pub abort: CancellationToken,
    docket: OnceLock<Docket>,
    worker: OnceLock<Worker>,
    /// Runs this server's components on its worker (the docket holds it weakly).
    executor: OnceLock<Arc<executor::ComponentExecutor>>,
    session_counter: AtomicU64,
    /// Open `subscriptions/listen` streams (2026-07-28).
    listeners: Mutex<HashMap<u64, Listener>>,
    listener_counter: AtomicU64,
    /// Authenticates `requestState` (2026-07-28 multi round-trip input). Made on first use:
    /// drawing a random key and preparing the HMAC is start-up work most sessions never need.
    state_key: OnceLock<crate::server::rev2026::StateKey>,
}

/// One `subscriptions/listen` stream and what it asked for.
pub(crate) struct Listener {
    pub id: RequestId,
    pub out: Outbound,
    pub tools: bool,
    pub prompts: bool,
    pub resources: bool,
    pub uris: HashSet<String>,
    pub tasks: Vec<String>,
}

/// Removes a listener when its stream ends.
pub(crate) struct ListenerGuard {
    server: Weak<ServerInner>,
    key: u64,
}

impl Drop for ListenerGuard {
    fn drop(&mut self) {
        if let Some(server) = self.server.upgrade() {
            lock(&server.listeners).remove(&self.key);
        }
    }
}

impl ServerInner {
    /// Started and not yet stopped (draining counts as serving).
    pub(crate) fn is_serving(&self) -> bool {
        matches!(*self.phase.borrow(), Phase::Starting | Phase::Started | Phase::Ready | Phase::Stopping)
    }
    pub fn docket(&self) -> Option<Docket> {
        self.docket.get().cloned()
    }
    pub fn worker(&self) -> Option<Worker> {
        self.worker.get().cloned()
    }
    pub fn task_settings(&self) -> &TaskSettings {
        &self.tasks
    }
    pub(crate) fn state_key(&self) -> &crate::server::rev2026::StateKey {
        self.state_key.get_or_init(crate::server::rev2026::StateKey::from_env)
    }
    pub(crate) fn add_listener(self: &Arc<Self>, listener: Listener) -> ListenerGuard {
        let key = self.listener_counter.fetch_add(1, Ordering::Relaxed);
        lock(&self.listeners).insert(key, listener);
        ListenerGuard { server: Arc::downgrade(self), key }
    }
    /// A live session of this process by id.
    pub fn session(&self, id: &str) -> Option<Arc<Session>> {
        lock(&self.sessions).get(id).and_then(Weak::upgrade)
    }
    fn sessions(&self) -> Vec<Arc<Session>> {
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| s.strong_count() > 0);
        sessions.values().filter_map(Weak::upgrade).collect()
    }
}

/// A built server. Cheap to clone; all clones are the same server.
#[derive(Clone)]
pub struct Server {
    pub(crate) inner: Arc<ServerInner>,
}

impl Server {
    pub(crate) fn from_inner(inner: Arc<ServerInner>) -> Self {
        Server { inner }
    }

    /// The server's name.
    pub fn name(&self) -> &str {
        &self.inner.info.name
    }

    /// Runs only the task worker (no transport): joins the docket named by the configuration
    /// and executes any registered component until `shutdown()` or Ctrl-C / SIGTERM, then stops
    /// gracefully (running runs finish or are handed back). Needs a shared backend
    /// (`redis://`): several worker processes then share the load.
    pub async fn run_worker(&self) -> Result<(), ServerError> {
        self.start().await?;
        let docket = self.inner.docket().ok_or(ServerError::Stopped)?;
        if let Err(e) = docket.check_distributed_backend("a worker-only process") {
            self.shutdown().await;
            return Err(ServerError::Config(e.to_string()));
        }
        self.mark_transport_ready();
        tracing::info!(
            worker = self.inner.worker().map(|w| w.name().to_owned()),
            url = docket.display_url(),
            "worker running"
        );
        tokio::select! {
            _ = crate::signal::wait_for_signal() => {},
            _ = self.inner.shutdown.cancelled() => {},
        }
        self.shutdown().await;
        Ok(())
    }

    /// The docket of the running server (after `start`).
    pub fn docket(&self) -> Option<Docket> {
        self.inner.docket()
    }

    /// The task worker of the running server (after `start`).
    pub fn worker(&self) -> Option<Worker> {
        self.inner.worker()
    }

    /// Enters the lifespans (once) and starts the task worker. Transports call this; calling it
    /// again while started is a no-op.
    pub async fn start(&self) -> Result<(), ServerError> {
        let _guard = self.inner.start_lock.lock().await;
        match &*self.inner.phase.borrow() {
            Phase::Started | Phase::Ready => return Ok(()),
            Phase::Stopping | Phase::Stopped => return Err(ServerError::Stopped),
            Phase::Failed(e) => return Err(ServerError::Lifespan(e.clone())),
            Phase::Created | Phase::Starting => {}
        }
        self.inner.phase.send_replace(Phase::Starting);
        for setup in &self.inner.lifespans {
            match setup().await {
                Ok(lifespan) => {
                    write(&self.inner.states).extend(lifespan.states);
                    if let Some(t) = lifespan.teardown {
                        lock(&self.inner.teardowns).push(t);
                    }
                }
                Err(e) => {
                    let msg = e.to_string();
                    self.inner.phase.send_replace(Phase::Failed(msg.clone()));
                    self.run_teardowns().await;
                    return Err(ServerError::Lifespan(msg));
                }
            }
        }
        let missing = read(&self.inner.components).check_states(&read(&self.inner.states), true);
        if let Err(e) = missing {
            self.inner.phase.send_replace(Phase::Failed(e.to_string()));
            self.run_teardowns().await;
            return Err(e);
        }
        for (scope, source) in &self.inner.sources {
            if let Err(e) = source.clone().attach(self.downgrade(), scope.clone()).await {
                let msg = e.to_string();
                self.inner.phase.send_replace(Phase::Failed(msg.clone()));
                self.detach_sources().await;
                self.run_teardowns().await;
                return Err(ServerError::Lifespan(msg));
            }
        }
        let config = self.inner.docket_config.clone().unwrap_or_else(crate::docket::DocketConfig::from_env);
        let docket = match Docket::open(config).await {
            Ok(d) => d,
            Err(e) => {
                let e = ServerError::Config(e.to_string());
                self.inner.phase.send_replace(Phase::Failed(e.to_string()));
                self.detach_sources().await;
                self.run_teardowns().await;
                return Err(e);
            }
        };
        let executor = self
            .inner
            .executor
            .get_or_init(|| {
                Arc::new(executor::ComponentExecutor {
                    server: Arc::downgrade(&self.inner),
                    components: self.inner.components.clone(),
                })
            })
            .clone();
        let worker = docket.start_worker(self.name(), executor);
        let _ = self.inner.docket.set(docket);
        let _ = self.inner.worker.set(worker);
        self.inner.phase.send_replace(Phase::Started);
        Ok(())
    }

    /// Called by a transport once it accepts traffic.
    pub(crate) fn mark_transport_ready(&self) {
        self.inner.phase.send_if_modified(|p| {
            if *p == Phase::Started {
                *p = Phase::Ready;
                true
            } else {
                false
            }
        });
    }

    /// Resolves once lifespan, task worker and transport are all up; fails if startup failed or
    /// the server stopped first.
    pub async fn wait_until_ready(&self) -> Result<(), ServerError> {
        let mut rx = self.inner.phase.subscribe();
        let phase = rx
            .wait_for(|p| matches!(p, Phase::Ready | Phase::Failed(_) | Phase::Stopping | Phase::Stopped))
            .await
            .map_err(|_| ServerError::Stopped)?
            .clone();
        match phase {
            Phase::Ready => Ok(()),
            Phase::Failed(e) => Err(ServerError::Lifespan(e)),
            _ => Err(ServerError::Stopped),
        }
    }

    /// A token cancelled when shutdown begins; transports stop accepting on it.
    pub fn shutdown_token(&self) -> CancellationToken {
        self.inner.shutdown.clone()
    }

    /// Graceful shutdown: stop accepting (the shutdown token), let requests in flight finish
    /// and the task worker drain, both within `shutdown_timeout`; then answer the requests still
    /// running with an error and hand the worker's unfinished runs back to the docket; run the
    /// lifespan teardowns. Every caller returns once all of that is done.
    pub async fn shutdown(&self) {
        {
            let _guard = self.inner.start_lock.lock().await;
            let phase = self.inner.phase.borrow().clone();
            match phase {
                Phase::Stopped => return,
                Phase::Stopping => {
                    drop(_guard);
                    let mut rx = self.inner.phase.subscribe();
                    let _ = rx.wait_for(|p| *p == Phase::Stopped).await;
                    return;
                }
                _ => {}
            }
            self.inner.phase.send_replace(Phase::Stopping);
        }
        self.inner.shutdown.cancel();
        self.inner.tracker.close();
        let timeout = self.inner.shutdown_timeout;
        let requests = async {
            if tokio::time::timeout(timeout, self.inner.tracker.wait()).await.is_err() {
                tracing::warn!("shutdown: requests still running after {timeout:?} are answered with an error");
                self.inner.abort.cancel();
                let _ = tokio::time::timeout(Duration::from_secs(1), self.inner.tracker.wait()).await;
            }
        };
        let worker = async {
            if let Some(worker) = self.inner.worker.get() {
                worker.stop(timeout).await;
            }
        };
        tokio::join!(requests, worker);
        self.inner.abort.cancel();
        for session in self.inner.sessions() {
            session.cancel_all();
        }
        self.detach_sources().await;
        self.run_teardowns().await;
        self.inner.phase.send_replace(Phase::Stopped);
    }

    async fn detach_sources(&self) {
        for (_, source) in &self.inner.sources {
            source.detach().await;
        }
    }

    async fn run_teardowns(&self) {
        let teardowns: Vec<_> = std::mem::take(&mut *lock(&self.inner.teardowns));
        for t in teardowns.into_iter().rev() {
            t().await;
        }
    }

    /// Opens a session whose unsolicited notifications (list changes, resource updates) go to
    /// `notify`. Transports call this once per connection.
    pub(crate) fn new_session(&self, id: Option<String>, notify: Option<Outbound>) -> Arc<Session> {
        let session = self.make_session(id, notify, true);
        lock(&self.inner.sessions).insert(session.id().to_owned(), Arc::downgrade(&session));
        session
    }

    /// A session nobody else finds: not in the server's list (no lookups by id, no
    /// broadcasts, no count, no cancel at shutdown beyond its requests' own). For sessions
    /// that live for one request only, which the transport serves in its own handler: that
    /// request ends (and is cancelled) with the handler, so it is not kept by id either.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn unlisted_session(&self) -> Arc<Session> {
        self.make_session(None, None, false)
    }

    fn make_session(&self, id: Option<String>, notify: Option<Outbound>, tracked: bool) -> Arc<Session> {
        let id = match id {
            Some(id) => session::SessionId { text: id.into(), number: 0 },
            None => session::SessionId {
                text: std::sync::OnceLock::new(),
                number: self.inner.session_counter.fetch_add(1, Ordering::Relaxed),
            },
        };
        Arc::new(Session {
            id,
            server: self.inner.clone(),
            state: Mutex::new(SessionState::default()),
            subscriptions: Mutex::new(HashSet::new()),
            pending: Mutex::new(HashMap::new()),
            running: Mutex::new(HashMap::new()),
            tracked,
            next_id: AtomicI64::new(0),
            notify: Mutex::new(notify),
            principal: Mutex::new(None),
            ephemeral: false.into(),
            notify_live: Mutex::new(None),
            peer: Mutex::new(None),
        })
    }

    pub(crate) fn remove_session(&self, id: &str) {
        if let Some(s) = lock(&self.inner.sessions).remove(id).and_then(|w| w.upgrade()) {
            s.cancel_all();
        }
    }

    async fn broadcast(&self, method: &str, params: Option<Value>, filter: impl Fn(&Session) -> bool) {
        for session in self.inner.sessions() {
            if session.is_initialized() && filter(&session) {
                session.notify(Message::notification(method, params.clone())).await;
            }
        }
        // 2026-07-28 listen streams get what they asked for, tagged with their subscription.
        let uri = params.as_ref().and_then(|p| p.get("uri")).and_then(Value::as_str).map(str::to_owned);
        let targets: Vec<(RequestId, Outbound)> = lock(&self.inner.listeners)
            .values()
            .filter(|l| match method {
                "notifications/tools/list_changed" => l.tools,
                "notifications/prompts/list_changed" => l.prompts,
                "notifications/resources/list_changed" => l.resources,
                "notifications/resources/updated" => uri.as_ref().is_some_and(|u| l.uris.contains(u)),
                _ => false,
            })
            .map(|l| (l.id.clone(), l.out.clone()))
            .collect();
        for (id, out) in targets {
            let mut p = params.clone().unwrap_or_else(|| json!({}));
            p["_meta"] = json!({ crate::server::rev2026::META_SUBSCRIPTION: id });
            out.send(Message::notification(method, Some(p))).await;
        }
    }

    /// Sends `notifications/resources/updated` to every session subscribed to `uri`.
    pub async fn notify_resource_updated(&self, uri: &str) {
        let params = json!({ "uri": uri });
        self.broadcast("notifications/resources/updated", Some(params), |s| s.is_subscribed(uri)).await
    }

    /// Adds (or replaces) a tool at run time and tells clients the list changed.
    pub async fn add_tool(&self, tool: Tool) {
        write(&self.inner.components).tools.insert(tool.name.clone(), Arc::new(tool));
        self.broadcast("notifications/tools/list_changed", None, |_| true).await
    }

    /// Removes a tool at run time and tells clients the list changed. Returns whether it existed.
    pub async fn remove_tool(&self, name: &str) -> bool {
        let removed = write(&self.inner.components).tools.shift_remove(name).is_some();
        if removed {
            self.broadcast("notifications/tools/list_changed", None, |_| true).await
        }
        removed
    }

    /// Removes a prompt at run time and tells clients the list changed.
    pub async fn remove_prompt(&self, name: &str) -> bool {
        let removed = write(&self.inner.components).prompts.shift_remove(name).is_some();
        if removed {
            self.broadcast("notifications/prompts/list_changed", None, |_| true).await
        }
        removed
    }

    /// Removes a resource or template (by URI or URI template) and tells clients the list changed.
    pub async fn remove_resource(&self, uri: &str) -> bool {
        let removed = {
            let mut c = write(&self.inner.components);
            c.resources.shift_remove(uri).is_some() || c.templates.shift_remove(uri).is_some()
        };
        if removed {
            self.broadcast("notifications/resources/list_changed", None, |_| true).await
        }
        removed
    }

    /// Tells clients a list changed (`"tools"`, `"prompts"` or `"resources"`), e.g. after
    /// changing what a component returns in its listing.
    pub async fn notify_list_changed(&self, list: &str) {
        self.broadcast(&format!("notifications/{list}/list_changed"), None, |_| true).await
    }

    /// How many sessions are open now, on every transport.
    pub fn session_count(&self) -> usize {
        self.inner.sessions().len()
    }

    /// Names of the tools served now.
    pub fn tool_names(&self) -> Vec<String> {
        read(&self.inner.components).tools.keys().cloned().collect()
    }

    /// The capabilities announced at `initialize`, derived from what is registered.
    pub fn capabilities(&self) -> Value {
        let c = read(&self.inner.components);
        let mut caps = Map::new();
        caps.insert("logging".into(), json!({}));
        if !c.tools.is_empty() {
            caps.insert("tools".into(), json!({ "listChanged": true }));
        }
        if !c.prompts.is_empty() {
            caps.insert("prompts".into(), json!({ "listChanged": true }));
        }
        if !c.resources.is_empty() || !c.templates.is_empty() {
            caps.insert("resources".into(), json!({ "subscribe": true, "listChanged": true }));
        }
        if !c.prompts.is_empty() || !c.templates.is_empty() {
            caps.insert("completions".into(), json!({}));
        }
        if self.inner.tasks.enabled {
            caps.insert(
                "tasks".into(),
                json!({
                    "list": {},
                    "cancel": {},
                    "requests": { "tools": { "call": {} }, "prompts": { "get": {} }, "resources": { "read": {} } },
                }),
            );
        }
        Value::Object(caps)
    }
}
