//! MCP tasks (SEP-1686, revision 2025-11-25) on the docket.
//!
//! A task is a docket run keyed by the task id, plus a small record in the same backend: owner,
//! TTL, poll interval, the client's capabilities, and the input request a running task is
//! waiting on. Everything lives in the backend, so with Redis any server instance answers
//! `tasks/get`, `tasks/result`, `tasks/list` and `tasks/cancel` for a task created on another,
//! and any worker can run it.
//!
//! Status comes from the run (`working` while scheduled, queued or running; then `completed`,
//! `failed` or `cancelled`), overridden by the record: `input_required` while an input request
//! is pending, `cancelled` once the requester cancelled (final, whatever the run does after).
//!
//! Input (elicitation, sampling) from a task handler is relayed through the record: the
//! handler writes the request, the status turns `input_required`, and the first of the
//! requesting session's follower or a `tasks/result` call waiting on the task to claim it sends
//! it to the client; the answer is written back and the handler resumes.

use crate::docket::{Docket, RunInfo, RunState, TaskFields, now_ms};
use crate::extract::ClientRequestError;
use crate::outbound::Outbound;
use crate::protocol::{ErrorObject, Message};
use serde::Deserialize;
use serde_json::{Map, Value, json};
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// `tasks/result` waited as long as a request may run and the task is still going (it is left
/// alone; call again). Distinct from the task's own failure, which is the task's error.
pub const TASK_RESULT_TIMEOUT: i64 = -32003;
/// The task store (Redis) stayed unavailable while `tasks/result` waited; the task is untouched.
pub const TASK_STORE_UNAVAILABLE: i64 = -32004;
/// How long `tasks/result` retries an unavailable store before saying so.
const STORE_RETRY_FOR: Duration = Duration::from_secs(10);

/// What the task methods need of the requester's connection. The server's sessions implement
/// it; this layer sits below the server and never names it.
pub(crate) trait Requester: Send + Sync + 'static {
    /// The session id (recorded with the task, to reach the requester from the worker).
    fn id(&self) -> &str;
    /// Who owns the tasks this requester creates.
    fn owner(&self) -> String;
    /// Whether this requester may use a task owned by `owner`.
    fn may_access(&self, owner: &str) -> bool;
    /// A requester that can prove no identity: it lists no tasks.
    fn is_anonymous(&self) -> bool;
    /// The client's capabilities, recorded with the task.
    fn client_capabilities(&self) -> Value;
    /// The session's logging threshold.
    fn log_level(&self) -> crate::protocol::LoggingLevel;
    /// The running docket.
    fn docket(&self) -> Option<Docket>;
    /// The server's task settings.
    fn task_settings(&self) -> &TaskSettings;
    /// How long one request may run.
    fn request_timeout(&self) -> Duration;
    /// Cancelled when the server begins shutting down.
    fn shutdown(&self) -> CancellationToken;
    /// Sends an unsolicited message to the requester (its standalone stream).
    fn notify(self: Arc<Self>, message: Message) -> crate::sync::BoxFuture<()>;
    /// The standalone stream, when someone reads it now.
    fn notify_outbound(&self) -> Option<Outbound>;
    /// Sends a request to the client on `out` and waits for the answer.
    fn request_client(
        self: Arc<Self>,
        method: String,
        params: Value,
        out: Outbound,
        cancel: CancellationToken,
    ) -> crate::sync::BoxFuture<Result<Value, ClientRequestError>>;
}

/// A requester, shared.
pub(crate) type RequesterRef = Arc<dyn Requester>;

/// `_meta` key tying messages to their task.
pub const RELATED_TASK: &str = "io.modelcontextprotocol/related-task";

/// The environment variable that turns tasks off (`0`, `false`, `off`, `no`); on by default.
pub const ENABLE_TASKS_ENV: &str = "FASTMCP_ENABLE_TASKS";

