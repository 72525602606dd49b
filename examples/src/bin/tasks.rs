//! The tasks fixture: components that run as MCP tasks (SEP-1686) on the docket, over
//! Streamable HTTP.
//!
//!     cargo run -p fastmcp-examples --bin tasks -- --port 3002
//!     FASTMCP_DOCKET_URL=redis://127.0.0.1:6379 cargo run -p fastmcp-examples --bin tasks
//!
//! Flags: `--port N` (or env `PORT`; 0 picks a free port), `--token TOKEN=PRINCIPAL`
//! (repeatable; turns bearer auth on), `--page-size N` (list pages, default 100). The docket comes from `FASTMCP_DOCKET_URL` (memory://
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

/// Always fails, with `message` in the error.
#[tool(task = "optional")]
async fn failing_job(
    /// What the error says.
    message: String,
) -> Result<String, String> {
    tokio::time::sleep(Duration::from_millis(50)).await;
    Err(format!("failing_job failed: {message}"))
}

/// Doubles `x`; never runs as a task.
#[tool]
fn sync_only(x: i64) -> i64 {
    2 * x
}

/// Asks the client to confirm before "deleting" `path` (elicitation from inside a task).
#[tool(task = "optional")]
async fn confirm_delete(ctx: Context, path: String) -> Result<String, ClientRequestError> {
    let schema = json!({
        "type": "object",
        "properties": { "confirm": { "type": "boolean", "description": "Delete it?" } },
        "required": ["confirm"],
    });
    let answer = ctx.elicit(format!("Delete {path}?"), schema).await?;
    let confirmed = answer.action == fastmcp::protocol::ElicitAction::Accept
        && answer.content.as_ref().and_then(|c| c.get("confirm")).and_then(|c| c.as_bool()) == Some(true);
    Ok(if confirmed { format!("deleted {path}") } else { format!("kept {path}") })
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
    let mut builder = FastMcp::new("fastmcp-tasks-fixture").all_registered();
    if let Some(size) = flag_values(&args, "--page-size").pop() {
        builder = builder.page_size(size.parse()?);
    }
    let server = builder.build()?;
    let serve = {
        let server = server.clone();
        tokio::spawn(async move { server.run_http(("127.0.0.1", port), options).await })
    };
    server.wait_until_ready().await?;
    println!("listening on http://{}/mcp", server.local_addr().expect("bound"));
    serve.await??;
    Ok(())
}
