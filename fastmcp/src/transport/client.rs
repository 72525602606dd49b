//! The client: one API over every transport (in memory to a [`Server`] object, or a child
//! process over stdio). It matches responses to requests, hands notifications to the caller,
//! and answers the server's own requests (sampling, elicitation, roots) with a handler.

use crate::protocol::{
    CallToolResult, ErrorObject, GetPromptResult, LATEST_PROTOCOL_VERSION, Message, Notification, ReadResourceResult,
    RequestId, Response,
};
use crate::registry::BoxFuture;
use crate::server::{Server, ServerError};
use crate::sync::lock;
use crate::transport::Outgoing;
use serde_json::{Map, Value, json};
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};

/// Errors seen by the client.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("server error: {0}")]
    /// The server answered with a JSON-RPC error.
    Rpc(ErrorObject),
    #[error("the server closed the connection")]
    /// The connection closed first.
    Closed,
    #[error("unexpected answer: {0}")]
    /// The answer could not be decoded.
    Decode(String),
    #[error(transparent)]
    /// The server could not start.
    Server(#[from] ServerError),
    #[error("could not start the server process: {0}")]
    /// The child process could not be spawned.
    Spawn(#[from] std::io::Error),
    #[error("{0}")]
    /// The server could not be reached (HTTP: no connection, DNS, TLS).
    Unreachable(String),
    #[error("the server no longer knows this session (HTTP 404); connect again")]
    /// The HTTP server answered 404 to a request of this session: it restarted or expired the
    /// session, and the spec asks the client to start a new one.
    SessionExpired,
}

/// Marks, in an error's `data`, a failure to reach the server that a link reports in place of
/// the answer; the client turns it into [`ClientError::Unreachable`].
pub(crate) const UNREACHABLE: &str = "fastmcp/unreachable";
/// Marks, in an error's `data`, a 404 to a request of an HTTP session; the client turns it into
/// [`ClientError::SessionExpired`].
pub(crate) const SESSION_EXPIRED: &str = "fastmcp/session-expired";

/// The client error for an answer: a link failure its transport marked, or the server's error.
fn answer_error(e: ErrorObject) -> ClientError {
    match e.data.as_ref() {
        Some(d) if d.get(UNREACHABLE).is_some() => ClientError::Unreachable(e.message),
        Some(d) if d.get(SESSION_EXPIRED).is_some() => ClientError::SessionExpired,
        _ => ClientError::Rpc(e),
    }
}

impl ClientError {
    /// The JSON-RPC error, when the server answered with one.
    pub fn rpc(&self) -> Option<&ErrorObject> {
        match self {
            ClientError::Rpc(e) => Some(e),
            _ => None,
        }
    }

    /// Whether the connection itself failed (closed, unreachable, session gone), so that only
    /// a new connection helps; an error the server answered is not one.
    pub fn is_connection_lost(&self) -> bool {
        matches!(self, ClientError::Closed | ClientError::Unreachable(_) | ClientError::SessionExpired)
    }
}

/// How the client reaches a server: it sends one message; what comes back arrives on the
/// receiver the transport handed to [`Client::over`]. Dropping the link ends the connection.
pub(crate) trait Link: Send + Sync + 'static {
    /// Sends one message to the server; `false` when the connection is gone or not reading.
    fn send(&self, message: Message) -> bool;
}

pub(super) type RequestHandler = Arc<dyn Fn(String, Value) -> BoxFuture<Result<Value, ErrorObject>> + Send + Sync>;
/// A request waiting for its answer; dropped while still waiting, it tells the server
/// (`notifications/cancelled`) and forgets the request.
struct InFlight<'a> {
    client: &'a Client,
    id: Option<RequestId>,
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take()
            && lock(&self.client.pending).waiting.remove(&id).is_some()
        {
            self.client.notify(
                "notifications/cancelled",
                Some(json!({ "requestId": id, "reason": "the client stopped waiting" })),
            );
        }
    }
}

/// Requests waiting for their response; `closed` once the connection ended, so a request made
/// after that fails at once instead of waiting forever.
#[derive(Default)]
struct Pending {
    waiting: HashMap<RequestId, oneshot::Sender<Result<Value, ErrorObject>>>,
    closed: bool,
}
type PendingMap = Arc<Mutex<Pending>>;

/// Server requests the client answers at once; past this, more are refused.
const MAX_ANSWERING: usize = 1024;

/// The most items a `*/list` may return over all its pages.
const MAX_LISTED: usize = 100_000;

