//! What the attribute macros expand to. Not a public API: reached as `fastmcp::__private`.

mod completion;
mod errors;
mod params;

pub use completion::{Awaited, Blocking, Borrowed, Completer, run_completer};

pub use errors::{ViaDisplay, ViaErrorObject};

pub use params::{
    ArgField, InputSchema, IntoStringSlot, IntoToolSlot, Neither, ParamKind, Probe, Rejection, StateNeed, StringSlot,
    ToolSlot, ViaExtractor, ViaNothing, ViaStringArgument, ViaToolArgument, argument_slot, extractor_slot, string_slot,
    tool_slot,
};

pub use crate::extract::{Call, FromCall};
pub use crate::protocol::{
    CallToolResult, Content, ErrorObject, GetPromptResult, PromptMessage, ReadResourceResult, ResourceContents,
};
pub use crate::registry::{
    BoxFuture, CompleteFn, PROMPTS, PromptArgDef, PromptDef, RESOURCES, ResourceDef, TOOLS, TaskSupport,
    ToolAnnotations, ToolDef,
};
pub use linkme;
pub use schemars;
pub use serde;
pub use serde_json;
pub use std::sync::OnceLock;

use schemars::JsonSchema;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};
use std::any::TypeId;
use std::fmt::Display;

/// Boxes a component's future. Spanned at the function's name by the macros, so a future that
/// is not `Send` (e.g. it holds an `Rc` across an `.await`) is reported there.
///
/// rustc quotes the bound's line in that error, so the advice on it reaches the user: a
/// `std::sync::MutexGuard`, `Rc` or `RefCell` borrow held across an `.await` is the usual cause.
pub fn send_future<F>(future: F) -> BoxFuture<F::Output>
where
    F: std::future::Future + Send + 'static, // drop it before `.await`, or use tokio::sync::Mutex
{
    Box::pin(future)
}

pub fn type_id_of_val<T: 'static>(_: &T) -> TypeId {
    TypeId::of::<T>()
}

fn schema_for<T: JsonSchema>() -> Value {
    let generator = schemars::generate::SchemaSettings::draft2020_12().into_generator();
    let mut schema = generator.into_root_schema_for::<T>().to_value();
    if let Some(obj) = schema.as_object_mut() {
        // The dialect is 2020-12 by default in MCP; stating it trips up clients whose
        // validators default to draft-07. The generated struct name is not a useful title.
        obj.remove("$schema");
        obj.remove("title");
    }
    strip_nonstandard_formats(&mut schema);
    schema
}

/// schemars marks integer widths with formats such as `uint32` that JSON Schema validators do
/// not know (Ajv, in the TypeScript SDK, warns on each). Bounds (`minimum`) already carry the
/// constraint; the formats validators do know (`int32`, `int64`, `float`, `double`) stay.
fn strip_nonstandard_formats(schema: &mut Value) {
    const NONSTANDARD: &[&str] =
        &["uint", "uint8", "uint16", "uint32", "uint64", "uint128", "int", "int8", "int16", "int128"];
    match schema {
        Value::Object(map) => {
            if map.get("format").and_then(Value::as_str).is_some_and(|f| NONSTANDARD.contains(&f)) {
                map.remove("format");
            }
            map.values_mut().for_each(strip_nonstandard_formats);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_nonstandard_formats),
        _ => {}
    }
}

/// A tool argument: decoded from JSON and described by a schema.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a #[tool] parameter: it needs serde::Deserialize and schemars::JsonSchema",
    label = "add `#[derive(serde::Deserialize, schemars::JsonSchema)]` to this type",
    note = "tool arguments are decoded from JSON and listed in the tool's inputSchema",
    note = "fastmcp uses schemars 1.x: a `JsonSchema` derive from schemars 0.8 does not count; depend on `schemars = \"1\"` or derive `fastmcp::schemars::JsonSchema`"
)]
pub trait ToolParam: DeserializeOwned + JsonSchema {}
impl<T: DeserializeOwned + JsonSchema> ToolParam for T {}

