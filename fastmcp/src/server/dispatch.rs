//! The one dispatch every client request passes through, on every transport and revision.
//!
//! A request arrives parsed ([`ClientRequest`]) with its [`Revision`]. The revision decides
//! the peer a handler talks to, how a task is asked for, and how the result and errors are
//! shaped; which handler serves the request is decided here, once, for both revisions. This
//! is where middleware goes.

use super::Session;
use super::request::{CallTarget, ClientRequest, InputRound, RequestBody, Revision, TaskRequest};
use super::requester::requester;
use super::rev2026::{self, Ran, Rev2026Input, Rev2026Peer};
use crate::extract::{Call, Context, Peer, RequestCtx};
use crate::outbound::Outbound;
use crate::protocol::{ErrorObject, METHOD_NOT_FOUND, RESOURCE_NOT_FOUND, RequestId, quoted};
use crate::registry::{Prompt, Resource, TaskSupport, Tool};
use crate::sync::lock;
use crate::tasks::{self, Kind, TaskParams};
use serde_json::{Map, Value, json};
use std::future::Future;
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;
use tracing::Instrument;

/// How a call runs, as its revision asked for it.
enum TaskPlan {
    /// Now, answering with its result.
    Inline,
    /// As a task created at once (SEP-1686, 2025-11-25: the client asked with `task`).
    Requested(TaskParams),
    /// Inline until it first waits on something other than client input, then as a task
    /// (the 2026-07-28 tasks extension: the server decides).
    Escalating,
}

