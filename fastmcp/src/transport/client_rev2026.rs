//! The client on revision 2026-07-28 (stateless): no `initialize` but `server/discover`;
//! every request carries the revision's `_meta` (version, client info, capabilities); the
//! server's input requests come back as `input_required` results, answered by the client's
//! handler and retried with a new id, `inputResponses` and the echoed `requestState`
//! (SEP-2322); a call the server turns into a task (the tasks extension) is followed with
//! `tasks/get` and answered with `tasks/update`.
//!
//! On Streamable HTTP the link adds the revision's headers (`MCP-Protocol-Version`,
//! `Mcp-Method`, `Mcp-Name`), keeps no session, and cancels a request by closing its stream.

use super::client::{Client, ClientError};
use crate::protocol::{ErrorObject, Message, RequestId};
use crate::rev2026::{
    HEADER_MISMATCH, META_CAPABILITIES, META_CLIENT_INFO, META_SERVER_INFO, META_VERSION, TASKS_EXTENSION,
};
use serde_json::{Map, Value, json};
use std::time::Duration;

/// Input rounds one request may take before the client gives up (a server that asks forever).
const MAX_ROUNDS: usize = 10;
/// Input requests one round may carry.
const MAX_INPUT_REQUESTS: usize = 64;
/// Bounds on the poll interval a task suggests.
const MIN_POLL: Duration = Duration::from_millis(20);
const MAX_POLL: Duration = Duration::from_secs(5);
const DEFAULT_POLL: Duration = Duration::from_millis(500);

/// The `_meta` every request of this client carries.
pub(super) fn envelope(version: &str, capabilities: &Value, tasks_extension: bool) -> Map<String, Value> {
    let mut capabilities = capabilities.clone();
    if tasks_extension && let Some(c) = capabilities.as_object_mut() {
        let extensions = c.entry("extensions").or_insert_with(|| json!({}));
        if let Some(e) = extensions.as_object_mut() {
            e.entry(TASKS_EXTENSION).or_insert_with(|| json!({}));
        }
    }
    let mut m = Map::new();
    m.insert(META_VERSION.into(), Value::from(version));
    m.insert(META_CLIENT_INFO.into(), json!({ "name": "fastmcp-client", "version": env!("CARGO_PKG_VERSION") }));
    m.insert(META_CAPABILITIES.into(), capabilities);
    m
}

fn add_envelope(client: &Client, params: &mut Value) {
    let Some(envelope) = &client.rev2026 else { return };
    if !params.is_object() {
        *params = json!({});
    }
    if let Some(p) = params.as_object_mut() {
        let meta = p.entry("_meta").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            for (k, v) in envelope {
                meta.entry(k.clone()).or_insert_with(|| v.clone());
            }
        }
    }
}

/// `server/discover`, in the shape of an `initialize` result (`protocolVersion`,
/// `capabilities`, `serverInfo`, `instructions`, and `supportedVersions`).
pub(super) async fn discover(client: &Client) -> Result<Value, ClientError> {
    let d = client.request("server/discover", json!({})).await?;
    let version = client.rev2026.as_ref().and_then(|e| e.get(META_VERSION)).cloned().unwrap_or_default();
    if !d["supportedVersions"].as_array().is_some_and(|v| v.contains(&version)) {
        return Err(ClientError::Decode(format!(
            "the server does not support {version}: it supports {}",
            d["supportedVersions"]
        )));
    }
    let mut init = json!({
        "protocolVersion": version,
        "capabilities": d.get("capabilities").cloned().unwrap_or_else(|| json!({})),
        "serverInfo": d["_meta"].get(META_SERVER_INFO).cloned().unwrap_or_else(|| json!({})),
        "supportedVersions": d["supportedVersions"].clone(),
    });
    if let Some(i) = d.get("instructions") {
        init["instructions"] = i.clone();
    }
    Ok(init)
}

