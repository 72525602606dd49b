//! The tasks extension `io.modelcontextprotocol/tasks` (SEP-2663) for 2026-07-28 requests.
//!
//! The server decides: a task-capable tool called by a client that declared the extension runs
//! until it first waits on something other than client input. Input it asks for before that
//! is gathered synchronously (an `input_required` result, SEP-2322); a handler that finishes
//! at once answers directly; otherwise the call becomes a task and the same future keeps
//! running, its record in the docket backend (so any instance answers `tasks/get`,
//! `tasks/update` and `tasks/cancel`). Input it asks for later appears as `inputRequests` on
//! `tasks/get` and is answered with `tasks/update`.

use crate::docket::now_ms;
use crate::extract::{Call, Context};
use crate::outbound::Outbound;
use crate::protocol::{ErrorObject, Message, RequestId};
use crate::registry::Tool;
use crate::server::Session;
use crate::server::request::TaskRequest;
use crate::server::rev2026::{META_SUBSCRIPTION, MISSING_CAPABILITY, TASKS_EXTENSION};
use crate::tasks::{
    TaskLink, TaskView, backend_error, check_quota, docket_of, iso8601, load, not_found, pending_inputs,
};
use serde_json::{Map, Value, json};
use std::sync::Arc;
use std::task::Poll;
use tokio_util::sync::CancellationToken;

enum Op {
    Get,
    Update,
    Cancel,
}

/// -32021: the client did not declare the tasks extension.
pub(crate) fn requires_extension() -> ErrorObject {
    ErrorObject::new(MISSING_CAPABILITY, "Missing required client capability: the tasks extension")
        .with_data(json!({ "requiredCapabilities": { "extensions": { TASKS_EXTENSION: {} } } }))
}

/// The status under SEP-2663: a tool error is `completed` (its result has `isError`); `failed`
/// is for JSON-RPC errors only.
fn status_2026(view: &TaskView) -> &'static str {
    if view.status == "failed" && !view.fields.contains_key("state") {
        let protocol_error = view.run.as_ref().and_then(|r| r.result.as_ref()).is_some_and(is_error_envelope);
        if !protocol_error {
            return "completed";
        }
    }
    view.status
}

fn is_error_envelope(result: &Value) -> bool {
    result.get("error").is_some_and(|e| e.get("code").is_some())
}

/// A `DetailedTask`: the task with its input requests, result or error inlined.
pub(crate) fn detailed(view: &TaskView) -> Value {
    let status = status_2026(view);
    let mut task = json!({
        "taskId": view.id,
        "status": status,
        "createdAt": iso8601(view.created_ms),
        "lastUpdatedAt": iso8601(view.updated_ms.max(view.created_ms)),
        "ttlMs": view.ttl_ms,
        "pollIntervalMs": view.poll_ms,
    });
    if let Some(m) = &view.message {
        task["statusMessage"] = Value::from(m.clone());
    }
    match status {
        "input_required" => task["inputRequests"] = Value::Object(pending_inputs(&view.fields)),
        "completed" | "failed" => {
            let stored = match view.fields.get("result").or(view.fields.get("error")) {
                Some(raw) => serde_json::from_str::<Value>(raw).ok(),
                None => view.run.as_ref().and_then(|r| r.result.clone()),
            };
            if let Some(stored) = stored {
                if is_error_envelope(&stored) {
                    task["error"] = stored["error"].clone();
                } else if view.fields.contains_key("error") {
                    task["error"] = stored;
                } else {
                    task["result"] = stored;
                }
            }
        }
        _ => {}
    }
    task
}

