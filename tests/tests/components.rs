//! How annotated functions become components: which parameters are extractors (by type, not by
//! name), what the schemas say, and what a call gets.

use fastmcp::extract::Call;
use fastmcp::prelude::*;
use fastmcp::{ExtractError, FromCall};
use serde_json::{Value, json};

/// A user-defined extractor: the tenant named in the request's `_meta`, or a refusal.
struct Tenant(String);

impl FromCall for Tenant {
    fn from_call(call: &Call) -> Result<Self, ExtractError> {
        call.context()
            .request_meta()
            .and_then(|m| m.get("tenant"))
            .and_then(Value::as_str)
            .map(|t| Tenant(t.to_owned()))
            .ok_or_else(|| ExtractError::Rejected("this call names no tenant in _meta".into()))
    }
}

struct Store {
    prefix: String,
}

/// Aliases of extractors are extractors too.
type Db = State<Store>;
type Ctx = Context;

/// Both an extractor and decodable from JSON: being an extractor wins.
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Locale(String);

impl FromCall for Locale {
    fn from_call(_call: &Call) -> Result<Self, ExtractError> {
        Ok(Locale("en".into()))
    }
}

/// Greets the tenant.
#[tool]
fn whoami(tenant: Tenant, db: Db, ctx: Ctx, locale: Locale, times: u32) -> String {
    let _ = (ctx.request_id(), locale.0);
    format!("{}{} x{times}", db.prefix, tenant.0)
}

/// A prompt with a user extractor next to an argument.
#[prompt]
fn tenant_prompt(tenant: Tenant, topic: String) -> String {
    format!("{} asks about {topic}", tenant.0)
}

/// A resource template whose non-variable parameter is an alias of `State<T>`.
#[resource("tenants://{id}")]
fn tenant_resource(id: String, db: Db) -> String {
    format!("{}{id}", db.prefix)
}

async fn client() -> Client {
    let server = FastMcp::new("components")
        .state(Store { prefix: "hi ".into() })
        .tool(whoami)
        .prompt(tenant_prompt)
        .resource(tenant_resource)
        .build()
        .unwrap();
    Client::connect(&server).await.unwrap()
}

#[tokio::test]
async fn user_extractors_and_aliases_are_not_arguments() {
    let c = client().await;
    let tools = c.list_tools().await.unwrap();
    let whoami = tools.iter().find(|t| t["name"] == "whoami").unwrap();
    assert_eq!(
        whoami["inputSchema"],
        json!({"type": "object", "properties": {"times": {"type": "integer", "minimum": 0}}, "required": ["times"]})
    );
    let prompts = c.list_prompts().await.unwrap();
    let prompt = prompts.iter().find(|p| p["name"] == "tenant_prompt").unwrap();
    assert_eq!(prompt["arguments"], json!([{"name": "topic", "required": true}]));
}

#[tokio::test]
async fn user_extractors_fill_parameters_and_refuse_with_their_reason() {
    let c = client().await;
    let r = c
        .request("tools/call", json!({"name": "whoami", "arguments": {"times": 2}, "_meta": {"tenant": "acme"}}))
        .await
        .unwrap();
    assert_eq!(r["content"][0]["text"], "hi acme x2");

    let e = c.call_tool("whoami", json!({"times": 2})).await.unwrap_err();
    let e = e.rpc().expect("a JSON-RPC error");
    assert!(e.message.contains("names no tenant"), "{}", e.message);

    let r = c
        .request(
            "prompts/get",
            json!({"name": "tenant_prompt", "arguments": {"topic": "rust"}, "_meta": {"tenant": "acme"}}),
        )
        .await
        .unwrap();
    assert_eq!(r["messages"][0]["content"]["text"], "acme asks about rust");

    let r = c.read_resource("tenants://42").await.unwrap();
    assert_eq!(serde_json::to_value(&r).unwrap()["contents"][0]["text"], "hi 42");
}

/// A note by id; only `1` exists.
#[resource("memo://by-id/{id}")]
fn note(id: u32) -> Result<String, fastmcp::ErrorObject> {
    if id == 1 {
        Ok("first".into())
    } else {
        Err(fastmcp::ErrorObject::resource_not_found(&format!("memo://by-id/{id}")))
    }
}

/// A prompt that refuses an empty topic as invalid params.
#[prompt]
fn strict_prompt(topic: String) -> Result<String, fastmcp::ErrorObject> {
    if topic.is_empty() { Err(fastmcp::ErrorObject::invalid_params("`topic` must not be empty")) } else { Ok(topic) }
}

