//! Contexts outside a running server, for unit tests of component functions.
//!
//! A `#[tool]` stays a plain function; to call it in a test, give it what its extractors would
//! get. [`Context::detached`] is a context that talks to nobody: logging and progress go
//! nowhere, client requests (sampling, elicitation, roots) fail with
//! [`ClientRequestError::NoClient`], and [`CurrentDocket`](super::CurrentDocket) /
//! [`CurrentWorker`](super::CurrentWorker) return their documented errors. [`TestContext`]
//! also captures what the function logged and reported, holds state for `State<T>`, and can
//! cancel.
//!
//! ```
//! use fastmcp::prelude::*;
//! use fastmcp::protocol::LoggingLevel;
//! use fastmcp::testing::TestContext;
//!
//! struct Greeting(String);
//!
//! /// Greets, reporting progress.
//! #[tool]
//! async fn greet(ctx: Context, progress: Progress, greeting: State<Greeting>, name: String) -> String {
//!     ctx.info(format!("greeting {name}")).await;
//!     progress.report(1.0, Some(1.0), None).await;
//!     let Greeting(word) = &*greeting;
//!     format!("{word} {name}")
//! }
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let t = TestContext::new().with_state(Greeting("hello".into()));
//! let out = greet(t.context(), t.extract().unwrap(), t.extract().unwrap(), "ada".into()).await;
//! assert_eq!(out, "hello ada");
//! assert_eq!(t.logs(), vec![(LoggingLevel::Info, "greeting ada".to_owned())]);
//! assert_eq!(t.progress_reports(), vec![(1.0, Some(1.0), None)]);
//! # }
//! ```

use super::peer::{NoPeer, Peer, Services};
use super::{Call, ClientRequestError, Context, ExtractError, FromCall, ProgressState, RequestCtx};
use crate::docket::{Docket, Worker};
use crate::protocol::{LoggingLevel, Message};
use crate::sync::{BoxFuture, lock};
use serde_json::{Map, Value};
use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// A test context keeps at most this many notifications; later ones are dropped.
const MAX_CAPTURED: usize = 10_000;

/// State for `State<T>`, and no docket or worker: this is not a running server.
#[derive(Default)]
struct DetachedServices {
    states: HashMap<TypeId, Arc<dyn Any + Send + Sync>>,
}

impl Services for DetachedServices {
    fn state(&self, type_id: TypeId) -> Option<Arc<dyn Any + Send + Sync>> {
        self.states.get(&type_id).cloned()
    }
    fn docket(&self) -> Option<Docket> {
        None
    }
    fn worker(&self) -> Option<Worker> {
        None
    }
    fn as_any(self: Arc<Self>) -> Arc<dyn Any + Send + Sync> {
        self
    }
}

/// Keeps the notifications a handler sends (bounded), and has no client to ask.
#[derive(Default)]
struct CapturePeer {
    sent: Mutex<Vec<Value>>,
}

impl Peer for CapturePeer {
    fn has_client(&self) -> bool {
        false
    }
    fn send(self: Arc<Self>, message: Message) -> BoxFuture<()> {
        if let Message::Notification(n) = message {
            let mut sent = lock(&self.sent);
            if sent.len() < MAX_CAPTURED {
                sent.push(serde_json::json!({ "method": n.method, "params": n.params }));
            }
        }
        Box::pin(async {})
    }
    fn request(
        self: Arc<Self>,
        key: Option<String>,
        method: String,
        params: Value,
        cancel: CancellationToken,
    ) -> BoxFuture<Result<Value, ClientRequestError>> {
        // No client to ask, as for any detached context.
        Arc::new(NoPeer).request(key, method, params, cancel)
    }
}

fn context(services: Arc<dyn Services>, peer: Arc<dyn Peer>, cancel: CancellationToken) -> Context {
    Context::new(RequestCtx {
        services,
        peer,
        request_id: None,
        // A token, so progress reports are sent (and captured).
        progress_token: Some(Value::from("test")),
        meta: None,
        cancel,
        progress: Mutex::new(ProgressState::default()),
        run: None,
    })
}

impl Context {
    /// A context outside any server: logging and progress go nowhere, client requests fail
    /// with [`ClientRequestError::NoClient`], `State<T>` finds nothing, and `CurrentDocket` /
    /// `CurrentWorker` fail with "No Docket instance found..." / "No Worker instance found...".
    /// For a context that captures what it was sent, see [`TestContext`].
    pub fn detached() -> Context {
        context(Arc::new(DetachedServices::default()), Arc::new(NoPeer), CancellationToken::new())
    }
}

/// A detached context that records what a handler sent and holds state for `State<T>`.
#[derive(Clone)]
pub struct TestContext {
    services: Arc<DetachedServices>,
    peer: Arc<CapturePeer>,
    cancel: CancellationToken,
    ctx: Context,
}

impl Default for TestContext {
    fn default() -> Self {
        Self::new()
    }
}

impl TestContext {
    /// An empty test context.
    pub fn new() -> Self {
        Self::build(DetachedServices::default())
    }

    fn build(services: DetachedServices) -> Self {
        let services = Arc::new(services);
        let peer = Arc::new(CapturePeer::default());
        let cancel = CancellationToken::new();
        let ctx = context(services.clone(), peer.clone(), cancel.clone());
        TestContext { services, peer, cancel, ctx }
    }

    /// Adds state that `State<T>` (and [`Context::state`]) will find. Contexts taken earlier
    /// do not see it.
    pub fn with_state<T: Send + Sync + 'static>(self, value: T) -> Self {
        let mut states = self.services.states.clone();
        states.insert(TypeId::of::<T>(), Arc::new(value));
        Self::build(DetachedServices { states })
    }

    /// The context to pass to the function under test.
    pub fn context(&self) -> Context {
        self.ctx.clone()
    }

    /// Produces any extractor (`Progress`, `State<T>`, your own `FromCall` type) for a call
    /// with no arguments.
    pub fn extract<T: FromCall>(&self) -> Result<T, ExtractError> {
        T::from_call(&self.call(Map::new()))
    }

    /// A call with these arguments (for extractors that read them).
    pub fn call(&self, arguments: Map<String, Value>) -> Call {
        Call::new(arguments, None, self.context())
    }

    /// Cancels the call, as a client's `notifications/cancelled` would.
    pub fn cancel(&self) {
        self.cancel.cancel();
    }

    /// Every notification sent, as `{"method", "params"}` objects.
    pub fn notifications(&self) -> Vec<Value> {
        lock(&self.peer.sent).clone()
    }

    /// The log messages sent: level and text (`data` as a string, or its JSON).
    pub fn logs(&self) -> Vec<(LoggingLevel, String)> {
        self.notifications()
            .into_iter()
            .filter(|n| n["method"] == "notifications/message")
            .filter_map(|n| {
                let level = serde_json::from_value(n["params"]["level"].clone()).ok()?;
                let data = &n["params"]["data"];
                Some((level, data.as_str().map(str::to_owned).unwrap_or_else(|| data.to_string())))
            })
            .collect()
    }

    /// The progress reports sent: progress, total, message.
    pub fn progress_reports(&self) -> Vec<(f64, Option<f64>, Option<String>)> {
        self.notifications()
            .into_iter()
            .filter(|n| n["method"] == "notifications/progress")
            .filter_map(|n| {
                let p = &n["params"];
                Some((p["progress"].as_f64()?, p["total"].as_f64(), p["message"].as_str().map(str::to_owned)))
            })
            .collect()
    }
}
