//! Extractors: the values a component function can ask for by type, next to its arguments.
//!
//! A parameter of a `#[tool]`, `#[prompt]` or `#[resource]` whose type implements [`FromCall`]
//! is an extractor, wherever it sits in the signature: it is filled from the call and never
//! appears in the schema. The type decides (aliases and your own types included), not its name.
//! Built in: [`Context`], [`Progress`], [`State<T>`], [`CurrentDocket`], [`CurrentWorker`].

mod elicit;
mod peer;
pub mod testing;

pub use elicit::{Elicitation, UrlElicitation, requested_schema};

pub(crate) use peer::{NoPeer, Peer, Services};

use crate::protocol::{
    CreateMessageParams, CreateMessageResult, ElicitResult, ErrorObject, Implementation, LoggingLevel, Message,
    RequestId, Role, Root, SamplingMessage,
};
use crate::sync::lock;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::fmt;
use std::ops::Deref;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Why an extractor could not be produced for a call.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ExtractError {
    #[error(
        "No state of type `{0}` is registered. Add it with `FastMcp::state(value)` or return it from the lifespan."
    )]
    /// No state of this type is registered.
    MissingState(&'static str),
    #[error("No Docket instance found. Docket is only available within a running FastMCP server context.")]
    /// Not in a running server: no docket.
    NoDocket,
    #[error("No Worker instance found. Worker is only available within a running FastMCP server context.")]
    /// Not in a running server: no worker.
    NoWorker,
    /// A user-defined extractor refused the call, with its reason.
    #[error("{0}")]
    Rejected(String),
    /// The arguments did not decode (an `isError` result for tools, -32602 elsewhere).
    #[error("{0}")]
    InvalidArguments(String),
}

impl From<ExtractError> for ErrorObject {
    fn from(e: ExtractError) -> Self {
        match e {
            ExtractError::InvalidArguments(why) => ErrorObject::invalid_params(why),
            e => ErrorObject::internal(e.to_string()),
        }
    }
}

/// A type that can be produced from the call a component is handling: an extractor.
///
/// A component parameter whose type implements `FromCall` (directly or through an alias) is
/// filled by it and left out of the schema; implement it for your own types to extend the set.
/// Return [`ExtractError::Rejected`] to refuse a call with your own message.
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not an extractor: it does not implement `fastmcp::FromCall`",
    label = "not an extractor",
    note = "a parameter that is not an argument must be an extractor (Context, Progress, State<T>, CurrentDocket, CurrentWorker, or a type implementing FromCall): a destructuring pattern, or a #[resource] parameter not named after a URI template variable; name an argument plainly (`pair: (i64, i64)`)"
)]
pub trait FromCall: Sized {
    /// Produces the value for one call, or says why it cannot.
    fn from_call(call: &Call) -> Result<Self, ExtractError>;

    /// The shared state this extractor needs (its `TypeId` and type name), if any. A server
    /// whose components need state that nothing provides fails to build (or, with lifespans,
    /// to start), instead of failing every call.
    fn required_state() -> Option<(std::any::TypeId, &'static str)> {
        None
    }

    /// The arguments this extractor consumes, as an object schema whose `properties` and
    /// `required` join the tool's `inputSchema` (see [`Args`]). Most extractors take none.
    fn argument_schema(_generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        None
    }
}

/// One invocation of a component: its arguments (or the URI read) and its [`Context`].
pub struct Call {
    pub(crate) args: Map<String, Value>,
    pub(crate) uri: Option<String>,
    pub(crate) ctx: Context,
}

impl Call {
    /// A call with these arguments (or the URI read) in this context; the server builds them,
    /// and tests of your own [`FromCall`] types can too.
    pub fn new(args: Map<String, Value>, uri: Option<String>, ctx: Context) -> Self {
        Call { args, uri, ctx }
    }
    /// The JSON arguments.
    pub fn arguments(&self) -> &Map<String, Value> {
        &self.args
    }
    /// The URI read (resources).
    pub fn uri(&self) -> Option<&str> {
        self.uri.as_deref()
    }
    /// The call's context.
    pub fn context(&self) -> &Context {
        &self.ctx
    }
    /// The arguments and the context.
    pub fn into_parts(self) -> (Map<String, Value>, Context) {
        (self.args, self.ctx)
    }
}

