//! The HTTP connection layer under the MCP endpoint: accepts TCP connections and serves each
//! with hyper's HTTP/1.1, bounded against slow or greedy clients.
//!
//! - A connection must send a request's headers within `header_read_timeout` (slowloris); the
//!   same timer bounds how long an idle keep-alive connection waits for its next request.
//! - At most `max_connections` connections are open at once; one more is answered `503` and
//!   closed at once, without reading it (refusing fast keeps the accept loop free).
//! - Shutdown stops accepting and asks every connection to close once its current response is
//!   done, so answers in flight still reach their clients.

use axum::Router;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// The connection-level limits (from [`HttpOptions`](super::http::HttpOptions)).
#[derive(Debug, Clone, Copy)]
pub(crate) struct ConnectionLimits {
    pub max_connections: usize,
    pub header_read_timeout: Duration,
    pub keep_alive: bool,
}

/// What a refused connection gets: a complete response, then the connection is closed.
const BUSY_RESPONSE: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\n\
retry-after: 1\r\nconnection: close\r\ncontent-length: 91\r\n\r\n\
{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32000,\"message\":\"Too many connections; retry\"}}";

/// Serves `router` on `listener` until `shutdown` is cancelled and every connection has
/// finished its current response.
pub(crate) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionLimits,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of file descriptors and the like: pause rather than spin.
                    tracing::warn!("accept failed: {e}");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = shutdown.cancelled() => break,
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            tracing::debug!(%peer, "connection refused: {} connections open", limits.max_connections);
            tokio::spawn(async move {
                let mut stream = stream;
                let _ = tokio::time::timeout(Duration::from_secs(1), stream.write_all(BUSY_RESPONSE)).await;
                let _ = stream.shutdown().await;
            });
            continue;
        };
        // Without TCP_NODELAY the small SSE frames of one answer wait on Nagle's algorithm and
        // the client's delayed ACK: ~40 ms per answer.
        if let Err(e) = stream.set_nodelay(true) {
            tracing::debug!("TCP_NODELAY: {e}");
        }
        // Handlers see the client's address (`ConnectInfo`), as with axum's own server.
        let router = router.clone();
        let service = hyper::service::service_fn(move |mut req: hyper::Request<hyper::body::Incoming>| {
            use tower_service::Service;
            req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
            router.clone().call(req.map(axum::body::Body::new))
        });
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let _slot = slot;
            let mut builder = hyper::server::conn::http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_read_timeout)
                .keep_alive(limits.keep_alive);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            let mut conn = std::pin::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => {
                    if let Err(e) = r {
                        tracing::debug!(%peer, "connection ended: {e}");
                    }
                    return;
                }
                _ = shutdown.cancelled() => {}
            }
            conn.as_mut().graceful_shutdown();
            if let Err(e) = conn.await {
                tracing::debug!(%peer, "connection ended: {e}");
            }
        });
    }
    drop(listener);
    connections.close();
    connections.wait().await;
    Ok(())
}
