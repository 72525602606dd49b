//! The one POST path: a message is routed (session, stateless, or 2026-07-28) from its
//! headers, handed to its session, and answered with JSON or an SSE stream.

#![allow(clippy::result_large_err)]

use super::*;

/// Who serves a POST, decided from its headers and message before anything runs.
pub(super) enum Route {
    /// A 2025-11-25 session (`Mcp-Session-Id`, or the `initialize` that opens one): SSE
    /// answers are logged so the client can resume them.
    Session { http: Arc<HttpSession>, initialize: bool },
    /// 2025-11-25 in stateless mode: a session for this request only; JSON answers only
    /// (notifications have no stream to go to).
    Stateless(Ephemeral),
    /// 2026-07-28: a session for this request only; JSON, or an SSE stream scoped to the
    /// request (closing it cancels the request).
    Rev2026(Ephemeral),
}

/// A session that lives for one request; dropping it ends the session (and cancels what it
/// still runs: a client that goes away takes its request with it). An unlisted session's
/// request runs in the handler that holds it, so it ends with that handler (its own drop
/// guard cancels it); nothing is left to cancel here.
pub(super) struct Ephemeral {
    pub(super) server: Server,
    pub(super) session: Arc<Session>,
    /// In the server's session list (2026-07-28: a task the request turns into finds its
    /// requester there while the request lasts). A stateless 2025-11-25 request's session is
    /// not: nothing looks it up, and listing it cost a lock every request shares.
    listed: bool,
}

impl Ephemeral {
    pub(super) fn open(
        state: &HttpState,
        principal: Option<String>,
        peer: Option<std::net::IpAddr>,
        listed: bool,
    ) -> Ephemeral {
        let session = if listed { state.server.new_session(None, None) } else { state.server.unlisted_session() };
        session.set_ephemeral();
        session.set_principal(principal);
        session.set_peer(peer);
        Ephemeral { server: state.server.clone(), session, listed }
    }
}

impl Drop for Ephemeral {
    fn drop(&mut self) {
        if self.listed {
            self.server.remove_session(self.session.id());
        }
    }
}

impl Route {
    /// The route of `message`, or the answer already decided from the headers (errors, and
    /// 202 for what needs no answer).
    pub(super) fn of(
        state: &Arc<HttpState>,
        headers: &HeaderMap,
        message: &Message,
        principal: Option<String>,
        peer: Option<std::net::IpAddr>,
    ) -> Result<Route, Response> {
        // 2026-07-28: the request names its version in `_meta` (or the header says so).
        let claims_2026 = match message {
            Message::Request(r) => crate::server::rev2026::claimed_version(r.params.as_ref()).is_some(),
            Message::Notification(n) => crate::server::rev2026::claimed_version(n.params.as_ref()).is_some(),
            Message::Response(_) => false,
        };
        let header_2026 =
            header_str(headers, VERSION_HEADER).is_some_and(|v| v.trim() >= crate::server::rev2026::REV2026_VERSION);
        if claims_2026 || header_2026 {
            let request = match message {
                Message::Request(r) => r,
                // No client-to-server notifications are defined over HTTP in this revision.
                Message::Notification(_) => return Err(StatusCode::ACCEPTED.into_response()),
                Message::Response(_) => {
                    return Err(json_error(
                        StatusCode::BAD_REQUEST,
                        None,
                        ErrorObject::invalid_request("Invalid Request: clients do not send responses in 2026-07-28"),
                    ));
                }
            };
            let envelope = crate::server::rev2026::envelope(request.params.as_ref())
                .map_err(|e| json_error(StatusCode::BAD_REQUEST, Some(request.id.clone()), e))?;
            // Header agreement first (a version the server does not speak still has to
            // match), then the version itself.
            check_rev2026_headers(headers, request, &envelope.version, &state.server)
                .and_then(|()| crate::server::rev2026::check_version(&envelope))
                .map_err(|e| json_error(StatusCode::BAD_REQUEST, Some(request.id.clone()), e))?;
            return Ok(Route::Rev2026(Ephemeral::open(state, principal, peer, true)));
        }
        if state.options.stateless {
            if !matches!(message, Message::Request(_)) {
                return Err(StatusCode::ACCEPTED.into_response());
            }
            return Ok(Route::Stateless(Ephemeral::open(state, principal, peer, false)));
        }
        if let Message::Request(r) = message
            && r.method == "initialize"
        {
            if headers.contains_key(SESSION_HEADER) {
                return Err(json_error(
                    StatusCode::BAD_REQUEST,
                    Some(r.id.clone()),
                    ErrorObject::invalid_request("Invalid Request: the session is already initialized"),
                ));
            }
            check_session_room(state, message, &principal)?;
            let http = new_session(state, message);
            http.session.set_principal(principal);
            return Ok(Route::Session { http, initialize: true });
        }
        check_version_header(headers)?;
        let http = session_of(state, headers)?;
        check_principal(&http, &principal)?;
        Ok(Route::Session { http, initialize: false })
    }

    pub(super) fn session(&self) -> &Arc<Session> {
        match self {
            Route::Session { http, .. } => &http.session,
            Route::Stateless(e) | Route::Rev2026(e) => &e.session,
        }
    }
}

