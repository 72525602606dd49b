//! The process's stdin and stdout as async streams, each served by a detached thread of its
//! own: a blocking read or write cannot be cancelled, and a detached thread does not keep the
//! process alive when the client stops writing or reading.

use super::batch;
use crate::transport::Outgoing;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use tokio::io::AsyncBufRead;
use tokio::sync::{mpsc, oneshot};

/// Stdin, read on a thread of its own. A blocking read cannot be cancelled: on tokio's
/// blocking pool (`tokio::io::stdin`) it would keep the runtime, and so the process, alive
/// after a SIGTERM until the client wrote another line. A detached thread does not hold the
/// process. The channel is small, so a client that floods stdin is still read no faster than
/// the server handles its messages.
pub(super) fn stdin_reader() -> impl AsyncBufRead + Unpin {
    use std::io::Read;
    let (tx, rx) = mpsc::channel::<std::io::Result<bytes::Bytes>>(4);
    let spawned = std::thread::Builder::new().name("fastmcp-stdin".into()).stack_size(64 * 1024).spawn(move || {
        let mut stdin = std::io::stdin().lock();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            match stdin.read(&mut buf) {
                Ok(0) => return,
                Ok(n) => {
                    if tx.blocking_send(Ok(bytes::Bytes::copy_from_slice(&buf[..n]))).is_err() {
                        return;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => {
                    let _ = tx.blocking_send(Err(e));
                    return;
                }
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!("cannot start the stdin reader thread: {e}");
    }
    let chunks = futures::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|chunk| (chunk, rx)) });
    tokio_util::io::StreamReader::new(Box::pin(chunks))
}

/// The stdout thread serializes answers, which recurses once per level of nesting: it gets
/// the stack of a tokio worker (where answers are serialized on the other transports), not a
/// small one, so output that HTTP can send does not overflow it.
const STDOUT_STACK: usize = 2 * 1024 * 1024;

/// Stdout, written by a thread of its own straight from the outbound queue, for the reason
/// stdin is read on one: a write to a client that stopped reading blocks and cannot be
/// cancelled. On tokio's blocking pool it would hold the runtime, and so the process,
/// forever; a detached thread does not. Taking the queue itself, the thread is the one
/// hand-off between an answer and stdout (no write task in between). The queue is bounded,
/// so a client that does not read stops the server reading new requests.
///
/// The returned receiver resolves when the queue is closed and all of it written, or stdout
/// failed. When the thread cannot start, the queue is handed back.
pub(super) fn stdout_thread(
    rx: mpsc::Receiver<Outgoing>,
    progress: Arc<AtomicU64>,
) -> Result<oneshot::Receiver<()>, (std::io::Error, mpsc::Receiver<Outgoing>)> {
    use std::io::Write;
    let (done_tx, done_rx) = oneshot::channel::<()>();
    // The thread takes the queue from here; if it cannot start, the queue is taken back.
    let slot = Arc::new(std::sync::Mutex::new(Some(rx)));
    let theirs = slot.clone();
    let spawned = std::thread::Builder::new().name("fastmcp-stdout".into()).stack_size(STDOUT_STACK).spawn(move || {
        let _done = done_tx;
        let Some(mut rx) = theirs.lock().ok().and_then(|mut slot| slot.take()) else { return };
        let mut buf = Vec::new();
        while let Some(first) = rx.blocking_recv() {
            batch(&mut buf, &first, || rx.try_recv().ok());
            // Locked per write, not for the thread's life: a stray `println!` in a handler
            // then interleaves whole lines instead of waiting forever for the lock.
            let mut stdout = std::io::stdout().lock();
            // In pieces of a pipe's size, so that a client reading a large answer slowly
            // still shows progress to the end of serving.
            for piece in buf.chunks(64 * 1024) {
                if let Err(e) = stdout.write_all(piece).and_then(|()| stdout.flush()) {
                    tracing::error!("stdout closed ({e}); dropping further output");
                    return;
                }
                progress.fetch_add(1, Ordering::Relaxed);
            }
        }
    });
    match spawned {
        Ok(_) => Ok(done_rx),
        Err(e) => match slot.lock().ok().and_then(|mut slot| slot.take()) {
            Some(rx) => Err((e, rx)),
            // Unreachable in practice: the thread took the queue, so it did start.
            None => Ok(done_rx),
        },
    }
}
