//! One client connection's protocol state and the dispatch of its requests (2025-11-25 and
//! older; revision 2026-07-28 requests continue in `rev2026`).

use super::*;
use crate::extract::{Call, Context, RequestCtx};
use crate::outbound::Outbound;
use crate::protocol::{
    ErrorObject, Implementation, LATEST_PROTOCOL_VERSION, LoggingLevel, Message, Request, RequestId, Response,
    SUPPORTED_PROTOCOL_VERSIONS, decode_cursor, encode_cursor, parse_params,
};
use crate::registry::{self, Prompt, Resource, Tool};
use crate::sync::{lock, read};
use crate::tasks::{self, Kind, TaskParams};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub(super) struct SessionState {
    protocol_version: Option<String>,
    client_info: Option<Implementation>,
    client_capabilities: Value,
    initialized: bool,
    log_level: Option<LoggingLevel>,
}

/// One client connection's protocol state.
pub(crate) struct Session {
    pub(super) id: String,
    pub(super) server: Arc<ServerInner>,
    pub(super) state: Mutex<SessionState>,
    pub(super) subscriptions: Mutex<HashSet<String>>,
    pub(super) pending: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, ErrorObject>>>>,
    pub(super) running: Mutex<HashMap<RequestId, CancellationToken>>,
    pub(super) next_id: AtomicI64,
    pub(super) notify: Mutex<Option<Outbound>>,
    /// The authenticated principal of the connection (HTTP bearer auth).
    pub(super) principal: Mutex<Option<String>>,
    /// Set for sessions that exist for one request only (stateless HTTP): their tasks are
    /// shared by every unauthenticated requester, found by their unguessable ids.
    pub(super) ephemeral: std::sync::atomic::AtomicBool,
    /// Whether `notify` has a reader now (HTTP: a GET stream is open); none means always.
    pub(super) notify_live: Mutex<Option<NotifyLive>>,
    /// The client's IP address (HTTP), which scopes anonymous requesters' task quotas.
    pub(super) peer: Mutex<Option<std::net::IpAddr>>,
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
    pub(super) fn is_initialized(&self) -> bool {
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
    pub(super) fn is_subscribed(&self, uri: &str) -> bool {
        lock(&self.subscriptions).contains(uri)
    }
    pub(super) async fn notify(&self, message: Message) {
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
            "completion/complete" => {
                let ctx = self.context(id, &params, out, cancel);
                self.complete(params, ctx).await
            }
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
    pub(crate) async fn complete_method(&self, params: Option<Value>, ctx: Context) -> Result<Value, ErrorObject> {
        self.complete(params, ctx).await
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

    async fn complete(&self, params: Option<Value>, ctx: Context) -> Result<Value, ErrorObject> {
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
        #[derive(Deserialize, Default)]
        struct Given {
            #[serde(default)]
            arguments: Map<String, Value>,
        }
        #[derive(Deserialize)]
        struct P {
            #[serde(rename = "ref")]
            reference: Ref,
            argument: Arg,
            #[serde(default)]
            context: Option<Given>,
        }
        let p: P = parse_params(params)?;
        let hook = {
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
            hooks.iter().find(|(n, _)| *n == p.argument.name).map(|(_, f)| *f)
        };
        let mut values = match hook {
            Some(f) => {
                let given = p.context.unwrap_or_default().arguments;
                f(Call::new(given, None, ctx), p.argument.value).await
            }
            None => Vec::new(),
        };
        let total = values.len();
        values.truncate(100);
        Ok(json!({ "completion": { "values": values, "total": total, "hasMore": total > 100 } }))
    }
}

fn to_value<T: serde::Serialize>(v: &T) -> Result<Value, ErrorObject> {
    serde_json::to_value(v).map_err(|e| ErrorObject::internal(format!("result could not be serialized: {e}")))
}
