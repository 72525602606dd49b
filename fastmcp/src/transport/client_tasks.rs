//! MCP tasks from the client side: a request made as a task answers at once with a task, and
//! a [`TaskHandle`] follows it: status, progress, result, cancel. On 2025-11-25 these are the
//! core tasks of SEP-1686 (the client asks with `params.task`); on 2026-07-28 the tasks
//! extension, where the server alone decides whether a `tools/call` becomes a task, and the
//! result is polled with `tasks/get` (input answered with `tasks/update`).

use super::client::{Client, ClientError};
use crate::protocol::{CallToolResult, GetPromptResult, ReadResourceResult};
use serde::Deserialize;
use serde_json::{Value, json};
use std::time::Duration;

/// How long to wait before asking again when the server says `tasks/result` may be retried
/// (its store was briefly unavailable) and gives no poll interval.
const RETRY_DELAY: Duration = Duration::from_millis(200);

/// A task as `tasks/get` (and the creating request) report it.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    /// The task id.
    pub task_id: String,
    /// `working`, `input_required`, `completed`, `failed` or `cancelled`.
    pub status: String,
    /// What the server says about the status (a failure's reason...).
    #[serde(default)]
    pub status_message: Option<String>,
    /// When it was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When its status last changed (ISO 8601).
    #[serde(default)]
    pub last_updated_at: Option<String>,
    /// How long the server keeps it after creation, in milliseconds (`None`: unlimited);
    /// `ttlMs` on 2026-07-28.
    #[serde(default, alias = "ttlMs")]
    pub ttl: Option<u64>,
    /// How often the server suggests polling, in milliseconds; `pollIntervalMs` on 2026-07-28.
    #[serde(default, alias = "pollIntervalMs")]
    pub poll_interval: Option<u64>,
}

impl TaskStatus {
    /// Whether the task has ended (`completed`, `failed` or `cancelled`).
    pub fn is_terminal(&self) -> bool {
        matches!(self.status.as_str(), "completed" | "failed" | "cancelled")
    }
}

/// A task the client created; see [`Client::call_tool_as_task`].
pub struct TaskHandle<'c> {
    client: &'c Client,
    created: TaskStatus,
    progress_token: Value,
    /// On 2026-07-28, the result when the server answered at once instead of creating a task.
    inline: Option<Value>,
}

impl std::fmt::Debug for TaskHandle<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TaskHandle")
            .field("created", &self.created)
            .field("progress_token", &self.progress_token)
            .finish()
    }
}

impl TaskHandle<'_> {
    /// The task id (empty when a 2026-07-28 server answered at once; see
    /// [`TaskHandle::ran_inline`]).
    pub fn id(&self) -> &str {
        &self.created.task_id
    }

    /// Whether the server answered at once rather than creating a task (2026-07-28, where the
    /// server decides): [`TaskHandle::result`] then returns that answer.
    pub fn ran_inline(&self) -> bool {
        self.inline.is_some()
    }

    /// The task as the creating request reported it.
    pub fn created(&self) -> &TaskStatus {
        &self.created
    }

    /// The progress token of the creating request: `notifications/progress` carrying it (see
    /// [`Client::next_notification`]) report this task's progress.
    pub fn progress_token(&self) -> &Value {
        &self.progress_token
    }

    /// `tasks/get`: the task now.
    pub async fn status(&self) -> Result<TaskStatus, ClientError> {
        if self.inline.is_some() {
            return Ok(self.created.clone());
        }
        self.client.get_task(self.id()).await
    }

    /// Waits until the task ends and returns the result of the request it ran (a failed
    /// tool's result has `isError`; a task that failed otherwise is an error): `tasks/result`
    /// on 2025-11-25; on 2026-07-28 `tasks/get` at the suggested interval, answering input
    /// requests with the client's handler (`tasks/update`).
    pub async fn result(&self) -> Result<Value, ClientError> {
        if let Some(v) = &self.inline {
            return Ok(v.clone());
        }
        if self.client.is_rev2026() {
            let created = json!({ "taskId": self.id(), "pollIntervalMs": self.created.poll_interval });
            return super::client_rev2026::follow_task(self.client, &created).await;
        }
        self.client.task_result(self.id()).await
    }

    /// [`TaskHandle::result`] of a `tools/call` task.
    pub async fn tool_result(&self) -> Result<CallToolResult, ClientError> {
        decode(self.result().await?)
    }

    /// [`TaskHandle::result`] of a `prompts/get` task.
    pub async fn prompt_result(&self) -> Result<GetPromptResult, ClientError> {
        decode(self.result().await?)
    }

    /// [`TaskHandle::result`] of a `resources/read` task.
    pub async fn resource_result(&self) -> Result<ReadResourceResult, ClientError> {
        decode(self.result().await?)
    }

    /// `tasks/cancel`: the task as it is after cancelling.
    pub async fn cancel(&self) -> Result<TaskStatus, ClientError> {
        if self.inline.is_some() {
            return Ok(self.created.clone());
        }
        self.client.cancel_task(self.id()).await
    }
}

