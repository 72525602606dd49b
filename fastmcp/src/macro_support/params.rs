//! How each parameter of a component is filled: by an extractor (any [`FromCall`] type, aliases
//! and user types included) or as an argument decoded from JSON. The parameter's type decides,
//! not its name.
//!
//! The macros cannot see traits, so the choice is made by method resolution ("autoref
//! specialisation"): the expansion calls `(&&Probe::<T, W>::new()).tool_slot()` with the
//! `Via*` traits in scope. Every `Via*` method takes `self` by value, so the candidate tried
//! first is the impl whose `Self` is the receiver's type as written. The receiver `&&Probe` matches [`ViaExtractor`] when `T: FromCall`;
//! one auto-deref later `&Probe` matches [`ViaToolArgument`] when `W` (the one-field struct the
//! macro derived for this parameter, carrying the user's serde/schemars attributes) decodes from
//! JSON and has a schema; `Probe` itself matches [`ViaNothing`], whose [`Neither`] result is
//! refused by [`tool_slot`] with a message that names both ways to fix it.

use crate::extract::{Call, ExtractError, FromCall};
use crate::protocol::{CallToolResult, ErrorObject};
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use std::marker::PhantomData;

/// Whether a parameter is filled from the call or from the arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ParamKind {
    /// Filled by [`FromCall`]; not in the schema.
    Extractor,
    /// Decoded from the arguments; in the schema.
    Argument,
}

/// The type-level question "how is a `T` filled?", asked with the one-field struct `W` the
/// macro generated for the parameter.
pub struct Probe<T, W = ()>(PhantomData<fn() -> (T, W)>);

impl<T, W> Probe<T, W> {
    /// A probe (zero-sized).
    pub const fn new() -> Self {
        Probe(PhantomData)
    }
}

impl<T, W> Clone for Probe<T, W> {
    fn clone(&self) -> Self {
        *self
    }
}

// Copy, so the lowest-priority impl (on `Probe` itself, reached through two derefs) can take
// `self` by value like the others.
impl<T, W> Copy for Probe<T, W> {}

impl<T, W> Default for Probe<T, W> {
    fn default() -> Self {
        Self::new()
    }
}

/// The struct `#[tool]` derives for one argument: `struct W { #[attrs] name: T }`. Decoding
/// it from the whole arguments object takes that one field, with serde's own rules (rename,
/// default, missing field) and schemars' (descriptions, ranges, optionality).
pub trait ArgField<T>: DeserializeOwned + JsonSchema {
    /// The argument's value.
    fn into_inner(self) -> T;
}

/// Why a tool parameter could not be filled.
pub enum Rejection {
    /// An extractor failed: a JSON-RPC error.
    Extract(ErrorObject),
    /// An argument did not decode: an `isError` result the model can correct.
    Argument(CallToolResult),
}

