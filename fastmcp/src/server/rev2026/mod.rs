//! Revision 2026-07-28 on the same server: stateless requests that carry the protocol version
//! and client capabilities in `_meta`, `server/discover`, `resultType` and cache hints on
//! results, multi round-trip input (SEP-2322) in place of server-to-client requests, and
//! `subscriptions/listen`.
//!
//! A request is of this revision when its `_meta` names a protocol version; anything else (an
//! `initialize`, or a request without the claim) is served as 2025-11-25, and never sees a
//! 2026-only field. Requests of both revisions go through the one dispatcher
//! (`server/dispatch.rs`); this module holds what is particular to 2026-07-28: the envelope,
//! sealed `requestState`, the request-scoped peer, result shaping and `subscriptions/listen`.

pub(crate) mod tasks;

use crate::extract::{ClientRequestError, Peer};
use crate::outbound::Outbound;
use crate::protocol::{ErrorObject, LoggingLevel, Message, RequestId, quoted};
use crate::server::Session;
use crate::server::request::{InputRound, ListenFilter};
use crate::sync::BoxFuture;
use crate::sync::lock;
use serde_json::{Map, Value, json};
use std::future::Future;
use std::sync::{Arc, Mutex};
use std::task::Poll;
use tokio_util::sync::CancellationToken;

/// Revision 2026-07-28, the per-request revision this server speaks.
pub const REV2026_VERSION: &str = "2026-07-28";
/// Versions listed in `server/discover` and `-32022` errors: the per-request ones. 2025-11-25
/// and older are still served, to clients that open with `initialize`.
pub const ADVERTISED_VERSIONS: &[&str] = &[REV2026_VERSION];

/// `_meta` key: the protocol version of a request.
pub const META_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
/// `_meta` key: the client capabilities of a request.
pub const META_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
/// `_meta` key: the client implementation.
pub const META_CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
/// `_meta` key: the log level a request wants.
pub const META_LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
/// `_meta` key: the server implementation, on results.
pub const META_SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
/// `_meta` key: the listen subscription a notification belongs to.
pub const META_SUBSCRIPTION: &str = "io.modelcontextprotocol/subscriptionId";
/// The tasks extension (SEP-2663).
/// Most task ids one `subscriptions/listen` may follow.
pub const MAX_LISTEN_TASK_IDS: usize = 256;
/// Most resource URIs one `subscriptions/listen` may follow.
pub const MAX_LISTEN_RESOURCES: usize = 256;
/// Most URIs one 2025-11-25 session may subscribe to with `resources/subscribe`.
pub const MAX_SUBSCRIPTIONS_PER_SESSION: usize = 1024;
/// The tasks extension (SEP-2663).
pub const TASKS_EXTENSION: &str = "io.modelcontextprotocol/tasks";

/// An HTTP header disagrees with the body.
pub const HEADER_MISMATCH: i64 = -32020;
/// The request needs a client capability it did not declare.
pub const MISSING_CAPABILITY: i64 = -32021;
/// The protocol version is not supported.
pub const UNSUPPORTED_VERSION: i64 = -32022;

/// The protocol version a request claims in `_meta`, if any (the era signal).
pub fn claimed_version(params: Option<&Value>) -> Option<&Value> {
    params?.get("_meta")?.get(META_VERSION)
}

/// What a 2026-07-28 request says about its client.
#[derive(Debug, Clone)]
pub struct Envelope {
    /// The protocol version the request names.
    pub version: String,
    /// The client capabilities the request declares.
    pub capabilities: Value,
    /// The lowest log level the request wants (none: no logs).
    pub log_level: Option<LoggingLevel>,
}

impl Envelope {
    /// Whether the client declared the tasks extension.
    pub fn declares_tasks(&self) -> bool {
        self.capabilities.get("extensions").and_then(|e| e.get(TASKS_EXTENSION)).is_some()
    }
}

/// -32022 for a version this server does not speak.
pub fn check_version(envelope: &Envelope) -> Result<(), ErrorObject> {
    if envelope.version == REV2026_VERSION {
        return Ok(());
    }
    Err(ErrorObject::new(UNSUPPORTED_VERSION, "Unsupported protocol version")
        .with_data(json!({ "supported": ADVERTISED_VERSIONS, "requested": envelope.version })))
}

