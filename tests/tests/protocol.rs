//! The MCP 2025-11-25 server core, driven through the in-memory client.

use fastmcp::prelude::*;
use fastmcp::protocol::{ElicitAction, LoggingLevel, ResourceBody};
use fastmcp::{ErrorObject, ServerError};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

// ---------------------------------------------------------------------------------------------
// Components of this test binary (all registered at compile time).
// ---------------------------------------------------------------------------------------------

/// Adds two integers.
#[tool(read_only, idempotent, tags("math"), meta(owner = "tests", version = 2))]
fn add(
    /// The first addend.
    a: i64,
    /// The second addend.
    b: i64,
) -> i64 {
    a + b
}

#[derive(Serialize, Deserialize, schemars::JsonSchema, Debug, PartialEq)]
struct Point {
    x: f64,
    y: f64,
}

/// Moves a point.
///
/// # Arguments
/// * `point` - the point to move
/// * `dx` - horizontal offset
#[tool(title = "Translate", annotations(destructive = false, open_world = false))]
async fn translate(point: Point, dx: f64, dy: Option<f64>) -> Point {
    Point { x: point.x + dx, y: point.y + dy.unwrap_or(0.0) }
}

/// Divides, failing on zero.
#[tool]
fn divide(a: f64, b: f64) -> Result<f64, String> {
    if b == 0.0 { Err("division by zero".into()) } else { Ok(a / b) }
}

/// Returns an image and text.
#[tool]
fn picture() -> Vec<Content> {
    vec![Content::text("a pixel"), Content::image(&[0x89, b'P', b'N', b'G'], "image/png")]
}

/// Says hello.
#[tool(name = "say-hello")]
fn say_hello(#[serde(rename = "who")] name: String) -> String {
    format!("hello {name}")
}

/// Logs at each level and reports progress.
#[tool]
async fn chatty(ctx: Context, progress: Progress) -> &'static str {
    ctx.debug("debug line").await;
    ctx.info("info line").await;
    ctx.warning("warning line").await;
    for i in 1..=3 {
        progress.report(i as f64, Some(3.0), Some(&format!("step {i}"))).await;
    }
    "done"
}

static DROPPED: AtomicBool = AtomicBool::new(false);
struct DropFlag;
impl Drop for DropFlag {
    fn drop(&mut self) {
        DROPPED.store(true, Ordering::SeqCst);
    }
}

/// Sleeps for a long time; cancelling drops it.
#[tool]
async fn sleepy() -> String {
    let _flag = DropFlag;
    tokio::time::sleep(Duration::from_secs(30)).await;
    "woke".into()
}

/// Ends as soon as its call is cancelled, with an answer nobody should get.
#[tool]
async fn stops_when_cancelled(ctx: Context) -> &'static str {
    ctx.cancelled().await;
    "stopped"
}

static DROPPED_ON_DROP: AtomicBool = AtomicBool::new(false);
struct DropOnDropFlag;
impl Drop for DropOnDropFlag {
    fn drop(&mut self) {
        DROPPED_ON_DROP.store(true, Ordering::SeqCst);
    }
}

/// Sleeps for a long time; the client gives up on it.
#[tool]
async fn abandoned() -> String {
    let _flag = DropOnDropFlag;
    tokio::time::sleep(Duration::from_secs(30)).await;
    "woke".into()
}

/// Rests for a while.
#[tool]
async fn nap(ms: u64) -> &'static str {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    "rested"
}

/// Asks the client's model.
#[tool]
async fn ask_model(ctx: Context, question: String) -> Result<String, fastmcp::ClientRequestError> {
    Ok(format!("model says: {}", ctx.sample(question, 50).await?))
}

/// Asks the user for a name.
#[tool]
async fn ask_user(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let schema = json!({"type":"object","properties":{"name":{"type":"string"}},"required":["name"]});
    let answer = ctx.elicit("Your name?", schema).await?;
    Ok(match answer.action {
        ElicitAction::Accept => format!("hi {}", answer.content.unwrap_or_default()["name"].as_str().unwrap_or("?")),
        other => format!("{other:?}"),
    })
}

/// Lists the client's roots.
#[tool]
async fn roots(ctx: Context) -> Result<Vec<String>, fastmcp::ClientRequestError> {
    Ok(ctx.list_roots().await?.into_iter().map(|r| r.uri).collect())
}

struct Greeting(String);

/// Uses lifespan state.
#[tool]
fn greet(state: State<Greeting>, name: String) -> String {
    format!("{} {name}", state.0.0)
}

/// Queues `add` on the docket and waits for it.
#[tool]
async fn via_docket(docket: CurrentDocket, worker: CurrentWorker) -> Result<String, String> {
    let key = docket.add("add", json!({"a": 20, "b": 22})).await.map_err(|e| e.to_string())?;
    let result = docket.result(&key).await.map_err(|e| e.to_string())?.ok_or("cancelled")?;
    let result: CallToolResult = serde_json::from_value(result).map_err(|e| e.to_string())?;
    Ok(format!("{} by {}", result.text_content(), !worker.name().is_empty()))
}

/// A static text resource.
#[resource("test://static", title = "Static")]
fn static_text() -> String {
    "static body".into()
}

/// Binary data.
#[resource("test://bytes", mime_type = "application/x-test")]
fn bytes() -> Vec<u8> {
    vec![1, 2, 3]
}

