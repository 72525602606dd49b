//! The client side of Streamable HTTP (2025-11-25): every message is a POST to the endpoint;
//! the answer is JSON, an SSE stream, or 202. The session id from `initialize` and the
//! negotiated version go on every later request; a GET stream carries what the server sends
//! on its own (resumed with `Last-Event-ID`); dropping the client DELETEs the session.

use super::client::{ClientError, Link};
use crate::protocol::{ErrorObject, Message, RequestId, Response};
use crate::sync::lock;
use crate::transport::{Outbound, Outgoing};
use futures_util::StreamExt;
use reqwest::header::{ACCEPT, CONTENT_TYPE, HeaderMap, HeaderValue};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{Semaphore, mpsc};

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
/// Messages waiting to be posted; past this, sends fail instead of queueing without bound.
const SEND_QUEUE: usize = 1024;
/// POSTs in flight at once.
const MAX_IN_FLIGHT: usize = 64;
/// Longest SSE event accepted from the server.
const MAX_EVENT_BYTES: usize = 16 * 1024 * 1024;

/// What every request after `initialize` carries.
#[derive(Default)]
struct SessionInfo {
    id: Option<String>,
    version: Option<String>,
}

struct Shared {
    http: reqwest::Client,
    url: String,
    headers: HeaderMap,
    session: Mutex<SessionInfo>,
    out: Outbound,
    /// Revision 2026-07-28: no session, the revision's headers on every POST, and a request
    /// cancelled by closing its stream.
    rev2026: bool,
    /// 2026-07-28: the POST of each request in flight, to abort when it is cancelled.
    posts: Mutex<std::collections::HashMap<RequestId, tokio::task::AbortHandle>>,
    /// 2026-07-28: the arguments each tool mirrors in `Mcp-Param-*` headers (`x-mcp-header`),
    /// learnt from the `tools/list` results that pass through.
    param_headers: Mutex<std::collections::HashMap<String, Vec<ParamHeader>>>,
}

/// One `x-mcp-header` argument: its path through `properties`, and the header's name.
struct ParamHeader {
    path: Vec<String>,
    header: String,
}

/// Tools whose `Mcp-Param-*` headers are remembered.
const MAX_TOOLS_WITH_HEADERS: usize = 10_000;

impl Shared {
    fn request(&self, method: reqwest::Method) -> reqwest::RequestBuilder {
        let mut req = self.http.request(method, &self.url).headers(self.headers.clone());
        let session = lock(&self.session);
        if let Some(id) = &session.id {
            req = req.header(SESSION_HEADER, id);
        }
        if let Some(v) = &session.version {
            req = req.header(VERSION_HEADER, v);
        }
        req
    }
}

struct HttpLink {
    queue: mpsc::Sender<Message>,
    shared: Arc<Shared>,
}

impl Link for HttpLink {
    fn send(&self, message: Message) -> bool {
        // 2026-07-28 has no client notifications over HTTP: a request is cancelled by closing
        // its stream, which aborting its POST does.
        if self.shared.rev2026
            && let Message::Notification(n) = &message
            && n.method == "notifications/cancelled"
        {
            let id = n.params.as_ref().and_then(|p| serde_json::from_value::<RequestId>(p["requestId"].clone()).ok());
            if let Some(post) = id.and_then(|id| lock(&self.shared.posts).remove(&id)) {
                post.abort();
            }
            return true;
        }
        self.queue.try_send(message).is_ok()
    }
}

impl Drop for HttpLink {
    fn drop(&mut self) {
        // End the session on the server (best effort, in the background).
        if lock(&self.shared.session).id.is_some()
            && let Ok(runtime) = tokio::runtime::Handle::try_current()
        {
            let req = self.shared.request(reqwest::Method::DELETE);
            runtime.spawn(async move {
                let _ = req.send().await;
            });
        }
    }
}