/// A resource whose error is plain text: -32603 with that text.
#[resource("memo://broken")]
fn broken_note() -> Result<String, String> {
    Err("the disk is on fire".into())
}

#[tokio::test]
async fn handlers_keep_the_error_codes_they_return() {
    let server = FastMcp::new("errors").resource(note).resource(broken_note).prompt(strict_prompt).build().unwrap();
    let c = Client::connect(&server).await.unwrap();
    assert!(c.read_resource("memo://by-id/1").await.is_ok());
    let e = c.read_resource("memo://by-id/2").await.unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!(e.code, -32002, "{e:?}");
    assert_eq!(e.data, Some(json!({"uri": "memo://by-id/2"})));
    let e = c.get_prompt("strict_prompt", json!({"topic": ""})).await.unwrap_err();
    assert_eq!(e.rpc().unwrap().code, -32602);
    let e = c.read_resource("memo://broken").await.unwrap_err();
    let e = e.rpc().unwrap();
    assert_eq!((e.code, e.message.contains("the disk is on fire")), (-32603, true), "{e:?}");
}

/// Lists notes, at most `limit` of them.
#[tool]
fn list_notes(
    /// How many.
    #[schemars(range(min = 1, max = 20))]
    limit: u32,
    /// A tag, lower-case letters only.
    #[schemars(regex(pattern = r"^[a-z]+$"))]
    tag: Option<String>,
) -> String {
    format!("{limit} {}", tag.unwrap_or_default())
}

#[tokio::test]
#[cfg_attr(not(feature = "full"), ignore = "needs fastmcp's `validation` feature")]
async fn arguments_are_checked_against_the_published_schema() {
    let server = FastMcp::new("validation").tool(list_notes).build().unwrap();
    let c = Client::connect(&server).await.unwrap();
    let schema = &c.list_tools().await.unwrap()[0]["inputSchema"];
    assert_eq!(schema["properties"]["limit"]["maximum"], 20, "{schema}");
    assert_eq!(c.call_tool("list_notes", json!({"limit": 20, "tag": "abc"})).await.unwrap().text_content(), "20 abc");
    for (args, named, constraint) in [
        (json!({"limit": 0}), "`limit`", "minimum of 1"),
        (json!({"limit": 500}), "`limit`", "maximum of 20"),
        (json!({"limit": 5, "tag": "ABC"}), "`tag`", "does not match"),
    ] {
        let r = c.call_tool("list_notes", args.clone()).await.unwrap();
        assert!(r.is_error(), "{args} was accepted");
        let text = r.text_content();
        assert!(text.contains(named) && text.contains(constraint), "{args}: {text}");
    }
}

// ---------------------------------------------------------------------------------------------
// Outside a running server
// ---------------------------------------------------------------------------------------------

use fastmcp::testing::TestContext;
use std::sync::Mutex;

/// Counts down, logging and reporting progress; refuses to run without a docket.
#[tool]
async fn countdown(ctx: Context, progress: Progress, db: Db, from: u32) -> String {
    for i in (1..=from).rev() {
        ctx.info(format!("{i}")).await;
        progress.report(f64::from(from - i + 1), Some(f64::from(from)), None).await;
    }
    format!("{}liftoff", db.prefix)
}

#[tokio::test]
async fn a_tool_taking_extractors_is_unit_tested_with_a_test_context() {
    let t = TestContext::new().with_state(Store { prefix: "3 2 1 ".into() });
    let out = countdown(t.context(), t.extract().unwrap(), t.extract().unwrap(), 3).await;
    assert_eq!(out, "3 2 1 liftoff");
    let logs: Vec<String> = t.logs().into_iter().map(|(_, text)| text).collect();
    assert_eq!(logs, ["3", "2", "1"]);
    assert_eq!(t.progress_reports().last(), Some(&(3.0, Some(3.0), None)));
    assert!(!t.context().is_cancelled());
    t.cancel();
    assert!(t.context().is_cancelled());
}

