//! Streamable HTTP (MCP 2025-11-25 transport) on axum: one endpoint, POST / GET / DELETE.
//!
//! - POST carries one client message. Notifications and responses get 202. A request gets
//!   `application/json` when its first outgoing message is its own response (the common case,
//!   and the fast one), and `text/event-stream` when the handler sends notifications or
//!   server-to-client requests first; that stream ends after the response.
//! - Every SSE stream is logged (bounded) so a client can resume it with `GET` +
//!   `Last-Event-ID`; event ids are `{stream}-{seq}`, so the id names its stream and a resume
//!   replays that stream only. Clients at 2025-11-25 get a priming event (`id`, empty `data`,
//!   `retry`) first.
//! - GET without `Last-Event-ID` opens the session's standalone stream (list changes, resource
//!   updates); DELETE ends the session, after which its id answers 404.
//! - Host and Origin are checked against an allow-list (loopback by default) against DNS
//!   rebinding; bodies are size-limited.
//! - Stateless mode: no sessions, JSON answers only, GET/DELETE 405 — for load balancers.

// The checks return a ready HTTP response as their error: a cold path, so its size is moot.
#![allow(clippy::result_large_err)]

use crate::protocol::{ErrorObject, Message, RequestId, SUPPORTED_PROTOCOL_VERSIONS};
use crate::server::{FastMcp, Server, ServerError, Session};
use crate::sync::{lock, read};
use crate::transport::{Outbound, Outgoing};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

const SESSION_HEADER: &str = "mcp-session-id";
const VERSION_HEADER: &str = "mcp-protocol-version";
const LAST_EVENT_HEADER: &str = "last-event-id";

/// Settings of the HTTP transport.
#[derive(Debug, Clone)]
pub struct HttpOptions {
    /// The MCP endpoint path (default `/mcp`).
    pub path: String,
    /// No sessions, JSON answers only (default false).
    pub stateless: bool,
    /// Host names (without port) accepted in `Host` and `Origin`; default loopback only.
    /// An entry `*` accepts any host (only behind a proxy that checks it).
    pub allowed_hosts: Vec<String>,
    /// Largest accepted POST body (default 4 MiB); larger ones get 413.
    pub max_body_bytes: usize,
    /// The `retry:` hint sent with priming events (default 1 s).
    pub sse_retry: Duration,
    /// Events kept per SSE stream for `Last-Event-ID` resumption (default 1024).
    pub stream_buffer_events: usize,
    /// SSE streams kept per session (default 256); the oldest finished ones are dropped first.
    pub max_streams_per_session: usize,
    /// Answer every request with an SSE stream, even a plain request/response (default false:
    /// plain answers are JSON, which is cheaper).
    pub sse_always: bool,
    /// A session with no request and no open stream for this long is ended (default 30 min),
    /// so clients that vanish without DELETE do not keep memory forever.
    pub session_idle_timeout: Duration,
    /// Static bearer tokens and the principal each one authenticates. When any is set, every
    /// request needs `Authorization: Bearer <token>` (401 with `WWW-Authenticate` otherwise);
    /// a session is bound to the principal that opened it, and so are its tasks.
    pub bearer_tokens: HashMap<String, String>,
    /// JWT bearer tokens, verified against a key or JWKS; the principal is a claim (`sub`).
    #[cfg(feature = "jwt")]
    pub jwt: Option<crate::auth::JwtVerifier>,
    /// Connections open at once (default 1024); one more is answered 503 and closed.
    pub max_connections: usize,
    /// Time a connection has to send a request's headers (default 30 s); it also bounds how
    /// long an idle keep-alive connection waits for its next request.
    pub header_read_timeout: Duration,
    /// Time a client has to send a request's body once its headers are in (default 60 s);
    /// slower bodies get 408.
    pub body_read_timeout: Duration,
    /// HTTP keep-alive (default on).
    pub keep_alive: bool,
    /// Sessions open at once (default 10 000); `initialize` beyond it gets 503 and -32000.
    pub max_sessions: usize,
    /// Sessions one authenticated principal may hold at once (default 100); beyond it, 429.
    pub max_sessions_per_principal: usize,
    /// SSE connections open at once across all sessions (default 4096); beyond it, 503.
    pub max_sse_streams: usize,
    /// A comment is sent on an SSE stream idle this long (default 15 s), so proxies keep it.
    pub sse_keep_alive: Duration,
    /// Bytes kept per SSE stream for resumption (default 1 MiB); the oldest events go first,
    /// but the newest event is always kept.
    pub stream_buffer_bytes: usize,
    /// Bytes kept for resumption across all of one session's SSE streams (default 8 MiB);
    /// beyond it the oldest streams are forgotten.
    pub session_buffer_bytes: usize,
}

impl Default for HttpOptions {
    fn default() -> Self {
        HttpOptions {
            path: "/mcp".into(),
            stateless: false,
            allowed_hosts: vec!["localhost".into(), "127.0.0.1".into(), "[::1]".into()],
            max_body_bytes: 4 * 1024 * 1024,
            sse_retry: Duration::from_millis(1000),
            stream_buffer_events: 1024,
            max_streams_per_session: 256,
            sse_always: false,
            session_idle_timeout: Duration::from_secs(30 * 60),
            bearer_tokens: HashMap::new(),
            #[cfg(feature = "jwt")]
            jwt: None,
            max_connections: 1024,
            header_read_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(60),
            keep_alive: true,
            max_sessions: 10_000,
            max_sessions_per_principal: 100,
            max_sse_streams: 4096,
            sse_keep_alive: Duration::from_secs(15),
            stream_buffer_bytes: 1024 * 1024,
            session_buffer_bytes: 8 * 1024 * 1024,
        }
    }
}

