//! JSON-RPC 2.0 framing and the MCP message types the server speaks.
//!
//! Requests and notifications are decoded into [`Message`]; result payloads are typed where the
//! server produces them and left as `serde_json::Value` where they pass through untouched.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use std::fmt;

/// The newest revision first: negotiation answers with the client's version when listed here,
/// otherwise with the first entry.
pub const SUPPORTED_PROTOCOL_VERSIONS: &[&str] = &["2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"];
/// The newest protocol version this server speaks through `initialize`.
pub const LATEST_PROTOCOL_VERSION: &str = SUPPORTED_PROTOCOL_VERSIONS[0];

/// JSON-RPC: invalid JSON.
pub const PARSE_ERROR: i64 = -32700;
/// JSON-RPC: not a valid request object.
pub const INVALID_REQUEST: i64 = -32600;
/// JSON-RPC: no such method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// JSON-RPC: invalid parameters.
pub const INVALID_PARAMS: i64 = -32602;
/// JSON-RPC: internal error.
pub const INTERNAL_ERROR: i64 = -32603;
/// MCP: no resource with that URI.
pub const RESOURCE_NOT_FOUND: i64 = -32002;

/// A JSON-RPC request id. The original JSON type is kept so it is echoed exactly.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RequestId {
    /// A number id.
    Number(i64),
    /// A string id.
    String(String),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RequestId::Number(n) => write!(f, "{n}"),
            RequestId::String(s) => write!(f, "{s:?}"),
        }
    }
}

/// A well-formed request as most messages are: decoded in one pass, without building the
/// envelope as a `Value` first. Anything else (notifications, responses, every malformed
/// message) fails here and goes through [`Message::from_value`], whose errors are exact.
#[derive(Deserialize)]
struct PlainRequest<'a> {
    #[serde(borrow)]
    jsonrpc: std::borrow::Cow<'a, str>,
    id: PlainId,
    method: String,
    #[serde(default)]
    params: Option<Map<String, Value>>,
}

/// An integer or string id (a float, null or anything else is not one).
struct PlainId(RequestId);

impl<'de> Deserialize<'de> for PlainId {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Visit;
        impl serde::de::Visitor<'_> for Visit {
            type Value = PlainId;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("an integer or a string")
            }
            fn visit_i64<E: serde::de::Error>(self, n: i64) -> Result<PlainId, E> {
                Ok(PlainId(RequestId::Number(n)))
            }
            fn visit_u64<E: serde::de::Error>(self, n: u64) -> Result<PlainId, E> {
                i64::try_from(n).map(|n| PlainId(RequestId::Number(n))).map_err(|_| E::custom("id out of range"))
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<PlainId, E> {
                Ok(PlainId(RequestId::String(s.to_owned())))
            }
            fn visit_string<E: serde::de::Error>(self, s: String) -> Result<PlainId, E> {
                Ok(PlainId(RequestId::String(s)))
            }
        }
        d.deserialize_any(Visit)
    }
}

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[error("{message} (code {code})")]
pub struct ErrorObject {
    /// The error code.
    pub code: i64,
    /// A short description.
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Extra data about the error.
    pub data: Option<Value>,
}

impl ErrorObject {
    /// An error with a code and a message.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self { code, message: message.into(), data: None }
    }
    /// The same error with `data`.
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    /// -32700.
    pub fn parse_error(msg: impl Into<String>) -> Self {
        Self::new(PARSE_ERROR, msg)
    }
    /// -32600.
    pub fn invalid_request(msg: impl Into<String>) -> Self {
        Self::new(INVALID_REQUEST, msg)
    }
    /// -32601 naming the method.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, format!("Method not found: {}", quoted(method)))
    }
    /// -32602.
    pub fn invalid_params(msg: impl Into<String>) -> Self {
        Self::new(INVALID_PARAMS, msg)
    }
    /// -32603.
    pub fn internal(msg: impl Into<String>) -> Self {
        Self::new(INTERNAL_ERROR, msg)
    }
    /// -32002 with the URI in `data`.
    pub fn resource_not_found(uri: &str) -> Self {
        Self::new(RESOURCE_NOT_FOUND, format!("Resource not found: {}", quoted(uri)))
            .with_data(serde_json::json!({ "uri": uri }))
    }
}