pub const fn assert_tool_param<T: ToolParam>() {}

/// Whether the structured output of `T` is wrapped as `{"result": value}` because its schema is
/// not an object (MCP requires `outputSchema` to describe an object).
pub fn output_wraps<T: StructuredOutput>() -> bool {
    schema_for::<T>().get("type") != Some(&Value::from("object"))
}

/// The `outputSchema` of a tool returning `T`.
pub fn output_schema<T: StructuredOutput>() -> Value {
    let mut schema = schema_for::<T>();
    if schema.get("type") == Some(&Value::from("object")) {
        return schema;
    }
    let defs = schema.as_object_mut().and_then(|o| o.remove("$defs"));
    let mut wrapped = json!({
        "type": "object",
        "properties": { "result": schema },
        "required": ["result"],
        "x-fastmcp-wrap-result": true,
    });
    if let Some(defs) = defs {
        wrapped["$defs"] = defs;
    }
    wrapped
}

/// Decodes one string-valued argument (prompt arguments, URI template variables) into `T`: as a
/// JSON string first, then as JSON text (so `"42"` becomes `42_i64`).
pub fn string_arg<T: DeserializeOwned>(args: &Map<String, Value>, name: &str) -> Result<Option<T>, ErrorObject> {
    let Some(value) = args.get(name) else {
        return Ok(None);
    };
    if let Ok(v) = serde_json::from_value::<T>(value.clone()) {
        return Ok(Some(v));
    }
    let parsed = match value.as_str() {
        Some(s) => serde_json::from_str::<T>(s).map_err(|e| e.to_string()),
        None => Err(format!("expected a string, got {value}")),
    };
    parsed.map(Some).map_err(|why| {
        ErrorObject::invalid_params(format!("invalid argument `{name}`: {}", crate::protocol::quoted(&why.to_string())))
    })
}

/// A required string-valued argument.
pub fn required_string_arg<T: DeserializeOwned>(args: &Map<String, Value>, name: &str) -> Result<T, ErrorObject> {
    string_arg(args, name)?.ok_or_else(|| ErrorObject::invalid_params(format!("missing required argument `{name}`")))
}

/// A value returned from a `#[tool]` as content blocks.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a #[tool] as content",
    note = "return a String, a content type (Content, Vec<Content>, CallToolResult) or a type that implements serde::Serialize + schemars::JsonSchema"
)]
pub trait IntoCallToolResult {
    fn into_call_tool_result(self) -> CallToolResult;
}

impl IntoCallToolResult for CallToolResult {
    fn into_call_tool_result(self) -> CallToolResult {
        self
    }
}
impl IntoCallToolResult for String {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}
impl IntoCallToolResult for &'static str {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}
impl IntoCallToolResult for std::borrow::Cow<'static, str> {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::text(self)
    }
}
impl IntoCallToolResult for () {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::success(Vec::new())
    }
}
impl IntoCallToolResult for Content {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::success(vec![self])
    }
}
impl IntoCallToolResult for Vec<Content> {
    fn into_call_tool_result(self) -> CallToolResult {
        CallToolResult::success(self)
    }
}

macro_rules! content_variant {
    ($($ty:ident => $variant:ident),*) => {$(
        impl IntoCallToolResult for crate::protocol::$ty {
            fn into_call_tool_result(self) -> CallToolResult {
                CallToolResult::success(vec![Content::$variant(self)])
            }
        }
    )*};
}
content_variant!(TextContent => Text, ImageContent => Image, AudioContent => Audio, ResourceLink => ResourceLink, EmbeddedResource => Resource);

/// A value returned from a `#[tool]` as structured content with an `outputSchema`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a #[tool]",
    label = "unsupported return type",
    note = "return a String, a content type (Content, Vec<Content>, CallToolResult), or a type that implements serde::Serialize + schemars::JsonSchema (add `#[derive(Serialize, JsonSchema)]`)"
)]
pub trait StructuredOutput: Serialize + JsonSchema {}
impl<T: Serialize + JsonSchema> StructuredOutput for T {}