impl HttpOptions {
    /// See [`HttpOptions::stateless`].
    pub fn stateless(mut self, stateless: bool) -> Self {
        self.stateless = stateless;
        self
    }
    /// See [`HttpOptions::path`].
    pub fn path(mut self, path: impl Into<String>) -> Self {
        self.path = path.into();
        self
    }
    /// Also accepts this host in `Host` and `Origin`.
    pub fn allow_host(mut self, host: impl Into<String>) -> Self {
        self.allowed_hosts.push(host.into());
        self
    }
    /// See [`HttpOptions::max_body_bytes`].
    pub fn max_body_bytes(mut self, bytes: usize) -> Self {
        self.max_body_bytes = bytes;
        self
    }
    /// See [`HttpOptions::sse_retry`].
    pub fn sse_retry(mut self, retry: Duration) -> Self {
        self.sse_retry = retry;
        self
    }
    /// See [`HttpOptions::session_idle_timeout`].
    pub fn session_idle_timeout(mut self, timeout: Duration) -> Self {
        self.session_idle_timeout = timeout;
        self
    }
    /// See [`HttpOptions::sse_always`].
    pub fn sse_always(mut self, sse_always: bool) -> Self {
        self.sse_always = sse_always;
        self
    }
    /// Accepts JWT bearer tokens that `verifier` validates.
    #[cfg(feature = "jwt")]
    pub fn jwt(mut self, verifier: crate::auth::JwtVerifier) -> Self {
        self.jwt = Some(verifier);
        self
    }
    /// See [`HttpOptions::max_connections`].
    pub fn max_connections(mut self, n: usize) -> Self {
        self.max_connections = n.max(1);
        self
    }
    /// See [`HttpOptions::header_read_timeout`].
    pub fn header_read_timeout(mut self, timeout: Duration) -> Self {
        self.header_read_timeout = timeout;
        self
    }
    /// See [`HttpOptions::body_read_timeout`].
    pub fn body_read_timeout(mut self, timeout: Duration) -> Self {
        self.body_read_timeout = timeout;
        self
    }
    /// See [`HttpOptions::keep_alive`].
    pub fn keep_alive(mut self, keep_alive: bool) -> Self {
        self.keep_alive = keep_alive;
        self
    }
    /// See [`HttpOptions::max_sessions`].
    pub fn max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n.max(1);
        self
    }
    /// See [`HttpOptions::max_sessions_per_principal`].
    pub fn max_sessions_per_principal(mut self, n: usize) -> Self {
        self.max_sessions_per_principal = n.max(1);
        self
    }
    /// See [`HttpOptions::max_sse_streams`].
    pub fn max_sse_streams(mut self, n: usize) -> Self {
        self.max_sse_streams = n.max(1);
        self
    }
    /// See [`HttpOptions::sse_keep_alive`].
    pub fn sse_keep_alive(mut self, every: Duration) -> Self {
        self.sse_keep_alive = every.max(Duration::from_millis(10));
        self
    }
    /// See [`HttpOptions::stream_buffer_bytes`] and [`HttpOptions::session_buffer_bytes`].
    pub fn buffer_bytes(mut self, per_stream: usize, per_session: usize) -> Self {
        self.stream_buffer_bytes = per_stream;
        self.session_buffer_bytes = per_session;
        self
    }
    /// Accepts `Authorization: Bearer {token}` as `principal` (see [`HttpOptions::bearer_tokens`]).
    pub fn bearer_token(mut self, token: impl Into<String>, principal: impl Into<String>) -> Self {
        self.bearer_tokens.insert(token.into(), principal.into());
        self
    }
}

impl From<&HttpOptions> for super::http_conn::ConnectionLimits {
    fn from(o: &HttpOptions) -> Self {
        super::http_conn::ConnectionLimits {
            max_connections: o.max_connections,
            header_read_timeout: o.header_read_timeout,
            keep_alive: o.keep_alive,
        }
    }
}

impl FastMcp {
    /// Builds and serves Streamable HTTP on `addr` until shutdown (Ctrl-C / SIGTERM).
    pub async fn run_http(self, addr: impl tokio::net::ToSocketAddrs) -> Result<(), ServerError> {
        self.build()?.run_http(addr, HttpOptions::default()).await
    }
}

impl Server {
    /// Serves Streamable HTTP on `addr` until `shutdown()` is called or the process gets Ctrl-C
    /// / SIGTERM; then shuts down gracefully. Port 0 picks a free port: see [`Server::local_addr`].
    /// With `FASTMCP_MANIFEST=json|fastmcp|markdown` set it prints the server's manifest to
    /// stdout instead, and returns without binding.
    pub async fn run_http(
        &self,
        addr: impl tokio::net::ToSocketAddrs,
        options: HttpOptions,
    ) -> Result<(), ServerError> {
        if self.print_manifest_if_asked()? {
            return Ok(());
        }
        let listener = tokio::net::TcpListener::bind(addr).await?;
        self.serve_http(listener, options).await
    }

    /// Serves Streamable HTTP on an already bound listener.
    ///
    /// Shutdown (Ctrl-C, SIGTERM or [`Server::shutdown`]) is graceful: the listener stops
    /// accepting, standalone GET streams end, requests in flight run to completion and are
    /// answered (those still running at `shutdown_timeout` get a JSON-RPC error), the task
    /// worker drains and hands unfinished runs back, lifespan teardowns run, then this returns.
    pub async fn serve_http(&self, listener: tokio::net::TcpListener, options: HttpOptions) -> Result<(), ServerError> {
        let local = listener.local_addr()?;
        let _ = self.inner.local_addr.set(local);
        self.start().await?;
        let limits = super::http_conn::ConnectionLimits::from(&options);
        let router = self.http_router(options);
        let token = self.shutdown_token();
        self.mark_transport_ready();
        tracing::info!(%local, "serving Streamable HTTP");
        let serve = super::http_conn::serve(listener, router, limits, token.clone());
        let mut serve = std::pin::pin!(serve);
        let ended_alone = tokio::select! {
            r = &mut serve => Some(r),
            _ = crate::signal::wait_for_signal() => {
                tracing::info!("signal received; shutting down");
                None
            }
            _ = token.cancelled() => None,
        };
        match ended_alone {
            Some(r) => {
                self.shutdown().await;
                r.map_err(ServerError::Io)
            }
            None => {
                // The drain runs next to the connections, which close as their answers finish.
                let bound = self.inner.shutdown_timeout + Duration::from_secs(3);
                let (r, ()) = tokio::join!(
                    async { tokio::time::timeout(bound, &mut serve).await.unwrap_or(Ok(())) },
                    self.shutdown()
                );
                r.map_err(ServerError::Io)
            }
        }
    }

    /// The address the HTTP transport listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> Option<SocketAddr> {
        self.inner.local_addr.get().copied()
    }

    /// The axum router of the MCP endpoint, to mount in an application of your own. Call
    /// [`Server::start`] before serving it.
    pub fn http_router(&self, options: HttpOptions) -> Router {
        let path = options.path.clone();
        let state = Arc::new(HttpState {
            server: self.clone(),
            options,
            sessions: Mutex::new(HashMap::new()),
            open_streams: Arc::default(),
        });
        {
            // At shutdown the standalone GET streams end (they would hold the connections open
            // forever), while requests in flight keep their streams until they are answered
            // (the server answers those still running at the drain deadline with an error).
            let state = state.clone();
            let token = self.shutdown_token();
            tokio::spawn(async move {
                token.cancelled().await;
                let sessions: Vec<_> = lock(&state.sessions).values().cloned().collect();
                for s in &sessions {
                    if let Some(log) = s.stream(0) {
                        log.detach();
                    }
                }
            });
        }
        tokio::spawn(sweep_idle_sessions(Arc::downgrade(&state), self.shutdown_token()));
        Router::new().route(&path, axum::routing::any(endpoint)).with_state(state)
    }
}

struct HttpState {
    server: Server,
    options: HttpOptions,
    sessions: Mutex<HashMap<String, Arc<HttpSession>>>,
    /// GET streams open now (bounded by `max_sse_streams`).
    open_streams: Arc<std::sync::atomic::AtomicUsize>,
}

/// One SSE stream's event log, and the connection (if any) currently reading it.
struct StreamLog {
    id: u64,
    inner: Mutex<StreamInner>,
}