/// A templated item.
#[resource("items://{kind}/{id}", complete(kind = complete_kind))]
async fn item(kind: String, id: u32) -> Value {
    json!({ "kind": kind, "id": id })
}

/// Fails.
#[resource("test://broken")]
fn broken() -> Result<String, String> {
    Err("disk on fire".into())
}

fn complete_kind(prefix: &str) -> Vec<String> {
    ["apple", "apricot", "banana"].iter().filter(|k| k.starts_with(prefix)).map(|k| k.to_string()).collect()
}

/// Summarises a topic.
#[prompt(complete(style = complete_style))]
fn summarize(
    /// What to summarise.
    topic: String,
    /// How.
    style: Option<String>,
    /// At most this many words.
    words: Option<u32>,
) -> Vec<PromptMessage> {
    vec![
        PromptMessage::user(format!("Summarise {topic} in a {} style", style.unwrap_or_else(|| "plain".into()))),
        PromptMessage::assistant(format!("At most {} words.", words.unwrap_or(100))),
    ]
}

fn complete_style(prefix: &str) -> Vec<String> {
    (0..150).map(|i| format!("{prefix}{i}")).collect()
}

/// A prompt with no arguments.
#[prompt(title = "Hello prompt")]
fn hello_prompt() -> &'static str {
    "Say hello."
}

async fn server() -> Server {
    FastMcp::new("tests").state(Greeting("hello".into())).build().unwrap()
}

async fn client() -> Client {
    Client::connect(&server().await).await.unwrap()
}

fn rpc_code(e: fastmcp::ClientError) -> i64 {
    e.rpc().unwrap_or_else(|| panic!("expected a JSON-RPC error, got {e}")).code
}

// ---------------------------------------------------------------------------------------------
// Lifecycle
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn initialize_negotiates_versions_and_derives_capabilities() {
    let s = server().await;
    for (asked, answered) in [
        ("2025-11-25", "2025-11-25"),
        ("2025-06-18", "2025-06-18"),
        ("2025-03-26", "2025-03-26"),
        ("2024-11-05", "2024-11-05"),
        ("1999-01-01", "2025-11-25"),
    ] {
        let c = Client::builder().protocol_version(asked).connect(&s).await.unwrap();
        let init = c.initialize_result();
        assert_eq!(init["protocolVersion"], answered);
        assert_eq!(init["serverInfo"]["name"], "tests");
        let caps = &init["capabilities"];
        assert_eq!(caps["tools"], json!({"listChanged": true}));
        assert_eq!(caps["resources"], json!({"subscribe": true, "listChanged": true}));
        assert_eq!(caps["prompts"], json!({"listChanged": true}));
        assert_eq!(caps["logging"], json!({}));
        assert_eq!(caps["completions"], json!({}));
    }
}

#[tokio::test]
async fn capabilities_follow_what_is_registered() {
    let s = FastMcp::new("only-tools").tool(add).build().unwrap();
    let caps = s.capabilities();
    assert!(caps.get("tools").is_some());
    assert!(caps.get("prompts").is_none());
    assert!(caps.get("resources").is_none());
    assert!(caps.get("completions").is_none());
}

#[tokio::test]
async fn initialize_without_required_fields_is_invalid_params() {
    let c = client().await;
    let e = c.request("initialize", json!({"capabilities": {}})).await.unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!(e.code, -32602);
    assert!(e.message.contains("protocolVersion"), "{}", e.message);
}

#[tokio::test]
async fn ping_and_unknown_methods() {
    let c = client().await;
    assert_eq!(c.request("ping", json!({})).await.unwrap(), json!({}));
    assert_eq!(rpc_code(c.request("does/not/exist", json!({})).await.unwrap_err()), -32601);
}

// ---------------------------------------------------------------------------------------------
// Tools
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn tools_are_listed_with_schemas_annotations_and_meta() {
    let c = client().await;
    let tools = c.list_tools().await.unwrap();
    let find = |n: &str| tools.iter().find(|t| t["name"] == n).cloned().unwrap_or_else(|| panic!("no tool {n}"));
    let add = find("add");
    assert_eq!(add["description"], "Adds two integers.");
    assert_eq!(add["inputSchema"]["type"], "object");
    assert_eq!(add["inputSchema"]["required"], json!(["a", "b"]));
    assert_eq!(add["inputSchema"]["properties"]["a"]["description"], "The first addend.");
    assert_eq!(add["annotations"], json!({"readOnlyHint": true, "idempotentHint": true}));
    assert_eq!(add["_meta"], json!({"owner": "tests", "version": 2, "fastmcp": {"tags": ["math"]}}));
    assert_eq!(add["outputSchema"]["properties"]["result"]["type"], "integer");
    assert!(add.get("execution").is_none(), "forbidden is the default and is not listed");

    let translate = find("translate");
    assert_eq!(translate["title"], "Translate");
    assert_eq!(translate["description"], "Moves a point.");
    assert_eq!(translate["inputSchema"]["properties"]["dx"]["description"], "horizontal offset");
    assert_eq!(translate["inputSchema"]["required"], json!(["point", "dx"]), "Option<T> is not required");
    assert_eq!(translate["annotations"], json!({"destructiveHint": false, "openWorldHint": false}));
    assert_eq!(translate["outputSchema"]["type"], "object");
    assert!(translate["outputSchema"].get("x-fastmcp-wrap-result").is_none());

    let hello = find("say-hello");
    assert!(hello["inputSchema"]["properties"].get("who").is_some(), "serde rename respected");
    let picture = find("picture");
    assert!(picture.get("outputSchema").is_none(), "content returns have no output schema");
    for t in &tools {
        assert!(!t["inputSchema"].to_string().contains("$schema"), "no dialect marker: 2020-12 is the default");
        assert!(!t["inputSchema"].to_string().contains("Context"), "extractors never appear in schemas");
    }
}

