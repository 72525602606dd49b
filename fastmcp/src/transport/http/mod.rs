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
//! - Revision 2026-07-28 requests (their `_meta` names the version) need no session either;
//!   their routing headers must agree with the body.
//!
//! Files: `options` (settings), `checks` (everything decided from the headers), `post` (the
//! one POST path), `sessions` (2025-11-25 sessions, GET, DELETE), `sse` (stream logs and
//! frames), `rev2026` (2026-07-28 header rules); this file serves the endpoint.

// The checks return a ready HTTP response as their error: a cold path, so its size is moot.
#![allow(clippy::result_large_err)]

mod checks;
mod inline;
mod options;
mod post;
mod rev2026;
mod sessions;
mod sse;

use checks::*;
use inline::*;
pub use options::HttpOptions;
use post::*;
use rev2026::*;
use sessions::*;
use sse::*;

use crate::protocol::{ErrorObject, Message, RequestId, SUPPORTED_PROTOCOL_VERSIONS};
use crate::server::{FastMcp, Server, ServerError, Session};
use crate::sync::{lock, read};
use crate::transport::{Outbound, Outgoing, ReusableChannel};
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::mpsc;

const SESSION_HEADER: HeaderName = HeaderName::from_static("mcp-session-id");

const VERSION_HEADER: HeaderName = HeaderName::from_static("mcp-protocol-version");

const LAST_EVENT_HEADER: HeaderName = HeaderName::from_static("last-event-id");

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
        let limits = crate::transport::http_conn::ConnectionLimits::from(&options);
        let router = self.http_router(options);
        let token = self.shutdown_token();
        self.mark_transport_ready();
        tracing::info!(%local, "serving Streamable HTTP");
        let serve = crate::transport::http_conn::serve(listener, router, limits, token.clone());
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
            spare_channels: Arc::default(),
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
    /// Sessions holding a spare answer channel now (bounded by `MAX_SPARE_CHANNELS`).
    spare_channels: Arc<std::sync::atomic::AtomicUsize>,
}

fn json_error(status: StatusCode, id: Option<RequestId>, error: ErrorObject) -> Response {
    let body = Message::Response(crate::protocol::Response::err(id, error)).to_json();
    (status, [(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn plain_error(status: StatusCode, message: &str) -> Response {
    json_error(status, None, ErrorObject::new(-32000, message))
}

fn json_response(message: &Message, session: Option<&str>) -> Response {
    // Built directly: axum's tuple form parses the header value and sets a text content type
    // first, on every response.
    let mut resp = Response::new(Body::from(message.to_json()));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(id) = session.and_then(|s| HeaderValue::from_str(s).ok()) {
        resp.headers_mut().insert(SESSION_HEADER, id);
    }
    resp
}

/// A header's value as text. Takes a `HeaderName` (or a standard one) where it can: looking
/// a header up by `&str` parses and validates the name first, on every request.
fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

async fn endpoint(State(state): State<Arc<HttpState>>, request: axum::extract::Request) -> Response {
    // The request taken apart, not extracted piece by piece: axum's `HeaderMap`, `Uri` and
    // `Method` extractors clone what they take, and the clones were ~5% of a small call.
    let (parts, body) = request.into_parts();
    let axum::http::request::Parts { method, uri, headers, extensions, .. } = parts;
    let peer = extensions.get::<axum::extract::ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_are_parsed_without_ports() {
        assert_eq!(host_of("127.0.0.1:8080"), "127.0.0.1");
        assert_eq!(host_of("LOCALHOST"), "LOCALHOST", "compared without case");
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
    fn checking_a_token_takes_as_long_whatever_part_of_it_a_guess_gets_right() {
        // Long tokens make a comparison that stops at the first wrong byte obvious: a guess
        // right up to its last byte would take ~1 MiB of comparing, a wrong first byte none.
        let token = "k".repeat(1 << 20);
        let tokens: HashMap<String, String> = [(token.clone(), "p".to_owned())].into();
        let almost = format!("{}x", &token[..token.len() - 1]);
        let wrong = format!("x{}", &token[1..]);
        let time = |guess: &str| {
            let start = std::time::Instant::now();
            assert_eq!(static_token_principal(&tokens, std::hint::black_box(guess)), None);
            start.elapsed().as_secs_f64()
        };
        // Taken in turns, so a busy machine slows both alike.
        let (mut a, mut w): (Vec<f64>, Vec<f64>) = (0..41).map(|_| (time(&almost), time(&wrong))).unzip();
        let median = |t: &mut Vec<f64>| {
            t.sort_by(f64::total_cmp);
            t[t.len() / 2]
        };
        let (almost, wrong) = (median(&mut a), median(&mut w));
        let ratio = almost.max(wrong) / almost.min(wrong);
        assert!(ratio < 3.0, "almost-right {almost:.6}s vs wrong-first-byte {wrong:.6}s: {ratio:.1}x");
    }

    #[tokio::test]
    async fn spare_answer_channels_are_bounded_per_endpoint() {
        let state = Arc::new(HttpState {
            server: FastMcp::new("spares").build().unwrap(),
            options: HttpOptions::default(),
            sessions: Mutex::new(HashMap::new()),
            open_streams: Arc::default(),
            spare_channels: Arc::default(),
        });
        let spares = || state.spare_channels.load(Ordering::Relaxed);
        let init = Message::decode(br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{}}"#).unwrap();
        let sessions: Vec<_> = (0..MAX_SPARE_CHANNELS + 2).map(|_| new_session(&state, &init)).collect();
        for s in &sessions {
            let channel = s.answer_channel();
            s.recycle(channel);
        }
        assert_eq!(spares(), MAX_SPARE_CHANNELS);
        assert_eq!(sessions.iter().filter(|s| s.has_spare()).count(), MAX_SPARE_CHANNELS);
        // A spare in use is not counted; once returned, it is again.
        let channel = sessions[0].answer_channel();
        assert_eq!(spares(), MAX_SPARE_CHANNELS - 1);
        sessions[0].recycle(channel);
        assert_eq!(spares(), MAX_SPARE_CHANNELS);
        // A channel that something can still write to is not kept.
        let last = &sessions[MAX_SPARE_CHANNELS];
        assert!(!last.has_spare());
        let channel = sessions[1].answer_channel();
        let kept_by_a_handler = channel.outbound();
        last.recycle(channel);
        assert!(!last.has_spare(), "kept with an Outbound still out");
        drop(kept_by_a_handler);
        // Ended sessions give their places back.
        lock(&state.sessions).clear();
        drop(sessions);
        assert_eq!(spares(), 0);
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