struct StreamInner {
    events: VecDeque<(u64, Bytes)>,
    /// Bytes in `events`, bounded by `max_bytes` (the newest event is always kept).
    bytes: usize,
    max_bytes: usize,
    /// Bytes held by all of the session's logs, which the session bounds.
    session_bytes: Arc<std::sync::atomic::AtomicUsize>,
    next_seq: u64,
    conn: Option<mpsc::Sender<Bytes>>,
    /// The response was logged; the stream ends once it is delivered.
    finished: bool,
    delivered: bool,
    cap: usize,
}

impl Drop for StreamLog {
    fn drop(&mut self) {
        let inner = lock(&self.inner);
        inner.session_bytes.fetch_sub(inner.bytes, Ordering::Relaxed);
    }
}

impl StreamLog {
    fn new(
        id: u64,
        cap: usize,
        max_bytes: usize,
        session_bytes: Arc<std::sync::atomic::AtomicUsize>,
    ) -> Arc<StreamLog> {
        Arc::new(StreamLog {
            id,
            inner: Mutex::new(StreamInner {
                events: VecDeque::new(),
                bytes: 0,
                max_bytes,
                session_bytes,
                next_seq: 0,
                conn: None,
                finished: false,
                delivered: false,
                cap,
            }),
        })
    }

    /// Logs one event and forwards it to the attached connection, if any. A connection that
    /// cannot keep up is dropped; the client resumes from its last event id.
    fn push(&self, build: impl FnOnce(&str) -> Bytes, last: bool) {
        let mut inner = lock(&self.inner);
        let seq = inner.next_seq;
        inner.next_seq += 1;
        let frame = build(&format!("{}-{seq}", self.id));
        inner.bytes += frame.len();
        inner.session_bytes.fetch_add(frame.len(), Ordering::Relaxed);
        inner.events.push_back((seq, frame.clone()));
        while inner.events.len() > inner.cap || (inner.bytes > inner.max_bytes && inner.events.len() > 1) {
            let Some((_, old)) = inner.events.pop_front() else { break };
            inner.bytes -= old.len();
            inner.session_bytes.fetch_sub(old.len(), Ordering::Relaxed);
        }
        if last {
            inner.finished = true;
        }
        if let Some(conn) = &inner.conn {
            if conn.try_send(frame).is_err() {
                inner.conn = None;
            } else if last {
                inner.delivered = true;
                inner.conn = None; // ends the HTTP response after the result
            }
        }
    }

    /// Attaches a new connection, replaying the events after `after` first.
    fn attach(&self, after: Option<u64>, capacity: usize) -> mpsc::Receiver<Bytes> {
        let (tx, rx) = mpsc::channel(capacity.max(16));
        let mut inner = lock(&self.inner);
        for (seq, frame) in &inner.events {
            if after.is_none_or(|a| *seq > a) && tx.try_send(frame.clone()).is_err() {
                break;
            }
        }
        if inner.finished {
            inner.delivered = true;
        } else {
            inner.conn = Some(tx);
        }
        rx
    }

    fn detach(&self) {
        lock(&self.inner).conn = None;
    }

    fn is_attached(&self) -> bool {
        lock(&self.inner).conn.as_ref().is_some_and(|c| !c.is_closed())
    }

    fn is_done(&self) -> bool {
        let inner = lock(&self.inner);
        inner.finished && inner.delivered
    }
}

struct HttpSession {
    id: String,
    /// Last request (ms since the epoch), for the idle sweep.
    last_seen: AtomicU64,
    session: Arc<Session>,
    /// Stream 0 is the standalone GET stream.
    streams: Mutex<HashMap<u64, Arc<StreamLog>>>,
    next_stream: AtomicU64,
    protocol_version: Mutex<String>,
    /// Bytes held by this session's stream logs.
    log_bytes: Arc<std::sync::atomic::AtomicUsize>,
}

impl HttpSession {
    fn stream(&self, id: u64) -> Option<Arc<StreamLog>> {
        lock(&self.streams).get(&id).cloned()
    }

    fn new_stream(&self, options: &HttpOptions) -> Arc<StreamLog> {
        let id = self.next_stream.fetch_add(1, Ordering::Relaxed);
        let log = StreamLog::new(id, options.stream_buffer_events, options.stream_buffer_bytes, self.log_bytes.clone());
        let mut streams = lock(&self.streams);
        streams.retain(|sid, s| *sid == 0 || !s.is_done());
        // Bounded in count and in bytes: the oldest streams are forgotten first (a client
        // resuming one of them gets 404 and retries the request).
        while streams.len() > 1
            && (streams.len() >= options.max_streams_per_session
                || self.log_bytes.load(Ordering::Relaxed) > options.session_buffer_bytes)
        {
            let Some(oldest) = streams.keys().filter(|k| **k != 0).min().copied() else { break };
            streams.remove(&oldest);
        }
        streams.insert(id, log.clone());
        log
    }

    fn close_all(&self) {
        for s in lock(&self.streams).values() {
            s.detach();
        }
        self.session.cancel_all();
    }

    fn primes(&self) -> bool {
        // Older clients choke on the empty data of a priming event.
        lock(&self.protocol_version).as_str() >= "2025-11-25"
    }
}

fn sse_frame(id: &str, message: &Message) -> Bytes {
    let json = serde_json::to_string(message).unwrap_or_default();
    Bytes::from(format!("event: message\nid: {id}\ndata: {json}\n\n"))
}

fn priming_frame(id: &str, retry: Duration) -> Bytes {
    Bytes::from(format!("id: {id}\nretry: {}\ndata: \n\n", retry.as_millis()))
}

