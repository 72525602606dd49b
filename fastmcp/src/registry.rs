//! Components: the compile-time registry the macros fill, and the runtime form a server serves.
//!
//! `#[tool]`, `#[prompt]` and `#[resource]` each add a `'static` definition to a linkme
//! distributed slice. The server and the task worker read the same slices, so any process that
//! links the code can execute any component by name.

use crate::extract::Call;
use crate::protocol::{CallToolResult, ErrorObject, GetPromptResult, ReadResourceResult};
use crate::uri_template::UriTemplate;
use serde_json::{Map, Value, json};
use std::any::TypeId;
use std::future::Future;
use std::sync::{Arc, OnceLock};

pub use crate::sync::BoxFuture;

mod component_fn;
#[cfg(feature = "validation")]
mod validation;

pub use component_fn::ComponentFn;

/// The message a panic carried (`panic!("...")` or a formatted one).
pub(crate) fn panic_message(payload: &(dyn std::any::Any + Send)) -> &str {
    payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or("<non-string panic payload>")
}

/// Isolates a handler: a panic while building or polling its future is caught, logged (the
/// panic hook has already printed its location to stderr), and answered with `on_panic`, so
/// the request still gets an answer and its slot is freed.
fn guarded<T: Send + 'static>(
    kind: &'static str,
    name: &str,
    start: impl FnOnce() -> BoxFuture<Result<T, ErrorObject>>,
    on_panic: fn(&str) -> Result<T, ErrorObject>,
) -> BoxFuture<Result<T, ErrorObject>> {
    use futures::FutureExt;
    use std::panic::AssertUnwindSafe;
    // Handlers own their inputs and are dropped after a panic, so no broken state is observed.
    let fut = match std::panic::catch_unwind(AssertUnwindSafe(start)) {
        Ok(fut) => fut,
        Err(payload) => {
            tracing::error!(kind, name, panic = panic_message(&*payload), "handler panicked");
            return Box::pin(std::future::ready(on_panic(name)));
        }
    };
    // One copy of the name per call, for the (rare) panic report.
    let name = name.to_owned();
    Box::pin(async move {
        match AssertUnwindSafe(fut).catch_unwind().await {
            Ok(outcome) => outcome,
            Err(payload) => {
                tracing::error!(kind, name = %name, panic = panic_message(&*payload), "handler panicked");
                on_panic(&name)
            }
        }
    })
}

/// Every `#[tool]` of the binary (filled at link time).
#[linkme::distributed_slice]
pub static TOOLS: [ToolDef];
/// Every `#[prompt]` of the binary.
#[linkme::distributed_slice]
pub static PROMPTS: [PromptDef];
/// Every `#[resource]` of the binary.
#[linkme::distributed_slice]
pub static RESOURCES: [ResourceDef];

/// Whether a component may (or must) run as an MCP task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TaskSupport {
    #[default]
    /// Never runs as a task (the default).
    Forbidden,
    /// Runs as a task when the client asks for one.
    Optional,
    /// Only runs as a task.
    Required,
}

impl TaskSupport {
    /// The wire form (`forbidden`, `optional`, `required`).
    pub fn as_str(self) -> &'static str {
        match self {
            TaskSupport::Forbidden => "forbidden",
            TaskSupport::Optional => "optional",
            TaskSupport::Required => "required",
        }
    }
}

/// Tool annotations: hints for clients, never trusted for security.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ToolAnnotations {
    /// A human-readable title, for display.
    pub title: Option<&'static str>,
    /// It does not modify its environment.
    pub read_only: Option<bool>,
    /// It may destroy data (meaningful when not read-only).
    pub destructive: Option<bool>,
    /// Calling it again with the same arguments has no further effect.
    pub idempotent: Option<bool>,
    /// It reaches outside the server (web, other systems).
    pub open_world: Option<bool>,
}

