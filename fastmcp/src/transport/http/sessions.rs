//! 2025-11-25 sessions over HTTP: the session record with its streams, its creation (bounded
//! in number), lookup by `Mcp-Session-Id`, the standalone GET stream and DELETE.

#![allow(clippy::result_large_err)]

use super::*;

pub(super) struct HttpSession {
    pub(super) id: String,
    /// Last request (ms since the epoch), for the idle sweep.
    pub(super) last_seen: AtomicU64,
    pub(super) session: Arc<Session>,
    /// Stream 0 is the standalone GET stream.
    pub(super) streams: Mutex<HashMap<u64, Arc<StreamLog>>>,
    pub(super) next_stream: AtomicU64,
    pub(super) protocol_version: Mutex<String>,
    /// Bytes held by this session's stream logs.
    pub(super) log_bytes: Arc<std::sync::atomic::AtomicUsize>,
    /// The answer channel of a request answered with JSON, kept for the session's next
    /// request. One at most: a client that sends one request at a time reuses it.
    spare_channel: Mutex<Option<ReusableChannel>>,
    /// How many sessions of the endpoint hold a spare now.
    spare_count: Arc<std::sync::atomic::AtomicUsize>,
}

impl Drop for HttpSession {
    fn drop(&mut self) {
        if self.spare_channel.get_mut().unwrap_or_else(|poisoned| poisoned.into_inner()).is_some() {
            self.spare_count.fetch_sub(1, Ordering::Relaxed);
        }
    }
}

/// At most this many sessions of an endpoint keep a spare answer channel at once (~3.4 kB
/// each): sessions opened by the thousand and left idle do not each hold one. The others
/// create a channel per request, as all did before.
pub(super) const MAX_SPARE_CHANNELS: usize = 1024;

impl HttpSession {
    /// A channel for one request's answer: the spare one, or a new one.
    pub(super) fn answer_channel(&self) -> ReusableChannel {
        match lock(&self.spare_channel).take() {
            Some(channel) => {
                self.spare_count.fetch_sub(1, Ordering::Relaxed);
                channel
            }
            None => ReusableChannel::new(),
        }
    }

    /// Keeps a request's answer channel for the next request, if nothing can still write to
    /// it and the endpoint's spares are not all taken.
    pub(super) fn recycle(&self, channel: ReusableChannel) {
        if !channel.reusable() {
            return;
        }
        let mut spare = lock(&self.spare_channel);
        if spare.is_none() {
            if self.spare_count.fetch_add(1, Ordering::Relaxed) < MAX_SPARE_CHANNELS {
                *spare = Some(channel);
            } else {
                self.spare_count.fetch_sub(1, Ordering::Relaxed);
            }
        }
    }

    /// Whether the session holds a spare answer channel now.
    #[cfg(test)]
    pub(super) fn has_spare(&self) -> bool {
        lock(&self.spare_channel).is_some()
    }

    pub(super) fn stream(&self, id: u64) -> Option<Arc<StreamLog>> {
        lock(&self.streams).get(&id).cloned()
    }

    pub(super) fn new_stream(&self, options: &HttpOptions) -> Arc<StreamLog> {
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

    pub(super) fn close_all(&self) {
        for s in lock(&self.streams).values() {
            s.detach();
        }
        self.session.cancel_all();
    }

    pub(super) fn primes(&self) -> bool {
        // Older clients choke on the empty data of a priming event.
        lock(&self.protocol_version).as_str() >= "2025-11-25"
    }
}

pub(super) fn session_of(state: &HttpState, headers: &HeaderMap) -> Result<Arc<HttpSession>, Response> {
    let Some(id) = header_str(headers, SESSION_HEADER) else {
        return Err(plain_error(StatusCode::BAD_REQUEST, "Bad Request: Mcp-Session-Id header is required"));
    };
    let session = lock(&state.sessions).get(id).cloned();
    if let Some(s) = &session {
        s.last_seen.store(crate::docket::now_ms(), Ordering::Relaxed);
    }
    session.ok_or_else(|| json_error(StatusCode::NOT_FOUND, None, ErrorObject::new(-32001, "Session not found")))
}

/// Sessions are bounded: `max_sessions` in all (503) and `max_sessions_per_principal` for
/// each authenticated principal (429). Idle ones are swept after `session_idle_timeout`.
pub(super) fn check_session_room(
    state: &HttpState,
    message: &Message,
    principal: &Option<String>,
) -> Result<(), Response> {
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

pub(super) fn new_session(state: &Arc<HttpState>, message: &Message) -> Arc<HttpSession> {
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
        spare_channel: Mutex::new(None),
        spare_count: state.spare_channels.clone(),
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

pub(super) fn get(state: Arc<HttpState>, headers: HeaderMap, principal: Option<String>) -> Response {
    let accept = header_str(&headers, header::ACCEPT).unwrap_or_default();
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

pub(super) fn delete(state: Arc<HttpState>, headers: HeaderMap, principal: Option<String>) -> Response {
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