fn json_error(status: StatusCode, id: Option<RequestId>, error: ErrorObject) -> Response {
    let body = Message::Response(crate::protocol::Response::err(id, error)).to_json();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn plain_error(status: StatusCode, message: &str) -> Response {
    json_error(status, None, ErrorObject::new(-32000, message))
}

fn json_response(message: &Message, session: Option<&str>) -> Response {
    let mut resp = (StatusCode::OK, [(header::CONTENT_TYPE, "application/json")], message.to_json()).into_response();
    if let Some(id) = session.and_then(|s| HeaderValue::from_str(s).ok()) {
        resp.headers_mut().insert(SESSION_HEADER, id);
    }
    resp
}

/// An SSE response carrying what arrives on `rx`. A comment line goes out whenever the stream
/// has been quiet for `keep_alive`, so proxies and load balancers do not cut an idle stream;
/// `guard` lives as long as the response body (it releases a stream slot).
fn sse_response(
    rx: mpsc::Receiver<Bytes>,
    session: Option<&str>,
    keep_alive: Duration,
    guard: Option<StreamSlot>,
) -> Response {
    let stream = futures::stream::unfold((rx, guard), move |(mut rx, guard)| async move {
        let next = match tokio::time::timeout(keep_alive, rx.recv()).await {
            Ok(Some(b)) => b,
            Ok(None) => return None,
            Err(_) => Bytes::from_static(b": keep-alive\n\n"),
        };
        Some((Ok::<_, std::convert::Infallible>(next), (rx, guard)))
    });
    let mut resp = Response::new(Body::from_stream(stream));
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    if let Some(id) = session.and_then(|s| HeaderValue::from_str(s).ok()) {
        h.insert(SESSION_HEADER, id);
    }
    resp
}

/// One of the `max_sse_streams` slots for GET streams, released on drop.
struct StreamSlot(Arc<std::sync::atomic::AtomicUsize>);

impl StreamSlot {
    fn take(state: &HttpState) -> Result<StreamSlot, Response> {
        let open = state.open_streams.fetch_add(1, Ordering::AcqRel);
        let slot = StreamSlot(state.open_streams.clone());
        if open >= state.options.max_sse_streams {
            let mut resp =
                plain_error(StatusCode::SERVICE_UNAVAILABLE, "Service Unavailable: too many open SSE streams");
            resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
            return Err(resp);
        }
        Ok(slot)
    }
}

impl Drop for StreamSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// `host[:port]` or `[v6]:port` -> host (lowercase, brackets kept for v6).
fn host_of(authority: &str) -> String {
    let a = authority.trim().to_ascii_lowercase();
    if a.starts_with('[') {
        return a.split(']').next().map(|h| format!("{h}]")).unwrap_or(a);
    }
    a.split(':').next().unwrap_or_default().to_owned()
}

fn header_str<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// DNS-rebinding protection. Fails closed: every `Host` and `Origin` value (duplicates
/// included) and the authority of an absolute-form request target must name an allowed host,
/// and a value that is not UTF-8 is refused.
fn check_host_and_origin(options: &HttpOptions, uri: &axum::http::Uri, headers: &HeaderMap) -> Result<(), Response> {
    if options.allowed_hosts.iter().any(|h| h == "*") {
        return Ok(());
    }
    let allowed = |host: &str| options.allowed_hosts.iter().any(|h| h.eq_ignore_ascii_case(host));
    if let Some(authority) = uri.authority()
        && !allowed(&host_of(authority.as_str()))
    {
        return Err(plain_error(StatusCode::FORBIDDEN, &format!("Invalid request target host: {authority}")));
    }
    for value in headers.get_all(header::HOST) {
        let Ok(host) = value.to_str() else {
            return Err(plain_error(StatusCode::FORBIDDEN, "Invalid Host: not UTF-8"));
        };
        if !allowed(&host_of(host)) {
            return Err(plain_error(StatusCode::FORBIDDEN, &format!("Invalid Host: {host}")));
        }
    }
    for value in headers.get_all(header::ORIGIN) {
        let Ok(origin) = value.to_str() else {
            return Err(plain_error(StatusCode::FORBIDDEN, "Invalid Origin: not UTF-8"));
        };
        let authority = origin.split_once("://").map_or(origin, |(_, rest)| rest);
        let authority = authority.split('/').next().unwrap_or_default();
        if origin == "null" || !allowed(&host_of(authority)) {
            return Err(plain_error(StatusCode::FORBIDDEN, &format!("Invalid Origin: {origin}")));
        }
    }
    Ok(())
}

fn check_version_header(headers: &HeaderMap) -> Result<(), Response> {
    let unsupported = headers
        .get_all(VERSION_HEADER)
        .iter()
        .map(|v| v.to_str().unwrap_or("<not UTF-8>"))
        .find(|v| !SUPPORTED_PROTOCOL_VERSIONS.contains(v));
    match unsupported {
        Some(v) => Err(json_error(
            StatusCode::BAD_REQUEST,
            None,
            ErrorObject::invalid_request(format!(
                "Unsupported MCP-Protocol-Version: {v} (supported: {})",
                SUPPORTED_PROTOCOL_VERSIONS.join(", ")
            )),
        )),
        _ => Ok(()),
    }
}

/// The principal a static token names. Constant time: both sides are hashed to equal length
/// and every configured token is compared in full, so timing says nothing about how much of a
/// guess was right.
fn static_token_principal<'a>(tokens: &'a HashMap<String, String>, presented: &str) -> Option<&'a str> {
    use subtle::ConstantTimeEq;
    let digest = |t: &str| ring::digest::digest(&ring::digest::SHA256, t.as_bytes());
    let presented = digest(presented);
    let mut found = None;
    for (token, principal) in tokens {
        if bool::from(digest(token).as_ref().ct_eq(presented.as_ref())) {
            found = Some(principal.as_str());
        }
    }
    found
}

#[cfg(feature = "jwt")]
fn has_jwt(options: &HttpOptions) -> bool {
    options.jwt.is_some()
}

#[cfg(not(feature = "jwt"))]
fn has_jwt(_: &HttpOptions) -> bool {
    false
}

/// The JWT verdict on `token` (`None` without a JWT verifier).
#[cfg(feature = "jwt")]
async fn verify_jwt(options: &HttpOptions, token: &str) -> Option<Result<String, String>> {
    let jwt = options.jwt.as_ref()?;
    Some(jwt.verify(token).await.map_err(|e| e.to_string()))
}

#[cfg(not(feature = "jwt"))]
async fn verify_jwt(_: &HttpOptions, _: &str) -> Option<Result<String, String>> {
    None
}

