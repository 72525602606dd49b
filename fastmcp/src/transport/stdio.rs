//! stdio transport: one compact JSON message per line on stdout, requests from stdin.
//! Nothing but protocol messages is ever written to stdout.

use crate::protocol::{Message, Response};
use crate::server::{Server, ServerError};
use crate::transport::{Outbound, Outgoing};
use tokio::io::{AsyncBufRead, AsyncBufReadExt, AsyncWrite, AsyncWriteExt};
use tokio::sync::mpsc;

/// Longest accepted line; longer lines are answered with a parse error and skipped.
pub const MAX_LINE_BYTES: usize = 16 * 1024 * 1024;

impl Server {
    /// Serves one client over stdin/stdout until stdin closes, then shuts down gracefully.
    ///
    /// Ctrl-C and SIGTERM shut down as gracefully as the end of stdin: reading stops, requests
    /// in flight are answered, the worker drains and the lifespan teardowns run.
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
        let served = serve(self, stdin_reader(), tokio::io::stdout()).await;
        signals.abort();
        served
    }
}

/// Stdin, read on a thread of its own. A blocking read cannot be cancelled: on tokio's
/// blocking pool (`tokio::io::stdin`) it would keep the runtime, and so the process, alive
/// after a SIGTERM until the client wrote another line. A detached thread does not hold the
/// process. The channel is small, so a client that floods stdin is still read no faster than
/// the server handles its messages.
fn stdin_reader() -> impl AsyncBufRead + Unpin {
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

/// Serves one client over any line-oriented byte streams (used by `run_stdio` and by tests).
pub async fn serve<R, W>(server: &Server, mut reader: R, writer: W) -> Result<(), ServerError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    server.start().await?;
    let (tx, rx) = Outbound::channel();
    let writer_task = tokio::spawn(write_loop(rx, writer));
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
    let _ = writer_task.await;
    Ok(())
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

async fn write_loop<W: AsyncWrite + Unpin>(mut rx: mpsc::Receiver<Outgoing>, mut writer: W) {
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
