//! The conformance fixture: exactly the tools, resources and prompts the official MCP
//! conformance suite calls (../shared/docs/conformance-fixture.md), over Streamable HTTP.
//!
//!     cargo run -p fastmcp-examples --bin conformance -- --port 3001
//!     ../shared/conformance/run http://127.0.0.1:3001/mcp
//!
//! Flags: `--port N` (or env `PORT`; 0 picks a free port), `--stateless`, `--stdio` (serve stdio
//! instead of HTTP). The address is printed
//! on stdout as `listening on http://ADDR/mcp` once the server accepts connections.

use fastmcp::prelude::*;
use fastmcp::protocol::{CreateMessageParams, ResourceBody, Role, SamplingMessage};
use fastmcp::transport::http::HttpOptions;
use serde_json::{Value, json};
use std::time::Duration;

const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
const WAV: &str = "UklGRiYAAABXQVZFZm10IBAAAAABAAEAQB8AAAB9AAACABAAZGF0YQIAAAA=";

// ----------------------------------------------------------------------------------------- tools

/// Returns a simple text response.
#[tool]
fn test_simple_text() -> &'static str {
    "This is a simple text response for testing."
}

/// Returns a 1x1 PNG image.
#[tool]
fn test_image_content() -> Content {
    Content::image_base64(PNG, "image/png")
}

/// Returns a short WAV clip.
#[tool]
fn test_audio_content() -> Content {
    Content::audio_base64(WAV, "audio/wav")
}

/// Returns an embedded text resource.
#[tool]
fn test_embedded_resource() -> Content {
    Content::resource(ResourceContents::text(
        "test://embedded-resource",
        Some("text/plain"),
        "This is an embedded resource content.",
    ))
}

/// Returns text, an image and an embedded resource.
#[tool]
fn test_multiple_content_types() -> Vec<Content> {
    vec![
        Content::text("Multiple content types test:"),
        Content::image_base64(PNG, "image/png"),
        Content::resource(ResourceContents::text(
            "test://mixed-content-resource",
            Some("application/json"),
            r#"{"test":"data","value":123}"#,
        )),
    ]
}

/// Sends three log messages while it runs.
#[tool]
async fn test_tool_with_logging(ctx: Context) -> &'static str {
    for (i, message) in
        ["Tool execution started", "Tool processing data", "Tool execution completed"].iter().enumerate()
    {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        ctx.info(*message).await;
    }
    "Tool with logging executed successfully"
}

/// Always fails, as a tool result the model can see.
#[tool]
fn test_error_handling() -> Result<String, &'static str> {
    Err("This tool intentionally returns an error for testing")
}

/// Reports progress 0, 50 and 100 of 100.
#[tool]
async fn test_tool_with_progress(progress: Progress) -> &'static str {
    for (i, step) in [0.0, 50.0, 100.0].into_iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        progress.report(step, Some(100.0), Some(&format!("Completed step {step} of 100"))).await;
    }
    "Progress tool completed"
}

/// Asks the client's model to answer a prompt.
#[tool]
async fn test_sampling(
    /// The prompt to send to the model.
    prompt: String,
    ctx: Context,
) -> Result<String, fastmcp::ClientRequestError> {
    let result = ctx
        .create_message(CreateMessageParams {
            messages: vec![SamplingMessage { role: Role::User, content: Content::text(prompt) }],
            max_tokens: 100,
            ..Default::default()
        })
        .await?;
    Ok(format!("LLM response: {}", result.content.as_text().unwrap_or_default()))
}

/// Asks the user for a username and an email.
#[tool]
async fn test_elicitation(
    /// The message to show the user.
    message: String,
    ctx: Context,
) -> Result<String, fastmcp::ClientRequestError> {
    let schema = json!({
        "type": "object",
        "properties": {
            "username": { "type": "string", "description": "User's response" },
            "email": { "type": "string", "description": "User's email address" }
        },
        "required": ["username", "email"]
    });
    let answer = ctx.elicit(message, schema).await?;
    Ok(format!("User response: action={:?}, content={}", answer.action, json!(answer.content)))
}

