//! The client side of stdio: a child process serving MCP on its stdin/stdout, one JSON-RPC
//! message per line. Its stderr is forwarded to `tracing` (target `fastmcp::child`), line by line.

use super::client::{ClientError, Link};
use crate::protocol::Message;
use crate::transport::{Outbound, Outgoing};
use std::process::Stdio;
use std::sync::Arc;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::sync::mpsc;

/// At most this many messages wait to be written to the child; a child that stops reading its
/// stdin makes sends fail instead of growing memory.
const WRITE_QUEUE: usize = 1024;
/// Longest line accepted from the child (as the server side accepts).
const MAX_LINE_BYTES: usize = crate::transport::stdio::MAX_LINE_BYTES;

/// Messages for the child's stdin; dropping it closes stdin and kills the child.
struct ChildLink {
    writer: mpsc::Sender<Message>,
    _child: tokio::sync::Mutex<tokio::process::Child>,
}

impl Link for ChildLink {
    fn send(&self, message: Message) -> bool {
        match self.writer.try_send(message) {
            Ok(()) => true,
            Err(e) => {
                tracing::warn!(error = %e, "the server process is not reading its stdin; message dropped");
                false
            }
        }
    }
}

/// Spawns `command` with piped stdio and starts its reader, writer and stderr tasks.
pub(crate) fn open(
    mut command: tokio::process::Command,
) -> Result<(Arc<dyn Link>, mpsc::Receiver<Outgoing>), ClientError> {
    command.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).kill_on_drop(true);
    let mut child = command.spawn()?;
    let (Some(mut stdin), Some(stdout), Some(stderr)) = (child.stdin.take(), child.stdout.take(), child.stderr.take())
    else {
        return Err(ClientError::Spawn(std::io::Error::other("the child's stdio was not piped")));
    };
    let pid = child.id().unwrap_or_default();

    let (writer, mut to_write) = mpsc::channel::<Message>(WRITE_QUEUE);
    tokio::spawn(async move {
        while let Some(message) = to_write.recv().await {
            let mut line = match serde_json::to_vec(&message) {
                Ok(l) => l,
                Err(e) => {
                    tracing::error!(error = %e, "a message could not be serialized");
                    continue;
                }
            };
            line.push(b'\n');
            if stdin.write_all(&line).await.is_err() || stdin.flush().await.is_err() {
                break;
            }
        }
    });

    let (out, inbound) = Outbound::channel();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout);
        let mut line = Vec::new();
        loop {
            line.clear();
            // Bounded read: a line longer than the limit is skipped, not buffered.
            match AsyncReadExt::take(&mut reader, MAX_LINE_BYTES as u64 + 1).read_until(b'\n', &mut line).await {
                Ok(0) | Err(_) => break,
                Ok(_) if line.len() > MAX_LINE_BYTES && !line.ends_with(b"\n") => {
                    tracing::warn!(pid, "the server sent a line over {MAX_LINE_BYTES} bytes; skipped");
                    let mut rest = Vec::new();
                    if reader.read_until(b'\n', &mut rest).await.unwrap_or(0) == 0 {
                        break;
                    }
                    continue;
                }
                Ok(_) => {}
            }
            let text = line.trim_ascii();
            if text.is_empty() {
                continue;
            }
            match Message::decode(text) {
                Ok(message) => {
                    if !out.send(message).await {
                        break;
                    }
                }
                Err(e) => tracing::warn!(pid, error = %e.error.message, "the server wrote a line that is not JSON-RPC"),
            }
        }
    });

    tokio::spawn(async move {
        let mut lines = BufReader::new(stderr).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            tracing::info!(target: "fastmcp::child", pid, "{line}");
        }
    });

    Ok((Arc::new(ChildLink { writer, _child: tokio::sync::Mutex::new(child) }), inbound))
}