/// One request on 2026-07-28: with the envelope, and retried with the answers while the server
/// answers `input_required`.
pub(super) async fn request(
    client: &Client,
    first_id: RequestId,
    method: &str,
    mut params: Value,
) -> Result<Value, ClientError> {
    add_envelope(client, &mut params);
    let mut id = first_id;
    let mut listed = false;
    let mut round = 0;
    while round < MAX_ROUNDS {
        let result = match client.round(id, method, params.clone()).await {
            // Over HTTP a call mirrors some arguments in `Mcp-Param-*` headers, which the link
            // learns from `tools/list`: list once, then call again.
            Err(ClientError::Rpc(e)) if e.code == HEADER_MISMATCH && method == "tools/call" && !listed => {
                listed = true;
                // Boxed: listing is itself a request of this client.
                Box::pin(client.list_tools()).await?;
                id = client.next_request_id();
                continue;
            }
            other => other?,
        };
        round += 1;
        if result["resultType"] != "input_required" {
            return Ok(result);
        }
        let p = params.as_object_mut().expect("the envelope made params an object");
        match result.get("inputRequests") {
            Some(requests) => {
                p.insert("inputResponses".into(), Value::Object(answer(client, requests).await?));
            }
            None => {
                p.remove("inputResponses");
            }
        }
        // Echoed exactly, and left out when the server gave none.
        match result.get("requestState") {
            Some(state) => p.insert("requestState".into(), state.clone()),
            None => p.remove("requestState"),
        };
        id = client.next_request_id();
    }
    Err(ClientError::Decode(format!("`{method}` still asked for input after {MAX_ROUNDS} rounds")))
}

/// Answers the server's input requests (`{key: {method, params}}`) with the client's handler.
async fn answer(client: &Client, requests: &Value) -> Result<Map<String, Value>, ClientError> {
    let requests = requests
        .as_object()
        .ok_or_else(|| ClientError::Decode(format!("inputRequests is not an object: {requests}")))?;
    if requests.len() > MAX_INPUT_REQUESTS {
        return Err(ClientError::Decode(format!("more than {MAX_INPUT_REQUESTS} input requests at once")));
    }
    let mut answers = Map::new();
    for (key, request) in requests {
        let method = request["method"].as_str().unwrap_or_default().to_owned();
        let params = request.get("params").cloned().unwrap_or_else(|| json!({}));
        let answer = match &client.handler {
            Some(handler) => handler(method.clone(), params).await,
            None => Err(ErrorObject::method_not_found(&method)),
        };
        let answer = answer.map_err(|e| {
            ClientError::Rpc(ErrorObject::new(
                e.code,
                format!("the client could not answer the server's input request `{key}` ({method}): {}", e.message),
            ))
        })?;
        answers.insert(key.clone(), answer);
    }
    Ok(answers)
}

/// Cancels a followed task if its follower is dropped before the task ended.
struct CancelOnDrop<'a> {
    client: &'a Client,
    task_id: Option<String>,
}

impl Drop for CancelOnDrop<'_> {
    fn drop(&mut self) {
        if let Some(task_id) = self.task_id.take() {
            let mut params = json!({ "taskId": task_id });
            add_envelope(self.client, &mut params);
            // Nobody waits for the acknowledgement.
            self.client.link.send(Message::request(self.client.next_request_id(), "tasks/cancel", Some(params)));
        }
    }
}

/// Follows a task (`created`: a `CreateTaskResult`, or any object with `taskId`) to its end:
/// polls `tasks/get` at the suggested interval, answers its input requests with
/// `tasks/update`, and returns its result; a failed task is its error. Dropping the future
/// before the end cancels the task.
pub(super) async fn follow_task(client: &Client, created: &Value) -> Result<Value, ClientError> {
    let task_id = created["taskId"]
        .as_str()
        .ok_or_else(|| ClientError::Decode(format!("a task without a taskId: {created}")))?
        .to_owned();
    let mut guard = CancelOnDrop { client, task_id: Some(task_id.clone()) };
    tokio::time::sleep(poll_interval(created)).await;
    let outcome = loop {
        let task = client.request("tasks/get", json!({ "taskId": task_id })).await?;
        match task["status"].as_str().unwrap_or_default() {
            "completed" => break Ok(task.get("result").cloned().unwrap_or_else(|| json!({}))),
            "failed" => {
                let error = serde_json::from_value(task["error"].clone())
                    .unwrap_or_else(|_| ErrorObject::internal(format!("task {task_id} failed")));
                break Err(ClientError::Rpc(error));
            }
            "cancelled" => break Err(ClientError::Rpc(ErrorObject::internal(format!("task {task_id} was cancelled")))),
            "input_required" => {
                let responses = answer(client, &task["inputRequests"]).await?;
                client.request("tasks/update", json!({ "taskId": task_id, "inputResponses": responses })).await?;
                continue;
            }
            _ => {}
        }
        tokio::time::sleep(poll_interval(&task)).await;
    };
    guard.task_id = None;
    outcome
}