/// Notifications kept for the caller; past this, new ones are dropped (with a warning).
const NOTIFICATION_QUEUE: usize = 4096;

/// A progress update (`notifications/progress`) as [`ClientBuilder::on_progress`] sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct ProgressUpdate {
    /// The token of the request it belongs to.
    pub token: Value,
    /// How far along.
    pub progress: f64,
    /// Out of how much, when known.
    pub total: Option<f64>,
    /// What is happening.
    pub message: Option<String>,
}

/// A log message (`notifications/message`) as [`ClientBuilder::on_log`] sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct LogMessage {
    /// Its severity.
    pub level: crate::protocol::LoggingLevel,
    /// Which logger sent it.
    pub logger: Option<String>,
    /// What it says.
    pub data: Value,
}

type Callback<T> = Arc<dyn Fn(T) + Send + Sync>;

/// The notification callbacks; a notification no callback takes is queued for
/// [`Client::next_notification`].
#[derive(Default, Clone)]
struct Callbacks {
    progress: Option<Callback<ProgressUpdate>>,
    log: Option<Callback<LogMessage>>,
    any: Option<Callback<Notification>>,
}

impl Callbacks {
    /// Hands `n` to its callback; gives it back when none takes it.
    fn take(&self, n: Notification) -> Option<Notification> {
        let p = n.params.as_ref().unwrap_or(&Value::Null);
        match n.method.as_str() {
            "notifications/progress" if let Some(cb) = &self.progress => {
                if let Some(progress) = p["progress"].as_f64() {
                    cb(ProgressUpdate {
                        token: p["progressToken"].clone(),
                        progress,
                        total: p["total"].as_f64(),
                        message: p["message"].as_str().map(str::to_owned),
                    });
                }
                None
            }
            "notifications/message" if let Some(cb) = &self.log => {
                if let Ok(level) = serde_json::from_value(p["level"].clone()) {
                    cb(LogMessage { level, logger: p["logger"].as_str().map(str::to_owned), data: p["data"].clone() });
                }
                None
            }
            _ => match &self.any {
                Some(cb) => {
                    cb(n);
                    None
                }
                None => Some(n),
            },
        }
    }
}

/// Configures a [`Client`] before it connects.
pub struct ClientBuilder {
    capabilities: Value,
    protocol_version: String,
    handler: Option<RequestHandler>,
    /// On 2026-07-28, declare the tasks extension (the server may then answer a call with a task).
    tasks_extension: bool,
    callbacks: Callbacks,
    /// Set by [`ClientBuilder::connect_http`].
    over_http: bool,
    /// Extra HTTP headers (a bearer token...) for [`ClientBuilder::connect_http`].
    #[cfg(feature = "http-client")]
    http_headers: reqwest::header::HeaderMap,
}

impl Default for ClientBuilder {
    fn default() -> Self {
        ClientBuilder {
            capabilities: json!({}),
            protocol_version: LATEST_PROTOCOL_VERSION.to_owned(),
            handler: None,
            tasks_extension: true,
            callbacks: Callbacks::default(),
            over_http: false,
            #[cfg(feature = "http-client")]
            http_headers: reqwest::header::HeaderMap::new(),
        }
    }
}

impl ClientBuilder {
    /// The capabilities the client declares (e.g. `{"sampling":{}, "elicitation":{}}`).
    pub fn capabilities(mut self, capabilities: Value) -> Self {
        self.capabilities = capabilities;
        self
    }

    /// The protocol version: one of 2025-11-25 and before (asked for at `initialize`), or
    /// `"2026-07-28"` ([`REV2026_VERSION`](crate::rev2026::REV2026_VERSION)): no handshake but
    /// `server/discover`, every request carrying the revision's `_meta` (version, client info,
    /// capabilities), the server's input requests answered by retrying (SEP-2322), no HTTP
    /// session. See [`crate::transport::client_rev2026`].
    pub fn protocol_version(mut self, version: impl Into<String>) -> Self {
        self.protocol_version = version.into();
        self
    }

    /// Calls `f` with each progress update (instead of queueing it for
    /// [`Client::next_notification`]). Callbacks run on the client's reader: keep them quick.
    pub fn on_progress(mut self, f: impl Fn(ProgressUpdate) + Send + Sync + 'static) -> Self {
        self.callbacks.progress = Some(Arc::new(f));
        self
    }

    /// Calls `f` with each log message the server sends (instead of queueing it).
    pub fn on_log(mut self, f: impl Fn(LogMessage) + Send + Sync + 'static) -> Self {
        self.callbacks.log = Some(Arc::new(f));
        self
    }