/// One decoded JSON-RPC message.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A request (it has an id).
    Request(Request),
    /// A notification (no id, no answer).
    Notification(Notification),
    /// A response to a request.
    Response(Response),
}

#[derive(Debug, Clone, PartialEq)]
/// A JSON-RPC request.
pub struct Request {
    /// The request id.
    pub id: RequestId,
    /// The method name.
    pub method: String,
    /// The parameters.
    pub params: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
/// A JSON-RPC notification.
pub struct Notification {
    /// The method name.
    pub method: String,
    /// The parameters.
    pub params: Option<Value>,
}

#[derive(Debug, Clone, PartialEq)]
/// A JSON-RPC response.
pub struct Response {
    /// The request id.
    pub id: Option<RequestId>,
    /// The result, or the error.
    pub outcome: Result<Value, ErrorObject>,
}

impl Response {
    /// A successful response.
    pub fn ok(id: RequestId, result: Value) -> Self {
        Self { id: Some(id), outcome: Ok(result) }
    }
    /// An error response.
    pub fn err(id: Option<RequestId>, error: ErrorObject) -> Self {
        Self { id, outcome: Err(error) }
    }
}

/// Why a line or body could not be turned into a [`Message`], with the id when it was readable
/// so the error response can carry it.
#[derive(Debug, Clone)]
pub struct DecodeError {
    /// The request id.
    pub id: Option<RequestId>,
    /// The error.
    pub error: ErrorObject,
}

impl Message {
    /// A request message.
    pub fn request(id: RequestId, method: impl Into<String>, params: Option<Value>) -> Self {
        Message::Request(Request { id, method: method.into(), params })
    }
    /// A notification message.
    pub fn notification(method: impl Into<String>, params: Option<Value>) -> Self {
        Message::Notification(Notification { method: method.into(), params })
    }

    /// Decodes raw bytes (one stdio line or one HTTP body).
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        // The common case in one pass, straight from the bytes into the request.
        if let Ok(r) = serde_json::from_slice::<PlainRequest>(bytes)
            && r.jsonrpc == "2.0"
        {
            return Ok(Message::Request(Request { id: r.id.0, method: r.method, params: r.params.map(Value::Object) }));
        }
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| DecodeError { id: None, error: ErrorObject::parse_error(format!("Parse error: {e}")) })?;
        Message::from_value(value)
    }

    /// Validates the JSON-RPC 2.0 envelope of an already parsed value (and says exactly what
    /// is wrong with it).
    pub fn from_value(value: Value) -> Result<Message, DecodeError> {
        let invalid = |id: Option<RequestId>, msg: &str| DecodeError {
            id,
            error: ErrorObject::invalid_request(format!("Invalid Request: {msg}")),
        };
        let Value::Object(mut obj) = value else {
            let msg = if value.is_array() {
                "batches are not supported; send one message at a time"
            } else {
                "a message must be a JSON object"
            };
            return Err(invalid(None, msg));
        };
        let id = match obj.remove("id") {
            None => None,
            Some(Value::Number(n)) => match n.as_i64() {
                Some(i) => Some(RequestId::Number(i)),
                None => return Err(invalid(None, "`id` must be a string or an integer")),
            },
            Some(Value::String(s)) => Some(RequestId::String(s)),
            // Only an error response may carry a null id (its request could not be read).
            Some(Value::Null) if obj.contains_key("error") && !obj.contains_key("method") => None,
            Some(Value::Null) => return Err(invalid(None, "`id` must not be null")),
            Some(_) => return Err(invalid(None, "`id` must be a string or an integer")),
        };
        if obj.get("jsonrpc").and_then(Value::as_str) != Some("2.0") {
            return Err(invalid(id, "`jsonrpc` must be \"2.0\""));
        }
        if let Some(method) = obj.remove("method") {
            let Value::String(method) = method else {
                return Err(invalid(id, "`method` must be a string"));
            };
            let params = match obj.remove("params") {
                None | Some(Value::Null) => None,
                Some(p @ Value::Object(_)) => Some(p),
                // Valid JSON-RPC (by position), but MCP names every parameter.
                Some(Value::Array(_)) => {
                    return Err(DecodeError {
                        id,
                        error: ErrorObject::invalid_params(
                            "Invalid params: MCP passes params by name (an object), not by position (an array)",
                        ),
                    });
                }
                Some(_) => return Err(invalid(id, "`params` must be an object")),
            };
            return Ok(match id {
                Some(id) => Message::Request(Request { id, method, params }),
                None => Message::Notification(Notification { method, params }),
            });
        }
        if let Some(result) = obj.remove("result") {
            let Some(id) = id else {
                return Err(invalid(None, "a result needs an `id`"));
            };
            return Ok(Message::Response(Response::ok(id, result)));
        }
        if let Some(error) = obj.remove("error") {
            let error: ErrorObject = serde_json::from_value(error)
                .map_err(|_| invalid(id.clone(), "`error` must be {code, message, data?}"))?;
            return Ok(Message::Response(Response::err(id, error)));
        }
        Err(invalid(id, "expected `method`, `result` or `error`"))
    }

    /// The message as a JSON value.
    pub fn to_value(&self) -> Value {
        let mut obj = Map::with_capacity(4);
        obj.insert("jsonrpc".into(), Value::from("2.0"));
        match self {
            Message::Request(r) => {
                obj.insert("id".into(), serde_json::to_value(&r.id).unwrap_or(Value::Null));
                obj.insert("method".into(), Value::from(r.method.clone()));
                if let Some(p) = &r.params {
                    obj.insert("params".into(), p.clone());
                }
            }
            Message::Notification(n) => {
                obj.insert("method".into(), Value::from(n.method.clone()));
                if let Some(p) = &n.params {
                    obj.insert("params".into(), p.clone());
                }
            }
            Message::Response(r) => {
                let id = r.id.as_ref().map_or(Value::Null, |id| serde_json::to_value(id).unwrap_or(Value::Null));
                obj.insert("id".into(), id);
                match &r.outcome {
                    Ok(v) => obj.insert("result".into(), v.clone()),
                    Err(e) => obj.insert("error".into(), serde_json::to_value(e).unwrap_or(Value::Null)),
                };
            }
        }
        Value::Object(obj)
    }

    /// Compact JSON with no embedded newline, as stdio framing requires.
    pub fn to_json(&self) -> String {
        // Serialized in place: no intermediate `Value` (a copy of the whole result).
        serde_json::to_string(self).unwrap_or_else(|_| self.to_value().to_string())
    }
}

