//! The upstream connection of a proxy: connect, list, follow the upstream's notifications,
//! reconnect when it is lost, and route what the upstream sends to the right downstream call.

use super::Remote;
use super::components;
use crate::Context;
use crate::extract::ClientRequestError;
use crate::protocol::{ErrorObject, LoggingLevel, Notification};
use crate::registry::BoxFuture;
use crate::server::{ComponentSource, Owned, Server, SourceComponents, SourceScope, WeakServer};
use crate::sync::lock;
use crate::transport::client::{Client, ClientBuilder, ClientError};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::sync::Notify;
use tokio_util::sync::CancellationToken;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// The first wait before reconnecting; it doubles up to [`RECONNECT_MAX`].
const RECONNECT_MIN: Duration = Duration::from_millis(100);
const RECONNECT_MAX: Duration = Duration::from_secs(5);
/// Prefix of the progress tokens the proxy puts on forwarded requests.
const PROGRESS_PREFIX: &str = "fastmcp-proxy/";
/// Components of one kind taken from an upstream; past this, the rest are left out (with a
/// warning), so an upstream cannot make the proxy hold without bound.
const MAX_PROXIED: usize = 10_000;

/// At most [`MAX_PROXIED`] of `items`, saying so when some are left out.
fn capped(upstream: &str, kind: &str, mut items: Vec<Value>) -> Vec<Value> {
    if items.len() > MAX_PROXIED {
        tracing::warn!(
            upstream,
            kind,
            listed = items.len(),
            "the upstream lists more than {MAX_PROXIED}; the rest are left out"
        );
        items.truncate(MAX_PROXIED);
    }
    items
}

/// Why a forwarded request has no answer from the upstream.
pub(super) enum Forwarded {
    /// The upstream answered with this error.
    Rpc(ErrorObject),
    /// There is no usable connection now (the proxy is reconnecting), or the answer was bad.
    Unavailable(String),
}

impl Forwarded {
    /// The error a downstream client sees.
    pub(super) fn into_error(self) -> ErrorObject {
        match self {
            Forwarded::Rpc(e) => e,
            Forwarded::Unavailable(m) => ErrorObject::internal(m),
        }
    }
}

/// One proxied upstream server (a [`ComponentSource`]).
pub(crate) struct Upstream {
    remote: Remote,
    /// The live connection, `None` while reconnecting.
    client: Mutex<Option<Arc<Client>>>,
    /// Forwarded calls in progress, oldest first: where progress, logs and the upstream's own
    /// requests go. Bounded by the server's in-flight request limits.
    calls: Mutex<BTreeMap<u64, Context>>,
    next_call: AtomicU64,
    /// Poked by a forwarded request that found the connection lost.
    lost: Notify,
    stop: CancellationToken,
    scope: OnceLock<SourceScope>,
    /// What this upstream owns in the server's catalog (only the supervisor syncs).
    owned: tokio::sync::Mutex<Owned>,
    supervisor: Mutex<Option<tokio::task::JoinHandle<()>>>,
}

/// Removes a forwarded call from [`Upstream::calls`] when it ends, however it ends.
struct CallEntry<'a> {
    upstream: &'a Upstream,
    n: u64,
}

impl Drop for CallEntry<'_> {
    fn drop(&mut self) {
        lock(&self.upstream.calls).remove(&self.n);
    }
}

impl Upstream {
    pub(super) fn new(remote: Remote) -> Self {
        Upstream {
            remote,
            client: Mutex::new(None),
            calls: Mutex::new(BTreeMap::new()),
            next_call: AtomicU64::new(1),
            lost: Notify::new(),
            stop: CancellationToken::new(),
            scope: OnceLock::new(),
            owned: tokio::sync::Mutex::new(Owned::default()),
            supervisor: Mutex::new(None),
        }
    }

    pub(super) fn scope(&self) -> &SourceScope {
        self.scope.get_or_init(SourceScope::default)
    }

    pub(super) fn label(&self) -> &str {
        &self.remote.label
    }