/// Params a handler builds too deep for the writer's stack are not sent: a notification is
/// dropped (and logged), a request to the client fails with `TooDeep`.
#[tokio::test]
async fn notifications_and_client_requests_nested_too_deeply_are_not_sent() {
    let t = TestContext::new();
    let ctx = t.context();
    let nested = |depth: usize| (0..depth).fold(json!(0), |v, _| Value::Array(vec![v]));
    let limit = fastmcp::bounded_json::MAX_DEPTH;
    // `data` sits two levels down in the params: {"level", "data": ...}.
    ctx.log(fastmcp::protocol::LoggingLevel::Info, None, nested(limit - 1)).await;
    assert_eq!(t.notifications().len(), 1);
    ctx.log(fastmcp::protocol::LoggingLevel::Info, None, nested(limit)).await;
    ctx.log(fastmcp::protocol::LoggingLevel::Info, None, nested(3000)).await;
    ctx.send_notification("notifications/custom", nested(3000)).await;
    assert_eq!(t.notifications().len(), 1, "neither deep message was sent");
    let refused = ctx.request::<Value>("sampling/createMessage", nested(3000)).await;
    assert!(matches!(refused, Err(fastmcp::ClientRequestError::TooDeep(512))), "{refused:?}");
}

#[tokio::test]
async fn a_detached_context_errors_instead_of_panicking() {
    let ctx = Context::detached();
    ctx.info("goes nowhere").await;
    let call = Call::new(Default::default(), None, ctx.clone());
    let docket = CurrentDocket::from_call(&call).err().expect("no docket outside a server");
    assert_eq!(
        docket.to_string(),
        "No Docket instance found. Docket is only available within a running FastMCP server context."
    );
    let worker = CurrentWorker::from_call(&call).err().expect("no worker outside a server");
    assert_eq!(
        worker.to_string(),
        "No Worker instance found. Worker is only available within a running FastMCP server context."
    );
    assert!(matches!(State::<Store>::from_call(&call), Err(ExtractError::MissingState(_))));
    let asked = ctx.elicit("Your name?", json!({"type": "object", "properties": {}})).await;
    assert!(matches!(asked, Err(fastmcp::ClientRequestError::NoClient)), "{asked:?}");
}

static KEPT: Mutex<Option<Context>> = Mutex::new(None);

/// Keeps its context, to be examined after the server stops.
#[tool]
fn keep_context(ctx: Context, docket: CurrentDocket) -> String {
    *KEPT.lock().unwrap() = Some(ctx);
    let _ = docket;
    "kept".into()
}

#[tokio::test]
async fn docket_and_worker_extractors_error_before_start_and_after_shutdown() {
    let server = FastMcp::new("lifecycle").tool(keep_context).build().unwrap();
    assert!(server.docket().is_none() && server.worker().is_none(), "before start");
    let c = Client::connect(&server).await.unwrap();
    assert_eq!(c.call_tool("keep_context", json!({})).await.unwrap().text_content(), "kept");
    let ctx = KEPT.lock().unwrap().take().unwrap();
    let call = Call::new(Default::default(), None, ctx);
    assert!(CurrentDocket::from_call(&call).is_ok() && CurrentWorker::from_call(&call).is_ok(), "while running");
    server.shutdown().await;
    assert!(matches!(CurrentDocket::from_call(&call), Err(ExtractError::NoDocket)));
    assert!(matches!(CurrentWorker::from_call(&call), Err(ExtractError::NoWorker)));
}

struct Unprovided;

/// Needs a state nobody provides.
#[tool]
fn needs_unprovided(state: State<Unprovided>) -> String {
    let _ = state;
    String::new()
}

#[tokio::test]
async fn a_state_nothing_provides_fails_build_or_start_not_every_call() {
    let e = FastMcp::new("s").tool(needs_unprovided).build().err().expect("build fails");
    let text = e.to_string();
    assert!(text.contains("needs_unprovided") && text.contains("Unprovided") && text.contains(".state("), "{text}");

    // With a lifespan, the state may come from it: checked when the server starts.
    let server = FastMcp::new("s")
        .tool(needs_unprovided)
        .lifespan(|| async { Ok::<_, std::io::Error>(fastmcp::Lifespan::new()) })
        .build()
        .unwrap();
    let e = server.start().await.expect_err("start fails");
    assert!(e.to_string().contains("Unprovided"), "{e}");

    let server = FastMcp::new("s")
        .tool(needs_unprovided)
        .lifespan(|| async { Ok::<_, std::io::Error>(fastmcp::Lifespan::new().with_state(Unprovided)) })
        .build()
        .unwrap();
    server.start().await.unwrap();
    server.shutdown().await;
}

// ---------------------------------------------------------------------------------------------
// The DSL
// ---------------------------------------------------------------------------------------------

