//! The server: the `FastMcp` builder, lifespan and readiness, sessions and method dispatch.

mod executor;
mod peer;
mod requester;
pub mod rev2026;

use crate::docket::{Docket, Worker};
use crate::extract::{Call, Context, RequestCtx};
use crate::outbound::Outbound;
use crate::protocol::{
    ErrorObject, Implementation, LATEST_PROTOCOL_VERSION, LoggingLevel, Message, Request, RequestId, Response,
    SUPPORTED_PROTOCOL_VERSIONS, decode_cursor, encode_cursor, parse_params,
};
use crate::registry::{self, BoxFuture, Prompt, Resource, Tool};
use crate::sync::{lock, read, write};
use crate::tasks::{self, Kind, TaskParams, TaskSettings};
use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::any::{Any, TypeId};
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock, Weak};
use std::time::Duration;
use tokio::sync::{oneshot, watch};
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

/// What a lifespan hands to the server: state for handlers, and what to do at shutdown.
#[derive(Default)]
pub struct Lifespan {
    states: StateMap,
    teardown: Option<Teardown>,
}

impl Lifespan {
    /// A new builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// State that handlers receive as `State<T>` (or `ctx.state::<T>()`).
    pub fn with_state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// Runs once at shutdown, after in-flight requests finished or the wait ran out.
    pub fn on_shutdown<F, Fut>(mut self, teardown: F) -> Self
    where
        F: FnOnce() -> Fut + Send + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.teardown = Some(Box::new(move || Box::pin(teardown())));
        self
    }
}

type LifespanFn = Arc<dyn Fn() -> BoxFuture<Result<Lifespan, BoxError>> + Send + Sync>;

enum Pending {
    Tool(TypeId, &'static str),
    Prompt(TypeId, &'static str),
    Resource(TypeId, &'static str),
    DynTool(Tool),
}

/// Builds a server. With no component named explicitly, the server serves every component
/// registered by the macros in this binary; naming any with `.tool()`, `.prompt()`,
/// `.resource()` (or the `tools![]` forms) serves exactly those instead.
pub struct FastMcp {
    name: String,
    version: String,
    title: Option<String>,
    instructions: Option<String>,
    pending: Vec<Pending>,
    registered: bool,
    mounts: Vec<(String, FastMcp)>,
    states: StateMap,
    lifespans: Vec<LifespanFn>,
    include_tags: Vec<String>,
    exclude_tags: Vec<String>,
    page_size: usize,
    pub(crate) shutdown_timeout: Duration,
    request_timeout: Duration,
    docket: Option<crate::docket::DocketConfig>,
    tasks: TaskSettings,
    task_overrides: Vec<(String, registry::TaskSupport)>,
    max_concurrent_requests: usize,
}

impl FastMcp {
    /// A new builder.
    pub fn new(name: impl Into<String>) -> Self {
        FastMcp {
            name: name.into(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            title: None,
            instructions: None,
            pending: Vec::new(),
            registered: false,
            mounts: Vec::new(),
            states: StateMap::new(),
            lifespans: Vec::new(),
            include_tags: Vec::new(),
            exclude_tags: Vec::new(),
            page_size: 100,
            shutdown_timeout: Duration::from_secs(10),
            request_timeout: Duration::from_secs(300),
            docket: None,
            tasks: TaskSettings::default(),
            task_overrides: Vec::new(),
            max_concurrent_requests: 64,
        }
    }

    /// The docket (task worker) settings; by default they come from the environment
    /// (`FASTMCP_DOCKET_URL`, ... see [`DocketConfig::from_env`](crate::docket::DocketConfig::from_env)).
    pub fn docket(mut self, config: crate::docket::DocketConfig) -> Self {
        self.docket = Some(config);
        self
    }

    /// Turns MCP tasks on or off (default: on, unless `FASTMCP_ENABLE_TASKS` is `0`/`false`).
    /// Off removes the `tasks` capability and the `tasks/*` methods; task metadata on requests
    /// is then ignored and every component runs inline.
    pub fn tasks(mut self, enabled: bool) -> Self {
        self.tasks.enabled = enabled;
        self
    }

    /// Requests one session (connection) may have in flight at once (default 64); more are
    /// answered with an error instead of queueing without bound.
    pub fn max_concurrent_requests(mut self, n: usize) -> Self {
        self.max_concurrent_requests = n.max(1);
        self
    }

    /// Overrides a tool's `task` option at deployment (e.g. a tool that must run as a task
    /// here). `build` fails for an unknown tool.
    pub fn task_support(mut self, tool: impl Into<String>, support: registry::TaskSupport) -> Self {
        self.task_overrides.push((tool.into(), support));
        self
    }

    /// MCP task settings: poll interval suggested to clients, maximum TTL.
    pub fn task_settings(mut self, settings: TaskSettings) -> Self {
        self.tasks = settings;
        self
    }

    /// Runs only the task worker (no transport): see [`Server::run_worker`].
    pub async fn run_worker(self) -> Result<(), ServerError> {
        self.build()?.run_worker().await
    }

    /// The server version in `serverInfo`.
    pub fn version(mut self, version: impl Into<String>) -> Self {
        self.version = version.into();
        self
    }

    /// A display title in `serverInfo`.
    pub fn title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self
    }

    /// Instructions returned by `initialize`, telling the model how to use this server.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Serves the `#[tool]` function `f` (by its function item: `.tool(add)`).
    pub fn tool<F: 'static>(mut self, _f: F) -> Self {
        self.pending.push(Pending::Tool(TypeId::of::<F>(), std::any::type_name::<F>()));
        self
    }

    /// Serves the `#[prompt]` function `f`.
    pub fn prompt<F: 'static>(mut self, _f: F) -> Self {
        self.pending.push(Pending::Prompt(TypeId::of::<F>(), std::any::type_name::<F>()));
        self
    }

    /// Serves the `#[resource]` function `f`.
    pub fn resource<F: 'static>(mut self, _f: F) -> Self {
        self.pending.push(Pending::Resource(TypeId::of::<F>(), std::any::type_name::<F>()));
        self
    }