pub(super) fn poll_interval(task: &Value) -> Duration {
    task["pollIntervalMs"].as_u64().map_or(DEFAULT_POLL, Duration::from_millis).clamp(MIN_POLL, MAX_POLL)
}

/// The `x-mcp-header` arguments of a tool's input schema, as (path through `properties`,
/// header name), or why the schema breaks SEP-2243's rules: a header name that is empty, not
/// an RFC 9110 token, or used twice (case-insensitively); one on a property that is not a
/// string, integer or boolean; or one not reached through `properties` alone. A client on HTTP
/// drops such a tool.
pub(crate) fn param_headers(schema: &Value) -> Result<Vec<(Vec<String>, String)>, String> {
    fn is_token(s: &str) -> bool {
        !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&b))
    }
    fn walk(
        node: &Value,
        path: &mut Vec<String>,
        reachable: bool,
        out: &mut Vec<(Vec<String>, String)>,
    ) -> Result<(), String> {
        match node {
            Value::Object(m) => {
                if let Some(h) = m.get("x-mcp-header") {
                    let h =
                        h.as_str().filter(|h| is_token(h)).ok_or_else(|| format!("x-mcp-header {h} is not a token"))?;
                    if !reachable || path.is_empty() {
                        return Err(format!("x-mcp-header `{h}` is not on a property reached through `properties`"));
                    }
                    if !matches!(m.get("type").and_then(Value::as_str), Some("string" | "integer" | "boolean")) {
                        return Err(format!(
                            "x-mcp-header `{h}` is on a property that is not a string, integer or boolean"
                        ));
                    }
                    if out.iter().any(|(_, seen)| seen.eq_ignore_ascii_case(h)) {
                        return Err(format!("x-mcp-header `{h}` is used twice"));
                    }
                    out.push((path.clone(), h.to_owned()));
                }
                for (k, v) in m {
                    if k == "properties"
                        && let Value::Object(props) = v
                    {
                        for (name, prop) in props {
                            path.push(name.clone());
                            walk(prop, path, reachable, out)?;
                            path.pop();
                        }
                    } else if k != "x-mcp-header" {
                        // Under `items`, `oneOf`, `$defs`, ...: not a plain chain of properties.
                        walk(v, path, false, out)?;
                    }
                }
                Ok(())
            }
            Value::Array(a) => a.iter().try_for_each(|v| walk(v, path, false, out)),
            _ => Ok(()),
        }
    }
    let mut out = Vec::new();
    walk(schema, &mut Vec::new(), true, &mut out)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_arguments_follow_the_rules_of_sep_2243() {
        let ok = json!({"type": "object", "properties": {
            "region": {"type": "string", "x-mcp-header": "Region"},
            "opts": {"type": "object", "properties": {"n": {"type": "integer", "x-mcp-header": "N"}}},
        }});
        let found = param_headers(&ok).unwrap();
        assert_eq!(found.len(), 2);
        assert!(found.contains(&(vec!["region".into()], "Region".into())));
        assert!(found.contains(&(vec!["opts".into(), "n".into()], "N".into())));
        for bad in [
            json!({"properties": {"x": {"type": "number", "x-mcp-header": "X"}}}),
            json!({"properties": {"x": {"type": "string", "x-mcp-header": "bad header"}}}),
            json!({"properties": {"x": {"type": "string", "x-mcp-header": ""}}}),
            json!({"properties": {"a": {"type": "string", "x-mcp-header": "H"}, "b": {"type": "string", "x-mcp-header": "h"}}}),
            json!({"properties": {"l": {"type": "array", "items": {"type": "string", "x-mcp-header": "L"}}}}),
            json!({"properties": {"o": {"oneOf": [{"type": "string", "x-mcp-header": "O"}]}}}),
        ] {
            assert!(param_headers(&bad).is_err(), "{bad}");
        }
    }
}