    /// Calls `f` with every other notification (list changes, resource updates, task
    /// status...) instead of queueing it.
    pub fn on_notification(mut self, f: impl Fn(Notification) + Send + Sync + 'static) -> Self {
        self.callbacks.any = Some(Arc::new(f));
        self
    }

    /// On 2026-07-28, whether to declare the tasks extension (default: yes). With it the
    /// server may answer a `tools/call` with a task, which [`Client::call_tool`] follows to its
    /// end on its own.
    pub fn tasks_extension(mut self, declare: bool) -> Self {
        self.tasks_extension = declare;
        self
    }

    /// Answers server-to-client requests (`sampling/createMessage`, `elicitation/create`,
    /// `roots/list`): `(method, params) -> result`.
    pub fn on_request<F, Fut>(mut self, handler: F) -> Self
    where
        F: Fn(String, Value) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Value, ErrorObject>> + Send + 'static,
    {
        self.handler = Some(Arc::new(move |m, p| Box::pin(handler(m, p))));
        self
    }

    /// Starts the server if needed, opens an in-memory session and performs the initialize
    /// handshake.
    pub async fn connect(self, server: &Server) -> Result<Client, ClientError> {
        let (link, inbound) = super::memory::open(server).await?;
        self.over(link, inbound).await
    }

    /// Spawns `command` as an MCP server speaking stdio (its stderr goes to `tracing`) and
    /// performs the initialize handshake. The process is killed when the client is dropped.
    pub async fn spawn(self, command: tokio::process::Command) -> Result<Client, ClientError> {
        let (link, inbound) = super::child::open(command)?;
        self.over(link, inbound).await
    }

    /// A header sent with every HTTP request (see [`ClientBuilder::connect_http`]); an invalid
    /// name or value is ignored with a warning.
    #[cfg(feature = "http-client")]
    pub fn header(mut self, name: &str, value: &str) -> Self {
        match (reqwest::header::HeaderName::from_bytes(name.as_bytes()), reqwest::header::HeaderValue::from_str(value))
        {
            (Ok(n), Ok(v)) => {
                self.http_headers.insert(n, v);
            }
            _ => tracing::warn!(name, "an invalid HTTP header was ignored"),
        }
        self
    }