/// Everything a [`Context`] knows of its call.
pub(crate) struct RequestCtx {
    /// The server the call runs in.
    pub services: Arc<dyn Services>,
    /// Whoever the handler talks back to.
    pub peer: Arc<dyn Peer>,
    pub request_id: Option<RequestId>,
    pub progress_token: Option<Value>,
    pub meta: Option<Map<String, Value>>,
    pub cancel: CancellationToken,
    pub progress: Mutex<ProgressState>,
    /// Set when the call runs on the docket worker: progress is stored with the run.
    pub run: Option<RunHandle>,
}

/// The docket run a call executes as.
pub(crate) struct RunHandle {
    pub docket: crate::docket::Docket,
    pub key: String,
    pub generation: u64,
}

#[derive(Default, Clone, Debug, PartialEq)]
pub(crate) struct ProgressState {
    pub current: f64,
    pub total: Option<f64>,
    pub message: Option<String>,
}

/// The request a handler is serving, and the way back to the client: logging, progress,
/// sampling, elicitation, roots and server state.
#[derive(Clone)]
pub struct Context {
    pub(crate) inner: Arc<RequestCtx>,
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Context")
            .field("request_id", &self.inner.request_id)
            .field("session_id", &self.session_id())
            .finish()
    }
}

/// Why a server-to-client request failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClientRequestError {
    #[error("the client did not declare the `{0}` capability")]
    /// The client did not declare the capability.
    NotSupported(&'static str),
    #[error("there is no client connection for this call")]
    /// There is no client to ask.
    NoClient,
    #[error("the client answered with an error: {0}")]
    /// The client answered with an error.
    Client(ErrorObject),
    #[error("the client's answer could not be decoded: {0}")]
    /// The answer could not be decoded.
    Decode(String),
    #[error("the connection closed before the client answered")]
    /// The connection closed first.
    Closed,
    #[error("the request was not sent: its params nest deeper than {0} levels")]
    /// The params nest deeper than [`crate::bounded_json::MAX_DEPTH`] levels, which the
    /// transport's writer would overflow its stack on.
    TooDeep(usize),
}

impl Context {
    pub(crate) fn new(inner: RequestCtx) -> Self {
        Context { inner: Arc::new(inner) }
    }

    /// The JSON-RPC id of the request being served.
    pub fn request_id(&self) -> Option<&RequestId> {
        self.inner.request_id.as_ref()
    }

    /// The session this request belongs to (transport-assigned; the stdio and in-memory
    /// transports have one session per connection).
    pub fn session_id(&self) -> Option<&str> {
        self.inner.peer.session_id()
    }

    pub(crate) fn progress_token(&self) -> Option<Value> {
        self.inner.progress_token.clone()
    }

    /// The MCP task this call runs as, if any.
    pub fn task_id(&self) -> Option<&str> {
        self.inner.peer.task_id()
    }

    /// The authenticated principal of the requester (HTTP bearer auth), if any.
    pub fn principal(&self) -> Option<String> {
        self.inner.peer.principal()
    }

    /// The `_meta` object of the request.
    pub fn request_meta(&self) -> Option<&Map<String, Value>> {
        self.inner.meta.as_ref()
    }

    /// What the client said about itself at `initialize`.
    pub fn client_info(&self) -> Option<Implementation> {
        self.inner.peer.client_info()
    }

    /// The negotiated protocol version.
    pub fn protocol_version(&self) -> Option<String> {
        self.inner.peer.protocol_version()
    }

    /// The client's capabilities (`{}` when unknown).
    pub fn client_capabilities(&self) -> Value {
        self.inner.peer.client_capabilities()
    }