#[tokio::test]
async fn structured_results_carry_text_and_structured_content() {
    let c = client().await;
    let r = c.call_tool("add", json!({"a": 2, "b": 3})).await.unwrap();
    assert!(!r.is_error());
    assert_eq!(r.structured_content, Some(json!({"result": 5})));
    assert_eq!(r.text_content(), "5");

    let r = c.call_tool("translate", json!({"point": {"x": 1.0, "y": 2.0}, "dx": 1.5})).await.unwrap();
    assert_eq!(r.structured_content, Some(json!({"x": 2.5, "y": 2.0})));
    let back: Point = serde_json::from_str(&r.text_content()).unwrap();
    assert_eq!(back, Point { x: 2.5, y: 2.0 });
}

#[tokio::test]
async fn content_results_and_errors() {
    let c = client().await;
    let r = c.call_tool("picture", json!({})).await.unwrap();
    assert_eq!(r.content.len(), 2);
    assert!(matches!(&r.content[1], Content::Image(i) if i.mime_type == "image/png"));

    let r = c.call_tool("divide", json!({"a": 1, "b": 0})).await.unwrap();
    assert!(r.is_error());
    assert_eq!(r.text_content(), "division by zero");

    let r = c.call_tool("say-hello", json!({"who": "ann"})).await.unwrap();
    assert_eq!(r.text_content(), "hello ann");
}

#[tokio::test]
async fn bad_arguments_name_the_argument_and_the_reason() {
    let c = client().await;
    let r = c.call_tool("add", json!({"a": "two", "b": 3})).await.unwrap();
    assert!(r.is_error());
    let text = r.text_content();
    // With the `validation` feature (in `full`) the inputSchema speaks first; without it, serde.
    let (wrong_type, missing) = if cfg!(feature = "full") {
        ("\"two\" is not of type \"integer\"", "missing required argument `b`")
    } else {
        ("expected i64", "missing field `b`")
    };
    assert!(text.contains("argument `a`") && text.contains(wrong_type), "{text}");

    let r = c.call_tool("add", json!({"a": 1})).await.unwrap();
    assert!(r.is_error());
    assert!(r.text_content().contains(missing), "{}", r.text_content());

    let r = c.call_tool("translate", json!({"point": {"x": 1.0}, "dx": 0})).await.unwrap();
    assert!(r.text_content().contains("`point`") && r.text_content().contains("`y`"), "{}", r.text_content());
}

#[tokio::test]
async fn protocol_errors_of_tools_call() {
    let c = client().await;
    let e = c.call_tool("nope", json!({})).await.unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!((e.code, e.message.as_str()), (-32602, "Unknown tool: nope"));
    let e = c.request("tools/call", json!({"arguments": {}})).await.unwrap_err();
    assert!(e.rpc().unwrap().message.contains("name"));
    let e = c.request("tools/call", json!({"name": "add", "arguments": 5})).await.unwrap_err();
    assert_eq!(e.rpc().unwrap().code, -32602);
    assert!(e.rpc().unwrap().message.contains("arguments"));
}

#[tokio::test]
async fn missing_arguments_key_means_no_arguments() {
    let c = client().await;
    let r = c.request("tools/call", json!({"name": "picture"})).await.unwrap();
    assert_eq!(r["content"][0]["text"], "a pixel");
}

#[tokio::test]
async fn tools_list_paginates_with_cursors() {
    let s = FastMcp::new("paged").page_size(2).state(Greeting("hello".into())).build().unwrap();
    let c = Client::connect(&s).await.unwrap();
    let first = c.request("tools/list", json!({})).await.unwrap();
    assert_eq!(first["tools"].as_array().unwrap().len(), 2);
    let cursor = first["nextCursor"].as_str().unwrap().to_owned();
    let second = c.request("tools/list", json!({"cursor": cursor})).await.unwrap();
    assert_ne!(first["tools"][0]["name"], second["tools"][0]["name"]);
    let all = c.list_tools().await.unwrap();
    assert_eq!(all.len(), s.tool_names().len());
    let e = c.request("tools/list", json!({"cursor": "garbage"})).await.unwrap_err();
    assert_eq!(rpc_code(e), -32602);
}

// ---------------------------------------------------------------------------------------------
// Resources
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn resources_list_read_and_templates() {
    let c = client().await;
    let list = c.list_resources().await.unwrap();
    let st = list.iter().find(|r| r["uri"] == "test://static").unwrap();
    assert_eq!(st["name"], "static_text");
    assert_eq!(st["title"], "Static");
    assert_eq!(st["mimeType"], "text/plain");
    let b = list.iter().find(|r| r["uri"] == "test://bytes").unwrap();
    assert_eq!(b["mimeType"], "application/x-test");

    let templates = c.list_resource_templates().await.unwrap();
    let t = templates.iter().find(|t| t["uriTemplate"] == "items://{kind}/{id}").unwrap();
    assert_eq!(t["mimeType"], "application/json");

    let r = c.read_resource("test://static").await.unwrap();
    assert_eq!(r.contents[0].body, ResourceBody::Text("static body".into()));
    let r = c.read_resource("test://bytes").await.unwrap();
    assert_eq!(r.contents[0].body, ResourceBody::Blob("AQID".into()));
    let r = c.read_resource("items://fruit/7").await.unwrap();
    assert_eq!(r.contents[0].uri, "items://fruit/7");
    let ResourceBody::Text(t) = &r.contents[0].body else { panic!() };
    assert_eq!(serde_json::from_str::<Value>(t).unwrap(), json!({"kind": "fruit", "id": 7}));
}

