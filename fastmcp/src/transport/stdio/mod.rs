//! stdio transport: one compact JSON message per line on stdout, requests from stdin.
//! Nothing but protocol messages is ever written to stdout.

use crate::protocol::{Message, Response};
use crate::server::{Server, ServerError};
use crate::transport::{Outbound, Outgoing};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use std_streams::{stdin_reader, stdout_writer};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::{mpsc, oneshot};

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
        let (writer, output) = stdout_writer();
        let served = serve_lines(self, reader, writer, output).await;
        signals.abort();
        served
    }
}

/// How the end of serving learns that the output is written, or stuck.
#[derive(Default)]
struct Output {
    /// Bumped by every completed write, in the write loop and in a writer thread.
    progress: Arc<AtomicU64>,
    /// A writer thread's signal that it wrote everything it was given.
    written: Option<oneshot::Receiver<()>>,
}

/// Serves one client over any line-oriented byte streams (used by `run_stdio` and by tests).
pub async fn serve<R, W>(server: &Server, reader: R, writer: W) -> Result<(), ServerError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    serve_lines(server, reader, writer, Output::default()).await
}

async fn serve_lines<R, W>(server: &Server, mut reader: R, writer: W, output: Output) -> Result<(), ServerError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    server.start().await?;
    let (tx, rx) = Outbound::channel();
    let mut writer_task = tokio::spawn(write_loop(rx, writer, output.progress.clone()));
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
    let flushed = async {
        let _ = (&mut writer_task).await;
        if let Some(written) = output.written {
            let _ = written.await;
        }
    };
    if !unless_stalled(flushed, &output.progress).await {
        writer_task.abort();
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
    let mut buf = Vec::with_capacity(4096);
    while let Some(first) = rx.recv().await {
        buf.clear();
        push(&mut buf, &first);
        // Batch whatever else is already queued into one write.
        while let Ok(more) = rx.try_recv() {
            push(&mut buf, &more);
        }
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

fn push(buf: &mut Vec<u8>, outgoing: &Outgoing) {
    let Outgoing::Message(message) = outgoing else {
        return;
    };
    // serde_json never emits raw newlines in compact output, as stdio framing requires.
    if serde_json::to_writer(&mut *buf, message).is_ok() {
        buf.push(b'\n');
    }
}