/// The state a parameter needs (see [`FromCall::required_state`]).
pub type StateNeed = fn() -> Option<(std::any::TypeId, &'static str)>;

/// How one `#[tool]` parameter is described and filled.
pub struct ToolSlot<T> {
    /// Extractor or argument.
    pub kind: ParamKind,
    /// The shared state it needs.
    pub state: StateNeed,
    /// The parameter as a one-property object schema (`None` for extractors).
    pub schema: fn(&mut SchemaGenerator) -> Option<Schema>,
    /// Fills the parameter for one call of the named tool.
    pub take: fn(&Call, &str) -> Result<T, Rejection>,
}

/// How one `#[prompt]` parameter (string-valued on the wire) is filled.
pub struct StringSlot<T> {
    /// Extractor or argument.
    pub kind: ParamKind,
    /// The shared state it needs.
    pub state: StateNeed,
    /// Fills the parameter named `name` for one call.
    pub take: fn(&Call, &str) -> Result<T, ErrorObject>,
}

/// Highest priority: `T` is an extractor.
pub trait ViaExtractor<T> {
    /// The slot of a `#[tool]` parameter.
    fn tool_slot(self) -> ToolSlot<T>;
    /// The slot of a `#[prompt]` parameter.
    fn string_slot(self) -> StringSlot<T>;
}

impl<T: FromCall, W> ViaExtractor<T> for &&Probe<T, W> {
    fn tool_slot(self) -> ToolSlot<T> {
        ToolSlot {
            kind: ParamKind::Extractor,
            state: T::required_state,
            schema: T::argument_schema,
            take: |call, tool| {
                T::from_call(call).map_err(|e| match e {
                    ExtractError::InvalidArguments(why) => Rejection::Argument(CallToolResult::error(format!(
                        "Invalid arguments for tool `{tool}`: {}",
                        crate::protocol::quoted(&why.to_string())
                    ))),
                    e => Rejection::Extract(e.into()),
                })
            },
        }
    }
    fn string_slot(self) -> StringSlot<T> {
        StringSlot { kind: ParamKind::Extractor, state: T::required_state, take: |call, _| extract::<T>(call) }
    }
}

/// The slot of a parameter known to be an extractor (a destructuring pattern).
pub fn extractor_slot<T: FromCall>() -> ToolSlot<T> {
    (&&Probe::<T>::new()).tool_slot()
}

fn extract<T: FromCall>(call: &Call) -> Result<T, ErrorObject> {
    T::from_call(call).map_err(ErrorObject::from)
}

/// Second priority: `T` is a JSON argument of a `#[tool]`.
pub trait ViaToolArgument<T> {
    /// The slot of a `#[tool]` parameter.
    fn tool_slot(self) -> ToolSlot<T>;
}

impl<T, W: ArgField<T>> ViaToolArgument<T> for &Probe<T, W> {
    fn tool_slot(self) -> ToolSlot<T> {
        argument_slot::<T, W>()
    }
}

/// The slot of a parameter known to be an argument (it carries serde/schemars attributes).
pub fn argument_slot<T, W: ArgField<T>>() -> ToolSlot<T> {
    ToolSlot {
        kind: ParamKind::Argument,
        state: || None,
        schema: |generator| Some(W::json_schema(generator)),
        take: |call, tool| decode_argument::<T, W>(call.arguments(), tool).map_err(Rejection::Argument),
    }
}

/// Decodes one argument. A bad argument is a tool execution error (visible to the model, so it
/// can correct itself), and its message names the argument and says why.
fn decode_argument<T, W: ArgField<T>>(args: &Map<String, Value>, tool: &str) -> Result<T, CallToolResult> {
    crate::extract::decode_arguments::<W>(args).map(W::into_inner).map_err(|why| {
        let why = crate::protocol::quoted(&why.to_string()).into_owned();
        CallToolResult::error(format!("Invalid arguments for tool `{tool}`: {why}"))
    })
}

/// Second priority for prompts: `T` decodes from a string argument.
pub trait ViaStringArgument<T> {
    /// The slot of a `#[prompt]` parameter.
    fn string_slot(self) -> StringSlot<T>;
}

impl<T: DeserializeOwned, W> ViaStringArgument<T> for &Probe<T, W> {
    fn string_slot(self) -> StringSlot<T> {
        StringSlot {
            kind: ParamKind::Argument,
            state: || None,
            take: |call, name| super::required_string_arg::<T>(call.arguments(), name),
        }
    }
}

/// A parameter type that is neither an extractor nor an argument; refused at compile time.
pub struct Neither<T>(PhantomData<T>);

/// Lowest priority: anything else.
pub trait ViaNothing<T> {
    /// A marker that [`tool_slot`] refuses.
    fn tool_slot(self) -> Neither<T>;
    /// A marker that [`string_slot`] refuses.
    fn string_slot(self) -> Neither<T>;
}

impl<T, W> ViaNothing<T> for Probe<T, W> {
    fn tool_slot(self) -> Neither<T> {
        Neither(PhantomData)
    }
    fn string_slot(self) -> Neither<T> {
        Neither(PhantomData)
    }
}

/// What a probe found for a `#[tool]` parameter.
#[diagnostic::on_unimplemented(
    message = "`{T}` cannot be a #[tool] parameter: it is neither a JSON argument nor an extractor",
    label = "add `#[derive(serde::Deserialize, schemars::JsonSchema)]` to this type, or implement `fastmcp::FromCall` for it",
    note = "arguments are decoded from JSON and listed in the tool's inputSchema; extractors (Context, Progress, State<T>, CurrentDocket, CurrentWorker, or any type implementing FromCall) are filled from the call",
    note = "fastmcp uses schemars 1.x: a `JsonSchema` derive from schemars 0.8 does not count; depend on `schemars = \"1\"` or derive `fastmcp::schemars::JsonSchema`"
)]
pub trait IntoToolSlot<T> {
    /// The slot.
    fn into_tool_slot(self) -> ToolSlot<T>;
}

