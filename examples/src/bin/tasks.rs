//! The tasks fixture: components that run as MCP tasks (SEP-1686) on the docket, over
//! Streamable HTTP.
//!
//!     cargo run -p fastmcp-examples --bin tasks -- --port 3002
//!     FASTMCP_DOCKET_URL=redis://127.0.0.1:6379 cargo run -p fastmcp-examples --bin tasks
//!
//! Flags: `--port N` (or env `PORT`; 0 picks a free port), `--token TOKEN=PRINCIPAL`
//! (repeatable; turns bearer auth on), `--page-size N` (list pages, default 100),
//! `--require-task TOOL` (repeatable; the tool must run as a task: the 2026-07-28 conformance
//! suite registers `failing_job` so, where the 2025-11-25 fixture has it optional),
//! `--max-kept N` (tasks kept per requester, finished ones included; default 1,000),
//! `--worker-only` (no HTTP: a worker process for a shared Redis docket), `--stdio` (serve stdio
//! instead of HTTP). The docket comes from `FASTMCP_DOCKET_URL` (memory://
//! by default; with Redis, several instances share tasks). The address is printed on stdout as
//! `listening on http://ADDR/mcp` once the server accepts connections.

use fastmcp::ClientRequestError;
use fastmcp::prelude::*;
use fastmcp::transport::http::HttpOptions;
use serde_json::json;
use std::time::Duration;

/// Adds two integers after a delay.
#[tool(task = "optional")]
async fn slow_add(
    /// The first number.
    a: i64,
    /// The second number.
    b: i64,
    /// How long to take, in milliseconds.
    #[serde(default = "default_delay")]
    delay_ms: u64,
) -> i64 {
    tokio::time::sleep(Duration::from_millis(delay_ms)).await;
    a + b
}

fn default_delay() -> u64 {
    200
}

fn default_steps() -> u64 {
    5
}

fn default_step_ms() -> u64 {
    50
}

/// Works through `steps` steps, reporting progress after each.
#[tool(task = "required")]
async fn progress_job(
    ctx: Context,
    progress: Progress,
    /// How many steps.
    #[serde(default = "default_steps")]
    steps: u64,
    /// Milliseconds per step.
    #[serde(default = "default_step_ms")]
    step_ms: u64,
) -> String {
    ctx.info(format!("starting {steps} steps")).await;
    for step in 1..=steps {
        tokio::time::sleep(Duration::from_millis(step_ms)).await;
        progress.report(step as f64, Some(steps as f64), Some(&format!("step {step} of {steps}"))).await;
    }
    format!("done {steps} steps")
}

/// Always fails (a tool error), with `message` in the error.
#[tool(task = "optional")]
async fn failing_job(
    /// What the error says.
    #[serde(default)]
    message: Option<String>,
) -> Result<String, String> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    Err(format!("failing_job failed: {}", message.as_deref().unwrap_or("as designed")))
}

/// Doubles `x`; never runs as a task.
#[tool]
fn sync_only(x: i64) -> i64 {
    2 * x
}

fn confirm_schema() -> serde_json::Value {
    json!({
        "type": "object",
        "properties": { "confirm": { "type": "boolean", "description": "Go ahead?" } },
        "required": ["confirm"],
    })
}

fn confirmed(answer: &fastmcp::protocol::ElicitResult) -> bool {
    answer.action == fastmcp::protocol::ElicitAction::Accept
        && answer.content.as_ref().and_then(|c| c.get("confirm")).and_then(|c| c.as_bool()) == Some(true)
}

/// Asks the client to confirm before "deleting" `filename` (elicitation from inside a task).
#[tool(task = "optional")]
async fn confirm_delete(ctx: Context, filename: String) -> Result<String, ClientRequestError> {
    // Looking the file up first: the call is a task by the time it asks (2026-07-28 clients
    // then answer through tasks/update).
    tokio::time::sleep(Duration::from_millis(10)).await;
    let answer = ctx.elicit(format!("Delete {filename}?"), confirm_schema()).await?;
    Ok(if confirmed(&answer) { format!("deleted {filename}") } else { format!("kept {filename}") })
}

/// Asks two questions at once from inside a task.
#[tool(task = "optional")]
async fn multi_input(ctx: Context) -> Result<String, ClientRequestError> {
    tokio::time::sleep(Duration::from_millis(10)).await;
    let (first, second) = tokio::join!(
        ctx.elicit_as(Some("first"), "First question?", confirm_schema()),
        ctx.elicit_as(Some("second"), "Second question?", confirm_schema()),
    );
    Ok(format!("first={} second={}", confirmed(&first?), confirmed(&second?)))
}