/// Waits, then says so.
#[tool]
async fn pause(
    /// How long, in milliseconds.
    #[arg(default = 200)]
    delay_ms: u64,
    /// What to say.
    #[arg(default = "done")]
    message: String,
    State(store): State<Store>,
) -> String {
    format!("{}{message} after {delay_ms} ms", store.prefix)
}

/// A prompt with a default.
#[prompt]
fn tone(#[arg(default = "plain")] style: String, State(store): State<Store>) -> String {
    format!("{}{style}", store.prefix)
}

struct Pool {
    closed: std::sync::atomic::AtomicBool,
}

/// Uses the pool the lifespan opened.
#[tool]
fn pool_open(State(pool): State<Pool>) -> bool {
    !pool.closed.load(std::sync::atomic::Ordering::SeqCst)
}

#[tokio::test]
async fn defaults_inline_and_state_patterns() {
    let server = FastMcp::new("dsl").tool(pause).prompt(tone).state(Store { prefix: "> ".into() }).build().unwrap();
    let c = Client::connect(&server).await.unwrap();
    let tools = c.list_tools().await.unwrap();
    let schema = &tools[0]["inputSchema"];
    assert_eq!(schema["properties"]["delay_ms"]["default"], 200, "{schema}");
    assert_eq!(schema["properties"]["message"]["default"], "done", "{schema}");
    assert_eq!(schema.get("required"), None, "{schema}");
    assert_eq!(schema["properties"].as_object().unwrap().len(), 2, "{schema}");
    assert_eq!(c.call_tool("pause", json!({})).await.unwrap().text_content(), "> done after 200 ms");
    assert_eq!(c.call_tool("pause", json!({"delay_ms": 5})).await.unwrap().text_content(), "> done after 5 ms");

    let prompts = c.list_prompts().await.unwrap();
    assert_eq!(prompts[0]["arguments"], json!([{"name": "style", "required": false}]));
    let r = c.get_prompt("tone", json!({})).await.unwrap();
    assert_eq!(r.messages[0].content.as_text(), Some("> plain"));
}

#[tokio::test]
async fn teardown_reaches_the_state_it_tears_down() {
    let seen = std::sync::Arc::new(std::sync::Mutex::new(None));
    let seen_by_teardown = seen.clone();
    let server = FastMcp::new("pool")
        .tool(pool_open)
        .lifespan(move || {
            let seen = seen_by_teardown.clone();
            async move {
                let pool = std::sync::Arc::new(Pool { closed: Default::default() });
                let closing = pool.clone();
                Ok::<_, std::io::Error>(fastmcp::Lifespan::new().with_shared_state(pool).on_shutdown(
                    move || async move {
                        closing.closed.store(true, std::sync::atomic::Ordering::SeqCst);
                        *seen.lock().unwrap() = Some(std::sync::Arc::strong_count(&closing));
                    },
                ))
            }
        })
        .build()
        .unwrap();
    let c = Client::connect(&server).await.unwrap();
    assert_eq!(c.call_tool("pool_open", json!({})).await.unwrap().structured_content, Some(json!({"result": true})));
    server.shutdown().await;
    // The teardown held the very `Arc` handlers used (the server's copy and its own).
    assert!(seen.lock().unwrap().is_some_and(|count| count >= 2));
}

/// A search query (the whole input of `search`).
#[derive(serde::Deserialize, schemars::JsonSchema)]
struct Query {
    /// What to look for.
    text: String,
    /// At most this many hits.
    #[schemars(range(min = 1, max = 50))]
    limit: Option<u32>,
}

/// Searches, rmcp style: one struct is the input.
#[tool]
fn search(Args(q): Args<Query>, ctx: Context) -> String {
    let _ = ctx;
    format!("{} x{}", q.text, q.limit.unwrap_or(10))
}

#[tokio::test]
async fn a_struct_as_the_whole_input() {
    let server = FastMcp::new("args").tool(search).build().unwrap();
    let c = Client::connect(&server).await.unwrap();
    let schema = &c.list_tools().await.unwrap()[0]["inputSchema"];
    assert_eq!(schema["required"], json!(["text"]), "{schema}");
    assert_eq!(schema["properties"]["text"]["description"], "What to look for.", "{schema}");
    assert!(schema["properties"]["limit"].is_object(), "{schema}");
    assert_eq!(c.call_tool("search", json!({"text": "rust"})).await.unwrap().text_content(), "rust x10");
    let r = c.call_tool("search", json!({"limit": 3})).await.unwrap();
    assert!(r.is_error() && r.text_content().contains("text"), "{}", r.text_content());
}