/// How the server offers tasks.
#[derive(Debug, Clone)]
pub struct TaskSettings {
    /// Tasks on or off (`FASTMCP_ENABLE_TASKS`).
    pub enabled: bool,
    /// Suggested interval between `tasks/get` polls.
    pub poll_interval: Duration,
    /// Upper bound of a task's TTL (also used when the client asks for none). It is capped by
    /// the docket's result TTL, so a live task's result is never dropped before the task.
    pub max_ttl: Duration,
    /// Tasks one requester may have working at once (default 100); more are refused.
    pub max_active_per_requester: usize,
    /// Tasks one requester may have kept at once, finished ones included (default 1,000): a
    /// task's record (and result) is kept until its TTL ends, so without this bound a client
    /// creating short tasks in a loop would grow the server's memory for as long as the TTL,
    /// and every new task of its would cost more to admit. More are refused until some expire.
    pub max_kept_per_requester: usize,
    /// Lease of a task that runs in this process rather than on the docket (2026-07-28 tasks):
    /// renewed every third of it while the process lives; once it lapses, any instance reports
    /// the task failed. Default 15 s, or `FASTMCP_TASK_LEASE_MS`.
    pub inline_lease: Duration,
}

impl Default for TaskSettings {
    fn default() -> Self {
        let enabled = std::env::var(ENABLE_TASKS_ENV)
            .map(|v| !matches!(v.trim().to_ascii_lowercase().as_str(), "0" | "false" | "off" | "no"))
            .unwrap_or(true);
        TaskSettings {
            enabled,
            poll_interval: Duration::from_millis(500),
            max_ttl: Duration::from_secs(3600),
            max_active_per_requester: 100,
            max_kept_per_requester: 1_000,
            inline_lease: std::env::var("FASTMCP_TASK_LEASE_MS")
                .ok()
                .and_then(|v| v.trim().parse().ok())
                .map_or(Duration::from_secs(15), |ms: u64| Duration::from_millis(ms.max(100))),
        }
    }
}

/// The request kinds that can run as tasks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Tool,
    Prompt,
    Resource,
}

impl Kind {
    fn as_str(self) -> &'static str {
        match self {
            Kind::Tool => "tool",
            Kind::Prompt => "prompt",
            Kind::Resource => "resource",
        }
    }
}

/// Where FastMCP 2.14's client (an early SEP-1686 draft) looks for the task id in the answer.
pub const DRAFT_TASK_META: &str = "modelcontextprotocol.io/task";

/// The answer to a task-augmented request in a shape every client reads: the spec's
/// `CreateTaskResult` (`task`), plus the empty result of the method (`content`, `messages` or
/// `contents`) with the task in `_meta["modelcontextprotocol.io/task"]`, which is what FastMCP
/// 2.14's client parses (it sends the spec's `task` param but reads the answer as the method's
/// result). `Result` admits extra members, so this is a schema-legal `CreateTaskResult`.
pub(crate) fn created_answer(kind: Kind, mut created: Value) -> Value {
    let task = created.get("task").cloned().unwrap_or(Value::Null);
    let empty = match kind {
        Kind::Tool => "content",
        Kind::Prompt => "messages",
        Kind::Resource => "contents",
    };
    if let Value::Object(answer) = &mut created {
        answer.insert(empty.to_owned(), json!([]));
        answer.insert("_meta".to_owned(), json!({ DRAFT_TASK_META: task }));
    }
    created
}

/// The `task` param of a task-augmented request.
#[derive(Debug, Default, Deserialize)]
pub(crate) struct TaskParams {
    #[serde(default)]
    pub ttl: Option<f64>,
}

/// A task as the protocol shows it.
#[derive(Debug, Clone)]
pub(crate) struct TaskView {
    pub id: String,
    pub status: &'static str,
    pub message: Option<String>,
    pub created_ms: u64,
    pub updated_ms: u64,
    pub ttl_ms: u64,
    pub poll_ms: u64,
    pub owner: String,
    pub fields: TaskFields,
    pub run: Option<RunInfo>,
}

