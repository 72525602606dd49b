//! A session as the tasks layer sees it: a [`Requester`].

use super::Session;
use crate::docket::Docket;
use crate::extract::ClientRequestError;
use crate::outbound::Outbound;
use crate::protocol::{LoggingLevel, Message};
use crate::sync::BoxFuture;
use crate::tasks::{Requester, RequesterRef, TaskSettings};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

impl Requester for Session {
    fn id(&self) -> &str {
        Session::id(self)
    }
    fn owner(&self) -> String {
        Session::owner(self)
    }
    fn may_access(&self, owner: &str) -> bool {
        Session::may_access(self, owner)
    }
    fn is_anonymous(&self) -> bool {
        Session::is_anonymous(self)
    }
    fn client_capabilities(&self) -> Value {
        Session::client_capabilities(self)
    }
    fn log_level(&self) -> LoggingLevel {
        Session::log_level(self)
    }
    fn docket(&self) -> Option<Docket> {
        self.server().docket()
    }
    fn task_settings(&self) -> &TaskSettings {
        self.server().task_settings()
    }
    fn request_timeout(&self) -> Duration {
        self.server().request_timeout
    }
    fn shutdown(&self) -> CancellationToken {
        self.server().shutdown.clone()
    }
    fn notify(self: Arc<Self>, message: Message) -> BoxFuture<()> {
        Box::pin(async move { self.notify_message(message).await })
    }
    fn notify_outbound(&self) -> Option<Outbound> {
        Session::notify_outbound(self)
    }
    fn request_client(
        self: Arc<Self>,
        method: String,
        params: Value,
        out: Outbound,
        cancel: CancellationToken,
    ) -> BoxFuture<Result<Value, ClientRequestError>> {
        Box::pin(async move { Session::request_client(&self, &method, params, &out, &cancel).await })
    }
}

/// The session as a shared [`Requester`].
pub(crate) fn requester(session: &Arc<Session>) -> RequesterRef {
    session.clone()
}