/// Cities, completed from the country already given and a state-held list.
#[prompt(complete(city = complete_city, country = complete_country))]
fn trip(country: String, city: String) -> String {
    format!("{city}, {country}")
}

struct Atlas(Vec<(&'static str, &'static str)>);

async fn complete_city(prefix: String, given: fastmcp::GivenArguments, State(atlas): State<Atlas>) -> Vec<String> {
    tokio::task::yield_now().await;
    let country = given.get("country").unwrap_or("");
    atlas
        .0
        .iter()
        .filter(|(c, city)| *c == country && city.starts_with(&prefix))
        .map(|(_, city)| city.to_string())
        .collect()
}

fn complete_country(prefix: String, ctx: Context) -> Vec<String> {
    let _ = ctx.request_id();
    ["fr", "de"].iter().filter(|c| c.starts_with(&prefix)).map(|c| c.to_string()).collect()
}

#[tokio::test]
async fn completers_may_be_async_and_take_extractors_and_the_given_arguments() {
    let atlas = Atlas(vec![("fr", "Paris"), ("fr", "Pau"), ("de", "Passau")]);
    let server = FastMcp::new("trip").prompt(trip).state(atlas).build().unwrap();
    let c = Client::connect(&server).await.unwrap();
    let ask = |arg: &str, value: &str, given: Value| json!({"ref": {"type": "ref/prompt", "name": "trip"}, "argument": {"name": arg, "value": value}, "context": {"arguments": given}});
    let r = c.request("completion/complete", ask("city", "Pa", json!({"country": "fr"}))).await.unwrap();
    assert_eq!(r["completion"]["values"], json!(["Paris", "Pau"]));
    let r = c.request("completion/complete", ask("city", "Pa", json!({"country": "de"}))).await.unwrap();
    assert_eq!(r["completion"]["values"], json!(["Passau"]));
    let r = c.request("completion/complete", ask("country", "f", json!({}))).await.unwrap();
    assert_eq!(r["completion"]["values"], json!(["fr"]));
}

/// A pizza order, asked of the user as a form.
#[derive(serde::Deserialize, schemars::JsonSchema, Debug)]
struct PizzaOrder {
    /// Your name.
    name: String,
    /// How many.
    count: u32,
    crust: Crust,
    note: Option<String>,
}

#[derive(serde::Deserialize, schemars::JsonSchema, Debug)]
enum Crust {
    Thin,
    Thick,
}

/// Orders a pizza, asking for the details.
#[tool]
async fn order_pizza(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    Ok(match ctx.elicit_typed::<PizzaOrder>("Your order?").await? {
        fastmcp::extract::Elicitation::Accept(o) => format!("{} x{} {:?} {:?}", o.name, o.count, o.crust, o.note),
        fastmcp::extract::Elicitation::Decline => "declined".into(),
        fastmcp::extract::Elicitation::Cancel => "cancelled".into(),
    })
}

/// Sends the user to a payment page.
#[tool]
async fn pay(ctx: Context) -> Result<String, fastmcp::ClientRequestError> {
    let r = ctx.elicit_url("Pay on our site", "https://pay.example.com/checkout/1").await?;
    ctx.elicitation_complete(&r.elicitation_id).await;
    Ok(format!("{:?}", r.action))
}

#[tokio::test]
async fn typed_and_url_elicitation() {
    let server = FastMcp::new("elicit").tool(order_pizza).tool(pay).build().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let log = seen.clone();
    let c = Client::builder()
        .capabilities(json!({"elicitation": {"form": {}, "url": {}}}))
        .on_request(move |method, params| {
            log.lock().unwrap().push(params.clone());
            async move {
                assert_eq!(method, "elicitation/create");
                if params["mode"] == "url" {
                    return Ok(json!({"action": "accept"}));
                }
                Ok(json!({"action": "accept", "content": {"name": "Ada", "count": 2, "crust": "Thin"}}))
            }
        })
        .connect(&server)
        .await
        .unwrap();
    let r = c.call_tool("order_pizza", json!({})).await.unwrap();
    assert_eq!(r.text_content(), "Ada x2 Thin None");
    let form = seen.lock().unwrap()[0].clone();
    assert_eq!(form["requestedSchema"]["properties"]["crust"], json!({"type": "string", "enum": ["Thin", "Thick"]}));
    assert_eq!(form["requestedSchema"]["required"], json!(["name", "count", "crust"]));

    let r = c.call_tool("pay", json!({})).await.unwrap();
    assert_eq!(r.text_content(), "Accept");
    let url = seen.lock().unwrap()[1].clone();
    assert_eq!((url["mode"].as_str(), url["url"].as_str()), (Some("url"), Some("https://pay.example.com/checkout/1")));
    let id = url["elicitationId"].as_str().unwrap().to_owned();
    let done = c.drain_notifications().await;
    assert!(
        done.iter().any(|n| n.method == "notifications/elicitation/complete"
            && n.params.as_ref().is_some_and(|p| p["elicitationId"] == id.as_str())),
        "{done:?}"
    );
}