/// The one POST path, for every revision and mode: route, hand the message to its session,
/// answer with what comes back.
pub(super) async fn post(
    state: Arc<HttpState>,
    headers: HeaderMap,
    body: Bytes,
    principal: Option<String>,
    peer: Option<std::net::IpAddr>,
) -> Response {
    let accept = header_str(&headers, header::ACCEPT).unwrap_or("*/*");
    if !["application/json", "text/event-stream", "*/*", "application/*"].iter().any(|t| accept.contains(t)) {
        return plain_error(
            StatusCode::NOT_ACCEPTABLE,
            "Not Acceptable: accept application/json and text/event-stream",
        );
    }
    let content_type = header_str(&headers, header::CONTENT_TYPE).unwrap_or_default();
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
    let route = match Route::of(&state, &headers, &message, principal, peer) {
        Ok(route) => route,
        Err(answered) => return answered,
    };
    let Message::Request(request) = message else {
        // Notifications and responses are the session's; they get no answer but 202.
        route.session().handle(message, Outbound::closed());
        return StatusCode::ACCEPTED.into_response();
    };
    let request_id = request.id.clone();
    // The work runs in this handler (`inline.rs`) until its answer takes a stream.
    match route {
        // The response alone, as JSON: what the handler sends meanwhile has no stream to go to,
        // so it is refused at once (a request to the client fails instead of waiting).
        Route::Stateless(ephemeral) => {
            let response = ephemeral.session.answer_request(request, Outbound::closed()).await;
            drop(ephemeral);
            match response {
                Some(response) => json_response(&Message::Response(response), None),
                None => StatusCode::ACCEPTED.into_response(),
            }
        }
        Route::Session { http, initialize } => {
            let mut channel = http.answer_channel();
            let mut work =
                InlineWork::new(http.session.serve_request(request, channel.outbound()), WhenLeft::Continues);
            let first = work.first(&mut channel.rx).await;
            work.detach();
            answer_in_session(&state, http, initialize, request_id, first, channel)
        }
        Route::Rev2026(ephemeral) => {
            let (out, mut rx) = Outbound::channel();
            let mut work = InlineWork::new(ephemeral.session.serve_request(request, out), WhenLeft::Stops);
            let first = work.first(&mut rx).await;
            work.detach();
            answer_rev2026(&state, ephemeral, request_id, first, rx)
        }
    }
}

/// A 2025-11-25 session's answer: JSON when the response comes first (unless SSE is always
/// wanted), otherwise an SSE stream logged for resumption that ends with the response.
pub(super) fn answer_in_session(
    state: &HttpState,
    session: Arc<HttpSession>,
    is_initialize: bool,
    request_id: RequestId,
    first: Option<Outgoing>,
    channel: ReusableChannel,
) -> Response {
    let session_id = session.id.as_str();
    match first {
        // The plain request/response case: answer with JSON, no stream.
        Some(Outgoing::Message(m @ Message::Response(_))) if !state.options.sse_always || is_initialize => {
            if is_initialize
                && let Message::Response(r) = &m
                && r.outcome.is_err()
            {
                lock(&state.sessions).remove(session_id);
                state.server.remove_session(session_id);
                return json_response(&m, None);
            }
            session.recycle(channel);
            json_response(&m, Some(session_id))
        }
        // SSE requested, but the result is already here: the whole stream is one complete body,
        // with no task or log behind it (nothing is left to resume).
        Some(Outgoing::Message(m @ Message::Response(_))) => {
            session.recycle(channel);
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
            if let Ok(id) = HeaderValue::from_str(session_id) {
                h.insert(SESSION_HEADER, id);
            }
            resp
        }
        first => {
            // The stream ends when the work's `Outbound` is gone: no sender is kept for it.
            let mut rx = channel.into_receiver();
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
            sse_response(conn, Some(session_id), state.options.sse_keep_alive, None)
        }
    }
}

/// 2026-07-28: JSON when the response comes first (errors with their HTTP status), otherwise
/// an SSE stream scoped to the request that ends with the response.
pub(super) fn answer_rev2026(
    state: &HttpState,
    session: Ephemeral,
    request_id: RequestId,
    first: Option<Outgoing>,
    mut rx: mpsc::Receiver<Outgoing>,
) -> Response {
    let first = match first {
        Some(Outgoing::Message(Message::Response(r))) if r.id.as_ref() == Some(&request_id) => {
            let status = r.outcome.as_ref().err().map_or(StatusCode::OK, rev2026_status);
            let mut resp = json_response(&Message::Response(r), None);
            *resp.status_mut() = status;
            return resp;
        }
        None => return StatusCode::ACCEPTED.into_response(),
        Some(first) => first,
    };
    // Notifications first: an SSE stream that ends with the response.
    let (conn, conn_rx) = mpsc::channel::<Bytes>(state.options.stream_buffer_events.max(16));
    tokio::spawn(async move {
        // The session ends with the stream (dropped last), which cancels what still runs.
        let _session = session;
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
    });
    let mut resp = sse_response(conn_rx, None, state.options.sse_keep_alive, None);
    resp.headers_mut().insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}