impl<T> IntoToolSlot<T> for ToolSlot<T> {
    fn into_tool_slot(self) -> ToolSlot<T> {
        self
    }
}

/// What a probe found for a `#[prompt]` parameter.
#[diagnostic::on_unimplemented(
    message = "`{T}` cannot be a #[prompt] parameter: it is neither a string-valued argument nor an extractor",
    label = "use a type that implements serde::Deserialize, or implement `fastmcp::FromCall` for it",
    note = "prompt arguments are strings on the wire (decoded into the parameter's type); extractors (Context, State<T>, or any type implementing FromCall) are filled from the call"
)]
pub trait IntoStringSlot<T> {
    /// The slot.
    fn into_string_slot(self) -> StringSlot<T>;
}

impl<T> IntoStringSlot<T> for StringSlot<T> {
    fn into_string_slot(self) -> StringSlot<T> {
        self
    }
}

/// The slot a probe found, or a compile error.
pub fn tool_slot<T, S: IntoToolSlot<T>>(found: S) -> ToolSlot<T> {
    found.into_tool_slot()
}

/// The slot a probe found, or a compile error.
pub fn string_slot<T, S: IntoStringSlot<T>>(found: S) -> StringSlot<T> {
    found.into_string_slot()
}

/// Builds a tool's `inputSchema` from its parameters' one-property schemas, in order.
pub struct InputSchema {
    generator: SchemaGenerator,
    properties: Map<String, Value>,
    required: Vec<Value>,
}

impl Default for InputSchema {
    fn default() -> Self {
        Self::new()
    }
}

impl InputSchema {
    /// An empty object schema (draft 2020-12).
    pub fn new() -> Self {
        InputSchema {
            generator: schemars::generate::SchemaSettings::draft2020_12().into_generator(),
            properties: Map::new(),
            required: Vec::new(),
        }
    }

    /// Adds one parameter (extractors add nothing).
    pub fn param(mut self, schema: fn(&mut SchemaGenerator) -> Option<Schema>) -> Self {
        let Some(schema) = schema(&mut self.generator) else { return self };
        let mut object = schema.to_value();
        if let Some(props) = object.get_mut("properties").and_then(Value::as_object_mut) {
            self.properties.append(props);
        }
        if let Some(Value::Array(required)) = object.get_mut("required") {
            self.required.append(required);
        }
        self
    }

    /// The finished schema.
    pub fn finish(mut self) -> Value {
        let mut schema = serde_json::json!({ "type": "object", "properties": self.properties });
        if !self.required.is_empty() {
            schema["required"] = Value::Array(self.required);
        }
        let definitions = self.generator.take_definitions(true);
        if !definitions.is_empty() {
            schema["$defs"] = Value::Object(definitions);
        }
        super::strip_nonstandard_formats(&mut schema);
        schema
    }
}