    /// `Authorization: Bearer <token>` on every HTTP request.
    #[cfg(feature = "http-client")]
    pub fn bearer_token(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    /// Connects to a Streamable HTTP endpoint (`http://host:port/mcp`, revision 2025-11-25
    /// sessions) and performs the initialize handshake.
    #[cfg(feature = "http-client")]
    pub async fn connect_http(mut self, url: &str) -> Result<Client, ClientError> {
        let headers = std::mem::take(&mut self.http_headers);
        let rev2026 = self.protocol_version == crate::rev2026::REV2026_VERSION;
        let (link, inbound) = super::http_client::open(url.to_owned(), headers, rev2026)?;
        self.over_http = true;
        self.over(link, inbound).await
    }

    /// Runs the client over a transport: `link` sends, `inbound` receives.
    pub(crate) async fn over(
        self,
        link: Arc<dyn Link>,
        mut out_rx: mpsc::Receiver<Outgoing>,
    ) -> Result<Client, ClientError> {
        let pending: PendingMap = Arc::default();
        let (notif_tx, notif_rx) = mpsc::channel(NOTIFICATION_QUEUE);
        let closed = tokio_util::sync::CancellationToken::new();
        let reader = {
            let closed = closed.clone();
            let pending = pending.clone();
            let handler = self.handler.clone();
            let callbacks = self.callbacks.clone();
            let reply = link.clone();
            tokio::spawn(async move {
                // The server's requests being answered, by id: its `notifications/cancelled`
                // stops the handler (and no answer is sent).
                let mut answering: HashMap<RequestId, tokio::task::AbortHandle> = HashMap::new();
                while let Some(outgoing) = out_rx.recv().await {
                    let Outgoing::Message(message) = outgoing else {
                        continue;
                    };
                    match message {
                        Message::Response(r) => {
                            let Some(id) = r.id else { continue };
                            if let Some(tx) = lock(&pending).waiting.remove(&id) {
                                let _ = tx.send(r.outcome);
                            }
                        }
                        Message::Notification(n) => {
                            if n.method == "notifications/cancelled"
                                && let Some(handler) = n
                                    .params
                                    .as_ref()
                                    .and_then(|p| serde_json::from_value::<RequestId>(p["requestId"].clone()).ok())
                                    .and_then(|id| answering.remove(&id))
                            {
                                handler.abort();
                            }
                            let Some(n) = callbacks.take(n) else { continue };
                            // A caller that never reads notifications must not make the
                            // client grow without bound: past the queue, they are dropped.
                            if let Err(mpsc::error::TrySendError::Full(n)) = notif_tx.try_send(n) {
                                tracing::warn!(method = %n.method, "notification dropped: the queue is full");
                            }
                        }
                        Message::Request(req) => {
                            answering.retain(|_, h| !h.is_finished());
                            if answering.len() >= MAX_ANSWERING {
                                let busy = ErrorObject::internal("the client is answering too many requests");
                                reply.send(Message::Response(Response { id: Some(req.id), outcome: Err(busy) }));
                                continue;
                            }
                            let handler = handler.clone();
                            let reply = reply.clone();
                            let id = req.id.clone();
                            let task = tokio::spawn(async move {
                                let outcome = match handler {
                                    Some(h) => h(req.method.clone(), req.params.unwrap_or_else(|| json!({}))).await,
                                    None => Err(ErrorObject::method_not_found(&req.method)),
                                };
                                reply.send(Message::Response(Response { id: Some(req.id), outcome }));
                            });
                            answering.insert(id, task.abort_handle());
                        }
                    }
                }
                // The connection ended: every waiting request fails with `Closed`.
                {
                    let mut pending = lock(&pending);
                    pending.closed = true;
                    pending.waiting.clear();
                }
                closed.cancel();
            })
        };
        let rev2026 = (self.protocol_version == crate::rev2026::REV2026_VERSION)
            .then(|| super::client_rev2026::envelope(&self.protocol_version, &self.capabilities, self.tasks_extension));
        let client = Client {
            link,
            pending,
            next_id: AtomicI64::new(1),
            notifications: tokio::sync::Mutex::new(notif_rx),
            reader,
            closed,
            initialize_result: std::sync::OnceLock::new(),
            handler: self.handler.clone(),
            rev2026,
            http: self.over_http,
        };
        if client.rev2026.is_some() {
            let discovered = super::client_rev2026::discover(&client).await?;
            let _ = client.initialize_result.set(discovered);
            return Ok(client);
        }
        let init = client
            .request(
                "initialize",
                json!({
                    "protocolVersion": self.protocol_version,
                    "capabilities": self.capabilities,
                    "clientInfo": { "name": "fastmcp-client", "version": env!("CARGO_PKG_VERSION") },
                }),
            )
            .await?;
        client.notify("notifications/initialized", None);
        let _ = client.initialize_result.set(init);
        Ok(client)
    }
}

/// A client connected to a server: in memory ([`Client::connect`]) or to a child process over
/// stdio ([`Client::spawn`]).
pub struct Client {
    pub(super) link: Arc<dyn Link>,
    pending: PendingMap,
    next_id: AtomicI64,
    notifications: tokio::sync::Mutex<mpsc::Receiver<Notification>>,
    reader: tokio::task::JoinHandle<()>,
    /// Cancelled once the connection has ended.
    closed: tokio_util::sync::CancellationToken,
    initialize_result: std::sync::OnceLock<Value>,
    /// Answers the server's requests (and, on 2026-07-28, its input requests).
    pub(super) handler: Option<RequestHandler>,
    /// On 2026-07-28: the `_meta` every request carries.
    pub(super) rev2026: Option<Map<String, Value>>,
    /// Over Streamable HTTP.
    http: bool,
}

impl Drop for Client {
    fn drop(&mut self) {
        // The reader holds the other handle on the link; with both gone the transport closes.
        self.reader.abort();
    }
}

impl Client {
    /// A client with handlers for server requests.
    pub fn builder() -> ClientBuilder {
        ClientBuilder::default()
    }

    /// Connects in memory with default capabilities (none).
    pub async fn connect(server: &Server) -> Result<Client, ClientError> {
        ClientBuilder::default().connect(server).await
    }

    /// Connects to a Streamable HTTP endpoint with default settings.
    #[cfg(feature = "http-client")]
    pub async fn connect_http(url: &str) -> Result<Client, ClientError> {
        ClientBuilder::default().connect_http(url).await
    }

