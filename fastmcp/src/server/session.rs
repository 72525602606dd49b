//! One client connection's protocol state, and the intake of its messages: requests are
//! parsed once (`request.rs`), bounded and isolated here, and served by the one dispatcher
//! (`dispatch.rs`); responses to the server's own requests and notifications end here.

use super::request::{ClientRequest, Revision};
use super::*;
use crate::outbound::Outbound;
use crate::protocol::{ErrorObject, Implementation, LoggingLevel, Message, Request, RequestId, Response};
use crate::registry;
use crate::sync::lock;
use serde_json::{Value, json};
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

#[derive(Default)]
pub(super) struct SessionState {
    pub(super) protocol_version: Option<String>,
    pub(super) client_info: Option<Implementation>,
    pub(super) client_capabilities: Value,
    pub(super) initialized: bool,
    pub(super) log_level: Option<LoggingLevel>,
}

/// A session's id: given (an HTTP session's), or numbered by the server and written out only
/// when something first reads it (a one-request session is usually never asked).
pub(super) struct SessionId {
    pub(super) text: std::sync::OnceLock<String>,
    pub(super) number: u64,
}

/// One client connection's protocol state.
pub(crate) struct Session {
    pub(super) id: SessionId,
    pub(super) server: Arc<ServerInner>,
    pub(super) state: Mutex<SessionState>,
    pub(super) subscriptions: Mutex<HashSet<String>>,
    pub(super) pending: Mutex<HashMap<RequestId, oneshot::Sender<Result<Value, ErrorObject>>>>,
    pub(super) running: Mutex<HashMap<RequestId, CancellationToken>>,
    /// Whether requests in flight are kept in `running` (for `notifications/cancelled`, the
    /// in-flight limit and duplicate ids). Not for a one-request session served in its
    /// transport's handler: nothing else reaches it, and its request ends with the handler.
    pub(super) tracked: bool,
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

impl Session {
    pub fn id(&self) -> &str {
        self.id.text.get_or_init(|| format!("s{}", self.id.number))
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
            None => format!("session:{}", self.id()),
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
        match self.prepare_request(req, out.clone()) {
            Ok(work) => {
                self.server.tracker.spawn(send_answer(work, out));
            }
            Err(response) => answer_now(response, out),
        }
    }

    /// A request served by the caller's own task rather than a task of its own: for a
    /// transport that waits for the answer anyway (one HTTP request), where a spawn would only
    /// add a hand-off between threads. The same work as [`Session::handle`] (limits,
    /// cancellation, timeout, panics caught, shutdown tracked); the response goes to `out`.
    #[cfg_attr(not(feature = "http"), allow(dead_code))] // stdio and in-memory spawn
    pub(crate) fn serve_request(
        self: &Arc<Self>,
        req: Request,
        out: Outbound,
    ) -> impl std::future::Future<Output = ()> + Send + 'static {
        send_answer(self.answer_request(req, out.clone()), out)
    }