    /// Serves a tool built at run time (`Tool::new`).
    pub fn dynamic_tool(mut self, tool: Tool) -> Self {
        self.pending.push(Pending::DynTool(tool));
        self
    }

    /// Also serves every component the macros registered in this binary.
    pub fn all_registered(mut self) -> Self {
        self.registered = true;
        self
    }

    /// Serves the components of `server` under `prefix`: tool and prompt names become
    /// `{prefix}_{name}`, resource URIs `scheme://{prefix}/{rest}`. Its lifespan is entered once
    /// when this server starts.
    pub fn mount(mut self, prefix: impl Into<String>, server: FastMcp) -> Self {
        self.mounts.push((prefix.into(), server));
        self
    }

    /// Shared state that handlers receive as `State<T>`.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// Async setup run once per server start; its state is available to handlers and its
    /// teardown runs at shutdown.
    pub fn lifespan<F, Fut, E>(mut self, setup: F) -> Self
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Lifespan, E>> + Send + 'static,
        E: Into<BoxError> + 'static,
    {
        let setup = Arc::new(setup);
        self.lifespans.push(Arc::new(move || {
            let fut = setup();
            Box::pin(async move { fut.await.map_err(Into::into) })
        }));
        self
    }

    /// Serves only components carrying one of these tags.
    pub fn include_tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.include_tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Hides components carrying any of these tags.
    pub fn exclude_tags<I: IntoIterator<Item = S>, S: Into<String>>(mut self, tags: I) -> Self {
        self.exclude_tags.extend(tags.into_iter().map(Into::into));
        self
    }

    /// Items per page of the list methods (default 100).
    pub fn page_size(mut self, page_size: usize) -> Self {
        self.page_size = page_size.max(1);
        self
    }

    /// How long one request may run before it is cancelled and answered with an error
    /// (default 300 s; long work belongs in a task).
    pub fn request_timeout(mut self, timeout: Duration) -> Self {
        self.request_timeout = timeout;
        self
    }

    /// How long shutdown waits for in-flight requests (default 10 s).
    pub fn shutdown_timeout(mut self, timeout: Duration) -> Self {
        self.shutdown_timeout = timeout;
        self
    }

    fn keep(&self, tags: &[String]) -> bool {
        (self.include_tags.is_empty() || tags.iter().any(|t| self.include_tags.contains(t)))
            && !tags.iter().any(|t| self.exclude_tags.contains(t))
    }

    /// Resolves this builder's components (and its mounts') into `into`, with names prefixed.
    fn collect(
        self,
        prefix: Option<&str>,
        into: &mut Components,
        lifespans: &mut Vec<LifespanFn>,
        states: &mut StateMap,
    ) -> Result<(), ServerError> {
        let not_annotated = |what: &str, name: &str| {
            ServerError::Config(format!("`{name}` was passed to `.{what}()` but is not a #[{what}] function"))
        };
        let mut tools = Vec::new();
        let mut prompts = Vec::new();
        let mut resources = Vec::new();
        let use_registry = self.registered || self.pending.is_empty();
        if use_registry {
            // Linker order is arbitrary; sorted lists keep pagination stable across builds.
            tools.extend(registry::TOOLS.iter().map(Tool::from_def));
            tools.sort_by(|a, b| a.name.cmp(&b.name));
            prompts.extend(registry::PROMPTS.iter().map(Prompt::from_def));
            prompts.sort_by(|a, b| a.name.cmp(&b.name));
            resources.extend(registry::RESOURCES.iter().map(Resource::from_def));
            resources.sort_by(|a, b| a.uri.cmp(&b.uri));
        }
        for p in &self.pending {
            match p {
                Pending::Tool(id, name) => tools.push(Tool::from_def(
                    registry::find_def(&registry::TOOLS, *id, |d| (d.type_id)())
                        .ok_or_else(|| not_annotated("tool", name))?,
                )),
                Pending::Prompt(id, name) => prompts.push(Prompt::from_def(
                    registry::find_def(&registry::PROMPTS, *id, |d| (d.type_id)())
                        .ok_or_else(|| not_annotated("prompt", name))?,
                )),
                Pending::Resource(id, name) => resources.push(Resource::from_def(
                    registry::find_def(&registry::RESOURCES, *id, |d| (d.type_id)())
                        .ok_or_else(|| not_annotated("resource", name))?,
                )),
                Pending::DynTool(t) => tools.push(t.clone()),
            }
        }
        for t in tools.into_iter().filter(|t| self.keep(&t.tags)) {
            let t = match prefix {
                Some(p) => t.renamed(format!("{p}_{}", t.name)),
                None => t,
            };
            into.add_tool(t)?;
        }
        for pr in prompts.into_iter().filter(|p| self.keep(&p.tags)) {
            let pr = match prefix {
                Some(p) => pr.renamed(format!("{p}_{}", pr.name)),
                None => pr,
            };
            into.add_prompt(pr)?;
        }
        for r in resources.into_iter().filter(|r| self.keep(&r.tags)) {
            let r = match prefix {
                Some(p) => r.with_uri(prefix_uri(p, &r.uri)),
                None => r,
            };
            into.add_resource(r)?;
        }
        lifespans.extend(self.lifespans);
        for (k, v) in self.states {
            states.entry(k).or_insert(v);
        }
        for (sub_prefix, sub) in self.mounts {
            let full = match prefix {
                Some(p) => format!("{p}_{sub_prefix}"),
                None => sub_prefix,
            };
            sub.collect(Some(&full), into, lifespans, states)?;
        }
        Ok(())
    }

