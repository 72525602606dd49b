//! SSE streams: the bounded per-stream event log that `Last-Event-ID` resumes, its frames,
//! and the response that carries a stream (with keep-alive comments).

#![allow(clippy::result_large_err)]

use super::*;

/// One SSE stream's event log, and the connection (if any) currently reading it.
pub(super) struct StreamLog {
    pub(super) id: u64,
    pub(super) inner: Mutex<StreamInner>,
}

pub(super) struct StreamInner {
    pub(super) events: VecDeque<(u64, Bytes)>,
    /// Bytes in `events`, bounded by `max_bytes` (the newest event is always kept).
    pub(super) bytes: usize,
    pub(super) max_bytes: usize,
    /// Bytes held by all of the session's logs, which the session bounds.
    pub(super) session_bytes: Arc<std::sync::atomic::AtomicUsize>,
    pub(super) next_seq: u64,
    pub(super) conn: Option<mpsc::Sender<Bytes>>,
    /// The response was logged; the stream ends once it is delivered.
    pub(super) finished: bool,
    pub(super) delivered: bool,
    pub(super) cap: usize,
}

impl Drop for StreamLog {
    fn drop(&mut self) {
        let inner = lock(&self.inner);
        inner.session_bytes.fetch_sub(inner.bytes, Ordering::Relaxed);
    }
}

impl StreamLog {
    pub(super) fn new(
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
    pub(super) fn push(&self, build: impl FnOnce(&str) -> Bytes, last: bool) {
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
    pub(super) fn attach(&self, after: Option<u64>, capacity: usize) -> mpsc::Receiver<Bytes> {
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

    pub(super) fn detach(&self) {
        lock(&self.inner).conn = None;
    }

    pub(super) fn is_attached(&self) -> bool {
        lock(&self.inner).conn.as_ref().is_some_and(|c| !c.is_closed())
    }

    pub(super) fn is_done(&self) -> bool {
        let inner = lock(&self.inner);
        inner.finished && inner.delivered
    }
}

pub(super) fn sse_frame(id: &str, message: &Message) -> Bytes {
    let json = serde_json::to_string(message).unwrap_or_default();
    Bytes::from(format!("event: message\nid: {id}\ndata: {json}\n\n"))
}

pub(super) fn priming_frame(id: &str, retry: Duration) -> Bytes {
    Bytes::from(format!("id: {id}\nretry: {}\ndata: \n\n", retry.as_millis()))
}

/// An SSE response carrying what arrives on `rx`. A comment line goes out whenever the stream
/// has been quiet for `keep_alive`, so proxies and load balancers do not cut an idle stream;
/// `guard` lives as long as the response body (it releases a stream slot).
pub(super) fn sse_response(
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
pub(super) struct StreamSlot(Arc<std::sync::atomic::AtomicUsize>);

impl StreamSlot {
    pub(super) fn take(state: &HttpState) -> Result<StreamSlot, Response> {
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
