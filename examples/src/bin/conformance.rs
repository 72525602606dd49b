//! The conformance fixture: exactly the tools, resources and prompts the official MCP
//! conformance suite calls (../shared/docs/conformance-fixture.md), over Streamable HTTP.
//!
//!     cargo run -p fastmcp-examples --bin conformance -- --port 3001
//!     ../shared/conformance/run http://127.0.0.1:3001/mcp
//!
//! Flags: `--port N` (or env `PORT`; 0 picks a free port), `--stateless`. The address is printed
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
                "type": "object",
                "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
            }
        },
        "properties": {
            "name": { "type": "string" },
            "address": { "$ref": "#/$defs/address" }
        },
        "additionalProperties": false
    });
    fastmcp::Tool::new("json_schema_2020_12_tool", schema, |args, _ctx| async move {
        CallToolResult::text(format!("Received: {}", Value::Object(args)))
    })
    .with_description("Tool with a JSON Schema 2020-12 input schema ($defs, $ref, additionalProperties)")
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