    /// Resolves components and checks names; duplicate names are an error here, at startup.
    pub fn build(self) -> Result<Server, ServerError> {
        let info = Implementation { name: self.name.clone(), version: self.version.clone(), title: self.title.clone() };
        let instructions = self.instructions.clone();
        let page_size = self.page_size;
        let shutdown_timeout = self.shutdown_timeout;
        let request_timeout = self.request_timeout;
        let docket_config = self.docket.clone();
        let tasks = self.tasks.clone();
        let task_overrides = self.task_overrides.clone();
        let max_concurrent_requests = self.max_concurrent_requests;
        let mut components = Components::default();
        let mut lifespans = Vec::new();
        let mut states = StateMap::new();
        self.collect(None, &mut components, &mut lifespans, &mut states)?;
        for (name, support) in task_overrides {
            let tool = components
                .tools
                .get(&name)
                .ok_or_else(|| ServerError::Config(format!("task_support: no tool named `{name}`")))?;
            let tool = Arc::new(Tool::clone(tool).with_task_support(support));
            components.tools.insert(name, tool);
        }
        let (phase, _) = watch::channel(Phase::Created);
        Ok(Server {
            inner: Arc::new(ServerInner {
                info,
                instructions,
                page_size,
                shutdown_timeout,
                request_timeout,
                docket_config,
                tasks,
                max_concurrent_requests,
                local_addr: OnceLock::new(),
                components: RwLock::new(components),
                states: RwLock::new(states),
                lifespans,
                teardowns: Mutex::new(Vec::new()),
                sessions: Mutex::new(HashMap::new()),
                phase,
                start_lock: tokio::sync::Mutex::new(()),
                tracker: TaskTracker::new(),
                shutdown: CancellationToken::new(),
                abort: CancellationToken::new(),
                docket: OnceLock::new(),
                worker: OnceLock::new(),
                executor: OnceLock::new(),
                session_counter: AtomicU64::new(0),
                listeners: Mutex::new(HashMap::new()),
                listener_counter: AtomicU64::new(0),
                state_key: crate::server::rev2026::StateKey::from_env(),
            }),
        })
    }

    /// Builds and serves over stdio until stdin closes.
    pub async fn run_stdio(self) -> Result<(), ServerError> {
        self.build()?.run_stdio().await
    }
}

fn prefix_uri(prefix: &str, uri: &str) -> String {
    match uri.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{prefix}/{rest}"),
        None => format!("{prefix}/{uri}"),
    }
}

#[derive(Default, Clone)]
pub(crate) struct Components {
    /// Shared, so a call takes a reference count rather than a copy of the tool.
    pub tools: IndexMap<String, Arc<Tool>>,
    pub prompts: IndexMap<String, Prompt>,
    /// Static resources by URI.
    pub resources: IndexMap<String, Resource>,
    /// Resource templates by URI template.
    pub templates: IndexMap<String, Resource>,
}

impl Components {
    /// The static resource with this URI, or the first template matching it with its variables.
    pub(crate) fn find_resource(&self, uri: &str) -> Option<(Resource, Map<String, Value>)> {
        if let Some(r) = self.resources.get(uri) {
            return Some((r.clone(), Map::new()));
        }
        self.templates.values().find_map(|t| {
            let vars = t.template.as_ref()?.matches(uri)?;
            Some((t.clone(), vars.into_iter().map(|(k, v)| (k, Value::String(v))).collect()))
        })
    }

