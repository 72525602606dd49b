//! stdio transport: one compact JSON message per line on stdout, requests from stdin.
//! Nothing but protocol messages is ever written to stdout.

use crate::protocol::{Message, Response};
use crate::server::{Server, ServerError};
use crate::transport::{Outbound, Outgoing};
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use std_streams::{stdin_reader, stdout_thread};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

mod std_streams;

/// Longest accepted line; longer lines are answered with a parse error and skipped.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

/// At the end, how long the output may make no progress before the answers still unwritten
/// are dropped: a client that stopped reading must not keep the process alive.
pub const OUTPUT_STALL_LIMIT: Duration = Duration::from_secs(2);

impl Server {
    /// Serves one client over stdin/stdout until stdin closes, then shuts down gracefully.
    ///
    /// Ctrl-C and SIGTERM shut down as gracefully as the end of stdin: reading stops, requests
    /// in flight are answered, the worker drains and the lifespan teardowns run.
    ///
    /// At the end, answers still unwritten are flushed while the client reads them; when it
    /// has read nothing for [`OUTPUT_STALL_LIMIT`] they are dropped and this returns.
    ///
    /// With `FASTMCP_MANIFEST=json|fastmcp|markdown` set it prints the server's manifest to
    /// stdout instead, and returns.
    pub async fn run_stdio(&self) -> Result<(), ServerError> {
        if self.print_manifest_if_asked()? {
            return Ok(());
        }
        let signals = {
            let token = self.shutdown_token();
            tokio::spawn(async move {
                crate::signal::wait_for_signal().await;
                tracing::info!("signal received; shutting down");
                token.cancel();
            })
        };
        let reader = stdin_reader();
        let served = serve_lines(self, reader, |rx, progress| match stdout_thread(rx, progress.clone()) {
            Ok(written) => Box::pin(async move {
                let _ = written.await;
            }),
            Err((e, rx)) => {
                tracing::warn!("cannot start the stdout thread ({e}); writing on tokio's blocking pool");
                write_in_task(rx, tokio::io::stdout(), progress)
            }
        })
        .await;
        signals.abort();
        served
    }
}

/// The end of writing: it resolves when everything sent to the client is written (or the
/// output failed); dropping it gives up on what is left.
type Written = Pin<Box<dyn Future<Output = ()> + Send>>;

/// Serves one client over any line-oriented byte streams (used by `run_stdio` and by tests).
pub async fn serve<R, W>(server: &Server, reader: R, writer: W) -> Result<(), ServerError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    serve_lines(server, reader, |rx, progress| write_in_task(rx, writer, progress)).await
}

/// Writes the outbound queue to `writer` from a task of its own.
fn write_in_task<W>(rx: mpsc::Receiver<Outgoing>, writer: W, progress: Arc<AtomicU64>) -> Written
where
    W: AsyncWrite + Unpin + Send + 'static,
{
    let task = tokio_util::task::AbortOnDropHandle::new(tokio::spawn(write_loop(rx, writer, progress)));
    Box::pin(async move {
        let _ = task.await;
    })
}

/// `write` takes the outbound queue and a progress counter to bump on every write that
/// completes, and starts the writing.
async fn serve_lines<R>(
    server: &Server,
    mut reader: R,
    write: impl FnOnce(mpsc::Receiver<Outgoing>, Arc<AtomicU64>) -> Written,
) -> Result<(), ServerError>
where
    R: AsyncBufRead + Unpin,
{
    server.start().await?;
    let (tx, rx) = Outbound::channel();
    let progress = Arc::new(AtomicU64::new(0));
    let written = write(rx, progress.clone());
    let session = server.new_session(None, Some(tx.clone()));
    server.mark_transport_ready();
    tracing::debug!(server = server.name(), "serving over stdio");
    let shutdown = server.shutdown_token();
    let mut line = Vec::new();
    loop {
        // Backpressure: no new message while the client is not reading our answers.
        let read = tokio::select! {
            r = async {
                tx.ready().await;
                read_line(&mut reader, &mut line).await
            } => r,
            _ = shutdown.cancelled() => break,
        };
        match read {
            Ok(LineRead::Eof) => break,
            Ok(LineRead::TooLong) => {
                let err =
                    crate::protocol::ErrorObject::parse_error(format!("message longer than {MAX_LINE_BYTES} bytes"));
                send(&tx, Message::Response(Response::err(None, err))).await;
            }
            Ok(LineRead::Line) => handle_line(&session, &line, &tx).await,
            Err(e) => {
                tracing::error!("stdin read failed: {e}");
                break;
            }
        }
    }
    tracing::debug!("stdin closed; shutting down");
    server.shutdown().await;
    server.remove_session(session.id());
    drop(session);
    drop(tx);
    if !unless_stalled(written, &progress).await {
        tracing::warn!("the client read no output for {OUTPUT_STALL_LIMIT:?}; the answers left are dropped");
    }
    Ok(())
}