pub(crate) fn iso8601(ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(ms as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    let t = t.replace_nanosecond((ms % 1000) as u32 * 1_000_000).unwrap_or(t);
    t.format(&time::format_description::well_known::Rfc3339).unwrap_or_default()
}

fn num(fields: &TaskFields, key: &str) -> u64 {
    fields.get(key).and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// The input requests of a record that are not answered yet: key -> `{method, params}`.
pub(crate) fn pending_inputs(fields: &TaskFields) -> Map<String, Value> {
    let mut pending = Map::new();
    for (field, request) in fields {
        if let Some(key) = field.strip_prefix("in:")
            && !fields.contains_key(&format!("ans:{key}"))
            && let Ok(request) = serde_json::from_str::<Value>(request)
        {
            pending.insert(key.to_owned(), request);
        }
    }
    pending
}

impl TaskView {
    fn new(id: &str, mut fields: TaskFields, run: Option<RunInfo>) -> TaskView {
        let progress_message = run.as_ref().and_then(|r| r.progress.as_ref()).and_then(|p| p.message.clone());
        // A task running in a server process rather than on the docket holds a lease that
        // process renews (`TaskSettings::inline_lease`); lapsed, the process is gone, and the
        // task is failed rather than `working` until its TTL.
        if fields.contains_key("inline")
            && !fields.contains_key("state")
            && fields.get("status").is_none_or(|s| s != "cancelled")
            && fields.get("lease").and_then(|l| l.parse::<u64>().ok()).is_some_and(|lease| lease < now_ms())
        {
            let message = "The server instance running this task stopped before it finished.";
            let error = ErrorObject::internal(message);
            fields.insert("state".into(), "failed".into());
            fields.insert("message".into(), message.into());
            fields.insert("error".into(), serde_json::to_string(&error).unwrap_or_default());
        }
        let inline_state = fields.get("state").map(String::as_str);
        let (status, message) = if fields.get("status").is_some_and(|s| s == "cancelled") {
            ("cancelled", fields.get("message").cloned())
        } else if let Some(state @ ("completed" | "failed")) = inline_state {
            (if state == "completed" { "completed" } else { "failed" }, fields.get("message").cloned())
        } else {
            match run.as_ref().map(|r| r.state) {
                Some(RunState::Completed) => ("completed", progress_message),
                Some(RunState::Failed) => ("failed", run.as_ref().and_then(|r| r.error.clone())),
                Some(RunState::Cancelled) => ("cancelled", Some("The task's run was cancelled.".to_owned())),
                _ => match pending_inputs(&fields).values().next() {
                    Some(input) => {
                        let message = input["params"]["message"].as_str().map(str::to_owned);
                        ("input_required", message.or(Some("Waiting for input from the client.".to_owned())))
                    }
                    None => ("working", progress_message),
                },
            }
        };
        let run_updated = run.as_ref().map_or(0, |r| r.completed_ms.or(r.started_ms).unwrap_or(0));
        TaskView {
            id: id.to_owned(),
            status,
            message,
            created_ms: num(&fields, "created"),
            updated_ms: num(&fields, "updated").max(run_updated),
            ttl_ms: num(&fields, "ttl"),
            poll_ms: num(&fields, "poll"),
            owner: fields.get("owner").cloned().unwrap_or_default(),
            fields,
            run,
        }
    }

    pub fn is_terminal(&self) -> bool {
        matches!(self.status, "completed" | "failed" | "cancelled")
    }

    /// The `Task` object.
    pub fn to_json(&self) -> Value {
        let mut task = json!({
            "taskId": self.id,
            "status": self.status,
            "createdAt": iso8601(self.created_ms),
            "lastUpdatedAt": iso8601(self.updated_ms.max(self.created_ms)),
            "ttl": self.ttl_ms,
            "pollInterval": self.poll_ms,
        });
        if let Some(m) = &self.message {
            task["statusMessage"] = Value::from(m.clone());
        }
        task
    }
}

pub(crate) fn docket_of(session: &dyn Requester) -> Result<Docket, ErrorObject> {
    session.docket().ok_or_else(|| ErrorObject::internal("the server's docket is not running"))
}

pub(crate) fn backend_error(e: impl std::fmt::Display) -> ErrorObject {
    ErrorObject::internal(format!("task store: {e}"))
}

pub(crate) fn not_found(id: &str) -> ErrorObject {
    ErrorObject::invalid_params(format!("Failed to retrieve task: Task not found: {}", crate::protocol::quoted(id)))
}

/// Reads a task; `None` when unknown or expired.
pub(crate) async fn load(docket: &Docket, id: &str) -> Result<Option<TaskView>, ErrorObject> {
    let found = docket.backend().task_get(id.to_owned()).await.map_err(backend_error)?;
    Ok(found.map(|(fields, run)| TaskView::new(id, fields, run)))
}

/// Reads a task of the requester; another owner's task is reported as not found.
async fn load_own(session: &dyn Requester, id: &str) -> Result<(Docket, TaskView), ErrorObject> {
    let docket = docket_of(session)?;
    match load(&docket, id).await? {
        Some(view) if session.may_access(&view.owner) => Ok((docket, view)),
        _ => Err(not_found(id)),
    }
}

/// Starts a task-augmented request: records the task, queues its run, starts following it for
/// the requester, and returns the `CreateTaskResult`.
pub(crate) async fn create(
    session: &RequesterRef,
    kind: Kind,
    function: String,
    args: Map<String, Value>,
    params: TaskParams,
    progress_token: Option<Value>,
) -> Result<Value, ErrorObject> {
    let docket = docket_of(&**session)?;
    let settings = session.task_settings();
    check_quota(&**session, &docket).await?;
    let max_ttl = settings.max_ttl.min(docket.config().result_ttl).as_millis() as u64;
    let ttl_ms = match params.ttl {
        Some(t) if t.is_finite() && t >= 0.0 => (t as u64).clamp(1_000, max_ttl.max(1_000)),
        Some(t) => {
            return Err(ErrorObject::invalid_params(format!(
                "Invalid params: `task.ttl` must be a non-negative number of milliseconds, not {t}"
            )));
        }
        None => max_ttl,
    };
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let mut fields = vec![
        ("kind".to_owned(), kind.as_str().to_owned()),
        ("function".to_owned(), function.clone()),
        ("created".to_owned(), now.to_string()),
        ("updated".to_owned(), now.to_string()),
        ("ttl".to_owned(), ttl_ms.to_string()),
        ("poll".to_owned(), (settings.poll_interval.as_millis() as u64).to_string()),
        ("session".to_owned(), session.id().to_owned()),
        ("caps".to_owned(), session.client_capabilities().to_string()),
    ];
    if let Some(token) = &progress_token {
        fields.push(("ptoken".to_owned(), token.to_string()));
    }
    docket.backend().task_create(id.clone(), session.owner(), fields, ttl_ms).await.map_err(backend_error)?;
    // Following starts before the run is queued, so no status change is missed.
    let follower = follow(session, &docket, &id, progress_token);
    if let Err(e) = docket.add_task(&id, &function, args, Duration::from_millis(ttl_ms), session.owner()).await {
        follower.cancel();
        let _ = docket
            .backend()
            .task_update(
                id.clone(),
                vec![("status".into(), "cancelled".into()), ("message".into(), e.to_string())],
                vec![],
            )
            .await;
        return Err(ErrorObject::internal(format!("the task could not be queued: {e}")));
    }
    let view = load(&docket, &id).await?.ok_or_else(|| not_found(&id))?;
    tracing::debug!(task = %id, %function, "task created");
    Ok(created_answer(kind, json!({ "task": view.to_json() })))
}

/// Task ids this process has seen terminal. Terminal is final, so the quota check need not read
/// them again; without this, a requester with many finished (unexpired) tasks would make every
/// new task read all of their records. Bounded: cleared when full (it is only a cache).
static KNOWN_TERMINAL: std::sync::LazyLock<std::sync::Mutex<std::collections::HashSet<String>>> =
    std::sync::LazyLock::new(Default::default);
const KNOWN_TERMINAL_MAX: usize = 100_000;

/// Refuses a new task when the requester already has the maximum working, or the maximum kept.
pub(crate) async fn check_quota(session: &dyn Requester, docket: &Docket) -> Result<(), ErrorObject> {
    use futures::StreamExt;
    let settings = session.task_settings();
    let (limit, kept) = (settings.max_active_per_requester, settings.max_kept_per_requester);
    // A count first (cheap): most requesters have fewer tasks than either limit, and one at
    // the kept limit is refused without its tasks being listed.
    let count = docket.backend().task_count(session.owner()).await.map_err(backend_error)?;
    if count >= kept {
        return Err(ErrorObject::new(
            -32000,
            format!(
                "Too many tasks kept for this requester (limit {kept}): a task is kept until its TTL ends; \
                 wait for some to expire, or ask for shorter TTLs (`task.ttl`)"
            ),
        ));
    }
    if count < limit {
        return Ok(());
    }
    // Enough tasks to be at the working limit: which are still working? (At most `kept`.)
    let ids = docket.backend().task_live_ids(session.owner()).await.map_err(backend_error)?;
    if ids.len() < limit {
        return Ok(());
    }
    let unknown: Vec<String> = {
        let known = crate::sync::lock(&KNOWN_TERMINAL);
        ids.into_iter().filter(|id| !known.contains(id)).collect()
    };
    if unknown.len() < limit {
        return Ok(());
    }
    // Read the rest concurrently (one round trip each on Redis).
    let loads = unknown.into_iter().map(|id| {
        let docket = docket.clone();
        async move { load(&docket, &id).await }
    });
    let views: Vec<Result<Option<TaskView>, ErrorObject>> =
        futures::stream::iter(loads).buffer_unordered(32).collect().await;
    let mut active = 0;
    let mut terminal = Vec::new();
    for view in views {
        match view? {
            Some(v) if v.is_terminal() => terminal.push(v.id),
            Some(_) => active += 1,
            None => {}
        }
    }
    {
        let mut known = crate::sync::lock(&KNOWN_TERMINAL);
        if known.len() + terminal.len() > KNOWN_TERMINAL_MAX {
            known.clear();
        }
        known.extend(terminal);
    }
    if active >= limit {
        return Err(ErrorObject::new(
            -32000,
            format!("Too many tasks in progress for this requester (limit {limit}); wait for some to finish"),
        ));
    }
    Ok(())
}

/// `tasks/get`: the task, flat.
pub(crate) async fn get(session: &RequesterRef, task_id: &str) -> Result<Value, ErrorObject> {
    let (_, view) = load_own(&**session, task_id).await?;
    Ok(view.to_json())
}

/// `tasks/list`: the requester's tasks, paginated.
pub(crate) async fn list(session: &RequesterRef, cursor: Option<&str>, page: usize) -> Result<Value, ErrorObject> {
    let start = match cursor {
        None => 0,
        Some(c) => crate::protocol::decode_cursor(c).ok_or_else(|| {
            ErrorObject::invalid_params(format!("Failed to list tasks: Invalid cursor: {}", crate::protocol::quoted(c)))
        })?,
    };
    let docket = docket_of(&**session)?;
    // An anonymous requester cannot show which tasks are its own: it lists none (its tasks
    // stay reachable by id).
    let ids = if session.is_anonymous() {
        Vec::new()
    } else {
        docket.backend().task_ids(session.owner()).await.map_err(backend_error)?
    };
    if start > ids.len() {
        return Err(ErrorObject::invalid_params("Failed to list tasks: the cursor is past the end of the list"));
    }
    let end = (start + page.max(1)).min(ids.len());
    let mut tasks = Vec::with_capacity(end - start);
    for id in &ids[start..end] {
        if let Some(view) = load(&docket, id).await? {
            tasks.push(view.to_json());
        }
    }
    let mut result = json!({ "tasks": tasks });
    if end < ids.len() {
        result["nextCursor"] = Value::from(crate::protocol::encode_cursor(end));
    }
    Ok(result)
}

/// `tasks/cancel`: marks the task cancelled (before answering), then stops its run.
pub(crate) async fn cancel(session: &RequesterRef, task_id: &str) -> Result<Value, ErrorObject> {
    let (docket, view) = load_own(&**session, task_id).await?;
    if view.is_terminal() {
        return Err(ErrorObject::invalid_params(format!(
            "Cannot cancel task: already in terminal status '{}'",
            view.status
        )));
    }
    let set = vec![
        ("status".to_owned(), "cancelled".to_owned()),
        ("message".to_owned(), "The client cancelled the task.".to_owned()),
        ("updated".to_owned(), now_ms().to_string()),
    ];
    if !docket.backend().task_update(task_id.to_owned(), set, vec![]).await.map_err(backend_error)? {
        return Err(not_found(task_id));
    }
    docket.cancel(task_id).await.map_err(backend_error)?;
    let view = load(&docket, task_id).await?.ok_or_else(|| not_found(task_id))?;
    Ok(view.to_json())
}

/// `tasks/result`: waits until the task is terminal, delivering its input requests on this
/// request's stream meanwhile, then answers exactly as the underlying request would have.
pub(crate) async fn result(
    session: &RequesterRef,
    task_id: &str,
    out: Outbound,
    cancel: CancellationToken,
) -> Result<Value, ErrorObject> {
    let id = task_id.to_owned();
    let (docket, _) = load_own(&**session, &id).await?;
    let mut changes = docket.backend().watch(&id);
    // Waiting ends before the request's own timeout, with an answer that says the task is
    // still going (not a failure of the task); the client calls again.
    let wait = session.request_timeout().saturating_sub(Duration::from_secs(1)).max(Duration::from_millis(100));
    let deadline = tokio::time::Instant::now() + wait;
    let mut store_down_since: Option<tokio::time::Instant> = None;
    let view = loop {
        let view = match load(&docket, &id).await {
            Ok(view) => {
                store_down_since = None;
                view.ok_or_else(|| not_found(&id))?
            }
            // A store that is briefly unavailable is retried: its outage is not the task's
            // failure. Only a lasting one is reported, as such.
            Err(e) => {
                let since = *store_down_since.get_or_insert_with(tokio::time::Instant::now);
                if since.elapsed() > STORE_RETRY_FOR || tokio::time::Instant::now() >= deadline {
                    return Err(ErrorObject::new(
                        TASK_STORE_UNAVAILABLE,
                        format!("The task store is unavailable ({}); task {id} was left alone, retry later", e.message),
                    )
                    .with_data(json!({ "taskId": id, "retryable": true })));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        if view.is_terminal() {
            break view;
        }
        deliver_inputs(session, &docket, &view, &out, &cancel);
        tokio::select! {
            _ = changes.changed() => {},
            _ = tokio::time::sleep(crate::docket::WATCH_FALLBACK) => {},
            _ = cancel.cancelled() => return Err(ErrorObject::internal("tasks/result was cancelled")),
            _ = tokio::time::sleep_until(deadline) => {
                return Err(ErrorObject::new(
                    TASK_RESULT_TIMEOUT,
                    format!("Task {id} is still {} after waiting {wait:?}; it keeps running: call tasks/result again", view.status),
                )
                .with_data(json!({ "taskId": id, "status": view.status, "retryable": true })));
            }
        }
    };
    let related = json!({ RELATED_TASK: { "taskId": id } });
    if view.status == "cancelled" {
        return Err(ErrorObject::internal(format!("Task {id} was cancelled and has no result")).with_data(related));
    }
    let Some(mut result) = view.run.and_then(|r| r.result) else {
        return Err(ErrorObject::internal(format!("Task {id} has no result stored")));
    };
    // A prompt or resource that failed stored its JSON-RPC error: answer with that error.
    if let Some(error) = result.get("error").filter(|e| e.get("code").is_some()) {
        let mut error: ErrorObject = serde_json::from_value(error.clone())
            .unwrap_or_else(|_| ErrorObject::internal(format!("Task {id} failed")));
        if error.data.is_none() {
            error.data = Some(related);
        }
        return Err(error);
    }
    if let Value::Object(map) = &mut result {
        let meta = map.entry("_meta").or_insert_with(|| json!({}));
        if let Value::Object(meta) = meta {
            meta.insert(RELATED_TASK.to_owned(), json!({ "taskId": id }));
        }
    }
    Ok(result)
}

/// Sends the task's pending input requests to the client on `out` (each once, whoever claims
/// it first across processes) and stores the answers for the handler.
fn deliver_inputs(
    session: &RequesterRef,
    docket: &Docket,
    view: &TaskView,
    out: &Outbound,
    cancel: &CancellationToken,
) {
    for (key, input) in pending_inputs(&view.fields) {
        let claim = format!("claim:{key}");
        if view.fields.contains_key(&claim) {
            continue;
        }
        let (session, docket, out, cancel, id) =
            (session.clone(), docket.clone(), out.clone(), cancel.clone(), view.id.clone());
        tokio::spawn(async move {
            let backend = docket.backend();
            match backend.clone().task_claim(id.clone(), claim.clone(), "1".into()).await {
                Ok(true) => {}
                _ => return,
            }
            let method = input["method"].as_str().unwrap_or_default().to_owned();
            let answer = match session.request_client(method.clone(), input["params"].clone(), out, cancel).await {
                Ok(result) => json!({ "result": result }),
                Err(ClientRequestError::Client(e)) => json!({ "error": e }),
                Err(e) => {
                    // Not delivered (stream gone, request cancelled): let someone else try.
                    tracing::debug!(task = %id, "input request not answered: {e}");
                    let _ = backend.task_update(id, vec![], vec![claim]).await;
                    return;
                }
            };
            let _ = backend.task_update(id, vec![(format!("ans:{key}"), answer.to_string())], vec![]).await;
        });
    }
}

/// Follows a task for the session that created it: `notifications/tasks/status` on each change
/// of status or message, `notifications/progress` with the original token, and delivery of
/// input requests on the session's standalone stream. Ends at a terminal status, when the task
/// expires, when the session goes away, or at shutdown.
fn follow(session: &RequesterRef, docket: &Docket, id: &str, progress_token: Option<Value>) -> CancellationToken {
    let stop = CancellationToken::new();
    let weak: Weak<dyn Requester> = Arc::downgrade(session);
    let (docket, id, stop2) = (docket.clone(), id.to_owned(), stop.clone());
    let shutdown = session.shutdown();
    let mut changes = docket.backend().watch(&id);
    tokio::spawn(async move {
        // What the CreateTaskResult said (a new task is `working`, without a message): a task
        // that ended before this first looks still gets its terminal status sent.
        let mut last_status: (&'static str, Option<String>) = ("working", None);
        let mut last_progress = None;
        loop {
            let Some(session) = weak.upgrade() else { return };
            let view = match load(&docket, &id).await {
                Ok(Some(v)) => v,
                Ok(None) => return,
                Err(e) => {
                    tracing::debug!(task = %id, "following the task: {e:?}");
                    drop(session);
                    tokio::time::sleep(Duration::from_millis(500)).await;
                    continue;
                }
            };
            // The last progress of a task that finished fast is still news: it goes out before
            // the terminal status, so a client sees 3/3 and then `completed`.
            if let (Some(token), Some(progress)) = (&progress_token, view.run.as_ref().and_then(|r| r.progress.clone()))
                && last_progress.as_ref() != Some(&progress)
                && (progress.current > 0.0 || progress.total.is_some() || progress.message.is_some())
            {
                let mut params = json!({
                    "progressToken": token,
                    "progress": progress.current,
                    "_meta": { RELATED_TASK: { "taskId": id } },
                });
                if let Some(total) = progress.total {
                    params["total"] = Value::from(total);
                }
                if let Some(message) = &progress.message {
                    params["message"] = Value::from(message.clone());
                }
                session.clone().notify(Message::notification("notifications/progress", Some(params))).await;
                last_progress = Some(progress);
            }
            let status = (view.status, view.message.clone());
            if last_status != status {
                session.clone().notify(Message::notification("notifications/tasks/status", Some(view.to_json()))).await;
            }
            last_status = status;
            if view.is_terminal() {
                return;
            }
            if !pending_inputs(&view.fields).is_empty()
                && let Some(out) = session.notify_outbound()
            {
                deliver_inputs(&session, &docket, &view, &out, &stop2);
            }
            drop(session);
            tokio::select! {
                _ = changes.changed() => {},
                _ = tokio::time::sleep(crate::docket::WATCH_FALLBACK) => {},
                _ = stop2.cancelled() => return,
                _ = shutdown.cancelled() => return,
            }
        }
    });
    stop
}

/// A task's handler talks to its requester through the task record: input requests become
/// `input_required`; notifications reach the requester when it is connected to this process.
impl crate::extract::Peer for TaskLink {
    fn client_capabilities(&self) -> Value {
        self.client_capabilities.clone()
    }
    fn task_id(&self) -> Option<&str> {
        Some(&self.id)
    }
    fn logs(&self, level: crate::protocol::LoggingLevel) -> bool {
        self.session.as_ref().is_none_or(|s| level >= s.log_level())
    }
    fn send(self: Arc<Self>, message: Message) -> crate::sync::BoxFuture<()> {
        Box::pin(async move {
            let Some(session) = &self.session else { return };
            // Tied to the task.
            let mut message = message;
            if let Message::Notification(n) = &mut message
                && let Some(Value::Object(params)) = &mut n.params
            {
                let meta = params.entry("_meta").or_insert_with(|| json!({}));
                if let Value::Object(meta) = meta {
                    meta.insert(RELATED_TASK.to_owned(), json!({ "taskId": self.id }));
                }
            }
            session.clone().notify(message).await;
        })
    }
    fn request(
        self: Arc<Self>,
        key: Option<String>,
        method: String,
        params: Value,
        cancel: CancellationToken,
    ) -> crate::sync::BoxFuture<Result<Value, ClientRequestError>> {
        Box::pin(async move { TaskLink::request(&self, key, &method, params, &cancel).await })
    }
}

/// The task a handler runs as, on the worker.
pub(crate) struct TaskLink {
    pub id: String,
    pub docket: Docket,
    /// The client capabilities of the requester, recorded at creation.
    pub client_capabilities: Value,
    /// The requesting session, when it lives in this process (for log notifications).
    pub session: Option<RequesterRef>,
    /// A 2025-11-25 (SEP-1686) task: requests carry the related-task `_meta`.
    pub related_task_meta: bool,
}

impl TaskLink {
    /// Reads what the worker needs of the task record before running it.
    pub(crate) async fn open(
        docket: &Docket,
        id: &str,
        sessions: impl Fn(&str) -> Option<RequesterRef>,
    ) -> Option<TaskLink> {
        let (fields, _) = docket.backend().task_get(id.to_owned()).await.ok()??;
        let client_capabilities = fields.get("caps").and_then(|c| serde_json::from_str(c).ok()).unwrap_or(json!({}));
        let session = fields.get("session").and_then(|s| sessions(s));
        Some(TaskLink {
            id: id.to_owned(),
            docket: docket.clone(),
            client_capabilities,
            session,
            related_task_meta: true,
        })
    }

    /// Sends a request to the requester through the task record and waits for the answer; the
    /// task shows `input_required` meanwhile. `key` names the input (unique within the task).
    pub(crate) async fn request(
        &self,
        key: Option<String>,
        method: &str,
        mut params: Value,
        cancel: &CancellationToken,
    ) -> Result<Value, ClientRequestError> {
        if self.related_task_meta
            && let Value::Object(p) = &mut params
        {
            let meta = p.entry("_meta").or_insert_with(|| json!({}));
            if let Value::Object(meta) = meta {
                meta.insert(RELATED_TASK.to_owned(), json!({ "taskId": self.id }));
            }
        }
        let backend = self.docket.backend();
        let key = key.unwrap_or_else(|| {
            let short = method.rsplit('/').next().unwrap_or(method);
            format!("{short}-{}", &uuid::Uuid::new_v4().simple().to_string()[..12])
        });
        let (input_field, answer_field, claim_field) =
            (format!("in:{key}"), format!("ans:{key}"), format!("claim:{key}"));
        let mut changes = backend.watch(&self.id);
        let request = json!({ "method": method, "params": params });
        let stored = backend
            .clone()
            .task_update(
                self.id.clone(),
                vec![(input_field.clone(), request.to_string()), ("updated".into(), now_ms().to_string())],
                vec![answer_field.clone(), claim_field.clone()],
            )
            .await
            .map_err(|_| ClientRequestError::Closed)?;
        if !stored {
            return Err(ClientRequestError::Closed);
        }
        let clear = |backend: Arc<dyn crate::docket::Backend>, id: String| {
            let delete = vec![input_field.clone(), answer_field.clone(), claim_field.clone()];
            async move {
                let _ = backend.task_update(id, vec![("updated".into(), now_ms().to_string())], delete).await;
            }
        };
        loop {
            let fields = match backend.clone().task_get(self.id.clone()).await {
                Ok(Some((fields, _))) => fields,
                Ok(None) => return Err(ClientRequestError::Closed),
                Err(_) => TaskFields::default(),
            };
            if fields.get("status").is_some_and(|s| s == "cancelled") {
                return Err(ClientRequestError::Closed);
            }
            if let Some(answer) = fields.get(&answer_field).and_then(|a| serde_json::from_str::<Value>(a).ok()) {
                clear(backend, self.id.clone()).await;
                if let Some(error) = answer.get("error") {
                    let error = serde_json::from_value(error.clone())
                        .unwrap_or_else(|_| ErrorObject::internal("the client answered with an error"));
                    return Err(ClientRequestError::Client(error));
                }
                return Ok(answer["result"].clone());
            }
            tokio::select! {
                _ = changes.changed() => {},
                _ = tokio::time::sleep(crate::docket::WATCH_FALLBACK) => {},
                _ = cancel.cancelled() => {
                    clear(backend, self.id.clone()).await;
                    return Err(ClientRequestError::Closed);
                }
            }
        }
    }
}
