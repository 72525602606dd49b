//! The `FastMcp` builder: components, mounts, state, lifespans and settings, resolved by `build`.

use super::sources::{ComponentSource, SourceScope};
use super::*;
use crate::protocol::Implementation;
use crate::registry::{self, BoxFuture, Prompt, Resource, Tool};
use crate::tasks::TaskSettings;
use std::any::TypeId;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::AtomicU64;
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::Duration;
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// What a lifespan hands to the server: state for handlers, and what to do at shutdown.
#[derive(Default)]
pub struct Lifespan {
    pub(super) states: StateMap,
    pub(super) teardown: Option<Teardown>,
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

    /// State you already hold in an `Arc`, so the teardown can reach what it tears down:
    /// handlers receive it as `State<T>` (the same allocation), and a clone moves into
    /// [`on_shutdown`](Self::on_shutdown).
    ///
    /// ```ignore
    /// let db = Arc::new(Db::connect().await?);
    /// Lifespan::new().with_shared_state(db.clone()).on_shutdown(move || async move { db.close().await })
    /// ```
    pub fn with_shared_state<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.states.insert(TypeId::of::<T>(), value);
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

pub(super) type LifespanFn = Arc<dyn Fn() -> BoxFuture<Result<Lifespan, BoxError>> + Send + Sync>;

enum Pending {
    Tool(TypeId, &'static str),
    Prompt(TypeId, &'static str),
    Resource(TypeId, &'static str),
    DynTool(Box<Tool>),
}

/// Builds a server. With no component named explicitly, the server serves every component
/// registered by the macros in this binary, except those a mounted server names; naming any
/// with `.tool()`, `.prompt()`, `.resource()` serves exactly those instead.
pub struct FastMcp {
    name: String,
    version: String,
    title: Option<String>,
    icons: Vec<crate::protocol::Icon>,
    website_url: Option<String>,
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
    /// Components known only at run time (proxied remote servers).
    sources: Vec<Arc<dyn ComponentSource>>,
}

/// What `collect` resolves from a builder tree.
#[derive(Default)]
struct Resolved {
    components: Components,
    lifespans: Vec<LifespanFn>,
    states: StateMap,
    sources: Vec<(SourceScope, Arc<dyn ComponentSource>)>,
}

impl FastMcp {
    /// A new builder.
    pub fn new(name: impl Into<String>) -> Self {
        FastMcp {
            name: name.into(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            title: None,
            icons: Vec::new(),
            website_url: None,
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
            sources: Vec::new(),
        }
    }

    /// Serves the components of `source` too, from the server's start (see [`crate::proxy`]).
    pub(crate) fn source(mut self, source: Arc<dyn ComponentSource>) -> Self {
        self.sources.push(source);
        self
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

    /// An icon for the server (`serverInfo.icons`); call again for more sizes or themes.
    pub fn icon(mut self, icon: crate::protocol::Icon) -> Self {
        self.icons.push(icon);
        self
    }

    /// A website about the server (`serverInfo.websiteUrl`).
    pub fn website_url(mut self, url: impl Into<String>) -> Self {
        self.website_url = Some(url.into());
        self
    }

    /// Instructions returned by `initialize`, telling the model how to use this server.
    pub fn instructions(mut self, instructions: impl Into<String>) -> Self {
        self.instructions = Some(instructions.into());
        self
    }

    /// Serves the `#[tool]` function `f` (by its function item: `.tool(add)`).
    pub fn tool<F: registry::ComponentFn<M>, M>(mut self, _f: F) -> Self {
        self.pending.push(Pending::Tool(TypeId::of::<F>(), std::any::type_name::<F>()));
        self
    }

    /// Serves the `#[prompt]` function `f`.
    pub fn prompt<F: registry::ComponentFn<M>, M>(mut self, _f: F) -> Self {
        self.pending.push(Pending::Prompt(TypeId::of::<F>(), std::any::type_name::<F>()));
        self
    }

    /// Serves the `#[resource]` function `f`.
    pub fn resource<F: registry::ComponentFn<M>, M>(mut self, _f: F) -> Self {
        self.pending.push(Pending::Resource(TypeId::of::<F>(), std::any::type_name::<F>()));
        self
    }

    /// Serves a tool built at run time (`Tool::new`).
    pub fn dynamic_tool(mut self, tool: Tool) -> Self {
        self.pending.push(Pending::DynTool(Box::new(tool)));
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
    ///
    /// The components a mounted server names (`.tool(f)`, ...) belong to it alone: no other
    /// builder in the tree serves them through "everything registered". This server's
    /// `include_tags` / `exclude_tags` apply to what it serves, mounted components included.
    pub fn mount(mut self, prefix: impl Into<String>, server: FastMcp) -> Self {
        self.mounts.push((prefix.into(), server));
        self
    }

    /// Shared state that handlers receive as `State<T>`.
    pub fn state<T: Send + Sync + 'static>(mut self, value: T) -> Self {
        self.states.insert(TypeId::of::<T>(), Arc::new(value));
        self
    }

    /// Shared state you already hold in an `Arc`: handlers receive it as `State<T>` (the same
    /// allocation, not an `Arc<Arc<T>>`), and you keep a clone.
    pub fn shared_state<T: Send + Sync + 'static>(mut self, value: Arc<T>) -> Self {
        self.states.insert(TypeId::of::<T>(), value);
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

    /// The tag filters of this builder and, after it, of its mounts, recursively.
    fn tag_filters(&self) -> TagFilter {
        TagFilter { include: self.include_tags.clone(), exclude: self.exclude_tags.clone() }
    }

    /// The macro-registered components some builder in this tree names explicitly: they belong
    /// to that builder alone, and a builder serving "everything registered" leaves them out.
    fn claimed(&self, into: &mut HashSet<TypeId>) {
        for p in &self.pending {
            match p {
                Pending::Tool(id, _) | Pending::Prompt(id, _) | Pending::Resource(id, _) => {
                    into.insert(*id);
                }
                Pending::DynTool(_) => {}
            }
        }
        for (_, sub) in &self.mounts {
            sub.claimed(into);
        }
    }

    /// Resolves this builder's components (and its mounts') into `into`, with names prefixed.
    ///
    /// `filters` are the tag filters of the builders this one is mounted in: a parent's
    /// `include_tags`/`exclude_tags` apply to what it serves, mounted components included.
    /// `claimed` are the components named by some builder of the tree (see [`FastMcp::claimed`]).
    fn collect(
        self,
        prefix: Option<&str>,
        into: &mut Resolved,
        filters: &[TagFilter],
        claimed: &HashSet<TypeId>,
    ) -> Result<(), ServerError> {
        let mut filters = filters.to_vec();
        filters.push(self.tag_filters());
        let keep = |tags: &[String]| filters.iter().all(|f| f.keeps(tags));
        let unclaimed = |id: TypeId| !claimed.contains(&id);
        let not_annotated = |what: &str, name: &str| {
            ServerError::Config(format!(
                "`{name}` was passed to `.{what}()` but is not a #[{what}] function: add `#[{what}]` above its `fn`"
            ))
        };
        let mut tools = Vec::new();
        let mut prompts = Vec::new();
        let mut resources = Vec::new();
        // A proxy (a builder with sources) serves its remote, not this binary's components.
        let use_registry = self.registered || (self.pending.is_empty() && self.sources.is_empty());
        if use_registry {
            // Linker order is arbitrary; sorted lists keep pagination stable across builds.
            tools.extend(registry::TOOLS.iter().filter(|d| unclaimed((d.type_id)())).map(Tool::from_def));
            tools.sort_by(|a, b| a.name.cmp(&b.name));
            prompts.extend(registry::PROMPTS.iter().filter(|d| unclaimed((d.type_id)())).map(Prompt::from_def));
            prompts.sort_by(|a, b| a.name.cmp(&b.name));
            resources.extend(registry::RESOURCES.iter().filter(|d| unclaimed((d.type_id)())).map(Resource::from_def));
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
                Pending::DynTool(t) => tools.push(Tool::clone(t)),
            }
        }
        for t in tools.into_iter().filter(|t| keep(&t.tags)) {
            let t = match prefix {
                Some(p) => t.renamed(format!("{p}_{}", t.name)),
                None => t,
            };
            into.components.add_tool(t)?;
        }
        for pr in prompts.into_iter().filter(|p| keep(&p.tags)) {
            let pr = match prefix {
                Some(p) => pr.renamed(format!("{p}_{}", pr.name)),
                None => pr,
            };
            into.components.add_prompt(pr)?;
        }
        for r in resources.into_iter().filter(|r| keep(&r.tags)) {
            let r = match prefix {
                Some(p) => r.with_uri(prefix_uri(p, &r.uri)),
                None => r,
            };
            into.components.add_resource(r)?;
        }
        into.lifespans.extend(self.lifespans);
        for (k, v) in self.states {
            into.states.entry(k).or_insert(v);
        }
        for source in self.sources {
            let scope = SourceScope { prefix: prefix.map(str::to_owned), filters: filters.clone() };
            into.sources.push((scope, source));
        }
        for (sub_prefix, sub) in self.mounts {
            let full = match prefix {
                Some(p) => format!("{p}_{sub_prefix}"),
                None => sub_prefix,
            };
            sub.collect(Some(&full), into, &filters, claimed)?;
        }
        Ok(())
    }

    /// Resolves components and checks names; duplicate names are an error here, at startup.
    pub fn build(self) -> Result<Server, ServerError> {
        let info = Implementation {
            name: self.name.clone(),
            version: self.version.clone(),
            title: self.title.clone(),
            icons: self.icons.clone(),
            website_url: self.website_url.clone(),
        };
        let instructions = self.instructions.clone();
        let page_size = self.page_size;
        let shutdown_timeout = self.shutdown_timeout;
        let request_timeout = self.request_timeout;
        let docket_config = self.docket.clone();
        let tasks = self.tasks.clone();
        let task_overrides = self.task_overrides.clone();
        let max_concurrent_requests = self.max_concurrent_requests;
        let mut claimed = HashSet::new();
        self.claimed(&mut claimed);
        let mut resolved = Resolved::default();
        self.collect(None, &mut resolved, &[], &claimed)?;
        let Resolved { mut components, lifespans, states, sources } = resolved;
        // Without lifespans every state is known now; lifespans' are checked by `start`.
        if lifespans.is_empty() {
            components.check_states(&states, false)?;
        }
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
                components: Arc::new(RwLock::new(components)),
                states: RwLock::new(states),
                lifespans,
                sources,
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
                state_key: OnceLock::new(),
            }),
        })
    }

    /// Builds and serves over stdio until stdin closes.
    pub async fn run_stdio(self) -> Result<(), ServerError> {
        self.build()?.run_stdio().await
    }
}

/// One builder's `include_tags` / `exclude_tags`.
#[derive(Clone)]
pub(super) struct TagFilter {
    include: Vec<String>,
    exclude: Vec<String>,
}

impl TagFilter {
    pub(super) fn keeps(&self, tags: &[String]) -> bool {
        (self.include.is_empty() || tags.iter().any(|t| self.include.contains(t)))
            && !tags.iter().any(|t| self.exclude.contains(t))
    }
}

pub(super) fn prefix_uri(prefix: &str, uri: &str) -> String {
    match uri.split_once("://") {
        Some((scheme, rest)) => format!("{scheme}://{prefix}/{rest}"),
        None => format!("{prefix}/{uri}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mounted_uris_gain_the_prefix_after_the_scheme() {
        assert_eq!(prefix_uri("sub", "test://static-text"), "test://sub/static-text");
        assert_eq!(prefix_uri("sub", "plain"), "sub/plain");
    }
}