    /// [`Session::serve_request`] for a caller that takes the response itself (stateless
    /// HTTP): `out` carries only what the handler sends while it runs. `None` when the
    /// request was cancelled (it gets no response).
    #[cfg_attr(not(feature = "http"), allow(dead_code))]
    pub(crate) fn answer_request(
        self: &Arc<Self>,
        req: Request,
        out: Outbound,
    ) -> impl std::future::Future<Output = Option<Response>> + Send + 'static {
        let work = self.prepare_request(req, out);
        let tracker = self.server.tracker.clone();
        async move {
            match work {
                Ok(work) => tracker.track_future(work).await,
                Err(answered) => Some(answered),
            }
        }
    }

    /// Parses and admits a request. What is answered at once (parse errors, inline methods,
    /// limits) is the error side; the rest comes back as the work that answers it (`None`
    /// when the request is cancelled: it gets no response).
    fn prepare_request(
        self: &Arc<Self>,
        req: Request,
        out: Outbound,
    ) -> Result<impl std::future::Future<Output = Option<Response>> + Send + 'static, Response> {
        tracing::debug!(session = self.id(), id = %req.id, method = %req.method, "request");
        let answered = |id: RequestId, error: ErrorObject| Response { id: Some(id), outcome: Err(error) };
        // One typed parse; a request that does not parse is answered at once.
        let id = req.id.clone();
        let method = req.method.clone();
        let parsed = Revision::of(req.params.as_ref()).and_then(|revision| {
            let request = ClientRequest::parse(req, &revision, self.server.tasks.enabled)?;
            Ok((revision, request))
        });
        let (revision, request) = match parsed {
            Ok(parsed) => parsed,
            Err(error) => return Err(answered(id, error)),
        };
        // Cheap methods are answered inline; initialize must complete before anything else.
        if request.body.is_inline() {
            let dispatched = self.clone().dispatch(revision, request, out, CancellationToken::new());
            let outcome = futures::FutureExt::now_or_never(dispatched)
                .unwrap_or_else(|| Err(ErrorObject::internal(format!("`{method}` could not be answered inline"))));
            return Err(Response { id: Some(id), outcome });
        }
        // Not a child of the shutdown token: shutdown lets in-flight requests finish, and only
        // cancels them (cancel_all) once its wait runs out.
        let cancel = CancellationToken::new();
        if self.tracked {
            let mut running = lock(&self.running);
            if running.len() >= self.server.max_concurrent_requests {
                let err = ErrorObject::new(
                    -32000,
                    format!(
                        "Too many requests in flight on this connection (limit {}); retry when some have finished",
                        self.server.max_concurrent_requests
                    ),
                );
                return Err(answered(id, err));
            }
            match running.entry(id.clone()) {
                std::collections::hash_map::Entry::Occupied(_) => {
                    let err = ErrorObject::invalid_request(format!(
                        "request id {id} is already in use by a request in flight"
                    ));
                    return Err(answered(id, err));
                }
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(cancel.clone());
                }
            }
        }
        let session = self.clone();
        // A listen stream lasts as long as the client keeps it.
        let timeout = if request.body.is_stream() { Duration::MAX } else { self.server.request_timeout };
        Ok(async move {
            // An untracked request is not cancelled by `cancel_all`: dropping it (its handler
            // gone) cancels its token instead, for whatever its handler started that watches it.
            let dropped = (!session.tracked).then(|| cancel.clone().drop_guard());
            // Boxed: the dispatch future is large, and unboxed it would be copied into the
            // task and moved again on every spawn.
            let work = Box::pin(session.clone().dispatch(revision, request, out, cancel.clone()));
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
            if session.tracked {
                lock(&session.running).remove(&id);
            }
            if let Some(guard) = dropped {
                guard.disarm();
            }
            // A cancelled request gets no response (basic/utilities/cancellation).
            outcome.map(|outcome| Response { id: Some(id), outcome })
        })
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
        // Cancelled (the call's token) or dropped (its handler gave up waiting) before the
        // answer: the client is told, and the request forgotten.
        let mut asking = Asking { session: self, out, id: Some(id) };
        tokio::select! {
            answer = rx => {
                asking.id = None;
                match answer {
                    Ok(Ok(v)) => Ok(v),
                    Ok(Err(e)) => Err(ClientRequestError::Client(e)),
                    Err(_) => Err(ClientRequestError::Closed),
                }
            },
            _ = cancel.cancelled() => Err(ClientRequestError::Closed),
        }
    }
}

/// Sends the response `answer` comes to (a cancelled request has none) to `out`.
async fn send_answer(answer: impl std::future::Future<Output = Option<Response>>, out: Outbound) {
    if let Some(response) = answer.await {
        let _ = out.send(Message::Response(response)).await;
    }
}

/// Sends a response decided at once. A full queue hands the message back: it is sent when
/// there is room.
fn answer_now(response: Response, out: Outbound) {
    if let Err(response) = out.try_send(Message::Response(response)) {
        tokio::spawn(async move {
            let _ = out.send(response).await;
        });
    }
}

/// A request to the client still waiting for its answer; see [`Session::request_client`].
struct Asking<'a> {
    session: &'a Session,
    out: &'a Outbound,
    id: Option<RequestId>,
}

impl Drop for Asking<'_> {
    fn drop(&mut self) {
        if let Some(id) = self.id.take()
            && lock(&self.session.pending).remove(&id).is_some()
        {
            let _ = self.out.try_send(Message::notification(
                "notifications/cancelled",
                Some(json!({ "requestId": id, "reason": "the server request was cancelled" })),
            ));
        }
    }
}