fn decode<T: serde::de::DeserializeOwned>(v: Value) -> Result<T, ClientError> {
    serde_json::from_value(v).map_err(|e| ClientError::Decode(e.to_string()))
}

impl Client {
    /// Sends `method` as a task (`params.task`, with `ttl` when given) and returns its handle.
    /// The request carries a progress token unless `params._meta` already has one. The server
    /// must accept tasks for the request (its `tasks.requests` capability, and for a tool its
    /// `execution.taskSupport`); a server that ran it inline is a [`ClientError::Decode`].
    pub async fn request_as_task(
        &self,
        method: &str,
        mut params: Value,
        ttl: Option<Duration>,
    ) -> Result<TaskHandle<'_>, ClientError> {
        let Some(p) = params.as_object_mut() else {
            return Err(ClientError::Decode("the params of a task request must be an object".into()));
        };
        // On 2026-07-28 the server decides; the `task` param would be ignored.
        if !self.is_rev2026() {
            let task = match ttl {
                Some(ttl) => json!({ "ttl": u64::try_from(ttl.as_millis()).unwrap_or(u64::MAX) }),
                None => json!({}),
            };
            p.insert("task".into(), task);
        }
        let meta = p.entry("_meta").or_insert_with(|| json!({}));
        let progress_token = match meta.get("progressToken") {
            Some(t) => t.clone(),
            None => {
                let token = Value::from(format!("fastmcp-task-{}", self.next_request_id()));
                if let Some(m) = meta.as_object_mut() {
                    m.insert("progressToken".into(), token.clone());
                }
                token
            }
        };
        let answer = self.request(method, params).await?;
        if self.is_rev2026() {
            if answer["resultType"] == "task" {
                return Ok(TaskHandle { client: self, created: decode(answer)?, progress_token, inline: None });
            }
            let created = TaskStatus { status: "completed".into(), ..TaskStatus::default() };
            return Ok(TaskHandle { client: self, created, progress_token, inline: Some(answer) });
        }
        let created = answer.get("task").cloned().ok_or_else(|| {
            ClientError::Decode(format!("`{method}` was answered without a task (the server ran it inline): {answer}"))
        })?;
        Ok(TaskHandle { client: self, created: decode(created)?, progress_token, inline: None })
    }

    /// Calls a tool as a task; see [`Client::request_as_task`].
    pub async fn call_tool_as_task(
        &self,
        name: &str,
        arguments: Value,
        ttl: Option<Duration>,
    ) -> Result<TaskHandle<'_>, ClientError> {
        self.request_as_task("tools/call", json!({ "name": name, "arguments": arguments }), ttl).await
    }

    /// `tasks/get`.
    pub async fn get_task(&self, task_id: &str) -> Result<TaskStatus, ClientError> {
        decode(self.request("tasks/get", json!({ "taskId": task_id })).await?)
    }

    /// `tasks/cancel` (on 2026-07-28, where it answers an empty acknowledgement, followed by
    /// `tasks/get`).
    pub async fn cancel_task(&self, task_id: &str) -> Result<TaskStatus, ClientError> {
        let answer = self.request("tasks/cancel", json!({ "taskId": task_id })).await?;
        if self.is_rev2026() {
            return self.get_task(task_id).await;
        }
        decode(answer)
    }

    /// `tasks/list`, every page.
    pub async fn list_tasks(&self) -> Result<Vec<TaskStatus>, ClientError> {
        self.list_all("tasks/list", "tasks").await?.into_iter().map(decode).collect()
    }

    /// `tasks/result`: waits until the task ends. When the server gives up waiting first, or
    /// its store is briefly unavailable (an error with `data.retryable`), it asks again.
    pub async fn task_result(&self, task_id: &str) -> Result<Value, ClientError> {
        loop {
            match self.request("tasks/result", json!({ "taskId": task_id })).await {
                Err(ClientError::Rpc(e)) if e.data.as_ref().is_some_and(|d| d["retryable"] == true) => {
                    tokio::time::sleep(RETRY_DELAY).await;
                }
                other => return other,
            }
        }
    }
}