impl ToolAnnotations {
    fn to_json(self) -> Option<Value> {
        let mut m = Map::new();
        let mut put = |k: &str, v: Option<Value>| {
            if let Some(v) = v {
                m.insert(k.to_owned(), v);
            }
        };
        put("title", self.title.map(Value::from));
        put("readOnlyHint", self.read_only.map(Value::from));
        put("destructiveHint", self.destructive.map(Value::from));
        put("idempotentHint", self.idempotent.map(Value::from));
        put("openWorldHint", self.open_world.map(Value::from));
        (!m.is_empty()).then_some(Value::Object(m))
    }
}

/// A tool handler the macro generates.
pub type ToolHandlerFn = fn(Call) -> BoxFuture<Result<CallToolResult, ErrorObject>>;
/// A prompt handler the macro generates.
pub type PromptHandlerFn = fn(Call) -> BoxFuture<Result<GetPromptResult, ErrorObject>>;
/// A resource handler the macro generates.
pub type ResourceHandlerFn = fn(Call) -> BoxFuture<Result<ReadResourceResult, ErrorObject>>;
/// A completion hook the macro generates: the call (context, the arguments already given) and
/// the partial value typed so far -> suggestions.
pub type CompleteFn = fn(Call, String) -> BoxFuture<Vec<String>>;

/// What `#[tool]` registers.
pub struct ToolDef {
    /// The name.
    pub name: &'static str,
    /// A human-readable title, for display.
    pub title: Option<&'static str>,
    /// A description, for the model and for people.
    pub description: Option<&'static str>,
    /// The JSON Schema of the arguments.
    pub input_schema: fn() -> Value,
    /// The JSON Schema of the structured result, if any.
    pub output_schema: fn() -> Option<Value>,
    /// Hints for the client about how to use or show it.
    pub annotations: ToolAnnotations,
    /// Tags, for `include_tags` / `exclude_tags`.
    pub tags: &'static [&'static str],
    /// The `_meta` object (extension data).
    pub meta: fn() -> Option<Value>,
    /// Whether it may, or must, run as an MCP task.
    pub task: TaskSupport,
    /// The handler the macro generated.
    pub handler: ToolHandlerFn,
    /// The `TypeId` of the annotated function item, so `.tool(add)` can find this definition.
    pub type_id: fn() -> TypeId,
    /// The shared state its extractors need (`State<T>`): type and name.
    pub states: fn() -> Vec<(TypeId, &'static str)>,
    /// Listing fields beyond the common ones: `icons`, and for resources `annotations`, `size`.
    pub listing_extra: fn() -> Option<Value>,
}

/// One declared prompt argument.
pub struct PromptArgDef {
    /// The name.
    pub name: &'static str,
    /// A description, for the model and for people.
    pub description: Option<&'static str>,
    /// Whether the argument must be given.
    pub required: bool,
    /// Whether the parameter is an argument (listed) rather than an extractor (filled from the
    /// call); decided by its type.
    pub is_argument: fn() -> bool,
}

/// What `#[prompt]` registers.
pub struct PromptDef {
    /// The name.
    pub name: &'static str,
    /// A human-readable title, for display.
    pub title: Option<&'static str>,
    /// A description, for the model and for people.
    pub description: Option<&'static str>,
    /// The arguments: (name, description, required).
    pub arguments: &'static [PromptArgDef],
    /// Tags, for `include_tags` / `exclude_tags`.
    pub tags: &'static [&'static str],
    /// The `_meta` object (extension data).
    pub meta: fn() -> Option<Value>,
    /// Whether it may, or must, run as an MCP task.
    pub task: TaskSupport,
    /// Completion providers, by argument name.
    pub completions: &'static [(&'static str, CompleteFn)],
    /// The handler the macro generated.
    pub handler: PromptHandlerFn,
    /// The `TypeId` of the annotated function item (how `.tool(f)` finds it).
    pub type_id: fn() -> TypeId,
    /// The shared state its extractors need (`State<T>`): type and name.
    pub states: fn() -> Vec<(TypeId, &'static str)>,
    /// Listing fields beyond the common ones: `icons`, and for resources `annotations`, `size`.
    pub listing_extra: fn() -> Option<Value>,
}