/// Connects to the Streamable HTTP endpoint `url` with these extra headers (e.g. a bearer token).
pub(crate) fn open(
    url: String,
    headers: HeaderMap,
    rev2026: bool,
) -> Result<(Arc<dyn Link>, mpsc::Receiver<Outgoing>), ClientError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ClientError::Spawn(std::io::Error::other(e)))?;
    let (out, inbound) = Outbound::channel();
    let shared = Arc::new(Shared {
        http,
        url,
        headers,
        session: Mutex::default(),
        out,
        rev2026,
        posts: Mutex::default(),
        param_headers: Mutex::default(),
    });
    let (queue, mut to_send) = mpsc::channel::<Message>(SEND_QUEUE);
    let poster = shared.clone();
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        while let Some(message) = to_send.recv().await {
            let Ok(permit) = permits.clone().acquire_owned().await else { break };
            let shared = poster.clone();
            // `initialize` is posted alone: the session id it returns goes on everything after.
            let is_initialize = matches!(&message, Message::Request(r) if r.method == "initialize");
            let request_id = match &message {
                Message::Request(r) if poster.rev2026 => Some(r.id.clone()),
                _ => None,
            };
            let task = tokio::spawn(async move {
                post(&shared, message).await;
                drop(permit);
            });
            if let Some(id) = request_id
                && !task.is_finished()
            {
                let mut posts = lock(&poster.posts);
                posts.retain(|_, p| !p.is_finished());
                posts.insert(id, task.abort_handle());
            }
            if is_initialize {
                let _ = task.await;
                let listener = poster.clone();
                tokio::spawn(async move { listen(listener).await });
            }
        }
    });
    Ok((Arc::new(HttpLink { queue, shared }), inbound))
}

/// The headers of revision 2026-07-28 (SEP-2243): the version, the method, and for calls,
/// reads, gets and task requests the name they target.
fn rev2026_headers(shared: &Shared, mut req: reqwest::RequestBuilder, message: &Message) -> reqwest::RequestBuilder {
    req = req.header(VERSION_HEADER, crate::rev2026::REV2026_VERSION);
    let (method, params) = match message {
        Message::Request(r) => (r.method.as_str(), r.params.as_ref()),
        Message::Notification(n) => (n.method.as_str(), n.params.as_ref()),
        Message::Response(_) => return req,
    };
    if let Ok(v) = HeaderValue::from_str(method) {
        req = req.header("mcp-method", v);
    }
    let key = match method {
        "tools/call" | "prompts/get" => "name",
        "resources/read" => "uri",
        "tasks/get" | "tasks/update" | "tasks/cancel" => "taskId",
        _ => return req,
    };
    let Some(name) = params.and_then(|p| p.get(key)).and_then(serde_json::Value::as_str) else { return req };
    if let Ok(v) = HeaderValue::from_str(&header_value(name)) {
        req = req.header("mcp-name", v);
    }
    if method == "tools/call" {
        let args = params.and_then(|p| p.get("arguments"));
        for h in lock(&shared.param_headers).get(name).into_iter().flatten() {
            let value = args.and_then(|a| h.path.iter().try_fold(a, |v, k| v.get(k)));
            let text = match value {
                Some(serde_json::Value::String(s)) => header_value(s),
                Some(serde_json::Value::Bool(b)) => b.to_string(),
                Some(serde_json::Value::Number(n)) => n.to_string(),
                _ => continue,
            };
            if let Ok(v) = HeaderValue::from_str(&text) {
                req = req.header(format!("mcp-param-{}", h.header), v);
            }
        }
    }
    req
}

/// Remembers the `x-mcp-header` arguments of the tools in a `tools/list` result (a tool that
/// breaks the rules is dropped by the client, and has none).
fn learn_param_headers(shared: &Shared, result: &serde_json::Value) {
    let Some(tools) = result.get("tools").and_then(serde_json::Value::as_array) else { return };
    let mut map = lock(&shared.param_headers);
    for tool in tools {
        let Some(name) = tool.get("name").and_then(serde_json::Value::as_str) else { continue };
        let found: Vec<ParamHeader> = super::client_rev2026::param_headers(&tool["inputSchema"])
            .unwrap_or_default()
            .into_iter()
            .map(|(path, header)| ParamHeader { path, header })
            .collect();
        if found.is_empty() {
            map.remove(name);
        } else if map.len() < MAX_TOOLS_WITH_HEADERS || map.contains_key(name) {
            map.insert(name.to_owned(), found);
        }
    }
}