#[tokio::test]
async fn resource_errors() {
    let c = client().await;
    let e = c.read_resource("test://missing").await.unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!(e.code, -32002);
    assert_eq!(e.data, Some(json!({"uri": "test://missing"})));
    let e = c.read_resource("items://fruit/not-a-number").await.unwrap_err();
    assert_eq!(rpc_code(e), -32602);
    let e = c.read_resource("test://broken").await.unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!((e.code, e.message.as_str()), (-32603, "disk on fire"));
}

#[tokio::test]
async fn subscriptions_deliver_updates_only_to_subscribers() {
    let s = server().await;
    let subscribed = Client::connect(&s).await.unwrap();
    let other = Client::connect(&s).await.unwrap();
    subscribed.subscribe("test://static").await.unwrap();
    s.notify_resource_updated("test://static").await;
    let n = tokio::time::timeout(Duration::from_secs(5), subscribed.next_notification()).await.unwrap().unwrap();
    assert_eq!(n.method, "notifications/resources/updated");
    assert_eq!(n.params.unwrap()["uri"], "test://static");
    assert!(other.drain_notifications().await.is_empty());
    subscribed.unsubscribe("test://static").await.unwrap();
    s.notify_resource_updated("test://static").await;
    c_ping(&subscribed).await;
    assert!(subscribed.drain_notifications().await.is_empty());
}

async fn c_ping(c: &Client) {
    c.ping().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Prompts and completion
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn prompts_list_and_get() {
    let c = client().await;
    let prompts = c.list_prompts().await.unwrap();
    let p = prompts.iter().find(|p| p["name"] == "summarize").unwrap();
    assert_eq!(
        p["arguments"],
        json!([
            {"name": "topic", "description": "What to summarise.", "required": true},
            {"name": "style", "description": "How.", "required": false},
            {"name": "words", "description": "At most this many words.", "required": false},
        ])
    );
    let hello = prompts.iter().find(|p| p["name"] == "hello_prompt").unwrap();
    assert_eq!(hello["title"], "Hello prompt");

    let r = c.get_prompt("summarize", json!({"topic": "rust", "words": "12"})).await.unwrap();
    assert_eq!(r.description.as_deref(), Some("Summarises a topic."));
    assert_eq!(r.messages[0].content.as_text(), Some("Summarise rust in a plain style"));
    assert_eq!(r.messages[1].content.as_text(), Some("At most 12 words."));
}

#[tokio::test]
async fn prompt_errors_are_invalid_params() {
    let c = client().await;
    let e = c.get_prompt("summarize", json!({})).await.unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!(e.code, -32602);
    assert!(e.message.contains("topic"), "{}", e.message);
    assert_eq!(rpc_code(c.get_prompt("nope", json!({})).await.unwrap_err()), -32602);
    let e = c.get_prompt("summarize", json!({"topic": "x", "words": "many"})).await.unwrap_err();
    assert!(e.rpc().unwrap().message.contains("`words`"));
}

#[tokio::test]
async fn completion_hooks_per_argument() {
    let c = client().await;
    let values = c.complete_prompt_argument("summarize", "style", "x").await.unwrap();
    assert_eq!(values.len(), 100, "capped at 100");
    let r = c
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/prompt", "name": "summarize"}, "argument": {"name": "style", "value": "x"}}),
        )
        .await
        .unwrap();
    assert_eq!(r["completion"]["total"], 150);
    assert_eq!(r["completion"]["hasMore"], true);
    assert!(c.complete_prompt_argument("summarize", "topic", "a").await.unwrap().is_empty());
    let r = c
        .request(
            "completion/complete",
            json!({"ref": {"type": "ref/resource", "uri": "items://{kind}/{id}"}, "argument": {"name": "kind", "value": "ap"}}),
        )
        .await
        .unwrap();
    assert_eq!(r["completion"]["values"], json!(["apple", "apricot"]));
    let e = c.complete_prompt_argument("nope", "x", "").await.unwrap_err();
    assert_eq!(rpc_code(e), -32602);
}