    /// Shared state registered with `FastMcp::state` or by the lifespan.
    pub fn state<T: Send + Sync + 'static>(&self) -> Option<Arc<T>> {
        self.inner.services.state(std::any::TypeId::of::<T>()).and_then(|a| a.downcast::<T>().ok())
    }

    /// Resolves when the client cancels this request, or shutdown gives up waiting for it.
    pub async fn cancelled(&self) {
        self.inner.cancel.cancelled().await
    }

    /// Whether the request was cancelled.
    pub fn is_cancelled(&self) -> bool {
        self.inner.cancel.is_cancelled()
    }

    async fn send(&self, message: Message) {
        // Handlers build these params themselves; too deep, they would overflow the writer's
        // stack (and abort the process), so they are not sent.
        if let Message::Notification(n) = &message
            && n.params
                .as_ref()
                .is_some_and(|p| crate::bounded_json::nests_deeper_than(p, crate::bounded_json::MAX_DEPTH))
        {
            tracing::warn!(
                method = %n.method,
                "notification not sent: its params nest deeper than {} levels",
                crate::bounded_json::MAX_DEPTH
            );
            return;
        }
        self.inner.peer.clone().send(message).await
    }

    /// Ends the HTTP connection carrying this request's SSE stream now; the client reconnects
    /// with `Last-Event-ID` and receives what follows, including the result (SSE polling).
    /// A no-op on stdio and in memory.
    pub async fn close_sse_stream(&self) {
        self.inner.peer.clone().close_stream().await
    }

    /// Sends a notification on this request's stream.
    pub async fn send_notification(&self, method: &str, params: Value) {
        self.send(Message::notification(method, Some(params))).await
    }

    /// Sends `notifications/message` when `level` passes the session's `logging/setLevel`.
    pub async fn log(&self, level: LoggingLevel, logger: Option<&str>, data: impl Into<Value>) {
        if !self.inner.peer.logs(level) {
            return;
        }
        // Moved in, not through `json!` (which would copy `data` by serializing it, recursively).
        let mut params = Map::with_capacity(3);
        params.insert("level".into(), serde_json::to_value(level).unwrap_or_default());
        params.insert("data".into(), data.into());
        if let Some(logger) = logger {
            params.insert("logger".into(), Value::from(logger));
        }
        self.send_notification("notifications/message", Value::Object(params)).await
    }

    /// Logs at `debug`.
    pub async fn debug(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Debug, None, message.into()).await
    }
    /// Logs at `info`.
    pub async fn info(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Info, None, message.into()).await
    }
    /// Logs at `notice`.
    pub async fn notice(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Notice, None, message.into()).await
    }
    /// Logs at `warning`.
    pub async fn warning(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Warning, None, message.into()).await
    }
    /// Logs at `error`.
    pub async fn error(&self, message: impl Into<String>) {
        self.log(LoggingLevel::Error, None, message.into()).await
    }

    /// Sends `notifications/progress` when the client asked for progress (a `progressToken`);
    /// the token is echoed with its original JSON type.
    pub async fn report_progress(&self, progress: f64, total: Option<f64>, message: Option<&str>) {
        let stored = {
            let mut state = lock(&self.inner.progress);
            state.current = progress;
            if total.is_some() {
                state.total = total;
            }
            if let Some(m) = message {
                state.message = Some(m.to_owned());
            }
            crate::docket::RunProgress { current: state.current, total: state.total, message: state.message.clone() }
        };
        // On the worker, progress is stored with the run so any process can read it.
        if let Some(run) = &self.inner.run {
            run.docket.report_progress(&run.key, run.generation, stored).await;
        }
        let Some(token) = &self.inner.progress_token else { return };
        let mut params = json!({ "progressToken": token, "progress": progress });
        if let Some(total) = total {
            params["total"] = Value::from(total);
        }
        if let Some(message) = message {
            params["message"] = Value::from(message);
        }
        self.send_notification("notifications/progress", params).await
    }

    /// Sends a request to the client on this request's stream and waits for the answer.
    pub async fn request<R: DeserializeOwned>(&self, method: &str, params: Value) -> Result<R, ClientRequestError> {
        self.request_as(None, method, params).await
    }

    /// Like [`Context::request`], naming the input: on 2026-07-28 requests (SEP-2322) the
    /// request becomes `inputRequests[key]` of an `input_required` result, and the handler runs
    /// again when the client retries with the answer. Unnamed requests get keys by call order.
    pub async fn request_as<R: DeserializeOwned>(
        &self,
        key: Option<&str>,
        method: &str,
        params: Value,
    ) -> Result<R, ClientRequestError> {
        if crate::bounded_json::nests_deeper_than(&params, crate::bounded_json::MAX_DEPTH) {
            return Err(ClientRequestError::TooDeep(crate::bounded_json::MAX_DEPTH));
        }
        let peer = self.inner.peer.clone();
        let value = peer.request(key.map(str::to_owned), method.to_owned(), params, self.inner.cancel.clone()).await?;
        serde_json::from_value(value).map_err(|e| ClientRequestError::Decode(e.to_string()))
    }

    fn require_capability(&self, name: &'static str) -> Result<(), ClientRequestError> {
        if !self.inner.peer.has_client() {
            return Err(ClientRequestError::NoClient);
        }
        if self.client_capabilities().get(name).is_some() {
            Ok(())
        } else {
            self.inner.peer.missing_capability(name);
            Err(ClientRequestError::NotSupported(name))
        }
    }

    /// Whether the client declared a capability (`"sampling"`, `"elicitation"`, `"roots"`).
    pub fn client_supports(&self, name: &str) -> bool {
        self.client_capabilities().get(name).is_some()
    }

    /// `sampling/createMessage` with full parameters.
    pub async fn create_message(&self, params: CreateMessageParams) -> Result<CreateMessageResult, ClientRequestError> {
        self.create_message_as(None, params).await
    }

    /// [`Context::create_message`] with a named input key (see [`Context::request_as`]).
    pub async fn create_message_as(
        &self,
        key: Option<&str>,
        params: CreateMessageParams,
    ) -> Result<CreateMessageResult, ClientRequestError> {
        self.require_capability("sampling")?;
        let params = serde_json::to_value(params).map_err(|e| ClientRequestError::Decode(e.to_string()))?;
        self.request_as(key, "sampling/createMessage", params).await
    }

    /// Asks the client's model to answer `prompt`; returns the text of the answer.
    pub async fn sample(&self, prompt: impl Into<String>, max_tokens: u32) -> Result<String, ClientRequestError> {
        self.sample_as(None, prompt, max_tokens).await
    }

    /// [`Context::sample`] with a named input key (see [`Context::request_as`]).
    pub async fn sample_as(
        &self,
        key: Option<&str>,
        prompt: impl Into<String>,
        max_tokens: u32,
    ) -> Result<String, ClientRequestError> {
        let result = self
            .create_message_as(
                key,
                CreateMessageParams {
                    messages: vec![SamplingMessage { role: Role::User, content: crate::Content::text(prompt) }],
                    max_tokens,
                    ..Default::default()
                },
            )
            .await?;
        Ok(result.content.as_text().unwrap_or_default().to_owned())
    }

    /// `elicitation/create` in form mode with a raw `requestedSchema`.
    pub async fn elicit(
        &self,
        message: impl Into<String>,
        requested_schema: Value,
    ) -> Result<ElicitResult, ClientRequestError> {
        self.elicit_as(None, message, requested_schema).await
    }

    /// [`Context::elicit`] with a named input key (see [`Context::request_as`]).
    pub async fn elicit_as(
        &self,
        key: Option<&str>,
        message: impl Into<String>,
        requested_schema: Value,
    ) -> Result<ElicitResult, ClientRequestError> {
        self.require_capability("elicitation")?;
        let params = json!({ "message": message.into(), "requestedSchema": requested_schema });
        self.request_as(key, "elicitation/create", params).await
    }

    /// `roots/list`.
    pub async fn list_roots(&self) -> Result<Vec<Root>, ClientRequestError> {
        self.list_roots_as(None).await
    }

    /// [`Context::list_roots`] with a named input key (see [`Context::request_as`]).
    pub async fn list_roots_as(&self, key: Option<&str>) -> Result<Vec<Root>, ClientRequestError> {
        self.require_capability("roots")?;
        #[derive(serde::Deserialize)]
        struct Roots {
            roots: Vec<Root>,
        }
        let roots: Roots = self.request_as(key, "roots/list", json!({})).await?;
        Ok(roots.roots)
    }
}