/// The structured-output functions for `T`, behind one bound so an unsupported return type is
/// reported once.
pub struct Structured<T> {
    pub schema: fn() -> Value,
    pub wraps: fn() -> bool,
    pub convert: fn(T, bool) -> CallToolResult,
}

pub fn structured<T: StructuredOutput>() -> Structured<T> {
    Structured { schema: output_schema::<T>, wraps: output_wraps::<T>, convert: structured_result::<T> }
}

pub fn structured_result<T: StructuredOutput>(value: T, wrap: bool) -> CallToolResult {
    let value = match crate::bounded_json::to_value(&value) {
        Ok(v) => v,
        Err(e) => {
            return CallToolResult::error(format!("the tool's result could not be serialized: {e}"));
        }
    };
    let structured = if wrap { json!({ "result": value }) } else { value };
    // Older clients read the text block; newer ones the structured content.
    let text = match &structured {
        Value::Object(o) if wrap => o.get("result").map(Value::to_string).unwrap_or_default(),
        other => other.to_string(),
    };
    CallToolResult { structured_content: Some(structured), ..CallToolResult::text(text) }
}

/// The error half of a `Result` returned by a component.
#[diagnostic::on_unimplemented(
    message = "the error type `{Self}` of a #[tool] result must implement std::fmt::Display",
    note = "use a type such as String, Box<dyn std::error::Error + Send + Sync> or anyhow::Error"
)]
pub trait ComponentError {
    fn message(&self) -> String;
}
impl<E: Display> ComponentError for E {
    fn message(&self) -> String {
        self.to_string()
    }
}

pub fn tool_error<E: ComponentError>(e: E) -> CallToolResult {
    CallToolResult::error(e.message())
}

pub fn component_error<E: ComponentError>(e: E) -> ErrorObject {
    ErrorObject::internal(e.message())
}

/// A value returned from a `#[prompt]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a #[prompt]",
    label = "unsupported prompt return type",
    note = "return a String (one user message), PromptMessage, Vec<PromptMessage> or GetPromptResult"
)]
pub trait IntoPromptResult {
    fn into_prompt_result(self) -> GetPromptResult;
}
impl IntoPromptResult for GetPromptResult {
    fn into_prompt_result(self) -> GetPromptResult {
        self
    }
}
impl IntoPromptResult for String {
    fn into_prompt_result(self) -> GetPromptResult {
        vec![PromptMessage::user(self)].into_prompt_result()
    }
}
impl IntoPromptResult for &'static str {
    fn into_prompt_result(self) -> GetPromptResult {
        self.to_owned().into_prompt_result()
    }
}
impl IntoPromptResult for PromptMessage {
    fn into_prompt_result(self) -> GetPromptResult {
        vec![self].into_prompt_result()
    }
}
impl IntoPromptResult for Vec<PromptMessage> {
    fn into_prompt_result(self) -> GetPromptResult {
        GetPromptResult { description: None, messages: self, meta: None }
    }
}

/// A value returned from a `#[resource]`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be returned from a #[resource]",
    label = "unsupported resource return type",
    note = "return a String (text), Vec<u8> (binary), serde_json::Value (JSON), ResourceContents or Vec<ResourceContents>"
)]
pub trait IntoResourceResult {
    /// The MIME type listed when the attribute names none.
    const DEFAULT_MIME: Option<&'static str>;
    fn into_resource_result(self, uri: &str, mime: Option<&str>) -> ReadResourceResult;
}

fn contents(c: ResourceContents) -> ReadResourceResult {
    ReadResourceResult { contents: vec![c], meta: None }
}