// ---------------------------------------------------------------------------------------------
// Logging, progress, cancellation
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn logging_respects_set_level_and_progress_echoes_the_token() {
    let c = client().await;
    c.set_logging_level(LoggingLevel::Info).await.unwrap();
    let id = c.next_request_id();
    let r = c
        .request_with_id(id, "tools/call", json!({"name": "chatty", "arguments": {}, "_meta": {"progressToken": 7}}))
        .await
        .unwrap();
    assert_eq!(r["content"][0]["text"], "done");
    let notes = c.drain_notifications().await;
    let logs: Vec<_> = notes.iter().filter(|n| n.method == "notifications/message").collect();
    assert_eq!(logs.len(), 2, "debug is filtered out at level info");
    assert_eq!(logs[0].params.as_ref().unwrap()["level"], "info");
    assert_eq!(logs[0].params.as_ref().unwrap()["data"], "info line");
    let progress: Vec<_> = notes.iter().filter(|n| n.method == "notifications/progress").collect();
    assert_eq!(progress.len(), 3);
    let p = progress[2].params.as_ref().unwrap();
    assert_eq!(p["progressToken"], json!(7), "an integer token stays an integer");
    assert_eq!((p["progress"].as_f64(), p["total"].as_f64()), (Some(3.0), Some(3.0)));
    assert_eq!(p["message"], "step 3");

    c.request("tools/call", json!({"name": "chatty", "arguments": {}, "_meta": {"progressToken": "tok"}}))
        .await
        .unwrap();
    let notes = c.drain_notifications().await;
    assert!(
        notes
            .iter()
            .filter(|n| n.method == "notifications/progress")
            .all(|n| n.params.as_ref().unwrap()["progressToken"] == "tok")
    );

    assert_eq!(rpc_code(c.request("logging/setLevel", json!({"level": "loud"})).await.unwrap_err()), -32602);
}

#[tokio::test]
async fn no_progress_without_a_token() {
    let c = client().await;
    c.call_tool("chatty", json!({})).await.unwrap();
    assert!(c.drain_notifications().await.iter().all(|n| n.method != "notifications/progress"));
}