/// Elicits with default values of every primitive type (SEP-1034).
#[tool]
async fn test_elicitation_sep1034_defaults(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let schema = json!({
        "type": "object",
        "properties": {
            "name": { "type": "string", "default": "John Doe" },
            "age": { "type": "integer", "default": 30 },
            "score": { "type": "number", "default": 95.5 },
            "status": { "type": "string", "enum": ["active", "inactive", "pending"], "default": "active" },
            "verified": { "type": "boolean", "default": true }
        }
    });
    let answer = ctx.elicit("Please review and update the form fields with defaults", schema).await?;
    Ok(format!("Elicitation completed: action={:?}, content={}", answer.action, json!(answer.content)))
}

/// Elicits with every enum form (SEP-1330).
#[tool]
async fn test_elicitation_sep1330_enums(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let schema = json!({
        "type": "object",
        "properties": {
            "untitledSingle": { "type": "string", "enum": ["option1", "option2", "option3"] },
            "titledSingle": { "type": "string", "oneOf": [
                { "const": "value1", "title": "First Option" },
                { "const": "value2", "title": "Second Option" },
                { "const": "value3", "title": "Third Option" }
            ] },
            "legacyEnum": { "type": "string", "enum": ["opt1", "opt2", "opt3"], "enumNames": ["Option One", "Option Two", "Option Three"] },
            "untitledMulti": { "type": "array", "items": { "type": "string", "enum": ["option1", "option2", "option3"] } },
            "titledMulti": { "type": "array", "items": { "anyOf": [
                { "const": "value1", "title": "First Choice" },
                { "const": "value2", "title": "Second Choice" },
                { "const": "value3", "title": "Third Choice" }
            ] } }
        }
    });
    let answer = ctx.elicit("Please select options from the enum fields", schema).await?;
    Ok(format!("Elicitation completed: action={:?}, content={}", answer.action, json!(answer.content)))
}

/// Closes its SSE stream before answering; the result arrives when the client reconnects.
#[tool]
async fn test_reconnection(ctx: Context) -> &'static str {
    ctx.close_sse_stream().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    "Reconnection test completed successfully"
}

/// A tool whose input schema is written by hand in JSON Schema 2020-12.
fn json_schema_2020_12_tool() -> fastmcp::Tool {
    let schema = json!({
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "$defs": {
            "address": {
                "$anchor": "address",
                "type": "object",
                "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" },
            "contact": { "type": "string" }
        },
        "allOf": [{ "anyOf": [{ "required": ["name"] }, { "required": ["address"] }] }],
        "if": { "properties": { "contact": { "const": "email" } }, "required": ["contact"] },
        "then": { "required": ["name"] },
        "else": { "required": [] },
        "additionalProperties": false
    });
    fastmcp::Tool::new("json_schema_2020_12_tool", schema, |args, _ctx| async move {
        CallToolResult::text(format!("Received: {}", Value::Object(args)))
    })
    .with_description(
        "Tool with a JSON Schema 2020-12 input schema ($defs, $anchor, $ref, allOf/anyOf, if/then/else, additionalProperties)",
    )
}

// ------------------------------------------------------------------------------------- resources

/// A static text resource.
#[resource("test://static-text", name = "static-text", mime_type = "text/plain")]
fn static_text() -> &'static str {
    "This is the content of the static text resource."
}

/// A static binary resource (a PNG image).
#[resource("test://static-binary", name = "static-binary", mime_type = "image/png")]
fn static_binary() -> ResourceContents {
    ResourceContents {
        uri: "test://static-binary".into(),
        mime_type: Some("image/png".into()),
        body: ResourceBody::Blob(PNG.into()),
        meta: None,
    }
}

/// A resource clients can subscribe to.
#[resource("test://watched-resource", name = "watched-resource", mime_type = "text/plain")]
fn watched_resource() -> &'static str {
    "Watched resource content"
}

/// Data for an id.
#[resource("test://template/{id}/data", name = "template-data", mime_type = "application/json")]
fn template_data(id: String) -> Value {
    json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") })
}

// --------------------------------------------------------------------------------------- prompts