    fn add_tool(&mut self, tool: Tool) -> Result<(), ServerError> {
        if self.tools.contains_key(&tool.name) {
            return Err(ServerError::Config(format!("duplicate tool name `{}`: tool names must be unique", tool.name)));
        }
        self.tools.insert(tool.name.clone(), Arc::new(tool));
        Ok(())
    }
    fn add_prompt(&mut self, prompt: Prompt) -> Result<(), ServerError> {
        if self.prompts.contains_key(&prompt.name) {
            return Err(ServerError::Config(format!(
                "duplicate prompt name `{}`: prompt names must be unique",
                prompt.name
            )));
        }
        self.prompts.insert(prompt.name.clone(), prompt);
        Ok(())
    }
    fn add_resource(&mut self, resource: Resource) -> Result<(), ServerError> {
        let map = if resource.is_template() { &mut self.templates } else { &mut self.resources };
        if map.contains_key(&resource.uri) {
            return Err(ServerError::Config(format!(
                "duplicate resource URI `{}`: resource URIs must be unique",
                resource.uri
            )));
        }
        map.insert(resource.uri.clone(), resource);
        Ok(())
    }
}

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
    pub components: RwLock<Components>,
    pub(crate) states: RwLock<StateMap>,
    lifespans: Vec<LifespanFn>,
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
    /// Authenticates `requestState` (2026-07-28 multi round-trip input).
    state_key: crate::server::rev2026::StateKey,
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
    pub fn docket(&self) -> Option<Docket> {
        self.docket.get().cloned()
    }
    pub fn worker(&self) -> Option<Worker> {
        self.worker.get().cloned()
    }
    pub fn task_settings(&self) -> &TaskSettings {
        &self.tasks
    }
    pub fn instructions(&self) -> Option<&str> {
        self.instructions.as_deref()
    }
    pub(crate) fn state_key(&self) -> &crate::server::rev2026::StateKey {
        &self.state_key
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
        let config = self.inner.docket_config.clone().unwrap_or_else(crate::docket::DocketConfig::from_env);
        let docket = match Docket::open(config).await {
            Ok(d) => d,
            Err(e) => {
                let e = ServerError::Config(e.to_string());
                self.inner.phase.send_replace(Phase::Failed(e.to_string()));
                self.run_teardowns().await;
                return Err(e);
            }
        };
        let executor = self
            .inner
            .executor
            .get_or_init(|| Arc::new(executor::ComponentExecutor { server: Arc::downgrade(&self.inner) }))
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
        self.run_teardowns().await;
        self.inner.phase.send_replace(Phase::Stopped);
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
        let id = id.unwrap_or_else(|| format!("s{}", self.inner.session_counter.fetch_add(1, Ordering::Relaxed)));
        let session = Arc::new(Session {
            id: id.clone(),
            server: self.inner.clone(),
            state: Mutex::new(SessionState::default()),
            subscriptions: Mutex::new(HashSet::new()),
            pending: Mutex::new(HashMap::new()),
            running: Mutex::new(HashMap::new()),
            next_id: AtomicI64::new(0),
            notify: Mutex::new(notify),
            principal: Mutex::new(None),
            ephemeral: false.into(),
            notify_live: Mutex::new(None),
            peer: Mutex::new(None),
        });
        lock(&self.inner.sessions).insert(id, Arc::downgrade(&session));
        session
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

#[derive(Default)]
struct SessionState {
    protocol_version: Option<String>,
    client_info: Option<Implementation>,
    client_capabilities: Value,
    initialized: bool,
    log_level: Option<LoggingLevel>,
}

/// One client connection's protocol state.
pub(crate) struct Session {
    id: String,
    server: Arc<ServerInner>,
    state: Mutex<SessionState>,
    subscriptions: Mutex<HashSet<String>>,
    pending: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, ErrorObject>>>>,
    running: Mutex<HashMap<RequestId, CancellationToken>>,
    next_id: AtomicI64,
    notify: Mutex<Option<Outbound>>,
    /// The authenticated principal of the connection (HTTP bearer auth).
    principal: Mutex<Option<String>>,
    /// Set for sessions that exist for one request only (stateless HTTP): their tasks are
    /// shared by every unauthenticated requester, found by their unguessable ids.
    ephemeral: std::sync::atomic::AtomicBool,
    /// Whether `notify` has a reader now (HTTP: a GET stream is open); none means always.
    notify_live: Mutex<Option<NotifyLive>>,
    /// The client's IP address (HTTP), which scopes anonymous requesters' task quotas.
    peer: Mutex<Option<std::net::IpAddr>>,
}

/// Owner prefix of tasks created by requesters without an identity.
pub(crate) const ANONYMOUS_OWNER: &str = "anonymous:";

type NotifyLive = Box<dyn Fn() -> bool + Send + Sync>;

#[derive(Deserialize)]
struct PagedParams {
    cursor: Option<String>,
}

impl Session {
    pub fn id(&self) -> &str {
        &self.id
    }
    pub fn protocol_version(&self) -> Option<String> {
        lock(&self.state).protocol_version.clone()
    }
    pub fn client_info(&self) -> Option<Implementation> {
        lock(&self.state).client_info.clone()
    }
    pub fn client_capabilities(&self) -> Value {
        let caps = &lock(&self.state).client_capabilities;
        if caps.is_null() { json!({}) } else { caps.clone() }
    }
    /// Messages below this level are not sent. Before `logging/setLevel`, everything is sent.
    pub fn log_level(&self) -> LoggingLevel {
        lock(&self.state).log_level.unwrap_or(LoggingLevel::Debug)
    }
    fn is_initialized(&self) -> bool {
        lock(&self.state).initialized
    }
    pub(crate) fn server(&self) -> &Arc<ServerInner> {
        &self.server
    }
    /// The authenticated principal, when the transport authenticates requests.
    pub fn principal(&self) -> Option<String> {
        lock(&self.principal).clone()
    }
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn set_principal(&self, principal: Option<String>) {
        *lock(&self.principal) = principal;
    }
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn set_ephemeral(&self) {
        self.ephemeral.store(true, Ordering::Relaxed);
    }
    /// Who owns the tasks this session creates: the principal when authenticated, else the
    /// session itself. A one-request session without a principal (stateless HTTP, 2026-07-28)
    /// has no lasting identity: its tasks are `anonymous:{peer address}`, which scopes quotas
    /// to the client's address, not to every anonymous client at once.
    pub(crate) fn owner(&self) -> String {
        match self.principal() {
            Some(p) => format!("principal:{p}"),
            None if self.is_anonymous() => match *lock(&self.peer) {
                Some(ip) => format!("{ANONYMOUS_OWNER}{ip}"),
                None => format!("{ANONYMOUS_OWNER}unknown"),
            },
            None => format!("session:{}", self.id),
        }
    }
    /// A one-request session without a principal: it can prove no identity.
    pub(crate) fn is_anonymous(&self) -> bool {
        self.ephemeral.load(Ordering::Relaxed) && lock(&self.principal).is_none()
    }
    /// Whether this requester may use a task owned by `owner`. Anonymous tasks are reachable by
    /// whoever holds their unguessable id (there is nothing else to check), but never listed.
    pub(crate) fn may_access(&self, owner: &str) -> bool {
        if self.is_anonymous() { owner.starts_with(ANONYMOUS_OWNER) } else { owner == self.owner() }
    }
    /// The client's address, when the transport knows it.
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn set_peer(&self, peer: Option<std::net::IpAddr>) {
        *lock(&self.peer) = peer;
    }
    pub(crate) async fn notify_message(&self, message: Message) {
        self.notify(message).await
    }
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn set_notify_live(&self, live: NotifyLive) {
        *lock(&self.notify_live) = Some(live);
    }
    /// The stream for unsolicited messages (the standalone stream on HTTP), when someone is
    /// reading it now: requests sent there must reach the client.
    pub(crate) fn notify_outbound(&self) -> Option<Outbound> {
        if lock(&self.notify_live).as_ref().is_some_and(|live| !live()) {
            return None;
        }
        lock(&self.notify).clone()
    }
    fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }
    async fn notify(&self, message: Message) {
        let out = lock(&self.notify).clone();
        if let Some(out) = out {
            out.send(message).await;
        }
    }

    /// Cancels every request in flight (session closed or shutdown timed out).
    pub fn cancel_all(&self) {
        for (_, token) in lock(&self.running).drain() {
            token.cancel();
        }
        lock(&self.pending).clear();
    }

    /// Handles one message from the client. Responses to requests go to `out`, as do the
    /// notifications and server-to-client requests a handler sends while serving it.
    pub fn handle(self: &Arc<Self>, message: Message, out: Outbound) {
        match message {
            Message::Request(req) => self.handle_request(req, out),
            Message::Notification(n) => self.handle_notification(&n.method, n.params),
            Message::Response(resp) => self.handle_response(resp),
        }
    }

    fn handle_notification(&self, method: &str, params: Option<Value>) {
        match method {
            "notifications/initialized" => lock(&self.state).initialized = true,
            "notifications/cancelled" => {
                let id = params
                    .as_ref()
                    .and_then(|p| p.get("requestId"))
                    .and_then(|id| serde_json::from_value::<RequestId>(id.clone()).ok());
                if let Some(id) = id
                    && let Some(token) = lock(&self.running).remove(&id)
                {
                    tracing::debug!(%id, "request cancelled by the client");
                    token.cancel();
                }
            }
            _ => tracing::trace!(method, "notification ignored"),
        }
    }

    fn handle_response(&self, resp: Response) {
        let Some(id) = resp.id else {
            tracing::warn!(error = ?resp.outcome.err(), "client sent an error without an id");
            return;
        };
        match lock(&self.pending).remove(&id) {
            Some(tx) => {
                let _ = tx.send(resp.outcome);
            }
            None => tracing::debug!(%id, "response to an unknown request ignored"),
        }
    }

    fn handle_request(self: &Arc<Self>, req: Request, out: Outbound) {
        tracing::debug!(session = %self.id, id = %req.id, method = %req.method, "request");
        let modern = crate::server::rev2026::claimed_version(req.params.as_ref()).is_some();
        // Cheap methods are answered inline; initialize must complete before anything else.
        let inline = match req.method.as_str() {
            _ if modern => None,
            "initialize" => Some(self.initialize(req.params.clone())),
            "ping" => Some(Ok(json!({}))),
            _ => None,
        };
        if let Some(outcome) = inline {
            let response = Message::Response(Response { id: Some(req.id), outcome });
            if out.try_send(response.clone()).is_err() {
                tokio::spawn(async move {
                    let _ = out.send(response).await;
                });
            }
            return;
        }
        // Not a child of the shutdown token: shutdown lets in-flight requests finish, and only
        // cancels them (cancel_all) once its wait runs out.
        let cancel = CancellationToken::new();
        {
            let mut running = lock(&self.running);
            if running.len() >= self.server.max_concurrent_requests {
                let err = ErrorObject::new(
                    -32000,
                    format!(
                        "Too many requests in flight on this connection (limit {}); retry when some have finished",
                        self.server.max_concurrent_requests
                    ),
                );
                drop(running);
                let response = Message::Response(Response::err(Some(req.id), err));
                tokio::spawn(async move { out.send(response).await });
                return;
            }
            if running.contains_key(&req.id) {
                let err = ErrorObject::invalid_request(format!(
                    "request id {} is already in use by a request in flight",
                    req.id
                ));
                drop(running);
                let response = Message::Response(Response::err(Some(req.id), err));
                tokio::spawn(async move { out.send(response).await });
                return;
            }
            running.insert(req.id.clone(), cancel.clone());
        }
        let session = self.clone();
        // A listen stream lasts as long as the client keeps it.
        let timeout = if req.method == "subscriptions/listen" { Duration::MAX } else { self.server.request_timeout };
        self.server.tracker.spawn(async move {
            let id = req.id.clone();
            let method = req.method.clone();
            let work = async {
                if modern {
                    let Request { id, method, params } = req;
                    session.clone().dispatch_modern(id, method, params, out.clone(), cancel.clone()).await
                } else {
                    session.clone().dispatch(req, out.clone(), cancel.clone()).await
                }
            };
            // Handlers are isolated where they are called; this catches a panic anywhere else
            // on the request's path, so the id is always answered and its slot freed.
            let work = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(work));
            let work = tokio::time::timeout(timeout, work);
            let outcome = tokio::select! {
                // Biased: at the drain deadline the sessions are also cancelled, and a request
                // cut off by shutdown must still get an answer, never silence.
                biased;
                _ = session.server.abort.cancelled() => Some(Err(ErrorObject::new(
                    -32000,
                    format!("The server is shutting down and `{method}` did not finish in time; retry on a running server"),
                ))),
                _ = cancel.cancelled() => None,
                outcome = work => Some(match outcome {
                    Ok(Ok(outcome)) => outcome,
                    Ok(Err(payload)) => {
                        let panic = registry::panic_message(&*payload);
                        tracing::error!(%id, %method, panic, "request panicked");
                        Err(ErrorObject::internal(format!("Internal error while handling `{method}`")))
                    }
                    Err(_) => {
                        tracing::warn!(%id, %method, ?timeout, "request timed out");
                        Err(ErrorObject::internal(format!("request timed out after {timeout:?}")))
                    }
                }),
            };
            lock(&session.running).remove(&id);
            // A cancelled request gets no response (basic/utilities/cancellation).
            if let Some(outcome) = outcome {
                let _ = out.send(Message::Response(Response { id: Some(id), outcome })).await;
            }
        });
    }

    fn initialize(&self, params: Option<Value>) -> Result<Value, ErrorObject> {
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct InitParams {
            protocol_version: String,
            #[serde(default)]
            capabilities: Value,
            client_info: Option<Implementation>,
        }
        let p: InitParams = parse_params(params)?;
        let version = if SUPPORTED_PROTOCOL_VERSIONS.contains(&p.protocol_version.as_str()) {
            p.protocol_version
        } else {
            LATEST_PROTOCOL_VERSION.to_owned()
        };
        {
            let mut st = lock(&self.state);
            st.protocol_version = Some(version.clone());
            st.client_info = p.client_info;
            st.client_capabilities = p.capabilities;
        }
        let server = Server::from_inner(self.server.clone());
        let mut result = json!({
            "protocolVersion": version,
            "capabilities": server.capabilities(),
            "serverInfo": self.server.info,
        });
        if let Some(instructions) = &self.server.instructions {
            result["instructions"] = Value::from(instructions.clone());
        }
        Ok(result)
    }

    /// Sends a request to the client and waits for its answer.
    pub async fn request_client(
        &self,
        method: &str,
        params: Value,
        out: &Outbound,
        cancel: &CancellationToken,
    ) -> Result<Value, crate::extract::ClientRequestError> {
        use crate::extract::ClientRequestError;
        let id = RequestId::Number(self.next_id.fetch_add(1, Ordering::Relaxed));
        let (tx, rx) = oneshot::channel();
        lock(&self.pending).insert(id.clone(), tx);
        if !out.send(Message::request(id.clone(), method, Some(params))).await {
            lock(&self.pending).remove(&id);
            return Err(ClientRequestError::Closed);
        }
        tokio::select! {
            answer = rx => match answer {
                Ok(Ok(v)) => Ok(v),
                Ok(Err(e)) => Err(ClientRequestError::Client(e)),
                Err(_) => Err(ClientRequestError::Closed),
            },
            _ = cancel.cancelled() => {
                lock(&self.pending).remove(&id);
                let _ = out.try_send(Message::notification(
                    "notifications/cancelled",
                    Some(json!({ "requestId": id, "reason": "the server request was cancelled" })),
                ));
                Err(ClientRequestError::Closed)
            }
        }
    }

    fn context(
        self: &Arc<Self>,
        id: RequestId,
        params: &Option<Value>,
        out: Outbound,
        cancel: CancellationToken,
    ) -> Context {
        let meta = params.as_ref().and_then(|p| p.get("_meta")).and_then(Value::as_object).cloned();
        let progress_token = meta
            .as_ref()
            .and_then(|m| m.get("progressToken"))
            .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
            .cloned();
        Context::new(RequestCtx {
            services: self.server.clone(),
            peer: Arc::new(peer::SessionPeer { session: self.clone(), out }),
            request_id: Some(id),
            progress_token,
            meta,
            cancel,
            progress: Mutex::default(),
            run: None,
        })
    }

    async fn dispatch(
        self: Arc<Self>,
        req: Request,
        out: Outbound,
        cancel: CancellationToken,
    ) -> Result<Value, ErrorObject> {
        let Request { id, method, params } = req;
        match method.as_str() {
            "tools/list" => self.list(params, |c| c.tools.values().map(|t| t.listing().clone()).collect(), "tools"),
            "prompts/list" => self.list(params, |c| c.prompts.values().map(Prompt::listing).collect(), "prompts"),
            "resources/list" => {
                self.list(params, |c| c.resources.values().map(Resource::listing).collect(), "resources")
            }
            "resources/templates/list" => {
                self.list(params, |c| c.templates.values().map(Resource::listing).collect(), "resourceTemplates")
            }
            "tools/call" => {
                #[derive(Deserialize)]
                struct P {
                    name: String,
                    #[serde(default)]
                    arguments: Option<Map<String, Value>>,
                    #[serde(default)]
                    task: Option<TaskParams>,
                }
                let ctx = self.context(id, &params, out, cancel);
                let p: P = parse_params(params)?;
                let tool = self.components().tools.get(&p.name).cloned();
                let tool = tool.ok_or_else(|| ErrorObject::invalid_params(format!("Unknown tool: {}", p.name)))?;
                let args = p.arguments.unwrap_or_default();
                if let Some(task) = self.task_mode("Tool", &p.name, tool.task, p.task)? {
                    return tasks::create(
                        &requester::requester(&self),
                        Kind::Tool,
                        p.name,
                        args,
                        task,
                        ctx.progress_token(),
                    )
                    .await;
                }
                let result = tool.call(Call::new(args, None, ctx)).await?;
                to_value(&result)
            }
            "prompts/get" => {
                #[derive(Deserialize)]
                struct P {
                    name: String,
                    #[serde(default)]
                    arguments: Option<Map<String, Value>>,
                    #[serde(default)]
                    task: Option<TaskParams>,
                }
                let ctx = self.context(id, &params, out, cancel);
                let p: P = parse_params(params)?;
                let prompt = self.components().prompts.get(&p.name).cloned();
                let prompt =
                    prompt.ok_or_else(|| ErrorObject::invalid_params(format!("Unknown prompt: {}", p.name)))?;
                let args = p.arguments.unwrap_or_default();
                for (name, _, required) in &prompt.arguments {
                    if *required && !args.contains_key(name) {
                        return Err(ErrorObject::invalid_params(format!(
                            "missing required argument `{name}` for prompt `{}`",
                            p.name
                        )));
                    }
                }
                if let Some(task) = self.task_mode("Prompt", &p.name, prompt.task, p.task)? {
                    let function = format!("prompt:{}", p.name);
                    return tasks::create(
                        &requester::requester(&self),
                        Kind::Prompt,
                        function,
                        args,
                        task,
                        ctx.progress_token(),
                    )
                    .await;
                }
                let result = prompt.call(Call::new(args, None, ctx)).await?;
                to_value(&result)
            }
            "resources/read" => {
                #[derive(Deserialize)]
                struct P {
                    uri: String,
                    #[serde(default)]
                    task: Option<TaskParams>,
                }
                let ctx = self.context(id, &params, out, cancel);
                let p: P = parse_params(params)?;
                let (resource, vars) =
                    self.find_resource(&p.uri).ok_or_else(|| ErrorObject::resource_not_found(&p.uri))?;
                if let Some(task) = self.task_mode("Resource", &p.uri, resource.task, p.task)? {
                    let (function, args) =
                        (format!("resource:{}", p.uri), Map::from_iter([("uri".into(), p.uri.into())]));
                    return tasks::create(
                        &requester::requester(&self),
                        Kind::Resource,
                        function,
                        args,
                        task,
                        ctx.progress_token(),
                    )
                    .await;
                }
                let result = resource.call(Call::new(vars, Some(p.uri), ctx)).await?;
                to_value(&result)
            }
            "resources/subscribe" | "resources/unsubscribe" => {
                #[derive(Deserialize)]
                struct P {
                    uri: String,
                }
                let p: P = parse_params(params)?;
                if method == "resources/subscribe" {
                    // Only resources that exist, and a bounded number per session.
                    if self.find_resource(&p.uri).is_none() {
                        return Err(ErrorObject::resource_not_found(&p.uri));
                    }
                    let mut subscriptions = lock(&self.subscriptions);
                    let limit = crate::server::rev2026::MAX_SUBSCRIPTIONS_PER_SESSION;
                    if subscriptions.len() >= limit && !subscriptions.contains(&p.uri) {
                        return Err(ErrorObject::new(
                            -32000,
                            format!("Too many resource subscriptions on this session (limit {limit})"),
                        ));
                    }
                    subscriptions.insert(p.uri);
                } else {
                    lock(&self.subscriptions).remove(&p.uri);
                }
                Ok(json!({}))
            }
            "logging/setLevel" => {
                #[derive(Deserialize)]
                struct P {
                    level: LoggingLevel,
                }
                let p: P = parse_params(params)?;
                lock(&self.state).log_level = Some(p.level);
                Ok(json!({}))
            }
            "completion/complete" => self.complete(params),
            "tasks/get" if self.server.tasks.enabled => tasks::get(&requester::requester(&self), params).await,
            "tasks/result" if self.server.tasks.enabled => {
                tasks::result(&requester::requester(&self), params, out, cancel).await
            }
            "tasks/list" if self.server.tasks.enabled => {
                tasks::list(&requester::requester(&self), params, self.server.page_size).await
            }
            "tasks/cancel" if self.server.tasks.enabled => tasks::cancel(&requester::requester(&self), params).await,
            _ => Err(ErrorObject::method_not_found(&method)),
        }
    }

    /// Whether a request runs as a task: `Some` to create one. Enforces `taskSupport`
    /// (-32601 for a required component called inline or a forbidden one called as a task).
    /// With tasks off, task metadata is ignored and everything runs inline.
    fn task_mode(
        &self,
        what: &str,
        name: &str,
        support: registry::TaskSupport,
        task: Option<TaskParams>,
    ) -> Result<Option<TaskParams>, ErrorObject> {
        use crate::protocol::METHOD_NOT_FOUND;
        use registry::TaskSupport;
        if !self.server.tasks.enabled {
            return Ok(None);
        }
        match (support, task) {
            (TaskSupport::Forbidden, Some(_)) => Err(ErrorObject::new(
                METHOD_NOT_FOUND,
                format!("{what} {name} does not support task-augmented execution (taskSupport: 'forbidden')"),
            )),
            (TaskSupport::Required, None) => Err(ErrorObject::new(
                METHOD_NOT_FOUND,
                format!("{what} {name} requires task augmentation (taskSupport: 'required')"),
            )),
            (_, task) => Ok(task),
        }
    }

    pub(crate) fn tool(&self, name: &str) -> Option<Arc<Tool>> {
        self.components().tools.get(name).cloned()
    }
    pub(crate) fn prompt(&self, name: &str) -> Option<Prompt> {
        self.components().prompts.get(name).cloned()
    }
    pub(crate) fn resource(&self, uri: &str) -> Option<(Resource, Map<String, Value>)> {
        self.find_resource(uri)
    }
    /// One of the list methods.
    pub(crate) fn list_method(&self, method: &str, params: Option<Value>) -> Result<Value, ErrorObject> {
        match method {
            "tools/list" => self.list(params, |c| c.tools.values().map(|t| t.listing().clone()).collect(), "tools"),
            "prompts/list" => self.list(params, |c| c.prompts.values().map(Prompt::listing).collect(), "prompts"),
            "resources/list" => {
                self.list(params, |c| c.resources.values().map(Resource::listing).collect(), "resources")
            }
            _ => self.list(params, |c| c.templates.values().map(Resource::listing).collect(), "resourceTemplates"),
        }
    }
    pub(crate) fn complete_method(&self, params: Option<Value>) -> Result<Value, ErrorObject> {
        self.complete(params)
    }

    fn components(&self) -> std::sync::RwLockReadGuard<'_, Components> {
        read(&self.server.components)
    }

    fn find_resource(&self, uri: &str) -> Option<(Resource, Map<String, Value>)> {
        self.components().find_resource(uri)
    }

    fn list(
        &self,
        params: Option<Value>,
        items: impl Fn(&Components) -> Vec<Value>,
        key: &str,
    ) -> Result<Value, ErrorObject> {
        let p: PagedParams = match params {
            Some(p) => parse_params(Some(p))?,
            None => PagedParams { cursor: None },
        };
        let start = match &p.cursor {
            None => 0,
            Some(c) => decode_cursor(c).ok_or_else(|| ErrorObject::invalid_params(format!("invalid cursor {c:?}")))?,
        };
        let all = items(&self.components());
        if start > all.len() {
            return Err(ErrorObject::invalid_params("cursor is past the end of the list"));
        }
        let end = (start + self.server.page_size).min(all.len());
        let mut result = Map::new();
        result.insert(key.into(), Value::Array(all[start..end].to_vec()));
        if end < all.len() {
            result.insert("nextCursor".into(), Value::from(encode_cursor(end)));
        }
        Ok(Value::Object(result))
    }

    fn complete(&self, params: Option<Value>) -> Result<Value, ErrorObject> {
        #[derive(Deserialize)]
        struct Ref {
            #[serde(rename = "type")]
            kind: String,
            name: Option<String>,
            uri: Option<String>,
        }
        #[derive(Deserialize)]
        struct Arg {
            name: String,
            value: String,
        }
        #[derive(Deserialize)]
        struct P {
            #[serde(rename = "ref")]
            reference: Ref,
            argument: Arg,
        }
        let p: P = parse_params(params)?;
        let c = self.components();
        let hooks = match p.reference.kind.as_str() {
            "ref/prompt" => {
                let name = p.reference.name.unwrap_or_default();
                let prompt = c
                    .prompts
                    .get(&name)
                    .ok_or_else(|| ErrorObject::invalid_params(format!("Unknown prompt: {name}")))?;
                if !prompt.arguments.iter().any(|(n, _, _)| *n == p.argument.name) {
                    return Err(ErrorObject::invalid_params(format!(
                        "prompt `{name}` has no argument `{}`",
                        p.argument.name
                    )));
                }
                &prompt.completions
            }
            "ref/resource" => {
                let uri = p.reference.uri.unwrap_or_default();
                let r = c.templates.get(&uri).or_else(|| c.resources.get(&uri));
                &r.ok_or_else(|| ErrorObject::invalid_params(format!("Unknown resource: {uri}")))?.completions
            }
            other => {
                return Err(ErrorObject::invalid_params(format!("unknown reference type {other:?}")));
            }
        };
        let mut values =
            hooks.iter().find(|(n, _)| *n == p.argument.name).map(|(_, f)| f(&p.argument.value)).unwrap_or_default();
        let total = values.len();
        values.truncate(100);
        Ok(json!({ "completion": { "values": values, "total": total, "hasMore": total > 100 } }))
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ErrorObject> {
    serde_json::to_value(v).map_err(|e| ErrorObject::internal(format!("result could not be serialized: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        assert_eq!(decode_cursor(&encode_cursor(42)), Some(42));
        assert_eq!(decode_cursor("nope"), None);
        assert_eq!(decode_cursor(""), None);
    }

    #[test]
    fn mounted_uris_gain_the_prefix_after_the_scheme() {
        assert_eq!(prefix_uri("sub", "test://static-text"), "test://sub/static-text");
        assert_eq!(prefix_uri("sub", "plain"), "sub/plain");
    }
}