/// A header value as SEP-2243 encodes it: printable ASCII as is, anything else (non-ASCII,
/// control characters, surrounding spaces, the sentinel itself) as `=?base64?...?=`.
fn header_value(v: &str) -> String {
    use base64::Engine;
    let plain = v.bytes().all(|b| (0x20..=0x7e).contains(&b))
        && v.trim() == v
        && !(v.starts_with("=?base64?") && v.ends_with("?="));
    if plain { v.to_owned() } else { format!("=?base64?{}?=", base64::engine::general_purpose::STANDARD.encode(v)) }
}

/// The error response a request gets when its POST fails, so the caller does not wait forever.
fn failed(id: &RequestId, why: String) -> Message {
    Message::Response(Response { id: Some(id.clone()), outcome: Err(ErrorObject::internal(why)) })
}

async fn post(shared: &Shared, message: Message) {
    let request_id = match &message {
        Message::Request(r) => Some(r.id.clone()),
        _ => None,
    };
    let initialize = matches!(&message, Message::Request(r) if r.method == "initialize");
    let body = match serde_json::to_vec(&message) {
        Ok(b) => b,
        Err(e) => {
            tracing::error!(error = %e, "a message could not be serialized");
            return;
        }
    };
    let mut req = shared.request(reqwest::Method::POST);
    if shared.rev2026 {
        req = rev2026_headers(shared, req, &message);
    }
    let sent = req
        .header(CONTENT_TYPE, "application/json")
        .header(ACCEPT, "application/json, text/event-stream")
        .body(body)
        .send()
        .await;
    let response = match sent {
        Ok(r) => r,
        Err(e) => {
            if let Some(id) = &request_id {
                let why = format!("the server could not be reached: {e}");
                let error =
                    ErrorObject::internal(why).with_data(serde_json::json!({ super::client::UNREACHABLE: true }));
                shared.out.send(Message::Response(Response { id: Some(id.clone()), outcome: Err(error) })).await;
            }
            return;
        }
    };
    if initialize && let Some(id) = response.headers().get(SESSION_HEADER).and_then(|v| v.to_str().ok()) {
        lock(&shared.session).id = Some(id.to_owned());
    }
    let status = response.status();
    // A 404 to a request of a session: the server restarted or dropped the session.
    if status == reqwest::StatusCode::NOT_FOUND
        && !initialize
        && lock(&shared.session).id.is_some()
        && let Some(id) = &request_id
    {
        let error = ErrorObject::internal(format!("HTTP {status}: the session is gone"))
            .with_data(serde_json::json!({ super::client::SESSION_EXPIRED: true }));
        shared.out.send(Message::Response(Response { id: Some(id.clone()), outcome: Err(error) })).await;
        return;
    }
    let is_sse = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|t| t.starts_with("text/event-stream"));
    if is_sse {
        read_events(shared, response, initialize, &mut None).await;
        return;
    }
    let bytes = response.bytes().await.unwrap_or_default();
    if bytes.iter().all(u8::is_ascii_whitespace) {
        if let (Some(id), false) = (&request_id, status.is_success()) {
            shared.out.send(failed(id, format!("HTTP {status}"))).await;
        }
        return;
    }
    match Message::decode(&bytes) {
        // An error the server could not tie to a request (a 401, a 400 before parsing) is this
        // request's answer.
        Ok(Message::Response(mut r)) if r.id.is_none() && request_id.is_some() => {
            r.id = request_id.clone();
            if let Err(e) = &mut r.outcome
                && !status.is_success()
            {
                e.message = format!("HTTP {status}: {}", e.message);
            }
            deliver(shared, Message::Response(r), initialize).await
        }
        Ok(m) => deliver(shared, m, initialize).await,
        Err(_) => {
            if let Some(id) = &request_id {
                let text = String::from_utf8_lossy(&bytes[..bytes.len().min(200)]).into_owned();
                shared.out.send(failed(id, format!("HTTP {status}: {text}"))).await;
            }
        }
    }
}