/// What `#[resource("scheme://...")]` registers: a static resource, or a template when the URI
/// has `{variables}`.
pub struct ResourceDef {
    /// The URI.
    pub uri: &'static str,
    /// The name.
    pub name: &'static str,
    /// A human-readable title, for display.
    pub title: Option<&'static str>,
    /// A description, for the model and for people.
    pub description: Option<&'static str>,
    /// The MIME type.
    pub mime_type: Option<&'static str>,
    /// Tags, for `include_tags` / `exclude_tags`.
    pub tags: &'static [&'static str],
    /// The `_meta` object (extension data).
    pub meta: fn() -> Option<Value>,
    /// Whether it may, or must, run as an MCP task.
    pub task: TaskSupport,
    /// Completion providers, by argument name.
    pub completions: &'static [(&'static str, CompleteFn)],
    /// The handler the macro generated.
    pub handler: ResourceHandlerFn,
    /// The `TypeId` of the annotated function item (how `.tool(f)` finds it).
    pub type_id: fn() -> TypeId,
    /// The shared state its extractors need (`State<T>`): type and name.
    pub states: fn() -> Vec<(TypeId, &'static str)>,
    /// Listing fields beyond the common ones: `icons`, and for resources `annotations`, `size`.
    pub listing_extra: fn() -> Option<Value>,
}

/// Adds the fields of `extra` that the listing does not already have.
fn merge_extra(listing: &mut Map<String, Value>, extra: &Option<Value>) {
    if let Some(Value::Object(extra)) = extra {
        for (k, v) in extra {
            listing.entry(k.clone()).or_insert_with(|| v.clone());
        }
    }
}

fn meta_with_tags(meta: Option<Value>, tags: &[String]) -> Option<Value> {
    if tags.is_empty() {
        return meta;
    }
    let mut m = match meta {
        Some(Value::Object(m)) => m,
        _ => Map::new(),
    };
    m.insert("fastmcp".into(), json!({ "tags": tags }));
    Some(Value::Object(m))
}

type DynToolHandler = Arc<dyn Fn(Call) -> BoxFuture<Result<CallToolResult, ErrorObject>> + Send + Sync>;
type DynPromptHandler = Arc<dyn Fn(Call) -> BoxFuture<Result<GetPromptResult, ErrorObject>> + Send + Sync>;
type DynResourceHandler = Arc<dyn Fn(Call) -> BoxFuture<Result<ReadResourceResult, ErrorObject>> + Send + Sync>;

/// A tool as a server serves it (possibly renamed by `mount`).
#[derive(Clone)]
pub struct Tool {
    /// The name.
    pub name: String,
    /// A human-readable title, for display.
    pub title: Option<String>,
    /// A description, for the model and for people.
    pub description: Option<String>,
    input_schema: Arc<dyn Fn() -> Value + Send + Sync>,
    output_schema: Arc<dyn Fn() -> Option<Value> + Send + Sync>,
    /// Hints for the client about how to use or show it.
    pub annotations: ToolAnnotations,
    /// Tags, for `include_tags` / `exclude_tags`.
    pub tags: Vec<String>,
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
    /// Whether it may, or must, run as an MCP task.
    pub task: TaskSupport,
    handler: DynToolHandler,
    /// Built on first `tools/list`; schemas are not computed at startup.
    listing: Arc<OnceLock<Value>>,
    /// The `inputSchema`, compiled on the first call; `None` when another server checks the
    /// arguments (a proxied tool).
    #[cfg(feature = "validation")]
    validator: Option<Arc<validation::ArgumentValidator>>,
    /// The shared state its extractors need.
    pub(crate) states: Vec<(TypeId, &'static str)>,
    /// Listing fields beyond the common ones (`icons`, resource `annotations`, `size`).
    pub(crate) listing_extra: Option<Value>,
}

impl Tool {
    /// The runtime form of a macro definition.
    pub fn from_def(def: &'static ToolDef) -> Self {
        Tool {
            name: def.name.to_owned(),
            title: def.title.map(str::to_owned),
            description: def.description.map(str::to_owned),
            input_schema: Arc::new(def.input_schema),
            output_schema: Arc::new(def.output_schema),
            annotations: def.annotations,
            tags: def.tags.iter().map(|t| (*t).to_owned()).collect(),
            meta: (def.meta)(),
            task: def.task,
            handler: Arc::new(def.handler),
            listing: Arc::default(),
            #[cfg(feature = "validation")]
            validator: Some(Arc::default()),
            states: (def.states)(),
            listing_extra: (def.listing_extra)(),
        }
    }