/// A prompt with no arguments.
#[prompt]
fn test_simple_prompt() -> &'static str {
    "This is a simple prompt for testing."
}

/// A prompt with two required arguments.
#[prompt(complete(arg1 = complete_arg))]
fn test_prompt_with_arguments(
    /// First test argument.
    arg1: String,
    /// Second test argument.
    arg2: String,
) -> String {
    format!("Prompt with arguments: arg1='{arg1}', arg2='{arg2}'")
}

fn complete_arg(prefix: &str) -> Vec<String> {
    ["test1", "test2", "testing"].iter().filter(|v| v.starts_with(prefix)).map(|v| v.to_string()).collect()
}

/// A prompt that embeds a resource.
#[prompt]
fn test_prompt_with_embedded_resource(
    /// URI of the resource to embed.
    #[serde(rename = "resourceUri")]
    resource_uri: String,
) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::resource(ResourceContents::text(
            resource_uri,
            Some("text/plain"),
            "Embedded resource content for testing.",
        ))),
        PromptMessage::user("Please process the embedded resource above."),
    ]
}

/// A prompt with an image.
#[prompt]
fn test_prompt_with_image() -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(Content::image_base64(PNG, "image/png")),
        PromptMessage::user("Please analyze the image above."),
    ]
}

// ------------------------------------------------------------ 2026-07-28 (stateless, SEP-2322)

fn object_schema(property: &str, kind: &str) -> Value {
    json!({ "type": "object", "properties": { property: { "type": kind } }, "required": [property] })
}

fn content_field(answer: &fastmcp::protocol::ElicitResult, field: &str) -> String {
    answer
        .content
        .as_ref()
        .and_then(|c| c.get(field))
        .map(|v| v.as_str().map_or(v.to_string(), str::to_owned))
        .unwrap_or_default()
}

/// Needs sampling: a client that did not declare it gets -32021.
#[tool]
async fn test_missing_capability(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    ctx.sample("Say hello", 10).await
}

/// Asks for a name (an `input_required` result on 2026-07-28; an elicitation request before).
#[tool]
async fn test_streaming_elicitation(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let answer = ctx.elicit_as(Some("user_name"), "What is your name?", object_schema("name", "string")).await?;
    Ok(format!("Hello, {}!", content_field(&answer, "name")))
}

/// Changes the tool list (clients listening for tools/list_changed hear of it).
#[tool]
async fn test_trigger_tool_change(ctx: Context) -> &'static str {
    ctx.server().notify_list_changed("tools").await;
    "tool list changed"
}

/// Changes the prompt list.
#[tool]
async fn test_trigger_prompt_change(ctx: Context) -> &'static str {
    ctx.server().notify_list_changed("prompts").await;
    "prompt list changed"
}

/// Logs three messages (sent only when the request opted in with a log level).
#[tool]
async fn test_logging_tool(ctx: Context) -> &'static str {
    for message in ["Tool execution started", "Tool processing data", "Tool execution completed"] {
        ctx.info(message).await;
    }
    "logged"
}

/// SEP-2322: one elicitation, keyed `user_name`.
#[tool]
async fn test_input_required_result_elicitation(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let answer = ctx.elicit_as(Some("user_name"), "What is your name?", object_schema("name", "string")).await?;
    Ok(format!("Hello, {}!", content_field(&answer, "name")))
}

/// SEP-2322: one sampling request, keyed `capital_question`.
#[tool]
async fn test_input_required_result_sampling(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    ctx.sample_as(Some("capital_question"), "What is the capital of France?", 100).await
}

/// SEP-2322: the client's roots, keyed `client_roots`.
#[tool]
async fn test_input_required_result_list_roots(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let roots = ctx.list_roots_as(Some("client_roots")).await?;
    Ok(format!("roots: {}", roots.iter().map(|r| r.uri.as_str()).collect::<Vec<_>>().join(", ")))
}

/// SEP-2322: the answer comes back with the (authenticated) requestState.
#[tool]
async fn test_input_required_result_request_state(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let answer = ctx.elicit_as(Some("confirm"), "Please confirm", object_schema("ok", "boolean")).await?;
    Ok(format!("state-ok: confirmed={}", content_field(&answer, "ok")))
}