impl Serialize for Message {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        map.serialize_entry("jsonrpc", "2.0")?;
        match self {
            Message::Request(r) => {
                map.serialize_entry("id", &r.id)?;
                map.serialize_entry("method", &r.method)?;
                if let Some(p) = &r.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Message::Notification(n) => {
                map.serialize_entry("method", &n.method)?;
                if let Some(p) = &n.params {
                    map.serialize_entry("params", p)?;
                }
            }
            Message::Response(r) => {
                map.serialize_entry("id", &r.id)?;
                match &r.outcome {
                    Ok(v) => map.serialize_entry("result", v)?,
                    Err(e) => map.serialize_entry("error", e)?,
                }
            }
        }
        map.end()
    }
}

// ---------------------------------------------------------------------------------------------
// MCP types produced by the server.
// ---------------------------------------------------------------------------------------------

/// Optional audience / priority hints on content and resources.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Annotations {
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Who it is meant for.
    pub audience: Option<Vec<Role>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// How important it is, from 0 (least) to 1 (most).
    pub priority: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// When it last changed (ISO 8601).
    pub last_modified: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// Who a message is from.
pub enum Role {
    /// The user.
    User,
    /// The model.
    Assistant,
}

/// A content block of a tool result, prompt message or sampling message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Content {
    /// Text.
    Text(TextContent),
    /// An image (base64).
    Image(ImageContent),
    /// Audio (base64).
    Audio(AudioContent),
    /// A link to a resource.
    ResourceLink(ResourceLink),
    /// An embedded resource.
    Resource(EmbeddedResource),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// Text content.