/// The principal of the request when bearer auth is on (`Ok(None)` when it is off).
async fn authenticate(options: &HttpOptions, headers: &HeaderMap) -> Result<Option<String>, Response> {
    if options.bearer_tokens.is_empty() && !has_jwt(options) {
        return Ok(None);
    }
    let presented = header_str(headers, header::AUTHORIZATION.as_str())
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    if let Some(principal) = presented.and_then(|t| static_token_principal(&options.bearer_tokens, t)) {
        return Ok(Some(principal.to_owned()));
    }
    let why = match presented {
        Some(token) => match verify_jwt(options, token).await {
            Some(Ok(principal)) => return Ok(Some(principal)),
            Some(Err(e)) => Some(e),
            None => Some("The access token is not valid".to_owned()),
        },
        None => None,
    };
    let (challenge, message) = match why {
        Some(why) => {
            // Quotes and backslashes cannot appear in a quoted-string unescaped.
            let why: String = why.chars().filter(|c| *c != '"' && *c != '\\' && !c.is_control()).collect();
            (
                format!(r#"Bearer realm="mcp", error="invalid_token", error_description="{why}""#),
                "Unauthorized: invalid bearer token",
            )
        }
        None => (r#"Bearer realm="mcp""#.to_owned(), "Unauthorized: a bearer token is required"),
    };
    let mut resp = plain_error(StatusCode::UNAUTHORIZED, message);
    let challenge = HeaderValue::from_str(&challenge)
        .unwrap_or_else(|_| HeaderValue::from_static(r#"Bearer realm="mcp", error="invalid_token""#));
    resp.headers_mut().insert(header::WWW_AUTHENTICATE, challenge);
    Err(resp)
}

/// A session may only be used by the principal that opened it.
fn check_principal(session: &HttpSession, principal: &Option<String>) -> Result<(), Response> {
    if session.session.principal() == *principal {
        Ok(())
    } else {
        Err(plain_error(StatusCode::FORBIDDEN, "Forbidden: the session belongs to another principal"))
    }
}

async fn endpoint(
    State(state): State<Arc<HttpState>>,
    method: Method,
    uri: axum::http::Uri,
    peer: Option<axum::Extension<axum::extract::ConnectInfo<SocketAddr>>>,
    headers: HeaderMap,
    body: Body,
) -> Response {
    let peer = peer.map(|axum::Extension(axum::extract::ConnectInfo(addr))| addr.ip());
    // Everything decided from the headers comes first: an unauthenticated or oversized request
    // never has its body read, so it costs the server no more than its headers.
    if let Err(resp) = check_host_and_origin(&state.options, &uri, &headers) {
        return resp;
    }
    let principal = match authenticate(&state.options, &headers).await {
        Ok(p) => p,
        Err(resp) => return resp,
    };
    match method {
        Method::POST => {
            let body = match read_body(&state.options, &headers, body).await {
                Ok(b) => b,
                Err(resp) => return resp,
            };
            post(state, headers, body, principal, peer).await
        }
        // GET and DELETE belong to 2025 sessions; without one they are 2026-07-28 traffic (POST only).
        Method::GET if !state.options.stateless && headers.contains_key(SESSION_HEADER) => {
            get(state, headers, principal)
        }
        Method::DELETE if !state.options.stateless && headers.contains_key(SESSION_HEADER) => {
            delete(state, headers, principal)
        }
        _ => {
            let mut resp = plain_error(StatusCode::METHOD_NOT_ALLOWED, "Method not allowed");
            let allow = if state.options.stateless || !headers.contains_key(SESSION_HEADER) {
                "POST"
            } else {
                "GET, POST, DELETE"
            };
            resp.headers_mut().insert(header::ALLOW, HeaderValue::from_static(allow));
            resp
        }
    }
}

/// Reads a POST body: a declared `Content-Length` over the limit is refused before reading,
/// the rest is read up to the limit (413 past it) within `body_read_timeout` (408 after it).
async fn read_body(options: &HttpOptions, headers: &HeaderMap, body: Body) -> Result<Bytes, Response> {
    let limit = options.max_body_bytes;
    let too_large =
        || plain_error(StatusCode::PAYLOAD_TOO_LARGE, &format!("Payload Too Large: the limit is {limit} bytes"));
    let declared = header_str(headers, header::CONTENT_LENGTH.as_str()).and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match tokio::time::timeout(options.body_read_timeout, axum::body::to_bytes(body, limit)).await {
        Ok(Ok(bytes)) => Ok(bytes),
        Ok(Err(_)) => Err(too_large()),
        Err(_) => Err(plain_error(StatusCode::REQUEST_TIMEOUT, "Request Timeout: the body was not sent in time")),
    }
}

fn session_of(state: &HttpState, headers: &HeaderMap) -> Result<Arc<HttpSession>, Response> {
    let Some(id) = header_str(headers, SESSION_HEADER) else {
        return Err(plain_error(StatusCode::BAD_REQUEST, "Bad Request: Mcp-Session-Id header is required"));
    };
    let session = lock(&state.sessions).get(id).cloned();
    if let Some(s) = &session {
        s.last_seen.store(crate::docket::now_ms(), Ordering::Relaxed);
    }
    session.ok_or_else(|| json_error(StatusCode::NOT_FOUND, None, ErrorObject::new(-32001, "Session not found")))
}

async fn post(
    state: Arc<HttpState>,
    headers: HeaderMap,
    body: Bytes,
    principal: Option<String>,
    peer: Option<std::net::IpAddr>,
) -> Response {
    let accept = header_str(&headers, header::ACCEPT.as_str()).unwrap_or("*/*");
    if !["application/json", "text/event-stream", "*/*", "application/*"].iter().any(|t| accept.contains(t)) {
        return plain_error(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: accept application/json and text/event-stream",
        );
    }
    let content_type = header_str(&headers, header::CONTENT_TYPE.as_str()).unwrap_or_default();
    if !content_type.to_ascii_lowercase().starts_with("application/json") {
        return plain_error(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "Unsupported Media Type: Content-Type must be application/json",
        );
    }
    let message = match Message::decode(&body) {
        Ok(m) => m,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, e.id, e.error),
    };
    // 2026-07-28: the request names its version in `_meta` (or the header says modern).
    let claims_modern = match &message {
        Message::Request(r) => crate::server::rev2026::claimed_version(r.params.as_ref()).is_some(),
        Message::Notification(n) => crate::server::rev2026::claimed_version(n.params.as_ref()).is_some(),
        Message::Response(_) => false,
    };
    let header_modern =
        header_str(&headers, VERSION_HEADER).is_some_and(|v| v.trim() >= crate::server::rev2026::MODERN_VERSION);
    if claims_modern || header_modern {
        return post_modern(&state, &headers, message, principal, peer).await;
    }
    if state.options.stateless {
        return post_stateless(&state, message, principal, peer).await;
    }
    let is_initialize = matches!(&message, Message::Request(r) if r.method == "initialize");
    let session = if is_initialize {
        if headers.contains_key(SESSION_HEADER) {
            let id = match &message {
                Message::Request(r) => Some(r.id.clone()),
                _ => None,
            };
            return json_error(
                StatusCode::BAD_REQUEST,
                id,
                ErrorObject::invalid_request("Invalid Request: the session is already initialized"),
            );
        }
        if let Err(resp) = check_session_room(&state, &message, &principal) {
            return resp;
        }
        let session = new_session(&state, &message);
        session.session.set_principal(principal);
        session
    } else {
        if let Err(resp) = check_version_header(&headers) {
            return resp;
        }
        match session_of(&state, &headers) {
            Ok(s) => {
                if let Err(resp) = check_principal(&s, &principal) {
                    return resp;
                }
                s
            }
            Err(resp) => return resp,
        }
    };
    let Message::Request(request) = &message else {
        session.session.handle(message, detached_outbound());
        return StatusCode::ACCEPTED.into_response();
    };
    let request_id = request.id.clone();
    let (out, mut rx) = Outbound::channel();
    session.session.handle(message, out);
    let session_id = session.id.clone();
    match rx.recv().await {
        // The plain request/response case: answer with JSON, no stream.
        Some(Outgoing::Message(m @ Message::Response(_))) if !state.options.sse_always || is_initialize => {
            if is_initialize
                && let Message::Response(r) = &m
                && r.outcome.is_err()
            {
                lock(&state.sessions).remove(&session_id);
                state.server.remove_session(&session_id);
                return json_response(&m, None);
            }
            json_response(&m, Some(&session_id))
        }
        // SSE requested, but the result is already here: the whole stream is one complete body,
        // with no task or log behind it (nothing is left to resume).
        Some(Outgoing::Message(m @ Message::Response(_))) => {
            let stream_id = session.next_stream.fetch_add(1, Ordering::Relaxed);
            let mut body = Vec::with_capacity(256);
            if session.primes() {
                body.extend_from_slice(&priming_frame(&format!("{stream_id}-0"), state.options.sse_retry));
            }
            body.extend_from_slice(&sse_frame(&format!("{stream_id}-1"), &m));
            let mut resp = Response::new(Body::from(body));
            let h = resp.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
            if let Ok(id) = HeaderValue::from_str(&session_id) {
                h.insert(SESSION_HEADER, id);
            }
            resp
        }
        first => {
            let log = session.new_stream(&state.options);
            if session.primes() {
                let retry = state.options.sse_retry;
                log.push(|id| priming_frame(id, retry), false);
            }
            let conn = log.attach(None, state.options.stream_buffer_events);
            let pump_log = log.clone();
            tokio::spawn(async move {
                let mut next = first;
                loop {
                    match next {
                        Some(Outgoing::Message(m)) => {
                            let last = matches!(&m, Message::Response(r) if r.id.as_ref() == Some(&request_id));
                            pump_log.push(|id| sse_frame(id, &m), last);
                            if last {
                                break;
                            }
                        }
                        Some(Outgoing::CloseStream) => pump_log.detach(),
                        // The request was cancelled: no response will come.
                        None => {
                            let mut inner = lock(&pump_log.inner);
                            inner.finished = true;
                            inner.delivered = true;
                            inner.conn = None;
                            break;
                        }
                    }
                    next = rx.recv().await;
                }
            });
            sse_response(conn, Some(&session_id), state.options.sse_keep_alive, None)
        }
    }
}

/// Sessions are bounded: `max_sessions` in all (503) and `max_sessions_per_principal` for
/// each authenticated principal (429). Idle ones are swept after `session_idle_timeout`.
fn check_session_room(state: &HttpState, message: &Message, principal: &Option<String>) -> Result<(), Response> {
    let id = match message {
        Message::Request(r) => Some(r.id.clone()),
        _ => None,
    };
    let sessions = lock(&state.sessions);
    let (status, message) = if sessions.len() >= state.options.max_sessions {
        (StatusCode::SERVICE_UNAVAILABLE, format!("Too many sessions open (limit {})", state.options.max_sessions))
    } else if principal.is_some()
        && sessions.values().filter(|s| s.session.principal() == *principal).count()
            >= state.options.max_sessions_per_principal
    {
        (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Too many sessions open for this principal (limit {}); end unused ones with DELETE",
                state.options.max_sessions_per_principal
            ),
        )
    } else {
        return Ok(());
    };
    drop(sessions);
    let mut resp = json_error(status, id, ErrorObject::new(-32000, message));
    resp.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("5"));
    Err(resp)
}

/// An outbound for messages whose stream has no reader (notifications and responses from the
/// client produce nothing on it).
fn detached_outbound() -> Outbound {
    let (out, _rx) = Outbound::channel();
    out
}

fn new_session(state: &Arc<HttpState>, message: &Message) -> Arc<HttpSession> {
    let id = uuid::Uuid::new_v4().simple().to_string();
    let (notify, mut notify_rx) = Outbound::channel();
    let session = state.server.new_session(Some(id.clone()), Some(notify));
    let version = match message {
        Message::Request(r) => r
            .params
            .as_ref()
            .and_then(|p| p.get("protocolVersion"))
            .and_then(|v| v.as_str())
            .filter(|v| SUPPORTED_PROTOCOL_VERSIONS.contains(v))
            .unwrap_or(crate::protocol::LATEST_PROTOCOL_VERSION)
            .to_owned(),
        _ => crate::protocol::LATEST_PROTOCOL_VERSION.to_owned(),
    };
    let http = Arc::new(HttpSession {
        id: id.clone(),
        last_seen: AtomicU64::new(crate::docket::now_ms()),
        session,
        streams: Mutex::new(HashMap::new()),
        next_stream: AtomicU64::new(1),
        protocol_version: Mutex::new(version),
        log_bytes: Arc::default(),
    });
    let standalone = StreamLog::new(
        0,
        state.options.stream_buffer_events,
        state.options.stream_buffer_bytes,
        http.log_bytes.clone(),
    );
    lock(&http.streams).insert(0, standalone.clone());
    // Requests to the client only go to the standalone stream while a GET is reading it.
    let watched = Arc::downgrade(&standalone);
    http.session.set_notify_live(Box::new(move || watched.upgrade().is_some_and(|log| log.is_attached())));
    // Unsolicited notifications go to the standalone stream's log.
    tokio::spawn(async move {
        while let Some(outgoing) = notify_rx.recv().await {
            if let Outgoing::Message(m) = outgoing {
                standalone.push(|id| sse_frame(id, &m), false);
            }
        }
    });
    lock(&state.sessions).insert(id, http.clone());
    http
}

/// Decodes a header value: trimmed; `=?base64?...?=` is base64 (standard, padded) of UTF-8.
fn decode_header_value(raw: &str) -> Option<String> {
    use base64::Engine;
    let v = raw.trim();
    match v.strip_prefix("=?base64?").and_then(|r| r.strip_suffix("?=")) {
        Some(b64) => {
            let bytes = base64::engine::general_purpose::STANDARD.decode(b64).ok()?;
            String::from_utf8(bytes).ok()
        }
        None => Some(v.to_owned()),
    }
}

fn header_mismatch(message: String) -> ErrorObject {
    ErrorObject::new(crate::server::rev2026::HEADER_MISMATCH, message)
}

/// SEP-2243: the routing headers must agree with the body.
fn check_modern_headers(
    headers: &HeaderMap,
    request: &crate::protocol::Request,
    version: &str,
    server: &Server,
) -> Result<(), ErrorObject> {
    match header_str(headers, VERSION_HEADER).map(str::trim) {
        None => return Err(header_mismatch("missing required MCP-Protocol-Version header".into())),
        Some(v) if v != version => {
            return Err(header_mismatch(format!(
                "MCP-Protocol-Version header ({v}) does not match request _meta protocolVersion ({version})"
            )));
        }
        _ => {}
    }
    match header_str(headers, "mcp-method").map(str::trim) {
        None => return Err(header_mismatch("missing required Mcp-Method header".into())),
        Some(m) if m != request.method => {
            return Err(header_mismatch(format!(
                "Mcp-Method header `{m}` does not match body method `{}`",
                request.method
            )));
        }
        _ => {}
    }
    let params = request.params.as_ref();
    let name_field = match request.method.as_str() {
        "tools/call" | "prompts/get" => Some("name"),
        "resources/read" => Some("uri"),
        "tasks/get" | "tasks/update" | "tasks/cancel" => Some("taskId"),
        _ => None,
    };
    if let Some(field) = name_field {
        let body = params.and_then(|p| p.get(field)).and_then(Value::as_str).unwrap_or_default();
        let Some(raw) = header_str(headers, "mcp-name") else {
            // On tasks/* the header is a routing aid of the tasks extension; some clients
            // (the Python SDK under FastMCP 4.1) omit it, so only a mismatch is refused there.
            if field == "taskId" {
                return Ok(());
            }
            return Err(header_mismatch(format!("missing required Mcp-Name header for `{}`", request.method)));
        };
        let decoded =
            decode_header_value(raw).ok_or_else(|| header_mismatch("Mcp-Name header is not valid base64".into()))?;
        if decoded != body {
            return Err(header_mismatch(format!("Mcp-Name header `{decoded}` does not match body value `{body}`")));
        }
    }
    if request.method == "tools/call"
        && let Some(name) = params.and_then(|p| p.get("name")).and_then(Value::as_str)
        && let Some(tool) = read(&server.inner.components).tools.get(name).cloned()
    {
        let schema = tool.input_schema();
        let args = params.and_then(|p| p.get("arguments"));
        if let Some(Value::Object(props)) = schema.get("properties") {
            for (prop, def) in props {
                let Some(header) = def.get("x-mcp-header").and_then(Value::as_str) else { continue };
                let value = args.and_then(|a| a.get(prop)).filter(|v| !v.is_null());
                let sent = header_str(headers, &format!("mcp-param-{}", header.to_ascii_lowercase()));
                match (value, sent) {
                    (None, None) => {}
                    (None, Some(_)) => {
                        return Err(header_mismatch(format!("Mcp-Param-{header} is set but `{prop}` is absent")));
                    }
                    (Some(_), None) => {
                        return Err(header_mismatch(format!(
                            "missing required Mcp-Param-{header} header for `{prop}`"
                        )));
                    }
                    (Some(v), Some(raw)) => {
                        let decoded = decode_header_value(raw)
                            .ok_or_else(|| header_mismatch(format!("Mcp-Param-{header} is not valid base64")))?;
                        let matches = match v {
                            Value::String(s) => *s == decoded,
                            Value::Bool(b) => decoded == b.to_string(),
                            Value::Number(n) => decoded.parse::<f64>().ok() == n.as_f64(),
                            _ => false,
                        };
                        if !matches {
                            return Err(header_mismatch(format!(
                                "Mcp-Param-{header} header `{decoded}` does not match body value {v}"
                            )));
                        }
                    }
                }
            }
        }
    }
    Ok(())
}

/// The HTTP status of a 2026-07-28 error.
fn modern_status(error: &ErrorObject) -> StatusCode {
    match error.code {
        crate::protocol::METHOD_NOT_FOUND => StatusCode::NOT_FOUND,
        crate::server::rev2026::HEADER_MISMATCH
        | crate::server::rev2026::MISSING_CAPABILITY
        | crate::server::rev2026::UNSUPPORTED_VERSION => StatusCode::BAD_REQUEST,
        _ => StatusCode::OK,
    }
}

/// A 2026-07-28 POST: no session; JSON, or an SSE stream scoped to the request (closing it
/// cancels the request).
async fn post_modern(
    state: &HttpState,
    headers: &HeaderMap,
    message: Message,
    principal: Option<String>,
    peer: Option<std::net::IpAddr>,
) -> Response {
    let request = match message {
        Message::Request(r) => r,
        // No client-to-server notifications are defined over HTTP in this revision.
        Message::Notification(_) => return StatusCode::ACCEPTED.into_response(),
        Message::Response(_) => {
            return json_error(
                StatusCode::BAD_REQUEST,
                None,
                ErrorObject::invalid_request("Invalid Request: clients do not send responses in 2026-07-28"),
            );
        }
    };
    let envelope = match crate::server::rev2026::envelope(request.params.as_ref()) {
        Ok(e) => e,
        Err(e) => return json_error(StatusCode::BAD_REQUEST, Some(request.id), e),
    };
    // Header agreement first (a version the server does not speak still has to match), then
    // the version itself.
    let checked = check_modern_headers(headers, &request, &envelope.version, &state.server)
        .and_then(|()| crate::server::rev2026::check_version(&envelope));
    if let Err(e) = checked {
        return json_error(StatusCode::BAD_REQUEST, Some(request.id), e);
    }
    let session = state.server.new_session(None, None);
    session.set_ephemeral();
    session.set_principal(principal);
    session.set_peer(peer);
    let request_id = request.id.clone();
    let (out, mut rx) = Outbound::channel();
    session.handle(Message::Request(request), out);
    let first = rx.recv().await;
    if let Some(Outgoing::Message(Message::Response(r))) = &first
        && r.id.as_ref() == Some(&request_id)
    {
        state.server.remove_session(session.id());
        let status = r.outcome.as_ref().err().map_or(StatusCode::OK, modern_status);
        let mut resp = json_response(&Message::Response(r.clone()), None);
        *resp.status_mut() = status;
        return resp;
    }
    let Some(first) = first else {
        state.server.remove_session(session.id());
        return StatusCode::ACCEPTED.into_response();
    };
    // Notifications first: an SSE stream that ends with the response.
    let (conn, conn_rx) = mpsc::channel::<Bytes>(state.options.stream_buffer_events.max(16));
    let server = state.server.clone();
    tokio::spawn(async move {
        let frame = |m: &Message| {
            Bytes::from(format!("event: message\ndata: {}\n\n", serde_json::to_string(m).unwrap_or_default()))
        };
        let mut next = Some(first);
        loop {
            match next {
                Some(Outgoing::Message(m)) => {
                    let last = matches!(&m, Message::Response(r) if r.id.as_ref() == Some(&request_id));
                    if conn.send(frame(&m)).await.is_err() || last {
                        break;
                    }
                }
                Some(Outgoing::CloseStream) => {}
                None => break,
            }
            next = tokio::select! {
                m = rx.recv() => m,
                // The client closed the stream: that cancels the request.
                _ = conn.closed() => None,
            };
        }
        session.cancel_all();
        server.remove_session(session.id());
    });
    let mut resp = sse_response(conn_rx, None, state.options.sse_keep_alive, None);
    resp.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

async fn post_stateless(
    state: &HttpState,
    message: Message,
    principal: Option<String>,
    peer: Option<std::net::IpAddr>,
) -> Response {
    let session = state.server.new_session(None, None);
    session.set_ephemeral();
    session.set_principal(principal);
    session.set_peer(peer);
    let Message::Request(request) = &message else {
        state.server.remove_session(session.id());
        return StatusCode::ACCEPTED.into_response();
    };
    let request_id = request.id.clone();
    let (out, mut rx) = Outbound::channel();
    session.handle(message, out);
    // Only the response is returned; notifications have no stream to go to.
    let mut response = None;
    while let Some(outgoing) = rx.recv().await {
        if let Outgoing::Message(Message::Response(r)) = outgoing
            && r.id.as_ref() == Some(&request_id)
        {
            response = Some(Message::Response(r));
            break;
        }
    }
    state.server.remove_session(session.id());
    match response {
        Some(m) => json_response(&m, None),
        None => StatusCode::ACCEPTED.into_response(),
    }
}

fn get(state: Arc<HttpState>, headers: HeaderMap, principal: Option<String>) -> Response {
    let accept = header_str(&headers, header::ACCEPT.as_str()).unwrap_or_default();
    if !accept.contains("text/event-stream") && !accept.contains("*/*") {
        return plain_error(StatusCode::NOT_ACCEPTABLE, "Not Acceptable: GET needs Accept: text/event-stream");
    }
    if let Err(resp) = check_version_header(&headers) {
        return resp;
    }
    let session = match session_of(&state, &headers) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    if let Err(resp) = check_principal(&session, &principal) {
        return resp;
    }
    let capacity = state.options.stream_buffer_events;
    if let Some(last) = header_str(&headers, LAST_EVENT_HEADER) {
        // Resume the stream the event id names, replaying only that stream.
        let parsed = last.split_once('-').and_then(|(s, q)| Some((s.parse::<u64>().ok()?, q.parse::<u64>().ok()?)));
        let Some((stream_id, seq)) = parsed else {
            return plain_error(StatusCode::BAD_REQUEST, "Bad Request: malformed Last-Event-ID");
        };
        let Some(log) = session.stream(stream_id) else {
            return plain_error(StatusCode::NOT_FOUND, "Not Found: that stream is gone");
        };
        let slot = match StreamSlot::take(&state) {
            Ok(slot) => slot,
            Err(resp) => return resp,
        };
        return sse_response(
            log.attach(Some(seq), capacity),
            Some(&session.id),
            state.options.sse_keep_alive,
            Some(slot),
        );
    }
    let Some(log) = session.stream(0) else {
        return plain_error(StatusCode::NOT_FOUND, "Not Found: session closed");
    };
    if log.is_attached() {
        return plain_error(StatusCode::CONFLICT, "Conflict: only one standalone SSE stream is allowed per session");
    }
    let slot = match StreamSlot::take(&state) {
        Ok(slot) => slot,
        Err(resp) => return resp,
    };
    // A fresh GET starts at the live edge; only resumption replays.
    let after = lock(&log.inner).next_seq.checked_sub(1);
    if session.primes() {
        let retry = state.options.sse_retry;
        log.push(|id| priming_frame(id, retry), false);
    }
    sse_response(log.attach(after, capacity), Some(&session.id), state.options.sse_keep_alive, Some(slot))
}

/// Ends sessions idle for longer than `session_idle_timeout` (an open GET stream counts as
/// activity).
async fn sweep_idle_sessions(state: std::sync::Weak<HttpState>, shutdown: tokio_util::sync::CancellationToken) {
    let Some(timeout) = state.upgrade().map(|s| s.options.session_idle_timeout) else { return };
    let every = (timeout / 4).clamp(Duration::from_millis(50), Duration::from_secs(60));
    loop {
        tokio::select! {
            _ = tokio::time::sleep(every) => {},
            _ = shutdown.cancelled() => return,
        }
        let Some(state) = state.upgrade() else { return };
        let cutoff = crate::docket::now_ms().saturating_sub(timeout.as_millis() as u64);
        let idle: Vec<Arc<HttpSession>> = {
            let mut sessions = lock(&state.sessions);
            let ids: Vec<String> = sessions
                .values()
                .filter(|s| {
                    s.last_seen.load(Ordering::Relaxed) < cutoff && !s.stream(0).is_some_and(|log| log.is_attached())
                })
                .map(|s| s.id.clone())
                .collect();
            ids.iter().filter_map(|id| sessions.remove(id)).collect()
        };
        for session in idle {
            tracing::debug!(session = %session.id, "ending an idle session");
            session.close_all();
            state.server.remove_session(&session.id);
        }
    }
}

fn delete(state: Arc<HttpState>, headers: HeaderMap, principal: Option<String>) -> Response {
    let session = match session_of(&state, &headers) {
        Ok(s) => s,
        Err(resp) => return resp,
    };
    if let Err(resp) = check_principal(&session, &principal) {
        return resp;
    }
    lock(&state.sessions).remove(&session.id);
    session.close_all();
    state.server.remove_session(&session.id);
    StatusCode::OK.into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_parsed_without_ports() {
        assert_eq!(host_of("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("LOCALHOST"), "localhost");
        assert_eq!(host_of("[::1]:3000"), "[::1]");
        assert_eq!(host_of("evil.example.com"), "evil.example.com");
    }

    #[test]
    fn origin_and_host_checks() {
        let opts = HttpOptions::default();
        let uri = axum::http::Uri::from_static("/mcp");
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1:9000"));
        assert!(check_host_and_origin(&opts, &uri, &h).is_ok());
        h.insert(header::ORIGIN, HeaderValue::from_static("http://evil.example.com"));
        assert!(check_host_and_origin(&opts, &uri, &h).is_err());
        h.insert(header::ORIGIN, HeaderValue::from_static("http://localhost:9000"));
        assert!(check_host_and_origin(&opts, &uri, &h).is_ok());
        h.insert(header::HOST, HeaderValue::from_static("evil.example.com"));
        assert!(check_host_and_origin(&opts, &uri, &h).is_err());
        // Fail closed: a duplicated header is checked in full, non-UTF-8 is refused, and an
        // absolute-form target names its host too.
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1"));
        h.append(header::HOST, HeaderValue::from_static("evil.example.com"));
        assert!(check_host_and_origin(&opts, &uri, &h).is_err());
        h.insert(header::HOST, HeaderValue::from_static("127.0.0.1"));
        h.append(header::ORIGIN, HeaderValue::from_bytes(b"http://\xff").unwrap());
        assert!(check_host_and_origin(&opts, &uri, &h).is_err());
        h.remove(header::ORIGIN);
        assert!(check_host_and_origin(&opts, &uri, &h).is_ok());
        let absolute = axum::http::Uri::from_static("http://evil.example.com/mcp");
        assert!(check_host_and_origin(&opts, &absolute, &h).is_err());
    }

    #[test]
    fn static_tokens_are_found_among_many_and_nothing_else_matches() {
        let tokens: HashMap<String, String> =
            (0..50).map(|i| (format!("token-{i}"), format!("principal-{i}"))).collect();
        assert_eq!(static_token_principal(&tokens, "token-37"), Some("principal-37"));
        for guess in ["token-50", "token-370", "", "TOKEN-37", "token-37 "] {
            assert_eq!(static_token_principal(&tokens, guess), None, "{guess:?}");
        }
    }

    #[test]
    fn stream_log_replays_after_an_event_and_ends_after_the_result() {
        let log = StreamLog::new(3, 8, 1 << 20, Arc::default());
        log.push(|id| Bytes::from(id.to_owned()), false);
        log.push(|id| Bytes::from(id.to_owned()), false);
        log.push(|id| Bytes::from(id.to_owned()), true);
        let mut rx = log.attach(Some(0), 8);
        assert_eq!(rx.try_recv().unwrap(), "3-1");
        assert_eq!(rx.try_recv().unwrap(), "3-2");
        assert!(rx.try_recv().is_err());
        assert!(log.is_done());
    }
}