/// SEP-2322: a tampered requestState is refused (the state is HMAC-sealed).
#[tool]
async fn test_input_required_result_tampered_state(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let answer = ctx.elicit_as(Some("confirm"), "Please confirm", object_schema("ok", "boolean")).await?;
    Ok(format!("state-ok: confirmed={}", content_field(&answer, "ok")))
}

/// SEP-2322: three requests at once (elicitation, sampling, roots).
#[tool]
async fn test_input_required_result_multiple_inputs(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let (name, greeting, roots) = futures_join(
        ctx.elicit_as(Some("user_name"), "What is your name?", object_schema("name", "string")),
        ctx.sample_as(Some("greeting"), "Generate a greeting", 50),
        ctx.list_roots_as(Some("client_roots")),
    )
    .await;
    Ok(format!("{} {}! ({} roots)", greeting?, content_field(&name?, "name"), roots?.len()))
}

/// SEP-2322: two rounds of input.
#[tool]
async fn test_input_required_result_multi_round(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let name = ctx.elicit_as(Some("step1"), "Step 1: What is your name?", object_schema("name", "string")).await?;
    let color =
        ctx.elicit_as(Some("step2"), "Step 2: What is your favorite color?", object_schema("color", "string")).await?;
    Ok(format!("{} likes {}", content_field(&name, "name"), content_field(&color, "color")))
}

/// SEP-2322: asks only for what the client declared it can answer.
#[tool]
async fn test_input_required_result_capabilities(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let mut parts = Vec::new();
    if ctx.client_supports("sampling") {
        parts.push(ctx.sample_as(Some("capital_question"), "What is the capital of France?", 100).await?);
    }
    if ctx.client_supports("elicitation") {
        let answer = ctx.elicit_as(Some("user_name"), "What is your name?", object_schema("name", "string")).await?;
        parts.push(content_field(&answer, "name"));
    }
    Ok(parts.join("; "))
}

/// SEP-2322 on prompts/get.
#[prompt]
async fn test_input_required_result_prompt(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let answer = ctx
        .elicit_as(Some("user_context"), "What context should the prompt use?", object_schema("context", "string"))
        .await?;
    Ok(format!("Use this context: {}", content_field(&answer, "context")))
}

/// SEP-2243: `region` travels in the `Mcp-Param-Region` header too.
#[tool]
fn test_headers(
    /// The region (mirrored as a header).
    #[schemars(extend("x-mcp-header" = "Region"))]
    region: String,
    /// Not mirrored.
    #[serde(default)]
    query: Option<String>,
) -> String {
    format!("region={region} query={}", query.unwrap_or_default())
}

/// Awaits three futures together (the handler parks on all three inputs at once).
async fn futures_join<A, B, C>(
    a: impl std::future::Future<Output = A>,
    b: impl std::future::Future<Output = B>,
    c: impl std::future::Future<Output = C>,
) -> (A, B, C) {
    tokio::join!(a, b, c)
}

// ------------------------------------------------------------------------------------------ main

fn flag_value(args: &[String], flag: &str) -> Option<String> {
    args.iter().position(|a| a == flag).and_then(|i| args.get(i + 1).cloned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    fastmcp::logging::init();
    let args: Vec<String> = std::env::args().collect();
    let port: u16 =
        flag_value(&args, "--port").or_else(|| std::env::var("PORT").ok()).map_or(Ok(3001), |p| p.parse())?;
    let stateless = args.iter().any(|a| a == "--stateless");
    let server = FastMcp::new("fastmcp-conformance-fixture")
        .all_registered()
        .dynamic_tool(json_schema_2020_12_tool())
        .build()?;
    if args.iter().any(|a| a == "--stdio") {
        server.run_stdio().await?;
        return Ok(());
    }
    let serve = {
        let server = server.clone();
        tokio::spawn(
            async move { server.run_http(("127.0.0.1", port), HttpOptions::default().stateless(stateless)).await },
        )
    };
    server.wait_until_ready().await?;
    println!("listening on http://{}/mcp", server.local_addr().expect("bound"));
    serve.await??;
    Ok(())
}