pub struct TextContent {
    /// The text.
    pub text: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Hints for the client about how to use or show it.
    pub annotations: Option<Annotations>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// An image.
pub struct ImageContent {
    /// Base64 encoded bytes.
    pub data: String,
    /// The MIME type.
    pub mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Hints for the client about how to use or show it.
    pub annotations: Option<Annotations>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// Audio.
pub struct AudioContent {
    /// Base64 encoded bytes.
    pub data: String,
    /// The MIME type.
    pub mime_type: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Hints for the client about how to use or show it.
    pub annotations: Option<Annotations>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
/// A link to a resource the client may read.
pub struct ResourceLink {
    /// The URI.
    pub uri: String,
    /// The name.
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// A human-readable title, for display.
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// A description, for the model and for people.
    pub description: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The MIME type.
    pub mime_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Hints for the client about how to use or show it.
    pub annotations: Option<Annotations>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The size in bytes, when known.
    pub size: Option<u64>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// A resource embedded in a result.
pub struct EmbeddedResource {
    /// The resource.
    pub resource: ResourceContents,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Hints for the client about how to use or show it.
    pub annotations: Option<Annotations>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

/// The contents of a resource: text or base64 blob.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceContents {
    /// The URI.
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The MIME type.
    pub mime_type: Option<String>,
    #[serde(flatten)]
    /// The text or the bytes.
    pub body: ResourceBody,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
/// The body of resource contents: text or base64 bytes.
pub enum ResourceBody {
    /// Text.
    Text(String),
    /// Base64 encoded bytes.
    Blob(String),
}

impl ResourceContents {
    /// Text content.
    pub fn text(uri: impl Into<String>, mime_type: Option<&str>, text: impl Into<String>) -> Self {
        Self {
            uri: uri.into(),
            mime_type: mime_type.map(str::to_owned),
            body: ResourceBody::Text(text.into()),
            meta: None,
        }
    }
    /// Binary contents (base64).
    pub fn blob(uri: impl Into<String>, mime_type: Option<&str>, bytes: &[u8]) -> Self {
        use base64::Engine;
        Self {
            uri: uri.into(),
            mime_type: mime_type.map(str::to_owned),
            body: ResourceBody::Blob(base64::engine::general_purpose::STANDARD.encode(bytes)),
            meta: None,
        }
    }
}

impl Content {
    /// Text content.
    pub fn text(text: impl Into<String>) -> Self {
        Content::Text(TextContent { text: text.into(), annotations: None, meta: None })
    }
    /// An image from raw bytes.
    pub fn image(bytes: &[u8], mime_type: impl Into<String>) -> Self {
        use base64::Engine;
        Self::image_base64(base64::engine::general_purpose::STANDARD.encode(bytes), mime_type)
    }
    /// An image from data that is already base64 encoded.
    pub fn image_base64(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content::Image(ImageContent { data: data.into(), mime_type: mime_type.into(), annotations: None, meta: None })
    }
    /// Audio from raw bytes.
    pub fn audio(bytes: &[u8], mime_type: impl Into<String>) -> Self {
        use base64::Engine;
        Self::audio_base64(base64::engine::general_purpose::STANDARD.encode(bytes), mime_type)
    }
    /// Audio from data that is already base64 encoded.
    pub fn audio_base64(data: impl Into<String>, mime_type: impl Into<String>) -> Self {
        Content::Audio(AudioContent { data: data.into(), mime_type: mime_type.into(), annotations: None, meta: None })
    }
    /// An embedded resource.
    pub fn resource(contents: ResourceContents) -> Self {
        Content::Resource(EmbeddedResource { resource: contents, annotations: None, meta: None })
    }
    /// A link to a resource the client may read.
    pub fn resource_link(uri: impl Into<String>, name: impl Into<String>) -> Self {
        Content::ResourceLink(ResourceLink {
            uri: uri.into(),
            name: name.into(),
            title: None,
            description: None,
            mime_type: None,
            annotations: None,
            size: None,
            meta: None,
        })
    }
    /// The text of a text block.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Content::Text(t) => Some(&t.text),
            _ => None,
        }
    }
}

/// The result of `tools/call`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallToolResult {
    /// The content.
    pub content: Vec<Content>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The structured result (matches `outputSchema`).
    pub structured_content: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Set when the call failed (a tool error, shown to the model).
    pub is_error: Option<bool>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

impl CallToolResult {
    /// A successful result with this content.
    pub fn success(content: Vec<Content>) -> Self {
        Self { content, ..Default::default() }
    }
    /// Text content.
    pub fn text(text: impl Into<String>) -> Self {
        Self::success(vec![Content::text(text)])
    }
    /// A tool execution error: visible to the model, which may correct itself.
    pub fn error(text: impl Into<String>) -> Self {
        Self { content: vec![Content::text(text)], is_error: Some(true), ..Default::default() }
    }
    /// Whether the call failed.
    pub fn is_error(&self) -> bool {
        self.is_error == Some(true)
    }
    /// The concatenated text blocks.
    pub fn text_content(&self) -> String {
        self.content.iter().filter_map(Content::as_text).collect::<Vec<_>>().join("\n")
    }
}

/// One message of a prompt.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PromptMessage {
    /// Who is speaking.
    pub role: Role,
    /// The content.
    pub content: Content,
}

impl PromptMessage {
    /// A message from the user.
    pub fn user(content: impl Into<Content>) -> Self {
        Self { role: Role::User, content: content.into() }
    }
    /// A message from the model.
    pub fn assistant(content: impl Into<Content>) -> Self {
        Self { role: Role::Assistant, content: content.into() }
    }
}

impl From<String> for Content {
    fn from(s: String) -> Self {
        Content::text(s)
    }
}
impl From<&str> for Content {
    fn from(s: &str) -> Self {
        Content::text(s)
    }
}

/// The result of `prompts/get`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct GetPromptResult {
    #[serde(skip_serializing_if = "Option::is_none")]
    /// A description, for the model and for people.
    pub description: Option<String>,
    /// The messages.
    pub messages: Vec<PromptMessage>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

/// The result of `resources/read`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReadResourceResult {
    /// The contents.
    pub contents: Vec<ResourceContents>,
    #[serde(rename = "_meta", skip_serializing_if = "Option::is_none")]
    /// The `_meta` object (extension data).
    pub meta: Option<Value>,
}

/// Logging levels of RFC 5424, least severe first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LoggingLevel {
    /// `debug`: detailed debugging information.
    Debug,
    /// `info`: informational messages.
    Info,
    /// `notice`: normal but significant events.
    Notice,
    /// `warning`: warnings.
    Warning,
    /// `error`: errors.
    Error,
    /// `critical`: critical conditions.
    Critical,
    /// `alert`: action must be taken at once.
    Alert,
    /// `emergency`: the system is unusable.
    Emergency,
}

