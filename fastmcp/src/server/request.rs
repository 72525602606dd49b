//! One typed parse of each client request, for every revision.
//!
//! A request is read once, here: its revision (from `_meta`), whether that revision has the
//! method, and its params as typed values. The dispatcher (`dispatch.rs`) only ever sees a
//! [`ClientRequest`]; a malformed request is answered from here, before any work is spawned.

use crate::protocol::{ErrorObject, LoggingLevel, Request, RequestId, parse_params};
use crate::server::rev2026::{self, Envelope};
use crate::tasks::TaskParams;
use serde::Deserialize;
use serde_json::{Map, Value};

/// The revision a request is served under. It decides the envelope, which methods exist, how a
/// task is asked for, and how results and errors are shaped; never a second dispatcher.
pub(crate) enum Revision {
    /// 2025-11-25 and older: the client's version and capabilities come from `initialize`.
    Rev2025,
    /// 2026-07-28: every request carries its own envelope in `_meta`.
    Rev2026(Envelope),
}

impl Revision {
    /// The revision a request claims: 2026-07-28 when its `_meta` names a protocol version
    /// (which must then be complete and one this server speaks), 2025-11-25 otherwise.
    pub(crate) fn of(params: Option<&Value>) -> Result<Revision, ErrorObject> {
        if rev2026::claimed_version(params).is_none() {
            return Ok(Revision::Rev2025);
        }
        let envelope = rev2026::envelope(params)?;
        rev2026::check_version(&envelope)?;
        Ok(Revision::Rev2026(envelope))
    }

    /// The revision's name (its date).
    pub(crate) fn name(&self) -> &'static str {
        match self {
            Revision::Rev2025 => crate::protocol::LATEST_PROTOCOL_VERSION,
            Revision::Rev2026(_) => rev2026::REV2026_VERSION,
        }
    }
}

/// A client request, parsed.
pub(crate) struct ClientRequest {
    /// The JSON-RPC id.
    pub id: RequestId,
    /// The method, as the client named it.
    pub method: String,
    /// The request's `_meta` (progress token, envelope keys, anything else the client sent).
    pub meta: Option<Map<String, Value>>,
    /// What is asked.
    pub body: RequestBody,
}

/// What a client request asks for, with its params typed.
pub(crate) enum RequestBody {
    Initialize(InitializeParams),
    Ping,
    Discover,
    List { kind: ListKind, cursor: Option<String> },
    Call { target: CallTarget, input: InputRound },
    Subscribe(String),
    Unsubscribe(String),
    SetLevel(LoggingLevel),
    Complete(CompleteParams),
    Listen(ListenFilter),
    Task(TaskRequest),
}

impl RequestBody {
    /// Cheap and synchronous: answered without spawning (initialize must also complete before
    /// anything else on the connection).
    pub(crate) fn is_inline(&self) -> bool {
        matches!(self, RequestBody::Initialize(_) | RequestBody::Ping)
    }

    /// `subscriptions/listen` lasts as long as the client keeps it (no request timeout).
    pub(crate) fn is_stream(&self) -> bool {
        matches!(self, RequestBody::Listen(_))
    }
}

/// The four list methods.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum ListKind {
    Tools,
    Prompts,
    Resources,
    ResourceTemplates,
}

impl ListKind {
    /// The key of the list in the result.
    pub(crate) fn key(self) -> &'static str {
        match self {
            ListKind::Tools => "tools",
            ListKind::Prompts => "prompts",
            ListKind::Resources => "resources",
            ListKind::ResourceTemplates => "resourceTemplates",
        }
    }
}

/// What a call runs: a tool, a prompt or a resource.
pub(crate) enum CallTarget {
    Tool { name: String, arguments: Map<String, Value>, task: Option<TaskParams> },
    Prompt { name: String, arguments: Map<String, Value>, task: Option<TaskParams> },
    Resource { uri: String, task: Option<TaskParams> },
}

impl CallTarget {
    /// The method that asked for it (`requestState` is bound to it).
    pub(crate) fn method(&self) -> &'static str {
        match self {
            CallTarget::Tool { .. } => "tools/call",
            CallTarget::Prompt { .. } => "prompts/get",
            CallTarget::Resource { .. } => "resources/read",
        }
    }
}

/// The multi round-trip part of a 2026-07-28 call (SEP-2322): answers so far.
#[derive(Default)]
pub(crate) struct InputRound {
    pub input_responses: Option<Value>,
    pub request_state: Option<Value>,
}