    /// A tool built at run time from a raw JSON Schema and a handler that receives the raw
    /// arguments and the request [`Context`](crate::Context).
    pub fn new<F, Fut>(name: impl Into<String>, input_schema: Value, handler: F) -> Self
    where
        F: Fn(Map<String, Value>, crate::Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = CallToolResult> + Send + 'static,
    {
        let handler = Arc::new(handler);
        Tool {
            name: name.into(),
            title: None,
            description: None,
            input_schema: Arc::new(move || input_schema.clone()),
            output_schema: Arc::new(|| None),
            annotations: ToolAnnotations::default(),
            tags: Vec::new(),
            meta: None,
            task: TaskSupport::Forbidden,
            handler: Arc::new(move |call: Call| {
                let handler = handler.clone();
                Box::pin(async move {
                    let (args, ctx) = call.into_parts();
                    Ok(handler(args, ctx).await)
                })
            }),
            listing: Arc::default(),
            #[cfg(feature = "validation")]
            validator: Some(Arc::default()),
            states: Vec::new(),
            listing_extra: None,
        }
    }

    /// Like [`Tool::new`], with a handler that may fail with a JSON-RPC error (instead of a
    /// tool result with `isError`).
    pub fn try_new<F, Fut>(name: impl Into<String>, input_schema: Value, handler: F) -> Self
    where
        F: Fn(Map<String, Value>, crate::Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<CallToolResult, ErrorObject>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        Tool {
            handler: Arc::new(move |call: Call| {
                let handler = handler.clone();
                Box::pin(async move {
                    let (args, ctx) = call.into_parts();
                    handler(args, ctx).await
                })
            }),
            ..Tool::new(name, input_schema, |_, _| async { CallToolResult::error("unreachable") })
        }
    }

    /// The same component with this description.
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self.listing = Arc::default();
        self
    }

    /// Whether the tool may (or must) run as an MCP task.
    pub fn with_task_support(mut self, task: TaskSupport) -> Self {
        self.task = task;
        self.listing = Arc::default();
        self
    }

    /// The same component with this title.
    pub fn with_title(mut self, title: impl Into<String>) -> Self {
        self.title = Some(title.into());
        self.listing = Arc::default();
        self
    }

    pub(crate) fn renamed(&self, name: String) -> Self {
        Tool { name, listing: Arc::default(), ..self.clone() }
    }

    /// The same tool listed exactly as `listing` says (a proxied tool shows what its own server
    /// shows), with its arguments left for that server to check.
    pub(crate) fn with_listing(mut self, listing: Value) -> Self {
        self.listing = Arc::new(OnceLock::from(listing));
        #[cfg(feature = "validation")]
        {
            self.validator = None;
        }
        self
    }

    /// The JSON Schema of the arguments.
    pub fn input_schema(&self) -> Value {
        (self.input_schema)()
    }

    /// The JSON Schema of the structured result, if any.
    pub fn output_schema(&self) -> Option<Value> {
        (self.output_schema)()
    }