/// Runs `work` to its end while `progress` keeps moving; false when it stood still for
/// [`OUTPUT_STALL_LIMIT`].
async fn unless_stalled(work: impl Future<Output = ()>, progress: &AtomicU64) -> bool {
    tokio::pin!(work);
    let mut seen = progress.load(Ordering::Relaxed);
    loop {
        tokio::select! {
            () = &mut work => return true,
            () = tokio::time::sleep(OUTPUT_STALL_LIMIT) => {
                let now = progress.load(Ordering::Relaxed);
                if now == seen {
                    return false;
                }
                seen = now;
            }
        }
    }
}

async fn handle_line(session: &std::sync::Arc<crate::server::Session>, line: &[u8], tx: &Outbound) {
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    match Message::decode(line) {
        Ok(message) => session.handle(message, tx.clone()),
        Err(e) => send(tx, Message::Response(Response::err(e.id, e.error))).await,
    }
}

async fn send(tx: &Outbound, message: Message) {
    tx.send(message).await;
}

enum LineRead {
    Line,
    TooLong,
    Eof,
}

/// Reads one line into `line` (without the newline), never buffering more than
/// `MAX_LINE_BYTES`. A last line without a newline still counts as a line.
async fn read_line<R: AsyncBufRead + Unpin>(reader: &mut R, line: &mut Vec<u8>) -> std::io::Result<LineRead> {
    line.clear();
    let mut too_long = false;
    loop {
        let available = reader.fill_buf().await?;
        if available.is_empty() {
            return Ok(match (too_long, line.is_empty()) {
                (true, _) => LineRead::TooLong,
                (false, true) => LineRead::Eof,
                (false, false) => LineRead::Line,
            });
        }
        let (chunk, done) = match available.iter().position(|b| *b == b'\n') {
            Some(i) => (&available[..i], Some(i + 1)),
            None => (available, None),
        };
        if !too_long {
            if line.len() + chunk.len() > MAX_LINE_BYTES {
                too_long = true;
                line.clear();
            } else {
                line.extend_from_slice(chunk);
            }
        }
        let consumed = done.unwrap_or(available.len());
        reader.consume(consumed);
        if done.is_some() {
            return Ok(if too_long { LineRead::TooLong } else { LineRead::Line });
        }
    }
}

async fn write_loop<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Outgoing>, mut writer: W, progress: Arc<AtomicU64>) {
    let mut buf = Vec::new();
    while let Some(first) = rx.recv().await {
        batch(&mut buf, &first, || rx.try_recv().ok());
        if buf.is_empty() {
            continue;
        }
        if writer.write_all(&buf).await.is_err() || writer.flush().await.is_err() {
            tracing::error!("stdout closed; dropping further output");
            return;
        }
        progress.fetch_add(1, Ordering::Relaxed);
    }
}

/// A write batches the messages already queued up to this size.
const BATCH_BYTES: usize = 1024 * 1024;

/// Fills `buf` with `first` and whatever `next` has ready, as lines, up to [`BATCH_BYTES`]
/// (one message may be larger). A buffer that a large answer grew is given back first.
fn batch(buf: &mut Vec<u8>, first: &Outgoing, mut next: impl FnMut() -> Option<Outgoing>) {
    if buf.capacity() > BATCH_BYTES * 2 {
        *buf = Vec::new();
    }
    buf.clear();
    push(buf, first);
    while buf.len() < BATCH_BYTES
        && let Some(more) = next()
    {
        push(buf, &more);
    }
}

/// Appends `outgoing` to `buf` as one line (nothing for a stream marker, which stdio has not).
fn push(buf: &mut Vec<u8>, outgoing: &Outgoing) {
    let Outgoing::Message(message) = outgoing else {
        return;
    };
    // serde_json never emits raw newlines in compact output, as stdio framing requires.
    if serde_json::to_writer(&mut *buf, message).is_ok() {
        buf.push(b'\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn note(bytes: usize) -> Outgoing {
        Outgoing::Message(Message::notification("n", Some(serde_json::json!({ "text": "x".repeat(bytes) }))))
    }

    #[test]
    fn a_batch_stops_near_its_size_and_gives_back_a_grown_buffer() {
        let mut queued: std::collections::VecDeque<Outgoing> = (0..8).map(|_| note(300 * 1024)).collect();
        let mut buf = Vec::new();
        let first = queued.pop_front().unwrap();
        batch(&mut buf, &first, || queued.pop_front());
        // Four messages reach 1 MiB; the other four wait for the next write.
        assert_eq!(buf.iter().filter(|b| **b == b'\n').count(), 4);
        assert_eq!(queued.len(), 4);
        let lines = buf.split(|b| *b == b'\n').filter(|l| !l.is_empty());
        assert!(lines.map(Message::decode).all(|m| m.is_ok()), "whole JSON-RPC lines");

        let huge = note(5 * 1024 * 1024);
        batch(&mut buf, &huge, || None);
        assert!(buf.len() > 5 * 1024 * 1024, "one message larger than a batch is written whole");
        batch(&mut buf, &note(10), || None);
        assert!(buf.capacity() <= BATCH_BYTES, "the buffer the large answer grew is given back");
    }
}