    /// Sends `method` upstream for the downstream call `ctx`: its progress, logs and the
    /// upstream's requests during it come back to `ctx`. Dropping the future cancels the
    /// request upstream.
    pub(super) async fn forward(&self, ctx: &Context, method: &str, mut params: Value) -> Result<Value, Forwarded> {
        let Some(client) = lock(&self.client).clone() else {
            return Err(Forwarded::Unavailable(format!(
                "the upstream server `{}` is unavailable; the proxy is reconnecting",
                self.label()
            )));
        };
        let n = self.next_call.fetch_add(1, Ordering::Relaxed);
        lock(&self.calls).insert(n, ctx.clone());
        let _entry = CallEntry { upstream: self, n };
        if let Some(p) = params.as_object_mut() {
            let meta = p.entry("_meta").or_insert_with(|| json!({}));
            if let Some(meta) = meta.as_object_mut() {
                meta.insert("progressToken".into(), Value::from(format!("{PROGRESS_PREFIX}{n}")));
            }
        }
        let answer = match client.request(method, params).await {
            // A 2026-07-28 upstream may answer a call with a task: followed here, so the
            // downstream client gets the call's result.
            Ok(v) if v["resultType"] == "task" => client.follow_task(&v).await,
            other => other,
        };
        match answer {
            Ok(v) => Ok(v),
            Err(ClientError::Rpc(e)) => Err(Forwarded::Rpc(e)),
            Err(e) if e.is_connection_lost() => {
                // Only a loss of the connection in use counts: a late failure of an older one
                // must not drop its successor.
                if lock(&self.client).as_ref().is_some_and(|c| Arc::ptr_eq(c, &client)) {
                    self.lost.notify_one();
                }
                Err(Forwarded::Unavailable(format!(
                    "the upstream server `{}` is unavailable ({e}); the proxy is reconnecting",
                    self.label()
                )))
            }
            Err(e) => Err(Forwarded::Unavailable(format!("the upstream server `{}`: {e}", self.label()))),
        }
    }

    /// The downstream call the upstream's messages go to: the oldest in progress.
    fn oldest_call(&self) -> Option<Context> {
        lock(&self.calls).values().next().cloned()
    }

    fn call(&self, n: u64) -> Option<Context> {
        lock(&self.calls).get(&n).cloned()
    }

    async fn connect(self: &Arc<Self>) -> Result<Arc<Client>, ClientError> {
        let weak = Arc::downgrade(self);
        let builder = ClientBuilder::default()
            .capabilities(json!({ "sampling": {}, "elicitation": { "form": {}, "url": {} }, "roots": {} }))
            .on_request(move |method, params| {
                let upstream = weak.upgrade();
                async move {
                    match upstream {
                        Some(u) => u.answer_upstream_request(&method, params).await,
                        None => Err(ErrorObject::internal("the proxy has stopped")),
                    }
                }
            });
        (self.remote.connect)(builder).await.map(Arc::new)
    }

    /// An upstream request (sampling, elicitation, roots) asked of the downstream client.
    async fn answer_upstream_request(&self, method: &str, params: Value) -> Result<Value, ErrorObject> {
        let capability = match method {
            "ping" => return Ok(json!({})),
            "sampling/createMessage" => "sampling",
            "elicitation/create" => "elicitation",
            "roots/list" => "roots",
            _ => return Err(ErrorObject::method_not_found(method)),
        };
        let Some(ctx) = self.oldest_call() else {
            return Err(ErrorObject::internal(format!(
                "`{method}` reached the proxy while no call is in progress: there is no client to ask"
            )));
        };
        if !ctx.client_supports(capability) {
            return Err(ErrorObject::internal(format!(
                "the client of the proxy did not declare the `{capability}` capability"
            )));
        }
        ctx.request::<Value>(method, params).await.map_err(|e| match e {
            ClientRequestError::Client(e) => e,
            other => ErrorObject::internal(other.to_string()),
        })
    }

    /// Lists everything upstream and installs it in the server's catalog.
    async fn sync(self: &Arc<Self>, server: &Server, client: &Client) -> Result<(), ClientError> {
        let caps = client.initialize_result().get("capabilities").cloned().unwrap_or_default();
        let has = |name: &str| caps.get(name).is_some();
        let scope = self.scope().clone();
        let mut new = SourceComponents::default();
        let label = self.label();
        if has("tools") {
            let listed = capped(label, "tools", client.list_tools().await?);
            new.tools = listed.iter().filter_map(|l| components::tool(self, &scope, l)).collect();
        }
        if has("prompts") {
            let listed = capped(label, "prompts", client.list_prompts().await?);
            new.prompts = listed.iter().filter_map(|l| components::prompt(self, &scope, l)).collect();
        }
        if has("resources") {
            let resources = capped(label, "resources", client.list_resources().await?);
            let templates = capped(label, "resource templates", client.list_resource_templates().await?);
            new.resources = resources
                .iter()
                .filter_map(|l| components::resource(self, &scope, l, false))
                .chain(templates.iter().filter_map(|l| components::resource(self, &scope, l, true)))
                .collect();
        }
        let mut owned = self.owned.lock().await;
        server.sync_source(&mut owned, new).await;
        Ok(())
    }

