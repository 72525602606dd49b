//! The two interfaces a [`Context`](super::Context) works through, so it never needs to know
//! how the call arrived: the [`Peer`] (whoever the handler talks back to: a session, a task's
//! requester through the task record, a 2026-07-28 request) and the [`Services`] of the server
//! it runs in (state, docket, worker). The layers above implement them.

use super::ClientRequestError;
use crate::docket::{Docket, Worker};
use crate::protocol::{Implementation, LoggingLevel, Message};
use crate::sync::BoxFuture;
use serde_json::{Value, json};
use std::any::{Any, TypeId};
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

/// The other end of a call.
pub(crate) trait Peer: Send + Sync + 'static {
    /// The session the call belongs to.
    fn session_id(&self) -> Option<&str> {
        None
    }
    /// The authenticated principal of the requester.
    fn principal(&self) -> Option<String> {
        None
    }
    /// What the client said about itself.
    fn client_info(&self) -> Option<Implementation> {
        None
    }
    /// The negotiated protocol version.
    fn protocol_version(&self) -> Option<String> {
        None
    }
    /// The client's capabilities (`{}` when unknown).
    fn client_capabilities(&self) -> Value {
        json!({})
    }
    /// Whether there is a client at the other end at all.
    fn has_client(&self) -> bool {
        true
    }
    /// The MCP task the call runs as.
    fn task_id(&self) -> Option<&str> {
        None
    }
    /// Whether a log message at `level` is wanted.
    fn logs(&self, _level: LoggingLevel) -> bool {
        true
    }
    /// Sends a notification (dropped when nobody can receive it).
    fn send(self: Arc<Self>, message: Message) -> BoxFuture<()>;
    /// Ends the HTTP connection of the call's SSE stream (a no-op elsewhere).
    fn close_stream(self: Arc<Self>) -> BoxFuture<()> {
        Box::pin(async {})
    }
    /// A request to the client; `key` names the input where the revision needs one.
    fn request(
        self: Arc<Self>,
        key: Option<String>,
        method: String,
        params: Value,
        cancel: CancellationToken,
    ) -> BoxFuture<Result<Value, ClientRequestError>>;
    /// The handler needed a client capability the client lacks (2026-07-28 answers -32021).
    fn missing_capability(&self, _name: &'static str) {}
}

/// No one to talk back to: a docket run that is not a task, or a detached context.
pub(crate) struct NoPeer;

impl Peer for NoPeer {
    fn has_client(&self) -> bool {
        false
    }
    fn send(self: Arc<Self>, _message: Message) -> BoxFuture<()> {
        Box::pin(async {})
    }
    fn request(
        self: Arc<Self>,
        _key: Option<String>,
        _method: String,
        _params: Value,
        _cancel: CancellationToken,
    ) -> BoxFuture<Result<Value, ClientRequestError>> {
        Box::pin(async { Err(ClientRequestError::NoClient) })
    }
}

/// What the server a call runs in provides.
pub(crate) trait Services: Send + Sync + 'static {
    /// Shared state by type.
    fn state(&self, type_id: TypeId) -> Option<Arc<dyn Any + Send + Sync>>;
    /// The running docket.
    fn docket(&self) -> Option<Docket>;
    /// The running worker.
    fn worker(&self) -> Option<Worker>;
    /// Itself, to be downcast by the layer that implements it.
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync>;
}
