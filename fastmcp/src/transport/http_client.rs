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
}

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
pub(crate) fn open(url: String, headers: HeaderMap) -> Result<(Arc<dyn Link>, mpsc::Receiver<Outgoing>), ClientError> {
    let http = reqwest::Client::builder()
        .connect_timeout(Duration::from_secs(10))
        .build()
        .map_err(|e| ClientError::Spawn(std::io::Error::other(e)))?;
    let (out, inbound) = Outbound::channel();
    let shared = Arc::new(Shared { http, url, headers, session: Mutex::default(), out });
    let (queue, mut to_send) = mpsc::channel::<Message>(SEND_QUEUE);
    let poster = shared.clone();
    tokio::spawn(async move {
        let permits = Arc::new(Semaphore::new(MAX_IN_FLIGHT));
        while let Some(message) = to_send.recv().await {
            let Ok(permit) = permits.clone().acquire_owned().await else { break };
            let shared = poster.clone();
            // `initialize` is posted alone: the session id it returns goes on everything after.
            let is_initialize = matches!(&message, Message::Request(r) if r.method == "initialize");
            let task = tokio::spawn(async move {
                post(&shared, message).await;
                drop(permit);
            });
            if is_initialize {
                let _ = task.await;
                let listener = poster.clone();
                tokio::spawn(async move { listen(listener).await });
            }
        }
    });
    Ok((Arc::new(HttpLink { queue, shared }), inbound))
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
    let sent = shared
        .request(reqwest::Method::POST)
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