/// A server-to-client `sampling/createMessage` request.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMessageParams {
    /// The messages.
    pub messages: Vec<SamplingMessage>,
    /// The most tokens to sample.
    pub max_tokens: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// A system prompt to use.
    pub system_prompt: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Sampling temperature.
    pub temperature: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Sequences that stop sampling.
    pub stop_sequences: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Which model the server would prefer.
    pub model_preferences: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Which MCP context to include (`none`, `thisServer`, `allServers`).
    pub include_context: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Provider-specific metadata.
    pub metadata: Option<Value>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
/// One message of a sampling request.
pub struct SamplingMessage {
    /// Who is speaking.
    pub role: Role,
    /// The content.
    pub content: Content,
}

/// The client's answer to `sampling/createMessage`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateMessageResult {
    /// Who is speaking.
    pub role: Role,
    /// The content.
    pub content: Content,
    /// The model that answered.
    pub model: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// Why sampling stopped.
    pub stop_reason: Option<String>,
}

/// The client's answer to `elicitation/create`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ElicitResult {
    /// What the user did.
    pub action: ElicitAction,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The content.
    pub content: Option<Map<String, Value>>,
}

/// What the user did with an elicitation request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ElicitAction {
    /// The user accepted and answered.
    Accept,
    /// The user declined.
    Decline,
    /// The user dismissed the request.
    Cancel,
}

/// One root the client exposes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Root {
    /// The URI.
    pub uri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// The name.
    pub name: Option<String>,
}

/// Identifies a client or server (`clientInfo` / `serverInfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Implementation {
    /// The name.
    pub name: String,
    /// The version.
    pub version: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    /// A human-readable title, for display.
    pub title: Option<String>,
    /// Icons for display (2025-11-25).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub icons: Vec<Icon>,
    /// A website about this implementation (2025-11-25).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website_url: Option<String>,
}

