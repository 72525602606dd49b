//! The in-memory transport: a client connected straight to a server object, for tests (like
//! Python FastMCP's `Client(server)`). It speaks the full protocol (initialize, notifications,
//! server-to-client requests) without serialization to bytes.

use super::client::Link;
use crate::protocol::Message;
use crate::server::{Server, Session};
use crate::transport::{Outbound, Outgoing};
use std::sync::Arc;
use tokio::sync::mpsc;

pub use super::client::{Client, ClientBuilder, ClientError};

/// A session of `server`, fed directly.
struct MemoryLink {
    server: Server,
    session: Arc<Session>,
    out: Outbound,
}

impl Link for MemoryLink {
    fn send(&self, message: Message) -> bool {
        self.session.handle(message, self.out.clone());
        true
    }
}

impl Drop for MemoryLink {
    fn drop(&mut self) {
        self.server.remove_session(self.session.id());
    }
}

/// Starts `server` if needed and opens a session on it.
pub(crate) async fn open(server: &Server) -> Result<(Arc<dyn Link>, mpsc::Receiver<Outgoing>), ClientError> {
    server.start().await?;
    let (out, inbound) = Outbound::channel();
    let session = server.new_session(None, Some(out.clone()));
    server.mark_transport_ready();
    Ok((Arc::new(MemoryLink { server: server.clone(), session, out }), inbound))
}