impl FromCall for Context {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        Ok(call.ctx.clone())
    }
}

/// Progress of the running component. Inline calls send `notifications/progress` to the
/// client (when it asked for progress); values are also kept so they can be read back.
#[derive(Clone, Debug)]
pub struct Progress {
    ctx: Context,
}

impl Progress {
    /// Reports an absolute position.
    pub async fn report(&self, current: f64, total: Option<f64>, message: Option<&str>) {
        self.ctx.report_progress(current, total, message).await
    }

    /// Sets the total, keeping the position.
    pub async fn set_total(&self, total: f64) {
        let current = self.current().current;
        self.report(current, Some(total), None).await
    }

    /// Moves the position by `by`.
    pub async fn increment(&self, by: f64) {
        let state = self.current();
        self.report(state.current + by, state.total, None).await
    }

    /// Sets the message, keeping the position.
    pub async fn set_message(&self, message: &str) {
        let state = self.current();
        self.report(state.current, state.total, Some(message)).await
    }

    fn current(&self) -> ProgressState {
        lock(&self.ctx.inner.progress).clone()
    }

    /// (current, total, message) as last reported.
    pub fn snapshot(&self) -> (f64, Option<f64>, Option<String>) {
        let s = self.current();
        (s.current, s.total, s.message)
    }
}