#[tokio::test]
async fn cancellation_aborts_the_running_handler() {
    let c = Arc::new(client().await);
    let id = c.next_request_id();
    let call = {
        let c = c.clone();
        let id = id.clone();
        tokio::spawn(
            async move { c.request_with_id(id, "tools/call", json!({"name": "sleepy", "arguments": {}})).await },
        )
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.cancel(&id);
    for _ in 0..200 {
        if DROPPED.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(DROPPED.load(Ordering::SeqCst), "the handler future was dropped");
    // A cancelled request gets no response.
    assert!(tokio::time::timeout(Duration::from_millis(200), call).await.is_err());
    c.ping().await.unwrap();
}

#[tokio::test]
async fn a_cancelled_call_whose_handler_ends_anyway_gets_no_response() {
    // The handler sees the cancellation and returns: its answer must not be sent.
    let c = Arc::new(client().await);
    let id = c.next_request_id();
    let call = {
        let (c, id) = (c.clone(), id.clone());
        tokio::spawn(async move {
            c.request_with_id(id, "tools/call", json!({"name": "stops_when_cancelled", "arguments": {}})).await
        })
    };
    tokio::time::sleep(Duration::from_millis(50)).await;
    c.cancel(&id);
    assert!(tokio::time::timeout(Duration::from_millis(300), call).await.is_err(), "a response was sent");
    c.ping().await.unwrap();
}

#[tokio::test]
async fn dropping_a_call_cancels_it_on_the_server() {
    let c = client().await;
    let gave_up = tokio::time::timeout(Duration::from_millis(50), c.call_tool("abandoned", json!({}))).await;
    assert!(gave_up.is_err(), "the call was still running");
    for _ in 0..200 {
        if DROPPED_ON_DROP.load(Ordering::SeqCst) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(DROPPED_ON_DROP.load(Ordering::SeqCst), "the server dropped the handler of the abandoned call");
    c.ping().await.unwrap();
}

// ---------------------------------------------------------------------------------------------
// Server-to-client requests
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn sampling_elicitation_and_roots_through_context() {
    let s = server().await;
    let c = Client::builder()
        .capabilities(json!({"sampling": {}, "elicitation": {}, "roots": {}}))
        .on_request(|method, params| async move {
            match method.as_str() {
                "sampling/createMessage" => {
                    let q = params["messages"][0]["content"]["text"].as_str().unwrap_or_default().to_owned();
                    Ok(json!({"role": "assistant", "content": {"type": "text", "text": format!("echo {q}")}, "model": "m"}))
                }
                "elicitation/create" => Ok(json!({"action": "accept", "content": {"name": "Ada"}})),
                "roots/list" => Ok(json!({"roots": [{"uri": "file:///work", "name": "work"}]})),
                _ => Err(ErrorObject::method_not_found(&method)),
            }
        })
        .connect(&s)
        .await
        .unwrap();
    assert_eq!(
        c.call_tool("ask_model", json!({"question": "2+2?"})).await.unwrap().text_content(),
        "model says: echo 2+2?"
    );
    assert_eq!(c.call_tool("ask_user", json!({})).await.unwrap().text_content(), "hi Ada");
    assert_eq!(
        c.call_tool("roots", json!({})).await.unwrap().structured_content,
        Some(json!({"result": ["file:///work"]}))
    );
}

#[tokio::test]
async fn client_capabilities_are_respected() {
    let c = client().await;
    let r = c.call_tool("ask_model", json!({"question": "?"})).await.unwrap();
    assert!(r.is_error());
    assert!(r.text_content().contains("sampling"), "{}", r.text_content());
}

#[tokio::test]
async fn client_errors_surface_in_the_tool_result() {
    let s = server().await;
    let c = Client::builder()
        .capabilities(json!({"elicitation": {}}))
        .on_request(|_, _| async { Err(ErrorObject::internal("user closed the dialog")) })
        .connect(&s)
        .await
        .unwrap();
    let r = c.call_tool("ask_user", json!({})).await.unwrap();
    assert!(r.is_error() && r.text_content().contains("user closed the dialog"));
}

// ---------------------------------------------------------------------------------------------
// Composition, state, lifespan, readiness
// ---------------------------------------------------------------------------------------------

#[tokio::test]
async fn explicit_composition_serves_exactly_the_named_components() {
    let s = FastMcp::new("small").tool(add).tool(divide).prompt(hello_prompt).resource(item).build().unwrap();
    let c = Client::connect(&s).await.unwrap();
    let names: Vec<_> = c.list_tools().await.unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    assert_eq!(names, ["add", "divide"]);
    assert_eq!(c.list_prompts().await.unwrap().len(), 1);
    assert_eq!(c.list_resource_templates().await.unwrap().len(), 1);
    assert!(c.list_resources().await.unwrap().is_empty());
}

fn not_a_tool() {}

#[tokio::test]
async fn configuration_errors_at_startup() {
    let Err(ServerError::Config(msg)) = FastMcp::new("dup").tool(add).tool(add).build() else {
        panic!("expected an error")
    };
    assert!(msg.contains("duplicate tool name `add`"), "{msg}");
    let Err(ServerError::Config(msg)) = FastMcp::new("bad").tool(not_a_tool).build() else {
        panic!("expected an error")
    };
    assert!(
        msg.contains("not_a_tool") && msg.contains("not a #[tool] function: add `#[tool]` above its `fn`"),
        "{msg}"
    );
    let sub = FastMcp::new("sub").tool(add);
    let Err(ServerError::Config(msg)) =
        FastMcp::new("p").tool(add).mount("x", sub).mount("x", FastMcp::new("s2").tool(add)).build()
    else {
        panic!("expected an error")
    };
    assert!(msg.contains("x_add"), "{msg}");
}

#[tokio::test]
async fn tag_filters() {
    let s = FastMcp::new("tags").include_tags(["math"]).build().unwrap();
    assert_eq!(s.tool_names(), ["add"]);
    let s = FastMcp::new("tags").exclude_tags(["math"]).state(Greeting("hello".into())).build().unwrap();
    assert!(!s.tool_names().contains(&"add".to_owned()));
}

#[tokio::test]
async fn lifespan_state_and_teardown_once_including_mounts() {
    let setups = Arc::new(AtomicUsize::new(0));
    let teardowns = Arc::new(AtomicUsize::new(0));
    let sub_setups = Arc::new(AtomicUsize::new(0));
    let (s1, t1, s2) = (setups.clone(), teardowns.clone(), sub_setups.clone());
    let sub = FastMcp::new("sub").tool(add).resource(static_text).prompt(hello_prompt).lifespan(move || {
        let s2 = s2.clone();
        async move {
            s2.fetch_add(1, Ordering::SeqCst);
            Ok::<_, std::io::Error>(Lifespan::new())
        }
    });
    let server = FastMcp::new("main")
        .tool(greet)
        .mount("sub", sub)
        .lifespan(move || {
            let (s1, t1) = (s1.clone(), t1.clone());
            async move {
                s1.fetch_add(1, Ordering::SeqCst);
                Ok::<_, std::io::Error>(Lifespan::new().with_state(Greeting("howdy".into())).on_shutdown(
                    move || async move {
                        t1.fetch_add(1, Ordering::SeqCst);
                    },
                ))
            }
        })
        .build()
        .unwrap();
    let c1 = Client::connect(&server).await.unwrap();
    let c2 = Client::connect(&server).await.unwrap();
    server.wait_until_ready().await.unwrap();
    assert_eq!(c1.call_tool("greet", json!({"name": "bo"})).await.unwrap().text_content(), "howdy bo");
    assert_eq!(
        c2.call_tool("sub_add", json!({"a": 1, "b": 1})).await.unwrap().structured_content,
        Some(json!({"result": 2}))
    );
    assert_eq!(c2.read_resource("test://sub/static").await.unwrap().contents[0].uri, "test://sub/static");
    assert!(c2.get_prompt("sub_hello_prompt", json!({})).await.is_ok());
    assert_eq!((setups.load(Ordering::SeqCst), sub_setups.load(Ordering::SeqCst)), (1, 1), "entered once per start");
    server.shutdown().await;
    assert_eq!(teardowns.load(Ordering::SeqCst), 1);
    server.shutdown().await;
    assert_eq!(teardowns.load(Ordering::SeqCst), 1, "teardown runs once");
}

#[tokio::test]
async fn missing_state_fails_the_build_not_every_call() {
    let e = FastMcp::new("no-state").tool(greet).build().err().expect("build fails");
    assert!(e.to_string().contains("Greeting"), "{e}");
}

#[tokio::test]
async fn failing_lifespan_fails_startup_and_readiness() {
    let s = FastMcp::new("fails").lifespan(|| async { Err::<Lifespan, _>("database unreachable") }).build().unwrap();
    let waiter = {
        let s = s.clone();
        tokio::spawn(async move { s.wait_until_ready().await })
    };
    let err = Client::connect(&s).await.err().unwrap();
    assert!(err.to_string().contains("database unreachable"), "{err}");
    let ready = waiter.await.unwrap();
    assert!(matches!(ready, Err(ServerError::Lifespan(m)) if m.contains("database unreachable")));
}

#[tokio::test]
async fn wait_until_ready_waits_for_a_transport() {
    let s = server().await;
    s.start().await.unwrap();
    let early = tokio::time::timeout(Duration::from_millis(50), s.wait_until_ready()).await;
    assert!(early.is_err(), "not ready before a transport is up");
    let _c = Client::connect(&s).await.unwrap();
    s.wait_until_ready().await.unwrap();
}

#[tokio::test]
async fn graceful_shutdown_waits_for_in_flight_requests() {
    let s = FastMcp::new("graceful").tool(nap).build().unwrap();
    let c = Arc::new(Client::connect(&s).await.unwrap());
    let started = std::time::Instant::now();
    let call = {
        let c = c.clone();
        tokio::spawn(async move { c.call_tool("nap", json!({"ms": 150})).await })
    };
    tokio::time::sleep(Duration::from_millis(30)).await;
    s.shutdown().await;
    assert!(started.elapsed() >= Duration::from_millis(150), "shutdown returned before the request finished");
    let result = tokio::time::timeout(Duration::from_secs(1), call).await.unwrap().unwrap().unwrap();
    assert_eq!(result.text_content(), "rested");
}

#[tokio::test]
async fn shutdown_wait_is_bounded_and_aborts_what_is_left() {
    let s = FastMcp::new("bounded").tool(sleepy).shutdown_timeout(Duration::from_millis(100)).build().unwrap();
    let c = Arc::new(Client::connect(&s).await.unwrap());
    let call = {
        let c = c.clone();
        tokio::spawn(async move { c.call_tool("sleepy", json!({})).await })
    };
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = std::time::Instant::now();
    s.shutdown().await;
    assert!(started.elapsed() < Duration::from_secs(3), "took {:?}", started.elapsed());
    assert!(DROPPED.load(Ordering::SeqCst), "the lingering handler was aborted");
    call.abort();
    assert!(Client::connect(&s).await.is_err(), "a stopped server accepts no new session");
}

#[tokio::test]
async fn list_changed_is_sent_when_tools_change() {
    let s = server().await;
    let c = Client::connect(&s).await.unwrap();
    assert!(s.remove_tool("picture").await);
    let n = tokio::time::timeout(Duration::from_secs(5), c.next_notification()).await.unwrap().unwrap();
    assert_eq!(n.method, "notifications/tools/list_changed");
    assert!(c.list_tools().await.unwrap().iter().all(|t| t["name"] != "picture"));
    s.add_tool(fastmcp::Tool::new("dyn", json!({"type": "object"}), |_, _| async { CallToolResult::text("dynamic") }))
        .await;
    let n = tokio::time::timeout(Duration::from_secs(5), c.next_notification()).await.unwrap().unwrap();
    assert_eq!(n.method, "notifications/tools/list_changed");
    assert_eq!(c.call_tool("dyn", json!({})).await.unwrap().text_content(), "dynamic");
    assert!(s.remove_prompt("hello_prompt").await);
    let n = tokio::time::timeout(Duration::from_secs(5), c.next_notification()).await.unwrap().unwrap();
    assert_eq!(n.method, "notifications/prompts/list_changed");
}

#[tokio::test]
async fn docket_and_worker_extractors_run_components_by_name() {
    let c = client().await;
    let r = c.call_tool("via_docket", json!({})).await.unwrap();
    assert_eq!(r.text_content(), "42 by true");
}

#[test]
fn annotated_functions_stay_plain_functions() {
    assert_eq!(add(2, 2), 4);
    assert_eq!(divide(1.0, 0.0), Err("division by zero".to_owned()));
    assert_eq!(say_hello("x".into()), "hello x");
}

#[tokio::test]
async fn schemas_carry_no_formats_that_validators_do_not_know() {
    #[derive(Serialize, schemars::JsonSchema)]
    struct Counts {
        small: u8,
        big: u64,
        signed: i64,
    }
    let schema = fastmcp::__private::output_schema::<Counts>();
    assert!(schema["properties"]["small"].get("format").is_none());
    assert!(schema["properties"]["big"].get("format").is_none());
    assert_eq!(schema["properties"]["big"]["minimum"], 0);
    assert_eq!(schema["properties"]["signed"]["format"], "int64");
}

#[tokio::test]
async fn registered_components_are_listed_in_name_order() {
    let c = client().await;
    let names: Vec<String> =
        c.list_tools().await.unwrap().iter().map(|t| t["name"].as_str().unwrap().to_owned()).collect();
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
}

// ---------------------------------------------------------------------------------------------
// Tasks over a connection-oriented transport (in memory, like stdio)
// ---------------------------------------------------------------------------------------------

/// Samples from the client while running as a task.
#[tool(task = "optional")]
async fn task_sampler(ctx: Context, question: String) -> Result<String, fastmcp::ClientRequestError> {
    let answer = ctx.sample(question, 10).await?;
    Ok(format!("model said: {answer}"))
}

#[tokio::test]
async fn a_task_samples_through_the_connection_and_completes() {
    let s = FastMcp::new("tasks").tool(task_sampler).build().unwrap();
    let c = Client::builder()
        .capabilities(json!({"sampling": {}}))
        .on_request(|method, params| async move {
            assert_eq!(method, "sampling/createMessage");
            assert!(params["_meta"]["io.modelcontextprotocol/related-task"]["taskId"].is_string(), "{params}");
            Ok(json!({"role": "assistant", "content": {"type": "text", "text": "forty-two"}, "model": "m"}))
        })
        .connect(&s)
        .await
        .unwrap();
    let created = c
        .request("tools/call", json!({"name": "task_sampler", "arguments": {"question": "why?"}, "task": {}}))
        .await
        .unwrap();
    let id = created["task"]["taskId"].as_str().unwrap().to_owned();
    assert_eq!(created["task"]["status"], "working");
    // Also readable as FastMCP 2.14 reads it: an empty CallToolResult naming the task in `_meta`.
    assert_eq!(created["content"], json!([]), "{created}");
    assert_eq!(created["_meta"]["modelcontextprotocol.io/task"]["taskId"], id.as_str(), "{created}");
    let result = c.request("tasks/result", json!({"taskId": id})).await.unwrap();
    assert_eq!(result["content"][0]["text"], "model said: forty-two", "{result}");
    assert_eq!(result["_meta"]["io.modelcontextprotocol/related-task"]["taskId"], id.as_str());
    let task = c.request("tasks/get", json!({"taskId": id})).await.unwrap();
    assert_eq!(task["status"], "completed");
    // The status notifications went over the same connection, in order, without repeats.
    let mut statuses: Vec<String> = Vec::new();
    while statuses.last().map(String::as_str) != Some("completed") {
        let n = tokio::time::timeout(Duration::from_secs(5), c.next_notification())
            .await
            .expect("a completed status notification")
            .unwrap();
        if n.method == "notifications/tasks/status" {
            statuses.push(n.params.unwrap()["status"].as_str().unwrap().to_owned());
        }
    }
    assert!(statuses.windows(2).all(|w| w[0] != w[1]), "{statuses:?}");
}

/// Counts to `steps`, reporting progress, one step every `step_ms`.
#[tool(task = "optional")]
async fn counting_job(progress: fastmcp::Progress, steps: u64, step_ms: u64) -> String {
    for step in 1..=steps {
        tokio::time::sleep(Duration::from_millis(step_ms)).await;
        progress.report(step as f64, Some(steps as f64), None).await;
    }
    format!("counted to {steps}")
}

#[tokio::test]
async fn the_client_task_api_follows_a_task_to_its_end() {
    let s = FastMcp::new("tasks").tool(counting_job).tool(task_sampler).tool(add).build().unwrap();
    let c = Client::connect(&s).await.unwrap();
    let task = c
        .call_tool_as_task("counting_job", json!({"steps": 3, "step_ms": 20}), Some(Duration::from_secs(60)))
        .await
        .unwrap();
    assert_eq!(task.created().status, "working");
    assert_eq!(task.created().ttl, Some(60_000));
    assert!(c.list_tasks().await.unwrap().iter().any(|t| t.task_id == task.id()));
    let result = task.tool_result().await.unwrap();
    assert_eq!(result.content[0].as_text(), Some("counted to 3"));
    let status = task.status().await.unwrap();
    assert!(status.is_terminal() && status.status == "completed", "{status:?}");
    // Progress came with the handle's token, the last one before the terminal status.
    let progress = fastmcp_tests::drained(&c, "notifications/progress").await;
    assert_eq!(progress.len(), 3, "{progress:?}");
    assert!(progress.iter().all(|p| &p["progressToken"] == task.progress_token()));

    // Cancelled while running: final, and its result says so.
    let task = c.call_tool_as_task("counting_job", json!({"steps": 100, "step_ms": 100}), None).await.unwrap();
    let cancelled = task.cancel().await.unwrap();
    assert_eq!(cancelled.status, "cancelled");
    assert_eq!(task.status().await.unwrap().status, "cancelled");

    // A tool that never runs as a task: the server's error, not a handle.
    let e = c.call_tool_as_task("add", json!({"a": 1, "b": 2}), None).await.unwrap_err();
    assert!(e.rpc().is_some(), "{e:?}");
}

#[tokio::test]
async fn progress_and_log_callbacks_receive_what_the_server_sends() {
    let talk = fastmcp::Tool::new("talk", json!({"type": "object"}), |_, ctx| async move {
        ctx.warning("careful").await;
        ctx.report_progress(1.0, Some(2.0), Some("half")).await;
        ctx.report_progress(2.0, Some(2.0), None).await;
        CallToolResult::text("said")
    });
    let s = FastMcp::new("callbacks").dynamic_tool(talk).build().unwrap();
    let progress = Arc::new(Mutex::new(Vec::new()));
    let logs = Arc::new(Mutex::new(Vec::new()));
    let others = Arc::new(Mutex::new(Vec::new()));
    let c = {
        let (progress, logs, others) = (progress.clone(), logs.clone(), others.clone());
        Client::builder()
            .on_progress(move |p| progress.lock().unwrap().push(p))
            .on_log(move |l| logs.lock().unwrap().push(l))
            .on_notification(move |n| others.lock().unwrap().push(n.method))
            .connect(&s)
            .await
            .unwrap()
    };
    c.request("tools/call", json!({"name": "talk", "arguments": {}, "_meta": {"progressToken": "p"}})).await.unwrap();
    s.notify_list_changed("tools").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let progress = progress.lock().unwrap().clone();
    assert_eq!(progress.len(), 2, "{progress:?}");
    assert_eq!((progress[0].token.clone(), progress[0].progress, progress[0].total), (json!("p"), 1.0, Some(2.0)));
    assert_eq!(progress[0].message.as_deref(), Some("half"));
    let logs = logs.lock().unwrap().clone();
    assert_eq!(logs.len(), 1, "{logs:?}");
    assert_eq!((logs[0].level, logs[0].data.clone()), (fastmcp::protocol::LoggingLevel::Warning, json!("careful")));
    assert_eq!(*others.lock().unwrap(), ["notifications/tools/list_changed"]);
    // Nothing was left in the queue.
    assert!(c.drain_notifications().await.is_empty());
}