/// An icon a client may show for a server or a component (2025-11-25).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Icon {
    /// An `https:` or `data:` URI.
    pub src: String,
    /// Its MIME type, when the URI does not say.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub mime_type: Option<String>,
    /// Sizes it fits, e.g. `"48x48"` or `"any"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub sizes: Vec<String>,
    /// `"light"` or `"dark"`: the theme it is drawn for.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub theme: Option<String>,
}

impl Icon {
    /// An icon at `src`.
    pub fn new(src: impl Into<String>) -> Self {
        Icon { src: src.into(), mime_type: None, sizes: Vec::new(), theme: None }
    }
}

// ------------------------------------------------------------------ request helpers

/// An opaque pagination cursor for a list offset.
pub(crate) fn encode_cursor(offset: usize) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("o:{offset}"))
}

/// The offset a cursor from [`encode_cursor`] names.
pub(crate) fn decode_cursor(cursor: &str) -> Option<usize> {
    use base64::Engine;
    let raw = base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(cursor).ok()?;
    std::str::from_utf8(&raw).ok()?.strip_prefix("o:")?.parse().ok()
}

/// How much of a client's string an error message quotes (names, URIs, method names).
pub const QUOTED_CHARS: usize = 200;

/// `text` as an error message quotes it: whole when at most `max` characters, else its start
/// and end around a note of what was left out. Error messages quote what the client sent (a
/// tool name, a URI, an argument's value), and a message read by a model should not carry
/// megabytes of it back.
pub fn elide(text: &str, max: usize) -> std::borrow::Cow<'_, str> {
    // No more bytes than `max` is no more characters either: the common case counts nothing.
    if text.len() <= max {
        return text.into();
    }
    let chars = text.chars().count();
    if chars <= max {
        return text.into();
    }
    let half = max / 2;
    let head_end = text.char_indices().nth(half).map_or(text.len(), |(i, _)| i);
    let tail_start = text.char_indices().nth(chars - half).map_or(text.len(), |(i, _)| i);
    let left_out = tail_start - head_end;
    format!("{}…[{left_out} bytes left out]…{}", &text[..head_end], &text[tail_start..]).into()
}

/// [`elide`] to [`QUOTED_CHARS`]: how every error message quotes the client's input.
pub fn quoted(text: &str) -> std::borrow::Cow<'_, str> {
    elide(text, QUOTED_CHARS)
}

/// Decodes `T` from `from`; a failure comes back as the path at fault (`.` for the top level)
/// and why. The common case decodes without tracking a path (tracking costs about as much as
/// the decode); only a failure is decoded again, with the path, for the message.
pub(crate) fn decode_naming_path<'de, T, D>(from: D) -> Result<T, (String, String)>
where
    T: Deserialize<'de>,
    D: serde::Deserializer<'de, Error = serde_json::Error> + Copy,
{
    if let Ok(decoded) = T::deserialize(from) {
        return Ok(decoded);
    }
    serde_path_to_error::deserialize(from).map_err(|e| (e.path().to_string(), e.into_inner().to_string()))
}