/// tasks/get, tasks/update, tasks/cancel (tasks/result and tasks/list are not in this revision).
pub(crate) async fn handle(session: &Arc<Session>, request: TaskRequest) -> Result<Value, ErrorObject> {
    let (task_id, input_responses, op) = match request {
        TaskRequest::Get(id) => (id, None, Op::Get),
        TaskRequest::Update { task_id, input_responses } => (task_id, input_responses, Op::Update),
        TaskRequest::Cancel(id) => (id, None, Op::Cancel),
        TaskRequest::Result(_) => return Err(ErrorObject::method_not_found("tasks/result")),
        TaskRequest::List(_) => return Err(ErrorObject::method_not_found("tasks/list")),
    };
    let docket = docket_of(&**session)?;
    let view = match load(&docket, &task_id).await? {
        Some(v) if session.may_access(&v.owner) => v,
        _ => return Err(not_found(&task_id)),
    };
    match op {
        Op::Get => {
            let mut task = detailed(&view);
            task["resultType"] = json!("complete");
            Ok(task)
        }
        Op::Update => {
            let responses = input_responses
                .ok_or_else(|| ErrorObject::invalid_params("Invalid params: tasks/update needs inputResponses"))?;
            let pending = pending_inputs(&view.fields);
            // Answers to unknown or already answered keys are ignored.
            let set: Vec<(String, String)> = responses
                .into_iter()
                .filter(|(key, _)| pending.contains_key(key))
                .map(|(key, response)| (format!("ans:{key}"), json!({ "result": response }).to_string()))
                .collect();
            if !set.is_empty() {
                docket.backend().task_update(task_id.clone(), set, vec![]).await.map_err(backend_error)?;
            }
            Ok(json!({ "resultType": "complete" }))
        }
        Op::Cancel => {
            // Cooperative and idempotent: a terminal task is simply acknowledged.
            if !view.is_terminal() {
                let set = vec![
                    ("status".to_owned(), "cancelled".to_owned()),
                    ("message".to_owned(), "The client cancelled the task.".to_owned()),
                    ("updated".to_owned(), now_ms().to_string()),
                ];
                docket.backend().task_update(task_id.clone(), set, vec![]).await.map_err(backend_error)?;
                if view.run.is_some() {
                    docket.cancel(&task_id).await.map_err(backend_error)?;
                }
            }
            Ok(json!({ "resultType": "complete" }))
        }
    }
}