    /// Runs the handler; a panic becomes an `isError` result naming the tool (no backtrace
    /// reaches the client) and is logged here. With the `validation` feature the arguments are
    /// first checked against the `inputSchema`.
    pub(crate) fn call(&self, #[allow(unused_mut)] mut call: Call) -> BoxFuture<Result<CallToolResult, ErrorObject>> {
        #[cfg(feature = "validation")]
        if let Some(validator) = &self.validator
            && let Err(invalid) = validator.check(&self.name, || self.input_schema(), &mut call.args)
        {
            return Box::pin(std::future::ready(Ok(invalid)));
        }
        guarded(
            "tool",
            &self.name,
            || (self.handler)(call),
            |name| {
                Ok(CallToolResult::error(format!("Tool `{name}` failed: the handler panicked (see the server log)")))
            },
        )
    }

    /// The `Tool` object of `tools/list`.
    pub fn listing(&self) -> &Value {
        self.listing.get_or_init(|| {
            let mut m = Map::new();
            m.insert("name".into(), Value::from(self.name.clone()));
            if let Some(t) = &self.title {
                m.insert("title".into(), Value::from(t.clone()));
            }
            if let Some(d) = &self.description {
                m.insert("description".into(), Value::from(d.clone()));
            }
            m.insert("inputSchema".into(), self.input_schema());
            if let Some(o) = self.output_schema() {
                m.insert("outputSchema".into(), o);
            }
            if let Some(a) = self.annotations.to_json() {
                m.insert("annotations".into(), a);
            }
            if self.task != TaskSupport::Forbidden {
                m.insert("execution".into(), json!({ "taskSupport": self.task.as_str() }));
            }
            if let Some(meta) = meta_with_tags(self.meta.clone(), &self.tags) {
                m.insert("_meta".into(), meta);
            }
            merge_extra(&mut m, &self.listing_extra);
            Value::Object(m)
        })
    }
}

/// A prompt as a server serves it.
#[derive(Clone)]
pub struct Prompt {
    /// The name.
    pub name: String,
    /// A human-readable title, for display.
    pub title: Option<String>,
    /// A description, for the model and for people.
    pub description: Option<String>,
    /// The arguments: (name, description, required).
    pub arguments: Vec<(String, Option<String>, bool)>,
    /// Tags, for `include_tags` / `exclude_tags`.
    pub tags: Vec<String>,
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
    /// Whether it may, or must, run as an MCP task.
    pub task: TaskSupport,
    pub(crate) completions: Vec<(String, CompleteFn)>,
    handler: DynPromptHandler,
    /// The shared state its extractors need.
    pub(crate) states: Vec<(TypeId, &'static str)>,
    /// Listing fields beyond the common ones (`icons`, resource `annotations`, `size`).
    pub(crate) listing_extra: Option<Value>,
}

impl Prompt {
    /// The runtime form of a macro definition.
    pub fn from_def(def: &'static PromptDef) -> Self {
        Prompt {
            name: def.name.to_owned(),
            title: def.title.map(str::to_owned),
            description: def.description.map(str::to_owned),
            arguments: def
                .arguments
                .iter()
                .filter(|a| (a.is_argument)())
                .map(|a| (a.name.to_owned(), a.description.map(str::to_owned), a.required))
                .collect(),
            tags: def.tags.iter().map(|t| (*t).to_owned()).collect(),
            meta: (def.meta)(),
            task: def.task,
            completions: def.completions.iter().map(|(n, f)| ((*n).to_owned(), *f)).collect(),
            handler: Arc::new(def.handler),
            states: (def.states)(),
            listing_extra: (def.listing_extra)(),
        }
    }