/// `initialize` params.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct InitializeParams {
    pub protocol_version: String,
    #[serde(default)]
    pub capabilities: Value,
    pub client_info: Option<crate::protocol::Implementation>,
}

/// `completion/complete` params.
#[derive(Deserialize)]
pub(crate) struct CompleteParams {
    #[serde(rename = "ref")]
    pub reference: CompletionRef,
    pub argument: CompletionArgument,
    #[serde(default)]
    pub context: Option<CompletionContext>,
}

/// What a completion is for.
#[derive(Deserialize)]
pub(crate) struct CompletionRef {
    #[serde(rename = "type")]
    pub kind: String,
    pub name: Option<String>,
    pub uri: Option<String>,
}

/// The argument being completed.
#[derive(Deserialize)]
pub(crate) struct CompletionArgument {
    pub name: String,
    pub value: String,
}

/// Arguments already given, for completers that depend on them.
#[derive(Deserialize, Default)]
pub(crate) struct CompletionContext {
    #[serde(default)]
    pub arguments: Map<String, Value>,
}

/// `subscriptions/listen` filter (2026-07-28).
#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
pub(crate) struct ListenFilter {
    #[serde(default)]
    pub tools_list_changed: bool,
    #[serde(default)]
    pub prompts_list_changed: bool,
    #[serde(default)]
    pub resources_list_changed: bool,
    #[serde(default)]
    pub resource_subscriptions: Vec<String>,
    #[serde(default)]
    pub task_ids: Vec<String>,
}

/// The `tasks/*` methods of either revision (SEP-1686 on 2025-11-25, the tasks extension on
/// 2026-07-28).
pub(crate) enum TaskRequest {
    Get(String),
    Result(String),
    List(Option<String>),
    Cancel(String),
    Update { task_id: String, input_responses: Option<Map<String, Value>> },
}

/// Whether `method` exists in `revision` (tasks methods only with tasks on; the 2026 ones only
/// for a client that declared the extension: -32021 otherwise).
fn check_method(method: &str, revision: &Revision, tasks_enabled: bool) -> Result<(), ErrorObject> {
    let common = matches!(
        method,
        "tools/list"
            | "tools/call"
            | "prompts/list"
            | "prompts/get"
            | "resources/list"
            | "resources/templates/list"
            | "resources/read"
            | "completion/complete"
    );
    let known = common
        || match revision {
            Revision::Rev2025 => {
                matches!(
                    method,
                    "initialize" | "ping" | "resources/subscribe" | "resources/unsubscribe" | "logging/setLevel"
                ) || (tasks_enabled && matches!(method, "tasks/get" | "tasks/result" | "tasks/list" | "tasks/cancel"))
            }
            Revision::Rev2026(envelope) => {
                if matches!(method, "server/discover" | "subscriptions/listen") {
                    true
                } else if tasks_enabled && matches!(method, "tasks/get" | "tasks/update" | "tasks/cancel") {
                    if !envelope.declares_tasks() {
                        return Err(rev2026::tasks::requires_extension());
                    }
                    true
                } else {
                    false
                }
            }
        };
    if known { Ok(()) } else { Err(ErrorObject::method_not_found(method)) }
}

impl ClientRequest {
    /// Parses `request` under `revision`: -32601 for a method the revision does not have,
    /// -32602 for params that do not fit.
    pub(crate) fn parse(request: Request, revision: &Revision, tasks_enabled: bool) -> Result<Self, ErrorObject> {
        let Request { id, method, params } = request;
        check_method(&method, revision, tasks_enabled)?;
        let meta = params.as_ref().and_then(|p| p.get("_meta")).and_then(Value::as_object).cloned();
        let body = parse_body(&method, params)?;
        Ok(ClientRequest { id, method, meta, body })
    }

    /// The progress token of the request, if it asked for progress.
    pub(crate) fn progress_token(&self) -> Option<Value> {
        self.meta
            .as_ref()
            .and_then(|m| m.get("progressToken"))
            .filter(|t| t.is_string() || t.is_i64() || t.is_u64())
            .cloned()
    }
}