/// Decodes request params; failures name the offending field (-32602).
pub(crate) fn parse_params<T: serde::de::DeserializeOwned>(params: Option<Value>) -> Result<T, ErrorObject> {
    let value = params.unwrap_or_else(|| serde_json::json!({}));
    decode_naming_path(&value).map_err(|(path, why)| {
        if path == "." {
            ErrorObject::invalid_params(format!("Invalid params: {}", quoted(&why)))
        } else {
            ErrorObject::invalid_params(format!("Invalid params: `{}`: {}", quoted(&path), quoted(&why)))
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn elide_keeps_short_text_and_both_ends_of_long_text() {
        assert_eq!(elide("short", 10), "short");
        assert_eq!(elide("exactly10!", 10), "exactly10!");
        assert_eq!(elide("abcdefghijklmnop", 10), "abcde…[6 bytes left out]…lmnop");
        // Cut on character boundaries: of 23 characters, 2 + 2 kept and 19 three-byte ones left out.
        let wide = "é".repeat(2) + &"€".repeat(20) + "ü";
        assert_eq!(elide(&wide, 4), "éé…[57 bytes left out]…€ü");
    }

    #[test]
    fn the_one_pass_decode_agrees_with_the_general_one() {
        let cases = [
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"add","arguments":{"a":1}}}"#,
            r#"{"id":"x","method":"m","jsonrpc":"2.0"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"m","params":null}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"m","params":[1]}"#,
            r#"{"jsonrpc":"2.0","id":1.5,"method":"m"}"#,
            r#"{"jsonrpc":"2.0","id":null,"method":"m"}"#,
            r#"{"jsonrpc":"2.0","id":18446744073709551615,"method":"m"}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"m"}"#,
            r#"{"jsonrpc":"2\u002e0","id":1,"method":"m"}"#,
            r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"m"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"m","result":{}}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":7}"#,
            r#"{"jsonrpc":"2.0","method":"n"}"#,
        ];
        for case in cases {
            let general = Message::from_value(serde_json::from_str(case).unwrap());
            match (Message::decode(case.as_bytes()), general) {
                (Ok(a), Ok(b)) => assert_eq!(a.to_json(), b.to_json(), "{case}"),
                (Err(a), Err(b)) => assert_eq!(a.error.code, b.error.code, "{case}"),
                (a, b) => panic!("{case}: {a:?} / {b:?}"),
            }
        }
    }

    #[test]
    fn decodes_and_reencodes_each_kind() {
        let req = Message::decode(br#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#).unwrap();
        assert_eq!(req, Message::request(RequestId::String("a".into()), "ping", None));
        let note = Message::decode(br#"{"jsonrpc":"2.0","method":"x","params":{}}"#).unwrap();
        assert!(matches!(note, Message::Notification(_)));
        let resp = Message::decode(br#"{"jsonrpc":"2.0","id":3,"result":{}}"#).unwrap();
        assert_eq!(resp.to_value(), json!({"jsonrpc":"2.0","id":3,"result":{}}));
    }

    #[test]
    fn numbers_survive_decode_and_encode_exactly() {
        // Found by the jsonrpc_decode fuzz target: without exact float parsing a long decimal
        // came back one ULP off, so a tool could see a different number than the client sent.
        let wire = format!(
            r#"{{"jsonrpc":"2.0","id":3,"method":"m","params":{{"x":{}2{}1}}}}"#,
            "6".repeat(53),
            "6".repeat(24)
        );
        let once = Message::decode(wire.as_bytes()).unwrap().to_json();
        let twice = Message::decode(once.as_bytes()).unwrap().to_json();
        assert_eq!(once, twice);
        let exact: f64 = format!("{}2{}1", "6".repeat(53), "6".repeat(24)).parse().unwrap();
        let decoded: serde_json::Value = serde_json::from_str(&once).unwrap();
        assert_eq!(decoded["params"]["x"].as_f64(), Some(exact));
    }

    #[test]
    fn rejects_bad_envelopes_with_the_right_codes() {
        assert_eq!(Message::decode(b"{").unwrap_err().error.code, PARSE_ERROR);
        assert_eq!(Message::decode(b"[]").unwrap_err().error.code, INVALID_REQUEST);
        let e = Message::decode(br#"{"jsonrpc":"1.0","id":7,"method":"x"}"#).unwrap_err();
        assert_eq!((e.error.code, e.id), (INVALID_REQUEST, Some(RequestId::Number(7))));
        let e = Message::decode(br#"{"jsonrpc":"2.0","id":null,"method":"x"}"#).unwrap_err();
        assert_eq!(e.error.code, INVALID_REQUEST);
        let e = Message::decode(br#"{"jsonrpc":"2.0","id":1.5,"method":"x"}"#).unwrap_err();
        assert_eq!(e.error.code, INVALID_REQUEST);
        let e = Message::decode(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":[1]}"#).unwrap_err();
        assert_eq!((e.error.code, e.id), (INVALID_PARAMS, Some(RequestId::Number(1))));
        let e = Message::decode(br#"{"jsonrpc":"2.0","id":1,"method":"x","params":5}"#).unwrap_err();
        assert_eq!(e.error.code, INVALID_REQUEST);
    }

    #[test]
    fn content_serializes_with_type_tags() {
        assert_eq!(serde_json::to_value(Content::text("hi")).unwrap(), json!({"type":"text","text":"hi"}));
        let r = Content::resource(ResourceContents::text("a://b", Some("text/plain"), "t"));
        assert_eq!(
            serde_json::to_value(r).unwrap(),
            json!({"type":"resource","resource":{"uri":"a://b","mimeType":"text/plain","text":"t"}})
        );
    }
}