    /// A prompt built at run time: its arguments as `(name, description, required)` and a
    /// handler that receives the given arguments and the request [`Context`](crate::Context).
    pub fn new<F, Fut>(name: impl Into<String>, arguments: Vec<(String, Option<String>, bool)>, handler: F) -> Self
    where
        F: Fn(Map<String, Value>, crate::Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<GetPromptResult, ErrorObject>> + Send + 'static,
    {
        let handler = Arc::new(handler);
        Prompt {
            name: name.into(),
            title: None,
            description: None,
            arguments,
            tags: Vec::new(),
            meta: None,
            task: TaskSupport::Forbidden,
            completions: Vec::new(),
            handler: Arc::new(move |call: Call| {
                let handler = handler.clone();
                Box::pin(async move {
                    let (args, ctx) = call.into_parts();
                    handler(args, ctx).await
                })
            }),
            states: Vec::new(),
            listing_extra: None,
        }
    }

    /// The same prompt with these listing fields too (`icons`, `_meta`, ...), where the
    /// listing does not already have them.
    pub fn with_listing_extra(mut self, extra: Value) -> Self {
        self.listing_extra = Some(extra);
        self
    }

    pub(crate) fn renamed(&self, name: String) -> Self {
        Prompt { name, ..self.clone() }
    }

    /// Runs the handler; a panic becomes -32603 naming the prompt, and is logged.
    pub(crate) fn call(&self, call: Call) -> BoxFuture<Result<GetPromptResult, ErrorObject>> {
        guarded(
            "prompt",
            &self.name,
            || (self.handler)(call),
            |name| {
                Err(ErrorObject::internal(format!("Prompt `{name}` failed: the handler panicked (see the server log)")))
            },
        )
    }

    /// The object `*/list` shows.
    pub fn listing(&self) -> Value {
        let mut m = Map::new();
        m.insert("name".into(), Value::from(self.name.clone()));
        if let Some(t) = &self.title {
            m.insert("title".into(), Value::from(t.clone()));
        }
        if let Some(d) = &self.description {
            m.insert("description".into(), Value::from(d.clone()));
        }
        let args: Vec<Value> = self
            .arguments
            .iter()
            .map(|(name, desc, required)| {
                let mut a = Map::new();
                a.insert("name".into(), Value::from(name.clone()));
                if let Some(d) = desc {
                    a.insert("description".into(), Value::from(d.clone()));
                }
                a.insert("required".into(), Value::from(*required));
                Value::Object(a)
            })
            .collect();
        m.insert("arguments".into(), Value::Array(args));
        if let Some(meta) = meta_with_tags(self.meta.clone(), &self.tags) {
            m.insert("_meta".into(), meta);
        }
        merge_extra(&mut m, &self.listing_extra);
        Value::Object(m)
    }
}

/// A resource or resource template as a server serves it.
#[derive(Clone)]
pub struct Resource {
    /// The URI.
    pub uri: String,
    /// The name.
    pub name: String,
    /// A human-readable title, for display.
    pub title: Option<String>,
    /// A description, for the model and for people.
    pub description: Option<String>,
    /// The MIME type.
    pub mime_type: Option<String>,
    /// Tags, for `include_tags` / `exclude_tags`.
    pub tags: Vec<String>,
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
    /// Whether it may, or must, run as an MCP task.
    pub task: TaskSupport,
    pub(crate) template: Option<UriTemplate>,
    pub(crate) completions: Vec<(String, CompleteFn)>,
    handler: DynResourceHandler,
    /// The shared state its extractors need.
    pub(crate) states: Vec<(TypeId, &'static str)>,
    /// Listing fields beyond the common ones (`icons`, resource `annotations`, `size`).
    pub(crate) listing_extra: Option<Value>,
}

impl Resource {
    /// The runtime form of a macro definition.
    pub fn from_def(def: &'static ResourceDef) -> Self {
        let template = UriTemplate::parse(def.uri).ok().filter(|t| !t.variables().is_empty());
        Resource {
            uri: def.uri.to_owned(),
            name: def.name.to_owned(),
            title: def.title.map(str::to_owned),
            description: def.description.map(str::to_owned),
            mime_type: def.mime_type.map(str::to_owned),
            tags: def.tags.iter().map(|t| (*t).to_owned()).collect(),
            meta: (def.meta)(),
            task: def.task,
            template,
            completions: def.completions.iter().map(|(n, f)| ((*n).to_owned(), *f)).collect(),
            handler: Arc::new(def.handler),
            states: (def.states)(),
            listing_extra: (def.listing_extra)(),
        }
    }