    /// Spawns `program args...` as a stdio MCP server and connects to it.
    pub async fn spawn<I, S>(program: impl AsRef<std::ffi::OsStr>, args: I) -> Result<Client, ClientError>
    where
        I: IntoIterator<Item = S>,
        S: AsRef<std::ffi::OsStr>,
    {
        let mut command = tokio::process::Command::new(program);
        command.args(args);
        ClientBuilder::default().spawn(command).await
    }

    /// Resolves once the connection has ended (the child process exited, the in-memory server
    /// closed the session). An HTTP connection has no such end: its failures show as
    /// [`ClientError::is_connection_lost`] on requests.
    pub async fn closed(&self) {
        self.closed.cancelled().await
    }

    /// Whether the client speaks 2026-07-28 (see [`ClientBuilder::protocol_version`]).
    pub fn is_rev2026(&self) -> bool {
        self.rev2026.is_some()
    }

    /// The server's `initialize` result (on 2026-07-28, its `server/discover` result in the
    /// same shape: `protocolVersion`, `capabilities`, `serverInfo`, `instructions`).
    pub fn initialize_result(&self) -> &Value {
        self.initialize_result.get().unwrap_or(&Value::Null)
    }

    /// Allocates the id the next request will use (for cancelling it).
    pub fn next_request_id(&self) -> RequestId {
        RequestId::Number(self.next_id.fetch_add(1, Ordering::Relaxed))
    }

    /// Sends a request and waits for its result.
    pub async fn request(&self, method: &str, params: Value) -> Result<Value, ClientError> {
        let id = self.next_request_id();
        self.request_with_id(id, method, params).await
    }

    /// Sends a request with a chosen id (see [`Client::cancel`]). On 2026-07-28 the request
    /// carries the revision's `_meta`, and input requests are answered by retrying (new ids).
    pub async fn request_with_id(&self, id: RequestId, method: &str, params: Value) -> Result<Value, ClientError> {
        if self.rev2026.is_some() {
            return super::client_rev2026::request(self, id, method, params).await;
        }
        self.round(id, method, params).await
    }

    /// One request and its answer.
    pub(super) async fn round(&self, id: RequestId, method: &str, params: Value) -> Result<Value, ClientError> {
        let (tx, rx) = oneshot::channel();
        {
            let mut pending = lock(&self.pending);
            if pending.closed {
                return Err(ClientError::Closed);
            }
            pending.waiting.insert(id.clone(), tx);
        }
        if !self.link.send(Message::request(id.clone(), method, Some(params))) {
            lock(&self.pending).waiting.remove(&id);
            return Err(ClientError::Closed);
        }
        // Dropping this future before the answer (a timeout, a `select!`, an abandoned task)
        // cancels the request on the server (`initialize` is never cancelled).
        let mut in_flight = InFlight { client: self, id: (method != "initialize").then(|| id.clone()) };
        let answer = rx.await;
        in_flight.id = None;
        match answer {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(answer_error(e)),
            Err(_) => Err(ClientError::Closed),
        }
    }

    /// Sends a notification.
    pub fn notify(&self, method: &str, params: Option<Value>) {
        self.link.send(Message::notification(method, params));
    }

    /// Sends `notifications/cancelled` for a request in flight.
    pub fn cancel(&self, id: &RequestId) {
        self.notify("notifications/cancelled", Some(json!({ "requestId": id, "reason": "cancelled by the client" })));
    }

    /// The next notification the server sent (in order), waiting for one.
    pub async fn next_notification(&self) -> Option<Notification> {
        self.notifications.lock().await.recv().await
    }

    /// Notifications already received, without waiting.
    pub async fn drain_notifications(&self) -> Vec<Notification> {
        let mut rx = self.notifications.lock().await;
        std::iter::from_fn(|| rx.try_recv().ok()).collect()
    }

    /// `ping` (on 2026-07-28, which has no `ping`, a `server/discover`).
    pub async fn ping(&self) -> Result<(), ClientError> {
        let method = if self.rev2026.is_some() { "server/discover" } else { "ping" };
        self.request(method, json!({})).await.map(|_| ())
    }

    pub(super) async fn list_all(&self, method: &str, key: &str) -> Result<Vec<Value>, ClientError> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        let mut seen = std::collections::HashSet::new();
        loop {
            // A server that pages forever (a cursor seen before, or no end) is an error, not
            // a client that grows without bound.
            if items.len() > MAX_LISTED || cursor.as_ref().is_some_and(|c| !seen.insert(c.clone())) {
                return Err(ClientError::Decode(format!(
                    "`{method}` does not end: more than {MAX_LISTED} items, or a repeated cursor"
                )));
            }
            let params = match &cursor {
                Some(c) => json!({ "cursor": c }),
                None => json!({}),
            };
            let page = self.request(method, params).await?;
            let page_items = page
                .get(key)
                .and_then(Value::as_array)
                .ok_or_else(|| ClientError::Decode(format!("no `{key}` in {page}")))?;
            items.extend(page_items.iter().cloned());
            match page.get("nextCursor").and_then(Value::as_str) {
                Some(c) => cursor = Some(c.to_owned()),
                None => return Ok(items),
            }
        }
    }