    async fn on_notification(self: &Arc<Self>, server: &WeakServer, client: &Client, n: Notification) {
        let params = n.params.unwrap_or_default();
        match n.method.as_str() {
            "notifications/progress" => {
                let call = params
                    .get("progressToken")
                    .and_then(Value::as_str)
                    .and_then(|t| t.strip_prefix(PROGRESS_PREFIX))
                    .and_then(|n| n.parse().ok())
                    .and_then(|n| self.call(n));
                if let (Some(ctx), Some(progress)) = (call, params.get("progress").and_then(Value::as_f64)) {
                    let total = params.get("total").and_then(Value::as_f64);
                    ctx.report_progress(progress, total, params.get("message").and_then(Value::as_str)).await;
                }
            }
            "notifications/message" => {
                let level: LoggingLevel = params
                    .get("level")
                    .cloned()
                    .and_then(|l| serde_json::from_value(l).ok())
                    .unwrap_or(LoggingLevel::Info);
                let data = params.get("data").cloned().unwrap_or(Value::Null);
                match self.oldest_call() {
                    Some(ctx) => ctx.log(level, params.get("logger").and_then(Value::as_str), data).await,
                    None => tracing::info!(upstream = self.label(), ?level, %data, "upstream log"),
                }
            }
            "notifications/tools/list_changed"
            | "notifications/prompts/list_changed"
            | "notifications/resources/list_changed" => {
                if let Some(server) = server.upgrade()
                    && let Err(e) = self.sync(&server, client).await
                {
                    tracing::warn!(upstream = self.label(), error = %e, "listing the upstream again failed");
                }
            }
            "notifications/resources/updated" => {
                if let (Some(server), Some(uri)) = (server.upgrade(), params.get("uri").and_then(Value::as_str)) {
                    server.notify_resource_updated(&self.scope().uri(uri)).await;
                }
            }
            other => tracing::debug!(upstream = self.label(), method = other, "upstream notification not forwarded"),
        }
    }

    /// Follows the connection: its notifications until it is lost, then reconnects (with
    /// backoff) and lists again, until the proxy stops.
    async fn supervise(self: Arc<Self>, server: WeakServer, mut client: Arc<Client>) {
        loop {
            loop {
                tokio::select! {
                    biased;
                    _ = self.stop.cancelled() => return,
                    _ = client.closed() => break,
                    _ = self.lost.notified() => break,
                    n = client.next_notification() => match n {
                        Some(n) => self.on_notification(&server, &client, n).await,
                        None => break,
                    },
                }
            }
            *lock(&self.client) = None;
            drop(client);
            tracing::warn!(upstream = self.label(), "the upstream connection was lost; reconnecting");
            let mut delay = RECONNECT_MIN;
            client = loop {
                tokio::select! {
                    _ = self.stop.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(RECONNECT_MAX);
                let Ok(c) = self.connect().await.inspect_err(|e| {
                    tracing::debug!(upstream = self.label(), error = %e, "reconnecting failed");
                }) else {
                    continue;
                };
                let Some(s) = server.upgrade() else { return };
                match self.sync(&s, &c).await {
                    Ok(()) => break c,
                    Err(e) => tracing::debug!(upstream = self.label(), error = %e, "listing after reconnecting failed"),
                }
            };
            *lock(&self.client) = Some(client.clone());
            tracing::info!(upstream = self.label(), "the upstream connection is back");
        }
    }
}

impl ComponentSource for Upstream {
    fn attach(self: Arc<Self>, server: WeakServer, scope: SourceScope) -> BoxFuture<Result<(), BoxError>> {
        Box::pin(async move {
            let _ = self.scope.set(scope);
            let fail = |e: ClientError| -> BoxError { format!("upstream server `{}`: {e}", self.label()).into() };
            let client = self.connect().await.map_err(fail)?;
            let Some(s) = server.upgrade() else { return Err("the server is gone".into()) };
            self.sync(&s, &client).await.map_err(fail)?;
            *lock(&self.client) = Some(client.clone());
            let task = tokio::spawn(self.clone().supervise(server, client));
            *lock(&self.supervisor) = Some(task);
            Ok(())
        })
    }

    fn detach(&self) -> BoxFuture<()> {
        self.stop.cancel();
        let task = lock(&self.supervisor).take();
        let client = lock(&self.client).take();
        Box::pin(async move {
            if let Some(task) = task {
                let _ = tokio::time::timeout(Duration::from_secs(5), task).await;
            }
            // The last handle: a child process is killed, an HTTP session deleted.
            drop(client);
        })
    }
}