/// Says hello (never a task).
#[tool]
fn greet(
    /// Who to greet.
    #[serde(default)]
    name: Option<String>,
) -> String {
    format!("Hello, {}!", name.as_deref().unwrap_or("world"))
}

/// Computes for `seconds` seconds.
#[tool(task = "optional")]
async fn slow_compute(
    /// How long, in seconds.
    #[serde(default)]
    seconds: f64,
    /// A label echoed in the result.
    #[serde(default)]
    label: Option<String>,
) -> String {
    tokio::time::sleep(Duration::from_secs_f64(seconds.clamp(0.0, 3600.0))).await;
    format!("computed {} in {seconds}s", label.as_deref().unwrap_or("result"))
}

/// Asks for the user's name first (before becoming a task), then works as a task.
#[tool(task = "required")]
async fn test_tool_with_task(ctx: Context) -> Result<String, ClientRequestError> {
    let schema = json!({ "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] });
    let answer = ctx.elicit_as(Some("user_name"), "What is your name?", schema).await?;
    let name = answer.content.as_ref().and_then(|c| c.get("name")).and_then(|n| n.as_str()).unwrap_or("?").to_owned();
    tokio::time::sleep(Duration::from_millis(100)).await;
    Ok(format!("Hello, {name}! Your task is done."))
}

/// Fails with a JSON-RPC error (not a tool error): the task ends `failed`.
fn protocol_error_job() -> fastmcp::Tool {
    fastmcp::Tool::try_new("protocol_error_job", json!({ "type": "object", "properties": {} }), |_, _| async {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Err(fastmcp::ErrorObject::internal("protocol_error_job failed with a JSON-RPC error"))
    })
    .with_description("Fails with a JSON-RPC error")
    .with_task_support(fastmcp::TaskSupport::Optional)
}

/// A prompt about a topic.
#[prompt(task = "optional")]
fn task_prompt(
    /// The topic.
    topic: String,
) -> String {
    format!("Please write a short summary about {topic}.")
}

/// Echoes the word in the URI.
#[resource("tasks://echo/{word}", task = "optional", mime_type = "text/plain")]
fn echo(word: String) -> String {
    word
}

fn flag_values(args: &[String], flag: &str) -> Vec<String> {
    args.windows(2).filter(|w| w[0] == flag).map(|w| w[1].clone()).collect()
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    fastmcp::logging::init();
    let args: Vec<String> = std::env::args().collect();
    let port: u16 =
        flag_values(&args, "--port").pop().or_else(|| std::env::var("PORT").ok()).map_or(Ok(3002), |p| p.parse())?;
    let mut options = HttpOptions::default();
    for token in flag_values(&args, "--token") {
        let (token, principal) = token.split_once('=').ok_or("--token takes TOKEN=PRINCIPAL")?;
        options = options.bearer_token(token, principal);
    }
    let mut builder = FastMcp::new("fastmcp-tasks-fixture").all_registered().dynamic_tool(protocol_error_job());
    for tool in flag_values(&args, "--require-task") {
        builder = builder.task_support(tool, fastmcp::TaskSupport::Required);
    }
    if let Some(size) = flag_values(&args, "--page-size").pop() {
        builder = builder.page_size(size.parse()?);
    }
    if let Some(n) = flag_values(&args, "--max-kept").pop() {
        builder = builder
            .task_settings(fastmcp::tasks::TaskSettings { max_kept_per_requester: n.parse()?, ..Default::default() });
    }
    let server = builder.build()?;
    if args.iter().any(|a| a == "--worker-only") {
        // Only the docket worker (several processes share a Redis docket).
        let run = {
            let server = server.clone();
            tokio::spawn(async move { server.run_worker().await })
        };
        server.wait_until_ready().await?;
        println!("worker {} ready", server.worker().map(|w| w.name().to_owned()).unwrap_or_default());
        run.await??;
        return Ok(());
    }
    if args.iter().any(|a| a == "--stdio") {
        server.run_stdio().await?;
        return Ok(());
    }
    let serve = {
        let server = server.clone();
        tokio::spawn(async move { server.run_http(("127.0.0.1", port), options).await })
    };
    server.wait_until_ready().await?;
    println!("listening on http://{}/mcp", server.local_addr().expect("bound"));
    serve.await??;
    Ok(())
}
