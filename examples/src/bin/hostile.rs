//! The hostile-client fixture: a server with components that misbehave (panics, slow work,
//! fast progress, elicitation) and every limit settable from the command line, for
//! `examples/tests/hostile.rs`.
//!
//!     cargo run -p fastmcp-examples --bin hostile -- --port 0
//!     cargo run -p fastmcp-examples --bin hostile -- --stdio
//!
//! Flags: `--port N`, `--stdio`, `--worker-only`, `--stateless`, `--token TOKEN=PRINCIPAL`
//! (repeatable), `--jwks-url URL`,
//! `--max-connections N`, `--header-timeout-ms MS`, `--body-timeout-ms MS`, `--max-body N`,
//! `--max-sessions N`, `--max-sessions-per-principal N`, `--max-sse-streams N`, `--sse-keep-alive-ms MS`,
//! `--shutdown-timeout-ms MS`, `--request-timeout-ms MS`, `--max-tasks N` (working tasks per
//! requester), `--max-kept N` (tasks kept per requester), `--teardown-file PATH` (the lifespan teardown writes `teardown done` there).
//! The docket comes from `FASTMCP_DOCKET_URL` (memory:// by default). Over HTTP the address is
//! printed on stdout as `listening on http://ADDR/mcp` once the server accepts connections.

use fastmcp::ClientRequestError;
use fastmcp::prelude::*;
use fastmcp::tasks::TaskSettings;
use fastmcp::transport::http::HttpOptions;
use serde_json::json;
use std::time::Duration;

/// Panics (an `unwrap` on nothing).
#[tool]
fn panic_tool() -> String {
    let nothing: Option<String> = std::hint::black_box(None);
    nothing.unwrap()
}

/// Panics after a moment, as a task.
#[tool(task = "optional")]
async fn panic_task() -> String {
    tokio::time::sleep(Duration::from_millis(20)).await;
    panic!("the task handler gave up")
}

/// Panics while building the prompt.
#[prompt]
fn panic_prompt() -> String {
    let v: Vec<String> = Vec::new();
    v[3].clone()
}

/// Panics while reading.
#[resource("panic://{name}")]
fn panic_resource(name: String) -> String {
    panic!("cannot read {name}")
}

/// Echoes the file name it was given (a template variable).
#[resource("files://{name}", mime_type = "text/plain")]
fn file(name: String) -> String {
    name
}

/// A static resource clients may subscribe to.
#[resource("status://server", mime_type = "text/plain")]
fn status() -> String {
    "ok".into()
}

/// Sleeps `ms` milliseconds, then answers `slept {ms}`.
#[tool(task = "optional")]
async fn slow(ms: u64) -> String {
    tokio::time::sleep(Duration::from_millis(ms)).await;
    format!("slept {ms}")
}

/// Logs once (so the answer is an SSE stream), then echoes `text`.
#[tool]
async fn chatty_echo(ctx: Context, text: String) -> String {
    ctx.info("echoing").await;
    text
}

/// A JSON value `depth` arrays deep (at most 3,000): output that a transport must serialize
/// without running out of stack.
#[tool]
fn nested(depth: u32) -> serde_json::Value {
    let mut value = serde_json::json!(0);
    for _ in 0..depth.min(3000) {
        value = serde_json::Value::Array(vec![value]);
    }
    value
}

/// Reports `steps` progress steps as fast as it can, then answers.
#[tool(task = "optional")]
async fn quick_progress(progress: Progress, steps: u64) -> String {
    for step in 1..=steps {
        progress.report(step as f64, Some(steps as f64), None).await;
    }
    format!("{steps} steps")
}

/// Asks the client to confirm, then answers with `name`.
#[tool]
async fn confirm_named(ctx: Context, name: String) -> Result<String, ClientRequestError> {
    let schema = json!({ "type": "object", "properties": { "ok": { "type": "boolean" } }, "required": ["ok"] });
    let answer = ctx.elicit_as(Some("ok"), format!("Use {name}?"), schema).await?;
    Ok(format!("{name}: {:?}", answer.action))
}