impl Session {
    /// Serves one parsed request. Returns the result (or error) its revision's client expects.
    /// Every request runs inside one `mcp.request` span (method, revision, id, session), the
    /// same on every transport.
    pub(crate) fn dispatch(
        self: Arc<Self>,
        revision: Revision,
        request: ClientRequest,
        out: Outbound,
        cancel: CancellationToken,
    ) -> impl Future<Output = Result<Value, ErrorObject>> + Send + 'static {
        let span = tracing::debug_span!(
            "mcp.request",
            method = %request.method,
            revision = revision.name(),
            id = %request.id,
            session = self.id(),
        );
        self.dispatch_request(revision, request, out, cancel).instrument(span)
    }

    async fn dispatch_request(
        self: Arc<Self>,
        revision: Revision,
        request: ClientRequest,
        out: Outbound,
        cancel: CancellationToken,
    ) -> Result<Value, ErrorObject> {
        let progress_token = request.progress_token();
        let ClientRequest { id, meta, body, .. } = request;
        let cacheable = matches!(body, RequestBody::Discover | RequestBody::List { .. });
        let result = match body {
            RequestBody::Initialize(params) => self.initialize(params),
            RequestBody::Ping => Ok(json!({})),
            RequestBody::Discover => Ok(self.discover()),
            RequestBody::List { kind, cursor } => self.list(kind, cursor.as_deref(), &revision),
            RequestBody::Call { target, input } => {
                let ctx = CallStart { id, meta, progress_token, out, cancel };
                self.call(&revision, ctx, target, input).await
            }
            RequestBody::Subscribe(uri) => self.subscribe(uri),
            RequestBody::Unsubscribe(uri) => {
                lock(&self.subscriptions).remove(&uri);
                Ok(json!({}))
            }
            RequestBody::SetLevel(level) => {
                lock(&self.state).log_level = Some(level);
                Ok(json!({}))
            }
            RequestBody::Complete(params) => {
                let (ctx, _) = self.context(&revision, CallStart { id, meta, progress_token, out, cancel }, Map::new());
                self.complete(params, ctx).await
            }
            // The stream's own closing result, not a shaped one.
            RequestBody::Listen(filter) => return self.listen(id, filter, out, cancel).await,
            RequestBody::Task(request) => self.task(&revision, request, out, cancel).await,
        };
        self.shape(&revision, result, cacheable)
    }

    /// Results and errors as the revision's client expects them.
    fn shape(
        &self,
        revision: &Revision,
        result: Result<Value, ErrorObject>,
        cacheable: bool,
    ) -> Result<Value, ErrorObject> {
        match revision {
            Revision::Rev2025 => result,
            Revision::Rev2026(_) => match result {
                Ok(mut value) => {
                    if cacheable {
                        value = rev2026::with_cache_hints(value);
                    }
                    let info = serde_json::to_value(&self.server.info).unwrap_or_default();
                    Ok(rev2026::shape_result(value, &info))
                }
                // -32002 is a 2025-11-25 code; this revision names a missing resource with -32602.
                Err(e) if e.code == RESOURCE_NOT_FOUND => {
                    Err(ErrorObject::invalid_params(e.message).with_data(e.data.unwrap_or_default()))
                }
                Err(e) => Err(e),
            },
        }
    }

    /// The context a handler gets: its peer is the session (2025-11-25) or the request
    /// (2026-07-28, with the input answered so far).
    fn context(
        self: &Arc<Self>,
        revision: &Revision,
        start: CallStart,
        answers: Map<String, Value>,
    ) -> (Context, Option<Arc<Rev2026Input>>) {
        let CallStart { id, meta, progress_token, out, cancel } = start;
        let (peer, input): (Arc<dyn Peer>, _) = match revision {
            Revision::Rev2025 => (Arc::new(super::peer::SessionPeer { session: self.clone(), out }), None),
            Revision::Rev2026(envelope) => {
                let (peer, input) = Rev2026Peer::new(self, out, envelope, answers);
                (peer, Some(input))
            }
        };
        let ctx = Context::new(RequestCtx {
            services: self.server.clone(),
            peer,
            request_id: Some(id),
            progress_token,
            meta,
            cancel,
            progress: Mutex::default(),
            run: None,
        });
        (ctx, input)
    }

    /// `tools/call`, `prompts/get`, `resources/read`: inline, as a task, or (2026-07-28)
    /// parked on input the client still has to give.
    async fn call(
        self: &Arc<Self>,
        revision: &Revision,
        start: CallStart,
        target: CallTarget,
        input: InputRound,
    ) -> Result<Value, ErrorObject> {
        let method = target.method();
        // 2026-07-28: the answers a retry brings, sealed to this exact call.
        let (answers, binding) = match revision {
            Revision::Rev2025 => (Map::new(), String::new()),
            Revision::Rev2026(_) => {
                let binding = match &target {
                    CallTarget::Tool { name, arguments, .. } | CallTarget::Prompt { name, arguments, .. } => {
                        rev2026::state_binding(name, arguments)
                    }
                    CallTarget::Resource { uri, .. } => rev2026::state_binding(uri, &Map::new()),
                };
                (rev2026::answers_of(self, &input, method, &binding)?, binding)
            }
        };
        let (ctx, rev2026_input) = self.context(revision, start, answers.clone());
        let handler = match target {
            CallTarget::Tool { name, arguments, task } => {
                let tool = crate::sync::read(&self.server.components).tools.get(&name).cloned();
                let tool =
                    tool.ok_or_else(|| ErrorObject::invalid_params(format!("Unknown tool: {}", quoted(&name))))?;
                match self.task_plan(revision, Kind::Tool, &name, tool.task, task)? {
                    TaskPlan::Inline => {}
                    TaskPlan::Requested(task) => {
                        let token = ctx.progress_token();
                        return tasks::create(&requester(self), Kind::Tool, name, arguments, task, token).await;
                    }
                    TaskPlan::Escalating => {
                        let input = rev2026_input
                            .ok_or_else(|| ErrorObject::internal("a task escalation outside 2026-07-28"))?;
                        return rev2026::tasks::call_tool_as_task(self, &ctx, &input, tool, arguments).await;
                    }
                }
                Handler::Tool(tool, arguments)
            }
            CallTarget::Prompt { name, arguments, task } => {
                let prompt = crate::sync::read(&self.server.components).prompts.get(&name).cloned();
                let prompt =
                    prompt.ok_or_else(|| ErrorObject::invalid_params(format!("Unknown prompt: {}", quoted(&name))))?;
                for (arg, _, required) in &prompt.arguments {
                    if *required && !arguments.contains_key(arg) {
                        return Err(ErrorObject::invalid_params(format!(
                            "missing required argument `{arg}` for prompt `{}`",
                            quoted(&name)
                        )));
                    }
                }
                if let TaskPlan::Requested(task) = self.task_plan(revision, Kind::Prompt, &name, prompt.task, task)? {
                    let (function, token) = (format!("prompt:{name}"), ctx.progress_token());
                    return tasks::create(&requester(self), Kind::Prompt, function, arguments, task, token).await;
                }
                Handler::Prompt(prompt, arguments)
            }
            CallTarget::Resource { uri, task } => {
                let found = crate::sync::read(&self.server.components).find_resource(&uri);
                let (resource, vars) = found.ok_or_else(|| ErrorObject::resource_not_found(&uri))?;
                if let TaskPlan::Requested(task) =
                    self.task_plan(revision, Kind::Resource, &uri, resource.task, task)?
                {
                    let (function, token) = (format!("resource:{uri}"), ctx.progress_token());
                    let args = Map::from_iter([("uri".into(), Value::from(uri))]);
                    return tasks::create(&requester(self), Kind::Resource, function, args, task, token).await;
                }
                Handler::Resource(resource, vars, uri)
            }
        };
        let cacheable = matches!(handler, Handler::Resource(..));
        let run = handler.run(ctx);
        let Some(input) = rev2026_input else {
            return run.await;
        };
        match rev2026::run_until_input(&input, run).await {
            Ran::Done(result) => {
                if let Some(required) = lock(&input.missing).clone() {
                    return Err(rev2026::missing_capability(required));
                }
                result.map(|r| if cacheable { rev2026::with_cache_hints(r) } else { r })
            }
            Ran::NeedsInput(requests) => Ok(self.input_required(method, &binding, requests, answers)),
        }
    }

    /// How a call runs. With tasks off, everything runs inline and task metadata is ignored.
    /// 2025-11-25 enforces `taskSupport` on what the client asked (-32601 for a required
    /// component called inline or a forbidden one called as a task); 2026-07-28 runs a
    /// task-capable tool as a task for a client that declared the extension (-32021 for a
    /// required one when it did not).
    fn task_plan(
        &self,
        revision: &Revision,
        kind: Kind,
        name: &str,
        support: TaskSupport,
        task: Option<TaskParams>,
    ) -> Result<TaskPlan, ErrorObject> {
        if !self.server.tasks.enabled {
            return Ok(TaskPlan::Inline);
        }
        match revision {
            Revision::Rev2025 => {
                let what = match kind {
                    Kind::Tool => "Tool",
                    Kind::Prompt => "Prompt",
                    Kind::Resource => "Resource",
                };
                match (support, task) {
                    (TaskSupport::Forbidden, Some(_)) => Err(ErrorObject::new(
                        METHOD_NOT_FOUND,
                        format!("{what} {name} does not support task-augmented execution (taskSupport: 'forbidden')"),
                    )),
                    (TaskSupport::Required, None) => Err(ErrorObject::new(
                        METHOD_NOT_FOUND,
                        format!("{what} {name} requires task augmentation (taskSupport: 'required')"),
                    )),
                    (_, Some(task)) => Ok(TaskPlan::Requested(task)),
                    (_, None) => Ok(TaskPlan::Inline),
                }
            }
            // The tasks extension covers tools only.
            Revision::Rev2026(_) if kind != Kind::Tool => Ok(TaskPlan::Inline),
            Revision::Rev2026(envelope) => match support {
                TaskSupport::Forbidden => Ok(TaskPlan::Inline),
                _ if envelope.declares_tasks() => Ok(TaskPlan::Escalating),
                TaskSupport::Required => {
                    Err(rev2026::missing_capability(json!({ "extensions": { rev2026::TASKS_EXTENSION: {} } })))
                }
                TaskSupport::Optional => Ok(TaskPlan::Inline),
            },
        }
    }

    /// The `tasks/*` methods: SEP-1686 on 2025-11-25, the tasks extension on 2026-07-28.
    async fn task(
        self: &Arc<Self>,
        revision: &Revision,
        request: TaskRequest,
        out: Outbound,
        cancel: CancellationToken,
    ) -> Result<Value, ErrorObject> {
        if let Revision::Rev2026(_) = revision {
            return rev2026::tasks::handle(self, request).await;
        }
        let requester = requester(self);
        match request {
            TaskRequest::Get(id) => tasks::get(&requester, &id).await,
            TaskRequest::Result(id) => tasks::result(&requester, &id, out, cancel).await,
            TaskRequest::List(cursor) => tasks::list(&requester, cursor.as_deref(), self.server.page_size).await,
            TaskRequest::Cancel(id) => tasks::cancel(&requester, &id).await,
            TaskRequest::Update { .. } => Err(ErrorObject::method_not_found("tasks/update")),
        }
    }
}

