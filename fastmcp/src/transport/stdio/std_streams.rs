//! The process's stdin and stdout as async streams, each served by a detached thread of its
//! own: a blocking read or write cannot be cancelled, and a detached thread does not keep the
//! process alive when the client stops writing or reading.

use super::Output;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use tokio::io::{AsyncBufRead, AsyncWrite};
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

/// Stdout, written on a thread of its own, for the reason stdin is read on one: a write to a
/// client that stopped reading blocks and cannot be cancelled. On tokio's blocking pool it
/// would hold the runtime, and so the process, forever; a detached thread does not. An
/// answer costs one hand-off over a small channel, so a client that does not read stops the
/// write loop, and through it the reading of new requests.
pub(super) struct StdoutThread {
    tx: tokio_util::sync::PollSender<bytes::Bytes>,
    /// Starts the thread, at the first write: spawning it is then off the path that the
    /// request before the first answer takes.
    start: Option<Box<dyn FnOnce() -> std::io::Result<()> + Send>>,
}

pub(super) fn stdout_writer() -> (StdoutThread, Output) {
    use std::io::Write;
    let (tx, mut rx) = mpsc::channel::<bytes::Bytes>(4);
    let (done_tx, done_rx) = oneshot::channel();
    let output = Output { progress: Arc::default(), written: Some(done_rx) };
    let progress = output.progress.clone();
    let start = move || {
        std::thread::Builder::new().name("fastmcp-stdout".into()).stack_size(64 * 1024).spawn(move || {
            while let Some(chunk) = rx.blocking_recv() {
                // Locked per chunk, not for the thread's life: a stray `println!` in a handler
                // then interleaves whole lines instead of waiting forever for the lock.
                let mut stdout = std::io::stdout().lock();
                if let Err(e) = stdout.write_all(&chunk).and_then(|()| stdout.flush()) {
                    tracing::error!("stdout closed ({e}); dropping further output");
                    return;
                }
                progress.fetch_add(1, Ordering::Relaxed);
            }
            let _ = done_tx.send(());
        })?;
        Ok(())
    };
    let writer = StdoutThread { tx: tokio_util::sync::PollSender::new(tx), start: Some(Box::new(start)) };
    (writer, output)
}

impl AsyncWrite for StdoutThread {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        use std::task::Poll;
        if let Some(start) = self.start.take() {
            start()?;
        }
        let gone = || std::io::Error::from(std::io::ErrorKind::BrokenPipe);
        match self.tx.poll_reserve(cx) {
            Poll::Pending => Poll::Pending,
            Poll::Ready(Err(_)) => Poll::Ready(Err(gone())),
            Poll::Ready(Ok(())) => match self.tx.send_item(bytes::Bytes::copy_from_slice(buf)) {
                Ok(()) => Poll::Ready(Ok(buf.len())),
                Err(_) => Poll::Ready(Err(gone())),
            },
        }
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        self.tx.close();
        std::task::Poll::Ready(Ok(()))
    }
}