impl IntoResourceResult for String {
    const DEFAULT_MIME: Option<&'static str> = Some("text/plain");
    fn into_resource_result(self, uri: &str, mime: Option<&str>) -> ReadResourceResult {
        contents(ResourceContents::text(uri, mime.or(Self::DEFAULT_MIME), self))
    }
}
impl IntoResourceResult for &'static str {
    const DEFAULT_MIME: Option<&'static str> = Some("text/plain");
    fn into_resource_result(self, uri: &str, mime: Option<&str>) -> ReadResourceResult {
        self.to_owned().into_resource_result(uri, mime)
    }
}
impl IntoResourceResult for Vec<u8> {
    const DEFAULT_MIME: Option<&'static str> = Some("application/octet-stream");
    fn into_resource_result(self, uri: &str, mime: Option<&str>) -> ReadResourceResult {
        contents(ResourceContents::blob(uri, mime.or(Self::DEFAULT_MIME), &self))
    }
}
impl IntoResourceResult for Value {
    const DEFAULT_MIME: Option<&'static str> = Some("application/json");
    fn into_resource_result(self, uri: &str, mime: Option<&str>) -> ReadResourceResult {
        contents(ResourceContents::text(uri, mime.or(Self::DEFAULT_MIME), self.to_string()))
    }
}
impl IntoResourceResult for ResourceContents {
    const DEFAULT_MIME: Option<&'static str> = None;
    fn into_resource_result(self, _uri: &str, _mime: Option<&str>) -> ReadResourceResult {
        contents(self)
    }
}
impl IntoResourceResult for Vec<ResourceContents> {
    const DEFAULT_MIME: Option<&'static str> = None;
    fn into_resource_result(self, _uri: &str, _mime: Option<&str>) -> ReadResourceResult {
        ReadResourceResult { contents: self, meta: None }
    }
}
impl IntoResourceResult for ReadResourceResult {
    const DEFAULT_MIME: Option<&'static str> = None;
    fn into_resource_result(self, _uri: &str, _mime: Option<&str>) -> ReadResourceResult {
        self
    }
}

/// Listing MIME type: the attribute's, else the return type's default.
pub const fn mime_or(explicit: Option<&'static str>, default: Option<&'static str>) -> Option<&'static str> {
    match explicit {
        Some(m) => Some(m),
        None => default,
    }
}

/// Parses a `meta(...)` attribute's JSON text (validated at compile time by the macro).
pub fn parse_meta(json: &str) -> Option<Value> {
    serde_json::from_str(json).ok()
}

/// `is_argument` of a prompt parameter that is a destructuring pattern (an extractor).
pub fn never_argument() -> bool {
    false
}

/// The value of `#[arg(default = value)]`: the parameter's type itself, or a `&'static str`
/// for a `String` parameter.
pub fn default_value<T, V: IntoDefault<T>>(value: V) -> T {
    value.into_default()
}

/// What `#[arg(default = ...)]` accepts for a parameter of type `T`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the default of a `{T}` parameter",
    label = "write a value of the parameter's type"
)]
pub trait IntoDefault<T> {
    /// The default.
    fn into_default(self) -> T;
}
impl<T> IntoDefault<T> for T {
    fn into_default(self) -> T {
        self
    }
}
impl IntoDefault<String> for &'static str {
    fn into_default(self) -> String {
        self.to_owned()
    }
}

/// `is_argument` of a prompt parameter known to be an argument.
pub fn always_argument() -> bool {
    true
}

/// A `#[resource]` parameter that is not a URI variable: an extractor.
pub fn resource_extractor<T: FromCall>(call: &Call) -> Result<T, ErrorObject> {
    T::from_call(call).map_err(ErrorObject::from)
}

/// The states a component's parameters need, in order, without repeats.
pub fn needed_states(needs: &[StateNeed]) -> Vec<(TypeId, &'static str)> {
    let mut out: Vec<(TypeId, &'static str)> = Vec::new();
    for need in needs {
        if let Some(s) = need()
            && !out.iter().any(|(id, _)| *id == s.0)
        {
            out.push(s);
        }
    }
    out
}