    /// A resource (or, when `uri` has `{variables}`, a resource template) built at run time,
    /// with a handler that receives the URI read and the request [`Context`](crate::Context).
    pub fn new<F, Fut>(uri: impl Into<String>, name: impl Into<String>, handler: F) -> Self
    where
        F: Fn(String, crate::Context) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<ReadResourceResult, ErrorObject>> + Send + 'static,
    {
        let uri = uri.into();
        let handler = Arc::new(handler);
        Resource {
            template: UriTemplate::parse(&uri).ok().filter(|t| !t.variables().is_empty()),
            uri,
            name: name.into(),
            title: None,
            description: None,
            mime_type: None,
            tags: Vec::new(),
            meta: None,
            task: TaskSupport::Forbidden,
            completions: Vec::new(),
            handler: Arc::new(move |call: Call| {
                let handler = handler.clone();
                let uri = call.uri().unwrap_or_default().to_owned();
                let (_, ctx) = call.into_parts();
                Box::pin(async move { handler(uri, ctx).await })
            }),
            states: Vec::new(),
            listing_extra: None,
        }
    }

    /// The same resource with these listing fields too (`icons`, `annotations`, `size`,
    /// `_meta`, ...), where the listing does not already have them.
    pub fn with_listing_extra(mut self, extra: Value) -> Self {
        self.listing_extra = Some(extra);
        self
    }

    /// Whether the URI is a template (has variables).
    pub fn is_template(&self) -> bool {
        self.template.is_some()
    }

    /// The same resource under another URI (used by `mount`).
    pub(crate) fn with_uri(&self, uri: String) -> Self {
        let template = UriTemplate::parse(&uri).ok().filter(|t| !t.variables().is_empty());
        Resource { uri, template, ..self.clone() }
    }

    /// Runs the handler; a panic becomes -32603 naming the resource, and is logged.
    pub(crate) fn call(&self, call: Call) -> BoxFuture<Result<ReadResourceResult, ErrorObject>> {
        guarded(
            "resource",
            &self.uri,
            || (self.handler)(call),
            |uri| {
                Err(ErrorObject::internal(format!(
                    "Resource `{uri}` failed: the handler panicked (see the server log)"
                )))
            },
        )
    }

    /// The object `*/list` shows.
    pub fn listing(&self) -> Value {
        let mut m = Map::new();
        let key = if self.is_template() { "uriTemplate" } else { "uri" };
        m.insert(key.into(), Value::from(self.uri.clone()));
        m.insert("name".into(), Value::from(self.name.clone()));
        if let Some(t) = &self.title {
            m.insert("title".into(), Value::from(t.clone()));
        }
        if let Some(d) = &self.description {
            m.insert("description".into(), Value::from(d.clone()));
        }
        if let Some(mt) = &self.mime_type {
            m.insert("mimeType".into(), Value::from(mt.clone()));
        }
        if let Some(meta) = meta_with_tags(self.meta.clone(), &self.tags) {
            m.insert("_meta".into(), meta);
        }
        merge_extra(&mut m, &self.listing_extra);
        Value::Object(m)
    }
}

/// Looks up the registered definition of an annotated function item.
pub(crate) fn find_def<D>(slice: &'static [D], type_id: TypeId, id_of: impl Fn(&D) -> TypeId) -> Option<&'static D> {
    slice.iter().find(|d| id_of(d) == type_id)
}