/// Hands one message to the client; the `initialize` result also fixes the protocol version.
async fn deliver(shared: &Shared, message: Message, initialize: bool) {
    if shared.rev2026
        && let Message::Response(Response { outcome: Ok(result), .. }) = &message
    {
        learn_param_headers(shared, result);
    }
    if initialize
        && let Message::Response(Response { outcome: Ok(result), .. }) = &message
        && let Some(v) = result.get("protocolVersion").and_then(|v| v.as_str())
    {
        lock(&shared.session).version = Some(v.to_owned());
    }
    shared.out.send(message).await;
}

/// Reads an SSE body: each `data:` event is one message; `id:` is remembered for resumption.
async fn read_events(shared: &Shared, response: reqwest::Response, initialize: bool, last_id: &mut Option<String>) {
    let mut stream = response.bytes_stream();
    let mut buffer: Vec<u8> = Vec::new();
    while let Some(Ok(chunk)) = stream.next().await {
        buffer.extend_from_slice(&chunk);
        while let Some(end) = find_event_end(&buffer) {
            let event: Vec<u8> = buffer.drain(..end.0 + end.1).collect();
            let text = String::from_utf8_lossy(&event[..end.0]);
            let mut data = Vec::new();
            for line in text.lines() {
                if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d));
                } else if let Some(id) = line.strip_prefix("id:") {
                    *last_id = Some(id.trim().to_owned());
                }
            }
            if data.is_empty() {
                continue;
            }
            match Message::decode(data.join("\n").as_bytes()) {
                Ok(m) => deliver(shared, m, initialize).await,
                Err(e) => tracing::warn!(error = %e.error.message, "the server sent an SSE event that is not JSON-RPC"),
            }
        }
        if buffer.len() > MAX_EVENT_BYTES {
            tracing::warn!("the server sent an SSE event over {MAX_EVENT_BYTES} bytes; stream dropped");
            return;
        }
    }
}

/// The end of the first complete event: (its length, the length of the blank line after it).
fn find_event_end(buffer: &[u8]) -> Option<(usize, usize)> {
    let lf = buffer.windows(2).position(|w| w == b"\n\n").map(|i| (i, 2));
    let crlf = buffer.windows(4).position(|w| w == b"\r\n\r\n").map(|i| (i, 4));
    match (lf, crlf) {
        (Some(a), Some(b)) => Some(if a.0 <= b.0 { a } else { b }),
        (a, b) => a.or(b),
    }
}

/// The GET stream for what the server sends on its own (notifications, list changes), resumed
/// after a drop while the client lives. A server without one (405) is fine.
async fn listen(shared: Arc<Shared>) {
    let mut last_id: Option<String> = None;
    let mut backoff = Duration::from_millis(250);
    loop {
        let mut req = shared.request(reqwest::Method::GET).header(ACCEPT, "text/event-stream");
        if let Some(id) = &last_id
            && let Ok(v) = HeaderValue::from_str(id)
        {
            req = req.header("last-event-id", v);
        }
        match req.send().await {
            Ok(r) if r.status().is_success() => {
                backoff = Duration::from_millis(250);
                read_events(&shared, r, false, &mut last_id).await;
            }
            Ok(r) if r.status() == reqwest::StatusCode::METHOD_NOT_ALLOWED => return,
            Ok(r) if r.status() == reqwest::StatusCode::NOT_FOUND => return,
            _ => {}
        }
        // The client is gone when nobody reads what this stream would deliver.
        if shared.out.is_closed() {
            return;
        }
        tokio::time::sleep(backoff).await;
        backoff = (backoff * 2).min(Duration::from_secs(10));
    }
}