#[tokio::test]
async fn url_elicitation_needs_the_url_capability() {
    let server = FastMcp::new("elicit").tool(pay).build().unwrap();
    let c = Client::builder().capabilities(json!({"elicitation": {}})).connect(&server).await.unwrap();
    let r = c.call_tool("pay", json!({})).await.unwrap();
    assert!(r.is_error() && r.text_content().contains("elicitation.url"), "{}", r.text_content());
}

/// A file under the repository root, at a revision.
#[resource("repo://{owner}/{path*}{?rev,lines}")]
fn repo_file(owner: String, path: String, rev: Option<String>, lines: Option<u32>) -> String {
    format!("{owner}:{path}@{}#{}", rev.unwrap_or_else(|| "HEAD".into()), lines.unwrap_or(0))
}

#[tokio::test]
async fn exploded_paths_and_query_variables_in_resource_templates() {
    let server = FastMcp::new("repo").resource(repo_file).build().unwrap();
    let c = Client::connect(&server).await.unwrap();
    let templates = c.list_resource_templates().await.unwrap();
    assert_eq!(templates[0]["uriTemplate"], "repo://{owner}/{path*}{?rev,lines}");
    let text = |r: fastmcp::ReadResourceResult| serde_json::to_value(&r).unwrap()["contents"][0]["text"].clone();
    let r = c.read_resource("repo://ada/src/lib.rs?lines=10&rev=main").await.unwrap();
    assert_eq!(text(r), "ada:src/lib.rs@main#10");
    let r = c.read_resource("repo://ada/README.md").await.unwrap();
    assert_eq!(text(r), "ada:README.md@HEAD#0");
    let e = c.read_resource("repo://ada/src/../../etc/passwd").await.unwrap_err();
    assert_eq!(e.rpc().unwrap().code, -32002);
    let e = c.read_resource("repo://ada/src/lib.rs?lines=many").await.unwrap_err();
    assert_eq!(e.rpc().unwrap().code, -32602);
}

/// A tool with icons.
#[tool(
    icons("https://example.com/tool.png"),
    icon(src = "https://example.com/tool-dark.svg", mime_type = "image/svg+xml", sizes("any"), theme = "dark")
)]
fn iconic() -> &'static str {
    "icon"
}

/// A report for the user, with annotations and a size.
#[resource(
    "reports://daily",
    audience("user"),
    priority = 0.8,
    last_modified = "2026-12-01T10:00:00Z",
    size = 2048,
    icons("https://example.com/r.png")
)]
fn daily_report() -> String {
    "all good".into()
}

#[tokio::test]
async fn icons_and_resource_annotations_are_listed() {
    let server = FastMcp::new("icons")
        .icon(fastmcp::protocol::Icon::new("https://example.com/server.png"))
        .website_url("https://example.com")
        .tool(iconic)
        .resource(daily_report)
        .build()
        .unwrap();
    let c = Client::connect(&server).await.unwrap();
    let info = &c.initialize_result()["serverInfo"];
    assert_eq!(info["icons"], json!([{"src": "https://example.com/server.png"}]));
    assert_eq!(info["websiteUrl"], "https://example.com");
    let tool = &c.list_tools().await.unwrap()[0];
    assert_eq!(
        tool["icons"],
        json!([
            {"src": "https://example.com/tool.png"},
            {"src": "https://example.com/tool-dark.svg", "mimeType": "image/svg+xml", "sizes": ["any"], "theme": "dark"}
        ])
    );
    let r = &c.list_resources().await.unwrap()[0];
    assert_eq!(
        r["annotations"],
        json!({"audience": ["user"], "priority": 0.8, "lastModified": "2026-12-01T10:00:00Z"})
    );
    assert_eq!(r["size"], 2048);
    assert_eq!(r["icons"], json!([{"src": "https://example.com/r.png"}]));
}