impl FromCall for Progress {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        Ok(Progress { ctx: call.ctx.clone() })
    }
}

/// Shared state of type `T`, from `FastMcp::state` or the lifespan.
pub struct State<T>(pub Arc<T>);

impl<T> Clone for State<T> {
    fn clone(&self) -> Self {
        State(self.0.clone())
    }
}

impl<T> Deref for State<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Send + Sync + 'static> FromCall for State<T> {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        call.ctx.state::<T>().map(State).ok_or(ExtractError::MissingState(std::any::type_name::<T>()))
    }
    fn required_state() -> Option<(std::any::TypeId, &'static str)> {
        Some((std::any::TypeId::of::<T>(), std::any::type_name::<T>()))
    }
}

/// The docket (task queue) of the running server.
#[derive(Clone)]
pub struct CurrentDocket(pub crate::docket::Docket);

impl Deref for CurrentDocket {
    type Target = crate::docket::Docket;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromCall for CurrentDocket {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        call.ctx.inner.services.docket().map(CurrentDocket).ok_or(ExtractError::NoDocket)
    }
}

/// The task worker of the running server.
#[derive(Clone)]
pub struct CurrentWorker(pub crate::docket::Worker);

impl Deref for CurrentWorker {
    type Target = crate::docket::Worker;
    fn deref(&self) -> &Self::Target {
        &self.0
    }
}

impl FromCall for CurrentWorker {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        call.ctx.inner.services.worker().map(CurrentWorker).ok_or(ExtractError::NoWorker)
    }
}

/// Decodes the arguments object into `T`; the error names the argument at fault
/// ("argument `point.y`: missing field `y`").
pub(crate) fn decode_arguments<T: DeserializeOwned>(args: &Map<String, Value>) -> Result<T, String> {
    crate::protocol::decode_naming_path(args)
        .map_err(|(path, why)| if path == "." { why } else { format!("argument `{path}`: {why}") })
}

/// The whole arguments object decoded into one struct, whose schema is the tool's
/// `inputSchema` (next to any other arguments): `#[tool] fn search(Args(q): Args<Query>)`.
#[derive(Clone, Debug, PartialEq)]
pub struct Args<T>(pub T);

impl<T> Deref for Args<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + schemars::JsonSchema> FromCall for Args<T> {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        decode_arguments(call.arguments()).map(Args).map_err(ExtractError::InvalidArguments)
    }
    fn argument_schema(generator: &mut schemars::SchemaGenerator) -> Option<schemars::Schema> {
        Some(T::json_schema(generator))
    }
}

/// The other arguments the client has already filled in (`context.arguments` of
/// `completion/complete`), by name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GivenArguments(pub std::collections::BTreeMap<String, String>);

impl GivenArguments {
    /// The value given for `name`.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

impl FromCall for GivenArguments {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        Ok(GivenArguments(
            call.arguments().iter().filter_map(|(k, v)| v.as_str().map(|s| (k.clone(), s.to_owned()))).collect(),
        ))
    }
}