fn flag(args: &[String], name: &str) -> Option<String> {
    args.windows(2).filter(|w| w[0] == name).map(|w| w[1].clone()).next_back()
}

fn flag_ms(args: &[String], name: &str) -> Option<Duration> {
    flag(args, name).and_then(|v| v.parse().ok()).map(Duration::from_millis)
}

fn flag_n(args: &[String], name: &str) -> Option<usize> {
    flag(args, name).and_then(|v| v.parse().ok())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    fastmcp::logging::init();
    let args: Vec<String> = std::env::args().collect();
    let teardown_file = flag(&args, "--teardown-file");
    let mut builder = FastMcp::new("fastmcp-hostile-fixture").lifespan(move || {
        let teardown_file = teardown_file.clone();
        async move {
            Ok::<_, std::io::Error>(Lifespan::new().on_shutdown(move || async move {
                if let Some(path) = teardown_file {
                    let _ = std::fs::write(path, "teardown done");
                }
            }))
        }
    });
    if let Some(t) = flag_ms(&args, "--shutdown-timeout-ms") {
        builder = builder.shutdown_timeout(t);
    }
    if let Some(t) = flag_ms(&args, "--request-timeout-ms") {
        builder = builder.request_timeout(t);
    }
    let mut tasks = TaskSettings::default();
    if let Some(n) = flag_n(&args, "--max-tasks") {
        tasks.max_active_per_requester = n;
    }
    if let Some(n) = flag_n(&args, "--max-kept") {
        tasks.max_kept_per_requester = n;
    }
    builder = builder.task_settings(tasks);
    let server = builder.build()?;
    if args.iter().any(|a| a == "--stdio") {
        server.run_stdio().await?;
        return Ok(());
    }
    if args.iter().any(|a| a == "--worker-only") {
        let run = {
            let server = server.clone();
            tokio::spawn(async move { server.run_worker().await })
        };
        server.wait_until_ready().await?;
        println!("worker ready");
        run.await??;
        return Ok(());
    }
    let mut options = HttpOptions::default().stateless(args.iter().any(|a| a == "--stateless"));
    for token in args.windows(2).filter(|w| w[0] == "--token").map(|w| w[1].clone()) {
        let (token, principal) = token.split_once('=').ok_or("--token takes TOKEN=PRINCIPAL")?;
        options = options.bearer_token(token, principal);
    }
    if let Some(url) = flag(&args, "--jwks-url") {
        options = options.jwt(fastmcp::auth::JwtVerifier::jwks_url(url));
    }
    if let Some(n) = flag_n(&args, "--max-connections") {
        options = options.max_connections(n);
    }
    if let Some(t) = flag_ms(&args, "--header-timeout-ms") {
        options = options.header_read_timeout(t);
    }
    if let Some(t) = flag_ms(&args, "--body-timeout-ms") {
        options = options.body_read_timeout(t);
    }
    if let Some(n) = flag_n(&args, "--max-body") {
        options = options.max_body_bytes(n);
    }
    if let Some(n) = flag_n(&args, "--max-sessions") {
        options = options.max_sessions(n);
    }
    if let Some(n) = flag_n(&args, "--max-sessions-per-principal") {
        options = options.max_sessions_per_principal(n);
    }
    if let Some(n) = flag_n(&args, "--max-sse-streams") {
        options = options.max_sse_streams(n);
    }
    if let Some(t) = flag_ms(&args, "--sse-keep-alive-ms") {
        options = options.sse_keep_alive(t);
    }
    let port: u16 = flag(&args, "--port").map_or(Ok(0), |p| p.parse())?;
    let serve = {
        let server = server.clone();
        tokio::spawn(async move { server.run_http(("127.0.0.1", port), options).await })
    };
    if let Err(e) = server.wait_until_ready().await {
        // Startup failed: the task has the real error.
        serve.await??;
        return Err(e.into());
    }
    println!("listening on http://{}/mcp", server.local_addr().expect("bound"));
    serve.await??;
    Ok(())
}