/// `params` without its `arguments` object, and that object. Anything else under `arguments`
/// stays where it is, so that decoding the params refuses it with the usual message.
fn take_arguments(params: Option<Value>) -> (Option<Value>, Option<Map<String, Value>>) {
    match params {
        Some(Value::Object(mut params)) => match params.remove("arguments") {
            Some(Value::Object(arguments)) => (Some(Value::Object(params)), Some(arguments)),
            Some(other) => {
                params.insert("arguments".to_owned(), other);
                (Some(Value::Object(params)), None)
            }
            None => (Some(Value::Object(params)), None),
        },
        params => (params, None),
    }
}

fn parse_body(method: &str, params: Option<Value>) -> Result<RequestBody, ErrorObject> {
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Named {
        name: String,
        #[serde(default)]
        arguments: Option<Map<String, Value>>,
        #[serde(default)]
        task: Option<TaskParams>,
        #[serde(default)]
        input_responses: Option<Value>,
        #[serde(default)]
        request_state: Option<Value>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Uri {
        uri: String,
        #[serde(default)]
        task: Option<TaskParams>,
        #[serde(default)]
        input_responses: Option<Value>,
        #[serde(default)]
        request_state: Option<Value>,
    }
    #[derive(Deserialize)]
    struct Paged {
        cursor: Option<String>,
    }
    #[derive(Deserialize)]
    struct Level {
        level: LoggingLevel,
    }
    #[derive(Deserialize)]
    struct Listen {
        #[serde(default)]
        notifications: Option<ListenFilter>,
    }
    #[derive(Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct TaskId {
        task_id: String,
        #[serde(default)]
        input_responses: Option<Map<String, Value>>,
    }
    // Absent params parse as `{}` (no cursor).
    let list = |kind, params| -> Result<RequestBody, ErrorObject> {
        Ok(RequestBody::List { kind, cursor: parse_params::<Paged>(params)?.cursor })
    };
    let task_id = |params| -> Result<String, ErrorObject> { Ok(parse_params::<TaskId>(params)?.task_id) };
    Ok(match method {
        "initialize" => RequestBody::Initialize(parse_params(params)?),
        "ping" => RequestBody::Ping,
        "server/discover" => RequestBody::Discover,
        "tools/list" => list(ListKind::Tools, params)?,
        "prompts/list" => list(ListKind::Prompts, params)?,
        "resources/list" => list(ListKind::Resources, params)?,
        "resources/templates/list" => list(ListKind::ResourceTemplates, params)?,
        "tools/call" | "prompts/get" => {
            // The arguments object is moved out, not decoded from a borrow (a deep copy, and
            // the original dropped after it); the rest of the params is a few short strings.
            let (params, taken) = take_arguments(params);
            let p: Named = parse_params(params)?;
            let arguments = taken.or(p.arguments).unwrap_or_default();
            let target = if method == "tools/call" {
                CallTarget::Tool { name: p.name, arguments, task: p.task }
            } else {
                CallTarget::Prompt { name: p.name, arguments, task: p.task }
            };
            RequestBody::Call {
                target,
                input: InputRound { input_responses: p.input_responses, request_state: p.request_state },
            }
        }
        "resources/read" => {
            let p: Uri = parse_params(params)?;
            RequestBody::Call {
                target: CallTarget::Resource { uri: p.uri, task: p.task },
                input: InputRound { input_responses: p.input_responses, request_state: p.request_state },
            }
        }
        "resources/subscribe" => RequestBody::Subscribe(parse_params::<Uri>(params)?.uri),
        "resources/unsubscribe" => RequestBody::Unsubscribe(parse_params::<Uri>(params)?.uri),
        "logging/setLevel" => RequestBody::SetLevel(parse_params::<Level>(params)?.level),
        "completion/complete" => RequestBody::Complete(parse_params(params)?),
        "subscriptions/listen" => {
            RequestBody::Listen(parse_params::<Listen>(params)?.notifications.unwrap_or_default())
        }
        "tasks/get" => RequestBody::Task(TaskRequest::Get(task_id(params)?)),
        "tasks/result" => RequestBody::Task(TaskRequest::Result(task_id(params)?)),
        "tasks/cancel" => RequestBody::Task(TaskRequest::Cancel(task_id(params)?)),
        "tasks/list" => RequestBody::Task(TaskRequest::List(parse_params::<Paged>(params)?.cursor)),
        "tasks/update" => {
            let p: TaskId = parse_params(params)?;
            RequestBody::Task(TaskRequest::Update { task_id: p.task_id, input_responses: p.input_responses })
        }
        other => return Err(ErrorObject::method_not_found(other)),
    })
}