/// Runs a task-capable tool for a client that declared the extension (see the module docs).
pub(crate) async fn call_tool_as_task(
    session: &Arc<Session>,
    ctx: &Context,
    input: &Arc<crate::server::rev2026::Rev2026Input>,
    tool: Arc<Tool>,
    args: Map<String, Value>,
) -> Result<Value, ErrorObject> {
    let binding = crate::server::rev2026::state_binding(&tool.name, &args);
    let mut fut = tool.call(Call::new(args, None, ctx.clone()));
    let first = std::future::poll_fn(|cx| Poll::Ready(fut.as_mut().poll(cx))).await;
    if let Poll::Ready(result) = first {
        if let Some(required) = crate::sync::lock(&input.missing).clone() {
            return Err(crate::server::rev2026::missing_capability(required));
        }
        return crate::server::dispatch::result_json(&result?);
    }
    let pending = crate::sync::lock(&input.pending).clone();
    if !pending.is_empty() {
        let answers = input.answers.clone();
        return Ok(session.input_required("tools/call", &binding, pending, answers));
    }
    // It waits on something else: it becomes a task, and keeps running here.
    let docket = docket_of(&**session)?;
    check_quota(&**session, &docket).await?;
    let settings = session.server().task_settings();
    let ttl_ms = settings.max_ttl.min(docket.config().result_ttl).as_millis() as u64;
    let id = uuid::Uuid::new_v4().simple().to_string();
    let now = now_ms();
    let fields = vec![
        ("kind".to_owned(), "tool".to_owned()),
        ("function".to_owned(), tool.name.clone()),
        ("created".to_owned(), now.to_string()),
        ("updated".to_owned(), now.to_string()),
        ("ttl".to_owned(), ttl_ms.to_string()),
        ("poll".to_owned(), (settings.poll_interval.as_millis() as u64).to_string()),
        ("inline".to_owned(), "1".to_owned()),
        ("lease".to_owned(), (now + settings.inline_lease.as_millis() as u64).to_string()),
    ];
    let backend = docket.backend();
    backend.clone().task_create(id.clone(), session.owner(), fields, ttl_ms).await.map_err(backend_error)?;
    let link = TaskLink {
        id: id.clone(),
        docket: docket.clone(),
        client_capabilities: input.capabilities.clone(),
        session: None,
        related_task_meta: false,
    };
    let _ = input.escalated.set(link);
    let mut changes = backend.watch(&id);
    // A task in flight runs through the shutdown drain; only the drain deadline stops it.
    let shutdown = session.server().abort.clone();
    let cancel = ctx.inner.cancel.clone();
    let (task_id, input2) = (id.clone(), input.clone());
    let lease = settings.inline_lease;
    tokio::spawn(async move {
        let cancelled = async {
            loop {
                if let Ok(Some((fields, _))) = backend.clone().task_get(task_id.clone()).await
                    && fields.get("status").is_none_or(|s| s != "cancelled")
                {
                    tokio::select! {
                        _ = changes.changed() => continue,
                        _ = tokio::time::sleep(crate::docket::WATCH_FALLBACK) => continue,
                    }
                }
                return;
            }
        };
        // While it runs, this process renews the task's lease (`TaskSettings::inline_lease`).
        let renew = {
            let (backend, task_id) = (backend.clone(), task_id.clone());
            async move {
                loop {
                    tokio::time::sleep(lease / 3).await;
                    let lease = now_ms() + lease.as_millis() as u64;
                    let _ = backend.clone().task_lease(task_id.clone(), lease).await;
                }
            }
        };
        let outcome = tokio::select! {
            r = fut => Some(r),
            _ = cancelled => None,
            _ = renew => None,
            _ = shutdown.cancelled() => Some(Err(ErrorObject::internal("the server shut down before the task finished"))),
        };
        cancel.cancel();
        let Some(outcome) = outcome else { return };
        let missing = crate::sync::lock(&input2.missing).clone();
        let outcome = match (outcome, missing) {
            (_, Some(required)) => Err(crate::server::rev2026::missing_capability(required)),
            (r, None) => r,
        };
        let set = match outcome {
            Ok(result) => vec![
                ("state".to_owned(), "completed".to_owned()),
                ("result".to_owned(), serde_json::to_string(&result).unwrap_or_default()),
            ],
            Err(e) => vec![
                ("state".to_owned(), "failed".to_owned()),
                ("error".to_owned(), serde_json::to_string(&e).unwrap_or_default()),
                ("message".to_owned(), e.message.clone()),
            ],
        };
        let mut set = set;
        set.push(("updated".to_owned(), now_ms().to_string()));
        // Not if it was cancelled meanwhile: cancelled is final.
        if let Ok(Some((fields, _))) = backend.clone().task_get(task_id.clone()).await
            && fields.get("status").is_some_and(|s| s == "cancelled")
        {
            return;
        }
        let _ = backend.task_update(task_id, set, vec![]).await;
    });
    let view = load(&docket, &id).await?.ok_or_else(|| not_found(&id))?;
    let mut created = detailed(&view);
    created["resultType"] = json!("task");
    Ok(created)
}

/// Streams `notifications/tasks` for one task to a listen stream, on each change of status.
pub(crate) fn follow_for_listener(
    session: &Arc<Session>,
    task_id: &str,
    out: &Outbound,
    subscription: &RequestId,
) -> CancellationToken {
    let stop = CancellationToken::new();
    let Ok(docket) = docket_of(&**session) else { return stop };
    let (session2, id, out, subscription, stop2) =
        (session.clone(), task_id.to_owned(), out.clone(), subscription.clone(), stop.clone());
    let mut changes = docket.backend().watch(&id);
    tokio::spawn(async move {
        let mut last: Option<(&'static str, usize)> = None;
        loop {
            match load(&docket, &id).await {
                Ok(Some(view)) if session2.may_access(&view.owner) => {
                    let key = (status_2026(&view), pending_inputs(&view.fields).len());
                    if last != Some(key) {
                        let mut params = detailed(&view);
                        params["_meta"] = json!({ META_SUBSCRIPTION: subscription });
                        out.send(Message::notification("notifications/tasks", Some(params))).await;
                        last = Some(key);
                    }
                    if view.is_terminal() {
                        return;
                    }
                }
                Ok(_) => return,
                Err(_) => {}
            }
            tokio::select! {
                _ = changes.changed() => {},
                _ = tokio::time::sleep(crate::docket::WATCH_FALLBACK) => {},
                _ = stop2.cancelled() => return,
            }
        }
    });
    stop
}