    /// Every tool, following pagination. On 2026-07-28 over HTTP, a tool whose `x-mcp-header`
    /// arguments break SEP-2243's rules is left out (the spec asks clients to drop it), with a
    /// warning.
    pub async fn list_tools(&self) -> Result<Vec<Value>, ClientError> {
        let mut tools = self.list_all("tools/list", "tools").await?;
        if self.rev2026.is_some() && self.http {
            tools.retain(|t| match super::client_rev2026::param_headers(&t["inputSchema"]) {
                Ok(_) => true,
                Err(why) => {
                    tracing::warn!(tool = %t["name"], why, "a tool with invalid x-mcp-header arguments was dropped");
                    false
                }
            });
        }
        Ok(tools)
    }
    /// Every prompt (all pages).
    pub async fn list_prompts(&self) -> Result<Vec<Value>, ClientError> {
        self.list_all("prompts/list", "prompts").await
    }
    /// Every resource (all pages).
    pub async fn list_resources(&self) -> Result<Vec<Value>, ClientError> {
        self.list_all("resources/list", "resources").await
    }
    /// Every resource template (all pages).
    pub async fn list_resource_templates(&self) -> Result<Vec<Value>, ClientError> {
        self.list_all("resources/templates/list", "resourceTemplates").await
    }

    /// Calls a tool. Tool failures are `Ok` results with `is_error`; protocol errors are `Err`.
    /// On 2026-07-28 a server may answer with a task: it is followed to its end (and cancelled
    /// if this future is dropped first).
    pub async fn call_tool(&self, name: &str, arguments: Value) -> Result<CallToolResult, ClientError> {
        let mut v = self.request("tools/call", json!({ "name": name, "arguments": arguments })).await?;
        if self.rev2026.is_some() && v["resultType"] == "task" {
            v = super::client_rev2026::follow_task(self, &v).await?;
        }
        decode(v)
    }

    /// On 2026-07-28, follows a task the server answered a request with (a result whose
    /// `resultType` is `"task"`) to its end, and returns the request's result; see
    /// [`Client::call_tool`], which does this on its own.
    pub async fn follow_task(&self, created: &Value) -> Result<Value, ClientError> {
        super::client_rev2026::follow_task(self, created).await
    }

    /// `resources/read`.
    pub async fn read_resource(&self, uri: &str) -> Result<ReadResourceResult, ClientError> {
        decode(self.request("resources/read", json!({ "uri": uri })).await?)
    }

    /// `prompts/get`.
    pub async fn get_prompt(&self, name: &str, arguments: Value) -> Result<GetPromptResult, ClientError> {
        decode(self.request("prompts/get", json!({ "name": name, "arguments": arguments })).await?)
    }

    /// `completion/complete` for a prompt argument; returns the suggested values.
    pub async fn complete_prompt_argument(
        &self,
        prompt: &str,
        argument: &str,
        value: &str,
    ) -> Result<Vec<String>, ClientError> {
        let v = self
            .request(
                "completion/complete",
                json!({ "ref": { "type": "ref/prompt", "name": prompt }, "argument": { "name": argument, "value": value } }),
            )
            .await?;
        decode(v["completion"]["values"].clone())
    }

    /// `resources/subscribe`.
    pub async fn subscribe(&self, uri: &str) -> Result<(), ClientError> {
        self.request("resources/subscribe", json!({ "uri": uri })).await.map(|_| ())
    }

    /// `resources/unsubscribe`.
    pub async fn unsubscribe(&self, uri: &str) -> Result<(), ClientError> {
        self.request("resources/unsubscribe", json!({ "uri": uri })).await.map(|_| ())
    }

    /// `logging/setLevel`.
    pub async fn set_logging_level(&self, level: crate::protocol::LoggingLevel) -> Result<(), ClientError> {
        self.request("logging/setLevel", json!({ "level": level })).await.map(|_| ())
    }
}

fn decode<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ClientError> {
    serde_json::from_value(v).map_err(|e| ClientError::Decode(e.to_string()))
}
