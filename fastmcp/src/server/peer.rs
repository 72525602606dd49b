//! How a [`Context`] reaches the server layer: the server's [`Services`], the [`Peer`] of a
//! request on a session, and the server-only methods of `Context`.

use super::{Server, ServerInner, Session};
use crate::docket::{Docket, Worker};
use crate::extract::{ClientRequestError, Context, Peer, Services};
use crate::outbound::Outbound;
use crate::protocol::{Implementation, LoggingLevel, Message};
use crate::sync::BoxFuture;
use serde_json::Value;
use std::any::{Any, TypeId};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

impl Services for ServerInner {
    fn state(&self, type_id: TypeId) -> Option<Arc<dyn Any + Send + Sync>> {
        crate::sync::read(&self.states).get(&type_id).cloned()
    }
    // Extractors see the docket and worker only while the server runs: before `start()` and
    // after `shutdown()` they fail with their documented errors.
    fn docket(&self) -> Option<Docket> {
        self.is_serving().then(|| ServerInner::docket(self)).flatten()
    }
    fn worker(&self) -> Option<Worker> {
        self.is_serving().then(|| ServerInner::worker(self)).flatten()
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// A request on a session (2025-11-25 and older): its own stream, the session's settings.
pub(crate) struct SessionPeer {
    pub session: Arc<Session>,
    pub out: Outbound,
}

impl Peer for SessionPeer {
    fn session_id(&self) -> Option<&str> {
        Some(self.session.id())
    }
    fn principal(&self) -> Option<String> {
        self.session.principal()
    }
    fn client_info(&self) -> Option<Implementation> {
        self.session.client_info()
    }
    fn protocol_version(&self) -> Option<String> {
        self.session.protocol_version()
    }
    fn client_capabilities(&self) -> Value {
        self.session.client_capabilities()
    }
    fn logs(&self, level: LoggingLevel) -> bool {
        level >= self.session.log_level()
    }
    fn send(self: Arc<Self>, message: Message) -> BoxFuture<()> {
        // A closed stream means the client went away; there is nobody left to tell.
        Box::pin(async move {
            self.out.send(message).await;
        })
    }
    fn close_stream(self: Arc<Self>) -> BoxFuture<()> {
        Box::pin(async move { self.out.close_stream().await })
    }
    fn request(
        self: Arc<Self>,
        _key: Option<String>,
        method: String,
        params: Value,
        cancel: CancellationToken,
    ) -> BoxFuture<Result<Value, ClientRequestError>> {
        Box::pin(async move { self.session.request_client(&method, params, &self.out, &cancel).await })
    }
}

impl Context {
    /// The server this request runs on, e.g. to add or remove components at run time.
    pub fn server(&self) -> Server {
        let inner = self.inner.services.clone().as_any().downcast::<ServerInner>();
        Server::from_inner(inner.expect("a context's services are its server"))
    }

    /// Tells every session subscribed to `uri` that it changed.
    pub async fn notify_resource_updated(&self, uri: &str) {
        self.server().notify_resource_updated(uri).await
    }
}