/// Validates the per-request `_meta`: -32602 when a required key is missing or malformed.
pub fn envelope(params: Option<&Value>) -> Result<Envelope, ErrorObject> {
    let meta = params.and_then(|p| p.get("_meta")).and_then(Value::as_object);
    let version = meta.and_then(|m| m.get(META_VERSION));
    let capabilities = meta.and_then(|m| m.get(META_CAPABILITIES));
    let mut missing = Vec::new();
    if !version.is_some_and(Value::is_string) {
        missing.push(META_VERSION);
    }
    if !capabilities.is_some_and(Value::is_object) {
        missing.push(META_CAPABILITIES);
    }
    if !missing.is_empty() {
        return Err(ErrorObject::invalid_params(format!(
            "Invalid params: request _meta is missing or malformed: {}",
            missing.join(", ")
        )));
    }
    let version = version.and_then(Value::as_str).unwrap_or_default().to_owned();
    let log_level = match meta.and_then(|m| m.get(META_LOG_LEVEL)) {
        None => None,
        Some(l) => Some(serde_json::from_value(l.clone()).map_err(|_| {
            ErrorObject::invalid_params(format!("Invalid params: unknown log level {}", quoted(&l.to_string())))
        })?),
    };
    Ok(Envelope { version, capabilities: capabilities.cloned().unwrap_or_else(|| json!({})), log_level })
}

// ------------------------------------------------------------------------------ request state

/// Seals and opens `requestState`: it is client-controlled, so it is authenticated (HMAC-SHA256
/// with the server's key), bound to the method and target, and expires.
pub struct StateKey(ring::hmac::Key);

/// The environment variable holding the key (shared by instances behind one endpoint);
/// without it each process draws a random key.
pub const STATE_SECRET_ENV: &str = "FASTMCP_REQUEST_STATE_SECRET";

impl StateKey {
    /// `FASTMCP_REQUEST_STATE_SECRET`, or a random key per process.
    pub fn from_env() -> StateKey {
        let secret = match std::env::var(STATE_SECRET_ENV) {
            Ok(s) if !s.is_empty() => s.into_bytes(),
            _ => {
                let mut bytes = [0u8; 32];
                ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes)
                    .expect("the system random source works");
                bytes.to_vec()
            }
        };
        StateKey(ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &secret))
    }

    fn seal(&self, payload: &Value) -> String {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let body = b64.encode(payload.to_string());
        let tag = ring::hmac::sign(&self.0, body.as_bytes());
        format!("{body}.{}", b64.encode(tag.as_ref()))
    }

    fn open(&self, state: &str) -> Option<Value> {
        use base64::Engine;
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let (body, tag) = state.split_once('.')?;
        ring::hmac::verify(&self.0, body.as_bytes(), &b64.decode(tag).ok()?).ok()?;
        serde_json::from_slice(&b64.decode(body).ok()?).ok()
    }
}

