//! Settings of the HTTP transport: limits, timeouts, auth, SSE buffers.

#![allow(clippy::result_large_err)]

use super::*;

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

impl From<&HttpOptions> for crate::transport::http_conn::ConnectionLimits {
    fn from(o: &HttpOptions) -> Self {
        crate::transport::http_conn::ConnectionLimits {
            max_connections: o.max_connections,
            header_read_timeout: o.header_read_timeout,
            keep_alive: o.keep_alive,
        }
    }
}