/// The component a call runs, found and checked.
enum Handler {
    Tool(Arc<Tool>, Map<String, Value>),
    Prompt(Prompt, Map<String, Value>),
    Resource(Resource, Map<String, Value>, String),
}

impl Handler {
    async fn run(self, ctx: Context) -> Result<Value, ErrorObject> {
        match self {
            Handler::Tool(tool, arguments) => result_json(&tool.call(Call::new(arguments, None, ctx)).await?),
            Handler::Prompt(prompt, arguments) => result_json(&prompt.call(Call::new(arguments, None, ctx)).await?),
            Handler::Resource(resource, vars, uri) => {
                result_json(&resource.call(Call::new(vars, Some(uri), ctx)).await?)
            }
        }
    }
}

/// What a handler's context is made of.
struct CallStart {
    id: RequestId,
    meta: Option<Map<String, Value>>,
    progress_token: Option<Value>,
    out: Outbound,
    cancel: CancellationToken,
}

/// A handler's result as JSON, within `bounded_json`'s depth; -32603 saying why otherwise.
pub(crate) fn result_json<T: serde::Serialize>(v: &T) -> Result<Value, ErrorObject> {
    crate::bounded_json::to_value(v).map_err(|e| ErrorObject::internal(format!("result could not be serialized: {e}")))
}