/// What a `requestState` is bound to besides method and requester: the target (tool or prompt
/// name, resource URI) and a digest of the arguments, so a state cannot be replayed with other
/// arguments. Keys are sorted first, so the client's key order does not matter.
pub(crate) fn state_binding(target: &str, arguments: &Map<String, Value>) -> String {
    fn canonical_map(m: &Map<String, Value>, out: &mut String) {
        let mut keys: Vec<&String> = m.keys().collect();
        keys.sort();
        out.push('{');
        for k in keys {
            out.push_str(&Value::from(k.as_str()).to_string());
            out.push(':');
            canonical(&m[k], out);
            out.push(',');
        }
        out.push('}');
    }
    fn canonical(v: &Value, out: &mut String) {
        match v {
            Value::Object(m) => canonical_map(m, out),
            Value::Array(a) => {
                out.push('[');
                for v in a {
                    canonical(v, out);
                    out.push(',');
                }
                out.push(']');
            }
            other => out.push_str(&other.to_string()),
        }
    }
    let mut text = String::new();
    canonical_map(arguments, &mut text);
    use base64::Engine;
    let digest = ring::digest::digest(&ring::digest::SHA256, text.as_bytes());
    format!("{target}#{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest.as_ref()))
}

/// How long a `requestState` stays valid.
const STATE_TTL_MS: u64 = 15 * 60 * 1000;

fn bad_state(why: &str) -> ErrorObject {
    ErrorObject::invalid_params(format!("Invalid params: requestState rejected: {why}"))
}

/// The answers a retry brings: those sealed in `requestState` plus `inputResponses`.
pub(crate) fn answers_of(
    session: &Session,
    input: &InputRound,
    method: &str,
    target: &str,
) -> Result<Map<String, Value>, ErrorObject> {
    let mut answers = Map::new();
    if let Some(state) = &input.request_state {
        let state = state.as_str().ok_or_else(|| bad_state("not a string"))?;
        let payload = session.server().state_key().open(state).ok_or_else(|| bad_state("integrity check failed"))?;
        if payload["m"] != method || payload["t"] != target {
            return Err(bad_state("issued for another request"));
        }
        if payload["o"] != session.owner().as_str() {
            return Err(bad_state("issued to another requester"));
        }
        if payload["x"].as_u64().is_none_or(|x| x < crate::docket::now_ms()) {
            return Err(bad_state("expired"));
        }
        if let Some(Value::Object(a)) = payload.get("a") {
            answers.extend(a.clone());
        }
    }
    match &input.input_responses {
        None | Some(Value::Null) => {}
        Some(Value::Object(responses)) => {
            for (key, response) in responses {
                if !response.is_object() {
                    return Err(ErrorObject::invalid_params(format!(
                        "Invalid params: inputResponses.{} must be an object",
                        quoted(key)
                    )));
                }
                answers.insert(key.clone(), response.clone());
            }
        }
        Some(_) => return Err(ErrorObject::invalid_params("Invalid params: inputResponses must be an object")),
    }
    Ok(answers)
}

// ---------------------------------------------------------------------------------- execution

/// What running a handler with MRTR produced.
pub(crate) enum Ran<T> {
    Done(Result<T, ErrorObject>),
    /// Parked on input the client has not given yet.
    NeedsInput(Map<String, Value>),
}

/// Polls a handler until it finishes or parks on unanswered input (every request it makes in
/// one poll is collected, so parallel requests come back together).
pub(crate) async fn run_until_input<T>(
    input: &Rev2026Input,
    fut: impl Future<Output = Result<T, ErrorObject>>,
) -> Ran<T> {
    let mut fut = std::pin::pin!(fut);
    std::future::poll_fn(|cx| match fut.as_mut().poll(cx) {
        Poll::Ready(r) => Poll::Ready(Ran::Done(r)),
        Poll::Pending => {
            let pending = lock(&input.pending);
            if pending.is_empty() { Poll::Pending } else { Poll::Ready(Ran::NeedsInput(pending.clone())) }
        }
    })
    .await
}

/// -32021 naming the capabilities the request needed.
pub(crate) fn missing_capability(required: Value) -> ErrorObject {
    ErrorObject::new(MISSING_CAPABILITY, "Missing required client capability")
        .with_data(json!({ "requiredCapabilities": required }))
}

/// Adds `resultType` (unless set) and the server's identity to a result.
pub fn shape_result(mut result: Value, server_info: &Value) -> Value {
    if let Value::Object(map) = &mut result {
        map.entry("resultType").or_insert_with(|| json!("complete"));
        let meta = map.entry("_meta").or_insert_with(|| json!({}));
        if let Value::Object(meta) = meta {
            meta.insert(META_SERVER_INFO.to_owned(), server_info.clone());
        }
    }
    result
}

/// Adds the cache hints of a cacheable result (`ttlMs`, `cacheScope`).
pub(crate) fn with_cache_hints(mut result: Value) -> Value {
    if let Value::Object(map) = &mut result {
        map.insert("ttlMs".into(), json!(0));
        map.insert("cacheScope".into(), json!("private"));
    }
    result
}

/// The capabilities a 2026-07-28 client sees (no 2025-11-25 `tasks` slot; extensions instead).
pub fn capabilities(server: &crate::Server) -> Value {
    let mut caps = server.capabilities();
    if let Value::Object(map) = &mut caps {
        let tasks = map.remove("tasks").is_some();
        if let Some(Value::Object(resources)) = map.get_mut("resources") {
            // Subscriptions go through subscriptions/listen now.
            resources.insert("subscribe".into(), json!(true));
        }
        if tasks {
            map.insert("extensions".into(), json!({ TASKS_EXTENSION: {} }));
        }
    }
    caps
}

/// A 2026-07-28 (stateless) request's view of the client: what it declared on this request,
/// and the input it has answered so far (multi round-trip requests, SEP-2322).
#[derive(Default)]
pub(crate) struct Rev2026Input {
    pub capabilities: Value,
    pub log_level: Option<LoggingLevel>,
    /// Answers by input key: this retry's `inputResponses` plus those carried in `requestState`.
    pub answers: Map<String, Value>,
    /// Input the handler asked for that is not answered yet (key -> `{method, params}`).
    pub pending: Mutex<Map<String, Value>>,
    /// Keys handed out to unnamed requests, in call order (stable across retries).
    pub next_key: std::sync::atomic::AtomicUsize,
    /// A capability the handler needed that the client did not declare (-32021).
    pub missing: Mutex<Option<Value>>,
    /// Set when the call became a task (tasks extension): later input goes through it.
    pub escalated: std::sync::OnceLock<crate::tasks::TaskLink>,
}

impl Rev2026Input {
    /// The answer to `key`, or records the request as pending.
    fn answer_or_park(&self, key: &str, method: &str, params: Value) -> Option<Value> {
        if let Some(answer) = self.answers.get(key) {
            return Some(answer.clone());
        }
        lock(&self.pending).insert(key.to_owned(), json!({ "method": method, "params": params }));
        None
    }
}

/// The client of a 2026-07-28 request: its request-scoped stream, capabilities and log level;
/// input requests park the handler (`input_required`) or, once the call is a task, go through it.
pub(crate) struct Rev2026Peer {
    /// The request's session and stream: identity, notifications and stream control are theirs.
    base: Arc<super::peer::SessionPeer>,
    input: Arc<Rev2026Input>,
}

impl Peer for Rev2026Peer {
    fn session_id(&self) -> Option<&str> {
        self.base.session_id()
    }
    fn principal(&self) -> Option<String> {
        self.base.principal()
    }
    fn client_info(&self) -> Option<crate::protocol::Implementation> {
        self.base.client_info()
    }
    fn protocol_version(&self) -> Option<String> {
        self.base.protocol_version()
    }
    fn client_capabilities(&self) -> Value {
        self.input.capabilities.clone()
    }
    fn logs(&self, level: LoggingLevel) -> bool {
        // Logging is opt-in per request (`_meta` logLevel).
        self.input.log_level.is_some_and(|min| level >= min)
    }
    fn send(self: Arc<Self>, message: Message) -> BoxFuture<()> {
        self.base.clone().send(message)
    }
    fn close_stream(self: Arc<Self>) -> BoxFuture<()> {
        self.base.clone().close_stream()
    }
    fn request(
        self: Arc<Self>,
        key: Option<String>,
        method: String,
        params: Value,
        cancel: CancellationToken,
    ) -> BoxFuture<Result<Value, ClientRequestError>> {
        Box::pin(async move {
            let key = key.unwrap_or_else(|| {
                let n = self.input.next_key.fetch_add(1, std::sync::atomic::Ordering::Relaxed) + 1;
                format!("{}-{n}", method.rsplit('/').next().unwrap_or(&method))
            });
            // After the call became a task, input goes through the task (tasks/get, tasks/update).
            if let Some(task) = self.input.escalated.get() {
                return task.request(Some(key), &method, params, &cancel).await;
            }
            match self.input.answer_or_park(&key, &method, params) {
                Some(answer) => Ok(answer),
                // The dispatcher answers `input_required` once the handler is parked here.
                None => std::future::pending().await,
            }
        })
    }
    fn missing_capability(&self, name: &'static str) {
        // The request fails with -32021 naming what was missing.
        lock(&self.input.missing)
            .get_or_insert_with(|| json!({}))
            .as_object_mut()
            .map(|m| m.insert(name.into(), json!({})));
    }
}

impl Rev2026Peer {
    /// The peer of a 2026-07-28 request on `session`: its stream is `out`, its capabilities
    /// and log level are the envelope's, and `answers` are the input it has given so far.
    pub(crate) fn new(
        session: &Arc<Session>,
        out: Outbound,
        envelope: &Envelope,
        answers: Map<String, Value>,
    ) -> (Arc<Self>, Arc<Rev2026Input>) {
        let input = Arc::new(Rev2026Input {
            capabilities: envelope.capabilities.clone(),
            log_level: envelope.log_level,
            answers,
            ..Default::default()
        });
        let base = Arc::new(super::peer::SessionPeer { session: session.clone(), out });
        (Arc::new(Rev2026Peer { base, input: input.clone() }), input)
    }
}

impl Session {
    /// An `input_required` result; `requestState` carries the answers so far, sealed.
    pub(crate) fn input_required(
        &self,
        method: &str,
        target: &str,
        requests: Map<String, Value>,
        answers: Map<String, Value>,
    ) -> Value {
        let state = self.server().state_key().seal(&json!({
            "m": method,
            "t": target,
            "o": self.owner(),
            "a": answers,
            "x": crate::docket::now_ms() + STATE_TTL_MS,
            "n": uuid::Uuid::new_v4().simple().to_string(),
        }));
        json!({ "resultType": "input_required", "inputRequests": requests, "requestState": state })
    }

    /// `subscriptions/listen`: acknowledges the filter, then streams the notifications it
    /// selects until the client goes away (or the server shuts down, which answers it).
    pub(crate) async fn listen(
        self: Arc<Self>,
        id: RequestId,
        f: ListenFilter,
        out: Outbound,
        cancel: CancellationToken,
    ) -> Result<Value, ErrorObject> {
        let server = crate::Server::from_inner(self.server().clone());
        let caps = server.capabilities();
        let mut accepted = Map::new();
        let mut listener = crate::server::Listener {
            id: id.clone(),
            out: out.clone(),
            tools: false,
            prompts: false,
            resources: false,
            uris: Default::default(),
            tasks: Vec::new(),
        };
        if f.tools_list_changed && caps.get("tools").is_some() {
            accepted.insert("toolsListChanged".into(), json!(true));
            listener.tools = true;
        }
        if f.prompts_list_changed && caps.get("prompts").is_some() {
            accepted.insert("promptsListChanged".into(), json!(true));
            listener.prompts = true;
        }
        if f.resources_list_changed && caps.get("resources").is_some() {
            accepted.insert("resourcesListChanged".into(), json!(true));
            listener.resources = true;
        }
        // Bounded, and only what exists: each entry costs memory and, for tasks, a follower.
        if f.task_ids.len() > MAX_LISTEN_TASK_IDS || f.resource_subscriptions.len() > MAX_LISTEN_RESOURCES {
            return Err(ErrorObject::invalid_params(format!(
                "subscriptions/listen accepts at most {MAX_LISTEN_TASK_IDS} taskIds and {MAX_LISTEN_RESOURCES} resourceSubscriptions"
            )));
        }
        if let Some(unknown) = f
            .resource_subscriptions
            .iter()
            .find(|uri| crate::sync::read(&self.server().components).find_resource(uri).is_none())
        {
            // 2026-07-28 names a missing resource with -32602.
            return Err(ErrorObject::invalid_params(format!("Resource not found: {}", quoted(unknown)))
                .with_data(json!({ "uri": unknown })));
        }
        if !f.resource_subscriptions.is_empty() && caps.get("resources").is_some() {
            accepted.insert("resourceSubscriptions".into(), json!(f.resource_subscriptions));
            listener.uris = f.resource_subscriptions.into_iter().collect();
        }
        if !f.task_ids.is_empty() && self.server().task_settings().enabled {
            accepted.insert("taskIds".into(), json!(f.task_ids));
            listener.tasks = f.task_ids.clone();
        }
        let meta = json!({ META_SUBSCRIPTION: id });
        out.send(Message::notification(
            "notifications/subscriptions/acknowledged",
            Some(json!({ "notifications": accepted, "_meta": meta })),
        ))
        .await;
        let task_ids = listener.tasks.clone();
        let registration = self.server().add_listener(listener);
        let followers: Vec<_> =
            task_ids.iter().map(|t| crate::server::rev2026::tasks::follow_for_listener(&self, t, &out, &id)).collect();
        let shutdown = self.server().shutdown.clone();
        tokio::select! {
            _ = cancel.cancelled() => {},
            _ = shutdown.cancelled() => {},
        }
        for f in followers {
            f.cancel();
        }
        drop(registration);
        Ok(json!({ "resultType": "complete", "_meta": meta }))
    }
}
